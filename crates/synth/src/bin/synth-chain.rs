//! Writes a seeded synthetic Pitch Lake chain (crates/synth) as TSV in the indexer's column
//! order, for `\copy` into starknet_blocks and events (with from_address). Used by the
//! benchmarks.
//!
//!   synth-chain OUT_DIR [seed] [vaults] [lps_per_vault] [bidders_per_vault] [blocks] [max_events_per_block]
//!   synth-chain lp-scaling OUT_DIR LPS
//!   synth-chain sparse OUT_DIR BLOCKS [seed] [vaults] [lps_per_vault] [bidders_per_vault] [gap] [max_events_per_block] [tail_empty] [tail_dense]
//!     (a real chain's shape: about one block in `gap` carries events, the rest are empty;
//!     then `tail_empty` empty blocks and `tail_dense` blocks that all carry events)

use event_processor_synth::{ChainConfig, RoundAddressing, Simulator, SynthBlock};
use std::io::{BufWriter, Write};

fn arg(args: &[String], i: usize, default: u64) -> u64 {
    args.get(i)
        .map(|a| a.parse().expect("numeric argument"))
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("lp-scaling") => return lp_scaling(&args),
        Some("sparse") => return sparse(&args),
        _ => {}
    }
    let out = std::path::PathBuf::from(
        args.get(1)
            .expect("usage: synth-chain OUT_DIR [seed vaults lps bidders blocks events]"),
    );
    let cfg = ChainConfig {
        seed: arg(&args, 2, 1),
        vaults: arg(&args, 3, 10) as usize,
        lps_per_vault: arg(&args, 4, 50) as usize,
        bidders_per_vault: arg(&args, 5, 20) as usize,
        blocks: arg(&args, 6, 1000) as usize,
        max_events_per_block: arg(&args, 7, 10) as usize,
        addressing: RoundAddressing::FromAddress,
        first_block: 1_000_000,
    };
    let (blocks, _) = Simulator::generate(cfg);
    write_chain(&out, &blocks)
}

/// `synth-chain lp-scaling OUT_DIR LPS`: the chain of `Simulator::lp_scaling`, plus
/// `phases.tsv` naming the auction start, bids, auction end and settlement blocks.
fn lp_scaling(args: &[String]) -> std::io::Result<()> {
    let out = std::path::PathBuf::from(
        args.get(2)
            .expect("usage: synth-chain lp-scaling OUT_DIR LPS"),
    );
    let lps = arg(args, 3, 100) as usize;
    let (blocks, marks) = Simulator::lp_scaling(lps, 1);
    write_chain(&out, &blocks)?;
    let mut phases = BufWriter::new(std::fs::File::create(out.join("phases.tsv"))?);
    for (name, i) in ["auction start", "bids", "auction end", "settlement"]
        .iter()
        .zip(marks)
    {
        writeln!(phases, "{}\t{name}\t{lps}", blocks[i].hash)?;
    }
    Ok(())
}

/// `synth-chain sparse OUT_DIR BLOCKS ...`: `Simulator::sparse_block` and its tails, written as
/// they are generated.
fn sparse(args: &[String]) -> std::io::Result<()> {
    let out = std::path::PathBuf::from(
        args.get(2)
            .expect("usage: synth-chain sparse OUT_DIR BLOCKS ..."),
    );
    let total = arg(args, 3, 100_000) as usize;
    let cfg = ChainConfig {
        seed: arg(args, 4, 1),
        vaults: arg(args, 5, 3) as usize,
        lps_per_vault: arg(args, 6, 100) as usize,
        bidders_per_vault: arg(args, 7, 20) as usize,
        blocks: 0,
        max_events_per_block: arg(args, 9, 8) as usize,
        addressing: RoundAddressing::FromAddress,
        first_block: 1_000_000,
    };
    let (gap, tail_empty, tail_dense) = (arg(args, 8, 200), arg(args, 10, 0), arg(args, 11, 0));
    let mut sim = Simulator::new(cfg);
    let (empty_from, dense_from) = (total as u64, total as u64 + tail_empty);
    let mut n = 0u64;
    let chain = std::iter::from_fn(move || {
        n += 1;
        match n {
            n if n <= empty_from => Some(sim.sparse_block(gap)),
            n if n <= dense_from => Some(sim.empty_block()),
            n if n <= dense_from + tail_dense => Some(sim.next_block()),
            _ => None,
        }
    });
    write_chain(&out, chain)
}

fn write_chain(
    out: &std::path::Path,
    chain: impl IntoIterator<Item = impl std::borrow::Borrow<SynthBlock>>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut blocks = BufWriter::new(std::fs::File::create(out.join("blocks.tsv"))?);
    let mut events = BufWriter::new(std::fs::File::create(out.join("events.tsv"))?);
    let (mut count, mut written) = (0usize, 0usize);
    for b in chain {
        let b = b.borrow();
        written += 1;
        writeln!(
            blocks,
            "{}\t{}\t{}\t{}\tMINED",
            b.number, b.hash, b.parent_hash, b.timestamp
        )?;
        for e in &b.events {
            count += 1;
            writeln!(
                events,
                "{}\t{}\t{}\t{}\t{}\t{{{}}}\t{{{}}}\t{}\t{}",
                e.event_nonce,
                e.block_number,
                e.block_hash,
                e.vault_address,
                e.event_name,
                e.keys.join(","),
                e.data.join(","),
                e.transaction_hash,
                e.from_address.as_deref().unwrap_or("\\N"),
            )?;
        }
    }
    eprintln!(
        "synth-chain: {} blocks, {count} events in {}",
        written,
        out.display()
    );
    Ok(())
}
