//! Lifting the halt: `retry_block`, `skip_block`, and the catch-up of the blocks that waited
//! behind it (the subtransactions are transaction.rs's).

use super::error::raise;
use crate::transaction::{apply_one_by_one, deferring, with_processor, Unit};
use pgrx::prelude::*;

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
                if (batch.blocks as i64) < BATCH || batch.waiting.is_some() {
                    return outcome;
                }
            }
            // The batch rolled back whole: one block at a time finds the failing one.
            Err(_) => {
                let hashes = match with_processor(|p| p.pending_blocks(BATCH)) {
                    Ok(hashes) => hashes,
                    Err(e) => raise(e, found_by),
                };
                let listed = hashes.len();
                let done =
                    apply_one_by_one(hashes, found_by, Unit::Subtransaction, |_| Ok(()), || false);
                outcome.blocks += done.blocks;
                outcome.events += done.events;
                if listed == 0 || done.failed.is_some() || (done.blocks as usize) < listed {
                    return outcome;
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
