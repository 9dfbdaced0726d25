//! Pure tests of the event decoders (spec §2): a valid example of every layout, every
//! boundary, wrong lengths, bad hex, out-of-range values and selector mismatches. No database.

#[path = "fixtures/worked_example.rs"]
mod worked_example;

use event_processor_protocol::codec::{canonical_hex, EventKind, FeltError};
use event_processor_protocol::events::{decode, DecodeError, DecodedEvent, Event};
use serde_json::json;
use worked_example as wx;

fn sel(name: &str) -> String {
    canonical_hex(&EventKind::from_name(name).unwrap().selector())
}

/// One valid row per layout: the worked example's rows plus the layouts it does not use.
fn valid_rows() -> Vec<(String, Vec<String>, Vec<String>)> {
    let owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut rows: Vec<_> = wx::events()
        .iter()
        .map(|e| (e.name.to_string(), owned(&e.keys), owned(&e.data)))
        .collect();
    rows.push((
        "Withdrawal".into(),
        vec![sel("Withdrawal"), "0xa1".into()],
        owned(&["0x10", "0x0", "0x130", "0x0", "0x1f8", "0x0"]),
    ));
    rows.push((
        "L1RequestFulfilled".into(),
        vec![sel("L1RequestFulfilled"), "0x7".into(), "0x7a11".into()],
        vec![],
    ));
    rows.push((
        "WithdrawalQueued".into(),
        vec![sel("WithdrawalQueued"), "0xa1".into()],
        owned(&["0x1388", "0x1", "0xa0", "0x0", "0xa0", "0x0"]),
    ));
    rows.push((
        "ContractDeployed".into(),
        vec![sel("ContractDeployed")],
        legacy_deployment(),
    ));
    rows
}

