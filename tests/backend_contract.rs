//! The backend contract checker (crates/synth/src/backend.rs) accepts what the Pitch Lake backend
//! parses and rejects, naming the channel and key, what would stop its listener.

use event_processor_synth::backend::{check, Violation};

const LP: &str = r#"{"operation" : "update", "payload" : {"address":"0xa1","vault_address":"0x7a11","stashed_balance":0,"locked_balance":0,"unlocked_balance":340282366920938463463374607431768211457,"latest_block":12}}"#;
const VAULT: &str = r#"{"unlocked_balance":0,"locked_balance":0,"current_round":1,"current_round_address":"0x1a1","stashed_balance":0,"address":"0x7a11","latest_block":10,"fossil_client_address":"0xf0","eth_address":"0xe7","option_round_class_hash":"0xc1","alpha":5000,"strike_level":-1000,"round_transition_period":100,"auction_duration":200,"round_duration":300,"deployment_date":1000}"#;
const BID: &str = r#"{"operation" : "insert", "payload" : {"buyer_address" : "0xc3", "round_address" : "0x1a1", "bid_id" : "0xb1d1", "tree_nonce" : "0", "amount" : 4, "price" : 5, "address" : "0xc3"}}"#;
const BUYER: &str = r#"{"operation" : "update", "payload" : {"address":"0xc3","round_address":"0x1a1","has_minted":true,"has_refunded":false,"mintable_options":4,"refundable_amount":8}}"#;

fn violation(channel: &str, payload: &str) -> String {
    check(channel, payload).unwrap_err().to_string()
}

#[test]
fn well_formed_payloads_pass_with_their_raw_values() {
    let lp = check("lp_update", LP).unwrap();
    assert_eq!(lp.operation.as_deref(), Some("update"));
    assert_eq!(
        lp.row["unlocked_balance"],
        "340282366920938463463374607431768211457"
    );
    let vault = check("vault_insert", VAULT).unwrap();
    assert_eq!(
        (vault.operation, vault.row["strike_level"].as_str()),
        (None, "-1000")
    );
    let wrapped = format!(r#"{{"operation" : "update", "payload" : {VAULT}}}"#);
    check("vault_update", &wrapped).unwrap();
    assert_eq!(
        check("bids_update", BID).unwrap().row["tree_nonce"],
        "\"0\""
    );
    check("ob_update", BUYER).unwrap();
}

#[test]
fn the_migrations_bids_payload_is_refused() {
    let migration = r#"{"operation" : "insert", "payload" : {"buyer_address":"0xc3","round_address":"0x1a1","bid_id":"0xb1d1","tree_nonce":0,"amount":4,"price":5}}"#;
    assert_eq!(
        violation("bids_update", migration),
        "bids_update.address: missing"
    );
    let numeric_nonce = BID.replace(r#""tree_nonce" : "0""#, r#""tree_nonce" : 0"#);
    assert_eq!(
        violation("bids_update", &numeric_nonce),
        "bids_update.tree_nonce: expected a JSON string holding a decimal integer, got 0"
    );
    let hex_nonce = BID.replace(r#""tree_nonce" : "0""#, r#""tree_nonce" : "0x1""#);
    assert!(violation("bids_update", &hex_nonce).starts_with("bids_update.tree_nonce:"));
}

#[test]
fn each_rule_names_channel_and_key() {
    let cases = [
        // big integers: bare, integral
        ("lp_update", LP.replace(r#""latest_block":12"#, r#""latest_block":"12""#), "lp_update.latest_block: expected a bare JSON integer (big.Int), got \"12\""),
        ("lp_update", LP.replace(r#""latest_block":12"#, r#""latest_block":1.5"#), "lp_update.latest_block: expected a bare JSON integer (big.Int), got 1.5"),
        ("lp_update", LP.replace(r#""latest_block":12"#, r#""latest_block":1e3"#), "lp_update.latest_block: expected a bare JSON integer (big.Int), got 1e3"),
        ("lp_update", LP.replace(r#""latest_block":12"#, r#""latest_block":null"#), "lp_update.latest_block: expected a bare JSON integer (big.Int), got null"),
        // dates: uint64
        ("vault_insert", VAULT.replace(r#""deployment_date":1000"#, r#""deployment_date":-1"#), "vault_insert.deployment_date: expected a bare JSON integer in 0..2^64 (uint64), got -1"),
        ("vault_insert", VAULT.replace(r#""deployment_date":1000"#, r#""deployment_date":18446744073709551616"#), "vault_insert.deployment_date: expected a bare JSON integer in 0..2^64 (uint64), got 18446744073709551616"),
        // addresses: strings
        ("vault_insert", VAULT.replace(r#""current_round_address":"0x1a1""#, r#""current_round_address":null"#), "vault_insert.current_round_address: expected a JSON string, got null"),
        ("lp_update", LP.replace(r#""address":"0xa1""#, r#""address":161"#), "lp_update.address: expected a JSON string, got 161"),
        // flags: booleans
        ("ob_update", BUYER.replace(r#""has_minted":true"#, r#""has_minted":"true""#), "ob_update.has_minted: expected a JSON boolean, got \"true\""),
        // missing keys, in the row and in the wrapper
        ("ob_update", BUYER.replace(r#""has_refunded":false,"#, ""), "ob_update.has_refunded: missing"),
        ("lp_update", LP.replace(r#""operation" : "update", "#, ""), "lp_update.operation: missing"),
        ("lp_update", LP.replace(r#""update""#, r#""delete""#), "lp_update.operation: expected \"insert\" or \"update\", got \"delete\""),
    ];
    for (channel, payload, expected) in cases {
        assert_eq!(violation(channel, &payload), expected, "{payload}");
    }
    // Not JSON, not an object, a leading zero (not JSON either), an unknown channel.
    assert!(violation("lp_update", "{").starts_with("lp_update: payload is not a JSON object"));
    assert!(
        violation("vault_insert", "[1]").starts_with("vault_insert: payload is not a JSON object")
    );
    assert!(violation(
        "lp_update",
        &LP.replace(r#""latest_block":12"#, r#""latest_block":012"#)
    )
    .starts_with("lp_update: payload is not a JSON object"));
    assert!(matches!(
        check("nope", "{}"),
        Err(Violation::UnknownChannel { .. })
    ));
}
