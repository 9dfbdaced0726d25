//! The worker's row in `event_processor.worker_status`, read by `event_processor.status()`
//! and the `event_processor.metrics` view. Counters are since the worker (re)started; each
//! block's count commits with the block.

use crate::protocol::StoreResult;
use crate::store::{self, t, Plan};

#[derive(Debug, Default, Clone, Copy)]
pub struct WorkerCounters {
    pub blocks_applied: i64,
    pub events_applied: i64,
    pub blocks_reverted: i64,
    pub events_reverted: i64,
}

/// The extension and the indexer's tables exist in this database (else there is no work).
pub fn installed() -> StoreResult<bool> {
    store::ask(Plan::WorkerInstalled)
}

/// This process is the worker now: pid, start time, counters back to zero.
pub fn started() -> StoreResult<()> {
    store::run(Plan::WorkerStarted, vec![]).map(drop)
}

pub fn set_state(state: &str) -> StoreResult<()> {
    store::run(Plan::WorkerState, vec![t(state)]).map(drop)
}

/// Adds to the counters and sets the state, in the transaction of the work counted.
pub fn count(c: WorkerCounters, state: &str) -> Result<(), crate::processor::ProcessorError> {
    let args = vec![
        t(c.blocks_applied),
        t(c.events_applied),
        t(c.blocks_reverted),
        t(c.events_reverted),
        t(state),
    ];
    Ok(store::run(Plan::WorkerCount, args).map(drop)?)
}

/// What the worker last wrote to its row, so that a pass with nothing new to say writes
/// nothing (an idle worker's liveness is in shared memory, wake.rs).
#[derive(Debug, Default)]
pub struct Reported {
    pub announced: bool,
    state: Option<&'static str>,
}

impl Reported {
    pub fn differs(&self, state: &'static str) -> bool {
        self.state != Some(state)
    }

    /// `state` was committed.
    pub fn wrote(&mut self, state: &'static str) {
        self.state = Some(state);
    }
}

/// Remembers the last failure (the work itself was rolled back and will be retried).
pub fn record_error(at: &str, error: &str) -> StoreResult<()> {
    store::run(Plan::WorkerError, vec![t(at), t(error)]).map(drop)
}
