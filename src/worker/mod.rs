//! The background worker (loaded through shared_preload_libraries): applies blocks in its own
//! transactions, in batches, and keeps up afterwards.
//!
//! It sleeps on its latch. In worker mode the block triggers have the latch set when the
//! indexer's transaction commits (wake.rs), so a pass starts at once; the nap
//! (`worker_naptime`) is a safety net whose check is one read-only transaction.
//!
//! A pass: revert applied blocks that left the chain (newest first); unless processing is
//! halted at a failed block, apply pending MINED blocks in chain order, `worker_max_blocks`
//! per transaction, then pending driver events. A block that fails becomes the halt.
//! Every unit of work is its own transaction and takes the processors' advisory lock, so the
//! trigger path, manual calls and the worker never apply a block twice.

mod status;
pub(crate) mod wake;

pub use wake::at_commit as wake_at_commit;

use crate::processor::{process_next_driver_event, Survey};
use crate::settings;
use crate::transaction::{self, in_transaction, processor_transaction, Unit};
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, SignalWakeFlags};
use pgrx::prelude::*;
use std::time::{Duration, Instant};

use status::{record_error, Reported, WorkerCounters};

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

/// Registers the worker and its wake-up slot; only possible while shared_preload_libraries
/// is processed.
pub fn register() {
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        return;
    }
    wake::init();
    BackgroundWorkerBuilder::new(NAME)
        .set_function("event_processor_worker_main")
        .set_library("event_processor")
        .enable_spi_access()
        // Restarted after a crash, a failed connection (database not created yet) or
        // pg_terminate_backend (which exits non-zero on purpose, below).
        .set_restart_time(Some(Duration::from_secs(settings::WORKER_RESTART_SECONDS)))
        .load();
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn event_processor_worker_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let database = settings::worker_database();
    // FATAL (and a restart after WORKER_RESTART_SECONDS) if the database does not exist yet.
    BackgroundWorker::connect_worker_to_spi(Some(&database), None);
    // The worker's commits need no WAL flush of their own: what it writes is derived from the
    // indexer's rows, which commit synchronously. A crash can lose only its last commits,
    // whose blocks are then pending again and applied anew. Waiting for the flush would
    // lengthen every reaction and compete with the indexer's own commits for the WAL.
    unsafe {
        pg_sys::SetConfigOption(
            c"synchronous_commit".as_ptr(),
            c"off".as_ptr(),
            pg_sys::GucContext::PGC_SUSET,
            pg_sys::GucSource::PGC_S_OVERRIDE,
        )
    };
    wake::announce();
    log!("{NAME} started in database {database}");
    let mut reported = Reported::default();
    // A worker that starts looks for work at once: wake-ups may have been lost while no
    // worker ran.
    let mut woken = Woken::Start;
    loop {
        if BackgroundWorker::sighup_received() {
            // Reload outside the signal handler.
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
        }
        let taken = settings::WORKER_ENABLED
            .get()
            .then(|| react(woken, &mut reported));
        if stopping() {
            break;
        }
        // A COMMIT during the pass may have found its latch reset by one of the backend's own
        // waits: the slot's count says it asked.
        if taken.is_some_and(wake::asked_since) {
            woken = Woken::Latch;
            continue;
        }
        let nap = Duration::from_millis(settings::WORKER_NAPTIME_MS.get().max(10) as u64);
        woken = wait(nap);
        if woken == Woken::Stop {
            break;
        }
    }
    let _ = in_transaction(|| status::set_state("stopped").map_err(|e| e.to_string()));
    log!("{NAME} stopping at a block boundary");
    // Exit non-zero so that the postmaster restarts a worker that pg_terminate_backend
    // stopped; at server shutdown it is not restarted anyway.
    unsafe { pg_sys::proc_exit(1) };
}

/// Why the worker's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Woken {
    Start,
    /// The latch: a COMMIT in worker mode (or a signal).
    Latch,
    /// The nap ran out.
    Nap,
    /// SIGTERM, or the postmaster died.
    Stop,
}

fn wait(nap: Duration) -> Woken {
    let flags = pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_POSTMASTER_DEATH;
    // SAFETY: the worker's own latch. It is reset before the pass that follows reads
    // anything, so a COMMIT after the reset sets it again and is never missed.
    let events = unsafe {
        let events = pg_sys::WaitLatch(
            pg_sys::MyLatch,
            flags as i32,
            nap.as_millis() as std::ffi::c_long,
            pg_sys::PG_WAIT_EXTENSION,
        );
        pg_sys::ResetLatch(pg_sys::MyLatch);
        events as u32
    };
    pg_sys::check_for_interrupts!();
    if events & pg_sys::WL_POSTMASTER_DEATH != 0 || stopping() {
        Woken::Stop
    } else if events & pg_sys::WL_LATCH_SET != 0 {
        Woken::Latch
    } else {
        Woken::Nap
    }
}

