//! The HTTP side shared by both APIs: the router, the per-request envelope (counting, faults,
//! latency, ids, authentication) and the reply type the API modules produce.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use std::io::Read;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::http::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HOST, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Stats;
use crate::fault::{FaultKind, FaultState, FaultyBody};
use crate::generate::Generator;
use crate::quirks::Quirks;
use crate::state::{StateWriter, Store, to_ticks};
use crate::{graph, partner_center};

/// The request counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub graph_requests: AtomicU64,
    pub partner_center_requests: AtomicU64,
    pub batch_items: AtomicU64,
    pub unauthorized: AtomicU64,
    pub throttled: AtomicU64,
    pub internal_errors: AtomicU64,
    pub unavailable: AtomicU64,
    pub dropped: AtomicU64,
    pub truncated: AtomicU64,
    pub state_writes: AtomicU64,
    pub state_write_errors: AtomicU64,
    pub odd_values: AtomicU64,
    pub not_alerts: AtomicU64,
    pub resolved_pages: AtomicU64,
    pub capped_pages: AtomicU64,
    pub foreign_links: AtomicU64,
    pub repeated_links: AtomicU64,
    pub empty_pages: AtomicU64,
    pub lost_answers: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Adds `n` to a counter.
pub(crate) fn add(c: &AtomicU64, n: usize) {
    c.fetch_add(n as u64, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Stats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: g(&self.requests),
            graph_requests: g(&self.graph_requests),
            partner_center_requests: g(&self.partner_center_requests),
            batch_items: g(&self.batch_items),
            unauthorized: g(&self.unauthorized),
            throttled: g(&self.throttled),
            internal_errors: g(&self.internal_errors),
            unavailable: g(&self.unavailable),
            dropped: g(&self.dropped),
            truncated: g(&self.truncated),
            state_writes: g(&self.state_writes),
            state_write_errors: g(&self.state_write_errors),
            odd_values: g(&self.odd_values),
            not_alerts: g(&self.not_alerts),
            resolved_pages: g(&self.resolved_pages),
            capped_pages: g(&self.capped_pages),
            foreign_links: g(&self.foreign_links),
            repeated_links: g(&self.repeated_links),
            empty_pages: g(&self.empty_pages),
            lost_answers: g(&self.lost_answers),
        }
    }

    pub(crate) fn count_fault(&self, kind: FaultKind) {
        bump(match kind {
            FaultKind::Throttle => &self.throttled,
            FaultKind::InternalServerError => &self.internal_errors,
            FaultKind::ServiceUnavailable => &self.unavailable,
            FaultKind::DropConnection => &self.dropped,
            FaultKind::TruncateBody => &self.truncated,
        });
    }
}

/// Everything the handlers and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Readers (listings, gets) share it; only changes take it alone.
    pub store: RwLock<Store>,
    pub generator: Generator,
    /// A fixed "now", or `None` for the system clock.
    pub clock: RwLock<Option<DateTime<Utc>>>,
    pub faults: Mutex<FaultState>,
    /// The quirks in force; the counting ones count down here.
    pub quirk_state: Mutex<Quirks>,
    pub stats: Counters,
    pub page_size: usize,
    /// The state file's writer, when there is a state file.
    pub writer: Option<StateWriter>,
    pub local_addr: SocketAddr,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the emulator down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The emulator's "now", in whole 100 ns ticks as Graph stamps times.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        to_ticks(
            self.clock
                .read()
                .map(|c| *c)
                .unwrap_or_else(|e| *e.into_inner())
                .unwrap_or_else(Utc::now),
        )
    }

    /// Reads the store.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        // A panic elsewhere must not take the emulator down with it.
        f(&self.store.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the store and, when something changed and a state file is set, wakes its
    /// writer (the write happens in the background, outside the lock).
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let (r, changed) = {
            let mut store = self.store.write().unwrap_or_else(|e| e.into_inner());
            let before = store.version;
            let r = f(&mut store);
            (r, store.version != before)
        };
        if let (Some(w), true) = (&self.writer, changed) {
            w.changed();
        }
        r
    }

    /// Writes the state file now if it does not hold the current state yet; blocks. Errors
    /// are counted and logged (a test would rather see a stale file than a panic).
    pub(crate) fn flush_state(&self) {
        let Some(w) = &self.writer else {
            return;
        };
        // Cheap under the lock; serialising and writing happen after it is released.
        let snapshot = self.read(Store::snapshot);
        if w.persister.has(snapshot.version()) {
            return;
        }
        let bytes = snapshot.to_file_bytes(self.generator.seed());
        match w.persister.write(snapshot.version(), &bytes) {
            Ok(true) => bump(&self.stats.state_writes),
            Ok(false) => {}
            Err(e) => {
                bump(&self.stats.state_write_errors);
                tracing::error!(error = %e, "writing the emulator's state file failed");
            }
        }
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.faults)
    }
}

