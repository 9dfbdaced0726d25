//! Processing entry points: `process_block` (by number or hash), the block trigger's
//! function, and the driver-event step behind `CALL event_processor.process_driver_events()`.

use super::error::raise;
use crate::processor::{BlockOutcome, Processor, ProcessorError};
use crate::protocol::Warning;
use crate::settings::{self, FailurePolicy};
use crate::transaction::{deferring, halt_at, with_processor};
use pgrx::prelude::*;
use pgrx::AnyNumeric;

fn report_warnings(warnings: &[Warning]) {
    for w in warnings {
        pgrx::warning!("event_processor: {w}");
    }
}

fn finish_block(outcome: Result<BlockOutcome, ProcessorError>, function: &'static str) -> i32 {
    match outcome {
        Ok(o) if o.already_applied => {
            pgrx::notice!(
                "event_processor: block {} ({}) is already applied; nothing to do",
                o.number,
                o.hash
            );
            0
        }
        Ok(o) => {
            report_warnings(&o.report.warnings);
            o.report.applied as i32
        }
        Err(e) => raise(e, function),
    }
}

/// Applies every canonical event of the block with this hash; returns the number of events
/// applied (0, with a NOTICE, if the block was applied before).
#[pg_extern(name = "process_block", schema = "event_processor")]
fn process_block_by_hash(block_hash: &str) -> i32 {
    finish_block(
        with_processor(|p| p.process_block(block_hash)),
        "process_block",
    )
}

/// Applies the MINED block at this height (see `process_block(text)`).
#[pg_extern(name = "process_block", schema = "event_processor")]
fn process_block_by_number(block_number: AnyNumeric) -> i32 {
    let number = block_number.to_string();
    let outcome = with_processor(|p| {
        let block = p
            .block_by_number(&number)?
            .ok_or_else(|| ProcessorError::UnknownBlock(number.clone()))?;
        p.process_block(&block.hash)
    });
    finish_block(outcome, "process_block")
}

/// Applies up to `max_blocks` pending MINED blocks (above the newest applied one) in chain
/// order, in the current transaction, writing their state changes as one set: the catch-up
/// path the background worker takes. Returns the blocks and events applied.
#[pg_extern(schema = "event_processor")]
fn process_pending(
    max_blocks: default!(i64, 1000),
) -> TableIterator<'static, (name!(blocks_applied, i64), name!(events_applied, i64))> {
    match with_processor(|p| p.process_pending(max_blocks.max(0))) {
        Ok(batch) => {
            report_warnings(&batch.warnings);
            TableIterator::once((batch.blocks as i64, batch.events as i64))
        }
        Err(e) => raise(e, "process_pending"),
    }
}

/// Called by the deferred trigger on starknet_blocks at the indexer's COMMIT. In worker mode it
/// only has the worker woken when the transaction commits. Inline, while processing is halted
/// at a failed block, or while the block's parent is not indexed yet, the block waits;
/// otherwise `event_processor.failure_policy` decides what a failure does (docs/operations.md "Failure
/// policy").
#[pg_extern(schema = "event_processor")]
pub fn process_block_from_trigger(block_hash: &str) {
    if settings::worker_mode() {
        return crate::worker::wake_at_commit();
    }
    // The halt is read by the same processor call that applies the block: one GUC nest level
    // and one SPI connection per block.
    let step = |p: &mut Processor| match p.halt()? {
        Some(halt) => Ok(TriggerStep::Waits(format!(
            "processing is halted at {halt} (see event_processor.failed_blocks; retry_block() \
             or skip_block() resumes)"
        ))),
        None => match p.process_block_after_pending(block_hash) {
            Err(wait) if wait.is_wait() => Ok(TriggerStep::Waits(wait.to_string())),
            applied => applied.map(TriggerStep::Applied),
        },
    };
    let outcome = match settings::FAILURE_POLICY.get() {
        FailurePolicy::Raise => with_processor(step),
        FailurePolicy::Defer => match deferring(block_hash, "trigger", step) {
            Ok(outcome) => Ok(outcome),
            // Reverted later in the same transaction: nothing to apply, nothing failed.
            Err(deferred) if matches!(deferred.error, Some(ProcessorError::Reverted { .. })) => {
                return
            }
            Err(deferred) => return halt_at(&deferred.failure),
        },
    };
    match outcome {
        Ok(TriggerStep::Waits(why)) => {
            pgrx::notice!("event_processor: block {block_hash} waits: {why}");
            // The worker (if one runs) applies it once it can; status() shows the lag.
            crate::worker::wake_at_commit();
        }
        // Reverted later in the same transaction: nothing to apply.
        Err(ProcessorError::Reverted { .. }) => {}
        Ok(TriggerStep::Applied(o)) if o.already_applied => {}
        Ok(TriggerStep::Applied(o)) => {
            finish_block(Ok(o), "process_block_from_trigger");
        }
        Err(e) => {
            finish_block(Err(e), "process_block_from_trigger");
        }
    }
}

/// What the trigger path did with a block: left it waiting (why), or applied it.
enum TriggerStep {
    Waits(String),
    Applied(BlockOutcome),
}

/// Processes the oldest unprocessed driver event in the current transaction; returns what it
/// did, or NULL when the queue is empty. `CALL event_processor.process_driver_events()` runs
/// it in a loop with one transaction per driver event.
#[pg_extern(schema = "event_processor")]
pub fn process_next_driver_event() -> Option<String> {
    match with_processor(crate::processor::process_next_driver_event) {
        Ok(Some(outcome)) => {
            report_warnings(&outcome.warnings);
            if outcome.unknown_type {
                pgrx::warning!("event_processor: {}", outcome.summary);
            }
            Some(outcome.summary)
        }
        Ok(None) => None,
        Err(e) => raise(e, "process_next_driver_event"),
    }
}
