//! Tests that need committed transactions, several sessions or a database of their own.
//! Each test creates its own database in the shared test server, so committed rows never
//! leak into the `#[pg_test]`s (which use `pgrx_tests`).

use super::worked_example as wx;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};
use std::time::Duration;

/// Starts the shared test server (once per test binary) and returns a client connected to a
/// new, empty database `name`.
pub fn fresh_database(name: &str) -> Client {
    pgrx_tests::run_test(
        "extension_is_installed_in_its_schema",
        None,
        crate::pg_test::postgresql_conf_options(),
    )
    .expect("test server");
    let (mut admin, _) = pgrx_tests::client().expect("admin client");
    // Separate statements: a multi-statement query is one implicit transaction.
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let port: i32 = admin
        .query_one("SELECT current_setting('port')::int", &[])
        .expect("port")
        .get(0);
    connect(name, port as u16)
}

pub fn connect(database: &str, port: u16) -> Client {
    postgres::Config::new()
        .host("localhost")
        .port(port)
        .user(&pgrx_tests::get_pg_user())
        .dbname(database)
        .connect(NoTls)
        .expect("connect")
}

pub fn count(client: &mut Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).expect(sql).get(0)
}

#[test]
fn drop_extension_keeps_the_indexers_tables_and_rows() {
    let mut db = fresh_database("ep_drop_extension");
    db.batch_execute(
        "CREATE EXTENSION event_processor;
         SELECT event_processor.create_indexer_tables();
         SET event_processor.trigger_enabled = off; -- the rows below are placeholders
         INSERT INTO starknet_blocks VALUES (10, '0xb10', '0xb09', 1000, 'MINED');
         INSERT INTO events VALUES (1, 10, '0xb10', '0x7a11', 'Deposit', '{0x1}', '{0x2}', '0x710');
         INSERT INTO vault_registry (vault_address, deployed_at) VALUES ('0x7a11', '0xb10');
         INSERT INTO driver_events (type, block_hash) VALUES ('StartBlock', '0xb10');
         INSERT INTO \"VaultStates\" (address) VALUES ('0x7a11');",
    )
    .expect("setup");
    // The block trigger on starknet_blocks depends on the extension's function, so a plain
    // DROP EXTENSION refuses and names it; nothing is dropped.
    let refused = db
        .batch_execute("DROP EXTENSION event_processor")
        .unwrap_err();
    let refused = refused.as_db_error().expect("server error");
    assert_eq!(refused.code().code(), "2BP01");
    assert!(refused
        .detail()
        .unwrap_or_default()
        .contains("trigger event_processor_block_inserted on table starknet_blocks"));
    assert_eq!(count(&mut db, "SELECT count(*) FROM \"VaultStates\""), 1);
    // CASCADE removes that trigger with the extension, and never the indexer's tables.
    db.batch_execute("DROP EXTENSION event_processor CASCADE")
        .expect("drop cascade");
    for table in [
        "starknet_blocks",
        "events",
        "vault_registry",
        "driver_events",
    ] {
        assert_eq!(
            count(&mut db, &format!("SELECT count(*) FROM {table}")),
            1,
            "{table} rows"
        );
    }
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM events WHERE event_keys = '{0x1}'"
        ),
        1
    );
    // The extension's own objects are gone: state tables, bookkeeping schema, functions.
    assert_eq!(
        count(&mut db, "SELECT count(*) FROM pg_class WHERE relname IN ('VaultStates', 'Bids', 'applied_blocks')"),
        0
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'event_processor'"
        ),
        0
    );
    // The indexer's notify trigger survives with its table.
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'driver_event_notify_trigger'"
        ),
        1
    );

    // Re-creating works and leaves the existing indexer tables alone.
    db.batch_execute("CREATE EXTENSION event_processor")
        .expect("re-create");
    let created: Vec<String> = db
        .query_one("SELECT event_processor.create_indexer_tables()", &[])
        .unwrap()
        .get(0);
    assert!(created.is_empty(), "{created:?}");
    assert_eq!(count(&mut db, "SELECT count(*) FROM starknet_blocks"), 1);
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'event_processor_block_inserted'"
        ),
        1
    );
}

