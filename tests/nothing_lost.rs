//! Nothing lost: a value the service sends is never a reason to lose an alert, a page or a
//! listing. Each test reproduces a loss measured on an earlier release (httpmock, loopback).

mod support;

use support::sleep::NoSleep;

use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::{AlertQuery, Error, FraudEventsClient, GraphClient};
use serde_json::{Value, json};

const PATH: &str = "/beta/security/partner/securityAlerts";

/// The odd values measured on Graph pages (each once ended a listing for good): the
/// emulator's list, served here by httpmock.
const GRAPH_ODD: &[(&str, &str)] = partner_alerts_emulator::GRAPH_ODD_VALUES;

fn graph_alert(n: usize) -> Value {
    json!({
        "id": format!("d8b202fc-a216-3404-69ef-{n:012}"),
        "status": "active",
        "severity": "high",
        "alertType": "networkConnectionsToCryptoMiningPools",
        "detectedDateTime": "2024-01-23T16:03:33.05Z",
        "isTest": false,
        "affectedResources": [{"resourceId": "/subscriptions/x", "resourceType": "AzureResource"}],
        "additionalDetails": {"VM_IP": "[\"13.89.185.189\"]"},
        "activityLogs": [],
    })
}

fn graph_client(server: &MockServer) -> GraphClient {
    GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new("t"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn odd_values_on_a_graph_page_cost_no_alert() {
    let server = MockServer::start_async().await;
    // 2,000 alerts on one page, every one with one odd value, then a second page.
    let mut alerts: Vec<Value> = (0..2000).map(graph_alert).collect();
    for (i, a) in alerts.iter_mut().enumerate() {
        let (key, raw) = GRAPH_ODD[i % GRAPH_ODD.len()];
        a[key] = serde_json::from_str(raw).unwrap();
    }
    let next = server.url(format!("{PATH}?$skiptoken=2"));
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param_missing("$skiptoken");
            then.status(200)
                .json_body(json!({"value": alerts, "@odata.nextLink": next}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).query_param("$skiptoken", "2");
            then.status(200)
                .json_body(json!({"value": [graph_alert(2000), graph_alert(2001)]}));
        })
        .await;
    let listed = graph_client(&server)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .expect("odd values end no listing");
    assert_eq!(listed.len(), 2002);
    for (i, a) in listed.iter().take(2000).enumerate() {
        let (key, raw) = GRAPH_ODD[i % GRAPH_ODD.len()];
        if key == "lastObservedDateTime" {
            // "" is Graph's null for a date: absent, nothing to keep.
            assert!(a.unparsed.is_empty(), "{:?}", a.unparsed);
            assert_eq!(a.last_observed_date_time, None);
            continue;
        }
        let kept: Vec<_> = a.unparsed.iter().map(|u| u.field()).collect();
        assert_eq!(kept, [key], "alert {i}");
        assert_eq!(
            a.unparsed.get(key),
            Some(&serde_json::from_str::<Value>(raw).unwrap())
        );
        // The rest of the alert is there.
        assert_eq!(a.status.as_ref().map(|s| s.as_str()), Some("active"));
        // Serialising writes the value back as it came, so nothing is lost on a round trip.
        let written = serde_json::to_value(a).unwrap();
        assert_eq!(written[key], serde_json::from_str::<Value>(raw).unwrap());
    }
    assert!(listed[2000].unparsed.is_empty());
}

#[tokio::test]
async fn an_item_that_is_no_alert_is_reported_and_the_listing_goes_on() {
    let server = MockServer::start_async().await;
    let next = server.url(format!("{PATH}?$skiptoken=2"));
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param_missing("$skiptoken");
            then.status(200).header("request-id", "rid-1").json_body(json!({
                "value": [graph_alert(1), 7, {"status": "active"}, {"id": "a/b"}, graph_alert(2)],
                "@odata.nextLink": next
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).query_param("$skiptoken", "2");
            then.status(200)
                .json_body(json!({"value": [graph_alert(3)]}));
        })
        .await;
    let mut pager = graph_client(&server).list(&AlertQuery::new());
    let mut seen = Vec::new();
    while let Some(item) = futures::StreamExt::next(&mut pager).await {
        match item {
            Ok(a) => seen.push(a.id.to_string()),
            Err(e) => {
                assert!(e.is_item_error(), "{e:?}");
                let Error::Decode(d) = &e else {
                    panic!("{e:?}")
                };
                assert_eq!(e.request_id().as_deref(), Some("rid-1"));
                seen.push(format!("item {}", d.item_index().unwrap()));
                // No body bytes in what is shown.
                assert!(!e.to_string().contains("a/b"), "{e}");
            }
        }
    }
    assert_eq!(
        seen,
        [
            "d8b202fc-a216-3404-69ef-000000000001",
            "item 1",
            "item 2",
            "item 3",
            "d8b202fc-a216-3404-69ef-000000000002",
            "d8b202fc-a216-3404-69ef-000000000003",
        ]
    );
}

#[tokio::test]
async fn a_decode_error_shows_no_body_bytes() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200)
                .body(r#"{"value": [{"id": "a", "resolvedBy": "jane@contoso.com"}], "@odata.count": "many"}"#);
        })
        .await;
    let err = graph_client(&server)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    let shown = err.to_string();
    assert!(!shown.contains("jane"), "{shown}");
    assert!(!shown.contains("many"), "{shown}");
    assert!(shown.contains(&format!("byte {}", d.offset())), "{shown}");
    assert!(shown.contains("@odata.count"), "the path: {shown}");
    // The excerpt is there for whoever asks for it.
    assert!(d.excerpt().contains("many"), "{}", d.excerpt());
}

