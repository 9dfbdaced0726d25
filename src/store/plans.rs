//! Every statement the SPI store runs, prepared once per backend and kept (SPI_keepplan).
//! ORDER BY names are table-qualified: the select lists cast numerics to text under the same
//! names, and an unqualified `ORDER BY round_id` would sort those texts ("9" > "10").
//! Parameters are text (or text[]) and cast in SQL: exact for numeric(78,0), no per-call
//! planning, and no SQL built per event.

use crate::protocol::tables::Table;
use pgrx::pg_sys::{BuiltinOid, PgOid};
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiResult};
use std::cell::RefCell;
use std::collections::HashMap;

pub const VAULT_COLUMNS: &str = "address, unlocked_balance::text, locked_balance::text, \
    stashed_balance::text, current_round::text, current_round_address, latest_block::text, \
    fossil_client_address, eth_address, option_round_class_hash, alpha::text, strike_level::text, \
    round_transition_period::text, auction_duration::text, round_duration::text, deployment_date::text";
pub const LP_COLUMNS: &str =
    "address, vault_address, stashed_balance::text, locked_balance::text, \
    unlocked_balance::text, latest_block::text";
pub const ROUND_COLUMNS: &str = "address, vault_address, round_id::text, state, \
    available_options::text, clearing_price::text, settlement_price::text, reserve_price::text, \
    strike_price::text, sold_options::text, deployment_date::text, premiums::text, cap_level::text, \
    unsold_liquidity::text, starting_liquidity::text, queued_liquidity::text, \
    remaining_liquidity::text, payout_per_option::text, start_date::text, end_date::text, \
    settlement_date::text";
pub const QUEUED_COLUMNS: &str = "address, round_address, bps::text, queued_liquidity::text";
pub const BUYER_COLUMNS: &str = "address, round_address, has_minted, has_refunded, \
    mintable_options::text, refundable_amount::text";
pub const BID_COLUMNS: &str =
    "buyer_address, round_address, bid_id, tree_nonce::text, amount::text, price::text";
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
const BLOCK_COLUMNS: &str = "block_number::text, block_hash, parent_hash, status";

fn events_sql(with_from: bool, filter: &str) -> String {
    let from = if with_from {
        "e.from_address"
    } else {
        "NULL::varchar"
    };
    format!("{}{filter}", EVENT_SELECT.replace("{from}", from))
}

