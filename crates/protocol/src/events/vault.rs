//! Events emitted by the vault contract (spec §2.2).

use super::json::{decimal, hex, opt_decimal};
use super::reader::{Array, Reader};
use super::DecodeError;
use crate::codec::Felt;
use num_bigint::BigUint;
use serde::Serialize;

/// Deposit and Withdrawal share one layout: keys [sel, account], data [amount, account now, vault now].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BalanceChange {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "decimal")]
    pub amount: BigUint,
    #[serde(serialize_with = "decimal")]
    pub account_unlocked_balance_now: BigUint,
    #[serde(serialize_with = "decimal")]
    pub vault_unlocked_balance_now: BigUint,
}

impl BalanceChange {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(BalanceChange {
            account: r.account()?,
            amount: r.u256(0, "amount")?,
            account_unlocked_balance_now: r.u256(2, "account_unlocked_balance_now")?,
            vault_unlocked_balance_now: r.u256(4, "vault_unlocked_balance_now")?,
        })
    }
}

/// Current layout (8 data felts) carries the LP's queued liquidity before the event; the legacy
/// layout (6 felts, contracts before Nov 2024) does not, so `before` is `None` there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WithdrawalQueued {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "decimal")]
    pub bps: u128,
    #[serde(serialize_with = "decimal")]
    pub round_id: u64,
    #[serde(serialize_with = "opt_decimal")]
    pub account_queued_liquidity_before: Option<BigUint>,
    #[serde(serialize_with = "decimal")]
    pub account_queued_liquidity_now: BigUint,
    #[serde(serialize_with = "decimal")]
    pub vault_queued_liquidity_now: BigUint,
}

pub const BPS: u128 = 10_000;

impl WithdrawalQueued {
    pub const CURRENT_LEN: usize = 8;
    pub const LEGACY_LEN: usize = 6;

    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        let bps = r.u128(0, "bps")?;
        if bps > BPS {
            return Err(DecodeError::Invalid {
                event: r.kind.name(),
                field: "bps".into(),
                reason: format!("{bps} exceeds {BPS} basis points"),
            });
        }
        let (before, now_at) = if r.data.len() == Self::CURRENT_LEN {
            (Some(r.u256(2, "account_queued_liquidity_before")?), 4)
        } else {
            (None, 2)
        };
        Ok(WithdrawalQueued {
            account: r.account()?,
            bps,
            round_id: r.u64(1, "round_id")?,
            account_queued_liquidity_before: before,
            account_queued_liquidity_now: r.u256(now_at, "account_queued_liquidity_now")?,
            vault_queued_liquidity_now: r.u256(now_at + 2, "vault_queued_liquidity_now")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StashWithdrawn {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "decimal")]
    pub amount: BigUint,
    #[serde(serialize_with = "decimal")]
    pub vault_stashed_balance_now: BigUint,
}

impl StashWithdrawn {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(StashWithdrawn {
            account: r.account()?,
            amount: r.u256(0, "amount")?,
            vault_stashed_balance_now: r.u256(2, "vault_stashed_balance_now")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionRoundDeployed {
    #[serde(serialize_with = "decimal")]
    pub round_id: u64,
    #[serde(serialize_with = "hex")]
    pub address: Felt,
    #[serde(serialize_with = "decimal")]
    pub auction_start_date: u64,
    #[serde(serialize_with = "decimal")]
    pub auction_end_date: u64,
    #[serde(serialize_with = "decimal")]
    pub option_settlement_date: u64,
    #[serde(serialize_with = "decimal")]
    pub strike_price: BigUint,
    #[serde(serialize_with = "decimal")]
    pub cap_level: u128,
    #[serde(serialize_with = "decimal")]
    pub reserve_price: BigUint,
}

impl OptionRoundDeployed {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(OptionRoundDeployed {
            round_id: r.u64(0, "round_id")?,
            address: r.felt(Array::Data, 1, "address")?,
            auction_start_date: r.u64(2, "auction_start_date")?,
            auction_end_date: r.u64(3, "auction_end_date")?,
            option_settlement_date: r.u64(4, "option_settlement_date")?,
            strike_price: r.u256(5, "strike_price")?,
            cap_level: r.u128(7, "cap_level")?,
            reserve_price: r.u256(8, "reserve_price")?,
        })
    }
}

/// Emitted by `fossil_callback`; no state effect, decoded so malformed rows are still visible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FossilCallbackSuccess {
    #[serde(serialize_with = "decimal")]
    pub twap: BigUint,
    #[serde(serialize_with = "decimal")]
    pub max_return: u128,
    #[serde(serialize_with = "decimal")]
    pub reserve_price: BigUint,
    #[serde(serialize_with = "decimal")]
    pub timestamp: u64,
}

impl FossilCallbackSuccess {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(FossilCallbackSuccess {
            twap: r.u256(0, "twap")?,
            max_return: r.u128(2, "max_return")?,
            reserve_price: r.u256(3, "reserve_price")?,
            timestamp: r.u64(5, "timestamp")?,
        })
    }
}

/// Legacy predecessor of FossilCallbackSuccess: keys [sel, id, caller], no data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct L1RequestFulfilled {
    #[serde(serialize_with = "hex")]
    pub id: Felt,
    #[serde(serialize_with = "hex")]
    pub caller: Felt,
}

impl L1RequestFulfilled {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(L1RequestFulfilled {
            id: r.felt(Array::Keys, 1, "id")?,
            caller: r.felt(Array::Keys, 2, "caller")?,
        })
    }
}
