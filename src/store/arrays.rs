//! The parameters of the set-based statements: one text[] per column, built from the rows'
//! borrowed cells straight into PostgreSQL arrays. No Rust string per cell: text cells are
//! copied once, into the element; numerics are formatted into one reused buffer. Elements and
//! arrays live in a scratch memory context that is deleted once the statement has run.

use crate::protocol::changes::KeyRef;
use crate::protocol::rows::{CellRef, Row};
use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::PgMemoryContexts;

pub struct TextArrays {
    columns: Vec<Column>,
    /// A numeric cell's text, before it is copied into its element.
    digits: String,
    elements: PgMemoryContexts,
}

#[derive(Default)]
struct Column {
    datums: Vec<pg_sys::Datum>,
    nulls: Vec<bool>,
}

impl TextArrays {
    /// `width` arrays, each sized for `rows` elements.
    pub fn new(width: usize, rows: usize) -> Self {
        let column = || Column {
            datums: Vec::with_capacity(rows),
            nulls: Vec::with_capacity(rows),
        };
        TextArrays {
            columns: (0..width).map(|_| column()).collect(),
            digits: String::new(),
            elements: PgMemoryContexts::new("event_processor statement arrays"),
        }
    }

    /// Appends `cell` to the array of `column`.
    pub fn push(&mut self, column: usize, cell: CellRef<'_>) {
        let text = match cell {
            CellRef::Null => None,
            CellRef::Text(s) => Some(s),
            numeric => {
                self.digits.clear();
                numeric.write_sql_text(&mut self.digits);
                Some(self.digits.as_str())
            }
        };
        let column = &mut self.columns[column];
        match text {
            None => {
                column.datums.push(pg_sys::Datum::from(0));
                column.nulls.push(true);
            }
            Some(text) => {
                let len = i32::try_from(text.len()).expect("a cell is far below 1 GB");
                // SAFETY: the copy is made in `elements`, which outlives the datum's use
                // (with_params); the previous context is restored at once.
                let datum = unsafe {
                    let previous = pg_sys::MemoryContextSwitchTo(self.elements.value());
                    let copy = pg_sys::cstring_to_text_with_len(text.as_ptr().cast(), len);
                    pg_sys::MemoryContextSwitchTo(previous);
                    pg_sys::Datum::from(copy)
                };
                column.datums.push(datum);
                column.nulls.push(false);
            }
        }
    }

    /// Appends a text cell to the array of `column`.
    pub fn push_text(&mut self, column: usize, text: &str) {
        self.push(column, CellRef::Text(text));
    }

    /// Appends the row's cells, one to each array from `first` on, in column order.
    pub fn push_row<R: Row>(&mut self, first: usize, row: &R) {
        let mut at = first;
        row.for_each_cell(&mut |cell| {
            self.push(at, cell);
            at += 1;
        });
    }

    /// Appends the key's cells, one to each array from `first` on, in key-column order.
    pub fn push_key(&mut self, first: usize, key: KeyRef<'_>) {
        let mut at = first;
        key.for_each_cell(&mut |cell| {
            self.push(at, cell);
            at += 1;
        });
    }

    /// Runs `f` with the text[] parameters. They are built in the scratch context with their
    /// elements, and freed with it once `f` (the statement) has run: a batch's statements do
    /// not pile up their arrays until the end of the batch.
    pub fn with_params<R>(self, f: impl FnOnce(Vec<DatumWithOid<'static>>) -> R) -> R {
        let TextArrays {
            columns, elements, ..
        } = self;
        // SAFETY: the arrays are made in `elements`, which outlives `f`'s use of them; the
        // previous context is restored at once.
        let params = unsafe {
            let previous = pg_sys::MemoryContextSwitchTo(elements.value());
            let params = columns.into_iter().map(text_array).collect();
            pg_sys::MemoryContextSwitchTo(previous);
            params
        };
        let result = f(params);
        drop(elements);
        result
    }
}

/// One column as a text[] in the current memory context.
fn text_array(mut column: Column) -> DatumWithOid<'static> {
    let count = i32::try_from(column.datums.len()).expect("fewer than 2^31 rows");
    let mut dims = [count];
    let mut lower_bounds = [1];
    // SAFETY: `datums` and `nulls` have `count` entries, each a text datum or NULL; text is
    // varlena (-1), not by value, int-aligned ('i').
    unsafe {
        let array = if count == 0 {
            pg_sys::construct_empty_array(pg_sys::TEXTOID)
        } else {
            pg_sys::construct_md_array(
                column.datums.as_mut_ptr(),
                column.nulls.as_mut_ptr(),
                1,
                dims.as_mut_ptr(),
                lower_bounds.as_mut_ptr(),
                pg_sys::TEXTOID,
                -1,
                false,
                b'i' as std::ffi::c_char,
            )
        };
        DatumWithOid::new(pg_sys::Datum::from(array), pg_sys::TEXTARRAYOID)
    }
}
