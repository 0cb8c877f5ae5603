//! `partner-alerts webhooks` against an emulator in the test: `serve` verifies the signed
//! callbacks, prints each alert once in the watcher's JSON-lines format, drops redeliveries
//! and answers 503 when its queue is full; `register`, `show` and `test` manage the
//! registration.

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use partner_alerts::auth::StaticToken;
use partner_alerts::webhooks::{AZURE_FRAUD_EVENT_DETECTED, Registration, RegistrationClient};
use partner_alerts_emulator::{Emulator, FaultSettings};

/// The binary with a token of its own and none of the machine's credentials.
fn cli() -> Command {
    let mut c = support::cli();
    c.env("PARTNER_ALERTS_TOKEN", "test-token");
    c
}

/// A receiver process, its address, and its output lines as they come.
struct Serve {
    child: Child,
    url: String,
    stdout: mpsc::Receiver<String>,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines(r: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn serve(emu: &Emulator, extra: &[&str]) -> Serve {
    let ca = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("webhooks-ca-{}.cer", emu.local_addr().port()));
    std::fs::write(&ca, emu.webhook_ca_der()).unwrap();
    let mut child = cli()
        .args(["--base-url", emu.graph_base_url(), "webhooks", "serve"])
        .args(["--listen", "127.0.0.1:0", "--cert-host", "127.0.0.1"])
        .arg("--root")
        .arg(&ca)
        .arg("--allow-http-loopback")
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    let stdout = lines(child.stdout.take().unwrap());
    let url = loop {
        let line = stderr
            .recv_timeout(Duration::from_secs(30))
            .expect("serve prints its address");
        if let Some(addr) = line.strip_prefix("partner-alerts: listening on ") {
            break format!("{addr}/partner-center-events");
        }
    };
    // Keep draining standard error so the process never blocks on it.
    std::thread::spawn(move || while stderr.recv().is_ok() {});
    Serve { child, url, stdout }
}

async fn register(emu: &Emulator, url: &str) {
    RegistrationClient::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("emulator"))
        .build()
        .unwrap()
        .register(&Registration::new(url).event(AZURE_FRAUD_EVENT_DETECTED))
        .await
        .unwrap();
}

