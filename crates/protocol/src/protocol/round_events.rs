//! Handlers of the events an option round emits up to its auction's end (spec §3.3):
//! pricing, auction start, bids, auction end, and the buyers' mint/refund/exercise flags.

use super::apply::{hex, Applier, BuyerFlag};
use super::clearing;
use super::error::EventError;
use super::math::{mul_div_floor, sub_or_inconsistent};
use super::state::{Amount, Bid, Hex, LpRoundDeposit, OptionBuyer, OptionRound, RoundState};
use super::store::Store;
use crate::codec::Felt;
use crate::events::{AuctionEnded, AuctionStarted, BidPlaced, BidUpdated, PricingDataSet};
use num_traits::Zero;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

impl<S: Store> Applier<'_, S> {
    pub(super) fn apply_pricing_data_set(
        &mut self,
        e: &PricingDataSet,
        mut round: OptionRound,
    ) -> Result<(), EventError> {
        round.strike_price = e.strike_price.clone();
        round.cap_level = e.cap_level;
        round.reserve_price = e.reserve_price.clone();
        self.store.update_round(&round)?;
        Ok(())
    }

    /// The vault's unlocked liquidity becomes the round's starting liquidity; every LP's
    /// unlocked balance becomes its locked deposit D(a), remembered for the round.
    pub(super) fn apply_auction_started(
        &mut self,
        e: &AuctionStarted,
        mut round: OptionRound,
    ) -> Result<(), EventError> {
        let Some(mut vault) = self.vault_or_missing()? else {
            return Ok(());
        };
        let s = &e.starting_liquidity;
        round.starting_liquidity = s.clone();
        round.available_options = e.options_available.clone();
        round.state = RoundState::Auctioning;
        self.store.update_round(&round)?;

        if vault.unlocked_balance != *s {
            self.warn(format!(
                "vault unlocked balance {} differs from starting liquidity {s}",
                vault.unlocked_balance
            ));
        }
        vault.locked_balance = s.clone();
        vault.unlocked_balance = Amount::zero();
        self.update_vault(vault)?;

        let mut lps = self.store.liquidity_providers(&self.vault)?;
        lps.retain(|lp| !lp.unlocked_balance.is_zero());
        let mut deposits = Vec::with_capacity(lps.len());
        for lp in &mut lps {
            let unlocked = std::mem::take(&mut lp.unlocked_balance);
            if s.is_zero() {
                // Only rounding dust can be left when the vault has nothing: it is forfeited,
                // as Cairo's getters report for a zero-liquidity round.
                lp.locked_balance = Amount::zero();
            } else {
                deposits.push(LpRoundDeposit {
                    round_address: round.address.clone(),
                    lp_address: lp.address.clone(),
                    vault_address: lp.vault_address.clone(),
                    starting_deposit: unlocked.clone(),
                });
                lp.locked_balance = unlocked;
            }
        }
        self.store.insert_lp_round_deposits(deposits)?;
        self.update_lps(lps)
    }

    pub(super) fn apply_bid_placed(
        &mut self,
        e: &BidPlaced,
        round: OptionRound,
    ) -> Result<(), EventError> {
        let bid_id = hex(&e.bid_id);
        if self.store.bid(&round.address, &bid_id)?.is_some() {
            self.warn(format!(
                "bid {bid_id} of round {} already exists; BidPlaced skipped",
                round.address
            ));
            return Ok(());
        }
        let buyer = hex(&e.account);
        if self.store.option_buyer(&buyer, &round.address)?.is_none() {
            self.store.insert_option_buyer(&OptionBuyer {
                address: buyer.clone(),
                round_address: round.address.clone(),
                has_minted: false,
                has_refunded: false,
                mintable_options: Amount::zero(),
                refundable_amount: Amount::zero(),
            })?;
        }
        self.store.insert_bid(&Bid {
            buyer_address: buyer,
            round_address: round.address,
            bid_id,
            tree_nonce: e.tree_nonce(),
            amount: e.amount.clone(),
            price: e.price.clone(),
        })?;
        Ok(())
    }

    pub(super) fn apply_bid_updated(
        &mut self,
        e: &BidUpdated,
        round: OptionRound,
    ) -> Result<(), EventError> {
        let bid_id = hex(&e.bid_id);
        let Some(mut bid) = self.store.bid(&round.address, &bid_id)? else {
            return self.missing(format!("bid {bid_id} of round {}", round.address));
        };
        if bid.tree_nonce != e.bid_tree_nonce_before || bid.buyer_address != hex(&e.account) {
            self.warn(format!(
                "bid {bid_id} is stored with tree nonce {} and owner {}, the event says {} and {}",
                bid.tree_nonce,
                bid.buyer_address,
                e.bid_tree_nonce_before,
                hex(&e.account)
            ));
        }
        bid.price += &e.price_increase;
        bid.tree_nonce = e.tree_nonce();
        self.store.update_bid(&bid)?;
        Ok(())
    }

    /// Spec §3.3 AuctionEnded: the round's result, the vault's premium and unsold liquidity,
    /// each LP's pro-rata share (floor of the sum), and each bidder's mintable and refundable.
    pub(super) fn apply_auction_ended(
        &mut self,
        e: &AuctionEnded,
        mut round: OptionRound,
    ) -> Result<(), EventError> {
        let Some(mut vault) = self.vault_or_missing()? else {
            return Ok(());
        };
        let (n, cp, u) = (&e.options_sold, &e.clearing_price, &e.unsold_liquidity);
        let premiums = cp * n;
        let s = round.starting_liquidity.clone();
        let sold_liquidity = sub_or_inconsistent(&s, u, "unsold_liquidity")?;

        // Bidders first: an inconsistent result must fail before anything else is written.
        let bids = self.store.bids_of_round(&round.address)?;
        let totals = clearing::distribute(&bids, n, cp, e.clearing_bid_tree_nonce)?;

        round.clearing_price = cp.clone();
        round.sold_options = n.clone();
        round.unsold_liquidity = u.clone();
        round.premiums = premiums.clone();
        round.state = RoundState::Running;
        self.store.update_round(&round)?;

        vault.locked_balance = sub_or_inconsistent(&vault.locked_balance, u, "unsold_liquidity")?;
        vault.unlocked_balance += &premiums + u;
        self.update_vault(vault)?;

        if !s.is_zero() {
            let returned = &premiums + u;
            self.distribute_to_depositors(&round, |lp, deposit| {
                lp.locked_balance = mul_div_floor(&sold_liquidity, deposit, &s);
                lp.unlocked_balance += mul_div_floor(&returned, deposit, &s);
                Ok(())
            })?;
        }
        self.write_buyer_totals(&round, totals)
    }

    fn write_buyer_totals(
        &mut self,
        round: &OptionRound,
        mut totals: BTreeMap<Hex, clearing::BuyerTotals>,
    ) -> Result<(), EventError> {
        let mut buyers = self.store.option_buyers_of_round(&round.address)?;
        for buyer in &mut buyers {
            let t = totals.remove(&buyer.address).unwrap_or_default();
            buyer.mintable_options = t.mintable_options;
            buyer.refundable_amount = t.refundable_amount;
        }
        for owner in totals.keys() {
            self.warn(format!(
                "bids of {owner} in round {} have no Option_Buyers row",
                round.address
            ));
        }
        self.store.update_option_buyers(&buyers)?;
        Ok(())
    }

    /// Applies `change` to the LP row of every depositor of `round` (spec §3.3: AuctionEnded
    /// and OptionRoundSettled), writing all rows at once.
    pub(super) fn distribute_to_depositors(
        &mut self,
        round: &OptionRound,
        mut change: impl FnMut(&mut super::state::LiquidityProvider, &Amount) -> Result<(), EventError>,
    ) -> Result<(), EventError> {
        let deposits = self.store.lp_round_deposits(&round.address)?;
        let mut lps: FxHashMap<Hex, _> = self
            .store
            .liquidity_providers(&round.vault_address)?
            .into_iter()
            .map(|lp| (lp.address.clone(), lp))
            .collect();
        let mut changed = Vec::with_capacity(deposits.len());
        for deposit in &deposits {
            match lps.remove(&deposit.lp_address) {
                Some(mut lp) => {
                    change(&mut lp, &deposit.starting_deposit)?;
                    changed.push(lp);
                }
                None => self.warn(format!(
                    "depositor {} of round {} has no LP row",
                    deposit.lp_address, round.address
                )),
            }
        }
        self.update_lps(changed)
    }

    pub(super) fn apply_buyer_flag(
        &mut self,
        account: &Felt,
        round: OptionRound,
        flag: BuyerFlag,
    ) -> Result<(), EventError> {
        // No row: the account holds only transferred tokens or never bid — nothing to record.
        let Some(mut buyer) = self.store.option_buyer(&hex(account), &round.address)? else {
            return Ok(());
        };
        match flag {
            BuyerFlag::Minted => buyer.has_minted = true,
            BuyerFlag::Refunded => buyer.has_refunded = true,
        }
        self.store.update_option_buyers(&[buyer])?;
        Ok(())
    }
}
