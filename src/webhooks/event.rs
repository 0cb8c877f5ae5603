//! The event Partner Center posts ([`WebhookEvent`]) and what it points at.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{InvalidInput, Result};
use crate::{Alert, AlertQuery, AlertSource, AlertStatus, Filter, SubscriptionId};

/// The event raised when a fraud event is detected for one of the partner's customers.
pub const AZURE_FRAUD_EVENT_DETECTED: &str = "azure-fraud-event-detected";

/// The event sent by "send test event" (`validationEvents`); a registration must list it to
/// receive one.
pub const TEST_CREATED: &str = "test-created";

/// A Partner Center webhook event, as posted (reference section 5.2; PascalCase keys).
///
/// It carries no alert details: [`WebhookEvent::fetch_alerts`] reads the alerts it points
/// at. Get one from [`Verifier::verify`](super::Verifier::verify); parse one yourself only
/// from a body whose signature you checked.
///
/// ```
/// use partner_alerts::webhooks::WebhookEvent;
/// use partner_alerts::AlertStatus;
///
/// let event: WebhookEvent = serde_json::from_str(r#"{
///     "EventName": "azure-fraud-event-detected",
///     "ResourceUri": "https://api.partnercenter.microsoft.com/v1/fraudEvents?SubscriptionId=2a7064fb-1e33-4007-974e-352cb3f2c805&EventStatus=Active",
///     "AuditUri": null,
///     "ResourceChangeUtcDate": "2018-02-17T00:05:39.5485487+00:00"
/// }"#)?;
/// assert!(event.is_fraud_event());
/// assert_eq!(event.subscription_id().unwrap().as_str(), "2a7064fb-1e33-4007-974e-352cb3f2c805");
/// assert_eq!(event.event_status(), Some(AlertStatus::Active));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct WebhookEvent {
    /// `EventName`: `{resource}-{action}`, e.g. [`AZURE_FRAUD_EVENT_DETECTED`] or
    /// [`TEST_CREATED`]; any other name is kept as sent.
    pub event_name: String,
    /// `ResourceUri`: where the changed resource is read (for a fraud event, a FraudEvents
    /// listing filtered on the subscription and status).
    #[serde(default)]
    pub resource_uri: Option<String>,
    /// `ResourceName`, which most events carry and the fraud event does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// `AuditUri`: the audit record of the change, when there is one.
    #[serde(default)]
    pub audit_uri: Option<String>,
    /// `ResourceChangeUtcDate`: when the resource changed.
    #[serde(default)]
    pub resource_change_utc_date: Option<DateTime<Utc>>,
}

impl WebhookEvent {
    /// An event with this name and nothing else (for tests and test doubles).
    pub fn new(event_name: impl Into<String>) -> Self {
        WebhookEvent {
            event_name: event_name.into(),
            resource_uri: None,
            resource_name: None,
            audit_uri: None,
            resource_change_utc_date: None,
        }
    }

    /// Whether this is [`AZURE_FRAUD_EVENT_DETECTED`] (names compared in any case).
    pub fn is_fraud_event(&self) -> bool {
        self.event_name
            .eq_ignore_ascii_case(AZURE_FRAUD_EVENT_DETECTED)
    }

    /// Whether this is the test event ([`TEST_CREATED`]).
    pub fn is_test(&self) -> bool {
        self.event_name.eq_ignore_ascii_case(TEST_CREATED)
    }

    /// The value of a query parameter of the resource URI, its name matched in any case
    /// (Partner Center writes `SubscriptionId`, `EventStatus`).
    fn resource_parameter(&self, name: &str) -> Option<String> {
        let url = Url::parse(self.resource_uri.as_deref()?).ok()?;
        url.query_pairs()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The Azure subscription the event concerns, from the resource URI's `SubscriptionId`;
    /// `None` when the URI names none or not a valid id.
    pub fn subscription_id(&self) -> Option<SubscriptionId> {
        SubscriptionId::new(self.resource_parameter("SubscriptionId")?).ok()
    }

    /// The status named in the resource URI's `EventStatus` (`Active`, ...), parsed as the
    /// alerts' status is (any case; an unknown value is kept).
    pub fn event_status(&self) -> Option<AlertStatus> {
        self.resource_parameter("EventStatus")
            .map(|s| AlertStatus::parse(&s))
    }

    /// An identity for the event that a redelivery repeats: the event name, the resource URI
    /// and the change date. Partner Center delivers an event up to ten times; a receiver
    /// drops the ones whose key it has already processed.
    pub fn dedup_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.event_name.to_ascii_lowercase(),
            self.resource_uri.as_deref().unwrap_or(""),
            self.resource_change_utc_date
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
                .unwrap_or_default()
        )
    }

    /// The query that lists the alerts this event points at: its subscription, and its
    /// status when the resource URI names one.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) when the resource URI names no
    /// subscription (rather than listing every alert of the partner).
    pub fn alert_query(&self) -> Result<AlertQuery> {
        let sub = self.subscription_id().ok_or_else(|| {
            InvalidInput::new(
                "webhook event",
                "its ResourceUri names no SubscriptionId, so it points at no alerts",
            )
        })?;
        let mut filter = Filter::subscription_id().eq(sub);
        if let Some(status) = self.event_status() {
            filter = filter.and(Filter::status().eq(status));
        }
        Ok(AlertQuery::new().filter(filter))
    }

    /// Reads the alerts the event points at, through either client (Graph or FraudEvents):
    /// the handler gets whole alerts in one call.
    ///
    /// ```no_run
    /// # async fn run(event: partner_alerts::webhooks::WebhookEvent, graph: partner_alerts::GraphClient) -> partner_alerts::Result<()> {
    /// for alert in event.fetch_alerts(&graph).await? {
    ///     println!("{} {:?}", alert.id, alert.alert_type);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`WebhookEvent::alert_query`], and the listing's errors.
    pub async fn fetch_alerts(&self, source: &(dyn AlertSource + '_)) -> Result<Vec<Alert>> {
        source.list(&self.alert_query()?).try_collect().await
    }
}
