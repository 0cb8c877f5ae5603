//! Many partner tenants in one view: the dashboard per tenant and one CSV export of all.
//!
//! `cargo run --example many_tenants` runs it on two bundled emulators standing in for two
//! Partner Center tenants (one read through Graph, one through FraudEvents).

use std::sync::Arc;

use chrono::Utc;
use partner_alerts::auth::StaticToken;
use partner_alerts::triage::{CsvExport, Dashboard, Tenants};
use partner_alerts::{AlertQuery, AlertStatus, Filter, FraudEventsClient, GraphClient};
use partner_alerts_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let contoso = Emulator::builder().alerts(300).seed(1).start().await?;
    let fabrikam = Emulator::builder().alerts(200).seed(2).start().await?;

    // Each tenant its own client, credential and API.
    let mut tenants = Tenants::new().concurrency(4);
    tenants.add(
        "contoso",
        Arc::new(
            GraphClient::builder()
                .base_url(contoso.graph_base_url())
                .credential(StaticToken::new("contoso-token"))
                .build()?,
        ),
    )?;
    tenants.add(
        "fabrikam",
        Arc::new(
            FraudEventsClient::builder()
                .base_url(fabrikam.partner_center_base_url())
                .credential(StaticToken::new("fabrikam-token"))
                .build()?,
        ),
    )?;

    // The figures over both, with a breakdown per tenant; a failing tenant is reported, the
    // other's alerts still counted.
    let (dashboard, errors) =
        Dashboard::from_tenants(&tenants, &AlertQuery::new(), Utc::now()).await;
    for e in &errors {
        eprintln!("{e}");
    }
    for (tenant, t) in &dashboard.by_tenant {
        println!(
            "{tenant:<10} {:>5} alerts, {:>5} unresolved",
            t.total, t.unresolved
        );
    }

    // The unresolved ones as CSV, each row tagged with its tenant, written as they arrive.
    let open = AlertQuery::new().filter(Filter::status().ne(AlertStatus::Resolved));
    let path = std::env::temp_dir().join("partner-alerts-unresolved.csv");
    let file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut csv = CsvExport::builder().tenant_column(true).build(file)?;
    let mut alerts = tenants.list(&open);
    while let Some(item) = alerts.next_item().await {
        match item {
            Ok(a) => csv.write_from(&a.tenant, &a.alert)?,
            Err(e) => eprintln!("{e}"),
        }
    }
    println!(
        "{} unresolved alerts exported to {}",
        csv.rows(),
        path.display()
    );
    csv.finish()?;

    contoso.shutdown().await;
    fabrikam.shutdown().await;
    Ok(())
}
