//! The extension's hand-written SQL, kept in `sql/` and embedded in the generated install
//! script in dependency order.

use pgrx::prelude::*;

extension_sql_file!("../sql/state_tables.sql", name = "state_tables", bootstrap);
extension_sql_file!(
    "../sql/notifications.sql",
    name = "notifications",
    requires = ["state_tables"]
);
extension_sql_file!(
    "../sql/bookkeeping.sql",
    name = "bookkeeping",
    requires = ["state_tables"]
);
extension_sql_file!(
    "../sql/processing.sql",
    name = "processing",
    requires = [
        "bookkeeping",
        "notifications",
        api::process::process_block_from_trigger,
        api::process::process_next_driver_event,
        api::revert::revert_block_from_trigger
    ]
);
extension_sql_file!(
    "../sql/status.sql",
    name = "status",
    requires = ["bookkeeping", worker::wake::wake_state]
);
extension_sql_file!(
    "../sql/indexer_tables.sql",
    name = "indexer_tables",
    requires = ["processing"]
);

extension_sql_file!("../sql/privileges.sql", name = "privileges", finalize);

/// Declares the schema to pgrx so that `#[pg_extern(schema = "event_processor")]` resolves.
/// The bootstrap SQL has already created it (as an extension member), so pgrx's
/// `CREATE SCHEMA IF NOT EXISTS` does nothing.
#[pg_schema]
mod event_processor {}
