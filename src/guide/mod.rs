//! Guides: topics that need more than one item's documentation.
//!
//! - [`enums`]: values Microsoft adds tomorrow, and values that are odd today.
//! - [`errors`]: what can fail, what to retry, what to tell support.
//! - [`migration`]: from the FraudEvents API to Graph, one line at a time.
//! - [`testing`]: the emulator, its faults and quirks, and test doubles of your own.

#[doc = include_str!("enums.md")]
pub mod enums {}

#[doc = include_str!("errors.md")]
pub mod errors {}

#[doc = include_str!("migration.md")]
pub mod migration {}

#[doc = include_str!("testing.md")]
pub mod testing {}