/// A reply body.
#[derive(Debug)]
pub(crate) enum ReplyBody {
    Empty,
    Json(Vec<u8>),
    Text(String),
}

/// What an API module answers; turned into an HTTP response or into a `$batch` item.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, String)>,
    pub body: ReplyBody,
}

impl Reply {
    /// A JSON reply.
    pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(serde_json::to_vec(body).expect("replies always serialise")),
        }
    }

    /// A plain-text reply.
    pub(crate) fn text(status: StatusCode, body: String) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Text(body),
        }
    }

    /// A reply without a body.
    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    fn content_type(&self) -> Option<&'static str> {
        match self.body {
            ReplyBody::Empty => None,
            ReplyBody::Json(_) => Some("application/json; charset=utf-8"),
            ReplyBody::Text(_) => Some("text/plain; charset=utf-8"),
        }
    }

    /// The headers a `$batch` item reports (content type and the reply's own headers).
    pub(crate) fn batch_headers(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        if let Some(ct) = self.content_type() {
            m.insert("Content-Type".to_owned(), ct.into());
        }
        for (k, v) in &self.headers {
            m.insert(k.as_str().to_owned(), v.clone().into());
        }
        m
    }

    /// The body as a JSON value for a `$batch` item.
    pub(crate) fn batch_body(&self) -> Option<serde_json::Value> {
        match &self.body {
            ReplyBody::Empty => None,
            ReplyBody::Json(b) => serde_json::from_slice(b).ok(),
            ReplyBody::Text(t) => Some(t.clone().into()),
        }
    }

    fn into_parts(self) -> (StatusCode, HeaderMap, Bytes) {
        let mut headers = HeaderMap::new();
        if let Some(ct) = self.content_type() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        for (k, v) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.append(k, v);
            }
        }
        let body = match self.body {
            ReplyBody::Empty => Bytes::new(),
            ReplyBody::Json(b) => Bytes::from(b),
            ReplyBody::Text(t) => Bytes::from(t),
        };
        (self.status, headers, body)
    }

    /// The HTTP response, normal or cut short by a truncation fault.
    fn into_response(self, truncate: bool) -> Response {
        let (status, headers, body) = self.into_parts();
        if !truncate {
            return (status, headers, body).into_response();
        }
        // Announce the whole body, send half of it (at least a byte more is promised).
        let announced = body.len().max(1) + if body.is_empty() { 16 } else { 0 };
        let half = body.slice(..body.len() / 2);
        let mut res = Response::new(Body::from_stream(FaultyBody::truncated(half)));
        *res.status_mut() = status;
        *res.headers_mut() = headers;
        res.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(announced as u64));
        res
    }
}

/// The two APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    Graph,
    PartnerCenter,
}

/// The ids a response carries: `request-id` / `client-request-id` on Graph,
/// `MS-RequestId` / `MS-CorrelationId` on Partner Center.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    pub api: Api,
    /// Graph `request-id`, Partner Center `MS-RequestId`.
    pub request_id: String,
    /// Graph `client-request-id`, Partner Center `MS-CorrelationId`.
    pub client_id: String,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Ids {
    pub(crate) fn from_headers(api: Api, headers: &HeaderMap) -> Ids {
        match api {
            Api::Graph => Ids {
                api,
                request_id: fresh_id(),
                client_id: header_str(headers, "client-request-id")
                    .map_or_else(fresh_id, str::to_owned),
            },
            Api::PartnerCenter => Ids {
                api,
                request_id: header_str(headers, "ms-requestid")
                    .map_or_else(fresh_id, str::to_owned),
                client_id: header_str(headers, "ms-correlationid")
                    .map_or_else(fresh_id, str::to_owned),
            },
        }
    }

    /// Ids for a request inside a `$batch`: a fresh request id, the item's own client id if
    /// it sent one.
    pub(crate) fn for_batch_item(item_client_id: Option<&str>) -> Ids {
        Ids {
            api: Api::Graph,
            request_id: fresh_id(),
            client_id: item_client_id.map_or_else(fresh_id, str::to_owned),
        }
    }

    fn apply(&self, headers: &mut HeaderMap) {
        let (a, b) = match self.api {
            Api::Graph => ("request-id", "client-request-id"),
            Api::PartnerCenter => ("ms-requestid", "ms-correlationid"),
        };
        for (name, value) in [(a, &self.request_id), (b, &self.client_id)] {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
    }
}

/// Whether the request carries `Authorization: Bearer <something>`.
fn authorized(headers: &HeaderMap) -> bool {
    header_str(headers, "authorization").is_some_and(|v| {
        let mut parts = v.splitn(2, char::is_whitespace);
        let scheme = parts.next().unwrap_or("");
        let token = parts.next().unwrap_or("").trim();
        scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()
    })
}

/// Graph's innerError date: UTC without a zone, whole seconds.
pub(crate) fn error_date(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// A Graph error reply.
pub(crate) fn graph_error(
    status: StatusCode,
    code: &str,
    message: &str,
    ids: &Ids,
    now: DateTime<Utc>,
) -> Reply {
    Reply::json(
        status,
        &serde_json::json!({
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": error_date(now),
                    "request-id": ids.request_id,
                    "client-request-id": ids.client_id,
                }
            }
        }),
    )
}

