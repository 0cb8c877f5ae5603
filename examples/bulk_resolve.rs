//! Clearing a backlog: every unresolved alert older than 30 days resolved as Ignore, planned
//! first, each alert reported, and a re-run that sends nothing.
//!
//! `cargo run --example bulk_resolve` runs it on the bundled emulator.

use chrono::{TimeDelta, Utc};
use partner_alerts::auth::StaticToken;
use partner_alerts::bulk::Plan;
use partner_alerts::{AlertQuery, AlertStatus, Filter, GraphClient, ResolvedReason, StatusUpdate};
use partner_alerts_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().alerts(500).seed(7).start().await?;
    let client = GraphClient::builder()
        .base_url(emulator.graph_base_url())
        .credential(StaticToken::new("emulator"))
        .build()?;

    // The backlog, listed with only what a plan needs.
    let backlog = AlertQuery::new()
        .filter(
            Filter::status()
                .ne(AlertStatus::Resolved)
                .and(Filter::detected_date_time().lt(Utc::now() - TimeDelta::days(30))),
        )
        .select(Plan::FIELDS.iter().copied());
    let alerts = client.list(&backlog).try_collect().await?;
    let update = StatusUpdate::resolved(ResolvedReason::Ignore);

    // The dry run: what would change. Nothing is sent yet.
    let plan = Plan::from_alerts(&client, alerts, update)?;
    println!("{} alerts to resolve as Ignore", plan.changes().count());

    // Applied through Graph JSON batching; every alert is in one list of the report.
    let report = plan.apply(&client).await?;
    println!(
        "{} resolved, {} skipped, {} failed, {} unconfirmed",
        report.succeeded.len(),
        report.skipped.len(),
        report.failed.len(),
        report.unconfirmed.len()
    );
    for (id, e) in &report.failed {
        eprintln!("{id}: {e}");
    }

    // Planned again on the same alerts, read afresh: all skipped, no write sent.
    let ids: Vec<_> = plan.items().iter().map(|i| i.target.clone()).collect();
    let again = Plan::new(
        &client,
        &ids,
        StatusUpdate::resolved(ResolvedReason::Ignore),
    )
    .await?;
    println!(
        "again: {} to change, {} skipped",
        again.changes().count(),
        again.skipped().count()
    );

    emulator.shutdown().await;
    Ok(())
}
