//! Several sessions processing and reverting at once: the processing lock serialises them,
//! so no block is applied twice and none is lost, whoever gets there first.

use super::client::{assert_every_event_applied_once, client_dump, connect, count, fresh_database};
use crate::protocol::{apply_rows, MemoryStore, Settings};
use crate::synth::{ChainConfig, RoundAddressing, Simulator, SynthBlock};
use postgres::{Client, GenericClient};

/// Inserts `blocks` (events, then the block row) in one transaction.
fn insert_chain(db: &mut Client, blocks: &[SynthBlock]) {
    let mut tx = db.transaction().unwrap();
    insert_rows(&mut tx, blocks);
    tx.commit().unwrap();
}

/// Inserts `blocks` (events, then the block row) in the current transaction of `tx`.
fn insert_rows(tx: &mut impl GenericClient, blocks: &[SynthBlock]) {
    for b in blocks {
        for e in &b.events {
            tx.execute(
                "INSERT INTO public.events (event_nonce, block_number, block_hash, vault_address,
                     event_name, event_keys, event_data, transaction_hash, from_address)
                 VALUES ($1, $2::text::numeric, $3, $4, $5, $6::text[], $7::text[], $8, $9)",
                &[
                    &e.event_nonce,
                    &e.block_number.to_string(),
                    &&*e.block_hash,
                    &&*e.vault_address,
                    &e.event_name,
                    &e.keys,
                    &e.data,
                    &e.transaction_hash,
                    &e.from_address,
                ],
            )
            .unwrap();
        }
        tx.execute(
            "INSERT INTO public.starknet_blocks VALUES ($1::text::numeric, $2, $3, $4::text::numeric, 'MINED')",
            &[&b.number.to_string(), &b.hash, &b.parent_hash, &b.timestamp.to_string()],
        )
        .unwrap();
    }
}

/// The state after each block of `blocks`, from the pure processor.
fn pure_dumps(blocks: &[SynthBlock]) -> Vec<Vec<String>> {
    let mut memory = MemoryStore::default();
    let mut dumps = vec![memory.dump()];
    for block in blocks {
        apply_rows(&mut memory, block.events.clone(), Settings::default()).unwrap();
        dumps.push(memory.dump());
    }
    dumps
}

/// Runs `work` in `sessions` threads, each with its own connection to `database`.
fn race(database: &'static str, port: u16, sessions: usize, work: fn(usize, &mut Client)) {
    let threads: Vec<_> = (0..sessions)
        .map(|i| {
            std::thread::spawn(move || {
                let mut client = connect(database, port);
                client
                    .batch_execute("SET client_min_messages = warning")
                    .unwrap();
                work(i, &mut client);
            })
        })
        .collect();
    for t in threads {
        t.join().expect("session thread");
    }
}

/// A new database `name` with the extension and the indexer's tables (with from_address),
/// the trigger path off in it if `trigger_off`; returns a client and the server's port.
fn extension_database(name: &str, trigger_off: bool) -> (Client, u16) {
    let mut db = fresh_database(name);
    db.batch_execute(
        "SET client_min_messages = warning;
         CREATE EXTENSION event_processor;
         SELECT event_processor.create_indexer_tables(with_from_address => true);",
    )
    .unwrap();
    if trigger_off {
        db.batch_execute(&format!(
            "ALTER DATABASE {name} SET event_processor.trigger_enabled = off;
             SET event_processor.trigger_enabled = off;"
        ))
        .unwrap();
    }
    let port: i32 = db
        .query_one("SELECT current_setting('port')::int", &[])
        .unwrap()
        .get(0);
    (db, port as u16)
}

const DB: &str = "ep_concurrency";

