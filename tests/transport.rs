//! The shared transport against httpmock on loopback: the token cache under concurrency, the
//! request ids each API wants across retries, and `Retry-After` as an HTTP date.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use futures::future::BoxFuture;
use httpmock::Method::{GET, POST};
use httpmock::{HttpMockRequest, MockServer};
use partner_alerts::auth::{
    AccessToken, ClientSecretCredential, Scope, StaticToken, TokenProvider,
};
use partner_alerts::error::AuthError;
use partner_alerts::http::{AsyncSleep, RetryPolicy, Timeouts};
use partner_alerts::{
    AlertId, Error, FraudEventsClient, GraphClient, StatusUpdate, SubscriptionId,
};
use serde_json::json;

const PATH: &str = "/beta/security/partner/securityAlerts";
const TOKEN_PATH: &str = "/tenant-1/oauth2/v2.0/token";
const TOKEN: &str = "transport-token";
const SUB: &str = "2a7064fb-1e33-4007-974e-352cb3f2c805";

fn alert(id: &str) -> serde_json::Value {
    json!({"id": id, "status": "active", "severity": "high", "alertType": "cryptoMining"})
}

/// Records the waits asked for and returns at once; the first wait flips `recovered`, so the
/// mocks keyed on it answer the retry differently.
#[derive(Debug, Default)]
struct Recover {
    recovered: Arc<AtomicBool>,
    waits: Mutex<Vec<Duration>>,
}

impl Recover {
    fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }

    /// A matcher for requests made before the first wait.
    fn before(&self) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let r = self.recovered.clone();
        move |_| !r.load(Ordering::SeqCst)
    }

    /// A matcher for requests made after it.
    fn after(&self) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let r = self.recovered.clone();
        move |_| r.load(Ordering::SeqCst)
    }
}

impl AsyncSleep for Recover {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap().push(d);
        self.recovered.store(true, Ordering::SeqCst);
        Box::pin(async {})
    }
}

/// The distinct tuples of some headers across the requests a mock was asked to match (a set:
/// httpmock may run a matcher more than once for one request). Put it on every mock a request
/// may match.
#[derive(Clone, Debug, Default)]
struct Seen(Arc<Mutex<Vec<Vec<String>>>>);

impl Seen {
    fn recorder(
        &self,
        names: &'static [&'static str],
    ) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
        let seen = self.0.clone();
        move |req| {
            let values: Vec<String> = names
                .iter()
                .map(|n| {
                    req.headers_vec()
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(n))
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect();
            let mut seen = seen.lock().unwrap();
            if !seen.contains(&values) {
                seen.push(values);
            }
            true
        }
    }

    fn values(&self) -> Vec<Vec<String>> {
        self.0.lock().unwrap().clone()
    }
}

fn refused_credential(server: &MockServer) -> ClientSecretCredential {
    ClientSecretCredential::new("tenant-1".parse().unwrap(), "app-1", "wrong-secret")
        .unwrap()
        .with_authority_host(&server.base_url())
        .unwrap()
}

/// A Graph client whose credential the token endpoint refuses (see
/// [`refusing_token_endpoint`]).
fn refused_client(server: &MockServer) -> GraphClient {
    GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(refused_credential(server))
        .build()
        .unwrap()
}

/// Answers any alert read, to count what got past authentication.
async fn any_alert(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET).path_prefix(PATH);
            then.status(200).json_body(alert("x"));
        })
        .await
}

async fn refusing_token_endpoint(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(TOKEN_PATH)
                .form_urlencoded_tuple("grant_type", "client_credentials");
            then.status(400).json_body(json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided.",
                "error_codes": [7000215]
            }));
        })
        .await
}

fn assert_refused(err: &Error) {
    let Error::Auth(auth) = err else {
        panic!("{err:?}")
    };
    assert_eq!(auth.code(), Some("invalid_client"));
    assert!(!auth.is_transient());
    assert_eq!(err.attempts(), 0);
    assert!(!format!("{err} {err:?}").contains("wrong-secret"));
}

