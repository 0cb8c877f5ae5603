//! `POST /$batch`: up to 20 requests, run in order through [`dispatch`], `dependsOn`
//! honoured, each with its own faults; answered in order, or shuffled under
//! [`Quirks::shuffled_batch_responses`](crate::Quirks::shuffled_batch_responses).

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::dispatch;
use crate::envelope::{Api, Ids, Prefer, Reply, graph_error, is_json, status_fault};
use crate::shared::Shared;
use crate::stats::bump;

/// The most requests one `$batch` may hold.
const MAX_BATCH: usize = 20;
struct BatchItem {
    id: String,
    method: String,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn batch_items(ctx: &Ctx, body: &[u8]) -> Result<Vec<BatchItem>, Reply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ctx.bad_request(&format!("The $batch body is not valid JSON: {e}.")))?;
    let Some(requests) = value.get("requests").and_then(Value::as_array) else {
        return Err(ctx.bad_request("The $batch body must be an object with a 'requests' array."));
    };
    if requests.is_empty() {
        return Err(ctx.bad_request("The $batch body holds no requests."));
    }
    if requests.len() > MAX_BATCH {
        return Err(ctx.bad_request(&format!(
            "The $batch body holds {} requests; at most {MAX_BATCH} are allowed.",
            requests.len()
        )));
    }
    let mut items = Vec::with_capacity(requests.len());
    let mut ids: Vec<String> = Vec::new();
    for (n, r) in requests.iter().enumerate() {
        let field = |name: &str| r.get(name).and_then(Value::as_str).map(str::to_owned);
        let missing = |name: &str| {
            ctx.bad_request(&format!(
                "Request {} of the $batch has no string '{name}'.",
                n + 1
            ))
        };
        let id = field("id").ok_or_else(|| missing("id"))?;
        if ids.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
            return Err(ctx.bad_request(&format!(
                "The $batch holds the request id '{id}' more than once."
            )));
        }
        let depends_on: Vec<String> = match r.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|d| d.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| ctx.bad_request("'dependsOn' must be an array of request ids."))?,
            Some(_) => return Err(ctx.bad_request("'dependsOn' must be an array of request ids.")),
        };
        if let Some(d) = depends_on
            .iter()
            .find(|d| !ids.iter().any(|x| x.eq_ignore_ascii_case(d)))
        {
            return Err(ctx.bad_request(&format!(
                "Request '{id}' depends on '{d}', which is not an earlier request of the $batch."
            )));
        }
        let headers = match r.get("headers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(ctx.bad_request("'headers' must be an object.")),
        };
        let method = field("method").ok_or_else(|| missing("method"))?;
        let url = field("url").ok_or_else(|| missing("url"))?;
        let body = r.get("body").filter(|b| !b.is_null()).cloned();
        // Reference 3.17: `headers` is required when `body` is present and must then hold
        // a Content-Type. A rule of the batch's format, so breaking it makes the batch
        // malformed: the whole batch is refused, nothing in it runs.
        if body.is_some() && header(&headers, "content-type").is_none() {
            return Err(ctx.bad_request(&format!(
                "Write request with id '{id}' does not contain a Content-Type header."
            )));
        }
        items.push(BatchItem {
            method,
            url,
            body,
            headers,
            depends_on,
            id: id.clone(),
        });
        ids.push(id);
    }
    Ok(items)
}

fn header<'a>(headers: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

pub(super) fn batch(shared: &Shared, ctx: &Ctx, body: &[u8]) -> Reply {
    bump(&shared.stats.batches);
    let items = match batch_items(ctx, body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut failed: Vec<String> = Vec::new();
    let mut responses = Vec::with_capacity(items.len());
    for it in items {
        bump(&shared.stats.batch_items);
        let prefer = {
            let own = Prefer::parse(header(&it.headers, "prefer"));
            Prefer {
                include_unknown_enum_members: own.include_unknown_enum_members
                    || ctx.prefer.include_unknown_enum_members,
                return_minimal: own.return_minimal || ctx.prefer.return_minimal,
            }
        };
        let inner = Ctx {
            ids: Ids::for_batch_item(header(&it.headers, "client-request-id")),
            prefer,
            base: ctx.base.clone(),
            now: ctx.now,
        };
        let reply = if it
            .depends_on
            .iter()
            .any(|d| failed.iter().any(|f| f.eq_ignore_ascii_case(d)))
        {
            graph_error(
                StatusCode::FAILED_DEPENDENCY,
                "FailedDependency",
                "A request this request depends on failed.",
                &inner.ids,
                inner.now,
            )
        } else {
            let fault = {
                let mut f = shared.faults();
                f.decide_inner()
                    .map(|k| (k, f.settings.retry_after_header()))
            };
            match fault {
                Some((kind, retry_after)) => {
                    shared.stats.count_fault(kind);
                    status_fault(Api::Graph, kind, &inner.ids, inner.now, &retry_after)
                }
                None => batch_one(shared, &inner, &it),
            }
        };
        if reply.status.as_u16() >= 400 {
            failed.push(it.id.clone());
        }
        let mut out = Map::new();
        out.insert("id".to_owned(), it.id.into());
        out.insert("status".to_owned(), reply.status.as_u16().into());
        let mut headers = reply.batch_headers();
        headers.insert("request-id".to_owned(), inner.ids.request_id.clone().into());
        headers.insert(
            "client-request-id".to_owned(),
            inner.ids.client_id.clone().into(),
        );
        out.insert("headers".to_owned(), Value::Object(headers));
        if let Some(b) = reply.batch_body() {
            out.insert("body".to_owned(), b);
        }
        responses.push(Value::Object(out));
    }
    if responses.len() >= 2 && shared.quirks().shuffled_batch_responses_on() {
        let mut slots: Vec<Option<Value>> = responses.into_iter().map(Some).collect();
        responses = shared
            .shuffled_order(slots.len())
            .into_iter()
            .filter_map(|i| slots[i].take())
            .collect();
        bump(&shared.stats.shuffled_batches);
    }
    Reply::json(
        StatusCode::OK,
        &serde_json::json!({ "responses": responses }),
    )
}

fn batch_one(shared: &Shared, ctx: &Ctx, it: &BatchItem) -> Reply {
    let Ok(method) = Method::from_bytes(it.method.to_ascii_uppercase().as_bytes()) else {
        return ctx.bad_request(&format!("'{}' is not an HTTP method.", it.method));
    };
    if it.url.contains("://") {
        return ctx.bad_request(
            "The url of a $batch request must be relative to the version root, e.g. \
             /security/partner/securityAlerts.",
        );
    }
    let body = match &it.body {
        Some(_) => {
            // Present: the batch was refused otherwise.
            let ct = header(&it.headers, "content-type").unwrap_or_default();
            if !is_json(ct) {
                return graph_error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    &format!("The Content-Type '{ct}' is not supported; send application/json."),
                    &ctx.ids,
                    ctx.now,
                );
            }
            serde_json::to_vec(&it.body).unwrap_or_default()
        }
        None => Vec::new(),
    };
    let (path, query) = it.url.split_once('?').unwrap_or((&it.url, ""));
    let path = path
        .strip_prefix("/beta")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path);
    dispatch(shared, ctx, &method, path, query, &body, false)
}
