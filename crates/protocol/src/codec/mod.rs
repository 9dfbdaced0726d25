//! Felt strings as the indexer writes them, and the integer encodings of Cairo Serde (spec §1.5,
//! §1.6, §2.1). Pure Rust: no pgrx, so it is tested with plain `cargo test`.
//!
//! Parsing is tolerant in the ways real rows differ (upper-case digits, leading zeros, `0X`) and
//! strict where a guess could corrupt state: the `0x` prefix is required, because a bare `10`
//! could be read as decimal ten or hex sixteen, and the value must be a field element.

mod felt;
mod integer;
mod selector;

pub use felt::{canonical_hex, canonical_or_raw, parse_felt, FeltError};
pub use integer::{
    felt_to_bool, felt_to_i128, felt_to_u128, felt_to_u64, u256_from_halves, U256Half,
};
pub use selector::{sn_keccak, EventKind};
pub use starknet_types_core::felt::Felt;
