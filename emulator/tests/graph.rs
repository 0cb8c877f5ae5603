//! The Graph side over HTTP: paging, `$filter`, `$select`, `$count`, get, PATCH, `$batch`,
//! authentication, request ids and `Prefer`.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use common::*;
use partner_alerts::{Alert, AlertId, AlertStatus, ResolvedReason, Severity};
use partner_alerts_emulator::{EMULATOR_UPN, Emulator};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A filter's expected meaning, written in Rust.
type Predicate = Box<dyn Fn(&Alert) -> bool>;

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The ids the server returns for a filter, in order, across every page.
async fn filtered(emulator: &Emulator, filter: &str) -> Vec<String> {
    let (items, _) = list_all(&alerts_url(emulator, &[("$filter", filter)])).await;
    ids(&items)
}

/// The ids of the stored alerts matching a predicate, in listing order.
fn expected(emulator: &Emulator, f: impl Fn(&Alert) -> bool) -> Vec<String> {
    emulator
        .alerts()
        .iter()
        .filter(|a| f(a))
        .map(|a| a.id.to_string())
        .collect()
}

#[tokio::test]
async fn paging_returns_every_alert_once() {
    let emulator = builder(3000).page_size(250).start().await.unwrap();
    let url = alerts_url(&emulator, &[("$count", "true")]);
    let first = get(&url).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["@odata.count"], 3000);
    assert_eq!(first.body["value"].as_array().unwrap().len(), 250);
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!(
        "{}/security/partner/securityAlerts?",
        emulator.graph_base_url()
    )));
    assert!(next.contains("$skiptoken="));

    let (items, pages) = list_all(&url).await;
    assert_eq!(pages, 12);
    let got = ids(&items);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), 3000, "no alert is repeated");
    assert_eq!(
        got,
        expected(&emulator, |_| true),
        "every alert, in listing order"
    );
    // The count is on the first page only.
    let second = get(next).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    assert_eq!(second.body["value"].as_array().unwrap().len(), 250);
    assert_eq!(
        second.body["value"][0]["id"], items[250]["id"],
        "the second page follows the first"
    );
    assert!(second.body.get("@odata.count").is_none());
    assert_eq!(emulator.stats().graph_requests, 1 + 1 + 12);
}