/// One wake-up: a pass if a COMMIT asked for one or the nap's check finds work. The COMMIT
/// times the pass covers give the reaction latency, or go back if it left blocks pending.
/// Returns what it took from the slot.
fn react(woken: Woken, reported: &mut Reported) -> wake::Taken {
    wake::active();
    let taken = wake::take();
    if woken == Woken::Nap && !taken.woken() {
        match nap_check() {
            Ok(false) => return taken,
            Ok(true) => {}
            // The pass reports the error.
            Err(_) => {}
        }
    }
    match pass(reported, taken) {
        Pass::CaughtUp => wake::covered(taken),
        Pass::LeftPending => wake::not_covered(taken),
    }
    taken
}

/// Whether the extension and the indexer's tables exist in this database (the worker may
/// start before them). Inside a transaction.
fn installed() -> Result<bool, String> {
    status::installed().map_err(|e| e.to_string())
}

/// The nap's check: one read-only transaction.
fn nap_check() -> Result<bool, String> {
    in_transaction(|| {
        if !installed()? {
            return Ok(false);
        }
        transaction::with_processor(|p| p.has_work()).map_err(|e| e.to_string())
    })
}

/// How a pass ended.
enum Pass {
    /// Nothing is pending any more (as far as this pass could see).
    CaughtUp,
    /// Halted, failed, stopped, not installed, or waiting at a gap in the chain.
    LeftPending,
}

fn pass(reported: &mut Reported, taken: wake::Taken) -> Pass {
    let started = Instant::now();
    let announce = !reported.announced;
    let survey = in_transaction(|| {
        if !installed()? {
            return Ok(None);
        }
        if announce {
            status::started().map_err(|e| e.to_string())?;
        }
        transaction::with_processor(|p| p.survey())
            .map(Some)
            .map_err(|e| e.to_string())
    });
    let survey: Survey = match survey {
        Ok(Some(survey)) => survey,
        Ok(None) => return Pass::LeftPending,
        Err(e) => {
            fail("survey", e);
            return Pass::LeftPending;
        }
    };
    if announce {
        reported.announced = true;
        reported.wrote("idle");
    }
    let mut batch = WorkerCounters::default();
    for hash in &survey.left_chain {
        if stopping() {
            return Pass::LeftPending;
        }
        let result = processor_transaction(|p| {
            let outcomes = p.revert_left_chain(hash)?;
            let events = outcomes.iter().map(|o| o.events as i64).sum();
            status::count(
                WorkerCounters {
                    blocks_reverted: outcomes.len() as i64,
                    events_reverted: events,
                    ..Default::default()
                },
                "catching up",
            )?;
            Ok(outcomes)
        });
        match result {
            Ok(outcomes) => {
                reported.wrote("catching up");
                batch.blocks_reverted += outcomes.len() as i64;
                batch.events_reverted += outcomes.iter().map(|o| o.events as i64).sum::<i64>();
            }
            Err(e) => {
                fail(hash, e);
                return Pass::LeftPending;
            }
        }
    }
    // A failed block halts processing until an operator retries or skips it (a block that
    // left the chain no longer does).
    if survey.halt.is_some() {
        report_state(reported, "halted");
        return Pass::LeftPending;
    }
    let end = match apply_pending(reported, &mut batch) {
        Pass::CaughtUp => apply_driver_events(survey.driver_pending, taken),
        left_pending => left_pending,
    };
    if matches!(end, Pass::CaughtUp) {
        report_state(reported, "idle");
    }
    log_catch_up(&batch, started.elapsed());
    end
}

