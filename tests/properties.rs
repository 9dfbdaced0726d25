//! Property tests over random valid Pitch Lake histories (crates/synth): after every block the
//! processor's state (over the in-memory store) must equal the simulator's independent model
//! exactly, and the invariants of spec §3.5 must hold.

use event_processor_protocol::protocol::state::RoundState;
use event_processor_protocol::protocol::{apply_rows, MemoryStore, Settings};
use event_processor_synth::{ChainConfig, RoundAddressing, Simulator};
use num_bigint::BigUint;

fn check_block(store: &MemoryStore, sim: &Simulator, context: &str) {
    for v in &sim.vaults {
        let vault = store
            .vaults
            .get(v.address.as_str())
            .unwrap_or_else(|| panic!("{context}: vault {} missing", v.address));
        let got = (
            &vault.unlocked_balance,
            &vault.locked_balance,
            &vault.stashed_balance,
        );
        assert_eq!(
            got,
            (
                &v.balances.unlocked,
                &v.balances.locked,
                &v.balances.stashed
            ),
            "{context}: vault {}",
            v.address
        );
        assert_eq!(
            &vault.unlocked_balance + &vault.locked_balance + &vault.stashed_balance,
            v.expected_total,
            "{context}: vault total moves only by deposits, withdrawals, stashes, premiums, payouts"
        );
        for (lp, bal) in &v.lps {
            let row = &store.liquidity_providers[&(v.address.as_str().into(), lp.as_str().into())];
            let got = (
                &row.unlocked_balance,
                &row.locked_balance,
                &row.stashed_balance,
            );
            assert_eq!(
                got,
                (&bal.unlocked, &bal.locked, &bal.stashed),
                "{context}: LP {lp} of {}",
                v.address
            );
        }
        // §3.5: locked is 0 / s / s − u while the current round is Open / Auctioning / Running.
        let current = &store.rounds[vault
            .current_round_address
            .as_ref()
            .expect("round deployed")];
        let expected_locked = match current.state {
            RoundState::Open | RoundState::Settled => BigUint::default(),
            RoundState::Auctioning => current.starting_liquidity.clone(),
            RoundState::Running => &current.starting_liquidity - &current.unsold_liquidity,
        };
        assert_eq!(
            vault.locked_balance, expected_locked,
            "{context}: vault locked in state {}",
            current.state
        );
        for r in &v.rounds {
            let round = &store.rounds[r.address.as_str()];
            assert_eq!(round.state, r.state, "{context}: round {}", r.address);
            if !matches!(r.state, RoundState::Running | RoundState::Settled) {
                continue;
            }
            // §3.5: Σ mintable = n; Σ refundable = Σ amount·price − cp·n; and each buyer as the
            // simulator's ranking walk computed it.
            let buyers: Vec<_> = store
                .buyers
                .values()
                .filter(|b| *b.round_address == *r.address)
                .collect();
            let mintable: BigUint = buyers.iter().map(|b| &b.mintable_options).sum();
            let refundable: BigUint = buyers.iter().map(|b| &b.refundable_amount).sum();
            let paid: BigUint = store
                .bids
                .values()
                .filter(|b| *b.round_address == *r.address)
                .map(|b| &b.amount * &b.price)
                .sum();
            assert_eq!(
                mintable, round.sold_options,
                "{context}: Σ mintable of {}",
                r.address
            );
            assert_eq!(
                refundable,
                paid - &round.clearing_price * &round.sold_options,
                "{context}: Σ refundable"
            );
            for b in &buyers {
                let (won, refund) = r.won.get(&*b.address).cloned().unwrap_or_default();
                assert_eq!(
                    (&b.mintable_options, &b.refundable_amount),
                    (&won, &refund),
                    "{context}: buyer {}",
                    b.address
                );
                let flags = (
                    r.minted.contains(&*b.address),
                    r.refunded.contains(&*b.address),
                );
                assert_eq!(
                    (b.has_minted, b.has_refunded),
                    flags,
                    "{context}: flags of buyer {}",
                    b.address
                );
            }
        }
    }
}

fn run(cfg: ChainConfig) -> usize {
    let label = format!("seed {} {:?}", cfg.seed, cfg.addressing);
    let (blocks, sim) = Simulator::generate(cfg);
    // Replay against a second simulator run to check after every block (the generator is
    // deterministic, so stepping a fresh one block by block reproduces the same model).
    let mut stepper = Simulator::new(sim_config(&sim));
    let mut store = MemoryStore::default();
    let mut events = 0;
    for block in &blocks {
        let stepped = stepper.next_block();
        assert_eq!(stepped.hash, block.hash);
        events += block.events.len();
        let report = apply_rows(&mut store, block.events.clone(), Settings::default())
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(report.warnings.is_empty(), "{label}: {:?}", report.warnings);
        assert_eq!(report.applied, block.events.len());
        check_block(
            &store,
            &stepper,
            &format!("{label}, block {}", block.number),
        );
    }
    events
}

fn sim_config(sim: &Simulator) -> ChainConfig {
    sim.config().clone()
}

fn configs(seeds: std::ops::Range<u64>) -> impl Iterator<Item = ChainConfig> {
    seeds.flat_map(|seed| {
        [
            RoundAddressing::FromAddress,
            RoundAddressing::Appended,
            RoundAddressing::Fallback,
        ]
        .map(|addressing| ChainConfig {
            seed,
            vaults: 1 + (seed % 3) as usize,
            lps_per_vault: 1 + (seed % 5) as usize,
            bidders_per_vault: 1 + (seed % 4) as usize,
            blocks: 80,
            max_events_per_block: 5,
            addressing,
            first_block: 100,
        })
    })
}

#[test]
fn random_histories_match_the_model_and_keep_the_invariants() {
    let mut events = 0;
    let mut settled = 0;
    for cfg in configs(0..200) {
        events += run(cfg.clone());
        let (_, sim) = Simulator::generate(cfg);
        settled += sim
            .vaults
            .iter()
            .map(|v| {
                v.rounds
                    .iter()
                    .filter(|r| r.state == RoundState::Settled)
                    .count()
            })
            .sum::<usize>();
    }
    eprintln!("600 histories: {events} events, {settled} settled rounds");
    // The generator must actually exercise full rounds, not just deposits.
    assert!(
        settled > 300,
        "only {settled} settled rounds in 600 histories"
    );
    assert!(events > 50_000, "only {events} events");
}
