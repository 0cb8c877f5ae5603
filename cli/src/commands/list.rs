//! `partner-alerts list`: a table, JSON lines, the CSV export or the count.

use std::collections::BTreeSet;
use std::io::{self, BufWriter, Write};

use chrono::Utc;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use partner_alerts::AlertQuery;
use partner_alerts::enrich::{Enriched, Names};
use partner_alerts::triage::{CsvExport, TenantAlert, TenantError, Tenants};

use crate::cli::{Format, ListArgs};
use crate::connect::Session;
use crate::exit::{Failure, Outcome};
use crate::problems::Problems;
use crate::progress::Progress;
use crate::table;

pub async fn run(session: &Session, args: &ListArgs, json: bool) -> Outcome {
    let format = match (json, args.format) {
        (false, f) => f,
        (true, Format::Table | Format::Jsonl) => Format::Jsonl,
        (true, f) => {
            return Err(Failure::Usage(format!(
                "--json and --format {} ask for two outputs; use one",
                format!("{f:?}").to_lowercase()
            )));
        }
    };
    if args.bom && format != Format::Csv {
        return Err(Failure::Usage("--bom is for --format csv".into()));
    }
    let query = crate::query::build(&args.filters, &args.select)?;
    if format == Format::Count {
        return count(session, &query).await;
    }
    let progress = Progress::new(if Progress::wanted() {
        known_total(&session.tenants, &query).await
    } else {
        None
    });
    let mut problems = Problems::new(session.multi, session.tenants.len());
    let listed = session.tenants.list(&query);
    let enricher = match args.enrich {
        true => Some(crate::enrich::require(session.directory.as_ref())?),
        false => None,
    };
    // Each alert with its names when --enrich asks (the table names customers once sorted).
    let mut alerts: BoxStream<'static, Result<(TenantAlert, Option<Names>), TenantError>> =
        match &enricher {
            Some(enricher) if format != Format::Table => enricher
                .stream(listed)
                .map_ok(|e| (e.item, Some(e.names)))
                .boxed(),
            _ => listed.map_ok(|ta| (ta, None)).boxed(),
        };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    // The table is sorted, so it is written once every alert is in (and the bar gone).
    let table_rows = match format {
        Format::Jsonl => {
            while let Some(item) = alerts.next().await {
                match item {
                    Ok((ta, names)) => {
                        match (names, session.multi) {
                            (Some(names), true) => {
                                serde_json::to_writer(&mut out, &Enriched::new(ta, names))
                            }
                            (Some(names), false) => {
                                serde_json::to_writer(&mut out, &Enriched::new(ta.alert, names))
                            }
                            (None, true) => serde_json::to_writer(&mut out, &ta),
                            (None, false) => serde_json::to_writer(&mut out, &ta.alert),
                        }
                        .map_err(io::Error::from)?;
                        out.write_all(b"\n")?;
                        progress.inc();
                    }
                    Err(e) => problems.record(&e, &progress),
                }
            }
            None
        }
        Format::Csv => {
            let mut csv = CsvExport::builder()
                .bom(args.bom)
                .tenant_column(session.multi)
                .name_columns(args.enrich)
                .build(&mut out)?;
            while let Some(item) = alerts.next().await {
                match item {
                    Ok((ta, names)) => {
                        let tenant = session.multi.then_some(&*ta.tenant);
                        match (&names, tenant) {
                            (Some(names), _) => csv.write_with_names(tenant, &ta.alert, names)?,
                            (None, Some(tenant)) => csv.write_from(tenant, &ta.alert)?,
                            (None, None) => csv.write(&ta.alert)?,
                        }
                        progress.inc();
                    }
                    Err(e) => problems.record(&e, &progress),
                }
            }
            csv.finish()?;
            None
        }
        _ => {
            let mut all: Vec<TenantAlert> = Vec::new();
            while let Some(item) = alerts.next().await {
                match item {
                    Ok((ta, _)) => {
                        all.push(ta);
                        progress.inc();
                    }
                    Err(e) => problems.record(&e, &progress),
                }
            }
            Some(all)
        }
    };
    progress.finish();
    if let Some(mut all) = table_rows {
        all.sort_by(|a, b| table::urgency(&a.alert, &b.alert));
        let names = match &enricher {
            Some(enricher) => {
                let customers: BTreeSet<String> = all
                    .iter()
                    .filter_map(|a| a.alert.customer_tenant_id.as_ref())
                    .map(|c| c.as_str().to_owned())
                    .collect();
                Some(crate::enrich::customer_names(enricher, customers.iter()).await)
            }
            None => None,
        };
        table::write_table(&mut out, &all, session.multi, names.as_ref(), Utc::now())?;
        let unresolved = all.iter().filter(|a| a.alert.is_unresolved()).count();
        eprintln!("{} alerts, {unresolved} unresolved", all.len());
    }
    out.flush()?;
    problems.outcome()
}

/// `--format count`: each tenant counts (Graph asks the service, FraudEvents lists).
async fn count(session: &Session, query: &AlertQuery) -> Outcome {
    let tenants = &session.tenants;
    let counts: Vec<_> = futures::stream::iter(tenants.names())
        .map(|name| async move {
            let source = tenants.source(name).expect("a listed tenant");
            (name, source.count(query).await)
        })
        .buffered(session.concurrency)
        .collect()
        .await;
    let mut total = 0u64;
    let mut failed = Vec::new();
    for (name, result) in counts {
        match result {
            Ok(n) => {
                total += n;
                if session.multi {
                    eprintln!("{name}: {n}");
                }
            }
            Err(e) => {
                let e = Failure::from_library(&e);
                if session.multi {
                    eprintln!("partner-alerts: tenant {name}: {e}");
                }
                failed.push((name, e));
            }
        }
    }
    if failed.len() == tenants.len() && !session.multi {
        return Err(failed.pop().expect("one tenant").1);
    }
    if failed.len() == tenants.len() {
        return Err(Failure::Error("every tenant failed".into()));
    }
    println!("{total}");
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Partial(format!(
            "partial count: {} of {} tenants failed",
            failed.len(),
            tenants.len()
        )))
    }
}

/// The number of alerts a listing will yield, when every tenant's service counts
/// (`@odata.count` through `$count`): one cheap request each, made only to size the progress
/// bar.
async fn known_total(tenants: &Tenants, query: &AlertQuery) -> Option<u64> {
    let mut total = 0;
    for name in tenants.names() {
        let source = tenants.source(name)?;
        if !source.capabilities().count {
            return None;
        }
        total += source.count(query).await.ok()?;
    }
    Some(total)
}
