//! The response-time SLA: the partner's own 30-day average response time, the open alerts
//! past 1 and 24 hours, and when leaving the open alerts open would push the average over
//! the CSP authorization's 24 hours.
//!
//! # One definition
//!
//! An alert's **response time** ([`response_time`]) is `resolvedOnDateTime -
//! detectedDateTime`, for an alert whose `status` is resolved, resolved within the 30 days
//! before "now" ([`AVERAGE_WINDOW`], both ends included) and not before it was detected. The
//! **30-day average** ([`ResponseAverage`]) is the mean of those. It is the Partner Center
//! dashboard's "average time" (open question Q24) and what the
//! [`Dashboard`](super::Dashboard) shows; Microsoft's `averageResponseTimeInHours`
//! ([`ResponseTimeRequirement`](crate::score::ResponseTimeRequirement)) is described the
//! same way, but which timestamps the service counts is unconfirmed: [`Sla`] shows the two
//! side by side.
//!
//! # The projection
//!
//! An open alert counts once it is resolved, with all the time it was open. So for a time
//! `T` from now on, the average "if resolved at `T`" is the mean over the resolved alerts
//! still inside the window at `T` (older ones leave it as time passes) and the alert(s)
//! resolved at `T`, each counting `T - detectedDateTime`:
//!
//! - [`Sla::projected_breach`]: the first `T` at which resolving **every** open alert would
//!   make the average exceed 24 hours: the date by which the open alerts must be resolved.
//! - [`AtRisk::breach_at`], per open alert: the same for that alert alone (the others left
//!   out of the average): resolve it before then. `now` when resolving it now already would.
//!
//! Alerts without a `detectedDateTime` are counted as open but cannot be projected.
//!
//! Memory is constant in the alerts read, except for what the projection needs: one entry
//! (two timestamps, about 24 bytes) per alert resolved in the window, to know when each
//! leaves it, and one (the id and the detection time) per open alert, to name it.
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use partner_alerts::{Alert, AlertId, AlertStatus, ResolvedReason};
//! use partner_alerts::triage::Sla;
//!
//! let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
//! let mut done = Alert::new(AlertId::new("done")?);
//! done.status = Some(AlertStatus::Resolved);
//! done.resolved_reason = Some(ResolvedReason::Legitimate);
//! done.detected_date_time = Some(now - TimeDelta::days(10));
//! done.resolved_on_date_time = Some(now - TimeDelta::days(10) + TimeDelta::hours(2));
//! let mut open = Alert::new(AlertId::new("open")?);
//! open.status = Some(AlertStatus::Active);
//! open.detected_date_time = Some(now - TimeDelta::hours(10));
//!
//! let sla = Sla::compute([&done, &open], now);
//! assert_eq!(sla.own_average_response_hours, Some(2.0));
//! assert_eq!((sla.open, sla.open_past_1h, sla.open_past_24h), (1, 1, 0));
//! // Resolved 36 hours from now, it would have taken 46 hours: (2 + 46) / 2 = 24.
//! assert_eq!(sla.projected_breach, Some(now + TimeDelta::hours(36)));
//! assert_eq!(sla.at_risk[0].breach_at, now + TimeDelta::hours(36));
//! # Ok::<(), partner_alerts::InvalidInput>(())
//! ```

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use futures::{Stream, StreamExt};
use serde::Serialize;

use super::{RESPONSE_REQUIREMENT, RESPONSE_TARGET};
use crate::{Alert, AlertId, AlertQuery, AlertSource, AlertStatus, Result};

/// The window the average is over: the 30 days before "now".
pub const AVERAGE_WINDOW: TimeDelta = TimeDelta::days(30);

