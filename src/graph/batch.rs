//! JSON batching (`POST /$batch`, section 3.17 of the reference): many alerts read or updated
//! 20 to a batch, several batches in flight, each request's answer mapped back to its alert
//! by id (answers may come in any order).
//!
//! A throttled request inside a batch (`429`, or `503`, with its own `Retry-After`) was not
//! applied: it is sent again in a smaller batch after the longest wait asked, within the
//! client's retry policy, and reported throttled only when the policy gives up.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::GraphClient;
use crate::endpoint::join;
use crate::error::{Api, Error, InvalidResponse};
use crate::http::{
    Decision, Outcome, Request, Response, StatusAnswer, decide, jitter, parse_retry_after,
};
use crate::{Alert, AlertId};

/// The most requests Graph takes in one batch.
pub(super) const MAX_BATCH: usize = 20;

/// How many batches one call keeps in flight.
pub(super) const BATCHES_IN_FLIGHT: usize = 4;

/// Each alert's outcome.
pub(super) type ItemResult = (AlertId, ItemOutcome);

/// What became of one alert's request.
#[derive(Debug)]
pub(super) enum ItemOutcome {
    /// Succeeded, with the alert when the service returned it.
    Done(Option<Box<Alert>>),
    /// Failed (shared by the alerts of one failed batch); for a write, applied or not as
    /// [`Error::is_outcome_unknown`] says.
    Failed(Arc<Error>),
    /// Sent, but the answer does not say what became of it.
    Unknown(Arc<Error>),
}

/// What every request of a batch does to its alert.
#[derive(Debug)]
pub(super) struct Op {
    pub(super) method: &'static str,
    /// After the alert's path, e.g. `?$select=id,status`.
    pub(super) query: String,
    pub(super) body: Option<Value>,
    /// For the permission named in a 403 ("get", "update").
    pub(super) operation: &'static str,
}

/// Runs `op` on every alert of `ids`, [`MAX_BATCH`] to a batch, [`BATCHES_IN_FLIGHT`] at a
/// time. Every id is in the result once, in no particular order.
pub(super) async fn run(client: &GraphClient, ids: &[AlertId], op: Op) -> Vec<ItemResult> {
    let op = Arc::new(op);
    let batches: Vec<_> = ids
        .chunks(MAX_BATCH)
        .map(|chunk| one_batch(client.clone(), chunk.to_vec(), op.clone()))
        .collect();
    futures::stream::iter(batches)
        .buffer_unordered(BATCHES_IN_FLIGHT)
        .flat_map(futures::stream::iter)
        .collect()
        .await
}

#[derive(Deserialize)]
struct BatchAnswer {
    responses: Vec<SubAnswer>,
}

#[derive(Deserialize)]
struct SubAnswer {
    id: String,
    status: u16,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    body: Option<Value>,
}

/// One batch of at most [`MAX_BATCH`] alerts, with its throttled requests sent again.
async fn one_batch(client: GraphClient, ids: Vec<AlertId>, op: Arc<Op>) -> Vec<ItemResult> {
    let transport = &client.inner.transport;
    let settings = transport.settings();
    let batch_url = join(&transport.base, &["$batch"]);
    let start = Instant::now();
    let mut pending: Vec<(AlertId, Uuid)> =
        ids.into_iter().map(|id| (id, Uuid::new_v4())).collect();
    let mut done: Vec<ItemResult> = Vec::with_capacity(pending.len());
    let mut attempt = 0u32;
    while !pending.is_empty() {
        attempt += 1;
        let body = batch_body(&client, &pending, &op);
        let answer = transport
            .send(Request::write(
                reqwest::Method::POST,
                batch_url.clone(),
                body,
                op.operation,
            ))
            .await;
        let response = match answer {
            Ok(r) => r,
            Err(e) => {
                // The whole batch failed: a write whose answer was lost may have been
                // applied, which the error says (`is_outcome_unknown`).
                let e = Arc::new(e);
                done.extend(
                    pending
                        .drain(..)
                        .map(|(id, _)| (id, ItemOutcome::Failed(e.clone()))),
                );
                break;
            }
        };
        let answer = match decode(&response) {
            Ok(a) => (a, response.ids),
            Err(e) => {
                // Processed, but unreadable: what each request did is unknown.
                let e = Arc::new(e);
                done.extend(
                    pending
                        .drain(..)
                        .map(|(id, _)| (id, unknown(e.clone(), &op))),
                );
                break;
            }
        };
        let (mut answers, batch_ids) = answer;
        let mut throttled: Vec<(AlertId, Uuid, SubAnswer)> = Vec::new();
        for (n, (id, request_id)) in pending.drain(..).enumerate() {
            let key = n.to_string();
            let Some(i) = answers.iter().position(|a| a.id == key) else {
                let e = Error::InvalidResponse(Box::new(InvalidResponse::new(
                    format!("the $batch answer has no response for request {key} (alert {id})"),
                    Some(batch_ids.clone()),
                )));
                // Sent, but its outcome was not said: a write may have been applied.
                done.push((id, unknown(Arc::new(e), &op)));
                continue;
            };
            let sub = answers.swap_remove(i);
            match sub.status {
                200..=299 => done.push((id, ItemOutcome::Done(alert_of(&sub, request_id)))),
                429 | 503 => throttled.push((id, request_id, sub)),
                _ => {
                    let e = sub_error(&client, &sub, &op, request_id, attempt, false);
                    done.push((id, ItemOutcome::Failed(Arc::new(e))));
                }
            }
        }
        if throttled.is_empty() {
            break;
        }
        let longest = throttled
            .iter()
            .filter_map(|(_, _, sub)| headers_of(sub).1)
            .max();
        let status = throttled.iter().map(|t| t.2.status).max().unwrap_or(429);
        let left = settings
            .timeouts
            .operation_timeout()
            .saturating_sub(start.elapsed());
        let decision = decide(
            &settings.retry,
            attempt,
            Outcome::Status {
                status,
                retry_after: longest,
            },
            // Not applied (429 / 503), so sending it again is safe even for a write.
            false,
            left,
            jitter(),
        );
        match decision {
            Decision::Retry(wait) => {
                tracing::debug!(
                    throttled = throttled.len(),
                    ?wait,
                    "requests of a $batch throttled: sending them again"
                );
                settings.sleep.sleep(wait).await;
                pending = throttled
                    .into_iter()
                    .map(|(id, rid, _)| (id, rid))
                    .collect();
            }
            Decision::Stop | Decision::Throttled => {
                for (id, request_id, sub) in throttled {
                    let e = sub_error(&client, &sub, &op, request_id, attempt, true);
                    done.push((id, ItemOutcome::Failed(Arc::new(e))));
                }
            }
        }
    }
    done
}

