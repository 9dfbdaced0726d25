//! Errors of processing a block or a driver event, above the level of one event.

use crate::protocol::{ProcessError, StoreError};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProcessorError {
    #[error("block {0} is not in starknet_blocks and no events carry its hash")]
    UnknownBlock(String),
    #[error("block {number} ({hash}) is REVERTED; its events are not canonical")]
    Reverted { number: u64, hash: String },
    #[error(
        "block {number} ({hash}) cannot be applied before its parent {parent_number} ({parent_hash}); \
         process the parent first"
    )]
    ParentNotApplied {
        number: u64,
        hash: String,
        parent_number: u64,
        parent_hash: String,
        /// The parent is above the applied chain: pending itself, committed after the caller
        /// listed the pending blocks (each statement has its own snapshot).
        parent_pending: bool,
    },
    #[error(
        "block {number} ({hash}) waits for its parent {parent_hash}: no block is indexed at \
         height {} yet, and blocks are applied in chain order",
        number - 1
    )]
    ParentNotIndexed {
        number: u64,
        hash: String,
        parent_hash: String,
    },
    #[error("block {number} ({hash}) conflicts with block {applied_hash}, already applied at that height; revert it first")]
    HeightTaken {
        number: u64,
        hash: String,
        applied_hash: String,
    },
    #[error(
        "block {number} ({hash}), vault {vault}: {column} is {value}, not an integer in range"
    )]
    BadEventColumn {
        number: u64,
        hash: String,
        vault: String,
        column: &'static str,
        value: String,
    },
    #[error("{0} is not a block height (an integer from 0 to 2^64 - 1)")]
    BadHeight(String),
    #[error("block {0} was never applied; there is nothing to revert")]
    NotApplied(String),
    #[error("block {number} ({hash}) is not the newest applied block; revert these first, newest first: {newer}")]
    NewerBlocksApplied {
        number: u64,
        hash: String,
        newer: String,
    },
    #[error(
        "block {number} ({hash}) is deeper than event_processor.finality_depth ({depth} blocks) \
         and its journal was pruned; it cannot be reverted"
    )]
    JournalPruned {
        number: u64,
        hash: String,
        depth: u64,
    },
    #[error(
        "block {number} ({hash}) left the chain but block {child_number} ({child_hash}) applied on \
         top of it is still MINED; mark it REVERTED first"
    )]
    ChildStillCanonical {
        number: u64,
        hash: String,
        child_number: u64,
        child_hash: String,
    },
    #[error("driver event {id} ({kind}): {field} is NULL")]
    DriverEventIncomplete {
        id: i64,
        kind: String,
        field: &'static str,
    },
    #[error(
        "table public.{0} does not exist; create it or run event_processor.create_indexer_tables()"
    )]
    MissingInputTable(crate::store::catalog::InputTable),
    #[error("processing is not halted at block {0}: no open failure (see event_processor.failed_blocks)")]
    NotHalted(String),
    #[error("processing is halted at {halt}, not at block {hash}; retry or skip that block first")]
    HaltedElsewhere { hash: String, halt: String },
    #[error(transparent)]
    Event(#[from] ProcessError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ProcessorError {
    /// The block must wait for a parent that is not applied yet but will be: not indexed yet
    /// (a gap in the chain), or pending above the applied chain. Nothing of it was written.
    pub fn is_wait(&self) -> bool {
        matches!(
            self,
            ProcessorError::ParentNotIndexed { .. }
                | ProcessorError::ParentNotApplied {
                    parent_pending: true,
                    ..
                }
        )
    }
}
