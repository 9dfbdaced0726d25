//! The Pitch Lake backend's parsing rules for our notification payloads (spec §5.3): the JSON
//! type its listener unmarshals each key of each channel into. The backend has one listener
//! loop that returns at the first payload it cannot parse, ending every push until it restarts,
//! so the contract tests hold every payload to these rules (docs/notifications.md).

use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::fmt;

/// What the backend's Go field accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// `*big.Int`: a bare JSON integer. big.Int parses the token with base prefixes, so no
    /// quotes, fraction, exponent or leading zero; a sign is allowed (strike_level is signed).
    BigInt,
    /// `uint64` (dates, durations): a bare JSON integer in 0..2^64.
    Uint64,
    /// `string`: a JSON string (addresses, state, bid ids).
    String,
    /// `string` holding a decimal integer: the bids' `tree_nonce`.
    DecimalString,
    /// `bool`: true or false.
    Bool,
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::BigInt => "a bare JSON integer (big.Int)",
            JsonKind::Uint64 => "a bare JSON integer in 0..2^64 (uint64)",
            JsonKind::String => "a JSON string",
            JsonKind::DecimalString => "a JSON string holding a decimal integer",
            JsonKind::Bool => "a JSON boolean",
        })
    }
}

/// One channel: the table whose triggers fire it, the keys that identify a row, whether the
/// row is wrapped as `{"operation": ..., "payload": row}`, and the keys the backend reads.
#[derive(Debug)]
pub struct Channel {
    pub name: &'static str,
    pub table: &'static str,
    pub row_key: &'static [&'static str],
    pub wrapped: bool,
    /// Whether the backend LISTENs to it (vault_insert has no consumer; we check it anyway).
    pub backend_listens: bool,
    pub keys: &'static [(&'static str, JsonKind)],
}

use JsonKind::{BigInt, Bool, DecimalString, String as Str, Uint64};

const VAULT_KEYS: &[(&str, JsonKind)] = &[
    ("current_round", BigInt),
    ("unlocked_balance", BigInt),
    ("locked_balance", BigInt),
    ("stashed_balance", BigInt),
    ("latest_block", BigInt),
    ("alpha", BigInt),
    ("strike_level", BigInt),
    ("current_round_address", Str),
    ("address", Str),
    ("fossil_client_address", Str),
    ("eth_address", Str),
    ("option_round_class_hash", Str),
    ("deployment_date", Uint64),
    ("auction_duration", Uint64),
    ("round_duration", Uint64),
    ("round_transition_period", Uint64),
];

pub const CHANNELS: &[Channel] = &[
    Channel {
        name: "lp_update",
        table: "Liquidity_Providers",
        row_key: &["address", "vault_address"],
        wrapped: true,
        backend_listens: true,
        keys: &[
            ("vault_address", Str),
            ("address", Str),
            ("unlocked_balance", BigInt),
            ("locked_balance", BigInt),
            ("stashed_balance", BigInt),
            ("latest_block", BigInt),
        ],
    },
    Channel {
        name: "vault_update",
        table: "VaultStates",
        row_key: &["address"],
        wrapped: true,
        backend_listens: true,
        keys: VAULT_KEYS,
    },
    Channel {
        name: "vault_insert",
        table: "VaultStates",
        row_key: &["address"],
        wrapped: false,
        backend_listens: false,
        keys: VAULT_KEYS,
    },
    Channel {
        name: "or_update",
        table: "Option_Rounds",
        row_key: &["address"],
        wrapped: true,
        backend_listens: true,
        keys: &[
            ("vault_address", Str),
            ("address", Str),
            ("state", Str),
            ("round_id", BigInt),
            ("cap_level", BigInt),
            ("starting_liquidity", BigInt),
            ("queued_liquidity", BigInt),
            ("remaining_liquidity", BigInt),
            ("available_options", BigInt),
            ("clearing_price", BigInt),
            ("settlement_price", BigInt),
            ("reserve_price", BigInt),
            ("strike_price", BigInt),
            ("sold_options", BigInt),
            ("unsold_liquidity", BigInt),
            ("premiums", BigInt),
            ("payout_per_option", BigInt),
            ("start_date", Uint64),
            ("end_date", Uint64),
            ("settlement_date", Uint64),
            ("deployment_date", Uint64),
        ],
    },
    Channel {
        name: "ob_update",
        table: "Option_Buyers",
        row_key: &["address", "round_address"],
        wrapped: true,
        backend_listens: true,
        keys: &[
            ("address", Str),
            ("round_address", Str),
            ("mintable_options", BigInt),
            ("refundable_amount", BigInt),
            ("has_minted", Bool),
            ("has_refunded", Bool),
        ],
    },
    Channel {
        name: "bids_update",
        table: "Bids",
        row_key: &["round_address", "bid_id"],
        wrapped: true,
        backend_listens: true,
        keys: &[
            ("address", Str),
            ("round_address", Str),
            ("bid_id", Str),
            ("tree_nonce", DecimalString),
            ("amount", BigInt),
            ("price", BigInt),
        ],
    },
];

