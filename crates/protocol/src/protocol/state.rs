//! The rows of the state tables (spec §5.1) as Rust values. Amounts are exact integers.

use num_bigint::BigUint;
use std::fmt;

pub type Amount = BigUint;

/// A felt as hex text: an address, a bid id, a block hash. Shared, not copied: a batch holds
/// the same address in many rows, keys and journal images, and a clone is a reference count
/// where a `String` would be an allocation. `Arc` rather than `Rc`, so that rows (the
/// simulator's blocks) can cross threads.
pub type Hex = std::sync::Arc<str>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vault {
    pub address: Hex,
    pub unlocked_balance: Amount,
    pub locked_balance: Amount,
    pub stashed_balance: Amount,
    pub current_round: u64,
    /// NULL only between ContractDeployed and the round-1 OptionRoundDeployed (spec R5).
    pub current_round_address: Option<Hex>,
    pub latest_block: u64,
    pub fossil_client_address: Hex,
    pub eth_address: Hex,
    pub option_round_class_hash: Hex,
    pub alpha: u128,
    pub strike_level: i128,
    pub round_transition_period: u64,
    pub auction_duration: u64,
    pub round_duration: u64,
    pub deployment_date: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiquidityProvider {
    pub address: Hex,
    pub vault_address: Hex,
    pub stashed_balance: Amount,
    pub locked_balance: Amount,
    pub unlocked_balance: Amount,
    pub latest_block: u64,
}

impl LiquidityProvider {
    pub fn new(address: &str, vault_address: &str, block: u64) -> Self {
        LiquidityProvider {
            address: address.into(),
            vault_address: vault_address.into(),
            stashed_balance: Amount::default(),
            locked_balance: Amount::default(),
            unlocked_balance: Amount::default(),
            latest_block: block,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RoundState {
    Open,
    Auctioning,
    Running,
    Settled,
}

impl RoundState {
    pub fn as_str(self) -> &'static str {
        match self {
            RoundState::Open => "Open",
            RoundState::Auctioning => "Auctioning",
            RoundState::Running => "Running",
            RoundState::Settled => "Settled",
        }
    }

    pub fn parse(text: &str) -> Option<RoundState> {
        [
            RoundState::Open,
            RoundState::Auctioning,
            RoundState::Running,
            RoundState::Settled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

impl fmt::Display for RoundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionRound {
    pub address: Hex,
    pub vault_address: Hex,
    pub round_id: u64,
    pub state: RoundState,
    pub available_options: Amount,
    pub clearing_price: Amount,
    pub settlement_price: Amount,
    pub reserve_price: Amount,
    pub strike_price: Amount,
    pub sold_options: Amount,
    pub deployment_date: u64,
    pub premiums: Amount,
    pub cap_level: u128,
    pub unsold_liquidity: Amount,
    pub starting_liquidity: Amount,
    pub queued_liquidity: Amount,
    pub remaining_liquidity: Amount,
    pub payout_per_option: Amount,
    pub start_date: u64,
    pub end_date: u64,
    pub settlement_date: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedLiquidity {
    pub address: Hex,
    pub round_address: Hex,
    pub bps: u128,
    pub queued_liquidity: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionBuyer {
    pub address: Hex,
    pub round_address: Hex,
    pub has_minted: bool,
    pub has_refunded: bool,
    pub mintable_options: Amount,
    pub refundable_amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    pub buyer_address: Hex,
    pub round_address: Hex,
    pub bid_id: Hex,
    pub tree_nonce: u64,
    pub amount: Amount,
    pub price: Amount,
}

/// D(a): an LP's unlocked balance locked at a round's auction start (spec §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpRoundDeposit {
    pub round_address: Hex,
    pub lp_address: Hex,
    pub vault_address: Hex,
    pub starting_deposit: Amount,
}

/// The balances a historic snapshot keeps (spec R7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balances {
    pub unlocked: Amount,
    pub locked: Amount,
    pub stashed: Amount,
}

impl From<&Vault> for Balances {
    fn from(v: &Vault) -> Self {
        Balances {
            unlocked: v.unlocked_balance.clone(),
            locked: v.locked_balance.clone(),
            stashed: v.stashed_balance.clone(),
        }
    }
}

impl From<&LiquidityProvider> for Balances {
    fn from(lp: &LiquidityProvider) -> Self {
        Balances {
            unlocked: lp.unlocked_balance.clone(),
            locked: lp.locked_balance.clone(),
            stashed: lp.stashed_balance.clone(),
        }
    }
}
