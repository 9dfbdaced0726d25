//! Where Rust errors become PostgreSQL errors: each error type chooses its SQLSTATE here, so
//! clients can tell malformed input (class 22) from everything else.

use crate::codec::FeltError;
use crate::events::DecodeError;
use crate::processor::ProcessorError;
use crate::protocol::EventError;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

pub trait SqlError: std::fmt::Display {
    fn sqlstate(&self) -> PgSqlErrorCode;

    fn hint(&self) -> Option<String> {
        None
    }

    fn detail(&self) -> Option<String> {
        None
    }
}

impl SqlError for DecodeError {
    fn sqlstate(&self) -> PgSqlErrorCode {
        use PgSqlErrorCode::*;
        match self {
            DecodeError::Field(f) if matches!(f.source, FeltError::NotHex(_)) => {
                ERRCODE_INVALID_TEXT_REPRESENTATION
            }
            DecodeError::Field(_) => ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
            DecodeError::NullElement { .. } => ERRCODE_NULL_VALUE_NOT_ALLOWED,
            DecodeError::KeyCount { .. }
            | DecodeError::DataCount { .. }
            | DecodeError::SelectorMismatch { .. }
            | DecodeError::Invalid { .. } => ERRCODE_DATA_EXCEPTION,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            DecodeError::SelectorMismatch { .. } => {
                Some("events.event_name does not match the selector in event_keys[1] (positions in messages are 0-based, SQL arrays 1-based)".into())
            }
            _ => None,
        }
    }
}

/// Raises `error` as a PostgreSQL ERROR with its SQLSTATE; never returns.
pub fn raise<E: SqlError>(error: E, function: &'static str) -> ! {
    let mut report = ErrorReport::new(error.sqlstate(), error.to_string(), function);
    if let Some(hint) = error.hint() {
        report = report.set_hint(hint);
    }
    if let Some(detail) = error.detail() {
        report = report.set_detail(detail);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

impl SqlError for EventError {
    fn sqlstate(&self) -> PgSqlErrorCode {
        use PgSqlErrorCode::*;
        match self {
            EventError::Decode(e) => e.sqlstate(),
            EventError::BadRow { .. } | EventError::Inconsistent { .. } => ERRCODE_DATA_EXCEPTION,
            EventError::MissingParent { .. } => ERRCODE_FOREIGN_KEY_VIOLATION,
            EventError::Store(_) => ERRCODE_INTERNAL_ERROR,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            EventError::Decode(e) => e.hint(),
            EventError::MissingParent { .. } => Some(
                "SET event_processor.strict = off skips such events with a WARNING (spec R6)"
                    .into(),
            ),
            EventError::Inconsistent { .. } => Some(
                "the state tables disagree with the event stream; check the events of this vault"
                    .into(),
            ),
            _ => None,
        }
    }
}

impl SqlError for ProcessorError {
    fn sqlstate(&self) -> PgSqlErrorCode {
        use PgSqlErrorCode::*;
        match self {
            ProcessorError::UnknownBlock(_) => ERRCODE_NO_DATA_FOUND,
            ProcessorError::Reverted { .. }
            | ProcessorError::ParentNotApplied { .. }
            | ProcessorError::ParentNotIndexed { .. }
            | ProcessorError::HeightTaken { .. } => ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            ProcessorError::NotApplied(_) => ERRCODE_NO_DATA_FOUND,
            ProcessorError::BadHeight(_) | ProcessorError::BadEventColumn { .. } => {
                ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE
            }
            ProcessorError::NewerBlocksApplied { .. }
            | ProcessorError::JournalPruned { .. }
            | ProcessorError::ChildStillCanonical { .. } => {
                ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
            }
            ProcessorError::DriverEventIncomplete { .. } => ERRCODE_NOT_NULL_VIOLATION,
            ProcessorError::NotHalted(_) | ProcessorError::HaltedElsewhere { .. } => {
                ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
            }
            ProcessorError::MissingInputTable(_) => ERRCODE_UNDEFINED_TABLE,
            ProcessorError::Event(e) => e.error.sqlstate(),
            ProcessorError::Store(_) => ERRCODE_INTERNAL_ERROR,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ProcessorError::ParentNotApplied { parent_hash, .. } => Some(format!(
                "SELECT event_processor.process_block('{parent_hash}')"
            )),
            ProcessorError::ParentNotIndexed { .. } => Some(
                "the indexer has not committed the parent block yet; it is applied with its parent".into(),
            ),
            ProcessorError::Event(e) => e.error.hint(),
            ProcessorError::NewerBlocksApplied { number, hash, .. } => Some(match number.checked_sub(1) {
                Some(below) => format!(
                    "SELECT event_processor.revert_to({below}) reverts everything above height {below}"
                ),
                None => format!(
                    "SELECT event_processor.revert_to(0) reverts everything above height 0; then revert_block('{hash}')"
                ),
            }),
            ProcessorError::JournalPruned { .. } => Some(
                "rebuild the state from the events, or raise event_processor.finality_depth for future blocks".into(),
            ),
            _ => None,
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            ProcessorError::Event(e) => e.field().map(|f| format!("field: {f}")),
            _ => None,
        }
    }
}
