//! The background worker (loaded through shared_preload_libraries): applies whatever the
//! trigger path left pending, in batches of blocks per transaction, and keeps up afterwards.
//!
//! Each wake-up: revert applied blocks that left the chain (newest first); unless processing
//! is halted at a failed block, apply pending MINED blocks in chain order, `worker_max_blocks`
//! per transaction, then pending driver events. A block that fails becomes the halt.
//! Every unit of work is its own transaction and takes the processors' advisory lock, so the
//! trigger path, manual calls and the worker never apply a block twice.

mod status;

use crate::processor::{process_next_driver_event, Processor, ProcessorError};
use crate::settings;
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, SignalWakeFlags};
use pgrx::prelude::*;
use std::time::{Duration, Instant};

use status::{record_error, WorkerCounters};

const NAME: &str = "event_processor worker";

/// SIGTERM seen. pgrx's `sigterm_received()` clears its flag when read, so the first
/// sighting is kept here for every later check (between blocks, and in the main loop).
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn stopping() -> bool {
    use std::sync::atomic::Ordering;
    if BackgroundWorker::sigterm_received() {
        STOPPING.store(true, Ordering::SeqCst);
    }
    STOPPING.load(Ordering::SeqCst)
}

/// Registers the worker; only possible while shared_preload_libraries is processed.
pub fn register() {
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        return;
    }
    BackgroundWorkerBuilder::new(NAME)
        .set_function("event_processor_worker_main")
        .set_library("event_processor")
        .enable_spi_access()
        // Restarted after a crash, a failed connection (database not created yet) or
        // pg_terminate_backend (which exits non-zero on purpose, below).
        .set_restart_time(Some(Duration::from_secs(settings::WORKER_RESTART_SECONDS)))
        .load();
}

/// Runs `f` as its own transaction: committed on `Ok`, rolled back on `Err` or on an ERROR
/// (which pgrx turns into a panic after flushing PostgreSQL's error state).
fn in_transaction<R>(f: impl FnOnce() -> Result<R, String>) -> Result<R, String> {
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
    }
    let result = PgTryBuilder::new(std::panic::AssertUnwindSafe(f))
        .catch_others(|caught| Err(describe(caught)))
        .execute();
    unsafe {
        if result.is_ok() {
            pg_sys::PopActiveSnapshot();
            pg_sys::CommitTransactionCommand();
        } else {
            // As PostgresMain does after an error: release locks, snapshots and memory.
            pg_sys::AbortCurrentTransaction();
            pg_sys::MemoryContextSwitchTo(pg_sys::TopMemoryContext);
        }
    }
    result
}

fn describe(caught: pg_sys::panic::CaughtError) -> String {
    match caught {
        pg_sys::panic::CaughtError::PostgresError(report)
        | pg_sys::panic::CaughtError::ErrorReport(report) => report.message().to_string(),
        pg_sys::panic::CaughtError::RustPanic { ereport, .. } => ereport.message().to_string(),
    }
}

fn with_processor<R>(
    f: impl FnOnce(&mut Processor) -> Result<R, ProcessorError>,
) -> Result<R, String> {
    in_transaction(|| crate::api::with_processor(f).map_err(|e| e.to_string()))
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn event_processor_worker_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let database = settings::worker_database();
    // FATAL (and a restart after WORKER_RESTART_SECONDS) if the database does not exist yet.
    BackgroundWorker::connect_worker_to_spi(Some(&database), None);
    log!("{NAME} started in database {database}");
    let mut announced = false;
    loop {
        if BackgroundWorker::sighup_received() {
            // Reload outside the signal handler.
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
        }
        if settings::WORKER_ENABLED.get() && installed() {
            if !announced {
                announced = in_transaction(|| status::started().map_err(|e| e.to_string())).is_ok();
            }
            wake_up();
        }
        if stopping() {
            break;
        }
        let nap = Duration::from_millis(settings::WORKER_NAPTIME_MS.get().max(10) as u64);
        // false: SIGTERM arrived while waiting (or the postmaster died).
        if !BackgroundWorker::wait_latch(Some(nap)) || stopping() {
            break;
        }
    }
    let _ = in_transaction(|| status::set_state("stopped").map_err(|e| e.to_string()));
    log!("{NAME} stopping at a block boundary");
    // Exit non-zero so that the postmaster restarts a worker that pg_terminate_backend
    // stopped; at server shutdown it is not restarted anyway.
    unsafe { pg_sys::proc_exit(1) };
}

/// Whether the extension is installed in this database (the worker may start before it).
fn installed() -> bool {
    in_transaction(|| {
        Ok(Spi::get_one::<bool>(
            "SELECT to_regclass('event_processor.worker_status') IS NOT NULL
                AND to_regclass('public.starknet_blocks') IS NOT NULL
                AND to_regclass('public.events') IS NOT NULL",
        )
        .ok()
        .flatten()
        .unwrap_or(false))
    })
    .unwrap_or(false)
}

/// Hashes returned by `sql` (one text column), read in their own transaction.
fn hashes(sql: &str, limit: i32) -> Vec<String> {
    in_transaction(|| {
        Ok(Spi::connect(|client| {
            client
                .select(sql, None, &[limit.into()])
                .map(|rows| {
                    rows.filter_map(|r| r.get::<String>(1).ok().flatten())
                        .collect()
                })
                .unwrap_or_default()
        }))
    })
    .unwrap_or_default()
}

