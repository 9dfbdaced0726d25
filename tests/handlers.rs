//! Focused tests of each handler (spec §3.3) and its edge cases, over the in-memory store.

use event_processor_protocol::codec::EventKind as K;
use event_processor_protocol::protocol::state::RoundState;
use event_processor_protocol::protocol::{
    apply_rows, ApplyReport, EventError, EventRow, MemoryStore, ProcessError, Settings,
};
use event_processor_synth::encode::{contract_deployed, Encoded, VaultParams};
use num_bigint::BigUint;

const V: &str = "0x7a11";
const R1: &str = "0x1a1";

fn n(v: u64) -> BigUint {
    BigUint::from(v)
}

struct Scenario {
    store: MemoryStore,
    block: u64,
    nonce: i64,
    settings: Settings,
}

impl Scenario {
    /// A vault (transition 100 s, auction 100 s, round 1000 s) with round 1 deployed in block 10.
    fn new() -> Self {
        let mut s = Scenario {
            store: MemoryStore::default(),
            block: 9,
            nonce: 0,
            settings: Settings::default(),
        };
        s.ok(vec![
            (deployment(V, -3333), None),
            (round_deployed(1, R1, 1100, 0, 0), None),
        ]);
        s
    }

    fn rows(&mut self, events: Vec<(Encoded, Option<&str>)>) -> Vec<EventRow> {
        self.block += 1;
        events
            .into_iter()
            .map(|(e, from)| {
                self.nonce += 1;
                EventRow {
                    block_number: self.block,
                    block_hash: format!("{:#x}", 0xb00 + self.block).into(),
                    block_timestamp: Some(1000 + self.block),
                    vault_address: V.into(),
                    event_nonce: self.nonce,
                    event_name: e.name.into(),
                    keys: e.keys,
                    data: e.data,
                    transaction_hash: format!("{:#x}", 0x700 + self.nonce),
                    from_address: from.map(str::to_string),
                }
            })
            .collect()
    }

    fn try_apply(
        &mut self,
        events: Vec<(Encoded, Option<&str>)>,
    ) -> Result<ApplyReport, ProcessError> {
        let rows = self.rows(events);
        apply_rows(&mut self.store, rows, self.settings)
    }

    /// Applies one block and expects no warning.
    fn ok(&mut self, events: Vec<(Encoded, Option<&str>)>) {
        let report = self.try_apply(events).unwrap_or_else(|e| panic!("{e}"));
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    }

    fn warns(&mut self, events: Vec<(Encoded, Option<&str>)>) -> String {
        let report = self.try_apply(events).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
        report.warnings[0].to_string()
    }

    fn vault_balances(&self) -> (BigUint, BigUint, BigUint) {
        let v = &self.store.vaults[V];
        (
            v.unlocked_balance.clone(),
            v.locked_balance.clone(),
            v.stashed_balance.clone(),
        )
    }

    fn lp(&self, lp: &str) -> (BigUint, BigUint, BigUint) {
        let row = &self.store.liquidity_providers[&(V.into(), lp.into())];
        (
            row.unlocked_balance.clone(),
            row.locked_balance.clone(),
            row.stashed_balance.clone(),
        )
    }

    fn buyer(&self, buyer: &str, round: &str) -> (BigUint, BigUint, bool, bool) {
        let b = &self.store.buyers[&(round.into(), buyer.into())];
        (
            b.mintable_options.clone(),
            b.refundable_amount.clone(),
            b.has_minted,
            b.has_refunded,
        )
    }

    /// Deposits with the model's running balances (vault unlocked = sum of deposits).
    fn deposit(&mut self, lp: &str, amount: u64) {
        let lp_now = self
            .store
            .liquidity_providers
            .get(&(V.into(), lp.into()))
            .map(|r| r.unlocked_balance.clone())
            .unwrap_or_default()
            + n(amount);
        let vault_now = &self.store.vaults[V].unlocked_balance + n(amount);
        self.ok(vec![(
            Encoded::new(K::Deposit)
                .key(lp)
                .u256(&n(amount))
                .u256(&lp_now)
                .u256(&vault_now),
            None,
        )]);
    }

