//! The state tables as data: name, columns in spec order, and key columns. The dump, the
//! revert journal and the restore statements are all generated from this one list.

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
    /// One letter per column, in column order: `t` text, `n` numeric, `b` boolean.
    pub kinds: &'static str,
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
        kinds: "nnntntntttnnnnnn",
        columns: &[
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
        key: &[("address", false)],
    },
    TableInfo {
        qualified: "public.\"Liquidity_Providers\"",
        name: "Liquidity_Providers",
        kinds: "ttnnnn",
        columns: &[
            "address",
            "vault_address",
            "stashed_balance",
            "locked_balance",
            "unlocked_balance",
            "latest_block",
        ],
        key: &[("address", false), ("vault_address", false)],
    },
    TableInfo {
        qualified: "public.\"Liquidity_Providers_Historic\"",
        name: "Liquidity_Providers_Historic",
        kinds: "ttnnnn",
        columns: &[
            "address",
            "vault_address",
            "stashed_balance",
            "locked_balance",
            "unlocked_balance",
            "block_number",
        ],
        key: &[
            ("address", false),
            ("vault_address", false),
            ("block_number", true),
        ],
    },
    TableInfo {
        qualified: "public.\"Vault_Historic\"",
        name: "Vault_Historic",
        kinds: "nnntn",
        columns: &[
            "unlocked_balance",
            "locked_balance",
            "stashed_balance",
            "address",
            "block_number",
        ],
        key: &[("address", false), ("block_number", true)],
    },
    TableInfo {
        qualified: "public.\"Option_Rounds\"",
        name: "Option_Rounds",
        kinds: "tnnnnnnntntnnnnnnnnnn",
        columns: &[
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
        key: &[("address", false)],
    },
    TableInfo {
        qualified: "public.\"Queued_Liquidity\"",
        name: "Queued_Liquidity",
        kinds: "tnnt",
        columns: &["address", "queued_liquidity", "bps", "round_address"],
        key: &[("address", false), ("round_address", false)],
    },
    TableInfo {
        qualified: "public.\"Option_Buyers\"",
        name: "Option_Buyers",
        kinds: "ttbbnn",
        columns: &[
            "address",
            "round_address",
            "has_minted",
            "has_refunded",
            "mintable_options",
            "refundable_amount",
        ],
        key: &[("address", false), ("round_address", false)],
    },
    TableInfo {
        qualified: "public.\"Bids\"",
        name: "Bids",
        kinds: "tttnnn",
        columns: &[
            "buyer_address",
            "round_address",
            "bid_id",
            "tree_nonce",
            "amount",
            "price",
        ],
        key: &[("round_address", false), ("bid_id", false)],
    },
    TableInfo {
        qualified: "event_processor.lp_round_deposits",
        name: "lp_round_deposits",
        kinds: "tttn",
        columns: &[
            "round_address",
            "lp_address",
            "vault_address",
            "starting_deposit",
        ],
        key: &[("round_address", false), ("lp_address", false)],
    },
];
