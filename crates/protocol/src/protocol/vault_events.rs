//! Handlers of the events a vault emits (spec §3.3): creation, round deployment, deposits,
//! withdrawals, queued withdrawals and stash withdrawals.

use super::apply::{hex, Applier};
use super::error::EventError;
use super::state::{Amount, LiquidityProvider, OptionRound, QueuedLiquidity, RoundState, Vault};
use super::store::Store;
use crate::events::{
    BalanceChange, ContractDeployed, OptionRoundDeployed, StashWithdrawn, WithdrawalQueued,
};
use num_traits::Zero;

impl<S: Store> Applier<'_, S> {
    pub(super) fn apply_contract_deployed(
        &mut self,
        e: &ContractDeployed,
        block_timestamp: Option<u64>,
    ) -> Result<(), EventError> {
        let address = hex(&e.address);
        if address != self.vault {
            return Err(EventError::Inconsistent {
                field: "address".into(),
                reason: format!(
                    "the deployed contract {address} is not the event's vault {}",
                    self.vault
                ),
            });
        }
        if self.store.vault(&address)?.is_some() {
            self.warn(format!(
                "vault {address} already exists; ContractDeployed skipped"
            ));
            return Ok(());
        }
        self.insert_vault(&Vault {
            address,
            unlocked_balance: Amount::zero(),
            locked_balance: Amount::zero(),
            stashed_balance: Amount::zero(),
            current_round: 0,
            current_round_address: None,
            latest_block: self.ctx.block_number,
            fossil_client_address: hex(&e.fossil_client_address),
            eth_address: hex(&e.eth_address),
            option_round_class_hash: hex(&e.option_round_class_hash),
            alpha: e.alpha,
            strike_level: e.strike_level,
            round_transition_period: e.round_transition_duration,
            auction_duration: e.auction_duration,
            round_duration: e.round_duration,
            // Overwritten by round 1's deployment date (= the block timestamp) just after.
            deployment_date: block_timestamp.unwrap_or(0),
        })
    }

    pub(super) fn apply_option_round_deployed(
        &mut self,
        e: &OptionRoundDeployed,
    ) -> Result<(), EventError> {
        let Some(mut vault) = self.vault_or_missing()? else {
            return Ok(());
        };
        let address = hex(&e.address);
        if self.store.round(&address)?.is_some() {
            self.warn(format!(
                "round {address} already exists; OptionRoundDeployed skipped"
            ));
            return Ok(());
        }
        // The round contract sets auction_start = deployment timestamp + transition period.
        let deployment_date = e
            .auction_start_date
            .checked_sub(vault.round_transition_period)
            .ok_or_else(|| EventError::Inconsistent {
                field: "auction_start_date".into(),
                reason: format!(
                    "{} is earlier than the vault's round transition period {}",
                    e.auction_start_date, vault.round_transition_period
                ),
            })?;
        self.store.insert_round(&OptionRound {
            address: address.clone(),
            vault_address: vault.address.clone(),
            round_id: e.round_id,
            state: RoundState::Open,
            available_options: Amount::zero(),
            clearing_price: Amount::zero(),
            settlement_price: Amount::zero(),
            reserve_price: e.reserve_price.clone(),
            strike_price: e.strike_price.clone(),
            sold_options: Amount::zero(),
            deployment_date,
            premiums: Amount::zero(),
            cap_level: e.cap_level,
            unsold_liquidity: Amount::zero(),
            starting_liquidity: Amount::zero(),
            queued_liquidity: Amount::zero(),
            remaining_liquidity: Amount::zero(),
            payout_per_option: Amount::zero(),
            start_date: e.auction_start_date,
            end_date: e.auction_end_date,
            settlement_date: e.option_settlement_date,
        })?;
        vault.current_round = e.round_id;
        vault.current_round_address = Some(address);
        if e.round_id == 1 {
            vault.deployment_date = deployment_date;
        }
        self.update_vault(vault)
    }

    pub(super) fn apply_deposit(&mut self, e: &BalanceChange) -> Result<(), EventError> {
        let Some(vault) = self.vault_or_missing()? else {
            return Ok(());
        };
        let account = hex(&e.account);
        let existing = self.store.liquidity_provider(&account, &vault.address)?;
        let before = existing
            .as_ref()
            .map(|lp| lp.unlocked_balance.clone())
            .unwrap_or_default();
        self.check_sum(
            "LP unlocked balance",
            &before,
            &e.amount,
            &e.account_unlocked_balance_now,
        );
        match existing {
            Some(mut lp) => {
                lp.unlocked_balance = e.account_unlocked_balance_now.clone();
                self.update_lps(vec![lp])?;
            }
            None => {
                let mut lp =
                    LiquidityProvider::new(&account, &vault.address, self.ctx.block_number);
                lp.unlocked_balance = e.account_unlocked_balance_now.clone();
                self.insert_lp(&lp)?;
            }
        }
        self.check_sum(
            "vault unlocked balance",
            &vault.unlocked_balance,
            &e.amount,
            &e.vault_unlocked_balance_now,
        );
        self.set_vault_unlocked(vault, &e.vault_unlocked_balance_now)
    }

    pub(super) fn apply_withdrawal(&mut self, e: &BalanceChange) -> Result<(), EventError> {
        let Some(vault) = self.vault_or_missing()? else {
            return Ok(());
        };
        let account = hex(&e.account);
        match self.store.liquidity_provider(&account, &vault.address)? {
            Some(mut lp) => {
                self.check_sum(
                    "LP unlocked balance",
                    &e.account_unlocked_balance_now,
                    &e.amount,
                    &lp.unlocked_balance,
                );
                lp.unlocked_balance = e.account_unlocked_balance_now.clone();
                self.update_lps(vec![lp])?;
            }
            // Possible only for a 0-amount withdrawal by a non-LP: the row is not created.
            None => self.warn(format!(
                "liquidity provider {account} does not exist; only the vault is updated"
            )),
        }
        self.check_sum(
            "vault unlocked balance",
            &e.vault_unlocked_balance_now,
            &e.amount,
            &vault.unlocked_balance,
        );
        self.set_vault_unlocked(vault, &e.vault_unlocked_balance_now)
    }

    fn set_vault_unlocked(
        &mut self,
        mut vault: Vault,
        unlocked: &Amount,
    ) -> Result<(), EventError> {
        vault.unlocked_balance = unlocked.clone();
        self.update_vault(vault)
    }

    /// Cross-check (warn only, spec §3.3 Deposit): `before + amount` should equal `after`.
    fn check_sum(&mut self, what: &str, before: &Amount, amount: &Amount, after: &Amount) {
        if before + amount != *after {
            self.warn(format!(
                "{what}: {before} + {amount} != {after} (the event's value is kept)"
            ));
        }
    }

    pub(super) fn apply_withdrawal_queued(
        &mut self,
        e: &WithdrawalQueued,
    ) -> Result<(), EventError> {
        // The event's round id, not the vault's current round (Go defect P11/P17).
        let Some(mut round) = self.store.round_by_id(&self.vault, e.round_id)? else {
            return self.missing(format!("round {} of vault {}", e.round_id, self.vault));
        };
        let account = hex(&e.account);
        let queued = QueuedLiquidity {
            address: account.clone(),
            round_address: round.address.clone(),
            bps: e.bps,
            queued_liquidity: e.account_queued_liquidity_now.clone(),
        };
        match self.store.queued_liquidity(&account, &round.address)? {
            Some(previous) => {
                if let Some(before) = &e.account_queued_liquidity_before {
                    if *before != previous.queued_liquidity {
                        self.warn(format!(
                            "queued liquidity before is {before} in the event but {} stored",
                            previous.queued_liquidity
                        ));
                    }
                }
                self.store.update_queued_liquidity(&queued)?;
            }
            None => self.store.insert_queued_liquidity(&queued)?,
        }
        round.queued_liquidity = e.vault_queued_liquidity_now.clone();
        self.store.update_round(&round)?;
        Ok(())
    }

    pub(super) fn apply_stash_withdrawn(&mut self, e: &StashWithdrawn) -> Result<(), EventError> {
        let Some(mut vault) = self.vault_or_missing()? else {
            return Ok(());
        };
        let account = hex(&e.account);
        match self.store.liquidity_provider(&account, &vault.address)? {
            Some(mut lp) => {
                if lp.stashed_balance != e.amount {
                    self.warn(format!(
                        "stashed balance of {account} is {} but {} was withdrawn",
                        lp.stashed_balance, e.amount
                    ));
                }
                lp.stashed_balance = Amount::zero();
                self.update_lps(vec![lp])?;
            }
            None => self.warn(format!(
                "liquidity provider {account} does not exist; only the vault is updated"
            )),
        }
        vault.stashed_balance = e.vault_stashed_balance_now.clone();
        self.update_vault(vault)
    }
}
