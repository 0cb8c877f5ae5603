//! `partner-alerts dashboard`: the dashboard's figures as a table, JSON, or an HTML report.

use std::io::{self, Write};

use chrono::Utc;
use partner_alerts::Field;
use partner_alerts::triage::Dashboard;

use crate::cli::DashboardArgs;
use crate::connect::Session;
use crate::exit::{Failure, Outcome};
use crate::html::Report;
use crate::problems::Problems;
use crate::progress::Progress;

/// Breakdown rows the table shows; `--json` and the HTML report have them all.
const TABLE_GROUPS: usize = 10;

/// The properties the figures and the report read: nothing else is transferred.
const FIELDS: &[Field] = &[
    Field::DisplayName,
    Field::AlertType,
    Field::Status,
    Field::Severity,
    Field::CustomerTenantId,
    Field::SubscriptionId,
    Field::DetectedDateTime,
    Field::ResolvedReason,
    Field::ResolvedOnDateTime,
];

pub async fn run(session: &Session, args: &DashboardArgs, json: bool) -> Outcome {
    let query = crate::query::build(&args.filters, &[])?.select(FIELDS.iter().copied());
    let now = args.now.unwrap_or_else(Utc::now);
    // Checked before the listing: a path that cannot be written fails fast.
    let html_file = match &args.html {
        Some(path) => Some((
            path,
            std::fs::File::create(path)
                .map_err(|e| Failure::Usage(format!("--html {}: {e}", path.display())))?,
        )),
        None => None,
    };
    let enricher = match args.enrich {
        true => Some(crate::enrich::require(session.directory.as_ref())?),
        false => None,
    };
    let mut dashboard = Dashboard::new(now);
    let mut report = Report::new(now);
    let mut problems = Problems::new(session.multi, session.tenants.len());
    let progress = Progress::new(None);
    let mut alerts = session.tenants.list(&query);
    while let Some(item) = alerts.next_item().await {
        match item {
            Ok(ta) => {
                if session.multi {
                    dashboard.add_from(&ta.tenant, &ta.alert);
                } else {
                    dashboard.add(&ta.alert);
                }
                report.add(&ta);
                progress.inc();
            }
            Err(e) => problems.record(&e, &progress),
        }
    }
    progress.finish();
    if let Some(enricher) = &enricher {
        // One lookup per customer, after the listing: the figures do not wait for names.
        dashboard.by_customer =
            crate::enrich::by_customer_name(enricher, &dashboard.by_customer).await;
        if html_file.is_some() {
            // Cached by now: the open alerts' customers are among the breakdown's.
            let customers = report.open_customers();
            let names = crate::enrich::customer_names(enricher, customers.iter()).await;
            report.name_customers(names);
        }
    }
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &dashboard).map_err(io::Error::from)?;
        writeln!(out)?;
    } else {
        write!(out, "{dashboard:.TABLE_GROUPS$}")?;
    }
    out.flush()?;
    if let Some((path, mut file)) = html_file {
        let scope = match session.tenants.len() {
            1 if !session.multi => "one tenant".to_owned(),
            n => format!("{n} partner tenants"),
        };
        file.write_all(report.render(&dashboard, session.multi, &scope).as_bytes())?;
        file.flush()?;
        eprintln!("partner-alerts: wrote {}", path.display());
    }
    problems.outcome()
}
