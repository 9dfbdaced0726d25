//! Processing blocks and driver events in the database: the chain-order rules, the ledger
//! of applied blocks, and the events of a block or catch-up range, handed to the pure
//! `protocol::apply_rows` over the SPI store.

mod context;
mod driver;
mod error;
mod failure;
mod finality;
mod recompute;
mod revert;
mod survey;

pub use driver::process_next_driver_event;
pub use error::ProcessorError;
pub use failure::Failure;
pub use revert::RevertOutcome;
pub use survey::Survey;

use crate::protocol::{apply_rows, ApplyReport, EventError, EventRow, ProcessError, Settings};
use crate::protocol::{CachedStore, StoreError, StoreResult};
use crate::store::catalog::{self, InputTable};
use crate::store::{t, Columns, Plan, SpiStore};
use context::{read_block_context, BlockContext};
use std::collections::HashSet;

/// A `starknet_blocks` row.
#[derive(Debug, Clone)]
pub struct BlockRow {
    pub number: u64,
    pub hash: String,
    pub parent_hash: String,
    pub status: String,
}

fn read_block(c: &mut Columns) -> StoreResult<BlockRow> {
    Ok(BlockRow {
        number: c.u64()?,
        hash: c.text()?,
        parent_hash: c.text()?,
        status: c.text()?,
    })
}

pub(crate) fn read_text(c: &mut Columns) -> StoreResult<String> {
    c.text()
}

/// An events row whose arrays may still hold NULLs (reported with the event's context), or
/// whose timestamp or nonce is not a u64 (reported with the block and vault).
struct RawEventRow {
    row: EventRow,
    null_at: Option<String>,
    bad_column: Option<(&'static str, String)>,
}

fn read_event(c: &mut Columns) -> StoreResult<RawEventRow> {
    let mut bad_column = None;
    let block_number = c.u64()?;
    let block_hash = c.text()?;
    let block_timestamp = c
        .opt_text()?
        .map(|t| integer("starknet_blocks.timestamp", t, &mut bad_column));
    let vault_address = c.text()?;
    let event_nonce = integer("events.event_nonce", c.text()?, &mut bad_column);
    let event_name = c.text()?;
    let (keys, null_key) = without_nulls(c.text_array()?, "keys");
    let (data, null_data) = without_nulls(c.text_array()?, "data");
    Ok(RawEventRow {
        null_at: null_key.or(null_data),
        bad_column,
        row: EventRow {
            block_number,
            block_hash: block_hash.into(),
            block_timestamp,
            vault_address: vault_address.into(),
            event_nonce,
            event_name,
            keys,
            data,
            transaction_hash: c.text()?,
            from_address: c.opt_text()?,
        },
    })
}

/// `text` as an integer; if it is not one, the first such column is noted (and 0 stands in
/// until `checked_rows` turns the note into an error).
fn integer<T: std::str::FromStr + Default>(
    column: &'static str,
    text: String,
    bad_column: &mut Option<(&'static str, String)>,
) -> T {
    text.parse().unwrap_or_else(|_| {
        bad_column.get_or_insert((column, text));
        T::default()
    })
}

fn without_nulls(felts: Vec<Option<String>>, array: &str) -> (Vec<String>, Option<String>) {
    let null_at = felts
        .iter()
        .position(Option::is_none)
        .map(|i| format!("{array}[{i}]"));
    (
        felts.into_iter().map(Option::unwrap_or_default).collect(),
        null_at,
    )
}

/// Events rows as `EventRow`s; a NULL array element is an error naming the event, a timestamp
/// or nonce out of range one naming the block and vault.
fn checked_rows(raw: Vec<RawEventRow>) -> Result<Vec<EventRow>, ProcessorError> {
    raw.into_iter()
        .map(|r| match (r.bad_column, r.null_at) {
            (Some((column, value)), _) => Err(ProcessorError::BadEventColumn {
                number: r.row.block_number,
                hash: r.row.block_hash.to_string(),
                vault: r.row.vault_address.to_string(),
                column,
                value,
            }),
            (None, None) => Ok(r.row),
            (None, Some(location)) => Err(ProcessError {
                context: Box::new(r.row.context()),
                error: EventError::Decode(crate::events::DecodeError::NullElement {
                    event: r.row.event_name.clone(),
                    location,
                }),
            }
            .into()),
        })
        .collect()
}

/// Processes blocks over a write-back cache of the state tables: handlers read and write the
/// cache; `flush` writes what changed as sets. Everything else (blocks, ledger, journal
/// replay) goes to the database directly.
pub struct Processor<'a, 'conn> {
    store: CachedStore<SpiStore<'a, 'conn>>,
    pub settings: ProcessorSettings,
    /// Blocks of the unflushed batch that are final or were pruned in it: their journal
    /// entries are not written.
    final_blocks: HashSet<String>,
}

/// What the processor is told, read once per call from the session's settings
/// (settings.rs): it reads no GUC itself.
#[derive(Debug, Clone, Copy)]
pub struct ProcessorSettings {
    /// For the handlers (spec R6).
    pub protocol: Settings,
    /// Blocks below the newest indexed one that keep their revert journal.
    pub finality_depth: u64,
    /// Blocks per batch when the trigger path catches up pending blocks first.
    pub batch_size: i64,
}

/// What applying a batch of pending blocks did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub blocks: usize,
    pub events: usize,
    pub warnings: Vec<crate::protocol::Warning>,
    /// The batch stopped at a block that must wait for its parent (`ProcessorError::is_wait`):
    /// blocks are pending behind a gap in the chain.
    pub waiting: Option<ProcessorError>,
}

/// What processing one block did.
#[derive(Debug, Default)]
pub struct BlockOutcome {
    pub number: u64,
    pub hash: String,
    pub already_applied: bool,
    pub report: ApplyReport,
}

impl<'a, 'conn> Processor<'a, 'conn> {
    pub fn new(store: SpiStore<'a, 'conn>, settings: ProcessorSettings) -> Self {
        Processor {
            store: CachedStore::new(store),
            settings,
            final_blocks: HashSet::new(),
        }
    }