    fn price_round_1(&mut self, strike: u64, cap: u128) {
        self.ok(vec![(
            Encoded::new(K::PricingDataSet)
                .u256(&n(strike))
                .u128(cap)
                .u256(&n(1)),
            Some(R1),
        )]);
    }
}

fn deployment(vault: &str, strike_level: i128) -> Encoded {
    contract_deployed(
        vault,
        VaultParams {
            alpha: 5000,
            strike_level,
            round_transition_period: 100,
            auction_duration: 100,
            round_duration: 1000,
        },
    )
}

fn round_deployed(id: u64, address: &str, start: u64, strike: u64, cap: u128) -> Encoded {
    Encoded::new(K::OptionRoundDeployed)
        .int(id)
        .felt(address)
        .int(start)
        .int(start + 100)
        .int(start + 1100)
        .u256(&n(strike))
        .u128(cap)
        .u256(&n(1))
}

fn auction_started(s: u64, available: u64) -> (Encoded, Option<&'static str>) {
    (
        Encoded::new(K::AuctionStarted)
            .u256(&n(s))
            .u256(&n(available)),
        Some(R1),
    )
}

fn bid(
    owner: &str,
    id: &str,
    amount: u64,
    price: u64,
    now: u64,
) -> (Encoded, Option<&'static str>) {
    (
        Encoded::new(K::BidPlaced)
            .key(owner)
            .felt(id)
            .u256(&n(amount))
            .u256(&n(price))
            .int(now),
        Some(R1),
    )
}

fn auction_ended(sold: u64, cp: u64, unsold: u64, nonce: u64) -> (Encoded, Option<&'static str>) {
    (
        Encoded::new(K::AuctionEnded)
            .u256(&n(sold))
            .u256(&n(cp))
            .u256(&n(unsold))
            .int(nonce),
        Some(R1),
    )
}

fn settled(sp: u64, ppo: u64) -> (Encoded, Option<&'static str>) {
    (
        Encoded::new(K::OptionRoundSettled)
            .u256(&n(sp))
            .u256(&n(ppo)),
        Some(R1),
    )
}

#[test]
fn contract_deployed_creates_the_vault_with_signed_strike_level() {
    let s = Scenario::new();
    let v = &s.store.vaults[V];
    assert_eq!(
        (v.strike_level, v.alpha, v.round_transition_period),
        (-3333, 5000, 100)
    );
    // Round 1's deployment date (1100 − 100) replaces the block timestamp.
    assert_eq!(
        (
            v.current_round,
            v.current_round_address.as_deref(),
            v.deployment_date
        ),
        (1, Some(R1), 1000)
    );
    assert_eq!(s.store.vault_history[&(V.into(), 10)].unlocked, n(0));
}

#[test]
fn contract_deployed_for_another_address_is_an_error_and_a_duplicate_is_skipped() {
    let mut s = Scenario::new();
    let err = s
        .try_apply(vec![(deployment("0x7a12", 0), None)])
        .unwrap_err();
    assert_eq!(err.field(), Some("address"));
    assert!(
        err.to_string().starts_with(
            "block 11 (0xb0b), vault 0x7a11, event nonce 3 (ContractDeployed): field address:"
        ),
        "{err}"
    );
    let warning = s.warns(vec![(deployment(V, 0), None)]);
    assert!(warning.contains("vault 0x7a11 already exists"), "{warning}");
    assert_eq!(
        s.store.vaults[V].strike_level, -3333,
        "the existing vault is untouched"
    );
}