pub const DEPOSIT_COLUMNS: &str =
    "round_address, lp_address, vault_address, starting_deposit::text";

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
    VaultSelect: [T] => format!("SELECT {VAULT_COLUMNS} FROM public.\"VaultStates\" WHERE address = $1");
    VaultInsert: [T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T] =>
        "INSERT INTO public.\"VaultStates\" (address, unlocked_balance, locked_balance, \
         stashed_balance, current_round, current_round_address, latest_block, \
         fossil_client_address, eth_address, option_round_class_hash, alpha, strike_level, \
         round_transition_period, auction_duration, round_duration, deployment_date) \
         VALUES ($1, $2::numeric, $3::numeric, $4::numeric, $5::numeric, $6, $7::numeric, $8, $9, \
         $10, $11::numeric, $12::numeric, $13::numeric, $14::numeric, $15::numeric, $16::numeric)".into();
    VaultUpdate: [T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T] =>
        "UPDATE public.\"VaultStates\" SET unlocked_balance = $2::numeric, \
         locked_balance = $3::numeric, stashed_balance = $4::numeric, current_round = $5::numeric, \
         current_round_address = $6, latest_block = $7::numeric, fossil_client_address = $8, \
         eth_address = $9, option_round_class_hash = $10, alpha = $11::numeric, \
         strike_level = $12::numeric, round_transition_period = $13::numeric, \
         auction_duration = $14::numeric, round_duration = $15::numeric, \
         deployment_date = $16::numeric WHERE address = $1".into();

    LpSelect: [T, T] => format!("SELECT {LP_COLUMNS} FROM public.\"Liquidity_Providers\" \
         WHERE address = $1 AND vault_address = $2");
    LpsOfVault: [T] => format!("SELECT {LP_COLUMNS} FROM public.\"Liquidity_Providers\" \
         WHERE vault_address = $1 ORDER BY \"Liquidity_Providers\".address COLLATE \"C\"");
    LpInsert: [T, T, T, T, T, T] =>
        "INSERT INTO public.\"Liquidity_Providers\" (address, vault_address, stashed_balance, \
         locked_balance, unlocked_balance, latest_block) \
         VALUES ($1, $2, $3::numeric, $4::numeric, $5::numeric, $6::numeric)".into();
    LpsUpdate: [A, A, A, A, A, A] =>
        "UPDATE public.\"Liquidity_Providers\" AS t SET stashed_balance = u.stashed::numeric, \
         locked_balance = u.locked::numeric, unlocked_balance = u.unlocked::numeric, \
         latest_block = u.latest::numeric \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
              AS u(address, vault_address, stashed, locked, unlocked, latest) \
         WHERE t.address = u.address AND t.vault_address = u.vault_address".into();

    RoundSelect: [T] => format!("SELECT {ROUND_COLUMNS} FROM public.\"Option_Rounds\" WHERE address = $1");
    RoundById: [T, T] => format!("SELECT {ROUND_COLUMNS} FROM public.\"Option_Rounds\" \
         WHERE vault_address = $1 AND round_id = $2::numeric");
    RoundsOfVault: [T] => format!("SELECT {ROUND_COLUMNS} FROM public.\"Option_Rounds\" \
         WHERE vault_address = $1 ORDER BY \"Option_Rounds\".round_id DESC");
    RoundInsert: [T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T] =>
        "INSERT INTO public.\"Option_Rounds\" (address, vault_address, round_id, state, \
         available_options, clearing_price, settlement_price, reserve_price, strike_price, \
         sold_options, deployment_date, premiums, cap_level, unsold_liquidity, starting_liquidity, \
         queued_liquidity, remaining_liquidity, payout_per_option, start_date, end_date, \
         settlement_date) VALUES ($1, $2, $3::numeric, $4, $5::numeric, $6::numeric, $7::numeric, \
         $8::numeric, $9::numeric, $10::numeric, $11::numeric, $12::numeric, $13::numeric, \
         $14::numeric, $15::numeric, $16::numeric, $17::numeric, $18::numeric, $19::numeric, \
         $20::numeric, $21::numeric)".into();
    RoundUpdate: [T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T] =>
        "UPDATE public.\"Option_Rounds\" SET vault_address = $2, round_id = $3::numeric, \
         state = $4, available_options = $5::numeric, clearing_price = $6::numeric, \
         settlement_price = $7::numeric, reserve_price = $8::numeric, strike_price = $9::numeric, \
         sold_options = $10::numeric, deployment_date = $11::numeric, premiums = $12::numeric, \
         cap_level = $13::numeric, unsold_liquidity = $14::numeric, \
         starting_liquidity = $15::numeric, queued_liquidity = $16::numeric, \
         remaining_liquidity = $17::numeric, payout_per_option = $18::numeric, \
         start_date = $19::numeric, end_date = $20::numeric, settlement_date = $21::numeric \
         WHERE address = $1".into();

    QueuedSelect: [T, T] => format!("SELECT {QUEUED_COLUMNS} FROM public.\"Queued_Liquidity\" \
         WHERE address = $1 AND round_address = $2");
    QueuedOfRound: [T] => format!("SELECT {QUEUED_COLUMNS} FROM public.\"Queued_Liquidity\" \
         WHERE round_address = $1");
    QueuedInsert: [T, T, T, T] =>
        "INSERT INTO public.\"Queued_Liquidity\" (address, round_address, bps, queued_liquidity) \
         VALUES ($1, $2, $3::numeric, $4::numeric)".into();
    QueuedUpdate: [T, T, T, T] =>
        "UPDATE public.\"Queued_Liquidity\" SET bps = $3::numeric, queued_liquidity = $4::numeric \
         WHERE address = $1 AND round_address = $2".into();

    BuyerSelect: [T, T] => format!("SELECT {BUYER_COLUMNS} FROM public.\"Option_Buyers\" \
         WHERE address = $1 AND round_address = $2");
    BuyersOfRound: [T] => format!("SELECT {BUYER_COLUMNS} FROM public.\"Option_Buyers\" \
         WHERE round_address = $1 ORDER BY \"Option_Buyers\".address COLLATE \"C\"");
    BuyerInsert: [T, T, T, T, T, T] =>
        "INSERT INTO public.\"Option_Buyers\" (address, round_address, has_minted, has_refunded, \
         mintable_options, refundable_amount) \
         VALUES ($1, $2, $3::boolean, $4::boolean, $5::numeric, $6::numeric)".into();
    BuyersUpdate: [A, A, A, A, A, A] =>
        "UPDATE public.\"Option_Buyers\" AS t SET has_minted = u.minted::boolean, \
         has_refunded = u.refunded::boolean, mintable_options = u.mintable::numeric, \
         refundable_amount = u.refundable::numeric \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
              AS u(address, round_address, minted, refunded, mintable, refundable) \
         WHERE t.address = u.address AND t.round_address = u.round_address".into();

    BidSelect: [T, T] => format!("SELECT {BID_COLUMNS} FROM public.\"Bids\" \
         WHERE round_address = $1 AND bid_id = $2");
    BidsOfRound: [T] => format!("SELECT {BID_COLUMNS} FROM public.\"Bids\" WHERE round_address = $1");
    BidInsert: [T, T, T, T, T, T] =>
        "INSERT INTO public.\"Bids\" (buyer_address, round_address, bid_id, tree_nonce, amount, price) \
         VALUES ($1, $2, $3, $4::numeric, $5::numeric, $6::numeric)".into();
    BidUpdate: [T, T, T, T, T, T] =>
        "UPDATE public.\"Bids\" SET buyer_address = $1, tree_nonce = $4::numeric, \
         amount = $5::numeric, price = $6::numeric WHERE round_address = $2 AND bid_id = $3".into();

    DepositsOfRound: [T] => format!("SELECT {DEPOSIT_COLUMNS} FROM event_processor.lp_round_deposits \
         WHERE round_address = $1");
    DepositsInsert: [A, A, A, A] =>
        "INSERT INTO event_processor.lp_round_deposits \
         (round_address, lp_address, vault_address, starting_deposit) \
         SELECT r, l, v, d::numeric FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(r, l, v, d)".into();

    VaultSnapshots: [A, A, A, A, A] =>
        "INSERT INTO public.\"Vault_Historic\" \
         (unlocked_balance, locked_balance, stashed_balance, address, block_number) \
         SELECT u.unlocked::numeric, u.locked::numeric, u.stashed::numeric, u.address, u.block::numeric \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) \
              AS u(unlocked, locked, stashed, address, block) \
         ON CONFLICT (address, block_number) DO UPDATE SET \
         unlocked_balance = EXCLUDED.unlocked_balance, locked_balance = EXCLUDED.locked_balance, \
         stashed_balance = EXCLUDED.stashed_balance".into();
    LpSnapshots: [A, A, A, A, A, A] =>
        "INSERT INTO public.\"Liquidity_Providers_Historic\" \
         (address, vault_address, stashed_balance, locked_balance, unlocked_balance, block_number) \
         SELECT u.address, u.vault, u.stashed::numeric, u.locked::numeric, u.unlocked::numeric, u.block::numeric \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
              AS u(address, vault, stashed, locked, unlocked, block) \
         ON CONFLICT (address, vault_address, block_number) DO UPDATE SET \
         stashed_balance = EXCLUDED.stashed_balance, locked_balance = EXCLUDED.locked_balance, \
         unlocked_balance = EXCLUDED.unlocked_balance".into();

    BlockByHash: [T] => format!("SELECT {BLOCK_COLUMNS} FROM public.starknet_blocks WHERE block_hash = $1");
    BlockByNumber: [T] => format!("SELECT {BLOCK_COLUMNS} FROM public.starknet_blocks \
         WHERE block_number = $1::numeric");
    EventBlockNumber: [T] => "SELECT block_number::text FROM public.events WHERE block_hash = $1 LIMIT 1".into();
    EventsHaveFromAddress: [] => "SELECT attname::text FROM pg_catalog.pg_attribute \
         WHERE attrelid = 'public.events'::regclass AND attname = 'from_address' AND NOT attisdropped".into();
    // By height first: the indexer indexes events.block_number, not block_hash.
    EventsOfBlock: [T, T] => events_sql(false, " WHERE e.block_number = $2::numeric AND e.block_hash = $1");
    EventsOfBlockWithFrom: [T, T] => events_sql(true, " WHERE e.block_number = $2::numeric AND e.block_hash = $1");
    EventsOfVaultRange: [T, T, T] => events_sql(false, CATCHUP_WHERE);
    EventsOfVaultRangeWithFrom: [T, T, T] => events_sql(true, CATCHUP_WHERE);
    AppliedBlock: [T] => "SELECT block_hash FROM event_processor.applied_blocks WHERE block_hash = $1".into();
    AppliedAtHeight: [T] => "SELECT block_hash FROM event_processor.applied_blocks \
         WHERE block_number = $1::numeric".into();
    AnyBlockApplied: [] => "SELECT block_hash FROM event_processor.applied_blocks LIMIT 1".into();
    RecordBlock: [T, T, T, T] => "INSERT INTO event_processor.applied_blocks \
         (block_hash, block_number, parent_hash, event_count) VALUES ($1, $2::numeric, $3, $4::integer)".into();
    RegClass: [T] => "SELECT pg_catalog.to_regclass($1)::text".into();
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
    JournalOfBlock: [T] => "SELECT table_name, pk::text, before::text FROM event_processor.journal \
         WHERE block_hash = $1 ORDER BY event_processor.journal.seq DESC".into();
    ForgetBlock: [T] => "WITH journal AS (DELETE FROM event_processor.journal WHERE block_hash = $1), \
              events AS (DELETE FROM event_processor.applied_events WHERE block_hash = $1 RETURNING 1), \
              blocks AS (DELETE FROM event_processor.applied_blocks WHERE block_hash = $1) \
         SELECT count(*)::text FROM events".into();
    // Two statements, so the journal is deleted by index (`= ANY`) rather than by a join
    // whose generic plan scans the whole journal on every block.
    PruneBlocks: [T, T] => "UPDATE event_processor.applied_blocks SET journal_pruned = true \
         WHERE NOT journal_pruned AND block_number <= $1::numeric - $2::numeric RETURNING block_hash".into();
    DeleteJournals: [A] => "DELETE FROM event_processor.journal WHERE block_hash = ANY($1::text[])".into();
    NewestApplied: [] => "SELECT block_number::text FROM event_processor.applied_blocks \
         ORDER BY event_processor.applied_blocks.block_number DESC LIMIT 1".into();

    ClaimEvent: [T, T, T, T, T] =>
        "INSERT INTO event_processor.applied_events \
         (block_hash, vault_address, event_nonce, event_name, content_hash) \
         VALUES ($1, $2, $3::bigint, $4, $5) ON CONFLICT DO NOTHING RETURNING apply_seq".into();
}

