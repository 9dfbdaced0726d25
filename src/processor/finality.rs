//! Where no reorg can reach: blocks deeper than `finality_depth` below the newest indexed
//! block are applied without a journal (a catch-up of old history writes no before-images), and the
//! journals of applied blocks that sink that deep are pruned. The prune covers only the heights
//! above a watermark kept in the ledger (`applied_blocks.pruned_through`), so its cost does not
//! grow with the number of blocks pruned before.

use super::{Processor, ProcessorError};
use crate::store::{t, Plan};

/// Whether block `number` is final: deeper than `depth` below the newest indexed height.
pub fn is_final(number: u64, newest_indexed: Option<u64>, depth: u64) -> bool {
    newest_indexed.is_some_and(|newest| number.saturating_add(depth) < newest)
}

/// The watermark after applying a block at `number`: every height up to it has been pruned.
/// The prune runs in steps of `prune_step(depth)` heights, not on every block: a step's
/// journals live up to that many blocks longer, and most blocks need no prune statement.
pub fn watermark_after(number: u64, previous: Option<u64>, depth: u64) -> Option<u64> {
    let Some(due) = number.checked_sub(depth) else {
        return previous;
    };
    match previous {
        Some(p) if due < p.saturating_add(prune_step(depth)) => Some(p),
        _ => Some(due),
    }
}

/// How many heights one prune covers: a twentieth of the depth (100 at the default 2000).
pub fn prune_step(depth: u64) -> u64 {
    (depth / 20).max(1)
}

impl Processor<'_, '_> {
    /// Prunes the journals of applied blocks in (`previous`, `through`]: the heights that sank
    /// below the finality depth since the watermark `previous` (None: never pruned). Returns
    /// how many of them had a journal.
    pub(super) fn prune_range(
        &mut self,
        previous: Option<u64>,
        through: Option<u64>,
    ) -> Result<usize, ProcessorError> {
        let Some((low, high)) = prune_bounds(previous, through) else {
            return Ok(0);
        };
        let pruned = self
            .db()
            .rows(Plan::PruneRange, vec![low, high], |c| c.opt_text())?;
        self.delete_journals(pruned.into_iter().flatten().collect())
    }

    /// Deletes the journals of blocks just marked pruned (those that had events).
    pub(super) fn delete_journals(&mut self, pruned: Vec<String>) -> Result<usize, ProcessorError> {
        if !pruned.is_empty() {
            self.db().execute(
                Plan::DeleteJournals,
                vec![pgrx::datum::DatumWithOid::from(pruned.clone())],
            )?;
        }
        let count = pruned.len();
        // A block of this batch pruned already: its journal, written at the flush, would stay.
        self.final_blocks.extend(pruned);
        Ok(count)
    }
}

/// The (low, high] range of heights to prune as text arguments, or None when it is empty.
pub fn prune_bounds(
    previous: Option<u64>,
    through: Option<u64>,
) -> Option<(Option<String>, Option<String>)> {
    let through = through?;
    if previous.is_some_and(|p| p >= through) {
        return None;
    }
    let low = previous.map_or("-1".to_string(), |p| p.to_string());
    Some((Some(low), t(through)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finality_and_watermark_boundaries() {
        assert!(is_final(99, Some(2100), 2000));
        assert!(!is_final(100, Some(2100), 2000));
        assert!(!is_final(100, None, 2000));
        // Pruned in steps of 100 heights at the default depth, of 1 at depth 1.
        assert_eq!(watermark_after(2198, Some(99), 2000), Some(99));
        assert_eq!(watermark_after(2199, Some(99), 2000), Some(199));
        assert_eq!(watermark_after(2100, None, 2000), Some(100));
        assert_eq!(watermark_after(10, None, 2000), None);
        assert_eq!(watermark_after(10, Some(3), 2000), Some(3));
        assert_eq!(watermark_after(5, Some(2), 1), Some(4));
    }
}
