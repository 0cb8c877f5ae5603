//! The FraudEvents client against httpmock on loopback: requests as the reference shows them,
//! both response shapes, paging, the status POST, errors with Partner Center's ids.

use std::sync::Arc;

use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::{
    AlertId, AlertQuery, AlertSource, AlertStatus, AlertType, Continuation, Error, Field, Filter,
    FraudEventsClient, ResolvedReason, Severity, StatusUpdate, SubscriptionId, UpdateTarget,
};
use serde_json::{Value, json};

const TOKEN: &str = "pc-token-xyz";
const SUB_A: &str = "2a7064fb-1e33-4007-974e-352cb3f2c805";
const SUB_B: &str = "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398";

fn event(sub: &str, n: u32, status: &str, severity: &str) -> Value {
    json!({
        "eventTime": "2021-12-08T00:25:45.69",
        "eventId": format!("{sub}_0000000{n}-766f-4209-9271-3ddf27755afa"),
        "customerTenantId": "a248da34-6840-4c67-82d7-7f55ccd50d03",
        "subscriptionId": sub,
        "hitCount": "10",
        "eventStatus": status,
        "resolvedReason": "None",
        "resolvedOn": "9999-12-31T23:59:59.9970000",
        "resolvedBy": "",
        "firstObserved": "9999-12-31T23:59:59.9970000",
        "lastObserved": "9999-12-31T23:59:59.9970000",
        "firstOccurrence": "2021-12-08T00:25:45.69",
        "lastOccurrence": "2021-12-08T01:25:45.69",
        "eventType": "NetworkConnectionsToCryptoMiningPools",
        "severity": severity,
        "confidenceLevel": "high",
        "displayName": "Crypto mining",
        "IsTest": "false",
        "activityLogs": "[]"
    })
}

fn client(server: &MockServer) -> FraudEventsClient {
    FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .build()
        .unwrap()
}

#[tokio::test]
async fn lists_with_the_new_model_header_pages_to_a_short_page_then_reads_the_list_again() {
    let server = MockServer::start_async().await;
    let page1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("EventStatus", "Active")
                .query_param("SubscriptionId", SUB_A)
                .query_param("EventType", "NetworkConnectionsToCryptoMiningPools")
                .query_param("PageSize", "2")
                .query_param("PageNumber", "1")
                .header("x-neweventsmodel", "true")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header_exists("ms-requestid")
                .header_exists("ms-correlationid");
            then.status(200).json_body(json!([
                event(SUB_A, 1, "Active", "High"),
                event(SUB_A, 2, "Active", "Low")
            ]));
        })
        .await;
    let page2 = server
        .mock_async(|when, then| {
            // Every page carries the whole query and the same headers.
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("EventStatus", "Active")
                .query_param("SubscriptionId", SUB_A)
                .query_param("EventType", "NetworkConnectionsToCryptoMiningPools")
                .query_param("PageSize", "2")
                .query_param("PageNumber", "2")
                .header("x-neweventsmodel", "true")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header_exists("ms-requestid");
            then.status(200)
                .json_body(json!([event(SUB_A, 3, "Active", "High")]));
        })
        .await;
    let page3 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "3");
            then.status(200).json_body(json!([]));
        })
        .await;
    let query = AlertQuery::new()
        .filter(
            Filter::status()
                .eq(AlertStatus::Active)
                .and(Filter::subscription_id().eq(SubscriptionId::new(SUB_A).unwrap()))
                .and(Filter::alert_type().eq(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS))
                // Partner Center cannot filter on severity: the client does.
                .and(Filter::severity().eq(Severity::High)),
        )
        .top(2);
    let alerts = client(&server).list(&query).try_collect().await.unwrap();
    assert_eq!(
        alerts.len(),
        2,
        "the low-severity event is filtered client-side"
    );
    assert!(alerts.iter().all(|a| a.severity == Some(Severity::High)));
    let a = &alerts[0];
    assert_eq!(
        a.alert_type.as_ref().unwrap().as_str(),
        "networkConnectionsToCryptoMiningPools"
    );
    assert_eq!(a.status, Some(AlertStatus::Active));
    assert_eq!(a.resolved_on_date_time, None);
    assert_eq!(a.resolved_reason, None);
    assert_eq!(a.is_test, Some(false));
    // firstObserved is the sentinel: firstOccurrence stands in.
    assert_eq!(
        a.first_observed_date_time.unwrap().to_rfc3339(),
        "2021-12-08T00:25:45.690+00:00"
    );
    // Two pages: the list may have shifted under the listing, so a second pass reads it
    // again and finds nothing new.
    // A short page 2, then an empty page 3 ends the pass (a short page alone never does).
    assert_eq!(page1.calls_async().await, 2);
    assert_eq!(page2.calls_async().await, 2);
    assert_eq!(page3.calls_async().await, 2);
}

