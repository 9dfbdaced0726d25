//! An in-memory `Store` for the pure tests and property tests, and the write-back cache's
//! memory: ordered maps with the same keys, uniqueness rules and orderings as the SQL tables
//! (hash maps for the history tables, which are never read in order), and a text dump in the
//! same format as `dump::DUMP_QUERIES` produces from the database, so the two can be compared.

use super::changes::{Image, JournalEntry, Keyed, RowKey};
use super::state::{
    Balances, Bid, Hex, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound,
    QueuedLiquidity, Vault,
};
use super::store::{EventKey, LpSnapshot, Source, Store, StoreError, StoreResult, VaultSnapshot};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::hash_map::Entry;
use std::collections::{btree_map, BTreeMap, BTreeSet};
use std::hash::Hash;

#[cfg(feature = "oracle")]
mod oracle;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStore {
    pub vaults: BTreeMap<Hex, Vault>,
    /// Keyed (vault, address) so a vault's LPs are a range in address order.
    pub liquidity_providers: BTreeMap<(Hex, Hex), LiquidityProvider>,
    pub rounds: BTreeMap<Hex, OptionRound>,
    /// Keyed (round, lp).
    pub queued: BTreeMap<(Hex, Hex), QueuedLiquidity>,
    /// Keyed (round, buyer).
    pub buyers: BTreeMap<(Hex, Hex), OptionBuyer>,
    /// Keyed (round, bid id).
    pub bids: BTreeMap<(Hex, Hex), Bid>,
    /// Keyed (round, lp).
    pub deposits: BTreeMap<(Hex, Hex), LpRoundDeposit>,
    /// Keyed (vault, block). The history tables are written unread, row after row, and never
    /// walked in order: hash maps, sorted once where a batch's changes are taken
    /// (`CachedStore::take_changes`).
    pub vault_history: FxHashMap<(Hex, u64), Balances>,
    /// Keyed (lp, vault, block).
    pub lp_history: FxHashMap<(Hex, Hex, u64), Balances>,
    /// The applied-events ledger: each row's content fingerprint.
    pub applied: BTreeMap<EventKey, String>,
    /// (block hash, vault, content fingerprint) of applied events.
    pub applied_content: BTreeSet<(Hex, Hex, String)>,
    /// Before-images in write order, each tagged with its block (spec §4.2).
    pub journal: Vec<JournalEntry>,
    /// Per block before the current one, the rows it has journaled.
    journaled: FxHashMap<Hex, FxHashSet<RowKey>>,
    /// The rows the current block has journaled.
    journaled_now: FxHashSet<RowKey>,
    block: Hex,
}

impl MemoryStore {
    /// Journals `before` (the row as it was before this change, made only if needed) if this
    /// is the block's first change of the row. Called after the change, with what it replaced
    /// moved in: no row is copied for its image.
    fn journal_first(&mut self, key: RowKey, before: impl FnOnce() -> Image) {
        if self.journaled_now.insert(key) {
            self.journal.push(JournalEntry {
                block: self.block.clone(),
                image: before(),
            });
        }
    }
}

fn insert_new<K: Ord, V>(
    map: &mut BTreeMap<K, V>,
    key: K,
    value: V,
    what: &str,
) -> StoreResult<()> {
    match map.entry(key) {
        btree_map::Entry::Occupied(_) => Err(StoreError(format!("duplicate key: {what}"))),
        btree_map::Entry::Vacant(slot) => {
            slot.insert(value);
            Ok(())
        }
    }
}

/// Replaces an existing row; returns the row it replaced.
fn replace<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: V, what: &str) -> StoreResult<V> {
    match map.get_mut(&key) {
        Some(slot) => Ok(std::mem::replace(slot, value)),
        None => Err(StoreError(format!("update of a missing row: {what}"))),
    }
}

/// Inserts or replaces `key`'s value with one lookup; returns the key and the value replaced.
fn upsert<K: Eq + Hash + Clone, V>(map: &mut FxHashMap<K, V>, key: K, value: V) -> (K, Option<V>) {
    match map.entry(key) {
        Entry::Occupied(mut row) => (row.key().clone(), Some(row.insert(value))),
        Entry::Vacant(slot) => {
            let key = slot.key().clone();
            slot.insert(value);
            (key, None)
        }
    }
}

fn range_of<'m, V: Clone>(
    map: &'m BTreeMap<(Hex, Hex), V>,
    first: &Hex,
) -> impl Iterator<Item = V> + 'm {
    let first = first.clone();
    map.range((first.clone(), Hex::from(""))..)
        .take_while(move |((f, _), _)| *f == first)
        .map(|(_, v)| v.clone())
}

