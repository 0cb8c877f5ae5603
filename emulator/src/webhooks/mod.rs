//! Partner Center webhooks (reference section 5): the registration API under
//! `/partner-center/webhooks/v1/registration`, and signed callbacks to the registered URL.
//!
//! The emulator generates a test CA and a signing certificate at start (`O=Microsoft
//! Corporation`, so a verifier's default organisation check passes) and serves the
//! certificate at `/webhooks/certificate.cer` (DER) and the CA at `/webhooks/ca.cer`, on
//! plain `http://` loopback: a verifier must allow-list `127.0.0.1`, trust the CA and allow
//! `http://` on loopback. The signing key is fixed and published (`keys/signing.pem`): for
//! tests only.

mod pki;
mod registration;

pub(crate) use registration::dispatch;

use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use partner_alerts::Alert;

use pki::Pki;

/// How many times a callback is tried (Partner Center's documented count).
pub const DELIVERY_ATTEMPTS: u32 = 10;

/// Whom to call, for which events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Subscription {
    pub url: String,
    pub events: Vec<String>,
    pub ms_signature_header: bool,
    pub subscriber_id: String,
}

/// One callback the emulator made, with every attempt's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookDelivery {
    /// `EventName`.
    pub event_name: String,
    /// The signed body, as sent.
    pub body: Vec<u8>,
    /// The headers sent with it (signature, certificate URL, algorithm).
    pub headers: Vec<(String, String)>,
    /// Each attempt's status (`None`: no answer).
    pub attempts: Vec<Option<u16>>,
    /// The correlation id of a test event.
    pub correlation_id: Option<String>,
    /// When it was first sent.
    pub sent_at: DateTime<Utc>,
}

impl WebhookDelivery {
    /// Whether an attempt was answered with a 2xx.
    pub fn delivered(&self) -> bool {
        self.attempts
            .iter()
            .any(|a| a.is_some_and(|s| (200..300).contains(&s)))
    }
}

/// The webhook state: certificates, the registration, the deliveries.
pub(crate) struct Webhooks {
    pki: Pki,
    local_addr: SocketAddr,
    pub(crate) subscription: Mutex<Option<Subscription>>,
    deliveries: Arc<Mutex<Vec<WebhookDelivery>>>,
    /// When the last test events were asked for (2 a minute).
    pub(crate) test_events: Mutex<VecDeque<std::time::Instant>>,
    http: reqwest::Client,
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhooks")
            .field("subscription", &self.subscription)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Webhooks {
    pub(crate) fn new(local_addr: SocketAddr) -> Self {
        Webhooks {
            pki: Pki::generate(),
            local_addr,
            subscription: Mutex::new(None),
            deliveries: Arc::new(Mutex::new(Vec::new())),
            test_events: Mutex::new(VecDeque::new()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a client without TLS settings builds"),
        }
    }

    pub(crate) fn certificate_der(&self) -> &[u8] {
        &self.pki.leaf_der
    }

    pub(crate) fn ca_der(&self) -> &[u8] {
        &self.pki.ca_der
    }

    pub(crate) fn certificate_url(&self) -> String {
        format!("http://{}/webhooks/certificate.cer", self.local_addr)
    }

    pub(super) fn partner_center_base(&self) -> String {
        format!("http://{}/partner-center", self.local_addr)
    }

    pub(crate) fn deliveries(&self) -> Vec<WebhookDelivery> {
        lock(&self.deliveries).clone()
    }

    /// A new alert: `azure-fraud-event-detected` to the registered URL, when registered for
    /// it.
    pub(crate) fn alert_raised(&self, alert: &Alert, now: DateTime<Utc>) {
        let Some(sub) = alert.subscription_id.as_ref() else {
            return;
        };
        let uri = format!(
            "{}/v1/fraudEvents?SubscriptionId={sub}&EventStatus=Active",
            self.partner_center_base()
        );
        self.notify("azure-fraud-event-detected", &uri, now, None);
    }

    /// Sends `event_name` about `resource_uri` when the registration lists it, in the
    /// background, up to [`DELIVERY_ATTEMPTS`] times.
    pub(crate) fn notify(
        &self,
        event_name: &str,
        resource_uri: &str,
        now: DateTime<Utc>,
        correlation_id: Option<String>,
    ) -> bool {
        let Some(sub) = lock(&self.subscription).clone() else {
            return false;
        };
        if !sub
            .events
            .iter()
            .any(|e| e.eq_ignore_ascii_case(event_name))
        {
            return false;
        }
        let body = serde_json::to_vec(&serde_json::json!({
            "EventName": event_name,
            "ResourceUri": resource_uri,
            "AuditUri": null,
            "ResourceChangeUtcDate": now.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        }))
        .expect("an event serialises");
        let signature = format!("Signature {}", self.pki.sign(&body));
        let headers = vec![
            (
                if sub.ms_signature_header {
                    "x-ms-signature"
                } else {
                    "authorization"
                }
                .to_owned(),
                signature,
            ),
            ("x-ms-certificate-url".to_owned(), self.certificate_url()),
            (
                "x-ms-signature-algorithm".to_owned(),
                "rsa-sha256".to_owned(),
            ),
        ];
        let delivery = WebhookDelivery {
            event_name: event_name.to_owned(),
            body,
            headers,
            attempts: Vec::new(),
            correlation_id,
            sent_at: now,
        };
        self.send(sub.url, delivery);
        true
    }

    /// Sends the last delivery again (same bytes, same headers), as Partner Center does when
    /// an answer is lost; `false` when nothing was sent yet.
    pub(crate) fn redeliver_last(&self) -> bool {
        let (Some(sub), Some(mut last)) = (
            lock(&self.subscription).clone(),
            lock(&self.deliveries).last().cloned(),
        ) else {
            return false;
        };
        last.attempts.clear();
        self.send(sub.url, last);
        true
    }

    fn send(&self, url: String, delivery: WebhookDelivery) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("no Tokio runtime: the webhook is not sent");
            return;
        };
        let index = {
            let mut all = lock(&self.deliveries);
            all.push(delivery.clone());
            all.len() - 1
        };
        let deliveries = self.deliveries.clone();
        let http = self.http.clone();
        runtime.spawn(async move {
            for attempt in 1..=DELIVERY_ATTEMPTS {
                let mut request = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(delivery.body.clone());
                for (k, v) in &delivery.headers {
                    request = request.header(k, v);
                }
                let status = request.send().await.ok().map(|r| r.status().as_u16());
                lock(&deliveries)[index].attempts.push(status);
                if status.is_some_and(|s| (200..300).contains(&s)) {
                    return;
                }
                // Partner Center's interval is undocumented: short, growing waits.
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        });
    }
}

/// `GET /webhooks/certificate.cer`: the signing certificate, DER, as Partner Center serves
/// its `.cer` (outside both APIs: no token needed).
pub(crate) async fn certificate(
    axum::extract::State(shared): axum::extract::State<Arc<crate::shared::Shared>>,
) -> axum::response::Response {
    der_reply(shared.webhooks.certificate_der())
}

/// `GET /webhooks/ca.cer`: the test CA, DER.
pub(crate) async fn ca(
    axum::extract::State(shared): axum::extract::State<Arc<crate::shared::Shared>>,
) -> axum::response::Response {
    der_reply(shared.webhooks.ca_der())
}

fn der_reply(der: &[u8]) -> axum::response::Response {
    axum::response::Response::builder()
        .header("content-type", "application/pkix-cert")
        .body(axum::body::Body::from(der.to_vec()))
        .expect("a static response builds")
}
