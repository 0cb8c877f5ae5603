//! The crate's one error type.
//!
//! Every fallible call returns [`Error`]. Input the crate can check before sending (an id with
//! a `/`, a non-loopback `http://` base URL) is an [`Error::InvalidInput`] and nothing was
//! sent. Every error that happened after a request was built carries its [`RequestIds`]: quote
//! them to Microsoft support.
//!
//! ```
//! # async fn run(client: partner_alerts::GraphClient, id: partner_alerts::AlertId) {
//! match client.get(&id).await {
//!     Ok(alert) => println!("{:?}", alert.status),
//!     Err(e) if e.is_not_found() => println!("no alert {id}"),
//!     Err(e) => eprintln!("{e} (request id {:?})", e.request_ids().and_then(|i| i.request_id())),
//! }
//! # }
//! ```

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The error type of every fallible call in this crate.
///
/// The enum is `#[non_exhaustive]` and its payloads are boxed, so `Result<Alert, Error>` stays
/// small. Prefer the predicates ([`Error::is_retryable`], [`Error::is_not_found`], ...) to
/// matching where one fits.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller's input was rejected before anything was sent.
    #[error(transparent)]
    InvalidInput(InvalidInput),
    /// The source cannot serve this query or update; nothing was sent.
    #[error(transparent)]
    Unsupported(Box<Unsupported>),
    /// No token could be obtained.
    #[error(transparent)]
    Auth(Box<AuthError>),
    /// The service answered 404: the alert (or path) does not exist.
    #[error("not found: {0}")]
    NotFound(Box<ServiceError>),
    /// The service answered 401: the token was missing, expired or for another audience.
    #[error("unauthorized: {0}")]
    Unauthorized(Box<ServiceError>),
    /// The service answered 403: the caller lacks a permission or role.
    #[error("forbidden: {0}")]
    Forbidden(Box<ServiceError>),
    /// The service asked to wait (429 or 503) longer than the retry policy allows, or
    /// retries ran out while it kept throttling.
    #[error("throttled: {0}")]
    Throttled(Box<ServiceError>),
    /// Any other non-success answer.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// The request could not be sent or its answer not read (connection, TLS, reset).
    #[error(transparent)]
    Transport(Box<TransportError>),
    /// An attempt or the whole operation ran out of time.
    #[error(transparent)]
    Timeout(Box<TimeoutError>),
    /// The answer's body is not what the API documents.
    #[error(transparent)]
    Decode(Box<DecodeError>),
    /// The answer breaks a rule the client enforces: a `nextLink` to another host, a redirect,
    /// a paging loop, a body over the size limit.
    #[error(transparent)]
    InvalidResponse(Box<InvalidResponse>),
}

impl Error {
    /// Whether the input was rejected before anything was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    /// The input error, if this is one.
    pub fn as_invalid_input(&self) -> Option<&InvalidInput> {
        match self {
            Error::InvalidInput(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the alert (or path) does not exist (HTTP 404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// Whether the service refused the credentials (401) or the permission (403), or no token
    /// could be obtained.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Auth(_) | Error::Unauthorized(_) | Error::Forbidden(_)
        )
    }

    /// Whether this error concerns one item of a page that cannot be an alert (not an object,
    /// no usable id): a listing yields it in that item's place and goes on with the next, so
    /// polling again continues the listing.
    pub fn is_item_error(&self) -> bool {
        matches!(self, Error::Decode(d) if d.item.is_some())
    }

    /// Whether the service is throttling the caller.
    pub fn is_throttled(&self) -> bool {
        matches!(self, Error::Throttled(_))
    }

    /// Whether trying the same call again later may succeed: throttling, 5xx, transport
    /// failures and timeouts. The client already retried within its policy; this tells a
    /// caller whether to reschedule.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Throttled(_) | Error::Transport(_) | Error::Timeout(_) => true,
            Error::Service(e) => matches!(e.status, 500 | 502 | 503 | 504),
            Error::Auth(e) => e.is_transient(),
            _ => false,
        }
    }

    /// For a write (a status update), whether it may have been applied although it failed:
    /// the request was sent and its answer lost (an attempt timed out, the connection broke
    /// after sending) or the service answered 500, 502 or 504. Read the alert again rather
    /// than assume either way. False when nothing was sent or the service refused it.
    pub fn is_outcome_unknown(&self) -> bool {
        match self {
            Error::Timeout(e) => e.ids.is_some(),
            Error::Transport(e) => !e.connect,
            Error::Service(e) => matches!(e.status, 500 | 502 | 504),
            _ => false,
        }
    }

