//! Typed Pitch Lake events decoded from an `events` row's name, keys and data (spec §2).
//! Pure Rust: no pgrx. One decoder per layout; the dispatcher checks the selector, the array
//! lengths and the appended round address (§1.7 b) before any field is read.

#[macro_use]
mod layout;
mod deployment;
mod json;
mod reader;
mod round;
mod vault;

pub use deployment::ContractDeployed;
pub use round::{
    AuctionEnded, AuctionStarted, BidPlaced, BidUpdated, OptionRoundSettled, OptionsExercised,
    OptionsMinted, PricingDataSet, UnusedBidsRefunded,
};
pub use vault::{
    BalanceChange, FossilCallbackSuccess, L1RequestFulfilled, OptionRoundDeployed, StashWithdrawn,
    WithdrawalQueued, BPS,
};

use crate::codec::{canonical_hex, parse_felt, EventKind, Felt, FeltError};
use reader::{Array, Reader};
use serde::Serialize;
use thiserror::Error;

/// Why an event row could not be decoded. Every variant names the event and, where one is to
/// blame, the field, its position (`keys[1]`, `data[3]`) and the offending text.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("{event}: expected {expected} keys, got {got}")]
    KeyCount {
        event: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("{event}: expected {expected} data felts, got {got}")]
    DataCount {
        event: &'static str,
        expected: String,
        got: usize,
    },
    #[error("{event}: keys[0] is {got}, not the selector of {event} ({expected})")]
    SelectorMismatch {
        event: &'static str,
        expected: String,
        got: String,
    },
    /// Boxed: every field read returns `Result<_, DecodeError>`, so the error stays small.
    #[error(transparent)]
    Field(Box<FieldError>),
    #[error("{event}: field {field}: {reason}")]
    Invalid {
        event: &'static str,
        field: String,
        reason: String,
    },
    #[error("{event}: {location} is NULL")]
    NullElement { event: String, location: String },
}

/// A felt that failed to parse or convert, with where it was and what it held.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("{event}: field {field} ({location} = {raw:?}): {source}")]
pub struct FieldError {
    pub event: &'static str,
    pub field: String,
    pub location: String,
    pub raw: String,
    pub source: FeltError,
}

impl DecodeError {
    pub fn as_field(&self) -> Option<&FieldError> {
        match self {
            DecodeError::Field(f) => Some(f),
            _ => None,
        }
    }

    /// The field to blame, if one is (for error context columns and messages).
    pub fn field(&self) -> Option<&str> {
        match self {
            DecodeError::Field(f) => Some(&f.field),
            DecodeError::Invalid { field, .. } => Some(field),
            DecodeError::SelectorMismatch { .. } => Some("selector"),
            DecodeError::NullElement { location, .. } => Some(location),
            DecodeError::KeyCount { .. } => Some("keys"),
            DecodeError::DataCount { .. } => Some("data"),
        }
    }
}

/// A decoded event. Transfer, Approval and unknown names decode to `Ignored`: they have no
/// state effect (spec §3.3 "Ignored") and are not validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Event {
    /// Boxed: by far the largest layout, and it occurs once per vault.
    ContractDeployed(Box<ContractDeployed>),
    OptionRoundDeployed(OptionRoundDeployed),
    PricingDataSet(PricingDataSet),
    FossilCallbackSuccess(FossilCallbackSuccess),
    L1RequestFulfilled(L1RequestFulfilled),
    Deposit(BalanceChange),
    Withdrawal(BalanceChange),
    WithdrawalQueued(WithdrawalQueued),
    StashWithdrawn(StashWithdrawn),
    AuctionStarted(AuctionStarted),
    BidPlaced(BidPlaced),
    BidUpdated(BidUpdated),
    AuctionEnded(AuctionEnded),
    OptionRoundSettled(OptionRoundSettled),
    OptionsMinted(OptionsMinted),
    UnusedBidsRefunded(UnusedBidsRefunded),
    OptionsExercised(OptionsExercised),
    Ignored {},
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedEvent {
    /// The stored name (kept for `Ignored`, whose name is otherwise lost).
    pub name: String,
    pub event: Event,
    /// The round address appended as the last data felt (EP convention, spec §1.7 b).
    pub appended_round_address: Option<Felt>,
}

impl DecodedEvent {
    /// `{"event": name, "round_address"?: hex, ...fields}` with amounts as decimal strings;
    /// `"ignored": true` for events without a state effect.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("event".into(), self.name.clone().into());
        if let Some(round) = &self.appended_round_address {
            object.insert("round_address".into(), canonical_hex(round).into());
        }
        match serde_json::to_value(&self.event).expect("events serialize to JSON objects") {
            serde_json::Value::Object(fields) if !fields.is_empty() => object.extend(fields),
            _ => {
                object.insert("ignored".into(), true.into());
            }
        }
        serde_json::Value::Object(object)
    }
}

/// Key count and the accepted data lengths of each layout (Cairo lengths, without an appended
/// round address). `None` for kinds that are not validated or validate themselves.
fn layout(kind: EventKind) -> Option<(usize, &'static [usize])> {
    use EventKind::*;
    Some(match kind {
        OptionRoundDeployed => (1, &[10]),
        PricingDataSet => (1, &[5]),
        FossilCallbackSuccess => (1, &[6]),
        L1RequestFulfilled => (3, &[0]),
        Deposit | Withdrawal => (2, &[6]),
        WithdrawalQueued => (2, &[8, 6]),
        StashWithdrawn => (2, &[4]),
        AuctionStarted => (1, &[4]),
        BidPlaced => (2, &[6]),
        BidUpdated => (2, &[5]),
        AuctionEnded => (1, &[7]),
        OptionRoundSettled => (1, &[4]),
        OptionsMinted | UnusedBidsRefunded => (2, &[2]),
        OptionsExercised => (2, &[6]),
        ContractDeployed => (1, &[]),
        Transfer | Approval => return None,
    })
}

