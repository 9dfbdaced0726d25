//! Helpers shared by the in-database tests.

use super::worked_example as wx;
use pgrx::prelude::*;

/// Creates the indexer's tables in the test transaction (rolled back afterwards).
pub fn create_indexer_tables() {
    Spi::run("SELECT event_processor.create_indexer_tables()").expect("create_indexer_tables");
}

/// Creates the indexer's tables with the optional `events.from_address` column (spec §1.7 a).
pub fn create_indexer_tables_with_from() {
    Spi::run("SELECT event_processor.create_indexer_tables(true)").expect("create_indexer_tables");
}

/// Inserts a worked-example block row (status MINED); the block trigger queues its processing.
pub fn insert_block(b: &wx::Block) {
    Spi::run_with_args(
        "INSERT INTO public.starknet_blocks VALUES ($1::numeric, $2, $3, $4::numeric, 'MINED')",
        &[
            (b.number as i64).into(),
            b.hash.into(),
            b.parent_hash.into(),
            (b.timestamp as i64).into(),
        ],
    )
    .expect("insert block");
}

/// Inserts the worked example's events of one block.
pub fn insert_block_events(block: u64) {
    wx::events()
        .iter()
        .filter(|e| e.block == block)
        .for_each(insert_event);
}

/// Fires every deferred trigger now, as the indexer's COMMIT would (a #[pg_test] never
/// commits).
pub fn commit_point() {
    Spi::run("SET CONSTRAINTS ALL IMMEDIATE").unwrap();
    Spi::run("SET CONSTRAINTS ALL DEFERRED").unwrap();
}

/// Inserts generated blocks (trigger path as the session has it) and returns the pure run's
/// state after each: index 0 is empty, index i is after block i.
pub fn insert_with_pure_dumps(blocks: &[crate::synth::SynthBlock]) -> Vec<Vec<String>> {
    use crate::protocol::{apply_rows, MemoryStore, Settings};
    let mut memory = MemoryStore::default();
    let mut dumps = vec![memory.dump()];
    for block in blocks {
        insert_synth_block(block);
        apply_rows(&mut memory, block.events.clone(), Settings::default()).unwrap();
        dumps.push(memory.dump());
    }
    dumps
}

/// Every state row as a dump line (`protocol::dump`), sorted.
pub fn dump_state() -> Vec<String> {
    let mut lines = Vec::new();
    for query in crate::protocol::dump::dump_queries() {
        Spi::connect(|client| {
            for row in client.select(&query, None, &[]).expect("dump query") {
                lines.push(row.get::<String>(1).expect("dump line").expect("not null"));
            }
        });
    }
    lines.sort();
    lines
}

/// Inserts one worked-example event row the way the indexer does.
pub fn insert_event(e: &wx::Event) {
    let keys: Vec<String> = e.keys.iter().map(|s| s.to_string()).collect();
    let data: Vec<String> = e.data.iter().map(|s| s.to_string()).collect();
    Spi::run_with_args(
        "INSERT INTO public.events (event_nonce, block_number, block_hash, vault_address, \
         event_name, event_keys, event_data, transaction_hash) \
         VALUES ($1, $2::numeric, $3, $4, $5, $6::varchar[], $7::varchar[], $8)",
        &[
            e.nonce.into(),
            (e.block as i64).into(),
            e.block_hash.into(),
            e.vault.into(),
            e.name.into(),
            keys.into(),
            data.into(),
            e.tx.into(),
        ],
    )
    .expect("insert event");
}

/// The SQLSTATE a statement fails with, or None if it succeeds (it runs in a subtransaction).
pub fn sqlstate_of(statement: &str) -> Option<String> {
    // Created once per session, not replaced: a test may call this under several roles.
    let missing =
        Spi::get_one::<bool>("SELECT to_regprocedure('pg_temp.sqlstate_of(text)') IS NULL")
            .expect("helper lookup")
            .unwrap_or(true);
    if !missing {
        return Spi::get_one_with_args::<String>(
            "SELECT pg_temp.sqlstate_of($1)",
            &[statement.into()],
        )
        .expect("sqlstate_of");
    }
    Spi::run(
        "CREATE FUNCTION pg_temp.sqlstate_of(statement text) RETURNS text
         LANGUAGE plpgsql AS $$
         BEGIN
             EXECUTE statement;
             RETURN NULL;
         EXCEPTION WHEN OTHERS THEN
             RETURN SQLSTATE || ': ' || SQLERRM;
         END $$",
    )
    .expect("helper");
    Spi::get_one_with_args::<String>("SELECT pg_temp.sqlstate_of($1)", &[statement.into()])
        .expect("sqlstate_of")
}

/// Inserts a generated (crates/synth) event row as the indexer does, with from_address.
pub fn insert_synth_event(e: &crate::protocol::EventRow) {
    Spi::run_with_args(
        "INSERT INTO public.events (event_nonce, block_number, block_hash, vault_address, \
         event_name, event_keys, event_data, transaction_hash, from_address) \
         VALUES ($1, $2::numeric, $3, $4, $5, $6::varchar[], $7::varchar[], $8, $9)",
        &[
            e.event_nonce.into(),
            (e.block_number as i64).into(),
            (&*e.block_hash).into(),
            (&*e.vault_address).into(),
            e.event_name.as_str().into(),
            e.keys.clone().into(),
            e.data.clone().into(),
            e.transaction_hash.as_str().into(),
            e.from_address.clone().into(),
        ],
    )
    .expect("insert event");
}

/// Inserts a generated block: its events, then its MINED row (the trigger queues it).
pub fn insert_synth_block(block: &crate::synth::SynthBlock) {
    block.events.iter().for_each(insert_synth_event);
    Spi::run_with_args(
        "INSERT INTO public.starknet_blocks VALUES ($1::numeric, $2, $3, $4::numeric, 'MINED')",
        &[
            (block.number as i64).into(),
            block.hash.as_str().into(),
            block.parent_hash.as_str().into(),
            (block.timestamp as i64).into(),
        ],
    )
    .expect("insert block");
}
