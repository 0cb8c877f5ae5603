//! Code shared by the test crates, one module per suite.

pub mod models;