    /// The database, for statements outside the state cache.
    pub fn db(&mut self) -> &mut SpiStore<'a, 'conn> {
        self.store.source()
    }

    /// Writes the cached changes (journal, state rows, ledger) as sets.
    pub fn flush(&mut self) -> Result<(), ProcessorError> {
        let final_blocks = std::mem::take(&mut self.final_blocks);
        if self.store.has_changes() {
            let mut changes = self.store.take_changes();
            // No reorg reaches a final block: its before-images would only be pruned.
            changes
                .journal
                .retain(|e| !final_blocks.contains(&*e.block));
            self.db().write_changes(changes)?;
        } else {
            // Rows read but not written: drop them, the next batch re-reads.
            self.store.take_changes();
        }
        Ok(())
    }

    fn one<R>(
        &mut self,
        plan: Plan,
        args: Vec<Option<String>>,
        read: fn(&mut Columns) -> StoreResult<R>,
    ) -> Result<Option<R>, ProcessorError> {
        Ok(self.db().rows(plan, args, read)?.into_iter().next())
    }

    /// Serialises processors (trigger path, manual calls, worker) for this transaction.
    pub fn lock(&mut self) -> Result<(), ProcessorError> {
        self.db().rows(Plan::ProcessingLock, vec![], read_text)?;
        Ok(())
    }

    pub fn block_by_number(&mut self, number: &str) -> Result<Option<BlockRow>, ProcessorError> {
        self.require_table(InputTable::StarknetBlocks)?;
        self.one(
            Plan::BlockByNumber,
            vec![Some(number.to_string())],
            read_block,
        )
    }

    /// The indexer's tables, probed once per backend (store/catalog.rs).
    fn input_tables(&mut self) -> Result<catalog::InputTables, ProcessorError> {
        if let Some(tables) = catalog::cached() {
            return Ok(tables);
        }
        let tables = self
            .one(Plan::InputTables, vec![], |c| {
                Ok(catalog::InputTables {
                    starknet_blocks: c.boolean()?,
                    events: c.boolean()?,
                    driver_events: c.boolean()?,
                    events_have_from_address: c.boolean()?,
                })
            })?
            .ok_or_else(|| StoreError("the catalog probe returned no row".into()))?;
        catalog::remember(tables);
        Ok(tables)
    }

    fn require_table(&mut self, table: InputTable) -> Result<(), ProcessorError> {
        if self.input_tables()?.exists(table) {
            Ok(())
        } else {
            Err(ProcessorError::MissingInputTable(table))
        }
    }

