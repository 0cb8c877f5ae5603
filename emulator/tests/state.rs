//! State across restarts, determinism, and changes made through the handle.

mod common;

use common::*;
use partner_alerts::{AlertId, AlertStatus};
use partner_alerts_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::json;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "partner-alerts-emulator-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = temp_dir("restart");
    let path = dir.join("state.json");

    let first = builder(40).state_file(&path).start().await.unwrap();
    assert!(path.exists(), "written at start");
    let target = first
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(AlertStatus::Active))
        .unwrap();
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        first.graph_base_url(),
        target.id
    );
    let got = patch(
        &url,
        &json!({"status": "resolved", "resolvedReason": "fraud"}),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);
    let raised = first.raise_alert();
    let before = first.alerts();
    assert_eq!(first.stats().state_write_errors, 0);
    first.shutdown().await;

    // Another seed and count: the file wins.
    let second = Emulator::builder()
        .alerts(5)
        .seed(99)
        .state_file(&path)
        .start()
        .await
        .unwrap();
    assert_eq!(second.alerts(), before);
    assert_eq!(
        second.alert(&target.id).unwrap().status,
        Some(AlertStatus::Resolved)
    );
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        second.graph_base_url(),
        raised.id
    );
    assert_eq!(get(&url).await.status, StatusCode::OK);
    // Raised alerts continue the sequence rather than repeat it.
    let next = second.raise_alert();
    assert!(before.iter().all(|a| a.id != next.id));
    second.shutdown().await;

    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers,
        [std::ffi::OsString::from("state.json")],
        "no temp files left"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// How many alerts the state file holds now.
fn alerts_on_disk(path: &std::path::Path) -> usize {
    let file: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    file["records"].as_array().unwrap().len()
}

fn leftovers(dir: &std::path::Path) -> Vec<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect()
}

