//! Reading state rows out of SPI result tuples (columns as selected in plans.rs).

use crate::protocol::state::{
    Amount, Bid, LiquidityProvider, LpRoundDeposit, OptionBuyer, OptionRound, QueuedLiquidity,
    RoundState, Vault,
};
use crate::protocol::{StoreError, StoreResult};
use pgrx::spi::SpiHeapTupleData;
use std::str::FromStr;

/// Sequential column reader over one result row.
pub struct Columns<'r, 'conn> {
    row: &'r SpiHeapTupleData<'conn>,
    next: usize,
    table: &'static str,
}

impl<'r, 'conn> Columns<'r, 'conn> {
    pub fn new(row: &'r SpiHeapTupleData<'conn>, table: &'static str) -> Self {
        Columns {
            row,
            next: 0,
            table,
        }
    }

    fn bad(&self, what: &str) -> StoreError {
        StoreError(format!("{}: column {} {what}", self.table, self.next))
    }

    pub fn opt_text(&mut self) -> StoreResult<Option<String>> {
        self.next += 1;
        self.row
            .get::<String>(self.next)
            .map_err(|e| StoreError(e.to_string()))
    }

    pub fn text(&mut self) -> StoreResult<String> {
        self.opt_text()?.ok_or_else(|| self.bad("is NULL"))
    }

    fn parse<T: FromStr>(&mut self) -> StoreResult<T> {
        let text = self.text()?;
        text.parse().map_err(|_| {
            self.bad(&format!(
                "holds {text:?}, not an integer of the expected range"
            ))
        })
    }

    pub fn amount(&mut self) -> StoreResult<Amount> {
        self.parse()
    }
    pub fn u64(&mut self) -> StoreResult<u64> {
        self.parse()
    }
    /// A nullable height or count.
    pub fn opt_u64(&mut self) -> StoreResult<Option<u64>> {
        let Some(text) = self.opt_text()? else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            self.bad(&format!(
                "holds {text:?}, not an integer of the expected range"
            ))
        })
    }
    pub fn i64(&mut self) -> StoreResult<i64> {
        self.parse()
    }
    pub fn u128(&mut self) -> StoreResult<u128> {
        self.parse()
    }
    pub fn i128(&mut self) -> StoreResult<i128> {
        self.parse()
    }

    pub fn text_array(&mut self) -> StoreResult<Vec<Option<String>>> {
        self.next += 1;
        self.row
            .get::<Vec<Option<String>>>(self.next)
            .map_err(|e| StoreError(e.to_string()))?
            .ok_or_else(|| self.bad("is NULL"))
    }

    pub fn boolean(&mut self) -> StoreResult<bool> {
        self.next += 1;
        self.row
            .get::<bool>(self.next)
            .map_err(|e| StoreError(e.to_string()))?
            .ok_or_else(|| self.bad("is NULL"))
    }
}

pub fn vault(c: &mut Columns) -> StoreResult<Vault> {
    Ok(Vault {
        address: c.text()?,
        unlocked_balance: c.amount()?,
        locked_balance: c.amount()?,
        stashed_balance: c.amount()?,
        current_round: c.u64()?,
        current_round_address: c.opt_text()?,
        latest_block: c.u64()?,
        fossil_client_address: c.text()?,
        eth_address: c.text()?,
        option_round_class_hash: c.text()?,
        alpha: c.u128()?,
        strike_level: c.i128()?,
        round_transition_period: c.u64()?,
        auction_duration: c.u64()?,
        round_duration: c.u64()?,
        deployment_date: c.u64()?,
    })
}

pub fn liquidity_provider(c: &mut Columns) -> StoreResult<LiquidityProvider> {
    Ok(LiquidityProvider {
        address: c.text()?,
        vault_address: c.text()?,
        stashed_balance: c.amount()?,
        locked_balance: c.amount()?,
        unlocked_balance: c.amount()?,
        latest_block: c.u64()?,
    })
}

pub fn round(c: &mut Columns) -> StoreResult<OptionRound> {
    let address = c.text()?;
    let vault_address = c.text()?;
    let round_id = c.u64()?;
    let state_text = c.text()?;
    let state = RoundState::parse(&state_text).ok_or_else(|| {
        StoreError(format!(
            "Option_Rounds {address}: unknown state {state_text:?}"
        ))
    })?;
    Ok(OptionRound {
        address,
        vault_address,
        round_id,
        state,
        available_options: c.amount()?,
        clearing_price: c.amount()?,
        settlement_price: c.amount()?,
        reserve_price: c.amount()?,
        strike_price: c.amount()?,
        sold_options: c.amount()?,
        deployment_date: c.u64()?,
        premiums: c.amount()?,
        cap_level: c.u128()?,
        unsold_liquidity: c.amount()?,
        starting_liquidity: c.amount()?,
        queued_liquidity: c.amount()?,
        remaining_liquidity: c.amount()?,
        payout_per_option: c.amount()?,
        start_date: c.u64()?,
        end_date: c.u64()?,
        settlement_date: c.u64()?,
    })
}

pub fn queued(c: &mut Columns) -> StoreResult<QueuedLiquidity> {
    Ok(QueuedLiquidity {
        address: c.text()?,
        round_address: c.text()?,
        bps: c.u128()?,
        queued_liquidity: c.amount()?,
    })
}

pub fn buyer(c: &mut Columns) -> StoreResult<OptionBuyer> {
    Ok(OptionBuyer {
        address: c.text()?,
        round_address: c.text()?,
        has_minted: c.boolean()?,
        has_refunded: c.boolean()?,
        mintable_options: c.amount()?,
        refundable_amount: c.amount()?,
    })
}

pub fn bid(c: &mut Columns) -> StoreResult<Bid> {
    Ok(Bid {
        buyer_address: c.text()?,
        round_address: c.text()?,
        bid_id: c.text()?,
        tree_nonce: c.u64()?,
        amount: c.amount()?,
        price: c.amount()?,
    })
}

pub fn deposit(c: &mut Columns) -> StoreResult<LpRoundDeposit> {
    Ok(LpRoundDeposit {
        round_address: c.text()?,
        lp_address: c.text()?,
        vault_address: c.text()?,
        starting_deposit: c.amount()?,
    })
}
