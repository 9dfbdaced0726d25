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
    },
    #[error("block {number} ({hash}) conflicts with block {applied_hash}, already applied at that height; revert it first")]
    HeightTaken {
        number: u64,
        hash: String,
        applied_hash: String,
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
    MissingInputTable(&'static str),
    #[error("processing is not halted at block {0}: no open failure (see event_processor.failed_blocks)")]
    NotHalted(String),
    #[error("processing is halted at {halt}, not at block {hash}; retry or skip that block first")]
    HaltedElsewhere { hash: String, halt: String },
    #[error(transparent)]
    Event(#[from] ProcessError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
