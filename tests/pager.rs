//! The pager's edges, on httpmock: decode errors after the next page's fetch started, bodies
//! that are not UTF-8, a nextLink key inside an alert, servers that ignore paging or repeat
//! pages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::{
    AlertQuery, Continuation, Error, Filter, FraudEventsClient, GraphClient, Pager, Severity,
};
use serde_json::{Value, json};

const PATH: &str = "/beta/security/partner/securityAlerts";
const TOKEN: &str = "review-token";
const SUB: &str = "2a7064fb-1e33-4007-974e-352cb3f2c805";

fn alert(id: &str) -> Value {
    json!({"id": id, "status": "active", "severity": "high", "alertType": "cryptoMining"})
}

fn graph(server: &MockServer, prefetch: bool) -> GraphClient {
    GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new(TOKEN))
        .prefetch(prefetch)
        .build()
        .unwrap()
}

fn link(server: &MockServer, token: &str) -> String {
    server.url(format!("{PATH}?$skiptoken={token}"))
}

fn url_continuation(url: &str) -> Continuation {
    serde_json::from_value(json!({ "api": "graph", "url": url })).unwrap()
}

/// The ids yielded to the end or the first error, and the error.
async fn drain(pager: &mut Pager) -> (Vec<String>, Option<Error>) {
    let mut yielded = Vec::new();
    loop {
        match pager.try_next().await {
            Ok(Some(a)) => yielded.push(a.id.as_str().to_owned()),
            Ok(None) => return (yielded, None),
            Err(e) => return (yielded, Some(e)),
        }
    }
}

/// A page that fetches fine but does not decode (its nextLink was already
/// scanned, so a read-ahead of page 3 was started from the guess) fails at that page, the
/// guessed read-ahead is dropped before it sends anything, and resuming from the saved
/// continuation re-reads the failed page and loses nothing.
#[tokio::test]
async fn a_decode_error_after_the_early_guess_resumes_at_the_bad_page() {
    for prefetch in [true, false] {
        let server = MockServer::start_async().await;
        let fixed = Arc::new(AtomicBool::new(false));
        let (p2, p3) = (link(&server, "p2"), link(&server, "p3"));
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param_missing("$skiptoken");
                then.status(200).json_body(
                    json!({"value": [alert("a"), alert("b"), alert("c")], "@odata.nextLink": p2}),
                );
            })
            .await;
        // The link comes before the value, so the early scan finds it; the count is bad.
        let bad_body = format!(
            r#"{{"@odata.nextLink": "{p3}", "value": [{{"id": "d"}}], "@odata.count": "perhaps"}}"#
        );
        let broken = fixed.clone();
        let bad = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param("$skiptoken", "p2")
                    .is_true(move |_| !broken.load(Ordering::SeqCst));
                then.status(200).body(bad_body.clone());
            })
            .await;
        let ok = fixed.clone();
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(PATH)
                    .query_param("$skiptoken", "p2")
                    .is_true(move |_| ok.load(Ordering::SeqCst));
                then.status(200)
                    .json_body(json!({"value": [alert("d"), alert("e")], "@odata.nextLink": p3}));
            })
            .await;
        let page3 = server
            .mock_async(|when, then| {
                when.method(GET).path(PATH).query_param("$skiptoken", "p3");
                then.status(200).json_body(json!({"value": [alert("f")]}));
            })
            .await;

        let client = graph(&server, prefetch);
        let mut pager = client.list(&AlertQuery::new());
        let (yielded, err) = drain(&mut pager).await;
        let err = err.unwrap_or_else(|| panic!("ended without the bad page (prefetch {prefetch})"));
        assert_eq!(yielded, ["a", "b", "c"], "prefetch {prefetch}");
        let Error::Decode(d) = &err else {
            panic!("{err:?}")
        };
        // The offset and excerpt point into the body as served (text kept by check_utf8).
        let at = bad_body.find("perhaps").unwrap();
        assert!(
            d.offset() >= at && d.offset() <= at + "perhaps".len() + 1,
            "{} vs {at}",
            d.offset()
        );
        assert!(d.excerpt().contains("perhaps"), "{}", d.excerpt());
        assert!(!format!("{err} {err:?}").contains(TOKEN));
        assert_eq!(
            pager.continuation(),
            Some(&url_continuation(&p2)),
            "resume at the page that failed (prefetch {prefetch})"
        );
        assert!(
            pager.try_next().await.unwrap().is_none(),
            "ends after the error"
        );
        assert_eq!(bad.calls_async().await, 1);
        let saved = pager.continuation().cloned().unwrap();
        drop(pager);
        tokio::task::yield_now().await;
        assert_eq!(
            page3.calls_async().await,
            0,
            "the read-ahead from the guess is dropped unsent (prefetch {prefetch})"
        );

        fixed.store(true, Ordering::SeqCst);
        let (rest, err) = drain(&mut client.resume(saved)).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(rest, ["d", "e", "f"], "prefetch {prefetch}");
    }
}