    /// The service error (status, code, message, ids) for every variant that has one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::NotFound(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::Throttled(e)
            | Error::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status, if the service answered.
    pub fn status(&self) -> Option<u16> {
        self.service_error().map(|e| e.status)
    }

    /// How long the service asked to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.service_error().and_then(|e| e.retry_after)
    }

    /// The ids of the failed request, for every error raised after a request was built.
    pub fn request_ids(&self) -> Option<&RequestIds> {
        match self {
            Error::NotFound(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::Throttled(e)
            | Error::Service(e) => Some(&e.ids),
            Error::Transport(e) => Some(&e.ids),
            Error::Timeout(e) => e.ids.as_ref(),
            Error::Decode(e) => Some(&e.ids),
            Error::InvalidResponse(e) => e.ids.as_ref(),
            Error::Auth(_) | Error::InvalidInput(_) | Error::Unsupported(_) => None,
        }
    }

    /// The service's request id (`request-id` on Graph, `MS-RequestId` on Partner Center),
    /// falling back to the id the client generated.
    pub fn request_id(&self) -> Option<String> {
        self.request_ids().map(|ids| match ids.request_id() {
            Some(id) => id.to_owned(),
            None => ids.client_request_id().to_string(),
        })
    }

    /// How many attempts were made before giving up (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::NotFound(e)
            | Error::Unauthorized(e)
            | Error::Forbidden(e)
            | Error::Throttled(e)
            | Error::Service(e) => e.attempts,
            Error::Transport(e) => e.attempts,
            Error::Timeout(e) => e.attempts,
            Error::Decode(_) | Error::InvalidResponse(_) => 1,
            Error::Auth(_) | Error::InvalidInput(_) | Error::Unsupported(_) => 0,
        }
    }
}

impl Error {
    /// The error a service answer with `status` maps to, as the clients build it: 404 is
    /// [`Error::NotFound`], 401 [`Error::Unauthorized`], 403 [`Error::Forbidden`], 429
    /// [`Error::Throttled`], any other [`Error::Service`]. For test doubles of
    /// [`AlertSource`](crate::AlertSource).
    ///
    /// ```
    /// use partner_alerts::{Error, RequestIds};
    /// use partner_alerts::error::{Api, ServiceError};
    ///
    /// let ids = RequestIds::new(uuid::Uuid::nil()).with_request_id("req-1");
    /// let e = Error::from_service(ServiceError::new(Api::Graph, 404, ids));
    /// assert!(e.is_not_found());
    /// assert_eq!(e.request_id().as_deref(), Some("req-1"));
    /// ```
    pub fn from_service(e: ServiceError) -> Self {
        let e = Box::new(e);
        match e.status {
            404 => Error::NotFound(e),
            401 => Error::Unauthorized(e),
            403 => Error::Forbidden(e),
            429 => Error::Throttled(e),
            _ => Error::Service(e),
        }
    }
}

impl From<InvalidInput> for Error {
    fn from(e: InvalidInput) -> Self {
        Error::InvalidInput(e)
    }
}

impl From<AuthError> for Error {
    fn from(e: AuthError) -> Self {
        Error::Auth(Box::new(e))
    }
}

/// Input rejected before anything was sent: names the field and says why.
///
/// ```
/// use partner_alerts::AlertId;
///
/// let err = AlertId::new("a/b").unwrap_err();
/// assert_eq!(err.field(), "alert id");
/// assert!(err.to_string().contains("'/'"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidInput {
    field: &'static str,
    reason: String,
}

impl InvalidInput {
    /// An input error for `field`, with a human reason.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }

    /// The name of the rejected field or argument.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.reason)
    }
}

impl std::error::Error for InvalidInput {}

/// A query or update a source cannot serve, refused before anything was sent: which API, and
/// what (with what to do instead).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{api} cannot {what}")]
pub struct Unsupported {
    api: Api,
    what: String,
}

impl Unsupported {
    /// `api` cannot do `what` (a phrase completing "`api` cannot ...").
    pub fn new(api: Api, what: impl Into<String>) -> Self {
        Unsupported {
            api,
            what: what.into(),
        }
    }

    /// The API that cannot serve it.
    pub fn api(&self) -> Api {
        self.api
    }

