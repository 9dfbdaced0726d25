//! `driver_events` (spec §1.4): the logger's queue of blocks to apply, reverts and vault
//! catch-ups, consumed in sequence order, each marked processed in the transaction that
//! carries it out.

use super::{read_text, Processor, ProcessorError};
use crate::protocol::{StoreResult, Warning};
use crate::store::catalog::InputTable;
use crate::store::{Columns, Plan};

#[derive(Debug)]
struct DriverEvent {
    id: i64,
    kind: String,
    block_hash: Option<String>,
    start_block_hash: Option<String>,
    end_block_hash: Option<String>,
    vault_address: Option<String>,
}

fn read_driver_event(c: &mut Columns) -> StoreResult<DriverEvent> {
    Ok(DriverEvent {
        id: c.i64()?,
        kind: c.text()?,
        block_hash: c.opt_text()?,
        start_block_hash: c.opt_text()?,
        end_block_hash: c.opt_text()?,
        vault_address: c.opt_text()?,
    })
}

/// What one driver event did, for the caller to report.
#[derive(Debug)]
pub struct DriverOutcome {
    pub summary: String,
    pub warnings: Vec<Warning>,
    /// Driver types this processor does not know: marked processed with a warning.
    pub unknown_type: bool,
}

/// Processes the oldest unprocessed driver event (by sequence_index, id), or returns `None`
/// when there is none. The caller's transaction carries the effects and the processed mark.
pub fn process_next_driver_event(
    p: &mut Processor,
) -> Result<Option<DriverOutcome>, ProcessorError> {
    p.require_table(InputTable::DriverEvents)?;
    p.lock()?;
    let Some(event) = p
        .db()
        .rows(Plan::NextDriverEvent, vec![], read_driver_event)?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    let require = |value: &Option<String>, field: &'static str| {
        value.clone().ok_or(ProcessorError::DriverEventIncomplete {
            id: event.id,
            kind: event.kind.clone(),
            field,
        })
    };
    let mut outcome = DriverOutcome {
        summary: String::new(),
        warnings: vec![],
        unknown_type: false,
    };
    match event.kind.as_str() {
        // The logger writes StartBlock; the Go processor expected NewBlock (defect P1).
        "StartBlock" | "NewBlock" => {
            let hash = require(&event.block_hash, "block_hash")?;
            outcome.summary = match p.process_block(&hash) {
                Ok(block) if block.already_applied => {
                    format!(
                        "{} {}: block {} already applied",
                        event.kind, block.hash, block.number
                    )
                }
                Ok(block) => {
                    outcome.warnings = block.report.warnings;
                    format!(
                        "{} {}: block {}, {} events applied",
                        event.kind, block.hash, block.number, block.report.applied
                    )
                }
                // Reverted before this queue got to it: its events are not canonical, and
                // stopping here would wedge the queue.
                Err(ProcessorError::Reverted { number, hash }) => {
                    format!("{} {hash}: block {number} is REVERTED, skipped", event.kind)
                }
                Err(e) => return Err(e),
            };
        }
        // Juno reverts newest first, one block per driver event; a block never applied (or
        // already reverted by the trigger path) is a no-op.
        "RevertBlock" => {
            let hash = require(&event.block_hash, "block_hash")?;
            outcome.summary = match p.revert_left_chain(&hash)?.as_slice() {
                [] => format!("RevertBlock {hash}: not applied, nothing to revert"),
                reverted => {
                    let events: usize = reverted.iter().map(|r| r.events).sum();
                    format!(
                        "RevertBlock {hash}: {} block(s), {events} events reverted",
                        reverted.len()
                    )
                }
            };
        }
        "CatchupVault" => {
            let vault = require(&event.vault_address, "vault_address")?;
            let report = p.catch_up_vault(
                &vault,
                event.start_block_hash.as_deref(),
                event.end_block_hash.as_deref(),
            )?;
            outcome.summary = format!(
                "CatchupVault {vault}: {} events applied, {} already applied",
                report.applied, report.skipped
            );
            outcome.warnings = report.warnings;
        }
        other => {
            outcome.summary =
                format!("{other}: unknown driver event type, marked processed without effect");
            outcome.unknown_type = true;
        }
    }
    p.db().rows(
        Plan::MarkDriverEventProcessed,
        vec![Some(event.id.to_string())],
        read_text,
    )?;
    outcome.summary = format!("driver event {}: {}", event.id, outcome.summary);
    Ok(Some(outcome))
}
