//! Fault injection over HTTP: rates, repeatability, forced faults of every kind, latency.

mod common;

use std::time::{Duration, Instant};

use common::*;
use partner_alerts_emulator::{Emulator, FaultKind, FaultSettings};
use reqwest::StatusCode;
use serde_json::json;

/// Statuses (or `None` for a transport error) of `n` sequential list requests.
async fn statuses(emulator: &Emulator, n: usize) -> Vec<Option<u16>> {
    let url = alerts_url(emulator, &[("$top", "1")]);
    let client = client();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let res = client.get(&url).bearer_auth("t").send().await;
        out.push(match res {
            Ok(r) => {
                let s = r.status().as_u16();
                // A truncated body fails here.
                r.bytes().await.ok().map(|_| s)
            }
            Err(_) => None,
        });
    }
    out
}

#[tokio::test]
async fn faults_come_at_the_rate_and_repeat_with_the_seed() {
    let faults = FaultSettings::new()
        .rate(0.25)
        .kinds([
            FaultKind::Throttle,
            FaultKind::InternalServerError,
            FaultKind::ServiceUnavailable,
        ])
        .retry_after(Duration::from_millis(200));
    let a = builder(3).faults(faults.clone()).start().await.unwrap();
    let b = builder(3).faults(faults.clone()).start().await.unwrap();
    let c = builder(3).faults(faults.seed(12345)).start().await.unwrap();
    let (sa, sb, sc) = (
        statuses(&a, 200).await,
        statuses(&b, 200).await,
        statuses(&c, 200).await,
    );
    assert_eq!(sa, sb, "the same seed gives the same faults");
    assert_ne!(sa, sc, "another seed other faults");
    let failed = sa.iter().filter(|s| **s != Some(200)).count();
    assert!(
        (25..=75).contains(&failed),
        "{failed} of 200 at a rate of 0.25"
    );
    for kind in [429, 500, 503] {
        assert!(sa.contains(&Some(kind)), "{kind} appears");
    }
    let stats = a.stats();
    assert_eq!(stats.faults() as usize, failed);
    assert_eq!(stats.requests, 200);
    assert_eq!(
        (stats.throttled + stats.internal_errors + stats.unavailable) as usize,
        failed
    );
}

#[tokio::test]
async fn throttling_bodies_and_retry_after() {
    let emulator = builder(3)
        .faults(FaultSettings::new().retry_after(Duration::from_millis(200)))
        .start()
        .await
        .unwrap();
    emulator.fail_next(1, FaultKind::Throttle);
    let got = get_with(&alerts_url(&emulator, &[]), &[("client-request-id", "c-1")]).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(got.header("retry-after"), Some("0.2"));
    assert_eq!(got.body["error"]["code"], "TooManyRequests");
    assert_eq!(got.body["error"]["innerError"]["status"], "429");
    assert_eq!(got.body["error"]["innerError"]["client-request-id"], "c-1");
    assert_eq!(got.header("client-request-id"), Some("c-1"));

    emulator.fail_next(1, FaultKind::Throttle);
    let url = format!("{}/v1/fraudEvents", emulator.partner_center_base_url());
    let got = get(&url).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(got.header("retry-after"), Some("0.2"));
    assert_eq!(got.body["statusCode"], 429);
    assert!(got.header("ms-requestid").is_some());

    emulator.fail_next(2, FaultKind::ServiceUnavailable);
    let got = get(&alerts_url(&emulator, &[])).await;
    assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(got.header("retry-after"), Some("0.2"));
    assert_eq!(got.body["error"]["code"], "serviceNotAvailable");
    let got = get(&url).await;
    assert_eq!(got.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(got.body["source"], "PartnerFD");

    emulator.fail_next(1, FaultKind::InternalServerError);
    assert_eq!(get(&url).await.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        get(&url).await.status,
        StatusCode::OK,
        "forced faults run out"
    );

    emulator.fail_next(3, FaultKind::InternalServerError);
    emulator.fail_next(0, FaultKind::InternalServerError);
    assert_eq!(
        get(&url).await.status,
        StatusCode::OK,
        "fail_next(0) cancels"
    );
    let stats = emulator.stats();
    assert_eq!(
        (stats.throttled, stats.unavailable, stats.internal_errors),
        (2, 2, 1)
    );
}

#[tokio::test]
async fn dropped_connections_and_truncated_bodies() {
    let emulator = start(3).await;
    let url = alerts_url(&emulator, &[]);

    emulator.fail_next(1, FaultKind::DropConnection);
    let err = client()
        .get(&url)
        .bearer_auth("t")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");

    emulator.fail_next(1, FaultKind::TruncateBody);
    let res = client().get(&url).bearer_auth("t").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let announced: usize = res.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 100);
    assert!(res.bytes().await.is_err(), "the body is cut short");

    // A truncated PATCH was still applied.
    let id = emulator.alerts()[0].id.clone();
    emulator.fail_next(1, FaultKind::TruncateBody);
    let res = client()
        .patch(format!(
            "{}/security/partner/securityAlerts/{id}",
            emulator.graph_base_url()
        ))
        .bearer_auth("t")
        .json(&json!({"status": "investigating"}))
        .send()
        .await
        .unwrap();
    assert!(res.bytes().await.is_err());
    assert_eq!(
        emulator.alert(&id).unwrap().status,
        Some(partner_alerts::AlertStatus::Investigating)
    );

    assert_eq!(
        get(&url).await.status,
        StatusCode::OK,
        "the next request is served"
    );
    let stats = emulator.stats();
    assert_eq!((stats.dropped, stats.truncated), (1, 2));
}

#[tokio::test]
async fn latency_is_added() {
    let emulator = builder(2)
        .faults(FaultSettings::new().latency(Duration::from_millis(150)))
        .start()
        .await
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        get(&alerts_url(&emulator, &[])).await.status,
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn batch_items_fault_individually() {
    let emulator = builder(3)
        .faults(FaultSettings::new().rate(0.5).kinds([FaultKind::Throttle]))
        .start()
        .await
        .unwrap();
    let requests: Vec<_> = (0..20)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/security/partner/securityAlerts?$top=1"}))
        .collect();
    let url = format!("{}/$batch", emulator.graph_base_url());
    // The outer request may itself be throttled; retry a few times.
    let mut batch = None;
    for _ in 0..20 {
        let got = post_with(&url, &json!({"requests": requests}), &[]).await;
        if got.status == StatusCode::OK {
            batch = Some(got);
            break;
        }
    }
    let batch = batch.expect("one batch gets through");
    let responses = batch.body["responses"].as_array().unwrap();
    let throttled: Vec<_> = responses.iter().filter(|r| r["status"] == 429).collect();
    assert!(!throttled.is_empty() && throttled.len() < 20);
    for r in throttled {
        assert_eq!(r["headers"]["Retry-After"], "1");
        assert_eq!(r["body"]["error"]["code"], "TooManyRequests");
    }
    assert!(responses.iter().any(|r| r["status"] == 200));
}
