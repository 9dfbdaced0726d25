//! Each state row as its cells, in the column order of `tables`. The one place a row type is
//! laid out: the dump, the journal's before-images and the set-based writes all use it.

use super::changes::{Image, RowKey};
use super::journal::JournalRecord;
use super::state::{
    Amount, Bid, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity,
    RoundState, Vault,
};
use super::store::{LpSnapshot, StoreError, StoreResult, VaultSnapshot};
use super::tables::Table;
use std::str::FromStr;

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

    /// `sql_text` of a cell no longer needed.
    pub fn into_sql_text(self) -> Option<String> {
        match self {
            Cell::Text(s) | Cell::Numeric(s) => Some(s),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Null => None,
        }
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

/// What SQL type a column has, as far as the statements need to know (casts, selects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Numeric,
    Bool,
}

/// Where a row is read from, one column after the other (an SPI result row, or cells in a
/// test). Numerics come as exact decimal text.
pub trait CellSource {
    /// The next column as text; `None` for NULL.
    fn next_text(&mut self, column: &'static str) -> StoreResult<Option<String>>;
    /// The next column as a boolean; `None` for NULL.
    fn next_bool(&mut self, column: &'static str) -> StoreResult<Option<bool>>;
    /// An error naming the table and `column`.
    fn bad(&self, column: &'static str, what: &str) -> StoreError;
}

/// A Rust field type as one column: its kind, its cell, and how it is read back.
pub trait Column: Sized {
    const KIND: Kind;
    fn cell(&self) -> Cell;
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self>;
}

fn required<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<String> {
    source
        .next_text(column)?
        .ok_or_else(|| source.bad(column, "is NULL"))
}

fn parsed<T: FromStr, S: CellSource + ?Sized>(
    source: &mut S,
    column: &'static str,
) -> StoreResult<T> {
    let text = required(source, column)?;
    text.parse().map_err(|_| {
        source.bad(
            column,
            &format!("holds {text:?}, not an integer of the expected range"),
        )
    })
}

impl Column for String {
    const KIND: Kind = Kind::Text;
    fn cell(&self) -> Cell {
        Cell::Text(self.clone())
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        required(source, column)
    }
}

impl Column for Option<String> {
    const KIND: Kind = Kind::Text;
    fn cell(&self) -> Cell {
        self.as_deref().map_or(Cell::Null, text)
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        source.next_text(column)
    }
}

impl Column for bool {
    const KIND: Kind = Kind::Bool;
    fn cell(&self) -> Cell {
        Cell::Bool(*self)
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        source
            .next_bool(column)?
            .ok_or_else(|| source.bad(column, "is NULL"))
    }
}

impl Column for RoundState {
    const KIND: Kind = Kind::Text;
    fn cell(&self) -> Cell {
        text(self.as_str())
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        let state = required(source, column)?;
        RoundState::parse(&state)
            .ok_or_else(|| source.bad(column, &format!("holds an unknown state {state:?}")))
    }
}

macro_rules! numeric_columns {
    ($($ty:ty),+) => {$(
        impl Column for $ty {
            const KIND: Kind = Kind::Numeric;
            fn cell(&self) -> Cell {
                Cell::num(self)
            }
            fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
                parsed(source, column)
            }
        }
    )+};
}
numeric_columns!(Amount, u64, u128, i128);

/// The kind of the column a field accessor reaches (for the layouts' `KINDS`).
const fn kind_of<R, T: Column>(_field: fn(&R) -> &T) -> Kind {
    T::KIND
}

/// A state row: its table, its columns in spec order, and its cells in that order.
pub trait Row {
    const TABLE: Table;
    /// The table's columns in spec order (= `row_to_json` key order).
    const COLUMNS: &'static [&'static str];
    const KINDS: &'static [Kind];
    fn cells(&self) -> Vec<Cell>;

    /// The row as a JSON object keyed by column, as `to_jsonb(row)` gives it.
    fn to_json(&self) -> String {
        json_object(Self::COLUMNS.iter().copied(), &self.cells())
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

/// A state row the store reads back, column by column in `Row::COLUMNS` order.
pub trait ReadRow: Row + Sized {
    fn read<S: CellSource + ?Sized>(source: &mut S) -> StoreResult<Self>;
}

/// The one description of a table's columns: their names, in spec order, with the field that
/// holds each. `Row` (cells, kinds, column names) and, for rows the store reads back,
/// `ReadRow` are generated from it; a field missing from a layout does not compile.
macro_rules! layout {
    ($row:ident => $table:ident { $($column:ident),+ $(,)? }) => {
        layout!(@row $row => $table { $($column: $column),+ });
        impl ReadRow for $row {
            fn read<S: CellSource + ?Sized>(source: &mut S) -> StoreResult<Self> {
                Ok($row { $($column: Column::read(source, stringify!($column))?),+ })
            }
        }
    };
    (@row $row:ident => $table:ident { $($column:ident: $($field:ident).+),+ $(,)? }) => {
        impl Row for $row {
            const TABLE: Table = Table::$table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($column)),+];
            const KINDS: &'static [Kind] = &[$(kind_of(|r: &$row| &r.$($field).+)),+];
            fn cells(&self) -> Vec<Cell> {
                vec![$(Column::cell(&self.$($field).+)),+]
            }
        }
    };
}

layout!(Vault => Vaults {
    unlocked_balance,
    locked_balance,
    current_round,
    current_round_address,
    stashed_balance,
    address,
    latest_block,
    fossil_client_address,
    eth_address,
    option_round_class_hash,
    alpha,
    strike_level,
    round_transition_period,
    auction_duration,
    round_duration,
    deployment_date,
});

layout!(LiquidityProvider => LiquidityProviders {
    address,
    vault_address,
    stashed_balance,
    locked_balance,
    unlocked_balance,
    latest_block,
});

// The history tables are written without being read: their layouts name a field per column.
layout!(@row LpSnapshot => LpHistory {
    address: lp,
    vault_address: vault,
    stashed_balance: balances.stashed,
    locked_balance: balances.locked,
    unlocked_balance: balances.unlocked,
    block_number: block,
});

layout!(@row VaultSnapshot => VaultHistory {
    unlocked_balance: balances.unlocked,
    locked_balance: balances.locked,
    stashed_balance: balances.stashed,
    address: vault,
    block_number: block,
});

layout!(OptionRound => Rounds {
    address,
    available_options,
    clearing_price,
    settlement_price,
    reserve_price,
    strike_price,
    sold_options,
    deployment_date,
    state,
    premiums,
    vault_address,
    round_id,
    cap_level,
    unsold_liquidity,
    starting_liquidity,
    queued_liquidity,
    remaining_liquidity,
    payout_per_option,
    start_date,
    end_date,
    settlement_date,
});

layout!(QueuedLiquidity => QueuedLiquidity {
    address,
    queued_liquidity,
    bps,
    round_address,
});

layout!(OptionBuyer => OptionBuyers {
    address,
    round_address,
    has_minted,
    has_refunded,
    mintable_options,
    refundable_amount,
});

layout!(Bid => Bids {
    buyer_address,
    round_address,
    bid_id,
    tree_nonce,
    amount,
    price,
});

layout!(LpRoundDeposit => LpRoundDeposits {
    round_address,
    lp_address,
    vault_address,
    starting_deposit,
});

impl RowKey {
    /// The key's cells in key-column order of the table (the key's strings moved, not copied).
    pub fn into_cells(self) -> Vec<Cell> {
        match self {
            RowKey::Vault(a) | RowKey::Round(a) => vec![Cell::Text(a)],
            RowKey::Lp((vault, lp)) => vec![Cell::Text(lp), Cell::Text(vault)],
            RowKey::LpHistory((lp, vault, block)) => {
                vec![Cell::Text(lp), Cell::Text(vault), Cell::num(block)]
            }
            RowKey::VaultHistory((vault, block)) => vec![Cell::Text(vault), Cell::num(block)],
            RowKey::Queued((round, lp)) => vec![Cell::Text(lp), Cell::Text(round)],
            RowKey::Buyer((round, buyer)) => vec![Cell::Text(buyer), Cell::Text(round)],
            RowKey::Bid((round, id)) | RowKey::Deposit((round, id)) => {
                vec![Cell::Text(round), Cell::Text(id)]
            }
        }
    }
}

impl Image {
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
            pk: json_object(names, &self.key().into_cells()),
            before,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a row back from its own cells, as the store reads it from a result row.
    struct Cells(std::vec::IntoIter<Cell>);

