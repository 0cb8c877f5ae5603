//! The one transport both clients share: base-URL rules, headers and request ids, the retry
//! policy, timeouts, size limits and error mapping.
//!
//! The public items here configure it: [`RetryPolicy`], [`Timeouts`] and [`AsyncSleep`].

mod retry;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeSeed;
use tracing::Instrument;
use url::Url;
use uuid::Uuid;

pub use retry::RetryPolicy;
pub(crate) use retry::{Decision, Outcome, decide, parse_retry_after};

use crate::auth::TokenCache;
use crate::error::{
    Api, DecodeError, Error, InvalidInput, InvalidResponse, RequestIds, Result, ServiceError,
    TimeoutError, TransportError,
};
use crate::model::lenient::{self, Lenient, Rejected};

/// The crate's `User-Agent`.
pub(crate) const USER_AGENT: &str = concat!("partner-alerts/", env!("CARGO_PKG_VERSION"));

/// The default limit on one response body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Timeouts for one call.
///
/// ```
/// use std::time::Duration;
/// use partner_alerts::http::Timeouts;
///
/// let t = Timeouts::default().per_attempt(Duration::from_secs(20));
/// assert_eq!(t.per_attempt_timeout(), Duration::from_secs(20));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    connect: Duration,
    per_attempt: Duration,
}

impl Default for Timeouts {
    /// 10 s to connect, 60 s for one attempt (sending, waiting, reading the whole body).
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            per_attempt: Duration::from_secs(60),
        }
    }
}

impl Timeouts {
    /// The time allowed to open a connection (applies to the client the crate builds, not to
    /// one passed in with `http_client`).
    pub fn connect(mut self, d: Duration) -> Self {
        self.connect = d;
        self
    }

    /// The time allowed for one attempt, from sending to the last byte of the body.
    pub fn per_attempt(mut self, d: Duration) -> Self {
        self.per_attempt = d;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect
    }

    /// The per-attempt timeout.
    pub fn per_attempt_timeout(&self) -> Duration {
        self.per_attempt
    }
}

/// How the clients wait between retries. The default sleeps on tokio's timer; tests may plug
/// in one that records the waits and returns at once.
pub trait AsyncSleep: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Sleeps on tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleep;

impl AsyncSleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// Checks a base URL: `https://` always, `http://` only for loopback (127.0.0.0/8, `::1`,
/// `localhost`), no credentials, query or fragment.
pub(crate) fn validate_base_url(field: &'static str, value: &str) -> Result<Url, InvalidInput> {
    let url = Url::parse(value.trim())
        .map_err(|e| InvalidInput::new(field, format!("{value:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(InvalidInput::new(
                field,
                format!(
                    "{value:?} uses http:// on a host that is not loopback; the bearer token must travel over https://"
                ),
            ));
        }
        other => {
            return Err(InvalidInput::new(
                field,
                format!("scheme {other:?} is not supported; use https://"),
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(InvalidInput::new(field, "has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(InvalidInput::new(field, "must not hold credentials"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(InvalidInput::new(
            field,
            "must not have a query or fragment",
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether `url` has the same scheme, host and port as `base`: the only URLs the token goes to.
pub(crate) fn same_origin(base: &Url, url: &Url) -> bool {
    base.scheme() == url.scheme()
        && base.host_str().map(str::to_ascii_lowercase)
            == url.host_str().map(str::to_ascii_lowercase)
        && base.port_or_known_default() == url.port_or_known_default()
}

/// Appends path segments to a base URL, percent-encoding each.
pub(crate) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Renders query parameters, each value percent-encoded: everything but unreserved
/// characters and the OData punctuation Graph expects verbatim (`$`, `,`, `:`, `(`, `)`), so
/// spaces travel as `%20` and quotes as `%27`.
pub(crate) fn encode_pairs(pairs: &[(&str, String)]) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const SET: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'$')
        .remove(b',')
        .remove(b':')
        .remove(b'(')
        .remove(b')');
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, SET)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Settings shared by the client builders.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) retry: RetryPolicy,
    pub(crate) timeouts: Timeouts,
    pub(crate) max_body_bytes: usize,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) sleep: Arc<dyn AsyncSleep>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retry: RetryPolicy::standard(),
            timeouts: Timeouts::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            http: None,
            sleep: Arc::new(TokioSleep),
        }
    }
}

