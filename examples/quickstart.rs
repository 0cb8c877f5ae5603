//! The first thing to run: `cargo run --example quickstart`.
//!
//! Decodes the example payloads of Microsoft's documentation (a Graph page and a Partner
//! Center FraudEvents answer, shipped in `testdata/`) into the crate's typed models and
//! prints them as a triage table. It sends nothing.

mod common;

use partner_alerts::{Alert, FraudEvent};
use serde::Deserialize;

#[derive(Deserialize)]
struct GraphPage {
    value: Vec<Alert>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("mode: offline, decoding the documentation's example payloads (nothing is sent)\n");
    let graph: GraphPage = serde_json::from_str(include_str!("../testdata/graph_page.json"))?;
    let events: Vec<FraudEvent> =
        serde_json::from_str(include_str!("../testdata/fraud_events_new_model.json"))?;
    let mut alerts = graph.value;
    alerts.extend(events.into_iter().map(Alert::from));
    common::print_table(&alerts);
    let unresolved = alerts.iter().filter(|a| a.is_unresolved()).count();
    println!("\n{} alerts, {unresolved} unresolved", alerts.len());
    Ok(())
}