    impl CellSource for Cells {
        fn next_text(&mut self, column: &'static str) -> StoreResult<Option<String>> {
            match self.0.next() {
                Some(Cell::Bool(_)) | None => Err(self.bad(column, "is not text")),
                Some(cell) => Ok(cell.sql_text()),
            }
        }
        fn next_bool(&mut self, column: &'static str) -> StoreResult<Option<bool>> {
            match self.0.next() {
                Some(Cell::Bool(b)) => Ok(Some(b)),
                Some(Cell::Null) => Ok(None),
                _ => Err(self.bad(column, "is not a boolean")),
            }
        }
        fn bad(&self, column: &'static str, what: &str) -> StoreError {
            StoreError(format!("{column} {what}"))
        }
    }

    fn round_trip<R: ReadRow + PartialEq + std::fmt::Debug>(row: R) {
        let cells = row.cells();
        assert_eq!(cells.len(), R::COLUMNS.len());
        for (cell, kind) in cells.iter().zip(R::KINDS) {
            let expected = match cell {
                Cell::Text(_) => Kind::Text,
                Cell::Numeric(_) => Kind::Numeric,
                Cell::Bool(_) => Kind::Bool,
                Cell::Null => continue,
            };
            assert_eq!(expected, *kind, "{:?}", R::TABLE);
        }
        let mut source = Cells(cells.into_iter());
        assert_eq!(R::read(&mut source).unwrap(), row);
        assert!(source.0.next().is_none(), "every cell read");
    }