/// A Partner Center error reply.
pub(crate) fn pc_error(status: StatusCode, code: u32, description: &str) -> Reply {
    Reply::json(
        status,
        &serde_json::json!({
            "code": code,
            "description": description,
            "data": [],
            "source": "PartnerFD",
        }),
    )
}

/// The reply of a status fault, in the API's own shape.
pub(crate) fn status_fault(
    api: Api,
    kind: FaultKind,
    ids: &Ids,
    now: DateTime<Utc>,
    retry_after: &str,
) -> Reply {
    match (api, kind) {
        (Api::Graph, FaultKind::Throttle) => Reply::json(
            StatusCode::TOO_MANY_REQUESTS,
            &serde_json::json!({
                "error": {
                    "code": "TooManyRequests",
                    "message": "Please retry again later.",
                    "innerError": {
                        "code": "429",
                        "date": error_date(now),
                        "message": "Please retry after",
                        "request-id": ids.request_id,
                        "client-request-id": ids.client_id,
                        "status": "429",
                    }
                }
            }),
        )
        .with_header(RETRY_AFTER, retry_after),
        (Api::Graph, FaultKind::ServiceUnavailable) => graph_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
            ids,
            now,
        )
        .with_header(RETRY_AFTER, retry_after),
        (Api::Graph, _) => graph_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "An unexpected error occurred while processing the request.",
            ids,
            now,
        ),
        (Api::PartnerCenter, FaultKind::Throttle) => {
            let secs = retry_after.parse::<f64>().unwrap_or(1.0).ceil().max(1.0);
            Reply::json(
                StatusCode::TOO_MANY_REQUESTS,
                &serde_json::json!({
                    "statusCode": 429,
                    "message": format!("Rate limit is exceeded. Try again in {secs} seconds."),
                }),
            )
            .with_header(RETRY_AFTER, retry_after)
        }
        (Api::PartnerCenter, FaultKind::ServiceUnavailable) => pc_error(
            StatusCode::SERVICE_UNAVAILABLE,
            800003,
            "The service is temporarily unavailable.",
        )
        .with_header(RETRY_AFTER, retry_after),
        (Api::PartnerCenter, _) => pc_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            800003,
            "Unexpected service error",
        ),
    }
}

/// The scheme and authority clients reached the emulator by, for absolute links.
fn origin(shared: &Shared, headers: &HeaderMap) -> String {
    match header_str(headers, HOST.as_str()) {
        Some(host) if !host.contains(['/', '\\', ' ', '@']) => format!("http://{host}"),
        _ => format!("http://{}", shared.local_addr),
    }
}

/// What the request asked for in its `Prefer` headers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Prefer {
    pub include_unknown_enum_members: bool,
    pub return_minimal: bool,
}

impl Prefer {
    pub(crate) fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Prefer {
        let mut p = Prefer::default();
        for v in values {
            for item in v.split(',') {
                let item = item.trim();
                if item.eq_ignore_ascii_case("include-unknown-enum-members") {
                    p.include_unknown_enum_members = true;
                } else if item.replace(' ', "").eq_ignore_ascii_case("return=minimal") {
                    p.return_minimal = true;
                }
            }
        }
        p
    }

    fn from_headers(headers: &HeaderMap) -> Prefer {
        Prefer::parse(
            headers
                .get_all("prefer")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        )
    }
}

