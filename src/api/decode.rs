//! `event_processor.decode_event(name, keys, data)`: an operator's view of one `events` row.

use super::error::raise;
use crate::events::{self, DecodeError};
use pgrx::prelude::*;
use pgrx::JsonB;

/// Decodes an event the way the processor does and returns its fields as JSON (integers as
/// decimal strings, felts as canonical hex). Raises the processor's error for a bad row.
#[pg_extern(immutable, parallel_safe, schema = "event_processor")]
fn decode_event(event_name: &str, keys: Vec<Option<String>>, data: Vec<Option<String>>) -> JsonB {
    let keys = non_null(event_name, "keys", keys).unwrap_or_else(|e| raise(e, "decode_event"));
    let data = non_null(event_name, "data", data).unwrap_or_else(|e| raise(e, "decode_event"));
    match events::decode(event_name, &keys, &data) {
        Ok(decoded) => JsonB(decoded.to_json()),
        Err(error) => raise(error, "decode_event"),
    }
}

/// SQL arrays may hold NULLs; an event's felts never do.
fn non_null(
    event: &str,
    array: &str,
    felts: Vec<Option<String>>,
) -> Result<Vec<String>, DecodeError> {
    felts
        .into_iter()
        .enumerate()
        .map(|(i, felt)| {
            felt.ok_or_else(|| DecodeError::NullElement {
                event: event.to_string(),
                location: format!("{array}[{i}]"),
            })
        })
        .collect()
}
