//! Pitch Lake's protocol logic, shared by the extension and its tests (pure Rust, no pgrx):
//! * `codec`: felts, u256 and the other integer encodings, event selectors;
//! * `events`: typed decoding of the indexer's event rows, one decoder per layout;
//! * `protocol`: every event's effect on the state tables, over a `Store` (the extension's
//!   is SPI, the tests' is in memory), with the revert journal's images.
#![forbid(unsafe_code)]

pub mod codec;
pub mod events;
pub mod protocol;