impl Source for MemoryStore {
    fn vault(&mut self, address: &Hex) -> StoreResult<Option<Vault>> {
        Ok(self.vaults.get(address).cloned())
    }
    fn liquidity_provider(
        &mut self,
        address: &Hex,
        vault: &Hex,
    ) -> StoreResult<Option<LiquidityProvider>> {
        Ok(self
            .liquidity_providers
            .get(&(vault.clone(), address.clone()))
            .cloned())
    }
    fn liquidity_providers(&mut self, vault: &Hex) -> StoreResult<Vec<LiquidityProvider>> {
        Ok(range_of(&self.liquidity_providers, vault).collect())
    }
    fn round(&mut self, address: &Hex) -> StoreResult<Option<OptionRound>> {
        Ok(self.rounds.get(address).cloned())
    }
    fn round_by_id(&mut self, vault: &Hex, round_id: u64) -> StoreResult<Option<OptionRound>> {
        Ok(self
            .rounds
            .values()
            .find(|r| r.vault_address == *vault && r.round_id == round_id)
            .cloned())
    }
    fn rounds_of_vault(&mut self, vault: &Hex) -> StoreResult<Vec<OptionRound>> {
        let mut rounds: Vec<_> = self
            .rounds
            .values()
            .filter(|r| r.vault_address == *vault)
            .cloned()
            .collect();
        rounds.sort_by_key(|r| std::cmp::Reverse(r.round_id));
        Ok(rounds)
    }
    fn queued_liquidity(&mut self, lp: &Hex, round: &Hex) -> StoreResult<Option<QueuedLiquidity>> {
        Ok(self.queued.get(&(round.clone(), lp.clone())).cloned())
    }
    fn queued_liquidity_of_round(&mut self, round: &Hex) -> StoreResult<Vec<QueuedLiquidity>> {
        Ok(range_of(&self.queued, round).collect())
    }
    fn option_buyer(&mut self, address: &Hex, round: &Hex) -> StoreResult<Option<OptionBuyer>> {
        Ok(self.buyers.get(&(round.clone(), address.clone())).cloned())
    }
    fn option_buyers_of_round(&mut self, round: &Hex) -> StoreResult<Vec<OptionBuyer>> {
        Ok(range_of(&self.buyers, round).collect())
    }
    fn bid(&mut self, round: &Hex, bid_id: &Hex) -> StoreResult<Option<Bid>> {
        Ok(self.bids.get(&(round.clone(), bid_id.clone())).cloned())
    }
    fn bids_of_round(&mut self, round: &Hex) -> StoreResult<Vec<Bid>> {
        Ok(range_of(&self.bids, round).collect())
    }
    fn lp_round_deposits(&mut self, round: &Hex) -> StoreResult<Vec<LpRoundDeposit>> {
        Ok(range_of(&self.deposits, round).collect())
    }
    fn applied_events_of_block(
        &mut self,
        block_hash: &Hex,
    ) -> StoreResult<Vec<(EventKey, String)>> {
        Ok(self
            .applied
            .iter()
            .filter(|(k, _)| k.block_hash == *block_hash)
            .map(|(k, content)| (k.clone(), content.clone()))
            .collect())
    }
}

