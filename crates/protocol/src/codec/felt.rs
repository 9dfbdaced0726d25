use starknet_types_core::felt::Felt;
use thiserror::Error;

/// The Starknet field modulus 2^251 + 17·2^192 + 1, big-endian.
const PRIME_BE: [u8; 32] = {
    let mut p = [0u8; 32];
    p[0] = 0x08;
    p[7] = 0x11;
    p[31] = 0x01;
    p
};

/// Why a felt string or a felt's value was rejected. Each variant carries the offending text
/// exactly as it was found, so an operator can grep for it in `events`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum FeltError {
    #[error("{0:?} is not a hex felt (expected 0x followed by 1 to 64 hex digits)")]
    NotHex(String),
    #[error("{0} is not a field element (it is not below the Starknet prime)")]
    NotInField(String),
    #[error("{value} does not fit in {ty}")]
    OutOfRange { value: String, ty: &'static str },
    #[error("{0} is not an i128 in field encoding (must be below 2^127 or above PRIME - 2^127)")]
    NotI128(String),
    #[error("{0} is not a bool (expected 0x0 or 0x1)")]
    NotBool(String),
}

/// Parses a felt written as `0x` + hex digits. Accepts `0X`, upper case and leading zeros;
/// rejects a missing prefix, an empty digit string, whitespace, and values ≥ PRIME.
pub fn parse_felt(text: &str) -> Result<Felt, FeltError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| FeltError::NotHex(text.to_string()))?;
    let significant = digits.trim_start_matches('0');
    if significant.len() > 64 {
        return Err(FeltError::NotInField(text.to_string()));
    }
    let mut bytes = [0u8; 32];
    // Fill from the least significant end, two hex digits per byte.
    for (i, digit) in significant.bytes().rev().enumerate() {
        let nibble = hex_value(digit);
        bytes[31 - i / 2] |= if i % 2 == 0 { nibble } else { nibble << 4 };
    }
    if bytes >= PRIME_BE {
        return Err(FeltError::NotInField(text.to_string()));
    }
    Ok(Felt::from_bytes_be(&bytes))
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

/// `0x` + lowercase hex without leading zeros; zero is `0x0` (Juno's felt `String()`, spec §1.5).
pub fn canonical_hex(felt: &Felt) -> String {
    felt.to_hex_string()
}

/// The canonical form of `text` if it is a felt, else `text` unchanged: block hashes typed by
/// an operator (`0xB10`) find the row the indexer wrote (`0xb10`).
pub fn canonical_or_raw(text: &str) -> String {
    parse_felt(text)
        .map(|f| canonical_hex(&f))
        .unwrap_or_else(|_| text.to_string())
}