#[test]
fn create_extension_refuses_to_adopt_existing_state_tables() {
    let mut db = fresh_database("ep_existing_state");
    db.batch_execute("CREATE TABLE \"VaultStates\" (address varchar PRIMARY KEY)")
        .unwrap();
    let err = db
        .batch_execute("CREATE EXTENSION event_processor")
        .unwrap_err();
    let db_err = err.as_db_error().expect("a server error");
    assert_eq!(db_err.code().code(), "42P07");
    assert!(
        db_err
            .message()
            .contains("state tables already exist in schema public: \"VaultStates\""),
        "{}",
        db_err.message()
    );
    assert!(db_err
        .hint()
        .unwrap_or_default()
        .contains("Go event processor"));
}

/// Spec §5.2: which writes notify, on which channel, with which payload shape.
#[test]
fn state_changes_notify_the_backend_channels() {
    let mut writer = fresh_database("ep_notify");
    writer
        .batch_execute("CREATE EXTENSION event_processor")
        .unwrap();
    let port: i32 = writer
        .query_one("SELECT current_setting('port')::int", &[])
        .unwrap()
        .get(0);
    let mut listener = connect("ep_notify", port as u16);
    listener
        .batch_execute("LISTEN vault_insert; LISTEN vault_update; LISTEN or_update; LISTEN lp_update; LISTEN ob_update; LISTEN bids_update")
        .unwrap();

    writer
        .batch_execute(
            "INSERT INTO \"VaultStates\" (address, unlocked_balance, locked_balance, stashed_balance)
                 VALUES ('0x7a11', 0, 0, 0);
             UPDATE \"VaultStates\" SET unlocked_balance = 340282366920938463463374607431768211457;
             INSERT INTO \"Option_Rounds\" (address, vault_address, state) VALUES ('0x1a1', '0x7a11', 'Open');
             UPDATE \"Option_Rounds\" SET state = 'Auctioning';
             INSERT INTO \"Liquidity_Providers\" VALUES ('0xa1', '0x7a11', 0, 0, 320, 11);
             UPDATE \"Liquidity_Providers\" SET latest_block = 12;
             INSERT INTO \"Option_Buyers\" (address, round_address) VALUES ('0xc3', '0x1a1');
             UPDATE \"Option_Buyers\" SET has_minted = true;
             INSERT INTO \"Bids\" VALUES ('0xc3', '0x1a1', '0xb1d1', 0, 4, 5);
             UPDATE \"Bids\" SET price = 6;",
        )
        .unwrap();

    // (channel, raw payload, parsed payload): key order and big integers need the raw text.
    let mut received: Vec<(String, String, serde_json::Value)> = Vec::new();
    let mut notifications = listener.notifications();
    // Read until the channel has been quiet for 2 s, so an unexpected extra notification fails.
    let mut it = notifications.timeout_iter(Duration::from_secs(2));
    while let Ok(Some(n)) = it.next() {
        received.push((
            n.channel().to_string(),
            n.payload().to_string(),
            serde_json::from_str(n.payload()).unwrap(),
        ));
    }
    let shape: Vec<String> = received
        .iter()
        .map(|(channel, _, p)| format!("{channel}:{}", p["operation"].as_str().unwrap_or("bare")))
        .collect();
    assert_eq!(
        shape,
        [
            "vault_insert:bare",
            "vault_update:update",
            "or_update:insert",
            "or_update:update",
            "lp_update:update",
            "ob_update:update",
            "bids_update:insert",
            "bids_update:update",
        ],
        "LP and buyer INSERTs do not notify (spec §5.2)"
    );
    // Bare row for vault_insert; numerics are exact JSON numbers; keys in column order.
    assert_eq!(received[0].2["address"], "0x7a11");
    assert!(
        received[1]
            .1
            .contains("\"unlocked_balance\":340282366920938463463374607431768211457,"),
        "{}",
        received[1].1
    );
    assert!(
        received[4].1.contains(
            "{\"address\":\"0xa1\",\"vault_address\":\"0x7a11\",\"stashed_balance\":0,\
             \"locked_balance\":0,\"unlocked_balance\":320,\"latest_block\":12}"
        ),
        "{}",
        received[4].1
    );
    assert_eq!(received[5].2["payload"]["has_minted"], true);
    // Bids as the backend parses them (spec §8-4): the row's keys, tree_nonce as a string and
    // "address" = buyer_address.
    assert_eq!(
        received[7].1,
        "{\"operation\" : \"update\", \"payload\" : {\"buyer_address\" : \"0xc3\", \
         \"round_address\" : \"0x1a1\", \"bid_id\" : \"0xb1d1\", \"tree_nonce\" : \"0\", \
         \"amount\" : 4, \"price\" : 6, \"address\" : \"0xc3\"}}"
    );
    drop(it);
    drop(notifications);

    // bids_payload = migration: the migration's row_to_json, unchanged.
    writer
        .batch_execute(
            "SET event_processor.bids_payload = 'migration';
             UPDATE \"Bids\" SET price = 7;
             RESET event_processor.bids_payload;
             UPDATE \"Bids\" SET price = 8;",
        )
        .unwrap();
    let mut notifications = listener.notifications();
    let mut it = notifications.timeout_iter(Duration::from_secs(2));
    let mut bids = Vec::new();
    while let Ok(Some(n)) = it.next() {
        bids.push(n.payload().to_string());
    }
    assert_eq!(
        bids,
        [
            "{\"operation\" : \"update\", \"payload\" : {\"buyer_address\":\"0xc3\",\
             \"round_address\":\"0x1a1\",\"bid_id\":\"0xb1d1\",\"tree_nonce\":0,\"amount\":4,\"price\":7}}",
            "{\"operation\" : \"update\", \"payload\" : {\"buyer_address\" : \"0xc3\", \
             \"round_address\" : \"0x1a1\", \"bid_id\" : \"0xb1d1\", \"tree_nonce\" : \"0\", \
             \"amount\" : 4, \"price\" : 8, \"address\" : \"0xc3\"}}",
        ]
    );
    // An unknown value is refused, naming the choices.
    let err = writer
        .batch_execute("SET event_processor.bids_payload = 'json'")
        .unwrap_err();
    assert_eq!(
        err.as_db_error().map(|e| e.code().code()),
        Some("22023"),
        "{err}"
    );
}