fn fraud_event(n: usize) -> Value {
    let sub = "2a7064fb-1e33-4007-974e-352cb3f2c805";
    json!({
        "eventTime": "2021-12-08T00:25:45.69",
        "eventId": format!("{sub}_{n:08}-766f-4209-9271-3ddf27755afa"),
        "subscriptionId": sub,
        "hitCount": "10",
        "eventStatus": "Active",
        "resolvedReason": "None",
        "resolvedOn": "9999-12-31T23:59:59.9970000",
        "resolvedBy": "",
        "eventType": "NetworkConnectionsToCryptoMiningPools",
        "severity": "Medium",
        "IsTest": "false",
        "activityLogs": "[]"
    })
}

#[tokio::test]
async fn odd_values_on_a_fraud_events_page_cost_no_event() {
    let server = MockServer::start_async().await;
    let odd: [(&str, Value); 3] = [
        // As section 4.5 of the reference prints it: not JSON inside the string.
        (
            "activityLogs",
            json!(
                "[{\"statusFrom\":\"Active\",\"statusTo\":\"Investigating\",\"updatedBy\":admin@contoso.example}]"
            ),
        ),
        ("hitCount", json!("n/a")),
        ("IsTest", json!("1")),
    ];
    let mut events: Vec<Value> = (0..30).map(fraud_event).collect();
    for (i, e) in events.iter_mut().enumerate() {
        let (key, v) = &odd[i % odd.len()];
        e[*key] = v.clone();
    }
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/fraudEvents");
            then.status(200).json_body(Value::Array(events));
        })
        .await;
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new("t"))
        .page_size(None)
        .build()
        .unwrap();
    let listed = client
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .expect("odd values end no listing");
    assert_eq!(listed.len(), 30);
    // `IsTest: "1"` is a boolean Partner Center spells as a digit: read, not dropped.
    assert!(listed[2].unparsed.is_empty(), "{:?}", listed[2].unparsed);
    assert_eq!(listed[2].is_test, Some(true));
    assert_eq!(
        listed[0]
            .unparsed
            .iter()
            .map(|u| u.field())
            .collect::<Vec<_>>(),
        ["activityLogs"]
    );
    assert_eq!(listed[0].activity_logs, None);
    assert_eq!(
        listed[1]
            .unparsed
            .iter()
            .map(|u| u.field())
            .collect::<Vec<_>>(),
        ["hitCount"]
    );
    assert_eq!(listed[1].unparsed.get("hitCount"), Some(&json!("n/a")));
}

// Throttling and time limits.

use std::sync::Arc;
use std::time::Duration;

use httpmock::Method::{PATCH, POST};
use partner_alerts::auth::{AccessToken, Scope, TokenProvider};
use partner_alerts::error::AuthError;
use partner_alerts::http::RetryPolicy;
use partner_alerts::{
    AlertId, AlertSource, AlertType, Filter, ResolvedReason, StatusUpdate, UpdateTarget,
};

fn graph_with(server: &MockServer, sleep: Arc<NoSleep>, retry: RetryPolicy) -> GraphClient {
    GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new("t"))
        .sleep(sleep)
        .retry(retry)
        .build()
        .unwrap()
}

