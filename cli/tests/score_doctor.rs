//! `partner-alerts score` and `partner-alerts doctor`, run as built: against the bundled
//! emulator, emulators this test starts, a closed port, and httpmock servers answering 401,
//! 403 and 404; tokens are JWTs built here (header.payload.signature, base64url JSON, no
//! signature check needed) with and without the roles the commands need.

mod support;

use std::process::{Command, Output};

use base64::Engine as _;
use chrono::{TimeZone, Utc};
use httpmock::MockServer;
use partner_alerts_emulator::Emulator;
use serde_json::{Value, json};
use support::{assert_exit, cli, output, stderr, stdout};

const TOKEN_VAR: &str = "PARTNER_ALERTS_CLI_SCORE_TEST_TOKEN";

/// The binary with `token` in `PARTNER_ALERTS_TOKEN`.
fn with_token(token: &str, args: &[&str]) -> Command {
    let mut c = cli();
    c.env("PARTNER_ALERTS_TOKEN", token).args(args);
    c
}

/// A JWT with these claims (never signed: the service would check it, doctor does not).
fn jwt(claims: Value) -> String {
    let enc = |v: &Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    };
    format!(
        "{}.{}.c2lnbmF0dXJl",
        enc(&json!({"alg": "RS256", "typ": "JWT"})),
        enc(&claims)
    )
}

fn graph_app_token(roles: &[&str]) -> String {
    let exp = Utc::now().timestamp() + 3600;
    jwt(
        json!({"aud": "https://graph.microsoft.com", "roles": roles, "exp": exp,
               "idtyp": "app", "tid": "8f1a1a52-0fa4-4b0e-9b43-52a6f4d8c1a0"}),
    )
}

/// The doctor's line for `check`.
fn line<'a>(out: &'a str, check: &str) -> &'a str {
    out.lines()
        .find(|l| l.split_whitespace().nth(1) == Some(check))
        .unwrap_or_else(|| panic!("no {check} line in:\n{out}"))
}

