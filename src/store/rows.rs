//! Reading SPI result tuples column by column: state rows through their layouts
//! (`protocol::rows::ReadRow`, columns as plans.rs selects them), other results by hand.

use crate::protocol::rows::CellSource;
use crate::protocol::{StoreError, StoreResult};
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

    pub fn opt_text(&mut self) -> StoreResult<Option<String>> {
        self.next += 1;
        self.row
            .get::<String>(self.next)
            .map_err(|e| StoreError(e.to_string()))
    }

    pub fn text(&mut self) -> StoreResult<String> {
        self.opt_text()?.ok_or_else(|| self.bad("is NULL"))
    }

    fn parse<T: FromStr>(&mut self) -> StoreResult<T> {
        let text = self.text()?;
        text.parse().map_err(|_| {
            self.bad(&format!(
                "holds {text:?}, not an integer of the expected range"
            ))
        })
    }

    pub fn u64(&mut self) -> StoreResult<u64> {
        self.parse()
    }
    /// A nullable height or count.
    pub fn opt_u64(&mut self) -> StoreResult<Option<u64>> {
        let Some(text) = self.opt_text()? else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            self.bad(&format!(
                "holds {text:?}, not an integer of the expected range"
            ))
        })
    }
    pub fn i64(&mut self) -> StoreResult<i64> {
        self.parse()
    }
    pub fn i128(&mut self) -> StoreResult<i128> {
        self.parse()
    }

    pub fn text_array(&mut self) -> StoreResult<Vec<Option<String>>> {
        self.next += 1;
        self.row
            .get::<Vec<Option<String>>>(self.next)
            .map_err(|e| StoreError(e.to_string()))?
            .ok_or_else(|| self.bad("is NULL"))
    }

    pub fn boolean(&mut self) -> StoreResult<bool> {
        self.next += 1;
        self.row
            .get::<bool>(self.next)
            .map_err(|e| StoreError(e.to_string()))?
            .ok_or_else(|| self.bad("is NULL"))
    }
}

impl CellSource for Columns<'_, '_> {
    fn next_text(&mut self, _column: &'static str) -> StoreResult<Option<String>> {
        self.opt_text()
    }
    fn next_bool(&mut self, _column: &'static str) -> StoreResult<Option<bool>> {
        self.next += 1;
        self.row
            .get::<bool>(self.next)
            .map_err(|e| StoreError(e.to_string()))
    }
    fn bad(&self, column: &'static str, what: &str) -> StoreError {
        StoreError(format!("{}.{column} {what}", self.table))
    }
}
