//! The registration API (reference section 5.1): [`RegistrationClient`].

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::auth::Scope;
use crate::endpoint::join;
use crate::error::{Api, Error, InvalidInput, RequestIds, Result, ServiceError};
use crate::http::{Common, Request, Transport, builder_setters};

/// Partner Center's global endpoint, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.partnercenter.microsoft.com";

/// How many test events Partner Center accepts per minute.
pub const TEST_EVENTS_PER_MINUTE: usize = 2;

/// What to register: the callback URL, the events, and where the signature goes.
///
/// ```
/// use partner_alerts::webhooks::{Registration, AZURE_FRAUD_EVENT_DETECTED, TEST_CREATED};
///
/// let r = Registration::new("https://alerts.example.com/partner-center")
///     .event(AZURE_FRAUD_EVENT_DETECTED)
///     .event(TEST_CREATED)
///     .signature_in_ms_signature_header(true);
/// assert_eq!(
///     serde_json::to_value(&r).unwrap(),
///     serde_json::json!({
///         "WebhookUrl": "https://alerts.example.com/partner-center",
///         "WebhookEvents": ["azure-fraud-event-detected", "test-created"],
///         "SignatureTokenToMsSignatureHeader": true,
///     })
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Registration {
    webhook_url: String,
    webhook_events: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature_token_to_ms_signature_header: Option<bool>,
}

impl Registration {
    /// A registration of `webhook_url` for no events yet.
    pub fn new(webhook_url: impl Into<String>) -> Self {
        Registration {
            webhook_url: webhook_url.into(),
            webhook_events: Vec::new(),
            signature_token_to_ms_signature_header: None,
        }
    }

    /// Adds an event name (see [`RegistrationClient::event_names`]).
    pub fn event(mut self, name: impl Into<String>) -> Self {
        self.webhook_events.push(name.into());
        self
    }

    /// Sends the signature in `x-ms-signature` instead of `Authorization` (for a host that
    /// keeps `Authorization` for itself); unset by default (Partner Center's default:
    /// `Authorization`). The verifier reads either.
    pub fn signature_in_ms_signature_header(mut self, on: bool) -> Self {
        self.signature_token_to_ms_signature_header = Some(on);
        self
    }

    fn check(&self) -> Result<()> {
        Url::parse(&self.webhook_url)
            .map_err(|e| InvalidInput::new("webhook url", format!("is not a URL: {e}")))?;
        if self.webhook_events.is_empty() {
            return Err(InvalidInput::new("webhook events", "is empty").into());
        }
        Ok(())
    }
}

/// A registration as Partner Center answers it (keys in PascalCase or camelCase).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct WebhookRegistration {
    /// `SubscriberId` (answered to a register or update, not to a view).
    #[serde(
        default,
        alias = "subscriberId",
        skip_serializing_if = "Option::is_none"
    )]
    pub subscriber_id: Option<String>,
    /// `WebhookUrl`.
    #[serde(alias = "webhookUrl")]
    pub webhook_url: String,
    /// `WebhookEvents`.
    #[serde(default, alias = "webhookEvents")]
    pub webhook_events: Vec<String>,
    /// `SignatureTokenToMsSignatureHeader`, when answered.
    #[serde(
        default,
        alias = "signatureTokenToMsSignatureHeader",
        skip_serializing_if = "Option::is_none"
    )]
    pub signature_token_to_ms_signature_header: Option<bool>,
}

/// The answer to "send test event": the id to read its delivery with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TestEvent {
    /// `correlationId`.
    #[serde(alias = "CorrelationId")]
    pub correlation_id: String,
}

/// How a test event was delivered (`validationEvents/{correlationId}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TestEventDelivery {
    /// `correlationId`.
    #[serde(default)]
    pub correlation_id: String,
    /// `partnerId`.
    #[serde(default)]
    pub partner_id: Option<String>,
    /// `status`, e.g. `completed`.
    #[serde(default)]
    pub status: Option<String>,
    /// `callbackUrl`.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// One per delivery attempt.
    #[serde(default)]
    pub results: Vec<DeliveryAttempt>,
}

