//! The built `partner-alerts` binary, run as a user runs it: against the emulator it starts
//! itself (`--emulator`), or against emulators this test starts, through a tenants file.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use partner_alerts_emulator::{Emulator, FaultKind, FaultSettings};
use support::{assert_exit, cli, run, stderr, stdout};

const TOKEN_VAR: &str = "PARTNER_ALERTS_CLI_TEST_TOKEN";

fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

/// A file in the target's temporary directory, unique to the test.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn help_documents_every_command_with_examples_and_the_exit_codes() {
    let o = run(&["--help"]);
    assert_exit(&o, 0);
    let help = stdout(&o);
    for needle in [
        "list",
        "get",
        "dashboard",
        "resolve",
        "watch",
        "score",
        "doctor",
        "webhooks",
        "completions",
        "Exit codes",
        "PARTNER_ALERTS_TOKEN",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    for command in [
        &["list"][..],
        &["get"],
        &["dashboard"],
        &["resolve"],
        &["watch"],
        &["score"],
        &["doctor"],
        &["webhooks", "serve"],
        &["webhooks", "register"],
        &["webhooks", "show"],
        &["webhooks", "test"],
        &["completions"],
    ] {
        let command: Vec<&str> = command.iter().copied().chain(["--help"]).collect();
        let o = run(&command);
        assert_exit(&o, 0);
        assert!(
            stdout(&o).contains("Examples:"),
            "{command:?} has no examples"
        );
    }
    let o = run(&["--help"]);
    assert!(stdout(&o).contains("--tenants"));
    let o = run(&["list", "--help"]);
    assert!(stdout(&o).contains("--format"));
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = run(&["completions", shell]);
        assert_exit(&o, 0);
        let script = stdout(&o);
        assert!(
            script.contains("partner-alerts") && script.contains("dashboard"),
            "{shell}"
        );
    }
    assert_exit(&run(&["completions", "tcsh"]), 2);
}

