//! Pure tests of the felt codec (spec §1.5, §1.6, §2.1). No database.

use event_processor_protocol::codec::{
    canonical_hex, felt_to_bool, felt_to_i128, felt_to_u128, felt_to_u64, parse_felt, sn_keccak,
    u256_from_halves, EventKind, FeltError, U256Half,
};
use num_bigint::BigUint;

const PRIME_HEX: &str = "0x800000000000011000000000000000000000000000000000000000000000001";

fn felt(text: &str) -> event_processor_protocol::codec::Felt {
    parse_felt(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn canon(text: &str) -> String {
    canonical_hex(&felt(text))
}

#[test]
fn canonical_form_is_lowercase_without_leading_zeros() {
    assert_eq!(canon("0x140"), "0x140");
    assert_eq!(canon("0x0140"), "0x140");
    assert_eq!(canon("0X00AbCd"), "0xabcd");
    assert_eq!(canon("0x0"), "0x0");
    assert_eq!(canon("0x0000"), "0x0");
    assert_eq!(
        canon("0x050aa16a0000000000000000000000000000000000000000000000000000efbd"),
        "0x50aa16a0000000000000000000000000000000000000000000000000000efbd"
    );
    // More than 64 digits is fine when the excess is leading zeros.
    assert_eq!(canon(&format!("0x{}1", "0".repeat(80))), "0x1");
}

#[test]
fn rejects_text_that_is_not_a_hex_felt() {
    for bad in [
        "", "0x", "10", "ff", "0xg1", " 0x1", "0x1 ", "-0x1", "0x-1", "0x1_0", "x10", "0b1",
    ] {
        assert_eq!(
            parse_felt(bad),
            Err(FeltError::NotHex(bad.to_string())),
            "{bad:?}"
        );
    }
}

#[test]
fn rejects_values_outside_the_field() {
    assert_eq!(
        parse_felt(PRIME_HEX),
        Err(FeltError::NotInField(PRIME_HEX.into()))
    );
    let max = "0x800000000000011000000000000000000000000000000000000000000000000";
    assert_eq!(canon(max), max, "PRIME - 1 is the largest felt");
    let too_long = format!("0x1{}", "0".repeat(64));
    assert_eq!(
        parse_felt(&too_long),
        Err(FeltError::NotInField(too_long.clone()))
    );
    let all_f = format!("0x{}", "f".repeat(64));
    assert!(matches!(parse_felt(&all_f), Err(FeltError::NotInField(_))));
}

#[test]
fn u64_and_u128_boundaries() {
    assert_eq!(felt_to_u64(&felt("0xffffffffffffffff")), Ok(u64::MAX));
    assert_eq!(
        felt_to_u64(&felt("0x10000000000000000")),
        Err(FeltError::OutOfRange {
            value: "0x10000000000000000".into(),
            ty: "u64"
        })
    );
    assert_eq!(
        felt_to_u128(&felt(&format!("0x{}", "f".repeat(32)))),
        Ok(u128::MAX)
    );
    let two_128 = format!("0x1{}", "0".repeat(32));
    assert_eq!(
        felt_to_u128(&felt(&two_128)),
        Err(FeltError::OutOfRange {
            value: two_128.clone(),
            ty: "u128"
        })
    );
    assert_eq!(felt_to_u64(&felt("0x0")), Ok(0));
}

#[test]
fn bool_is_zero_or_one() {
    assert_eq!(felt_to_bool(&felt("0x0")), Ok(false));
    assert_eq!(felt_to_bool(&felt("0x1")), Ok(true));
    assert_eq!(
        felt_to_bool(&felt("0x2")),
        Err(FeltError::NotBool("0x2".into()))
    );
}

#[test]
fn i128_field_encoding() {
    assert_eq!(felt_to_i128(&felt("0x0")), Ok(0));
    assert_eq!(felt_to_i128(&felt("0x1388")), Ok(5000));
    // The spec's example: −3333 ↔ PRIME − 3333.
    assert_eq!(
        felt_to_i128(&felt(
            "0x800000000000010fffffffffffffffffffffffffffffffffffffffffffff2fc"
        )),
        Ok(-3333)
    );
    assert_eq!(
        felt_to_i128(&felt(
            "0x800000000000011000000000000000000000000000000000000000000000000"
        )),
        Ok(-1)
    );
    let max = format!("0x7{}", "f".repeat(31));
    assert_eq!(felt_to_i128(&felt(&max)), Ok(i128::MAX));
    // i128::MIN = −2^127 is PRIME − 2^127.
    let min = "0x800000000000010ffffffffffffffff80000000000000000000000000000001";
    assert_eq!(felt_to_i128(&felt(min)), Ok(i128::MIN));
    // Between 2^127 and PRIME − 2^127 nothing is encoded.
    let two_127 = format!("0x8{}", "0".repeat(31));
    assert_eq!(
        felt_to_i128(&felt(&two_127)),
        Err(FeltError::NotI128(two_127.clone()))
    );
    let below_min = "0x800000000000010ffffffffffffffff80000000000000000000000000000000";
    assert_eq!(
        felt_to_i128(&felt(below_min)),
        Err(FeltError::NotI128(below_min.into()))
    );
}

#[test]
fn u256_is_low_plus_high_times_2_pow_128() {
    let value = u256_from_halves(&felt("0x1"), &felt("0x1")).unwrap();
    assert_eq!(value.to_string(), "340282366920938463463374607431768211457");
    let max_half = felt(&format!("0x{}", "f".repeat(32)));
    let max = u256_from_halves(&max_half, &max_half).unwrap();
    assert_eq!(max, (BigUint::from(1u8) << 256u32) - 1u8);
    assert_eq!(
        u256_from_halves(&felt("0x140"), &felt("0x0")).unwrap(),
        BigUint::from(320u32)
    );
    let over = felt(&format!("0x1{}", "0".repeat(32)));
    assert_eq!(
        u256_from_halves(&felt("0x0"), &over).unwrap_err().0,
        U256Half::High
    );
    assert_eq!(
        u256_from_halves(&over, &felt("0x0")).unwrap_err().0,
        U256Half::Low
    );
}

/// Every row of the selector table in spec §1.6.
#[test]
fn selectors_match_the_spec_table() {
    let table = [
        (
            "Deposit",
            "0x9149d2123147c5f43d258257fef0b7b969db78269369ebcf5ebb9eef8592f2",
        ),
        (
            "Withdrawal",
            "0x2eed7e29b3502a726faf503ac4316b7101f3da813654e8df02c13449e03da8",
        ),
        (
            "WithdrawalQueued",
            "0x36a0768f9b1cc8742e7726e951a13aec0f1ee9461c6be53a80378c49299c5fb",
        ),
        (
            "StashWithdrawn",
            "0x14430163c5d26a17d82f2c2eda269f26b054e14a1641bb700a114b2a63bc605",
        ),
        (
            "OptionRoundDeployed",
            "0xd659a517d721168cbed4f7cb1abb424037bf0f34a8a22948c502429045b312",
        ),
        (
            "FossilCallbackSuccess",
            "0x28daf8c351269d325d0652973bd8ae38ea95c476dcc11eaf0e2495c440689cb",
        ),
        (
            "L1RequestFulfilled",
            "0x30c9e399edc9c4ce8745d38ea8fd2361f1aa0cf198b964d60bc49e87e193c17",
        ),
        (
            "PricingDataSet",
            "0x3f68cb197d4ac6576b566cd954873b6530b9eac0309487c09f9a35271533737",
        ),
        (
            "AuctionStarted",
            "0x26a7d477600536be46a48d46dcdebf5d8c5703c5e16f6bfad368996adea83f3",
        ),
        (
            "AuctionEnded",
            "0x369d2b1c46f2b24795aafc23c97301b1f924966a1b4fdaad2473cf4d9df23ca",
        ),
        (
            "OptionRoundSettled",
            "0x9fadeca7092d377c750978a256f85278e6f70781e5c879baa766ca6a4db079",
        ),
        (
            "BidPlaced",
            "0x284319dd93fe6054ee43527bfdc6c222e6b0cafdcbd3ef60c9190c70bb1d638",
        ),
        (
            "BidUpdated",
            "0x35446d7dda93a65e80ece35b20810ab34e64178c54b8693ef635afb5c2f7ee3",
        ),
        (
            "UnusedBidsRefunded",
            "0x1678c5f70bd63f9239387cb96dd9fa4d6a9817a3089a0b97513f63120f92792",
        ),
        (
            "OptionsMinted",
            "0x1f66c9480f0238b7c61817f7e724aa3f313dac819d40d5b48a968ef27847f54",
        ),
        (
            "OptionsExercised",
            "0x2d02464cd0ec035fbc5f7d9e201312f112ca0ed123ca3ae5ebd91b2364ce580",
        ),
        (
            "ContractDeployed",
            "0x26b160f10156dea0639bec90696772c640b9706a47f5b8c52ea1abe5858b34d",
        ),
        (
            "Transfer",
            "0x99cd8bde557814842a3121e8ddfd433a539b8c9f14bf31ebf108d12e6196e9",
        ),
        (
            "Approval",
            "0x134692b230b9e1ffa39098904722134159652b09c5bc41d88d6698779d228ff",
        ),
    ];
    for (name, selector) in table {
        let kind = EventKind::from_name(name).unwrap_or_else(|| panic!("no kind {name}"));
        assert_eq!(canonical_hex(&kind.selector()), selector, "{name}");
        assert_eq!(kind.name(), name);
    }
    assert_eq!(
        table.len(),
        EventKind::ALL.len(),
        "every kind is in the spec table"
    );
    // The name the Go revert switch used; never stored, but its selector is in the table too.
    assert_eq!(
        canonical_hex(&sn_keccak(b"Withdraw")),
        "0x17f87ab38a7f75a63dc465e10aadacecfca64c44ca774040b039bfb004e3367"
    );
    assert_eq!(EventKind::from_name("Withdraw"), None);
    assert_eq!(
        EventKind::from_name("deposit"),
        None,
        "names are case-sensitive"
    );
}
