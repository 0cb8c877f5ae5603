//! The error bodies of both APIs, and the replies of the status faults in each API's shape.

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use chrono::{DateTime, Utc};

use super::reply::Reply;
use super::request::{Api, Ids};
use crate::fault::FaultKind;

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
        (Api::Graph, FaultKind::Throttle | FaultKind::ThrottleBatchItem) => Reply::json(
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
        (Api::PartnerCenter, FaultKind::Throttle | FaultKind::ThrottleBatchItem) => {
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