#[tokio::test]
async fn top_caps_the_page_and_next_links_keep_filter_and_select() {
    let emulator = start(120).await;
    let filter = "status eq 'active' or status eq 'investigating'";
    let url = alerts_url(
        &emulator,
        &[
            ("$filter", filter),
            ("$select", "status,severity"),
            ("$top", "7"),
        ],
    );
    let first = get(&url).await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 7);
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("$filter=") && next.contains("$select=") && next.contains("$top=7"));
    let (items, _) = list_all(&url).await;
    assert_eq!(
        ids(&items),
        expected(&emulator, |a| a.status != Some(AlertStatus::Resolved))
    );
    for item in &items {
        let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 3, "{item}");
        assert_ne!(item["status"], "resolved");
    }
    // A larger $top than the page size does not raise it.
    let big = get(&alerts_url(&emulator, &[("$top", "5000")])).await;
    assert_eq!(big.body["value"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn every_filter_operator() {
    let emulator = start(300).await;
    let alerts = emulator.alerts();
    let mid: DateTime<Utc> = {
        let mut times: Vec<_> = alerts
            .iter()
            .map(|a| a.detected_date_time.unwrap())
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let mid_s = mid.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let sub = alerts[3].subscription_id.clone().unwrap();
    let status = |s: AlertStatus| move |a: &Alert| a.status == Some(s.clone());

    let cases: Vec<(String, Predicate)> = vec![
        (
            "status eq 'active'".into(),
            Box::new(status(AlertStatus::Active)),
        ),
        (
            "status eq 'RESOLVED'".into(),
            Box::new(status(AlertStatus::Resolved)),
        ),
        (
            "status ne 'active'".into(),
            Box::new(|a: &Alert| a.status != Some(AlertStatus::Active)),
        ),
        (
            format!("detectedDateTime gt {mid_s}"),
            Box::new(move |a: &Alert| a.detected_date_time.unwrap() > mid),
        ),
        (
            format!("detectedDateTime ge {mid_s}"),
            Box::new(move |a: &Alert| a.detected_date_time.unwrap() >= mid),
        ),
        (
            format!("detectedDateTime lt {mid_s}"),
            Box::new(move |a: &Alert| a.detected_date_time.unwrap() < mid),
        ),
        (
            format!("detectedDateTime le {mid_s}"),
            Box::new(move |a: &Alert| a.detected_date_time.unwrap() <= mid),
        ),
        (
            "severity in ('high', 'Medium')".into(),
            Box::new(|a: &Alert| {
                matches!(a.severity, Some(Severity::High) | Some(Severity::Medium))
            }),
        ),
        (
            "isTest eq true".into(),
            Box::new(|a: &Alert| a.is_test == Some(true)),
        ),
        (
            "resolvedReason eq null".into(),
            Box::new(|a: &Alert| a.resolved_reason.is_none()),
        ),
        (
            format!("subscriptionId eq '{sub}'"),
            Box::new({
                let sub = sub.clone();
                move |a: &Alert| a.subscription_id.as_ref() == Some(&sub)
            }),
        ),
        (
            format!("subscriptionId eq {}", sub.as_str().to_uppercase()),
            Box::new({
                let sub = sub.clone();
                move |a: &Alert| a.subscription_id.as_ref() == Some(&sub)
            }),
        ),
        (
            "alertType eq 'NetworkConnectionsToCryptoMiningPools'".into(),
            Box::new(|a: &Alert| {
                a.alert_type.as_ref().unwrap().as_str() == "networkConnectionsToCryptoMiningPools"
            }),
        ),
        (
            "not (status eq 'active') and severity eq 'high'".into(),
            Box::new(|a: &Alert| {
                a.status != Some(AlertStatus::Active) && a.severity == Some(Severity::High)
            }),
        ),
        (
            "(status eq 'investigating' or resolvedReason eq 'fraud') and isTest eq false".into(),
            Box::new(|a: &Alert| {
                (a.status == Some(AlertStatus::Investigating)
                    || a.resolved_reason == Some(ResolvedReason::Fraud))
                    && a.is_test == Some(false)
            }),
        ),
        (
            "startswith(displayName, '[Test]')".into(),
            Box::new(|a: &Alert| a.display_name.as_deref().unwrap().starts_with("[Test]")),
        ),
    ];
    for (filter, predicate) in cases {
        let want = expected(&emulator, predicate);
        assert!(
            !want.is_empty() || filter.contains("fraud"),
            "{filter} should match something in the data set"
        );
        assert_eq!(filtered(&emulator, &filter).await, want, "{filter}");
    }
}

#[tokio::test]
async fn invalid_filters_are_400_with_a_graph_error() {
    let emulator = start(5).await;
    for filter in [
        "colour eq 'red'",
        "status eq",
        "status eq 'escalated'",
        "detectedDateTime ge 2024-13-40T00:00:00Z",
        "detectedDateTime ge '2024-01-01T00:00:00Z'",
        "frobnicate(status)",
        "status eq 'active",
        "isTest eq 'yes'",
        "affectedResources/any(r: r/resourceType eq 'x')",
        "((status eq 'active')",
        "",
    ] {
        let got = get(&alerts_url(&emulator, &[("$filter", filter)])).await;
        let message = graph_error(&got, StatusCode::BAD_REQUEST, "BadRequest");
        assert!(!message.is_empty(), "{filter}");
    }
    // Other rejected options.
    for (k, v) in [
        ("$select", "colour"),
        ("$top", "0"),
        ("$count", "maybe"),
        ("$skiptoken", "nope"),
        ("$orderby", "severity"),
        ("$frobnicate", "1"),
    ] {
        let got = get(&alerts_url(&emulator, &[(k, v)])).await;
        graph_error(&got, StatusCode::BAD_REQUEST, "BadRequest");
    }
}

#[tokio::test]
async fn select_count_and_get() {
    let emulator = start(40).await;
    let got = get(&alerts_url(
        &emulator,
        &[("$select", "status, alertType"), ("$count", "true")],
    ))
    .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["@odata.count"], 40);
    assert!(
        got.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("securityAlerts(id,alertType,status)")
    );
    let first = &got.body["value"][0];
    assert_eq!(first.as_object().unwrap().len(), 3);
    assert!(
        first["id"].is_string() && first["status"].is_string() && first["alertType"].is_string()
    );

    // A full item: every property, `null` when absent.
    let alert = emulator
        .alerts()
        .into_iter()
        .find(|a| a.resolved_reason.is_none())
        .unwrap();
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        alert.id
    );
    let got = get(&url).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["id"], alert.id.as_str());
    assert!(got.body["resolvedReason"].is_null());
    assert_eq!(
        got.body.as_object().unwrap().len(),
        22,
        "21 properties and @odata.context"
    );
    let back: Alert = serde_json::from_value(got.body.clone()).unwrap();
    assert_eq!(back, alert, "the JSON decodes into the stored alert");
    let size = serde_json::to_vec(&got.body).unwrap().len();
    assert!(
        (1200..2400).contains(&size),
        "an alert is about 1.5-1.8 KB, got {size}"
    );

    let got = get(&format!("{url}?$select=severity")).await;
    assert_eq!(got.body.as_object().unwrap().len(), 3);
    assert!(
        got.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("(id,severity)/$entity")
    );

    let missing = format!(
        "{}/security/partner/securityAlerts/00000000-0000-0000-0000-000000000000",
        emulator.graph_base_url()
    );
    graph_error(&get(&missing).await, StatusCode::NOT_FOUND, "itemNotFound");

    // The /$count segment.
    let res = client()
        .get(format!(
            "{}/security/partner/securityAlerts/$count?$filter=status%20eq%20'active'",
            emulator.graph_base_url()
        ))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let n: usize = res.text().await.unwrap().parse().unwrap();
    assert_eq!(
        n,
        emulator
            .alerts()
            .iter()
            .filter(|a| a.status == Some(AlertStatus::Active))
            .count()
    );
}

