//! Positional access to an event's keys and data, turning every failure into a `DecodeError`
//! that names the event, the field, the array position and the offending text.

use super::{DecodeError, FieldError};
use crate::codec::{
    felt_to_bool, felt_to_i128, felt_to_u128, felt_to_u64, parse_felt, u256_from_halves, EventKind,
    Felt, FeltError, U256Half,
};
use num_bigint::BigUint;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Array {
    Keys,
    Data,
}

impl Array {
    pub fn label(self) -> &'static str {
        match self {
            Array::Keys => "keys",
            Array::Data => "data",
        }
    }
}

pub struct Reader<'a, S> {
    pub kind: EventKind,
    pub keys: &'a [S],
    pub data: &'a [S],
}

impl<'a, S: AsRef<str>> Reader<'a, S> {
    fn raw(&self, array: Array, index: usize) -> &'a str {
        let felts = match array {
            Array::Keys => self.keys,
            Array::Data => self.data,
        };
        felts[index].as_ref()
    }

    fn field_error(
        &self,
        field: &str,
        array: Array,
        index: usize,
        source: FeltError,
    ) -> DecodeError {
        DecodeError::Field(Box::new(FieldError {
            event: self.kind.name(),
            field: field.to_string(),
            location: format!("{}[{index}]", array.label()),
            raw: self.raw(array, index).to_string(),
            source,
        }))
    }

    /// A felt-typed field (addresses, hashes, ids). Callers check lengths before reading.
    pub fn felt(&self, array: Array, index: usize, field: &str) -> Result<Felt, DecodeError> {
        parse_felt(self.raw(array, index)).map_err(|e| self.field_error(field, array, index, e))
    }

    fn convert<T>(
        &self,
        array: Array,
        index: usize,
        field: &str,
        convert: fn(&Felt) -> Result<T, FeltError>,
    ) -> Result<T, DecodeError> {
        let felt = self.felt(array, index, field)?;
        convert(&felt).map_err(|e| self.field_error(field, array, index, e))
    }

    pub fn u64(&self, index: usize, field: &str) -> Result<u64, DecodeError> {
        self.convert(Array::Data, index, field, felt_to_u64)
    }

    pub fn u128(&self, index: usize, field: &str) -> Result<u128, DecodeError> {
        self.convert(Array::Data, index, field, felt_to_u128)
    }

    pub fn i128(&self, index: usize, field: &str) -> Result<i128, DecodeError> {
        self.convert(Array::Data, index, field, felt_to_i128)
    }

    pub fn bool(&self, index: usize, field: &str) -> Result<bool, DecodeError> {
        self.convert(Array::Data, index, field, felt_to_bool)
    }

    /// A u256 at data[index] (low) and data[index + 1] (high). Field names such as
    /// `amount.high` are only built when something is wrong.
    pub fn u256(&self, index: usize, field: &str) -> Result<BigUint, DecodeError> {
        let half = |offset: usize, part: &str| {
            parse_felt(self.raw(Array::Data, index + offset)).map_err(|e| {
                self.field_error(&format!("{field}.{part}"), Array::Data, index + offset, e)
            })
        };
        let (low, high) = (half(0, "low")?, half(1, "high")?);
        u256_from_halves(&low, &high).map_err(|(which, e)| {
            let (offset, part) = match which {
                U256Half::Low => (0, "low"),
                U256Half::High => (1, "high"),
            };
            self.field_error(&format!("{field}.{part}"), Array::Data, index + offset, e)
        })
    }

    /// The account address carried in keys[1] by every event that has one.
    pub fn account(&self, field: &str) -> Result<Felt, DecodeError> {
        self.felt(Array::Keys, 1, field)
    }
}