#[test]
fn option_round_deployed_without_vault_follows_r6() {
    let mut s = Scenario {
        store: MemoryStore::default(),
        block: 0,
        nonce: 0,
        settings: Settings::default(),
    };
    let warning = s.warns(vec![(round_deployed(1, R1, 1100, 0, 0), None)]);
    assert!(
        warning.contains("vault 0x7a11 does not exist; event skipped (spec R6)"),
        "{warning}"
    );
    assert!(s.store.rounds.is_empty());
    assert_eq!(
        s.store.applied.len(),
        1,
        "recorded as applied, so a revert is a no-op"
    );
    s.settings.strict = true;
    let err = s
        .try_apply(vec![(round_deployed(1, R1, 1100, 0, 0), None)])
        .unwrap_err();
    assert!(
        matches!(err.error, EventError::MissingParent { .. }),
        "{err}"
    );
}

#[test]
fn deposit_creates_the_lp_with_zeros_and_withdrawal_of_a_non_lp_only_updates_the_vault() {
    let mut s = Scenario::new();
    s.deposit("0xa1", 320);
    assert_eq!(s.lp("0xa1"), (n(320), n(0), n(0)));
    s.deposit("0xa1", 5);
    assert_eq!(s.lp("0xa1"), (n(325), n(0), n(0)));
    let warning = s.warns(vec![(
        Encoded::new(K::Withdrawal)
            .key("0xbb")
            .u256(&n(0))
            .u256(&n(0))
            .u256(&n(325)),
        None,
    )]);
    assert!(
        warning.contains("liquidity provider 0xbb does not exist"),
        "{warning}"
    );
    assert!(!s
        .store
        .liquidity_providers
        .contains_key(&(V.into(), "0xbb".into())));
    s.ok(vec![(
        Encoded::new(K::Withdrawal)
            .key("0xa1")
            .u256(&n(25))
            .u256(&n(300))
            .u256(&n(300)),
        None,
    )]);
    assert_eq!((s.lp("0xa1").0, s.vault_balances().0), (n(300), n(300)));
    // R3: the event's values are set even when they disagree with the sum (with a warning).
    let warning = s.warns(vec![(
        Encoded::new(K::Deposit)
            .key("0xa1")
            .u256(&n(1))
            .u256(&n(999))
            .u256(&n(301)),
        None,
    )]);
    assert!(warning.contains("300 + 1 != 999"), "{warning}");
    assert_eq!(s.lp("0xa1").0, n(999));
}

#[test]
fn auction_start_locks_each_lp_and_forfeits_dust_when_the_vault_has_nothing() {
    let mut s = Scenario::new();
    s.deposit("0xa1", 320);
    s.deposit("0xb2", 200);
    s.price_round_1(100, 5000);
    s.ok(vec![auction_started(520, 10)]);
    assert_eq!(s.vault_balances(), (n(0), n(520), n(0)));
    assert_eq!(
        (s.lp("0xa1"), s.lp("0xb2")),
        ((n(0), n(320), n(0)), (n(0), n(200), n(0)))
    );
    assert_eq!(s.store.deposits.len(), 2);
    assert_eq!(s.store.rounds[R1].state, RoundState::Auctioning);

    // s = 0 while an LP holds dust (rounding left it a balance the vault does not have): the
    // dust is forfeited and no deposit row is written. The dust is set up directly here.
    let mut s = Scenario::new();
    let warning = s.warns(vec![(
        Encoded::new(K::Deposit)
            .key("0xa1")
            .u256(&n(3))
            .u256(&n(3))
            .u256(&n(0)),
        None,
    )]);
    assert!(
        warning.contains("vault unlocked balance: 0 + 3 != 0"),
        "{warning}"
    );
    s.price_round_1(100, 5000);
    s.ok(vec![auction_started(0, 0)]);
    assert_eq!(s.lp("0xa1"), (n(0), n(0), n(0)));
    assert!(s.store.deposits.is_empty());
}

