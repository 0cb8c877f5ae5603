//! The deterministic data generator: a partner, a few hundred customers with their
//! subscriptions and resellers, and realistic alerts of every known type.
//!
//! Everything derives from one seed through [`SplitMix64`](crate::rng::SplitMix64), so a seed
//! always yields the same customers and the same alerts; timestamps are placed relative to a
//! given "now".

mod alert;
mod catalog;
mod directory;
mod types;
mod words;

pub(crate) use catalog::{AZURE_PLAN_OFFER, CustomerView, ResellerView};
pub(crate) use directory::{Generator, Partner};
pub(crate) use types::service_name;