// A current-thread runtime (the default here): the writer cannot run until the test awaits,
// which makes "no write happened yet" deterministic.
#[tokio::test]
async fn changes_do_not_wait_for_the_file_and_a_drop_writes_the_last_state() {
    let dir = temp_dir("drop");
    let path = dir.join("state.json");
    let emulator = builder(40).state_file(&path).start().await.unwrap();
    assert_eq!(alerts_on_disk(&path), 40);

    // A burst of changes: none of them writes the file on the caller's path.
    for _ in 0..50 {
        emulator.raise_alert();
    }
    let id = emulator.alerts()[0].id.clone();
    emulator.update_alert(&id, |a| a.display_name = Some("Last change".to_owned()));
    assert_eq!(emulator.stats().state_writes, 0);
    assert_eq!(alerts_on_disk(&path), 40, "not written yet");
    let expected = emulator.alerts();

    // Nothing awaited since: the drop's own write is the only one, and it holds everything.
    drop(emulator);
    assert_eq!(alerts_on_disk(&path), 90);
    let again = Emulator::builder().state_file(&path).start().await.unwrap();
    assert_eq!(again.alerts(), expected);
    assert_eq!(
        again.alert(&id).unwrap().display_name.as_deref(),
        Some("Last change")
    );
    again.shutdown().await;
    assert_eq!(leftovers(&dir), [std::ffi::OsString::from("state.json")]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn the_writer_keeps_the_file_current_while_serving() {
    let dir = temp_dir("background");
    let path = dir.join("state.json");
    let emulator = builder(10).state_file(&path).start().await.unwrap();
    emulator.raise_alert();
    // The writer runs in the background: wait for it, with a bound so a writer that never
    // writes fails the test instead of hanging it.
    bounded(async {
        while emulator.stats().state_writes == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(alerts_on_disk(&path), 11);

    // A change through the API is written too.
    let target = emulator.alerts()[0].id.clone();
    let url = format!(
        "{}/security/partner/securityAlerts/{target}",
        emulator.graph_base_url()
    );
    let got = patch(&url, &json!({"status": "investigating"})).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let status_on_disk = || {
        let file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        file["records"][0]["alert"]["status"].clone()
    };
    bounded(async {
        while status_on_disk() != "investigating" {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await;
    assert_eq!(emulator.stats().state_write_errors, 0);
    emulator.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_and_kept() {
    let dir = temp_dir("corrupt");
    let path = dir.join("state.json");
    std::fs::write(&path, "{not json").unwrap();
    let err = builder(3).state_file(&path).start().await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn same_seed_same_alerts_over_http() {
    let a = start(30).await;
    let b = start(30).await;
    let c = builder(30).seed(8).start().await.unwrap();
    let body = |e: &Emulator| alerts_url(e, &[]);
    let (ga, gb, gc) = (
        get(&body(&a)).await,
        get(&body(&b)).await,
        get(&body(&c)).await,
    );
    for got in [&ga, &gb, &gc] {
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body["value"].as_array().unwrap().len(), 30);
    }
    let strip = |v: &serde_json::Value| v["value"].clone();
    assert_eq!(strip(&ga.body), strip(&gb.body));
    assert_ne!(strip(&ga.body), strip(&gc.body));
    assert_eq!(a.alerts(), b.alerts());
}

#[tokio::test]
async fn handle_changes_are_served() {
    let emulator = start(5).await;
    let id = emulator.alerts()[2].id.clone();
    let updated = emulator
        .update_alert(&id, |a| {
            a.display_name = Some("Renamed".to_owned());
            a.id = AlertId::new("ignored").unwrap();
        })
        .unwrap();
    assert_eq!(updated.id, id, "the id cannot change");
    let url = format!(
        "{}/security/partner/securityAlerts/{id}",
        emulator.graph_base_url()
    );
    assert_eq!(get(&url).await.body["displayName"], "Renamed");
    assert!(
        emulator
            .update_alert(&AlertId::new("missing").unwrap(), |_| {})
            .is_none()
    );

    // Raised alerts are listed last, active, detected now.
    let raised = emulator.raise_alert();
    assert_eq!(raised.status, Some(AlertStatus::Active));
    assert_eq!(raised.detected_date_time, Some(now()));
    let (items, _) = list_all(&alerts_url(&emulator, &[])).await;
    assert_eq!(items.len(), 6);
    assert_eq!(items[5]["id"], raised.id.as_str());
    let event = emulator.event_id(&raised.id).unwrap();
    assert!(
        event
            .as_str()
            .starts_with(raised.subscription_id.as_ref().unwrap().as_str())
    );

    // Replacing keeps the place and the event id.
    let mut changed = emulator.alert(&id).unwrap();
    changed.status = Some(AlertStatus::Investigating);
    let event_before = emulator.event_id(&id);
    assert!(emulator.insert_alert(changed.clone()).is_some());
    assert_eq!(emulator.alerts()[2], changed);
    assert_eq!(emulator.event_id(&id), event_before);
    assert_eq!(emulator.alert_count(), 6);
}

#[tokio::test]
async fn root_describes_the_emulator_and_shutdown_frees_the_port() {
    let emulator = start(4).await;
    let root = format!("http://{}/", emulator.local_addr());
    let got = read(client().get(&root).send().await.unwrap()).await;
    assert_eq!(got.body["graphBaseUrl"], emulator.graph_base_url());
    assert_eq!(
        got.body["partnerCenterBaseUrl"],
        emulator.partner_center_base_url()
    );
    assert_eq!(got.body["alerts"], 4);
    let addr = emulator.local_addr();
    emulator.shutdown().await;
    assert!(client().get(&root).send().await.is_err());
    // The port is free again.
    let again = Emulator::builder()
        .alerts(1)
        .port(addr.port())
        .start()
        .await
        .unwrap();
    again.shutdown().await;
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server() {
    let emulator = start(1).await;
    let root = format!("http://{}/", emulator.local_addr());
    assert_eq!(get(&root).await.status, StatusCode::OK);
    drop(emulator);
    // The server stops in the background: wait for it, bounded so that a server that never
    // stops fails the test instead of hanging it.
    bounded(async {
        while reqwest::Client::new().get(&root).send().await.is_ok() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await;
}

/// Runs a wait for something that happens in the background, failing after a minute: far
/// beyond any loaded machine's delay, so it measures nothing, and a broken emulator fails
/// the test instead of hanging it.
async fn bounded(wait: impl std::future::Future<Output = ()>) {
    tokio::time::timeout(std::time::Duration::from_secs(60), wait)
        .await
        .expect("the background work did not happen within a minute");
}

/// The fractional digits of every timestamp in a JSON value (JSON held in strings included).
fn fraction_digits(v: &serde_json::Value, out: &mut Vec<(String, usize)>) {
    match v {
        serde_json::Value::String(s) => {
            if s.starts_with('[') || s.starts_with('{') {
                if let Ok(inner) = serde_json::from_str(s) {
                    fraction_digits(&inner, out);
                }
                return;
            }
            let b = s.as_bytes();
            let looks_like_time = b.len() >= 19
                && b[4] == b'-'
                && b[10] == b'T'
                && b[13] == b':'
                && b[..4].iter().all(u8::is_ascii_digit);
            if looks_like_time {
                let digits = s[19..].trim_start_matches('.');
                let n = digits.bytes().take_while(u8::is_ascii_digit).count();
                out.push((s.clone(), if s[19..].starts_with('.') { n } else { 0 }));
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| fraction_digits(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| fraction_digits(x, out)),
        _ => {}
    }
}

fn assert_ticks(v: &serde_json::Value) -> usize {
    let mut found = Vec::new();
    fraction_digits(v, &mut found);
    for (s, n) in &found {
        assert!(
            *n <= 7,
            "{s} has {n} fractional digits; Graph writes at most 7"
        );
    }
    found.len()
}

#[tokio::test]
async fn times_have_at_most_seven_fractional_digits() {
    let odd = now() + chrono::TimeDelta::nanoseconds(123_456_789);
    let emulator = builder(40).now(odd).start().await.unwrap();
    assert_eq!(
        emulator.now(),
        now() + chrono::TimeDelta::nanoseconds(123_456_700)
    );
    let (items, _) = list_all(&alerts_url(&emulator, &[])).await;
    assert!(assert_ticks(&serde_json::Value::Array(items)) > 100);

    let raised = emulator.raise_alert();
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        raised.id
    );
    let got = get(&url).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body["detectedDateTime"], "2025-03-01T12:00:00.1234567Z");

    emulator.set_now(odd + chrono::TimeDelta::nanoseconds(10));
    let got = patch(
        &url,
        &json!({"status": "resolved", "resolvedReason": "fraud"}),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(
        got.body["resolvedOnDateTime"],
        "2025-03-01T12:00:00.1234567Z"
    );
    assert_eq!(
        got.body["activityLogs"][0]["updatedDateTime"],
        "2025-03-01T12:00:00.1234567Z"
    );
    assert_ticks(&got.body);

    // Partner Center's view, after a change made through it.
    let sub = raised.subscription_id.as_ref().unwrap();
    let pc = format!(
        "{}/v1/fraudEvents/subscription/{sub}/status",
        emulator.partner_center_base_url()
    );
    let got = post_with(
        &pc,
        &json!({"EventStatus": "Investigating"}),
        &[("X-NewEventsModel", "true")],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert!(assert_ticks(&got.body) > 0);

    // Times given through the handle are cut too.
    let mut inserted = raised.clone();
    inserted.id = AlertId::new("f0000000-0000-0000-0000-000000000001").unwrap();
    inserted.detected_date_time = Some(odd);
    emulator.insert_alert(inserted.clone());
    assert_eq!(
        emulator.alert(&inserted.id).unwrap().detected_date_time,
        Some(emulator.now())
    );
    let updated = emulator
        .update_alert(&inserted.id, |a| a.last_observed_date_time = Some(odd))
        .unwrap();
    assert_eq!(updated.last_observed_date_time, Some(emulator.now()));
}

#[tokio::test]
async fn the_system_clock_is_cut_to_ticks_too() {
    let emulator = Emulator::builder().alerts(3).start().await.unwrap();
    let raised = emulator.raise_alert();
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        raised.id
    );
    let got = patch(
        &url,
        &json!({"status": "resolved", "resolvedReason": "ignore"}),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert!(assert_ticks(&got.body) >= 4);
    assert_eq!(emulator.now().timestamp_subsec_nanos() % 100, 0);
}
