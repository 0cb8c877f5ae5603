//! `partner-alerts resolve`: many alerts resolved at once, planned first (a dry run unless
//! `--apply`), every alert reported succeeded, skipped, failed or unconfirmed.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufWriter, Write};
use std::sync::Arc;

use chrono::Utc;
use partner_alerts::bulk::{Plan, PlanAction};
use partner_alerts::{
    Alert, AlertId, AlertStatus, Error, Field, Filter, ResolvedReason, StatusUpdate, UpdateReport,
    UpdateTarget,
};
use serde_json::{Value, json};

use crate::cli::ResolveArgs;
use crate::connect::Session;
use crate::exit::{Failure, Outcome};
use crate::problems::Problems;
use crate::progress::Progress;

pub async fn run(session: &Session, args: &ResolveArgs, json: bool) -> Outcome {
    let reason = ResolvedReason::from(args.reason.to_ascii_lowercase().as_str());
    let update = StatusUpdate::resolved(reason);
    let (plans, problems) = match &args.ids_from {
        Some(path) => (plan_ids(session, path, &update).await?, None),
        None => {
            let (plans, problems) = plan_selection(session, args, &update).await?;
            (plans, Some(problems))
        }
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let outcome = if args.apply {
        apply(session, &plans, &mut out, json).await?
    } else {
        dry_run(session, &plans, &update, &mut out, json)?;
        Ok(())
    };
    out.flush()?;
    match problems.map(Problems::outcome) {
        Some(Err(f)) => Err(f),
        _ => outcome,
    }
}

/// The plans, one per tenant, in the order of the tenants.
type Plans = Vec<(Arc<str>, Plan)>;

/// The unresolved alerts matching the filters, as listed (nothing read twice).
async fn plan_selection(
    session: &Session,
    args: &ResolveArgs,
    update: &StatusUpdate,
) -> Result<(Plans, Problems), Failure> {
    let f = &args.filters;
    let filtered = f.status.is_some()
        || f.severity.is_some()
        || f.alert_type.is_some()
        || f.customer.is_some()
        || f.subscription.is_some()
        || f.since.is_some()
        || f.until.is_some()
        || f.filter.is_some()
        || args.older_than.is_some();
    if !filtered && !args.all {
        return Err(Failure::Usage(
            "name the alerts to resolve: a filter, --older-than, --ids-from, or --all for every unresolved alert".into(),
        ));
    }
    let mut query = crate::query::build(f, &[])?;
    let mut extra: Vec<Filter> = Vec::new();
    if f.status.is_none() {
        extra.push(Filter::status().ne(AlertStatus::Resolved));
    }
    if let Some(age) = args.older_than {
        extra.push(Filter::detected_date_time().lt(Utc::now() - age));
    }
    if let Some(all) = query
        .filter_expr()
        .cloned()
        .into_iter()
        .chain(extra)
        .reduce(Filter::and)
    {
        query = query.filter(all);
    }
    let fields = Plan::FIELDS
        .iter()
        .copied()
        .chain([Field::DisplayName, Field::DetectedDateTime]);
    let query = query.select(fields);
    let progress = Progress::new(None);
    let mut problems = Problems::new(session.multi, session.tenants.len());
    let mut listed: BTreeMap<Arc<str>, Vec<Alert>> = BTreeMap::new();
    let mut alerts = session.tenants.list(&query);
    while let Some(item) = alerts.next_item().await {
        match item {
            Ok(ta) => {
                listed.entry(ta.tenant).or_default().push(ta.alert);
                progress.inc();
            }
            Err(e) => problems.record(&e, &progress),
        }
    }
    progress.finish();
    let mut plans = Vec::new();
    for (tenant, alerts) in listed {
        let source = session.tenants.source(&tenant).expect("a listed tenant");
        plans.push((
            tenant,
            Plan::from_alerts(&**source, alerts, update.clone())?,
        ));
    }
    Ok((plans, problems))
}

/// The alerts named in a file, read once each to plan.
async fn plan_ids(
    session: &Session,
    path: &std::path::Path,
    update: &StatusUpdate,
) -> Result<Plans, Failure> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(io::BufReader::new(std::fs::File::open(path).map_err(
            |e| Failure::Usage(format!("--ids-from {}: {e}", path.display())),
        )?))
    };
    let only = (!session.multi).then(|| {
        session
            .tenants
            .names()
            .next()
            .map(Arc::<str>::from)
            .expect("one tenant")
    });
    let mut by_tenant: BTreeMap<Arc<str>, Vec<UpdateTarget>> = BTreeMap::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        let at = |what: String| Failure::Usage(format!("--ids-from line {}: {what}", n + 1));
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, tenant) = if line.starts_with('{') {
            let v: Value = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
            let id = v["id"]
                .as_str()
                .ok_or_else(|| at("a JSON line without a string \"id\"".into()))?
                .to_owned();
            (id, v["partnerTenant"].as_str().map(str::to_owned))
        } else {
            (line.to_owned(), None)
        };
        let id = AlertId::new(id).map_err(|e| at(e.to_string()))?;
        let tenant: Arc<str> = match (tenant, &only) {
            (Some(t), _) if session.multi => {
                if session.tenants.source(&t).is_none() {
                    return Err(at(format!("tenant {t:?} is not in the tenants file")));
                }
                t.into()
            }
            (_, Some(only)) => only.clone(),
            _ => {
                return Err(at(
                    "with --tenants, give the JSON lines of `list --format jsonl`: they name each alert's tenant".into(),
                ));
            }
        };
        by_tenant
            .entry(tenant)
            .or_default()
            .push(UpdateTarget::from(id));
    }
    let mut plans = Vec::new();
    for (tenant, targets) in by_tenant {
        let source = session.tenants.source(&tenant).expect("a checked tenant");
        let plan = Plan::new(&**source, &targets, update.clone()).await?;
        plans.push((tenant, plan.only_unresolved()));
    }
    Ok(plans)
}

