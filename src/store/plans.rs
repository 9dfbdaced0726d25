//! Every statement the SPI store runs, prepared once per backend and kept (SPI_keepplan).
//! ORDER BY names are table-qualified: the select lists cast numerics to text under the same
//! names, and an unqualified `ORDER BY round_id` would sort those texts ("9" > "10").
//! Parameters are text (or text[]) and cast in SQL: exact for numeric(78,0), no per-call
//! planning, and no SQL built per event.

use super::hints;
use crate::protocol::rows::Kind;
use crate::protocol::tables::Table;
use pgrx::pg_sys::{BuiltinOid, PgOid};
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiResult};
use std::cell::RefCell;
use std::collections::HashMap;

/// An `events` row with its block's timestamp; `{from}` is `e.from_address` or `NULL`.
const EVENT_SELECT: &str = "SELECT e.block_number::text, e.block_hash, b.\"timestamp\"::text, \
    e.vault_address, e.event_nonce::text, e.event_name, e.event_keys::text[], e.event_data::text[], \
    e.transaction_hash, {from} \
    FROM public.events e \
    LEFT JOIN public.starknet_blocks b ON b.block_hash = e.block_hash AND b.status <> 'REVERTED'";
/// Catch-up range (spec §1.4 CatchupVault): one vault, inclusive bounds, canonical blocks only.
const CATCHUP_WHERE: &str = " WHERE e.vault_address = $1 AND e.block_number >= $2::numeric \
    AND ($3::numeric IS NULL OR e.block_number <= $3::numeric) \
    AND NOT EXISTS (SELECT 1 FROM public.starknet_blocks r \
                    WHERE r.block_hash = e.block_hash AND r.status = 'REVERTED') \
    AND NOT EXISTS (SELECT 1 FROM public.starknet_blocks o WHERE o.block_number = e.block_number \
                    AND o.block_hash <> e.block_hash AND o.status = 'MINED')";
/// A block's events (`$1` hash, `$2` height) that the applied-events ledger holds.
const LEDGER_JOIN: &str = " JOIN event_processor.applied_events a ON a.block_hash = e.block_hash \
    AND a.vault_address = e.vault_address AND a.event_nonce = e.event_nonce \
    WHERE e.block_number = $2::numeric AND e.block_hash = $1";
const BLOCK_COLUMNS: &str = "block_number::text, block_hash, parent_hash, status";

fn events_sql(with_from: bool, filter: &str) -> String {
    let from = if with_from {
        "e.from_address"
    } else {
        "NULL::varchar"
    };
    format!("{}{filter}", EVENT_SELECT.replace("{from}", from))
}

/// `SELECT` of a state table's columns in layout order (numerics as exact text), then `rest`.
fn select(table: Table, rest: &str) -> String {
    let info = table.info();
    let columns: Vec<String> = info
        .columns
        .iter()
        .zip(info.kinds)
        .map(|(column, kind)| match kind {
            Kind::Numeric => format!("{column}::text"),
            Kind::Text | Kind::Bool => column.to_string(),
        })
        .collect();
    format!(
        "SELECT {} FROM {} {rest}",
        columns.join(", "),
        info.qualified
    )
}

/// Parameter kinds: `T` text, `A` text[].
#[derive(Clone, Copy)]
pub enum Param {
    T,
    A,
}
use Param::{A, T};

macro_rules! plans {
    ($($name:ident: [$($p:ident),*] => $sql:expr;)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types)]
        pub enum Plan { $($name),+ }

        impl Plan {
            fn definition(self) -> (String, &'static [Param]) {
                match self { $(Plan::$name => ($sql, &[$($p),*])),+ }
            }
        }
    };
}