    fn has_from_address(&mut self) -> Result<bool, ProcessorError> {
        Ok(self.input_tables()?.events_have_from_address)
    }

    /// Applies every canonical event of block `hash` and records the block as applied (spec
    /// §3.4). Parent before child; a block already applied is a no-op.
    pub fn process_block(&mut self, hash: &str) -> Result<BlockOutcome, ProcessorError> {
        let outcome = self.apply_block(hash)?;
        self.flush()?;
        Ok(outcome)
    }

    /// Applies up to `limit` pending MINED blocks in chain order (see `Plan::PendingRun`),
    /// writing their state changes once at the end: the catch-up path. A run of empty blocks
    /// that continues the applied chain is recorded with one statement.
    pub fn process_pending(&mut self, limit: i64) -> Result<BatchOutcome, ProcessorError> {
        self.require_table(InputTable::StarknetBlocks)?;
        self.require_table(InputTable::Events)?;
        self.lock()?;
        let pending = self
            .db()
            .rows(Plan::PendingRun, vec![t(limit)], read_pending)?;
        let mut batch = BatchOutcome::default();
        let mut i = 0;
        while i < pending.len() {
            if let (run, Some(ctx)) = self.empty_run(&pending[i..])? {
                self.record_empty_run(&pending[i..i + run], &ctx)?;
                batch.blocks += run;
                i += run;
                continue;
            }
            let outcome = match self.apply_block_locked(&pending[i].hash) {
                // Refused before anything of it was written; the blocks before it stand.
                Err(wait) if wait.is_wait() => {
                    batch.waiting = Some(wait);
                    break;
                }
                other => other?,
            };
            if !outcome.already_applied {
                batch.blocks += 1;
                batch.events += outcome.report.applied;
                batch.warnings.extend(outcome.report.warnings);
            }
            i += 1;
        }
        self.flush()?;
        Ok(batch)
    }

    /// The run of empty blocks at the start of `pending` that needs none of `apply_block`'s
    /// checks (they are MINED, above every applied block, and in chain order): each empty and
    /// the child of the one before, the first the child of the newest applied block. Returns
    /// its length (0: no run of two or more) and the first block's context.
    fn empty_run(
        &mut self,
        pending: &[PendingBlock],
    ) -> Result<(usize, Option<BlockContext>), ProcessorError> {
        if pending.len() < 2 || pending[0].has_events || pending[1].has_events {
            return Ok((0, None));
        }
        let ctx = self.block_context(&pending[0].hash)?;
        // One applied block per height: the parent is the newest applied block if both are
        // at the same height.
        let parent_is_newest = ctx.parent_applied
            && ctx.parent.as_ref().map(|p| p.number) == ctx.newest_applied.map(|(n, _)| n);
        if !parent_is_newest {
            return Ok((0, None));
        }
        let mut run = 1;
        while run < pending.len()
            && !pending[run].has_events
            && pending[run].parent_hash == pending[run - 1].hash
        {
            run += 1;
        }
        Ok((run, Some(ctx)))
    }

    /// Records a run of empty blocks as applied: what `apply_block` does for each, as a set.
    /// `ctx` is the first block's context.
    fn record_empty_run(
        &mut self,
        run: &[PendingBlock],
        ctx: &BlockContext,
    ) -> Result<(), ProcessorError> {
        let depth = self.settings.finality_depth;
        let previous = ctx.newest_applied.and_then(|(_, w)| w);
        let mut watermark = previous;
        let mut columns: [Vec<Option<String>>; 5] = Default::default();
        for b in run {
            watermark = finality::watermark_after(b.number, watermark, depth);
            let row = [
                Some(b.hash.clone()),
                t(b.number),
                Some(b.parent_hash.clone()),
                t(finality::is_final(b.number, ctx.newest_indexed, depth)),
                watermark.map(|w| w.to_string()),
            ];
            for (column, cell) in columns.iter_mut().zip(row) {
                column.push(cell);
            }
        }
        self.db().execute(
            Plan::RecordEmptyBlocks,
            columns
                .into_iter()
                .map(pgrx::datum::DatumWithOid::from)
                .collect(),
        )?;
        self.prune_range(previous, watermark)?;
        Ok(())
    }

