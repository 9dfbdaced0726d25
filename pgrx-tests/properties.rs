#[pgrx::pg_schema]
mod tests {
    use crate::pgrx_tests_suite::support::{create_indexer_tables_with_from, dump_state};
    use crate::protocol::{apply_rows, EventRow, MemoryStore, Settings};
    use crate::synth::{ChainConfig, RoundAddressing, Simulator};
    use pgrx::prelude::*;

    fn insert_row(e: &EventRow) {
        Spi::run_with_args(
            "INSERT INTO public.events (event_nonce, block_number, block_hash, vault_address, \
             event_name, event_keys, event_data, transaction_hash, from_address) \
             VALUES ($1, $2::numeric, $3, $4, $5, $6::varchar[], $7::varchar[], $8, $9)",
            &[
                e.event_nonce.into(),
                (e.block_number as i64).into(),
                e.block_hash.as_str().into(),
                e.vault_address.as_str().into(),
                e.event_name.as_str().into(),
                e.keys.clone().into(),
                e.data.clone().into(),
                e.transaction_hash.as_str().into(),
                e.from_address.clone().into(),
            ],
        )
        .expect("insert event");
    }

    /// A generated history through the block trigger yields exactly the state of the pure run.
    fn database_equals_pure_run(addressing: RoundAddressing, seed: u64) {
        create_indexer_tables_with_from();
        let cfg = ChainConfig {
            seed,
            vaults: 3,
            lps_per_vault: 5,
            bidders_per_vault: 4,
            blocks: 150,
            max_events_per_block: 6,
            addressing,
            first_block: 500,
        };
        let (blocks, _) = Simulator::generate(cfg);
        let mut memory = MemoryStore::default();
        for block in &blocks {
            // The indexer's order: events, then the block row; processed at the commit point.
            block.events.iter().for_each(insert_row);
            Spi::run_with_args(
                "INSERT INTO public.starknet_blocks VALUES ($1::numeric, $2, $3, $4::numeric, 'MINED')",
                &[(block.number as i64).into(), block.hash.as_str().into(), block.parent_hash.as_str().into(), (block.timestamp as i64).into()],
            )
            .unwrap();
            Spi::run("SET CONSTRAINTS public.event_processor_block_inserted IMMEDIATE").unwrap();
            Spi::run("SET CONSTRAINTS ALL DEFERRED").unwrap();
            apply_rows(&mut memory, block.events.clone(), Settings::default()).unwrap();
            let (db, mem) = (dump_state(), memory.dump());
            let only_db: Vec<_> = db.iter().filter(|l| !mem.contains(l)).collect();
            let only_memory: Vec<_> = mem.iter().filter(|l| !db.contains(l)).collect();
            let context = if only_db.is_empty() && only_memory.is_empty() {
                String::new()
            } else {
                Spi::get_one::<String>("SELECT string_agg(address || ' id ' || round_id || ' ' || state || ' vault ' || vault_address, E'\\n' ORDER BY round_id) FROM \"Option_Rounds\"").unwrap().unwrap_or_default()
            };
            assert!(
                only_db.is_empty() && only_memory.is_empty(),
                "block {}: database only: {only_db:#?}\nmemory only: {only_memory:#?}\nrounds:\n{context}\nevents: {:#?}",
                block.number,
                block.events.iter().map(|e| format!("{} {} {:?} {:?}", e.event_nonce, e.event_name, e.keys.get(1), e.data)).collect::<Vec<_>>()
            );
        }
        let database = dump_state();
        assert!(
            database.len() > 100,
            "a meaningful history: {} rows",
            database.len()
        );
        let memory = memory.dump();
        let only_db: Vec<_> = database.iter().filter(|l| !memory.contains(l)).collect();
        let only_memory: Vec<_> = memory.iter().filter(|l| !database.contains(l)).collect();
        assert!(
            only_db.is_empty() && only_memory.is_empty(),
            "database only: {only_db:#?}\nmemory only: {only_memory:#?}"
        );
    }

    #[pg_test]
    fn generated_history_with_from_address_matches_the_pure_run() {
        database_equals_pure_run(RoundAddressing::FromAddress, 11);
    }

    #[pg_test]
    fn generated_history_with_appended_round_addresses_matches_the_pure_run() {
        database_equals_pure_run(RoundAddressing::Appended, 12);
    }

    #[pg_test]
    fn generated_history_with_fallback_resolution_matches_the_pure_run() {
        database_equals_pure_run(RoundAddressing::Fallback, 13);
    }
}
