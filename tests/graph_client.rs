//! The Graph client against httpmock on loopback: what goes on the wire and how answers map.

mod support;

use support::sleep::NoSleep;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use httpmock::Method::{GET, PATCH, POST};
use httpmock::{HttpMockRequest, Mock, MockServer};
use partner_alerts::auth::{
    AccessToken, ClientSecretCredential, Scope, StaticToken, TokenProvider,
};
use partner_alerts::error::AuthError;
use partner_alerts::http::{AsyncSleep, RetryPolicy};
use partner_alerts::{
    AlertId, AlertQuery, AlertStatus, Continuation, Error, Filter, GraphClient, Pager,
    ResolvedReason, Severity, StatusUpdate,
};
use serde_json::json;

const PATH: &str = "/beta/security/partner/securityAlerts";
const TOKEN: &str = "test-token-abc123";

fn alert(id: &str) -> serde_json::Value {
    json!({"id": id, "status": "active", "severity": "high", "alertType": "cryptoMining"})
}

fn client(server: &MockServer) -> GraphClient {
    builder(server).build().unwrap()
}

fn builder(server: &MockServer) -> partner_alerts::GraphClientBuilder {
    GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new(TOKEN))
        .sleep(Arc::new(NoSleep::default()))
}

/// The distinct values of one header across the requests a mock was asked to match (a set:
/// httpmock may run a matcher more than once for one request).
#[derive(Clone, Debug, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl Seen {
    /// A matcher that records header `name` and matches every request.
    fn recorder(
        &self,
        name: &'static str,
    ) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let seen = self.0.clone();
        move |req| {
            if let Some((_, v)) = req
                .headers_vec()
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
            {
                let mut seen = seen.lock().unwrap();
                if !seen.contains(v) {
                    seen.push(v.clone());
                }
            }
            true
        }
    }

    fn values(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Three pages, `a b c | d e | f`, linked by `$skiptoken`; each page's mock requires the token
/// and the Prefer header.
async fn three_pages(server: &MockServer) -> [Mock<'_>; 3] {
    let next2 = server.url(format!("{PATH}?$skiptoken=p2"));
    let next3 = server.url(format!("{PATH}?$skiptoken=p3"));
    let page = |skiptoken: Option<&'static str>, body: serde_json::Value| {
        server.mock_async(move |when, then| {
            let when = when
                .method(GET)
                .path(PATH)
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("prefer", "include-unknown-enum-members")
                .header_exists("client-request-id");
            match skiptoken {
                Some(t) => when.query_param("$skiptoken", t),
                None => when.query_param_missing("$skiptoken"),
            };
            then.status(200).json_body(body);
        })
    };
    [
        page(
            None,
            json!({"value": [alert("a"), alert("b"), alert("c")], "@odata.nextLink": next2}),
        )
        .await,
        page(
            Some("p2"),
            json!({"value": [alert("d"), alert("e")], "@odata.nextLink": next3}),
        )
        .await,
        page(Some("p3"), json!({"value": [alert("f")]})).await,
    ]
}

fn ids(alerts: &[partner_alerts::Alert]) -> Vec<&str> {
    alerts.iter().map(|a| a.id.as_str()).collect()
}

#[tokio::test]
async fn lists_three_pages_in_order_and_sends_nothing_until_polled() {
    let server = MockServer::start_async().await;
    // Every page is its own request: each carries the token, the Prefer header and a
    // client-request-id of its own.
    let request_ids = Seen::default();
    let page3 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param("$skiptoken", "p3")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("prefer", "include-unknown-enum-members")
                .header_exists("client-request-id")
                .is_true(request_ids.recorder("client-request-id"));
            then.status(200)
                .json_body(json!({"value": [alert("e"), alert("f")]}));
        })
        .await;
    let next3 = server.url(format!("{PATH}?$skiptoken=p3"));
    let page2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param("$skiptoken", "p2")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("prefer", "include-unknown-enum-members")
                .header_exists("client-request-id")
                .is_true(request_ids.recorder("client-request-id"));
            // An empty middle page must not end the listing.
            then.status(200)
                .json_body(json!({"value": [], "@odata.nextLink": next3}));
        })
        .await;
    let next2 = server.url(format!("{PATH}?$skiptoken=p2"));
    let page1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param("$filter", "status eq 'active'")
                .query_param("$count", "true")
                .query_param_missing("$skiptoken")
                .header("authorization", format!("Bearer {TOKEN}"))
                .header("prefer", "include-unknown-enum-members")
                .header_exists("client-request-id")
                .header_prefix("user-agent", "partner-alerts/")
                .is_true(request_ids.recorder("client-request-id"));
            then.status(200).json_body(json!({
                "@odata.count": 5,
                "@odata.nextLink": next2,
                "value": [alert("a"), alert("b"), alert("c")]
            }));
        })
        .await;

    let client = client(&server);
    let query = AlertQuery::new()
        .filter(Filter::status().eq(AlertStatus::Active))
        .count(true);
    let pager = client.list(&query);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        page1.calls_async().await,
        0,
        "nothing is sent before the first poll"
    );

    let alerts = pager.try_collect().await.unwrap();
    let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "e", "f"]);
    assert_eq!(alerts[0].severity, Some(Severity::High));
    assert_eq!(page1.calls_async().await, 1);
    assert_eq!(page2.calls_async().await, 1);
    assert_eq!(page3.calls_async().await, 1);
    assert_eq!(
        request_ids.values().len(),
        3,
        "one client-request-id per page request: {:?}",
        request_ids.values()
    );
}

