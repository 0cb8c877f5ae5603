//! Lists alerts from Graph or from Partner Center's FraudEvents API.
//!
//! ```text
//! cargo run --example list -- [--source graph|fraud-events] [--base-url URL]
//!     [--status S] [--severity S] [--alert-type T] [--customer ID] [--subscription ID]
//!     [--since RFC3339] [--filter RAW] [--select a,b,...] [--format table|jsonl|count]
//! ```
//!
//! Credentials come from the environment: `PARTNER_ALERTS_TOKEN` (a bearer token), or
//! `AZURE_TENANT_ID` / `AZURE_CLIENT_ID` / `AZURE_CLIENT_SECRET` (Graph, client credentials),
//! or `AZURE_TENANT_ID` / `AZURE_CLIENT_ID` / `PARTNER_CENTER_REFRESH_TOKEN` (Partner Center).

mod common;

use std::process::ExitCode;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};
use partner_alerts::{
    AlertQuery, AlertSource, AlertStatus, AlertType, Field, Filter, FraudEventsClient, GraphClient,
    Severity, SubscriptionId, TenantId,
};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Source {
    Graph,
    FraudEvents,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Table,
    Jsonl,
    Count,
}

/// List partner security alerts.
#[derive(Debug, Parser)]
struct Args {
    /// Which API to read.
    #[arg(long, value_enum, default_value = "graph")]
    source: Source,
    /// The API's base URL (Graph's ends in /beta); defaults to Microsoft's.
    #[arg(long)]
    base_url: Option<String>,
    /// Only this status (active, investigating, resolved).
    #[arg(long)]
    status: Option<String>,
    /// Only this severity (high, medium, low, informational).
    #[arg(long)]
    severity: Option<String>,
    /// Only this alert type.
    #[arg(long)]
    alert_type: Option<String>,
    /// Only this customer tenant.
    #[arg(long)]
    customer: Option<String>,
    /// Only this Azure subscription.
    #[arg(long)]
    subscription: Option<String>,
    /// Only alerts detected at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<DateTime<Utc>>,
    /// A raw OData filter, joined with the others by `and` (Graph only).
    #[arg(long)]
    filter: Option<String>,
    /// Properties to return, comma-separated (e.g. status,severity).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Output: a table, one JSON alert per line, or only the count.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn query(args: &Args) -> Result<AlertQuery, String> {
    let mut terms: Vec<Filter> = Vec::new();
    if let Some(s) = &args.status {
        terms.push(Filter::status().eq(AlertStatus::from(s.as_str())));
    }
    if let Some(s) = &args.severity {
        terms.push(Filter::severity().eq(Severity::from(s.as_str())));
    }
    if let Some(t) = &args.alert_type {
        terms.push(Filter::alert_type().eq(AlertType::new(t.as_str())));
    }
    if let Some(c) = &args.customer {
        terms.push(Filter::customer_tenant_id().eq(TenantId::new(c).map_err(|e| e.to_string())?));
    }
    if let Some(s) = &args.subscription {
        terms
            .push(Filter::subscription_id().eq(SubscriptionId::new(s).map_err(|e| e.to_string())?));
    }
    if let Some(t) = args.since {
        terms.push(Filter::detected_date_time().ge(t));
    }
    if let Some(raw) = &args.filter {
        terms.push(Filter::raw(raw.as_str()));
    }
    let mut q = AlertQuery::new();
    if let Some(f) = terms.into_iter().reduce(Filter::and) {
        q = q.filter(f);
    }
    if !args.select.is_empty() {
        let fields = args
            .select
            .iter()
            .map(|s| {
                Field::from_name(s.trim()).ok_or_else(|| format!("unknown property to select: {s}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        q = q.select(fields);
    }
    Ok(q)
}

fn source(args: &Args) -> Result<Arc<dyn AlertSource>, String> {
    let built = match args.source {
        Source::Graph => {
            let cred = common::graph_credential().ok_or(
                "no credentials: set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
            )?;
            let mut b = GraphClient::builder().credential(cred);
            if let Some(url) = &args.base_url {
                b = b.base_url(url.as_str());
            }
            b.build().map(|c| Arc::new(c) as Arc<dyn AlertSource>)
        }
        Source::FraudEvents => {
            let cred = common::partner_center_credential().ok_or(
                "no credentials: set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and PARTNER_CENTER_REFRESH_TOKEN",
            )?;
            let mut b = FraudEventsClient::builder().credential(cred);
            if let Some(url) = &args.base_url {
                b = b.base_url(url.as_str());
            }
            b.build().map(|c| Arc::new(c) as Arc<dyn AlertSource>)
        }
    };
    built.map_err(|e| e.to_string())
}

async fn run(args: Args) -> Result<(), String> {
    let query = query(&args)?;
    let source = source(&args)?;
    let fail = |e: partner_alerts::Error| match e.request_id() {
        Some(id) => format!("{e} (request id {id})"),
        None => e.to_string(),
    };
    let mut alerts = source.list(&query);
    match args.format {
        Format::Count => {
            let mut n = 0u64;
            while alerts.try_next().await.map_err(fail)?.is_some() {
                n += 1;
            }
            println!("{n}");
        }
        Format::Jsonl => {
            while let Some(a) = alerts.try_next().await.map_err(fail)? {
                println!("{}", serde_json::to_string(&a).map_err(|e| e.to_string())?);
            }
        }
        Format::Table => {
            let all = alerts.try_collect().await.map_err(fail)?;
            common::print_table(&all);
            eprintln!("{} alerts", all.len());
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
