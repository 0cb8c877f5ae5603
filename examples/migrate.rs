//! Migrating from FraudEvents to Graph: the same triage function runs on both clients.
//!
//! `cargo run --example migrate` runs it on the bundled emulator, which serves the same
//! alerts through both APIs; the figures printed for the two sources match.

use std::collections::BTreeMap;

use chrono::Utc;
use partner_alerts::auth::StaticToken;
use partner_alerts::triage::Dashboard;
use partner_alerts::{AlertQuery, AlertSource, FraudEventsClient, GraphClient};
use partner_alerts_emulator::Emulator;

/// Written once against the trait: counts alerts by type and computes the dashboard figures.
async fn triage(source: &dyn AlertSource) -> partner_alerts::Result<()> {
    let alerts = source.list(&AlertQuery::new()).try_collect().await?;
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for a in &alerts {
        let t = a
            .alert_type
            .as_ref()
            .map_or("-".to_owned(), |t| t.canonical().to_string());
        *by_type.entry(t).or_default() += 1;
    }
    let d = Dashboard::compute(&alerts, Utc::now());
    println!(
        "{:?}: {} alerts, {} unresolved, {} resolved, {} new in the last 7 days",
        source.kind(),
        d.total,
        d.unresolved,
        d.resolved,
        d.new_last_7_days
    );
    for (t, n) in by_type {
        println!("  {n:>5}  {t}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().alerts(1_000).seed(3).start().await?;

    // Before: the legacy Partner Center API.
    let legacy = FraudEventsClient::builder()
        .base_url(emulator.partner_center_base_url())
        .credential(StaticToken::new("emulator"))
        .build()?;
    // After: Graph. Only the line that builds the client changes.
    let graph = GraphClient::builder()
        .base_url(emulator.graph_base_url())
        .credential(StaticToken::new("emulator"))
        .build()?;

    triage(&legacy).await?;
    triage(&graph).await?;
    emulator.shutdown().await;
    Ok(())
}
