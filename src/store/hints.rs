//! Planner settings for the statements that look rows up by key from a parameter array.
//!
//! A kept statement's generic plan is made once, from the table's size at that moment, and is
//! not made again until the table's statistics change (an ANALYZE). A state table is nearly
//! empty when a backend first writes it, so the planner reads all of it and hashes it, which
//! is right for ten rows and wrong for a million: every block would then cost as much as the
//! table is large (issue 15: updating 5 of 4,700 option buyers read all 4,700). Under these
//! settings the only plan left is the one that is right at every size: for each key of the
//! array, a probe of the table's key index. They are set around the statement's execution,
//! where its plans are made, and put back when it returns.

use pgrx::pg_sys;
use std::ffi::CStr;

/// Sequential scans, hash joins and merge joins off: what remains is a nested loop over the
/// parameter array with an index probe per key.
const KEYED_LOOKUP: [&CStr; 3] = [c"enable_seqscan", c"enable_hashjoin", c"enable_mergejoin"];

/// Runs `f` with the planner restricted to keyed lookups (see the module's comment).
pub fn keyed_lookup<R>(f: impl FnOnce() -> R) -> R {
    let scope = Scope::enter();
    let result = f();
    scope.leave();
    result
}

/// A GUC nest level holding the settings; an ERROR leaves it to the (sub)transaction's abort,
/// as PostgreSQL's own function SET clauses do.
struct Scope {
    level: i32,
}

impl Scope {
    fn enter() -> Self {
        // SAFETY: as fmgr_security_definer applies a function's SET clauses: a new GUC nest
        // level, and session-source values saved in it.
        unsafe {
            let level = pg_sys::NewGUCNestLevel();
            for name in KEYED_LOOKUP {
                pg_sys::set_config_option(
                    name.as_ptr(),
                    c"off".as_ptr(),
                    pg_sys::GucContext::PGC_USERSET,
                    pg_sys::GucSource::PGC_S_SESSION,
                    pg_sys::GucAction::GUC_ACTION_SAVE,
                    true,
                    0,
                    false,
                );
            }
            Scope { level }
        }
    }

    fn leave(self) {
        // SAFETY: the level made by `enter`, still the innermost one: `f` returned normally.
        unsafe { pg_sys::AtEOXact_GUC(true, self.level) }
    }
}
