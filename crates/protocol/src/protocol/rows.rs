//! Each state row as its cells, in the column order of `tables`. The one place a row type is
//! laid out: the dump, the journal's before-images and the set-based writes all use it.

use super::memory::Image;
use super::state::{
    Bid, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity, Vault,
};
use super::store::{LpSnapshot, VaultSnapshot};
use super::tables::Table;

/// One column's value: exact decimal text for numerics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Numeric(String),
    Bool(bool),
    Null,
}

impl Cell {
    fn num(value: impl ToString) -> Cell {
        Cell::Numeric(value.to_string())
    }

    /// The cell as SQL text (None for NULL): what the set-based statements cast back.
    pub fn sql_text(&self) -> Option<String> {
        match self {
            Cell::Text(s) | Cell::Numeric(s) => Some(s.clone()),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Null => None,
        }
    }

    /// The cell as `to_jsonb` renders it (numerics as JSON numbers, exact).
    fn json(&self) -> String {
        match self {
            Cell::Text(s) => serde_json::Value::from(s.as_str()).to_string(),
            Cell::Numeric(s) => s.clone(),
            Cell::Bool(b) => b.to_string(),
            Cell::Null => "null".into(),
        }
    }
}

/// A state row: its table and its cells in column order.
pub trait Row {
    const TABLE: Table;
    fn cells(&self) -> Vec<Cell>;

    /// The row as a JSON object keyed by column, as `to_jsonb(row)` gives it.
    fn to_json(&self) -> String {
        json_object(Self::TABLE.info().columns.iter().copied(), &self.cells())
    }
}

fn json_object<'a>(names: impl Iterator<Item = &'a str>, cells: &[Cell]) -> String {
    let fields: Vec<String> = names
        .zip(cells)
        .map(|(name, cell)| format!("\"{name}\": {}", cell.json()))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

impl Row for Vault {
    const TABLE: Table = Table::Vaults;
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::num(&self.unlocked_balance),
            Cell::num(&self.locked_balance),
            Cell::num(self.current_round),
            self.current_round_address
                .as_deref()
                .map_or(Cell::Null, text),
            Cell::num(&self.stashed_balance),
            text(&self.address),
            Cell::num(self.latest_block),
            text(&self.fossil_client_address),
            text(&self.eth_address),
            text(&self.option_round_class_hash),
            Cell::num(self.alpha),
            Cell::num(self.strike_level),
            Cell::num(self.round_transition_period),
            Cell::num(self.auction_duration),
            Cell::num(self.round_duration),
            Cell::num(self.deployment_date),
        ]
    }
}

impl Row for LiquidityProvider {
    const TABLE: Table = Table::LiquidityProviders;
    fn cells(&self) -> Vec<Cell> {
        vec![
            text(&self.address),
            text(&self.vault_address),
            Cell::num(&self.stashed_balance),
            Cell::num(&self.locked_balance),
            Cell::num(&self.unlocked_balance),
            Cell::num(self.latest_block),
        ]
    }
}

impl Row for LpSnapshot {
    const TABLE: Table = Table::LpHistory;
    fn cells(&self) -> Vec<Cell> {
        vec![
            text(&self.lp),
            text(&self.vault),
            Cell::num(&self.balances.stashed),
            Cell::num(&self.balances.locked),
            Cell::num(&self.balances.unlocked),
            Cell::num(self.block),
        ]
    }
}

impl Row for VaultSnapshot {
    const TABLE: Table = Table::VaultHistory;
    fn cells(&self) -> Vec<Cell> {
        vec![
            Cell::num(&self.balances.unlocked),
            Cell::num(&self.balances.locked),
            Cell::num(&self.balances.stashed),
            text(&self.vault),
            Cell::num(self.block),
        ]
    }
}

impl Row for OptionRound {
    const TABLE: Table = Table::Rounds;
    fn cells(&self) -> Vec<Cell> {
        vec![
            text(&self.address),
            Cell::num(&self.available_options),
            Cell::num(&self.clearing_price),
            Cell::num(&self.settlement_price),
            Cell::num(&self.reserve_price),
            Cell::num(&self.strike_price),
            Cell::num(&self.sold_options),
            Cell::num(self.deployment_date),
            text(self.state.as_str()),
            Cell::num(&self.premiums),
            text(&self.vault_address),
            Cell::num(self.round_id),
            Cell::num(self.cap_level),
            Cell::num(&self.unsold_liquidity),
            Cell::num(&self.starting_liquidity),
            Cell::num(&self.queued_liquidity),
            Cell::num(&self.remaining_liquidity),
            Cell::num(&self.payout_per_option),
            Cell::num(self.start_date),
            Cell::num(self.end_date),
            Cell::num(self.settlement_date),
        ]
    }
}

impl Row for QueuedLiquidity {
    const TABLE: Table = Table::QueuedLiquidity;
    fn cells(&self) -> Vec<Cell> {
        vec![
            text(&self.address),
            Cell::num(&self.queued_liquidity),
            Cell::num(self.bps),
            text(&self.round_address),
        ]
    }
}

