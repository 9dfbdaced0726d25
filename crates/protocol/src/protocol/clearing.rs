//! The bidders' side of AuctionEnded (spec §3.3): who won how many options and how much of
//! their payment comes back, reproducing Cairo's `find_clearing_price` exactly.

use super::error::EventError;
use super::math::sub_or_inconsistent;
use super::state::{Amount, Bid, Hex};
use num_traits::Zero;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuyerTotals {
    pub mintable_options: Amount,
    pub refundable_amount: Amount,
}

/// Per bid owner: options won and the refundable amount, given the auction result
/// (n = options sold, cp = clearing price, cn = clearing bid's tree nonce).
///
/// Bids ranked above the clearing bid (higher price, or same price and earlier nonce) fill
/// completely and pay cp; the clearing bid sells what is left (n − filled above); everything
/// below is refunded at its own price. Under-subscription makes the lowest-ranked bid the
/// "clearing" bid with its full amount sold, which the same rule covers.
pub fn distribute(
    bids: &[Bid],
    options_sold: &Amount,
    clearing_price: &Amount,
    clearing_nonce: u64,
) -> Result<BTreeMap<Hex, BuyerTotals>, EventError> {
    let is_above = |b: &Bid| {
        b.price > *clearing_price || (b.price == *clearing_price && b.tree_nonce < clearing_nonce)
    };
    let clearing = bids
        .iter()
        .find(|b| b.price == *clearing_price && b.tree_nonce == clearing_nonce);
    let filled_above: Amount = bids.iter().filter(|b| is_above(b)).map(|b| &b.amount).sum();

    let clearing_sold = match clearing {
        Some(bid) => {
            let sold = sub_or_inconsistent(options_sold, &filled_above, "options_sold")?;
            if sold > bid.amount {
                return Err(EventError::Inconsistent {
                    field: "options_sold".into(),
                    reason: format!(
                        "the clearing bid {} would sell {sold} options but has only {}",
                        bid.bid_id, bid.amount
                    ),
                });
            }
            sold
        }
        None if filled_above == *options_sold => Amount::zero(),
        None => {
            return Err(EventError::Inconsistent {
                field: "clearing_bid_tree_nonce".into(),
                reason: format!(
                    "no bid has price {clearing_price} and tree nonce {clearing_nonce}, and the \
                     bids above it fill {filled_above} options, not {options_sold}"
                ),
            })
        }
    };

    let mut totals: BTreeMap<Hex, BuyerTotals> = BTreeMap::new();
    for bid in bids {
        let entry = totals.entry(bid.buyer_address.clone()).or_default();
        if is_above(bid) {
            entry.mintable_options += &bid.amount;
            entry.refundable_amount += &bid.amount * (&bid.price - clearing_price);
        } else if clearing.is_some_and(|c| std::ptr::eq(c, bid)) {
            entry.mintable_options += &clearing_sold;
            entry.refundable_amount += (&bid.amount - &clearing_sold) * &bid.price;
        } else {
            entry.refundable_amount += &bid.amount * &bid.price;
        }
    }
    Ok(totals)
}
