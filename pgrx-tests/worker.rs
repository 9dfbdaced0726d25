//! The background worker, preloaded in the test cluster and serving database `ep_worker`
//! (see `pg_test::postgresql_conf_options`). Committed data only: plain #[test]s over libpq.

use super::client::{
    client_dump, connect, count, fresh_database, insert_synth_block_tx as insert_block,
};
use super::notifications::{
    check_all, drain, last_payloads_equal_the_rows, listen_all, shapes, EVERY_SHAPE,
};
use crate::protocol::{apply_rows, MemoryStore, Settings};
use crate::synth::{ChainConfig, RoundAddressing, Simulator};
use postgres::Client;
use std::time::{Duration, Instant};

/// status(): (blocks behind, newest applied block, worker pid, state, last error).
fn status(db: &mut Client) -> (i64, Option<String>, Option<i32>, String, Option<String>) {
    let row = db
        .query_one(
            "SELECT coalesce(blocks_behind, 0), newest_applied_block::text, worker_pid, worker_state, last_error
               FROM event_processor.status()",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4))
}

/// Polls status() until `done` holds; returns the largest lag seen on the way.
fn wait_for(
    db: &mut Client,
    what: &str,
    done: impl Fn(&(i64, Option<String>, Option<i32>, String, Option<String>)) -> bool,
) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut most_behind = 0;
    loop {
        let s = status(db);
        most_behind = most_behind.max(s.0);
        if done(&s) {
            return most_behind;
        }
        assert!(Instant::now() < deadline, "{what}: worker status {s:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The worker serves one database, `ep_worker`; its tests take it in turn.
static SERVED: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A new `ep_worker` with the extension and the indexer's tables (with from_address), and
/// `event_processor.<setting>` for its sessions; returns once the worker serves it. Hold the
/// guard for the test.
pub fn serve_database(setting: &str) -> (std::sync::MutexGuard<'static, ()>, Client, u16) {
    let guard = SERVED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut db = fresh_database("ep_worker");
    db.batch_execute(&format!(
        "SET client_min_messages = warning;
         CREATE EXTENSION event_processor;
         SELECT event_processor.create_indexer_tables(with_from_address => true);
         ALTER DATABASE ep_worker SET event_processor.{setting}"
    ))
    .unwrap();
    let port: i32 = db
        .query_one("SELECT current_setting('port')::int", &[])
        .unwrap()
        .get(0);
    let mut db = connect("ep_worker", port as u16);
    wait_for(&mut db, "the worker serves ep_worker", |s| s.2.is_some());
    (guard, db, port as u16)
}

#[test]
fn worker_catches_up_survives_termination_and_reports_errors() {
    // trigger_enabled = off: the 0.3 name of mode = worker.
    let (_serving, mut db, port) = serve_database("trigger_enabled = off");
    let mut listener = listen_all("ep_worker", port);

    let cfg = ChainConfig {
        seed: 31,
        vaults: 3,
        lps_per_vault: 5,
        bidders_per_vault: 4,
        blocks: 260,
        max_events_per_block: 6,
        addressing: RoundAddressing::FromAddress,
        first_block: 7000,
    };
    let (blocks, _) = Simulator::generate(cfg);
    let mut pure = MemoryStore::default();
    for block in &blocks {
        apply_rows(&mut pure, block.events.clone(), Settings::default()).unwrap();
    }

    // 200 blocks with the trigger path off: the worker applies them, in order, each COMMIT
    // asking it for a pass.
    let requests = || "SELECT wake_requests FROM event_processor.wake_state()";
    let before = count(&mut db, requests());
    for block in &blocks[..200] {
        insert_block(&mut db, block);
    }
    assert_eq!(count(&mut db, requests()), before + 200);
    let last = blocks[199].number.to_string();
    wait_for(&mut db, "first 200 blocks", |s| {
        s.0 == 0 && s.1.as_deref() == Some(last.as_str())
    });
    let (_, _, pid, state, error) = status(&mut db);
    assert!(
        pid.is_some() && error.is_none(),
        "{pid:?} {state} {error:?}"
    );
    let mut by_hand = MemoryStore::default();
    for block in &blocks[..200] {
        apply_rows(&mut by_hand, block.events.clone(), Settings::default()).unwrap();
    }
    assert_eq!(
        client_dump(&mut db),
        by_hand.dump(),
        "the worker's state equals processing by hand"
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT blocks_applied FROM event_processor.worker_status"
        ),
        200
    );
    // What the worker's transactions notified parses as the backend parses it
    // (notifications.rs), and the last payload of each row is the row.
    let checked = check_all(&drain(&mut listener, &mut db));
    let seen = shapes(&checked);
    for shape in EVERY_SHAPE {
        assert!(seen.contains(shape), "the worker sent {shape}: {seen:?}");
    }
    assert!(last_payloads_equal_the_rows(&mut db, &checked, false) > 30);
    drop(listener);

    // Terminated in the middle of a catch-up: restarted, nothing lost, nothing applied twice.
    for block in &blocks[200..] {
        insert_block(&mut db, block);
    }
    db.batch_execute(&format!("SELECT pg_terminate_backend({})", pid.unwrap()))
        .unwrap();
    let last = blocks[259].number.to_string();
    wait_for(&mut db, "restart and finish", |s| {
        s.0 == 0 && s.1.as_deref() == Some(last.as_str()) && s.2.is_some() && s.2 != pid
    });
    assert_eq!(client_dump(&mut db), pure.dump());
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.applied_blocks"
        ),
        260
    );

    // A bad block: recorded as the last error and as the halt (failed_blocks), left pending;
    // the worker keeps running but applies nothing until retry_block.
    let bad_hash = "0xbad";
    db.batch_execute(&format!(
        "BEGIN;
         INSERT INTO events VALUES (1, 7261, '{bad_hash}', '0x7a0000000000', 'Deposit', ARRAY['{}', '0xa1'], ARRAY['0xzz'], '0x1', NULL);
         INSERT INTO starknet_blocks VALUES (7261, '{bad_hash}', '{}', 1, 'MINED');
         COMMIT;",
        crate::codec::EventKind::Deposit.selector().to_hex_string(),
        blocks[259].hash
    ))
    .unwrap();
    wait_for(&mut db, "error reported", |s| {
        (s.3 == "error" || s.3 == "halted") && s.4.is_some()
    });
    let (behind, _, pid_now, _, error) = status(&mut db);
    assert_eq!(behind, 1);
    assert!(pid_now.is_some(), "still running");
    let error = error.unwrap();
    assert!(error.starts_with("block 7261 (0xbad), vault 0x7a0000000000, event nonce 1 (Deposit): Deposit: expected 6 data felts"), "{error}");
    let metrics: (i64, i32, i32) = {
        let row = db
            .query_one(
                "SELECT blocks_behind::bigint, worker_up, halted FROM event_processor.metrics",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!(metrics, (1, 1, 1));
    let failure: String = db
        .query_one(
            "SELECT concat_ws(' ', block_number, block_hash, event_nonce, sqlstate, found_by)
               FROM event_processor.failed_blocks WHERE resolved IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(failure, format!("7261 {bad_hash} 1 22000 worker"));

    // A child of the bad block waits behind the halt: the pass its COMMIT asked for ran, and
    // applied nothing.
    wait_for(&mut db, "halted", |s| s.3 == "halted");
    let passes = || "SELECT reactions FROM event_processor.wake_state()";
    let before = count(&mut db, passes());
    db.batch_execute(&format!(
        "INSERT INTO starknet_blocks VALUES (7262, '0xbad2', '{bad_hash}', 2, 'MINED')"
    ))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&mut db, passes()) == before {
        assert!(
            Instant::now() < deadline,
            "no pass after the child's COMMIT"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(status(&mut db).0, 2, "both wait");

    // Fixed and retried by the operator: both applied, the worker goes on.
    db.batch_execute(&format!(
        "DELETE FROM events WHERE block_hash = '{bad_hash}'"
    ))
    .unwrap();
    let applied: i64 = db
        .query_one(
            &format!("SELECT blocks_applied FROM event_processor.retry_block('{bad_hash}')"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(applied, 2);
    wait_for(&mut db, "back to idle", |s| s.0 == 0 && s.3 == "idle");
}
