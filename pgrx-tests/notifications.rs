//! The notification contract (docs/notifications.md, spec §5.3): every payload on every
//! channel, captured by a real listener, parses as the Pitch Lake backend parses it, and the
//! last payload of each row is the row as committed. Covered here: the trigger path, reverts,
//! rebuild() and both values of `event_processor.bids_payload`; the worker path is in
//! worker.rs (the worker serves one database of its own).

use super::client::{connect, fresh_database, insert_synth_block_tx as insert_block};
use crate::synth::backend::{self, Payload, CHANNELS};
use crate::synth::{ChainConfig, RoundAddressing, Simulator, SynthBlock};
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Marks the end of what a test waits for: NOTIFY delivers in commit order, so once the
/// listener sees the marker it has seen everything committed before it.
const MARKER: &str = "event_processor_test_marker";

/// A listener on every contract channel (and the marker) of `database`.
pub fn listen_all(database: &str, port: u16) -> Client {
    let mut listener = connect(database, port);
    let channels: String = CHANNELS
        .iter()
        .map(|c| c.name)
        .chain([MARKER])
        .map(|c| format!("LISTEN {c};"))
        .collect();
    listener.batch_execute(&channels).unwrap();
    listener
}

/// Every (channel, payload) the listener received up to a marker that `writer` sends now.
pub fn drain(listener: &mut Client, writer: &mut Client) -> Vec<(String, String)> {
    writer
        .batch_execute(&format!("NOTIFY {MARKER}"))
        .expect("marker");
    let mut received = Vec::new();
    let mut notifications = listener.notifications();
    // The timeout only bounds a broken run; the marker ends a normal one.
    let mut it = notifications.timeout_iter(Duration::from_secs(60));
    loop {
        match it.next() {
            Ok(Some(n)) if n.channel() == MARKER => return received,
            Ok(Some(n)) => received.push((n.channel().to_string(), n.payload().to_string())),
            Ok(None) => panic!("no marker within 60 s ({} received)", received.len()),
            Err(e) => panic!("listener: {e}"),
        }
    }
}

/// Checks every payload against the backend's rules; a violation fails, naming channel and key.
pub fn check_all(received: &[(String, String)]) -> Vec<(String, Payload)> {
    received
        .iter()
        .map(
            |(channel, payload)| match backend::check(channel, payload) {
                Ok(parsed) => (channel.clone(), parsed),
                Err(violation) => panic!("the backend cannot parse this payload: {violation}"),
            },
        )
        .collect()
}

/// The (channel, operation) pairs seen, e.g. `or_update:insert`, `vault_insert:bare`.
pub fn shapes(checked: &[(String, Payload)]) -> BTreeSet<String> {
    checked
        .iter()
        .map(|(c, p)| format!("{c}:{}", p.operation.as_deref().unwrap_or("bare")))
        .collect()
}

/// The last payload of each row equals that row in its table now (spec §5.2: the last payload
/// per row reflects its end state). Returns how many rows were compared. A revert may notify a
/// row that it deletes afterwards (restored, then removed with an older block that created it).
pub fn last_payloads_equal_the_rows(
    db: &mut Client,
    checked: &[(String, Payload)],
    deleted_ok: bool,
) -> usize {
    let mut last: BTreeMap<(&str, String), &Payload> = BTreeMap::new();
    for (channel, payload) in checked {
        let channel = backend::channel(channel).unwrap();
        last.insert((channel.table, payload.row_key(channel)), payload);
    }
    let mut rows: BTreeMap<(&str, String), Payload> = BTreeMap::new();
    for channel in CHANNELS {
        let sql = format!(
            "SELECT row_to_json(t)::text FROM public.\"{}\" t",
            channel.table
        );
        for row in db.query(sql.as_str(), &[]).unwrap() {
            let row: BTreeMap<String, Box<serde_json::value::RawValue>> =
                serde_json::from_str(row.get::<_, &str>(0)).unwrap();
            let row = Payload {
                operation: None,
                row: row
                    .into_iter()
                    .map(|(k, v)| (k, v.get().to_string()))
                    .collect(),
            };
            rows.insert((channel.table, row.row_key(channel)), row);
        }
    }
    let mut compared = 0;
    for ((table, key), payload) in &last {
        let Some(row) = rows.get(&(*table, key.clone())) else {
            assert!(deleted_ok, "{table} {key}: notified, but no such row");
            continue;
        };
        compared += 1;
        for (column, value) in &row.row {
            let sent = payload
                .row
                .get(column)
                .unwrap_or_else(|| panic!("{table} {key}: payload lacks column {column}"));
            // tree_nonce travels as a string (backend payload); compare its value.
            assert_eq!(
                backend::unquote(sent),
                backend::unquote(value),
                "{table} {key}.{column}: last payload vs the row"
            );
        }
        if *table == "Bids" {
            if let Some(address) = payload.row.get("address") {
                assert_eq!(
                    address, &row.row["buyer_address"],
                    "bids: address = buyer_address"
                );
            }
        }
    }
    compared
}

