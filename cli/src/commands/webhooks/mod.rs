//! `partner-alerts webhooks`: Partner Center's push. `serve` receives and verifies the
//! callbacks and prints the alerts they point at; `register`, `show` and `test` manage the
//! registration.

mod serve;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use partner_alerts::SourceKind;
use partner_alerts::auth::{TokenProvider, credential_from_env};
use partner_alerts::webhooks::{
    AZURE_FRAUD_EVENT_DETECTED, Registration, RegistrationClient, TEST_CREATED,
};

use crate::connect::Session;
use crate::exit::{Failure, Outcome};

/// `webhooks` and its subcommands.
#[derive(Debug, Args)]
pub struct WebhooksArgs {
    #[command(subcommand)]
    pub command: WebhooksCommand,
}

/// What to do with webhooks.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Receive Partner Center's callbacks: verify each, answer at once, then read the
    /// alerts it points at and print them as `watch` does (JSON lines).
    #[command(after_help = "\
Each verified azure-fraud-event-detected callback is answered 200 and queued; in the
background the alerts of its subscription are read (through --source) and each printed once
as a JSON line in the format of `watch` (a \"new\" event). A redelivered callback is answered
200 and not processed again. When the queue is full the answer is 503, so that Partner Center
delivers again later. A callback that fails verification is answered 400 or 401 (503 when the
signing certificate could not be downloaded) and reported on standard error.

Examples:
  partner-alerts webhooks serve --listen 0.0.0.0:8443
  partner-alerts --emulator webhooks serve --listen 127.0.0.1:0")]
    Serve(serve::ServeArgs),
    /// Register (or, with --update, replace) the callback URL.
    #[command(after_help = "\
Examples:
  partner-alerts webhooks register --url https://alerts.example.com/pc
  partner-alerts webhooks register --url https://alerts.example.com/pc --ms-signature-header --update")]
    Register(RegisterArgs),
    /// Show the registration.
    #[command(after_help = "\
Examples:
  partner-alerts webhooks show
  partner-alerts --json webhooks show")]
    Show(PartnerCenterArgs),
    /// Ask Partner Center to send a test event, then show its delivery (2 a minute).
    #[command(after_help = "\
Partner Center takes two test events a minute; a third is refused before it is sent.

Examples:
  partner-alerts webhooks test
  partner-alerts webhooks test --wait 30")]
    Test(TestArgs),
}

/// Where the registration API is.
#[derive(Debug, Args)]
pub struct PartnerCenterArgs {
    /// Partner Center's base URL (Microsoft's by default; the emulator's with --emulator).
    /// Credentials: PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and
    /// PARTNER_CENTER_REFRESH_TOKEN.
    #[arg(long, value_name = "URL")]
    pub partner_center_url: Option<String>,
}

/// `webhooks register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// The URL Partner Center posts to.
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The events (default: azure-fraud-event-detected and test-created).
    #[arg(long = "event", value_name = "NAME")]
    pub events: Vec<String>,
    /// Send the signature in x-ms-signature instead of Authorization.
    #[arg(long)]
    pub ms_signature_header: bool,
    /// Replace the existing registration (PUT) instead of creating one (POST).
    #[arg(long)]
    pub update: bool,
    #[command(flatten)]
    pub pc: PartnerCenterArgs,
}

/// `webhooks test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// How long to wait for the delivery result.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub wait: u64,
    #[command(flatten)]
    pub pc: PartnerCenterArgs,
}

pub async fn run(session: &Session, args: &WebhooksArgs, json: bool) -> Outcome {
    match &args.command {
        WebhooksCommand::Serve(a) => serve::run(session, a).await,
        WebhooksCommand::Register(a) => {
            let client = registration_client(session, &a.pc)?;
            let mut r = Registration::new(&a.url);
            let events: Vec<String> = if a.events.is_empty() {
                vec![AZURE_FRAUD_EVENT_DETECTED.into(), TEST_CREATED.into()]
            } else {
                a.events.clone()
            };
            for e in events {
                r = r.event(e);
            }
            if a.ms_signature_header {
                r = r.signature_in_ms_signature_header(true);
            }
            let done = if a.update {
                client.update(&r).await
            } else {
                client.register(&r).await
            }
            .map_err(|e| Failure::from_library(&e))?;
            print(&done, json, |d| {
                format!(
                    "registered {} for {}",
                    d.webhook_url,
                    d.webhook_events.join(", ")
                )
            })
        }
        WebhooksCommand::Show(pc) => {
            let client = registration_client(session, pc)?;
            let r = client
                .registration()
                .await
                .map_err(|e| Failure::from_library(&e))?;
            print(&r, json, |d| {
                format!("{} for {}", d.webhook_url, d.webhook_events.join(", "))
            })
        }
        WebhooksCommand::Test(a) => {
            let client = registration_client(session, &a.pc)?;
            let sent = client
                .send_test_event()
                .await
                .map_err(|e| Failure::from_library(&e))?;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(a.wait);
            let delivery = loop {
                let d = client
                    .test_event_delivery(&sent.correlation_id)
                    .await
                    .map_err(|e| Failure::from_library(&e))?;
                if !d.results.is_empty() || tokio::time::Instant::now() >= deadline {
                    break d;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            };
            print(&delivery, json, |d| {
                let answers: Vec<String> = d
                    .results
                    .iter()
                    .map(|r| r.response_code.clone().unwrap_or_else(|| "-".into()))
                    .collect();
                format!(
                    "test event {}: {} ({})",
                    d.correlation_id,
                    d.status.as_deref().unwrap_or("unknown"),
                    if answers.is_empty() {
                        "no delivery yet".to_owned()
                    } else {
                        answers.join(", ")
                    }
                )
            })
        }
    }
}

fn print<T: serde::Serialize>(value: &T, json: bool, text: impl Fn(&T) -> String) -> Outcome {
    if json {
        let line = serde_json::to_string(value).map_err(|e| Failure::Error(e.to_string()))?;
        println!("{line}");
    } else {
        println!("{}", text(value));
    }
    Ok(())
}

/// The registration client: the emulator's with --emulator, else Partner Center's with
/// credentials from the environment.
fn registration_client(session: &Session, pc: &PartnerCenterArgs) -> Outcome<RegistrationClient> {
    let mut b = RegistrationClient::builder();
    let credential: Arc<dyn TokenProvider> = match session.emulator() {
        Some(emu) => {
            b = b.base_url(emu.partner_center_base_url());
            Arc::new(partner_alerts::auth::StaticToken::new("emulator"))
        }
        None => credential_from_env(SourceKind::FraudEvents)?.ok_or_else(|| {
            Failure::Usage("no credentials: set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and PARTNER_CENTER_REFRESH_TOKEN (or try --emulator)".into())
        })?,
    };
    if let Some(url) = &pc.partner_center_url {
        b = b.base_url(url);
    }
    Ok(b.credential(credential).build()?)
}

/// A certificate file: PEM (one or more) or DER.
fn read_certificates(path: &PathBuf) -> Outcome<Vec<Vec<u8>>> {
    let bytes = std::fs::read(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    partner_alerts::webhooks::certificates_from_pem_or_der(&bytes)
        .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))
}