#[tokio::test]
async fn pages_carry_the_count_and_request_ids() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200)
                .header("request-id", "rid-1")
                .json_body(json!({"@odata.count": 2, "value": [alert("a"), alert("b")]}));
        })
        .await;
    let mut pages = client(&server).list(&AlertQuery::new().count(true)).pages();
    let page = pages.try_next().await.unwrap().unwrap();
    assert_eq!(page.count(), Some(2));
    assert_eq!(page.items().len(), 2);
    assert_eq!(page.request_ids().request_id(), Some("rid-1"));
    assert!(page.next().is_none());
    assert!(pages.try_next().await.unwrap().is_none());
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_never_contacted() {
    let server = MockServer::start_async().await;
    let other = MockServer::start_async().await;
    let stolen = other
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!({"value": []}));
        })
        .await;
    let foreign = other.url(format!("{PATH}?$skiptoken=x"));
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200)
                .json_body(json!({"value": [alert("a")], "@odata.nextLink": foreign}));
        })
        .await;
    let mut pager = client(&server).list(&AlertQuery::new());
    assert_eq!(pager.try_next().await.unwrap().unwrap().id.as_str(), "a");
    let err = pager.try_next().await.unwrap_err();
    assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");
    assert!(
        err.to_string().contains("refusing to send the token"),
        "{err}"
    );
    assert!(
        pager.try_next().await.unwrap().is_none(),
        "the stream ends after the error"
    );
    assert_eq!(stolen.calls_async().await, 0);
}

/// Reads a listing to its end or first error: the ids yielded, then the error if any, and
/// checks the stream ends after an error.
async fn drain(pager: &mut Pager) -> (Vec<String>, Option<Error>) {
    let mut yielded = Vec::new();
    loop {
        match pager.try_next().await {
            Ok(Some(a)) => yielded.push(a.id.as_str().to_owned()),
            Ok(None) => return (yielded, None),
            Err(e) => {
                assert!(
                    pager.try_next().await.unwrap().is_none(),
                    "the stream ends after the error"
                );
                return (yielded, Some(e));
            }
        }
    }
}

#[tokio::test]
async fn a_repeated_next_link_is_a_paging_loop() {
    for prefetch in [true, false] {
        let server = MockServer::start_async().await;
        let again = server.url(format!("{PATH}?$skiptoken=same"));
        let first = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param_missing("$skiptoken");
                then.status(200).json_body(
                    json!({"value": [alert("a"), alert("b")], "@odata.nextLink": again}),
                );
            })
            .await;
        // The second page names itself as the next one.
        let looping = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param("$skiptoken", "same");
                then.status(200)
                    .json_body(json!({"value": [alert("c")], "@odata.nextLink": again}));
            })
            .await;
        let client = builder(&server).prefetch(prefetch).build().unwrap();
        let (yielded, err) = drain(&mut client.list(&AlertQuery::new())).await;
        assert_eq!(
            yielded,
            ["a", "b", "c"],
            "each alert once (prefetch {prefetch})"
        );
        let err = err.expect("a paging loop error");
        assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");
        assert!(err.to_string().contains("paging loop"), "{err}");
        assert_eq!(first.calls_async().await, 1);
        assert_eq!(
            looping.calls_async().await,
            1,
            "the repeated link is not followed"
        );
    }
}