/// Per-table statements of the revert journal, generated from `protocol::tables`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableOp {
    /// Records the before-images of rows (keys as one text[] per key column) not yet
    /// journaled for the block: `$1` block hash, then the key arrays.
    Journal,
    /// Sets every column of an existing row from a before-image (`$1` jsonb); RETURNING.
    RestoreUpdate,
    /// Inserts a before-image as a row.
    RestoreInsert,
    /// Deletes the row whose key is in `$1` (jsonb).
    RestoreDelete,
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

fn table_sql(table: Table, op: TableOp) -> (String, Vec<Param>) {
    let info = table.info();
    let q = info.qualified;
    match op {
        TableOp::Journal => {
            let names: Vec<&str> = info.key.iter().map(|(k, _)| *k).collect();
            let arrays: Vec<String> = (0..names.len())
                .map(|i| format!("${}::text[]", i + 2))
                .collect();
            let pk: Vec<String> = info
                .key
                .iter()
                .map(|(k, numeric)| {
                    format!("'{k}', u.{k}{}", if *numeric { "::numeric" } else { "" })
                })
                .collect();
            let sql = format!(
                "INSERT INTO event_processor.journal (block_hash, table_name, pk, before) \
                 SELECT $1, '{name}', jsonb_build_object({pk}), \
                        (SELECT to_jsonb(t) FROM {q} t WHERE {matching}) \
                 FROM unnest({arrays}) AS u({names}) \
                 ON CONFLICT (block_hash, table_name, pk) DO NOTHING",
                name = info.name,
                pk = pk.join(", "),
                matching = key_match(table, "t", "u"),
                arrays = arrays.join(", "),
                names = names.join(", "),
            );
            let mut params = vec![T];
            params.extend(names.iter().map(|_| A));
            (sql, params)
        }
        TableOp::RestoreUpdate => {
            let columns = info.columns.join(", ");
            let values: Vec<String> = info.columns.iter().map(|c| format!("r.{c}")).collect();
            let sql = format!(
                "UPDATE {q} AS t SET ({columns}) = ({values}) \
                 FROM jsonb_populate_record(NULL::{q}, $1::jsonb) AS r WHERE {matching} RETURNING 1",
                values = values.join(", "),
                matching = key_match(table, "t", "r"),
            );
            (sql, vec![T])
        }
        TableOp::RestoreInsert => (
            format!("INSERT INTO {q} SELECT * FROM jsonb_populate_record(NULL::{q}, $1::jsonb)"),
            vec![T],
        ),
        TableOp::RestoreDelete => {
            let sql = format!(
                "DELETE FROM {q} AS t USING jsonb_populate_record(NULL::{q}, $1::jsonb) AS k WHERE {matching}",
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
        f(kept.get(&plan).expect("prepared above"))
    })
}
