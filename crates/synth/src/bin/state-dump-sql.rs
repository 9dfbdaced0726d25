//! Prints one SQL query whose rows are the state dump (`protocol::dump`: `Table|col|...` per
//! row, every state table), for shell checks against `tests/fixtures/worked_example/expected.tsv`
//! (scripts/test-image.sh). The query is the one the in-database tests compare with.

use event_processor_protocol::protocol::dump::dump_queries;

fn main() {
    println!("{}", dump_queries().join("\nUNION ALL\n"));
}