#[tokio::test]
async fn a_cycle_of_next_links_and_a_repeated_page_are_paging_loops() {
    for prefetch in [true, false] {
        // p2 -> p3 -> p2: each page is served once, then the listing stops.
        let server = MockServer::start_async().await;
        let p2 = server.url(format!("{PATH}?$skiptoken=p2"));
        let p3 = server.url(format!("{PATH}?$skiptoken=p3"));
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param_missing("$skiptoken");
                then.status(200)
                    .json_body(json!({"value": [alert("a"), alert("b")], "@odata.nextLink": p2}));
            })
            .await;
        let second = server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("$skiptoken", "p2");
                then.status(200)
                    .json_body(json!({"value": [alert("c")], "@odata.nextLink": p3}));
            })
            .await;
        let third = server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("$skiptoken", "p3");
                then.status(200)
                    .json_body(json!({"value": [alert("d")], "@odata.nextLink": p2}));
            })
            .await;
        let client = builder(&server).prefetch(prefetch).build().unwrap();
        let (yielded, err) = drain(&mut client.list(&AlertQuery::new())).await;
        assert_eq!(yielded, ["a", "b", "c", "d"], "prefetch {prefetch}");
        assert!(err.unwrap().to_string().contains("paging loop"));
        assert_eq!(second.calls_async().await, 1);
        assert_eq!(third.calls_async().await, 1);

        // A new link that serves the previous page again: none of the repeat is yielded.
        let server = MockServer::start_async().await;
        let p2 = server.url(format!("{PATH}?$skiptoken=p2"));
        let p3 = server.url(format!("{PATH}?$skiptoken=p3"));
        let p4 = server.url(format!("{PATH}?$skiptoken=p4"));
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param_missing("$skiptoken");
                then.status(200)
                    .json_body(json!({"value": [alert("a")], "@odata.nextLink": p2}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("$skiptoken", "p2");
                then.status(200)
                    .json_body(json!({"value": [alert("b"), alert("c")], "@odata.nextLink": p3}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("$skiptoken", "p3");
                then.status(200)
                    .json_body(json!({"value": [alert("b"), alert("c")], "@odata.nextLink": p4}));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("$skiptoken", "p4");
                then.status(200).json_body(json!({"value": [alert("z")]}));
            })
            .await;
        let client = builder(&server).prefetch(prefetch).build().unwrap();
        let (yielded, err) = drain(&mut client.list(&AlertQuery::new())).await;
        assert_eq!(yielded, ["a", "b", "c"], "prefetch {prefetch}");
        assert!(err.unwrap().to_string().contains("paging loop"));
    }
}

#[tokio::test]
async fn throttling_waits_for_retry_after_then_succeeds() {
    // The sleeper swaps the 429 for a 200 while "waiting", so the retry sees the service recover.
    let server: &'static MockServer = Box::leak(Box::new(MockServer::start_async().await));
    let throttle = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{PATH}/a1"));
            then.status(429)
                .header("retry-after", "1")
                .json_body(json!({"error": {"code": "TooManyRequests", "message": "Please retry again later."}}));
        })
        .await;
    let throttle_id = throttle.id;

    struct Recover(&'static MockServer, usize, Mutex<Vec<Duration>>);
    impl std::fmt::Debug for Recover {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Recover")
        }
    }
    impl AsyncSleep for Recover {
        fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
            self.2.lock().unwrap().push(d);
            let (server, id) = (self.0, self.1);
            Box::pin(async move {
                tokio::task::spawn_blocking(move || {
                    httpmock::Mock::new(id, server).delete();
                    server.mock(|when, then| {
                        when.method(GET).path(format!("{PATH}/a1"));
                        then.status(200).json_body(alert("a1"));
                    });
                })
                .await
                .unwrap();
            })
        }
    }
    let sleeper = Arc::new(Recover(server, throttle_id, Mutex::new(Vec::new())));
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new(TOKEN))
        .sleep(sleeper.clone())
        .build()
        .unwrap();
    let alert = client.get(&AlertId::new("a1").unwrap()).await.unwrap();
    assert_eq!(alert.id.as_str(), "a1");
    let waits = sleeper.2.lock().unwrap().clone();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] >= Duration::from_secs(1), "waited {:?}", waits[0]);
}

#[tokio::test]
async fn a_fractional_retry_after_beyond_the_cap_fails_fast_as_throttled() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(429)
                .header("retry-after", "90.5")
                .header("request-id", "rid-throttled")
                .json_body(json!({"error": {"code": "TooManyRequests", "message": "Please retry again later."}}));
        })
        .await;
    let sleeper = Arc::new(NoSleep::default());
    let client = builder(&server).sleep(sleeper.clone()).build().unwrap();
    let err = client
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    assert!(err.is_throttled(), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_millis(90_500)));
    assert_eq!(err.request_id().as_deref(), Some("rid-throttled"));
    assert_eq!(m.calls_async().await, 1);
    assert!(sleeper.0.lock().unwrap().is_empty(), "no silent long sleep");
}

