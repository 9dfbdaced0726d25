//! Recomputing the state from the events (spec §3 over the canonical chain): `verify` compares
//! the recomputation (in memory, the live tables untouched) with the live tables; `rebuild`
//! replaces the live state, ledger and journals with it, in the caller's transaction.

use super::{checked_rows, read_event, Processor, ProcessorError};
use crate::protocol::diff::{differences, Difference};
use crate::protocol::dump::dump_queries;
use crate::protocol::tables::Table;
use crate::protocol::{apply_rows, MemoryStore, StoreResult};
use crate::store::catalog::InputTable;
use crate::store::{t, Columns, Plan, PlanKey, TableOp};

/// An applied block, as `applied_blocks` records it.
struct AppliedBlock {
    hash: String,
    number: u64,
    parent_hash: String,
    skipped: bool,
}

fn read_applied_block(c: &mut Columns) -> StoreResult<AppliedBlock> {
    Ok(AppliedBlock {
        hash: c.text()?,
        number: c.u64()?,
        parent_hash: c.text()?,
        skipped: c.boolean()?,
    })
}

/// What `rebuild` did.
#[derive(Debug, Default)]
pub struct RebuildOutcome {
    pub blocks: usize,
    pub events: usize,
    /// Blocks recorded again as skipped (skip_block), none of their events applied.
    pub skipped: usize,
    /// Applied blocks that are no longer canonical (REVERTED): left out.
    pub dropped: usize,
}

impl Processor<'_, '_> {
    fn applied_blocks_in_order(&mut self) -> Result<Vec<AppliedBlock>, ProcessorError> {
        Ok(self
            .db()
            .rows(Plan::AppliedBlocksInOrder, vec![], read_applied_block)?)
    }

    /// The state the applied blocks' events give, computed in memory: every applied block in
    /// chain order, each with the events the ledger says were applied.
    fn recomputed_state(&mut self) -> Result<MemoryStore, ProcessorError> {
        let plan = if self.has_from_address()? {
            Plan::LedgerEventsOfBlockWithFrom
        } else {
            Plan::LedgerEventsOfBlock
        };
        let mut memory = MemoryStore::default();
        for block in self.applied_blocks_in_order()? {
            if block.skipped {
                continue;
            }
            let rows = checked_rows(self.db().rows(
                plan,
                vec![t(&block.hash), t(block.number)],
                read_event,
            )?)?;
            apply_rows(&mut memory, rows, self.settings.protocol)?;
        }
        Ok(memory)
    }

    /// Every difference between the live state tables and the state recomputed from the
    /// events of the applied blocks. Holds the processing lock, so nothing changes meanwhile.
    pub fn verify(&mut self) -> Result<Vec<Difference>, ProcessorError> {
        self.lock()?;
        let expected = self.recomputed_state()?.dump();
        let mut live = Vec::new();
        for query in dump_queries() {
            live.extend(self.db().select_lines(&query)?);
        }
        Ok(differences(&live, &expected))
    }

    /// Replaces the state tables, the ledger and the journals with what processing the applied
    /// blocks again, in chain order, gives (blocks recorded as skipped stay skipped; blocks no
    /// longer canonical are left out). `progress` is told every `every` blocks.
    pub fn rebuild(
        &mut self,
        every: usize,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<RebuildOutcome, ProcessorError> {
        self.require_table(InputTable::StarknetBlocks)?;
        self.lock()?;
        let blocks = self.applied_blocks_in_order()?;
        // Children first: queued liquidity references its round.
        for table in Table::ALL.iter().rev() {
            self.db()
                .execute(PlanKey::Table(*table, TableOp::Clear), vec![])?;
        }
        self.db()
            .rows(Plan::ClearBookkeeping, vec![], |c| c.text())?;
        let mut outcome = RebuildOutcome::default();
        for (i, block) in blocks.iter().enumerate() {
            if block.skipped {
                self.db().rows(
                    Plan::RecordSkippedBlock,
                    vec![t(&block.hash), t(block.number), t(&block.parent_hash)],
                    |_| Ok(()),
                )?;
                outcome.skipped += 1;
            } else {
                match self.apply_block(&block.hash) {
                    Ok(applied) => {
                        outcome.blocks += 1;
                        outcome.events += applied.report.applied;
                    }
                    Err(ProcessorError::Reverted { .. }) => outcome.dropped += 1,
                    Err(e) => return Err(e),
                }
            }
            if (i + 1) % every.max(1) == 0 {
                self.flush()?;
                progress(i + 1, blocks.len());
            }
        }
        self.flush()?;
        progress(blocks.len(), blocks.len());
        Ok(outcome)
    }
}
