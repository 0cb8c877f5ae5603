//! The first thing to run: `cargo run --example quickstart`.
//!
//! The main job of a CSP partner's alert tooling, end to end: list the active high-severity
//! alerts, print them as a triage table with the dashboard's figures, resolve one as
//! Legitimate, and show it resolved.
//!
//! With no credentials in the environment it starts the bundled emulator in-process and runs
//! against it (nothing leaves the machine). With credentials (`PARTNER_ALERTS_TOKEN`, or
//! `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`) it runs the same listing
//! against Microsoft Graph and changes nothing unless `--resolve` is passed.

mod common;

use partner_alerts::auth::StaticToken;
use partner_alerts::{GraphClient, SourceKind};
use partner_alerts_emulator::Emulator;

type Error = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let resolve = std::env::args().any(|a| a == "--resolve");
    match common::credential(SourceKind::Graph)? {
        Some(credential) => {
            println!("mode: Microsoft Graph (credentials found in the environment)");
            if !resolve {
                println!("read-only: pass --resolve to resolve the first alert listed\n");
            }
            let client = GraphClient::builder().credential(credential).build()?;
            common::triage::run(&client, resolve).await
        }
        None => {
            let emulator = Emulator::builder().alerts(2_000).seed(7).start().await?;
            println!(
                "mode: local emulator at {} (no credentials in the environment; nothing leaves this machine)\n",
                emulator.graph_base_url()
            );
            let client = GraphClient::builder()
                .base_url(emulator.graph_base_url())
                .credential(StaticToken::new("emulator"))
                .build()?;
            let result = common::triage::run(&client, true).await;
            emulator.shutdown().await;
            result
        }
    }
}
