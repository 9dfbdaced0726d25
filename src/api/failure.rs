//! The failure policy at the SQL boundary: a block applied inside a subtransaction, so that a
//! failure (a processor error or a PostgreSQL ERROR) rolls back only the block's effects and
//! is recorded instead of failing the caller's transaction; `retry_block`, `skip_block`.

use super::error::{raise, SqlError};
use super::process::with_processor;
use crate::processor::{Failure, Processor, ProcessorError};
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

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
/// EXCEPTION clause does): committed into it on `Ok`, rolled back on `Err` or on an ERROR.
fn in_subtransaction<R>(f: impl FnOnce() -> Result<R, ProcessorError>) -> Result<R, Failed> {
    // SAFETY: the backend's subtransaction API, used as pl_exec.c uses it; memory context and
    // resource owner are restored on both paths.
    unsafe {
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let result = PgTryBuilder::new(std::panic::AssertUnwindSafe(|| {
            f().map_err(|e| Stopped::Failed(Failed::Processor(e)))
        }))
        .catch_others(|caught| {
            let (code, message) = report_of(&caught);
            Err(if code == PgSqlErrorCode::ERRCODE_QUERY_CANCELED {
                Stopped::Cancelled(Box::new(caught))
            } else {
                Stopped::Failed(Failed::Postgres {
                    sqlstate: sqlstate_text(code),
                    message,
                })
            })
        })
        .execute();
        if result.is_ok() {
            pg_sys::ReleaseCurrentSubTransaction();
        } else {
            pg_sys::RollbackAndReleaseCurrentSubTransaction();
        }
        pg_sys::MemoryContextSwitchTo(context);
        pg_sys::CurrentResourceOwner = owner;
        match result {
            Ok(value) => Ok(value),
            Err(Stopped::Failed(failed)) => Err(failed),
            Err(Stopped::Cancelled(caught)) => caught.rethrow(),
        }
    }
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

/// What catching up the blocks held behind a halt did.
#[derive(Debug, Default)]
pub(crate) struct HeldOutcome {
    pub blocks: i64,
    pub events: i64,
}

/// Applies the MINED blocks that waited behind a lifted halt, in chain order, each batch in a
/// subtransaction; a failing block becomes the new halt and the catch-up stops there.
pub(crate) fn apply_held_blocks(found_by: &'static str) -> HeldOutcome {
    const BATCH: i64 = 100;
    let mut outcome = HeldOutcome::default();
    loop {
        match deferring("pending blocks", found_by, |p| p.process_pending(BATCH)) {
            Ok(batch) => {
                outcome.blocks += batch.blocks as i64;
                outcome.events += batch.events as i64;
                if (batch.blocks as i64) < BATCH {
                    return outcome;
                }
            }
            // The batch rolled back whole: one block at a time finds the failing one.
            Err(_) => {
                let hashes = match with_processor(|p| p.pending_blocks(BATCH)) {
                    Ok(hashes) => hashes,
                    Err(e) => raise(e, found_by),
                };
                if hashes.is_empty() {
                    return outcome;
                }
                for hash in hashes {
                    match deferring(&hash, found_by, |p| p.process_block(&hash)) {
                        Ok(block) => {
                            outcome.blocks += 1;
                            outcome.events += block.report.applied as i64;
                        }
                        Err(deferred) => {
                            halt_at(&deferred.failure);
                            return outcome;
                        }
                    }
                }
            }
        }
    }
}

/// Applies the block processing halted at (after the operator fixed its data), lifts the
/// halt and applies the blocks that waited behind it. An error in the block itself is
/// raised and the halt stays. Returns the blocks and events applied.
#[pg_extern(schema = "event_processor")]
fn retry_block(
    block_hash: &str,
) -> TableIterator<'static, (name!(blocks_applied, i64), name!(events_applied, i64))> {
    let block =
        with_processor(|p| p.retry_block(block_hash)).unwrap_or_else(|e| raise(e, "retry_block"));
    let held = apply_held_blocks("retry_block");
    TableIterator::once((1 + held.blocks, block.report.applied as i64 + held.events))
}

/// Passes over the block processing halted at, none of its events applied (recorded in
/// applied_blocks with skipped = true), lifts the halt and applies the blocks that waited
/// behind it. Returns the blocks and events applied after it.
#[pg_extern(schema = "event_processor")]
fn skip_block(
    block_hash: &str,
) -> TableIterator<'static, (name!(blocks_applied, i64), name!(events_applied, i64))> {
    let number =
        with_processor(|p| p.skip_block(block_hash)).unwrap_or_else(|e| raise(e, "skip_block"));
    pgrx::warning!(
        "event_processor: block {number} ({block_hash}) skipped: none of its events are applied"
    );
    let held = apply_held_blocks("skip_block");
    TableIterator::once((held.blocks, held.events))
}