/// The ids of the alerts printed until `until` returns true or `wait` passes.
fn printed_until(
    s: &Serve,
    wait: Duration,
    mut until: impl FnMut(&[String]) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + wait;
    let mut ids = Vec::new();
    while !until(&ids) {
        let left = deadline.saturating_duration_since(Instant::now());
        match s.stdout.recv_timeout(left) {
            Ok(line) => {
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                assert_eq!(v["event"], "new", "{line}");
                assert!(v["key"].as_str().unwrap().contains('@'), "{line}");
                ids.push(v["alert"]["id"].as_str().unwrap().to_owned());
            }
            Err(_) => break,
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_each_alert_once_and_drops_redeliveries() {
    let emu = Emulator::builder()
        .alerts(30)
        .seed(5)
        .start()
        .await
        .unwrap();
    let s = serve(&emu, &[]);
    register(&emu, &s.url).await;
    let raised = emu.raise_alert();
    let id = raised.id.to_string();
    let ids = printed_until(&s, Duration::from_secs(30), |ids| ids.contains(&id));
    assert!(ids.contains(&id), "{ids:?}");
    assert_eq!(ids.iter().filter(|i| **i == id).count(), 1);

    // Partner Center delivers the same event again: answered 200, not processed again.
    assert!(emu.redeliver_last_webhook());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !emu.webhook_deliveries().last().unwrap().delivered() {
        assert!(Instant::now() < deadline, "the redelivery was not answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = printed_until(&s, Duration::from_millis(1500), |_| false);
    assert!(again.is_empty(), "{again:?}");
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_and_the_event_comes_again() {
    // Every read takes a second: the receiver's one worker falls behind.
    let emu = Emulator::builder()
        .alerts(30)
        .seed(6)
        .faults(FaultSettings::new().latency(Duration::from_millis(1000)))
        .start()
        .await
        .unwrap();
    let s = serve(&emu, &["--queue", "1"]);
    register(&emu, &s.url).await;
    let raised: Vec<String> = (0..3).map(|_| emu.raise_alert().id.to_string()).collect();
    let ids = printed_until(&s, Duration::from_secs(60), |ids| {
        raised.iter().all(|r| ids.contains(r))
    });
    assert!(raised.iter().all(|r| ids.contains(r)), "{ids:?}");
    let deliveries = emu.webhook_deliveries();
    assert!(
        deliveries.iter().any(|d| d.attempts.contains(&Some(503))),
        "{deliveries:?}"
    );
    assert!(deliveries.iter().all(|d| d.delivered()), "{deliveries:?}");
    emu.shutdown().await;
}

fn run(args: &[&str]) -> Output {
    cli().args(args).output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_show_and_test() {
    let emu = Emulator::builder().alerts(5).seed(8).start().await.unwrap();
    let pc = emu.partner_center_base_url().to_owned();
    let o = run(&[
        "--json",
        "webhooks",
        "register",
        "--url",
        "http://127.0.0.1:9/hook",
        "--partner-center-url",
        &pc,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["WebhookUrl"], "http://127.0.0.1:9/hook");
    assert_eq!(
        r["WebhookEvents"],
        serde_json::json!(["azure-fraud-event-detected", "test-created"])
    );

    let o = run(&["webhooks", "show", "--partner-center-url", &pc]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("http://127.0.0.1:9/hook"));

    // Nobody listens on port 9: the delivery is reported, not an error of the command.
    let o = run(&[
        "--json",
        "webhooks",
        "test",
        "--wait",
        "5",
        "--partner-center-url",
        &pc,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(d["correlationId"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(!d["results"].as_array().unwrap().is_empty(), "{d}");

    // No credentials and no emulator: a usage error, nothing sent.
    let o = Command::new(env!("CARGO_BIN_EXE_partner-alerts"))
        .env_remove("PARTNER_ALERTS_TOKEN")
        .env_remove("AZURE_TENANT_ID")
        .args(["webhooks", "show"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    emu.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_state_a_restarted_receiver_does_not_print_an_event_again() {
    let emu = Emulator::builder()
        .alerts(30)
        .seed(6)
        .start()
        .await
        .unwrap();
    let state = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("serve-state-{}.json", emu.local_addr().port()));
    let _ = std::fs::remove_file(&state);
    let state_arg = state.to_str().unwrap().to_owned();
    let mut s = serve(&emu, &["--state", &state_arg]);
    register(&emu, &s.url).await;
    let id = emu.raise_alert().id.to_string();
    let ids = printed_until(&s, Duration::from_secs(30), |ids| ids.contains(&id));
    assert!(ids.contains(&id), "{ids:?}");

    // SIGTERM: it drains, saves what it printed, and exits 0.
    let term = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["events"].as_array().unwrap().len(), 1, "{saved}");
    assert!(
        saved["printed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k.as_str().unwrap().starts_with(&id)),
        "{saved}"
    );

    // Started again on the same state at a new address: the same event, delivered again,
    // is answered and not printed again.
    let s2 = serve(&emu, &["--state", &state_arg]);
    register(&emu, &s2.url).await;
    assert!(emu.redeliver_last_webhook());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !emu.webhook_deliveries().last().unwrap().delivered() {
        assert!(Instant::now() < deadline, "the redelivery was not answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = printed_until(&s2, Duration::from_millis(1500), |_| false);
    assert!(again.is_empty(), "{again:?}");
    drop(s2);
    // Without the state, a new receiver prints it: the state is what held it back.
    let s3 = serve(&emu, &[]);
    register(&emu, &s3.url).await;
    assert!(emu.redeliver_last_webhook());
    let ids = printed_until(&s3, Duration::from_secs(30), |ids| ids.contains(&id));
    assert!(ids.contains(&id), "{ids:?}");
    drop(s3);
    let _ = std::fs::remove_file(&state);
    emu.shutdown().await;
}
