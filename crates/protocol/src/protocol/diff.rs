//! What `verify()` reports: the differences between two dumps (`protocol::dump` lines) of the
//! state tables, the live one and the one recomputed from the events, row by row and column
//! by column.

use super::tables::Table;
use std::collections::BTreeMap;

/// One difference: a column whose values differ, or a row only one side has (`column` None,
/// the whole row as `Table|col|...` on the side that has it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub table: &'static str,
    /// The row's primary key, `column=value` pairs joined by ", ".
    pub key: String,
    pub column: Option<&'static str>,
    pub live: Option<String>,
    pub expected: Option<String>,
}

type Rows<'a> = BTreeMap<(&'static str, String), (Table, Vec<&'a str>, &'a str)>;

/// Dump lines by (table, key).
fn by_key(lines: &[String]) -> Rows<'_> {
    let mut rows = BTreeMap::new();
    for line in lines {
        let mut cells = line.split('|');
        let Some(table) = cells.next().and_then(Table::from_name) else {
            continue;
        };
        let cells: Vec<&str> = cells.collect();
        let info = table.info();
        let key = info
            .key
            .iter()
            .map(|(name, _)| {
                let at = info
                    .columns
                    .iter()
                    .position(|c| c == name)
                    .expect("a key column is a column (rows.rs tests)");
                format!("{name}={}", cells.get(at).copied().unwrap_or("NULL"))
            })
            .collect::<Vec<_>>()
            .join(", ");
        rows.insert((info.name, key), (table, cells, line.as_str()));
    }
    rows
}

/// Every difference between the `live` and `expected` dumps, by table and key.
pub fn differences(live: &[String], expected: &[String]) -> Vec<Difference> {
    let (live, expected) = (by_key(live), by_key(expected));
    let mut found = Vec::new();
    for ((name, key), (table, cells, line)) in &live {
        match expected.get(&(*name, key.clone())) {
            None => found.push(Difference {
                table: name,
                key: key.clone(),
                column: None,
                live: Some(line.to_string()),
                expected: None,
            }),
            Some((_, want, _)) => {
                for (at, column) in table.info().columns.iter().enumerate() {
                    let (got, want) = (cells.get(at).copied(), want.get(at).copied());
                    if got != want {
                        let value =
                            |v: Option<&str>| v.filter(|v| *v != "NULL").map(str::to_string);
                        found.push(Difference {
                            table: name,
                            key: key.clone(),
                            column: Some(column),
                            live: value(got),
                            expected: value(want),
                        });
                    }
                }
            }
        }
    }
    for ((name, key), (_, _, line)) in &expected {
        if !live.contains_key(&(*name, key.clone())) {
            found.push(Difference {
                table: name,
                key: key.clone(),
                column: None,
                live: None,
                expected: Some(line.to_string()),
            });
        }
    }
    found.sort_by(|a, b| (a.table, &a.key, a.column).cmp(&(b.table, &b.key, b.column)));
    found
}