    #[test]
    fn every_readable_row_reads_back_from_its_cells() {
        let big = num_bigint::BigUint::from(3u8).pow(160);
        round_trip(Vault {
            address: "0xa".into(),
            unlocked_balance: big.clone(),
            locked_balance: 2u8.into(),
            stashed_balance: 3u8.into(),
            current_round: 4,
            current_round_address: None,
            latest_block: 5,
            fossil_client_address: "0xf".into(),
            eth_address: "0xe".into(),
            option_round_class_hash: "0xc".into(),
            alpha: 6,
            strike_level: -7,
            round_transition_period: 8,
            auction_duration: 9,
            round_duration: 10,
            deployment_date: 11,
        });
        round_trip(LiquidityProvider::new("0x1", "0x2", 3));
        round_trip(QueuedLiquidity {
            address: "0x1".into(),
            round_address: "0x2".into(),
            bps: 17,
            queued_liquidity: big.clone(),
        });
        round_trip(OptionBuyer {
            address: "0x1".into(),
            round_address: "0x2".into(),
            has_minted: true,
            has_refunded: false,
            mintable_options: 4u8.into(),
            refundable_amount: big.clone(),
        });
        round_trip(Bid {
            buyer_address: "0x1".into(),
            round_address: "0x2".into(),
            bid_id: "0x3".into(),
            tree_nonce: 4,
            amount: big.clone(),
            price: 5u8.into(),
        });
        round_trip(LpRoundDeposit {
            round_address: "0x1".into(),
            lp_address: "0x2".into(),
            vault_address: "0x3".into(),
            starting_deposit: big,
        });
    }

    #[test]
    fn a_bad_cell_names_its_column() {
        let mut cells = LiquidityProvider::new("0x1", "0x2", 3).cells();
        cells[3] = Cell::Numeric("-1".into());
        let error = LiquidityProvider::read(&mut Cells(cells.into_iter())).unwrap_err();
        assert!(
            error.0.starts_with("locked_balance holds \"-1\""),
            "{error}"
        );
    }

    #[test]
    fn every_key_column_is_a_column_of_its_kind() {
        for table in Table::ALL {
            let info = table.info();
            assert_eq!(info.kinds.len(), info.columns.len(), "{}", info.name);
            for (key, numeric) in info.key {
                let at = info.columns.iter().position(|c| c == key).unwrap();
                assert_eq!(
                    info.kinds[at] == Kind::Numeric,
                    *numeric,
                    "{}.{key}",
                    info.name
                );
            }
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
