//! Errors and warnings of event processing. Every one carries the event's context (block,
//! vault, event nonce, name) and, where one is to blame, the field.

use super::state::Hex;
use super::store::StoreError;
use crate::events::DecodeError;
use std::fmt;
use thiserror::Error;

/// Where an event sits: enough for an operator to find the row in `events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventContext {
    pub block_number: u64,
    pub block_hash: Hex,
    pub vault: Hex,
    pub event_nonce: i64,
    pub event_name: String,
}

impl fmt::Display for EventContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "block {} ({}), vault {}, event nonce {} ({})",
            self.block_number, self.block_hash, self.vault, self.event_nonce, self.event_name
        )
    }
}

/// What went wrong with one event, without its context.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum EventError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A column of the `events` row itself is unusable (e.g. vault_address is not a felt).
    #[error("field {field}: {reason}")]
    BadRow { field: String, reason: String },
    /// A parent row is missing and `event_processor.strict` is on (spec R6).
    #[error("{what} does not exist (strict mode)")]
    MissingParent { what: String },
    /// The event contradicts the stored state (spec §8-13): never guessed around.
    #[error("field {field}: {reason}")]
    Inconsistent { field: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl EventError {
    pub fn field(&self) -> Option<&str> {
        match self {
            EventError::Decode(e) => e.field(),
            EventError::BadRow { field, .. } | EventError::Inconsistent { field, .. } => {
                Some(field)
            }
            EventError::MissingParent { .. } | EventError::Store(_) => None,
        }
    }
}

/// An event that could not be applied; nothing of its block may be committed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{context}: {error}")]
pub struct ProcessError {
    pub context: Box<EventContext>,
    pub error: EventError,
}

impl ProcessError {
    pub fn field(&self) -> Option<&str> {
        self.error.field()
    }
}

/// Something worth telling the operator that does not stop processing (spec R6, cross-checks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub context: EventContext,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.message)
    }
}
