//! Triage helpers that work on alerts from either API.

use chrono::{DateTime, TimeDelta, Utc};

use crate::{Alert, AlertStatus};

/// How long Microsoft asks partners to take to answer an alert.
pub const RESPONSE_TARGET: TimeDelta = TimeDelta::hours(1);

/// The four figures at the top of the Partner Center Security Alerts dashboard, plus the
/// alerts past the one-hour response target.
///
/// | Figure | Computed as |
/// |---|---|
/// | average time | mean of `resolvedOnDateTime - detectedDateTime` over alerts resolved in the last 30 days |
/// | new this week | alerts detected in the last 7 days (rolling, not the calendar week) |
/// | resolved | `status` resolved with a `resolvedReason` |
/// | unresolved | `status` anything but resolved (`investigating` included) |
/// | overdue | unresolved and detected more than [`RESPONSE_TARGET`] ago |
///
/// ```
/// use chrono::{TimeDelta, Utc};
/// use partner_alerts::{Alert, AlertId, AlertStatus, ResolvedReason};
/// use partner_alerts::triage::Summary;
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
/// let s = Summary::compute([&open, &done], now);
/// assert_eq!((s.unresolved, s.resolved, s.new_this_week, s.overdue), (1, 1, 2, 1));
/// assert_eq!(s.average_time_to_resolve, Some(TimeDelta::hours(1)));
/// # Ok::<(), partner_alerts::InvalidInput>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Mean time from detection to resolution, over alerts resolved in the last 30 days.
    pub average_time_to_resolve: Option<TimeDelta>,
    /// Alerts detected in the last 7 days.
    pub new_this_week: usize,
    /// Alerts resolved with a reason.
    pub resolved: usize,
    /// Alerts not resolved.
    pub unresolved: usize,
    /// Unresolved alerts detected more than an hour ago.
    pub overdue: usize,
    /// All alerts counted.
    pub total: usize,
}

impl Summary {
    /// The figures over `alerts` as of `now`.
    pub fn compute<'a>(alerts: impl IntoIterator<Item = &'a Alert>, now: DateTime<Utc>) -> Self {
        let mut s = Summary::default();
        let (mut resolve_total, mut resolve_count) = (TimeDelta::zero(), 0i32);
        for a in alerts {
            s.total += 1;
            let resolved = a.status == Some(AlertStatus::Resolved);
            if resolved && a.resolved_reason.is_some() {
                s.resolved += 1;
            }
            if !resolved {
                s.unresolved += 1;
                if a.detected_date_time
                    .is_some_and(|t| now - t > RESPONSE_TARGET)
                {
                    s.overdue += 1;
                }
            }
            if a.detected_date_time
                .is_some_and(|t| now - t <= TimeDelta::days(7))
            {
                s.new_this_week += 1;
            }
            if let (true, Some(on), Some(detected)) =
                (resolved, a.resolved_on_date_time, a.detected_date_time)
                && now - on <= TimeDelta::days(30)
                && on >= detected
            {
                resolve_total += on - detected;
                resolve_count += 1;
            }
        }
        s.average_time_to_resolve = (resolve_count > 0).then(|| resolve_total / resolve_count);
        s
    }
}
