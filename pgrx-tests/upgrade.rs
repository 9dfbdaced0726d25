//! Upgrades: the previous release's install script (sql/archive/, installed by
//! scripts/pgrx-test.sh), then `ALTER EXTENSION event_processor UPDATE`, must give the same
//! catalog as a fresh install of this version, keep the data, and leave the old journal
//! entries revertible.

use super::client::{client_dump, count, fresh_database, insert_block_tx};
use super::worked_example as wx;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;

/// Everything the extension defines, one line per object, sorted: columns with types,
/// defaults, NOT NULL and compression, tables' storage options, constraints, indexes, triggers
/// on its tables, routines (signature, result, language, body or symbol, SECURITY DEFINER,
/// settings, privileges), views, comments, extension members and configuration tables.
const CATALOG: &str = r#"
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname IN ('event_processor', 'public')),
rels AS (SELECT c.oid, c.relname, c.relkind, c.relacl, c.reloptions FROM pg_class c JOIN ns ON c.relnamespace = ns.oid
          WHERE c.relkind IN ('r', 'v', 'S')
            AND c.relname NOT IN ('starknet_blocks', 'events', 'vault_registry', 'driver_events'))
SELECT line FROM (
  SELECT 'column ' || r.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
         || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
         || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
         || CASE WHEN a.attcompression <> '' THEN ' compression ' || a.attcompression::text ELSE '' END AS line
    FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum
  UNION ALL
  SELECT 'acl ' || r.relname || ' ' || coalesce(r.relacl::text, '') FROM rels r
  UNION ALL
  SELECT 'options ' || r.relname || ' ' || coalesce(r.reloptions::text, '') FROM rels r
  UNION ALL
  SELECT 'constraint ' || r.relname || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
    FROM rels r JOIN pg_constraint co ON co.conrelid = r.oid
  UNION ALL
  SELECT 'index ' || pg_get_indexdef(i.indexrelid) FROM rels r JOIN pg_index i ON i.indrelid = r.oid
  UNION ALL
  SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM rels r JOIN pg_trigger t ON t.tgrelid = r.oid
   WHERE NOT t.tgisinternal
  UNION ALL
  SELECT 'view ' || r.relname || ' ' || pg_get_viewdef(r.oid) FROM rels r WHERE r.relkind = 'v'
  UNION ALL
  SELECT 'routine ' || p.oid::regprocedure || ' -> ' || coalesce(pg_get_function_result(p.oid), 'procedure')
         || ' ' || l.lanname || ' ' || p.prosrc || ' ' || coalesce(p.probin, '')
         || ' definer=' || p.prosecdef || ' strict=' || p.proisstrict || ' volatile=' || p.provolatile::text
         || ' config=' || coalesce(p.proconfig::text, '') || ' acl=' || coalesce(p.proacl::text, '')
         || ' comment=' || coalesce(obj_description(p.oid, 'pg_proc'), '')
    FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
   WHERE p.pronamespace = 'event_processor'::regnamespace
  UNION ALL
  SELECT 'comment ' || r.relname || ' ' || coalesce(obj_description(r.oid, 'pg_class'), '') FROM rels r
  UNION ALL
  SELECT 'member ' || pg_describe_object(d.classid, d.objid, d.objsubid)
    FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
   WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'event_processor' AND d.deptype = 'e'
  UNION ALL
  SELECT 'config ' || c::regclass::text FROM pg_extension e, unnest(e.extconfig) c
   WHERE e.extname = 'event_processor'
) lines
-- The test build's install script also holds the #[pg_test] functions (schema tests).
WHERE line NOT LIKE 'member function tests.%' AND line <> 'member schema tests'
ORDER BY line"#;

