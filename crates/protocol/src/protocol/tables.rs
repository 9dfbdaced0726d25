//! The state tables as data: name, columns in spec order, and key columns. The dump, the
//! revert journal, the store's reads and writes and the restore statements are all generated
//! from this one list; the columns and their kinds come from each row's layout (rows.rs).

use super::rows::{Kind, Row};
use super::state::{
    Bid, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity, Vault,
};
use super::store::{LpSnapshot, VaultSnapshot};

/// Declared parent table first: the journal writes a block's created rows in this order, so
/// that revert (newest first) deletes queued liquidity before its round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Vaults,
    LiquidityProviders,
    LpHistory,
    VaultHistory,
    Rounds,
    QueuedLiquidity,
    OptionBuyers,
    Bids,
    LpRoundDeposits,
}

pub struct TableInfo {
    /// Schema-qualified, quoted as SQL needs it.
    pub qualified: &'static str,
    /// The bare name (journal `table_name`, dump line prefix).
    pub name: &'static str,
    /// Each column's kind, in column order.
    pub kinds: &'static [Kind],
    /// Every column in spec order (= row_to_json key order).
    pub columns: &'static [&'static str],
    /// The primary key's columns; `true` marks a numeric one.
    pub key: &'static [(&'static str, bool)],
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Vaults,
        Table::LiquidityProviders,
        Table::LpHistory,
        Table::VaultHistory,
        Table::Rounds,
        Table::QueuedLiquidity,
        Table::OptionBuyers,
        Table::Bids,
        Table::LpRoundDeposits,
    ];

    pub fn info(self) -> &'static TableInfo {
        &INFO[self as usize]
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.info().name == name)
    }
}

static INFO: [TableInfo; 9] = [
    TableInfo {
        qualified: "public.\"VaultStates\"",
        name: "VaultStates",
        kinds: <Vault as Row>::KINDS,
        columns: <Vault as Row>::COLUMNS,
        key: &[("address", false)],
    },
    TableInfo {
        qualified: "public.\"Liquidity_Providers\"",
        name: "Liquidity_Providers",
        kinds: <LiquidityProvider as Row>::KINDS,
        columns: <LiquidityProvider as Row>::COLUMNS,
        key: &[("address", false), ("vault_address", false)],
    },
    TableInfo {
        qualified: "public.\"Liquidity_Providers_Historic\"",
        name: "Liquidity_Providers_Historic",
        kinds: <LpSnapshot as Row>::KINDS,
        columns: <LpSnapshot as Row>::COLUMNS,
        key: &[
            ("address", false),
            ("vault_address", false),
            ("block_number", true),
        ],
    },
    TableInfo {
        qualified: "public.\"Vault_Historic\"",
        name: "Vault_Historic",
        kinds: <VaultSnapshot as Row>::KINDS,
        columns: <VaultSnapshot as Row>::COLUMNS,
        key: &[("address", false), ("block_number", true)],
    },
    TableInfo {
        qualified: "public.\"Option_Rounds\"",
        name: "Option_Rounds",
        kinds: <OptionRound as Row>::KINDS,
        columns: <OptionRound as Row>::COLUMNS,
        key: &[("address", false)],
    },
    TableInfo {
        qualified: "public.\"Queued_Liquidity\"",
        name: "Queued_Liquidity",
        kinds: <QueuedLiquidity as Row>::KINDS,
        columns: <QueuedLiquidity as Row>::COLUMNS,
        key: &[("address", false), ("round_address", false)],
    },
    TableInfo {
        qualified: "public.\"Option_Buyers\"",
        name: "Option_Buyers",
        kinds: <OptionBuyer as Row>::KINDS,
        columns: <OptionBuyer as Row>::COLUMNS,
        key: &[("address", false), ("round_address", false)],
    },
    TableInfo {
        qualified: "public.\"Bids\"",
        name: "Bids",
        kinds: <Bid as Row>::KINDS,
        columns: <Bid as Row>::COLUMNS,
        key: &[("round_address", false), ("bid_id", false)],
    },
    TableInfo {
        qualified: "event_processor.lp_round_deposits",
        name: "lp_round_deposits",
        kinds: <LpRoundDeposit as Row>::KINDS,
        columns: <LpRoundDeposit as Row>::COLUMNS,
        key: &[("round_address", false), ("lp_address", false)],
    },
];
