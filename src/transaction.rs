//! How a unit of work runs, for every caller (the SQL functions, the block triggers, the
//! worker): a processor over SPI with the extension's settings in a GUC nest level; in a
//! transaction of its own (the worker) or in a subtransaction of the caller's (the failure
//! policy: a failing block rolls back alone and is recorded); and the fallback from a failed
//! batch to one block per unit, which finds and records the failing block.

use crate::api::error::{raise, SqlError};
use crate::processor::{BlockOutcome, Failure, Processor, ProcessorError};
use crate::settings;
use crate::store::SpiStore;
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

/// Runs `f` with a processor over SPI, with four settings changed in a GUC nest level
/// (as a function's SET clause does: the caller's values are back afterwards, and on error
/// by the abort). The planner settings were measured (BENCHMARKS.md):
/// * `plan_cache_mode = force_generic_plan`: under `auto`, statements with array parameters
///   are re-planned on every call (their generic estimate of 10 unnest rows always looks
///   worse than the custom one);
/// * `enable_seqscan = off`: the kept plans are made while the state tables are young and
///   small, and a sequential scan chosen then is kept as the table grows, turning key
///   lookups quadratic. Every statement here has an index path.
/// * `search_path = pg_catalog, pg_temp`: security (docs/operations.md "Roles and grants").
/// * `jit = off`: a statement whose plan carries `enable_seqscan = off`'s disable cost (an
///   input table without the index it needs) crosses `jit_above_cost`, and LLVM would compile
///   it on every execution (1.5 ms per empty block, 210 ms per block with events, measured).
pub(crate) fn with_processor<R>(
    f: impl FnOnce(&mut Processor) -> Result<R, ProcessorError>,
) -> Result<R, ProcessorError> {
    with_settings(
        &[
            (c"plan_cache_mode", c"force_generic_plan"),
            (c"enable_seqscan", c"off"),
            (c"jit", c"off"),
            // Every statement names its tables with their schema, and with this path functions
            // and operators resolve in pg_catalog first: a caller's search_path cannot hijack
            // them.
            (c"search_path", c"pg_catalog, pg_temp"),
        ],
        pg_sys::GucContext::PGC_USERSET,
        || {
            Spi::connect(|client| {
                let mut processor = Processor::new(SpiStore::new(client), settings::processing());
                let result = f(&mut processor)?;
                // Nothing cached may outlive the call: what a step left unflushed is written now.
                processor.flush()?;
                Ok(result)
            })
        },
    )
}

/// Runs `f` with `settings` changed in a GUC nest level, as a function's SET clause does: the
/// caller's values are back afterwards, and on error by the abort. `context` is the privilege
/// the settings need (PGC_SUSET ones only for a superuser).
pub(crate) fn with_settings<R>(
    settings: &[(&std::ffi::CStr, &std::ffi::CStr)],
    context: pg_sys::GucContext::Type,
    f: impl FnOnce() -> R,
) -> R {
    // SAFETY: backend GUC calls inside a transaction; the nest level is closed below, or by
    // the transaction abort an ERROR causes.
    let level = unsafe { pg_sys::NewGUCNestLevel() };
    for (name, value) in settings {
        let applied = unsafe {
            pg_sys::set_config_option(
                name.as_ptr(),
                value.as_ptr(),
                context,
                pg_sys::GucSource::PGC_S_SESSION,
                pg_sys::GucAction::GUC_ACTION_SAVE,
                true,
                0,
                false,
            )
        };
        debug_assert!(applied > 0, "{name:?} = {value:?} was not applied");
    }
    let result = f();
    unsafe { pg_sys::AtEOXact_GUC(true, level) };
    result
}

/// Runs `f` as its own transaction: committed on `Ok`, rolled back on `Err` or on an ERROR
/// (which pgrx turns into a panic after flushing PostgreSQL's error state).
pub(crate) fn in_transaction<R>(f: impl FnOnce() -> Result<R, String>) -> Result<R, String> {
    unsafe {
        pg_sys::SetCurrentStatementStartTimestamp();
        pg_sys::StartTransactionCommand();
        pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot());
    }
    let result = PgTryBuilder::new(std::panic::AssertUnwindSafe(f))
        .catch_others(|caught| Err(report_of(&caught).1))
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

