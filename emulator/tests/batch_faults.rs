//! `$batch` under faults, over raw HTTP: the size limit, throttled and failed requests inside
//! a batch, a batch applied and then dropped, shuffled responses, the write counters, and the
//! alerts that change by themselves (one-shot and on schedule) for watchers.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use partner_alerts::{Alert, AlertId, AlertStatus, FraudEvent};
use partner_alerts_emulator::{
    COLLEAGUE_UPN, EMULATOR_UPN, Emulator, FaultKind, FaultSettings, Quirks,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ALERTS: &str = "/security/partner/securityAlerts";

fn batch_url(emulator: &Emulator) -> String {
    format!("{}/$batch", emulator.graph_base_url())
}

/// A batch request that sets `status` on an alert.
fn patch_item(id: &str, alert: &AlertId, status: &str) -> Value {
    json!({"id": id, "method": "PATCH", "url": format!("{ALERTS}/{alert}"),
           "headers": {"Content-Type": "application/json", "client-request-id": format!("c-{id}")},
           "body": {"status": status}})
}

/// The alerts that are active, in listing order.
fn active(emulator: &Emulator) -> Vec<Alert> {
    emulator
        .alerts()
        .into_iter()
        .filter(|a| a.status == Some(AlertStatus::Active))
        .collect()
}

/// The responses of a batch answer by id (each id once).
fn by_id(got: &Got) -> HashMap<String, Value> {
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let responses = got.body["responses"].as_array().expect("responses");
    let map: HashMap<String, Value> = responses
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r.clone()))
        .collect();
    assert_eq!(map.len(), responses.len(), "each id once");
    map
}