/// The largest request body accepted, compressed or not: axum's default limit.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// The request body as read, or why it could not be; never a rejection, so that the API
/// answers in its own error shape instead of axum's plain text.
pub(crate) struct RawBody(Result<Bytes, (StatusCode, String)>);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(RawBody(
            Bytes::from_request(req, state)
                .await
                .map_err(|r| (r.status(), r.body_text())),
        ))
    }
}

/// Why a request body cannot be used.
#[derive(Debug)]
pub(crate) struct BodyError {
    pub status: StatusCode,
    pub message: String,
}

impl BodyError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        BodyError {
            status,
            message: message.into(),
        }
    }

    /// Graph's error code for it.
    fn graph_code(&self) -> &'static str {
        match self.status {
            StatusCode::PAYLOAD_TOO_LARGE => "RequestEntityTooLarge",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
            _ => "BadRequest",
        }
    }
}

/// The body the APIs see: read within the size limit, gzip undone (Kiota-based Graph SDKs
/// compress PATCH and POST bodies), and JSON if its type is given.
pub(crate) fn request_body(headers: &HeaderMap, raw: RawBody) -> Result<Bytes, BodyError> {
    let mut body = raw.0.map_err(|(status, text)| {
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("The request body is larger than {MAX_BODY} bytes.")
        } else {
            format!("The request body cannot be read: {text}.")
        };
        BodyError::new(status, message)
    })?;
    if body.is_empty() {
        return Ok(body);
    }
    // Codings are listed in the order applied, so they are undone from the last.
    let codings: Vec<&str> = headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    for coding in codings.iter().rev() {
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            body = gunzip(&body)?;
        } else if !coding.eq_ignore_ascii_case("identity") {
            return Err(BodyError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("The Content-Encoding '{coding}' is not supported; send gzip or none."),
            ));
        }
    }
    if let Some(ct) = header_str(headers, CONTENT_TYPE.as_str())
        && !is_json(ct)
    {
        return Err(BodyError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("The Content-Type '{ct}' is not supported; send application/json."),
        ));
    }
    Ok(body)
}

/// `application/json` or a `+json` type, with any parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .rsplit_once('+')
            .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json"))
}

/// Decompresses a gzip body (several members allowed), within [`MAX_BODY`] once inflated.
fn gunzip(compressed: &[u8]) -> Result<Bytes, BodyError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(compressed)
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            BodyError::new(
                StatusCode::BAD_REQUEST,
                format!("The gzip-compressed request body cannot be decompressed: {e}."),
            )
        })?;
    if out.len() > MAX_BODY {
        return Err(BodyError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The decompressed request body is larger than {MAX_BODY} bytes."),
        ));
    }
    Ok(out.into())
}

