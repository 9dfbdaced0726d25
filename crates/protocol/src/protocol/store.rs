//! What the handlers need from storage: `Source` (reads) and `Store` (reads and writes).
//! `MemoryStore` implements both over maps; the SPI store (src/store/) is a `Source`, and
//! `CachedStore` turns a source into a `Store` whose writes are flushed as sets. Inserts and updates
//! are distinct because readers see them differently (notifications, and the revert journal
//! records "absent" for an insert).

use super::state::{
    Balances, Bid, Hex, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound,
    QueuedLiquidity, Vault,
};
use thiserror::Error;

/// A storage failure, carried as text: the SPI layer's errors do not cross into pure code.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("storage: {0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// A vault's balances at the end of a block it changed in (spec R7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultSnapshot {
    pub vault: Hex,
    pub block: u64,
    pub balances: Balances,
}

/// An LP's balances at the end of a block it changed in (spec R7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LpSnapshot {
    pub lp: Hex,
    pub vault: Hex,
    pub block: u64,
    pub balances: Balances,
}

/// A snapshot from its map entry ((vault, block), balances), as the applier and the
/// write-back cache keep them.
impl From<((Hex, u64), Balances)> for VaultSnapshot {
    fn from(((vault, block), balances): ((Hex, u64), Balances)) -> Self {
        VaultSnapshot {
            vault,
            block,
            balances,
        }
    }
}

/// A snapshot from its map entry ((lp, vault, block), balances).
impl From<((Hex, Hex, u64), Balances)> for LpSnapshot {
    fn from(((lp, vault, block), balances): ((Hex, Hex, u64), Balances)) -> Self {
        LpSnapshot {
            lp,
            vault,
            block,
            balances,
        }
    }
}

/// Identity of an `events` row (spec §1.2): the applied-events ledger's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    pub block_hash: Hex,
    pub vault_address: Hex,
    pub event_nonce: i64,
}

/// The reads the handlers make. The database (SPI) and `MemoryStore` are sources; the
/// write-back `CachedStore` serves the handlers from a source and writes back as sets.
pub trait Source {
    fn vault(&mut self, address: &Hex) -> StoreResult<Option<Vault>>;
    fn liquidity_provider(
        &mut self,
        address: &Hex,
        vault: &Hex,
    ) -> StoreResult<Option<LiquidityProvider>>;
    /// All LPs of a vault, in address order (auction start, end and settlement walk them).
    fn liquidity_providers(&mut self, vault: &Hex) -> StoreResult<Vec<LiquidityProvider>>;
    fn round(&mut self, address: &Hex) -> StoreResult<Option<OptionRound>>;
    fn round_by_id(&mut self, vault: &Hex, round_id: u64) -> StoreResult<Option<OptionRound>>;
    /// The vault's rounds, highest round id first (round resolution fallback, spec §1.7 c).
    fn rounds_of_vault(&mut self, vault: &Hex) -> StoreResult<Vec<OptionRound>>;
    fn queued_liquidity(&mut self, lp: &Hex, round: &Hex) -> StoreResult<Option<QueuedLiquidity>>;
    fn queued_liquidity_of_round(&mut self, round: &Hex) -> StoreResult<Vec<QueuedLiquidity>>;
    fn option_buyer(&mut self, address: &Hex, round: &Hex) -> StoreResult<Option<OptionBuyer>>;
    /// A round's buyers, in address order.
    fn option_buyers_of_round(&mut self, round: &Hex) -> StoreResult<Vec<OptionBuyer>>;
    fn bid(&mut self, round: &Hex, bid_id: &Hex) -> StoreResult<Option<Bid>>;
    fn bids_of_round(&mut self, round: &Hex) -> StoreResult<Vec<Bid>>;
    fn lp_round_deposits(&mut self, round: &Hex) -> StoreResult<Vec<LpRoundDeposit>>;
    /// The applied-events ledger rows of a block, with their content fingerprints.
    fn applied_events_of_block(&mut self, block_hash: &Hex)
        -> StoreResult<Vec<(EventKey, String)>>;
}