/// Every response of a batch carries its own status, ids and headers.
fn assert_envelope(r: &Value) {
    assert!(r["status"].as_u64().is_some(), "{r}");
    let headers = r["headers"].as_object().expect("headers");
    assert!(
        headers["request-id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        headers["client-request-id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
}

#[tokio::test]
async fn more_than_twenty_requests_are_refused_whole() {
    let emulator = start(30).await;
    let ids: Vec<AlertId> = emulator.alerts().iter().map(|a| a.id.clone()).collect();
    let requests: Vec<Value> = (0..21)
        .map(|i| patch_item(&i.to_string(), &ids[i], "investigating"))
        .collect();
    let before = emulator.alerts();
    let got = post_with(&batch_url(&emulator), &json!({ "requests": requests }), &[]).await;
    let message = graph_error(&got, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(message.contains("21"), "{message}");
    assert_eq!(emulator.alerts(), before, "nothing ran");
    let stats = emulator.stats();
    assert_eq!((stats.batches, stats.patches, stats.writes), (1, 0, 0));

    // Twenty is the limit, not beyond it.
    let got = post_with(
        &batch_url(&emulator),
        &json!({ "requests": &requests[..20] }),
        &[],
    )
    .await;
    let responses = by_id(&got);
    assert_eq!(responses.len(), 20);
    for r in responses.values() {
        assert_envelope(r);
        assert_eq!(r["status"], 200, "{r}");
    }
    let stats = emulator.stats();
    assert_eq!(
        (
            stats.batches,
            stats.batch_items,
            stats.patches,
            stats.writes
        ),
        (2, 20, 20, 20)
    );
}

#[tokio::test]
async fn a_throttled_request_in_a_batch_is_429_and_not_applied() {
    let emulator = builder(20)
        .faults(FaultSettings::new().retry_after(Duration::from_millis(2128)))
        .start()
        .await
        .unwrap();
    let open = active(&emulator);
    let (a, b, c) = (&open[0].id, &open[1].id, &open[2].id);
    emulator.throttle_next_batch_items(1);
    let body = json!({"requests": [
        patch_item("1", a, "investigating"),
        {"id": "2", "dependsOn": ["1"], "method": "GET", "url": format!("{ALERTS}/{a}")},
        patch_item("3", b, "investigating"),
        patch_item("4", c, "investigating"),
    ]});
    let got = post_with(&batch_url(&emulator), &body, &[]).await;
    let r = by_id(&got);
    for item in r.values() {
        assert_envelope(item);
    }

    let throttled = &r["1"];
    assert_eq!(throttled["status"], 429);
    assert_eq!(throttled["headers"]["Retry-After"], "2.128");
    assert_eq!(throttled["headers"]["client-request-id"], "c-1");
    let error = &throttled["body"]["error"];
    assert_eq!(error["code"], "TooManyRequests");
    assert_eq!(error["innerError"]["status"], "429");
    assert_eq!(error["innerError"]["client-request-id"], "c-1");
    assert_eq!(
        error["innerError"]["request-id"],
        throttled["headers"]["request-id"]
    );
    assert_eq!(emulator.alert(a), Some(open[0].clone()), "not applied");

    assert_eq!(r["2"]["status"], 424, "its dependant fails");
    assert_eq!(r["2"]["body"]["error"]["code"], "FailedDependency");
    for (id, alert) in [("3", b), ("4", c)] {
        assert_eq!(r[id]["status"], 200);
        assert_eq!(
            emulator.alert(alert).unwrap().status,
            Some(AlertStatus::Investigating)
        );
    }
    let stats = emulator.stats();
    assert_eq!(stats.throttled, 1);
    assert_eq!(
        (
            stats.batches,
            stats.batch_items,
            stats.patches,
            stats.writes
        ),
        (1, 4, 2, 2)
    );

    // 503 (with Retry-After) and 500, not applied either; then the batch runs normally.
    emulator.fail_next_batch_items(1, FaultKind::ServiceUnavailable);
    emulator.fail_next_batch_items(1, FaultKind::InternalServerError);
    let body = json!({"requests": [
        patch_item("x", a, "resolved"),
        patch_item("y", a, "resolved"),
        patch_item("z", a, "investigating"),
    ]});
    let r = by_id(&post_with(&batch_url(&emulator), &body, &[]).await);
    assert_eq!(r["x"]["status"], 503);
    assert_eq!(r["x"]["headers"]["Retry-After"], "2.128");
    assert_eq!(r["x"]["body"]["error"]["code"], "serviceNotAvailable");
    assert_eq!(r["y"]["status"], 500);
    assert_eq!(r["y"]["body"]["error"]["code"], "generalException");
    assert_eq!(r["z"]["status"], 200);
    assert_eq!(
        emulator.alert(a).unwrap().status,
        Some(AlertStatus::Investigating),
        "only z applied"
    );
    assert_eq!(emulator.stats().writes, 3);
}

#[test]
#[should_panic(expected = "cannot hit a request inside a $batch")]
fn a_dropped_connection_cannot_hit_a_batch_item() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let emulator = rt.block_on(start(1));
    emulator.fail_next_batch_items(1, FaultKind::DropConnection);
}

/// The statuses of a batch of PATCHes on the first 20 active alerts, by request order.
async fn throttled_pattern(emulator: &Emulator) -> Vec<u64> {
    let open = active(emulator);
    let requests: Vec<Value> = (0..20)
        .map(|i| patch_item(&i.to_string(), &open[i].id, "investigating"))
        .collect();
    let got = post_with(&batch_url(emulator), &json!({ "requests": requests }), &[]).await;
    let r = by_id(&got);
    (0..20)
        .map(|i| {
            let item = &r[&i.to_string()];
            let status = item["status"].as_u64().unwrap();
            let stored = emulator.alert(&open[i].id).unwrap().status;
            match status {
                429 => {
                    assert_eq!(item["headers"]["Retry-After"], "0.5");
                    assert_eq!(stored, Some(AlertStatus::Active), "throttled: unchanged");
                }
                200 => assert_eq!(stored, Some(AlertStatus::Investigating)),
                s => panic!("unexpected status {s}: {item}"),
            }
            status
        })
        .collect()
}

#[tokio::test]
async fn rate_based_item_throttling_stays_inside_batches_and_repeats() {
    let faults = FaultSettings::new()
        .rate(0.5)
        .kinds([FaultKind::ThrottleBatchItem])
        .retry_after(Duration::from_millis(500));
    let one = builder(100).faults(faults.clone()).start().await.unwrap();
    let two = builder(100).faults(faults).start().await.unwrap();
    for _ in 0..20 {
        assert_eq!(
            get(&alerts_url(&one, &[("$top", "1")])).await.status,
            StatusCode::OK
        );
        assert_eq!(
            get(&alerts_url(&two, &[("$top", "1")])).await.status,
            StatusCode::OK
        );
    }
    let a = throttled_pattern(&one).await;
    let b = throttled_pattern(&two).await;
    assert_eq!(a, b, "the same seed throttles the same requests");
    let throttled = a.iter().filter(|s| **s == 429).count();
    assert!(
        (2..=18).contains(&throttled),
        "{throttled} of 20 at a rate of 0.5"
    );
    let stats = one.stats();
    assert_eq!(stats.throttled as usize, throttled);
    assert_eq!(stats.writes as usize, 20 - throttled);
    assert_eq!(
        stats.requests, 21,
        "20 gets and the batch, none faulted whole"
    );
}

#[tokio::test]
async fn a_reset_batch_is_applied_whole_then_dropped() {
    let emulator = start(40).await;
    let open = active(&emulator);
    emulator.reset_after_next_batch(1);

    // Other requests do not use it up.
    assert_eq!(
        get(&alerts_url(&emulator, &[])).await.status,
        StatusCode::OK
    );

    let requests: Vec<Value> = (0..5)
        .map(|i| patch_item(&i.to_string(), &open[i].id, "resolved"))
        .collect();
    let started = Instant::now();
    let err = client()
        .post(batch_url(&emulator))
        .bearer_auth("t")
        .json(&json!({ "requests": requests }))
        .send()
        .await
        .expect_err("the connection is dropped without an answer");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    for a in &open[..5] {
        let stored = emulator.alert(&a.id).unwrap();
        assert_eq!(stored.status, Some(AlertStatus::Resolved), "applied");
        assert_eq!(stored.resolved_by.as_deref(), Some(EMULATOR_UPN));
    }
    let stats = emulator.stats();
    assert_eq!(
        (stats.dropped_after_processing, stats.batches, stats.writes),
        (1, 1, 5)
    );

    // Used up: the next batch is answered.
    let got = post_with(
        &batch_url(&emulator),
        &json!({"requests": [patch_item("1", &open[5].id, "investigating")]}),
        &[],
    )
    .await;
    assert_eq!(by_id(&got)["1"]["status"], 200);

    // The same fault on any request, forced or drawn: a PATCH applied, then dropped.
    emulator.fail_next(1, FaultKind::DropAfterProcessing);
    let err = client()
        .patch(format!(
            "{}{ALERTS}/{}",
            emulator.graph_base_url(),
            open[6].id
        ))
        .bearer_auth("t")
        .json(&json!({"status": "investigating"}))
        .send()
        .await
        .expect_err("dropped");
    assert!(!err.is_status(), "{err:?}");
    assert_eq!(
        emulator.alert(&open[6].id).unwrap().status,
        Some(AlertStatus::Investigating)
    );
    assert_eq!(emulator.stats().dropped_after_processing, 2);
    assert_eq!(
        "drop-after".parse::<FaultKind>(),
        Ok(FaultKind::DropAfterProcessing)
    );
    assert_eq!(
        "throttle-item".parse::<FaultKind>(),
        Ok(FaultKind::ThrottleBatchItem)
    );
}

/// The response ids of a batch of ten GETs, in the order served.
async fn served_order(emulator: &Emulator) -> Vec<String> {
    let alerts = emulator.alerts();
    let requests: Vec<Value> = (0..10)
        .map(|i| {
            json!({"id": format!("r{i}"), "method": "GET",
                        "url": format!("{ALERTS}/{}?$select=id", alerts[i].id)})
        })
        .collect();
    let got = post_with(&batch_url(emulator), &json!({ "requests": requests }), &[]).await;
    let responses = got.body["responses"].as_array().unwrap();
    for r in responses {
        // Matched by id, each response answers its own request.
        let i: usize = r["id"].as_str().unwrap()[1..].parse().unwrap();
        assert_eq!(r["body"]["id"], alerts[i].id.as_str());
        assert_envelope(r);
    }
    responses
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn shuffled_batch_responses_are_matched_by_id_only() {
    let sent: Vec<String> = (0..10).map(|i| format!("r{i}")).collect();
    let plain = start(12).await;
    assert_eq!(served_order(&plain).await, sent, "in order by default");

    let quirks: Quirks = "shuffled-batch".parse().unwrap();
    let one = builder(12).quirks(quirks.clone()).start().await.unwrap();
    let two = builder(12).quirks(quirks).start().await.unwrap();
    let first = served_order(&one).await;
    assert_ne!(first, sent, "another order than sent");
    let mut sorted = first.clone();
    sorted.sort_by_key(|id| id[1..].parse::<usize>().unwrap());
    assert_eq!(sorted, sent, "every response once");
    assert_eq!(first, served_order(&two).await, "seeded");
    assert_ne!(served_order(&one).await, sent, "every batch");
    assert_eq!(one.stats().shuffled_batches, 2);
    assert!(one.quirks().shuffled_batch_responses_on());
}

#[tokio::test]
async fn stats_tell_reads_from_writes() {
    let emulator = start(20).await;
    let open = active(&emulator);
    // Reads only: nothing written.
    list_all(&alerts_url(&emulator, &[])).await;
    get(&format!(
        "{}/v1/fraudEvents",
        emulator.partner_center_base_url()
    ))
    .await;
    let got = post_with(
        &batch_url(&emulator),
        &json!({"requests": [{"id": "1", "method": "GET", "url": ALERTS}]}),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    let s = emulator.stats();
    assert_eq!(
        (
            s.patches,
            s.status_updates,
            s.writes,
            s.batches,
            s.batch_items
        ),
        (0, 0, 0, 1, 1),
        "no write was sent"
    );

    // A direct PATCH applied, one refused.
    let item = |id: &AlertId| format!("{}{ALERTS}/{id}", emulator.graph_base_url());
    assert_eq!(
        patch(&item(&open[0].id), &json!({"status": "investigating"}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        patch(&item(&open[1].id), &json!({"status": "closed"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let s = emulator.stats();
    assert_eq!((s.patches, s.writes), (2, 1));

    // A batch of two PATCHes and a GET.
    let body = json!({"requests": [
        patch_item("1", &open[2].id, "investigating"),
        patch_item("2", &open[3].id, "investigating"),
        {"id": "3", "method": "GET", "url": format!("{ALERTS}/{}", open[2].id)},
    ]});
    by_id(&post_with(&batch_url(&emulator), &body, &[]).await);
    let s = emulator.stats();
    assert_eq!(
        (s.batches, s.batch_items, s.patches, s.writes),
        (2, 4, 4, 3)
    );

    // A Partner Center status update counts once, and one write per event it changed.
    let pick = &open[4];
    let sub = pick.subscription_id.clone().unwrap();
    let events: Vec<String> = open
        .iter()
        .skip(4)
        .filter(|a| a.subscription_id.as_ref() == Some(&sub))
        .take(2)
        .map(|a| emulator.event_id(&a.id).unwrap().to_string())
        .collect();
    let got = post_with(
        &format!(
            "{}/v1/fraudEvents/subscription/{sub}/status",
            emulator.partner_center_base_url()
        ),
        &json!({"EventIds": events, "EventStatus": "Investigating"}),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let s = emulator.stats();
    assert_eq!(
        (s.status_updates, s.patches, s.writes),
        (1, 4, 3 + events.len() as u64)
    );
    assert_eq!(s.random_changes, 0);
}

/// Every alert as Graph lists it, by id.
async fn listed(emulator: &Emulator) -> HashMap<String, Value> {
    let (items, _) = list_all(&alerts_url(emulator, &[])).await;
    items
        .into_iter()
        .map(|a| (a["id"].as_str().unwrap().to_owned(), a))
        .collect()
}

/// The alert's event as the FraudEvents listing serves it (new model).
async fn listed_event(emulator: &Emulator, id: &AlertId) -> FraudEvent {
    let event_id = emulator.event_id(id).unwrap();
    let got = get_with(
        &format!("{}/v1/fraudEvents", emulator.partner_center_base_url()),
        &[("X-NewEventsModel", "true")],
    )
    .await;
    let e = got
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventId"] == event_id.as_str())
        .expect("the event is listed")
        .clone();
    serde_json::from_value(e).unwrap()
}

#[tokio::test]
async fn change_random_alert_changes_one_alert_seen_by_both_apis() {
    let emulator = start(30).await;
    let mut status_changes = 0;
    for _ in 0..12 {
        let before = listed(&emulator).await;
        let changed = emulator.change_random_alert().expect("an alert changes");
        let after = listed(&emulator).await;
        let differ: Vec<&String> = after
            .iter()
            .filter(|(id, a)| before.get(*id) != Some(a))
            .map(|(id, _)| id)
            .collect();
        assert_eq!(differ, [changed.id.as_str()], "exactly one alert changed");

        // Graph's get serves the alert returned.
        let got = get(&format!(
            "{}{ALERTS}/{}",
            emulator.graph_base_url(),
            changed.id
        ))
        .await;
        let served: Alert = serde_json::from_value(got.body).unwrap();
        assert_eq!(served, changed);

        // So does the FraudEvents listing.
        let event = listed_event(&emulator, &changed.id).await;
        assert_eq!(event, emulator.fraud_event(&changed.id, true).unwrap());
        assert_eq!(event.event_status, changed.status);
        assert_eq!(event.resolved_by, changed.resolved_by);
        assert_eq!(event.last_observed, changed.last_observed_date_time);

        let old = &before[changed.id.as_str()];
        if old["status"] != after[changed.id.as_str()]["status"] {
            status_changes += 1;
            assert_ne!(old["status"], "resolved", "only open alerts change status");
            let log = changed.activity_logs.as_ref().unwrap().last().unwrap();
            assert_eq!(log.updated_by.as_deref(), Some(COLLEAGUE_UPN));
            assert_eq!(log.status_to, changed.status);
            if changed.status == Some(AlertStatus::Resolved) {
                assert!(changed.resolved_reason.is_some());
                assert_eq!(changed.resolved_on_date_time, Some(now()));
                assert_eq!(changed.resolved_by.as_deref(), Some(COLLEAGUE_UPN));
            }
        }
    }
    assert!(
        status_changes >= 5,
        "mostly status changes: {status_changes}"
    );
    let s = emulator.stats();
    assert_eq!((s.random_changes, s.writes), (12, 0));

    // The same seed and state, the same changes.
    let again = start(30).await;
    let replay: Vec<Alert> = (0..12)
        .filter_map(|_| again.change_random_alert())
        .collect();
    assert_eq!(again.alerts(), emulator.alerts());
    assert_eq!(replay.len(), 12);

    let none = start(0).await;
    assert_eq!(none.change_random_alert(), None);
}

#[tokio::test]
async fn alerts_change_and_appear_on_schedule() {
    let emulator = builder(20)
        .change_status_every(Duration::from_millis(50))
        .new_alert_every(Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let before = emulator.alerts();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let s = emulator.stats();
        if s.random_changes >= 3 && s.scheduled_alerts >= 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no scheduled changes in 5 s: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = emulator.alerts();
    assert!(after.len() >= 22, "alerts raised: {}", after.len());
    let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count();
    assert!(changed >= 1, "existing alerts changed");
    // Seen over HTTP too.
    let (items, _) = list_all(&alerts_url(&emulator, &[])).await;
    assert!(items.len() >= after.len());
    emulator.shutdown().await;

    // Zero turns the schedules off.
    let off = builder(5)
        .change_status_every(Duration::ZERO)
        .new_alert_every(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let before = off.alerts();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(off.alerts(), before);
}
