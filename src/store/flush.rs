//! Writing a batch's `ChangeSet`: the journal first (its source-held before-images are read
//! before the rows change), then each table's inserts, updates and upserts, then the ledger.
//! A few statements per batch, whatever the number of events, each with one text[] per column.

use super::arrays::TextArrays;
use super::{PlanKey, SpiStore, TableOp};
use crate::protocol::changes::{Claim, JournalEntry, Writes};
use crate::protocol::journal::GroupedJournal;
use crate::protocol::rows::{CellRef, Row};
use crate::protocol::tables::Table;
use crate::protocol::{ChangeSet, StoreResult};
use std::collections::HashSet;

use super::Plan;

/// State rows as one text[] per column.
fn row_arrays<R: Row>(rows: &[R]) -> TextArrays {
    let mut arrays = TextArrays::new(R::COLUMNS.len(), rows.len());
    for row in rows {
        arrays.push_row(0, row);
    }
    arrays
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
        self.execute(PlanKey::Table(R::TABLE, op), row_arrays(rows).into_params())
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
            entry.image.journal_into(&entry.block, &mut grouped);
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
            let key_width = table.info().key.len();
            let mut stored = TextArrays::new(key_width + 1, existing.len());
            for (i, entry) in candidates.into_iter().enumerate() {
                if existing.contains(&(i + 1)) {
                    stored.push_text(0, &entry.block);
                    stored.push_key(1, entry.image.key_ref());
                } else {
                    entry.image.journal_into(&entry.block, &mut grouped);
                }
            }
            if !existing.is_empty() {
                self.execute(
                    PlanKey::Table(table, TableOp::JournalFromTable),
                    stored.into_params(),
                )?;
            }
        }
        let rows = grouped.into_rows();
        if rows.is_empty() {
            return Ok(());
        }
        let mut arrays = TextArrays::new(4, rows.len());
        for row in &rows {
            for (column, cell) in row.iter().enumerate() {
                match cell {
                    Some(text) => arrays.push_text(column, text),
                    None => arrays.push(column, CellRef::Null),
                }
            }
        }
        self.execute(Plan::JournalImages, arrays.into_params())
            .map(drop)
    }

    /// The 1-based positions of `entries` whose rows exist in `table`.
    fn existing(&mut self, table: Table, entries: &[&JournalEntry]) -> StoreResult<HashSet<usize>> {
        let mut keys = TextArrays::new(table.info().key.len(), entries.len());
        for entry in entries {
            keys.push_key(0, entry.image.key_ref());
        }
        let positions = self.query(
            PlanKey::Table(table, TableOp::ExistingKeys),
            keys.into_params(),
            "journal",
            |c| Ok(c.u64()? as usize),
        )?;
        Ok(positions.into_iter().collect())
    }

    fn write_claims(&mut self, claims: &[Claim]) -> StoreResult<()> {
        if claims.is_empty() {
            return Ok(());
        }
        let mut arrays = TextArrays::new(5, claims.len());
        for claim in claims {
            arrays.push_text(0, &claim.key.block_hash);
            arrays.push_text(1, &claim.key.vault_address);
            arrays.push(2, CellRef::Int(claim.key.event_nonce.into()));
            arrays.push_text(3, &claim.event_name);
            arrays.push_text(4, &claim.content);
        }
        self.execute(Plan::ClaimEvents, arrays.into_params())
            .map(drop)
    }
}
