//! Helpers shared by the integration tests: a started emulator and a bearer-token client.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use partner_alerts_emulator::{Emulator, EmulatorBuilder};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The fixed "now" of the tests.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

/// A builder with a fixed clock.
pub fn builder(alerts: usize) -> EmulatorBuilder {
    Emulator::builder().alerts(alerts).seed(7).now(now())
}

/// A started emulator with `alerts` alerts.
pub async fn start(alerts: usize) -> Emulator {
    builder(alerts).start().await.expect("the emulator starts")
}

/// A plain HTTP client.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A response's status, headers and JSON body (`Null` when empty or not JSON).
pub struct Got {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub async fn read(res: reqwest::Response) -> Got {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("a complete body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Got {
        status,
        headers,
        body,
    }
}

/// GET with a bearer token.
pub async fn get(url: &str) -> Got {
    get_with(url, &[]).await
}

/// GET with a bearer token and extra headers.
pub async fn get_with(url: &str, headers: &[(&str, &str)]) -> Got {
    let mut req = client().get(url).bearer_auth("test-token");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.send().await.expect("the request is answered")).await
}

/// PATCH a JSON body with a bearer token.
pub async fn patch(url: &str, body: &Value) -> Got {
    read(
        client()
            .patch(url)
            .bearer_auth("test-token")
            .json(body)
            .send()
            .await
            .expect("the request is answered"),
    )
    .await
}

/// POST a JSON body with a bearer token and extra headers.
pub async fn post_with(url: &str, body: &Value, headers: &[(&str, &str)]) -> Got {
    let mut req = client().post(url).bearer_auth("test-token").json(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.send().await.expect("the request is answered")).await
}

/// The alerts collection URL with a query (the value is percent-encoded here).
pub fn alerts_url(emulator: &Emulator, query: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&format!(
        "{}/security/partner/securityAlerts",
        emulator.graph_base_url()
    ))
    .unwrap();
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    url.to_string()
}

/// Follows `@odata.nextLink` verbatim and returns every item of every page.
pub async fn list_all(first: &str) -> (Vec<Value>, usize) {
    let mut url = first.to_owned();
    let mut items = Vec::new();
    let mut pages = 0;
    loop {
        let got = get(&url).await;
        assert_eq!(got.status, StatusCode::OK, "{url}: {}", got.body);
        pages += 1;
        items.extend(got.body["value"].as_array().unwrap().iter().cloned());
        match got.body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
        assert!(pages < 10_000, "paging does not end");
    }
    (items, pages)
}

/// Asserts a Graph error body with the given code, and returns its message.
pub fn graph_error(got: &Got, status: StatusCode, code: &str) -> String {
    assert_eq!(got.status, status, "{}", got.body);
    let e = &got.body["error"];
    assert_eq!(e["code"], code, "{}", got.body);
    let inner = &e["innerError"];
    assert_eq!(
        inner["request-id"].as_str(),
        got.header("request-id"),
        "innerError.request-id echoes the header"
    );
    assert_eq!(
        inner["client-request-id"].as_str(),
        got.header("client-request-id")
    );
    assert!(inner["date"].as_str().is_some_and(|d| d.len() == 19));
    e["message"].as_str().unwrap().to_owned()
}