fn describe_lengths(lengths: &[usize], round_event: bool) -> String {
    let mut parts: Vec<String> = lengths.iter().map(|l| l.to_string()).collect();
    if round_event {
        parts.extend(
            lengths
                .iter()
                .map(|l| format!("{} (with appended round address)", l + 1)),
        );
    }
    parts.join(" or ")
}

/// Decodes one `events` row. `keys[0]` must be the selector of `name`.
pub fn decode<S: AsRef<str>>(
    name: &str,
    keys: &[S],
    data: &[S],
) -> Result<DecodedEvent, DecodeError> {
    let ignored = || DecodedEvent {
        name: name.to_string(),
        event: Event::Ignored {},
        appended_round_address: None,
    };
    let Some(kind) = EventKind::from_name(name) else {
        return Ok(ignored());
    };
    let Some((key_count, lengths)) = layout(kind) else {
        return Ok(ignored());
    };
    let event = kind.name();

    let selector = keys.first().ok_or(DecodeError::KeyCount {
        event,
        expected: key_count,
        got: 0,
    })?;
    let got = parse_felt(selector.as_ref()).map_err(|source| {
        DecodeError::Field(Box::new(FieldError {
            event,
            field: "selector".into(),
            location: "keys[0]".into(),
            raw: selector.as_ref().to_string(),
            source,
        }))
    })?;
    if got != kind.selector() {
        return Err(DecodeError::SelectorMismatch {
            event,
            expected: canonical_hex(&kind.selector()),
            got: canonical_hex(&got),
        });
    }
    if keys.len() != key_count {
        return Err(DecodeError::KeyCount {
            event,
            expected: key_count,
            got: keys.len(),
        });
    }

    let (data, appended_round_address) = split_round_address(kind, keys, data, lengths)?;
    if kind != EventKind::ContractDeployed && !lengths.contains(&data.len()) {
        return Err(DecodeError::DataCount {
            event,
            expected: describe_lengths(lengths, kind.is_round_event()),
            got: data.len() + appended_round_address.is_some() as usize,
        });
    }
    let r = Reader { kind, keys, data };
    let event = decode_fields(&r)?;
    Ok(DecodedEvent {
        name: name.to_string(),
        event,
        appended_round_address,
    })
}

/// For a round event whose data is one felt longer than its Cairo layout, the last felt is
/// the emitting round's address (EP convention); it is split off before decoding.
fn split_round_address<'a, S: AsRef<str>>(
    kind: EventKind,
    keys: &'a [S],
    data: &'a [S],
    lengths: &[usize],
) -> Result<(&'a [S], Option<Felt>), DecodeError> {
    let appended = kind.is_round_event() && lengths.iter().any(|l| l + 1 == data.len());
    if !appended {
        return Ok((data, None));
    }
    let fields = &data[..data.len() - 1];
    let round = Reader { kind, keys, data }.felt(Array::Data, data.len() - 1, "round_address")?;
    Ok((fields, Some(round)))
}

fn decode_fields<S: AsRef<str>>(r: &Reader<S>) -> Result<Event, DecodeError> {
    use EventKind as K;
    Ok(match r.kind {
        K::ContractDeployed => Event::ContractDeployed(Box::new(ContractDeployed::decode(r)?)),
        K::OptionRoundDeployed => Event::OptionRoundDeployed(OptionRoundDeployed::decode(r)?),
        K::PricingDataSet => Event::PricingDataSet(PricingDataSet::decode(r)?),
        K::FossilCallbackSuccess => Event::FossilCallbackSuccess(FossilCallbackSuccess::decode(r)?),
        K::L1RequestFulfilled => Event::L1RequestFulfilled(L1RequestFulfilled::decode(r)?),
        K::Deposit => Event::Deposit(BalanceChange::decode(r)?),
        K::Withdrawal => Event::Withdrawal(BalanceChange::decode(r)?),
        K::WithdrawalQueued => Event::WithdrawalQueued(WithdrawalQueued::decode(r)?),
        K::StashWithdrawn => Event::StashWithdrawn(StashWithdrawn::decode(r)?),
        K::AuctionStarted => Event::AuctionStarted(AuctionStarted::decode(r)?),
        K::BidPlaced => Event::BidPlaced(BidPlaced::decode(r)?),
        K::BidUpdated => Event::BidUpdated(BidUpdated::decode(r)?),
        K::AuctionEnded => Event::AuctionEnded(AuctionEnded::decode(r)?),
        K::OptionRoundSettled => Event::OptionRoundSettled(OptionRoundSettled::decode(r)?),
        K::OptionsMinted => Event::OptionsMinted(OptionsMinted::decode(r)?),
        K::UnusedBidsRefunded => Event::UnusedBidsRefunded(UnusedBidsRefunded::decode(r)?),
        K::OptionsExercised => Event::OptionsExercised(OptionsExercised::decode(r)?),
        K::Transfer | K::Approval => Event::Ignored {},
    })
}
