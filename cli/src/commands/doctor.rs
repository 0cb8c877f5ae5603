//! `partner-alerts doctor`: the setup checked step by step, one line per check, each problem
//! named with its fix: credentials, token, the token's permissions, the clock, the alerts
//! endpoint, the score endpoint. The token is never printed; its claims are read without
//! verifying its signature (the service verifies it).

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use partner_alerts::auth::{Scope, StaticToken, TokenProvider, credential_from_env};
use partner_alerts::enrich::PartnerCenterDirectory;
use partner_alerts::http::{RetryPolicy, Timeouts};
use partner_alerts::{
    AlertQuery, AlertSource, Error, FraudEventsClient, GraphClient, RequestIds, SourceKind,
};
use partner_alerts_emulator::Emulator;
use serde::Serialize;
use serde_json::Value;

use crate::cli::{DoctorArgs, Global, SourceArg};
use crate::exit::{Failure, Outcome};

/// Tokens are refused when the clocks differ by more than about five minutes.
const MAX_SKEW: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

const GRAPH_AUDIENCES: &[&str] = &[
    "https://graph.microsoft.com",
    "https://graph.microsoft.com/",
    "00000003-0000-0000-c000-000000000000",
];
const PARTNER_CENTER_AUDIENCES: &[&str] = &[
    "https://api.partnercenter.microsoft.com",
    "https://api.partnercenter.microsoft.com/",
    "fa3d9a0c-3fb0-42cc-9193-47c7ecd2edbd",
];
const READ: &str = "PartnerSecurity.Read.All";
const READ_WRITE: &str = "PartnerSecurity.ReadWrite.All";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Problem,
    /// Not checked, and not a failure (a token that is not a JWT, a check for the other API).
    Skipped,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that the lines' columns line up.
        f.pad(match self {
            Status::Ok => "ok",
            Status::Problem => "PROBLEM",
            Status::Skipped => "skipped",
        })
    }
}

#[derive(Serialize)]
struct Check {
    check: &'static str,
    status: Status,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

/// The checks so far, printed as they come (unless the whole is printed as JSON).
struct Checks {
    json: bool,
    done: Vec<Check>,
}

impl Checks {
    fn push(&mut self, check: &'static str, status: Status, detail: String, fix: Option<String>) {
        if !self.json {
            let mut line = format!("{status:<8} {check:<12} {detail}");
            if let Some(fix) = &fix {
                line.push_str(" Fix: ");
                line.push_str(fix);
            }
            println!("{line}");
        }
        self.done.push(Check {
            check,
            status,
            detail,
            fix,
        });
    }

    fn ok(&mut self, check: &'static str, detail: impl Into<String>) {
        self.push(check, Status::Ok, detail.into(), None);
    }

    fn skipped(&mut self, check: &'static str, detail: impl Into<String>) {
        self.push(check, Status::Skipped, detail.into(), None);
    }

    fn problem(&mut self, check: &'static str, detail: impl Into<String>, fix: impl Into<String>) {
        self.push(check, Status::Problem, detail.into(), Some(fix.into()));
    }

    fn outcome(self) -> Outcome {
        if self.json {
            let mut out = io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &self.done).map_err(io::Error::from)?;
            writeln!(out)?;
        }
        let problems = self
            .done
            .iter()
            .filter(|c| c.status == Status::Problem)
            .count();
        match problems {
            0 => Ok(()),
            n => Err(Failure::Error(format!(
                "{n} of {} checks found a problem",
                self.done.len()
            ))),
        }
    }
}

pub async fn run(global: &Global, _args: &DoctorArgs) -> Outcome {
    if global.tenants.is_some() {
        return Err(Failure::Usage(
            "doctor checks one setup: run it without --tenants, with one tenant's variables set"
                .into(),
        ));
    }
    let kind = match global.source {
        SourceArg::Graph => SourceKind::Graph,
        SourceArg::FraudEvents => SourceKind::FraudEvents,
    };
    let mut checks = Checks {
        json: global.json,
        done: Vec::new(),
    };
    let emulator = if global.emulator {
        Some(Emulator::builder().alerts(50).seed(7).start().await?)
    } else {
        None
    };
    let outcome = diagnose(global, kind, emulator.as_ref(), &mut checks).await;
    if let Some(e) = emulator {
        e.shutdown().await;
    }
    outcome?;
    checks.outcome()
}