    /// What it cannot do, and what to do instead.
    pub fn what(&self) -> &str {
        &self.what
    }
}

impl From<Unsupported> for Error {
    fn from(e: Unsupported) -> Self {
        Error::Unsupported(Box::new(e))
    }
}

/// Which API answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Api {
    /// Microsoft Graph (`/security/partner/securityAlerts`).
    Graph,
    /// Partner Center (`/v1/fraudEvents`).
    PartnerCenter,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::Graph => "Graph",
            Api::PartnerCenter => "Partner Center",
        })
    }
}

/// The ids that identify one request to Microsoft support.
///
/// Graph: the client's `client-request-id` (generated per operation and reused across its
/// retries), the service's `request-id`, `Date` and `x-ms-ags-diagnostic`. Partner Center:
/// `MS-RequestId` (the client's, echoed), `MS-CorrelationId`, `MS-CV` and `MS-ServerId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestIds {
    pub(crate) client_request_id: Uuid,
    pub(crate) request_id: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) date: Option<DateTime<Utc>>,
    pub(crate) diagnostic: Option<String>,
    pub(crate) correlation_vector: Option<String>,
    pub(crate) server_id: Option<String>,
}

impl RequestIds {
    /// The ids of a request the client sent with `client_request_id` and that no answer has
    /// completed yet (for test doubles; the clients fill the rest from each answer).
    pub fn new(client_request_id: Uuid) -> Self {
        Self {
            client_request_id,
            request_id: None,
            correlation_id: None,
            date: None,
            diagnostic: None,
            correlation_vector: None,
            server_id: None,
        }
    }

    /// The id the client generated and sent (`client-request-id` or `MS-RequestId`).
    pub fn client_request_id(&self) -> Uuid {
        self.client_request_id
    }

    /// The service's id for the request (`request-id`, or the echoed `MS-RequestId`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Partner Center's `MS-CorrelationId`.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// The service's time of the request (Graph's `innerError.date`, else the `Date`
    /// header), when it sent one the client could read.
    pub fn date(&self) -> Option<DateTime<Utc>> {
        self.date
    }

    /// The same ids, with the service's request id set (for test doubles).
    pub fn with_request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Graph's `x-ms-ags-diagnostic` header (which data centre and server answered), as sent.
    pub fn diagnostic(&self) -> Option<&str> {
        self.diagnostic.as_deref()
    }

    /// Partner Center's `MS-CV` correlation vector.
    pub fn correlation_vector(&self) -> Option<&str> {
        self.correlation_vector.as_deref()
    }

    /// Partner Center's `MS-ServerId`.
    pub fn server_id(&self) -> Option<&str> {
        self.server_id.as_deref()
    }
}

impl fmt::Display for RequestIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request_id {
            Some(id) => write!(f, "request-id {id}")?,
            None => write!(f, "client-request-id {}", self.client_request_id)?,
        }
        if let Some(c) = &self.correlation_id {
            write!(f, ", correlation-id {c}")?;
        }
        Ok(())
    }
}

/// A non-success answer from the service, with its parsed error body.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServiceError {
    /// Which API answered.
    pub api: Api,
    /// The HTTP status.
    pub status: u16,
    /// The service's error code (`error.code` on Graph, `code` on Partner Center); may be empty.
    pub code: Option<String>,
    /// The service's message (`error.message` or `description`).
    pub message: Option<String>,
    /// The permission the service says is missing, or the one the operation needs (403 only).
    pub missing_permission: Option<String>,
    /// How long the service asked to wait.
    pub retry_after: Option<Duration>,
    /// The request's ids, from the headers and the body's `innerError`.
    pub ids: RequestIds,
    /// How many attempts were made.
    pub attempts: u32,
}

impl ServiceError {
    /// An answer of `status` from `api`, with no code, message or wait; set the public fields
    /// for more. For test doubles: see [`Error::from_service`].
    pub fn new(api: Api, status: u16, ids: RequestIds) -> Self {
        ServiceError {
            api,
            status,
            code: None,
            message: None,
            missing_permission: None,
            retry_after: None,
            ids,
            attempts: 1,
        }
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} answered HTTP {}", self.api, self.status)?;
        if let Some(code) = self.code.as_deref().filter(|c| !c.is_empty()) {
            write!(f, " {code}")?;
        }
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(p) = &self.missing_permission {
            write!(f, " (needs {p})")?;
        }
        if let Some(w) = self.retry_after {
            write!(f, " (retry after {:.3}s)", w.as_secs_f64())?;
        }
        write!(f, " [{}", self.ids)?;
        if self.attempts > 1 {
            write!(f, ", {} attempts", self.attempts)?;
        }
        f.write_str("]")
    }
}