plans! {
    VaultSelect: [T] => select(Table::Vaults, "WHERE address = $1");

    LpSelect: [T, T] => select(Table::LiquidityProviders, "WHERE address = $1 AND vault_address = $2");
    LpsOfVault: [T] => select(Table::LiquidityProviders,
        "WHERE vault_address = $1 ORDER BY \"Liquidity_Providers\".address COLLATE \"C\"");

    RoundSelect: [T] => select(Table::Rounds, "WHERE address = $1");
    RoundById: [T, T] => select(Table::Rounds, "WHERE vault_address = $1 AND round_id = $2::numeric");
    RoundsOfVault: [T] => select(Table::Rounds,
        "WHERE vault_address = $1 ORDER BY \"Option_Rounds\".round_id DESC");

    QueuedSelect: [T, T] => select(Table::QueuedLiquidity, "WHERE address = $1 AND round_address = $2");
    QueuedOfRound: [T] => select(Table::QueuedLiquidity, "WHERE round_address = $1");

    BuyerSelect: [T, T] => select(Table::OptionBuyers, "WHERE address = $1 AND round_address = $2");
    BuyersOfRound: [T] => select(Table::OptionBuyers,
        "WHERE round_address = $1 ORDER BY \"Option_Buyers\".address COLLATE \"C\"");

    BidSelect: [T, T] => select(Table::Bids, "WHERE round_address = $1 AND bid_id = $2");
    BidsOfRound: [T] => select(Table::Bids, "WHERE round_address = $1");

    LedgerOfBlock: [T] => "SELECT block_hash, vault_address, event_nonce::text, content_hash \
         FROM event_processor.applied_events WHERE block_hash = $1".into();
    ClaimEvents: [A, A, A, A, A] => "INSERT INTO event_processor.applied_events \
         (block_hash, vault_address, event_nonce, event_name, content_hash) \
         SELECT u.b, u.v, u.n::bigint, u.e, u.c \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
              WITH ORDINALITY AS u(b, v, n, e, c, ord) ORDER BY u.ord".into();
    // Before-images the batch holds in memory (first touch per block wins, spec §4.2).
    JournalImages: [A, A, A, A] => "INSERT INTO event_processor.journal (block_hash, table_name, pk, before) \
         SELECT u.b, u.t, u.p, u.i \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(b, t, p, i, ord) \
         ORDER BY u.ord".into();

    DepositsOfRound: [T] => select(Table::LpRoundDeposits, "WHERE round_address = $1");

    BlockByHash: [T] => format!("SELECT {BLOCK_COLUMNS} FROM public.starknet_blocks WHERE block_hash = $1");
    BlockByNumber: [T] => format!("SELECT {BLOCK_COLUMNS} FROM public.starknet_blocks \
         WHERE block_number = $1::numeric");
    EventBlockNumber: [T] => "SELECT block_number::text FROM public.events WHERE block_hash = $1 LIMIT 1".into();
    // By height first: the indexer indexes events.block_number, not block_hash.
    EventsOfBlock: [T, T] => events_sql(false, " WHERE e.block_number = $2::numeric AND e.block_hash = $1");
    EventsOfBlockWithFrom: [T, T] => events_sql(true, " WHERE e.block_number = $2::numeric AND e.block_hash = $1");
    EventsOfVaultRange: [T, T, T] => events_sql(false, CATCHUP_WHERE);
    EventsOfVaultRangeWithFrom: [T, T, T] => events_sql(true, CATCHUP_WHERE);
    AppliedAtHeight: [T] => "SELECT block_hash FROM event_processor.applied_blocks \
         WHERE block_number = $1::numeric".into();
    // journal_pruned: a block applied below the finality depth gets no journal (it cannot be
    // reverted); pruned_through: the prune watermark after this block (processor/prune.rs).
    RecordBlock: [T, T, T, T, T, T] => "INSERT INTO event_processor.applied_blocks \
         (block_hash, block_number, parent_hash, event_count, journal_pruned, pruned_through) \
         VALUES ($1, $2::numeric, $3, $4::integer, $5::boolean, $6::numeric)".into();
    // RecordBlock and PruneRange ($7, $8] in one statement (a data-modifying CTE always runs).
    // The prune returns only blocks that had events (the others have no journal to delete).
    RecordBlockAndPrune: [T, T, T, T, T, T, T, T] => "WITH pruned AS ( \
           UPDATE event_processor.applied_blocks SET journal_pruned = true \
            WHERE NOT journal_pruned AND block_number > $7::numeric AND block_number <= $8::numeric \
           RETURNING block_hash, event_count), \
         recorded AS (INSERT INTO event_processor.applied_blocks \
           (block_hash, block_number, parent_hash, event_count, journal_pruned, pruned_through) \
           VALUES ($1, $2::numeric, $3, $4::integer, $5::boolean, $6::numeric) RETURNING 1) \
         SELECT block_hash::text FROM pruned WHERE event_count > 0".into();
    // A run of empty blocks (process_pending): one statement for the run.
    RecordEmptyBlocks: [A, A, A, A, A] => "INSERT INTO event_processor.applied_blocks \
         (block_hash, block_number, parent_hash, event_count, journal_pruned, pruned_through) \
         SELECT u.h, u.n::numeric, u.p, 0, u.f::boolean, u.w::numeric \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(h, n, p, f, w)".into();
    // What applying block $1 needs to know, in one statement (processor/context.rs): its row,
    // whether it or another block at its height is applied, its parent's row and whether that
    // is applied, the newest applied block with its prune watermark, the newest indexed
    // height (finality), and whether it has events at all.
    BlockContext: [T] => "SELECT b.block_number::text, b.block_hash::text, b.parent_hash::text, b.status::text, \
           (SELECT a.block_hash::text FROM event_processor.applied_blocks a WHERE a.block_hash = k.hash), \
           (SELECT a.block_hash::text FROM event_processor.applied_blocks a \
             WHERE a.block_number = b.block_number LIMIT 1), \
           p.block_number::text, p.block_hash::text, p.parent_hash::text, p.status::text, \
           (SELECT a.block_hash::text FROM event_processor.applied_blocks a WHERE a.block_hash = p.block_hash), \
           n.block_number::text, n.pruned_through::text, \
           (SELECT max(s.block_number) FROM public.starknet_blocks s)::text, \
           EXISTS (SELECT 1 FROM public.events e \
                   WHERE e.block_number = b.block_number AND e.block_hash = k.hash) \
         FROM (SELECT $1::text AS hash) k \
         LEFT JOIN LATERAL (SELECT * FROM public.starknet_blocks s WHERE s.block_hash = k.hash LIMIT 1) b ON true \
         LEFT JOIN LATERAL (SELECT * FROM public.starknet_blocks s WHERE s.block_hash = b.parent_hash LIMIT 1) p ON true \
         LEFT JOIN LATERAL (SELECT a.block_number, a.pruned_through FROM event_processor.applied_blocks a \
                            ORDER BY a.block_number DESC LIMIT 1) n ON true".into();
    // The indexer's tables as the catalog has them (store/catalog.rs caches the answer).
    InputTables: [] => "SELECT pg_catalog.to_regclass('public.starknet_blocks') IS NOT NULL, \
         pg_catalog.to_regclass('public.events') IS NOT NULL, \
         pg_catalog.to_regclass('public.driver_events') IS NOT NULL, \
         EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = pg_catalog.to_regclass('public.events') \
                 AND attname = 'from_address' AND NOT attisdropped)".into();
    ProcessingLock: [] => "SELECT pg_catalog.pg_advisory_xact_lock(7357298417405239)::text".into();
    NextDriverEvent: [] => "SELECT id::text, type, block_hash, start_block_hash, end_block_hash, \
         vault_address FROM public.driver_events WHERE is_processed IS NOT TRUE \
         ORDER BY driver_events.sequence_index, driver_events.id LIMIT 1 FOR UPDATE".into();
    MarkDriverEventProcessed: [T] => "UPDATE public.driver_events SET is_processed = true \
         WHERE id = $1::integer RETURNING id::text".into();

    AppliedBlockState: [T] => "SELECT block_number::text, journal_pruned FROM event_processor.applied_blocks \
         WHERE block_hash = $1".into();
    AppliedEventsOfBlock: [T] => "SELECT a.block_hash FROM event_processor.applied_events a \
         WHERE a.block_hash = $1 LIMIT 1".into();
    AppliedAbove: [T] => "SELECT block_hash, block_number::text FROM event_processor.applied_blocks \
         WHERE block_number > $1::numeric ORDER BY event_processor.applied_blocks.block_number DESC".into();
    CanonicalBlock: [T] => "SELECT block_hash FROM public.starknet_blocks \
         WHERE block_hash = $1 AND status = 'MINED'".into();
    JournalOfBlock: [T] => "SELECT table_name, pk, before FROM event_processor.journal \
         WHERE block_hash = $1 ORDER BY event_processor.journal.seq DESC".into();
    ForgetBlock: [T] => "WITH journal AS (DELETE FROM event_processor.journal WHERE block_hash = $1), \
              events AS (DELETE FROM event_processor.applied_events WHERE block_hash = $1 RETURNING 1), \
              blocks AS (DELETE FROM event_processor.applied_blocks WHERE block_hash = $1) \
         SELECT count(*)::text FROM events".into();
    // Two statements, so the journal is deleted by index (`= ANY`) rather than by a join
    // whose generic plan scans the whole journal on every block.
    PruneBlocks: [T, T] => "UPDATE event_processor.applied_blocks SET journal_pruned = true \
         WHERE NOT journal_pruned AND block_number <= $1::numeric - $2::numeric RETURNING block_hash".into();
    // The processor's prune: only the heights above the watermark, so that the blocks pruned
    // before (dead index entries until VACUUM) are never walked again.
    PruneRange: [T, T] => "UPDATE event_processor.applied_blocks SET journal_pruned = true \
         WHERE NOT journal_pruned AND block_number > $1::numeric AND block_number <= $2::numeric \
         RETURNING CASE WHEN event_count > 0 THEN block_hash END".into();
    DeleteJournals: [A] => "DELETE FROM event_processor.journal WHERE block_hash = ANY($1::text[])".into();
    // MINED blocks above the newest applied one, in chain order (blocks below it that were
    // never applied are left alone: applying them now would be out of order).
    PendingBlocks: [T] => "SELECT b.block_hash::text FROM public.starknet_blocks b \
         WHERE b.status = 'MINED' AND b.block_number > coalesce((SELECT max(a.block_number) \
               FROM event_processor.applied_blocks a), -1) \
         ORDER BY b.block_number LIMIT $1::bigint".into();
    // The same with what the catch-up needs to apply a run of empty blocks as a set.
    PendingRun: [T] => "SELECT b.block_hash::text, b.block_number::text, b.parent_hash::text, \
           EXISTS (SELECT 1 FROM public.events e \
                   WHERE e.block_number = b.block_number AND e.block_hash = b.block_hash) \
         FROM public.starknet_blocks b \
         WHERE b.status = 'MINED' AND b.block_number > coalesce((SELECT max(a.block_number) \
               FROM event_processor.applied_blocks a), -1) \
         ORDER BY b.block_number LIMIT $1::bigint".into();
    // The failure policy (processor/failure.rs): the open failure is the halt.
    OpenFailure: [] => "SELECT block_hash, coalesce(block_number::text, '') FROM event_processor.failed_blocks \
         WHERE resolved IS NULL".into();
    // ON CONFLICT: a failure is already open (the unique index on open rows); keep that one.
    RecordFailure: [T, T, T, T, T, T, T, T] => "INSERT INTO event_processor.failed_blocks \
         (block_hash, block_number, vault_address, event_nonce, field, sqlstate, error, found_by) \
         VALUES ($1, coalesce($2::numeric, (SELECT b.block_number FROM public.starknet_blocks b \
                 WHERE b.block_hash = $1 LIMIT 1)), $3, $4::bigint, $5, $6, $7, $8) \
         ON CONFLICT DO NOTHING RETURNING id::text".into();
    ResolveFailure: [T, T] => "UPDATE event_processor.failed_blocks SET resolved = $2, resolved_at = pg_catalog.now() \
         WHERE resolved IS NULL AND block_hash = $1 RETURNING id::text".into();
    ResolveFailuresLeftChain: [] => "UPDATE event_processor.failed_blocks f \
         SET resolved = 'left the chain', resolved_at = pg_catalog.now() \
         WHERE resolved IS NULL AND NOT EXISTS (SELECT 1 FROM public.starknet_blocks b \
               WHERE b.block_hash = f.block_hash AND b.status = 'MINED') RETURNING block_hash".into();
    RecordSkippedBlock: [T, T, T] => "INSERT INTO event_processor.applied_blocks \
         (block_hash, block_number, parent_hash, event_count, skipped) VALUES ($1, $2::numeric, $3, 0, true)".into();
    // Recomputing the state (processor/recompute.rs): the applied blocks in chain order, and
    // the events of one that the ledger says were applied.
    AppliedBlocksInOrder: [] => "SELECT block_hash, block_number::text, coalesce(parent_hash, ''), skipped \
         FROM event_processor.applied_blocks ORDER BY event_processor.applied_blocks.block_number".into();
    LedgerEventsOfBlock: [T, T] => events_sql(false, LEDGER_JOIN);
    LedgerEventsOfBlockWithFrom: [T, T] => events_sql(true, LEDGER_JOIN);
    ClearBookkeeping: [] => "WITH journal AS (DELETE FROM event_processor.journal), \
              events AS (DELETE FROM event_processor.applied_events), \
              blocks AS (DELETE FROM event_processor.applied_blocks RETURNING 1) \
         SELECT count(*)::text FROM blocks".into();
    NewestApplied: [] => "SELECT block_number::text FROM event_processor.applied_blocks \
         ORDER BY event_processor.applied_blocks.block_number DESC LIMIT 1".into();
    // The worker's survey (processor/survey.rs). A reorg takes the newest applied block off
    // the chain first, so only when it has left is every revertible block checked.
    NewestLeftChain: [] => "SELECT a.block_hash FROM (SELECT block_hash FROM event_processor.applied_blocks \
         ORDER BY event_processor.applied_blocks.block_number DESC LIMIT 1) a \
         WHERE NOT EXISTS (SELECT 1 FROM public.starknet_blocks b \
                           WHERE b.block_hash = a.block_hash AND b.status = 'MINED')".into();
    // Applied blocks whose row is no longer a MINED block (REVERTED, deleted, or re-used for
    // another hash), newest first; only those with a journal can be reverted.
    BlocksLeftChain: [T] => "SELECT a.block_hash FROM event_processor.applied_blocks a \
         WHERE NOT a.journal_pruned AND NOT EXISTS (SELECT 1 FROM public.starknet_blocks b \
               WHERE b.block_hash = a.block_hash AND b.status = 'MINED') \
         ORDER BY a.block_number DESC LIMIT $1::bigint".into();
    DriverEventPending: [] => "SELECT id::text FROM public.driver_events \
         WHERE is_processed IS NOT TRUE LIMIT 1".into();

    // The worker's own (worker/status.rs): is the extension there to work for, and its row in
    // event_processor.worker_status.
    WorkerInstalled: [] => "SELECT pg_catalog.to_regclass('event_processor.worker_status') IS NOT NULL \
           AND pg_catalog.to_regclass('public.starknet_blocks') IS NOT NULL \
           AND pg_catalog.to_regclass('public.events') IS NOT NULL".into();
    WorkerStarted: [] => "UPDATE event_processor.worker_status SET pid = pg_catalog.pg_backend_pid(), \
           state = 'idle', started_at = pg_catalog.now(), blocks_applied = 0, events_applied = 0, \
           blocks_reverted = 0, events_reverted = 0 RETURNING 1".into();
    WorkerState: [T] => "UPDATE event_processor.worker_status SET state = $1, last_wakeup = pg_catalog.now() \
         WHERE pid = pg_catalog.pg_backend_pid() RETURNING 1".into();
    WorkerCount: [T, T, T, T, T] => "UPDATE event_processor.worker_status SET state = $5, \
           last_wakeup = pg_catalog.now(), \
           blocks_applied = blocks_applied + $1::bigint, events_applied = events_applied + $2::bigint, \
           blocks_reverted = blocks_reverted + $3::bigint, events_reverted = events_reverted + $4::bigint \
         RETURNING 1".into();
    WorkerError: [T, T] => "UPDATE event_processor.worker_status SET state = 'error', last_error = $2, \
           last_error_at = $1, last_error_time = pg_catalog.now() RETURNING 1".into();

}