/// The ledger holds each indexed event exactly once.
pub fn assert_every_event_applied_once(db: &mut Client) {
    assert_eq!(
        count(db, "SELECT count(*) FROM event_processor.applied_events"),
        count(db, "SELECT count(*) FROM events"),
        "every event applied exactly once"
    );
}

pub fn client_dump(db: &mut Client) -> Vec<String> {
    let mut lines: Vec<String> = event_processor_dump_queries()
        .iter()
        .flat_map(|q| {
            db.query(q.as_str(), &[])
                .expect("dump")
                .into_iter()
                .map(|r| r.get::<_, String>(0))
        })
        .collect();
    lines.sort();
    lines
}

fn event_processor_dump_queries() -> Vec<String> {
    crate::protocol::dump::dump_queries()
}

/// One indexer transaction as it happens: BEGIN, the block row, then its worked-example events
/// and `extra_events` (SQL), COMMIT. The deferred trigger processes the block at COMMIT, seeing
/// events inserted after the block row; state and chain data commit together.
pub fn insert_block_tx(
    db: &mut Client,
    block: &wx::Block,
    extra_events: &str,
) -> Result<(), postgres::Error> {
    let mut tx = db.transaction()?;
    tx.execute(
        "INSERT INTO starknet_blocks VALUES ($1::text::numeric, $2, $3, $4::text::numeric, 'MINED')",
        &[&block.number.to_string(), &block.hash, &block.parent_hash, &block.timestamp.to_string()],
    )?;
    for e in wx::events().iter().filter(|e| e.block == block.number) {
        let keys: Vec<String> = e.keys.iter().map(|s| s.to_string()).collect();
        let data: Vec<String> = e.data.iter().map(|s| s.to_string()).collect();
        tx.execute(
            "INSERT INTO events VALUES ($1, $2::text::numeric, $3, $4, $5, $6::text[], $7::text[], $8)",
            &[&e.nonce, &e.block.to_string(), &e.block_hash, &e.vault, &e.name, &keys, &data, &e.tx],
        )?;
    }
    tx.batch_execute(extra_events)?;
    tx.commit()
}