/// The alert's response time, if it counts in the 30-day average as of `now`: resolved,
/// `resolvedOnDateTime` within the [`AVERAGE_WINDOW`] before `now` and not before
/// `detectedDateTime`; then `resolvedOnDateTime - detectedDateTime`.
pub fn response_time(alert: &Alert, now: DateTime<Utc>) -> Option<TimeDelta> {
    match (
        &alert.status,
        alert.resolved_on_date_time,
        alert.detected_date_time,
    ) {
        (Some(AlertStatus::Resolved), Some(on), Some(detected))
            if on <= now && now - on <= AVERAGE_WINDOW && on >= detected =>
        {
            Some(on - detected)
        }
        _ => None,
    }
}

/// How long an unresolved alert has been open at `now`; `None` for a resolved alert, one
/// without a status, or one without a `detectedDateTime`.
pub fn open_for(alert: &Alert, now: DateTime<Utc>) -> Option<TimeDelta> {
    if alert.is_unresolved() {
        alert.detected_date_time.map(|t| now - t)
    } else {
        None
    }
}

/// The mean of response times, kept as a count and a sum.
///
/// ```
/// use chrono::TimeDelta;
/// use partner_alerts::triage::ResponseAverage;
///
/// let mut avg = ResponseAverage::default();
/// avg.add(TimeDelta::minutes(30));
/// avg.add(TimeDelta::minutes(90));
/// assert_eq!(avg.average(), Some(TimeDelta::hours(1)));
/// assert_eq!(avg.hours(), Some(1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseAverage {
    count: u64,
    total: TimeDelta,
}

impl Default for ResponseAverage {
    fn default() -> Self {
        ResponseAverage {
            count: 0,
            total: TimeDelta::zero(),
        }
    }
}

impl ResponseAverage {
    /// Counts one response time.
    pub fn add(&mut self, took: TimeDelta) {
        self.count += 1;
        self.total += took;
    }

    /// How many were counted.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their sum.
    pub fn total(&self) -> TimeDelta {
        self.total
    }

    /// Their mean; `None` when none was counted.
    pub fn average(&self) -> Option<TimeDelta> {
        (self.count > 0).then(|| self.total / i32::try_from(self.count).unwrap_or(i32::MAX))
    }

    /// Their mean in hours, as the service's `averageResponseTimeInHours` is given.
    pub fn hours(&self) -> Option<f64> {
        self.average().map(hours)
    }
}

fn hours(d: TimeDelta) -> f64 {
    match d.num_nanoseconds() {
        Some(n) => n as f64 / 3.6e12,
        None => d.num_seconds() as f64 / 3600.0,
    }
}

/// An open alert and when leaving it open pushes the 30-day average over 24 hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AtRisk {
    /// The alert.
    pub id: AlertId,
    /// When it was detected.
    pub detected: DateTime<Utc>,
    /// Resolved at or after this time (with the other open alerts left out), it makes the
    /// average exceed 24 hours; `now` when resolving it now already does.
    pub breach_at: DateTime<Utc>,
}

/// The SLA figures as of `now`, from any alerts (see the [module](self) for each
/// definition).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Sla {
    /// The time the figures are as of.
    pub now: DateTime<Utc>,
    /// The alerts the average is over: resolved in the 30 days before `now`.
    pub resolved_last_30_days: u64,
    /// The partner's own 30-day average response time, in hours.
    pub own_average_response_hours: Option<f64>,
    /// The service's figure (`averageResponseTimeInHours`), when given
    /// ([`Sla::with_service_average`]).
    pub service_average_response_hours: Option<f64>,
    /// Unresolved alerts.
    pub open: u64,
    /// Unresolved and detected more than an hour ago (the dashboard's target).
    pub open_past_1h: u64,
    /// Unresolved and detected more than 24 hours ago (the authorization's limit).
    pub open_past_24h: u64,
    /// When resolving every open alert would push the average over 24 hours; `None` with
    /// no open alert (with a detection time).
    pub projected_breach: Option<DateTime<Utc>>,
    /// Every open alert with a detection time, the soonest to breach first.
    pub at_risk: Vec<AtRisk>,
}

