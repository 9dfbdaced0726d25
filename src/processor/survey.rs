//! What the background worker looks at before and between its passes: the applied blocks that
//! left the chain, the halt, pending blocks and driver events. Index lookups only, so that a
//! reaction to one new block, or the nap's check on an idle chain, stays cheap.

use super::failure::Halt;
use super::{read_text, Processor, ProcessorError};
use crate::store::catalog::InputTable;
use crate::store::{t, Plan};

/// The start of a pass, read in one transaction.
#[derive(Debug, Default)]
pub struct Survey {
    /// Applied blocks to revert, newest first.
    pub left_chain: Vec<String>,
    /// The failed block processing is halted at (failures whose block left the chain are
    /// resolved first).
    pub halt: Option<Halt>,
    /// A driver event waits in `driver_events`.
    pub driver_pending: bool,
}

/// How many left-chain blocks one survey lists (a reorg deeper than this takes more passes).
const LEFT_CHAIN_LIMIT: i64 = 1000;

impl Processor<'_, '_> {
    /// The work a pass has to do. Needs the indexer's tables.
    pub fn survey(&mut self) -> Result<Survey, ProcessorError> {
        self.require_table(InputTable::StarknetBlocks)?;
        let left_chain = if self.newest_left_chain()? {
            self.db()
                .rows(Plan::BlocksLeftChain, vec![t(LEFT_CHAIN_LIMIT)], read_text)?
        } else {
            vec![]
        };
        self.resolve_failures_left_chain()?;
        Ok(Survey {
            left_chain,
            halt: self.halt()?,
            driver_pending: self.driver_event_pending()?,
        })
    }

    /// Whether a pass would find work: the nap's check, read-only. While processing is halted,
    /// pending blocks wait, so they count only once the failed block left the chain.
    pub fn has_work(&mut self) -> Result<bool, ProcessorError> {
        self.require_table(InputTable::StarknetBlocks)?;
        if self.newest_left_chain()? {
            return Ok(true);
        }
        if let Some(halt) = self.halt()? {
            let canonical = self.one(Plan::CanonicalBlock, vec![t(&halt.block_hash)], read_text)?;
            return Ok(canonical.is_none());
        }
        Ok(!self.pending_blocks(1)?.is_empty() || self.driver_event_pending()?)
    }

    fn newest_left_chain(&mut self) -> Result<bool, ProcessorError> {
        Ok(self
            .one(Plan::NewestLeftChain, vec![], read_text)?
            .is_some())
    }

    fn driver_event_pending(&mut self) -> Result<bool, ProcessorError> {
        if !self.input_tables()?.driver_events {
            return Ok(false);
        }
        Ok(self
            .one(Plan::DriverEventPending, vec![], read_text)?
            .is_some())
    }
}
