//! A write-back `Store` over a `Source`: rows are read from the source once per batch (a whole
//! vault's LPs or a round's bids in one read), every change stays in memory with its journal
//! entry, and `into_changes` hands back what the batch did as sets, for the database to write
//! with a few statements instead of one per event. A batch is one block or many; whatever its
//! size, the changes are those of applying its blocks one by one (tests/cache.rs checks it).

use super::changes::{ChangeSet, Claim, Keyed, RowKey, Writes};
use super::memory::MemoryStore;
use super::state::{
    Balances, Bid, Hex, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound,
    QueuedLiquidity, Vault,
};
use super::store::{EventKey, LpSnapshot, Source, Store, StoreResult, VaultSnapshot};
use super::tables::Table;
use rustc_hash::{FxHashMap, FxHashSet as HashSet};
use std::collections::hash_map::Entry;
use std::collections::BTreeMap;

pub struct CachedStore<S: Source> {
    source: S,
    batch: Batch,
}

/// What the cache holds between two `take_changes`.
#[derive(Default)]
struct Batch {
    /// The current image of every row read or written; its journal is the batch's journal.
    memory: MemoryStore,
    /// Every row whose state in the source is known (loaded, present or absent), with what
    /// the batch did to it: one entry, one key, per row.
    rows: FxHashMap<RowKey, RowState>,
    /// Collections loaded whole: (table, vault or round address).
    scopes: FxHashMap<Table, HashSet<Hex>>,
    /// Blocks whose ledger rows are loaded.
    ledgers: HashSet<Hex>,
    claims: Vec<Claim>,
}

/// A known row: whether the source holds it (then it is updated, not inserted), and whether
/// the batch inserted or updated it (a row inserted and then changed is both).
#[derive(Default, Clone, Copy)]
struct RowState {
    stored: bool,
    inserted: bool,
    updated: bool,
}

impl Batch {
    fn scope_loaded(&self, table: Table, scope: &Hex) -> bool {
        self.scopes
            .get(&table)
            .is_some_and(|scopes| scopes.contains(scope))
    }
}

impl<S: Source> CachedStore<S> {
    pub fn new(source: S) -> Self {
        CachedStore {
            source,
            batch: Batch::default(),
        }
    }

    /// What the batch changed, for the source's owner to write; the cache starts empty again.
    pub fn take_changes(&mut self) -> ChangeSet {
        std::mem::take(&mut self.batch).into_changes()
    }

    pub fn has_changes(&self) -> bool {
        !self.batch.memory.journal.is_empty() || !self.batch.claims.is_empty()
    }

    /// The source, for reads outside the handlers (block rows, the ledger of blocks).
    pub fn source(&mut self) -> &mut S {
        &mut self.source
    }

    fn is_known(&self, key: &RowKey, scope: Option<(Table, &Hex)>) -> bool {
        self.batch.rows.contains_key(key)
            || scope.is_some_and(|(t, s)| self.batch.scope_loaded(t, s))
    }

    /// Records a row loaded from the source, unless the batch already holds a newer image.
    fn loaded<R>(&mut self, key: RowKey, row: R, put: impl FnOnce(&mut MemoryStore, R)) {
        if let Entry::Vacant(entry) = self.batch.rows.entry(key) {
            entry.insert(RowState {
                stored: true,
                ..RowState::default()
            });
            put(&mut self.batch.memory, row);
        }
    }

    /// Loads a row by key unless known: `fetch` reads it from the source.
    fn load_one<R>(
        &mut self,
        key: RowKey,
        scope: Option<(Table, &Hex)>,
        fetch: impl FnOnce(&mut S) -> StoreResult<Option<R>>,
        put: impl FnOnce(&mut MemoryStore, R),
    ) -> StoreResult<()> {
        if self.is_known(&key, scope) {
            return Ok(());
        }
        match fetch(&mut self.source)? {
            Some(row) => self.loaded(key, row, put),
            None => {
                self.batch.rows.entry(key).or_default();
            }
        }
        Ok(())
    }