/// One request to send, possibly several times.
pub(crate) struct Request {
    pub(crate) method: reqwest::Method,
    pub(crate) url: Url,
    pub(crate) body: Option<Vec<u8>>,
    /// The operation, for the permission hint of a 403 ("list", "get", "update").
    pub(crate) operation: &'static str,
}

impl Request {
    pub(crate) fn get(url: Url, operation: &'static str) -> Self {
        Request {
            method: reqwest::Method::GET,
            url,
            body: None,
            operation,
        }
    }

    fn is_write(&self) -> bool {
        self.method != reqwest::Method::GET
    }
}

/// A successful answer: status 2xx, the whole body, the ids.
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The body, unless [`Response::check_utf8`] moved it into `text`: read it with
    /// [`Response::bytes`].
    body: Vec<u8>,
    text: Option<String>,
    pub(crate) ids: RequestIds,
}

impl Response {
    /// Checks the body's UTF-8 now: a listing calls it on the thread that fetched the page,
    /// so that the thread decoding it need not.
    pub(crate) fn check_utf8(&mut self) {
        if self.text.is_none() {
            match String::from_utf8(std::mem::take(&mut self.body)) {
                Ok(text) => self.text = Some(text),
                Err(e) => self.body = e.into_bytes(),
            }
        }
    }

    /// The body's bytes, wherever they are kept.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.text.as_deref().map_or(&self.body, str::as_bytes)
    }

    /// Decodes the body as JSON of type `T`.
    pub(crate) fn json<'a, T: Deserialize<'a>>(&'a self, api: Api) -> Result<T> {
        self.json_seed(api, std::marker::PhantomData)
    }

    /// Decodes the body as JSON through `seed` (to decode into a buffer held elsewhere).
    pub(crate) fn json_seed<'a, S: DeserializeSeed<'a>>(
        &'a self,
        api: Api,
        seed: S,
    ) -> Result<S::Value> {
        self.json_seed_at(api, seed, || None)
    }

    /// As [`Response::json_seed`]; on failure `path` tells where in the document it was (a
    /// JSON path), for the error.
    pub(crate) fn json_seed_at<'a, S: DeserializeSeed<'a>>(
        &'a self,
        api: Api,
        seed: S,
        path: impl FnOnce() -> Option<String>,
    ) -> Result<S::Value> {
        // One UTF-8 check of the whole body is far cheaper than serde_json's check of each
        // string; invalid UTF-8 goes through from_slice for its positioned error.
        let text = match &self.text {
            Some(text) => Ok(text.as_str()),
            None => std::str::from_utf8(&self.body),
        };
        fn whole<'de, R: serde_json::de::Read<'de>, S: DeserializeSeed<'de>>(
            mut de: serde_json::Deserializer<R>,
            seed: S,
        ) -> serde_json::Result<S::Value> {
            let value = seed.deserialize(&mut de)?;
            de.end()?;
            Ok(value)
        }
        let decoded = match text {
            Ok(text) => whole(serde_json::Deserializer::from_str(text), seed),
            Err(_) => whole(serde_json::Deserializer::from_slice(&self.body), seed),
        };
        decoded.map_err(|e| {
            Error::Decode(Box::new(DecodeError::from_json(
                api,
                self.bytes(),
                &e,
                self.ids.clone(),
                path(),
            )))
        })
    }

    /// The error for one item of this page that cannot be an alert.
    pub(crate) fn item_error(&self, api: Api, item: Rejected) -> (usize, DecodeError) {
        let body = self.bytes();
        let offset = item
            .at
            .saturating_sub(body.as_ptr() as usize)
            .min(body.len());
        let e = DecodeError::item(
            api,
            body,
            offset,
            item.index,
            item.path,
            item.why,
            self.ids.clone(),
        );
        (item.position, e)
    }

    /// Decodes the body as one item (an alert, an event): strictly, and property by property
    /// when that fails, so an odd value costs its field only.
    pub(crate) fn one<T: Lenient>(&self, api: Api) -> Result<T> {
        let strict = match self.json::<T>(api) {
            Ok(item) => return Ok(item),
            Err(e) => e,
        };
        match std::str::from_utf8(self.bytes()).map(lenient::decode::<T>) {
            Ok(Ok(item)) => Ok(item),
            _ => Err(strict),
        }
    }
}