/// A body with invalid UTF-8 keeps its bytes through check_utf8, so the
/// decode error still has a real offset and excerpt.
#[tokio::test]
async fn invalid_utf8_keeps_its_offset_and_excerpt() {
    let server = MockServer::start_async().await;
    let mut body = br#"{"value": [{"id": "a", "displayName": "bad "#.to_vec();
    body.push(0xff);
    body.extend_from_slice(br#" byte"}]}"#);
    let bad_at = body.iter().position(|b| *b == 0xff).unwrap();
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200).body(body.clone());
        })
        .await;
    let (yielded, err) = drain(&mut graph(&server, true).list(&AlertQuery::new())).await;
    assert!(yielded.is_empty());
    let err = err.expect("a decode error");
    let Error::Decode(d) = &err else {
        panic!("{err:?}")
    };
    assert!(
        d.offset() >= bad_at && d.offset() < body.len(),
        "offset {} vs the bad byte at {bad_at}",
        d.offset()
    );
    assert!(d.excerpt().contains("displayName"), "{}", d.excerpt());
}

/// A page whose alert carries an `"@odata.nextLink"` key of its own (additionalDetails keeps
/// any key) before the page's link makes the early scan guess that URL. A guess is not
/// recorded as a page named by the service, so when a later page does link to that URL the
/// listing goes on and alert `d` is read.
#[tokio::test]
async fn a_nested_next_link_key_is_not_a_paging_loop() {
    let server = MockServer::start_async().await;
    let (p2, p3, p4) = (
        link(&server, "p2"),
        link(&server, "p3"),
        link(&server, "p4"),
    );
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(PATH)
                .query_param_missing("$skiptoken");
            then.status(200)
                .json_body(json!({"value": [alert("a")], "@odata.nextLink": p2}));
        })
        .await;
    // `value` before the page's own link (OData allows the link after the collection).
    let body2 = format!(
        r#"{{"value": [{{"id": "b", "additionalDetails": {{"@odata.nextLink": "{p4}"}}}}], "@odata.nextLink": "{p3}"}}"#
    );
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).query_param("$skiptoken", "p2");
            then.status(200).body(body2.clone());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).query_param("$skiptoken", "p3");
            then.status(200)
                .json_body(json!({"value": [alert("c")], "@odata.nextLink": p4}));
        })
        .await;
    let page4 = server
        .mock_async(|when, then| {
            when.method(GET).path(PATH).query_param("$skiptoken", "p4");
            then.status(200).json_body(json!({"value": [alert("d")]}));
        })
        .await;
    for prefetch in [false, true] {
        let (yielded, err) = drain(&mut graph(&server, prefetch).list(&AlertQuery::new())).await;
        assert!(err.is_none(), "prefetch {prefetch}: {err:?}");
        assert_eq!(yielded, ["a", "b", "c", "d"], "prefetch {prefetch}");
    }
    assert_eq!(page4.calls_async().await, 2);
}