/// `with_processor` as a transaction of its own (the worker's unit of work).
pub(crate) fn processor_transaction<R>(
    f: impl FnOnce(&mut Processor) -> Result<R, ProcessorError>,
) -> Result<R, String> {
    in_transaction(|| with_processor(f).map_err(|e| e.to_string()))
}

/// The five-character SQLSTATE of `code`.
fn sqlstate_text(code: PgSqlErrorCode) -> String {
    // SAFETY: unpack_sql_state returns a pointer to a static buffer holding a C string.
    unsafe { std::ffi::CStr::from_ptr(pg_sys::unpack_sql_state(code as i32)) }
        .to_string_lossy()
        .into_owned()
}

/// Why a deferred block did not apply.
enum Failed {
    Processor(ProcessorError),
    Postgres { sqlstate: String, message: String },
}

/// What ended the subtransaction early.
enum Stopped {
    Failed(Failed),
    /// A query cancel (statement_timeout, pg_cancel_backend): not the block's fault, so it is
    /// raised again once the subtransaction is rolled back, as PL/pgSQL's WHEN OTHERS does.
    Cancelled(Box<CaughtError>),
}

/// The SQLSTATE and message of a caught ERROR.
fn report_of(caught: &CaughtError) -> (PgSqlErrorCode, String) {
    match caught {
        CaughtError::PostgresError(r) | CaughtError::ErrorReport(r) => {
            (r.sql_error_code(), r.message().to_string())
        }
        CaughtError::RustPanic { ereport, .. } => {
            (ereport.sql_error_code(), ereport.message().to_string())
        }
    }
}

/// Runs `f` in a subtransaction of the current transaction (as a PL/pgSQL block with an
/// EXCEPTION clause does): kept if `keep` says so of its result, else rolled back; an ERROR
/// rolls it back too, and `caught` turns the error into the result.
fn subtransaction<R>(
    f: impl FnOnce() -> R,
    keep: impl FnOnce(&R) -> bool,
    mut caught: impl FnMut(CaughtError) -> R + std::panic::UnwindSafe + std::panic::RefUnwindSafe,
) -> R {
    // SAFETY: the backend's subtransaction API, used as pl_exec.c uses it; memory context and
    // resource owner are restored on both paths.
    unsafe {
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let (result, kept) = PgTryBuilder::new(std::panic::AssertUnwindSafe(|| {
            let result = f();
            let kept = keep(&result);
            (result, kept)
        }))
        .catch_others(move |error| (caught(error), false))
        .execute();
        if kept {
            pg_sys::ReleaseCurrentSubTransaction();
        } else {
            pg_sys::RollbackAndReleaseCurrentSubTransaction();
        }
        pg_sys::MemoryContextSwitchTo(context);
        pg_sys::CurrentResourceOwner = owner;
        result
    }
}

/// Runs `f` in a subtransaction: committed into the transaction on `Ok`, rolled back on `Err`
/// or on an ERROR (described; a query cancel is raised again once rolled back).
fn in_subtransaction<R>(f: impl FnOnce() -> Result<R, ProcessorError>) -> Result<R, Failed> {
    let result = subtransaction(
        || f().map_err(|e| Stopped::Failed(Failed::Processor(e))),
        Result::is_ok,
        |caught| {
            let (code, message) = report_of(&caught);
            Err(if code == PgSqlErrorCode::ERRCODE_QUERY_CANCELED {
                Stopped::Cancelled(Box::new(caught))
            } else {
                Stopped::Failed(Failed::Postgres {
                    sqlstate: sqlstate_text(code),
                    message,
                })
            })
        },
    );
    match result {
        Ok(value) => Ok(value),
        Err(Stopped::Failed(failed)) => Err(failed),
        Err(Stopped::Cancelled(caught)) => caught.rethrow(),
    }
}

