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
    assert!(first.stats().state_writes >= 2);
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
    drop(emulator);
    let mut stopped = false;
    for _ in 0..50 {
        if reqwest::Client::new().get(&root).send().await.is_err() {
            stopped = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(stopped);
}
