//! Fuzzing the decoder and the handlers (issue: reliability): malformed events (crates/synth
//! `Mutator`: mutations of valid events, random felts under known and unknown names) applied
//! to the state of a random history must never panic, and every error must name the event
//! (block, vault, nonce). FUZZ_CASES sets the number of cases (default 100,000; `make fuzz`
//! runs 1,000,000 in a release build). tests/fixtures/fuzz/regressions.tsv keeps cases worth
//! re-running on every test run (name, keys, data; felts comma-separated).

use event_processor_protocol::protocol::{
    apply_rows, CachedStore, EventRow, MemoryStore, Settings,
};
use event_processor_synth::{ChainConfig, Mutator, RoundAddressing, Simulator};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A random history's state, and its events as templates for mutation.
fn base() -> (MemoryStore, Vec<EventRow>) {
    let (blocks, _) = Simulator::generate(ChainConfig {
        seed: 4242,
        vaults: 2,
        lps_per_vault: 6,
        bidders_per_vault: 4,
        blocks: 160,
        max_events_per_block: 6,
        addressing: RoundAddressing::FromAddress,
        first_block: 100,
    });
    let mut store = MemoryStore::default();
    let mut templates = Vec::new();
    for block in blocks {
        apply_rows(&mut store, block.events.clone(), Settings::default()).unwrap();
        templates.extend(block.events);
    }
    (store, templates)
}

/// Applies `row` over `base` through the write-back cache (as the database path does; the
/// cache only reads `base`), strict and lenient; panics and errors without the event's
/// context are the failures. Returns whether the lenient run rejected the event.
fn check(base: &mut MemoryStore, row: &EventRow) -> Result<bool, String> {
    let mut rejected = false;
    for strict in [false, true] {
        let mut store = CachedStore::new(&mut *base);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            apply_rows(&mut store, vec![row.clone()], Settings { strict })
        }));
        match outcome {
            Err(_) => return Err(format!("panicked (strict = {strict}) on {row:?}")),
            Ok(Err(e)) => {
                let context = e.context.as_ref();
                let message = e.to_string();
                let names_event = *context.block_hash == *row.block_hash
                    && *context.vault == *row.vault_address
                    && context.event_nonce == row.event_nonce
                    && message.contains(&format!("event nonce {}", row.event_nonce));
                if !names_event {
                    return Err(format!(
                        "error without the event's context: {message} for {row:?}"
                    ));
                }
                rejected |= !strict;
            }
            Ok(Ok(_)) => {}
        }
    }
    Ok(rejected)
}

fn split(felts: &str) -> Vec<String> {
    if felts.is_empty() {
        vec![]
    } else {
        felts.split(',').map(str::to_string).collect()
    }
}

#[test]
fn the_regression_corpus_neither_panics_nor_loses_context() {
    let (mut store, templates) = base();
    let corpus = include_str!("fixtures/fuzz/regressions.tsv");
    let mut cases = 0;
    for line in corpus
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut fields = line.split('\t');
        let (name, keys, data) = (
            fields.next().unwrap(),
            fields.next().unwrap_or(""),
            fields.next().unwrap_or(""),
        );
        for template in templates.iter().filter(|t| t.event_name == name).take(3) {
            let mut row = template.clone();
            row.keys = split(keys);
            row.data = split(data);
            check(&mut store, &row).unwrap();
            cases += 1;
        }
    }
    assert!(cases > 20, "the corpus ran ({cases} cases)");
}

#[test]
fn malformed_events_never_panic_and_always_name_the_event() {
    let cases: u64 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let (mut store, templates) = base();
    let before = store.clone();
    let mut mutator = Mutator::new(0xf022);
    let started = std::time::Instant::now();
    let (mut failed, mut errors) = (Vec::new(), 0u64);
    for _ in 0..cases {
        let row = mutator.case(&templates);
        match check(&mut store, &row) {
            Ok(rejected) => errors += rejected as u64,
            Err(problem) => failed.push(problem),
        }
    }
    eprintln!(
        "fuzz: {cases} cases, {errors} rejected with an error, {} problems, {:.1} s",
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failed.is_empty(),
        "{} problems, first: {}",
        failed.len(),
        failed[0]
    );
    assert!(store == before, "the state the cases ran over is unchanged");
    assert!(
        errors > cases / 4,
        "most malformed cases are rejected ({errors})"
    );
}
