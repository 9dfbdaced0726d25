//! Applying a set of event rows — one block, or a vault's catch-up range — in the order of
//! spec §1.8, skipping what the ledger says was applied, and writing the snapshots last.

use super::apply::{Applier, EventRow, Settings};
use super::error::{ProcessError, Warning};
use super::store::{EventKey, Store};
use sha3::{Digest, Keccak256};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// Events applied now (including ignored names, which are recorded as applied).
    pub applied: usize,
    /// Events skipped because they, or an identical row of the same block, were applied before.
    pub skipped: usize,
    pub warnings: Vec<Warning>,
}

/// Sorts rows into application order: (block, vault, nonce), with a vault's ContractDeployed
/// first within its block (the logger stores it before the constructor's events, §1.8).
pub fn sort_for_application(rows: &mut [EventRow]) {
    rows.sort_by(|a, b| {
        (
            a.block_number,
            &a.vault_address,
            a.event_name != "ContractDeployed",
            a.event_nonce,
        )
            .cmp(&(
                b.block_number,
                &b.vault_address,
                b.event_name != "ContractDeployed",
                b.event_nonce,
            ))
    });
}

/// Applies `rows` (already canonical-only: REVERTED blocks excluded by the caller). On error
/// the store holds partial effects and the caller must roll them back.
pub fn apply_rows<S: Store>(
    store: &mut S,
    mut rows: Vec<EventRow>,
    settings: Settings,
) -> Result<ApplyReport, ProcessError> {
    sort_for_application(&mut rows);
    let mut report = ApplyReport::default();
    let Some(last) = rows.last().map(EventRow::context) else {
        return Ok(report);
    };
    let mut applier = Applier::new(store, settings);
    for row in &rows {
        let fail = |error| ProcessError {
            context: Box::new(row.context()),
            error,
        };
        let key = EventKey {
            block_hash: row.block_hash.clone(),
            vault_address: row.vault_address.clone(),
            event_nonce: row.event_nonce,
        };
        applier
            .store()
            .journal_block(&row.block_hash)
            .map_err(|e| fail(e.into()))?;
        let claimed = applier
            .store()
            .claim_event(&key, &content_fingerprint(row), &row.event_name)
            .map_err(|e| fail(e.into()))?;
        if !claimed {
            report.skipped += 1;
            continue;
        }
        applier.apply(row).map_err(fail)?;
        report.applied += 1;
    }
    applier.flush_snapshots().map_err(|e| ProcessError {
        context: Box::new(last),
        error: e.into(),
    })?;
    report.warnings = std::mem::take(&mut applier.warnings);
    Ok(report)
}

/// What makes two rows "the same on-chain event" (spec §8-11): transaction, name, keys, data.
pub fn content_fingerprint(row: &EventRow) -> String {
    let mut hash = Keccak256::new();
    for part in [&row.transaction_hash, &row.event_name] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    for felts in [&row.keys, &row.data] {
        for felt in felts {
            hash.update(felt.as_bytes());
            hash.update([1]);
        }
        hash.update([0]);
    }
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(64);
    for byte in hash.finalize() {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ledger keeps fingerprints across versions: the text must stay the digest's bytes as
    /// two lowercase hex digits each.
    #[test]
    fn a_fingerprint_is_its_digest_in_lowercase_hex() {
        let row = EventRow {
            block_number: 7,
            block_hash: "0xb7".into(),
            block_timestamp: None,
            vault_address: "0xa".into(),
            event_nonce: 1,
            event_name: "Deposit".into(),
            keys: vec!["0x1".into()],
            data: vec!["0x2".into(), "0x3".into()],
            transaction_hash: "0x77".into(),
            from_address: None,
        };
        let mut hash = Keccak256::new();
        hash.update(b"0x77\0Deposit\0");
        hash.update(b"0x1\x01\0");
        hash.update(b"0x2\x010x3\x01\0");
        let expected: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(content_fingerprint(&row), expected);
        assert_eq!(expected.len(), 64);
    }
}