#[tokio::test]
async fn service_unavailable_until_attempts_run_out_keeps_the_last_request_id() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(503).header("request-id", "rid-503");
        })
        .await;
    let sleeper = Arc::new(NoSleep::default());
    let client = builder(&server)
        .sleep(sleeper.clone())
        .retry(RetryPolicy::standard().max_attempts(3))
        .build()
        .unwrap();
    let err = client
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 3);
    assert_eq!(sleeper.0.lock().unwrap().len(), 2);
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.request_id().as_deref(), Some("rid-503"));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_bad_request_is_not_retried_and_names_the_filter_problem() {
    let server = MockServer::start_async().await;
    let m = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(400).json_body(json!({"error": {
                "code": "BadRequest",
                "message": "Invalid filter clause: property 'nope' does not exist",
                "innerError": {"date": "2025-02-13T10:17:06", "request-id": "rid-400", "client-request-id": "c"}
            }}));
        })
        .await;
    let err = client(&server)
        .list(&AlertQuery::new().filter(Filter::raw("nope eq 1")))
        .try_collect()
        .await
        .unwrap_err();
    assert_eq!(m.calls_async().await, 1);
    let e = err.service_error().unwrap();
    assert_eq!(e.status, 400);
    assert_eq!(e.code.as_deref(), Some("BadRequest"));
    assert_eq!(e.ids.request_id(), Some("rid-400"));
    assert_eq!(
        e.ids.date().map(|d| d.to_rfc3339()).as_deref(),
        Some("2025-02-13T10:17:06+00:00")
    );
    assert!(err.to_string().contains("Invalid filter clause"), "{err}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn graph_errors_map_to_variants_with_codes_and_ids() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{PATH}/missing"));
            then.status(404)
                .header("request-id", "rid-404")
                .json_body(json!({"error": {
                "code": "itemNotFound", "message": "Not found"}}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(PATCH).path(format!("{PATH}/locked"));
            then.status(403).json_body(json!({"error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation.",
                "innerError": {"date": "2025-02-13T10:17:06", "request-id": "93b6f17e-c05d-4f45-ad2a-6665c708d8a0",
                               "client-request-id": "e70c5c1b-8b47-68c0-3171-3d22f5e0bd54"}}}));
        })
        .await;
    let unauthorized = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{PATH}/expired"));
            then.status(401).json_body(
                json!({"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}),
            );
        })
        .await;
    let client = client(&server);

    let err = client
        .get(&AlertId::new("missing").unwrap())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.request_id().as_deref(), Some("rid-404"));
    assert_eq!(
        err.service_error().unwrap().code.as_deref(),
        Some("itemNotFound")
    );

    let err = client
        .update_alert(
            &AlertId::new("locked").unwrap(),
            &StatusUpdate::resolved(ResolvedReason::Fraud),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    let e = err.service_error().unwrap();
    assert_eq!(e.code.as_deref(), Some("Authorization_RequestDenied"));
    assert_eq!(
        e.missing_permission.as_deref(),
        Some("PartnerSecurity.ReadWrite.All")
    );
    assert_eq!(
        e.ids.request_id(),
        Some("93b6f17e-c05d-4f45-ad2a-6665c708d8a0")
    );
    assert!(err.to_string().contains("PartnerSecurity.ReadWrite.All"));

    let err = client
        .get(&AlertId::new("expired").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
    assert!(err.is_auth());
    assert_eq!(
        unauthorized.calls_async().await,
        2,
        "one retry with a fresh token"
    );
}

#[tokio::test]
async fn update_sends_only_status_and_reason_and_accepts_200_and_204() {
    let server = MockServer::start_async().await;
    let with_body = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(format!("{PATH}/a1"))
                .header("content-type", "application/json")
                .json_body(json!({"status": "resolved", "resolvedReason": "legitimate"}));
            then.status(200).json_body(
                json!({"id": "a1", "status": "resolved", "resolvedReason": "legitimate"}),
            );
        })
        .await;
    let no_body = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(format!("{PATH}/a2"))
                .json_body(json!({"status": "investigating"}));
            then.status(204);
        })
        .await;
    let client = client(&server);
    let updated = client
        .update_alert(
            &AlertId::new("a1").unwrap(),
            &StatusUpdate::resolved(ResolvedReason::Legitimate),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.status, Some(AlertStatus::Resolved));
    let none = client
        .update_alert(&AlertId::new("a2").unwrap(), &StatusUpdate::investigating())
        .await
        .unwrap();
    assert!(none.is_none());
    with_body.assert_async().await;
    no_body.assert_async().await;
}