/// Applied blocks whose row is no longer a MINED block (REVERTED while the trigger path was
/// off, deleted, or re-used for another hash), newest first. Only blocks that still have a
/// journal can be reverted, so only those (about finality_depth of them) are checked.
fn left_chain() -> Vec<String> {
    hashes(
        "SELECT a.block_hash::text FROM event_processor.applied_blocks a
          WHERE NOT a.journal_pruned
            AND NOT EXISTS (SELECT 1 FROM public.starknet_blocks b
                             WHERE b.block_hash = a.block_hash AND b.status = 'MINED')
          ORDER BY a.block_number DESC LIMIT $1",
        1000,
    )
}

fn driver_queue_exists() -> bool {
    in_transaction(|| {
        Ok(
            Spi::get_one::<bool>("SELECT to_regclass('public.driver_events') IS NOT NULL")
                .ok()
                .flatten()
                .unwrap_or(false),
        )
    })
    .unwrap_or(false)
}

fn wake_up() {
    let started = Instant::now();
    let mut batch = WorkerCounters::default();
    for hash in left_chain() {
        if stopping() {
            return;
        }
        let result = with_processor(|p| {
            let outcomes = p.revert_left_chain(&hash)?;
            let events = outcomes.iter().map(|o| o.events as i64).sum();
            status::count(WorkerCounters {
                blocks_reverted: outcomes.len() as i64,
                events_reverted: events,
                ..Default::default()
            })?;
            Ok(outcomes)
        });
        match result {
            Ok(outcomes) => {
                batch.blocks_reverted += outcomes.len() as i64;
                batch.events_reverted += outcomes.iter().map(|o| o.events as i64).sum::<i64>();
            }
            Err(e) => return fail(&hash, e),
        }
    }
    // A failed block halts processing until an operator retries or skips it (a block that
    // left the chain no longer does).
    let halt = in_transaction(|| {
        crate::api::with_processor(|p| {
            p.resolve_failures_left_chain()?;
            p.halt()
        })
        .map_err(|e| e.to_string())
    });
    match halt {
        Ok(None) => {}
        Ok(Some(_)) => {
            let _ = in_transaction(|| status::set_state("halted").map_err(|e| e.to_string()));
            return;
        }
        Err(e) => return fail("failed_blocks", e),
    }
    let limit = settings::WORKER_MAX_BLOCKS.get().max(1);
    while !stopping() {
        let result = with_processor(|p| {
            let applied = p.process_pending(limit as i64)?;
            status::count(WorkerCounters {
                blocks_applied: applied.blocks as i64,
                events_applied: applied.events as i64,
                ..Default::default()
            })?;
            Ok(applied)
        });
        match result {
            Ok(applied) => {
                batch.blocks_applied += applied.blocks as i64;
                batch.events_applied += applied.events as i64;
                for w in &applied.warnings {
                    pgrx::warning!("{NAME}: {w}");
                }
                if applied.blocks < limit as usize {
                    break;
                }
            }
            // The batch rolled back whole; apply its blocks one by one so those before the
            // bad block land and the error names the block.
            Err(_) => {
                if let Err((hash, e)) = apply_one_by_one(limit, &mut batch) {
                    return fail(&hash, e);
                }
            }
        }
    }
    if driver_queue_exists() {
        while !stopping() {
            match with_processor(process_next_driver_event) {
                Ok(Some(outcome)) => log!("{NAME}: {}", outcome.summary),
                Ok(None) => break,
                Err(e) => return fail("driver event", e),
            }
        }
    }
    let _ = in_transaction(|| status::set_state("idle").map_err(|e| e.to_string()));
    if batch.blocks_applied + batch.blocks_reverted > 0 {
        let seconds = started.elapsed().as_secs_f64();
        log!(
            "{NAME}: applied {} blocks ({} events), reverted {} blocks in {:.3} s ({:.0} events/s)",
            batch.blocks_applied,
            batch.events_applied,
            batch.blocks_reverted,
            seconds,
            batch.events_applied as f64 / seconds.max(1e-9)
        );
    }
}

/// Applies pending blocks one transaction each, up to the first failure, which is recorded
/// in `failed_blocks` (the halt) in the transaction that rolled the block back.
fn apply_one_by_one(limit: i32, batch: &mut WorkerCounters) -> Result<(), (String, String)> {
    use crate::api::failure::{deferring, halt_at};
    // MINED blocks above the newest applied one, in chain order (Plan::PendingBlocks).
    let pending = with_processor(|p| p.pending_blocks(limit as i64)).unwrap_or_default();
    for hash in pending {
        if stopping() {
            break;
        }
        let result = in_transaction(|| {
            Ok(deferring(&hash, "worker", |p| {
                let outcome = p.process_block(&hash)?;
                status::count(WorkerCounters {
                    blocks_applied: 1,
                    events_applied: outcome.report.applied as i64,
                    ..Default::default()
                })?;
                Ok(outcome)
            })
            .map_err(|deferred| {
                halt_at(&deferred.failure);
                deferred.failure.message
            }))
        });
        match result.and_then(|r| r) {
            Ok(outcome) if !outcome.already_applied => {
                batch.blocks_applied += 1;
                batch.events_applied += outcome.report.applied as i64;
                for w in &outcome.report.warnings {
                    pgrx::warning!("{NAME}: {w}");
                }
            }
            Ok(_) => {}
            Err(e) => return Err((hash, e)),
        }
    }
    Ok(())
}

/// A failure stops the wake-up: the block stays pending (nothing of it was committed), the
/// error is logged and recorded for status(). A failing block is also the halt (above); other
/// failures (a lost connection, a missing table) are retried at the next wake-up.
fn fail(at: &str, error: String) {
    pgrx::warning!("{NAME}: {at}: {error}");
    let _ = in_transaction(|| record_error(at, &error).map_err(|e| e.to_string()));
}
