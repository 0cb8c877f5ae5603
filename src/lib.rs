//! # partner-alerts
//!
//! Typed Rust access to the security alerts Microsoft raises on CSP customers' Azure
//! subscriptions (crypto mining, anomalous VM or Machine Learning usage), through both of
//! Microsoft's APIs: Graph's partner security alerts ([`GraphClient`], beta) and the legacy
//! Partner Center FraudEvents API ([`FraudEventsClient`], being retired), behind one
//! [`AlertSource`] trait.
//!
//! ## A tour, on the bundled emulator
//!
//! Runs as is (`cargo test` runs it): list the open high-severity alerts, page by page or
//! alert by alert, resolve one, count what is left.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use partner_alerts::auth::StaticToken;
//! use partner_alerts::{
//!     AlertQuery, AlertSource, AlertStatus, Filter, GraphClient, ResolvedReason, Severity,
//!     StatusUpdate, UpdateTarget,
//! };
//!
//! let emu = partner_alerts_emulator::Emulator::builder().alerts(300).seed(7).start().await?;
//! // For Microsoft Graph: GraphClient::builder().credential(ClientSecretCredential::from_env()?)
//! let client = GraphClient::builder()
//!     .base_url(emu.graph_base_url())
//!     .credential(StaticToken::new("emulator"))
//!     .build()?;
//!
//! // A typed query, rendered as OData: status eq 'active' and severity eq 'high'.
//! let urgent = AlertQuery::new()
//!     .filter(Filter::status().eq(AlertStatus::Active).and(Filter::severity().eq(Severity::High)));
//!
//! // A lazy stream across every page; nothing is sent until it is polled.
//! let mut alerts = client.list(&urgent);
//! let mut targets = Vec::new();
//! while let Some(alert) = alerts.try_next().await? {
//!     targets.push(UpdateTarget::from(&alert));
//! }
//!
//! // Resolve them; every alert is reported succeeded, failed or unconfirmed.
//! let report = client
//!     .update_alerts(&targets, &StatusUpdate::resolved(ResolvedReason::Legitimate))
//!     .await?;
//! assert!(report.is_complete());
//! assert_eq!(client.count(&urgent).await?, 0);
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## The parts
//!
//! | Part | What it is |
//! |---|---|
//! | [`GraphClient`], [`FraudEventsClient`] | one client per API: cheap to clone, built with a builder (base URL, credential, retry policy, time limits, an HTTP client of your own) |
//! | [`AlertSource`] | the trait both implement (list, resume, count, get, update many, capabilities); code written against `&dyn AlertSource` runs on either |
//! | [`Alert`], [`FraudEvent`] and [`model`] | the alerts, with open enums that never fail on a value Microsoft adds tomorrow, validated ids, and nothing lost on odd values ([`Alert::unparsed`]) |
//! | [`AlertQuery`], [`Filter`] | typed OData: quotes doubled, invalid input refused before sending; evaluated on the client where Partner Center cannot |
//! | [`Pager`], [`PageStream`], [`Continuation`] | paging as streams, one page read ahead, resumable after a restart |
//! | [`Error`], [`error`] | one error type with predicates and the ids support asks for |
//! | [`auth`] | token providers (static, client credentials, refresh token, `azure_identity`) and the cache |
//! | [`http`] | the shared transport's settings: [`http::RetryPolicy`], [`http::Timeouts`] |
//! | [`bulk`] | many alerts' status changed at once, planned first: each alert succeeded, skipped, failed or unconfirmed |
//! | [`score`] | the partner security score, its requirements, history and customer insights ([`GraphClient::security_score`] and the calls beside it) |
//! | [`triage`] | the dashboard's figures, the response-time SLA, many partner tenants in one view, the CSV export |
//! | [`watch`] | a restart-safe watcher over any source: new and changed alerts, each delivered once across graceful restarts, from a checkpoint |
//! | [`enrich`] | customers', resellers' and subscriptions' names on alerts from any source, from Partner Center or Graph |
//! | `respond` | (feature `response-actions`) stop a hijacked subscription: cancel or suspend it from a confirmed plan, then resolve its alerts |
//! | `webhooks` | (feature `webhooks`) Partner Center webhooks: registration, verified callbacks, the event and the alerts it points at |
//!
//! Guides: [`guide::enums`], [`guide::errors`], [`guide::migration`], [`guide::testing`].
//!
//! ## Cargo features
//!
//! `rustls` (default; TLS without OpenSSL), `native-tls`, `gzip` (default), `fraud-events`
//! (default; the legacy client), `csv` (default; [`triage::CsvExport`]), `azure-identity`
//! (any `azure_identity` credential as a token provider), `webhooks` (Partner Center
//! webhooks: registration and signature verification; X.509 and RSA checks),
//! `response-actions` (cancel, suspend and reactivate subscriptions; destructive, so off).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
pub mod bulk;
mod endpoint;
pub mod enrich;
pub mod error;
#[cfg(feature = "fraud-events")]
pub mod fraud_events;
pub mod graph;
pub mod guide;
pub mod http;
pub mod model;
pub mod pager;
pub mod query;
#[cfg(feature = "response-actions")]
pub mod respond;
mod source;
pub mod triage;
pub mod watch;
#[cfg(feature = "webhooks")]
pub mod webhooks;

pub use error::{Error, InvalidInput, RequestIds, Result};
pub use model::score;

/// The README's examples, compiled (and run where they need no tenant) by `cargo test`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}

/// Entry points for the fuzz targets in `fuzz/` (the `fuzzing` feature); not an API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use std::time::Duration;

    use crate::{Page, Result};

    /// Decodes a Graph page as a listing does.
    pub fn graph_page(body: &[u8]) -> Result<Page> {
        crate::graph::decode_for_fuzzing(body)
    }

    /// Decodes page `number` (of `size` events asked for) of a FraudEvents listing.
    #[cfg(feature = "fraud-events")]
    pub fn fraud_events_page(body: &[u8], number: u32, size: u32) -> Result<Page> {
        crate::fraud_events::decode_for_fuzzing(body, number, size)
    }

    /// Whether the clients send `filter` (they refuse one they cannot render as OData before
    /// sending anything).
    pub fn filter_is_sent(filter: &crate::Filter) -> bool {
        filter.validate().is_ok()
    }

    /// Parses a `Retry-After` value at `now`.
    pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
        crate::http::parse_retry_after(value, now)
    }
}
#[cfg(feature = "fraud-events")]
pub use fraud_events::{FraudEventsClient, FraudEventsClientBuilder};
pub use graph::{GraphClient, GraphClientBuilder};
pub use model::{
    ActivityLog, AdditionalDetails, AffectedResource, Alert, AlertCategory, AlertId, AlertStatus,
    AlertType, ConfidenceLevel, FraudEvent, ResolvedReason, Severity, SubscriptionId, TenantId,
    UnknownValue, Unparsed, UnparsedValue,
};
pub use pager::{Continuation, Page, PageStream, Pager};
pub use query::{AlertQuery, Field, Filter};
pub use source::{
    AlertSource, Capabilities, ReadResult, SourceKind, StatusUpdate, UpdateReport, UpdateTarget,
};
