//! The wake-up from the indexer's COMMIT to the background worker (the worker deployment).
//!
//! A small slot in shared memory holds the worker's latch, filled in when it starts. The
//! block triggers, in worker mode, only mark their transaction; a transaction callback sets the
//! worker's latch once the transaction has committed (its rows are visible to new snapshots
//! by then), and never on an abort. The slot also keeps what `status()` reports: the wake-ups
//! asked for, the COMMIT time of the oldest one no finished pass has covered (the lag), and the
//! last reaction's latency.
//!
//! Ordering: a committer records its COMMIT time and then reads the latch; the worker takes the
//! recorded time and only then starts the transactions of its pass. A commit either finds the
//! latch (and the worker runs again) or was recorded before the worker took the slot, so the
//! pass that took it sees the committed rows. A worker that starts always runs a full pass.

use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PGRXSharedMemory, PgAtomic};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// No COMMIT waiting (the slot's timestamps are PostgreSQL's, microseconds since 2000).
const NONE: i64 = 0;

#[derive(Default)]
#[repr(C)]
pub struct Slot {
    /// The worker's `MyLatch`, 0 while no worker runs. A PGPROC's latch lives in shared memory
    /// for the server's lifetime: a stale one wakes some other process, which latches allow.
    latch: AtomicUsize,
    /// The database the worker serves (0 before it first connected): commits elsewhere have
    /// no worker to wake, and status() elsewhere shows none of this.
    database: AtomicU32,
    /// Commits that asked for a wake-up, since the server started.
    requests: AtomicU64,
    /// The COMMIT time of the oldest wake-up that no finished pass has covered.
    oldest_unhandled: AtomicI64,
    /// From that COMMIT to the end of the pass that covered it, of the last such pass (µs; -1
    /// before the first).
    last_reaction_us: AtomicI64,
    /// Passes the worker ran because of a wake-up or its nap's check.
    reactions: AtomicU64,
    /// When the worker last woke (for a pass or its nap's check), which it does not write to a
    /// table when there is nothing to do.
    last_active: AtomicI64,
}

// SAFETY: atomics only, no pointers into process memory (the latch is an address in shared
// memory, the same in every backend forked from the postmaster).
unsafe impl PGRXSharedMemory for Slot {}

static SLOT: PgAtomic<Slot> = unsafe { PgAtomic::new(c"event_processor_wake_slot") };
/// The slot exists: the library was preloaded (set in the postmaster, inherited by every
/// process it forks).
static PRELOADED: AtomicBool = AtomicBool::new(false);

/// Requests the slot; only while shared_preload_libraries is processed.
pub fn init() {
    pg_shmem_init!(
        SLOT = Slot {
            last_reaction_us: AtomicI64::new(-1),
            ..Default::default()
        }
    );
    PRELOADED.store(true, Ordering::SeqCst);
}

fn slot() -> Option<&'static Slot> {
    PRELOADED.load(Ordering::SeqCst).then(|| SLOT.get())
}

// ---- the committer's side ----------------------------------------------------------------