    /// Loads a whole collection unless loaded; `key_of` names each row.
    fn load_scope<R>(
        &mut self,
        table: Table,
        scope: &Hex,
        fetch: impl FnOnce(&mut S) -> StoreResult<Vec<R>>,
        key_of: impl Fn(&R) -> RowKey,
        put: impl Fn(&mut MemoryStore, R),
    ) -> StoreResult<()> {
        if self.batch.scope_loaded(table, scope) {
            return Ok(());
        }
        let scopes = self.batch.scopes.entry(table).or_default();
        scopes.insert(scope.clone());
        for row in fetch(&mut self.source)? {
            self.loaded(key_of(&row), row, &put);
        }
        Ok(())
    }

    fn ensure_vault(&mut self, address: &Hex) -> StoreResult<()> {
        self.load_one(
            RowKey::vault(address),
            None,
            |s| s.vault(address),
            |m, v| {
                m.vaults.insert(v.address.clone(), v);
            },
        )
    }

    fn ensure_lp(&mut self, address: &Hex, vault: &Hex) -> StoreResult<()> {
        self.load_one(
            RowKey::lp(vault, address),
            Some((Table::LiquidityProviders, vault)),
            |s| s.liquidity_provider(address, vault),
            put_lp,
        )
    }

    fn ensure_lps_of_vault(&mut self, vault: &Hex) -> StoreResult<()> {
        self.load_scope(
            Table::LiquidityProviders,
            vault,
            |s| s.liquidity_providers(vault),
            Keyed::row_key,
            put_lp,
        )
    }

    fn ensure_round(&mut self, address: &Hex) -> StoreResult<()> {
        self.load_one(
            RowKey::round(address),
            None,
            |s| s.round(address),
            put_round,
        )
    }

    fn ensure_rounds_of_vault(&mut self, vault: &Hex) -> StoreResult<()> {
        self.load_scope(
            Table::Rounds,
            vault,
            |s| s.rounds_of_vault(vault),
            Keyed::row_key,
            put_round,
        )
    }

    fn ensure_queued(&mut self, lp: &Hex, round: &Hex) -> StoreResult<()> {
        self.load_one(
            RowKey::queued(round, lp),
            Some((Table::QueuedLiquidity, round)),
            |s| s.queued_liquidity(lp, round),
            put_queued,
        )
    }

    fn ensure_queued_of_round(&mut self, round: &Hex) -> StoreResult<()> {
        self.load_scope(
            Table::QueuedLiquidity,
            round,
            |s| s.queued_liquidity_of_round(round),
            Keyed::row_key,
            put_queued,
        )
    }

    fn ensure_buyer(&mut self, address: &Hex, round: &Hex) -> StoreResult<()> {
        self.load_one(
            RowKey::buyer(round, address),
            Some((Table::OptionBuyers, round)),
            |s| s.option_buyer(address, round),
            put_buyer,
        )
    }

    fn ensure_buyers_of_round(&mut self, round: &Hex) -> StoreResult<()> {
        self.load_scope(
            Table::OptionBuyers,
            round,
            |s| s.option_buyers_of_round(round),
            Keyed::row_key,
            put_buyer,
        )
    }

    fn ensure_bid(&mut self, round: &Hex, bid_id: &Hex) -> StoreResult<()> {
        self.load_one(
            RowKey::bid(round, bid_id),
            Some((Table::Bids, round)),
            |s| s.bid(round, bid_id),
            put_bid,
        )
    }

    fn ensure_bids_of_round(&mut self, round: &Hex) -> StoreResult<()> {
        self.load_scope(
            Table::Bids,
            round,
            |s| s.bids_of_round(round),
            Keyed::row_key,
            put_bid,
        )
    }

    fn ensure_deposits_of_round(&mut self, round: &Hex) -> StoreResult<()> {
        self.load_scope(
            Table::LpRoundDeposits,
            round,
            |s| s.lp_round_deposits(round),
            Keyed::row_key,
            |m, d| {
                m.deposits
                    .insert((d.round_address.clone(), d.lp_address.clone()), d);
            },
        )
    }