/// A history with every event kind the contracts emit for the state.
pub fn history(first_block: u64) -> Vec<SynthBlock> {
    let (blocks, _) = Simulator::generate(ChainConfig {
        seed: 14,
        vaults: 2,
        lps_per_vault: 4,
        bidders_per_vault: 3,
        blocks: 160,
        max_events_per_block: 5,
        addressing: RoundAddressing::FromAddress,
        first_block,
    });
    let kinds: BTreeSet<&str> = blocks
        .iter()
        .flat_map(|b| b.events.iter().map(|e| e.event_name.as_str()))
        .collect();
    for kind in crate::codec::EventKind::ALL {
        use crate::codec::EventKind as K;
        // Legacy alias of FossilCallbackSuccess, and the ignored token events.
        if matches!(kind, K::L1RequestFulfilled | K::Transfer | K::Approval) {
            continue;
        }
        assert!(
            kinds.contains(kind.name()),
            "the history has a {}",
            kind.name()
        );
    }
    blocks
}

/// Every shape a processed history sends (LP and buyer INSERTs do not notify, spec §5.2).
pub const EVERY_SHAPE: [&str; 8] = [
    "bids_update:insert",
    "bids_update:update",
    "lp_update:update",
    "ob_update:update",
    "or_update:insert",
    "or_update:update",
    "vault_insert:bare",
    "vault_update:update",
];

#[test]
fn every_payload_of_the_trigger_path_reverts_and_rebuild_parses_as_the_backend_parses() {
    let mut db = fresh_database("ep_contract");
    db.batch_execute(
        "CREATE EXTENSION event_processor;
         SELECT event_processor.create_indexer_tables(with_from_address => true);",
    )
    .unwrap();
    let port: i32 = db
        .query_one("SELECT current_setting('port')::int", &[])
        .unwrap()
        .get(0);
    let mut listener = listen_all("ep_contract", port as u16);
    let blocks = history(3000);

    // The trigger path: each block in its own indexer transaction.
    for block in &blocks {
        insert_block(&mut db, block);
    }
    let checked = check_all(&drain(&mut listener, &mut db));
    let seen = shapes(&checked);
    for shape in EVERY_SHAPE {
        assert!(seen.contains(shape), "trigger path sent {shape}: {seen:?}");
    }
    let rows = last_payloads_equal_the_rows(&mut db, &checked, false);
    assert!(rows > 30, "{rows} rows compared");
    let bids = checked.iter().filter(|(c, _)| c == "bids_update").count();
    assert!(bids > 10, "{bids} bid payloads");

    // A revert notifies the rows it restores, each as it is now: the newest 30 blocks, or
    // more so that a placed bid is among them (for the bids_payload part below).
    let last_bid = blocks
        .iter()
        .rposition(|b| b.events.iter().any(|e| e.event_name == "BidPlaced"))
        .unwrap();
    let first_reverted = last_bid.min(blocks.len() - 30);
    let target = blocks[first_reverted - 1].number;
    let reverted: i32 = db
        .query_one(
            "SELECT event_processor.revert_to($1::text::numeric)",
            &[&target.to_string()],
        )
        .unwrap()
        .get(0);
    assert_eq!(reverted as usize, blocks.len() - first_reverted);
    let checked = check_all(&drain(&mut listener, &mut db));
    let seen = shapes(&checked);
    for shape in [
        "vault_update:update",
        "lp_update:update",
        "or_update:update",
    ] {
        assert!(seen.contains(shape), "revert sent {shape}: {seen:?}");
    }
    assert!(last_payloads_equal_the_rows(&mut db, &checked, true) > 0);

    // bids_payload = migration: the migration's row_to_json exactly, which the backend cannot
    // parse (the reason for the default); re-applying the reverted blocks sends such bids.
    db.batch_execute(
        "SET event_processor.bids_payload = migration;
         SELECT * FROM event_processor.process_pending();",
    )
    .unwrap();
    let received = drain(&mut listener, &mut db);
    let migration_bids: Vec<&String> = received
        .iter()
        .filter(|(c, _)| c == "bids_update")
        .map(|(_, p)| p)
        .collect();
    assert!(
        !migration_bids.is_empty(),
        "the re-applied blocks place a bid"
    );
    for payload in &migration_bids {
        let value: serde_json::Value = serde_json::from_str(payload).unwrap();
        let row = &value["payload"];
        let expected: String = db
            .query_one(
                "SELECT row_to_json(b)::text FROM \"Bids\" b WHERE round_address = $1 AND bid_id = $2",
                &[&row["round_address"].as_str(), &row["bid_id"].as_str()],
            )
            .unwrap()
            .get(0);
        assert!(
            payload.ends_with(&format!("\"payload\" : {expected}}}")),
            "{payload}"
        );
        assert_eq!(
            backend::check("bids_update", payload)
                .unwrap_err()
                .to_string(),
            "bids_update.address: missing"
        );
    }
    db.batch_execute("RESET event_processor.bids_payload")
        .unwrap();
    check_all(
        &received
            .into_iter()
            .filter(|(c, _)| c != "bids_update")
            .collect::<Vec<_>>(),
    );

    // rebuild() as a superuser notifies nothing.
    let rebuilt: i64 = db
        .query_one("SELECT blocks_applied FROM event_processor.rebuild()", &[])
        .unwrap()
        .get(0);
    assert_eq!(rebuilt as usize, blocks.len());
    assert_eq!(
        drain(&mut listener, &mut db),
        Vec::<(String, String)>::new()
    );
}
