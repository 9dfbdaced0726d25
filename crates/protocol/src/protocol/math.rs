//! Exact integer arithmetic (spec R1): arbitrary precision, floor division, and subtraction
//! that reports which field would go negative instead of wrapping or clamping.

use super::error::EventError;
use super::state::Amount;
use num_traits::Zero;

/// ⌊a·b/d⌋ for d > 0. The product may exceed 2^256; BigUint does not care.
pub fn mul_div_floor(a: &Amount, b: &Amount, d: &Amount) -> Amount {
    debug_assert!(!d.is_zero(), "callers check the divisor");
    (a * b) / d
}

/// a − b, or an `Inconsistent` error naming `field` when b > a: the event stream and the
/// stored state disagree, and guessing would corrupt balances (spec §8-13).
pub fn sub_or_inconsistent(a: &Amount, b: &Amount, field: &str) -> Result<Amount, EventError> {
    if b > a {
        return Err(EventError::Inconsistent {
            field: field.to_string(),
            reason: format!("{b} exceeds {a}; the stored state does not match the event"),
        });
    }
    Ok(a - b)
}
