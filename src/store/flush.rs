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

/// One journal row per (block, table) for the rows the block created: before NULL, pk a JSON
/// array of their keys.
fn created_groups(entries: &[&JournalEntry]) -> Vec<Vec<Option<String>>> {
    let mut groups: Vec<((String, Table), Vec<String>)> = Vec::new();
    let mut index: std::collections::HashMap<(String, Table), usize> = Default::default();
    for entry in entries {
        let id = (entry.block.clone(), entry.image.table());
        let pk = entry.image.record().pk;
        match index.get(&id) {
            Some(&at) => groups[at].1.push(pk),
            None => {
                index.insert(id.clone(), groups.len());
                groups.push((id, vec![pk]));
            }
        }
    }
    groups
        .into_iter()
        .map(|((block, table), keys)| {
            vec![
                Some(block),
                Some(table.info().name.to_string()),
                Some(format!("[{}]", keys.join(", "))),
                None,
            ]
        })
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

    /// Every row is journaled with its before-image (NULL: created). Rows written without being
    /// read (history snapshots, no foreign keys) are probed: the few that exist are journaled
    /// from the table, the created ones as one entry per block and table (an array of keys)
    /// that revert deletes with one statement.
    fn write_journal(&mut self, journal: &[JournalEntry]) -> StoreResult<()> {
        let (probed, in_memory): (Vec<_>, Vec<_>) =
            journal.iter().partition(|e| e.before_in_source);
        let mut created: Vec<&JournalEntry> = Vec::new();
        let mut images: Vec<Vec<Option<String>>> = Vec::new();
        // One row per entry, in write order: revert replays newest-first, so a row created
        // after its parent (a queued row after its round) is deleted before it (foreign keys).
        for entry in in_memory {
            let record = entry.image.record();
            images.push(vec![
                Some(entry.block.clone()),
                Some(record.table.info().name.to_string()),
                Some(record.pk),
                record.before,
            ]);
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
            let (stored, absent): (Vec<_>, Vec<_>) = candidates
                .into_iter()
                .enumerate()
                .partition(|(i, _)| existing.contains(&(i + 1)));
            created.extend(absent.into_iter().map(|(_, e)| e));
            if !stored.is_empty() {
                let rows: Vec<Vec<Option<String>>> = stored
                    .iter()
                    .map(|(_, e)| {
                        let mut row = vec![Some(e.block.clone())];
                        row.extend(e.image.key_cells().iter().map(|c| c.sql_text()));
                        row
                    })
                    .collect();
                self.execute(
                    PlanKey::Table(table, TableOp::JournalFromTable),
                    column_arrays(&rows, table.info().key.len() + 1),
                )?;
            }
        }
        images.extend(created_groups(&created));
        if images.is_empty() {
            return Ok(());
        }
        self.execute(Plan::JournalImages, column_arrays(&images, 4))
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
            .map(|e| e.image.key_cells().iter().map(|c| c.sql_text()).collect())
            .collect();
        let positions = self.query(
            PlanKey::Table(table, TableOp::ExistingKeys),
            column_arrays(&keys, table.info().key.len()),
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
        self.execute(Plan::ClaimEvents, column_arrays(&rows, 5))
            .map(drop)
    }
}
