//! Synthetic Pitch Lake chains (seeded, deterministic) in the indexer's format, shared by the
//! property tests and the benchmarks. Pure Rust.

pub mod backend;
mod chain;
pub mod encode;
mod fuzz;
mod rng;

pub use chain::{Bal, ChainConfig, RoundAddressing, Simulator, SynthBlock, Vault};
pub use fuzz::Mutator;
pub use rng::Rng;