#[cfg(any(test, feature = "fuzzing"))]
impl Response {
    /// A 200 answer holding `body`, for decoder tests.
    pub(crate) fn with_body(body: impl Into<Vec<u8>>) -> Self {
        Response {
            status: 200,
            body: body.into(),
            text: None,
            ids: RequestIds::new(uuid::Uuid::nil()),
        }
    }
}

enum AttemptError {
    /// The service answered with a non-success status.
    Status {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
    },
    Connect(String),
    Interrupted(String),
    Timeout,
    Final(FinalError),
}

/// The shared transport of one client.
pub(crate) struct Transport {
    pub(crate) api: Api,
    pub(crate) base: Url,
    http: reqwest::Client,
    tokens: TokenCache,
    settings: Settings,
    headers: HeaderMap,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("api", &self.api)
            .field("base", &self.base.as_str())
            .field("tokens", &self.tokens)
            .field("retry", &self.settings.retry)
            .field("timeouts", &self.settings.timeouts)
            .field("max_body_bytes", &self.settings.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl Transport {
    pub(crate) fn new(
        api: Api,
        base: Url,
        tokens: TokenCache,
        settings: Settings,
        extra_headers: &[(&'static str, &'static str)],
    ) -> Result<Self> {
        let http = match &settings.http {
            Some(c) => c.clone(),
            None => reqwest::Client::builder()
                .connect_timeout(settings.timeouts.connect)
                // Redirects are answered with an error, never followed with the token.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| InvalidInput::new("http client", e.to_string()))?,
        };
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::USER_AGENT,
            HeaderValue::from_static(USER_AGENT),
        );
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        for (k, v) in extra_headers {
            headers.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        Ok(Transport {
            api,
            base,
            http,
            tokens,
            settings,
            headers,
        })
    }

    /// Sends `req` with retries, returning the 2xx answer or the mapped error.
    pub(crate) async fn send(&self, req: Request) -> Result<Response> {
        if !same_origin(&self.base, &req.url) {
            return Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                format!(
                    "refusing to send the token to {}: the client is configured for {}",
                    origin(&req.url),
                    origin(&self.base)
                ),
                None,
            ))));
        }
        // Graph: one client-request-id per operation, reused by its retries. Partner Center:
        // MS-RequestId is an idempotency key, reused only after a timeout and new after any
        // answer; MS-CorrelationId stays for the whole operation.
        let mut sent = Sent {
            request_id: Uuid::new_v4(),
            correlation_id: Uuid::new_v4(),
        };
        let start = Instant::now();
        let mut attempt = 0u32;
        let mut reauthenticated = false;
        loop {
            attempt += 1;
            // The provider's time counts against the operation's budget: one that hangs fails
            // this call, it does not stall the client.
            let budget_left = self.settings.retry.budget().saturating_sub(start.elapsed());
            let token = match tokio::time::timeout(budget_left, self.tokens.get()).await {
                Ok(token) => token,
                Err(_) => {
                    return Err(Error::Timeout(Box::new(TimeoutError {
                        what: "the token provider, within the operation budget",
                        elapsed: start.elapsed(),
                        ids: None,
                        attempts: attempt - 1,
                    })));
                }
            };
            let lease = match token {
                Ok(lease) => lease,
                // The identity platform said "try again" (or could not be reached): nothing
                // reached the API, so any request may retry, within the same policy.
                Err(e) if e.is_transient() => {
                    let policy = &self.settings.retry;
                    match decide(
                        policy,
                        attempt,
                        Outcome::Connect,
                        false,
                        start.elapsed(),
                        jitter(),
                    ) {
                        Decision::Retry(wait) => {
                            tracing::debug!(?wait, "token fetch failed transiently: retrying");
                            self.settings.sleep.sleep(wait).await;
                            continue;
                        }
                        Decision::Stop | Decision::Throttled => return Err(e.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            };
            let span = tracing::debug_span!(
                "partner_alerts.request",
                api = %self.api,
                method = %req.method,
                path = req.url.path(),
                attempt,
                client_request_id = %sent.request_id,
                status = tracing::field::Empty,
                request_id = tracing::field::Empty,
            );
            let budget_left = self
                .settings
                .retry
                .budget()
                .saturating_sub(start.elapsed())
                .max(Duration::from_millis(1));
            let result = self
                .attempt(&req, lease.token.expose_secret(), &sent, budget_left)
                .instrument(span.clone())
                .await;
            let (outcome, failure) = match result {
                Ok((status, headers, body)) => {
                    let ids = self.ids(&sent, &headers, None);
                    span.record("status", status);
                    if let Some(id) = ids.request_id() {
                        span.record("request_id", id);
                    }
                    return Ok(Response {
                        status,
                        body,
                        text: None,
                        ids,
                    });
                }
                Err(AttemptError::Status {
                    status,
                    headers,
                    body,
                }) => {
                    span.record("status", status);
                    if let Some(id) = self.ids(&sent, &headers, None).request_id() {
                        span.record("request_id", id);
                    }
                    if status == 401 && !reauthenticated {
                        // The token may have been revoked or expired early: fetch a new one once.
                        self.tokens.invalidate(lease.generation);
                        reauthenticated = true;
                        tracing::debug!(parent: &span, "401: retrying once with a new token");
                        self.renew(&mut sent);
                        continue;
                    }
                    let retry_after = headers
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| parse_retry_after(v, Utc::now()));
                    (
                        Outcome::Status {
                            status,
                            retry_after,
                        },
                        Failure::Status {
                            status,
                            headers,
                            body,
                            retry_after,
                        },
                    )
                }
                Err(AttemptError::Connect(m)) => (Outcome::Connect, Failure::Transport(m, true)),
                Err(AttemptError::Interrupted(m)) => {
                    (Outcome::Interrupted, Failure::Transport(m, false))
                }
                Err(AttemptError::Timeout) => (Outcome::Interrupted, Failure::Timeout),
                Err(AttemptError::Final(e)) => return Err(e.into_error(self.base_ids(&sent))),
            };
            let decision = decide(
                &self.settings.retry,
                attempt,
                outcome,
                req.is_write(),
                start.elapsed(),
                jitter(),
            );
            match decision {
                Decision::Retry(wait) => {
                    tracing::debug!(parent: &span, ?wait, "retrying");
                    if matches!(failure, Failure::Status { .. }) {
                        self.renew(&mut sent);
                    }
                    self.settings.sleep.sleep(wait).await;
                }
                Decision::Stop | Decision::Throttled => {
                    return Err(self.error(
                        failure,
                        &req,
                        &sent,
                        attempt,
                        decision == Decision::Throttled,
                        start.elapsed(),
                    ));
                }
            }
        }
    }

    /// A new MS-RequestId after an answer (Partner Center's rule); Graph keeps its id.
    fn renew(&self, sent: &mut Sent) {
        if self.api == Api::PartnerCenter {
            sent.request_id = Uuid::new_v4();
        }
    }

    async fn attempt(
        &self,
        req: &Request,
        token: &str,
        sent: &Sent,
        budget_left: Duration,
    ) -> Result<(u16, HeaderMap, Vec<u8>), AttemptError> {
        let mut builder = self
            .http
            .request(req.method.clone(), req.url.clone())
            .headers(self.headers.clone());
        let mut auth = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| {
            AttemptError::Final(FinalError::Auth(
                "the token provider returned a token with characters a header cannot hold",
            ))
        })?;
        auth.set_sensitive(true);
        builder = builder.header(reqwest::header::AUTHORIZATION, auth);
        builder = match self.api {
            Api::Graph => builder.header("client-request-id", sent.request_id.to_string()),
            Api::PartnerCenter => builder
                .header("MS-RequestId", sent.request_id.to_string())
                .header("MS-CorrelationId", sent.correlation_id.to_string()),
        };
        if let Some(body) = &req.body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let limit = self.settings.max_body_bytes;
        let work = async {
            let mut response = builder.send().await.map_err(classify)?;
            // A client passed in may follow redirects by itself; what it reached is not ours.
            if !same_origin(&self.base, response.url()) {
                return Err(AttemptError::Final(FinalError::Redirect(origin(
                    response.url(),
                ))));
            }
            let status = response.status();
            if status.is_redirection() {
                let to = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|l| match req.url.join(l) {
                        Ok(u) => origin(&u),
                        Err(_) => "an unreadable location".to_owned(),
                    })
                    .unwrap_or_else(|| "no location".to_owned());
                return Err(AttemptError::Final(FinalError::Redirect(to)));
            }
            if let Some(len) = response.content_length()
                && len > limit as u64
            {
                return Err(AttemptError::Final(FinalError::TooLarge(limit, len)));
            }
            let mut body = Vec::with_capacity(
                response.content_length().unwrap_or(8192).min(limit as u64) as usize,
            );
            while let Some(chunk) = response.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > limit {
                    return Err(AttemptError::Final(FinalError::TooLarge(
                        limit,
                        (body.len() + chunk.len()) as u64,
                    )));
                }
                body.extend_from_slice(&chunk);
            }
            let headers = std::mem::take(response.headers_mut());
            if status.is_success() {
                Ok((status.as_u16(), headers, body))
            } else {
                Err(AttemptError::Status {
                    status: status.as_u16(),
                    headers,
                    body,
                })
            }
        };
        let limit = self.settings.timeouts.per_attempt.min(budget_left);
        match tokio::time::timeout(limit, work).await {
            Ok(r) => r,
            Err(_) => Err(AttemptError::Timeout),
        }
    }

    /// The ids the client sent.
    fn base_ids(&self, sent: &Sent) -> RequestIds {
        let mut ids = RequestIds::new(sent.request_id);
        if self.api == Api::PartnerCenter {
            ids.correlation_id = Some(sent.correlation_id.to_string());
        }
        ids
    }

    /// The ids the client sent, completed by what the service answered.
    fn ids(&self, sent: &Sent, headers: &HeaderMap, inner: Option<&InnerError>) -> RequestIds {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut ids = self.base_ids(sent);
        match self.api {
            Api::Graph => {
                ids.request_id =
                    header("request-id").or_else(|| inner.and_then(|i| i.request_id.clone()));
                ids.date = inner
                    .and_then(|i| i.date.clone())
                    .or_else(|| header("date"));
                ids.diagnostic = header("x-ms-ags-diagnostic");
            }
            Api::PartnerCenter => {
                ids.request_id = header("ms-requestid");
                if let Some(c) = header("ms-correlationid") {
                    ids.correlation_id = Some(c);
                }
                ids.date = header("date");
                ids.correlation_vector = header("ms-cv");
                ids.server_id = header("ms-serverid");
            }
        }
        ids
    }

    fn error(
        &self,
        failure: Failure,
        req: &Request,
        sent: &Sent,
        attempts: u32,
        throttled: bool,
        elapsed: Duration,
    ) -> Error {
        match failure {
            Failure::Status {
                status,
                headers,
                body,
                retry_after,
            } => {
                let parsed = ErrorBody::parse(self.api, &body);
                let ids = self.ids(sent, &headers, parsed.inner.as_ref());
                let missing_permission = (status == 403).then(|| {
                    parsed
                        .message
                        .as_deref()
                        .and_then(permission_in)
                        .unwrap_or_else(|| required_permission(self.api, req.operation).to_owned())
                });
                let e = Box::new(ServiceError {
                    api: self.api,
                    status,
                    code: parsed.code,
                    message: parsed.message,
                    missing_permission,
                    retry_after,
                    ids,
                    attempts,
                });
                match status {
                    _ if throttled => Error::Throttled(e),
                    429 => Error::Throttled(e),
                    401 => Error::Unauthorized(e),
                    403 => Error::Forbidden(e),
                    404 => Error::NotFound(e),
                    _ => Error::Service(e),
                }
            }
            Failure::Timeout => Error::Timeout(Box::new(TimeoutError {
                what: "per-attempt timeout",
                elapsed,
                ids: Some(self.base_ids(sent)),
                attempts,
            })),
            Failure::Transport(message, connect) => Error::Transport(Box::new(TransportError {
                api: self.api,
                message,
                ids: self.base_ids(sent),
                attempts,
                connect,
            })),
        }
    }
}