thread_local! {
    /// This backend's transaction asked for a wake-up at its COMMIT.
    static WAKE_AT_COMMIT: Cell<bool> = const { Cell::new(false) };
    static CALLBACK_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

/// Called by the block triggers in worker mode: the worker is woken when the current
/// transaction commits. Nothing happens on an abort, nor without a preloaded library.
pub fn at_commit() {
    if slot().is_none() {
        return;
    }
    WAKE_AT_COMMIT.set(true);
    if !CALLBACK_REGISTERED.replace(true) {
        // SAFETY: registered once per backend, for the backend's lifetime.
        unsafe { pg_sys::RegisterXactCallback(Some(on_transaction_end), std::ptr::null_mut()) };
    }
}

/// Must not fail: it runs after the commit record is written. Atomics and SetLatch only.
#[pg_guard]
unsafe extern "C-unwind" fn on_transaction_end(
    event: pg_sys::XactEvent::Type,
    _arg: *mut std::ffi::c_void,
) {
    use pg_sys::XactEvent::*;
    // A prepared transaction commits later, maybe in another session: the worker's nap finds
    // its blocks.
    if matches!(
        event,
        XACT_EVENT_COMMIT | XACT_EVENT_ABORT | XACT_EVENT_PREPARE
    ) && WAKE_AT_COMMIT.replace(false)
        && event == XACT_EVENT_COMMIT
    {
        wake_worker();
    }
}

fn wake_worker() {
    let Some(slot) = slot() else { return };
    // SAFETY: plain reads of backend globals and a latch in shared memory.
    unsafe {
        if !serves_this_database(slot) {
            return;
        }
        let committed_at = pg_sys::GetCurrentTimestamp();
        let _ = slot.oldest_unhandled.compare_exchange(
            NONE,
            committed_at,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        slot.requests.fetch_add(1, Ordering::SeqCst);
        let latch = slot.latch.load(Ordering::SeqCst);
        if latch != 0 {
            pg_sys::SetLatch(latch as *mut pg_sys::Latch);
        }
    }
}

/// The worker serves this backend's database (a worker that never connected serves none; it
/// runs a full pass when it does).
fn serves_this_database(slot: &Slot) -> bool {
    // SAFETY: a backend global, set once the backend connected to its database.
    slot.database.load(Ordering::SeqCst) == unsafe { pg_sys::MyDatabaseId.to_u32() }
}

// ---- the worker's side -------------------------------------------------------------------

/// The worker announces itself: commits in its database set its latch from now on.
pub fn announce() {
    let Some(slot) = slot() else { return };
    // SAFETY: backend globals of the worker process, after it connected to its database.
    unsafe {
        slot.database
            .store(pg_sys::MyDatabaseId.to_u32(), Ordering::SeqCst);
        slot.latch.store(pg_sys::MyLatch as usize, Ordering::SeqCst);
        pg_sys::before_shmem_exit(Some(retire), pg_sys::Datum::from(0));
    }
}

/// The worker exits (normally or on FATAL): nobody sets its latch any more.
#[pg_guard]
unsafe extern "C-unwind" fn retire(_code: std::ffi::c_int, _arg: pg_sys::Datum) {
    if let Some(slot) = slot() {
        slot.latch.store(0, Ordering::SeqCst);
    }
}

/// The worker is awake (status() shows it as `worker_last_wakeup`).
pub fn active() {
    if let Some(slot) = slot() {
        // SAFETY: a clock read.
        slot.last_active
            .store(unsafe { pg_sys::GetCurrentTimestamp() }, Ordering::SeqCst);
    }
}

/// The commits a pass is about to cover: taken before the pass's first transaction.
#[derive(Debug, Clone, Copy)]
pub struct Taken {
    since: i64,
    /// The wake-up requests counted when the slot was taken.
    requests: u64,
}

impl Taken {
    /// Whether a COMMIT asked for a wake-up since the last pass took the slot.
    pub fn woken(&self) -> bool {
        self.since != NONE
    }
}

pub fn take() -> Taken {
    match slot() {
        Some(s) => Taken {
            requests: s.requests.load(Ordering::SeqCst),
            since: s.oldest_unhandled.swap(NONE, Ordering::SeqCst),
        },
        None => Taken {
            requests: 0,
            since: NONE,
        },
    }
}

/// A COMMIT asked for a pass after `taken` was taken. The slot says so, not the latch: the
/// backend resets its latch in its own waits too (a lock wait during a pass).
pub fn asked_since(taken: Taken) -> bool {
    slot().is_some_and(|s| s.requests.load(Ordering::SeqCst) != taken.requests)
}

/// The pass ended with every pending block applied: its reaction latency is recorded.
pub fn covered(taken: Taken) {
    let Some(slot) = slot() else { return };
    slot.reactions.fetch_add(1, Ordering::SeqCst);
    if taken.woken() {
        // SAFETY: a clock read.
        let now = unsafe { pg_sys::GetCurrentTimestamp() };
        slot.last_reaction_us
            .store((now - taken.since).max(0), Ordering::SeqCst);
    }
}

/// The pass left blocks pending (halted, failed, stopped, or a gap in the chain): their COMMIT
/// time goes back, unless an older one is there.
pub fn not_covered(taken: Taken) {
    let Some(slot) = slot() else { return };
    slot.reactions.fetch_add(1, Ordering::SeqCst);
    if !taken.woken() {
        return;
    }
    let _ = slot
        .oldest_unhandled
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |current| {
            (current == NONE || current > taken.since).then_some(taken.since)
        });
}

/// What the slot says, for `status()`: wake-ups asked for, the milliseconds since the COMMIT of
/// the oldest one not yet covered (NULL: none), the last reaction's latency, passes run, and
/// the seconds since the worker was last awake. All NULL without a preloaded library, and in a
/// database the worker does not serve.
#[allow(clippy::type_complexity)] // pgrx needs the name!s in the signature
#[pg_extern(schema = "event_processor", volatile, parallel_safe)]
pub fn wake_state() -> TableIterator<
    'static,
    (
        name!(wake_requests, Option<i64>),
        name!(oldest_commit_age_ms, Option<f64>),
        name!(last_reaction_ms, Option<f64>),
        name!(reactions, Option<i64>),
        name!(seconds_since_active, Option<f64>),
    ),
> {
    let Some(slot) = slot().filter(|slot| serves_this_database(slot)) else {
        return TableIterator::once((None, None, None, None, None));
    };
    // SAFETY: a clock read.
    let now = unsafe { pg_sys::GetCurrentTimestamp() };
    let since = |t: i64| (t != NONE).then(|| (now - t).max(0) as f64);
    let reaction = slot.last_reaction_us.load(Ordering::SeqCst);
    TableIterator::once((
        Some(slot.requests.load(Ordering::SeqCst) as i64),
        since(slot.oldest_unhandled.load(Ordering::SeqCst)).map(|us| us / 1e3),
        (reaction >= 0).then(|| reaction as f64 / 1e3),
        Some(slot.reactions.load(Ordering::SeqCst) as i64),
        since(slot.last_active.load(Ordering::SeqCst)).map(|us| us / 1e6),
    ))
}
