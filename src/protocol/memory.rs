//! An in-memory `Store` for the pure tests and property tests: ordered maps with the same
//! keys, uniqueness rules and orderings as the SQL tables, and a text dump in the same format
//! as `dump::DUMP_QUERIES` produces from the database, so the two can be compared.

use super::state::{
    Balances, Bid, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity,
    Vault,
};
use super::store::{EventKey, Store, StoreError, StoreResult};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStore {
    pub vaults: BTreeMap<String, Vault>,
    /// Keyed (vault, address) so a vault's LPs are a range in address order.
    pub liquidity_providers: BTreeMap<(String, String), LiquidityProvider>,
    pub rounds: BTreeMap<String, OptionRound>,
    /// Keyed (round, lp).
    pub queued: BTreeMap<(String, String), QueuedLiquidity>,
    /// Keyed (round, buyer).
    pub buyers: BTreeMap<(String, String), OptionBuyer>,
    /// Keyed (round, bid id).
    pub bids: BTreeMap<(String, String), Bid>,
    /// Keyed (round, lp).
    pub deposits: BTreeMap<(String, String), LpRoundDeposit>,
    /// Keyed (vault, block).
    pub vault_history: BTreeMap<(String, u64), Balances>,
    /// Keyed (lp, vault, block).
    pub lp_history: BTreeMap<(String, String, u64), Balances>,
    pub applied: BTreeSet<EventKey>,
    /// (block hash, vault, content fingerprint) of applied events.
    pub applied_content: BTreeSet<(String, String, String)>,
}

fn insert_new<K: Ord, V>(
    map: &mut BTreeMap<K, V>,
    key: K,
    value: V,
    what: &str,
) -> StoreResult<()> {
    if map.contains_key(&key) {
        return Err(StoreError(format!("duplicate key: {what}")));
    }
    map.insert(key, value);
    Ok(())
}

fn replace<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, value: V, what: &str) -> StoreResult<()> {
    match map.get_mut(&key) {
        Some(slot) => {
            *slot = value;
            Ok(())
        }
        None => Err(StoreError(format!("update of a missing row: {what}"))),
    }
}

fn range_of<'m, V: Clone>(
    map: &'m BTreeMap<(String, String), V>,
    first: &str,
) -> impl Iterator<Item = V> + 'm {
    let first = first.to_string();
    map.range((first.clone(), String::new())..)
        .take_while(move |((f, _), _)| *f == first)
        .map(|(_, v)| v.clone())
}

