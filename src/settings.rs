//! The extension's settings (GUCs), registered in `_PG_init`.

use crate::processor::ProcessorSettings;
use crate::protocol::Settings;
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// Who applies a block: the indexer's own transaction or the background worker
/// (docs/deployments.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, pgrx::PostgresGucEnum)]
pub enum Mode {
    /// The block trigger applies the block inside the indexer's transaction, at its COMMIT.
    Inline,
    /// The block trigger only wakes the background worker when the indexer's transaction
    /// commits; the worker applies the block in a transaction of its own.
    Worker,
}
pub static MODE: GucSetting<Mode> = GucSetting::<Mode>::new(Mode::Inline);
/// The 0.3 name of the choice: off is `mode = worker`.
pub static TRIGGER_ENABLED: GucSetting<bool> = GucSetting::<bool>::new(true);

/// Whether the block triggers leave their block to the worker (`mode = worker`, or the older
/// `trigger_enabled = off`).
pub fn worker_mode() -> bool {
    MODE.get() == Mode::Worker || !TRIGGER_ENABLED.get()
}
/// What a failing block does on the trigger path (docs/operations.md "Failure policy").
#[derive(Debug, Clone, Copy, PartialEq, Eq, pgrx::PostgresGucEnum)]
pub enum FailurePolicy {
    /// The indexer's transaction fails with the error; nothing is written.
    Raise,
    /// The block's effects are rolled back, the indexer's transaction commits, the failure is
    /// recorded and processing halts at that block.
    Defer,
}
pub static FAILURE_POLICY: GucSetting<FailurePolicy> =
    GucSetting::<FailurePolicy>::new(FailurePolicy::Defer);

/// The `bids_update` payload (docs/notifications.md). Read by `event_processor.notify_bids()`
/// in SQL; registered here so that a bad value is refused and `SHOW` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, pgrx::PostgresGucEnum)]
pub enum BidsPayload {
    /// What the Pitch Lake backend parses: the row's keys, `address`, a string `tree_nonce`.
    Backend,
    /// The original migration's `row_to_json(NEW)`, unchanged.
    Migration,
}
pub static BIDS_PAYLOAD: GucSetting<BidsPayload> =
    GucSetting::<BidsPayload>::new(BidsPayload::Backend);

/// Raise instead of warn-and-skip when an event's vault or round row is missing (spec R6).
pub static STRICT: GucSetting<bool> = GucSetting::<bool>::new(false);

/// Blocks deeper than this below the newest applied block lose their revert journal.
/// 2000 blocks: a little over an hour at Starknet's ~2 s block time (reorgs of about an hour
/// have happened), three hours at 6 s.
pub static FINALITY_DEPTH: GucSetting<i32> = GucSetting::<i32>::new(2000);

/// The background worker (when preloaded): on/off, its database, nap time, batch size.
pub static WORKER_ENABLED: GucSetting<bool> = GucSetting::<bool>::new(true);
pub static WORKER_DATABASE: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"postgres"));
pub static WORKER_NAPTIME_MS: GucSetting<i32> = GucSetting::<i32>::new(500);
pub static WORKER_MAX_BLOCKS: GucSetting<i32> = GucSetting::<i32>::new(100);
/// Seconds before the postmaster restarts a worker that exited or crashed.
pub const WORKER_RESTART_SECONDS: u64 = 2;

pub fn worker_database() -> String {
    WORKER_DATABASE
        .get()
        .and_then(|c| c.into_string().ok())
        .unwrap_or_else(|| "postgres".into())
}

pub fn finality_depth() -> u64 {
    FINALITY_DEPTH.get().max(1) as u64
}

pub fn register() {
    // A postmaster-context setting can only be defined while shared_preload_libraries is
    // processed (defining it later is FATAL); without preloading there is no worker anyway.
    if unsafe { pgrx::pg_sys::process_shared_preload_libraries_in_progress } {
        GucRegistry::define_string_guc(
            c"event_processor.worker_database",
            c"The database (with the indexer's tables and the extension) the background worker serves.",
            c"Changing it needs a server restart.",
            &WORKER_DATABASE,
            GucContext::Postmaster,
            GucFlags::default(),
        );
    }
    GucRegistry::define_bool_guc(
        c"event_processor.worker_enabled",
        c"Whether the background worker applies pending blocks (needs shared_preload_libraries).",
        c"Off: the worker idles; reload the configuration to change it.",
        &WORKER_ENABLED,
        GucContext::Sighup,
        GucFlags::default(),
    );

    GucRegistry::define_int_guc(
        c"event_processor.worker_naptime",
        c"How often the background worker checks for work nobody woke it for.",
        c"A safety net: commits in worker mode wake the worker at once. Each check is one cheap transaction.",
        &WORKER_NAPTIME_MS,
        10,
        3_600_000,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_int_guc(
        c"event_processor.worker_max_blocks",
        c"How many blocks the background worker applies per transaction when catching up.",
        c"The state changes of a batch are written as sets at its end; a failing batch is retried block by block.",
        &WORKER_MAX_BLOCKS,
        1,
        i32::MAX,
        GucContext::Sighup,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"event_processor.finality_depth",
        c"How many blocks below the newest applied block keep their revert journal.",
        c"Deeper blocks cannot be reverted; their journals are deleted as new blocks are applied.",
        &FINALITY_DEPTH,
        1,
        i32::MAX,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"event_processor.mode",
        c"Who applies a block: inline (the indexer's transaction, default) or worker (the background worker, woken at the indexer's COMMIT).",
        c"worker needs shared_preload_libraries and the worker's database (event_processor.worker_database); see docs/deployments.md.",
        &MODE,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"event_processor.trigger_enabled",
        c"The 0.3 name of event_processor.mode: off is mode = worker.",
        c"Off: blocks are left for the background worker (or process_block()), whatever event_processor.mode says.",
        &TRIGGER_ENABLED,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"event_processor.failure_policy",
        c"What a block that fails on the trigger path does: defer (default) or raise.",
        c"defer: the indexer's transaction commits, the failure is recorded in event_processor.failed_blocks and processing halts at the block until retry_block() or skip_block(); raise: the indexer's transaction fails.",
        &FAILURE_POLICY,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_enum_guc(
        c"event_processor.bids_payload",
        c"The bids_update notification payload: backend (default) or migration.",
        c"backend: the row's keys plus \"address\" (= buyer_address), tree_nonce as a JSON string, as the Pitch Lake backend parses it; migration: row_to_json of the row, which stops the backend's listener.",
        &BIDS_PAYLOAD,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"event_processor.strict",
        c"Raise an error when an event's vault or round does not exist.",
        c"Off (default): such events are skipped with a WARNING and recorded as applied (spec R6).",
        &STRICT,
        GucContext::Suset,
        GucFlags::default(),
    );
}

/// What a processor is told for one call.
pub fn processing() -> ProcessorSettings {
    ProcessorSettings {
        protocol: Settings {
            strict: STRICT.get(),
        },
        finality_depth: finality_depth(),
        batch_size: WORKER_MAX_BLOCKS.get().max(1) as i64,
    }
}