async fn diagnose(
    global: &Global,
    kind: SourceKind,
    emulator: Option<&Emulator>,
    checks: &mut Checks,
) -> Outcome {
    // 1. Credentials.
    let credential: Arc<dyn TokenProvider> = match emulator {
        Some(_) => {
            checks.ok(
                "credentials",
                "the bundled emulator (it accepts any bearer token)",
            );
            Arc::new(StaticToken::new("emulator"))
        }
        None => match credential_from_env(kind) {
            Ok(Some(c)) => {
                checks.ok("credentials", credential_kind(kind));
                c
            }
            Ok(None) => {
                checks.problem(
                    "credentials",
                    "none found in the environment",
                    match kind {
                        SourceKind::FraudEvents => "set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and PARTNER_CENTER_REFRESH_TOKEN (App+User: a partner user's refresh token, signed in with MFA)",
                        _ => "set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (an app registration in the partner tenant)",
                    },
                );
                return Ok(());
            }
            Err(e) => {
                checks.problem(
                    "credentials",
                    format!("incomplete: {e}"),
                    "set every variable of one set (see --help), or unset the stray one",
                );
                return Ok(());
            }
        },
    };

    // 2. A token.
    let scope = match kind {
        SourceKind::FraudEvents => Scope::PARTNER_CENTER,
        _ => Scope::GRAPH,
    };
    let token = match credential.token(&scope).await {
        Ok(t) => t,
        Err(e) => {
            checks.problem(
                "token",
                format!("none obtained for {scope}: {e}"),
                token_fix(e.code()),
            );
            return Ok(());
        }
    };
    let claims = claims(token.token.expose_secret());
    let audience = claims
        .as_ref()
        .and_then(|c| c["aud"].as_str())
        .map(str::to_owned);
    checks.ok(
        "token",
        match &audience {
            Some(aud) => format!("obtained, for the audience {aud}"),
            None => format!("obtained, asked for {scope}"),
        },
    );

    // 3. What the token allows.
    match &claims {
        None => checks.skipped(
            "permissions",
            "the token is not a JWT: its roles and scopes cannot be inspected here",
        ),
        Some(c) => permissions(kind, c, checks),
    }

    // 4 and 5. The clock (from the alerts endpoint's Date), then the alerts endpoint.
    let base_url = emulator
        .map(|e| match kind {
            SourceKind::FraudEvents => e.partner_center_base_url().to_owned(),
            _ => e.graph_base_url().to_owned(),
        })
        .or_else(|| global.base_url.clone());
    let timeouts = Timeouts::default()
        .per_attempt(Duration::from_secs(20))
        .operation(Duration::from_secs(30));
    let graph = match kind {
        SourceKind::FraudEvents => None,
        _ => {
            let mut b = GraphClient::builder()
                .credential(credential.clone())
                .retry(RetryPolicy::disabled())
                .timeouts(timeouts);
            if let Some(url) = &base_url {
                b = b.base_url(url);
            }
            Some(b.build()?)
        }
    };
    let source: Arc<dyn AlertSource> = match &graph {
        Some(g) => Arc::new(g.clone()),
        None => {
            let mut b = FraudEventsClient::builder()
                .credential(credential.clone())
                .retry(RetryPolicy::disabled())
                .timeouts(timeouts);
            if let Some(url) = &base_url {
                b = b.base_url(url);
            }
            Arc::new(b.build()?)
        }
    };
    let where_ = base_url.unwrap_or_else(|| match kind {
        SourceKind::FraudEvents => "https://api.partnercenter.microsoft.com".to_owned(),
        _ => partner_alerts::graph::DEFAULT_BASE_URL.to_owned(),
    });
    let first = source
        .list(&AlertQuery::new().top(1))
        .pages()
        .try_next()
        .await;
    let (ids, answered): (Option<RequestIds>, Result<(), Error>) = match first {
        Ok(Some(page)) => (Some(page.request_ids().clone()), Ok(())),
        Ok(None) => (None, Ok(())),
        Err(e) => (e.request_ids().cloned(), Err(e)),
    };
    clock(ids.as_ref().and_then(RequestIds::date), checks);
    match answered {
        Ok(_) => checks.ok("alerts", format!("{where_} answered")),
        Err(e) => {
            let (detail, fix) = endpoint_problem(kind, "alerts", &where_, &e);
            checks.problem("alerts", detail, fix);
        }
    }

    // 6. The score (Graph's only).
    match &graph {
        None => checks.skipped(
            "score",
            "the security score is Graph's, not Partner Center's",
        ),
        Some(g) => match g.security_score().await {
            Ok(s) => checks.ok(
                "score",
                format!(
                    "answered: {} / {}",
                    s.current_score.map_or("-".into(), |v| format!("{v:.2}")),
                    s.max_score.map_or("-".into(), |v| format!("{v:.0}"))
                ),
            ),
            Err(e) => {
                let (detail, fix) = endpoint_problem(kind, "score", &where_, &e);
                checks.problem("score", detail, fix);
            }
        },
    }

    // 7. Partner Center's directory (names with --enrich, respond): the organization
    // profile, which wants App+User as respond does.
    let pc_credential = match (emulator, kind) {
        (Some(_), _) | (None, SourceKind::FraudEvents) => Some(credential),
        (None, _) => credential_from_env(SourceKind::FraudEvents).ok().flatten(),
    };
    let Some(pc_credential) = pc_credential else {
        checks.skipped(
            "directory",
            "no Partner Center credential: --enrich names customers from Graph only, and respond needs AZURE_TENANT_ID, AZURE_CLIENT_ID and PARTNER_CENTER_REFRESH_TOKEN",
        );
        return Ok(());
    };
    // Where: the emulator's, --partner-center-url, FraudEvents' own host, or Microsoft's when
    // the alerts are read from Microsoft's Graph too; a Graph elsewhere says nothing of it.
    let pc_url = match (emulator, &global.partner_center_url, kind, &global.base_url) {
        (Some(e), _, _, _) => e.partner_center_base_url().to_owned(),
        (None, Some(url), _, _) => url.clone(),
        (None, None, SourceKind::FraudEvents, Some(url)) => url.clone(),
        (None, None, _, None) => partner_alerts::enrich::DEFAULT_BASE_URL.to_owned(),
        (None, None, _, Some(_)) => {
            checks.skipped(
                "directory",
                "Graph is read from --base-url: give --partner-center-url to check Partner Center too",
            );
            return Ok(());
        }
    };
    let directory = PartnerCenterDirectory::builder()
        .base_url(&pc_url)
        .credential(pc_credential)
        .retry(RetryPolicy::disabled())
        .timeouts(timeouts)
        .build()?;
    match directory.organization_profile().await {
        Ok(_) => checks.ok(
            "directory",
            format!("Partner Center at {pc_url} answered the organization profile (App+User: resellers' names and respond can work)"),
        ),
        Err(e) => {
            let (detail, fix) =
                endpoint_problem(SourceKind::FraudEvents, "directory", &pc_url, &e);
            checks.problem("directory", detail, fix);
        }
    }
    Ok(())
}

