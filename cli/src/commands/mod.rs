//! One module per command.

pub mod dashboard;
pub mod doctor;
pub mod get;
pub mod list;
pub mod resolve;
pub mod respond;
pub mod score;
pub mod watch;
pub mod webhooks;
