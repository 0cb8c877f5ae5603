//! Lists alerts with a typed filter and a selection, one JSON object per line.
//!
//! ```text
//! cargo run --example list                        # the bundled emulator, no credentials
//! PARTNER_ALERTS_TOKEN=... cargo run --example list   # Microsoft Graph
//! ```
//!
//! The operator's tool with every filter and format is the `partner-alerts` command (`cli/`);
//! this is the library call underneath it.

mod common;

use chrono::{TimeDelta, Utc};
use partner_alerts::auth::StaticToken;
use partner_alerts::{AlertQuery, AlertStatus, Field, Filter, GraphClient, SourceKind};
use partner_alerts_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut emulator = None;
    let client = match common::credential(SourceKind::Graph)? {
        Some(credential) => GraphClient::builder().credential(credential).build()?,
        None => {
            let emu = Emulator::builder().alerts(500).seed(7).start().await?;
            eprintln!(
                "no credentials: listing the emulator at {}",
                emu.graph_base_url()
            );
            let client = GraphClient::builder()
                .base_url(emu.graph_base_url())
                .credential(StaticToken::new("emulator"))
                .build()?;
            emulator = Some(emu);
            client
        }
    };

    // Unresolved alerts of the last 30 days, only the properties a triage list needs.
    let query = AlertQuery::new()
        .filter(
            Filter::status()
                .ne(AlertStatus::Resolved)
                .and(Filter::detected_date_time().ge(Utc::now() - TimeDelta::days(30))),
        )
        .select([
            Field::DisplayName,
            Field::Status,
            Field::Severity,
            Field::SubscriptionId,
            Field::DetectedDateTime,
        ]);
    let mut alerts = client.list(&query);
    let mut n = 0;
    while let Some(alert) = alerts.try_next().await? {
        println!("{}", serde_json::to_string(&alert)?);
        n += 1;
    }
    eprintln!("{n} alerts");
    if let Some(emu) = emulator {
        emu.shutdown().await;
    }
    Ok(())
}
