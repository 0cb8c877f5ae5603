//! Partner Center webhooks: push instead of poll (the `webhooks` cargo feature, off by
//! default).
//!
//! Partner Center posts an `azure-fraud-event-detected` event to a registered URL the moment
//! an alert is raised (reference section 5). The event carries no alert details, only the
//! subscription it concerns; this module gives a receiver the whole path:
//!
//! | Step | Here |
//! |---|---|
//! | register the URL, view, replace, send a test event and read its delivery | [`RegistrationClient`] (Partner Center's transport: retries, errors, request ids) |
//! | verify a callback: signature, algorithm, certificate URL, chain, organisation, freshness | [`Verifier::verify`], a typed [`VerifyError`] for each refusal |
//! | the event, its subscription and status | [`WebhookEvent`] |
//! | the alerts it points at | [`WebhookEvent::fetch_alerts`] through [`GraphClient`](crate::GraphClient) or [`FraudEventsClient`](crate::FraudEventsClient) |
//!
//! A receiver answers 2xx fast and does the reading in the background (Partner Center
//! tries ten times, then gives up on the event), drops redeliveries by
//! [`WebhookEvent::dedup_key`], and answers 503 rather than dropping an event it cannot
//! queue; `examples/webhook_receiver.rs` shows one on axum and `partner-alerts webhooks
//! serve` is one.
//!
//! ```no_run
//! # async fn run(headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
//! use partner_alerts::auth::ClientSecretCredential;
//! use partner_alerts::webhooks::Verifier;
//! use partner_alerts::GraphClient;
//!
//! let verifier = Verifier::builder().build()?;             // keep one: it caches certificates
//! let graph = GraphClient::builder().credential(ClientSecretCredential::from_env()?).build()?;
//!
//! let event = verifier.verify(&headers, &body).await?;     // headers and raw body, as received
//! if event.is_fraud_event() {
//!     for alert in event.fetch_alerts(&graph).await? {
//!         println!("{} {:?} {:?}", alert.id, alert.alert_type, alert.severity);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! ## Choices where the documentation is silent
//!
//! - The certificate URL must be `https://` on an allow-listed host (default
//!   [`DEFAULT_CERTIFICATE_HOST`], the documented one); redirects are not followed.
//!   [`VerifierBuilder::allow_http_on_loopback`] lets tests use the emulator's `http://`.
//! - The chain is checked with `rustls-webpki` against Mozilla's roots (`webpki-roots`, as
//!   the clients' TLS) unless [`VerifierBuilder::roots_der`] gives others; any extended key
//!   usage is accepted (none is documented for the signing certificate). The certificate
//!   URL serves one certificate: its issuing CA must be among the roots, given with
//!   [`VerifierBuilder::intermediate_der`], or served after it in a PEM bundle.
//! - `O=Microsoft Corporation` is required in the subject or the issuer (the sample checks
//!   the issuer's text for it).
//! - Certificates are cached by URL (16, one hour by default); validity and chain are
//!   checked again on every callback, so a cached certificate that expires is refused.
//! - `x-ms-signature` wins over `Authorization` when both are present (the registration
//!   option moves the signature there when something in front keeps `Authorization`).
//! - RSA keys under 2048 bits are refused (as [`VerifyError::BadSignature`]).

mod certificate;
mod error;
mod event;
mod registration;
mod verify;

pub use error::VerifyError;
pub use event::{AZURE_FRAUD_EVENT_DETECTED, TEST_CREATED, WebhookEvent};
pub use registration::{
    DEFAULT_BASE_URL, DeliveryAttempt, Registration, RegistrationClient, RegistrationClientBuilder,
    TEST_EVENTS_PER_MINUTE, TestEvent, TestEventDelivery, WebhookRegistration,
};
pub use verify::{
    DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL, DEFAULT_CERTIFICATE_HOST, DEFAULT_ORGANIZATION,
    SignatureHeaders, Verifier, VerifierBuilder, certificates_from_pem_or_der,
};