/// One delivery attempt of a test event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeliveryAttempt {
    /// `responseCode`: the receiver's answer as a status name (`OK`).
    #[serde(default)]
    pub response_code: Option<String>,
    /// `responseMessage`.
    #[serde(default)]
    pub response_message: Option<String>,
    /// `systemError`: the delivery failed on Partner Center's side.
    #[serde(default)]
    pub system_error: bool,
    /// `dateTimeUtc`, as sent (zone-less; UTC): see [`DeliveryAttempt::date_time`].
    #[serde(default)]
    pub date_time_utc: Option<String>,
}

impl DeliveryAttempt {
    /// `dateTimeUtc` parsed (a zone-less value is UTC).
    pub fn date_time(&self) -> Option<DateTime<Utc>> {
        crate::model::wire::parse_timestamp(self.date_time_utc.as_deref()?)
            .ok()
            .flatten()
    }
}

/// The Partner Center webhook registration API, through the same transport as
/// [`FraudEventsClient`](crate::FraudEventsClient): retries, errors and request ids.
///
/// Cheap to clone. Registration is per partner tenant: one registration holding a list of
/// event names.
///
/// ```no_run
/// # async fn run() -> partner_alerts::Result<()> {
/// use partner_alerts::auth::RefreshTokenCredential;
/// use partner_alerts::webhooks::{Registration, RegistrationClient, AZURE_FRAUD_EVENT_DETECTED, TEST_CREATED};
///
/// let client = RegistrationClient::builder()
///     .credential(RefreshTokenCredential::from_env()?)
///     .build()?;
/// let registered = client
///     .register(&Registration::new("https://alerts.example.com/pc").event(AZURE_FRAUD_EVENT_DETECTED).event(TEST_CREATED))
///     .await?;
/// let test = client.send_test_event().await?;
/// let delivery = client.test_event_delivery(&test.correlation_id).await?;
/// println!("{registered:?} {delivery:?}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RegistrationClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    /// When the last test events were sent, for the documented limit.
    test_events: Mutex<VecDeque<Instant>>,
}

impl fmt::Debug for RegistrationClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationClient")
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RegistrationClient`].
#[derive(Debug)]
pub struct RegistrationClientBuilder {
    common: Common,
}

impl RegistrationClientBuilder {
    builder_setters!();

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no credential was given or the base URL is not `https://`
    /// (or `http://` on loopback).
    pub fn build(self) -> Result<RegistrationClient> {
        let c = self
            .common
            .check("ClientSecretCredential, RefreshTokenCredential, StaticToken, ...")?;
        let transport = c.partner_center_transport()?;
        Ok(RegistrationClient {
            inner: Arc::new(Inner {
                transport,
                test_events: Mutex::new(VecDeque::new()),
            }),
        })
    }
}

impl RegistrationClient {
    /// A builder with Partner Center's global endpoint.
    pub fn builder() -> RegistrationClientBuilder {
        RegistrationClientBuilder {
            common: Common::new(DEFAULT_BASE_URL, Scope::PARTNER_CENTER),
        }
    }

    /// The base URL (and the only origin its token is sent to).
    pub fn base_url(&self) -> &Url {
        &self.inner.transport.base
    }

    fn url(&self, rest: &[&str]) -> Url {
        let mut segments = vec!["webhooks", "v1", "registration"];
        segments.extend_from_slice(rest);
        join(&self.inner.transport.base, &segments)
    }

    /// The event names Partner Center supports (`GET .../registration/events`).
    pub async fn event_names(&self) -> Result<Vec<String>> {
        let response = self
            .inner
            .transport
            .send(Request::get(self.url(&["events"]), "webhooks"))
            .await?;
        response.json(Api::PartnerCenter)
    }

