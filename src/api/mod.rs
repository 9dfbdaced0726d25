mod decode;
mod error;
pub mod process;
pub(crate) use process::with_processor;
pub mod revert;