fn legacy_deployment() -> Vec<String> {
    [
        "0x7a11", "0xdee", "0x1", "0xc1a55", "0x8", "0xf1", "0xe7", "0xc1", "0x1388", "0x0",
        "0x64", "0x64", "0x3e8", "0x5a17",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn decode_ok(name: &str, keys: &[&str], data: &[&str]) -> DecodedEvent {
    decode(name, keys, data).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn decode_err(name: &str, keys: &[String], data: &[String]) -> DecodeError {
    match decode(name, keys, data) {
        Ok(d) => panic!("{name} decoded unexpectedly: {:?}", d.event),
        Err(e) => e,
    }
}

fn fixture_json(name: &str, nth: usize) -> serde_json::Value {
    let e = wx::events()
        .iter()
        .filter(|e| e.name == name)
        .nth(nth)
        .unwrap();
    decode_ok(e.name, &e.keys, &e.data).to_json()
}

#[test]
fn worked_example_rows_decode_to_the_spec_values() {
    assert_eq!(
        fixture_json("ContractDeployed", 0),
        json!({"event": "ContractDeployed", "address": "0x7a11", "deployer": "0xdee", "unique": false,
               "class_hash": "0xc1a55", "calldata_len": "10", "fossil_client_address": "0xf1",
               "eth_address": "0xe7", "option_round_class_hash": "0xc1", "alpha": "5000",
               "strike_level": "0", "round_transition_duration": "100", "auction_duration": "100",
               "round_duration": "1000", "program_id": "0x50", "proving_delay": "0", "salt": "0x5a17"})
    );
    assert_eq!(
        fixture_json("OptionRoundDeployed", 1),
        json!({"event": "OptionRoundDeployed", "round_id": "2", "address": "0x1a2",
               "auction_start_date": "2400", "auction_end_date": "2500",
               "option_settlement_date": "3500", "strike_price": "120", "cap_level": "5000",
               "reserve_price": "2"})
    );
    assert_eq!(
        fixture_json("Deposit", 1),
        json!({"event": "Deposit", "account": "0xb2", "amount": "200",
               "account_unlocked_balance_now": "200", "vault_unlocked_balance_now": "520"})
    );
    assert_eq!(
        fixture_json("PricingDataSet", 0),
        json!({"event": "PricingDataSet", "strike_price": "100", "cap_level": "5000", "reserve_price": "2"})
    );
    assert_eq!(
        fixture_json("FossilCallbackSuccess", 0),
        json!({"event": "FossilCallbackSuccess", "twap": "100", "max_return": "2500",
               "reserve_price": "2", "timestamp": "1000"})
    );
    assert_eq!(
        fixture_json("AuctionStarted", 0),
        json!({"event": "AuctionStarted", "starting_liquidity": "520", "options_available": "10"})
    );
    assert_eq!(
        fixture_json("BidPlaced", 2),
        json!({"event": "BidPlaced", "account": "0xd4", "bid_id": "0xb1d3", "amount": "3",
               "price": "3", "bid_tree_nonce_now": "3"})
    );
    assert_eq!(
        fixture_json("BidUpdated", 0),
        json!({"event": "BidUpdated", "account": "0xd4", "bid_id": "0xb1d2", "price_increase": "2",
               "bid_tree_nonce_before": "1", "bid_tree_nonce_now": "4"})
    );
    assert_eq!(
        fixture_json("AuctionEnded", 0),
        json!({"event": "AuctionEnded", "options_sold": "10", "clearing_price": "3",
               "unsold_liquidity": "20", "clearing_bid_tree_nonce": "2"})
    );
    assert_eq!(
        fixture_json("WithdrawalQueued", 0),
        json!({"event": "WithdrawalQueued", "account": "0xa1", "bps": "5000", "round_id": "1",
               "account_queued_liquidity_before": "0", "account_queued_liquidity_now": "160",
               "vault_queued_liquidity_now": "160"})
    );
    assert_eq!(
        fixture_json("UnusedBidsRefunded", 0),
        json!({"event": "UnusedBidsRefunded", "account": "0xc3", "refunded_amount": "8"})
    );
    assert_eq!(
        fixture_json("OptionsMinted", 0),
        json!({"event": "OptionsMinted", "account": "0xd4", "minted_amount": "6"})
    );
    assert_eq!(
        fixture_json("OptionRoundSettled", 0),
        json!({"event": "OptionRoundSettled", "settlement_price": "120", "payout_per_option": "20"})
    );
    assert_eq!(
        fixture_json("StashWithdrawn", 0),
        json!({"event": "StashWithdrawn", "account": "0xa1", "amount": "92", "vault_stashed_balance_now": "0"})
    );
    assert_eq!(
        fixture_json("OptionsExercised", 0),
        json!({"event": "OptionsExercised", "account": "0xc3", "total_options_exercised": "4",
               "mintable_options_exercised": "4", "exercised_amount": "80"})
    );
}

#[test]
fn bid_tree_nonces_are_one_below_the_counter() {
    let placed = decode_ok(
        "BidPlaced",
        &wx::first("BidPlaced").keys,
        &wx::first("BidPlaced").data,
    );
    let Event::BidPlaced(bid) = placed.event else {
        panic!("not a BidPlaced")
    };
    assert_eq!(bid.tree_nonce(), 0);
    let updated = decode_ok(
        "BidUpdated",
        &wx::first("BidUpdated").keys,
        &wx::first("BidUpdated").data,
    );
    let Event::BidUpdated(update) = updated.event else {
        panic!("not a BidUpdated")
    };
    assert_eq!(update.tree_nonce(), 3);
}

#[test]
fn legacy_layouts_decode() {
    let queued = decode_ok(
        "WithdrawalQueued",
        &[&sel("WithdrawalQueued"), "0xa1"],
        &["0x1388", "0x1", "0xa0", "0x0", "0xb0", "0x0"],
    );
    let Event::WithdrawalQueued(q) = queued.event else {
        panic!()
    };
    assert_eq!(q.account_queued_liquidity_before, None);
    assert_eq!(q.account_queued_liquidity_now, 160u32.into());
    assert_eq!(q.vault_queued_liquidity_now, 176u32.into());

    let data = legacy_deployment();
    let deployed = decode("ContractDeployed", &[sel("ContractDeployed")], &data).unwrap();
    let Event::ContractDeployed(d) = deployed.event else {
        panic!()
    };
    assert_eq!(
        (d.calldata_len, d.program_id, d.proving_delay, d.unique),
        (8, None, None, true)
    );
    assert_eq!(canonical_hex(&d.salt), "0x5a17");
    assert_eq!(d.round_duration, 1000);

    let fulfilled = decode_ok(
        "L1RequestFulfilled",
        &[&sel("L1RequestFulfilled"), "0x7", "0x7A11"],
        &[],
    );
    assert_eq!(
        fulfilled.to_json(),
        json!({"event": "L1RequestFulfilled", "id": "0x7", "caller": "0x7a11"})
    );
}

#[test]
fn round_events_accept_an_appended_round_address() {
    for e in wx::events()
        .iter()
        .filter(|e| EventKind::from_name(e.name).unwrap().is_round_event())
    {
        let mut data: Vec<&str> = e.data.to_vec();
        data.push("0x01A1");
        let with_round = decode_ok(e.name, &e.keys, &data);
        let plain = decode_ok(e.name, &e.keys, &e.data);
        assert_eq!(with_round.event, plain.event, "{}", e.name);
        assert_eq!(
            with_round
                .appended_round_address
                .map(|f| canonical_hex(&f))
                .as_deref(),
            Some("0x1a1")
        );
        assert_eq!(with_round.to_json()["round_address"], "0x1a1");
        assert_eq!(plain.appended_round_address, None);
    }
    // A vault event one felt longer is just the wrong length.
    let deposit = wx::first("Deposit");
    let mut data: Vec<String> = deposit.data.iter().map(|s| s.to_string()).collect();
    data.push("0x1a1".into());
    let keys: Vec<String> = deposit.keys.iter().map(|s| s.to_string()).collect();
    assert!(matches!(
        decode_err("Deposit", &keys, &data),
        DecodeError::DataCount { got: 7, .. }
    ));
    // A bad appended address is reported as the round_address field.
    let started = wx::first("AuctionStarted");
    let err = decode(
        "AuctionStarted",
        &started.keys,
        &["0x208", "0x0", "0xa", "0x0", "0xnope"],
    )
    .unwrap_err();
    assert!(
        err.as_field()
            .map(|f| (f.field.as_str(), f.location.as_str()))
            == Some(("round_address", "data[4]")),
        "{err}"
    );
}

#[test]
fn wrong_data_lengths_are_rejected() {
    for (name, keys, data) in valid_rows() {
        let mut short = data.clone();
        if short.pop().is_some() {
            let err = decode_err(&name, &keys, &short);
            assert!(
                matches!(
                    err,
                    DecodeError::DataCount { .. } | DecodeError::Invalid { .. }
                ),
                "{name}: {err}"
            );
        }
        // Three extra felts: one could be an appended round address, two turn a legacy
        // WithdrawalQueued into the current layout.
        let mut long = data.clone();
        long.extend(["0x0", "0x0", "0x0"].map(String::from));
        let err = decode_err(&name, &keys, &long);
        assert!(
            matches!(err, DecodeError::DataCount { .. }),
            "{name}: {err}"
        );
        assert!(
            err.to_string().starts_with(&format!("{name}: expected")),
            "{err}"
        );
    }
    let err = decode_err("Deposit", &[sel("Deposit"), "0xa1".into()], &["0x1".into()]);
    assert_eq!(err.to_string(), "Deposit: expected 6 data felts, got 1");
    let err = decode_err("BidUpdated", &[sel("BidUpdated"), "0xd4".into()], &[]);
    assert_eq!(
        err.to_string(),
        "BidUpdated: expected 5 or 6 (with appended round address) data felts, got 0"
    );
}

#[test]
fn bad_hex_anywhere_names_the_field_and_position() {
    for (name, keys, data) in valid_rows() {
        for i in 0..data.len() {
            let mut bad = data.clone();
            bad[i] = "0xzz".into();
            let err = decode_err(&name, &keys, &bad);
            let f = err
                .as_field()
                .unwrap_or_else(|| panic!("{name} data[{i}]: {err}"));
            assert_eq!(
                (f.event, f.location.as_str(), f.raw.as_str()),
                (name.as_str(), format!("data[{i}]").as_str(), "0xzz")
            );
            assert_eq!(f.source, FeltError::NotHex("0xzz".into()));
        }
        for i in 1..keys.len() {
            let mut bad = keys.clone();
            bad[i] = "12".into();
            let err = decode_err(&name, &bad, &data);
            assert!(
                err.as_field().map(|f| f.location.clone()) == Some(format!("keys[{i}]")),
                "{name}: {err}"
            );
        }
    }
    let err = decode_err(
        "Deposit",
        &[sel("Deposit"), "0xa1".into()],
        &["0x140", "0xq", "0x140", "0x0", "0x140", "0x0"].map(String::from),
    );
    assert_eq!(err.to_string(), "Deposit: field amount.high (data[1] = \"0xq\"): \"0xq\" is not a hex felt (expected 0x followed by 1 to 64 hex digits)");
    assert_eq!(err.field(), Some("amount.high"));
}

#[test]
fn selector_mismatch_and_key_counts() {
    for (name, keys, data) in valid_rows() {
        let mut wrong = keys.clone();
        wrong[0] = sel(if name == "Deposit" {
            "Withdrawal"
        } else {
            "Deposit"
        });
        let err = decode_err(&name, &wrong, &data);
        assert!(
            matches!(err, DecodeError::SelectorMismatch { .. }),
            "{name}: {err}"
        );
        assert_eq!(err.field(), Some("selector"));

        let err = decode_err(&name, &[], &data);
        assert!(
            matches!(err, DecodeError::KeyCount { got: 0, .. }),
            "{name}: {err}"
        );

        let mut extra = keys.clone();
        extra.push("0x1".into());
        assert!(
            matches!(
                decode_err(&name, &extra, &data),
                DecodeError::KeyCount { .. }
            ),
            "{name}"
        );
    }
    // Upper case and leading zeros in the selector are still the selector.
    let deposit = wx::first("Deposit");
    let loud = format!("0x00{}", deposit.keys[0][2..].to_uppercase());
    decode_ok("Deposit", &[&loud, "0xA1"], &deposit.data);
    let err = decode_err(
        "Deposit",
        &[sel("Withdrawal"), "0xa1".into()],
        &deposit.data.map_owned(),
    );
    assert_eq!(
        err.to_string(),
        format!(
            "Deposit: keys[0] is {}, not the selector of Deposit ({})",
            sel("Withdrawal"),
            sel("Deposit")
        )
    );
}

trait MapOwned {
    fn map_owned(&self) -> Vec<String>;
}
impl MapOwned for [&str] {
    fn map_owned(&self) -> Vec<String> {
        self.iter().map(|s| s.to_string()).collect()
    }
}

#[test]
fn u256_with_high_half_and_u128_boundaries() {
    let max128 = format!("0x{}", "f".repeat(32));
    let d = decode_ok(
        "Deposit",
        &[&sel("Deposit"), "0xa1"],
        &["0x5", "0x1", &max128, "0x0", &max128, &max128],
    );
    let Event::Deposit(dep) = d.event else {
        panic!()
    };
    assert_eq!(
        dep.amount.to_string(),
        "340282366920938463463374607431768211461"
    );
    assert_eq!(dep.account_unlocked_balance_now, u128::MAX.into());
    assert_eq!(
        dep.vault_unlocked_balance_now.to_string(),
        "115792089237316195423570985008687907853269984665640564039457584007913129639935"
    );

    let priced = decode_ok(
        "PricingDataSet",
        &[&sel("PricingDataSet")],
        &["0x0", "0x2", &max128, "0x1", "0x0"],
    );
    assert_eq!(priced.to_json()["cap_level"], u128::MAX.to_string());
    // data [0x0, 0x2] = 2·2^128
    assert_eq!(
        priced.to_json()["strike_price"],
        "680564733841876926926749214863536422912"
    );

    let over = format!("0x1{}", "0".repeat(32));
    let err = decode(
        "PricingDataSet",
        &[&sel("PricingDataSet") as &str],
        &["0x0", "0x0", &over, "0x1", "0x0"],
    )
    .unwrap_err();
    assert_eq!(err.field(), Some("cap_level"));
    assert!(matches!(
        err.as_field().map(|f| &f.source),
        Some(FeltError::OutOfRange { ty: "u128", .. })
    ));
    let err = decode(
        "Deposit",
        &[&sel("Deposit") as &str, "0xa1"],
        &["0x0", &over, "0x0", "0x0", "0x0", "0x0"],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Deposit: field amount.high (data[1] = \"{over}\"): {over} does not fit in u128")
    );
}

#[test]
fn u64_fields_are_range_checked() {
    let row = wx::first("OptionRoundDeployed");
    let mut data: Vec<String> = row.data.map_owned();
    data[2] = "0xffffffffffffffff".into();
    let ok = decode("OptionRoundDeployed", &row.keys.map_owned(), &data).unwrap();
    assert_eq!(ok.to_json()["auction_start_date"], u64::MAX.to_string());
    data[0] = "0x10000000000000000".into();
    let err = decode_err("OptionRoundDeployed", &row.keys.map_owned(), &data);
    assert!(
        matches!(err.as_field(), Some(f) if f.field == "round_id"
            && matches!(f.source, FeltError::OutOfRange { ty: "u64", .. })),
        "{err}"
    );
}

#[test]
fn negative_strike_level_and_constructor_checks() {
    let row = wx::first("ContractDeployed");
    let keys = row.keys.map_owned();
    let mut data = row.data.map_owned();
    data[9] = "0x800000000000010fffffffffffffffffffffffffffffffffffffffffffff2fc".into();
    assert_eq!(
        decode("ContractDeployed", &keys, &data).unwrap().to_json()["strike_level"],
        "-3333"
    );

    let mut bad_i128 = data.clone();
    bad_i128[9] = format!("0x8{}", "0".repeat(31));
    let err = decode_err("ContractDeployed", &keys, &bad_i128);
    assert!(
        matches!(err.as_field(), Some(f) if f.field == "strike_level"
            && matches!(f.source, FeltError::NotI128(_))),
        "{err}"
    );

    let mut bad_bool = data.clone();
    bad_bool[2] = "0x2".into();
    let err = decode_err("ContractDeployed", &keys, &bad_bool);
    assert!(matches!(
        err.as_field().map(|f| &f.source),
        Some(FeltError::NotBool(_))
    ));

    let mut bad_len = data.clone();
    bad_len[4] = "0x9".into();
    let err = decode_err("ContractDeployed", &keys, &bad_len);
    assert!(
        matches!(&err, DecodeError::Invalid { field, .. } if field == "calldata_len"),
        "{err}"
    );

    let mut truncated = data.clone();
    truncated.pop();
    let err = decode_err("ContractDeployed", &keys, &truncated);
    assert_eq!(
        err.to_string(),
        "ContractDeployed: expected 16 (6 + calldata_len 10) data felts, got 15"
    );
    assert!(matches!(
        decode_err("ContractDeployed", &keys, &data[..3]),
        DecodeError::DataCount { got: 3, .. }
    ));
}

#[test]
fn semantic_ranges() {
    let q = wx::first("WithdrawalQueued");
    let mut data = q.data.map_owned();
    data[0] = "0x2711".into(); // 10001 bps
    let err = decode_err("WithdrawalQueued", &q.keys.map_owned(), &data);
    assert_eq!(
        err.to_string(),
        "WithdrawalQueued: field bps: 10001 exceeds 10000 basis points"
    );
    data[0] = "0x2710".into(); // exactly 100 %
    decode("WithdrawalQueued", &q.keys.map_owned(), &data).unwrap();

    let bid = wx::first("BidPlaced");
    let mut data = bid.data.map_owned();
    data[5] = "0x0".into();
    let err = decode_err("BidPlaced", &bid.keys.map_owned(), &data);
    assert!(
        matches!(&err, DecodeError::Invalid { field, .. } if field == "bid_tree_nonce_now"),
        "{err}"
    );
}

#[test]
fn ignored_and_unknown_events_have_no_fields() {
    let transfer = decode_ok(
        "Transfer",
        &[&sel("Transfer"), "0x0", "0xc3"],
        &["0x4", "0x0"],
    );
    assert_eq!(transfer.event, Event::Ignored {});
    assert_eq!(
        transfer.to_json(),
        json!({"event": "Transfer", "ignored": true})
    );
    let unknown = decode_ok("SomethingNew", &["0xnot-even-hex"], &[]);
    assert_eq!(
        unknown.to_json(),
        json!({"event": "SomethingNew", "ignored": true})
    );
}