impl Row for OptionBuyer {
    const TABLE: Table = Table::OptionBuyers;
    fn cells(&self) -> Vec<Cell> {
        vec![
            text(&self.address),
            text(&self.round_address),
            Cell::Bool(self.has_minted),
            Cell::Bool(self.has_refunded),
            Cell::num(&self.mintable_options),
            Cell::num(&self.refundable_amount),
        ]
    }
}

impl Row for Bid {
    const TABLE: Table = Table::Bids;
    fn cells(&self) -> Vec<Cell> {
        vec![
            text(&self.buyer_address),
            text(&self.round_address),
            text(&self.bid_id),
            Cell::num(self.tree_nonce),
            Cell::num(&self.amount),
            Cell::num(&self.price),
        ]
    }
}

impl Row for LpRoundDeposit {
    const TABLE: Table = Table::LpRoundDeposits;
    fn cells(&self) -> Vec<Cell> {
        vec![
            text(&self.round_address),
            text(&self.lp_address),
            text(&self.vault_address),
            Cell::num(&self.starting_deposit),
        ]
    }
}

/// A journal entry as the journal table holds it: table, key JSON, before-image JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRecord {
    pub table: Table,
    pub pk: String,
    pub before: Option<String>,
}

impl Image {
    pub fn table(&self) -> Table {
        match self {
            Image::Vault(..) => Table::Vaults,
            Image::Lp(..) => Table::LiquidityProviders,
            Image::LpHistory(..) => Table::LpHistory,
            Image::VaultHistory(..) => Table::VaultHistory,
            Image::Round(..) => Table::Rounds,
            Image::Queued(..) => Table::QueuedLiquidity,
            Image::Buyer(..) => Table::OptionBuyers,
            Image::Bid(..) => Table::Bids,
            Image::Deposit(..) => Table::LpRoundDeposits,
        }
    }

    /// The key's cells in key-column order of the table.
    pub fn key_cells(&self) -> Vec<Cell> {
        match self {
            Image::Vault(a, _) | Image::Round(a, _) => vec![text(a)],
            Image::Lp((vault, lp), _) => vec![text(lp), text(vault)],
            Image::LpHistory((lp, vault, block), _) => {
                vec![text(lp), text(vault), Cell::num(block)]
            }
            Image::VaultHistory((vault, block), _) => vec![text(vault), Cell::num(block)],
            Image::Queued((round, lp), _) => vec![text(lp), text(round)],
            Image::Buyer((round, buyer), _) => vec![text(buyer), text(round)],
            Image::Bid((round, id), _) | Image::Deposit((round, id), _) => {
                vec![text(round), text(id)]
            }
        }
    }

    /// The entry as the journal table stores it.
    pub fn record(&self) -> JournalRecord {
        let table = self.table();
        let names = table.info().key.iter().map(|(name, _)| *name);
        let before = match self {
            Image::Vault(_, row) => row.as_ref().map(Row::to_json),
            Image::Lp(_, row) => row.as_ref().map(Row::to_json),
            Image::LpHistory((lp, vault, block), row) => row.as_ref().map(|b| {
                LpSnapshot {
                    lp: lp.clone(),
                    vault: vault.clone(),
                    block: *block,
                    balances: b.clone(),
                }
                .to_json()
            }),
            Image::VaultHistory((vault, block), row) => row.as_ref().map(|b| {
                VaultSnapshot {
                    vault: vault.clone(),
                    block: *block,
                    balances: b.clone(),
                }
                .to_json()
            }),
            Image::Round(_, row) => row.as_ref().map(Row::to_json),
            Image::Queued(_, row) => row.as_ref().map(Row::to_json),
            Image::Buyer(_, row) => row.as_ref().map(Row::to_json),
            Image::Bid(_, row) => row.as_ref().map(Row::to_json),
            Image::Deposit(_, row) => row.as_ref().map(Row::to_json),
        };
        JournalRecord {
            table,
            pk: json_object(names, &self.key_cells()),
            before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_one_kind_per_column() {
        for table in Table::ALL {
            let info = table.info();
            assert_eq!(info.kinds.len(), info.columns.len(), "{}", info.name);
        }
    }

    #[test]
    fn json_keeps_big_numbers_exact_and_escapes_text() {
        let deposit = LpRoundDeposit {
            round_address: "0x1\"q".into(),
            lp_address: "0x2".into(),
            vault_address: "0x3".into(),
            starting_deposit: num_bigint::BigUint::from(2u8).pow(255),
        };
        let parsed: serde_json::Value = serde_json::from_str(&deposit.to_json()).unwrap();
        assert_eq!(parsed["round_address"], "0x1\"q");
        assert!(deposit.to_json().contains(&format!(
            "\"starting_deposit\": {}",
            num_bigint::BigUint::from(2u8).pow(255)
        )));
    }
}