fn catalog(db: &mut Client) -> Vec<String> {
    db.query(CATALOG, &[])
        .expect("catalog")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// The catalog after `ALTER EXTENSION ... UPDATE` equals a fresh install's, line for line.
fn assert_same_catalog(db: &mut Client, fresh: &mut Client) {
    let (upgraded, installed) = (catalog(db), catalog(fresh));
    let only_upgraded: Vec<_> = upgraded.iter().filter(|l| !installed.contains(l)).collect();
    let only_fresh: Vec<_> = installed.iter().filter(|l| !upgraded.contains(l)).collect();
    assert!(
        only_upgraded.is_empty() && only_fresh.is_empty(),
        "catalogs differ\nonly after the update:\n  {}\nonly in a fresh install:\n  {}",
        only_upgraded
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  "),
        only_fresh
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert!(
        upgraded.len() > 100,
        "the catalog query sees the extension ({})",
        upgraded.len()
    );
}

fn installed_version(db: &mut Client) -> String {
    db.query_one(
        "SELECT extversion FROM pg_extension WHERE extname = 'event_processor'",
        &[],
    )
    .unwrap()
    .get(0)
}

fn fresh_install(name: &str) -> Client {
    let mut fresh = fresh_database(name);
    fresh
        .batch_execute(
            "SET client_min_messages = warning; CREATE EXTENSION event_processor;
             SELECT event_processor.create_indexer_tables();",
        )
        .unwrap();
    fresh
}

/// A new database with release `version` installed from its archived script.
fn install_release(name: &str, version: &str) -> Client {
    let mut db = fresh_database(name);
    db.batch_execute(&format!(
        "SET client_min_messages = warning;
         CREATE EXTENSION event_processor VERSION '{version}';
         SELECT event_processor.create_indexer_tables();"
    ))
    .unwrap();
    assert_eq!(installed_version(&mut db), version);
    db
}

#[test]
fn update_from_0_1_0_equals_a_fresh_install_and_keeps_the_data() {
    let mut fresh = fresh_install("ep_fresh_install");

    let mut db = install_release("ep_upgrade", "0.1.0");
    // Data as 0.1.0 wrote it: block 10 applied, the vault it created, and that block's journal
    // entry in the 0.1.0 shape (jsonb key object, before NULL: created).
    db.batch_execute(&format!(
        "SET event_processor.trigger_enabled = off;
         INSERT INTO starknet_blocks VALUES (10, '0xb10', '0xb09', 1000, 'MINED');
         INSERT INTO public.\"VaultStates\" (address, unlocked_balance, locked_balance, stashed_balance,
                current_round, current_round_address, latest_block, deployment_date)
         VALUES ('{vault}', 0, 0, 0, 1, '0x1a1', 10, 1000);
         INSERT INTO event_processor.applied_blocks (block_hash, block_number, parent_hash, event_count)
         VALUES ('0xb10', 10, '0xb09', 1);
         INSERT INTO event_processor.applied_events (block_hash, vault_address, event_nonce, event_name, content_hash)
         VALUES ('0xb10', '{vault}', 1, 'ContractDeployed', 'c1');
         INSERT INTO event_processor.journal (block_hash, table_name, pk, before)
         VALUES ('0xb10', 'VaultStates', '{{\"address\": \"{vault}\"}}'::jsonb, NULL);",
        vault = "0x7a11"
    ))
    .unwrap();
    let before = client_dump(&mut db);

    update_to_this_version(&mut db, &mut fresh);

    // The data survived, and the 0.1.0 journal entry still reverts its block.
    assert_eq!(client_dump(&mut db), before);
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.applied_events"
        ),
        1
    );
    db.batch_execute("SELECT event_processor.revert_block('0xb10')")
        .unwrap();
    assert_eq!(client_dump(&mut db), Vec::<String>::new());

    // And it processes as a fresh install does: the worked example through the trigger.
    db.batch_execute(
        "RESET event_processor.trigger_enabled;
         DELETE FROM starknet_blocks;",
    )
    .unwrap();
    assert_the_worked_example_processes(&mut db);
}