#[tokio::test]
async fn an_empty_page_ends_the_listing() {
    let server = MockServer::start_async().await;
    let full = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "1");
            then.status(200).json_body(json!([
                event(SUB_A, 1, "Active", "High"),
                event(SUB_A, 2, "Active", "High")
            ]));
        })
        .await;
    let empty = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "2");
            then.status(200).json_body(json!([]));
        })
        .await;
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .page_size(Some(2))
        .build()
        .unwrap();
    let alerts = client.list(&AlertQuery::new()).try_collect().await.unwrap();
    assert_eq!(alerts.len(), 2);
    assert_eq!(
        (full.calls_async().await, empty.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn a_server_repeating_a_page_is_a_paging_loop() {
    let server = MockServer::start_async().await;
    let same = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/fraudEvents");
            then.status(200)
                .json_body(json!([event(SUB_A, 1, "Active", "High")]));
        })
        .await;
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .page_size(Some(1))
        .prefetch(false)
        .build()
        .unwrap();
    let mut pager = client.list(&AlertQuery::new());
    assert!(pager.try_next().await.unwrap().is_some());
    let err = pager.try_next().await.unwrap_err();
    assert!(err.to_string().contains("paging loop"), "{err}");
    assert_eq!(same.calls_async().await, 2);
}

#[tokio::test]
async fn a_server_that_never_ends_hits_the_page_cap() {
    let server = MockServer::start_async().await;
    let mut mocks = Vec::new();
    for n in 1..=6u32 {
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method(GET)
                        .path("/v1/fraudEvents")
                        .query_param("PageNumber", n.to_string());
                    then.status(200)
                        .json_body(json!([event(SUB_A, n, "Active", "High")]));
                })
                .await,
        );
    }
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .page_size(Some(1))
        .max_pages(5)
        .build()
        .unwrap();
    let mut pager = client.list(&AlertQuery::new());
    let mut read = 0;
    let err = loop {
        match pager.try_next().await {
            Ok(Some(_)) => read += 1,
            Ok(None) => panic!("the listing ended without hitting the cap"),
            Err(e) => break e,
        }
    };
    assert_eq!(read, 5, "every page up to the cap is yielded");
    assert!(err.to_string().contains("passed 5 pages"), "{err}");
    assert_eq!(
        mocks[5].calls_async().await,
        0,
        "the page past the cap is never requested"
    );
}

#[tokio::test]
async fn the_legacy_model_sends_no_header_and_reads_one_array() {
    let server = MockServer::start_async().await;
    let legacy = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .header_missing("x-neweventsmodel")
                .query_param_missing("PageSize")
                .query_param_missing("EventType");
            then.status(200)
                .body(include_str!("../testdata/fraud_events_legacy.json"));
        })
        .await;
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .new_events_model(false)
        .build()
        .unwrap();
    // Legacy events carry no type: a filter on it would silently match nothing.
    let q = AlertQuery::new().filter(Filter::alert_type().eq(AlertType::CRYPTO_MINING));
    let e = client.list(&q).try_collect().await.unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("alertType"), "{e}");
    assert_eq!(legacy.calls_async().await, 0);

    let q = AlertQuery::new().filter(Filter::status().eq(AlertStatus::Active));
    let all = client.list(&q).try_collect().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].id.as_str(),
        "2a7064fb-1e33-4007-974e-352cb3f2c805_2edeb5b1-766f-4209-9271-3ddf27755afa"
    );
    assert_eq!(all[0].status, Some(AlertStatus::Active));
    assert_eq!(legacy.calls_async().await, 1);
}

