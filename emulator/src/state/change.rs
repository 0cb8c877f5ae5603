//! Changes to an alert as a user makes them (status, with its log and resolution fields),
//! who the emulator says made them, and times cut to Graph's 100 ns ticks.

use chrono::{DateTime, Utc};
use partner_alerts::{ActivityLog, Alert, AlertStatus, ResolvedReason, Unparsed};

/// `t` cut to whole 100-nanosecond ticks: Graph's .NET back end writes at most seven
/// fractional digits, so every time the emulator stores or stamps is a whole tick.
pub(crate) fn to_ticks(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    t.with_nanosecond(t.nanosecond() / 100 * 100).unwrap_or(t)
}

/// Makes an alert given from outside (the handle) one the store can hold: every time cut to
/// whole ticks, and no values its fields could not hold ([`Alert::unparsed`]): the state is
/// typed, as the service's is, and written back it would clash with the properties rendered
/// as `null` (odd values are served by [`Quirks::odd_values`](crate::Quirks::odd_values)).
pub(crate) fn normalize_given(alert: &mut Alert) {
    alert.unparsed = Unparsed::new();
    for t in [
        &mut alert.detected_date_time,
        &mut alert.first_observed_date_time,
        &mut alert.last_observed_date_time,
        &mut alert.resolved_on_date_time,
    ] {
        *t = t.map(to_ticks);
    }
    for log in alert.activity_logs.iter_mut().flatten() {
        log.updated_date_time = log.updated_date_time.map(to_ticks);
    }
}

/// The user (UPN) the emulator records as `updatedBy` and `resolvedBy` for changes made
/// through either API.
pub const EMULATOR_UPN: &str = "emulator@contosocloudpartners.onmicrosoft.com";

/// Moves an alert to `to` as a user would through either API: appends an activity log entry
/// when the status changes, sets the resolution fields when resolving and clears them when
/// reopening.
pub(crate) fn change_status(
    alert: &mut Alert,
    to: AlertStatus,
    reason: Option<ResolvedReason>,
    by: &str,
    now: DateTime<Utc>,
) {
    let from = alert.status.clone().unwrap_or(AlertStatus::Active);
    if from != to {
        alert
            .activity_logs
            .get_or_insert_with(Vec::new)
            .push(ActivityLog::new(from.clone(), to.clone(), by, now));
    }
    if to == AlertStatus::Resolved {
        if from != AlertStatus::Resolved || alert.resolved_on_date_time.is_none() {
            alert.resolved_on_date_time = Some(now);
            alert.resolved_by = Some(by.to_owned());
        }
        if reason.is_some() {
            alert.resolved_reason = reason;
        }
    } else {
        alert.resolved_reason = None;
        alert.resolved_on_date_time = None;
        alert.resolved_by = None;
    }
    alert.status = Some(to);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use partner_alerts::AlertId;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn status_changes_log_and_clear() {
        let mut a = Alert::new(AlertId::new("a").unwrap());
        a.status = Some(AlertStatus::Active);
        change_status(
            &mut a,
            AlertStatus::Resolved,
            Some(ResolvedReason::Fraud),
            "me@x",
            now(),
        );
        assert_eq!(a.status, Some(AlertStatus::Resolved));
        assert_eq!(a.resolved_reason, Some(ResolvedReason::Fraud));
        assert_eq!(a.resolved_on_date_time, Some(now()));
        assert_eq!(a.resolved_by.as_deref(), Some("me@x"));
        assert_eq!(a.activity_logs.as_ref().unwrap().len(), 1);
        change_status(&mut a, AlertStatus::Active, None, "me@x", now());
        assert_eq!(a.resolved_reason, None);
        assert_eq!(a.resolved_on_date_time, None);
        assert_eq!(a.resolved_by, None);
        let logs = a.activity_logs.unwrap();
        assert_eq!(logs.len(), 2);
        assert_eq!(logs[1].status_from, Some(AlertStatus::Resolved));
        assert_eq!(logs[1].status_to, Some(AlertStatus::Active));
    }
}