/// A generated block as the indexer writes it: its events, then its MINED row, one transaction.
pub fn insert_synth_block_tx(db: &mut Client, block: &crate::synth::SynthBlock) {
    let mut tx = db.transaction().unwrap();
    for e in &block.events {
        tx.execute(
            "INSERT INTO events VALUES ($1, $2::text::numeric, $3, $4, $5, $6::text[], $7::text[], $8, $9)",
            &[&e.event_nonce, &e.block_number.to_string(), &&*e.block_hash, &&*e.vault_address, &e.event_name, &e.keys, &e.data, &e.transaction_hash, &e.from_address],
        )
        .unwrap();
    }
    tx.execute(
        "INSERT INTO starknet_blocks VALUES ($1::text::numeric, $2, $3, $4::text::numeric, 'MINED')",
        &[&block.number.to_string(), &block.hash, &block.parent_hash, &block.timestamp.to_string()],
    )
    .unwrap();
    tx.commit().unwrap();
}

#[test]
fn indexer_transactions_commit_the_state_with_the_chain() {
    let mut db = fresh_database("ep_indexer_tx");
    db.batch_execute(
        "CREATE EXTENSION event_processor; SELECT event_processor.create_indexer_tables()",
    )
    .unwrap();
    let port: i32 = db
        .query_one("SELECT current_setting('port')::int", &[])
        .unwrap()
        .get(0);
    let mut listener = connect("ep_indexer_tx", port as u16);
    listener
        .batch_execute("LISTEN vault_update; LISTEN or_update; LISTEN lp_update")
        .unwrap();
    for block in wx::blocks() {
        insert_block_tx(&mut db, block, "")
            .unwrap_or_else(|e| panic!("block {}: {e}", block.number));
        let dump = client_dump(&mut db);
        for line in wx::expected_after(block.number) {
            assert!(
                dump.iter().any(|l| l == line),
                "after block {}: {line}",
                block.number
            );
        }
    }
    assert_eq!(client_dump(&mut db), wx::expected_final());

    // Processing notified the readers' channels; the last payload per row is its end state.
    let mut last: std::collections::BTreeMap<(String, String), serde_json::Value> =
        Default::default();
    let mut notifications = listener.notifications();
    let mut it = notifications.timeout_iter(Duration::from_secs(2));
    while let Ok(Some(n)) = it.next() {
        let payload: serde_json::Value = serde_json::from_str(n.payload()).unwrap();
        let row = payload["payload"].clone();
        let key = row["address"].as_str().unwrap_or_default().to_string();
        last.insert((n.channel().to_string(), key), row);
    }
    let vault = &last[&("vault_update".to_string(), wx::VAULT.to_string())];
    assert_eq!(
        (
            vault["unlocked_balance"].as_u64(),
            vault["latest_block"].as_u64()
        ),
        (Some(258), Some(23))
    );
    assert_eq!(vault["current_round_address"], wx::ROUND_2);
    let round = &last[&("or_update".to_string(), wx::ROUND_1.to_string())];
    assert_eq!(
        (
            round["state"].as_str(),
            round["remaining_liquidity"].as_u64()
        ),
        (Some("Settled"), Some(300))
    );
    assert!(
        last.contains_key(&("or_update".to_string(), wx::ROUND_2.to_string())),
        "round 2's insert"
    );
    assert_eq!(
        last[&("lp_update".to_string(), wx::LP_B.to_string())]["unlocked_balance"].as_u64(),
        Some(134)
    );
    drop(it);

    // failure_policy = raise: a malformed event fails the indexer's COMMIT; neither the block
    // nor any state lands.
    db.batch_execute("SET event_processor.failure_policy = raise")
        .unwrap();
    let bad = wx::Block {
        number: 25,
        hash: "0xb25",
        parent_hash: "0xb24",
        timestamp: 2330,
    };
    let err = insert_block_tx(
        &mut db,
        &bad,
        &format!("INSERT INTO events VALUES (21, 25, '0xb25', '0x7a11', 'Deposit', ARRAY['{}', '0xa1'], ARRAY['0x1', '0x0', '0x7b', '0x0', '0xzz', '0x0'], '0x726')", wx::SEL_DEPOSIT),
    )
    .unwrap_err();
    let db_err = err.as_db_error().expect("server error");
    assert_eq!(db_err.code().code(), "22P02");
    assert!(db_err.message().starts_with("block 25 (0xb25), vault 0x7a11, event nonce 21 (Deposit): Deposit: field vault_unlocked_balance_now.low (data[4] = \"0xzz\")"), "{}", db_err.message());
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM starknet_blocks WHERE block_number = 25"
        ),
        0
    );
    assert_eq!(client_dump(&mut db), wx::expected_final());

    // failure_policy = defer (the default): the indexer's COMMIT succeeds, the block's effects
    // are rolled back and recorded as the halt; the next block waits; after the data is fixed,
    // retry_block applies both.
    db.batch_execute("RESET event_processor.failure_policy")
        .unwrap();
    let bad_event = format!("INSERT INTO events VALUES (21, 25, '0xb25', '0x7a11', 'Deposit', ARRAY['{}', '0xa1'], ARRAY['0x1', '0x0', '0x7b', '0x0', '0xzz', '0x0'], '0x726')", wx::SEL_DEPOSIT);
    insert_block_tx(&mut db, &bad, &bad_event).expect("defer: the indexer commits");
    let next = wx::Block {
        number: 26,
        hash: "0xb26",
        parent_hash: "0xb25",
        timestamp: 2340,
    };
    insert_block_tx(&mut db, &next, "").expect("a block behind the halt commits too");
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM starknet_blocks WHERE block_number IN (25, 26)"
        ),
        2
    );
    assert_eq!(
        client_dump(&mut db),
        wx::expected_final(),
        "nothing of 25 applied"
    );
    let halt: String = db
        .query_one(
            "SELECT concat_ws(' ', halted_at_block, halted_block_hash) FROM event_processor.status()",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(halt, "25 0xb25");
    db.batch_execute("DELETE FROM events WHERE block_number = 25")
        .unwrap();
    let row = db
        .query_one(
            "SELECT blocks_applied, events_applied FROM event_processor.retry_block('0xb25')",
            &[],
        )
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (2, 0));
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.applied_blocks WHERE block_number IN (25, 26)"
        ),
        2
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.failed_blocks WHERE resolved = 'retried'"
        ),
        1
    );
}

