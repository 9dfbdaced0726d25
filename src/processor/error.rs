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
    #[error(
        "driver event {id} ({kind}) for block {block_hash}: reverting blocks is not supported yet"
    )]
    RevertNotSupported {
        id: i64,
        kind: String,
        block_hash: String,
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
    #[error(transparent)]
    Event(#[from] ProcessError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
