//! Reverting: `revert_block`, `revert_to`, `prune_journal`, and the trigger's entry point.

use super::error::raise;
use crate::processor::RevertOutcome;
use crate::settings;
use crate::transaction::with_processor;
use pgrx::prelude::*;
use pgrx::AnyNumeric;

fn report(outcome: &RevertOutcome) {
    pgrx::notice!(
        "event_processor: reverted block {} ({}): {} events, {} rows restored",
        outcome.number,
        outcome.hash,
        outcome.events,
        outcome.rows
    );
}

/// Undoes block `block_hash` exactly (spec §4): it must be the newest applied block. Returns
/// the number of events reverted.
#[pg_extern(schema = "event_processor")]
fn revert_block(block_hash: &str) -> i32 {
    match with_processor(|p| p.revert_block(block_hash)) {
        Ok(outcome) => {
            report(&outcome);
            outcome.events as i32
        }
        Err(e) => raise(e, "revert_block"),
    }
}

/// Reverts applied blocks newest-first down to, not including, height `block_number`.
/// Returns the number of blocks reverted.
#[pg_extern(schema = "event_processor")]
fn revert_to(block_number: AnyNumeric) -> i32 {
    let number: u64 = block_number.to_string().parse().unwrap_or_else(|_| {
        raise(
            crate::processor::ProcessorError::BadHeight(block_number.to_string()),
            "revert_to",
        )
    });
    match with_processor(|p| p.revert_to(number)) {
        Ok(outcomes) => {
            outcomes.iter().for_each(report);
            outcomes.len() as i32
        }
        Err(e) => raise(e, "revert_to"),
    }
}

/// Deletes the journals of blocks deeper than `event_processor.finality_depth` below the
/// newest applied block (processing does this as it goes). Returns how many blocks it pruned.
#[pg_extern(schema = "event_processor")]
fn prune_journal() -> i32 {
    let outcome = with_processor(|p| match p.newest_applied()? {
        Some(newest) => p.prune_journal(newest),
        None => Ok(0),
    });
    match outcome {
        Ok(n) => n as i32,
        Err(e) => raise(e, "prune_journal"),
    }
}

/// Called by the triggers on starknet_blocks when a block leaves the canonical chain; in worker
/// mode it only has the worker woken when the transaction commits.
#[pg_extern(schema = "event_processor")]
pub fn revert_block_from_trigger(block_hash: &str) {
    if settings::worker_mode() {
        return crate::worker::wake_at_commit();
    }
    let reverted = with_processor(|p| {
        let outcomes = p.revert_left_chain(block_hash)?;
        // A failed block that left the chain no longer halts processing.
        p.resolve_failures_left_chain()?;
        Ok(outcomes)
    });
    match reverted {
        Ok(outcomes) => outcomes.iter().for_each(report),
        Err(e) => raise(e, "revert_block_from_trigger"),
    }
}