impl Store for MemoryStore {
    fn journal_block(&mut self, block_hash: &Hex) -> StoreResult<()> {
        if *block_hash != self.block {
            // A block touches about as many rows as the one before it: no rehashing as it goes.
            let now = self.journaled.remove(block_hash).unwrap_or_else(|| {
                FxHashSet::with_capacity_and_hasher(self.journaled_now.len(), Default::default())
            });
            let before = std::mem::replace(&mut self.journaled_now, now);
            let block = std::mem::replace(&mut self.block, block_hash.clone());
            if !before.is_empty() {
                self.journaled.insert(block, before);
            }
        }
        Ok(())
    }
    fn insert_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        let key = vault.address.clone();
        insert_new(&mut self.vaults, key.clone(), vault.clone(), &key)?;
        self.journal_first(vault.row_key(), || Image::Vault(key, None));
        Ok(())
    }
    fn update_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        let key = vault.address.clone();
        let before = replace(&mut self.vaults, key.clone(), vault.clone(), &key)?;
        self.journal_first(vault.row_key(), || {
            Image::Vault(key, Some(Box::new(before)))
        });
        Ok(())
    }
    fn insert_liquidity_provider(&mut self, lp: &LiquidityProvider) -> StoreResult<()> {
        let key = (lp.vault_address.clone(), lp.address.clone());
        insert_new(
            &mut self.liquidity_providers,
            key.clone(),
            lp.clone(),
            &lp.address,
        )?;
        self.journal_first(lp.row_key(), || Image::Lp(key, None));
        Ok(())
    }
    fn update_liquidity_providers(&mut self, lps: Vec<LiquidityProvider>) -> StoreResult<()> {
        for lp in lps {
            let row_key = lp.row_key();
            let key = (lp.vault_address.clone(), lp.address.clone());
            let what = lp.address.clone();
            let before = replace(&mut self.liquidity_providers, key.clone(), lp, &what)?;
            self.journal_first(row_key, || Image::Lp(key, Some(before)));
        }
        Ok(())
    }
    fn insert_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        let key = round.address.clone();
        insert_new(&mut self.rounds, key.clone(), round.clone(), &key)?;
        self.journal_first(round.row_key(), || Image::Round(key, None));
        Ok(())
    }
    fn update_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        let key = round.address.clone();
        let before = replace(&mut self.rounds, key.clone(), round.clone(), &key)?;
        self.journal_first(round.row_key(), || {
            Image::Round(key, Some(Box::new(before)))
        });
        Ok(())
    }
    fn insert_queued_liquidity(&mut self, q: &QueuedLiquidity) -> StoreResult<()> {
        let key = (q.round_address.clone(), q.address.clone());
        insert_new(&mut self.queued, key.clone(), q.clone(), &q.address)?;
        self.journal_first(q.row_key(), || Image::Queued(key, None));
        Ok(())
    }
    fn update_queued_liquidity(&mut self, q: &QueuedLiquidity) -> StoreResult<()> {
        let key = (q.round_address.clone(), q.address.clone());
        let before = replace(&mut self.queued, key.clone(), q.clone(), &q.address)?;
        self.journal_first(q.row_key(), || Image::Queued(key, Some(before)));
        Ok(())
    }
    fn insert_option_buyer(&mut self, b: &OptionBuyer) -> StoreResult<()> {
        let key = (b.round_address.clone(), b.address.clone());
        insert_new(&mut self.buyers, key.clone(), b.clone(), &b.address)?;
        self.journal_first(b.row_key(), || Image::Buyer(key, None));
        Ok(())
    }
    fn update_option_buyers(&mut self, buyers: &[OptionBuyer]) -> StoreResult<()> {
        for b in buyers {
            let key = (b.round_address.clone(), b.address.clone());
            let before = replace(&mut self.buyers, key.clone(), b.clone(), &b.address)?;
            self.journal_first(b.row_key(), || Image::Buyer(key, Some(before)));
        }
        Ok(())
    }
    fn insert_bid(&mut self, b: &Bid) -> StoreResult<()> {
        let key = (b.round_address.clone(), b.bid_id.clone());
        insert_new(&mut self.bids, key.clone(), b.clone(), &b.bid_id)?;
        self.journal_first(b.row_key(), || Image::Bid(key, None));
        Ok(())
    }
    fn update_bid(&mut self, b: &Bid) -> StoreResult<()> {
        let key = (b.round_address.clone(), b.bid_id.clone());
        let before = replace(&mut self.bids, key.clone(), b.clone(), &b.bid_id)?;
        self.journal_first(b.row_key(), || Image::Bid(key, Some(before)));
        Ok(())
    }
    fn insert_lp_round_deposits(&mut self, deposits: Vec<LpRoundDeposit>) -> StoreResult<()> {
        for d in deposits {
            let row_key = d.row_key();
            let key = (d.round_address.clone(), d.lp_address.clone());
            let what = d.lp_address.clone();
            insert_new(&mut self.deposits, key.clone(), d, &what)?;
            self.journal_first(row_key, || Image::Deposit(key, None));
        }
        Ok(())
    }
    fn upsert_vault_snapshots(&mut self, rows: Vec<VaultSnapshot>) -> StoreResult<()> {
        for row in rows {
            let row_key = row.row_key();
            let (key, before) = upsert(
                &mut self.vault_history,
                (row.vault, row.block),
                row.balances,
            );
            self.journal_first(row_key, || Image::VaultHistory(key, before));
        }
        Ok(())
    }
    fn upsert_lp_snapshots(&mut self, rows: Vec<LpSnapshot>) -> StoreResult<()> {
        for row in rows {
            let row_key = row.row_key();
            let key = (row.lp, row.vault, row.block);
            let (key, before) = upsert(&mut self.lp_history, key, row.balances);
            self.journal_first(row_key, || Image::LpHistory(key, before));
        }
        Ok(())
    }
    fn claim_event(
        &mut self,
        key: &EventKey,
        content: &str,
        _event_name: &str,
    ) -> StoreResult<bool> {
        let content_key = (
            key.block_hash.clone(),
            key.vault_address.clone(),
            content.to_string(),
        );
        if self.applied.contains_key(key) || self.applied_content.contains(&content_key) {
            return Ok(false);
        }
        self.applied.insert(key.clone(), content.to_string());
        self.applied_content.insert(content_key);
        Ok(true)
    }
}