impl std::error::Error for ServiceError {}

/// A failure to obtain a token.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{message}")]
pub struct AuthError {
    message: String,
    code: Option<String>,
    transient: bool,
    #[source]
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl AuthError {
    /// An error with a message; `code` is the identity platform's `error` value if any.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: None,
            transient: false,
            source: None,
        }
    }

    pub(crate) fn with_code(mut self, code: Option<String>) -> Self {
        self.transient = matches!(code.as_deref(), Some("temporarily_unavailable"));
        self.code = code;
        self
    }

    pub(crate) fn transient(mut self) -> Self {
        self.transient = true;
        self
    }

    /// Adds the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    /// The identity platform's error code (`invalid_client`, `invalid_grant`, ...), if any.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// Whether a later attempt may succeed (network failure, `temporarily_unavailable`).
    pub fn is_transient(&self) -> bool {
        self.transient
    }

    /// Whether a person must sign in again: the refresh token expired or was revoked, or
    /// consent or MFA is needed (`invalid_grant`, `interaction_required`, `consent_required`).
    pub fn needs_interaction(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("invalid_grant" | "interaction_required" | "consent_required")
        )
    }
}

/// The request could not be sent or its answer not read.
#[derive(Debug, thiserror::Error)]
#[error("{api} request failed: {message} [{ids}]")]
pub struct TransportError {
    pub(crate) api: Api,
    pub(crate) message: String,
    pub(crate) ids: RequestIds,
    pub(crate) attempts: u32,
    pub(crate) connect: bool,
}

impl TransportError {
    /// Whether the connection could not be made at all (the request never left).
    pub fn is_connect(&self) -> bool {
        self.connect
    }

    /// Which API the request was for.
    pub fn api(&self) -> Api {
        self.api
    }