#[tokio::test]
async fn an_unknown_alert_type_is_matched_client_side_not_sent() {
    let server = MockServer::start_async().await;
    let mut novel = event(SUB_A, 2, "Active", "High");
    novel["eventType"] = json!("QuantumMining");
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param_missing("EventType");
            then.status(200)
                .json_body(json!([event(SUB_A, 1, "Active", "High"), novel]));
        })
        .await;
    let q = AlertQuery::new().filter(Filter::alert_type().eq(AlertType::new("quantumMining")));
    let alerts = client(&server).list(&q).try_collect().await.unwrap();
    // A short first page is followed by one at the size served; this mock ignores paging
    // and repeats itself, which ends the listing.
    assert_eq!(list.calls_async().await, 2);
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].alert_type.as_ref().unwrap().as_str(),
        "QuantumMining"
    );
}

#[tokio::test]
async fn a_listing_resumes_from_a_saved_continuation() {
    let server = MockServer::start_async().await;
    let page1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "1");
            then.status(200).json_body(json!([
                event(SUB_A, 1, "Active", "High"),
                event(SUB_A, 2, "Active", "High")
            ]));
        })
        .await;
    let page2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("EventStatus", "Active")
                .query_param("PageSize", "2")
                .query_param("PageNumber", "2");
            then.status(200)
                .json_body(json!([event(SUB_A, 3, "Active", "High")]));
        })
        .await;
    // A short page alone never ends a listing: an empty one does.
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "3");
            then.status(200).json_body(json!([]));
        })
        .await;
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .page_size(Some(2))
        .prefetch(false)
        .build()
        .unwrap();
    let q = AlertQuery::new().filter(Filter::status().eq(AlertStatus::Active));
    let mut pages = client.list(&q).pages();
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(first.items().len(), 2);
    // Saved as JSON across a restart.
    let saved = serde_json::to_string(first.next().unwrap()).unwrap();
    drop(pages);

    let at: Continuation = serde_json::from_str(&saved).unwrap();
    // The continuation carries the query: the rest is still filtered.
    let rest = client.resume(at).try_collect().await.unwrap();
    let ids: Vec<&str> = rest.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [format!("{SUB_A}_00000003-766f-4209-9271-3ddf27755afa")]
    );
    assert_eq!(
        (page1.calls_async().await, page2.calls_async().await),
        (1, 1)
    );

    // A Graph listing's continuation is refused with nothing sent.
    let graph: Continuation = serde_json::from_value(
        json!({"api": "graph", "url": "https://graph.microsoft.com/beta/x"}),
    )
    .unwrap();
    let e = client.resume(graph).try_collect().await.unwrap_err();
    assert!(e.is_invalid_input(), "{e:?}");
    assert_eq!(
        (page1.calls_async().await, page2.calls_async().await),
        (1, 1)
    );
}

#[tokio::test]
async fn select_is_applied_client_side_and_raw_filters_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/fraudEvents");
            then.status(200)
                .json_body(json!([event(SUB_A, 1, "Active", "High")]));
        })
        .await;
    let client = client(&server);
    let alerts = client
        .list(&AlertQuery::new().select([Field::Status]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(alerts[0].status, Some(AlertStatus::Active));
    assert_eq!(alerts[0].severity, None);
    assert_eq!(alerts[0].subscription_id, None);
    assert_eq!(
        any.calls_async().await,
        2,
        "page 1, and page 2 repeating it"
    );

    let err = client
        .list(&AlertQuery::new().filter(Filter::raw("severity eq 'high'")))
        .try_collect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert_eq!(
        any.calls_async().await,
        2,
        "nothing sent for an unsupported query"
    );
}

#[tokio::test]
async fn get_lists_the_subscription_named_in_the_event_id() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("SubscriptionId", SUB_A);
            then.status(200).json_body(json!([
                event(SUB_A, 1, "Active", "High"),
                event(SUB_A, 2, "Resolved", "Low")
            ]));
        })
        .await;
    let client = client(&server);
    let id = AlertId::new(format!("{SUB_A}_00000002-766f-4209-9271-3ddf27755afa")).unwrap();
    let alert = client.get(&id).await.unwrap();
    assert_eq!(alert.status, Some(AlertStatus::Resolved));
    let missing = AlertId::new(format!("{SUB_A}_00000009-766f-4209-9271-3ddf27755afa")).unwrap();
    let err = client.get(&missing).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    // Found on page 1; not found after page 1 and a page 2 that repeats it.
    assert_eq!(m.calls_async().await, 3);
}

