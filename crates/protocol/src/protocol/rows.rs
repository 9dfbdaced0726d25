//! Each state row as its cells, in the column order of `tables`. The one place a row type is
//! laid out: the dump, the journal's before-images and the set-based writes all use it.

use super::changes::Image;
use super::changes::KeyRef;
use super::journal::GroupedJournal;
use super::state::{
    Amount, Bid, Hex, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity,
    RoundState, Vault,
};
use super::store::{LpSnapshot, StoreError, StoreResult, VaultSnapshot};
use super::tables::Table;
use std::fmt::Display;
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
}

/// A cell borrowed from its row: what the writers need, without a copy of the value. Numerics
/// are formatted straight into the writer's buffer.
#[derive(Clone, Copy)]
pub enum CellRef<'a> {
    Text(&'a str),
    Amount(&'a Amount),
    Int(i128),
    UInt(u128),
    Bool(bool),
    Null,
}

impl CellRef<'_> {
    /// Appends the cell's SQL text (what the set-based statements cast back); false for NULL.
    pub fn write_sql_text(&self, out: &mut String) -> bool {
        match *self {
            CellRef::Text(s) => out.push_str(s),
            CellRef::Amount(a) => push_amount(out, a),
            CellRef::Int(i) => {
                if i < 0 {
                    out.push('-');
                }
                push_decimal(out, i.unsigned_abs());
            }
            CellRef::UInt(u) => push_decimal(out, u),
            CellRef::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            CellRef::Null => return false,
        }
        true
    }

    /// Appends the cell as `to_jsonb` renders it (numerics as JSON numbers, exact).
    pub fn write_json(&self, out: &mut String) {
        match *self {
            CellRef::Text(s) => write_json_string(out, s),
            CellRef::Null => out.push_str("null"),
            other => {
                other.write_sql_text(out);
            }
        }
    }

    pub fn to_cell(self) -> Cell {
        let mut text = String::new();
        match self {
            CellRef::Text(s) => Cell::Text(s.to_string()),
            CellRef::Bool(b) => Cell::Bool(b),
            CellRef::Null => Cell::Null,
            numeric => {
                numeric.write_sql_text(&mut text);
                Cell::Numeric(text)
            }
        }
    }
}

/// The largest power of ten below 2^64: numbers are written in chunks of 19 digits.
const TEN_TO_19: u128 = 10_000_000_000_000_000_000;

/// Appends `value` in decimal. The writers format a number per cell, and `core::fmt`'s
/// machinery was a visible share of a batch; this is a digit loop per 19-digit chunk (three
/// at most).
fn push_decimal(out: &mut String, value: u128) {
    match u64::try_from(value) {
        Ok(small) => push_u64(out, small, 0),
        Err(_) => {
            push_decimal(out, value / TEN_TO_19);
            let low = u64::try_from(value % TEN_TO_19).expect("below 10^19");
            push_u64(out, low, 19);
        }
    }
}

/// Appends an amount in decimal: as `push_decimal` below 2^128, else in base-10^19 chunks
/// divided out of its 64-bit limbs (BigUint's own formatting allocates a digit per byte).
fn push_amount(out: &mut String, amount: &Amount) {
    if let Ok(small) = u128::try_from(amount) {
        return push_decimal(out, small);
    }
    let mut limbs = amount.to_u64_digits();
    let mut chunks = Vec::with_capacity(limbs.len() * 2);
    while !limbs.is_empty() {
        let mut remainder = 0u128;
        for limb in limbs.iter_mut().rev() {
            let current = (remainder << 64) | u128::from(*limb);
            *limb = u64::try_from(current / TEN_TO_19).expect("a quotient digit fits a limb");
            remainder = current % TEN_TO_19;
        }
        chunks.push(u64::try_from(remainder).expect("below 10^19"));
        while limbs.last() == Some(&0) {
            limbs.pop();
        }
    }
    let mut chunks = chunks.into_iter().rev();
    push_u64(out, chunks.next().expect("a nonzero amount"), 0);
    chunks.for_each(|chunk| push_u64(out, chunk, 19));
}

