//! The Universal Deployer's ContractDeployed event for a vault (spec §2.4): the vault's
//! constructor arguments arrive as calldata inside the event data.

use super::json::{decimal, hex, opt_decimal, opt_hex};
use super::reader::{Array, Reader};
use super::DecodeError;
use crate::codec::Felt;
use serde::Serialize;

/// Current vault constructors take 10 calldata felts; contracts before Sept 2025 took 8
/// (without program_id and proving_delay). Both share calldata indices 0..=7.
pub const CALLDATA_LEN_CURRENT: u64 = 10;
pub const CALLDATA_LEN_LEGACY: u64 = 8;
/// address, deployer, unique, class_hash, calldata_len, then calldata, then salt.
const HEADER_LEN: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractDeployed {
    #[serde(serialize_with = "hex")]
    pub address: Felt,
    #[serde(serialize_with = "hex")]
    pub deployer: Felt,
    pub unique: bool,
    #[serde(serialize_with = "hex")]
    pub class_hash: Felt,
    #[serde(serialize_with = "decimal")]
    pub calldata_len: u64,
    #[serde(serialize_with = "hex")]
    pub fossil_client_address: Felt,
    #[serde(serialize_with = "hex")]
    pub eth_address: Felt,
    #[serde(serialize_with = "hex")]
    pub option_round_class_hash: Felt,
    #[serde(serialize_with = "decimal")]
    pub alpha: u128,
    #[serde(serialize_with = "decimal")]
    pub strike_level: i128,
    #[serde(serialize_with = "decimal")]
    pub round_transition_duration: u64,
    #[serde(serialize_with = "decimal")]
    pub auction_duration: u64,
    #[serde(serialize_with = "decimal")]
    pub round_duration: u64,
    #[serde(serialize_with = "opt_hex")]
    pub program_id: Option<Felt>,
    #[serde(serialize_with = "opt_decimal")]
    pub proving_delay: Option<u64>,
    #[serde(serialize_with = "hex")]
    pub salt: Felt,
}

impl ContractDeployed {
    pub fn decode<S: AsRef<str>>(r: &Reader<S>) -> Result<Self, DecodeError> {
        let event = r.kind.name();
        if r.data.len() < HEADER_LEN {
            return Err(DecodeError::DataCount {
                event,
                expected: format!("{} (calldata_len 10) or {} (calldata_len 8)", 16, 14),
                got: r.data.len(),
            });
        }
        let calldata_len = r.u64(4, "calldata_len")?;
        if calldata_len != CALLDATA_LEN_CURRENT && calldata_len != CALLDATA_LEN_LEGACY {
            return Err(DecodeError::Invalid {
                event,
                field: "calldata_len".into(),
                reason: format!(
                    "{calldata_len} is not a vault constructor's calldata length \
                     ({CALLDATA_LEN_CURRENT} current or {CALLDATA_LEN_LEGACY} legacy)"
                ),
            });
        }
        let expected = HEADER_LEN + calldata_len as usize + 1;
        if r.data.len() != expected {
            return Err(DecodeError::DataCount {
                event,
                expected: format!("{expected} (6 + calldata_len {calldata_len})"),
                got: r.data.len(),
            });
        }
        let calldata = |i: usize| HEADER_LEN + i;
        let current = calldata_len == CALLDATA_LEN_CURRENT;
        Ok(ContractDeployed {
            address: r.felt(Array::Data, 0, "address")?,
            deployer: r.felt(Array::Data, 1, "deployer")?,
            unique: r.bool(2, "unique")?,
            class_hash: r.felt(Array::Data, 3, "class_hash")?,
            calldata_len,
            fossil_client_address: r.felt(Array::Data, calldata(0), "fossil_client_address")?,
            eth_address: r.felt(Array::Data, calldata(1), "eth_address")?,
            option_round_class_hash: r.felt(Array::Data, calldata(2), "option_round_class_hash")?,
            alpha: r.u128(calldata(3), "alpha")?,
            strike_level: r.i128(calldata(4), "strike_level")?,
            round_transition_duration: r.u64(calldata(5), "round_transition_duration")?,
            auction_duration: r.u64(calldata(6), "auction_duration")?,
            round_duration: r.u64(calldata(7), "round_duration")?,
            program_id: current
                .then(|| r.felt(Array::Data, calldata(8), "program_id"))
                .transpose()?,
            proving_delay: current
                .then(|| r.u64(calldata(9), "proving_delay"))
                .transpose()?,
            salt: r.felt(Array::Data, expected - 1, "salt")?,
        })
    }
}
