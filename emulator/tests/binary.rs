//! The binary: prints both base URLs and serves them.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn prints_both_urls_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_partner-alerts-emulator"))
        .args([
            "--port",
            "0",
            "--alerts",
            "12",
            "--seed",
            "7",
            "--page-size",
            "5",
        ])
        .args(["--now", "2025-03-01T12:00:00Z", "--retry-after", "0.2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let graph = lines.next().unwrap().unwrap();
    let pc = lines.next().unwrap().unwrap();

    let result = async {
        assert!(
            graph.starts_with("http://127.0.0.1:") && graph.ends_with("/beta"),
            "{graph}"
        );
        assert!(
            pc.starts_with("http://127.0.0.1:") && pc.ends_with("/partner-center"),
            "{pc}"
        );
        let (items, pages) =
            common::list_all(&format!("{graph}/security/partner/securityAlerts")).await;
        assert_eq!((items.len(), pages), (12, 3));
        let events = common::get(&format!("{pc}/v1/fraudEvents")).await;
        assert_eq!(events.body.as_array().unwrap().len(), 12);
    };
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(20), result).await;
    child.kill().ok();
    child.wait().ok();
    outcome.expect("the binary answers in time");
}

#[tokio::test]
async fn serves_the_quirks_given() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_partner-alerts-emulator"))
        .args([
            "--alerts",
            "12",
            "--seed",
            "7",
            "--now",
            "2025-03-01T12:00:00Z",
        ])
        .args(["--quirks", "odd-values,page-cap=5,not-alerts-every=2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let graph = lines.next().unwrap().unwrap();
    let pc = lines.next().unwrap().unwrap();
    let result = async {
        let page = common::get(&format!("{graph}/security/partner/securityAlerts")).await;
        let value = page.body["value"].as_array().unwrap();
        // Five alerts (the cap), each with an odd value, an item that is no alert after every
        // second.
        assert_eq!(value.len(), 7, "{}", page.body);
        assert_eq!(value[0]["detectedDateTime"], "23/01/2024 16:03");
        assert_eq!(value[2], serde_json::json!(7));
        let events = common::get(&format!("{pc}/v1/fraudEvents")).await;
        assert_eq!(events.body.as_array().unwrap().len(), 7);
        assert_eq!(events.body[0]["hitCount"], "n/a");
    };
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(20), result).await;
    child.kill().ok();
    child.wait().ok();
    outcome.expect("the binary answers in time");
}

#[test]
fn changes_alerts_on_schedule_and_says_so() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_partner-alerts-emulator"))
        .args([
            "--alerts",
            "12",
            "--seed",
            "7",
            "--change-status-every",
            "0.05",
        ])
        .args([
            "--faults",
            "throttle-item,drop-after",
            "--quirks",
            "shuffled-batch",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("changed alert") {
                let _ = tx.send(line);
                return;
            }
        }
    });
    let line = rx.recv_timeout(std::time::Duration::from_secs(10));
    child.kill().ok();
    child.wait().ok();
    let line = line.expect("a change is reported within 10 s");
    assert!(line.contains("status"), "{line}");
}

#[test]
fn help_documents_the_quirks() {
    let out = Command::new(env!("CARGO_BIN_EXE_partner-alerts-emulator"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for item in [
        "--quirks <LIST>",
        "odd-values",
        "not-alerts-every=N",
        "resolve-served=N",
        "page-cap=N",
        "foreign-next-link",
        "repeated-next-link",
        "empty-page-after=K",
        "applied-then-500=N",
        "shuffled-batch",
        "--change-status-every <SECONDS>",
        "--new-alert-every <SECONDS>",
        "--entitlement-delay <SECONDS>",
        "drop-after",
        "throttle-item",
    ] {
        assert!(help.contains(item), "--help mentions {item}:\n{help}");
    }
}

#[test]
fn rejects_bad_arguments() {
    for args in [
        &["--faults", "teapot"][..],
        &["--fault-rate", "x"],
        &["--new-alert-every", "0"],
        &["--change-status-every", "0"],
        &["--change-status-every", "soon"],
        &["--quirks", "shuffled-batch=2"],
        &["--now", "yesterday"],
        &["--entitlement-delay", "soon"],
        &["--quirks", "teapot"],
        &["--quirks", "page-cap=0"],
        &["--quirks", "odd-values=yes"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_partner-alerts-emulator"))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
}