/// Appends `value` in decimal, zero-padded to `width` digits.
fn push_u64(out: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    while value > 0 {
        at -= 1;
        digits[at] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    // At least one digit (zero), and at least `width`.
    let start = at.min(digits.len() - width.max(1));
    out.push_str(std::str::from_utf8(&digits[start..]).expect("ASCII digits"));
}

fn write_display(out: &mut String, value: impl Display) {
    use std::fmt::Write;
    write!(out, "{value}").expect("writing to a String cannot fail");
}

/// A JSON string literal: quotes, backslashes and control characters escaped (RFC 8259).
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    // Addresses and hashes (nearly every string) need no escape: copied whole.
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => write_display(out, format_args!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
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
    fn cell(&self) -> CellRef<'_>;
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

impl Column for Hex {
    const KIND: Kind = Kind::Text;
    fn cell(&self) -> CellRef<'_> {
        CellRef::Text(self)
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        required(source, column).map(Hex::from)
    }
}

impl Column for Option<Hex> {
    const KIND: Kind = Kind::Text;
    fn cell(&self) -> CellRef<'_> {
        self.as_deref().map_or(CellRef::Null, CellRef::Text)
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        Ok(source.next_text(column)?.map(Hex::from))
    }
}

impl Column for bool {
    const KIND: Kind = Kind::Bool;
    fn cell(&self) -> CellRef<'_> {
        CellRef::Bool(*self)
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        source
            .next_bool(column)?
            .ok_or_else(|| source.bad(column, "is NULL"))
    }
}

impl Column for RoundState {
    const KIND: Kind = Kind::Text;
    fn cell(&self) -> CellRef<'_> {
        CellRef::Text(self.as_str())
    }
    fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
        let state = required(source, column)?;
        RoundState::parse(&state)
            .ok_or_else(|| source.bad(column, &format!("holds an unknown state {state:?}")))
    }
}

macro_rules! numeric_columns {
    ($($ty:ty => $cell:expr),+) => {$(
        impl Column for $ty {
            const KIND: Kind = Kind::Numeric;
            fn cell(&self) -> CellRef<'_> {
                $cell(self)
            }
            fn read<S: CellSource + ?Sized>(source: &mut S, column: &'static str) -> StoreResult<Self> {
                parsed(source, column)
            }
        }
    )+};
}
numeric_columns!(
    Amount => CellRef::Amount,
    u64 => |n: &u64| CellRef::UInt(u128::from(*n)),
    u128 => |n: &u128| CellRef::UInt(*n),
    i128 => |n: &i128| CellRef::Int(*n)
);

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
    /// Hands each cell, in column order, to `f`, borrowed from the row.
    fn for_each_cell(&self, f: &mut dyn FnMut(CellRef<'_>));

    fn cells(&self) -> Vec<Cell> {
        let mut cells = Vec::with_capacity(Self::COLUMNS.len());
        self.for_each_cell(&mut |cell| cells.push(cell.to_cell()));
        cells
    }

    /// Appends the row as a JSON object keyed by column, as `to_jsonb(row)` gives it.
    fn write_json(&self, out: &mut String) {
        write_json_object(out, Self::COLUMNS.iter().copied(), |f| {
            self.for_each_cell(f)
        });
    }

    fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }
}

