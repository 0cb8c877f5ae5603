//! Alerts as text: the triage table (most urgent first, 100 columns) and one alert in full.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::{self, Write};

use chrono::{DateTime, TimeDelta, Utc};
use partner_alerts::triage::TenantAlert;
use partner_alerts::{Alert, Severity};

/// The width the table fits.
pub const WIDTH: usize = 100;
const STATUS: usize = 13;
const SEVERITY: usize = 6;
const AGE: usize = 5;
const TENANT: usize = 12;
const CUSTOMER: usize = 20;
const MIN_NAME: usize = 12;

/// Most urgent first: unresolved before the rest, then by severity (high first), then the
/// oldest first; alerts without a detection time last within their group.
pub fn urgency(a: &Alert, b: &Alert) -> Ordering {
    fn severity_rank(s: Option<&Severity>) -> u8 {
        match s {
            Some(Severity::High) => 0,
            Some(Severity::Medium) => 1,
            Some(Severity::Low) => 2,
            Some(Severity::Informational) => 3,
            _ => 4,
        }
    }
    b.is_unresolved()
        .cmp(&a.is_unresolved())
        .then_with(|| severity_rank(a.severity.as_ref()).cmp(&severity_rank(b.severity.as_ref())))
        .then_with(|| match (a.detected_date_time, b.detected_date_time) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.id.as_str().cmp(b.id.as_str()))
}

/// Writes `alerts` (already sorted) as a table `WIDTH` columns wide: the alert's name takes
/// what the other columns leave, and the id is never cut (it is what `get` takes). Partner
/// Center's 73-character event ids make the line longer than `WIDTH`. With
/// `customer_names` (by tenant id, `--enrich`), a CUSTOMER column widens it by its own width
/// (the tenant id where no name was found).
pub fn write_table(
    out: &mut impl Write,
    alerts: &[TenantAlert],
    with_tenant: bool,
    customer_names: Option<&HashMap<String, String>>,
    now: DateTime<Utc>,
) -> io::Result<()> {
    let id_width = alerts
        .iter()
        .map(|a| a.alert.id.as_str().chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    let fixed = STATUS + SEVERITY + AGE + id_width + 4 + if with_tenant { TENANT + 1 } else { 0 };
    let name_width = WIDTH.saturating_sub(fixed).max(MIN_NAME);
    if alerts.is_empty() {
        return Ok(());
    }
    if with_tenant {
        write!(out, "{:<TENANT$} ", "TENANT")?;
    }
    if customer_names.is_some() {
        write!(out, "{:<CUSTOMER$} ", "CUSTOMER")?;
    }
    writeln!(
        out,
        "{:<STATUS$} {:<SEVERITY$} {:>AGE$} {:<name_width$} ID",
        "STATUS", "SEV", "AGE", "ALERT"
    )?;
    for ta in alerts {
        let a = &ta.alert;
        if with_tenant {
            write!(out, "{:<TENANT$} ", clip(&ta.tenant, TENANT))?;
        }
        if let Some(names) = customer_names {
            let id = a.customer_tenant_id.as_ref().map(|c| c.as_str());
            let shown = id.map_or("-", |id| names.get(id).map_or(id, String::as_str));
            write!(out, "{:<CUSTOMER$} ", clip(shown, CUSTOMER))?;
        }
        writeln!(
            out,
            "{:<STATUS$} {:<SEVERITY$} {:>AGE$} {:<name_width$} {}",
            clip(a.status.as_ref().map_or("-", |s| s.as_str()), STATUS),
            severity_short(a.severity.as_ref()),
            a.detected_date_time.map_or("-".into(), |t| age(now - t)),
            clip(a.display_name.as_deref().unwrap_or("-"), name_width),
            a.id.as_str(),
        )?;
    }
    Ok(())
}

fn severity_short(s: Option<&Severity>) -> String {
    match s {
        None => "-".into(),
        Some(Severity::Informational) => "info".into(),
        Some(s) => clip(s.as_str(), SEVERITY),
    }
}

/// A duration in its largest unit: `45m`, `5h`, `3d`; `0m` for the future (clock skew).
pub fn age(d: TimeDelta) -> String {
    if d.num_days() >= 1 {
        format!("{}d", d.num_days())
    } else if d.num_hours() >= 1 {
        format!("{}h", d.num_hours())
    } else {
        format!("{}m", d.num_minutes().max(0))
    }
}

/// Cuts `s` to `n` characters, marking the cut.
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
    }
}

/// Writes one alert in full, one property per line.
pub fn write_alert(out: &mut impl Write, ta: &TenantAlert, with_tenant: bool) -> io::Result<()> {
    let a = &ta.alert;
    let time =
        |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let mut line = |key: &str, value: Option<String>| -> io::Result<()> {
        match value {
            Some(v) if !v.is_empty() => writeln!(out, "{key:<20} {v}"),
            _ => Ok(()),
        }
    };
    if with_tenant {
        line("Partner tenant", Some(ta.tenant.to_string()))?;
    }
    line("Alert ID", Some(a.id.to_string()))?;
    line("Alert name", a.display_name.clone())?;
    line("Status", a.status.as_ref().map(|s| s.as_str().to_owned()))?;
    line(
        "Severity",
        a.severity.as_ref().map(|s| s.as_str().to_owned()),
    )?;
    line(
        "Alert type",
        a.alert_type
            .as_ref()
            .map(|t| format!("{} ({})", t.category().label(), t.as_str())),
    )?;
    line(
        "Confidence",
        a.confidence_level.as_ref().map(|c| c.as_str().to_owned()),
    )?;
    line(
        "Customer tenant ID",
        a.customer_tenant_id.as_ref().map(|t| t.to_string()),
    )?;
    line(
        "Reseller tenant ID",
        a.value_added_reseller_tenant_id
            .as_ref()
            .map(|t| t.to_string()),
    )?;
    line(
        "Subscription ID",
        a.subscription_id.as_ref().map(|s| s.to_string()),
    )?;
    line("Offer", a.catalog_offer_id.clone())?;
    line("Detected", time(a.detected_date_time))?;
    line("First observed", time(a.first_observed_date_time))?;
    line("Last observed", time(a.last_observed_date_time))?;
    line(
        "Resolved reason",
        a.resolved_reason.as_ref().map(|r| r.as_str().to_owned()),
    )?;
    line("Resolved on", time(a.resolved_on_date_time))?;
    line("Resolved by", a.resolved_by.clone())?;
    line("Is test", a.is_test.map(|t| t.to_string()))?;
    line("Description", a.description.clone())?;
    for r in a.affected_resources.iter().flatten() {
        line(
            "Affected resource",
            Some(format!(
                "{} ({})",
                r.resource_id.as_deref().unwrap_or("-"),
                r.resource_type.as_deref().unwrap_or("-")
            )),
        )?;
    }
    for l in a.activity_logs.iter().flatten() {
        line(
            "Activity",
            Some(format!(
                "{} {} -> {} by {}",
                time(l.updated_date_time).unwrap_or_else(|| "-".into()),
                l.status_from.as_ref().map_or("-", |s| s.as_str()),
                l.status_to.as_ref().map_or("-", |s| s.as_str()),
                l.updated_by.as_deref().unwrap_or("-"),
            )),
        )?;
    }
    if let Some(d) = &a.additional_details {
        line("Additional details", serde_json::to_string(d).ok())?;
    }
    if !a.unparsed.is_empty() {
        line(
            "Unreadable values",
            Some(
                a.unparsed
                    .iter()
                    .map(|u| u.field())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        )?;
    }
    Ok(())
}