#[tokio::test]
async fn the_status_post_uses_pascal_case_and_returns_the_events() {
    let server = MockServer::start_async().await;
    let id = format!("{SUB_A}_00000001-766f-4209-9271-3ddf27755afa");
    let mut resolved = event(SUB_A, 1, "Resolved", "High");
    resolved["resolvedReason"] = json!("Fraud");
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/fraudEvents/subscription/{SUB_A}/status"))
                .header("content-type", "application/json")
                .header("x-neweventsmodel", "true")
                .json_body(
                    json!({"EventIds": [id], "EventStatus": "Resolved", "ResolvedReason": "Fraud"}),
                );
            then.status(200).json_body(json!([resolved]));
        })
        .await;
    let client = client(&server);
    let events = client
        .update_events(
            &SubscriptionId::new(SUB_A).unwrap(),
            &[AlertId::new(&id).unwrap()],
            &StatusUpdate::resolved(ResolvedReason::Fraud),
        )
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_status, Some(AlertStatus::Resolved));
    assert_eq!(events[0].resolved_reason, Some(ResolvedReason::Fraud));
    post.assert_async().await;
}

#[tokio::test]
async fn an_empty_id_list_is_refused_and_the_whole_subscription_call_is_explicit() {
    let server = MockServer::start_async().await;
    let all = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/fraudEvents/subscription/{SUB_A}/status"))
                .json_body(json!({"EventIds": [], "EventStatus": "Investigating"}));
            then.status(200).json_body(json!([]));
        })
        .await;
    let client = client(&server);
    let sub = SubscriptionId::new(SUB_A).unwrap();
    let err = client
        .update_events(&sub, &[], &StatusUpdate::investigating())
        .await
        .unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "event ids");
    assert_eq!(all.calls_async().await, 0);
    client
        .update_all_events_of_subscription(&sub, &StatusUpdate::investigating())
        .await
        .unwrap();
    assert_eq!(all.calls_async().await, 1);
}

