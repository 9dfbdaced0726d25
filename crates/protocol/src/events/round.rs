//! Events emitted by an option-round contract (spec §2.3). None carries the round address;
//! the dispatcher strips an appended one (§1.7 b) before these decoders run.

use super::json::{decimal, hex};
use super::reader::{Array, Reader};
use super::DecodeError;
use crate::codec::Felt;
use num_bigint::BigUint;

event_layout! {
    pub struct PricingDataSet {
        strike_price: BigUint as "decimal" = u256(0),
        cap_level: u128 as "decimal" = u128(2),
        reserve_price: BigUint as "decimal" = u256(3),
    }
}

event_layout! {
    pub struct AuctionStarted {
        starting_liquidity: BigUint as "decimal" = u256(0),
        options_available: BigUint as "decimal" = u256(2),
    }
}

/// A tree nonce "now" is the tree's counter after insertion; the bid's own nonce is one less,
/// so zero cannot occur in a valid event.
impl<S: AsRef<str>> Reader<'_, S> {
    fn tree_nonce_now(&self, index: usize, field: &str) -> Result<u64, DecodeError> {
        let now = self.u64(index, field)?;
        if now == 0 {
            return Err(DecodeError::Invalid {
                event: self.kind.name(),
                field: field.into(),
                reason: "must be at least 1 (the bid's tree nonce is this value minus one)".into(),
            });
        }
        Ok(now)
    }
}

event_layout! {
    pub struct BidPlaced {
        account: Felt as "hex" = account(),
        bid_id: Felt as "hex" = felt(Array::Data, 0),
        amount: BigUint as "decimal" = u256(1),
        price: BigUint as "decimal" = u256(3),
        bid_tree_nonce_now: u64 as "decimal" = tree_nonce_now(5),
    }
}

impl BidPlaced {
    /// The bid's own position in the tree (spec §3.3 BidPlaced).
    pub fn tree_nonce(&self) -> u64 {
        self.bid_tree_nonce_now - 1
    }
}

event_layout! {
    pub struct BidUpdated {
        account: Felt as "hex" = account(),
        bid_id: Felt as "hex" = felt(Array::Data, 0),
        price_increase: BigUint as "decimal" = u256(1),
        bid_tree_nonce_before: u64 as "decimal" = u64(3),
        bid_tree_nonce_now: u64 as "decimal" = tree_nonce_now(4),
    }
}

impl BidUpdated {
    pub fn tree_nonce(&self) -> u64 {
        self.bid_tree_nonce_now - 1
    }
}

event_layout! {
    pub struct AuctionEnded {
        options_sold: BigUint as "decimal" = u256(0),
        clearing_price: BigUint as "decimal" = u256(2),
        unsold_liquidity: BigUint as "decimal" = u256(4),
        clearing_bid_tree_nonce: u64 as "decimal" = u64(6),
    }
}

event_layout! {
    pub struct OptionRoundSettled {
        settlement_price: BigUint as "decimal" = u256(0),
        payout_per_option: BigUint as "decimal" = u256(2),
    }
}

event_layout! {
    pub struct OptionsMinted {
        account: Felt as "hex" = account(),
        minted_amount: BigUint as "decimal" = u256(0),
    }
}

event_layout! {
    pub struct UnusedBidsRefunded {
        account: Felt as "hex" = account(),
        refunded_amount: BigUint as "decimal" = u256(0),
    }
}

event_layout! {
    pub struct OptionsExercised {
        account: Felt as "hex" = account(),
        total_options_exercised: BigUint as "decimal" = u256(0),
        mintable_options_exercised: BigUint as "decimal" = u256(2),
        exercised_amount: BigUint as "decimal" = u256(4),
    }
}