#[test]
fn list_formats_agree_on_the_emulator() {
    let count = run(&[
        "--emulator",
        "list",
        "--status",
        "active",
        "--format",
        "count",
    ]);
    assert_exit(&count, 0);
    assert!(
        stderr(&count).contains("emulator"),
        "the emulator is said on stderr"
    );
    let n: usize = stdout(&count).trim().parse().expect("a number");
    assert!(n > 100, "{n}");

    let lines = run(&[
        "--emulator",
        "list",
        "--status",
        "active",
        "--format",
        "jsonl",
    ]);
    assert_exit(&lines, 0);
    let alerts = jsonl(&lines);
    assert_eq!(alerts.len(), n);
    assert!(alerts.iter().all(|a| a["status"] == "active"));
    assert!(
        alerts.iter().all(|a| a.get("partnerTenant").is_none()),
        "one tenant: no tag"
    );

    let json = run(&["--emulator", "--json", "list", "--status", "active"]);
    assert_exit(&json, 0);
    assert_eq!(jsonl(&json).len(), n, "--json is JSON lines for list");

    let csv = run(&[
        "--emulator",
        "list",
        "--status",
        "active",
        "--format",
        "csv",
    ]);
    assert_exit(&csv, 0);
    let mut reader = csv::Reader::from_reader(csv.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(&header[..3], ["Alert name", "Subscription ID", "Alert ID"]);
    assert!(!header.iter().any(|h| h == "Partner tenant"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), n);
    assert!(rows.iter().all(|r| &r[3] == "active"));
    assert_ne!(&csv.stdout[..3], b"\xEF\xBB\xBF");

    let bom = run(&[
        "--emulator",
        "list",
        "--status",
        "active",
        "--format",
        "csv",
        "--bom",
    ]);
    assert_exit(&bom, 0);
    assert_eq!(&bom.stdout[..3], b"\xEF\xBB\xBF");
}

#[test]
fn the_table_is_sorted_most_urgent_first_and_fits_100_columns() {
    let o = run(&["--emulator", "list", "--since", "2000-01-01T00:00:00Z"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("STATUS") && header.ends_with("ID"),
        "{header}"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2000);
    for row in &rows {
        assert!(
            row.chars().count() <= 100,
            "{} columns: {row}",
            row.chars().count()
        );
    }
    // Unresolved first: no active or investigating row after the first resolved one.
    let first_resolved = rows.iter().position(|r| r.starts_with("resolved")).unwrap();
    assert!(
        rows[first_resolved..]
            .iter()
            .all(|r| r.starts_with("resolved"))
    );
    // Among unresolved, high severity first.
    let sev = |r: &str| r.split_whitespace().nth(1).unwrap().to_owned();
    let first_medium = rows.iter().position(|r| sev(r) == "medium").unwrap();
    assert!(rows[..first_medium].iter().all(|r| sev(r) == "high"));
    assert!(stderr(&o).contains("2000 alerts"));
}

#[test]
fn get_shows_one_alert_and_a_missing_one_is_an_error() {
    let list = run(&["--emulator", "list", "--format", "jsonl", "--select", "id"]);
    assert_exit(&list, 0);
    let id = jsonl(&list)[0]["id"].as_str().unwrap().to_owned();

    let o = run(&["--emulator", "get", &id]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    assert!(
        text.contains("Alert ID") && text.contains(&id) && text.contains("Severity"),
        "{text}"
    );

    let o = run(&["--emulator", "--json", "get", &id]);
    assert_exit(&o, 0);
    let alert: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(alert["id"], id.as_str());

    let o = run(&["--emulator", "get", "00000000-0000-0000-0000-000000000000"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).to_lowercase().contains("not found"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dashboard_as_table_json_and_a_self_contained_html_report() {
    let o = run(&["--emulator", "dashboard"]);
    assert_exit(&o, 0);
    let text = stdout(&o);
    assert!(
        text.contains("Unresolved past 24 hours") && text.contains("Alerts"),
        "{text}"
    );

    let html = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-report.html", std::process::id()));
    let o = run(&[
        "--emulator",
        "--json",
        "dashboard",
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_exit(&o, 0);
    let d: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(d["total"], 2000);
    let page = std::fs::read_to_string(&html).unwrap();
    std::fs::remove_file(&html).ok();
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    // Loads nothing: no script, no stylesheet link, no image or frame source, no URL.
    for banned in [
        "<script", "<link", "src=", "url(", "http://", "https://", "@import",
    ] {
        assert!(!page.contains(banned), "the report holds {banned:?}");
    }
    // Holds the figures.
    for key in [
        "unresolved",
        "resolved",
        "newLast7Days",
        "unresolvedPast24h",
    ] {
        let v = d[key].to_string();
        assert!(
            page.contains(&format!(">{v}<")),
            "{key} = {v} not in the report"
        );
    }
    assert!(page.contains("<svg") && page.contains("Open alerts, oldest first"));
    // Well-formed enough for a browser and an XML reader: every tag that opens closes.
    for tag in ["html", "head", "body", "table", "svg", "section", "tr"] {
        let opens =
            page.matches(&format!("<{tag}>")).count() + page.matches(&format!("<{tag} ")).count();
        let closes = page.matches(&format!("</{tag}>")).count();
        assert_eq!(
            opens, closes,
            "<{tag}> opened {opens} times, closed {closes}"
        );
    }
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let o = run(&["--emulator", "list", "--status", "bogus"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("bogus") && stderr(&o).contains("active"),
        "{}",
        stderr(&o)
    );

    let o = run(&["--emulator", "list", "--format", "csv", "--json"]);
    assert_exit(&o, 2);

    let o = run(&["--emulator", "list", "--select", "colour"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("colour"), "{}", stderr(&o));

    let o = run(&["--emulator", "list", "--customer", "not/a/tenant"]);
    assert_exit(&o, 2);

    let o = run(&["--emulator", "get", "a/b"]);
    assert_exit(&o, 2);

    // No credentials: said, with what to set, before anything is sent.
    let o = run(&["list"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("PARTNER_ALERTS_TOKEN"),
        "{}",
        stderr(&o)
    );

    // A bearer token never goes over plain HTTP off loopback.
    let o = cli()
        .env("PARTNER_ALERTS_TOKEN", "secret-token-value")
        .args(["--base-url", "http://alerts.example.com/beta", "list"])
        .output()
        .unwrap();
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("http"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("secret-token-value"));

    // The FraudEvents API takes no raw OData filter.
    let o = run(&[
        "--emulator",
        "--source",
        "fraud-events",
        "list",
        "--filter",
        "severity eq 'high'",
    ]);
    assert_exit(&o, 2);
}

#[test]
fn a_malformed_tenants_file_names_the_line_and_the_tenant() {
    let inline = temp_file(
        "inline.toml",
        "[[tenant]]\nname = \"contoso\"\nbase_url = \"https://graph.microsoft.com/beta\"\nclient_secret = \"hunter2\"\n",
    );
    let o = run(&["--tenants", inline.to_str().unwrap(), "list"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("line 4") && err.contains("contoso") && !err.contains("hunter2"),
        "{err}"
    );

    let unset = temp_file(
        "unset.toml",
        "[[tenant]]\nname = \"fabrikam\"\ntoken_env = \"PARTNER_ALERTS_CLI_TEST_SURELY_UNSET\"\n",
    );
    let o = run(&["--tenants", unset.to_str().unwrap(), "list"]);
    assert_exit(&o, 2);
    let err = stderr(&o);
    assert!(
        err.contains("fabrikam") && err.contains("PARTNER_ALERTS_CLI_TEST_SURELY_UNSET"),
        "{err}"
    );

    let broken = temp_file("broken.toml", "[[tenant]\nname = \n");
    assert_exit(&run(&["--tenants", broken.to_str().unwrap(), "list"]), 2);
    let o = run(&["--tenants", "/nonexistent/tenants.toml", "list"]);
    assert_exit(&o, 2);
    for f in [inline, unset, broken] {
        std::fs::remove_file(f).ok();
    }
}

/// Two tenants, one failing every request: the healthy one's alerts are all there, tagged,
/// the failing one is reported, and the exit code says "partial".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tenants_with_one_failing() {
    let healthy = Emulator::builder()
        .alerts(150)
        .seed(11)
        .start()
        .await
        .unwrap();
    let broken = Emulator::builder()
        .alerts(10)
        .seed(12)
        .faults(
            FaultSettings::new()
                .rate(1.0)
                .kinds([FaultKind::InternalServerError]),
        )
        .start()
        .await
        .unwrap();
    let file = temp_file(
        "tenants.toml",
        &format!(
            "[[tenant]]\nname = \"healthy\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_VAR}\"\n\n\
             [[tenant]]\nname = \"broken\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_VAR}\"\n",
            healthy.graph_base_url(),
            broken.graph_base_url()
        ),
    );
    let tenants = file.to_str().unwrap().to_owned();
    let run_tenants = move |args: &[&str]| {
        let mut c = cli();
        c.env(TOKEN_VAR, "t")
            .args(["--tenants", tenants.as_str()])
            .args(args);
        c
    };
    let output = |mut c: Command| tokio::task::spawn_blocking(move || c.output().unwrap());

    let o = output(run_tenants(&["list", "--format", "jsonl"]))
        .await
        .unwrap();
    assert_exit(&o, 3);
    let alerts = jsonl(&o);
    assert_eq!(alerts.len(), 150);
    assert!(alerts.iter().all(|a| a["partnerTenant"] == "healthy"));
    assert!(stderr(&o).contains("tenant broken"), "{}", stderr(&o));

    let o = output(run_tenants(&["list", "--format", "csv"]))
        .await
        .unwrap();
    assert_exit(&o, 3);
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().next_back(),
        Some("Partner tenant")
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 150);
    assert!(rows.iter().all(|r| r.iter().next_back() == Some("healthy")));

    let o = output(run_tenants(&["list"])).await.unwrap();
    assert_exit(&o, 3);
    assert!(stdout(&o).starts_with("TENANT"));

    let o = output(run_tenants(&["--json", "dashboard"])).await.unwrap();
    assert_exit(&o, 3);
    let d: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(d["total"], 150);
    assert_eq!(d["byTenant"]["healthy"]["total"], 150);
    assert!(d["byTenant"].get("broken").is_none());

    let id = alerts[0]["id"].as_str().unwrap().to_owned();
    let o = output(run_tenants(&["--json", "get", &id])).await.unwrap();
    assert_exit(&o, 0);
    let got: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (got["id"].as_str(), got["partnerTenant"].as_str()),
        (Some(id.as_str()), Some("healthy"))
    );

    // Only the broken tenant: nothing read, an error.
    let only_broken = temp_file(
        "broken-only.toml",
        &format!(
            "[[tenant]]\nname = \"broken\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_VAR}\"\n",
            broken.graph_base_url()
        ),
    );
    let mut c = cli();
    c.env(TOKEN_VAR, "t")
        .args(["--tenants", only_broken.to_str().unwrap(), "list"]);
    let o = output(c).await.unwrap();
    assert_exit(&o, 1);

    std::fs::remove_file(&file).ok();
    std::fs::remove_file(&only_broken).ok();
    healthy.shutdown().await;
    broken.shutdown().await;
}

/// `resolve` against an emulator this test holds, so that its state can be compared.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_is_a_dry_run_until_applied_and_safe_to_run_again() {
    let emu = Emulator::builder()
        .alerts(120)
        .seed(5)
        .start()
        .await
        .unwrap();
    let url = emu.graph_base_url().to_owned();
    let resolve = move |args: &[&str], stdin: Option<String>| {
        let mut c = cli();
        c.env("PARTNER_ALERTS_TOKEN", "t")
            .args(["--base-url", url.as_str(), "resolve"])
            .args(args);
        async move {
            tokio::task::spawn_blocking(move || {
                use std::io::Write;
                use std::process::Stdio;
                c.stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                let mut child = c.spawn().unwrap();
                let mut input = child.stdin.take().unwrap();
                input
                    .write_all(stdin.unwrap_or_default().as_bytes())
                    .unwrap();
                drop(input);
                child.wait_with_output().unwrap()
            })
            .await
            .unwrap()
        }
    };
    let open = |emu: &Emulator| {
        emu.alerts()
            .into_iter()
            .filter(|a| a.status != Some(partner_alerts::AlertStatus::Resolved))
            .count()
    };
    let unresolved = open(&emu);
    assert!(unresolved > 20);

    // The dry run: every unresolved alert printed, nothing changed.
    let before = emu.alerts();
    let o = resolve(&["--all", "--reason", "ignore"], None).await;
    assert_exit(&o, 0);
    assert_eq!(stdout(&o).lines().count(), unresolved);
    assert!(
        stdout(&o)
            .lines()
            .all(|l| l.ends_with("-> resolved (ignore)"))
    );
    assert!(stderr(&o).contains("nothing was changed"), "{}", stderr(&o));
    assert_eq!(emu.alerts(), before);
    assert_eq!(emu.stats().writes, 0);

    // A failed and an unconfirmed alert: reported each, exit 3.
    emu.fail_next_batch_items(1, FaultKind::InternalServerError);
    let o = resolve(&["--all", "--reason", "ignore", "--apply", "--json"], None).await;
    assert_exit(&o, 3);
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["applied"], true);
    assert_eq!(report["unconfirmed"], 1);
    assert_eq!(report["succeeded"], unresolved - 1);
    let entries = report["alerts"].as_array().unwrap();
    assert_eq!(entries.len(), unresolved, "every alert accounted for");
    let lost = entries
        .iter()
        .find(|e| e["outcome"] == "unconfirmed")
        .unwrap();
    assert_eq!(lost["status"], 500);
    assert!(lost["requestId"].is_string());
    // The emulator agrees with the report, alert by alert.
    for e in entries.iter().filter(|e| e["outcome"] == "succeeded") {
        let id = partner_alerts::AlertId::new(e["id"].as_str().unwrap()).unwrap();
        assert_eq!(
            emu.alert(&id).unwrap().resolved_reason,
            Some(partner_alerts::ResolvedReason::Ignore)
        );
    }
    assert_eq!(open(&emu), 1);

    // Again, by the ids of a listing: all but the one left are skipped, nothing else sent.
    let ids: String = before.iter().map(|a| format!("{}\n", a.id)).collect();
    let writes = emu.stats().writes;
    let o = resolve(
        &["--ids-from", "-", "--reason", "ignore", "--apply"],
        Some(ids),
    )
    .await;
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with("1 resolved, "), "{}", stdout(&o));
    assert_eq!(
        emu.stats().writes,
        writes + 1,
        "only the one left was written"
    );
    assert_eq!(open(&emu), 0);

    // Bad input, refused before anything is sent.
    let requests = emu.stats().requests;
    assert_exit(&resolve(&["--all", "--reason", "bogus"], None).await, 2);
    assert_exit(&resolve(&["--reason", "ignore"], None).await, 2);
    assert_exit(
        &resolve(
            &["--all", "--reason", "ignore", "--older-than", "3 years"],
            None,
        )
        .await,
        2,
    );
    let o = resolve(
        &["--ids-from", "-", "--reason", "fraud"],
        Some("ok-id\nnot/an/id\n".into()),
    )
    .await;
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    assert_eq!(emu.stats().requests, requests, "nothing sent");
    emu.shutdown().await;
}

/// `watch` as an operator runs it: stopped with SIGTERM (checkpoint saved, exit 0) and
/// started again, every event printed exactly once.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_stops_on_sigterm_and_resumes_without_repeats() {
    use std::io::BufRead;
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::Duration;

    let emu = Emulator::builder()
        .alerts(30)
        .seed(9)
        .start()
        .await
        .unwrap();
    let checkpoint = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-watch.checkpoint", std::process::id()));
    std::fs::remove_file(&checkpoint).ok();

    struct Running {
        child: std::process::Child,
        lines: mpsc::Receiver<String>,
    }
    let start = |emu: &Emulator| {
        let mut child = cli()
            .env("PARTNER_ALERTS_TOKEN", "t")
            .args([
                "--base-url",
                emu.graph_base_url(),
                "watch",
                "--interval",
                "200ms",
            ])
            .args([
                "--format",
                "jsonl",
                "--checkpoint",
                checkpoint.to_str().unwrap(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    };
    let take = |r: &Running, n: usize| -> Vec<serde_json::Value> {
        (0..n)
            .map(|_| {
                let line = r
                    .lines
                    .recv_timeout(Duration::from_secs(20))
                    .expect("an event");
                serde_json::from_str(&line).unwrap()
            })
            .collect()
    };
    let stop = |mut r: Running| {
        let status = Command::new("kill")
            .args(["-TERM", &r.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = r.child.wait().unwrap();
        let rest: Vec<String> = r.lines.iter().collect();
        (exit, rest)
    };

    let open = emu
        .alerts()
        .iter()
        .filter(|a| a.status != Some(partner_alerts::AlertStatus::Resolved))
        .count();
    let first = start(&emu);
    let mut events = take(&first, open);
    assert!(
        events
            .iter()
            .all(|e| e["event"] == "new" && e["previous"].is_null())
    );
    let raised = emu.raise_alert();
    let changed = emu
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(partner_alerts::AlertStatus::Active) && a.id != raised.id)
        .unwrap();
    emu.update_alert(&changed.id, |a| {
        a.status = Some(partner_alerts::AlertStatus::Investigating)
    });
    let more = take(&first, 2);
    assert!(
        more.iter()
            .any(|e| e["event"] == "new" && e["alert"]["id"] == raised.id.as_str())
    );
    assert!(more.iter().any(|e| e["event"] == "changed"
        && e["alert"]["id"] == changed.id.as_str()
        && e["changes"] == serde_json::json!(["status"])
        && e["previous"]["status"] == "active"));
    events.extend(more);
    let (exit, rest) = tokio::task::spawn_blocking(move || stop(first))
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM is a clean stop");
    events.extend(rest.iter().map(|l| serde_json::from_str(l).unwrap()));
    assert!(checkpoint.exists());

    // Started again: only what happened since.
    let again = emu.raise_alert();
    let second = start(&emu);
    let next = take(&second, 1);
    assert_eq!(next[0]["alert"]["id"], again.id.as_str(), "{next:?}");
    let (exit, rest) = tokio::task::spawn_blocking(move || stop(second))
        .await
        .unwrap();
    assert_eq!(exit.code(), Some(0));
    assert!(rest.is_empty(), "nothing else: {rest:?}");
    events.extend(next);

    let mut keys: Vec<&str> = events.iter().map(|e| e["key"].as_str().unwrap()).collect();
    let all = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), all, "no event printed twice");
    assert_eq!(all, open + 3);
    std::fs::remove_file(&checkpoint).ok();
    emu.shutdown().await;
}
