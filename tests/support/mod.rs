//! Code shared by the test crates, one module per suite.

pub mod models;
// Not every test crate that has `mod support` sleeps.
#[allow(dead_code)]
pub mod sleep;