#[tokio::test]
async fn a_failed_token_fetch_is_shared_by_twenty_concurrent_calls() {
    let log = Captured::start();
    let server = MockServer::start_async().await;
    let token = refusing_token_endpoint(&server).await;
    let alerts = any_alert(&server).await;
    let client = refused_client(&server);
    let calls = (0..20).map(|i| {
        let client = client.clone();
        async move { client.get(&AlertId::new(format!("id-{i}")).unwrap()).await }
    });
    let results = futures::future::join_all(calls).await;
    assert_eq!(results.len(), 20);
    for r in &results {
        assert_refused(r.as_ref().unwrap_err());
    }
    assert_eq!(
        token.calls_async().await,
        1,
        "one token request for all twenty"
    );
    assert_eq!(
        alerts.calls_async().await,
        0,
        "nothing sent without a token"
    );

    // The failure is not remembered for good: a later call asks again.
    let err = client
        .get(&AlertId::new("later").unwrap())
        .await
        .unwrap_err();
    assert_refused(&err);
    assert_eq!(token.calls_async().await, 2);
    assert_eq!(alerts.calls_async().await, 0);
    let log = log.text();
    assert_eq!(log.matches("the token fetch failed").count(), 2, "{log}");
    assert!(
        log.contains("AADSTS7000215"),
        "the service's reason is logged: {log}"
    );
    assert!(
        !log.contains("wrong-secret"),
        "the secret reached the log: {log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_token_fetch_is_shared_by_twenty_spawned_calls() {
    let server = MockServer::start_async().await;
    // The answer is held back so that every task is waiting on the cache when it comes (the
    // delay widens the window; no duration is asserted).
    let token = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(400)
                .delay(Duration::from_millis(500))
                .json_body(
                    json!({"error": "invalid_client", "error_description": "AADSTS7000215"}),
                );
        })
        .await;
    let alerts = any_alert(&server).await;
    let client = refused_client(&server);
    let start = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (client, start) = (client.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                client.get(&AlertId::new(format!("id-{i}")).unwrap()).await
            })
        })
        .collect();
    for t in tasks {
        assert_refused(&t.await.unwrap().unwrap_err());
    }
    assert_eq!(token.calls_async().await, 1);
    assert_eq!(alerts.calls_async().await, 0);
}

fn fraud_events(server: &MockServer, sleep: Arc<Recover>) -> FraudEventsClient {
    FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .retry(RetryPolicy::standard().backoff(Duration::ZERO, Duration::ZERO))
        .sleep(sleep)
        .build()
        .unwrap()
}

async fn post_status(client: &FraudEventsClient) -> partner_alerts::Result<()> {
    client
        .update_events(
            &SubscriptionId::new(SUB).unwrap(),
            &[AlertId::new(format!("{SUB}_00000001-766f-4209-9271-3ddf27755afa")).unwrap()],
            &StatusUpdate::investigating(),
        )
        .await
        .map(|_| ())
}

const PC_IDS: &[&str] = &["ms-requestid", "ms-correlationid"];

#[tokio::test]
async fn partner_center_renews_ms_request_id_after_an_answer_and_keeps_the_correlation_id() {
    let server = MockServer::start_async().await;
    let path = format!("/v1/fraudEvents/subscription/{SUB}/status");
    let sleep = Arc::new(Recover::default());
    let seen = Seen::default();
    let unavailable = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(&path)
                .header_exists("ms-requestid")
                .header_exists("ms-correlationid")
                .is_true(seen.recorder(PC_IDS))
                .is_true(sleep.before());
            then.status(503)
                .json_body(json!({"code": 800003, "description": "Unexpected service error", "source": "PartnerFD"}));
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(&path)
                .is_true(seen.recorder(PC_IDS))
                .is_true(sleep.after());
            then.status(200).json_body(json!([]));
        })
        .await;
    let client = fraud_events(&server, sleep.clone());

    post_status(&client).await.unwrap();
    assert_eq!(unavailable.calls_async().await, 1);
    assert_eq!(ok.calls_async().await, 1);
    assert_eq!(sleep.waits().len(), 1);
    let ids = seen.values();
    assert_eq!(ids.len(), 2, "{ids:?}");
    let (first, retry) = (&ids[0], &ids[1]);
    assert!(!first[0].is_empty() && !retry[0].is_empty());
    assert_ne!(first[0], retry[0], "a new MS-RequestId after an answer");
    assert_eq!(
        first[1], retry[1],
        "one MS-CorrelationId for the whole call"
    );

    // Another call is another correlation.
    post_status(&client).await.unwrap();
    let ids = seen.values();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_ne!(ids[2][0], ids[0][0]);
    assert_ne!(ids[2][0], ids[1][0]);
    assert_ne!(ids[2][1], ids[0][1]);
}

