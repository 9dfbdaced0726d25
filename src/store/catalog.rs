//! What the processor needs to know of the indexer's tables (do they exist, does `events`
//! have `from_address`), probed once per backend instead of once per block. Any relcache
//! invalidation (DDL, ANALYZE, a dropped or re-created table) forgets the answer, so the next
//! block probes again and never uses a stale one.

use std::cell::Cell;

/// One of the indexer's tables the processor reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputTable {
    StarknetBlocks,
    Events,
    DriverEvents,
}

impl InputTable {
    pub fn name(self) -> &'static str {
        match self {
            InputTable::StarknetBlocks => "starknet_blocks",
            InputTable::Events => "events",
            InputTable::DriverEvents => "driver_events",
        }
    }
}

impl std::fmt::Display for InputTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The indexer's tables as the catalog describes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputTables {
    pub starknet_blocks: bool,
    pub events: bool,
    pub driver_events: bool,
    pub events_have_from_address: bool,
}

impl InputTables {
    pub fn exists(&self, table: InputTable) -> bool {
        match table {
            InputTable::StarknetBlocks => self.starknet_blocks,
            InputTable::Events => self.events,
            InputTable::DriverEvents => self.driver_events,
        }
    }
}

thread_local! {
    static CACHED: Cell<Option<InputTables>> = const { Cell::new(None) };
    static CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// The cached description, if no invalidation came since it was probed.
pub fn cached() -> Option<InputTables> {
    CACHED.with(Cell::get)
}

/// Remembers a fresh probe until the next relcache invalidation.
pub fn remember(tables: InputTables) {
    if !CALLBACK_REGISTERED.with(Cell::get) {
        // SAFETY: registers a plain function for the life of the backend (PostgreSQL keeps a
        // fixed-size list; registered once per backend).
        unsafe {
            pgrx::pg_sys::CacheRegisterRelcacheCallback(Some(forget), pgrx::pg_sys::Datum::from(0))
        };
        CALLBACK_REGISTERED.with(|r| r.set(true));
    }
    CACHED.with(|c| c.set(Some(tables)));
}

/// Relcache callback: any relation changed (relid 0: all of them), so probe again.
unsafe extern "C-unwind" fn forget(_arg: pgrx::pg_sys::Datum, _relid: pgrx::pg_sys::Oid) {
    CACHED.with(|c| c.set(None));
}
