//! The write-back cache (protocol::cache) over a source must be indistinguishable from applying
//! every block directly: for random histories cut into random batches, the state, the ledger
//! and the journal after writing each batch's changes equal a direct run's, and reverting block
//! by block from the written journal gives back every earlier state.

use event_processor_protocol::protocol::{apply_rows, CachedStore, MemoryStore, Settings};
use event_processor_synth::{ChainConfig, Rng, Simulator};

fn check(cfg: ChainConfig, rng: &mut Rng) {
    let label = format!("seed {} {:?}", cfg.seed, cfg.addressing);
    let (blocks, _) = Simulator::generate(cfg);
    let mut direct = MemoryStore::default();
    let mut dumps = vec![direct.dump()];
    for block in &blocks {
        apply_rows(&mut direct, block.events.clone(), Settings::default()).expect("valid");
        dumps.push(direct.dump());
    }

    let mut cached = CachedStore::new(MemoryStore::default());
    let mut next = 0;
    while next < blocks.len() {
        let size = (rng.range(1, 12) as usize).min(blocks.len() - next);
        for block in &blocks[next..next + size] {
            apply_rows(&mut cached, block.events.clone(), Settings::default()).expect("valid");
        }
        write_back(&mut cached);
        next += size;
        assert_eq!(
            cached.source().dump(),
            dumps[next],
            "{label}: after block {next}"
        );
    }
    let written = cached.source();
    assert_eq!(written.applied, direct.applied, "{label}: ledger");
    let mut want = direct.journal.clone();
    let mut got = written.journal.clone();
    want.sort_by_key(|e| (e.block.clone(), format!("{:?}", e.image)));
    got.sort_by_key(|e| (e.block.clone(), format!("{:?}", e.image)));
    assert_eq!(got, want, "{label}: journal");

    for (i, block) in blocks.iter().enumerate().rev() {
        written.revert_block(&block.hash);
        assert_eq!(written.dump(), dumps[i], "{label}: revert of block {i}");
    }
}

/// Writes the batch's changes to the source, as the database store does.
fn write_back(cached: &mut CachedStore<MemoryStore>) {
    let changes = cached.take_changes();
    cached
        .source()
        .apply_changes(changes)
        .expect("writes apply");
}

#[test]
fn batches_of_any_size_equal_block_by_block_application() {
    let mut rng = Rng::new(11);
    for seed in 0..200 {
        let cfg = ChainConfig::varied(seed, 5, 60, 6);
        check(cfg, &mut rng);
    }
}

#[test]
fn the_lp_scaling_chain_settles_a_round_with_every_lp_through_one_batch() {
    let (blocks, [start, _, end, settle]) = event_processor_synth::Simulator::lp_scaling(300, 1);
    assert!(start < end && end < settle && settle == blocks.len() - 1);
    let mut direct = MemoryStore::default();
    let mut cached = CachedStore::new(MemoryStore::default());
    for block in &blocks {
        apply_rows(&mut direct, block.events.clone(), Settings::default()).expect("valid");
        apply_rows(&mut cached, block.events.clone(), Settings::default()).expect("valid");
    }
    write_back(&mut cached);
    assert_eq!(cached.source().dump(), direct.dump());
    assert_eq!(direct.liquidity_providers.len(), 300);
    assert_eq!(
        direct.deposits.len(),
        300,
        "every LP locked at the auction start"
    );
    assert!(direct
        .rounds
        .values()
        .any(|r| r.round_id == 1 && r.state.as_str() == "Settled"));
}