impl Sla {
    /// The figures over `alerts` as of `now`.
    pub fn compute<'a>(alerts: impl IntoIterator<Item = &'a Alert>, now: DateTime<Utc>) -> Self {
        let mut t = SlaTracker::new(now);
        for a in alerts {
            t.add(a);
        }
        t.finish()
    }

    /// The figures over a stream of alerts (a [`Pager`](crate::Pager), a merged listing),
    /// as of `now`, alert by alert. Items that cannot be alerts are skipped.
    ///
    /// # Errors
    /// The stream's first error that is not an item error.
    pub async fn from_stream(
        alerts: impl Stream<Item = Result<Alert>>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut t = SlaTracker::new(now);
        let mut alerts = std::pin::pin!(alerts);
        while let Some(item) = alerts.next().await {
            match item {
                Ok(a) => t.add(&a),
                Err(e) if e.is_item_error() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(t.finish())
    }

    /// The figures over what `source` lists for `query`, as of `now` (as
    /// [`Dashboard::from_source`](super::Dashboard::from_source)).
    ///
    /// # Errors
    /// As [`Sla::from_stream`].
    pub async fn from_source(
        source: &dyn AlertSource,
        query: &AlertQuery,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        Sla::from_stream(source.list(query), now).await
    }

    /// The same figures beside the service's `averageResponseTimeInHours`.
    pub fn with_service_average(mut self, hours: Option<f64>) -> Self {
        self.service_average_response_hours = hours;
        self
    }

    /// Whether the own average exceeds 24 hours now; `None` without an average.
    pub fn over_requirement(&self) -> Option<bool> {
        let limit = hours(RESPONSE_REQUIREMENT);
        self.own_average_response_hours.map(|h| h > limit)
    }
}

/// Counts alerts one at a time for an [`Sla`] (what [`Sla::compute`] and
/// [`Sla::from_stream`] use; for alerts arriving from elsewhere).
#[derive(Clone, Debug)]
pub struct SlaTracker {
    now: DateTime<Utc>,
    average: ResponseAverage,
    /// The resolved alerts in the window: when each leaves it, and its response time.
    window: Vec<(DateTime<Utc>, TimeDelta)>,
    open: Vec<(AlertId, DateTime<Utc>)>,
    open_count: u64,
    past_1h: u64,
    past_24h: u64,
}

impl SlaTracker {
    /// No alerts yet, as of `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        SlaTracker {
            now,
            average: ResponseAverage::default(),
            window: Vec::new(),
            open: Vec::new(),
            open_count: 0,
            past_1h: 0,
            past_24h: 0,
        }
    }

    /// Counts one alert.
    pub fn add(&mut self, alert: &Alert) {
        let now = self.now;
        if let Some(took) = response_time(alert, now) {
            self.average.add(took);
            if let Some(on) = alert.resolved_on_date_time {
                self.window.push((on + AVERAGE_WINDOW, took));
            }
        }
        if alert.is_unresolved() {
            self.open_count += 1;
        }
        if let Some(age) = open_for(alert, now) {
            self.past_1h += u64::from(age > RESPONSE_TARGET);
            self.past_24h += u64::from(age > RESPONSE_REQUIREMENT);
            if let Some(t) = alert.detected_date_time {
                self.open.push((alert.id.clone(), t));
            }
        }
    }

    /// The figures.
    pub fn finish(mut self) -> Sla {
        let now = self.now;
        let segments = Segments::new(now, &mut self.window);
        let ages: Vec<TimeDelta> = self
            .open
            .iter()
            .map(|(_, t)| (now - *t).max(TimeDelta::zero()))
            .collect();
        let projected_breach = (!ages.is_empty()).then(|| {
            let total = ages.iter().fold(TimeDelta::zero(), |s, a| s + *a);
            segments.first_breach(total, ages.len(), 0).0
        });
        // Oldest first: their breaches come first, so the segment search only moves on.
        let mut order: Vec<usize> = (0..ages.len()).collect();
        order.sort_by(|a, b| ages[*b].cmp(&ages[*a]));
        let mut at_risk = Vec::with_capacity(order.len());
        let mut from = 0;
        for i in order {
            let (breach_at, segment) = segments.first_breach(ages[i], 1, from);
            from = segment;
            let (id, detected) = &self.open[i];
            at_risk.push(AtRisk {
                id: id.clone(),
                detected: *detected,
                breach_at,
            });
        }
        Sla {
            now,
            resolved_last_30_days: self.average.count(),
            own_average_response_hours: self.average.hours(),
            service_average_response_hours: None,
            open: self.open_count,
            open_past_1h: self.past_1h,
            open_past_24h: self.past_24h,
            projected_breach,
            at_risk,
        }
    }
}