    fn ensure_ledger(&mut self, block_hash: &Hex) -> StoreResult<()> {
        if self.batch.ledgers.insert(block_hash.clone()) {
            for (key, content) in self.source.applied_events_of_block(block_hash)? {
                self.batch.memory.applied_content.insert((
                    key.block_hash.clone(),
                    key.vault_address.clone(),
                    content.clone(),
                ));
                self.batch.memory.applied.insert(key, content);
            }
        }
        Ok(())
    }

    /// Marks a written row: an insert if the source does not hold it, else an update.
    fn written(&mut self, key: RowKey) {
        let state = self.batch.rows.entry(key).or_default();
        if state.stored || state.inserted {
            state.updated = true;
        } else {
            state.inserted = true;
        }
    }
}

impl Batch {
    /// What the batch changed, for the database (or a `MemoryStore`) to write as sets. The rows
    /// are moved out of the batch, not copied (a row both inserted and updated is the one copy).
    fn into_changes(self) -> ChangeSet {
        let Batch {
            memory: m,
            rows,
            claims,
            ..
        } = self;
        ChangeSet {
            vaults: split(keyed(m.vaults, RowKey::Vault), &rows),
            liquidity_providers: split(keyed(m.liquidity_providers, RowKey::Lp), &rows),
            rounds: split(keyed(m.rounds, RowKey::Round), &rows),
            queued: split(keyed(m.queued, RowKey::Queued), &rows),
            buyers: split(keyed(m.buyers, RowKey::Buyer), &rows),
            bids: split(keyed(m.bids, RowKey::Bid), &rows),
            deposits: split(keyed(m.deposits, RowKey::Deposit), &rows),
            vault_history: sorted(m.vault_history),
            lp_history: sorted(m.lp_history),
            journal: m.journal,
            claims,
        }
    }
}

/// A history map's rows in key order: the order the other tables' rows are written in, which
/// keeps the index inserts of a batch close together.
fn sorted<K: Ord, S: From<(K, Balances)>>(rows: FxHashMap<K, Balances>) -> Vec<S> {
    let mut rows: Vec<(K, Balances)> = rows.into_iter().collect();
    rows.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    rows.into_iter().map(S::from).collect()
}

/// A map's rows with their `RowKey`s, made from the map keys (moved, not copied).
fn keyed<K, R>(
    rows: BTreeMap<K, R>,
    key: impl Fn(K) -> RowKey,
) -> impl Iterator<Item = (RowKey, R)> {
    rows.into_iter().map(move |(k, row)| (key(k), row))
}

/// The rows the batch inserted and those it updated, in key order; the rest were only read.
fn split<R: Clone>(
    rows: impl Iterator<Item = (RowKey, R)>,
    states: &FxHashMap<RowKey, RowState>,
) -> Writes<R> {
    let mut writes = Writes::default();
    for (key, row) in rows {
        let state = states
            .get(&key)
            .expect("every row the batch holds was loaded or written");
        match (state.inserted, state.updated) {
            (true, true) => {
                writes.inserts.push(row.clone());
                writes.updates.push(row);
            }
            (true, false) => writes.inserts.push(row),
            (false, true) => writes.updates.push(row),
            (false, false) => {}
        }
    }
    writes
}

fn put_lp(m: &mut MemoryStore, lp: LiquidityProvider) {
    m.liquidity_providers
        .insert((lp.vault_address.clone(), lp.address.clone()), lp);
}
fn put_round(m: &mut MemoryStore, r: OptionRound) {
    m.rounds.insert(r.address.clone(), r);
}
fn put_queued(m: &mut MemoryStore, q: QueuedLiquidity) {
    m.queued
        .insert((q.round_address.clone(), q.address.clone()), q);
}
fn put_buyer(m: &mut MemoryStore, b: OptionBuyer) {
    m.buyers
        .insert((b.round_address.clone(), b.address.clone()), b);
}
fn put_bid(m: &mut MemoryStore, b: Bid) {
    m.bids
        .insert((b.round_address.clone(), b.bid_id.clone()), b);
}

