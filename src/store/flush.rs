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
    /// Every row is journaled with its before-image (NULL: created), grouped per block and
    /// table (`GroupedJournal`), and the journal is written last. The history rows the batch
    /// wrote without reading them are the exception: whether they were there before is found
    /// when they are written (`write_snapshots`).
    pub fn write_changes(&mut self, changes: ChangeSet) -> StoreResult<()> {
        let ChangeSet {
            vaults,
            liquidity_providers,
            rounds,
            queued,
            buyers,
            bids,
            deposits,
            vault_history,
            lp_history,
            journal: entries,
            claims,
        } = changes;
        let mut journal = GroupedJournal::default();
        let mut unread = Vec::new();
        for entry in &entries {
            if entry.before_in_source() {
                unread.push(entry);
            } else {
                entry.image.journal_into(&entry.block, &mut journal);
            }
        }
        // Each table's rows are dropped once written: the batch's peak memory is not all of
        // its rows at once, plus every statement's parameters.
        self.write_rows(vaults)?;
        self.write_rows(liquidity_providers)?;
        self.write_rows(rounds)?;
        self.write_rows(queued)?;
        self.write_rows(buyers)?;
        self.write_rows(bids)?;
        self.write_rows(deposits)?;
        self.write_snapshots(&vault_history, &unread, &mut journal)?;
        drop(vault_history);
        self.write_snapshots(&lp_history, &unread, &mut journal)?;
        drop(lp_history);
        drop(unread);
        drop(entries);
        self.write_journal(journal)?;
        self.write_claims(&claims)
    }

    /// Executes a writing `plan` with `arrays` as its parameters, freed once it has run.
    fn execute_arrays(&mut self, plan: impl Into<PlanKey>, arrays: TextArrays) -> StoreResult<()> {
        arrays
            .with_params(|args| self.execute(plan, args))
            .map(drop)
    }

    fn write_rows<R: Row>(&mut self, writes: Writes<R>) -> StoreResult<()> {
        self.table_op(TableOp::Insert, &writes.inserts)?;
        self.table_op(TableOp::Update, &writes.updates)
    }

    fn table_op<R: Row>(&mut self, op: TableOp, rows: &[R]) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.execute_arrays(PlanKey::Table(R::TABLE, op), row_arrays(rows))
    }

    /// A history table's rows. Those written unread (`unread`) are new, the common case, or
    /// there before (another writer's, a replay's), which only the table knows. First, in a
    /// subtransaction, they are inserted: if none was there (no unique violation), they are
    /// journaled as created, and that is all. Otherwise the subtransaction is rolled back; the
    /// existing rows are probed and journaled from the table, and every row is upserted.
    /// A plain INSERT, not ON CONFLICT DO NOTHING: no speculative insertion (a second index
    /// probe and a confirmation record per row), which was a third of the statement's cost.
    fn write_snapshots<R: Row>(
        &mut self,
        rows: &[R],
        unread: &[&JournalEntry],
        journal: &mut GroupedJournal,
    ) -> StoreResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let unread: Vec<&JournalEntry> = unread
            .iter()
            .copied()
            .filter(|e| e.image.table() == R::TABLE)
            .collect();
        if !unread.is_empty() {
            let all_new =
                crate::transaction::unless_duplicate(|| self.table_op(TableOp::Insert, rows))?;
            if all_new {
                for entry in unread {
                    entry.image.journal_into(&entry.block, journal);
                }
                return Ok(());
            }
            self.journal_existing(R::TABLE, &unread, journal)?;
        }
        self.table_op(TableOp::Upsert, rows)
    }

    /// The before-images of rows written unread: those the table holds are journaled from it,
    /// one journal row each; the others as created.
    fn journal_existing(
        &mut self,
        table: Table,
        entries: &[&JournalEntry],
        journal: &mut GroupedJournal,
    ) -> StoreResult<()> {
        let existing = self.existing(table, entries)?;
        let key_width = table.info().key.len();
        let mut stored = TextArrays::new(key_width + 1, existing.len());
        for (i, entry) in entries.iter().enumerate() {
            if existing.contains(&(i + 1)) {
                stored.push_text(0, &entry.block);
                stored.push_key(1, entry.image.key_ref());
            } else {
                entry.image.journal_into(&entry.block, journal);
            }
        }
        if existing.is_empty() {
            return Ok(());
        }
        self.execute_arrays(PlanKey::Table(table, TableOp::JournalFromTable), stored)
    }

    fn write_journal(&mut self, journal: GroupedJournal) -> StoreResult<()> {
        let rows = journal.into_rows();
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
        self.execute_arrays(Plan::JournalImages, arrays)
    }

    /// The 1-based positions of `entries` whose rows exist in `table`.
    fn existing(&mut self, table: Table, entries: &[&JournalEntry]) -> StoreResult<HashSet<usize>> {
        let mut keys = TextArrays::new(table.info().key.len(), entries.len());
        for entry in entries {
            keys.push_key(0, entry.image.key_ref());
        }
        let positions = keys.with_params(|args| {
            let plan = PlanKey::Table(table, TableOp::ExistingKeys);
            self.query(plan, args, "journal", |c| Ok(c.u64()? as usize))
        })?;
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
        self.execute_arrays(Plan::ClaimEvents, arrays)
    }
}
