//! Nothing lost: a value the service sends is never a reason to lose an alert, a page or a
//! listing. Each test reproduces a loss measured on an earlier release (httpmock, loopback).

use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::{AlertQuery, Error, FraudEventsClient, GraphClient};
use serde_json::{Value, json};

const PATH: &str = "/beta/security/partner/securityAlerts";

/// The odd values measured on Graph pages: each once ended a listing for good.
const GRAPH_ODD: &[(&str, &str)] = &[
    ("detectedDateTime", r#""23/01/2024 16:03""#),
    ("isTest", r#""yes""#),
    ("severity", "42"),
    ("affectedResources", r#""see portal""#),
    ("additionalDetails", "[1,2]"),
    ("activityLogs", r#"{"statusFrom":"active"}"#),
    ("lastObservedDateTime", r#""""#),
];

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
            when.method(GET).path(PATH).query_param_missing("$skiptoken");
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
            when.method(GET).path(PATH).query_param_missing("$skiptoken");
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
                let Error::Decode(d) = &e else { panic!("{e:?}") };
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
    let Error::Decode(d) = &err else { panic!("{err:?}") };
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
            json!("[{\"statusFrom\":\"Active\",\"statusTo\":\"Investigating\",\"updatedBy\":admin@contoso.example}]"),
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
        listed[0].unparsed.iter().map(|u| u.field()).collect::<Vec<_>>(),
        ["activityLogs"]
    );
    assert_eq!(listed[0].activity_logs, None);
    assert_eq!(
        listed[1].unparsed.iter().map(|u| u.field()).collect::<Vec<_>>(),
        ["hitCount"]
    );
    assert_eq!(listed[1].unparsed.get("hitCount"), Some(&json!("n/a")));
}