impl<S: Source> Source for CachedStore<S> {
    fn vault(&mut self, address: &Hex) -> StoreResult<Option<Vault>> {
        self.ensure_vault(address)?;
        self.batch.memory.vault(address)
    }
    fn liquidity_provider(
        &mut self,
        address: &Hex,
        vault: &Hex,
    ) -> StoreResult<Option<LiquidityProvider>> {
        self.ensure_lp(address, vault)?;
        self.batch.memory.liquidity_provider(address, vault)
    }
    fn liquidity_providers(&mut self, vault: &Hex) -> StoreResult<Vec<LiquidityProvider>> {
        self.ensure_lps_of_vault(vault)?;
        self.batch.memory.liquidity_providers(vault)
    }
    fn round(&mut self, address: &Hex) -> StoreResult<Option<OptionRound>> {
        self.ensure_round(address)?;
        self.batch.memory.round(address)
    }
    /// One round by its id: never the vault's whole history of rounds, which grows with the
    /// chain (a round every few hours, forever).
    fn round_by_id(&mut self, vault: &Hex, round_id: u64) -> StoreResult<Option<OptionRound>> {
        if let Some(round) = self.batch.memory.round_by_id(vault, round_id)? {
            return Ok(Some(round));
        }
        if self.batch.scope_loaded(Table::Rounds, vault) {
            return Ok(None);
        }
        match self.source.round_by_id(vault, round_id)? {
            Some(round) => {
                self.loaded(round.row_key(), round, put_round);
                self.batch.memory.round_by_id(vault, round_id)
            }
            None => Ok(None),
        }
    }
    fn rounds_of_vault(&mut self, vault: &Hex) -> StoreResult<Vec<OptionRound>> {
        self.ensure_rounds_of_vault(vault)?;
        self.batch.memory.rounds_of_vault(vault)
    }
    fn queued_liquidity(&mut self, lp: &Hex, round: &Hex) -> StoreResult<Option<QueuedLiquidity>> {
        self.ensure_queued(lp, round)?;
        self.batch.memory.queued_liquidity(lp, round)
    }
    fn queued_liquidity_of_round(&mut self, round: &Hex) -> StoreResult<Vec<QueuedLiquidity>> {
        self.ensure_queued_of_round(round)?;
        self.batch.memory.queued_liquidity_of_round(round)
    }
    fn option_buyer(&mut self, address: &Hex, round: &Hex) -> StoreResult<Option<OptionBuyer>> {
        self.ensure_buyer(address, round)?;
        self.batch.memory.option_buyer(address, round)
    }
    fn option_buyers_of_round(&mut self, round: &Hex) -> StoreResult<Vec<OptionBuyer>> {
        self.ensure_buyers_of_round(round)?;
        self.batch.memory.option_buyers_of_round(round)
    }
    fn bid(&mut self, round: &Hex, bid_id: &Hex) -> StoreResult<Option<Bid>> {
        self.ensure_bid(round, bid_id)?;
        self.batch.memory.bid(round, bid_id)
    }
    fn bids_of_round(&mut self, round: &Hex) -> StoreResult<Vec<Bid>> {
        self.ensure_bids_of_round(round)?;
        self.batch.memory.bids_of_round(round)
    }
    fn lp_round_deposits(&mut self, round: &Hex) -> StoreResult<Vec<LpRoundDeposit>> {
        self.ensure_deposits_of_round(round)?;
        self.batch.memory.lp_round_deposits(round)
    }
    fn applied_events_of_block(
        &mut self,
        block_hash: &Hex,
    ) -> StoreResult<Vec<(EventKey, String)>> {
        self.ensure_ledger(block_hash)?;
        self.batch.memory.applied_events_of_block(block_hash)
    }
}

impl<S: Source> Store for CachedStore<S> {
    fn journal_block(&mut self, block_hash: &Hex) -> StoreResult<()> {
        self.batch.memory.journal_block(block_hash)
    }