    /// The trigger path's block: MINED blocks before it that are still pending (inserted while
    /// the trigger path was off, or left to a worker that has not got there yet) are applied
    /// first, in chain order and in batches, in the caller's transaction; then the block. At a
    /// gap in the chain (`ProcessorError::is_wait`) it stops, with the blocks before it applied.
    pub fn process_block_after_pending(
        &mut self,
        hash: &str,
    ) -> Result<BlockOutcome, ProcessorError> {
        match self.apply_block(hash) {
            // Refused before anything was written: catch up, then the block itself.
            Err(ProcessorError::ParentNotApplied { .. }) => {
                let limit = self.settings.batch_size;
                let mut caught_up = BatchOutcome::default();
                loop {
                    let batch = self.process_pending(limit)?;
                    caught_up.blocks += batch.blocks;
                    caught_up.events += batch.events;
                    caught_up.warnings.extend(batch.warnings);
                    if let Some(wait) = batch.waiting {
                        self.flush()?;
                        return Err(wait);
                    }
                    if (batch.blocks as i64) < limit {
                        break;
                    }
                }
                // Applied by the catch-up, unless it is not next in chain order (an error).
                let mut outcome = self.process_block(hash)?;
                if outcome.already_applied && caught_up.blocks > 0 {
                    outcome.already_applied = false;
                    outcome.report.applied = caught_up.events;
                    outcome.report.warnings = caught_up.warnings;
                }
                Ok(outcome)
            }
            other => {
                let outcome = other?;
                self.flush()?;
                Ok(outcome)
            }
        }
    }

    /// Up to `limit` pending blocks (MINED, above the newest applied one), in chain order.
    pub fn pending_blocks(&mut self, limit: i64) -> Result<Vec<String>, ProcessorError> {
        self.require_table(InputTable::StarknetBlocks)?;
        Ok(self.db().rows(
            Plan::PendingBlocks,
            vec![Some(limit.to_string())],
            read_text,
        )?)
    }

    /// `process_block` without the flush: the block's state changes stay in the cache, so a
    /// batch of blocks is written with one set of statements (`flush`).
    pub fn apply_block(&mut self, hash: &str) -> Result<BlockOutcome, ProcessorError> {
        self.require_table(InputTable::StarknetBlocks)?;
        self.require_table(InputTable::Events)?;
        self.lock()?;
        self.apply_block_locked(hash)
    }

    fn block_context(&mut self, hash: &str) -> Result<BlockContext, ProcessorError> {
        Ok(self
            .one(
                Plan::BlockContext,
                vec![Some(hash.to_string())],
                read_block_context,
            )?
            .ok_or_else(|| StoreError("the block context returned no row".into()))?)
    }

    /// `apply_block` under the processing lock, with the input tables checked.
    fn apply_block_locked(&mut self, hash: &str) -> Result<BlockOutcome, ProcessorError> {
        let hash = crate::codec::canonical_or_raw(hash);
        let mut ctx = self.block_context(&hash)?;
        let (number, parent_hash) = match &ctx.block {
            Some(b) if b.status == "REVERTED" => {
                return Err(ProcessorError::Reverted {
                    number: b.number,
                    hash: b.hash.clone(),
                })
            }
            Some(b) => (b.number, Some(b.parent_hash.clone())),
            // The logger stores a vault's deployment block without a block row (L8).
            None => match self.one(Plan::EventBlockNumber, vec![Some(hash.clone())], |c| {
                c.u64()
            })? {
                Some(number) => {
                    ctx.applied_at_height = self.one(
                        Plan::AppliedAtHeight,
                        vec![Some(number.to_string())],
                        read_text,
                    )?;
                    (number, None)
                }
                None => return Err(ProcessorError::UnknownBlock(hash)),
            },
        };
        let mut outcome = BlockOutcome {
            number,
            hash: hash.clone(),
            ..Default::default()
        };
        if ctx.applied {
            outcome.already_applied = true;
            return Ok(outcome);
        }
        check_chain_order(number, &hash, parent_hash.as_deref(), &ctx)?;

        // The block row's EXISTS probe says whether there are events (L8 blocks: look).
        if ctx.has_events || ctx.block.is_none() {
            let plan = if self.has_from_address()? {
                Plan::EventsOfBlockWithFrom
            } else {
                Plan::EventsOfBlock
            };
            let rows = checked_rows(self.db().rows(
                plan,
                vec![Some(hash.clone()), Some(number.to_string())],
                read_event,
            )?)?;
            outcome.report = apply_rows(&mut self.store, rows, self.settings.protocol)?;
        }
        let depth = self.settings.finality_depth;
        let is_final = finality::is_final(number, ctx.newest_indexed, depth);
        if is_final {
            self.final_blocks.insert(hash.clone());
        }
        let previous = ctx.newest_applied.and_then(|(_, w)| w);
        let watermark = finality::watermark_after(number, previous, depth);
        let mut record = vec![
            Some(hash),
            Some(number.to_string()),
            parent_hash,
            Some((outcome.report.applied + outcome.report.skipped).to_string()),
            t(is_final),
            watermark.map(|w| w.to_string()),
        ];
        match finality::prune_bounds(previous, watermark) {
            Some((low, high)) => {
                record.extend([low, high]);
                let pruned = self
                    .db()
                    .rows(Plan::RecordBlockAndPrune, record, read_text)?;
                self.delete_journals(pruned)?;
            }
            None => {
                self.db().rows(Plan::RecordBlock, record, |_| Ok(()))?;
            }
        }
        Ok(outcome)
    }

