//! OptionRoundSettled (spec §3.3): the remaining liquidity goes back to the LPs, except the
//! share they queued for withdrawal, which is stashed.

use super::apply::Applier;
use super::error::EventError;
use super::math::{mul_div_floor, sub_or_inconsistent};
use super::state::{Amount, Hex, OptionRound, RoundState};
use super::store::Store;
use crate::events::OptionRoundSettled;
use num_traits::Zero;
use std::collections::BTreeMap;

impl<S: Store> Applier<'_, S> {
    pub(super) fn apply_option_round_settled(
        &mut self,
        e: &OptionRoundSettled,
        mut round: OptionRound,
    ) -> Result<(), EventError> {
        let Some(mut vault) = self.vault_or_missing()? else {
            return Ok(());
        };
        let s = round.starting_liquidity.clone();
        let payout = &e.payout_per_option * &round.sold_options;
        let sold_liquidity = sub_or_inconsistent(&s, &round.unsold_liquidity, "unsold_liquidity")?;
        let remaining = sub_or_inconsistent(&sold_liquidity, &payout, "payout_per_option")?;

        round.settlement_price = e.settlement_price.clone();
        round.payout_per_option = e.payout_per_option.clone();
        round.remaining_liquidity = remaining.clone();
        round.state = RoundState::Settled;
        self.store.update_round(&round)?;

        let stashed = if s.is_zero() {
            Amount::zero()
        } else {
            mul_div_floor(&remaining, &round.queued_liquidity, &s)
        };
        vault.locked_balance = Amount::zero();
        vault.unlocked_balance += sub_or_inconsistent(&remaining, &stashed, "queued_liquidity")?;
        vault.stashed_balance += stashed;
        self.update_vault(vault)?;

        if s.is_zero() {
            return Ok(());
        }
        let queued: BTreeMap<Hex, Amount> = self
            .store
            .queued_liquidity_of_round(&round.address)?
            .into_iter()
            .map(|q| (q.address, q.queued_liquidity))
            .collect();
        let zero = Amount::zero();
        self.distribute_to_depositors(&round, |lp, deposit| {
            let share = mul_div_floor(&remaining, deposit, &s);
            let queued_share =
                mul_div_floor(&remaining, queued.get(&lp.address).unwrap_or(&zero), &s);
            lp.locked_balance = Amount::zero();
            lp.unlocked_balance += sub_or_inconsistent(&share, &queued_share, "queued_liquidity")?;
            lp.stashed_balance += queued_share;
            Ok(())
        })
    }
}
