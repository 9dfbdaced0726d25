//! Writing a batch's `ChangeSet`: the journal first (its source-held before-images are read
//! before the rows change), then each table's inserts, updates and upserts, then the ledger.
//! A few statements per batch, whatever the number of events, each with one text[] per column.

use super::{PlanKey, SpiStore, TableOp};
use crate::protocol::changes::{Claim, JournalEntry, Writes};
use crate::protocol::journal::GroupedJournal;
use crate::protocol::rows::{Cell, Row};
use crate::protocol::tables::Table;
use crate::protocol::{ChangeSet, StoreResult};
use pgrx::datum::DatumWithOid;

use super::Plan;

/// Transposes rows of cells into one text[] per column (NULL cells stay NULL).
fn column_arrays(rows: Vec<Vec<Option<String>>>, width: usize) -> Vec<DatumWithOid<'static>> {
    let mut columns = vec![Vec::with_capacity(rows.len()); width];
    for row in rows {
        for (column, cell) in columns.iter_mut().zip(row) {
            column.push(cell);
        }
    }
    columns.into_iter().map(DatumWithOid::from).collect()
}

/// State rows as one text[] per column, filled column-wise (no row of texts in between).
fn row_arrays<R: Row>(rows: &[R]) -> Vec<DatumWithOid<'static>> {
    let width = R::TABLE.info().columns.len();
    let mut columns = vec![Vec::with_capacity(rows.len()); width];
    for row in rows {
        for (column, cell) in columns.iter_mut().zip(row.cells()) {
            column.push(cell.sql_text());
        }
    }
    columns.into_iter().map(DatumWithOid::from).collect()
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
        self.execute(PlanKey::Table(R::TABLE, op), row_arrays(rows))
            .map(drop)
    }

    /// Every row is journaled with its before-image (NULL: created), grouped per block and
    /// table (`GroupedJournal`). Rows written without being read (history snapshots) are
    /// probed: the few that exist are journaled from the table, one row each.
    fn write_journal(&mut self, journal: &[JournalEntry]) -> StoreResult<()> {
        let (probed, in_memory): (Vec<_>, Vec<_>) =
            journal.iter().partition(|e| e.before_in_source);
        let mut grouped = GroupedJournal::default();
        for entry in in_memory {
            grouped.add(&entry.block, entry.image.record());
        }
        for table in Table::ALL {
            let candidates: Vec<&JournalEntry> = probed
                .iter()
                .copied()
                .filter(|e| e.image.table() == table)
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let existing = self.existing(table, &candidates)?;
            let mut stored = Vec::new();
            for (i, entry) in candidates.into_iter().enumerate() {
                if existing.contains(&(i + 1)) {
                    let mut row = vec![Some(entry.block.clone())];
                    row.extend(
                        entry
                            .image
                            .key()
                            .into_cells()
                            .into_iter()
                            .map(Cell::into_sql_text),
                    );
                    stored.push(row);
                } else {
                    grouped.add(&entry.block, entry.image.record());
                }
            }
            if !stored.is_empty() {
                let width = table.info().key.len() + 1;
                self.execute(
                    PlanKey::Table(table, TableOp::JournalFromTable),
                    column_arrays(stored, width),
                )?;
            }
        }
        let rows = grouped.into_rows();
        if rows.is_empty() {
            return Ok(());
        }
        self.execute(Plan::JournalImages, column_arrays(rows, 4))
            .map(drop)
    }

    /// The 1-based positions of `entries` whose rows exist in `table`.
    fn existing(
        &mut self,
        table: Table,
        entries: &[&JournalEntry],
    ) -> StoreResult<std::collections::HashSet<usize>> {
        let keys: Vec<Vec<Option<String>>> = entries
            .iter()
            .map(|e| {
                e.image
                    .key()
                    .into_cells()
                    .into_iter()
                    .map(Cell::into_sql_text)
                    .collect()
            })
            .collect();
        let positions = self.query(
            PlanKey::Table(table, TableOp::ExistingKeys),
            column_arrays(keys, table.info().key.len()),
            "journal",
            |c| Ok(c.u64()? as usize),
        )?;
        Ok(positions.into_iter().collect())
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
        self.execute(Plan::ClaimEvents, column_arrays(rows, 5))
            .map(drop)
    }
}