#[tokio::test]
async fn bad_input_is_rejected_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!({}));
        })
        .await;
    let client = client(&server);
    let err = client
        .update_alert(
            &AlertId::new("a1").unwrap(),
            &StatusUpdate::resolved(ResolvedReason::UnknownFutureValue),
        )
        .await
        .unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "resolved reason");
    assert!(AlertId::new("a/../../users").is_err());

    let err = GraphClient::builder()
        .base_url(format!("http://graph.example.com:{}/beta", server.port()))
        .credential(StaticToken::new(TOKEN))
        .build()
        .unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "base url");
    let err = GraphClient::builder()
        .base_url(server.url("/beta"))
        .build()
        .unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "credential");

    let empty_in = AlertQuery::new().filter(Filter::severity().in_(Vec::<Severity>::new()));
    let err = client.list(&empty_in).try_collect().await.unwrap_err();
    assert_eq!(err.as_invalid_input().unwrap().field(), "filter");
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = MockServer::start_async().await;
    let other = MockServer::start_async().await;
    let target = other
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!({"value": []}));
        })
        .await;
    let location = other.url(PATH);
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(302).header("location", location);
        })
        .await;
    let err = client(&server)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(target.calls_async().await, 0);
}

#[tokio::test]
async fn a_page_over_the_size_limit_is_an_error() {
    let server = MockServer::start_async().await;
    let big: Vec<_> = (0..200).map(|i| alert(&format!("id-{i}"))).collect();
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200).json_body(json!({"value": big}));
        })
        .await;
    let client = builder(&server).max_body_bytes(4096).build().unwrap();
    let err = client
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("4096 byte limit"), "{err}");
}

#[tokio::test]
async fn a_malformed_page_is_a_decode_error_with_offset_path_and_excerpt() {
    let server = MockServer::start_async().await;
    let page = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200)
                .header("request-id", "rid-bad")
                .header(
                    "x-ms-ags-diagnostic",
                    r#"{"ServerInfo":{"DataCenter":"West Europe"}}"#,
                )
                .body(r#"{"value": [{"id": "a"}], "@odata.count": "perhaps"}"#);
        })
        .await;
    let err = client(&server)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert!(d.excerpt().contains("perhaps"), "{}", d.excerpt());
    assert!(d.offset() > 25 && d.offset() <= 50, "{}", d.offset());
    assert_eq!(d.path(), Some("$['@odata.count']"));
    assert_eq!(err.request_id().as_deref(), Some("rid-bad"));
    assert!(
        err.request_ids()
            .and_then(|i| i.diagnostic())
            .is_some_and(|d| d.contains("West Europe"))
    );
    // The message says where and what was expected, never what is there...
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("at byte {}", d.offset())),
        "{shown}"
    );
    assert!(!format!("{err} {err:?}").contains("perhaps"), "{shown}");
    assert!(shown.contains("rid-bad"), "{shown}");
    // ...but never the bearer token the request carried.
    assert_eq!(page.calls_async().await, 1, "the request carried the token");
    assert!(!format!("{err} {err:?}").contains(TOKEN), "{err:?}");
}

#[tokio::test]
async fn the_token_endpoint_is_called_once_for_fifty_concurrent_requests_and_again_after_expiry() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/tenant-1/oauth2/v2.0/token")
                .form_urlencoded_tuple("grant_type", "client_credentials")
                .form_urlencoded_tuple("client_id", "app-1")
                .form_urlencoded_tuple("client_secret", "s3cr3t-value")
                .form_urlencoded_tuple("scope", "https://graph.microsoft.com/.default");
            then.status(200).json_body(
                json!({"token_type": "Bearer", "expires_in": 4, "access_token": "issued-token"}),
            );
        })
        .await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET)
                .path_prefix(format!("{PATH}/"))
                .header("authorization", "Bearer issued-token");
            then.status(200).json_body(alert("x"));
        })
        .await;
    let cred = ClientSecretCredential::new("tenant-1".parse().unwrap(), "app-1", "s3cr3t-value")
        .unwrap()
        .with_authority_host(&server.base_url())
        .unwrap();
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(cred)
        .build()
        .unwrap();
    let calls = (0..50).map(|i| {
        let client = client.clone();
        async move { client.get(&AlertId::new(format!("id-{i}")).unwrap()).await }
    });
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(get.calls_async().await, 50);
    assert_eq!(token.calls_async().await, 1);

    // The 4-second token is refreshed once half its life has passed.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    client.get(&AlertId::new("later").unwrap()).await.unwrap();
    assert_eq!(token.calls_async().await, 2);
}

#[tokio::test]
async fn a_refused_client_secret_is_an_auth_error_without_the_secret() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/tenant-1/oauth2/v2.0/token")
                .form_urlencoded_tuple("client_secret", "s3cr3t-value");
            then.status(401).json_body(json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"
            }));
        })
        .await;
    let cred = ClientSecretCredential::new("tenant-1".parse().unwrap(), "app-1", "s3cr3t-value")
        .unwrap()
        .with_authority_host(&server.base_url())
        .unwrap();
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(cred)
        .build()
        .unwrap();
    let err = client.get(&AlertId::new("a").unwrap()).await.unwrap_err();
    assert_eq!(token.calls_async().await, 1, "the secret was sent");
    let Error::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(auth.code(), Some("invalid_client"));
    assert!(err.to_string().contains("AADSTS7000215"), "{err}");
    assert!(!format!("{err} {err:?}").contains("s3cr3t-value"));
}

