//! Planner settings for the statements that look rows up by the keys of a parameter array.
//!
//! The processor's statements run under `enable_seqscan = off` and generic plans
//! (transaction.rs `with_processor`). A kept statement's generic plan is made from the table's
//! size at that moment, and a state table is nearly empty when a backend first writes it: for
//! a join of a key array with the table, the planner then reads the whole table through an
//! index and hashes it. That is right for ten rows and wrong for a million, and the plan is
//! kept: every block cost as much as the table was large (issue 15: updating 5 of 4,700
//! option buyers read all 4,700). With hash and merge joins off as well, the one plan left is
//! right at every size: a nested loop over the array, with a probe of the key index per key.
//! The settings are in force where the statement's plans are made, its executions.

use crate::transaction::with_settings;
use pgrx::pg_sys;

/// Runs `f` with the planner restricted to keyed lookups (see the module's comment).
pub fn keyed_lookup<R>(f: impl FnOnce() -> R) -> R {
    with_settings(
        &[
            (c"enable_seqscan", c"off"),
            (c"enable_hashjoin", c"off"),
            (c"enable_mergejoin", c"off"),
        ],
        pg_sys::GucContext::PGC_USERSET,
        f,
    )
}