/// Runs `f` in a subtransaction that is kept if it returns `Ok`: an attempt at a fast way
/// that a unique violation refutes. Such an ERROR rolls it back and returns `Ok(false)`;
/// `Err` rolls it back too; any other ERROR is raised again once rolled back.
pub(crate) fn unless_duplicate<E>(f: impl FnOnce() -> Result<(), E>) -> Result<bool, E> {
    subtransaction(
        || f().map(|()| true),
        Result::is_ok,
        |caught| {
            if report_of(&caught).0 == PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION {
                Ok(false)
            } else {
                caught.rethrow()
            }
        },
    )
}

/// A block rolled back by `deferring`: the failure to record, and the processor's error if
/// it was one (not a PostgreSQL ERROR).
pub(crate) struct Deferred {
    pub failure: Failure,
    pub error: Option<ProcessorError>,
}

/// Runs `f` over a processor in a subtransaction; a failure is described for
/// `failed_blocks` (at `block_hash`, found by `found_by`).
pub(crate) fn deferring<R>(
    block_hash: &str,
    found_by: &'static str,
    f: impl FnOnce(&mut Processor) -> Result<R, ProcessorError>,
) -> Result<R, Box<Deferred>> {
    in_subtransaction(|| with_processor(f)).map_err(|failed| {
        Box::new(match failed {
            Failed::Processor(e) => Deferred {
                failure: Failure::of_error(block_hash, &e, sqlstate_text(e.sqlstate()), found_by),
                error: Some(e),
            },
            Failed::Postgres { sqlstate, message } => Deferred {
                failure: Failure::at_block(block_hash, sqlstate, message, found_by),
                error: None,
            },
        })
    })
}

/// Records `failure` as the halt (in the caller's transaction) and warns about it.
pub(crate) fn halt_at(failure: &Failure) {
    match with_processor(|p| p.record_failure(failure)) {
        Ok(_) => pgrx::warning!(
            "event_processor: block {} failed and is deferred: {}; processing halts at this block \
             until event_processor.retry_block('{}') or event_processor.skip_block('{}') \
             (see event_processor.failed_blocks)",
            failure.block_hash,
            failure.message,
            failure.block_hash,
            failure.block_hash
        ),
        Err(e) => raise(e, "event_processor failure policy"),
    }
}

/// How each block of `apply_one_by_one` is isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A transaction of its own (the worker, outside any transaction).
    Transaction,
    /// A subtransaction of the caller's transaction (retry_block, skip_block).
    Subtransaction,
}

/// What `apply_one_by_one` did.
#[derive(Debug, Default)]
pub(crate) struct OneByOne {
    pub blocks: i64,
    pub events: i64,
    pub warnings: Vec<crate::protocol::Warning>,
    /// The block that failed (now the halt) and its error.
    pub failed: Option<(String, String)>,
}

/// Applies `hashes` (pending blocks in chain order) one `unit` each, after a batch of them
/// failed: the blocks before the bad one land, and the bad one is recorded as the halt (in the
/// unit that rolled it back) and named. Stops at a block that must wait for its parent, and
/// when `stop` says so. `count` runs inside each block's unit, after the block.
pub(crate) fn apply_one_by_one(
    hashes: Vec<String>,
    found_by: &'static str,
    unit: Unit,
    mut count: impl FnMut(&BlockOutcome) -> Result<(), ProcessorError>,
    stop: impl Fn() -> bool,
) -> OneByOne {
    let mut done = OneByOne::default();
    for hash in hashes {
        if stop() {
            break;
        }
        let mut apply = || {
            deferring(&hash, found_by, |p| {
                let outcome = match p.process_block(&hash) {
                    // A gap in the chain: the blocks from here wait for the missing one.
                    Err(wait) if wait.is_wait() => return Ok(None),
                    other => other?,
                };
                count(&outcome)?;
                Ok(Some(outcome))
            })
            .map_err(|deferred| {
                halt_at(&deferred.failure);
                deferred.failure.message
            })
        };
        let result = match unit {
            Unit::Subtransaction => apply(),
            Unit::Transaction => in_transaction(|| Ok(apply())).and_then(|r| r),
        };
        match result {
            Ok(Some(outcome)) if !outcome.already_applied => {
                done.blocks += 1;
                done.events += outcome.report.applied as i64;
                done.warnings.extend(outcome.report.warnings);
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(message) => {
                done.failed = Some((hash, message));
                break;
            }
        }
    }
    done
}