/// Pending blocks, `worker_max_blocks` per transaction, until none is left. A failing batch
/// is retried block by block, which finds and records the failing block.
fn apply_pending(reported: &mut Reported, batch: &mut WorkerCounters) -> Pass {
    let limit = settings::WORKER_MAX_BLOCKS.get().max(1);
    loop {
        if stopping() {
            return Pass::LeftPending;
        }
        let mut state = "catching up";
        let result = processor_transaction(|p| {
            let applied = p.process_pending(limit as i64)?;
            let done = applied.blocks < limit as usize || applied.waiting.is_some();
            if done {
                state = "idle";
            }
            if applied.blocks > 0 || reported.differs(state) {
                status::count(
                    WorkerCounters {
                        blocks_applied: applied.blocks as i64,
                        events_applied: applied.events as i64,
                        ..Default::default()
                    },
                    state,
                )?;
            }
            Ok(applied)
        });
        match result {
            Ok(applied) => {
                reported.wrote(state);
                batch.blocks_applied += applied.blocks as i64;
                batch.events_applied += applied.events as i64;
                for w in &applied.warnings {
                    pgrx::warning!("{NAME}: {w}");
                }
                if applied.waiting.is_some() {
                    // A gap: the indexer has not committed a block below these yet; its COMMIT
                    // wakes the worker again.
                    return Pass::LeftPending;
                }
                if applied.blocks < limit as usize {
                    return Pass::CaughtUp;
                }
            }
            // The batch rolled back whole; apply its blocks one by one so those before the
            // bad block land and the error names the block.
            Err(_) => {
                if let Err((hash, e)) = apply_one_by_one(limit, batch) {
                    fail(&hash, e);
                    return Pass::LeftPending;
                }
            }
        }
    }
}

/// Pending driver events, one transaction each, until none is left or a COMMIT announced a
/// block: blocks go first (the logger inserts a driver event with every block, and a burst
/// would otherwise keep the worker on driver events while new blocks wait).
fn apply_driver_events(pending: bool, taken: wake::Taken) -> Pass {
    if !pending {
        return Pass::CaughtUp;
    }
    while !stopping() {
        if wake::asked_since(taken) {
            // Its COMMIT set the latch: the next pass starts at once, blocks first.
            return Pass::CaughtUp;
        }
        match processor_transaction(process_next_driver_event) {
            // One per block with the logger (StartBlock): DEBUG1, not the server log.
            Ok(Some(outcome)) => debug1!("{NAME}: {}", outcome.summary),
            Ok(None) => return Pass::CaughtUp,
            Err(e) => {
                fail("driver event", e);
                return Pass::LeftPending;
            }
        }
    }
    Pass::LeftPending
}

/// Writes the state to the worker's row if it changed.
fn report_state(reported: &mut Reported, state: &'static str) {
    if reported.differs(state)
        && in_transaction(|| status::set_state(state).map_err(|e| e.to_string())).is_ok()
    {
        reported.wrote(state);
    }
}

/// A catch-up (not one block's reaction) is logged when it ends.
fn log_catch_up(batch: &WorkerCounters, took: Duration) {
    if batch.blocks_applied + batch.blocks_reverted < 100 && took < Duration::from_secs(1) {
        return;
    }
    let seconds = took.as_secs_f64();
    log!(
        "{NAME}: applied {} blocks ({} events), reverted {} blocks in {:.3} s ({:.0} events/s)",
        batch.blocks_applied,
        batch.events_applied,
        batch.blocks_reverted,
        seconds,
        batch.events_applied as f64 / seconds.max(1e-9)
    );
}

/// Applies pending blocks one transaction each, up to the first failure, which is recorded
/// in `failed_blocks` (the halt) in the transaction that rolled the block back.
fn apply_one_by_one(limit: i32, batch: &mut WorkerCounters) -> Result<(), (String, String)> {
    // MINED blocks above the newest applied one, in chain order (Plan::PendingBlocks).
    let pending = processor_transaction(|p| p.pending_blocks(limit as i64))
        .map_err(|e| ("pending blocks".to_string(), e))?;
    let count = |outcome: &crate::processor::BlockOutcome| {
        status::count(
            WorkerCounters {
                blocks_applied: 1,
                events_applied: outcome.report.applied as i64,
                ..Default::default()
            },
            "catching up",
        )
    };
    let done = transaction::apply_one_by_one(pending, "worker", Unit::Transaction, count, stopping);
    batch.blocks_applied += done.blocks;
    batch.events_applied += done.events;
    for w in &done.warnings {
        pgrx::warning!("{NAME}: {w}");
    }
    done.failed.map_or(Ok(()), Err)
}

/// A failure stops the wake-up: the block stays pending (nothing of it was committed), the
/// error is logged and recorded for status(). A failing block is also the halt (above); other
/// failures (a lost connection, a missing table) are retried at the next wake-up.
fn fail(at: &str, error: String) {
    pgrx::warning!("{NAME}: {at}: {error}");
    let _ = in_transaction(|| record_error(at, &error).map_err(|e| e.to_string()));
}
