mod decode;
pub(crate) mod error;
pub(crate) mod failure;
pub mod process;
mod recompute;
pub mod revert;