    /// Registers the callback (`POST .../registration`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`], with nothing sent, when the URL is not a URL or no event is
    /// listed.
    pub async fn register(&self, registration: &Registration) -> Result<WebhookRegistration> {
        self.write(reqwest::Method::POST, registration).await
    }

    /// Replaces the registration (`PUT .../registration`): the event list sent replaces the
    /// registered one.
    ///
    /// # Errors
    /// As [`RegistrationClient::register`].
    pub async fn update(&self, registration: &Registration) -> Result<WebhookRegistration> {
        self.write(reqwest::Method::PUT, registration).await
    }

    async fn write(
        &self,
        method: reqwest::Method,
        registration: &Registration,
    ) -> Result<WebhookRegistration> {
        registration.check()?;
        let body = serde_json::to_vec(registration)
            .map_err(|e| InvalidInput::new("registration", e.to_string()))?;
        let response = self
            .inner
            .transport
            .send(Request::write(method, self.url(&[]), body, "webhooks"))
            .await?;
        response.json(Api::PartnerCenter)
    }

    /// The registration (`GET .../registration`); [`Error::NotFound`] when there is none.
    pub async fn registration(&self) -> Result<WebhookRegistration> {
        let response = self
            .inner
            .transport
            .send(Request::get(self.url(&[]), "webhooks"))
            .await?;
        response.json(Api::PartnerCenter)
    }

    /// Asks Partner Center to send a `test-created` event to the registered URL (`POST
    /// .../registration/validationEvents`); the registration must list `test-created`.
    ///
    /// # Errors
    /// [`Error::Throttled`], with nothing sent, when this client already sent
    /// [`TEST_EVENTS_PER_MINUTE`] in the last minute (the documented limit); its
    /// [`Error::retry_after`] says when the next is allowed.
    pub async fn send_test_event(&self) -> Result<TestEvent> {
        self.take_test_slot()?;
        let response = self
            .inner
            .transport
            .send(Request::write(
                reqwest::Method::POST,
                self.url(&["validationEvents"]),
                Vec::new(),
                "webhooks",
            ))
            .await?;
        response.json(Api::PartnerCenter)
    }

    /// Counts a test event against the documented limit, or says how long to wait.
    fn take_test_slot(&self) -> Result<()> {
        const MINUTE: Duration = Duration::from_secs(60);
        let mut sent = self
            .inner
            .test_events
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while sent.front().is_some_and(|t| t.elapsed() >= MINUTE) {
            sent.pop_front();
        }
        if sent.len() >= TEST_EVENTS_PER_MINUTE {
            let wait = sent
                .front()
                .map_or(MINUTE, |t| MINUTE.saturating_sub(t.elapsed()));
            let mut e =
                ServiceError::new(Api::PartnerCenter, 429, RequestIds::new(uuid::Uuid::nil()));
            e.message = Some(format!(
                "Partner Center accepts {TEST_EVENTS_PER_MINUTE} test events a minute; this client sent them (nothing was sent)"
            ));
            e.retry_after = Some(wait);
            e.attempts = 0;
            return Err(Error::Throttled(Box::new(e)));
        }
        sent.push_back(Instant::now());
        Ok(())
    }

    /// How a test event was delivered (`GET .../registration/validationEvents/{id}`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`], with nothing sent, for an empty id.
    pub async fn test_event_delivery(&self, correlation_id: &str) -> Result<TestEventDelivery> {
        let id = correlation_id.trim();
        if id.is_empty() || id.contains(['/', '?', '#']) {
            return Err(
                InvalidInput::new("correlation id", "is empty or holds '/', '?' or '#'").into(),
            );
        }
        let response = self
            .inner
            .transport
            .send(Request::get(
                self.url(&["validationEvents", id]),
                "webhooks",
            ))
            .await?;
        response.json(Api::PartnerCenter)
    }
}