#[tokio::test]
async fn debug_output_never_shows_a_secret() {
    let server = MockServer::start_async().await;
    let cred = ClientSecretCredential::new("tenant-1".parse().unwrap(), "app-1", "s3cr3t-value")
        .unwrap()
        .with_authority_host(&server.base_url())
        .unwrap();
    let shown = format!("{cred:?}");
    assert!(!shown.contains("s3cr3t-value"), "{shown}");
    assert!(shown.contains("app-1"));
    let graph = builder(&server).build().unwrap();
    let shown = format!("{graph:?} {:?}", StaticToken::new(TOKEN));
    assert!(!shown.contains(TOKEN), "{shown}");
    let refresh = partner_alerts::auth::RefreshTokenCredential::new(
        "tenant-1".parse().unwrap(),
        "app-1",
        Some("s3cr3t-value".into()),
        "refresh-0.AbC",
    )
    .unwrap();
    let shown = format!("{refresh:?}");
    assert!(
        !shown.contains("s3cr3t-value") && !shown.contains("refresh-0.AbC"),
        "{shown}"
    );
}

#[tokio::test]
async fn the_prefer_header_can_be_turned_off() {
    let server = MockServer::start_async().await;
    let without = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).header_missing("prefer");
            then.status(200)
                .json_body(json!({"value": [{"id": "a", "status": "escalated"}]}));
        })
        .await;
    let client = builder(&server)
        .include_unknown_enum_members(false)
        .build()
        .unwrap();
    let alerts = client.list(&AlertQuery::new()).try_collect().await.unwrap();
    assert_eq!(without.calls_async().await, 1);
    // An unknown status is kept, not an error.
    assert_eq!(alerts[0].status.as_ref().unwrap().as_str(), "escalated");
    assert!(!alerts[0].status.as_ref().unwrap().is_known());
}

#[tokio::test]
async fn a_403_names_the_permission_the_service_says_is_missing() {
    let server = MockServer::start_async().await;
    let named = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{PATH}/named"));
            then.status(403).json_body(json!({"error": {
                "code": "Forbidden",
                "message": "Missing role permissions on the request. API requires one of 'SecurityAlert.Read.All'. Roles on the request 'User.Read'.",
                "innerError": {"date": "2025-02-13T10:17:06", "request-id": "rid-403"}
            }}));
        })
        .await;
    let unnamed = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(403).json_body(json!({"error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation."
            }}));
        })
        .await;
    let client = client(&server);

    let err = client
        .get(&AlertId::new("named").unwrap())
        .await
        .unwrap_err();
    let Error::Forbidden(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 403);
    assert_eq!(
        e.missing_permission.as_deref(),
        Some("SecurityAlert.Read.All"),
        "the permission the message names, not the operation's default"
    );
    assert_eq!(
        err.service_error().unwrap().missing_permission.as_deref(),
        Some("SecurityAlert.Read.All")
    );
    assert!(
        err.to_string().contains("(needs SecurityAlert.Read.All)"),
        "{err}"
    );
    assert_eq!(err.request_id().as_deref(), Some("rid-403"));
    assert!(err.is_auth());
    assert!(!err.is_retryable());
    assert_eq!(err.attempts(), 1);
    assert_eq!(
        named.calls_async().await,
        1,
        "a 403 is neither retried nor re-authenticated"
    );

    // A message naming no permission: the listing's own requirement.
    let err = client
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    assert_eq!(
        err.service_error().unwrap().missing_permission.as_deref(),
        Some("PartnerSecurity.Read.All")
    );
    assert_eq!(unnamed.calls_async().await, 1);
}

/// Hands out `tok-1`, `tok-2`, ... and counts the fetches.
#[derive(Debug, Default)]
struct Numbered(AtomicUsize);

#[async_trait::async_trait]
impl TokenProvider for Numbered {
    async fn token(&self, _: &Scope) -> Result<AccessToken, AuthError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(AccessToken::new(
            format!("tok-{n}"),
            chrono::Utc::now() + chrono::TimeDelta::hours(1),
        ))
    }
}

