mod decode;
mod error;
pub mod process;
pub mod revert;
