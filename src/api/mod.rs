mod decode;
mod error;
pub mod process;