/// The ids sent with an attempt.
struct Sent {
    request_id: Uuid,
    correlation_id: Uuid,
}

/// A failed attempt the retry policy may look at.
enum Failure {
    Status {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
        /// Parsed once, when the answer came: an HTTP date counts from then.
        retry_after: Option<Duration>,
    },
    Transport(String, bool),
    Timeout,
}

/// A failure no retry can mend.
enum FinalError {
    TooLarge(usize, u64),
    Redirect(String),
    Auth(&'static str),
}

impl FinalError {
    fn into_error(self, ids: RequestIds) -> Error {
        match self {
            FinalError::TooLarge(limit, n) => {
                Error::InvalidResponse(Box::new(InvalidResponse::new(
                    format!("the answer is larger than the {limit} byte limit ({n} bytes or more)"),
                    Some(ids),
                )))
            }
            FinalError::Redirect(to) => Error::InvalidResponse(Box::new(InvalidResponse::new(
                format!(
                    "the service redirected to {to}; redirects are not followed with the token"
                ),
                Some(ids),
            ))),
            FinalError::Auth(m) => Error::Auth(Box::new(crate::error::AuthError::new(m))),
        }
    }
}

/// `scheme://host[:port]`, never the path or query (which may be long or opaque).
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// A draw in [0, 1] for spreading retries.
fn jitter() -> f64 {
    f64::from(Uuid::new_v4().as_u128() as u32) / f64::from(u32::MAX)
}

fn classify(e: reqwest::Error) -> AttemptError {
    // Never show the URL: a nextLink's query is opaque and may be long.
    let e = e.without_url();
    let text = std::error::Error::source(&e)
        .map(|s| format!("{e}: {s}"))
        .unwrap_or_else(|| e.to_string());
    if e.is_connect() {
        AttemptError::Connect(format!("connect: {text}"))
    } else if e.is_timeout() {
        AttemptError::Timeout
    } else {
        AttemptError::Interrupted(text)
    }
}

/// The permission an operation needs, named in a 403 when the service does not say.
fn required_permission(api: Api, operation: &str) -> &'static str {
    match (api, operation) {
        (Api::Graph, "update") => "PartnerSecurity.ReadWrite.All",
        (Api::Graph, _) => "PartnerSecurity.Read.All",
        (Api::PartnerCenter, _) => "an App+User token of a user with the Admin Agent role",
    }
}

