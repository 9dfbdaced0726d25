//! In-database tests (run by `cargo pgrx test`, see docs/testing.md).
//! * `#[pg_test]`s run inside the test server, each in a transaction that is rolled back;
//! * `client` holds plain `#[test]`s that connect to the same server over libpq, for what a
//!   rolled-back transaction cannot show (commits, NOTIFY delivery, DROP EXTENSION);
//!   `concurrency` races several such sessions.

#[path = "../tests/fixtures/worked_example.rs"]
pub mod worked_example;

pub mod support;

mod decode;
mod failures;
mod plans;
mod processing;
mod properties;
mod recompute;
mod revert;
mod schema;
mod security;

#[cfg(test)]
mod client;
#[cfg(test)]
mod concurrency;
#[cfg(test)]
mod notifications;
#[cfg(test)]
mod upgrade;
#[cfg(test)]
mod worker;
#[cfg(test)]
mod worker_reacts;
