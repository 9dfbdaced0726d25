//! The worker deployment (`event_processor.mode = worker`): the block trigger wakes the
//! background worker at the indexer's COMMIT (src/worker/wake.rs). The worker serves database
//! `ep_worker` (`pg_test::postgresql_conf_options`), which these tests share with worker.rs,
//! one at a time (`super::worker::serve_database`).

use super::client::{
    assert_every_event_applied_once, client_dump, connect, count,
    insert_synth_block_tx as insert_block,
};
use super::worker::serve_database;
use crate::protocol::{apply_rows, MemoryStore, Settings};
use crate::synth::{ChainConfig, RoundAddressing, Simulator, SynthBlock};
use postgres::Client;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The wake-up slot as status() reads it: (wake requests, passes run).
fn wake_counts(db: &mut Client) -> (i64, i64) {
    let row = db
        .query_one(
            "SELECT wake_requests, reactions FROM event_processor.wake_state()",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// Polls until `sql` (one boolean) holds, for at most `limit`; returns the time it took. On
/// time-out the message shows what status() and failed_blocks say.
fn until(db: &mut Client, sql: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    while !db.query_one(sql, &[]).unwrap().get::<_, bool>(0) {
        if start.elapsed() >= limit {
            let status: String = db
                .query_one(
                    "SELECT row_to_json(s)::text || ' ' || coalesce((SELECT json_agg(f)::text
                       FROM event_processor.failed_blocks f), '[]')
                       FROM event_processor.status() s",
                    &[],
                )
                .unwrap()
                .get(0);
            panic!("{sql}: not within {limit:?}; {status}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    start.elapsed()
}

fn applied(hash: &str) -> String {
    format!(
        "SELECT EXISTS (SELECT 1 FROM event_processor.applied_blocks WHERE block_hash = '{hash}')"
    )
}

fn chain(seed: u64, blocks: usize, gap: u64) -> Vec<SynthBlock> {
    let mut sim = Simulator::new(ChainConfig {
        seed,
        vaults: 2,
        lps_per_vault: 5,
        bidders_per_vault: 3,
        max_events_per_block: 5,
        addressing: RoundAddressing::FromAddress,
        first_block: 20_000,
        ..ChainConfig::default()
    });
    (0..blocks).map(|_| sim.sparse_block(gap)).collect()
}

fn pure_dump(blocks: &[SynthBlock]) -> Vec<String> {
    let mut pure = MemoryStore::default();
    for block in blocks {
        apply_rows(&mut pure, block.events.clone(), Settings::default()).unwrap();
    }
    pure.dump()
}

/// With a 10 s nap, each block is applied well under a second after its COMMIT; an aborted
/// transaction asks for nothing and leaves nothing behind.
#[test]
fn the_worker_applies_a_block_at_its_commit_whatever_the_nap() {
    let (_serving, mut db, port) = serve_database("mode = worker");
    // The reload's SIGHUP wakes the worker, which re-reads its settings before that pass: once
    // a pass has run after it, the nap is 10 s.
    let (_, passes) = wake_counts(&mut db);
    let _nap = ServerSetting::set(port, "event_processor.worker_naptime", "10s");
    until(
        &mut db,
        &format!("SELECT reactions > {passes} FROM event_processor.wake_state()"),
        Duration::from_secs(30),
    );

    let blocks = chain(5, 40, 4);
    let (requests, _) = wake_counts(&mut db);
    let mut slowest = Duration::ZERO;
    for block in &blocks {
        insert_block(&mut db, block);
        slowest = slowest.max(until(
            &mut db,
            &applied(&block.hash),
            Duration::from_secs(5),
        ));
    }
    assert!(
        slowest < Duration::from_millis(500),
        "the slowest of {} blocks was applied {slowest:?} after its COMMIT (nap 10 s)",
        blocks.len()
    );
    assert_eq!(
        wake_counts(&mut db).0,
        requests + blocks.len() as i64,
        "one wake-up per COMMIT"
    );
    assert_eq!(client_dump(&mut db), pure_dump(&blocks));
    let row = db
        .query_one(
            "SELECT blocks_behind, lag_ms, last_reaction_ms FROM event_processor.status()",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
    assert_eq!(row.get::<_, Option<f64>>(1), Some(0.0));
    let reaction: f64 = row.get(2);
    assert!(
        reaction > 0.0 && reaction < 500.0,
        "last reaction {reaction} ms"
    );

    // An aborted indexer transaction: no wake-up asked for, no lag, nothing applied.
    let (requests, _) = wake_counts(&mut db);
    let last = blocks.last().unwrap();
    db.batch_execute(&format!(
        "BEGIN;
         INSERT INTO starknet_blocks VALUES ({}, '0xab047ed', '{}', 1, 'MINED');
         ROLLBACK;",
        last.number + 1,
        last.hash
    ))
    .unwrap();
    assert_eq!(wake_counts(&mut db).0, requests, "the abort woke nobody");
    let row = db
        .query_one(
            "SELECT lag_ms, blocks_behind, (SELECT count(*) FROM event_processor.applied_blocks)
               FROM event_processor.status()",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, Option<f64>>(0), Some(0.0));
    assert_eq!(row.get::<_, i64>(1), 0);
    assert_eq!(row.get::<_, i64>(2), blocks.len() as i64);
}

/// A server setting (ALTER SYSTEM, reloaded) for the life of the value, reset when dropped,
/// also when the test fails.
struct ServerSetting {
    admin: Client,
    name: &'static str,
}

impl ServerSetting {
    fn set(port: u16, name: &'static str, value: &str) -> Self {
        let mut admin = connect("postgres", port);
        // ALTER SYSTEM cannot run in the implicit transaction of a multi-statement query.
        admin
            .batch_execute(&format!("ALTER SYSTEM SET {name} = '{value}'"))
            .unwrap();
        admin.batch_execute("SELECT pg_reload_conf()").unwrap();
        ServerSetting { admin, name }
    }
}

impl Drop for ServerSetting {
    fn drop(&mut self) {
        let reset = format!("ALTER SYSTEM RESET {}", self.name);
        if let Err(e) = self
            .admin
            .batch_execute(&reset)
            .and_then(|_| self.admin.batch_execute("SELECT pg_reload_conf()"))
        {
            eprintln!("{reset}: {e}");
        }
    }
}

/// Four indexer sessions race 10,000 blocks (after the first), one transaction each, so their
/// COMMITs arrive out of chain order; the worker is terminated in the middle of the burst. Every block is
/// applied exactly once, in chain order, and the state equals processing by hand.
#[test]
fn racing_indexer_sessions_and_a_worker_restart_lose_and_double_nothing() {
    const BLOCKS: usize = 10_000;
    let (_serving, mut db, port) = serve_database("mode = worker");
    // Every insert into the ledger, in the order the worker's transactions made them.
    db.batch_execute(
        "CREATE TABLE public.ledger_audit (seq bigserial PRIMARY KEY, block_number numeric);
         CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN INSERT INTO public.ledger_audit (block_number) VALUES (NEW.block_number); RETURN NULL; END $$;
         CREATE TRIGGER audit AFTER INSERT ON event_processor.applied_blocks
             FOR EACH ROW EXECUTE FUNCTION public.audit();",
    )
    .unwrap();
    let blocks = std::sync::Arc::new(chain(9, BLOCKS, 100));
    // The chain starts at the first block the extension applies (nothing tells it where the
    // indexer started), so the first block is committed before the race.
    insert_block(&mut db, &blocks[0]);
    until(&mut db, &applied(&blocks[0].hash), Duration::from_secs(30));
    let next = std::sync::Arc::new(AtomicUsize::new(1));
    let sessions: Vec<_> = (0..4)
        .map(|_| {
            let (blocks, next) = (blocks.clone(), next.clone());
            std::thread::spawn(move || {
                let mut session = connect("ep_worker", port);
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(block) = blocks.get(i) else { break };
                    insert_block(&mut session, block);
                }
            })
        })
        .collect();
    let pid_of = |db: &mut Client| -> Option<i32> {
        db.query_one("SELECT worker_pid FROM event_processor.status()", &[])
            .unwrap()
            .get(0)
    };
    let first_pid = pid_of(&mut db).expect("the worker runs");
    until(
        &mut db,
        &format!(
            "SELECT count(*) >= {} FROM event_processor.applied_blocks",
            BLOCKS / 2
        ),
        Duration::from_secs(120),
    );
    db.batch_execute(&format!("SELECT pg_terminate_backend({first_pid})"))
        .unwrap();
    for session in sessions {
        session.join().expect("indexer session");
    }
    until(
        &mut db,
        &format!("SELECT count(*) = {BLOCKS} FROM event_processor.applied_blocks"),
        Duration::from_secs(180),
    );
    let restarted = pid_of(&mut db);
    assert!(
        restarted.is_some() && restarted != Some(first_pid),
        "restarted: {restarted:?}"
    );

    let audit = db
        .query_one(
            "SELECT count(*), count(DISTINCT block_number),
                    bool_and(block_number = first_block + seq - first_seq)
               FROM (SELECT seq, block_number, min(seq) OVER () AS first_seq,
                            min(block_number) OVER () AS first_block FROM public.ledger_audit) a",
            &[],
        )
        .unwrap();
    assert_eq!(
        audit.get::<_, i64>(0),
        BLOCKS as i64,
        "each block recorded once"
    );
    assert_eq!(audit.get::<_, i64>(1), BLOCKS as i64);
    assert!(audit.get::<_, bool>(2), "in chain order");
    assert_every_event_applied_once(&mut db);
    assert!(count(&mut db, "SELECT count(*) FROM events") > 100);
    assert_eq!(client_dump(&mut db), pure_dump(&blocks));
    assert_eq!(
        count(
            &mut db,
            "SELECT coalesce(blocks_behind, -1) FROM event_processor.status()"
        ),
        0
    );

    // Idle: the nap (100 ms here) runs its read-only check and nothing else, no pass and no
    // write to the worker's row.
    until(
        &mut db,
        "SELECT worker_state = 'idle' FROM event_processor.status()",
        Duration::from_secs(30),
    );
    let quiet = |db: &mut Client| -> (String, i64) {
        let row = db
            .query_one(
                "SELECT (SELECT xmin::text FROM event_processor.worker_status), reactions
                   FROM event_processor.wake_state()",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    let before = quiet(&mut db);
    // The first reading counts as one: six readings that went down are five naps.
    let (mut naps, mut last) = (0, f64::MAX);
    let deadline = Instant::now() + Duration::from_secs(30);
    while naps < 6 {
        assert!(Instant::now() < deadline, "the worker naps ({naps} seen)");
        let since: f64 = db
            .query_one(
                "SELECT seconds_since_active FROM event_processor.wake_state()",
                &[],
            )
            .unwrap()
            .get(0);
        if since < last {
            naps += 1;
        }
        last = since;
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(quiet(&mut db), before, "five naps: no pass, no write");
}