/// `CALL event_processor.process_driver_events()` commits after each driver event; a failing
/// one stops the call, stays unprocessed, and the ones before it stay committed.
#[test]
fn driver_events_procedure_commits_each_event() {
    let mut db = fresh_database("ep_driver_proc");
    db.batch_execute(
        "CREATE EXTENSION event_processor; SELECT event_processor.create_indexer_tables();
         ALTER DATABASE ep_driver_proc SET event_processor.trigger_enabled = off",
    )
    .unwrap();
    let port: i32 = db
        .query_one("SELECT current_setting('port')::int", &[])
        .unwrap()
        .get(0);
    let mut db = connect("ep_driver_proc", port as u16);
    for block in wx::blocks() {
        let start = format!(
            "INSERT INTO driver_events (type, block_hash) VALUES ('StartBlock', '{}')",
            block.hash
        );
        insert_block_tx(&mut db, block, &start).unwrap();
    }
    assert_eq!(
        client_dump(&mut db),
        Vec::<String>::new(),
        "trigger path off: nothing applied yet"
    );
    // The logger reverts block 24 (status REVERTED + a RevertBlock driver event); then a
    // driver event without its block hash fails and stops the procedure.
    db.batch_execute(
        "UPDATE starknet_blocks SET status = 'REVERTED' WHERE block_number = 24;
         INSERT INTO driver_events (type, block_hash) VALUES ('RevertBlock', '0xb24');
         INSERT INTO driver_events (type) VALUES ('StartBlock')",
    )
    .unwrap();
    let err = db
        .batch_execute("CALL event_processor.process_driver_events()")
        .unwrap_err();
    assert_eq!(
        err.as_db_error().map(|e| e.code().code()),
        Some("23502"),
        "{err}"
    );
    // StartBlock 0xb24 comes before the RevertBlock in sequence order, but the block is
    // REVERTED by then: skipped, and the RevertBlock finds nothing applied.
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM driver_events WHERE is_processed"
        ),
        16
    );
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM driver_events WHERE NOT is_processed"
        ),
        1,
        "the bad one stays pending"
    );
    let without_block_24: Vec<String> = wx::expected_final()
        .into_iter()
        .map(|l| {
            l.replace(
                "Option_Buyers|0xc3|0x1a1|true|true|4|8",
                "Option_Buyers|0xc3|0x1a1|false|true|4|8",
            )
        })
        .collect();
    assert_eq!(
        client_dump(&mut db),
        without_block_24,
        "blocks 10–23 applied, block 24 never"
    );
}
