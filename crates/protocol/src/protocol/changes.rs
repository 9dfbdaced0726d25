//! What a batch changed, as values: each state row's typed key, the before-images of the
//! journal, and the change set the write-back cache hands to the database (or to a
//! `MemoryStore`). A leaf: it knows the rows and tables, and no store.

use super::state::{
    Balances, Bid, Hex, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound,
    QueuedLiquidity, Vault,
};
use super::store::{EventKey, LpSnapshot, VaultSnapshot};
use super::tables::Table;

/// A state row's identity: its table and primary key. The tuples are the `MemoryStore` map
/// keys, so that a scope (a vault's LPs, a round's bids) is a key range.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowKey {
    Vault(Hex),
    /// (vault, lp)
    Lp((Hex, Hex)),
    /// (lp, vault, block)
    LpHistory((Hex, Hex, u64)),
    /// (vault, block)
    VaultHistory((Hex, u64)),
    Round(Hex),
    /// (round, lp)
    Queued((Hex, Hex)),
    /// (round, buyer)
    Buyer((Hex, Hex)),
    /// (round, bid id)
    Bid((Hex, Hex)),
    /// (round, lp)
    Deposit((Hex, Hex)),
}

fn pair(first: &Hex, second: &Hex) -> (Hex, Hex) {
    (first.clone(), second.clone())
}

impl RowKey {
    pub fn vault(address: &Hex) -> RowKey {
        RowKey::Vault(address.clone())
    }
    pub fn lp(vault: &Hex, lp: &Hex) -> RowKey {
        RowKey::Lp(pair(vault, lp))
    }
    pub fn round(address: &Hex) -> RowKey {
        RowKey::Round(address.clone())
    }
    pub fn queued(round: &Hex, lp: &Hex) -> RowKey {
        RowKey::Queued(pair(round, lp))
    }
    pub fn buyer(round: &Hex, buyer: &Hex) -> RowKey {
        RowKey::Buyer(pair(round, buyer))
    }
    pub fn bid(round: &Hex, bid_id: &Hex) -> RowKey {
        RowKey::Bid(pair(round, bid_id))
    }
    pub fn deposit(round: &Hex, lp: &Hex) -> RowKey {
        RowKey::Deposit(pair(round, lp))
    }

    pub fn table(&self) -> Table {
        self.key_ref().table()
    }

    pub fn key_ref(&self) -> KeyRef<'_> {
        match self {
            RowKey::Vault(k) => KeyRef::Vault(k),
            RowKey::Lp(k) => KeyRef::Lp(k),
            RowKey::LpHistory(k) => KeyRef::LpHistory(k),
            RowKey::VaultHistory(k) => KeyRef::VaultHistory(k),
            RowKey::Round(k) => KeyRef::Round(k),
            RowKey::Queued(k) => KeyRef::Queued(k),
            RowKey::Buyer(k) => KeyRef::Buyer(k),
            RowKey::Bid(k) => KeyRef::Bid(k),
            RowKey::Deposit(k) => KeyRef::Deposit(k),
        }
    }
}

