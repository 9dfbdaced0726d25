//! serde helpers: integers as decimal strings (JSON numbers cannot hold u256), felts as
//! canonical hex.

use crate::codec::{canonical_hex, Felt};
use serde::Serializer;
use std::fmt::Display;

pub fn decimal<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

pub fn opt_decimal<T: Display, S: Serializer>(value: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

pub fn hex<S: Serializer>(felt: &Felt, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&canonical_hex(felt))
}

pub fn opt_hex<S: Serializer>(felt: &Option<Felt>, s: S) -> Result<S::Ok, S::Error> {
    match felt {
        Some(f) => s.serialize_str(&canonical_hex(f)),
        None => s.serialize_none(),
    }
}
