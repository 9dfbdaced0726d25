//! Events emitted by an option-round contract (spec §2.3). None carries the round address;
//! the dispatcher strips an appended one (§1.7 b) before these decoders run.

use super::json::{decimal, hex};
use super::reader::{Array, Reader};
use super::DecodeError;
use crate::codec::Felt;
use num_bigint::BigUint;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PricingDataSet {
    #[serde(serialize_with = "decimal")]
    pub strike_price: BigUint,
    #[serde(serialize_with = "decimal")]
    pub cap_level: u128,
    #[serde(serialize_with = "decimal")]
    pub reserve_price: BigUint,
}

impl PricingDataSet {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(PricingDataSet {
            strike_price: r.u256(0, "strike_price")?,
            cap_level: r.u128(2, "cap_level")?,
            reserve_price: r.u256(3, "reserve_price")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuctionStarted {
    #[serde(serialize_with = "decimal")]
    pub starting_liquidity: BigUint,
    #[serde(serialize_with = "decimal")]
    pub options_available: BigUint,
}

impl AuctionStarted {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(AuctionStarted {
            starting_liquidity: r.u256(0, "starting_liquidity")?,
            options_available: r.u256(2, "options_available")?,
        })
    }
}

/// A tree nonce "now" is the tree's counter after insertion; the bid's own nonce is one less,
/// so zero cannot occur in a valid event.
fn tree_nonce_now<S: AsRef<str>>(
    r: &Reader<S>,
    index: usize,
    field: &str,
) -> Result<u64, DecodeError> {
    let now = r.u64(index, field)?;
    if now == 0 {
        return Err(DecodeError::Invalid {
            event: r.kind.name(),
            field: field.into(),
            reason: "must be at least 1 (the bid's tree nonce is this value minus one)".into(),
        });
    }
    Ok(now)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BidPlaced {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "hex")]
    pub bid_id: Felt,
    #[serde(serialize_with = "decimal")]
    pub amount: BigUint,
    #[serde(serialize_with = "decimal")]
    pub price: BigUint,
    #[serde(serialize_with = "decimal")]
    pub bid_tree_nonce_now: u64,
}

impl BidPlaced {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(BidPlaced {
            account: r.account()?,
            bid_id: r.felt(Array::Data, 0, "bid_id")?,
            amount: r.u256(1, "amount")?,
            price: r.u256(3, "price")?,
            bid_tree_nonce_now: tree_nonce_now(r, 5, "bid_tree_nonce_now")?,
        })
    }

    /// The bid's own position in the tree (spec §3.3 BidPlaced).
    pub fn tree_nonce(&self) -> u64 {
        self.bid_tree_nonce_now - 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BidUpdated {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "hex")]
    pub bid_id: Felt,
    #[serde(serialize_with = "decimal")]
    pub price_increase: BigUint,
    #[serde(serialize_with = "decimal")]
    pub bid_tree_nonce_before: u64,
    #[serde(serialize_with = "decimal")]
    pub bid_tree_nonce_now: u64,
}

impl BidUpdated {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(BidUpdated {
            account: r.account()?,
            bid_id: r.felt(Array::Data, 0, "bid_id")?,
            price_increase: r.u256(1, "price_increase")?,
            bid_tree_nonce_before: r.u64(3, "bid_tree_nonce_before")?,
            bid_tree_nonce_now: tree_nonce_now(r, 4, "bid_tree_nonce_now")?,
        })
    }

    pub fn tree_nonce(&self) -> u64 {
        self.bid_tree_nonce_now - 1
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuctionEnded {
    #[serde(serialize_with = "decimal")]
    pub options_sold: BigUint,
    #[serde(serialize_with = "decimal")]
    pub clearing_price: BigUint,
    #[serde(serialize_with = "decimal")]
    pub unsold_liquidity: BigUint,
    #[serde(serialize_with = "decimal")]
    pub clearing_bid_tree_nonce: u64,
}

impl AuctionEnded {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(AuctionEnded {
            options_sold: r.u256(0, "options_sold")?,
            clearing_price: r.u256(2, "clearing_price")?,
            unsold_liquidity: r.u256(4, "unsold_liquidity")?,
            clearing_bid_tree_nonce: r.u64(6, "clearing_bid_tree_nonce")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionRoundSettled {
    #[serde(serialize_with = "decimal")]
    pub settlement_price: BigUint,
    #[serde(serialize_with = "decimal")]
    pub payout_per_option: BigUint,
}

impl OptionRoundSettled {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(OptionRoundSettled {
            settlement_price: r.u256(0, "settlement_price")?,
            payout_per_option: r.u256(2, "payout_per_option")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionsMinted {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "decimal")]
    pub minted_amount: BigUint,
}

impl OptionsMinted {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(OptionsMinted {
            account: r.account()?,
            minted_amount: r.u256(0, "minted_amount")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnusedBidsRefunded {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "decimal")]
    pub refunded_amount: BigUint,
}

impl UnusedBidsRefunded {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(UnusedBidsRefunded {
            account: r.account()?,
            refunded_amount: r.u256(0, "refunded_amount")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OptionsExercised {
    #[serde(serialize_with = "hex")]
    pub account: Felt,
    #[serde(serialize_with = "decimal")]
    pub total_options_exercised: BigUint,
    #[serde(serialize_with = "decimal")]
    pub mintable_options_exercised: BigUint,
    #[serde(serialize_with = "decimal")]
    pub exercised_amount: BigUint,
}

impl OptionsExercised {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        Ok(OptionsExercised {
            account: r.account()?,
            total_options_exercised: r.u256(0, "total_options_exercised")?,
            mintable_options_exercised: r.u256(2, "mintable_options_exercised")?,
            exercised_amount: r.u256(4, "exercised_amount")?,
        })
    }
}