/// The future cut where the resolved alerts leave the window one by one: segment `k` runs
/// from the `k`-th departure (or now) to the next, with the alerts not yet gone.
struct Segments {
    now: DateTime<Utc>,
    /// Departures, in order.
    leaves: Vec<DateTime<Utc>>,
    /// For segment `k`: the sum of the response times still in the window, and their count.
    sums: Vec<(TimeDelta, i32)>,
}

impl Segments {
    fn new(now: DateTime<Utc>, window: &mut [(DateTime<Utc>, TimeDelta)]) -> Self {
        window.sort_by_key(|(leaves, _)| *leaves);
        let mut sums = vec![(TimeDelta::zero(), 0); window.len() + 1];
        for k in (0..window.len()).rev() {
            let (s, n) = sums[k + 1];
            sums[k] = (s + window[k].1, n + 1);
        }
        Segments {
            now,
            leaves: window.iter().map(|(l, _)| *l).collect(),
            sums,
        }
    }

    /// The first time, from segment `from` on, at which `m` alerts whose ages now add up to
    /// `ages`, all resolved then, make the average exceed 24 hours; and its segment.
    fn first_breach(&self, ages: TimeDelta, m: usize, from: usize) -> (DateTime<Utc>, usize) {
        let m = i32::try_from(m).unwrap_or(i32::MAX);
        for (k, &(sum, n)) in self.sums.iter().enumerate().skip(from) {
            // From now, at now + x: (sum + m x + ages) / (n + m) > 24 h.
            let x = (RESPONSE_REQUIREMENT * (n + m) - sum - ages) / m;
            let start = if k == 0 {
                TimeDelta::zero()
            } else {
                self.leaves[k - 1] - self.now
            };
            let at = x.max(start);
            if self.leaves.get(k).is_none_or(|end| at < *end - self.now) {
                return (self.now + at, k);
            }
        }
        unreachable!("the last segment has no end")
    }
}

impl fmt::Display for Sla {
    /// A plain-text summary: the averages, the counts, the projected breach and the five
    /// alerts to resolve first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{v:.1} h"));
        writeln!(
            f,
            "{:<36} {}",
            "Own average response (30 days)",
            h(self.own_average_response_hours)
        )?;
        writeln!(
            f,
            "{:<36} {}",
            "Service's average response",
            h(self.service_average_response_hours)
        )?;
        writeln!(f, "{:<36} {}", "Open", self.open)?;
        writeln!(f, "{:<36} {}", "Open past 1 hour", self.open_past_1h)?;
        writeln!(f, "{:<36} {}", "Open past 24 hours", self.open_past_24h)?;
        let when = |t: DateTime<Utc>| {
            if t <= self.now {
                "now".to_owned()
            } else {
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            }
        };
        writeln!(
            f,
            "{:<36} {}",
            "Projected breach of the 24 h average",
            self.projected_breach.map_or("-".to_owned(), when)
        )?;
        for r in self.at_risk.iter().take(5) {
            writeln!(f, "  resolve {} before {}", r.id, when(r.breach_at))?;
        }
        if self.at_risk.len() > 5 {
            writeln!(f, "  ({} more open alerts)", self.at_risk.len() - 5)?;
        }
        Ok(())
    }
}
