//! Applying one event: decode, resolve its round (spec §1.7), dispatch to its handler, and keep
//! track of what changed for the historic snapshots (R7). The handlers themselves live in
//! `vault_events`, `round_events` and `settlement`, one function per event.

use super::error::{EventContext, EventError, Warning};
use super::state::{Balances, Hex, LiquidityProvider, OptionRound, RoundState, Vault};
use super::store::{LpSnapshot, Store, StoreResult, VaultSnapshot};
use crate::codec::{canonical_hex, parse_felt, EventKind, Felt};
use crate::events::{self, Event};
use std::collections::BTreeMap;

/// Processing options (GUCs at the SQL boundary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settings {
    /// Raise instead of warn-and-skip when a vault or round row is missing (spec R6).
    pub strict: bool,
}

/// One `events` row, as read from the indexer's table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub block_number: u64,
    pub block_hash: Hex,
    /// `starknet_blocks.timestamp` of the block, if the block row exists.
    pub block_timestamp: Option<u64>,
    pub vault_address: Hex,
    pub event_nonce: i64,
    pub event_name: String,
    pub keys: Vec<String>,
    pub data: Vec<String>,
    pub transaction_hash: String,
    /// The optional `events.from_address` column (spec §1.7 a).
    pub from_address: Option<String>,
}

impl EventRow {
    pub fn context(&self) -> EventContext {
        EventContext {
            block_number: self.block_number,
            block_hash: self.block_hash.clone(),
            vault: self.vault_address.clone(),
            event_nonce: self.event_nonce,
            event_name: self.event_name.clone(),
        }
    }
}

pub struct Applier<'s, S: Store> {
    pub(super) store: &'s mut S,
    pub(super) settings: Settings,
    /// The event being applied.
    pub(super) ctx: EventContext,
    /// The vault the event affects: the row's vault_address, canonical (or the owning vault
    /// of a round event filed under its round, §1.7 item 4).
    pub(super) vault: Hex,
    vault_snapshots: BTreeMap<(Hex, u64), Balances>,
    lp_snapshots: BTreeMap<(Hex, Hex, u64), Balances>,
    pub warnings: Vec<Warning>,
}

/// How a round event's round was found (or not). Returned once per round event and consumed
/// at once, so the size difference between variants costs nothing worth a heap allocation.
#[allow(clippy::large_enum_variant)]
pub(super) enum RoundLookup {
    Found(OptionRound),
    /// A parent row is missing: R6 applies (warn and skip, or raise in strict mode).
    Missing(String),
    /// The lossy fallback found no candidate: warn and skip, never raise (spec §1.7 c).
    Unresolved(String),
}