#[tokio::test]
async fn retry_after_zero_still_waits_the_backoff() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(429).header("retry-after", "0");
        })
        .await;
    let sleep = Arc::new(NoSleep::default());
    let policy = RetryPolicy::standard()
        .max_attempts(3)
        .backoff(Duration::from_millis(400), Duration::from_secs(5));
    let err = graph_with(&server, sleep.clone(), policy)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert_eq!(throttled.calls_async().await, 3);
    let waits = sleep.0.lock().unwrap().clone();
    assert_eq!(waits.len(), 2);
    // Half of the backoff is jitter: at least 200 ms, then 400 ms.
    assert!(waits[0] >= Duration::from_millis(200), "{waits:?}");
    assert!(waits[1] >= Duration::from_millis(400), "{waits:?}");
}

#[tokio::test]
async fn reads_retry_500_and_502_writes_do_not() {
    let server = MockServer::start_async().await;
    for status in [500, 502] {
        let failing = server
            .mock_async(|when, then| {
                when.method(GET).path(PATH);
                then.status(status);
            })
            .await;
        let sleep = Arc::new(NoSleep::default());
        let client = graph_with(&server, sleep, RetryPolicy::standard().max_attempts(2));
        let err = client
            .list(&AlertQuery::new())
            .try_collect()
            .await
            .unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert_eq!(failing.calls_async().await, 2, "{status}: retried once");
        failing.delete_async().await;
    }
    let patch = server
        .mock_async(|when, then| {
            when.method(PATCH).path_includes("securityAlerts/");
            then.status(500);
        })
        .await;
    let client = graph_with(
        &server,
        Arc::new(NoSleep::default()),
        RetryPolicy::standard(),
    );
    let id = AlertId::new("a1").unwrap();
    let err = client
        .update_alert(&id, &StatusUpdate::investigating())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(
        patch.calls_async().await,
        1,
        "a write is never repeated on 500"
    );
}

/// A provider that never answers.
#[derive(Debug)]
struct Hangs;

#[async_trait::async_trait]
impl TokenProvider for Hangs {
    async fn token(&self, _: &Scope) -> Result<AccessToken, AuthError> {
        futures::future::pending().await
    }
}

#[tokio::test]
async fn a_hanging_token_provider_fails_the_call_within_its_budget() {
    let server = MockServer::start_async().await;
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(Hangs)
        .timeouts(partner_alerts::http::Timeouts::default().operation(Duration::from_millis(200)))
        .build()
        .unwrap();
    let err = tokio::time::timeout(
        Duration::from_secs(30),
        client.get(&AlertId::new("a1").unwrap()),
    )
    .await
    .expect("the client does not stall")
    .unwrap_err();
    assert!(matches!(err, Error::Timeout(_)), "{err:?}");
    assert!(!err.is_outcome_unknown(), "nothing was sent");
}

#[tokio::test]
async fn an_update_report_has_three_outcomes() {
    let server = MockServer::start_async().await;
    // One $batch: "applied" answered 200, "refused" 404, "lost" missing from the answer.
    server
        .mock_async(|when, then| {
            when.method(POST).path("/beta/$batch");
            then.status(200).json_body(json!({"responses": [
                {"id": "1", "status": 404,
                 "headers": {"request-id": "sub-404", "Content-Type": "application/json"},
                 "body": {"error": {"code": "itemNotFound", "message": "no"}}},
                {"id": "0", "status": 200, "headers": {},
                 "body": {"id": "applied", "status": "resolved"}}
            ]}));
        })
        .await;
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new("t"))
        .sleep(Arc::new(NoSleep::default()))
        .retry(RetryPolicy::standard().max_attempts(1))
        .build()
        .unwrap();
    let targets: Vec<UpdateTarget> = ["applied", "refused", "lost"]
        .into_iter()
        .map(|id| AlertId::new(id).unwrap().into())
        .collect();
    let report = AlertSource::update_alerts(
        &client,
        &targets,
        &StatusUpdate::resolved(ResolvedReason::Legitimate),
    )
    .await
    .unwrap();
    let ids = |it: Vec<&AlertId>| it.into_iter().map(|i| i.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(report.succeeded_ids().collect()), ["applied"]);
    assert_eq!(
        report.succeeded[0].1.as_ref().map(|a| a.status.clone()),
        Some(Some(partner_alerts::AlertStatus::Resolved))
    );
    assert_eq!(ids(report.failed_ids().collect()), ["refused"]);
    assert!(matches!(&*report.failed[0].1, Error::NotFound(_)));
    assert_eq!(report.failed[0].1.request_id().as_deref(), Some("sub-404"));
    assert_eq!(ids(report.unconfirmed_ids().collect()), ["lost"]);
    assert!(!report.is_complete());
    assert_eq!(report.len(), 3);
}