/// 0.2.0 -> 0.3.0: the bids_update trigger function changes and the ledger gains the prune
/// watermark. Data in 0.2.0's shapes (a block with a grouped journal: an updated vault, a
/// created bid) survives, its journal still reverts the block, and bids then notify in the
/// backend's shape. (The 0.3.0 library does not process under 0.2.0's SQL: the data is written
/// as 0.2.0 wrote it.)
#[test]
fn update_from_0_2_0_equals_a_fresh_install_and_switches_the_bids_payload() {
    let mut fresh = fresh_install("ep_fresh_install_2");
    let mut db = install_release("ep_upgrade_2", "0.2.0");
    let vault = VAULT_AT_10;
    db.batch_execute(&format!(
        "SET event_processor.trigger_enabled = off;
         INSERT INTO starknet_blocks VALUES (10, '0xb10', '0xb09', 1000, 'MINED'), (11, '0xb11', '0xb10', 1010, 'MINED');
         INSERT INTO public.\"VaultStates\" SELECT * FROM jsonb_populate_record(NULL::public.\"VaultStates\", '{vault}');
         INSERT INTO event_processor.applied_blocks (block_hash, block_number, parent_hash, event_count)
         VALUES ('0xb10', 10, '0xb09', 1);
         -- Block 11 (0.2.0's grouped journal): the vault updated, a bid created.
         UPDATE public.\"VaultStates\" SET unlocked_balance = 320, latest_block = 11;
         INSERT INTO public.\"Bids\" VALUES ('0xc3', '0x1a1', '0xb1d1', 0, 4, 5);
         INSERT INTO event_processor.applied_blocks (block_hash, block_number, parent_hash, event_count)
         VALUES ('0xb11', 11, '0xb10', 2);
         INSERT INTO event_processor.journal (block_hash, table_name, pk, before) VALUES
           ('0xb11', 'VaultStates', '[]', '[{vault}]'),
           ('0xb11', 'Bids', '[{{\"round_address\": \"0x1a1\", \"bid_id\": \"0xb1d1\"}}]', NULL);"
    ))
    .unwrap();
    let old_payload = bid_payload_of_an_update(&mut db);
    assert!(
        old_payload.contains("\"buyer_address\":") && !old_payload.contains("\"address\""),
        "{old_payload}"
    );
    let before = client_dump(&mut db);

    update_to_this_version(&mut db, &mut fresh);
    assert_eq!(client_dump(&mut db), before, "the data survived");
    let new_payload = bid_payload_of_an_update(&mut db);
    crate::synth::backend::check("bids_update", &new_payload)
        .unwrap_or_else(|v| panic!("after the update: {v}"));

    // The 0.2.0 journal reverts block 11: the bid is gone, the vault as it was.
    db.batch_execute("SELECT event_processor.revert_block('0xb11')")
        .unwrap();
    assert_eq!(
        client_dump(&mut db),
        ["VaultStates|0|0|1|0x1a1|0|0x7a11|10|0xf1|0xe7|0xc1|5000|0|100|100|1000|1000"]
    );
    // And it processes as a fresh install does: the worked example through the trigger.
    db.batch_execute(
        "RESET event_processor.trigger_enabled;
         DELETE FROM public.\"VaultStates\"; DELETE FROM event_processor.applied_blocks;
         DELETE FROM starknet_blocks;",
    )
    .unwrap();
    assert_the_worked_example_processes(&mut db);
}

/// The vault of the hand-written releases' data, as its block 10 created it (to_jsonb).
const VAULT_AT_10: &str = r#"{"address": "0x7a11", "eth_address": "0xe7", "unlocked_balance": 0, "locked_balance": 0, "stashed_balance": 0, "current_round": 1, "current_round_address": "0x1a1", "latest_block": 10, "alpha": 5000, "strike_level": 0, "fossil_client_address": "0xf1", "option_round_class_hash": "0xc1", "round_transition_period": 100, "auction_duration": 100, "round_duration": 1000, "deployment_date": 1000}"#;

/// `ALTER EXTENSION ... UPDATE`: this version is installed, with a fresh install's catalog.
fn update_to_this_version(db: &mut Client, fresh: &mut Client) {
    db.batch_execute("ALTER EXTENSION event_processor UPDATE")
        .unwrap();
    assert_eq!(installed_version(db), env!("CARGO_PKG_VERSION"));
    assert_same_catalog(db, fresh);
}

/// Release `version` with the worked example applied through its trigger, updated to this
/// version (catalog equal to a fresh install), its state intact: the database and that state.
fn update_with_the_worked_example(tag: &str, version: &str) -> (Client, Vec<String>) {
    let mut fresh = fresh_install(&format!("ep_fresh_install_{tag}"));
    let mut db = install_release(&format!("ep_upgrade_{tag}"), version);
    for block in wx::blocks() {
        insert_block_tx(&mut db, block, "").unwrap();
    }
    let before = client_dump(&mut db);
    assert_eq!(before, wx::expected_final());
    update_to_this_version(&mut db, &mut fresh);
    assert_eq!(client_dump(&mut db), before, "the data survived");
    (db, before)
}

/// It processes as a fresh install does: the worked example through the trigger, from empty
/// state tables.
fn assert_the_worked_example_processes(db: &mut Client) {
    for block in wx::blocks() {
        insert_block_tx(db, block, "").unwrap();
    }
    assert_eq!(client_dump(db), wx::expected_final());
}

/// The bids_update payload that touching one bid sends (a listener on the same database).
fn bid_payload_of_an_update(db: &mut Client) -> String {
    db.batch_execute("LISTEN bids_update").unwrap();
    db.batch_execute(
        "UPDATE \"Bids\" SET price = price WHERE bid_id = (SELECT min(bid_id) FROM \"Bids\")",
    )
    .unwrap();
    let payload = db
        .notifications()
        .iter()
        .next()
        .unwrap()
        .expect("a bids_update notification")
        .payload()
        .to_string();
    db.batch_execute("UNLISTEN bids_update").unwrap();
    payload
}

/// 0.3.0 -> 0.4.0: status() and metrics gain the worker's lag in milliseconds, its last
/// reaction latency and the wake-ups asked for. State applied under 0.3.0 survives, and the
/// updated status() reports on it.
#[test]
fn update_from_0_3_0_equals_a_fresh_install_and_reports_the_lag() {
    let (mut db, _) = update_with_the_worked_example("3", "0.3.0");
    let row = db
        .query_one(
            "SELECT s.blocks_behind, s.lag_ms, m.lag_ms, m.wake_requests_total >= 0
               FROM event_processor.status() s, event_processor.metrics m",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 0);
    assert_eq!(
        row.get::<_, Option<f64>>(1),
        Some(0.0),
        "nothing behind: no lag"
    );
    assert_eq!(row.get::<_, f64>(2), 0.0);
    assert!(row.get::<_, bool>(3));
}

/// 0.4.0 -> 0.5.0: the journal's typed format (protocol/journal.rs), every row an array told
/// apart by `before` alone. Data as 0.4.0 wrote it (block 11: a grouped changed vault, a
/// created bid, and a history row journaled from the table as a single object) survives, its
/// journal is all arrays after the update and still reverts the block.
#[test]
fn update_from_0_4_0_equals_a_fresh_install_and_types_the_journal() {
    let mut fresh = fresh_install("ep_fresh_install_4");
    let mut db = install_release("ep_upgrade_4", "0.4.0");
    let vault = VAULT_AT_10;
    let history = r#"{"unlocked_balance": 0, "locked_balance": 0, "stashed_balance": 0, "address": "0x7a11", "block_number": 11}"#;
    db.batch_execute(&format!(
        "SET event_processor.trigger_enabled = off;
         INSERT INTO starknet_blocks VALUES (10, '0xb10', '0xb09', 1000, 'MINED'), (11, '0xb11', '0xb10', 1010, 'MINED');
         INSERT INTO public.\"VaultStates\" SELECT * FROM jsonb_populate_record(NULL::public.\"VaultStates\", '{vault}');
         INSERT INTO public.\"Vault_Historic\" SELECT * FROM jsonb_populate_record(NULL::public.\"Vault_Historic\", '{history}');
         INSERT INTO event_processor.applied_blocks (block_hash, block_number, parent_hash, event_count)
         VALUES ('0xb10', 10, '0xb09', 1);
         UPDATE public.\"VaultStates\" SET unlocked_balance = 320, latest_block = 11;
         UPDATE public.\"Vault_Historic\" SET unlocked_balance = 320;
         INSERT INTO public.\"Bids\" VALUES ('0xc3', '0x1a1', '0xb1d1', 0, 4, 5);
         INSERT INTO event_processor.applied_blocks (block_hash, block_number, parent_hash, event_count)
         VALUES ('0xb11', 11, '0xb10', 2);
         INSERT INTO event_processor.journal (block_hash, table_name, pk, before) VALUES
           ('0xb11', 'Vault_Historic', '{{\"address\": \"0x7a11\", \"block_number\": 11}}', '{history}'),
           ('0xb11', 'VaultStates', '[]', '[{vault}]'),
           ('0xb11', 'Bids', '[{{\"round_address\": \"0x1a1\", \"bid_id\": \"0xb1d1\"}}]', NULL);"
    ))
    .unwrap();
    let before = client_dump(&mut db);

    update_to_this_version(&mut db, &mut fresh);
    assert_eq!(client_dump(&mut db), before, "the data survived");
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM event_processor.journal
              WHERE jsonb_typeof(coalesce(before, pk)::jsonb) <> 'array'
                 OR (before IS NOT NULL AND pk <> '[]')"
        ),
        0,
        "every journal row is an array in the typed format"
    );

    db.batch_execute("SELECT event_processor.revert_block('0xb11')")
        .unwrap();
    assert_eq!(
        client_dump(&mut db),
        [
            "VaultStates|0|0|1|0x1a1|0|0x7a11|10|0xf1|0xe7|0xc1|5000|0|100|100|1000|1000",
            "Vault_Historic|0|0|0|0x7a11|11",
        ]
    );
    db.batch_execute(
        "RESET event_processor.trigger_enabled;
         DELETE FROM public.\"VaultStates\"; DELETE FROM public.\"Vault_Historic\";
         DELETE FROM event_processor.applied_blocks; DELETE FROM starknet_blocks;",
    )
    .unwrap();
    assert_the_worked_example_processes(&mut db);
}