#[tokio::test]
async fn patch_resolves_reopens_and_logs() {
    let emulator = start(30).await;
    let alert = emulator
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(AlertStatus::Active))
        .unwrap();
    let logs_before = alert.activity_logs.as_ref().map_or(0, Vec::len);
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        alert.id
    );

    let later = now() + TimeDelta::hours(2);
    emulator.set_now(later);
    let got = patch(
        &url,
        &json!({"status": "Resolved", "resolvedReason": "fraud"}),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "resolved");
    assert_eq!(got.body["resolvedReason"], "fraud");
    assert_eq!(got.body["resolvedBy"], EMULATOR_UPN);
    assert_eq!(got.body["resolvedOnDateTime"], "2025-03-01T14:00:00Z");
    let logs = got.body["activityLogs"].as_array().unwrap();
    assert_eq!(logs.len(), logs_before + 1);
    assert_eq!(
        logs.last().unwrap(),
        &json!({
            "statusFrom": "active",
            "statusTo": "resolved",
            "updatedBy": EMULATOR_UPN,
            "updatedDateTime": "2025-03-01T14:00:00Z",
        })
    );
    let stored = emulator.alert(&alert.id).unwrap();
    assert_eq!(stored.status, Some(AlertStatus::Resolved));
    assert_eq!(get(&url).await.body["status"], "resolved");

    // Reopening clears the resolution.
    let got = patch(&url, &json!({"status": "active"})).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body["resolvedReason"].is_null());
    assert!(got.body["resolvedOnDateTime"].is_null());
    assert!(got.body["resolvedBy"].is_null());
    assert_eq!(
        got.body["activityLogs"].as_array().unwrap().len(),
        logs_before + 2
    );

    // Prefer: return=minimal gives 204.
    let res = client()
        .patch(&url)
        .bearer_auth("t")
        .header("Prefer", "return=minimal")
        .json(&json!({"status": "investigating"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        emulator.alert(&alert.id).unwrap().status,
        Some(AlertStatus::Investigating)
    );
}

#[tokio::test]
async fn patch_validation() {
    let emulator = start(3).await;
    let id = emulator.alerts()[0].id.clone();
    let url = format!(
        "{}/security/partner/securityAlerts/{id}",
        emulator.graph_base_url()
    );
    let before = emulator.alert(&id);
    for body in [
        json!({}),
        json!({"status": "closed"}),
        json!({"status": "unknownFutureValue"}),
        json!({"status": "resolved", "resolvedReason": "bored"}),
        json!({"status": "active", "resolvedReason": "fraud"}),
        json!({"status": "resolved", "severity": "low"}),
        json!({"status": "resolved", "colour": "red"}),
        json!({"status": "resolved", "@odata.type": "#microsoft.graph.user"}),
        json!(["status"]),
    ] {
        let got = patch(&url, &body).await;
        graph_error(&got, StatusCode::BAD_REQUEST, "BadRequest");
    }
    let res = client()
        .patch(&url)
        .bearer_auth("t")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let message = graph_error(&read(res).await, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(message.contains("not valid JSON"), "{message}");
    assert_eq!(emulator.alert(&id), before, "nothing changed");

    let ok = patch(
        &url,
        &json!({
            "@odata.type": "#microsoft.graph.partner.security.partnerSecurityAlert",
            "status": "resolved",
        }),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);

    let missing = format!(
        "{}/security/partner/securityAlerts/00000000-0000-0000-0000-000000000000",
        emulator.graph_base_url()
    );
    graph_error(
        &patch(&missing, &json!({"status": "resolved"})).await,
        StatusCode::NOT_FOUND,
        "itemNotFound",
    );
}

#[tokio::test]
async fn requests_need_a_bearer_token_and_carry_ids() {
    let emulator = start(3).await;
    let url = alerts_url(&emulator, &[]);
    for auth in [
        None,
        Some(""),
        Some("Bearer"),
        Some("Bearer   "),
        Some("Basic abc"),
    ] {
        let mut req = client().get(&url).header("client-request-id", "my-id-1");
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let got = read(req.send().await.unwrap()).await;
        graph_error(&got, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
        assert_eq!(got.header("client-request-id"), Some("my-id-1"));
    }
    assert_eq!(emulator.stats().unauthorized, 5);

    let a = get_with(&url, &[("client-request-id", "abc-123")]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("client-request-id"), Some("abc-123"));
    let b = get(&url).await;
    let (ra, rb) = (
        a.header("request-id").unwrap(),
        b.header("request-id").unwrap(),
    );
    assert_ne!(ra, rb, "a fresh request id per response");
    assert!(uuid::Uuid::parse_str(ra).is_ok());
    assert!(uuid::Uuid::parse_str(b.header("client-request-id").unwrap()).is_ok());
}

#[tokio::test]
async fn prefer_include_unknown_enum_members() {
    let emulator = start(2).await;
    let mut alert = Alert::new(AlertId::new("5f6e6521-0000-4b0b-80aa-bd44fad7a398").unwrap());
    alert.status = Some(AlertStatus::from("escalated"));
    alert.severity = Some(Severity::from("catastrophic"));
    alert.subscription_id = Some("11111111-2222-3333-4444-555555555555".parse().unwrap());
    assert!(emulator.insert_alert(alert.clone()).is_none());

    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        alert.id
    );
    let plain = get(&url).await;
    assert_eq!(plain.body["status"], "unknownFutureValue");
    assert_eq!(plain.body["severity"], "unknownFutureValue");
    let opted = get_with(&url, &[("Prefer", "include-unknown-enum-members")]).await;
    assert_eq!(opted.body["status"], "escalated");
    assert_eq!(opted.body["severity"], "catastrophic");

    // Filters see the same thing.
    let f = alerts_url(&emulator, &[("$filter", "status eq 'unknownFutureValue'")]);
    assert_eq!(
        ids(get(&f).await.body["value"].as_array().unwrap()),
        [alert.id.to_string()]
    );
    let f = alerts_url(&emulator, &[("$filter", "status eq 'escalated'")]);
    graph_error(&get(&f).await, StatusCode::BAD_REQUEST, "BadRequest");
    let got = get_with(&f, &[("Prefer", "include-unknown-enum-members")]).await;
    assert_eq!(
        ids(got.body["value"].as_array().unwrap()),
        [alert.id.to_string()]
    );
}

#[tokio::test]
async fn batch_routes_each_request() {
    let emulator = start(10).await;
    let a = emulator.alerts()[0].id.clone();
    let base = "/security/partner/securityAlerts";
    let body = json!({"requests": [
        {"id": "1", "method": "PATCH", "url": format!("{base}/{a}"),
         "headers": {"Content-Type": "application/json"},
         "body": {"status": "resolved", "resolvedReason": "legitimate"}},
        {"id": "2", "dependsOn": ["1"], "method": "GET", "url": format!("{base}/{a}?$select=status")},
        {"id": "3", "method": "GET", "url": format!("{base}/00000000-0000-0000-0000-000000000000")},
        {"id": "4", "dependsOn": ["3"], "method": "GET", "url": format!("{base}/{a}")},
        {"id": "5", "method": "GET", "url": format!("{base}?$top=2&$filter=isTest eq false")},
        {"id": "6", "method": "PATCH", "url": format!("{base}/{a}"),
         "headers": {"content-type": "text/plain"}, "body": {"status": "active"}},
    ]});
    let got = post_with(&format!("{}/$batch", emulator.graph_base_url()), &body, &[]).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let responses = got.body["responses"].as_array().unwrap();
    let by_id = |id: &str| responses.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("1")["body"]["resolvedReason"], "legitimate");
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(by_id("2")["body"]["status"], "resolved");
    assert_eq!(by_id("3")["status"], 404);
    assert_eq!(by_id("3")["body"]["error"]["code"], "itemNotFound");
    assert_eq!(by_id("4")["status"], 424);
    assert_eq!(by_id("5")["body"]["value"].as_array().unwrap().len(), 2);
    assert!(
        by_id("5")["body"]["@odata.nextLink"]
            .as_str()
            .unwrap()
            .starts_with("http://")
    );
    assert_eq!(by_id("6")["status"], 415, "a JSON Content-Type");
    assert_eq!(by_id("6")["body"]["error"]["code"], "UnsupportedMediaType");
    assert_eq!(
        by_id("1")["headers"]["Content-Type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        emulator.alert(&a).unwrap().status,
        Some(AlertStatus::Resolved)
    );
    assert_eq!(emulator.stats().batch_items, 6);

    // Malformed batches fail whole.
    let url = format!("{}/$batch", emulator.graph_base_url());
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": base}))
        .collect();
    for bad in [
        json!({"requests": many}),
        json!({"requests": []}),
        json!({"requests": [{"id": "1", "method": "GET", "url": base}, {"id": "1", "method": "GET", "url": base}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": base, "dependsOn": ["9"]}]}),
        json!({"requests": [{"method": "GET", "url": base}]}),
        json!({"nothing": true}),
        // A body needs headers with a Content-Type (reference 3.17): the batch is malformed.
        json!({"requests": [{"id": "1", "method": "PATCH", "url": format!("{base}/{a}"),
                             "body": {"status": "active"}}]}),
        json!({"requests": [{"id": "1", "method": "PATCH", "url": format!("{base}/{a}"),
                             "headers": {"Accept": "application/json"},
                             "body": {"status": "active"}}]}),
    ] {
        graph_error(
            &post_with(&url, &bad, &[]).await,
            StatusCode::BAD_REQUEST,
            "BadRequest",
        );
    }
    assert_eq!(
        emulator.alert(&a).unwrap().status,
        Some(AlertStatus::Resolved),
        "nothing in a refused batch runs"
    );
}

#[tokio::test]
async fn unknown_paths_and_methods_are_graph_errors() {
    let emulator = start(2).await;
    let got = get(&format!(
        "{}/security/partner/nothing",
        emulator.graph_base_url()
    ))
    .await;
    let message = graph_error(&got, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(message.contains("nothing"));
    let res = client()
        .delete(alerts_url(&emulator, &[]))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    let got = read(res).await;
    graph_error(&got, StatusCode::METHOD_NOT_ALLOWED, "notAllowed");
    assert_eq!(got.header("allow"), Some("GET"));
    let res = client()
        .put(format!(
            "{}/security/partner/securityAlerts/x",
            emulator.graph_base_url()
        ))
        .bearer_auth("t")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let got = read(res).await;
    graph_error(&got, StatusCode::METHOD_NOT_ALLOWED, "notAllowed");
    assert_eq!(got.header("allow"), Some("GET, PATCH"));
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Sends `body` as is, with the given headers and a bearer token.
async fn send_raw(
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Got {
    let mut req = client().request(method, url).bearer_auth("t").body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.send().await.expect("the request is answered")).await
}

const JSON: (&str, &str) = ("Content-Type", "application/json");
const GZIP: (&str, &str) = ("Content-Encoding", "gzip");

#[tokio::test]
async fn gzip_request_bodies_are_decoded() {
    let emulator = start(5).await;
    let id = emulator.alerts()[0].id.clone();
    let url = format!(
        "{}/security/partner/securityAlerts/{id}",
        emulator.graph_base_url()
    );
    let body = gzip(br#"{"status":"resolved","resolvedReason":"fraud"}"#);
    let got = send_raw(reqwest::Method::PATCH, &url, &[JSON, GZIP], body).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["resolvedReason"], "fraud");
    assert_eq!(
        emulator.alert(&id).unwrap().status,
        Some(AlertStatus::Resolved)
    );

    // $batch, compressed twice over (codings undone last first), with a charset.
    let batch = json!({"requests": [{"id": "1", "method": "PATCH",
        "url": format!("/security/partner/securityAlerts/{id}"),
        "headers": {"Content-Type": "application/json"}, "body": {"status": "investigating"}}]});
    let body = gzip(&gzip(&serde_json::to_vec(&batch).unwrap()));
    let got = send_raw(
        reqwest::Method::POST,
        &format!("{}/$batch", emulator.graph_base_url()),
        &[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Encoding", "gzip, identity, X-GZIP"),
        ],
        body,
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["responses"][0]["status"], 200);
    assert_eq!(
        emulator.alert(&id).unwrap().status,
        Some(AlertStatus::Investigating)
    );
}

#[tokio::test]
async fn unusable_bodies_are_graph_errors() {
    let emulator = start(5).await;
    let id = emulator.alerts()[0].id.clone();
    let url = format!(
        "{}/security/partner/securityAlerts/{id}",
        emulator.graph_base_url()
    );
    let before = emulator.alert(&id);
    let patch_body = br#"{"status":"resolved"}"#.to_vec();
    let huge = vec![b' '; 3 * 1024 * 1024];
    // Headers, body, the status and code expected.
    type Case = (
        Vec<(&'static str, &'static str)>,
        Vec<u8>,
        StatusCode,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        (
            vec![JSON, ("Content-Encoding", "br")],
            patch_body.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
        (
            vec![JSON, ("Content-Encoding", "gzip, deflate")],
            gzip(&patch_body),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
        (
            vec![("Content-Type", "text/plain")],
            patch_body.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
        (
            vec![JSON, GZIP],
            patch_body.clone(),
            StatusCode::BAD_REQUEST,
            "BadRequest",
        ),
        (
            vec![JSON],
            b"{\"status\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "BadRequest",
        ),
        // A small body that inflates past the limit.
        (
            vec![JSON, GZIP],
            gzip(&huge),
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
        ),
    ];
    for (headers, body, status, code) in cases {
        let got = send_raw(reqwest::Method::PATCH, &url, &headers, body).await;
        let message = graph_error(&got, status, code);
        assert!(!message.is_empty(), "{headers:?}");
        assert!(
            got.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
    }
    assert_eq!(emulator.alert(&id), before, "nothing changed");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_graph_413() {
    let emulator = start(2).await;
    let url = format!("{}/$batch", emulator.graph_base_url());
    // Just over axum's 2 MiB limit, which rejected it with a plain-text 413.
    let body = vec![b' '; 2 * 1024 * 1024 + 1];
    let got = send_raw(reqwest::Method::POST, &url, &[JSON], body).await;
    graph_error(&got, StatusCode::PAYLOAD_TOO_LARGE, "RequestEntityTooLarge");
}