/// The error of a request that failed inside a batch, as if it had been sent alone;
/// `throttled` when the retry policy gave up waiting.
fn sub_error(
    client: &GraphClient,
    sub: &SubAnswer,
    op: &Op,
    request_id: Uuid,
    attempts: u32,
    throttled: bool,
) -> Error {
    let (headers, retry_after) = headers_of(sub);
    let body = sub.body.as_ref().map(Value::to_string).unwrap_or_default();
    client.inner.transport.status_error(
        StatusAnswer {
            status: sub.status,
            headers: &headers,
            body: body.as_bytes(),
            retry_after,
        },
        op.operation,
        request_id,
        attempts,
        throttled,
    )
}

/// The batch's JSON: request `n` for the `n`-th pending alert.
fn batch_body(client: &GraphClient, pending: &[(AlertId, Uuid)], op: &Op) -> Vec<u8> {
    let base_path = client.inner.transport.base.path().trim_end_matches('/');
    let collection = client.inner.collection.path();
    let relative = collection.strip_prefix(base_path).unwrap_or(collection);
    let requests: Vec<Value> = pending
        .iter()
        .enumerate()
        .map(|(n, (id, request_id))| {
            let url = join(&client.inner.collection, &[id.as_str()]);
            let path = url.path().strip_prefix(base_path).unwrap_or(relative);
            let mut headers = serde_json::Map::new();
            headers.insert("client-request-id".into(), request_id.to_string().into());
            let mut r = serde_json::json!({
                "id": n.to_string(),
                "method": op.method,
                "url": format!("{path}{}", op.query),
            });
            if let Some(body) = &op.body {
                headers.insert("Content-Type".into(), "application/json".into());
                r["body"] = body.clone();
            }
            r["headers"] = Value::Object(headers);
            r
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({ "requests": requests }))
        .expect("a JSON value serialises")
}

fn decode(response: &Response) -> crate::Result<Vec<SubAnswer>> {
    response
        .json::<BatchAnswer>(Api::Graph)
        .map(|a| a.responses)
}

/// The alert a successful request returned, read as leniently as any answer; `None` for a
/// `204` or a body that is no alert (the request still succeeded).
fn alert_of(sub: &SubAnswer, request_id: Uuid) -> Option<Box<Alert>> {
    let body = sub.body.as_ref().filter(|b| b.is_object())?;
    let (headers, _) = headers_of(sub);
    let mut ids = crate::error::RequestIds::new(request_id);
    ids.request_id = headers
        .get("request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = Response::new(sub.status, body.to_string().into_bytes(), ids);
    response.one(Api::Graph).ok().map(Box::new)
}

/// A request's own headers, and its `Retry-After`.
fn headers_of(sub: &SubAnswer) -> (HeaderMap, Option<Duration>) {
    let mut map = HeaderMap::new();
    for (k, v) in &sub.headers {
        let value = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            map.insert(name, value);
        }
    }
    let retry_after = map
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
    (map, retry_after)
}

/// A request sent whose answer is missing: for a write, unconfirmed; for a read, failed.
fn unknown(e: Arc<Error>, op: &Op) -> ItemOutcome {
    if op.body.is_some() {
        ItemOutcome::Unknown(e)
    } else {
        ItemOutcome::Failed(e)
    }
}
