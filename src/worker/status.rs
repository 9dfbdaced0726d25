//! The worker's row in `event_processor.worker_status`, read by `event_processor.status()`
//! and the `event_processor.metrics` view. Counters are since the worker (re)started; each
//! block's count commits with the block.

use pgrx::prelude::*;
use pgrx::spi::SpiResult;

#[derive(Debug, Default, Clone, Copy)]
pub struct WorkerCounters {
    pub blocks_applied: i64,
    pub events_applied: i64,
    pub blocks_reverted: i64,
    pub events_reverted: i64,
}

/// This process is the worker now: pid, start time, counters back to zero.
pub fn started() -> SpiResult<()> {
    Spi::run(
        "UPDATE event_processor.worker_status SET pid = pg_backend_pid(), state = 'idle',
                started_at = now(), blocks_applied = 0, events_applied = 0,
                blocks_reverted = 0, events_reverted = 0",
    )
}

pub fn set_state(state: &str) -> SpiResult<()> {
    Spi::run_with_args(
        "UPDATE event_processor.worker_status SET state = $1, last_wakeup = now()
          WHERE pid = pg_backend_pid()",
        &[state.into()],
    )
}

/// Adds to the counters and sets the state, in the transaction of the work counted.
pub fn count(c: WorkerCounters, state: &str) -> Result<(), crate::processor::ProcessorError> {
    Spi::run_with_args(
        "UPDATE event_processor.worker_status SET state = $5, last_wakeup = now(),
                blocks_applied = blocks_applied + $1, events_applied = events_applied + $2,
                blocks_reverted = blocks_reverted + $3, events_reverted = events_reverted + $4",
        &[
            c.blocks_applied.into(),
            c.events_applied.into(),
            c.blocks_reverted.into(),
            c.events_reverted.into(),
            state.into(),
        ],
    )
    .map_err(|e| crate::protocol::StoreError(e.to_string()).into())
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
pub fn record_error(at: &str, error: &str) -> SpiResult<()> {
    Spi::run_with_args(
        "UPDATE event_processor.worker_status SET state = 'error', last_error = $2,
                last_error_at = $1, last_error_time = now()",
        &[at.into(), error.into()],
    )
}