/// A `RowKey` borrowed (from a key or from an image): what the writers read a key's cells
/// from without copying its strings.
#[derive(Debug, Clone, Copy)]
pub enum KeyRef<'a> {
    Vault(&'a Hex),
    Lp(&'a (Hex, Hex)),
    LpHistory(&'a (Hex, Hex, u64)),
    VaultHistory(&'a (Hex, u64)),
    Round(&'a Hex),
    Queued(&'a (Hex, Hex)),
    Buyer(&'a (Hex, Hex)),
    Bid(&'a (Hex, Hex)),
    Deposit(&'a (Hex, Hex)),
}

impl KeyRef<'_> {
    pub fn table(&self) -> Table {
        match self {
            KeyRef::Vault(..) => Table::Vaults,
            KeyRef::Lp(..) => Table::LiquidityProviders,
            KeyRef::LpHistory(..) => Table::LpHistory,
            KeyRef::VaultHistory(..) => Table::VaultHistory,
            KeyRef::Round(..) => Table::Rounds,
            KeyRef::Queued(..) => Table::QueuedLiquidity,
            KeyRef::Buyer(..) => Table::OptionBuyers,
            KeyRef::Bid(..) => Table::Bids,
            KeyRef::Deposit(..) => Table::LpRoundDeposits,
        }
    }
}

/// A row that knows its key.
pub trait Keyed {
    fn row_key(&self) -> RowKey;
}

impl Keyed for Vault {
    fn row_key(&self) -> RowKey {
        RowKey::vault(&self.address)
    }
}
impl Keyed for LiquidityProvider {
    fn row_key(&self) -> RowKey {
        RowKey::lp(&self.vault_address, &self.address)
    }
}
impl Keyed for OptionRound {
    fn row_key(&self) -> RowKey {
        RowKey::round(&self.address)
    }
}
impl Keyed for QueuedLiquidity {
    fn row_key(&self) -> RowKey {
        RowKey::queued(&self.round_address, &self.address)
    }
}
impl Keyed for OptionBuyer {
    fn row_key(&self) -> RowKey {
        RowKey::buyer(&self.round_address, &self.address)
    }
}
impl Keyed for Bid {
    fn row_key(&self) -> RowKey {
        RowKey::bid(&self.round_address, &self.bid_id)
    }
}
impl Keyed for LpRoundDeposit {
    fn row_key(&self) -> RowKey {
        RowKey::deposit(&self.round_address, &self.lp_address)
    }
}
impl Keyed for LpSnapshot {
    fn row_key(&self) -> RowKey {
        RowKey::LpHistory((self.lp.clone(), self.vault.clone(), self.block))
    }
}
impl Keyed for VaultSnapshot {
    fn row_key(&self) -> RowKey {
        RowKey::VaultHistory((self.vault.clone(), self.block))
    }
}

/// A row's image before its block first changed it (`None`: the row did not exist). The two
/// wide rows are boxed: a batch holds an image per row per block, and the enum is as wide as
/// its widest variant (a round is 384 bytes, an LP 112).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    Vault(Hex, Option<Box<Vault>>),
    Lp((Hex, Hex), Option<LiquidityProvider>),
    LpHistory((Hex, Hex, u64), Option<Balances>),
    VaultHistory((Hex, u64), Option<Balances>),
    Round(Hex, Option<Box<OptionRound>>),
    Queued((Hex, Hex), Option<QueuedLiquidity>),
    Buyer((Hex, Hex), Option<OptionBuyer>),
    Bid((Hex, Hex), Option<Bid>),
    Deposit((Hex, Hex), Option<LpRoundDeposit>),
}

impl Image {
    /// The key of the row this is an image of.
    pub fn key(&self) -> RowKey {
        match self.key_ref() {
            KeyRef::Vault(k) => RowKey::Vault(k.clone()),
            KeyRef::Lp(k) => RowKey::Lp(k.clone()),
            KeyRef::LpHistory(k) => RowKey::LpHistory(k.clone()),
            KeyRef::VaultHistory(k) => RowKey::VaultHistory(k.clone()),
            KeyRef::Round(k) => RowKey::Round(k.clone()),
            KeyRef::Queued(k) => RowKey::Queued(k.clone()),
            KeyRef::Buyer(k) => RowKey::Buyer(k.clone()),
            KeyRef::Bid(k) => RowKey::Bid(k.clone()),
            KeyRef::Deposit(k) => RowKey::Deposit(k.clone()),
        }
    }

    pub fn key_ref(&self) -> KeyRef<'_> {
        match self {
            Image::Vault(k, _) => KeyRef::Vault(k),
            Image::Lp(k, _) => KeyRef::Lp(k),
            Image::LpHistory(k, _) => KeyRef::LpHistory(k),
            Image::VaultHistory(k, _) => KeyRef::VaultHistory(k),
            Image::Round(k, _) => KeyRef::Round(k),
            Image::Queued(k, _) => KeyRef::Queued(k),
            Image::Buyer(k, _) => KeyRef::Buyer(k),
            Image::Bid(k, _) => KeyRef::Bid(k),
            Image::Deposit(k, _) => KeyRef::Deposit(k),
        }
    }

    pub fn table(&self) -> Table {
        self.key_ref().table()
    }

    /// The row did not exist before its block: the block created it.
    pub fn is_created(&self) -> bool {
        matches!(
            self,
            Image::Vault(_, None)
                | Image::Lp(_, None)
                | Image::LpHistory(_, None)
                | Image::VaultHistory(_, None)
                | Image::Round(_, None)
                | Image::Queued(_, None)
                | Image::Buyer(_, None)
                | Image::Bid(_, None)
                | Image::Deposit(_, None)
        )
    }

    /// History snapshots are the rows written without being read.
    pub fn is_snapshot(&self) -> bool {
        matches!(self, Image::LpHistory(..) | Image::VaultHistory(..))
    }
}

/// The inserts and updates of one table. A row inserted and then changed in the same batch is
/// in both: inserted as it ends, then updated, so readers still get the update notification.
#[derive(Debug)]
pub struct Writes<R> {
    pub inserts: Vec<R>,
    pub updates: Vec<R>,
}

impl<R> Default for Writes<R> {
    fn default() -> Self {
        Writes {
            inserts: Vec::new(),
            updates: Vec::new(),
        }
    }
}

/// A before-image for the journal, tagged with its block (spec §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub block: Hex,
    pub image: Image,
}

impl JournalEntry {
    /// In a batch's changes: the row was written without being read (history snapshots), so
    /// its before-image is whatever the source holds, read when writing. History rows are only
    /// held in memory once the batch wrote them: a snapshot without a before-image is one the
    /// batch did not hold when its block first wrote it.
    pub fn before_in_source(&self) -> bool {
        self.image.is_snapshot() && self.image.is_created()
    }
}

/// An applied-events ledger row, in application order.
#[derive(Debug, Clone)]
pub struct Claim {
    pub key: EventKey,
    pub content: String,
    pub event_name: String,
}

/// Everything a batch changed.
#[derive(Debug, Default)]
pub struct ChangeSet {
    pub vaults: Writes<Vault>,
    pub liquidity_providers: Writes<LiquidityProvider>,
    pub rounds: Writes<OptionRound>,
    pub queued: Writes<QueuedLiquidity>,
    pub buyers: Writes<OptionBuyer>,
    pub bids: Writes<Bid>,
    pub deposits: Writes<LpRoundDeposit>,
    /// Upserts (the history tables are written without being read).
    pub vault_history: Vec<VaultSnapshot>,
    pub lp_history: Vec<LpSnapshot>,
    pub journal: Vec<JournalEntry>,
    pub claims: Vec<Claim>,
}

impl ChangeSet {
    pub fn is_empty(&self) -> bool {
        self.journal.is_empty() && self.claims.is_empty()
    }
}