#[tokio::test]
async fn a_401_fetches_a_new_token_once_and_a_second_401_is_unauthorized() {
    let server = MockServer::start_async().await;
    let revoked = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PATH}/a1"))
                .header("authorization", "Bearer tok-1");
            then.status(401).json_body(json!({"error": {
                "code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}}));
        })
        .await;
    let renewed = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PATH}/a1"))
                .header("authorization", "Bearer tok-2");
            then.status(200).json_body(alert("a1"));
        })
        .await;
    let always = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{PATH}/a2"));
            then.status(401)
                .header("request-id", "rid-401")
                .json_body(json!({"error": {
                "code": "InvalidAuthenticationToken", "message": "Access token validation failure."}}));
        })
        .await;
    let tokens = Arc::new(Numbered::default());
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(tokens.clone())
        .sleep(Arc::new(NoSleep::default()))
        .build()
        .unwrap();

    let a = client.get(&AlertId::new("a1").unwrap()).await.unwrap();
    assert_eq!(a.id.as_str(), "a1");
    assert_eq!(revoked.calls_async().await, 1);
    assert_eq!(renewed.calls_async().await, 1);
    assert_eq!(
        tokens.0.load(Ordering::SeqCst),
        2,
        "the refused token was dropped"
    );

    // Refused again with the new token: reported, not looped.
    let err = client.get(&AlertId::new("a2").unwrap()).await.unwrap_err();
    let Error::Unauthorized(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 401);
    assert_eq!(e.code.as_deref(), Some("InvalidAuthenticationToken"));
    assert_eq!(e.missing_permission, None);
    assert_eq!(err.request_id().as_deref(), Some("rid-401"));
    assert_eq!(err.attempts(), 2);
    assert!(err.is_auth());
    assert!(!err.is_retryable());
    assert_eq!(always.calls_async().await, 2);
    // tok-2 (cached) refused, tok-3 fetched and refused: one new token, no more.
    assert_eq!(tokens.0.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn pages_after_a_partial_read_lose_and_repeat_nothing() {
    let server = MockServer::start_async().await;
    let mocks = three_pages(&server).await;
    let all = ["a", "b", "c", "d", "e", "f"];
    let link = |t: &str| -> Continuation {
        serde_json::from_value(
            json!({"api": "graph", "url": server.url(format!("{PATH}?$skiptoken={t}"))}),
        )
        .unwrap()
    };
    let (p2, p3) = (link("p2"), link("p3"));
    let mut listings = 0;
    for prefetch in [true, false] {
        let client = builder(&server).prefetch(prefetch).build().unwrap();
        for read in 0..=all.len() {
            listings += 1;
            let mut pager = client.list(&AlertQuery::new());
            let mut yielded = Vec::new();
            for _ in 0..read {
                yielded.push(
                    pager
                        .try_next()
                        .await
                        .unwrap()
                        .unwrap()
                        .id
                        .as_str()
                        .to_owned(),
                );
            }
            assert_eq!(yielded, all[..read]);
            let mut pages = pager.pages();
            let mut sizes = Vec::new();
            let mut nexts = Vec::new();
            while let Some(page) = pages.try_next().await.unwrap() {
                sizes.push(page.items().len());
                nexts.push(page.next().cloned());
                yielded.extend(page.items().iter().map(|a| a.id.as_str().to_owned()));
            }
            assert_eq!(yielded, all, "read {read} first (prefetch {prefetch})");
            // The rest of a page half read comes as a page of its own, then whole pages.
            let expected: &[usize] = match read {
                0 => &[3, 2, 1],
                1 => &[2, 2, 1],
                2 => &[1, 2, 1],
                3 => &[2, 1],
                4 => &[1, 1],
                5 => &[1],
                _ => &[],
            };
            assert_eq!(sizes, expected, "read {read} first (prefetch {prefetch})");
            // Each page, the leftover one included, points at the page after it.
            let expected_nexts: &[Option<Continuation>] = match read {
                0..=2 => &[Some(p2.clone()), Some(p3.clone()), None],
                3 | 4 => &[Some(p3.clone()), None],
                5 => &[None],
                _ => &[],
            };
            assert_eq!(
                nexts, expected_nexts,
                "read {read} first (prefetch {prefetch})"
            );
        }
    }
    for (i, m) in mocks.iter().enumerate() {
        assert_eq!(
            m.calls_async().await,
            listings,
            "page {} fetched once per listing",
            i + 1
        );
    }
}

#[tokio::test]
async fn a_listing_resumes_from_a_saved_continuation() {
    let server = MockServer::start_async().await;
    let [page1, page2, page3] = three_pages(&server).await;
    let client = builder(&server).prefetch(false).build().unwrap();
    let round_trip = |c: &Continuation| -> Continuation {
        let saved = serde_json::to_string(c).unwrap();
        let back: Continuation = serde_json::from_str(&saved).unwrap();
        assert_eq!(&back, c, "{saved}");
        back
    };

    // From the first page's `next`.
    let mut pages = client.list(&AlertQuery::new()).pages();
    let first = pages.try_next().await.unwrap().unwrap();
    assert_eq!(ids(first.items()), ["a", "b", "c"]);
    let saved = round_trip(first.next().unwrap());
    drop(pages);
    let rest = client.resume(saved).try_collect().await.unwrap();
    assert_eq!(ids(&rest), ["d", "e", "f"]);
    assert_eq!(page1.calls_async().await, 1);
    assert_eq!(page2.calls_async().await, 1);
    assert_eq!(page3.calls_async().await, 1);

    // From a pager read to the end of its first page: the next page.
    let mut pager = client.list(&AlertQuery::new());
    for _ in 0..3 {
        pager.try_next().await.unwrap().unwrap();
    }
    let saved = round_trip(pager.continuation().unwrap());
    drop(pager);
    let rest = client.resume(saved).try_collect().await.unwrap();
    assert_eq!(ids(&rest), ["d", "e", "f"]);

    // From a pager in the middle of a page: that page again, as documented.
    let mut pager = client.list(&AlertQuery::new());
    for _ in 0..4 {
        pager.try_next().await.unwrap().unwrap();
    }
    let saved = round_trip(pager.continuation().unwrap());
    drop(pager);
    let rest = client.resume(saved).try_collect().await.unwrap();
    assert_eq!(ids(&rest), ["d", "e", "f"]);
    assert_eq!(page1.calls_async().await, 3);
    assert_eq!(page2.calls_async().await, 4);
    assert_eq!(page3.calls_async().await, 3);

    // With read-ahead the position is the same.
    let client = builder(&server).build().unwrap();
    let mut pager = client.list(&AlertQuery::new());
    for _ in 0..3 {
        pager.try_next().await.unwrap().unwrap();
    }
    let saved = round_trip(pager.continuation().unwrap());
    drop(pager);
    let rest = client.resume(saved).try_collect().await.unwrap();
    assert_eq!(ids(&rest), ["d", "e", "f"]);
}

#[tokio::test]
async fn a_partner_center_continuation_is_refused_by_graph_without_a_request() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(json!({"value": [alert("a")]}));
        })
        .await;
    let pc: Continuation = serde_json::from_value(
        json!({"api": "partnerCenter", "pageNumber": {"number": 2, "size": 2}, "query": {}}),
    )
    .unwrap();
    for prefetch in [true, false] {
        let client = builder(&server).prefetch(prefetch).build().unwrap();
        let (yielded, err) = drain(&mut client.resume(pc.clone())).await;
        assert!(yielded.is_empty());
        let err = err.expect("an error");
        assert!(err.is_invalid_input(), "{err:?}");
        assert_eq!(err.as_invalid_input().unwrap().field(), "continuation");
        assert_eq!(err.attempts(), 0);
    }
    assert_eq!(any.calls_async().await, 0);
}