/// Which credential the environment holds, naming variables and ids, never a secret.
fn credential_kind(kind: SourceKind) -> String {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if StaticToken::from_env().is_some() {
        return format!("a bearer token from {}", StaticToken::ENV_VAR);
    }
    match kind {
        SourceKind::FraudEvents => format!(
            "App+User: a refresh token (PARTNER_CENTER_REFRESH_TOKEN) for app {} in tenant {}",
            var("AZURE_CLIENT_ID"),
            var("AZURE_TENANT_ID")
        ),
        _ => format!(
            "client credentials (app-only): app {} in tenant {}, secret from AZURE_CLIENT_SECRET",
            var("AZURE_CLIENT_ID"),
            var("AZURE_TENANT_ID")
        ),
    }
}

fn token_fix(code: Option<&str>) -> String {
    match code {
        Some("invalid_client") => "the client secret is wrong or expired: create a new one for the app and set AZURE_CLIENT_SECRET".into(),
        Some("unauthorized_client") | Some("invalid_request") => "check AZURE_TENANT_ID and AZURE_CLIENT_ID: the app must be registered in that tenant".into(),
        Some("invalid_grant") | Some("interaction_required") => "the refresh token is expired, revoked, or needs a new sign-in with MFA: sign in again (secure application model) and set the new PARTNER_CENTER_REFRESH_TOKEN".into(),
        Some("consent_required") | Some("invalid_scope") => "grant admin consent to the app's permissions in the partner tenant".into(),
        _ => "check the variables and the network to login.microsoftonline.com".into(),
    }
}