pub fn channel(name: &str) -> Option<&'static Channel> {
    CHANNELS.iter().find(|c| c.name == name)
}

/// A payload that passed: the wrapper's operation (None when bare) and the row's values as
/// their raw JSON text, so that big integers compare exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub operation: Option<String>,
    pub row: BTreeMap<String, String>,
}

impl Payload {
    /// The row's identity on its channel, e.g. `0xa1|0x7a11` for an LP.
    pub fn row_key(&self, channel: &Channel) -> String {
        channel
            .row_key
            .iter()
            .map(|k| self.row.get(*k).map(|raw| unquote(raw)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// The value of a raw JSON scalar as text: a string's contents, any other token as it is.
pub fn unquote(raw: &str) -> String {
    serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_string())
}

/// Why the backend would not parse a payload; names the channel and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Violation {
    #[error("{channel}: no such channel in the backend's contract")]
    UnknownChannel { channel: String },
    #[error("{channel}: payload is not a JSON object ({reason}): {payload}")]
    NotAnObject {
        channel: String,
        reason: String,
        payload: String,
    },
    #[error("{channel}.{key}: missing")]
    Missing { channel: String, key: String },
    #[error("{channel}.{key}: expected {expected}, got {got}")]
    WrongType {
        channel: String,
        key: String,
        expected: String,
        got: String,
    },
}

type RawObject = BTreeMap<String, Box<RawValue>>;

/// Checks one notification against the backend's rules.
pub fn check(channel_name: &str, payload: &str) -> Result<Payload, Violation> {
    let channel = channel(channel_name).ok_or_else(|| Violation::UnknownChannel {
        channel: channel_name.into(),
    })?;
    let not_object = |reason: String| Violation::NotAnObject {
        channel: channel_name.into(),
        reason,
        payload: payload.into(),
    };
    let outer: RawObject = serde_json::from_str(payload).map_err(|e| not_object(e.to_string()))?;
    let (operation, row) = if channel.wrapped {
        let operation = field(channel, &outer, "operation")?;
        let operation = serde_json::from_str::<String>(operation.get())
            .ok()
            .filter(|op| op == "insert" || op == "update")
            .ok_or_else(|| wrong(channel, "operation", "\"insert\" or \"update\"", operation))?;
        let inner = field(channel, &outer, "payload")?;
        let row: RawObject = serde_json::from_str(inner.get())
            .map_err(|e| not_object(format!("key payload: {e}")))?;
        (Some(operation), row)
    } else {
        (None, outer)
    };
    for &(key, kind) in channel.keys {
        let raw = field(channel, &row, key)?;
        if !accepts(kind, raw.get()) {
            return Err(wrong(channel, key, &kind.to_string(), raw));
        }
    }
    Ok(Payload {
        operation,
        row: row
            .into_iter()
            .map(|(k, v)| (k, v.get().to_string()))
            .collect(),
    })
}

fn field<'a>(
    channel: &Channel,
    object: &'a RawObject,
    key: &str,
) -> Result<&'a RawValue, Violation> {
    object
        .get(key)
        .map(|v| &**v)
        .ok_or_else(|| Violation::Missing {
            channel: channel.name.into(),
            key: key.into(),
        })
}

fn wrong(channel: &Channel, key: &str, expected: &str, got: &RawValue) -> Violation {
    Violation::WrongType {
        channel: channel.name.into(),
        key: key.into(),
        expected: expected.into(),
        got: got.get().into(),
    }
}

fn accepts(kind: JsonKind, raw: &str) -> bool {
    match kind {
        JsonKind::BigInt => is_integer_token(raw.strip_prefix('-').unwrap_or(raw)),
        JsonKind::Uint64 => is_integer_token(raw) && raw.parse::<u64>().is_ok(),
        JsonKind::String => serde_json::from_str::<String>(raw).is_ok(),
        JsonKind::DecimalString => serde_json::from_str::<String>(raw)
            .is_ok_and(|s| is_integer_token(s.strip_prefix('-').unwrap_or(&s))),
        JsonKind::Bool => raw == "true" || raw == "false",
    }
}

/// `0` or a digit string without a leading zero (JSON's integer grammar; big.Int would read a
/// leading zero as an octal prefix).
fn is_integer_token(digits: &str) -> bool {
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}
