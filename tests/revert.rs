//! Exact reversion over the in-memory store (spec §4): for random valid histories, process N
//! blocks, revert the newest k, and every state table must equal its dump after block N − k;
//! then a different replacement history must give the same state as processing it from
//! scratch.

use event_processor_protocol::protocol::{apply_rows, MemoryStore, Settings};
use event_processor_synth::{ChainConfig, Rng, Simulator, SynthBlock};

fn apply(store: &mut MemoryStore, block: &SynthBlock) {
    let report =
        apply_rows(store, block.events.clone(), Settings::default()).expect("valid history");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

/// Asserts equal dumps, showing only the lines that differ.
fn assert_same(got: &[String], want: &[String], what: &str) {
    let extra: Vec<_> = got.iter().filter(|l| !want.contains(l)).collect();
    let missing: Vec<_> = want.iter().filter(|l| !got.contains(l)).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "{what}\nunexpected: {extra:#?}\nmissing: {missing:#?}"
    );
}

fn check(cfg: ChainConfig, k: usize, replacement_blocks: usize) {
    let label = format!("seed {} {:?} k {k}", cfg.seed, cfg.addressing);
    let n = cfg.blocks;
    let mut sim = Simulator::new(cfg.clone());
    let mut store = MemoryStore::default();
    let mut dumps = vec![store.dump()];
    let mut blocks = Vec::new();
    let mut fork_point = None;
    for i in 0..n {
        if i == n - k {
            fork_point = Some(sim.clone());
        }
        let block = sim.next_block();
        apply(&mut store, &block);
        dumps.push(store.dump());
        blocks.push(block);
    }
    for (i, block) in blocks.iter().enumerate().rev().take(k) {
        store.revert_block(&block.hash);
        assert_same(
            &store.dump(),
            &dumps[i],
            &format!("{label}: after reverting block {}", block.number),
        );
    }
    assert!(
        store
            .journal
            .iter()
            .all(|e| blocks[..n - k].iter().any(|x| *x.hash == *e.block)),
        "{label}: journal"
    );

    // The replacement branch, applied on the reverted state and from scratch.
    let mut branch = fork_point.expect("k ≥ 1");
    branch.fork(cfg.seed.wrapping_mul(31) + 7);
    let replacement: Vec<SynthBlock> = (0..replacement_blocks)
        .map(|_| branch.next_block())
        .collect();
    assert_ne!(
        replacement[0].hash,
        blocks[n - k].hash,
        "a different block at the same height"
    );
    let mut scratch = MemoryStore::default();
    for block in blocks[..n - k].iter().chain(&replacement) {
        apply(&mut scratch, block);
    }
    for block in &replacement {
        apply(&mut store, block);
    }
    assert_same(
        &store.dump(),
        &scratch.dump(),
        &format!("{label}: replacement history"),
    );

    // Reverting everything leaves every table empty.
    for block in blocks[..n - k].iter().chain(&replacement).rev() {
        store.revert_block(&block.hash);
    }
    assert_eq!(store.dump(), Vec::<String>::new(), "{label}: all reverted");
    assert!(store.applied.is_empty() && store.journal.is_empty());
}

#[test]
fn revert_restores_exactly_and_replacements_match_a_fresh_run() {
    let mut rng = Rng::new(4);
    for seed in 0..300 {
        let cfg = ChainConfig::varied(seed, 4, 50, 5);
        let k = rng.range(1, 50) as usize;
        check(cfg, k, rng.range(1, 30) as usize);
    }
}
