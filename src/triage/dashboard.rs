//! The dashboard's figures, in one pass over any alerts.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Serialize, Serializer};

use super::sla::{ResponseAverage, open_for, response_time};
use super::{RESPONSE_REQUIREMENT, RESPONSE_TARGET, TenantError, Tenants};
use crate::{Alert, AlertId, AlertQuery, AlertSource, AlertStatus, Result};

/// The Partner Center Security Alerts dashboard's figures and the response-time rules',
/// computed in one pass over alerts from any source, in memory bounded by the number of
/// distinct types, severities, customers, subscriptions and tenants (not of alerts).
///
/// Each figure has one definition:
///
/// | Figure | Definition |
/// |---|---|
/// | `total` | alerts counted |
/// | `resolved` | `status` resolved with a `resolvedReason` (the dashboard's "resolved") |
/// | `unresolved` | `status` known and not resolved (`investigating` and unknown values included) |
/// | `without_status` | no `status` at all (a `$select` without it): in neither count |
/// | `new_last_7_days` | `detectedDateTime` within the 7 days before `now` (rolling) |
/// | `resolved_last_30_days` | resolved, `resolvedOnDateTime` within the 30 days before `now`, not before `detectedDateTime` ([`sla::response_time`](super::sla::response_time)) |
/// | `average_time_to_resolve` | mean of `resolvedOnDateTime - detectedDateTime` over those (the dashboard's "average time"; [`ResponseAverage`]) |
/// | `share_resolved_within_1h`, `_24h` | the share of those resolved within 1 hour, 24 hours of detection |
/// | `unresolved_past_1h`, `_24h` | unresolved and detected more than 1 hour ([`RESPONSE_TARGET`]), 24 hours ([`RESPONSE_REQUIREMENT`]) before `now` (exactly 1 hour is not past) |
/// | `oldest_unresolved` | the unresolved alert detected first, and its age at `now` |
/// | `by_*` | per alert type (canonical spelling), severity, customer tenant, subscription and partner tenant (alerts added with [`Dashboard::add_from`]): how many, how many unresolved; `(none)` where the alert has no value |
///
/// ```
/// use chrono::{TimeDelta, Utc};
/// use partner_alerts::{Alert, AlertId, AlertStatus, ResolvedReason};
/// use partner_alerts::triage::Dashboard;
///
/// let now = Utc::now();
/// let mut open = Alert::new(AlertId::new("a")?);
/// open.status = Some(AlertStatus::Active);
/// open.detected_date_time = Some(now - TimeDelta::hours(3));
/// let mut done = Alert::new(AlertId::new("b")?);
/// done.status = Some(AlertStatus::Resolved);
/// done.resolved_reason = Some(ResolvedReason::Legitimate);
/// done.detected_date_time = Some(now - TimeDelta::hours(5));
/// done.resolved_on_date_time = Some(now - TimeDelta::hours(4));
///
/// let d = Dashboard::compute([&open, &done], now);
/// assert_eq!((d.unresolved, d.resolved, d.new_last_7_days, d.unresolved_past_1h), (1, 1, 2, 1));
/// assert_eq!(d.average_time_to_resolve, Some(TimeDelta::hours(1)));
/// assert_eq!(d.share_resolved_within_1h, Some(1.0));
/// println!("{d}");
/// # Ok::<(), partner_alerts::InvalidInput>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Dashboard {
    /// The time the figures are as of.
    pub now: DateTime<Utc>,
    /// Alerts counted.
    pub total: u64,
    /// Resolved with a reason.
    pub resolved: u64,
    /// Status known and not resolved.
    pub unresolved: u64,
    /// No status at all.
    pub without_status: u64,
    /// Detected in the last 7 days.
    pub new_last_7_days: u64,
    /// Resolved in the last 30 days (the alerts the average is over).
    pub resolved_last_30_days: u64,
    /// The dashboard's "average time", in seconds when serialised.
    #[serde(serialize_with = "seconds")]
    pub average_time_to_resolve: Option<TimeDelta>,
    /// The share of `resolved_last_30_days` resolved within an hour of detection.
    pub share_resolved_within_1h: Option<f64>,
    /// The share of `resolved_last_30_days` resolved within 24 hours of detection.
    pub share_resolved_within_24h: Option<f64>,
    /// Unresolved and detected more than an hour ago.
    pub unresolved_past_1h: u64,
    /// Unresolved and detected more than 24 hours ago.
    pub unresolved_past_24h: u64,
    /// The unresolved alert detected first.
    pub oldest_unresolved: Option<Oldest>,
    /// Per alert type.
    pub by_alert_type: BTreeMap<String, Tally>,
    /// Per severity.
    pub by_severity: BTreeMap<String, Tally>,
    /// Per customer tenant.
    pub by_customer: BTreeMap<String, Tally>,
    /// Per subscription.
    pub by_subscription: BTreeMap<String, Tally>,
    /// Per partner tenant (alerts added with [`Dashboard::add_from`]).
    pub by_tenant: BTreeMap<String, Tally>,
    #[serde(skip)]
    response: ResponseAverage,
    #[serde(skip)]
    within_1h: u64,
    #[serde(skip)]
    within_24h: u64,
}