#[tokio::test]
async fn partner_center_reuses_ms_request_id_after_a_timeout() {
    let server = MockServer::start_async().await;
    let path = format!("/v1/fraudEvents/subscription/{SUB}/status");
    let sleep = Arc::new(Recover::default());
    let seen = Seen::default();
    // The first attempt gets no answer in time; whether the write was applied is unknown, so
    // the retry carries the same idempotency key.
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(&path)
                .is_true(seen.recorder(PC_IDS))
                .is_true(sleep.before());
            then.status(200)
                .delay(Duration::from_secs(20))
                .json_body(json!([]));
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(&path)
                .is_true(seen.recorder(PC_IDS))
                .is_true(sleep.after());
            then.status(200).json_body(json!([]));
        })
        .await;
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new(TOKEN))
        .timeouts(Timeouts::default().per_attempt(Duration::from_secs(1)))
        .sleep(sleep.clone())
        .build()
        .unwrap();

    post_status(&client).await.unwrap();
    assert_eq!(ok.calls_async().await, 1);
    assert_eq!(sleep.waits().len(), 1, "one retry, after the timeout");
    let ids = seen.values();
    assert_eq!(ids.len(), 1, "the same ids on both attempts: {ids:?}");
    assert!(ids[0].iter().all(|v| !v.is_empty()), "{ids:?}");
}

#[tokio::test]
async fn graph_keeps_one_client_request_id_across_the_retries_of_a_call() {
    let server = MockServer::start_async().await;
    let sleep = Arc::new(Recover::default());
    let seen = Seen::default();
    let unavailable = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PATH}/a1"))
                .header_exists("client-request-id")
                .is_true(seen.recorder(&["client-request-id"]))
                .is_true(sleep.before());
            then.status(503).header("retry-after", "0");
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PATH}/a1"))
                .is_true(seen.recorder(&["client-request-id"]))
                .is_true(sleep.after());
            then.status(200).json_body(alert("a1"));
        })
        .await;
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new(TOKEN))
        .sleep(sleep.clone())
        .build()
        .unwrap();

    let a1 = AlertId::new("a1").unwrap();
    client.get(&a1).await.unwrap();
    assert_eq!(unavailable.calls_async().await, 1);
    assert_eq!(ok.calls_async().await, 1);
    let ids = seen.values();
    assert_eq!(ids.len(), 1, "one id for both attempts: {ids:?}");
    assert!(!ids[0][0].is_empty());

    // A new call, a new id.
    client.get(&a1).await.unwrap();
    let ids = seen.values();
    assert_eq!(ids.len(), 2, "{ids:?}");
}

/// `at` as an HTTP date (RFC 9110 IMF-fixdate).
fn http_date(at: chrono::DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[tokio::test]
async fn a_retry_after_http_date_is_honoured() {
    let server = MockServer::start_async().await;
    let sleep = Arc::new(Recover::default());
    let retry_at = http_date(Utc::now() + TimeDelta::seconds(30));
    let throttled = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PATH}/a1"))
                .is_true(sleep.before());
            then.status(429)
                .header("retry-after", retry_at)
                .json_body(json!({"error": {"code": "TooManyRequests", "message": "Please retry again later."}}));
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PATH}/a1"))
                .is_true(sleep.after());
            then.status(200).json_body(alert("a1"));
        })
        .await;
    let cap = Duration::from_secs(60);
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new(TOKEN))
        // A backoff far shorter than the date asks, so the wait shows which one was used.
        .retry(
            RetryPolicy::standard()
                .max_retry_after(cap)
                .backoff(Duration::from_millis(1), Duration::from_millis(1)),
        )
        .sleep(sleep.clone())
        .build()
        .unwrap();

    let a = client.get(&AlertId::new("a1").unwrap()).await.unwrap();
    assert_eq!(a.id.as_str(), "a1");
    assert_eq!(throttled.calls_async().await, 1);
    assert_eq!(ok.calls_async().await, 1);
    let waits = sleep.waits();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] > Duration::ZERO, "{waits:?}");
    assert!(
        waits[0] > Duration::from_secs(1),
        "the date, not the backoff: {waits:?}"
    );
    assert!(waits[0] <= cap, "{waits:?}");
    // At most the 30 s asked for, plus the 10 % spread the policy adds.
    assert!(waits[0] <= Duration::from_secs(33), "{waits:?}");
}