/// `{"name": cell, ...}` of the cells `visit` hands over, named in order by `names`.
fn write_json_object<'n>(
    out: &mut String,
    mut names: impl Iterator<Item = &'n str>,
    visit: impl FnOnce(&mut dyn FnMut(CellRef<'_>)),
) {
    out.push('{');
    let mut first = true;
    visit(&mut |cell| {
        if !first {
            out.push_str(", ");
        }
        first = false;
        out.push('"');
        out.push_str(names.next().expect("a name per cell"));
        out.push_str("\": ");
        cell.write_json(out);
    });
    out.push('}');
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
            fn for_each_cell(&self, f: &mut dyn FnMut(CellRef<'_>)) {
                $(f(Column::cell(&self.$($field).+));)+
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

impl KeyRef<'_> {
    /// The key's cells in key-column order of the table, borrowed.
    pub fn for_each_cell(&self, f: &mut dyn FnMut(CellRef<'_>)) {
        let block = |b: &u64| CellRef::UInt(u128::from(*b));
        match *self {
            KeyRef::Vault(a) | KeyRef::Round(a) => f(CellRef::Text(a)),
            KeyRef::Lp((vault, lp)) => {
                f(CellRef::Text(lp));
                f(CellRef::Text(vault));
            }
            KeyRef::LpHistory((lp, vault, b)) => {
                f(CellRef::Text(lp));
                f(CellRef::Text(vault));
                f(block(b));
            }
            KeyRef::VaultHistory((vault, b)) => {
                f(CellRef::Text(vault));
                f(block(b));
            }
            KeyRef::Queued((round, lp)) => {
                f(CellRef::Text(lp));
                f(CellRef::Text(round));
            }
            KeyRef::Buyer((round, buyer)) => {
                f(CellRef::Text(buyer));
                f(CellRef::Text(round));
            }
            KeyRef::Bid((round, id)) | KeyRef::Deposit((round, id)) => {
                f(CellRef::Text(round));
                f(CellRef::Text(id));
            }
        }
    }

    /// Appends the key as a JSON object keyed by key column.
    pub fn write_json(&self, out: &mut String) {
        let names = self.table().info().key.iter().map(|(name, _)| *name);
        write_json_object(out, names, |f| self.for_each_cell(f));
    }
}

impl Image {
    /// Appends the entry to its block's journal: a created row by its key, a changed row by
    /// its image before the block (protocol/journal.rs).
    pub fn journal_into(&self, block: &str, journal: &mut GroupedJournal) {
        let out = journal.element(block, self.table(), self.is_created());
        match self {
            Image::Vault(_, Some(row)) => row.write_json(out),
            Image::Lp(_, Some(row)) => row.write_json(out),
            Image::LpHistory((lp, vault, block), Some(b)) => LpSnapshot {
                lp: lp.clone(),
                vault: vault.clone(),
                block: *block,
                balances: b.clone(),
            }
            .write_json(out),
            Image::VaultHistory((vault, block), Some(b)) => VaultSnapshot {
                vault: vault.clone(),
                block: *block,
                balances: b.clone(),
            }
            .write_json(out),
            Image::Round(_, Some(row)) => row.write_json(out),
            Image::Queued(_, Some(row)) => row.write_json(out),
            Image::Buyer(_, Some(row)) => row.write_json(out),
            Image::Bid(_, Some(row)) => row.write_json(out),
            Image::Deposit(_, Some(row)) => row.write_json(out),
            _ => self.key_ref().write_json(out),
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
    fn numbers_are_written_as_display_writes_them() {
        let mut values: Vec<u128> = vec![0, 1, 9, 10, 99, 100, u64::MAX.into(), u128::MAX];
        values.extend([19u32, 20, 38].iter().flat_map(|&p| {
            let ten = 10u128.pow(p);
            [ten - 1, ten, ten + 1, ten + 10u128.pow(p / 2)]
        }));
        for value in values {
            let mut out = String::new();
            CellRef::UInt(value).write_sql_text(&mut out);
            assert_eq!(out, value.to_string());
            let amount = Amount::from(value);
            out.clear();
            CellRef::Amount(&amount).write_sql_text(&mut out);
            assert_eq!(out, value.to_string());
        }
        let three = Amount::from(3u8);
        for big in [
            Amount::from(u128::MAX) + 1u8,
            Amount::from(2u8).pow(255),
            Amount::from(2u8).pow(256) - 1u8,
            Amount::from(10u8).pow(38) * 10u8,
            Amount::from(10u8).pow(57),
            Amount::from(10u8).pow(57) + 7u8,
            three.pow(160),
            Amount::from(2u8).pow(600) + 12345u32,
        ] {
            let mut out = String::new();
            CellRef::Amount(&big).write_sql_text(&mut out);
            assert_eq!(out, big.to_string());
        }
        for value in [0i128, -1, 7, i128::MIN, i128::MAX, -(10i128.pow(19))] {
            let mut out = String::new();
            CellRef::Int(value).write_sql_text(&mut out);
            assert_eq!(out, value.to_string());
        }
    }

    #[test]
    fn json_keeps_big_numbers_exact_and_escapes_text() {
        let deposit = LpRoundDeposit {
            round_address: "0x1\"q\\\n".into(),
            lp_address: "0x2".into(),
            vault_address: "0x3".into(),
            starting_deposit: num_bigint::BigUint::from(2u8).pow(255),
        };
        let parsed: serde_json::Value = serde_json::from_str(&deposit.to_json()).unwrap();
        assert_eq!(parsed["round_address"], "0x1\"q\\\n");
        assert!(deposit.to_json().contains(&format!(
            "\"starting_deposit\": {}",
            num_bigint::BigUint::from(2u8).pow(255)
        )));
    }
}