/// The oldest unresolved alert.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Oldest {
    /// Its id.
    pub id: AlertId,
    /// When it was detected.
    pub detected: DateTime<Utc>,
    /// How long it has been open at the dashboard's `now`, in seconds when serialised.
    #[serde(serialize_with = "seconds_always")]
    pub age: TimeDelta,
}

/// How many alerts of a group, and how many of them unresolved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Tally {
    /// Alerts in the group.
    pub total: u64,
    /// Of them, unresolved.
    pub unresolved: u64,
}

fn seconds<S: Serializer>(d: &Option<TimeDelta>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_i64(d.num_seconds()),
        None => s.serialize_none(),
    }
}

fn seconds_always<S: Serializer>(d: &TimeDelta, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_i64(d.num_seconds())
}

const NONE: &str = "(none)";

impl Dashboard {
    /// No alerts yet, as of `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Dashboard {
            now,
            total: 0,
            resolved: 0,
            unresolved: 0,
            without_status: 0,
            new_last_7_days: 0,
            resolved_last_30_days: 0,
            average_time_to_resolve: None,
            share_resolved_within_1h: None,
            share_resolved_within_24h: None,
            unresolved_past_1h: 0,
            unresolved_past_24h: 0,
            oldest_unresolved: None,
            by_alert_type: BTreeMap::new(),
            by_severity: BTreeMap::new(),
            by_customer: BTreeMap::new(),
            by_subscription: BTreeMap::new(),
            by_tenant: BTreeMap::new(),
            response: ResponseAverage::default(),
            within_1h: 0,
            within_24h: 0,
        }
    }

    /// The figures over `alerts` as of `now`.
    pub fn compute<'a>(alerts: impl IntoIterator<Item = &'a Alert>, now: DateTime<Utc>) -> Self {
        let mut d = Dashboard::new(now);
        for a in alerts {
            d.add(a);
        }
        d
    }

    /// The figures over what `source` lists for `query`, as of `now`, alert by alert (nothing
    /// is kept but the figures).
    ///
    /// # Errors
    /// The listing's first error (an item that cannot be an alert is skipped, not an error).
    pub async fn from_source(
        source: &dyn AlertSource,
        query: &AlertQuery,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut d = Dashboard::new(now);
        let mut alerts = source.list(query);
        while let Some(item) = futures::StreamExt::next(&mut alerts).await {
            match item {
                Ok(a) => d.add(&a),
                Err(e) if e.is_item_error() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(d)
    }

    /// The figures over what every tenant of `tenants` lists for `query`, as of `now`, with
    /// `by_tenant` filled ([`Tenants::list`]: at most its concurrency at a time, nothing kept
    /// but the figures).
    ///
    /// A failing tenant does not stop the others: the figures are over the alerts read, and
    /// each error is returned, naming its tenant. That includes the items that could not be
    /// alerts ([`Error::is_item_error`](crate::Error::is_item_error) on `error`), which
    /// [`Dashboard::from_source`] skips, so that figures short of an alert say so.
    pub async fn from_tenants(
        tenants: &Tenants,
        query: &AlertQuery,
        now: DateTime<Utc>,
    ) -> (Self, Vec<TenantError>) {
        let mut d = Dashboard::new(now);
        let mut errors = Vec::new();
        let mut alerts = tenants.list(query);
        while let Some(item) = alerts.next_item().await {
            match item {
                Ok(a) => d.add_from(&a.tenant, &a.alert),
                Err(e) => errors.push(e),
            }
        }
        (d, errors)
    }

    /// Counts one alert of the partner tenant `tenant` (for views over several tenants).
    pub fn add_from(&mut self, tenant: &str, alert: &Alert) {
        self.add(alert);
        tally(&mut self.by_tenant, tenant, alert.is_unresolved());
    }

    /// Counts one alert.
    pub fn add(&mut self, a: &Alert) {
        let now = self.now;
        self.total += 1;
        let unresolved = a.is_unresolved();
        match &a.status {
            None => self.without_status += 1,
            Some(AlertStatus::Resolved) if a.resolved_reason.is_some() => self.resolved += 1,
            Some(_) if unresolved => self.unresolved += 1,
            Some(_) => {}
        }
        let detected = a.detected_date_time;
        if detected.is_some_and(|t| now - t <= TimeDelta::days(7) && t <= now) {
            self.new_last_7_days += 1;
        }
        if let (Some(age), Some(t)) = (open_for(a, now), detected) {
            if age > RESPONSE_TARGET {
                self.unresolved_past_1h += 1;
            }
            if age > RESPONSE_REQUIREMENT {
                self.unresolved_past_24h += 1;
            }
            if self
                .oldest_unresolved
                .as_ref()
                .is_none_or(|o| t < o.detected)
            {
                self.oldest_unresolved = Some(Oldest {
                    id: a.id.clone(),
                    detected: t,
                    age,
                });
            }
        }
        if let Some(took) = response_time(a, now) {
            self.response.add(took);
            self.within_1h += u64::from(took <= RESPONSE_TARGET);
            self.within_24h += u64::from(took <= RESPONSE_REQUIREMENT);
            let n = self.response.count();
            self.resolved_last_30_days = n;
            self.average_time_to_resolve = self.response.average();
            self.share_resolved_within_1h = Some(self.within_1h as f64 / n as f64);
            self.share_resolved_within_24h = Some(self.within_24h as f64 / n as f64);
        }
        let alert_type = a.alert_type.as_ref().map(|t| t.canonical());
        tally(
            &mut self.by_alert_type,
            alert_type.as_ref().map_or(NONE, |t| t.as_str()),
            unresolved,
        );
        tally(
            &mut self.by_severity,
            a.severity.as_ref().map_or(NONE, |s| s.as_str()),
            unresolved,
        );
        tally(
            &mut self.by_customer,
            a.customer_tenant_id.as_ref().map_or(NONE, |c| c.as_str()),
            unresolved,
        );
        tally(
            &mut self.by_subscription,
            a.subscription_id.as_ref().map_or(NONE, |s| s.as_str()),
            unresolved,
        );
    }
}

fn tally(map: &mut BTreeMap<String, Tally>, key: &str, unresolved: bool) {
    let t = match map.get_mut(key) {
        Some(t) => t,
        None => map.entry(key.to_owned()).or_default(),
    };
    t.total += 1;
    t.unresolved += u64::from(unresolved);
}

fn hours(d: TimeDelta) -> String {
    format!("{:.1} h", d.num_seconds() as f64 / 3600.0)
}

fn share(s: Option<f64>) -> String {
    s.map_or("-".to_owned(), |s| format!("{:.0} %", s * 100.0))
}

/// A plain-text table: the figures, then each breakdown, most unresolved first. A precision
/// limits the groups shown per breakdown: `format!("{dashboard:.10}")` shows the ten with the
/// most unresolved alerts of each, then how many more there are.
impl fmt::Display for Dashboard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: [(&str, String); 11] = [
            (
                "Average time to resolve (30 days)",
                self.average_time_to_resolve.map_or("-".to_owned(), hours),
            ),
            ("New in the last 7 days", self.new_last_7_days.to_string()),
            ("Resolved", self.resolved.to_string()),
            ("Unresolved", self.unresolved.to_string()),
            (
                "Unresolved past 1 hour",
                self.unresolved_past_1h.to_string(),
            ),
            (
                "Unresolved past 24 hours",
                self.unresolved_past_24h.to_string(),
            ),
            (
                "Oldest unresolved",
                self.oldest_unresolved.as_ref().map_or("-".to_owned(), |o| {
                    format!("{} ({} old)", o.id, hours(o.age))
                }),
            ),
            (
                "Resolved within 1 hour (30 days)",
                share(self.share_resolved_within_1h),
            ),
            (
                "Resolved within 24 hours (30 days)",
                share(self.share_resolved_within_24h),
            ),
            ("Without a status", self.without_status.to_string()),
            ("Alerts", self.total.to_string()),
        ];
        for (name, value) in rows {
            writeln!(f, "{name:<36} {value}")?;
        }
        for (title, map) in [
            ("Alert type", &self.by_alert_type),
            ("Severity", &self.by_severity),
            ("Customer", &self.by_customer),
            ("Subscription", &self.by_subscription),
            ("Partner tenant", &self.by_tenant),
        ] {
            if map.is_empty() {
                continue;
            }
            let width = map
                .keys()
                .map(|k| k.chars().count())
                .max()
                .unwrap_or(0)
                .max(36);
            writeln!(f, "\n{title:<width$} {:>10} {:>10}", "unresolved", "total")?;
            let mut groups: Vec<_> = map.iter().collect();
            groups.sort_by(|a, b| b.1.unresolved.cmp(&a.1.unresolved).then(a.0.cmp(b.0)));
            let shown = f.precision().unwrap_or(usize::MAX);
            for (key, t) in groups.iter().take(shown) {
                writeln!(f, "{key:<width$} {:>10} {:>10}", t.unresolved, t.total)?;
            }
            if groups.len() > shown {
                writeln!(f, "({} more)", groups.len() - shown)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{AlertType, ResolvedReason, Severity, SubscriptionId, TenantId};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn alert(id: &str, status: Option<&str>, detected_hours_ago: Option<i64>) -> Alert {
        let mut a = Alert::new(AlertId::new(id).unwrap());
        a.status = status.map(AlertStatus::parse);
        a.detected_date_time = detected_hours_ago.map(|h| now() - TimeDelta::hours(h));
        a
    }

    fn resolved(id: &str, detected_hours_ago: i64, took: TimeDelta) -> Alert {
        let mut a = alert(id, Some("resolved"), Some(detected_hours_ago));
        a.resolved_reason = Some(ResolvedReason::Fraud);
        a.resolved_on_date_time = a.detected_date_time.map(|t| t + took);
        a
    }

    #[test]
    fn nothing_resolved() {
        let d = Dashboard::compute(
            &[
                alert("a", Some("active"), Some(2)),
                alert("b", Some("investigating"), Some(30)),
            ],
            now(),
        );
        assert_eq!((d.total, d.resolved, d.unresolved), (2, 0, 2));
        assert_eq!(d.average_time_to_resolve, None);
        assert_eq!(d.share_resolved_within_1h, None);
        assert_eq!((d.unresolved_past_1h, d.unresolved_past_24h), (2, 1));
        let oldest = d.oldest_unresolved.unwrap();
        assert_eq!(oldest.id.as_str(), "b");
        assert_eq!(oldest.age, TimeDelta::hours(30));
    }

    #[test]
    fn exactly_one_and_twenty_four_hours_old_are_not_past() {
        let d = Dashboard::compute(
            &[
                alert("one", Some("active"), Some(1)),
                alert("day", Some("active"), Some(24)),
            ],
            now(),
        );
        assert_eq!((d.unresolved_past_1h, d.unresolved_past_24h), (1, 0));
    }

    #[test]
    fn resolution_times_average_and_share() {
        let d = Dashboard::compute(
            &[
                resolved("fast", 10, TimeDelta::minutes(30)),
                resolved("hour", 10, TimeDelta::hours(1)),
                resolved("slow", 50, TimeDelta::hours(30)),
                // Resolved before it was detected: not a resolution time.
                resolved("backwards", 10, TimeDelta::hours(-2)),
                // Resolved 40 days ago: outside the window.
                resolved("old", 24 * 41, TimeDelta::hours(2)),
            ],
            now(),
        );
        assert_eq!(d.resolved, 5, "every resolved alert with a reason counts");
        assert_eq!(d.resolved_last_30_days, 3);
        assert_eq!(
            d.average_time_to_resolve,
            Some((TimeDelta::minutes(30) + TimeDelta::hours(31)) / 3)
        );
        assert_eq!(d.share_resolved_within_1h, Some(2.0 / 3.0));
        assert_eq!(d.share_resolved_within_24h, Some(2.0 / 3.0));
    }

    #[test]
    fn unknown_and_missing_statuses() {
        let mut no_reason = alert("r", Some("resolved"), Some(3));
        no_reason.resolved_reason = None;
        let d = Dashboard::compute(
            &[
                alert("novel", Some("escalated"), Some(3)),
                alert("none", None, Some(3)),
                no_reason,
            ],
            now(),
        );
        assert_eq!(d.unresolved, 1, "an unknown status is not resolved");
        assert_eq!(d.without_status, 1);
        assert_eq!(
            d.resolved, 0,
            "resolved without a reason is not the dashboard's resolved"
        );
        assert_eq!(d.new_last_7_days, 3);
        assert_eq!(d.oldest_unresolved.unwrap().id.as_str(), "novel");
    }

    #[test]
    fn breakdowns_and_tenants() {
        let mut a = alert("a", Some("active"), Some(2));
        a.alert_type = Some(AlertType::new("CryptoMining"));
        a.severity = Some(Severity::High);
        a.customer_tenant_id = Some(TenantId::new("c1").unwrap());
        a.subscription_id = Some(SubscriptionId::new("s1").unwrap());
        let mut b = resolved("b", 2, TimeDelta::minutes(5));
        b.alert_type = Some(AlertType::CRYPTO_MINING);
        let mut d = Dashboard::new(now());
        d.add_from("contoso", &a);
        d.add_from("fabrikam", &b);
        let crypto = d.by_alert_type["CryptoMining"];
        assert_eq!((crypto.total, crypto.unresolved), (2, 1));
        assert_eq!(d.by_severity["high"].total, 1);
        assert_eq!(d.by_severity[NONE].total, 1);
        assert_eq!(d.by_customer["c1"].unresolved, 1);
        assert_eq!(d.by_subscription[NONE].total, 1);
        assert_eq!(d.by_tenant["contoso"].unresolved, 1);
        assert_eq!(d.by_tenant["fabrikam"].unresolved, 0);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["averageTimeToResolve"], 300);
        assert_eq!(json["byTenant"]["contoso"]["unresolved"], 1);
        let table = d.to_string();
        assert!(table.contains("Unresolved past 24 hours"), "{table}");
        assert!(table.contains("contoso"), "{table}");
        // A precision keeps the groups with the most unresolved alerts.
        let short = format!("{d:.1}");
        assert!(
            short.contains("contoso") && !short.contains("fabrikam"),
            "{short}"
        );
        assert!(short.contains("(1 more)"), "{short}");
    }

    #[test]
    fn an_empty_listing() {
        let d = Dashboard::compute(&[], now());
        assert_eq!(d.total, 0);
        assert!(d.oldest_unresolved.is_none());
        assert!(
            d.to_string()
                .contains("Average time to resolve (30 days)    -")
        );
    }
}