/// A permission named in a service message, such as `PartnerSecurity.ReadWrite.All`.
fn permission_in(message: &str) -> Option<String> {
    message
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
        .map(|w| w.trim_matches('.'))
        .find(|w| {
            w.matches('.').count() >= 2
                && (w.ends_with(".All") || w.contains("Read") || w.contains("Write"))
        })
        .map(str::to_owned)
}

#[derive(Default)]
struct ErrorBody {
    code: Option<String>,
    message: Option<String>,
    inner: Option<InnerError>,
}

#[derive(Default, Deserialize)]
struct InnerError {
    #[serde(rename = "request-id", alias = "requestId")]
    request_id: Option<String>,
    date: Option<String>,
}

impl ErrorBody {
    fn parse(api: Api, body: &[u8]) -> ErrorBody {
        #[derive(Deserialize)]
        struct GraphBody {
            error: GraphError,
        }
        #[derive(Deserialize)]
        struct GraphError {
            code: Option<String>,
            message: Option<String>,
            #[serde(rename = "innerError", alias = "innererror")]
            inner: Option<InnerError>,
        }
        #[derive(Deserialize)]
        struct PcBody {
            #[serde(default, deserialize_with = "number_or_string")]
            code: Option<String>,
            description: Option<String>,
            // The throttling answer's own shape.
            message: Option<String>,
            #[serde(rename = "statusCode", default, deserialize_with = "number_or_string")]
            status_code: Option<String>,
        }
        fn number_or_string<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<String>, D::Error> {
            Ok(match Option::<serde_json::Value>::deserialize(d)? {
                Some(serde_json::Value::String(s)) => Some(s),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
        }
        // Graph's shape first: Partner Center fronts some answers with it too.
        if let Ok(g) = serde_json::from_slice::<GraphBody>(body) {
            return ErrorBody {
                code: g.error.code,
                message: g.error.message,
                inner: g.error.inner,
            };
        }
        if api == Api::PartnerCenter
            && let Ok(p) = serde_json::from_slice::<PcBody>(body)
        {
            return ErrorBody {
                code: p.code.or(p.status_code),
                message: p.description.or(p.message),
                inner: None,
            };
        }
        // Not JSON: keep a short, single-line start of the text as the message.
        let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        ErrorBody {
            message: (!text.is_empty()).then_some(text),
            ..ErrorBody::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_rules() {
        for ok in [
            "https://graph.microsoft.com/beta",
            "http://127.0.0.1:8080/beta",
            "http://127.8.9.10/beta",
            "http://localhost:1/x",
            "http://[::1]:9/beta",
        ] {
            assert!(validate_base_url("base url", ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://graph.microsoft.com/beta",
            "http://10.0.0.1/beta",
            "http://localhost.evil.com/beta",
            "ftp://127.0.0.1/",
            "https://user:pw@graph.microsoft.com/beta",
            "https://graph.microsoft.com/beta?x=1",
            "not a url",
        ] {
            let e = validate_base_url("base url", bad).unwrap_err();
            assert_eq!(e.field(), "base url", "{bad}");
        }
    }

    #[test]
    fn origins() {
        let base = Url::parse("https://graph.microsoft.com/beta").unwrap();
        assert!(same_origin(
            &base,
            &Url::parse("https://GRAPH.microsoft.com:443/beta/x?y").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &Url::parse("http://graph.microsoft.com/beta").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &Url::parse("https://graph.microsoft.com.evil.io/beta").unwrap()
        ));
        assert!(!same_origin(
            &base,
            &Url::parse("https://graph.microsoft.com:8443/beta").unwrap()
        ));
    }

    #[test]
    fn error_bodies() {
        let g = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges.","innerError":{"date":"2025-02-13T10:17:06","request-id":"93b6f17e","client-request-id":"e70c5c1b"}}}"#;
        let b = ErrorBody::parse(Api::Graph, g);
        assert_eq!(b.code.as_deref(), Some("Authorization_RequestDenied"));
        assert_eq!(
            b.inner.as_ref().and_then(|i| i.request_id.as_deref()),
            Some("93b6f17e")
        );
        let p = br#"{"code": 3000, "description": "Partner Organization not found", "data": [], "source": "PartnerFD"}"#;
        let b = ErrorBody::parse(Api::PartnerCenter, p);
        assert_eq!(b.code.as_deref(), Some("3000"));
        assert_eq!(b.message.as_deref(), Some("Partner Organization not found"));
        let t = br#"{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }"#;
        let b = ErrorBody::parse(Api::PartnerCenter, t);
        assert_eq!(b.code.as_deref(), Some("429"));
        let b = ErrorBody::parse(Api::Graph, b"<html>\n Bad   gateway </html>");
        assert_eq!(b.message.as_deref(), Some("<html> Bad gateway </html>"));
    }

    #[test]
    fn permissions_named_in_messages() {
        assert_eq!(
            permission_in(
                "Missing role permissions. API requires one of 'PartnerSecurity.ReadWrite.All'."
            )
            .as_deref(),
            Some("PartnerSecurity.ReadWrite.All")
        );
        assert_eq!(
            permission_in("Insufficient privileges to complete the operation."),
            None
        );
    }
}
