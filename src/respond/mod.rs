//! Response actions (feature `response-actions`, off by default): stop the spending of a
//! hijacked Azure subscription, and undo it (reference sections 10.7 to 10.11).
//!
//! | Action | Azure plan's Azure subscription | Legacy "Microsoft Azure" subscription |
//! |---|---|---|
//! | [`Action::Stop`] | cancel it (`compromise`), read until inactive, then resolve its open alerts as fraud | suspend it, then resolve its open alerts as fraud |
//! | [`Action::Reactivate`] | reactivate it, read until active | reactivate it |
//! | [`Action::SuspendAzurePlan`] | suspend the whole plan, once none of its subscriptions is active | refused |
//! | [`Action::ReactivateAzurePlan`] | reactivate the plan | refused |
//!
//! Every action goes through the same three steps, so that nothing destructive happens by
//! accident (open question Q39):
//!
//! 1. [`Responder::plan`] reads the state now (customer, subscription, status, alerts) and
//!    returns an [`ActionPlan`] naming the customer, the subscription and the exact
//!    [`Effect`], or why it is [`Refused`](Effect::Refused): a subscription that is not the
//!    customer's is refused here, before anything is sent.
//! 2. A person reads it and confirms with the id it acts on: a [`Confirmation`].
//! 3. [`Responder::execute`] checks the confirmation against the plan (a mismatch sends
//!    nothing), reads the state again, sends the one change, reads until the final state
//!    (bounded), and reports: an [`ActionReport`] with the request ids, the status before
//!    and after, and each alert resolved.
//!
//! On the bundled emulator (runs as is):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use partner_alerts::auth::StaticToken;
//! use partner_alerts::enrich::PartnerCenterDirectory;
//! use partner_alerts::respond::{Action, Confirmation, Effect, Outcome, Responder};
//! use partner_alerts::{AlertStatus, GraphClient};
//!
//! let emu = partner_alerts_emulator::Emulator::builder().alerts(200).seed(3).start().await?;
//! let token = || StaticToken::new("emulator");
//! let graph = GraphClient::builder().base_url(emu.graph_base_url()).credential(token()).build()?;
//! let directory = PartnerCenterDirectory::builder()
//!     .base_url(emu.partner_center_base_url())
//!     .credential(token())
//!     .build()?;
//! let responder = Responder::new(directory, Arc::new(graph));
//!
//! // An open alert on an Azure plan's Azure subscription.
//! let alert = emu
//!     .alerts()
//!     .into_iter()
//!     .find(|a| {
//!         a.status != Some(AlertStatus::Resolved)
//!             && a.catalog_offer_id.as_deref() == Some("MS-AZR-0017G")
//!     })
//!     .unwrap();
//! let plan = responder.plan_for_alert(&alert, Action::stop()).await?;
//! assert!(matches!(plan.effect(), Effect::CancelAzureSubscription { .. }));
//! println!("{plan}");
//!
//! // The id as the operator typed it after reading the plan.
//! let typed = alert.subscription_id.as_ref().unwrap().to_string();
//! let report = responder
//!     .execute(&plan, &Confirmation::for_azure_subscription(typed))
//!     .await?;
//! assert!(matches!(report.outcome, Outcome::Done));
//! // Cancelled, and every open alert of the subscription resolved as fraud.
//! assert!(report.is_complete());
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The token: cancel and reactivate need a user with the Global Administrator and Admin
//! Agent roles (an App+User token, [`RefreshTokenCredential`](crate::auth::RefreshTokenCredential));
//! a `403` says so.

mod action;
mod calls;
mod plan;
mod responder;

pub use action::{Action, CancellationReason, Confirmation, Confirms, Effect, Refusal, Status};
pub use plan::ActionPlan;
pub use responder::{
    ActionReport, AlertsOutcome, DEFAULT_MAX_WAIT, DEFAULT_POLL_INTERVAL, Outcome, Responder,
};
