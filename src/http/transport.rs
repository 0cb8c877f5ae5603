//! The transport both clients share: headers and request ids, the retry loop, timeouts,
//! size limits and the mapping of answers to errors.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tracing::Instrument;
use url::Url;
use uuid::Uuid;

use super::error_body::{ErrorBody, InnerError, permission_in, required_permission};
use super::response::Response;
use super::retry::{Decision, Outcome, RetryPolicy, decide, http_date, parse_retry_after};
use super::{AsyncSleep, DEFAULT_MAX_BODY_BYTES, Timeouts, TokioSleep, USER_AGENT};
use crate::auth::TokenCache;
use crate::endpoint::{origin, same_origin};
use crate::error::{
    Api, Error, InvalidInput, InvalidResponse, RequestIds, Result, ServiceError, TimeoutError,
    TransportError,
};

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
    /// The `Accept` header, when not JSON.
    pub(crate) accept: Option<&'static str>,
    /// An `If-Match` header (Partner Center's subscription PATCH), sent as given.
    pub(crate) if_match: Option<String>,
}

impl Request {
    pub(crate) fn get(url: Url, operation: &'static str) -> Self {
        Request {
            method: reqwest::Method::GET,
            url,
            body: None,
            operation,
            accept: None,
            if_match: None,
        }
    }

    /// A JSON body to send with `method`.
    pub(crate) fn write(
        method: reqwest::Method,
        url: Url,
        body: Vec<u8>,
        operation: &'static str,
    ) -> Self {
        Request {
            method,
            url,
            body: Some(body),
            operation,
            accept: None,
            if_match: None,
        }
    }

    /// The request with an `If-Match` header.
    #[cfg(feature = "response-actions")]
    pub(crate) fn if_match(mut self, etag: String) -> Self {
        self.if_match = Some(etag);
        self
    }

    fn is_write(&self) -> bool {
        self.method != reqwest::Method::GET
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
            let budget_left = self.left(start);
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
                        self.left(start),
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
            let budget_left = self.left(start).max(Duration::from_millis(1));
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
                    return Ok(Response::new(status, body, ids));
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
                self.left(start),
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

    /// The time left of the operation begun at `start`.
    fn left(&self, start: Instant) -> Duration {
        self.settings
            .timeouts
            .operation_timeout()
            .saturating_sub(start.elapsed())
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
        if let Some(accept) = req.accept {
            let mut headers = self.headers.clone();
            headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static(accept));
            builder = builder.headers(headers);
        }
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
        if let Some(etag) = &req.if_match {
            builder = builder.header(reqwest::header::IF_MATCH, etag.as_str());
        }
        if let Some(body) = &req.body {
            // An empty body (a POST the documentation gives none) is sent as
            // `Content-Length: 0`, without a content type.
            builder = if body.is_empty() {
                builder.header(reqwest::header::CONTENT_LENGTH, "0")
            } else {
                builder.header(reqwest::header::CONTENT_TYPE, "application/json")
            };
            builder = builder.body(body.clone());
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
                    .and_then(|i| i.date.as_deref())
                    .and_then(|d| crate::model::wire::parse_timestamp(d).ok().flatten())
                    .or_else(|| header("date").and_then(|d| http_date(&d)));
                ids.diagnostic = header("x-ms-ags-diagnostic");
            }
            Api::PartnerCenter => {
                ids.request_id = header("ms-requestid");
                if let Some(c) = header("ms-correlationid") {
                    ids.correlation_id = Some(c);
                }
                ids.date = header("date").and_then(|d| http_date(&d));
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
            } => self.status_error(
                StatusAnswer {
                    status,
                    headers: &headers,
                    body: &body,
                    retry_after,
                },
                req.operation,
                sent.request_id,
                attempts,
                throttled,
            ),
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

/// An answer with a failing status: a whole response's, or one request's of a `$batch`.
pub(crate) struct StatusAnswer<'a> {
    pub(crate) status: u16,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) retry_after: Option<Duration>,
}

impl Transport {
    /// The error of a failing answer to the request sent with `client_request_id`, after
    /// `attempts` attempts; `throttled` when the retry policy gave up waiting.
    pub(crate) fn status_error(
        &self,
        answer: StatusAnswer<'_>,
        operation: &str,
        client_request_id: Uuid,
        attempts: u32,
        throttled: bool,
    ) -> Error {
        let StatusAnswer {
            status,
            headers,
            body,
            retry_after,
        } = answer;
        let sent = Sent {
            request_id: client_request_id,
            correlation_id: client_request_id,
        };
        let parsed = ErrorBody::parse(self.api, body);
        let ids = self.ids(&sent, headers, parsed.inner.as_ref());
        let missing_permission = (status == 403).then(|| {
            parsed
                .message
                .as_deref()
                .and_then(permission_in)
                .unwrap_or_else(|| required_permission(self.api, operation).to_owned())
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

    /// The settings the client was built with (retries, timeouts, sleep).
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
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

/// A draw in [0, 1] for spreading retries.
pub(crate) fn jitter() -> f64 {
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