#[tokio::test]
async fn a_retry_after_http_date_beyond_the_cap_fails_at_once_as_throttled() {
    let server = MockServer::start_async().await;
    let sleep = Arc::new(Recover::default());
    let retry_at = http_date(Utc::now() + TimeDelta::seconds(300));
    let throttled = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{PATH}/a1"));
            then.status(429)
                .header("retry-after", retry_at)
                .header("request-id", "rid-429")
                .json_body(json!({"error": {"code": "TooManyRequests", "message": "Please retry again later."}}));
        })
        .await;
    let cap = Duration::from_secs(60);
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new(TOKEN))
        .retry(RetryPolicy::standard().max_retry_after(cap))
        .sleep(sleep.clone())
        .build()
        .unwrap();

    let err = client.get(&AlertId::new("a1").unwrap()).await.unwrap_err();
    let Error::Throttled(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.status, 429);
    let wait = err.retry_after().expect("the wait is carried");
    assert!(wait > cap && wait <= Duration::from_secs(300), "{wait:?}");
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.request_id().as_deref(), Some("rid-429"));
    assert!(err.is_retryable());
    assert_eq!(throttled.calls_async().await, 1);
    assert!(sleep.waits().is_empty(), "no silent long sleep");
}

/// Hands out one token that lives six seconds, then fails every refresh (after yielding once,
/// so that concurrent callers queue behind the fetch).
#[derive(Debug, Default)]
struct RefreshFails(AtomicUsize);

#[async_trait::async_trait]
impl TokenProvider for RefreshFails {
    async fn token(&self, _: &Scope) -> Result<AccessToken, AuthError> {
        if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
            return Ok(AccessToken::new(
                "first-token",
                Utc::now() + TimeDelta::seconds(6),
            ));
        }
        tokio::task::yield_now().await;
        Err(AuthError::new("the identity platform is unreachable"))
    }
}