/// A borrowed source: a `CachedStore` over `&mut source` reads it and never writes it (the
/// fuzz harness applies each case over one shared state this way).
impl<S: Source + ?Sized> Source for &mut S {
    fn vault(&mut self, address: &Hex) -> StoreResult<Option<Vault>> {
        (**self).vault(address)
    }
    fn liquidity_provider(
        &mut self,
        address: &Hex,
        vault: &Hex,
    ) -> StoreResult<Option<LiquidityProvider>> {
        (**self).liquidity_provider(address, vault)
    }
    fn liquidity_providers(&mut self, vault: &Hex) -> StoreResult<Vec<LiquidityProvider>> {
        (**self).liquidity_providers(vault)
    }
    fn round(&mut self, address: &Hex) -> StoreResult<Option<OptionRound>> {
        (**self).round(address)
    }
    fn round_by_id(&mut self, vault: &Hex, round_id: u64) -> StoreResult<Option<OptionRound>> {
        (**self).round_by_id(vault, round_id)
    }
    fn rounds_of_vault(&mut self, vault: &Hex) -> StoreResult<Vec<OptionRound>> {
        (**self).rounds_of_vault(vault)
    }
    fn queued_liquidity(&mut self, lp: &Hex, round: &Hex) -> StoreResult<Option<QueuedLiquidity>> {
        (**self).queued_liquidity(lp, round)
    }
    fn queued_liquidity_of_round(&mut self, round: &Hex) -> StoreResult<Vec<QueuedLiquidity>> {
        (**self).queued_liquidity_of_round(round)
    }
    fn option_buyer(&mut self, address: &Hex, round: &Hex) -> StoreResult<Option<OptionBuyer>> {
        (**self).option_buyer(address, round)
    }
    fn option_buyers_of_round(&mut self, round: &Hex) -> StoreResult<Vec<OptionBuyer>> {
        (**self).option_buyers_of_round(round)
    }
    fn bid(&mut self, round: &Hex, bid_id: &Hex) -> StoreResult<Option<Bid>> {
        (**self).bid(round, bid_id)
    }
    fn bids_of_round(&mut self, round: &Hex) -> StoreResult<Vec<Bid>> {
        (**self).bids_of_round(round)
    }
    fn lp_round_deposits(&mut self, round: &Hex) -> StoreResult<Vec<LpRoundDeposit>> {
        (**self).lp_round_deposits(round)
    }
    fn applied_events_of_block(
        &mut self,
        block_hash: &Hex,
    ) -> StoreResult<Vec<(EventKey, String)>> {
        (**self).applied_events_of_block(block_hash)
    }
}

pub trait Store: Source {
    /// The writes that follow belong to this block: before the first change of any row, the
    /// store records the row's prior image (or its absence) in that block's journal (spec §4.2).
    fn journal_block(&mut self, block_hash: &Hex) -> StoreResult<()>;

    fn insert_vault(&mut self, vault: &Vault) -> StoreResult<()>;
    fn update_vault(&mut self, vault: &Vault) -> StoreResult<()>;
    fn insert_liquidity_provider(&mut self, lp: &LiquidityProvider) -> StoreResult<()>;
    /// Updates existing LP rows; one call per distribution so a store can write them as a set.
    /// The rows, like the snapshots below, are moved in: the store keeps them.
    fn update_liquidity_providers(&mut self, lps: Vec<LiquidityProvider>) -> StoreResult<()>;
    fn insert_round(&mut self, round: &OptionRound) -> StoreResult<()>;
    fn update_round(&mut self, round: &OptionRound) -> StoreResult<()>;
    fn insert_queued_liquidity(&mut self, queued: &QueuedLiquidity) -> StoreResult<()>;
    fn update_queued_liquidity(&mut self, queued: &QueuedLiquidity) -> StoreResult<()>;
    fn insert_option_buyer(&mut self, buyer: &OptionBuyer) -> StoreResult<()>;
    fn update_option_buyers(&mut self, buyers: &[OptionBuyer]) -> StoreResult<()>;
    fn insert_bid(&mut self, bid: &Bid) -> StoreResult<()>;
    fn update_bid(&mut self, bid: &Bid) -> StoreResult<()>;
    fn insert_lp_round_deposits(&mut self, deposits: Vec<LpRoundDeposit>) -> StoreResult<()>;

    /// Upserts `"Vault_Historic"` rows (spec R7), keyed (vault, block), one call per batch.
    fn upsert_vault_snapshots(&mut self, rows: Vec<VaultSnapshot>) -> StoreResult<()>;
    /// Upserts `"Liquidity_Providers_Historic"` rows, keyed (lp, vault, block).
    fn upsert_lp_snapshots(&mut self, rows: Vec<LpSnapshot>) -> StoreResult<()>;

    /// The applied-events ledger (spec §4.2, §8-11): records the event as applied and returns
    /// true, or returns false if this row, or a row of the same block and vault with the same
    /// `content` (transaction, name, keys, data: the logger's duplicates, L7), was applied.
    fn claim_event(&mut self, key: &EventKey, content: &str, event_name: &str)
        -> StoreResult<bool>;
}
