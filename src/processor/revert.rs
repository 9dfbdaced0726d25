//! Reverting blocks (spec §4): replay a block's journal of before-images newest-first, then
//! forget the block in the ledger. Only the newest applied block can go; pruned journals are
//! refused.

use super::{read_text, Processor, ProcessorError};
use crate::protocol::journal::Undo;
use crate::protocol::tables::Table;
use crate::protocol::{StoreError, StoreResult};
use crate::store::{t, texts, Columns, Plan, PlanKey, TableOp};

/// What reverting one block undid.
#[derive(Debug, Default)]
pub struct RevertOutcome {
    pub number: u64,
    pub hash: String,
    /// Events of the block that were applied and are now undone.
    pub events: usize,
    /// Journal rows replayed (state rows restored, deleted or re-inserted).
    pub rows: usize,
}

/// One journal row: what to undo in which table (protocol/journal.rs).
struct JournalRow {
    table: Table,
    undo: Undo,
}

fn read_journal_row(c: &mut Columns) -> StoreResult<JournalRow> {
    let name = c.text()?;
    let table = Table::from_name(&name)
        .ok_or_else(|| StoreError(format!("journal names unknown table {name:?}")))?;
    Ok(JournalRow {
        table,
        undo: Undo::from_columns(c.text()?, c.opt_text()?),
    })
}

fn read_pruned(c: &mut Columns) -> StoreResult<(u64, bool)> {
    Ok((c.u64()?, c.boolean()?))
}

fn read_block_ref(c: &mut Columns) -> StoreResult<(String, u64)> {
    Ok((c.text()?, c.u64()?))
}

impl Processor<'_, '_> {
    /// The applied state of `hash`: its height, whether its journal was pruned, and whether
    /// anything of it was applied at all (`None`).
    fn applied_state(&mut self, hash: &str) -> Result<Option<(u64, bool)>, ProcessorError> {
        if let Some(state) = self.one(
            Plan::AppliedBlockState,
            vec![Some(hash.to_string())],
            read_pruned,
        )? {
            return Ok(Some(state));
        }
        // Events applied by a vault catch-up, without the block being recorded as applied.
        Ok(self
            .one(
                Plan::AppliedEventsOfBlock,
                vec![Some(hash.to_string())],
                |c| c.u64(),
            )?
            .map(|n| (n, false)))
    }

    /// Reverts block `hash`, which must be the newest applied block.
    pub fn revert_block(&mut self, hash: &str) -> Result<RevertOutcome, ProcessorError> {
        self.lock()?;
        let hash = crate::codec::canonical_or_raw(hash);
        let Some((number, pruned)) = self.applied_state(&hash)? else {
            let known = self
                .one(Plan::BlockByHash, vec![Some(hash.clone())], read_text)?
                .is_some();
            return Err(if known {
                ProcessorError::NotApplied(hash)
            } else {
                ProcessorError::UnknownBlock(hash)
            });
        };
        let above = self.db().rows(
            Plan::AppliedAbove,
            vec![Some(number.to_string())],
            read_block_ref,
        )?;
        if !above.is_empty() {
            let newer = above
                .iter()
                .map(|(h, n)| format!("{n} ({h})"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ProcessorError::NewerBlocksApplied {
                number,
                hash,
                newer,
            });
        }
        if pruned {
            return Err(ProcessorError::JournalPruned {
                number,
                hash,
                depth: self.settings.finality_depth,
            });
        }
        self.replay_journal(number, hash)
    }

    fn replay_journal(
        &mut self,
        number: u64,
        hash: String,
    ) -> Result<RevertOutcome, ProcessorError> {
        let journal = self.db().rows(
            Plan::JournalOfBlock,
            vec![Some(hash.clone())],
            read_journal_row,
        )?;
        let rows = journal.len();
        for row in journal {
            self.restore(row)?;
        }
        let events = self
            .one(Plan::ForgetBlock, vec![Some(hash.clone())], |c| c.u64())?
            .ok_or_else(|| StoreError("forgetting the block returned no count".into()))?
            as usize;
        Ok(RevertOutcome {
            number,
            hash,
            events,
            rows,
        })
    }

    /// Puts one journal row's rows back as they were before the block: deleted if the block
    /// created them, else updated in place (so readers get the usual `*_update`
    /// notification), or re-inserted.
    fn restore(&mut self, row: JournalRow) -> Result<(), ProcessorError> {
        let (op, rows) = match row.undo {
            Undo::Delete(keys) => (TableOp::RestoreDelete, keys),
            Undo::Restore(images) => (TableOp::RestoreRows, images),
        };
        self.db()
            .execute(PlanKey::Table(row.table, op), texts(vec![Some(rows)]))?;
        Ok(())
    }

    /// Reverts applied blocks newest-first down to, not including, height `number`.
    pub fn revert_to(&mut self, number: u64) -> Result<Vec<RevertOutcome>, ProcessorError> {
        self.lock()?;
        let above = self.db().rows(
            Plan::AppliedAbove,
            vec![Some(number.to_string())],
            read_block_ref,
        )?;
        above
            .into_iter()
            .map(|(hash, _)| self.revert_block(&hash))
            .collect()
    }

    /// The block trigger's revert: `hash` left the canonical chain (status REVERTED, row
    /// deleted, or its height re-used by another hash). Newer applied blocks must have left it
    /// too; they are reverted first, newest-first. A block that was never applied is a no-op.
    pub fn revert_left_chain(&mut self, hash: &str) -> Result<Vec<RevertOutcome>, ProcessorError> {
        self.lock()?;
        let Some((number, _)) = self.applied_state(hash)? else {
            return Ok(vec![]);
        };
        let above = self.db().rows(
            Plan::AppliedAbove,
            vec![Some(number.to_string())],
            read_block_ref,
        )?;
        let mut outcomes = Vec::new();
        for (newer, newer_number) in above {
            if self
                .one(Plan::CanonicalBlock, vec![Some(newer.clone())], read_text)?
                .is_some()
            {
                return Err(ProcessorError::ChildStillCanonical {
                    number,
                    hash: hash.to_string(),
                    child_number: newer_number,
                    child_hash: newer,
                });
            }
            outcomes.push(self.revert_block(&newer)?);
        }
        outcomes.push(self.revert_block(hash)?);
        Ok(outcomes)
    }

    /// Deletes the journals of applied blocks deeper than the finality depth below `newest`.
    /// Returns how many blocks it pruned.
    pub fn prune_journal(&mut self, newest: u64) -> Result<usize, ProcessorError> {
        let depth = self.settings.finality_depth;
        let pruned = self
            .db()
            .rows(Plan::PruneBlocks, vec![t(newest), t(depth)], read_text)?;
        let count = pruned.len();
        self.delete_journals(pruned)?;
        Ok(count)
    }

    pub fn newest_applied(&mut self) -> Result<Option<u64>, ProcessorError> {
        self.one(Plan::NewestApplied, vec![], |c| c.u64())
    }
}
