//! Processing blocks and driver events in the database: the chain-order rules, the ledger
//! of applied blocks, and the events of a block or catch-up range, handed to the pure
//! `protocol::apply_rows` over the SPI store.

mod driver;
mod error;
mod failure;
mod recompute;
mod revert;

pub use driver::process_next_driver_event;
pub use error::ProcessorError;
pub use failure::Failure;
pub use revert::RevertOutcome;

use crate::protocol::{apply_rows, ApplyReport, EventError, EventRow, ProcessError, Settings};
use crate::protocol::{CachedStore, StoreResult};
use crate::store::{Columns, Plan, SpiStore};

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

/// An events row whose arrays may still hold NULLs (reported with the event's context).
struct RawEventRow {
    row: EventRow,
    null_at: Option<String>,
}

fn read_event(c: &mut Columns) -> StoreResult<RawEventRow> {
    let block_number = c.u64()?;
    let block_hash = c.text()?;
    let block_timestamp = c.opt_text()?.map(|t| t.parse().unwrap_or(0));
    let vault_address = c.text()?;
    let event_nonce = c.text()?.parse().unwrap_or(0);
    let event_name = c.text()?;
    let (keys, null_key) = without_nulls(c.text_array()?, "keys");
    let (data, null_data) = without_nulls(c.text_array()?, "data");
    Ok(RawEventRow {
        null_at: null_key.or(null_data),
        row: EventRow {
            block_number,
            block_hash,
            block_timestamp,
            vault_address,
            event_nonce,
            event_name,
            keys,
            data,
            transaction_hash: c.text()?,
            from_address: c.opt_text()?,
        },
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

/// Events rows as `EventRow`s; a NULL array element is an error naming the event.
fn checked_rows(raw: Vec<RawEventRow>) -> Result<Vec<EventRow>, ProcessorError> {
    raw.into_iter()
        .map(|r| match r.null_at {
            None => Ok(r.row),
            Some(location) => Err(ProcessError {
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
    pub settings: Settings,
}

/// What applying a batch of pending blocks did.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    pub blocks: usize,
    pub events: usize,
    pub warnings: Vec<crate::protocol::Warning>,
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
    pub fn new(store: SpiStore<'a, 'conn>, settings: Settings) -> Self {
        Processor {
            store: CachedStore::new(store),
            settings,
        }
    }

    /// The database, for statements outside the state cache.
    pub fn db(&mut self) -> &mut SpiStore<'a, 'conn> {
        self.store.source()
    }

    /// Writes the cached changes (journal, state rows, ledger) as sets.
    pub fn flush(&mut self) -> Result<(), ProcessorError> {
        if self.store.has_changes() {
            let changes = self.store.take_changes();
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
        self.require_table("starknet_blocks")?;
        self.one(
            Plan::BlockByNumber,
            vec![Some(number.to_string())],
            read_block,
        )
    }

    fn require_table(&mut self, table: &'static str) -> Result<(), ProcessorError> {
        let found = self.one(Plan::RegClass, vec![Some(format!("public.{table}"))], |c| {
            c.opt_text()
        })?;
        match found.flatten() {
            Some(_) => Ok(()),
            None => Err(ProcessorError::MissingInputTable(table)),
        }
    }

    fn has_from_address(&mut self) -> Result<bool, ProcessorError> {
        Ok(self
            .one(Plan::EventsHaveFromAddress, vec![], read_text)?
            .is_some())
    }

    /// Applies every canonical event of block `hash` and records the block as applied (spec
    /// §3.4). Parent before child; a block already applied is a no-op.
    pub fn process_block(&mut self, hash: &str) -> Result<BlockOutcome, ProcessorError> {
        let outcome = self.apply_block(hash)?;
        self.flush()?;
        Ok(outcome)
    }

    /// Applies up to `limit` pending MINED blocks in chain order (see `Plan::PendingBlocks`),
    /// writing their state changes once at the end: the catch-up path.
    pub fn process_pending(&mut self, limit: i64) -> Result<BatchOutcome, ProcessorError> {
        self.require_table("starknet_blocks")?;
        self.lock()?;
        let hashes = self.pending_blocks(limit)?;
        let mut batch = BatchOutcome::default();
        for hash in hashes {
            let outcome = self.apply_block(&hash)?;
            if !outcome.already_applied {
                batch.blocks += 1;
                batch.events += outcome.report.applied;
                batch.warnings.extend(outcome.report.warnings);
            }
        }
        self.flush()?;
        Ok(batch)
    }

    /// The trigger path's block: MINED blocks before it that are still pending (inserted while
    /// the trigger path was off, or left to a worker that has not got there yet) are applied
    /// first, in chain order and in batches, in the caller's transaction; then the block.
    pub fn process_block_after_pending(
        &mut self,
        hash: &str,
    ) -> Result<BlockOutcome, ProcessorError> {
        match self.apply_block(hash) {
            // Refused before anything was written: catch up, then the block itself.
            Err(ProcessorError::ParentNotApplied { .. }) => {
                let limit = crate::settings::WORKER_MAX_BLOCKS.get().max(1) as i64;
                let mut caught_up = BatchOutcome::default();
                loop {
                    let batch = self.process_pending(limit)?;
                    caught_up.blocks += batch.blocks;
                    caught_up.events += batch.events;
                    caught_up.warnings.extend(batch.warnings);
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
        self.require_table("starknet_blocks")?;
        Ok(self.db().rows(
            Plan::PendingBlocks,
            vec![Some(limit.to_string())],
            read_text,
        )?)
    }

    /// `process_block` without the flush: the block's state changes stay in the cache, so a
    /// batch of blocks is written with one set of statements (`flush`).
    pub fn apply_block(&mut self, hash: &str) -> Result<BlockOutcome, ProcessorError> {
        self.require_table("starknet_blocks")?;
        self.require_table("events")?;
        self.lock()?;
        let hash = crate::codec::canonical_or_raw(hash);
        let block = self.one(Plan::BlockByHash, vec![Some(hash.clone())], read_block)?;
        let (number, parent_hash) = match &block {
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
                Some(number) => (number, None),
                None => return Err(ProcessorError::UnknownBlock(hash)),
            },
        };
        let mut outcome = BlockOutcome {
            number,
            hash: hash.clone(),
            ..Default::default()
        };
        if self
            .one(Plan::AppliedBlock, vec![Some(hash.clone())], read_text)?
            .is_some()
        {
            outcome.already_applied = true;
            return Ok(outcome);
        }
        self.check_chain_order(number, &hash, parent_hash.as_deref())?;

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
        outcome.report = apply_rows(&mut self.store, rows, self.settings)?;
        self.db().rows(
            Plan::RecordBlock,
            vec![
                Some(hash),
                Some(number.to_string()),
                parent_hash,
                Some((outcome.report.applied + outcome.report.skipped).to_string()),
            ],
            |_| Ok(()),
        )?;
        self.prune_journal(number)?;
        Ok(outcome)
    }

    /// Parent before child: if the parent is a known MINED block, it must have been applied,
    /// unless nothing was applied yet (the first block the extension sees). And no other
    /// block may already be applied at this height.
    fn check_chain_order(
        &mut self,
        number: u64,
        hash: &str,
        parent_hash: Option<&str>,
    ) -> Result<(), ProcessorError> {
        if let Some(applied_hash) = self.one(
            Plan::AppliedAtHeight,
            vec![Some(number.to_string())],
            read_text,
        )? {
            return Err(ProcessorError::HeightTaken {
                number,
                hash: hash.to_string(),
                applied_hash,
            });
        }
        let Some(parent_hash) = parent_hash else {
            return Ok(());
        };
        let Some(parent) = self.one(
            Plan::BlockByHash,
            vec![Some(parent_hash.to_string())],
            read_block,
        )?
        else {
            return Ok(());
        };
        if parent.status != "MINED"
            || self
                .one(
                    Plan::AppliedBlock,
                    vec![Some(parent.hash.clone())],
                    read_text,
                )?
                .is_some()
        {
            return Ok(());
        }
        if self
            .one(Plan::AnyBlockApplied, vec![], read_text)?
            .is_none()
        {
            return Ok(());
        }
        Err(ProcessorError::ParentNotApplied {
            number,
            hash: hash.to_string(),
            parent_number: parent.number,
            parent_hash: parent.hash,
        })
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
        let report = apply_rows(&mut self.store, rows, self.settings)?;
        self.flush()?;
        Ok(report)
    }
}