/// Per-table statements, generated from `protocol::tables`: the set-based writes of a batch
/// (one text[] per column, cast in SQL) and the revert journal's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableOp {
    /// Inserts rows: one array per column, in column order.
    Insert,
    /// Updates rows by key: one array per column, in column order.
    Update,
    /// Inserts or updates rows by key (the history tables).
    Upsert,
    /// Which of these keys (one array per key column) name existing rows: their 1-based
    /// positions.
    ExistingKeys,
    /// Journals the rows' current images (`$1` block hashes, then one array per key column):
    /// for rows a batch wrote without reading. One journal row each (protocol/journal.rs).
    JournalFromTable,
    /// Puts back a JSON array of before-images (`$1`): updates the rows that exist, inserts
    /// the others.
    RestoreRows,
    /// Deletes the rows whose keys are in `$1` (a JSON array of key objects).
    RestoreDelete,
    /// Deletes every row (rebuild).
    Clear,
}

fn key_match(table: Table, left: &str, right: &str) -> String {
    table
        .info()
        .key
        .iter()
        .map(|(k, numeric)| {
            let cast = if *numeric && right == "u" {
                "::numeric"
            } else {
                ""
            };
            format!("{left}.{k} = {right}.{k}{cast}")
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// `unnest($first::text[], ...)` over `count` arrays.
fn unnest(first: usize, count: usize) -> String {
    let arrays: Vec<String> = (first..first + count)
        .map(|i| format!("${i}::text[]"))
        .collect();
    format!("unnest({})", arrays.join(", "))
}

/// `u.column` cast to the column's type.
fn typed(column: &str, kind: Kind) -> String {
    match kind {
        Kind::Numeric => format!("u.{column}::numeric"),
        Kind::Bool => format!("u.{column}::boolean"),
        Kind::Text => format!("u.{column}"),
    }
}

fn is_key(table: Table, column: &str) -> bool {
    table.info().key.iter().any(|(k, _)| *k == column)
}

/// The SQL of `table`'s statement `op` (for the tests of its plan).
#[cfg(any(test, feature = "pg_test"))]
pub fn table_statement(table: Table, op: TableOp) -> String {
    table_sql(table, op).0
}

fn table_sql(table: Table, op: TableOp) -> (String, Vec<Param>) {
    let info = table.info();
    let q = info.qualified;
    let columns = info.columns.join(", ");
    let values: Vec<String> = info
        .columns
        .iter()
        .zip(info.kinds)
        .map(|(c, kind)| typed(c, *kind))
        .collect();
    let rows = format!("{} AS u({columns})", unnest(1, info.columns.len()));
    let all_arrays = vec![A; info.columns.len()];
    match op {
        TableOp::Insert => (
            format!(
                "INSERT INTO {q} ({columns}) SELECT {} FROM {rows}",
                values.join(", ")
            ),
            all_arrays,
        ),
        TableOp::Update => {
            let sets: Vec<String> = info
                .columns
                .iter()
                .zip(&values)
                .filter(|(c, _)| !is_key(table, c))
                .map(|(c, v)| format!("{c} = {v}"))
                .collect();
            let sql = format!(
                "UPDATE {q} AS t SET {} FROM {rows} WHERE {}",
                sets.join(", "),
                key_match(table, "t", "u")
            );
            (sql, all_arrays)
        }
        TableOp::Upsert => {
            let keys: Vec<&str> = info.key.iter().map(|(k, _)| *k).collect();
            let sets: Vec<String> = info
                .columns
                .iter()
                .filter(|c| !is_key(table, c))
                .map(|c| format!("{c} = EXCLUDED.{c}"))
                .collect();
            let sql = format!(
                "INSERT INTO {q} ({columns}) SELECT {} FROM {rows} \
                 ON CONFLICT ({}) DO UPDATE SET {}",
                values.join(", "),
                keys.join(", "),
                sets.join(", ")
            );
            (sql, all_arrays)
        }
        TableOp::ExistingKeys => {
            let names: Vec<&str> = info.key.iter().map(|(k, _)| *k).collect();
            let sql = format!(
                // A scalar subquery, not EXISTS: the planner would turn EXISTS into a semi-join
                // that reads the whole (large, growing) history table.
                "SELECT u.ord::text FROM {arrays} WITH ORDINALITY AS u({names}, ord) \
                 WHERE (SELECT 1 FROM {q} t WHERE {matching} LIMIT 1) IS NOT NULL",
                arrays = unnest(1, names.len()),
                names = names.join(", "),
                matching = key_match(table, "t", "u"),
            );
            (sql, vec![A; names.len()])
        }
        TableOp::JournalFromTable => {
            let names: Vec<&str> = info.key.iter().map(|(k, _)| *k).collect();
            let pk: Vec<String> = info
                .key
                .iter()
                .map(|(k, numeric)| {
                    format!("'{k}', u.{k}{}", if *numeric { "::numeric" } else { "" })
                })
                .collect();
            let sql = format!(
                // The typed format (protocol/journal.rs): the image as a one-element array and
                // pk '[]', or, should the row be gone, its key to delete.
                "INSERT INTO event_processor.journal (block_hash, table_name, pk, before) \
                 SELECT u.block_hash, '{name}', \
                        CASE WHEN i.before IS NULL THEN jsonb_build_array(jsonb_build_object({pk}))::text \
                             ELSE '[]' END, i.before \
                 FROM {arrays} WITH ORDINALITY AS u(block_hash, {names}, ord) \
                 LEFT JOIN LATERAL (SELECT jsonb_build_array(to_jsonb(t))::text AS before \
                                    FROM {q} t WHERE {matching}) i ON true \
                 ORDER BY u.ord",
                name = info.name,
                pk = pk.join(", "),
                matching = key_match(table, "t", "u"),
                arrays = unnest(1, names.len() + 1),
                names = names.join(", "),
            );
            (sql, vec![A; names.len() + 1])
        }
        TableOp::RestoreRows => {
            let columns = info.columns.join(", ");
            let values: Vec<String> = info.columns.iter().map(|c| format!("r.{c}")).collect();
            let sql = format!(
                // The rows to insert are those the table did not hold: probed in the table,
                // whose statement snapshot still shows the rows as they were before `u` (a
                // data-modifying WITH runs to completion unread). Probing `u`'s output instead
                // would be a nested loop over it, with hash joins off (hints.rs).
                "WITH r AS (SELECT * FROM jsonb_populate_recordset(NULL::{q}, $1::jsonb)), \
                      u AS (UPDATE {q} AS t SET ({columns}) = ({values}) FROM r \
                            WHERE {matching}) \
                 INSERT INTO {q} SELECT r.* FROM r \
                  WHERE NOT EXISTS (SELECT 1 FROM {q} AS t WHERE {matching})",
                values = values.join(", "),
                matching = key_match(table, "t", "r"),
            );
            (sql, vec![T])
        }
        TableOp::Clear => (format!("DELETE FROM {q}"), vec![]),
        TableOp::RestoreDelete => {
            let sql = format!(
                "DELETE FROM {q} AS t USING jsonb_populate_recordset(NULL::{q}, $1::jsonb) AS k \
                 WHERE {matching}",
                matching = key_match(table, "t", "k"),
            );
            (sql, vec![T])
        }
    }
}

/// What a kept statement is: one of the fixed plans, or a per-table journal statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanKey {
    Fixed(Plan),
    Table(Table, TableOp),
}

impl PlanKey {
    /// Whether the statement finds rows of a table by the keys in a parameter array: its plan
    /// must not depend on how large the table was when it was planned (hints.rs).
    fn looks_up_keys(self) -> bool {
        matches!(
            self,
            PlanKey::Table(
                _,
                TableOp::Update
                    | TableOp::ExistingKeys
                    | TableOp::JournalFromTable
                    | TableOp::RestoreRows
                    | TableOp::RestoreDelete
            )
        )
    }
}

impl From<Plan> for PlanKey {
    fn from(plan: Plan) -> Self {
        PlanKey::Fixed(plan)
    }
}

thread_local! {
    static KEPT: RefCell<HashMap<PlanKey, OwnedPreparedStatement>> = RefCell::new(HashMap::new());
}

/// Runs `f` with the kept statement for `plan`, preparing and keeping it on first use.
pub fn with_plan<R>(
    client: &SpiClient<'_>,
    plan: impl Into<PlanKey>,
    f: impl FnOnce(&OwnedPreparedStatement) -> SpiResult<R>,
) -> SpiResult<R> {
    let plan = plan.into();
    KEPT.with(|kept| {
        if !kept.borrow().contains_key(&plan) {
            let (sql, params) = match plan {
                PlanKey::Fixed(plan) => {
                    let (sql, params) = plan.definition();
                    (sql, params.to_vec())
                }
                PlanKey::Table(table, op) => table_sql(table, op),
            };
            let types: Vec<PgOid> = params
                .iter()
                .map(|p| match p {
                    T => PgOid::BuiltIn(BuiltinOid::TEXTOID),
                    A => PgOid::BuiltIn(BuiltinOid::TEXTARRAYOID),
                })
                .collect();
            let statement = client.prepare_mut(sql.as_str(), &types)?.keep();
            kept.borrow_mut().insert(plan, statement);
        }
        let kept = kept.borrow();
        let statement = kept.get(&plan).expect("prepared above");
        if plan.looks_up_keys() {
            hints::keyed_lookup(|| f(statement))
        } else {
            f(statement)
        }
    })
}