fn dry_run(
    session: &Session,
    plans: &Plans,
    update: &StatusUpdate,
    out: &mut impl Write,
    json: bool,
) -> io::Result<()> {
    let target = format!("resolved ({})", update.reason().map_or("-", |r| r.as_str()));
    let (mut changes, mut skipped, mut unreadable) = (0, 0, 0);
    let mut entries = Vec::new();
    for (tenant, plan) in plans {
        for item in plan.items() {
            let id = item.target.id.as_str();
            match &item.action {
                PlanAction::Change { status, reason } => {
                    changes += 1;
                    let from = match (status, reason) {
                        (Some(s), Some(r)) => format!("{} ({})", s.as_str(), r.as_str()),
                        (Some(s), None) => s.as_str().to_owned(),
                        (None, _) => "-".to_owned(),
                    };
                    if json {
                        entries.push(entry(
                            session,
                            tenant,
                            id,
                            json!({"action": "change", "from": from}),
                        ));
                    } else {
                        if session.multi {
                            write!(out, "{tenant}\t")?;
                        }
                        writeln!(out, "{id}\t{from} -> {target}")?;
                    }
                }
                PlanAction::Skip => {
                    skipped += 1;
                    if json {
                        entries.push(entry(session, tenant, id, json!({"action": "skip"})));
                    }
                }
                PlanAction::Unreadable(e) => {
                    unreadable += 1;
                    if json {
                        entries.push(entry(session, tenant, id, error_json(e)));
                    } else {
                        eprintln!("partner-alerts: cannot read {id}: {}", with_request_id(e));
                    }
                }
                _ => {}
            }
        }
    }
    if json {
        serde_json::to_writer_pretty(
            &mut *out,
            &json!({"applied": false, "wouldChange": changes, "skipped": skipped, "unreadable": unreadable, "alerts": entries}),
        )?;
        writeln!(out)?;
    }
    eprintln!(
        "dry run: {changes} would change to {target}, {skipped} already {target} (skipped), {unreadable} unreadable; nothing was changed. Run again with --apply to change them."
    );
    Ok(())
}

async fn apply(
    session: &Session,
    plans: &Plans,
    out: &mut impl Write,
    json: bool,
) -> Result<Outcome, Failure> {
    let total: usize = plans.iter().map(|(_, p)| p.changes().count()).sum();
    let progress = Progress::new(Some(total as u64));
    let mut reports: Vec<(&Arc<str>, UpdateReport)> = Vec::new();
    for (tenant, plan) in plans {
        let source = session.tenants.source(tenant).expect("a planned tenant");
        let report = plan.apply(&**source).await?;
        progress.inc_by(plan.changes().count() as u64);
        reports.push((tenant, report));
    }
    progress.finish();
    let count = |f: fn(&UpdateReport) -> usize| reports.iter().map(|(_, r)| f(r)).sum::<usize>();
    let succeeded = count(|r| r.succeeded.len());
    let skipped = count(|r| r.skipped.len());
    let failed = count(|r| r.failed.len());
    let unconfirmed = count(|r| r.unconfirmed.len());
    if json {
        let mut entries = Vec::new();
        for (tenant, r) in &reports {
            for (id, _) in &r.succeeded {
                entries.push(entry(
                    session,
                    tenant,
                    id.as_str(),
                    json!({"outcome": "succeeded"}),
                ));
            }
            for id in &r.skipped {
                entries.push(entry(
                    session,
                    tenant,
                    id.as_str(),
                    json!({"outcome": "skipped"}),
                ));
            }
            for (list, name) in [(&r.failed, "failed"), (&r.unconfirmed, "unconfirmed")] {
                for (id, e) in list {
                    let mut v = error_json(e);
                    v["outcome"] = name.into();
                    entries.push(entry(session, tenant, id.as_str(), v));
                }
            }
        }
        serde_json::to_writer_pretty(
            &mut *out,
            &json!({"applied": true, "succeeded": succeeded, "skipped": skipped, "failed": failed, "unconfirmed": unconfirmed, "alerts": entries}),
        )?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{succeeded} resolved, {skipped} skipped (already resolved so), {failed} failed, {unconfirmed} unconfirmed"
        )?;
        for (tenant, r) in &reports {
            let who = |id: &AlertId| {
                if session.multi {
                    format!("{tenant}\t{id}")
                } else {
                    id.to_string()
                }
            };
            for (id, e) in &r.failed {
                writeln!(out, "failed\t{}\t{}", who(id), with_request_id(e))?;
            }
            for (id, e) in &r.unconfirmed {
                writeln!(
                    out,
                    "unconfirmed\t{}\t{} (may be applied: read it again)",
                    who(id),
                    with_request_id(e)
                )?;
            }
        }
    }
    Ok(if failed + unconfirmed > 0 {
        Err(Failure::Partial(format!(
            "{failed} failed and {unconfirmed} unconfirmed of {} alerts",
            succeeded + skipped + failed + unconfirmed
        )))
    } else {
        Ok(())
    })
}

fn entry(session: &Session, tenant: &str, id: &str, mut v: Value) -> Value {
    v["id"] = id.into();
    if session.multi {
        v["partnerTenant"] = tenant.into();
    }
    v
}

pub fn error_json(e: &Error) -> Value {
    json!({
        "error": e.to_string(),
        "status": e.status(),
        "code": e.service_error().and_then(|s| s.code.clone()),
        "requestId": e.request_id(),
    })
}

pub fn with_request_id(e: &Error) -> String {
    match e.request_id() {
        Some(id) => format!("{e} (request id {id})"),
        None => e.to_string(),
    }
}
