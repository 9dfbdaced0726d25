//! Reading SPI result tuples column by column: state rows through their layouts
//! (`protocol::rows::ReadRow`, columns as plans.rs selects them), other results by hand.

use crate::protocol::rows::CellSource;
use crate::protocol::{StoreError, StoreResult};
use pgrx::datum::{FromDatum, IntoDatum};
use pgrx::spi::SpiHeapTupleData;
use std::str::FromStr;

/// Sequential column reader over one result row.
pub struct Columns<'r, 'conn> {
    row: &'r SpiHeapTupleData<'conn>,
    next: usize,
    table: &'static str,
}

impl<'r, 'conn> Columns<'r, 'conn> {
    pub fn new(row: &'r SpiHeapTupleData<'conn>, table: &'static str) -> Self {
        Columns {
            row,
            next: 0,
            table,
        }
    }

    fn bad(&self, what: &str) -> StoreError {
        StoreError(format!("{}: column {} {what}", self.table, self.next))
    }

    /// The next column as `T`; `None` for NULL.
    fn take<T: FromDatum + IntoDatum>(&mut self) -> StoreResult<Option<T>> {
        self.next += 1;
        self.row
            .get::<T>(self.next)
            .map_err(|e| StoreError(e.to_string()))
    }

    fn required<T>(&self, value: Option<T>) -> StoreResult<T> {
        value.ok_or_else(|| self.bad("is NULL"))
    }

    pub fn opt_text(&mut self) -> StoreResult<Option<String>> {
        self.take()
    }

    pub fn text(&mut self) -> StoreResult<String> {
        let value = self.take()?;
        self.required(value)
    }

    /// A nullable integer (numerics are selected as text).
    fn opt_parse<T: FromStr>(&mut self) -> StoreResult<Option<T>> {
        let Some(text) = self.opt_text()? else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            self.bad(&format!(
                "holds {text:?}, not an integer of the expected range"
            ))
        })
    }

    fn parse<T: FromStr>(&mut self) -> StoreResult<T> {
        let value = self.opt_parse()?;
        self.required(value)
    }

    pub fn u64(&mut self) -> StoreResult<u64> {
        self.parse()
    }
    /// A nullable height or count.
    pub fn opt_u64(&mut self) -> StoreResult<Option<u64>> {
        self.opt_parse()
    }
    pub fn i64(&mut self) -> StoreResult<i64> {
        self.parse()
    }

    pub fn text_array(&mut self) -> StoreResult<Vec<Option<String>>> {
        let value = self.take()?;
        self.required(value)
    }

    pub fn boolean(&mut self) -> StoreResult<bool> {
        let value = self.take()?;
        self.required(value)
    }
}

impl CellSource for Columns<'_, '_> {
    fn next_text(&mut self, _column: &'static str) -> StoreResult<Option<String>> {
        self.opt_text()
    }
    fn next_bool(&mut self, _column: &'static str) -> StoreResult<Option<bool>> {
        self.take()
    }
    fn bad(&self, column: &'static str, what: &str) -> StoreError {
        StoreError(format!("{}.{column} {what}", self.table))
    }
}
