//! `--enrich` and `--partner-center-url`, run as a user runs them: the names in the CSV's
//! columns and the JSON lines, the dashboard by customer name, a directory that does not
//! answer, and `--enrich` refused with `--tenants`.

mod support;

use std::process::Output;

use partner_alerts_emulator::Emulator;
use support::run;

#[track_caller]
fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn the_csv_gains_three_name_columns_after_the_ids() {
    let out = ok(&run(&[
        "--emulator",
        "list",
        "--status",
        "active",
        "--format",
        "csv",
        "--enrich",
    ]));
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(
        &header[at("Customer tenant ID")..at("Detected")],
        [
            "Customer tenant ID",
            "Reseller tenant ID",
            "Customer name",
            "Reseller name",
            "Subscription name"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(!row[at("Customer name")].is_empty(), "{row:?}");
        assert!(!row[at("Subscription name")].is_empty(), "{row:?}");
        assert_eq!(
            row[at("Reseller name")].is_empty(),
            row[at("Reseller tenant ID")].is_empty()
        );
    }
}

#[test]
fn json_lines_gain_the_names_with_their_sources() {
    let out = ok(&run(&[
        "--emulator",
        "list",
        "--format",
        "jsonl",
        "--enrich",
    ]));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2_000);
    for l in &lines {
        assert!(l["id"].is_string(), "the alert's own properties stay");
        let names = &l["names"];
        assert!(names["customerName"].is_string(), "{l}");
        assert_eq!(names["customer"]["value"]["source"], "partnerCenter");
        assert!(names["subscriptionName"].is_string());
    }
    // Without --enrich, no names.
    let plain = ok(&run(&[
        "--emulator",
        "list",
        "--format",
        "jsonl",
        "--status",
        "active",
    ]));
    let first: serde_json::Value = serde_json::from_str(plain.lines().next().unwrap()).unwrap();
    assert!(first.get("names").is_none());
}

#[test]
fn the_dashboard_breaks_down_by_customer_name() {
    let out = ok(&run(&["--emulator", "--json", "dashboard", "--enrich"]));
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    let by_customer = d["by_customer"]
        .as_object()
        .or_else(|| d["byCustomer"].as_object())
        .expect("a breakdown by customer");
    assert!(!by_customer.is_empty());
    let ids = by_customer
        .keys()
        .filter(|k| k.len() == 36 && k.chars().filter(|c| *c == '-').count() == 4)
        .count();
    assert_eq!(
        ids,
        0,
        "names, not tenant ids: {:?}",
        by_customer.keys().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn the_table_gains_a_customer_column_with_names() {
    let out = ok(&run(&[
        "--emulator",
        "list",
        "--status",
        "active",
        "--enrich",
    ]));
    let mut lines = out.lines();
    assert!(lines.next().unwrap().starts_with("CUSTOMER "), "{out:.400}");
    let customers: Vec<String> = lines
        .map(|l| l.chars().take(20).collect::<String>().trim_end().to_owned())
        .collect();
    assert!(!customers.is_empty());
    for c in &customers {
        assert!(
            !c.is_empty() && c != "-" && c.chars().filter(|c| *c == '-').count() < 4,
            "a name, not an id: {c:?}"
        );
    }
}

#[test]
fn the_html_report_names_the_open_alerts_customers() {
    let dir = std::env::temp_dir().join(format!("pa-enrich-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.html");
    let file = path.to_str().unwrap();
    ok(&run(&["--emulator", "dashboard", "--html", file]));
    let plain = std::fs::read_to_string(&path).unwrap();
    ok(&run(&[
        "--emulator",
        "dashboard",
        "--enrich",
        "--html",
        file,
    ]));
    let named = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let rows = |html: &str| html.matches("<td title=\"").count();
    assert_eq!(rows(&plain), 0, "ids only without --enrich");
    // Every open row shows a name, its tenant id as the tooltip.
    let open = named.split("<table class=\"alerts\">").nth(1).unwrap();
    assert_eq!(
        rows(open),
        open.matches("<tr class=").count(),
        "{open:.2000}"
    );
    assert!(rows(open) > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn partner_center_url_names_the_directory_and_a_dead_one_loses_no_alert() {
    // A directory other than the bundled emulator's: another emulator with the same seed.
    let other = Emulator::builder().alerts(1).seed(7).start().await.unwrap();
    let url = other.partner_center_base_url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        ok(&run(&[
            "--emulator",
            "--partner-center-url",
            &url,
            "list",
            "--format",
            "jsonl",
            "--enrich",
            "--status",
            "active",
        ]))
    })
    .await
    .unwrap();
    assert!(out.lines().count() > 0);
    assert!(
        other.stats().customer_reads > 0,
        "the directory given was read"
    );

    // Nothing listens there: every alert is listed, each lookup's error recorded, quickly
    // (the directory is taken as down after its first failure).
    let out = tokio::task::spawn_blocking(|| {
        ok(&run(&[
            "--emulator",
            "--partner-center-url",
            "http://127.0.0.1:9/partner-center",
            "list",
            "--format",
            "jsonl",
            "--enrich",
            "--status",
            "active",
        ]))
    })
    .await
    .unwrap();
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    for l in &lines {
        let names = &l["names"];
        // Graph still names the customer; the subscription is Partner Center's alone.
        assert_eq!(names["customer"]["lookup"], "found", "{l}");
        assert_ne!(names["customer"]["value"]["source"], "partnerCenter");
        assert_eq!(names["subscription"]["lookup"], "failed");
        assert!(
            names["subscription"]["error"]
                .as_str()
                .unwrap()
                .contains("Partner Center")
        );
        assert!(names["subscriptionName"].is_null());
    }
}

#[test]
fn enrich_is_refused_with_tenants_before_anything_is_sent() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("{}-enrich-tenants.toml", std::process::id()));
    std::fs::write(
        &path,
        "[[tenant]]\nname = \"a\"\nbase_url = \"http://127.0.0.1:9/beta\"\ntoken_env = \"ENRICH_TEST_TOKEN\"\n",
    )
    .unwrap();
    let o = support::cli()
        .env("ENRICH_TEST_TOKEN", "t")
        .args([
            "--tenants",
            path.to_str().unwrap(),
            "list",
            "--format",
            "jsonl",
            "--enrich",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--enrich"));
    let o = run(&[
        "--tenants",
        path.to_str().unwrap(),
        "--partner-center-url",
        "http://127.0.0.1:9",
        "list",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--partner-center-url conflicts with --tenants"
    );
}
