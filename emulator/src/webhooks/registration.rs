//! The registration API (reference section 5.1) under `/partner-center/webhooks/v1/registration`.

use std::time::{Duration, Instant};

use axum::http::header::{ALLOW, RETRY_AFTER};
use axum::http::{Method, StatusCode};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Subscription, lock};
use crate::envelope::{Reply, pc_error};
use crate::shared::Shared;

/// The event names the emulator can send.
const EVENTS: &[&str] = &["azure-fraud-event-detected", "test-created"];

/// Routes a request whose path segments after the Partner Center base are `segs`
/// (`webhooks`, `v1`, `registration`, ...).
pub(crate) fn dispatch(
    shared: &Shared,
    method: &Method,
    segs: &[String],
    body: &[u8],
    now: DateTime<Utc>,
) -> Reply {
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    let not_allowed = |allow: &str| {
        pc_error(
            StatusCode::METHOD_NOT_ALLOWED,
            800002,
            &format!("The HTTP method '{method}' is not supported on this resource."),
        )
        .with_header(ALLOW, allow)
    };
    let hooks = &shared.webhooks;
    if !(is(0, "webhooks") && is(1, "v1") && is(2, "registration")) {
        return pc_error(StatusCode::NOT_FOUND, 1000, "No such webhook resource.");
    }
    match (&segs[3..], method.clone()) {
        ([], Method::GET) => match lock(&hooks.subscription).as_ref() {
            Some(s) => Reply::json(
                StatusCode::OK,
                &json!({"WebhookUrl": s.url, "WebhookEvents": s.events}),
            ),
            None => pc_error(StatusCode::NOT_FOUND, 1000, "No webhook registration."),
        },
        ([], Method::POST | Method::PUT) => register(shared, body),
        ([], _) => not_allowed("GET, POST, PUT"),
        ([events], Method::GET) if events.eq_ignore_ascii_case("events") => {
            Reply::json(StatusCode::OK, EVENTS)
        }
        ([events], _) if events.eq_ignore_ascii_case("events") => not_allowed("GET"),
        ([v], Method::POST) if v.eq_ignore_ascii_case("validationEvents") => {
            test_event(shared, now)
        }
        ([v], _) if v.eq_ignore_ascii_case("validationEvents") => not_allowed("POST"),
        ([v, id], Method::GET) if v.eq_ignore_ascii_case("validationEvents") => {
            test_delivery(shared, id)
        }
        _ => pc_error(StatusCode::NOT_FOUND, 1000, "No such webhook resource."),
    }
}

/// The value of `key` in a JSON object, the key matched in any case.
fn field<'a>(body: &'a Value, key: &str) -> Option<&'a Value> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn register(shared: &Shared, body: &[u8]) -> Reply {
    let invalid = |m: &str| pc_error(StatusCode::BAD_REQUEST, 800002, m);
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return invalid("The request body is not JSON.");
    };
    let Some(url) = field(&body, "WebhookUrl").and_then(Value::as_str) else {
        return invalid("WebhookUrl is required.");
    };
    if reqwest::Url::parse(url).is_err() {
        return invalid("WebhookUrl is not a URL.");
    }
    let events: Vec<String> = field(&body, "WebhookEvents")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if events.is_empty() {
        return invalid("WebhookEvents is required.");
    }
    if let Some(unknown) = events
        .iter()
        .find(|e| !EVENTS.iter().any(|k| k.eq_ignore_ascii_case(e)))
    {
        return invalid(&format!("Unknown event '{unknown}'."));
    }
    let ms_signature_header = field(&body, "SignatureTokenToMsSignatureHeader")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut current = lock(&shared.webhooks.subscription);
    let subscriber_id = current
        .as_ref()
        .map(|s| s.subscriber_id.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let sub = Subscription {
        url: url.to_owned(),
        events,
        ms_signature_header,
        subscriber_id,
    };
    let reply = json!({
        "SubscriberId": sub.subscriber_id,
        "WebhookUrl": sub.url,
        "WebhookEvents": sub.events,
    });
    *current = Some(sub);
    Reply::json(StatusCode::OK, &reply)
}

fn test_event(shared: &Shared, now: DateTime<Utc>) -> Reply {
    const MINUTE: Duration = Duration::from_secs(60);
    let hooks = &shared.webhooks;
    {
        let mut asked = lock(&hooks.test_events);
        while asked.front().is_some_and(|t| t.elapsed() >= MINUTE) {
            asked.pop_front();
        }
        if asked.len() >= 2 {
            let wait = asked
                .front()
                .map_or(60, |t| MINUTE.saturating_sub(t.elapsed()).as_secs().max(1));
            return Reply::json(
                StatusCode::TOO_MANY_REQUESTS,
                &json!({"statusCode": 429, "message": format!("Rate limit is exceeded. Try again in {wait} seconds.")}),
            )
            .with_header(RETRY_AFTER, wait.to_string());
        }
        asked.push_back(Instant::now());
    }
    let id = uuid::Uuid::new_v4().to_string();
    let uri = format!(
        "{}/webhooks/v1/registration/validationEvents/{id}",
        hooks.partner_center_base()
    );
    if !hooks.notify("test-created", &uri, now, Some(id.clone())) {
        return pc_error(
            StatusCode::BAD_REQUEST,
            800002,
            "The registration does not list test-created.",
        );
    }
    Reply::json(StatusCode::OK, &json!({"correlationId": id}))
}

fn test_delivery(shared: &Shared, id: &str) -> Reply {
    let deliveries = shared.webhooks.deliveries();
    let Some(d) = deliveries
        .iter()
        .find(|d| d.correlation_id.as_deref() == Some(id))
    else {
        return pc_error(StatusCode::NOT_FOUND, 1000, "No such validation event.");
    };
    let url = lock(&shared.webhooks.subscription)
        .as_ref()
        .map(|s| s.url.clone());
    let results: Vec<Value> = d
        .attempts
        .iter()
        .map(|a| {
            json!({
                "responseCode": a.and_then(|s| StatusCode::from_u16(s).ok()).map_or("None".to_owned(), |s| s.canonical_reason().unwrap_or("").replace(' ', "")),
                "responseMessage": "",
                "systemError": a.is_none(),
                "dateTimeUtc": d.sent_at.format("%Y-%m-%dT%H:%M:%S%.f").to_string(),
            })
        })
        .collect();
    Reply::json(
        StatusCode::OK,
        &json!({
            "correlationId": id,
            "partnerId": shared.generator.partner().tenant_id.as_str(),
            "status": if d.attempts.is_empty() { "pending" } else { "completed" },
            "callbackUrl": url,
            "results": results,
        }),
    )
}