/// The envelope around every request to either API.
async fn serve_api(
    shared: Arc<Shared>,
    api: Api,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: RawBody,
) -> Response {
    bump(&shared.stats.requests);
    bump(match api {
        Api::Graph => &shared.stats.graph_requests,
        Api::PartnerCenter => &shared.stats.partner_center_requests,
    });
    let ids = Ids::from_headers(api, &headers);
    let (fault, latency, retry_after) = {
        let mut f = shared.faults();
        (
            f.decide(),
            f.settings.added_latency(),
            f.settings.retry_after_header(),
        )
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(kind) = fault {
        shared.stats.count_fault(kind);
        tracing::debug!(?api, %kind, path = uri.path(), "injecting a fault");
    }
    let now = shared.now();
    let reply = match fault {
        Some(FaultKind::DropConnection) => {
            return Response::new(Body::from_stream(FaultyBody::drop_connection()));
        }
        Some(kind) if kind.is_status() => status_fault(api, kind, &ids, now, &retry_after),
        _ if !authorized(&headers) => {
            bump(&shared.stats.unauthorized);
            match api {
                Api::Graph => graph_error(
                    StatusCode::UNAUTHORIZED,
                    "InvalidAuthenticationToken",
                    "Access token is empty.",
                    &ids,
                    now,
                ),
                Api::PartnerCenter => pc_error(
                    StatusCode::UNAUTHORIZED,
                    800001,
                    "Partner Token missing in request context",
                ),
            }
            .with_header(
                axum::http::header::WWW_AUTHENTICATE,
                "Bearer realm=\"partner-alerts-emulator\"",
            )
        }
        _ => match request_body(&headers, body) {
            Err(e) => match api {
                Api::Graph => graph_error(e.status, e.graph_code(), &e.message, &ids, now),
                Api::PartnerCenter => pc_error(e.status, 800002, &e.message),
            },
            Ok(body) => {
                let query = uri.query().unwrap_or("");
                match api {
                    Api::Graph => {
                        let path = uri.path().strip_prefix("/beta").unwrap_or("");
                        let ctx = graph::Ctx {
                            ids: ids.clone(),
                            prefer: Prefer::from_headers(&headers),
                            base: format!("{}/beta", origin(&shared, &headers)),
                            now,
                        };
                        graph::dispatch(&shared, &ctx, &method, path, query, &body, true)
                    }
                    Api::PartnerCenter => {
                        let path = uri.path().strip_prefix("/partner-center").unwrap_or("");
                        let ctx = partner_center::Ctx {
                            new_model: header_str(&headers, "x-neweventsmodel")
                                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
                            now,
                        };
                        partner_center::dispatch(&shared, &ctx, &method, path, query, &body)
                    }
                }
            }
        },
    };
    let mut res = reply.into_response(fault == Some(FaultKind::TruncateBody));
    ids.apply(res.headers_mut());
    res
}

async fn graph_entry(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: RawBody,
) -> Response {
    serve_api(shared, Api::Graph, method, uri, headers, body).await
}

async fn pc_entry(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: RawBody,
) -> Response {
    serve_api(shared, Api::PartnerCenter, method, uri, headers, body).await
}

/// `GET /`: where the two APIs are, for people and scripts poking at a running emulator.
async fn root(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let origin = origin(&shared, &headers);
    let alerts = shared.read(|s| s.records().len());
    Reply::json(
        StatusCode::OK,
        &serde_json::json!({
            "name": "partner-alerts-emulator",
            "version": env!("CARGO_PKG_VERSION"),
            "graphBaseUrl": format!("{origin}/beta"),
            "partnerCenterBaseUrl": format!("{origin}/partner-center"),
            "alerts": alerts,
        }),
    )
    .into_response(false)
}

async fn unknown(uri: Uri) -> Response {
    let body = serde_json::json!({
        "error": {
            "code": "NotFound",
            "message": format!(
                "No API at '{}': the Graph API is under /beta, the Partner Center API under /partner-center.",
                uri.path()
            ),
        }
    });
    Reply::json(StatusCode::NOT_FOUND, &body).into_response(false)
}

/// The emulator's router.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(root))
        .route("/beta", any(graph_entry))
        .route("/beta/", any(graph_entry))
        .route("/beta/{*rest}", any(graph_entry))
        .route("/partner-center", any(pc_entry))
        .route("/partner-center/", any(pc_entry))
        .route("/partner-center/{*rest}", any(pc_entry))
        .fallback(unknown)
        .with_state(shared)
}

/// Splits a query string into decoded name/value pairs (`+` is a space, `%XX` a byte).
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

/// Percent-decodes `s`; malformed escapes are kept as they are; invalid UTF-8 is replaced.
pub(crate) fn decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value (everything but the unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn shared(alerts: usize) -> Shared {
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let generator = Generator::new(1);
        Shared {
            store: RwLock::new(Store::generate(&generator, alerts, now)),
            generator,
            clock: RwLock::new(Some(now)),
            faults: Mutex::new(FaultState::new(Default::default(), 1)),
            quirk_state: Default::default(),
            stats: Default::default(),
            page_size: 10,
            writer: None,
            local_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }

    #[test]
    fn reads_do_not_wait_for_each_other() {
        let shared = shared(5);
        // Another thread reads while this one holds a read: with one lock for all (a
        // mutex), this would never finish.
        let n = shared.read(|_| {
            std::thread::scope(|s| {
                s.spawn(|| shared.read(|store| store.records().len()))
                    .join()
                    .unwrap()
            })
        });
        assert_eq!(n, 5);
    }

    #[test]
    fn query_round_trip() {
        let v = "status eq 'active' and x ge 2024-01-01T00:00:00+01:00 ü%";
        let q = format!("$filter={}&$top=5&flag", encode(v));
        let parsed = parse_query(&q);
        assert_eq!(parsed[0], ("$filter".to_owned(), v.to_owned()));
        assert_eq!(parsed[1], ("$top".to_owned(), "5".to_owned()));
        assert_eq!(parsed[2], ("flag".to_owned(), String::new()));
        assert_eq!(decode("a+b%2", true), "a b%2");
        assert_eq!(decode("%zz%", false), "%zz%");
        assert_eq!(decode("%41", false), "A");
    }

    #[test]
    fn prefer_parsing() {
        let p = Prefer::parse(["odata.maxpagesize=5, include-unknown-enum-members"]);
        assert!(p.include_unknown_enum_members && !p.return_minimal);
        let p = Prefer::parse(["return = minimal"]);
        assert!(p.return_minimal);
    }
}
