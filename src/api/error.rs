//! Where Rust errors become PostgreSQL errors: each error type chooses its SQLSTATE here, so
//! clients can tell malformed input (class 22) from everything else.

use crate::codec::FeltError;
use crate::events::DecodeError;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::{PgLogLevel, PgSqlErrorCode};

pub trait SqlError: std::fmt::Display {
    fn sqlstate(&self) -> PgSqlErrorCode;

    fn hint(&self) -> Option<String> {
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
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}
