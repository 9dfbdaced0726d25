//! Events emitted by the vault contract (spec §2.2).

use super::json::{decimal, hex, opt_decimal};
use super::reader::{Array, Reader};
use super::DecodeError;
use crate::codec::Felt;
use num_bigint::BigUint;
use serde::Serialize;

event_layout! {
    /// Deposit and Withdrawal share one layout: keys [sel, account], data [amount, account now, vault now].
    pub struct BalanceChange {
        account: Felt as "hex" = account(),
        amount: BigUint as "decimal" = u256(0),
        account_unlocked_balance_now: BigUint as "decimal" = u256(2),
        vault_unlocked_balance_now: BigUint as "decimal" = u256(4),
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
            account: r.account("account")?,
            bps,
            round_id: r.u64(1, "round_id")?,
            account_queued_liquidity_before: before,
            account_queued_liquidity_now: r.u256(now_at, "account_queued_liquidity_now")?,
            vault_queued_liquidity_now: r.u256(now_at + 2, "vault_queued_liquidity_now")?,
        })
    }
}

event_layout! {
    pub struct StashWithdrawn {
        account: Felt as "hex" = account(),
        amount: BigUint as "decimal" = u256(0),
        vault_stashed_balance_now: BigUint as "decimal" = u256(2),
    }
}

event_layout! {
    pub struct OptionRoundDeployed {
        round_id: u64 as "decimal" = u64(0),
        address: Felt as "hex" = felt(Array::Data, 1),
        auction_start_date: u64 as "decimal" = u64(2),
        auction_end_date: u64 as "decimal" = u64(3),
        option_settlement_date: u64 as "decimal" = u64(4),
        strike_price: BigUint as "decimal" = u256(5),
        cap_level: u128 as "decimal" = u128(7),
        reserve_price: BigUint as "decimal" = u256(8),
    }
}

event_layout! {
    /// Emitted by `fossil_callback`; no state effect, decoded so malformed rows are still visible.
    pub struct FossilCallbackSuccess {
        twap: BigUint as "decimal" = u256(0),
        max_return: u128 as "decimal" = u128(2),
        reserve_price: BigUint as "decimal" = u256(3),
        timestamp: u64 as "decimal" = u64(5),
    }
}

event_layout! {
    /// Legacy predecessor of FossilCallbackSuccess: keys [sel, id, caller], no data.
    pub struct L1RequestFulfilled {
        id: Felt as "hex" = felt(Array::Keys, 1),
        caller: Felt as "hex" = felt(Array::Keys, 2),
    }
}
