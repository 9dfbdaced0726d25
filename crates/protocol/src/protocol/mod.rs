//! The protocol's state and the effect of every event on it (spec §3), in pure Rust.
//! Storage is behind the `Store` trait: the SPI store serves the database, `MemoryStore`
//! serves the pure tests.

mod apply;
mod block;
pub mod cache;
pub mod changes;
pub mod clearing;
pub mod diff;
pub mod dump;
mod error;
pub mod journal;
pub mod math;
mod memory;
mod round_events;
pub mod rows;
mod settlement;
pub mod state;
mod store;
pub mod tables;
mod vault_events;

pub use apply::{Applier, EventRow, Settings};
pub use block::{apply_rows, content_fingerprint, sort_for_application, ApplyReport};
pub use cache::CachedStore;
pub use changes::{ChangeSet, Image, RowKey};
pub use error::{EventContext, EventError, ProcessError, Warning};
pub use memory::MemoryStore;
pub use store::{EventKey, LpSnapshot, Source, Store, StoreError, StoreResult, VaultSnapshot};