/// Six sessions at once: four call process_pending(3) until nothing is pending, two call
/// process_block on every block in chain order (already applied: a no-op; parent missing:
/// an error they ignore). Then three sessions revert to the same height at once.
#[test]
fn concurrent_sessions_apply_and_revert_every_block_once() {
    let (mut db, port) = extension_database(DB, true);
    let (blocks, _) = Simulator::generate(ChainConfig {
        seed: 77,
        vaults: 3,
        lps_per_vault: 8,
        bidders_per_vault: 5,
        blocks: 90,
        max_events_per_block: 8,
        addressing: RoundAddressing::FromAddress,
        first_block: 5000,
    });
    insert_chain(&mut db, &blocks);

    race(DB, port, 6, |i, c| {
        if i < 4 {
            while c
                .query_one(
                    "SELECT blocks_applied FROM event_processor.process_pending(3)",
                    &[],
                )
                .unwrap()
                .get::<_, i64>(0)
                > 0
            {}
        } else {
            let hashes: Vec<String> = c
                .query(
                    "SELECT block_hash FROM starknet_blocks ORDER BY block_number",
                    &[],
                )
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            for hash in hashes {
                let _ = c.execute("SELECT event_processor.process_block($1::text)", &[&hash]);
            }
        }
    });
    let dumps = pure_dumps(&blocks);
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.applied_blocks"
        ),
        blocks.len() as i64
    );
    assert_every_event_applied_once(&mut db);
    assert_eq!(client_dump(&mut db), dumps[blocks.len()]);

    race(DB, port, 3, |_, c| {
        c.execute("SELECT event_processor.revert_to(5040)", &[])
            .unwrap();
    });
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.applied_blocks"
        ),
        40
    );
    assert_eq!(client_dump(&mut db), dumps[40]);
}

/// rebuild() reports its progress as NOTICEs to the caller and through status() to other
/// sessions while its transaction is still open.
#[test]
fn rebuild_reports_progress_to_the_caller_and_to_status() {
    const REBUILD_DB: &str = "ep_rebuild_progress";
    let (mut db, port) = extension_database(REBUILD_DB, true);
    let (blocks, _) = Simulator::generate(ChainConfig {
        seed: 99,
        vaults: 2,
        lps_per_vault: 4,
        bidders_per_vault: 3,
        blocks: 1200,
        max_events_per_block: 3,
        addressing: RoundAddressing::FromAddress,
        first_block: 100,
    });
    insert_chain(&mut db, &blocks);
    db.batch_execute("SELECT * FROM event_processor.process_pending(100000)")
        .unwrap();

    let notices = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = notices.clone();
    let rebuilding = std::thread::spawn(move || {
        let mut client = postgres::Config::new()
            .host("localhost")
            .port(port)
            .user(&pgrx_tests::get_pg_user())
            .dbname(REBUILD_DB)
            .notice_callback(move |n| seen.lock().unwrap().push(n.message().to_string()))
            .connect(postgres::NoTls)
            .unwrap();
        client
            .query_one("SELECT blocks_applied FROM event_processor.rebuild()", &[])
            .unwrap()
            .get::<_, i64>(0)
    });
    let mut progress = Vec::new();
    while !rebuilding.is_finished() {
        if let Some(line) = db
            .query_one("SELECT rebuild_progress FROM event_processor.status()", &[])
            .unwrap()
            .get::<_, Option<String>>(0)
        {
            progress.push(line);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(rebuilding.join().unwrap(), 1200);
    assert!(
        progress
            .iter()
            .any(|l| l.starts_with("event_processor.rebuild(): block ") && l.ends_with(" of 1200")),
        "status() showed the rebuild: {progress:?}"
    );
    let notices = notices.lock().unwrap().clone();
    assert_eq!(
        notices,
        [
            "event_processor.rebuild(): block 500 of 1200",
            "event_processor.rebuild(): block 1000 of 1200",
            "event_processor.rebuild(): block 1200 of 1200"
        ]
    );
    assert_eq!(client_dump(&mut db), pure_dumps(&blocks)[blocks.len()]);
}

/// A cancel while the trigger path processes (here statement_timeout) cancels the indexer's
/// statement, as any cancel does: it is not taken for a failed block and deferred.
#[test]
fn a_cancel_during_processing_fails_the_statement_and_is_not_deferred() {
    let (mut db, _) = extension_database("ep_cancel", false);
    let (blocks, _) = Simulator::generate(ChainConfig {
        seed: 5,
        vaults: 3,
        lps_per_vault: 8,
        bidders_per_vault: 5,
        blocks: 300,
        max_events_per_block: 8,
        addressing: RoundAddressing::FromAddress,
        first_block: 100,
    });
    let mut tx = db.transaction().unwrap();
    insert_rows(&mut tx, &blocks);
    // COMMIT itself runs without statement_timeout; firing the deferred triggers early runs
    // the same processing under it.
    tx.batch_execute("SET LOCAL statement_timeout = '1ms'")
        .unwrap();
    let err = tx
        .batch_execute("SET CONSTRAINTS ALL IMMEDIATE")
        .unwrap_err();
    drop(tx);
    assert_eq!(
        err.as_db_error().map(|e| e.code().code()),
        Some("57014"),
        "{err}"
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.failed_blocks"
        ),
        0
    );
    assert_eq!(count(&mut db, "SELECT count(*) FROM starknet_blocks"), 0);
}
