//! # partner-alerts
//!
//! Typed Rust access to the security alerts Microsoft raises on CSP customers' Azure
//! subscriptions: the Microsoft Graph partner security alerts API
//! (`/security/partner/securityAlerts`, beta) and the legacy Partner Center FraudEvents API
//! (`/v1/fraudEvents`).
//!
//! This release holds the models: [`Alert`] (Graph's `partnerSecurityAlert`), [`FraudEvent`]
//! (both Partner Center shapes, with `From<FraudEvent> for Alert`), their parts, the open
//! enums that never fail on a value Microsoft adds tomorrow, and validated ids.
//!
//! ```
//! use partner_alerts::{Alert, AlertStatus, AlertType, Severity};
//!
//! let page = r#"{"value":[{"id":"d8b202fc-a216-3404-69ef-bdffa445eff6",
//!     "alertType":"networkConnectionsToCryptoMiningPools","status":"active",
//!     "severity":"high","detectedDateTime":"2024-01-23T16:03:33.05Z"}]}"#;
//! #[derive(serde::Deserialize)]
//! struct Page { value: Vec<Alert> }
//! let page: Page = serde_json::from_str(page)?;
//! let alert = &page.value[0];
//! assert_eq!(alert.status, Some(AlertStatus::Active));
//! assert_eq!(alert.severity, Some(Severity::High));
//! assert_eq!(alert.alert_type, Some(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS));
//! # Ok::<(), serde_json::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
mod endpoint;
pub mod error;
#[cfg(feature = "fraud-events")]
pub mod fraud_events;
pub mod graph;
pub mod http;
pub mod model;
pub mod pager;
pub mod query;
mod source;
pub mod triage;

pub use error::{Error, InvalidInput, RequestIds, Result};

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
pub use source::{AlertSource, Capabilities, SourceKind, StatusUpdate, UpdateReport, UpdateTarget};
