use super::felt::{canonical_hex, FeltError};
use num_bigint::BigUint;
use starknet_types_core::felt::Felt;

/// i128 magnitudes are at most 2^127 (i128::MIN = −2^127).
const I128_BOUND: u128 = 1 << 127;

/// The value of a felt if it is below 2^128 (the upper 16 bytes are zero).
fn low_u128(felt: &Felt) -> Option<u128> {
    let bytes = felt.to_bytes_be();
    let (high, low) = bytes.split_at(16);
    high.iter()
        .all(|b| *b == 0)
        .then(|| u128::from_be_bytes(low.try_into().expect("16 bytes")))
}

fn out_of_range(felt: &Felt, ty: &'static str) -> FeltError {
    FeltError::OutOfRange {
        value: canonical_hex(felt),
        ty,
    }
}

pub fn felt_to_u128(felt: &Felt) -> Result<u128, FeltError> {
    low_u128(felt).ok_or_else(|| out_of_range(felt, "u128"))
}

pub fn felt_to_u64(felt: &Felt) -> Result<u64, FeltError> {
    low_u128(felt)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| out_of_range(felt, "u64"))
}

pub fn felt_to_bool(felt: &Felt) -> Result<bool, FeltError> {
    match low_u128(felt) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        _ => Err(FeltError::NotBool(canonical_hex(felt))),
    }
}

/// Cairo's i128 Serde: x ≥ 0 is x, x < 0 is PRIME + x. Values in between encode nothing.
pub fn felt_to_i128(felt: &Felt) -> Result<i128, FeltError> {
    if let Some(v) = low_u128(felt).filter(|v| *v < I128_BOUND) {
        return Ok(v as i128);
    }
    // Negative: the field negation −felt = PRIME − felt is the magnitude, at most 2^127.
    let magnitude = low_u128(&-*felt)
        .filter(|m| *m <= I128_BOUND)
        .ok_or_else(|| FeltError::NotI128(canonical_hex(felt)))?;
    Ok((magnitude as i128).wrapping_neg())
}

/// u256 Serde: two felts, low then high, each below 2^128; value = low + high·2^128.
/// Returns which half was out of range so the caller can name the exact felt.
pub fn u256_from_halves(low: &Felt, high: &Felt) -> Result<BigUint, (U256Half, FeltError)> {
    let low = felt_to_u128(low).map_err(|e| (U256Half::Low, e))?;
    let high = felt_to_u128(high).map_err(|e| (U256Half::High, e))?;
    Ok((BigUint::from(high) << 128u32) + BigUint::from(low))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum U256Half {
    Low,
    High,
}