/// The token's claims (its JWT payload), unverified; `None` for a token that is not a JWT.
fn claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<Value>(&bytes)
        .ok()
        .filter(Value::is_object)
}

/// A claim holding one string or a list of them (`roles`, `amr`), or space-separated
/// (`scp`).
fn claim_list(claims: &Value, name: &str) -> Vec<String> {
    match &claims[name] {
        Value::String(s) => s.split_whitespace().map(str::to_owned).collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

fn permissions(kind: SourceKind, c: &Value, checks: &mut Checks) {
    let aud = c["aud"].as_str().unwrap_or("");
    let roles = claim_list(c, "roles");
    let scopes = claim_list(c, "scp");
    if let Some(exp) = c["exp"]
        .as_i64()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        && exp <= Utc::now()
    {
        checks.problem(
            "permissions",
            format!("the token expired at {}", exp.to_rfc3339()),
            "get a new token (a token in PARTNER_ALERTS_TOKEN is used as is, never refreshed)",
        );
        return;
    }
    let has = |name: &str| {
        roles
            .iter()
            .chain(&scopes)
            .any(|r| r.eq_ignore_ascii_case(name))
    };
    match kind {
        SourceKind::FraudEvents => {
            if aud.contains("graph.windows.net") || aud == "00000002-0000-0000-c000-000000000000" {
                checks.problem(
                    "permissions",
                    format!(
                        "the token is for {aud}, which Partner Center refuses since 31 August 2025"
                    ),
                    "ask for a token for https://api.partnercenter.microsoft.com/.default",
                );
            } else if !PARTNER_CENTER_AUDIENCES.contains(&aud) {
                checks.problem(
                    "permissions",
                    format!("the token is for {aud:?}, not for Partner Center"),
                    "ask for a token for https://api.partnercenter.microsoft.com/.default",
                );
            } else if scopes.is_empty() {
                checks.problem(
                    "permissions",
                    "an app-only token: the FraudEvents API and the response actions accept App+User tokens only (an app-only token is refused, as missing MFA)",
                    "use the secure application model: a partner user who signed in with MFA, their refresh token in PARTNER_CENTER_REFRESH_TOKEN",
                );
            } else if !claim_list(c, "amr").iter().any(|m| m == "mfa") {
                checks.problem(
                    "permissions",
                    format!("delegated ({}), but the sign-in has no MFA (amr): Partner Center refuses it", scopes.join(" ")),
                    "sign the user in again with MFA and store the new refresh token",
                );
            } else {
                checks.ok(
                    "permissions",
                    format!("delegated ({}), signed in with MFA; the user's Partner Center role (Admin Agent, for FraudEvents and the actions) is not in the token: the alerts check below asks the service", scopes.join(" ")),
                );
            }
        }
        _ => {
            let app = !roles.is_empty() || scopes.is_empty();
            let how = if app {
                "an application permission (roles)"
            } else {
                "a delegated permission (scp)"
            };
            if !GRAPH_AUDIENCES.contains(&aud) {
                checks.problem(
                    "permissions",
                    format!("the token is for {aud:?}, not for Microsoft Graph"),
                    "ask for a token for https://graph.microsoft.com/.default",
                );
            } else if has(READ_WRITE) {
                checks.ok(
                    "permissions",
                    format!("{READ_WRITE} as {how}: every command (list, get, dashboard, score, resolve, watch)"),
                );
            } else if has(READ) {
                checks.ok(
                    "permissions",
                    format!("{READ} as {how}: list, get, dashboard, score and watch; resolve needs {READ_WRITE}"),
                );
            } else {
                checks.problem(
                    "permissions",
                    format!("the token has neither {READ} nor {READ_WRITE} (it has: {}): every command will be refused (403)", {
                        let all: Vec<_> = roles.iter().chain(&scopes).map(String::as_str).collect();
                        if all.is_empty() { "nothing".to_owned() } else { all.join(", ") }
                    }),
                    format!("grant the app {READ} ({READ_WRITE} to resolve) as an application permission, with admin consent in the partner tenant; then get a new token"),
                );
            }
        }
    }
}

fn clock(service: Option<DateTime<Utc>>, checks: &mut Checks) {
    let Some(date) = service else {
        checks.skipped("clock", "no answer with a Date to compare with");
        return;
    };
    let skew = Utc::now() - date;
    let secs = skew.num_seconds();
    if skew.abs() > MAX_SKEW {
        checks.problem(
            "clock",
            format!("this machine's clock is {} s {} the service's Date: tokens look expired or not yet valid", secs.abs(), if secs > 0 { "ahead of" } else { "behind" }),
            "synchronise the clock (NTP)",
        );
    } else {
        checks.ok(
            "clock",
            format!("within {} s of the service's Date", secs.abs().max(1)),
        );
    }
}

/// What a failed call to `what` means here, and its fix: the known dead ends.
fn endpoint_problem(kind: SourceKind, what: &str, base: &str, e: &Error) -> (String, String) {
    let code = e
        .service_error()
        .and_then(|s| s.code.as_deref())
        .filter(|c| !c.is_empty())
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    // A transport error's message carries its ids already.
    let id = e
        .request_id()
        .filter(|_| e.status().is_some())
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default();
    let pc = kind == SourceKind::FraudEvents;
    let (detail, fix): (String, String) = match e.status() {
        Some(401) if pc => (
            format!("Partner Center refused the token (401{code}): expired, for another audience (graph.windows.net tokens are refused since 31 August 2025), or app-only"),
            "use an App+User token for https://api.partnercenter.microsoft.com from a refresh token of a partner user who signed in with MFA".into(),
        ),
        Some(401) => (
            format!("Graph refused the token (401{code}): expired, not yet valid (check the clock), or for another audience"),
            "use a token for https://graph.microsoft.com (scope https://graph.microsoft.com/.default) from the partner tenant".into(),
        ),
        Some(403) if pc => (
            format!("Partner Center denied access (403{code}): the user lacks the Admin Agent role, or the token is app-only or without MFA"),
            "give the user the Admin Agent role in Partner Center, and sign in with MFA (App+User)".into(),
        ),
        Some(403) => (
            format!("Graph denied access (403{code}): the token lacks {READ} (or {READ_WRITE}), the tenant is not a CSP partner tenant, or Conditional Access asks for more (insufficient_claims)"),
            format!("grant the app {READ} as an application permission with admin consent in the partner tenant, and get a new token"),
        ),
        Some(404) if what == "score" => (
            format!("nothing answers at {base}/security/partner/securityScore (404{code}): the score is beta and global-service only"),
            "use https://graph.microsoft.com/beta; if the alerts answer and the score does not, the service does not offer it to this tenant yet".into(),
        ),
        Some(404) if what == "directory" => (
            format!("nothing answers at {base}/v1/profiles/organization (404{code}): a wrong base URL"),
            "use https://api.partnercenter.microsoft.com as --partner-center-url (or none)".into(),
        ),
        Some(404) if pc => (
            format!("nothing answers at {base}/v1/fraudEvents (404{code}): a wrong base URL"),
            "use https://api.partnercenter.microsoft.com as --base-url (or none)".into(),
        ),
        Some(404) => (
            format!("nothing answers at {base}/security/partner/securityAlerts (404{code}): a wrong base URL or path"),
            "use Graph's beta endpoint, https://graph.microsoft.com/beta, as --base-url (or none): the partner security API is not in v1.0".into(),
        ),
        Some(status) => (
            format!("the service answered {status}{code}"),
            "try again later; if it persists, quote the request id to Microsoft support".into(),
        ),
        None if matches!(e, Error::Transport(_) | Error::Timeout(_)) => (
            format!("cannot reach {base}: {e}"),
            "check the base URL, the network and any proxy".into(),
        ),
        None => (e.to_string(), "see the message".into()),
    };
    (format!("{detail}{id}"), fix)
}
