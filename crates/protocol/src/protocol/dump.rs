//! A text dump of every state table — one line per row, `Table|col|col|...` in the spec's
//! column order, `NULL` spelled out — produced identically from the database (`dump_queries`)
//! and from a `MemoryStore`, so tests can compare a database run with a pure run.

use super::memory::MemoryStore;
use super::rows::Row;
use super::store::{LpSnapshot, VaultSnapshot};
use super::tables::Table;

/// One SELECT per table returning its rows as dump lines (unordered; callers sort).
pub fn dump_queries() -> Vec<String> {
    Table::ALL
        .iter()
        .map(|t| {
            let info = t.info();
            let cells: Vec<String> = info
                .columns
                .iter()
                .map(|c| format!("coalesce({c}::text, 'NULL')"))
                .collect();
            format!(
                "SELECT concat_ws('|', '{}', {}) FROM {}",
                info.name,
                cells.join(", "),
                info.qualified
            )
        })
        .collect()
}

fn line<R: Row>(row: &R) -> String {
    let cells: Vec<String> = row
        .cells()
        .iter()
        .map(|c| c.sql_text().unwrap_or_else(|| "NULL".into()))
        .collect();
    format!("{}|{}", R::TABLE.info().name, cells.join("|"))
}

impl MemoryStore {
    /// Every row as a dump line, sorted.
    pub fn dump(&self) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        lines.extend(self.vaults.values().map(line));
        lines.extend(self.liquidity_providers.values().map(line));
        lines.extend(self.lp_history.iter().map(|((lp, vault, block), b)| {
            line(&LpSnapshot {
                lp: lp.clone(),
                vault: vault.clone(),
                block: *block,
                balances: b.clone(),
            })
        }));
        lines.extend(self.vault_history.iter().map(|((vault, block), b)| {
            line(&VaultSnapshot {
                vault: vault.clone(),
                block: *block,
                balances: b.clone(),
            })
        }));
        lines.extend(self.rounds.values().map(line));
        lines.extend(self.queued.values().map(line));
        lines.extend(self.buyers.values().map(line));
        lines.extend(self.bids.values().map(line));
        lines.extend(self.deposits.values().map(line));
        lines.sort();
        lines
    }
}
