mod decode;
mod error;
pub(crate) mod failure;
pub mod process;
mod recompute;
pub(crate) use process::with_processor;
pub mod revert;
