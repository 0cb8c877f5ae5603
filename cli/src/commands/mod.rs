//! One module per command.

pub mod dashboard;
pub mod get;
pub mod list;
pub mod resolve;
pub mod watch;
pub mod webhooks;