fn auction_with_bids(bids: Vec<(Encoded, Option<&'static str>)>) -> Scenario {
    let mut s = Scenario::new();
    s.deposit("0xa1", 320);
    s.deposit("0xb2", 200);
    s.price_round_1(100, 5000);
    s.ok(vec![auction_started(520, 10)]);
    if !bids.is_empty() {
        s.ok(bids);
    }
    s
}

#[test]
fn under_subscribed_auction_fills_every_bid() {
    // 10 available, bids for 4 + 3: n = 7, cp = lowest price 3, nonce of that bid 1.
    let mut s = auction_with_bids(vec![
        bid("0xc3", "0xb1", 4, 5, 1),
        bid("0xd4", "0xb2", 3, 3, 2),
    ]);
    s.ok(vec![auction_ended(7, 3, 520 - 7 * 50, 1)]);
    assert_eq!(
        s.buyer("0xc3", R1),
        (n(4), n(8), false, false),
        "4·(5−3) refunded"
    );
    assert_eq!(
        s.buyer("0xd4", R1),
        (n(3), n(0), false, false),
        "the lowest bid sells fully, no refund"
    );
    assert_eq!(s.store.rounds[R1].premiums, n(21));
}

#[test]
fn auction_without_bids_and_ties_broken_by_tree_nonce() {
    let mut s = auction_with_bids(vec![]);
    s.ok(vec![auction_ended(0, 0, 520, 0)]);
    let v = s.vault_balances();
    assert_eq!(
        v,
        (n(520), n(0), n(0)),
        "everything unsold returns unlocked"
    );
    assert_eq!(s.lp("0xa1"), (n(320), n(0), n(0)));

    // Same price 4: the earlier bid (nonce 0) ranks above; the later one clears with 1 of 3.
    let mut s = auction_with_bids(vec![
        bid("0xc3", "0xb1", 9, 4, 1),
        bid("0xd4", "0xb2", 3, 4, 2),
    ]);
    s.ok(vec![auction_ended(10, 4, 20, 1)]);
    assert_eq!(s.buyer("0xc3", R1), (n(9), n(0), false, false));
    assert_eq!(
        s.buyer("0xd4", R1),
        (n(1), n(8), false, false),
        "(3 − 1)·4 refunded"
    );
}

#[test]
fn inconsistent_auction_results_raise_and_name_the_field() {
    let mut s = auction_with_bids(vec![bid("0xc3", "0xb1", 4, 5, 1)]);
    // No bid has price 7 and nonce 0, and the bids above fill 0 ≠ 10.
    let err = s.try_apply(vec![auction_ended(10, 7, 20, 0)]).unwrap_err();
    assert_eq!(err.field(), Some("clearing_bid_tree_nonce"), "{err}");
    // The clearing bid cannot sell more than its amount.
    let err = s.try_apply(vec![auction_ended(10, 5, 20, 0)]).unwrap_err();
    assert_eq!(err.field(), Some("options_sold"), "{err}");
    assert!(
        err.to_string()
            .contains("would sell 10 options but has only 4"),
        "{err}"
    );
}

#[test]
fn settlement_stashes_queued_liquidity_including_a_full_queue() {
    let mut s = auction_with_bids(vec![bid("0xc3", "0xb1", 10, 3, 1)]);
    s.ok(vec![auction_ended(10, 3, 20, 0)]);
    // A queues 100 %, B 0 %; A then re-queues (the last request counts).
    let queue = |lp: &str, bps: u128, before: u64, now: u64, vault_now: u64| {
        (
            Encoded::new(K::WithdrawalQueued)
                .key(lp)
                .u128(bps)
                .int(1)
                .u256(&n(before))
                .u256(&n(now))
                .u256(&n(vault_now)),
            None,
        )
    };
    s.ok(vec![
        queue("0xa1", 5000, 0, 160, 160),
        queue("0xb2", 0, 0, 0, 160),
        queue("0xa1", 10_000, 160, 320, 320),
    ]);
    assert_eq!(s.store.queued[&(R1.into(), "0xa1".into())].bps, 10_000);
    assert_eq!(s.store.rounds[R1].queued_liquidity, n(320));
    s.ok(vec![settled(120, 20)]);
    // rem = 520 − 20 − 200 = 300; A: ⌊300·320/520⌋ = 184 stashed, nothing unlocked from it.
    assert_eq!(s.lp("0xa1"), (n(30), n(0), n(184)));
    assert_eq!(s.lp("0xb2"), (n(19 + 115), n(0), n(0)));
    assert_eq!(s.vault_balances(), (n(50 + 300 - 184), n(0), n(184)));
    assert_eq!(s.store.rounds[R1].state, RoundState::Settled);
    // Stash withdrawal zeroes the LP and sets the vault from the event.
    s.ok(vec![(
        Encoded::new(K::StashWithdrawn)
            .key("0xa1")
            .u256(&n(184))
            .u256(&n(0)),
        None,
    )]);
    assert_eq!((s.lp("0xa1").2, s.vault_balances().2), (n(0), n(0)));
}

#[test]
fn legacy_withdrawal_queued_and_the_events_round_id() {
    let mut s = auction_with_bids(vec![]);
    let legacy = Encoded::new(K::WithdrawalQueued)
        .key("0xa1")
        .u128(2500)
        .int(1)
        .u256(&n(80))
        .u256(&n(80));
    s.ok(vec![(legacy, None)]);
    assert_eq!(
        s.store.queued[&(R1.into(), "0xa1".into())].queued_liquidity,
        n(80)
    );
    // A round id the vault does not have: R6.
    let unknown = Encoded::new(K::WithdrawalQueued)
        .key("0xa1")
        .u128(2500)
        .int(7)
        .u256(&n(80))
        .u256(&n(80));
    assert!(s
        .warns(vec![(unknown, None)])
        .contains("round 7 of vault 0x7a11 does not exist"));
}

#[test]
fn settlement_with_zero_payout_and_with_zero_liquidity() {
    let mut s = auction_with_bids(vec![bid("0xc3", "0xb1", 10, 3, 1)]);
    s.ok(vec![auction_ended(10, 3, 20, 0)]);
    s.ok(vec![settled(90, 0)]);
    // Nothing paid out: LPs get their sold liquidity back pro rata.
    assert_eq!(s.lp("0xa1"), (n(30 + 307), n(0), n(0)));

    let mut s = Scenario::new();
    s.price_round_1(100, 5000);
    s.ok(vec![auction_started(0, 0)]);
    s.ok(vec![auction_ended(0, 0, 0, 0)]);
    s.ok(vec![settled(150, 50)]);
    assert_eq!(s.vault_balances(), (n(0), n(0), n(0)));
    assert_eq!(s.store.rounds[R1].remaining_liquidity, n(0));
}

#[test]
fn bids_duplicates_updates_and_buyer_flags() {
    let mut s = auction_with_bids(vec![bid("0xc3", "0xb1", 4, 5, 1)]);
    let warning = s.warns(vec![bid("0xc3", "0xb1", 9, 9, 2)]);
    assert!(
        warning.contains("bid 0xb1 of round 0x1a1 already exists"),
        "{warning}"
    );
    s.ok(vec![(
        Encoded::new(K::BidUpdated)
            .key("0xc3")
            .felt("0xb1")
            .u256(&n(2))
            .int(0)
            .int(3),
        Some(R1),
    )]);
    let stored = &s.store.bids[&(R1.into(), "0xb1".into())];
    assert_eq!((stored.price.clone(), stored.tree_nonce), (n(7), 2));
    let missing = Encoded::new(K::BidUpdated)
        .key("0xc3")
        .felt("0xb9")
        .u256(&n(2))
        .int(0)
        .int(4);
    assert!(s
        .warns(vec![(missing, Some(R1))])
        .contains("bid 0xb9 of round 0x1a1 does not exist"));

    s.ok(vec![auction_ended(4, 7, 520 - 200, 2)]);
    let refund = (
        Encoded::new(K::UnusedBidsRefunded).key("0xc3").u256(&n(0)),
        Some(R1),
    );
    let mint = (
        Encoded::new(K::OptionsMinted).key("0xc3").u256(&n(4)),
        Some(R1),
    );
    s.ok(vec![refund, mint.clone(), mint]);
    assert_eq!(
        s.buyer("0xc3", R1),
        (n(4), n(0), true, true),
        "amounts kept, flags set"
    );
    // An account that never bid: no row, nothing to do.
    s.ok(vec![(
        Encoded::new(K::OptionsMinted).key("0xee").u256(&n(0)),
        Some(R1),
    )]);
    assert_eq!(s.store.buyers.len(), 1);
}

#[test]
fn duplicate_rows_of_one_event_are_applied_once() {
    let mut s = Scenario::new();
    let deposit = Encoded::new(K::Deposit)
        .key("0xa1")
        .u256(&n(5))
        .u256(&n(5))
        .u256(&n(5));
    // The logger's duplicate (spec §8-11): same transaction, keys and data, another nonce.
    let mut rows = s.rows(vec![(deposit.clone(), None), (deposit, None)]);
    rows[1].transaction_hash = rows[0].transaction_hash.clone();
    let report = apply_rows(&mut s.store, rows, Settings::default()).unwrap();
    assert_eq!((report.applied, report.skipped), (1, 1));
    assert_eq!(s.lp("0xa1").0, n(5));
}

#[test]
fn round_events_resolve_through_every_addressing_mode() {
    // Appended round address (EP convention): data one felt longer.
    let mut s = Scenario::new();
    let pricing = Encoded::new(K::PricingDataSet)
        .u256(&n(100))
        .u128(5000)
        .u256(&n(2))
        .felt(R1);
    s.ok(vec![(pricing, None)]);
    assert_eq!(s.store.rounds[R1].strike_price, n(100));
    // A round of another vault is refused (R6).
    let mut other = Scenario::new();
    other.store.rounds.get_mut(R1).unwrap().vault_address = "0x7a99".into();
    let warning = other.warns(vec![(
        Encoded::new(K::PricingDataSet)
            .u256(&n(1))
            .u128(1)
            .u256(&n(1)),
        Some(R1),
    )]);
    assert!(warning.contains("belongs to vault 0x7a99"), "{warning}");
    // Filed under the round's own address (§1.7 item 4): processed for its vault, with a warning.
    let mut s = Scenario::new();
    let mut rows = s.rows(vec![(
        Encoded::new(K::PricingDataSet)
            .u256(&n(7))
            .u128(1)
            .u256(&n(1)),
        None,
    )]);
    rows[0].vault_address = R1.into();
    let report = apply_rows(&mut s.store, rows, Settings::default()).unwrap();
    assert!(
        report.warnings[0]
            .message
            .contains("filed under round 0x1a1"),
        "{:?}",
        report.warnings
    );
    assert_eq!(s.store.rounds[R1].strike_price, n(7));
}

#[test]
fn a_malformed_event_reports_block_vault_nonce_and_field() {
    let mut s = Scenario::new();
    let mut bad = Encoded::new(K::Deposit)
        .key("0xa1")
        .u256(&n(5))
        .u256(&n(5))
        .u256(&n(5));
    bad.data[3] = "0xnope".into();
    let err = s.try_apply(vec![(bad, None)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "block 11 (0xb0b), vault 0x7a11, event nonce 3 (Deposit): Deposit: field account_unlocked_balance_now.high (data[3] = \"0xnope\"): \"0xnope\" is not a hex felt (expected 0x followed by 1 to 64 hex digits)"
    );
    assert_eq!(err.field(), Some("account_unlocked_balance_now.high"));
}
