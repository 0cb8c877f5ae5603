//! The Microsoft Graph side: `/security/partner/securityAlerts` (list, `$count`, get,
//! PATCH) and `/$batch`, all under `/beta`.

mod batch;
mod contracts;
mod ctx;
mod item;
mod list;
mod options;
mod render;
mod score;
mod skiptoken;

use axum::http::header::ALLOW;
use axum::http::{Method, StatusCode};

use crate::envelope::{Reply, decode, graph_error};
use crate::shared::Shared;
use batch::batch;
use item::{get, patch};
use list::{count, list};

pub(crate) use ctx::Ctx;

/// Whether a Graph request (`path` relative to `/beta`) is a `$batch`.
/// Graph's `405` for `method` on a resource that takes only `allow`.
fn not_allowed(ctx: &Ctx, method: &Method, allow: &str) -> Reply {
    graph_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "notAllowed",
        &format!("The HTTP method '{method}' is not allowed on this resource."),
        &ctx.ids,
        ctx.now,
    )
    .with_header(ALLOW, allow)
}

pub(crate) fn is_batch(method: &Method, path: &str) -> bool {
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    *method == Method::POST
        && segs
            .next()
            .is_some_and(|s| decode(s, false).eq_ignore_ascii_case("$batch"))
        && segs.next().is_none()
}

/// Routes one Graph request (`path` is relative to `/beta`). `top_level` is false for the
/// requests inside a `$batch`.
pub(crate) fn dispatch(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
    top_level: bool,
) -> Reply {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| decode(s, false))
        .collect();
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    let collection =
        segs.len() >= 3 && is(0, "security") && is(1, "partner") && is(2, "securityAlerts");
    let not_allowed = |allow: &str| not_allowed(ctx, method, allow);
    if contracts::handles(&segs) {
        return contracts::dispatch(shared, ctx, method, &segs, query);
    }
    if score::handles(&segs) {
        return score::dispatch(shared, ctx, method, &segs, query);
    }
    match segs.len() {
        1 if is(0, "$batch") => {
            if !top_level {
                ctx.bad_request("A $batch request cannot contain another $batch request.")
            } else if method == Method::POST {
                batch(shared, ctx, body)
            } else {
                not_allowed("POST")
            }
        }
        3 if collection => match *method {
            Method::GET => list(shared, ctx, query),
            _ => not_allowed("GET"),
        },
        4 if collection && segs[3] == "$count" => match *method {
            Method::GET => count(shared, ctx, query),
            _ => not_allowed("GET"),
        },
        4 if collection => match *method {
            Method::GET => get(shared, ctx, &segs[3], query),
            Method::PATCH => patch(shared, ctx, &segs[3], query, body),
            _ => not_allowed("GET, PATCH"),
        },
        _ => {
            let known = ["security", "partner", "securityAlerts"];
            let bad = segs
                .iter()
                .enumerate()
                .find(|(i, s)| known.get(*i).is_none_or(|k| !s.eq_ignore_ascii_case(k)))
                .map_or(path.trim_matches('/'), |(_, s)| s.as_str());
            ctx.bad_request(&format!("Resource not found for the segment '{bad}'."))
        }
    }
}