fn event(n: u32, severity: &str) -> Value {
    json!({
        "eventTime": "2021-12-08T00:25:45.69",
        "eventId": format!("{SUB}_0000000{n}-766f-4209-9271-3ddf27755afa"),
        "customerTenantId": "a248da34-6840-4c67-82d7-7f55ccd50d03",
        "subscriptionId": SUB,
        "hitCount": "10",
        "eventStatus": "Active",
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

fn fraud(server: &MockServer, size: u32, max_pages: u32) -> FraudEventsClient {
    FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .page_size(Some(size))
        .max_pages(max_pages)
        .build()
        .unwrap()
}

/// A server that ignores PageSize/PageNumber and sends all 3 events every time: the second
/// request shows the repeat of an over-full page, and the listing ends there, without error.
#[tokio::test]
async fn a_server_sending_everything_at_once_ends_cleanly_at_the_repeat() {
    let server = MockServer::start_async().await;
    let all = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/fraudEvents");
            then.status(200).json_body(json!([
                event(1, "High"),
                event(2, "High"),
                event(3, "High")
            ]));
        })
        .await;
    let (yielded, err) = drain(&mut fraud(&server, 2, 50).list(&AlertQuery::new())).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(yielded.len(), 3);
    assert_eq!(all.calls_async().await, 2);
}

/// A server that ignores PageSize but pages with a size of its own (3 here, 2 asked) sends an
/// over-full page 1: it is not taken for the last, so page 2 (event 4) is read.
#[tokio::test]
async fn an_over_full_page_is_not_taken_for_the_last() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "1");
            then.status(200).json_body(json!([
                event(1, "High"),
                event(2, "High"),
                event(3, "High")
            ]));
        })
        .await;
    let page2 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "2");
            then.status(200).json_body(json!([event(4, "High")]));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/fraudEvents")
                .query_param("PageNumber", "3");
            then.status(200).json_body(json!([]));
        })
        .await;
    let (yielded, err) = drain(&mut fraud(&server, 2, 50).list(&AlertQuery::new())).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(page2.calls_async().await, 1, "page 2 is read once");
    assert_eq!(yielded.len(), 4, "{yielded:?}");
}

/// The repeated-page check looks at the first event served, not the first left after the
/// client-side filter: a server that repeats one full page for every PageNumber is caught at
/// page 2 even with a filter that matches none of its events.
#[tokio::test]
async fn a_repeating_server_is_caught_even_when_the_filter_matches_nothing() {
    let server = MockServer::start_async().await;
    let same = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/fraudEvents");
            then.status(200)
                .json_body(json!([event(1, "High"), event(2, "High")]));
        })
        .await;
    let query = AlertQuery::new().filter(Filter::severity().eq(Severity::Low));
    let (yielded, err) = drain(&mut fraud(&server, 2, 20).list(&query)).await;
    assert!(yielded.is_empty());
    let err = err.expect("an error");
    let calls = same.calls_async().await;
    assert!(
        err.to_string().contains("paging loop") && calls <= 3,
        "{calls} requests, then: {err}"
    );
}

/// A server that links every empty page to a fresh empty page is stopped after 100 of them
/// (httpmock answers are fixed, so this one is a few lines of TCP: each page links to the
/// next number).
async fn endless_empty_pages() -> (
    String,
    Arc<std::sync::atomic::AtomicUsize>,
    tokio::task::JoinHandle<()>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (link_base, count) = (base.clone(), served.clone());
    let server = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (link_base, count) = (link_base.clone(), count.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                let mut line = String::new();
                loop {
                    line.clear();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let n: u64 = line
                        .split("skiptoken=")
                        .nth(1)
                        .and_then(|t| t.split_whitespace().next())
                        .and_then(|t| t.parse().ok())
                        .unwrap_or(0);
                    loop {
                        line.clear();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                            break;
                        }
                    }
                    count.fetch_add(1, Ordering::SeqCst);
                    let body = json!({
                        "value": [],
                        "@odata.nextLink": format!("{link_base}{PATH}?$skiptoken={}", n + 1)
                    })
                    .to_string();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if write.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (base, served, server)
}

#[tokio::test]
async fn endless_fresh_empty_pages_are_stopped() {
    for prefetch in [false, true] {
        let (base, served, server) = endless_empty_pages().await;
        let client = GraphClient::builder()
            .base_url(format!("{base}/beta"))
            .credential(StaticToken::new(TOKEN))
            .prefetch(prefetch)
            .build()
            .unwrap();
        let (yielded, err) = drain(&mut client.list(&AlertQuery::new())).await;
        assert!(yielded.is_empty());
        let err = err.expect("stopped with an error");
        assert!(err.to_string().contains("empty pages"), "{err}");
        // 100 pages, and at most the one read-ahead beyond.
        let n = served.load(Ordering::SeqCst);
        assert!(
            (100..=101).contains(&n),
            "prefetch {prefetch}: {n} pages served"
        );
        server.abort();
    }
}
