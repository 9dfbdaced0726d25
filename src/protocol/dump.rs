//! A text dump of every state table — one line per row, `Table|col|col|...` in the spec's
//! column order, `NULL` spelled out — produced identically from the database (`dump_queries`)
//! and from a `MemoryStore`, so tests can compare a database run with a pure run.

use super::memory::MemoryStore;
use super::state::Balances;
use super::tables::Table;

/// One SELECT per table returning its rows as dump lines (unordered; callers sort).
pub fn dump_queries() -> Vec<String> {
    Table::ALL
        .iter()
        .map(|t| {
            let info = t.info();
            let cells: Vec<String> = info
                .columns
                .iter()
                .map(|c| format!("coalesce({c}::text, 'NULL')"))
                .collect();
            format!(
                "SELECT concat_ws('|', '{}', {}) FROM {}",
                info.name,
                cells.join(", "),
                info.qualified
            )
        })
        .collect()
}

fn line(table: Table, cells: &[String]) -> String {
    format!("{}|{}", table.info().name, cells.join("|"))
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "NULL".into())
}

impl MemoryStore {
    /// Every row as a dump line, sorted.
    pub fn dump(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for v in self.vaults.values() {
            lines.push(line(
                Table::Vaults,
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
                Table::LiquidityProviders,
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
                Table::LpHistory,
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
                Table::VaultHistory,
                &[unlocked, locked, stashed, vault.clone(), block.to_string()],
            ));
        }
        for r in self.rounds.values() {
            lines.push(line(
                Table::Rounds,
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
                Table::QueuedLiquidity,
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
                Table::OptionBuyers,
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
                Table::Bids,
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
                Table::LpRoundDeposits,
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