    /// What failed (the underlying error's text, never the URL).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The ids of the last attempt.
    pub fn request_ids(&self) -> &RequestIds {
        &self.ids
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// An attempt or the whole operation ran out of time.
#[derive(Debug, thiserror::Error)]
#[error("timed out after {elapsed:?} ({what})")]
pub struct TimeoutError {
    pub(crate) what: &'static str,
    pub(crate) elapsed: Duration,
    pub(crate) ids: Option<RequestIds>,
    pub(crate) attempts: u32,
}

impl TimeoutError {
    /// Which limit ran out (the per-attempt timeout, or the operation's limit while waiting
    /// for the token provider).
    pub fn what(&self) -> &str {
        self.what
    }

    /// How long the call had run.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The ids of the attempt that timed out; `None` when no request was sent.
    pub fn request_ids(&self) -> Option<&RequestIds> {
        self.ids.as_ref()
    }

    /// How many attempts were made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// The answer's body is not what the API documents: a whole page that could not be read, or
/// one item of a page that cannot be an alert (then [`DecodeError::item_index`] is set and
/// the listing went on past it).
///
/// `Display` and `Debug` say where (byte offset, JSON path) and what was expected, never the
/// body's bytes: they may hold names, addresses and IPs. [`DecodeError::excerpt`] gives the
/// bytes around the failure to the caller who asks for them.
#[derive(Clone, thiserror::Error)]
pub struct DecodeError {
    pub(crate) api: Api,
    pub(crate) message: String,
    pub(crate) offset: usize,
    pub(crate) path: Option<String>,
    pub(crate) item: Option<usize>,
    pub(crate) excerpt: String,
    pub(crate) ids: RequestIds,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.item {
            Some(i) => write!(
                f,
                "item {i} of the {} answer (byte {}) is not an alert: {}; skipped",
                self.api, self.offset, self.message
            )?,
            None => write!(
                f,
                "could not decode the {} answer at byte {}",
                self.api, self.offset
            )?,
        }
        if let Some(p) = &self.path {
            write!(f, ", at {p}")?;
        }
        if self.item.is_none() {
            write!(f, ": {}", self.message)?;
        }
        write!(f, " [{}]", self.ids)
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("api", &self.api)
            .field("message", &self.message)
            .field("offset", &self.offset)
            .field("path", &self.path)
            .field("item", &self.item)
            .field("ids", &self.ids)
            .finish_non_exhaustive()
    }
}

impl DecodeError {
    pub(crate) fn from_json(
        api: Api,
        body: &[u8],
        e: &serde_json::Error,
        ids: RequestIds,
        path: Option<String>,
    ) -> Self {
        let offset = byte_offset(body, e.line(), e.column());
        let message = e.to_string();
        // serde_json appends " at line L column C"; the offset says it better.
        let message = match message.rfind(" at line ") {
            Some(i) => &message[..i],
            None => &message,
        };
        Self {
            api,
            message: redact(message),
            offset,
            path,
            item: None,
            excerpt: excerpt(body, offset),
            ids,
        }
    }

    /// One item of a page that cannot be an alert: `why` names no value of it.
    pub(crate) fn item(
        api: Api,
        body: &[u8],
        offset: usize,
        index: usize,
        path: String,
        why: String,
        ids: RequestIds,
    ) -> Self {
        Self {
            api,
            message: why,
            offset,
            path: Some(path),
            item: Some(index),
            excerpt: excerpt(body, offset + 40),
            ids,
        }
    }

    /// The byte offset in the body where decoding failed (where the item starts, for an
    /// item).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Where in the document, as a JSON path (`$.value[3]`, `$['@odata.count']`), when
    /// known.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// What was expected, in words that hold none of the body's values.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For an item that cannot be an alert, its index in the page as served (0-based): the
    /// listing went on past it.
    pub fn item_index(&self) -> Option<usize> {
        self.item
    }

    /// Which API answered.
    pub fn api(&self) -> Api {
        self.api
    }

    /// Up to 80 bytes of the body around the failure. They may hold personal data (names,
    /// UPNs, IP addresses): this is the only place the crate shows them.
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

fn excerpt(body: &[u8], offset: usize) -> String {
    let start = offset.saturating_sub(40).min(body.len());
    let end = (offset + 40).min(body.len());
    String::from_utf8_lossy(&body[start..end])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// serde's message without the value it quotes: `invalid type: string "jane@contoso.com",
/// expected a boolean` becomes `invalid type: string, expected a boolean`.
fn redact(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (unexpected, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            let kind = unexpected
                .split(['"', '`'])
                .next()
                .unwrap_or_default()
                .trim();
            let mut out = format!("{prefix}{kind}");
            if !expected.is_empty() {
                out.push_str(", expected ");
                out.push_str(expected);
            }
            return out;
        }
    }
    message.to_owned()
}

fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let mut start = 0;
    for _ in 1..line {
        match body[start..].iter().position(|b| *b == b'\n') {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(body.len())
}

/// The answer breaks a rule the client enforces.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct InvalidResponse {
    pub(crate) message: String,
    pub(crate) ids: Option<RequestIds>,
}

impl InvalidResponse {
    pub(crate) fn new(message: impl Into<String>, ids: Option<RequestIds>) -> Self {
        Self {
            message: message.into(),
            ids,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_error_points_at_the_byte() {
        let body = b"{\"value\": [\n {\"id\": 5}\n]}";
        let e = serde_json::from_slice::<serde_json::Value>(b"{\"a\": tru}").unwrap_err();
        let d = DecodeError::from_json(
            Api::Graph,
            b"{\"a\": tru}",
            &e,
            RequestIds::new(Uuid::nil()),
            None,
        );
        assert_eq!(&b"{\"a\": tru}"[d.offset()..d.offset() + 1], b"}");
        assert!(d.excerpt().contains("{\"a\": tru}"));
        assert!(!d.to_string().contains("tru}"), "{d}");
        assert_eq!(byte_offset(body, 2, 3), 14);
    }

    #[test]
    fn messages_lose_the_values_they_quote() {
        for (raw, shown) in [
            (
                r#"invalid type: string "jane@contoso.com", expected a boolean"#,
                "invalid type: string, expected a boolean",
            ),
            (
                "invalid type: integer `42`, expected a string",
                "invalid type: integer, expected a string",
            ),
            (
                r#"invalid value: string "x", expected a boolean or a string holding one"#,
                "invalid value: string, expected a boolean or a string holding one",
            ),
            ("missing field `value`", "missing field `value`"),
            ("trailing characters", "trailing characters"),
        ] {
            assert_eq!(redact(raw), shown);
        }
    }

    #[test]
    fn error_stays_small() {
        assert!(std::mem::size_of::<Error>() <= 48);
    }
}