#[tokio::test]
async fn a_failed_early_refresh_keeps_the_valid_token_for_every_waiting_caller() {
    let log = Captured::start();
    let server = MockServer::start_async().await;
    let alerts = server
        .mock_async(|when, then| {
            when.method(GET)
                .path_prefix(PATH)
                .header("authorization", "Bearer first-token");
            then.status(200).json_body(alert("x"));
        })
        .await;
    let tokens = Arc::new(RefreshFails::default());
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(tokens.clone())
        .build()
        .unwrap();
    client.get(&AlertId::new("first").unwrap()).await.unwrap();
    // The six-second token is due for refresh after three seconds and valid for three more:
    // wait into that window (nothing about the duration is asserted).
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let calls = (0..20).map(|i| {
        let client = client.clone();
        async move { client.get(&AlertId::new(format!("id-{i}")).unwrap()).await }
    });
    let results = futures::future::join_all(calls).await;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of 20 calls failed although the cached token was valid: {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(
        tokens.0.load(Ordering::SeqCst),
        2,
        "one refresh attempt, shared"
    );
    // Calls arriving after the failure keep the token too, without asking the provider
    // again at once (it is asked again after a pause, or when the token expires).
    for i in 0..3 {
        client
            .get(&AlertId::new(format!("later-{i}")).unwrap())
            .await
            .unwrap();
    }
    assert_eq!(
        tokens.0.load(Ordering::SeqCst),
        2,
        "no refresh on every call"
    );
    assert_eq!(alerts.calls_async().await, 24);
    let log = log.text();
    assert_eq!(
        log.matches("the token refresh failed").count(),
        1,
        "one warning for the one failed refresh: {log}"
    );
    assert!(log.contains("WARN") && log.contains("the identity platform is unreachable"));
    assert!(
        !log.contains("first-token"),
        "a token reached the log: {log}"
    );
}

/// Every event and span field the crate traces, as text, on this thread while it is alive
/// (so only for tests on the current-thread runtime).
struct Captured {
    text: Arc<Mutex<String>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Captured {
    fn start() -> Self {
        let text = Arc::new(Mutex::new(String::new()));
        let guard = tracing::subscriber::set_default(Capture(text.clone()));
        Captured {
            text,
            _guard: guard,
        }
    }

    fn text(&self) -> String {
        self.text.lock().unwrap().clone()
    }
}

struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, meta: &tracing::Metadata<'_>) -> bool {
        meta.target().starts_with("partner_alerts")
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut text = self.0.lock().unwrap();
        text.push_str(span.metadata().name());
        span.record(&mut Fields(&mut text));
        text.push('\n');
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut text = self.0.lock().unwrap();
        text.push_str(event.metadata().level().as_str());
        event.record(&mut Fields(&mut text));
        text.push('\n');
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]

async fn a_retry_after_in_the_obsolete_http_date_forms_is_honoured() {
    let at = Utc::now() + TimeDelta::seconds(30);
    for retry_at in [
        at.format("%A, %d-%b-%y %H:%M:%S GMT").to_string(),
        at.format("%a %b %e %H:%M:%S %Y").to_string(),
    ] {
        let server = MockServer::start_async().await;
        let sleep = Arc::new(Recover::default());
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{PATH}/a1"))
                    .is_true(sleep.before());
                then.status(429).header("retry-after", retry_at.clone());
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(GET)
                    .path(format!("{PATH}/a1"))
                    .is_true(sleep.after());
                then.status(200).json_body(alert("a1"));
            })
            .await;
        let client = GraphClient::builder()
            .base_url(server.url("/beta"))
            .credential(StaticToken::new(TOKEN))
            .retry(
                RetryPolicy::standard().backoff(Duration::from_millis(1), Duration::from_millis(1)),
            )
            .sleep(sleep.clone())
            .build()
            .unwrap();
        client.get(&AlertId::new("a1").unwrap()).await.unwrap();
        let waits = sleep.waits();
        assert_eq!(waits.len(), 1);
        assert!(
            waits[0] > Duration::from_secs(1) && waits[0] <= Duration::from_secs(33),
            "Retry-After {retry_at:?} gave {waits:?}"
        );
    }
}

#[tokio::test]
async fn a_token_endpoint_asking_to_try_again_is_retried_within_the_policy() {
    let server = MockServer::start_async().await;
    let recover = Arc::new(Recover::default());
    let busy = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(recover.before());
            then.status(400).json_body(json!({
                "error": "temporarily_unavailable",
                "error_description": "AADSTS50196: try again later"
            }));
        })
        .await;
    let issued = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH).is_true(recover.after());
            then.status(200).json_body(json!({
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": TOKEN
            }));
        })
        .await;
    let alerts = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PATH}/a1"))
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200).json_body(alert("a1"));
        })
        .await;
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(refused_credential(&server))
        .sleep(recover.clone())
        .build()
        .unwrap();
    let got = client.get(&AlertId::new("a1").unwrap()).await.unwrap();
    assert_eq!(got.id.as_str(), "a1");
    assert_eq!(
        (busy.calls_async().await, issued.calls_async().await),
        (1, 1)
    );
    assert_eq!(alerts.calls_async().await, 1);
    assert_eq!(
        recover.waits().len(),
        1,
        "one backoff between the two fetches"
    );
}

#[tokio::test]
async fn a_token_endpoint_that_stays_unavailable_ends_as_a_transient_auth_error() {
    let server = MockServer::start_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.method(POST).path(TOKEN_PATH);
            then.status(400)
                .json_body(json!({"error": "temporarily_unavailable"}));
        })
        .await;
    let recover = Arc::new(Recover::default());
    let client = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(refused_credential(&server))
        .retry(RetryPolicy::default().max_attempts(3))
        .sleep(recover.clone())
        .build()
        .unwrap();
    let err = client.get(&AlertId::new("a1").unwrap()).await.unwrap_err();
    let Error::Auth(auth) = &err else {
        panic!("{err:?}")
    };
    assert!(auth.is_transient());
    assert!(err.is_retryable());
    assert_eq!(busy.calls_async().await, 3, "as many fetches as attempts");
}