impl Store for MemoryStore {
    fn vault(&mut self, address: &str) -> StoreResult<Option<Vault>> {
        Ok(self.vaults.get(address).cloned())
    }
    fn insert_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        insert_new(
            &mut self.vaults,
            vault.address.clone(),
            vault.clone(),
            &vault.address,
        )
    }
    fn update_vault(&mut self, vault: &Vault) -> StoreResult<()> {
        replace(
            &mut self.vaults,
            vault.address.clone(),
            vault.clone(),
            &vault.address,
        )
    }

    fn liquidity_provider(
        &mut self,
        address: &str,
        vault: &str,
    ) -> StoreResult<Option<LiquidityProvider>> {
        Ok(self
            .liquidity_providers
            .get(&(vault.to_string(), address.to_string()))
            .cloned())
    }
    fn liquidity_providers(&mut self, vault: &str) -> StoreResult<Vec<LiquidityProvider>> {
        Ok(range_of(&self.liquidity_providers, vault).collect())
    }
    fn insert_liquidity_provider(&mut self, lp: &LiquidityProvider) -> StoreResult<()> {
        let key = (lp.vault_address.clone(), lp.address.clone());
        insert_new(&mut self.liquidity_providers, key, lp.clone(), &lp.address)
    }
    fn update_liquidity_providers(&mut self, lps: &[LiquidityProvider]) -> StoreResult<()> {
        for lp in lps {
            let key = (lp.vault_address.clone(), lp.address.clone());
            replace(&mut self.liquidity_providers, key, lp.clone(), &lp.address)?;
        }
        Ok(())
    }

    fn round(&mut self, address: &str) -> StoreResult<Option<OptionRound>> {
        Ok(self.rounds.get(address).cloned())
    }
    fn round_by_id(&mut self, vault: &str, round_id: u64) -> StoreResult<Option<OptionRound>> {
        Ok(self
            .rounds
            .values()
            .find(|r| r.vault_address == vault && r.round_id == round_id)
            .cloned())
    }
    fn rounds_of_vault(&mut self, vault: &str) -> StoreResult<Vec<OptionRound>> {
        let mut rounds: Vec<_> = self
            .rounds
            .values()
            .filter(|r| r.vault_address == vault)
            .cloned()
            .collect();
        rounds.sort_by_key(|r| std::cmp::Reverse(r.round_id));
        Ok(rounds)
    }
    fn insert_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        insert_new(
            &mut self.rounds,
            round.address.clone(),
            round.clone(),
            &round.address,
        )
    }
    fn update_round(&mut self, round: &OptionRound) -> StoreResult<()> {
        replace(
            &mut self.rounds,
            round.address.clone(),
            round.clone(),
            &round.address,
        )
    }

    fn queued_liquidity(&mut self, lp: &str, round: &str) -> StoreResult<Option<QueuedLiquidity>> {
        Ok(self
            .queued
            .get(&(round.to_string(), lp.to_string()))
            .cloned())
    }
    fn insert_queued_liquidity(&mut self, q: &QueuedLiquidity) -> StoreResult<()> {
        insert_new(
            &mut self.queued,
            (q.round_address.clone(), q.address.clone()),
            q.clone(),
            &q.address,
        )
    }
    fn update_queued_liquidity(&mut self, q: &QueuedLiquidity) -> StoreResult<()> {
        replace(
            &mut self.queued,
            (q.round_address.clone(), q.address.clone()),
            q.clone(),
            &q.address,
        )
    }
    fn queued_liquidity_of_round(&mut self, round: &str) -> StoreResult<Vec<QueuedLiquidity>> {
        Ok(range_of(&self.queued, round).collect())
    }

    fn option_buyer(&mut self, address: &str, round: &str) -> StoreResult<Option<OptionBuyer>> {
        Ok(self
            .buyers
            .get(&(round.to_string(), address.to_string()))
            .cloned())
    }
    fn option_buyers_of_round(&mut self, round: &str) -> StoreResult<Vec<OptionBuyer>> {
        Ok(range_of(&self.buyers, round).collect())
    }
    fn insert_option_buyer(&mut self, b: &OptionBuyer) -> StoreResult<()> {
        insert_new(
            &mut self.buyers,
            (b.round_address.clone(), b.address.clone()),
            b.clone(),
            &b.address,
        )
    }
    fn update_option_buyers(&mut self, buyers: &[OptionBuyer]) -> StoreResult<()> {
        for b in buyers {
            replace(
                &mut self.buyers,
                (b.round_address.clone(), b.address.clone()),
                b.clone(),
                &b.address,
            )?;
        }
        Ok(())
    }

    fn bid(&mut self, round: &str, bid_id: &str) -> StoreResult<Option<Bid>> {
        Ok(self
            .bids
            .get(&(round.to_string(), bid_id.to_string()))
            .cloned())
    }
    fn bids_of_round(&mut self, round: &str) -> StoreResult<Vec<Bid>> {
        Ok(range_of(&self.bids, round).collect())
    }
    fn insert_bid(&mut self, b: &Bid) -> StoreResult<()> {
        insert_new(
            &mut self.bids,
            (b.round_address.clone(), b.bid_id.clone()),
            b.clone(),
            &b.bid_id,
        )
    }
    fn update_bid(&mut self, b: &Bid) -> StoreResult<()> {
        replace(
            &mut self.bids,
            (b.round_address.clone(), b.bid_id.clone()),
            b.clone(),
            &b.bid_id,
        )
    }

    fn lp_round_deposits(&mut self, round: &str) -> StoreResult<Vec<LpRoundDeposit>> {
        Ok(range_of(&self.deposits, round).collect())
    }
    fn insert_lp_round_deposits(&mut self, deposits: &[LpRoundDeposit]) -> StoreResult<()> {
        for d in deposits {
            let key = (d.round_address.clone(), d.lp_address.clone());
            insert_new(&mut self.deposits, key, d.clone(), &d.lp_address)?;
        }
        Ok(())
    }

    fn upsert_vault_snapshot(
        &mut self,
        vault: &str,
        block: u64,
        balances: &Balances,
    ) -> StoreResult<()> {
        self.vault_history
            .insert((vault.to_string(), block), balances.clone());
        Ok(())
    }
    fn upsert_lp_snapshot(
        &mut self,
        lp: &str,
        vault: &str,
        block: u64,
        balances: &Balances,
    ) -> StoreResult<()> {
        self.lp_history
            .insert((lp.to_string(), vault.to_string(), block), balances.clone());
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
        if self.applied.contains(key) || self.applied_content.contains(&content_key) {
            return Ok(false);
        }
        self.applied.insert(key.clone());
        self.applied_content.insert(content_key);
        Ok(true)
    }
}