#[tokio::test]
async fn a_listing_resumes_at_the_page_that_failed() {
    for prefetch in [true, false] {
        let server = MockServer::start_async().await;
        let recovered = Arc::new(AtomicBool::new(false));
        let next2 = server.url(format!("{PATH}?$skiptoken=p2"));
        let next3 = server.url(format!("{PATH}?$skiptoken=p3"));
        server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param_missing("$skiptoken");
                then.status(200).json_body(
                    json!({"value": [alert("a"), alert("b"), alert("c")], "@odata.nextLink": next2}),
                );
            })
            .await;
        let down = recovered.clone();
        let failing = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param("$skiptoken", "p2")
                    .is_true(move |_| !down.load(Ordering::SeqCst));
                then.status(500)
                    .json_body(json!({"error": {"code": "generalException", "message": "boom"}}));
            })
            .await;
        let up = recovered.clone();
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param("$skiptoken", "p2")
                    .is_true(move |_| up.load(Ordering::SeqCst));
                then.status(200).json_body(
                    json!({"value": [alert("d"), alert("e")], "@odata.nextLink": next3}),
                );
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("$skiptoken", "p3");
                then.status(200).json_body(json!({"value": [alert("f")]}));
            })
            .await;
        let client = builder(&server).prefetch(prefetch).build().unwrap();

        let mut pager = client.list(&AlertQuery::new());
        let (yielded, err) = drain(&mut pager).await;
        let err = err.expect("the listing ended without the page that failed");
        assert_eq!(yielded, ["a", "b", "c"], "prefetch {prefetch}");
        assert_eq!(err.status(), Some(500));
        // A read is retried on 500 within the policy (four attempts), then fails.
        assert_eq!(failing.calls_async().await, 4);
        let saved: Continuation =
            serde_json::from_str(&serde_json::to_string(pager.continuation().unwrap()).unwrap())
                .unwrap();
        drop(pager);

        recovered.store(true, Ordering::SeqCst);
        let rest = client.resume(saved).try_collect().await.unwrap();
        assert_eq!(ids(&rest), ["d", "e", "f"], "prefetch {prefetch}");
    }
}
