//! `verify()` and `rebuild()`: the state recomputed from the events of the applied blocks,
//! compared with the live tables or put in their place.

use super::error::raise;
use crate::transaction::{with_processor, with_settings};
use pgrx::prelude::*;

/// Every row and column where the live state tables differ from the state recomputed from the
/// events of the applied blocks (in memory; the live tables are only read). No rows: the state
/// is right. A row only one side has is one line with `column_name` NULL and the whole row as
/// `Table|col|...` on the side that has it. Holds the processing lock while it runs.
// The column names are part of the signature (pgrx's name!), so no type alias.
#[allow(clippy::type_complexity)]
#[pg_extern(schema = "event_processor")]
fn verify() -> TableIterator<
    'static,
    (
        name!(table_name, String),
        name!(row_key, String),
        name!(column_name, Option<String>),
        name!(live_value, Option<String>),
        name!(expected_value, Option<String>),
    ),
> {
    let found = with_processor(|p| p.verify()).unwrap_or_else(|e| raise(e, "verify"));
    TableIterator::new(found.into_iter().map(|d| {
        (
            d.table.to_string(),
            d.key,
            d.column.map(str::to_string),
            d.live,
            d.expected,
        )
    }))
}

/// Shows `text` as this backend's query in pg_stat_activity (status() reads it from there):
/// progress that other sessions see while the transaction is still open.
fn report_activity(text: &str) {
    // PostgreSQL text holds no NUL byte, and nor does a progress line made of it.
    let text = std::ffi::CString::new(text).expect("no NUL in a progress line");
    // SAFETY: copies the string into the backend's status entry.
    unsafe { pg_sys::pgstat_report_activity(pg_sys::BackendState::STATE_RUNNING, text.as_ptr()) };
}

/// Replaces the state tables, the applied-events ledger and the revert journals with what
/// processing the applied blocks again gives, in chain order, in the current transaction:
/// readers keep seeing the old state until it commits, and processing waits (the processing
/// lock). As a superuser, the rows are written with session_replication_role = replica: no
/// per-row notifications. Progress: a NOTICE every 500 blocks, and status().rebuild_progress.
#[pg_extern(schema = "event_processor")]
fn rebuild() -> TableIterator<
    'static,
    (
        name!(blocks_applied, i64),
        name!(events_applied, i64),
        name!(blocks_skipped, i64),
        name!(blocks_dropped, i64),
    ),
> {
    let rebuild = || {
        with_processor(|p| {
            p.rebuild(500, &mut |done, all| {
                let line = format!("event_processor.rebuild(): block {done} of {all}");
                report_activity(&line);
                pgrx::notice!("{line}");
            })
        })
    };
    // SAFETY: superuser() reads the current role's attribute.
    let outcome = if unsafe { pg_sys::superuser() } {
        with_settings(
            &[(c"session_replication_role", c"replica")],
            pg_sys::GucContext::PGC_SUSET,
            rebuild,
        )
    } else {
        rebuild()
    }
    .unwrap_or_else(|e| raise(e, "rebuild"));
    TableIterator::once((
        outcome.blocks as i64,
        outcome.events as i64,
        outcome.skipped as i64,
        outcome.dropped as i64,
    ))
}
