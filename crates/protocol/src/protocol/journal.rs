//! The revert journal's format (spec §4.2). A journal row undoes one table's rows of one
//! block, in one of two ways, told apart by `before`, never by the text's shape:
//!
//! - `before` NULL: the rows the block created; `pk` is a JSON array of their keys, and revert
//!   deletes them.
//! - `before` set: the rows the block changed; `before` is a JSON array of their images as
//!   they were before the block (`to_jsonb` of the row), and revert puts them back (an update,
//!   or an insert where the row is gone). `pk` is `[]`.
//!
//! Journals written before 0.5.0 held single objects too; the 0.4.0 -> 0.5.0 update turns them
//! into one-element arrays.

use super::tables::Table;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// What replaying one journal row does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undo {
    /// Delete the rows whose keys this JSON array holds.
    Delete(String),
    /// Put back the row images this JSON array holds.
    Restore(String),
}

impl Undo {
    /// The journal row's `pk` and `before` columns read back.
    pub fn from_columns(pk: String, before: Option<String>) -> Undo {
        match before {
            None => Undo::Delete(pk),
            Some(images) => Undo::Restore(images),
        }
    }

    /// The `pk` and `before` columns that store it.
    pub fn into_columns(self) -> (String, Option<String>) {
        match self {
            Undo::Delete(keys) => (keys, None),
            Undo::Restore(images) => ("[]".to_string(), Some(images)),
        }
    }
}

/// A batch's journal as the table holds it: per block (in order), one row per table for the
/// rows the block updated (`before` a JSON array of their images) and one per table for the
/// rows it created (`pk` a JSON array of their keys, `before` NULL). Revert replays a block
/// newest-first, so created groups are written parent table first (`Table::ALL` order): the
/// queued rows a block created are deleted before its rounds (the only foreign key).
/// Each group's array is written as text as its elements come (`element`), with no string per
/// element.
#[derive(Default)]
pub struct GroupedJournal {
    blocks: Vec<String>,
    block_index: FxHashMap<String, usize>,
    /// (block index, table) → the JSON array so far (no closing bracket) of the images of
    /// updated rows / the keys of created rows.
    updated: BTreeMap<(usize, Table), String>,
    created: BTreeMap<(usize, Table), String>,
}

impl GroupedJournal {
    fn block(&mut self, block: &str) -> usize {
        // Entries come block after block: the last block is nearly always the one.
        if self.blocks.last().is_some_and(|last| last == block) {
            return self.blocks.len() - 1;
        }
        if let Some(&at) = self.block_index.get(block) {
            return at;
        }
        self.block_index
            .insert(block.to_string(), self.blocks.len());
        self.blocks.push(block.to_string());
        self.blocks.len() - 1
    }

    /// The buffer to append one element (a JSON value) of the group of `block` and `table` to:
    /// the keys of created rows, or the images of changed ones.
    pub fn element(&mut self, block: &str, table: Table, created: bool) -> &mut String {
        let at = (self.block(block), table);
        let groups = if created {
            &mut self.created
        } else {
            &mut self.updated
        };
        let array = groups.entry(at).or_default();
        array.push(if array.is_empty() { '[' } else { ',' });
        array
    }

    /// (block, table, pk, before) rows in write order: `Undo::columns` of each group.
    pub fn into_rows(self) -> Vec<[Option<String>; 4]> {
        let blocks = self.blocks;
        let close = |mut array: String| {
            array.push(']');
            array
        };
        // BTreeMap order: by block, then table in Table::ALL order.
        let mut updated = self.updated.into_iter().peekable();
        let mut created = self.created.into_iter().peekable();
        let mut rows = Vec::new();
        for (index, block) in blocks.iter().enumerate() {
            let mut push = |table: Table, undo: Undo| {
                let (pk, before) = undo.into_columns();
                rows.push([
                    Some(block.clone()),
                    Some(table.info().name.to_string()),
                    Some(pk),
                    before,
                ]);
            };
            while let Some(((_, table), images)) = updated.next_if(|((b, _), _)| *b == index) {
                push(table, Undo::Restore(close(images)));
            }
            while let Some(((_, table), keys)) = created.next_if(|((b, _), _)| *b == index) {
                push(table, Undo::Delete(close(keys)));
            }
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row's entry: its key if `before` is None (created), else its image.
    fn add(
        journal: &mut GroupedJournal,
        block: &str,
        table: Table,
        pk: &str,
        before: Option<&str>,
    ) {
        journal
            .element(block, table, before.is_none())
            .push_str(before.unwrap_or(pk));
    }

    #[test]
    fn a_block_groups_per_table_changed_before_created_parents_first() {
        let mut journal = GroupedJournal::default();
        let j = &mut journal;
        add(j, "0xb1", Table::QueuedLiquidity, "{\"q\": 1}", None);
        add(j, "0xb1", Table::Vaults, "{\"v\": 1}", Some("{\"a\": 1}"));
        add(j, "0xb2", Table::Vaults, "{\"v\": 1}", Some("{\"a\": 2}"));
        add(j, "0xb1", Table::Rounds, "{\"r\": 1}", None);
        add(j, "0xb1", Table::Vaults, "{\"v\": 2}", Some("{\"a\": 3}"));
        let rows = journal.into_rows();
        let rows: Vec<Vec<Option<&str>>> = rows
            .iter()
            .map(|row| row.iter().map(Option::as_deref).collect())
            .collect();
        assert_eq!(
            rows,
            [
                [
                    Some("0xb1"),
                    Some("VaultStates"),
                    Some("[]"),
                    Some("[{\"a\": 1},{\"a\": 3}]")
                ],
                [
                    Some("0xb1"),
                    Some("Option_Rounds"),
                    Some("[{\"r\": 1}]"),
                    None
                ],
                [
                    Some("0xb1"),
                    Some("Queued_Liquidity"),
                    Some("[{\"q\": 1}]"),
                    None
                ],
                [
                    Some("0xb2"),
                    Some("VaultStates"),
                    Some("[]"),
                    Some("[{\"a\": 2}]")
                ],
            ]
        );
    }

    #[test]
    fn a_journal_row_reads_back_as_the_undo_that_wrote_it() {
        for undo in [
            Undo::Delete("[{\"k\": 1}]".into()),
            Undo::Restore("[{}]".into()),
        ] {
            let (pk, before) = undo.clone().into_columns();
            assert_eq!(Undo::from_columns(pk, before), undo);
        }
    }
}