impl<'s, S: Store> Applier<'s, S> {
    pub fn new(store: &'s mut S, settings: Settings) -> Self {
        Applier {
            store,
            settings,
            ctx: EventContext {
                block_number: 0,
                block_hash: Hex::from(""),
                vault: Hex::from(""),
                event_nonce: 0,
                event_name: String::new(),
            },
            vault: Hex::from(""),
            vault_snapshots: BTreeMap::new(),
            lp_snapshots: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    pub fn store(&mut self) -> &mut S {
        self.store
    }

    /// Applies one row. Errors leave the store half-written: the caller must discard the whole
    /// block (the SQL layer does, by raising an ERROR that aborts the transaction).
    pub fn apply(&mut self, row: &EventRow) -> Result<(), EventError> {
        self.ctx = row.context();
        self.vault = canonical(&row.vault_address, "vault_address")?;
        self.ctx.vault = self.vault.clone();
        let decoded = events::decode(&row.event_name, &row.keys, &row.data)?;
        let kind = EventKind::from_name(&row.event_name);
        let round = match kind.filter(|k| k.is_round_event()) {
            Some(kind) => {
                let account = account_of(&decoded.event);
                let explicit = match &row.from_address {
                    Some(from) => Some(canonical(from, "from_address")?),
                    None => decoded.appended_round_address.as_ref().map(hex),
                };
                match self.resolve_round(kind, explicit, account.as_ref())? {
                    RoundLookup::Found(round) => Some(round),
                    RoundLookup::Missing(what) => return self.missing(what),
                    RoundLookup::Unresolved(why) => {
                        self.warn(format!("{why}; event skipped (spec §1.7 c)"));
                        return Ok(());
                    }
                }
            }
            None => None,
        };
        self.dispatch(decoded.event, row, round)
    }

    fn dispatch(
        &mut self,
        event: Event,
        row: &EventRow,
        round: Option<OptionRound>,
    ) -> Result<(), EventError> {
        let round = || round.expect("round events resolve their round first");
        match event {
            Event::ContractDeployed(e) => self.apply_contract_deployed(&e, row.block_timestamp),
            Event::OptionRoundDeployed(e) => self.apply_option_round_deployed(&e),
            Event::Deposit(e) => self.apply_deposit(&e),
            Event::Withdrawal(e) => self.apply_withdrawal(&e),
            Event::WithdrawalQueued(e) => self.apply_withdrawal_queued(&e),
            Event::StashWithdrawn(e) => self.apply_stash_withdrawn(&e),
            Event::PricingDataSet(e) => self.apply_pricing_data_set(&e, round()),
            Event::AuctionStarted(e) => self.apply_auction_started(&e, round()),
            Event::BidPlaced(e) => self.apply_bid_placed(&e, round()),
            Event::BidUpdated(e) => self.apply_bid_updated(&e, round()),
            Event::AuctionEnded(e) => self.apply_auction_ended(&e, round()),
            Event::OptionRoundSettled(e) => self.apply_option_round_settled(&e, round()),
            Event::OptionsMinted(e) => {
                self.apply_buyer_flag(&e.account, round(), BuyerFlag::Minted)
            }
            Event::OptionsExercised(e) => {
                self.apply_buyer_flag(&e.account, round(), BuyerFlag::Minted)
            }
            Event::UnusedBidsRefunded(e) => {
                self.apply_buyer_flag(&e.account, round(), BuyerFlag::Refunded)
            }
            // FossilCallbackSuccess / L1RequestFulfilled / Transfer / Approval / unknown:
            // no state change (spec §3.3), recorded as applied by the caller.
            Event::FossilCallbackSuccess(_) | Event::L1RequestFulfilled(_) | Event::Ignored {} => {
                Ok(())
            }
        }
    }

    /// Spec §1.7: the emitter if known (from_address, else an appended round address), else
    /// the lossy fallback; then the round must exist and belong to the event's vault.
    fn resolve_round(
        &mut self,
        kind: EventKind,
        explicit: Option<Hex>,
        account: Option<&Hex>,
    ) -> Result<RoundLookup, EventError> {
        let candidate = match &explicit {
            Some(address) => self.store.round(address)?,
            None => match self.fallback_round(kind, account)? {
                Ok(round) => round,
                Err(unresolved) => return Ok(unresolved),
            },
        };
        if let Some(round) = candidate {
            if round.vault_address == self.vault {
                return Ok(RoundLookup::Found(round));
            }
            if round.address != self.vault {
                return Ok(RoundLookup::Missing(format!(
                    "round {} of vault {} (it belongs to vault {})",
                    round.address, self.vault, round.vault_address
                )));
            }
        }
        // §1.7 item 4: a round event filed under its round's address instead of its vault.
        if let Some(round) = self.store.round(&self.vault)? {
            self.warn(format!(
                "event filed under round {} instead of its vault {}; processed for that vault",
                round.address, round.vault_address
            ));
            self.vault = round.vault_address.clone();
            return Ok(RoundLookup::Found(round));
        }
        Ok(RoundLookup::Missing(match explicit {
            Some(address) => format!("round {address} of vault {}", self.vault),
            None => format!("the current round of vault {}", self.vault),
        }))
    }

    /// §1.7 c: the vault's current round, or for mint/refund/exercise the newest round that
    /// still owes the account that action. `Err` carries an unresolvable outcome.
    fn fallback_round(
        &mut self,
        kind: EventKind,
        account: Option<&Hex>,
    ) -> StoreResult<Result<Option<OptionRound>, RoundLookup>> {
        let (allowed, flag): (&[RoundState], BuyerFlag) = match kind {
            EventKind::OptionsMinted => (
                &[RoundState::Running, RoundState::Settled],
                BuyerFlag::Minted,
            ),
            EventKind::UnusedBidsRefunded => (
                &[RoundState::Running, RoundState::Settled],
                BuyerFlag::Refunded,
            ),
            EventKind::OptionsExercised => (&[RoundState::Settled], BuyerFlag::Minted),
            _ => {
                let Some(vault) = self.store.vault(&self.vault)? else {
                    return Ok(Ok(None));
                };
                return match vault.current_round_address {
                    Some(address) => self.store.round(&address).map(Ok),
                    None => Ok(Ok(None)),
                };
            }
        };
        let account = account.expect("mint/refund/exercise carry an account");
        for round in self.store.rounds_of_vault(&self.vault)? {
            if !allowed.contains(&round.state) {
                continue;
            }
            if let Some(buyer) = self.store.option_buyer(account, &round.address)? {
                if !flag.is_set(&buyer) {
                    return Ok(Ok(Some(round)));
                }
            }
        }
        Ok(Err(RoundLookup::Unresolved(format!(
            "no round of vault {} owes account {account} a {}",
            self.vault,
            flag.action()
        ))))
    }

    pub(super) fn warn(&mut self, message: String) {
        self.warnings.push(Warning {
            context: self.ctx.clone(),
            message,
        });
    }

    /// Spec R6: a missing parent skips the event with a WARNING (it is still recorded as
    /// applied), or raises in strict mode.
    pub(super) fn missing(&mut self, what: String) -> Result<(), EventError> {
        if self.settings.strict {
            return Err(EventError::MissingParent { what });
        }
        self.warn(format!("{what} does not exist; event skipped (spec R6)"));
        Ok(())
    }

    /// The event's vault row, or `None` after R6 handling.
    pub(super) fn vault_or_missing(&mut self) -> Result<Option<Vault>, EventError> {
        let vault = self.vault.clone();
        match self.store.vault(&vault)? {
            Some(v) => Ok(Some(v)),
            None => self.missing(format!("vault {vault}")).map(|()| None),
        }
    }

    pub(super) fn insert_vault(&mut self, vault: &Vault) -> Result<(), EventError> {
        self.store.insert_vault(vault)?;
        self.track_vault(vault);
        Ok(())
    }

    /// Writes the vault row, stamping latest_block with the event's block (spec R4).
    pub(super) fn update_vault(&mut self, mut vault: Vault) -> Result<(), EventError> {
        vault.latest_block = self.ctx.block_number;
        self.store.update_vault(&vault)?;
        self.track_vault(&vault);
        Ok(())
    }

    pub(super) fn insert_lp(&mut self, lp: &LiquidityProvider) -> Result<(), EventError> {
        self.store.insert_liquidity_provider(lp)?;
        self.track_lp(lp);
        Ok(())
    }

    /// Writes LP rows, stamping latest_block with the event's block (spec R4).
    pub(super) fn update_lps(&mut self, mut lps: Vec<LiquidityProvider>) -> Result<(), EventError> {
        if lps.is_empty() {
            return Ok(());
        }
        for lp in &mut lps {
            lp.latest_block = self.ctx.block_number;
        }
        lps.iter().for_each(|lp| self.track_lp(lp));
        self.store.update_liquidity_providers(lps)?;
        Ok(())
    }

    fn track_vault(&mut self, vault: &Vault) {
        self.vault_snapshots
            .insert((vault.address.clone(), vault.latest_block), vault.into());
    }

    fn track_lp(&mut self, lp: &LiquidityProvider) {
        let key = (
            lp.address.clone(),
            lp.vault_address.clone(),
            lp.latest_block,
        );
        self.lp_snapshots.insert(key, lp.into());
    }

    /// Spec R7: one snapshot per entity per block it changed in, with its end-of-block
    /// balances. Called once per block (or catch-up batch), after its last event.
    pub fn flush_snapshots(&mut self) -> StoreResult<()> {
        let vaults: Vec<VaultSnapshot> = std::mem::take(&mut self.vault_snapshots)
            .into_iter()
            .map(Into::into)
            .collect();
        let lps: Vec<LpSnapshot> = std::mem::take(&mut self.lp_snapshots)
            .into_iter()
            .map(Into::into)
            .collect();
        if !vaults.is_empty() {
            self.store.upsert_vault_snapshots(vaults)?;
        }
        if !lps.is_empty() {
            self.store.upsert_lp_snapshots(lps)?;
        }
        Ok(())
    }
}

/// Which consumption flag an event sets on an `"Option_Buyers"` row.
#[derive(Debug, Clone, Copy)]
pub(super) enum BuyerFlag {
    Minted,
    Refunded,
}

impl BuyerFlag {
    pub(super) fn is_set(self, buyer: &super::state::OptionBuyer) -> bool {
        match self {
            BuyerFlag::Minted => buyer.has_minted,
            BuyerFlag::Refunded => buyer.has_refunded,
        }
    }

    fn action(self) -> &'static str {
        match self {
            BuyerFlag::Minted => "mint or exercise",
            BuyerFlag::Refunded => "refund",
        }
    }
}

pub(super) fn canonical(text: &str, field: &str) -> Result<Hex, EventError> {
    parse_felt(text)
        .map(|f| hex(&f))
        .map_err(|e| EventError::BadRow {
            field: field.to_string(),
            reason: e.to_string(),
        })
}

pub(super) fn hex(felt: &Felt) -> Hex {
    canonical_hex(felt).into()
}

fn account_of(event: &Event) -> Option<Hex> {
    match event {
        Event::OptionsMinted(e) => Some(hex(&e.account)),
        Event::UnusedBidsRefunded(e) => Some(hex(&e.account)),
        Event::OptionsExercised(e) => Some(hex(&e.account)),
        _ => None,
    }
}
