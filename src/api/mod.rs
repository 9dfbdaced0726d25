mod decode;
mod error;
