//! Writing a batch's `ChangeSet`: the journal first (its source-held before-images are read
//! before the rows change), then each table's inserts, updates and upserts, then the ledger.
//! A few statements per batch, whatever the number of events, each with one text[] per column.

use super::{PlanKey, SpiStore, TableOp};
use crate::protocol::cache::{Claim, JournalEntry, Writes};
use crate::protocol::rows::Row;
use crate::protocol::tables::Table;
use crate::protocol::{ChangeSet, StoreResult};
use pgrx::datum::DatumWithOid;

use super::Plan;

/// Transposes rows of cells into one text[] per column (NULL cells stay NULL).
fn column_arrays(rows: &[Vec<Option<String>>], width: usize) -> Vec<DatumWithOid<'static>> {
    let mut columns = vec![Vec::with_capacity(rows.len()); width];
    for row in rows {
        for (column, cell) in columns.iter_mut().zip(row) {
            column.push(cell.clone());
        }
    }
    columns.into_iter().map(DatumWithOid::from).collect()
}

fn texts<R: Row>(rows: &[R]) -> Vec<Vec<Option<String>>> {
    rows.iter()
        .map(|r| r.cells().iter().map(|c| c.sql_text()).collect())
        .collect()
}

impl SpiStore<'_, '_> {
    pub fn write_changes(&mut self, changes: ChangeSet) -> StoreResult<()> {
        self.write_journal(&changes.journal)?;
        self.write_rows(&changes.vaults)?;
        self.write_rows(&changes.liquidity_providers)?;
        self.write_rows(&changes.rounds)?;
        self.write_rows(&changes.queued)?;
        self.write_rows(&changes.buyers)?;
        self.write_rows(&changes.bids)?;
        self.write_rows(&changes.deposits)?;
        self.table_op(TableOp::Upsert, &changes.vault_history)?;
        self.table_op(TableOp::Upsert, &changes.lp_history)?;
        self.write_claims(&changes.claims)
    }

    fn write_rows<R: Row>(&mut self, writes: &Writes<R>) -> StoreResult<()> {
        self.table_op(TableOp::Insert, &writes.inserts)?;
        self.table_op(TableOp::Update, &writes.updates)
    }

    fn table_op<R: Row>(&mut self, op: TableOp, rows: &[R]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let width = R::TABLE.info().columns.len();
        self.execute(
            PlanKey::Table(R::TABLE, op),
            column_arrays(&texts(rows), width),
        )
        .map(drop)
    }

    fn write_journal(&mut self, journal: &[JournalEntry]) -> StoreResult<()> {
        let (from_table, in_memory): (Vec<_>, Vec<_>) =
            journal.iter().partition(|e| e.before_in_source);
        for table in Table::ALL {
            let rows: Vec<Vec<Option<String>>> = from_table
                .iter()
                .filter(|e| e.image.table() == table)
                .map(|e| {
                    let mut row = vec![Some(e.block.clone())];
                    row.extend(e.image.key_cells().iter().map(|c| c.sql_text()));
                    row
                })
                .collect();
            if !rows.is_empty() {
                let width = table.info().key.len() + 1;
                self.execute(
                    PlanKey::Table(table, TableOp::JournalFromTable),
                    column_arrays(&rows, width),
                )?;
            }
        }
        if in_memory.is_empty() {
            return Ok(());
        }
        let rows: Vec<Vec<Option<String>>> = in_memory
            .iter()
            .map(|e| {
                let record = e.image.record();
                vec![
                    Some(e.block.clone()),
                    Some(record.table.info().name.to_string()),
                    Some(record.pk),
                    record.before,
                ]
            })
            .collect();
        self.execute(Plan::JournalImages, column_arrays(&rows, 4))
            .map(drop)
    }

    fn write_claims(&mut self, claims: &[Claim]) -> StoreResult<()> {
        if claims.is_empty() {
            return Ok(());
        }
        let rows: Vec<Vec<Option<String>>> = claims
            .iter()
            .map(|c| {
                vec![
                    Some(c.key.block_hash.clone()),
                    Some(c.key.vault_address.clone()),
                    Some(c.key.event_nonce.to_string()),
                    Some(c.event_name.clone()),
                    Some(c.content.clone()),
                ]
            })
            .collect();
        self.execute(Plan::ClaimEvents, column_arrays(&rows, 5))
            .map(drop)
    }
}
