//! Spec §7 replayed block by block over the in-memory store: every value of §7.3 after every
//! block, and the complete final state. The database runs the same expectations
//! (pgrx-tests/processing.rs) through the trigger path.

#[path = "fixtures/worked_example.rs"]
mod worked_example;

use event_processor_protocol::protocol::{apply_rows, EventRow, MemoryStore, Settings};
use worked_example as wx;

fn rows_of_block(block: u64, with_from_address: bool) -> Vec<EventRow> {
    let timestamp = wx::blocks()
        .iter()
        .find(|b| b.number == block)
        .map(|b| b.timestamp);
    wx::events()
        .iter()
        .filter(|e| e.block == block)
        .map(|e| EventRow {
            block_number: e.block,
            block_hash: e.block_hash.into(),
            block_timestamp: timestamp,
            vault_address: e.vault.into(),
            event_nonce: e.nonce,
            event_name: e.name.to_string(),
            keys: e.keys.iter().map(|s| s.to_string()).collect(),
            data: e.data.iter().map(|s| s.to_string()).collect(),
            transaction_hash: e.tx.to_string(),
            from_address: with_from_address.then(|| e.from.to_string()),
        })
        .collect()
}

fn replay(with_from_address: bool) -> MemoryStore {
    let mut store = MemoryStore::default();
    for block in wx::blocks() {
        let report = apply_rows(
            &mut store,
            rows_of_block(block.number, with_from_address),
            Settings::default(),
        )
        .unwrap_or_else(|e| panic!("block {}: {e}", block.number));
        assert!(
            report.warnings.is_empty(),
            "block {}: {:?}",
            block.number,
            report.warnings
        );
        let dump = store.dump();
        for line in wx::expected_after(block.number) {
            assert!(
                dump.iter().any(|l| l == line),
                "after block {}: expected row\n  {line}\nstate:\n  {}",
                block.number,
                dump.join("\n  ")
            );
        }
    }
    store
}

#[test]
fn worked_example_with_from_address() {
    let store = replay(true);
    assert_eq!(store.dump(), wx::expected_final());
    assert_eq!(store.applied.len(), 20);
}

/// Without from_address the round events resolve through the lossy fallback (§1.7 c): the
/// vault's current round, or for mint/refund/exercise the round that still owes the account.
#[test]
fn worked_example_with_fallback_round_resolution() {
    let store = replay(false);
    assert_eq!(store.dump(), wx::expected_final());
}

#[test]
fn replaying_a_block_is_a_no_op() {
    let mut store = replay(true);
    let before = store.dump();
    let report = apply_rows(&mut store, rows_of_block(19, true), Settings::default()).unwrap();
    assert_eq!((report.applied, report.skipped), (0, 1));
    assert_eq!(store.dump(), before);
}