#[tokio::test]
async fn updates_of_two_subscriptions_make_two_posts_and_report_per_alert() {
    let server = MockServer::start_async().await;
    let a1 = format!("{SUB_A}_00000001-766f-4209-9271-3ddf27755afa");
    let a2 = format!("{SUB_A}_00000002-766f-4209-9271-3ddf27755afa");
    let b1 = format!("{SUB_B}_00000001-766f-4209-9271-3ddf27755afa");
    let mut r1 = event(SUB_A, 1, "Resolved", "High");
    r1["resolvedReason"] = json!("Ignore");
    let mut r2 = event(SUB_A, 2, "Resolved", "High");
    r2["resolvedReason"] = json!("Ignore");
    let post_a = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/fraudEvents/subscription/{SUB_A}/status"))
                .json_body(json!({"EventIds": [a1, a2], "EventStatus": "Resolved", "ResolvedReason": "Ignore"}));
            then.status(200).json_body(json!([r1, r2]));
        })
        .await;
    let post_b = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/fraudEvents/subscription/{SUB_B}/status"));
            then.status(403)
                .header("ms-requestid", "pc-req-1")
                .header("ms-correlationid", "pc-corr-1")
                .header("ms-cv", "cv.1.2")
                .header("ms-serverid", "srv-7")
                .json_body(json!({"code": 2032, "description": "Access denied", "data": [], "source": "PartnerFD"}));
        })
        .await;
    let client = client(&server);
    let targets: Vec<UpdateTarget> = [&a1, &a2, &b1]
        .iter()
        .map(|id| AlertId::new(id).unwrap().into())
        .chain([UpdateTarget::from(
            AlertId::new("no-subscription-here").unwrap(),
        )])
        .collect();
    let report = AlertSource::update_alerts(
        &client,
        &targets,
        &StatusUpdate::resolved(ResolvedReason::Ignore),
    )
    .await
    .unwrap();
    assert_eq!(post_a.calls_async().await, 1);
    assert_eq!(post_b.calls_async().await, 1);
    let ok: Vec<&str> = report.succeeded_ids().map(AlertId::as_str).collect();
    assert_eq!(ok, [a1.as_str(), a2.as_str()]);
    assert!(!report.is_complete());
    let failed: Vec<(&str, &Error)> = report
        .failed
        .iter()
        .map(|(id, e)| (id.as_str(), e.as_ref()))
        .collect();
    assert_eq!(failed.len(), 2);
    let (no_sub, e) = failed
        .iter()
        .find(|(id, _)| *id == "no-subscription-here")
        .unwrap();
    assert_eq!(*no_sub, "no-subscription-here");
    assert!(e.is_invalid_input());
    let (_, e) = failed.iter().find(|(id, _)| *id == b1).unwrap();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
    let se = e.service_error().unwrap();
    assert_eq!(se.code.as_deref(), Some("2032"));
    assert_eq!(se.ids.request_id(), Some("pc-req-1"));
    assert_eq!(se.ids.correlation_id(), Some("pc-corr-1"));
    assert_eq!(se.ids.correlation_vector(), Some("cv.1.2"));
    assert_eq!(se.ids.server_id(), Some("srv-7"));
}

#[tokio::test]
async fn a_throttled_post_is_retried_then_reported_as_throttled() {
    let server = MockServer::start_async().await;
    let throttled = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/fraudEvents/subscription/{SUB_A}/status"));
            then.status(429)
                .header("retry-after", "0")
                .json_body(json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds."}));
        })
        .await;
    #[derive(Debug, Default)]
    struct NoSleep;
    impl partner_alerts::http::AsyncSleep for NoSleep {
        fn sleep(&self, _: std::time::Duration) -> futures::future::BoxFuture<'static, ()> {
            Box::pin(async {})
        }
    }
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .sleep(Arc::new(NoSleep))
        .build()
        .unwrap();
    let err = client
        .update_all_events_of_subscription(
            &SubscriptionId::new(SUB_A).unwrap(),
            &StatusUpdate::reactivate(),
        )
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert_eq!(err.attempts(), 4);
    assert_eq!(throttled.calls_async().await, 4);
    assert_eq!(
        err.service_error().unwrap().message.as_deref(),
        Some("Rate limit is exceeded. Try again in 57 seconds.")
    );
}

#[tokio::test]
async fn a_target_named_twice_is_sent_once_and_reported_twice() {
    let server = MockServer::start_async().await;
    let a1 = format!("{SUB_A}_00000001-766f-4209-9271-3ddf27755afa");
    let mut r1 = event(SUB_A, 1, "Investigating", "High");
    r1["resolvedReason"] = json!("None");
    let post = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/fraudEvents/subscription/{SUB_A}/status"))
                .json_body(json!({"EventIds": [a1], "EventStatus": "Investigating"}));
            then.status(200).json_body(json!([r1]));
        })
        .await;
    let id = AlertId::new(&a1).unwrap();
    let targets = [
        UpdateTarget::from(id.clone()),
        UpdateTarget::from(id.clone()),
    ];
    let report =
        AlertSource::update_alerts(&client(&server), &targets, &StatusUpdate::investigating())
            .await
            .unwrap();
    assert_eq!(post.calls_async().await, 1);
    assert!(report.is_complete(), "{:?}", report.failed);
    let ok: Vec<&AlertId> = report.succeeded_ids().collect();
    assert_eq!(ok, [&id, &id]);
}
