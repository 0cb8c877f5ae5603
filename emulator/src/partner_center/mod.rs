//! The Partner Center side: `GET /v1/fraudEvents` and
//! `POST /v1/fraudEvents/subscription/{subscriptionId}/status`, serving the same alerts as
//! the Graph side through a [`FraudEvent`] view of each; the directory (customers,
//! resellers, subscriptions, Azure entitlements) and its response actions (cancel and
//! reactivate an Azure subscription, suspend or reactivate a subscription).

mod actions;
mod directory;
mod event;
mod handlers;

pub(crate) use actions::{Actions, SavedActions};
pub(crate) use event::fraud_event;
pub(crate) use handlers::{Ctx, dispatch};