#[tokio::test]
async fn a_lost_batch_answer_leaves_each_of_its_alerts_unconfirmed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/beta/$batch");
            then.status(200)
                .delay(Duration::from_secs(3))
                .json_body(json!({"responses": []}));
        })
        .await;
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new("t"))
        .sleep(Arc::new(NoSleep::default()))
        .retry(RetryPolicy::standard().max_attempts(1))
        .timeouts(partner_alerts::http::Timeouts::default().per_attempt(Duration::from_millis(300)))
        .build()
        .unwrap();
    let targets: Vec<UpdateTarget> = (0..25)
        .map(|n| AlertId::new(format!("a{n}")).unwrap().into())
        .collect();
    let report = AlertSource::update_alerts(
        &client,
        &targets,
        &StatusUpdate::resolved(ResolvedReason::Ignore),
    )
    .await
    .unwrap();
    assert_eq!(report.unconfirmed.len(), 25, "{report:?}");
    assert!(matches!(&*report.unconfirmed[0].1, Error::Timeout(_)));
    assert!(report.succeeded.is_empty() && report.failed.is_empty());
}

const SUB: &str = "2a7064fb-1e33-4007-974e-352cb3f2c805";

fn pc_client(server: &MockServer) -> FraudEventsClient {
    FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new("t"))
        .sleep(Arc::new(NoSleep::default()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn partner_center_status_answers_are_matched_case_insensitively_and_an_empty_one_confirms_nothing()
 {
    let server = MockServer::start_async().await;
    let (a, b) = (
        format!("{SUB}_0000000a-766f-4209-9271-3ddf27755afa"),
        format!("{SUB}_0000000b-766f-4209-9271-3ddf27755afa"),
    );
    let mut returned = fraud_event(1);
    returned["eventId"] = json!(a.to_uppercase());
    returned["eventStatus"] = json!("Resolved");
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/fraudEvents/subscription/{SUB}/status"));
            then.status(200).json_body(json!([returned]));
        })
        .await;
    let targets: Vec<UpdateTarget> = [&a, &b]
        .into_iter()
        .map(|id| AlertId::new(id).unwrap().into())
        .collect();
    let update = StatusUpdate::resolved(ResolvedReason::Fraud);
    let client = pc_client(&server);
    let report = AlertSource::update_alerts(&client, &targets, &update)
        .await
        .unwrap();
    assert_eq!(report.succeeded.len(), 1, "{report:?}");
    assert_eq!(report.succeeded[0].0.as_str(), a);
    assert_eq!(report.unconfirmed.len(), 1);
    assert_eq!(report.unconfirmed[0].0.as_str(), b);
    assert!(report.failed.is_empty());

    post.delete_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/fraudEvents/subscription/{SUB}/status"));
            then.status(200);
        })
        .await;
    let report = AlertSource::update_alerts(&client, &targets, &update)
        .await
        .unwrap();
    assert_eq!(report.unconfirmed.len(), 2, "{report:?}");
    assert!(report.failed.is_empty() && report.succeeded.is_empty());
}

#[tokio::test]
async fn partner_center_gets_only_what_it_documents() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!([]));
        })
        .await;
    let client = pc_client(&server);
    let target: UpdateTarget = AlertId::new(format!("{SUB}_0000000a-766f-4209-9271-3ddf27755afa"))
        .unwrap()
        .into();
    let err = AlertSource::update_alerts(
        &client,
        &[target],
        &StatusUpdate::resolved(ResolvedReason::Legitimate),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert!(err.to_string().contains("Graph"), "{err}");
    assert_eq!(any.calls_async().await, 0, "nothing sent");
    assert!(
        !client
            .capabilities()
            .accepts_reason(&ResolvedReason::Legitimate)
    );
    assert!(
        client
            .capabilities()
            .accepts_reason(&ResolvedReason::Ignore)
    );

    any.delete_async().await;
    // A type Partner Center does not document for EventType is matched on each event.
    let listed = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param_missing("EventType");
            then.status(200).json_body(json!([]));
        })
        .await;
    let q = AlertQuery::new().filter(Filter::alert_type().eq(AlertType::CRYPTO_MINING));
    client.list(&q).try_collect().await.unwrap();
    assert_eq!(listed.calls_async().await, 1);
}
