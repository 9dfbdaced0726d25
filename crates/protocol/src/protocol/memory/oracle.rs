//! What only the pure oracle needs of a `MemoryStore`: reverting a block from its journal,
//! and writing a `ChangeSet` the way the database store does. Tests and the simulator enable
//! it (feature `oracle`); the extension's write-back cache does not need it.

use super::*;
use crate::protocol::changes::{ChangeSet, Writes};
use std::fmt::Debug;

/// Puts `before` back under `key` in `map`, or removes the key if the row did not exist.
fn restore<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, before: Option<V>) {
    match before {
        Some(row) => map.insert(key, row),
        None => map.remove(&key),
    };
}

/// `restore` for a history table's map.
fn restore_history<K: Eq + std::hash::Hash, V>(
    map: &mut FxHashMap<K, V>,
    key: K,
    before: Option<V>,
) {
    match before {
        Some(row) => map.insert(key, row),
        None => map.remove(&key),
    };
}

impl MemoryStore {
    /// Undoes every change of `block_hash` from its journal, newest first, and forgets its
    /// applied events (spec §4.2).
    pub fn revert_block(&mut self, block_hash: &str) {
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.journal)
            .into_iter()
            .partition(|entry| &*entry.block == block_hash);
        self.journal = rest;
        for entry in mine.into_iter().rev() {
            match entry.image {
                Image::Vault(k, row) => restore(&mut self.vaults, k, row.map(|r| *r)),
                Image::Lp(k, row) => restore(&mut self.liquidity_providers, k, row),
                Image::LpHistory(k, row) => restore_history(&mut self.lp_history, k, row),
                Image::VaultHistory(k, row) => restore_history(&mut self.vault_history, k, row),
                Image::Round(k, row) => restore(&mut self.rounds, k, row.map(|r| *r)),
                Image::Queued(k, row) => restore(&mut self.queued, k, row),
                Image::Buyer(k, row) => restore(&mut self.buyers, k, row),
                Image::Bid(k, row) => restore(&mut self.bids, k, row),
                Image::Deposit(k, row) => restore(&mut self.deposits, k, row),
            }
        }
        self.journaled.remove(block_hash);
        if &*self.block == block_hash {
            self.journaled_now.clear();
        }
        self.applied.retain(|k, _| &*k.block_hash != block_hash);
        self.applied_content.retain(|(b, _, _)| &**b != block_hash);
    }
}

impl MemoryStore {
    /// The rows `block` has journaled so far.
    fn journaled_by(&mut self, block: &Hex) -> &mut FxHashSet<RowKey> {
        if *block == self.block {
            &mut self.journaled_now
        } else {
            self.journaled.entry(block.clone()).or_default()
        }
    }

    /// The row `image` names, as it is now.
    fn current(&self, image: &Image) -> Image {
        match image {
            Image::Vault(k, _) => {
                Image::Vault(k.clone(), self.vaults.get(k).cloned().map(Box::new))
            }
            Image::Lp(k, _) => Image::Lp(k.clone(), self.liquidity_providers.get(k).cloned()),
            Image::LpHistory(k, _) => Image::LpHistory(k.clone(), self.lp_history.get(k).cloned()),
            Image::VaultHistory(k, _) => {
                Image::VaultHistory(k.clone(), self.vault_history.get(k).cloned())
            }
            Image::Round(k, _) => {
                Image::Round(k.clone(), self.rounds.get(k).cloned().map(Box::new))
            }
            Image::Queued(k, _) => Image::Queued(k.clone(), self.queued.get(k).cloned()),
            Image::Buyer(k, _) => Image::Buyer(k.clone(), self.buyers.get(k).cloned()),
            Image::Bid(k, _) => Image::Bid(k.clone(), self.bids.get(k).cloned()),
            Image::Deposit(k, _) => Image::Deposit(k.clone(), self.deposits.get(k).cloned()),
        }
    }

    /// Writes a write-back batch's changes the way the database store does: journal first
    /// (first touch per block wins), then inserts, updates and upserts, then the ledger.
    pub fn apply_changes(&mut self, changes: ChangeSet) -> StoreResult<()> {
        for entry in changes.journal {
            let image = if entry.before_in_source() {
                self.current(&entry.image)
            } else {
                entry.image
            };
            if self.journaled_by(&entry.block).insert(image.key()) {
                self.journal.push(JournalEntry {
                    block: entry.block,
                    image,
                });
            }
        }
        write(&mut self.vaults, changes.vaults, |v| v.address.clone())?;
        write(
            &mut self.liquidity_providers,
            changes.liquidity_providers,
            |lp| (lp.vault_address.clone(), lp.address.clone()),
        )?;
        write(&mut self.rounds, changes.rounds, |r| r.address.clone())?;
        write(&mut self.queued, changes.queued, |q| {
            (q.round_address.clone(), q.address.clone())
        })?;
        write(&mut self.buyers, changes.buyers, |b| {
            (b.round_address.clone(), b.address.clone())
        })?;
        write(&mut self.bids, changes.bids, |b| {
            (b.round_address.clone(), b.bid_id.clone())
        })?;
        write(&mut self.deposits, changes.deposits, |d| {
            (d.round_address.clone(), d.lp_address.clone())
        })?;
        for s in changes.vault_history {
            self.vault_history.insert((s.vault, s.block), s.balances);
        }
        for s in changes.lp_history {
            self.lp_history.insert((s.lp, s.vault, s.block), s.balances);
        }
        for claim in changes.claims {
            let k = claim.key;
            self.applied_content.insert((
                k.block_hash.clone(),
                k.vault_address.clone(),
                claim.content.clone(),
            ));
            self.applied.insert(k, claim.content);
        }
        Ok(())
    }
}

fn write<K: Ord + Debug, V>(
    map: &mut BTreeMap<K, V>,
    writes: Writes<V>,
    key: impl Fn(&V) -> K,
) -> StoreResult<()> {
    for row in writes.inserts {
        let k = key(&row);
        let what = format!("{k:?}");
        insert_new(map, k, row, &what)?;
    }
    for row in writes.updates {
        let k = key(&row);
        let what = format!("{k:?}");
        replace(map, k, row, &what)?;
    }
    Ok(())
}
