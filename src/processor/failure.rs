//! The failure policy's bookkeeping (`event_processor.failed_blocks`): a block that failed
//! under `defer` (or in the worker) is recorded, and while that record is open processing
//! halts there. `retry_block` and `skip_block` resolve it; a block that leaves the chain
//! resolves itself.

use super::{read_block, read_text, Processor, ProcessorError};
use crate::protocol::StoreResult;
use crate::store::{t, Columns, Plan};

/// A block that could not be applied: where (block, vault, event nonce, field) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub block_hash: String,
    pub block_number: Option<u64>,
    pub vault: Option<String>,
    pub event_nonce: Option<i64>,
    pub field: Option<String>,
    pub sqlstate: String,
    pub message: String,
    /// Which path met it: "trigger", "worker", "retry_block", "skip_block".
    pub found_by: &'static str,
}

impl Failure {
    /// A failure of block `block_hash` known only by its message (a PostgreSQL ERROR).
    pub fn at_block(
        block_hash: &str,
        sqlstate: String,
        message: String,
        found_by: &'static str,
    ) -> Failure {
        Failure {
            block_hash: crate::codec::canonical_or_raw(block_hash),
            block_number: None,
            vault: None,
            event_nonce: None,
            field: None,
            sqlstate,
            message,
            found_by,
        }
    }

    /// A failure described by a processor error: the event's context when there is one.
    pub fn of_error(
        block_hash: &str,
        error: &ProcessorError,
        sqlstate: String,
        found_by: &'static str,
    ) -> Failure {
        let mut failure = Failure::at_block(block_hash, sqlstate, error.to_string(), found_by);
        // The event's block: a catch-up may fail in a block before the one asked for.
        if let ProcessorError::Event(e) = error {
            failure.block_hash = e.context.block_hash.to_string();
            failure.block_number = Some(e.context.block_number);
            failure.vault = Some(e.context.vault.to_string());
            failure.event_nonce = Some(e.context.event_nonce);
            failure.field = e.field().map(str::to_string);
        }
        failure
    }
}

/// The halt: the block whose failure is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Halt {
    pub block_hash: String,
    pub block_number: Option<u64>,
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.block_number {
            Some(n) => write!(f, "block {n} ({})", self.block_hash),
            None => write!(f, "block {}", self.block_hash),
        }
    }
}

fn read_halt(c: &mut Columns) -> StoreResult<Halt> {
    let block_hash = c.text()?;
    let number = c.text()?;
    Ok(Halt {
        block_hash,
        block_number: number.parse().ok(),
    })
}

impl Processor<'_, '_> {
    /// The open failure processing halts at, if any.
    pub fn halt(&mut self) -> Result<Option<Halt>, ProcessorError> {
        self.one(Plan::OpenFailure, vec![], read_halt)
    }

    /// Records `failure` as the halt; a failure already open stays the halt (returns false).
    pub fn record_failure(&mut self, failure: &Failure) -> Result<bool, ProcessorError> {
        let args = vec![
            t(&failure.block_hash),
            failure.block_number.map(|n| n.to_string()),
            failure.vault.clone(),
            failure.event_nonce.map(|n| n.to_string()),
            failure.field.clone(),
            t(&failure.sqlstate),
            t(&failure.message),
            t(failure.found_by),
        ];
        Ok(self.one(Plan::RecordFailure, args, read_text)?.is_some())
    }

    /// Failures whose block is no longer a MINED block: resolved, the halt is lifted.
    pub fn resolve_failures_left_chain(&mut self) -> Result<Vec<String>, ProcessorError> {
        Ok(self
            .db()
            .rows(Plan::ResolveFailuresLeftChain, vec![], read_text)?)
    }

    /// The halt must be at `hash`: the block `retry_block` / `skip_block` act on.
    fn halted_at(&mut self, hash: &str) -> Result<Halt, ProcessorError> {
        self.lock()?;
        match self.halt()? {
            Some(halt) if halt.block_hash == hash => Ok(halt),
            Some(halt) => Err(ProcessorError::HaltedElsewhere {
                hash: hash.to_string(),
                halt: halt.to_string(),
            }),
            None => Err(ProcessorError::NotHalted(hash.to_string())),
        }
    }

    /// Applies the block processing halted at and lifts the halt. An error leaves the halt.
    pub fn retry_block(&mut self, hash: &str) -> Result<super::BlockOutcome, ProcessorError> {
        let hash = crate::codec::canonical_or_raw(hash);
        self.halted_at(&hash)?;
        let outcome = self.process_block(&hash)?;
        self.db().rows(
            Plan::ResolveFailure,
            vec![t(&hash), t("retried")],
            read_text,
        )?;
        Ok(outcome)
    }

    /// Passes over the block processing halted at: it is recorded as applied with none of its
    /// events (so its children can follow, and a revert of it is a no-op), and the halt is
    /// lifted.
    pub fn skip_block(&mut self, hash: &str) -> Result<u64, ProcessorError> {
        let hash = crate::codec::canonical_or_raw(hash);
        self.halted_at(&hash)?;
        let block = self
            .one(Plan::BlockByHash, vec![t(&hash)], read_block)?
            .ok_or_else(|| ProcessorError::UnknownBlock(hash.clone()))?;
        self.db().rows(
            Plan::RecordSkippedBlock,
            vec![t(&hash), t(block.number), Some(block.parent_hash)],
            |_| Ok(()),
        )?;
        self.db().rows(
            Plan::ResolveFailure,
            vec![t(&hash), t("skipped")],
            read_text,
        )?;
        Ok(block.number)
    }
}