    /// Spec §1.4 CatchupVault: the vault's canonical events between two blocks, inclusive,
    /// skipping those already applied.
    pub fn catch_up_vault(
        &mut self,
        vault: &str,
        start_block_hash: Option<&str>,
        end_block_hash: Option<&str>,
    ) -> Result<ApplyReport, ProcessorError> {
        self.lock()?;
        let bound = |p: &mut Self, hash: Option<&str>| -> Result<Option<u64>, ProcessorError> {
            match hash {
                Some(h) => Ok(p
                    .one(Plan::BlockByHash, vec![Some(h.to_string())], read_block)?
                    .map(|b| b.number)),
                None => Ok(None),
            }
        };
        let lower = bound(self, start_block_hash)?.unwrap_or(0);
        let upper = bound(self, end_block_hash)?;
        let plan = if self.has_from_address()? {
            Plan::EventsOfVaultRangeWithFrom
        } else {
            Plan::EventsOfVaultRange
        };
        let args = vec![
            Some(vault.to_string()),
            Some(lower.to_string()),
            upper.map(|u| u.to_string()),
        ];
        let rows = checked_rows(self.db().rows(plan, args, read_event)?)?;
        let report = apply_rows(&mut self.store, rows, self.settings.protocol)?;
        self.flush()?;
        Ok(report)
    }
}

/// Parent before child: if the parent is a known MINED block, it must have been applied,
/// unless nothing was applied yet (the first block the extension sees). And no other block may
/// already be applied at this height.
fn check_chain_order(
    number: u64,
    hash: &str,
    parent_hash: Option<&str>,
    ctx: &BlockContext,
) -> Result<(), ProcessorError> {
    if let Some(applied_hash) = &ctx.applied_at_height {
        return Err(ProcessorError::HeightTaken {
            number,
            hash: hash.to_string(),
            applied_hash: applied_hash.clone(),
        });
    }
    let Some(parent_hash) = parent_hash else {
        return Ok(());
    };
    let Some(parent) = ctx.parent.as_ref() else {
        // A parent nobody indexed is fine for the first block the extension sees, or for one
        // that continues the applied chain's height. Above that, heights are missing: the
        // indexer has not committed them yet (concurrent sessions commit out of order).
        return match ctx.newest_applied {
            Some((newest, _)) if number > newest + 1 => Err(ProcessorError::ParentNotIndexed {
                number,
                hash: hash.to_string(),
                parent_hash: parent_hash.to_string(),
            }),
            _ => Ok(()),
        };
    };
    if parent.status != "MINED" || ctx.parent_applied || ctx.newest_applied.is_none() {
        return Ok(());
    }
    Err(ProcessorError::ParentNotApplied {
        number,
        hash: hash.to_string(),
        parent_number: parent.number,
        parent_hash: parent.hash.clone(),
        parent_pending: ctx
            .newest_applied
            .is_some_and(|(newest, _)| parent.number > newest),
    })
}

/// A pending block as `Plan::PendingRun` lists it.
struct PendingBlock {
    hash: String,
    number: u64,
    parent_hash: String,
    has_events: bool,
}

fn read_pending(c: &mut Columns) -> StoreResult<PendingBlock> {
    Ok(PendingBlock {
        hash: c.text()?,
        number: c.u64()?,
        parent_hash: c.text()?,
        has_events: c.boolean()?,
    })
}
