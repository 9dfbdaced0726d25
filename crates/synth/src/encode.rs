//! Typed values → the indexer's hex felt strings (spec §1.5, §2.1): the inverse of `codec`.

use event_processor_protocol::codec::{EventKind, Felt};
use num_bigint::BigUint;

pub fn hex_u64(v: u64) -> String {
    format!("{v:#x}")
}

pub fn hex_u128(v: u128) -> String {
    format!("{v:#x}")
}

/// i128 in the field encoding: negative x is PRIME + x.
pub fn hex_i128(v: i128) -> String {
    Felt::from(v).to_hex_string()
}

/// A u256 as two felts, low then high.
pub fn u256(v: &BigUint) -> [String; 2] {
    let mask = (BigUint::from(1u8) << 128u32) - 1u8;
    [format!("{:#x}", v & &mask), format!("{:#x}", v >> 128u32)]
}

pub fn selector(kind: EventKind) -> String {
    kind.selector().to_hex_string()
}

/// Builds an event's keys and data field by field.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub name: &'static str,
    pub keys: Vec<String>,
    pub data: Vec<String>,
}

impl Encoded {
    pub fn new(kind: EventKind) -> Self {
        Encoded {
            name: kind.name(),
            keys: vec![selector(kind)],
            data: vec![],
        }
    }
    pub fn key(mut self, felt: &str) -> Self {
        self.keys.push(felt.to_string());
        self
    }
    pub fn felt(mut self, felt: &str) -> Self {
        self.data.push(felt.to_string());
        self
    }
    pub fn int(self, v: u64) -> Self {
        self.felt(&hex_u64(v))
    }
    pub fn u128(self, v: u128) -> Self {
        self.felt(&hex_u128(v))
    }
    pub fn u256(mut self, v: &BigUint) -> Self {
        self.data.extend(u256(v));
        self
    }
}

/// A vault's parameters in its `ContractDeployed` event (the rest are fixed test values).
#[derive(Debug, Clone, Copy)]
pub struct VaultParams {
    pub alpha: u128,
    pub strike_level: i128,
    pub round_transition_period: u64,
    pub auction_duration: u64,
    pub round_duration: u64,
}

/// A `ContractDeployed` event of vault `vault` (spec §2.2).
pub fn contract_deployed(vault: &str, p: VaultParams) -> Encoded {
    Encoded::new(EventKind::ContractDeployed)
        .felt(vault)
        .felt("0xdee")
        .felt("0x0")
        .felt("0xc1a55")
        .int(10)
        .felt("0xf1")
        .felt("0xe7")
        .felt("0xc1")
        .u128(p.alpha)
        .felt(&hex_i128(p.strike_level))
        .int(p.round_transition_period)
        .int(p.auction_duration)
        .int(p.round_duration)
        .felt("0x50")
        .int(0)
        .felt("0x5a17")
}
