//! The router: the axum setup and the wiring around every request to either API (counting,
//! faults, latency, ids, authentication) before it is dispatched to [`graph`] or
//! [`partner_center`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::HOST;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{any, get};

use crate::envelope::{
    Api, Ids, Prefer, RawBody, Reply, graph_error, header_str, pc_error, request_body, status_fault,
};
use crate::fault::{FaultKind, FaultyBody};
use crate::shared::Shared;
use crate::stats::bump;
use crate::{graph, partner_center};

/// Whether the request carries `Authorization: Bearer <something>`.
fn authorized(headers: &HeaderMap) -> bool {
    header_str(headers, "authorization").is_some_and(|v| {
        let mut parts = v.splitn(2, char::is_whitespace);
        let scheme = parts.next().unwrap_or("");
        let token = parts.next().unwrap_or("").trim();
        scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()
    })
}

/// The scheme and authority clients reached the emulator by, for absolute links.
fn origin(shared: &Shared, headers: &HeaderMap) -> String {
    match header_str(headers, HOST.as_str()) {
        Some(host) if !host.contains(['/', '\\', ' ', '@']) => format!("http://{host}"),
        _ => format!("http://{}", shared.local_addr),
    }
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
    let is_batch = api == Api::Graph
        && uri
            .path()
            .strip_prefix("/beta")
            .is_some_and(|p| graph::is_batch(&method, p));
    let (fault, latency, retry_after) = {
        let mut f = shared.faults();
        (
            f.decide(is_batch),
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
                            if_match: header_str(&headers, "if-match").map(str::to_owned),
                        };
                        partner_center::dispatch(&shared, &ctx, &method, path, query, &body)
                    }
                }
            }
        },
    };
    if fault == Some(FaultKind::DropAfterProcessing) {
        // Processed (every request of a batch applied); the answer never leaves.
        drop(reply);
        return Response::new(Body::from_stream(FaultyBody::drop_connection()));
    }
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
        .route(
            "/webhooks/certificate.cer",
            get(crate::webhooks::certificate),
        )
        .route("/webhooks/ca.cer", get(crate::webhooks::ca))
        .fallback(unknown)
        .with_state(shared)
}
