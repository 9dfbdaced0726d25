mod decode;
mod error;
pub(crate) mod failure;
pub mod process;
pub(crate) use process::with_processor;
pub mod revert;