/// The payloads `change` sends on `channel` (a listener on the same database), in order.
fn payloads_of(db: &mut Client, channel: &str, change: &str) -> Vec<String> {
    db.batch_execute(&format!("LISTEN {channel}")).unwrap();
    db.batch_execute(change).unwrap();
    let payloads = db
        .notifications()
        .iter()
        .map(|n| Ok(n.payload().to_string()))
        .collect()
        .unwrap();
    db.batch_execute(&format!("UNLISTEN {channel}")).unwrap();
    payloads
}

/// 0.5.0 -> 0.6.0: the notification triggers become statement-level ones over the transition
/// table, and the journal's columns lz4-compressed (where the server has lz4). The worked example
/// applied under 0.5.0 survives; its newest block still reverts from 0.5.0's journal and applies
/// again; another writer's multi-row change still sends one payload per row.
#[test]
fn update_from_0_5_0_equals_a_fresh_install_and_notifies_per_statement() {
    let (mut db, before) = update_with_the_worked_example("5", "0.5.0");
    let compressed = count(
        &mut db,
        "SELECT count(*) FROM pg_attribute
          WHERE attrelid = 'event_processor.journal'::regclass AND attcompression = 'l'",
    );
    assert_eq!(
        compressed, 2,
        "pk and before are lz4 (Debian's server has lz4)"
    );

    let newest: String = db
        .query_one(
            "SELECT block_hash::text FROM event_processor.applied_blocks
              WHERE event_count > 0 ORDER BY block_number DESC LIMIT 1",
            &[],
        )
        .unwrap()
        .get(0);
    db.execute("SELECT event_processor.revert_block($1)", &[&newest])
        .unwrap();
    assert_ne!(
        client_dump(&mut db),
        before,
        "the newest block's effects are undone"
    );
    db.execute("SELECT event_processor.process_block($1)", &[&newest])
        .unwrap();
    assert_eq!(client_dump(&mut db), before, "and applied again");

    let payloads = payloads_of(
        &mut db,
        "lp_update",
        "UPDATE \"Liquidity_Providers\" SET latest_block = latest_block + 1",
    );
    let addresses: Vec<String> = payloads
        .iter()
        .map(|p| {
            let p: serde_json::Value = serde_json::from_str(p).unwrap();
            assert_eq!(p["operation"], "update");
            p["payload"]["address"].as_str().unwrap().to_string()
        })
        .collect();
    let rows = count(&mut db, "SELECT count(*) FROM \"Liquidity_Providers\"");
    assert!(rows >= 2, "the worked example has several LPs ({rows})");
    assert_eq!(addresses.len() as i64, rows, "one payload per updated row");
}