#[track_caller]
fn never_shows(o: &Output, token: &str) {
    let payload = token.split('.').nth(1).unwrap();
    for text in [stdout(o), stderr(o)] {
        assert!(!text.contains(token) && !text.contains(payload), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_on_the_bundled_emulator() {
    let o = output({
        let mut c = cli();
        c.args(["--emulator", "score"]);
        c
    })
    .await;
    assert_exit(&o, 0);
    let out = stdout(&o);
    for needle in [
        "Security score",
        "Alerts answered within 24 h (mandatory)",
        "https://aka.ms/M365MFAWizard",
        "Own average response (30 days)",
        "Service's average response",
        "Open past 24 hours",
        "Projected breach of the 24 h average",
    ] {
        assert!(out.contains(needle), "{needle} missing from:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_json_holds_the_services_figures_and_the_sla() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let emu = Emulator::builder()
        .alerts(300)
        .seed(5)
        .now(now)
        .start()
        .await
        .unwrap();
    let o = output(with_token(
        "t",
        &[
            "--base-url",
            emu.graph_base_url(),
            "score",
            "--json",
            "--now",
            "2026-12-01T12:00:00Z",
        ],
    ))
    .await;
    assert_exit(&o, 0);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["score"]["currentScore"].is_number(), "{v}");
    assert_eq!(v["requirements"].as_array().unwrap().len(), 5);
    let sla = &v["sla"];
    assert!(sla["own_average_response_hours"].is_number(), "{sla}");
    // The same alerts at the same time: the emulator's figure is the toolkit's.
    assert_eq!(
        sla["own_average_response_hours"],
        sla["service_average_response_hours"]
    );
    assert!(sla["projected_breach"].is_string());
    assert!(sla["open_past_1h"].as_u64().unwrap() >= sla["open_past_24h"].as_u64().unwrap());
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn score_is_graphs_only_and_reads_each_graph_tenant() {
    let o = output({
        let mut c = cli();
        c.args(["--emulator", "--source", "fraud-events", "score"]);
        c
    })
    .await;
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("fraud-events"), "{}", stderr(&o));

    let a = Emulator::builder()
        .alerts(40)
        .seed(1)
        .start()
        .await
        .unwrap();
    let b = Emulator::builder()
        .alerts(40)
        .seed(2)
        .start()
        .await
        .unwrap();
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{}-score-tenants.toml", std::process::id()));
    std::fs::write(
        &path,
        format!(
            "[[tenant]]\nname = \"alpha\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_VAR}\"\n\n\
             [[tenant]]\nname = \"beta\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_VAR}\"\n\n\
             [[tenant]]\nname = \"legacy\"\nsource = \"fraud-events\"\nbase_url = \"{}\"\ntoken_env = \"{TOKEN_VAR}\"\n",
            a.graph_base_url(),
            b.graph_base_url(),
            a.partner_center_base_url()
        ),
    )
    .unwrap();
    let tenants = path.to_str().unwrap();
    let mut c = cli();
    c.env(TOKEN_VAR, "t")
        .args(["--tenants", tenants, "score", "--json"]);
    let o = output(c).await;
    assert_exit(&o, 0);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let names: Vec<_> = v["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert!(stderr(&o).contains("skipped"), "{}", stderr(&o));
    let mut c = cli();
    c.env(TOKEN_VAR, "t").args(["--tenants", tenants, "score"]);
    let o = output(c).await;
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("== alpha ==") && stdout(&o).contains("== beta =="));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_on_the_bundled_emulator_passes_every_check() {
    let o = output({
        let mut c = cli();
        c.args(["--emulator", "doctor"]);
        c
    })
    .await;
    assert_exit(&o, 0);
    let out = stdout(&o);
    for check in [
        "credentials",
        "token",
        "permissions",
        "clock",
        "alerts",
        "score",
        "directory",
    ] {
        let l = line(&out, check);
        assert!(l.starts_with("ok") || l.starts_with("skipped"), "{l}");
    }
    assert!(line(&out, "permissions").contains("not a JWT"));
    // In order, one line each.
    let order: Vec<_> = out
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "credentials",
            "token",
            "permissions",
            "clock",
            "alerts",
            "score",
            "directory"
        ]
    );
    assert!(line(&out, "directory").starts_with("ok"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reads_the_tokens_roles_without_printing_it() {
    let emu = Emulator::builder()
        .alerts(20)
        .seed(3)
        .start()
        .await
        .unwrap();
    let url = emu.graph_base_url().to_owned();

    let good = graph_app_token(&["PartnerSecurity.Read.All"]);
    let o = output(with_token(&good, &["--base-url", &url, "doctor"])).await;
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        line(&out, "credentials").contains("PARTNER_ALERTS_TOKEN"),
        "{out}"
    );
    assert!(
        line(&out, "token").contains("https://graph.microsoft.com"),
        "{out}"
    );
    let p = line(&out, "permissions");
    assert!(
        p.starts_with("ok") && p.contains("resolve needs PartnerSecurity.ReadWrite.All"),
        "{p}"
    );
    never_shows(&o, &good);

    // A token without the role: named, with the fix; the emulator answers anyway.
    let bad = graph_app_token(&["User.Read.All"]);
    let o = output(with_token(&bad, &["--base-url", &url, "doctor", "--json"])).await;
    assert_exit(&o, 1);
    let checks: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let p = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "permissions")
        .unwrap();
    assert_eq!(p["status"], "problem");
    assert!(
        p["detail"].as_str().unwrap().contains("User.Read.All"),
        "{p}"
    );
    assert!(p["fix"].as_str().unwrap().contains("admin consent"), "{p}");
    never_shows(&o, &bad);

    // Another audience, and an expired token.
    let other =
        jwt(json!({"aud": "https://management.azure.com", "roles": ["PartnerSecurity.Read.All"]}));
    let o = output(with_token(&other, &["--base-url", &url, "doctor"])).await;
    assert_exit(&o, 1);
    assert!(line(&stdout(&o), "permissions").contains("not for Microsoft Graph"));
    let expired = jwt(
        json!({"aud": "https://graph.microsoft.com", "roles": ["PartnerSecurity.Read.All"], "exp": 1_600_000_000}),
    );
    let o = output(with_token(&expired, &["--base-url", &url, "doctor"])).await;
    assert_exit(&o, 1);
    assert!(line(&stdout(&o), "permissions").contains("expired"));

    // Partner Center: an app-only token is the known dead end.
    let pc = emu.partner_center_base_url().to_owned();
    let app_only = jwt(
        json!({"aud": "https://api.partnercenter.microsoft.com", "roles": ["x"], "idtyp": "app"}),
    );
    let o = output(with_token(
        &app_only,
        &["--source", "fraud-events", "--base-url", &pc, "doctor"],
    ))
    .await;
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(line(&out, "permissions").contains("app-only"), "{out}");
    assert!(line(&out, "permissions").contains("MFA"), "{out}");
    assert!(line(&out, "score").starts_with("skipped"), "{out}");
    let user = jwt(
        json!({"aud": "https://api.partnercenter.microsoft.com", "scp": "user_impersonation", "amr": ["pwd", "mfa"]}),
    );
    let o = output(with_token(
        &user,
        &["--source", "fraud-events", "--base-url", &pc, "doctor"],
    ))
    .await;
    assert_exit(&o, 0);
    assert!(line(&stdout(&o), "permissions").contains("Admin Agent"));
    // FraudEvents' host is Partner Center's: its directory is checked there.
    assert!(
        line(&stdout(&o), "directory").contains(&pc),
        "{}",
        stdout(&o)
    );
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_a_closed_port_and_no_credentials() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/beta");
    let token = graph_app_token(&["PartnerSecurity.ReadWrite.All"]);
    let o = output(with_token(&token, &["--base-url", &url, "doctor"])).await;
    assert_exit(&o, 1);
    let out = stdout(&o);
    let alerts = line(&out, "alerts");
    assert!(
        alerts.starts_with("PROBLEM") && alerts.contains("cannot reach"),
        "{out}"
    );
    assert!(alerts.contains("Fix:"), "{alerts}");
    assert!(line(&out, "clock").starts_with("skipped"), "{out}");
    assert!(line(&out, "score").starts_with("PROBLEM"), "{out}");
    assert!(
        stderr(&o).contains("checks found a problem"),
        "{}",
        stderr(&o)
    );

    let o = output({
        let mut c = cli();
        c.args(["doctor"]);
        c
    })
    .await;
    assert_exit(&o, 1);
    let out = stdout(&o);
    assert!(line(&out, "credentials").starts_with("PROBLEM"), "{out}");
    assert!(
        line(&out, "credentials").contains("AZURE_CLIENT_SECRET"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_401_403_and_404_with_their_fixes() {
    let token = graph_app_token(&["PartnerSecurity.Read.All"]);
    for (status, code, expected, fix) in [
        (
            401,
            "InvalidAuthenticationToken",
            "refused the token (401",
            "graph.microsoft.com/.default",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "denied access (403",
            "PartnerSecurity.Read.All",
        ),
        (
            404,
            "UnknownError",
            "(404",
            "https://graph.microsoft.com/beta",
        ),
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.any_request();
                then.status(status)
                    .header("content-type", "application/json")
                    .header("request-id", "6c1b6a3e-0000-4000-8000-000000000001")
                    .json_body(json!({"error": {"code": code, "message": "no"}}));
            })
            .await;
        let url = server.url("/beta");
        let o = output(with_token(&token, &["--base-url", &url, "doctor"])).await;
        assert_exit(&o, 1);
        let out = stdout(&o);
        let alerts = line(&out, "alerts");
        assert!(alerts.starts_with("PROBLEM"), "{out}");
        assert!(alerts.contains(expected), "{status}: {alerts}");
        assert!(alerts.contains(fix), "{status}: {alerts}");
        assert!(alerts.contains("request id 6c1b6a3e"), "{alerts}");
        let score = line(&out, "score");
        assert!(score.starts_with("PROBLEM"), "{out}");
        if status == 404 {
            assert!(score.contains("securityScore"), "{score}");
        }
        never_shows(&o, &token);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_partner_center_where_it_is_told_and_names_a_missing_role() {
    let token = graph_app_token(&["PartnerSecurity.Read.All"]);
    let emu = Emulator::builder().alerts(5).seed(3).start().await.unwrap();
    let graph = emu.graph_base_url().to_owned();
    // A Graph elsewhere than Microsoft's says nothing of where Partner Center is.
    let o = output(with_token(&token, &["--base-url", &graph, "doctor"])).await;
    assert!(
        line(&stdout(&o), "directory").starts_with("skipped"),
        "{}",
        stdout(&o)
    );
    let server = MockServer::start_async().await;
    let profile = server
        .mock_async(|when, then| {
            when.path("/v1/profiles/organization");
            then.status(403)
                .header("content-type", "application/json")
                .json_body(json!({"code": 900329, "description": "App+User only"}));
        })
        .await;
    let o = output(with_token(
        &token,
        &[
            "--base-url",
            &graph,
            "--partner-center-url",
            &server.base_url(),
            "doctor",
        ],
    ))
    .await;
    assert_exit(&o, 1);
    let directory = line(&stdout(&o), "directory").to_owned();
    assert!(directory.starts_with("PROBLEM"), "{directory}");
    assert!(
        directory.contains("403, 900329") && directory.contains("Admin Agent"),
        "{directory}"
    );
    profile.assert_calls_async(1).await;
    never_shows(&o, &token);
    emu.shutdown().await;
}
