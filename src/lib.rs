//! event_processor: a PostgreSQL extension that applies Pitch Lake (Starknet) events, written
//! by an indexer into `events` / `starknet_blocks`, to the protocol's state tables.
//!
//! Layers (docs/architecture.md):
//! * `codec`, `events`, `protocol` — the pure crate crates/protocol (no pgrx): felts,
//!   integers, selectors, typed event decoding, every event's effect;
//! * `store`, `processor` — SPI: the kept statements, blocks, batches, reverts;
//! * `api` — the thin pgrx boundary: SQL functions and the mapping of errors to SQLSTATEs;
//! * `worker` — the background worker and its wake-up at the indexer's COMMIT;
//! * `schema` — the extension's SQL (state tables, notifications, bookkeeping) from `sql/`.

// The pure protocol logic (crates/protocol), under the names the extension's layers use.
pub use event_processor_protocol::{codec, events, protocol};
// The simulator (crates/synth) is not part of the shipped extension: only its tests use it.
#[cfg(any(test, feature = "pg_test"))]
pub use event_processor_synth as synth;

mod api;
mod processor;
mod schema;
mod settings;
mod store;
mod transaction;
mod worker;

::pgrx::pg_module_magic!(name, version);

// In-database tests live in pgrx-tests/ (see docs/testing.md); they are compiled into the
// extension only for `cargo pgrx test` (feature pg_test) and the lib's test binary.
#[cfg(any(test, feature = "pg_test"))]
#[path = "../pgrx-tests/mod.rs"]
mod pgrx_tests_suite;

/// Required by the pgrx test harness at the crate root.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        // The background worker serves its own database in tests (pgrx-tests/worker.rs), so
        // it never touches the #[pg_test]s' database.
        vec![
            "shared_preload_libraries = 'event_processor'",
            "event_processor.worker_database = 'ep_worker'",
            "event_processor.worker_naptime = 100",
        ]
    }
}

#[allow(non_snake_case)]
#[pgrx::pg_guard]
pub extern "C-unwind" fn _PG_init() {
    settings::register();
    worker::register();
}
