//! A text dump of every state table — one line per row, `Table|col|col|...` in the spec's
//! column order, `NULL` spelled out — produced identically from the database (`dump_queries`)
//! and from a `MemoryStore`, so tests can compare a database run with a pure run.

use super::memory::MemoryStore;
use super::state::Balances;

/// Each state table (and the internal LP deposit table) with its columns in spec order.
pub const TABLES: &[(&str, &[&str])] = &[
    (
        "public.\"VaultStates\"",
        &[
            "unlocked_balance",
            "locked_balance",
            "current_round",
            "current_round_address",
            "stashed_balance",
            "address",
            "latest_block",
            "fossil_client_address",
            "eth_address",
            "option_round_class_hash",
            "alpha",
            "strike_level",
            "round_transition_period",
            "auction_duration",
            "round_duration",
            "deployment_date",
        ],
    ),
    (
        "public.\"Liquidity_Providers\"",
        &[
            "address",
            "vault_address",
            "stashed_balance",
            "locked_balance",
            "unlocked_balance",
            "latest_block",
        ],
    ),
    (
        "public.\"Liquidity_Providers_Historic\"",
        &[
            "address",
            "vault_address",
            "stashed_balance",
            "locked_balance",
            "unlocked_balance",
            "block_number",
        ],
    ),
    (
        "public.\"Vault_Historic\"",
        &[
            "unlocked_balance",
            "locked_balance",
            "stashed_balance",
            "address",
            "block_number",
        ],
    ),
    (
        "public.\"Option_Rounds\"",
        &[
            "address",
            "available_options",
            "clearing_price",
            "settlement_price",
            "reserve_price",
            "strike_price",
            "sold_options",
            "deployment_date",
            "state",
            "premiums",
            "vault_address",
            "round_id",
            "cap_level",
            "unsold_liquidity",
            "starting_liquidity",
            "queued_liquidity",
            "remaining_liquidity",
            "payout_per_option",
            "start_date",
            "end_date",
            "settlement_date",
        ],
    ),
    (
        "public.\"Queued_Liquidity\"",
        &["address", "queued_liquidity", "bps", "round_address"],
    ),
    (
        "public.\"Option_Buyers\"",
        &[
            "address",
            "round_address",
            "has_minted",
            "has_refunded",
            "mintable_options",
            "refundable_amount",
        ],
    ),
    (
        "public.\"Bids\"",
        &[
            "buyer_address",
            "round_address",
            "bid_id",
            "tree_nonce",
            "amount",
            "price",
        ],
    ),
    (
        "event_processor.lp_round_deposits",
        &[
            "round_address",
            "lp_address",
            "vault_address",
            "starting_deposit",
        ],
    ),
];

/// One SELECT per table returning its rows as dump lines (unordered; callers sort).
pub fn dump_queries() -> Vec<String> {
    TABLES
        .iter()
        .map(|(table, columns)| {
            let cells: Vec<String> = columns
                .iter()
                .map(|c| format!("coalesce({c}::text, 'NULL')"))
                .collect();
            format!(
                "SELECT concat_ws('|', '{}', {}) FROM {table}",
                short_name(table),
                cells.join(", ")
            )
        })
        .collect()
}

fn short_name(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table).trim_matches('"')
}

fn line(table: &str, cells: &[String]) -> String {
    format!("{}|{}", short_name(table), cells.join("|"))
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "NULL".into())
}

impl MemoryStore {
    /// Every row as a dump line, sorted.
    pub fn dump(&self) -> Vec<String> {
        let t = |i: usize| TABLES[i].0;
        let mut lines = Vec::new();
        for v in self.vaults.values() {
            lines.push(line(
                t(0),
                &[
                    v.unlocked_balance.to_string(),
                    v.locked_balance.to_string(),
                    v.current_round.to_string(),
                    opt(&v.current_round_address),
                    v.stashed_balance.to_string(),
                    v.address.clone(),
                    v.latest_block.to_string(),
                    v.fossil_client_address.clone(),
                    v.eth_address.clone(),
                    v.option_round_class_hash.clone(),
                    v.alpha.to_string(),
                    v.strike_level.to_string(),
                    v.round_transition_period.to_string(),
                    v.auction_duration.to_string(),
                    v.round_duration.to_string(),
                    v.deployment_date.to_string(),
                ],
            ));
        }
        for lp in self.liquidity_providers.values() {
            lines.push(line(
                t(1),
                &[
                    lp.address.clone(),
                    lp.vault_address.clone(),
                    lp.stashed_balance.to_string(),
                    lp.locked_balance.to_string(),
                    lp.unlocked_balance.to_string(),
                    lp.latest_block.to_string(),
                ],
            ));
        }
        let balances = |b: &Balances| {
            [
                b.unlocked.to_string(),
                b.locked.to_string(),
                b.stashed.to_string(),
            ]
        };
        for ((lp, vault, block), b) in &self.lp_history {
            let [unlocked, locked, stashed] = balances(b);
            lines.push(line(
                t(2),
                &[
                    lp.clone(),
                    vault.clone(),
                    stashed,
                    locked,
                    unlocked,
                    block.to_string(),
                ],
            ));
        }
        for ((vault, block), b) in &self.vault_history {
            let [unlocked, locked, stashed] = balances(b);
            lines.push(line(
                t(3),
                &[unlocked, locked, stashed, vault.clone(), block.to_string()],
            ));
        }
        for r in self.rounds.values() {
            lines.push(line(
                t(4),
                &[
                    r.address.clone(),
                    r.available_options.to_string(),
                    r.clearing_price.to_string(),
                    r.settlement_price.to_string(),
                    r.reserve_price.to_string(),
                    r.strike_price.to_string(),
                    r.sold_options.to_string(),
                    r.deployment_date.to_string(),
                    r.state.to_string(),
                    r.premiums.to_string(),
                    r.vault_address.clone(),
                    r.round_id.to_string(),
                    r.cap_level.to_string(),
                    r.unsold_liquidity.to_string(),
                    r.starting_liquidity.to_string(),
                    r.queued_liquidity.to_string(),
                    r.remaining_liquidity.to_string(),
                    r.payout_per_option.to_string(),
                    r.start_date.to_string(),
                    r.end_date.to_string(),
                    r.settlement_date.to_string(),
                ],
            ));
        }
        for q in self.queued.values() {
            lines.push(line(
                t(5),
                &[
                    q.address.clone(),
                    q.queued_liquidity.to_string(),
                    q.bps.to_string(),
                    q.round_address.clone(),
                ],
            ));
        }
        for b in self.buyers.values() {
            lines.push(line(
                t(6),
                &[
                    b.address.clone(),
                    b.round_address.clone(),
                    b.has_minted.to_string(),
                    b.has_refunded.to_string(),
                    b.mintable_options.to_string(),
                    b.refundable_amount.to_string(),
                ],
            ));
        }
        for b in self.bids.values() {
            lines.push(line(
                t(7),
                &[
                    b.buyer_address.clone(),
                    b.round_address.clone(),
                    b.bid_id.clone(),
                    b.tree_nonce.to_string(),
                    b.amount.to_string(),
                    b.price.to_string(),
                ],
            ));
        }
        for d in self.deposits.values() {
            lines.push(line(
                t(8),
                &[
                    d.round_address.clone(),
                    d.lp_address.clone(),
                    d.vault_address.clone(),
                    d.starting_deposit.to_string(),
                ],
            ));
        }
        lines.sort();
        lines
    }
}
