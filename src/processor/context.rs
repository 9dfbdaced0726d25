//! What applying one block needs to know, read with one statement (`Plan::BlockContext`)
//! instead of one per question: on a chain of mostly empty blocks these reads were most of a
//! block's cost.

use super::BlockRow;
use crate::protocol::StoreResult;
use crate::store::Columns;

#[derive(Debug, Default)]
pub struct BlockContext {
    /// The block's `starknet_blocks` row (None: the logger stored no row, spec L8).
    pub block: Option<BlockRow>,
    /// The block is applied already.
    pub applied: bool,
    /// Another (or this) block applied at the block's height.
    pub applied_at_height: Option<String>,
    pub parent: Option<BlockRow>,
    pub parent_applied: bool,
    /// The newest applied block's height and its prune watermark.
    pub newest_applied: Option<(u64, Option<u64>)>,
    /// The newest height in `starknet_blocks`: blocks `finality_depth` below it are final.
    pub newest_indexed: Option<u64>,
    /// Whether `events` holds any row of the block (an empty block needs no events query).
    pub has_events: bool,
}

fn opt_block(c: &mut Columns) -> StoreResult<Option<BlockRow>> {
    // All four columns are read either way, so the next field starts in the right place.
    let number = c.opt_u64()?;
    let rest = (c.opt_text()?, c.opt_text()?, c.opt_text()?);
    let (Some(number), (Some(hash), Some(parent_hash), Some(status))) = (number, rest) else {
        return Ok(None);
    };
    Ok(Some(BlockRow {
        number,
        hash,
        parent_hash,
        status,
    }))
}

pub fn read_block_context(c: &mut Columns) -> StoreResult<BlockContext> {
    let block = opt_block(c)?;
    let applied = c.opt_text()?.is_some();
    let applied_at_height = c.opt_text()?;
    let parent = opt_block(c)?;
    let parent_applied = c.opt_text()?.is_some();
    let newest_applied = c.opt_u64()?;
    let watermark = c.opt_u64()?;
    Ok(BlockContext {
        block,
        applied,
        applied_at_height,
        parent,
        parent_applied,
        newest_applied: newest_applied.map(|n| (n, watermark)),
        newest_indexed: c.opt_u64()?,
        has_events: c.boolean()?,
    })
}