    fn insert_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        self.ensure_vault(&vault.address)?;
        self.batch.memory.insert_vault(vault)?;
        self.written(vault.row_key());
        Ok(())
    }
    fn update_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        self.ensure_vault(&vault.address)?;
        self.batch.memory.update_vault(vault)?;
        self.written(vault.row_key());
        Ok(())
    }
    fn insert_liquidity_provider(&mut self, lp: &LiquidityProvider) -> StoreResult<()> {
        self.ensure_lp(&lp.address, &lp.vault_address)?;
        self.batch.memory.insert_liquidity_provider(lp)?;
        self.written(lp.row_key());
        Ok(())
    }
    fn update_liquidity_providers(&mut self, lps: Vec<LiquidityProvider>) -> StoreResult<()> {
        let mut keys = Vec::with_capacity(lps.len());
        for lp in &lps {
            self.ensure_lp(&lp.address, &lp.vault_address)?;
            keys.push(lp.row_key());
        }
        self.batch.memory.update_liquidity_providers(lps)?;
        keys.into_iter().for_each(|key| self.written(key));
        Ok(())
    }
    fn insert_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        self.ensure_round(&round.address)?;
        self.batch.memory.insert_round(round)?;
        self.written(round.row_key());
        Ok(())
    }
    fn update_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        self.ensure_round(&round.address)?;
        self.batch.memory.update_round(round)?;
        self.written(round.row_key());
        Ok(())
    }
    fn insert_queued_liquidity(&mut self, q: &QueuedLiquidity) -> StoreResult<()> {
        self.ensure_queued(&q.address, &q.round_address)?;
        self.batch.memory.insert_queued_liquidity(q)?;
        self.written(q.row_key());
        Ok(())
    }
    fn update_queued_liquidity(&mut self, q: &QueuedLiquidity) -> StoreResult<()> {
        self.ensure_queued(&q.address, &q.round_address)?;
        self.batch.memory.update_queued_liquidity(q)?;
        self.written(q.row_key());
        Ok(())
    }
    fn insert_option_buyer(&mut self, b: &OptionBuyer) -> StoreResult<()> {
        self.ensure_buyer(&b.address, &b.round_address)?;
        self.batch.memory.insert_option_buyer(b)?;
        self.written(b.row_key());
        Ok(())
    }
    fn update_option_buyers(&mut self, buyers: &[OptionBuyer]) -> StoreResult<()> {
        for b in buyers {
            self.ensure_buyer(&b.address, &b.round_address)?;
        }
        self.batch.memory.update_option_buyers(buyers)?;
        for b in buyers {
            self.written(b.row_key());
        }
        Ok(())
    }
    fn insert_bid(&mut self, bid: &Bid) -> StoreResult<()> {
        self.ensure_bid(&bid.round_address, &bid.bid_id)?;
        self.batch.memory.insert_bid(bid)?;
        self.written(bid.row_key());
        Ok(())
    }
    fn update_bid(&mut self, bid: &Bid) -> StoreResult<()> {
        self.ensure_bid(&bid.round_address, &bid.bid_id)?;
        self.batch.memory.update_bid(bid)?;
        self.written(bid.row_key());
        Ok(())
    }
    fn insert_lp_round_deposits(&mut self, deposits: Vec<LpRoundDeposit>) -> StoreResult<()> {
        let mut keys = Vec::with_capacity(deposits.len());
        for d in &deposits {
            self.ensure_deposits_of_round(&d.round_address)?;
            keys.push(d.row_key());
        }
        self.batch.memory.insert_lp_round_deposits(deposits)?;
        keys.into_iter().for_each(|key| self.written(key));
        Ok(())
    }

    fn upsert_vault_snapshots(&mut self, rows: Vec<VaultSnapshot>) -> StoreResult<()> {
        self.batch.memory.upsert_vault_snapshots(rows)
    }
    fn upsert_lp_snapshots(&mut self, rows: Vec<LpSnapshot>) -> StoreResult<()> {
        self.batch.memory.upsert_lp_snapshots(rows)
    }

    fn claim_event(
        &mut self,
        key: &EventKey,
        content: &str,
        event_name: &str,
    ) -> StoreResult<bool> {
        self.ensure_ledger(&key.block_hash)?;
        let claimed = self.batch.memory.claim_event(key, content, event_name)?;
        if claimed {
            self.batch.claims.push(Claim {
                key: key.clone(),
                content: content.to_string(),
                event_name: event_name.to_string(),
            });
        }
        Ok(claimed)
    }
}
