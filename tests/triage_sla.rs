//! The response-time SLA on hand-made alerts with a fixed "now": the own average by the
//! dashboard's definition, the open alerts past 1 and 24 hours, the projected breach (on a
//! known date, when a fast resolution leaves the window, already, none when all are
//! resolved), per-alert deadlines; from a stream and from a source.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use partner_alerts::triage::{Dashboard, Sla, sla};
use partner_alerts::{Alert, AlertId, AlertStatus, Pager, ResolvedReason};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
}

fn open(id: &str, detected_hours_ago: i64) -> Alert {
    let mut a = Alert::new(AlertId::new(id).unwrap());
    a.status = Some(AlertStatus::Active);
    a.detected_date_time = Some(now() - TimeDelta::hours(detected_hours_ago));
    a
}

/// Resolved `resolved_hours_ago`, having taken `took`.
fn resolved(id: &str, resolved_hours_ago: i64, took: TimeDelta) -> Alert {
    let mut a = Alert::new(AlertId::new(id).unwrap());
    a.status = Some(AlertStatus::Resolved);
    a.resolved_reason = Some(ResolvedReason::Fraud);
    let on = now() - TimeDelta::hours(resolved_hours_ago);
    a.resolved_on_date_time = Some(on);
    a.detected_date_time = Some(on - took);
    a
}

#[test]
fn a_breach_projected_on_a_known_date() {
    let alerts = [
        resolved("r1", 24 * 10, TimeDelta::hours(2)),
        resolved("r2", 24 * 3, TimeDelta::hours(4)),
        open("o1", 10),
    ];
    let s = Sla::compute(&alerts, now());
    assert_eq!(s.resolved_last_30_days, 2);
    assert_eq!(s.own_average_response_hours, Some(3.0));
    assert_eq!(s.over_requirement(), Some(false));
    // Resolved at now + x, o1 took 10 + x hours: (2 + 4 + 10 + x) / 3 > 24 once x > 56 h.
    assert_eq!(
        s.projected_breach,
        Some(Utc.with_ymd_and_hms(2026, 12, 3, 20, 0, 0).unwrap())
    );
    assert_eq!(s.at_risk.len(), 1);
    assert_eq!(s.at_risk[0].id.as_str(), "o1");
    assert_eq!(s.at_risk[0].breach_at, s.projected_breach.unwrap());
}

#[test]
fn a_breach_when_a_fast_resolution_leaves_the_window() {
    // Resolved in one hour, 29 days ago: it leaves the window 24 hours from now, and then
    // the alert open for 1 hour (25 by then) is the whole average.
    let alerts = [resolved("fast", 24 * 29, TimeDelta::hours(1)), open("o", 1)];
    let s = Sla::compute(&alerts, now());
    assert_eq!(s.projected_breach, Some(now() + TimeDelta::hours(24)));
}

#[test]
fn several_open_alerts_together_and_each_alone() {
    let alerts = [
        resolved("r", 24, TimeDelta::hours(1)),
        open("young", 2),
        open("old", 20),
    ];
    let s = Sla::compute(&alerts, now());
    // Together, resolved at now + x: (1 + (2 + x) + (20 + x)) / 3 > 24 once x > 24.5 h.
    assert_eq!(
        s.projected_breach,
        Some(now() + TimeDelta::minutes(24 * 60 + 30))
    );
    // Alone: (1 + 20 + x) / 2 > 24 once x > 27 h; (1 + 2 + x) / 2 once x > 45 h.
    let ids: Vec<_> = s.at_risk.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["old", "young"]);
    assert_eq!(s.at_risk[0].breach_at, now() + TimeDelta::hours(27));
    assert_eq!(s.at_risk[1].breach_at, now() + TimeDelta::hours(45));
    assert_eq!((s.open, s.open_past_1h, s.open_past_24h), (2, 2, 0));
}

#[test]
fn an_old_open_alert_breaches_now() {
    // Detected 40 days ago: resolving it now adds 960 hours to the average.
    let alerts = [
        resolved("r", 5, TimeDelta::minutes(20)),
        open("ancient", 24 * 40),
    ];
    let s = Sla::compute(&alerts, now());
    assert_eq!(s.projected_breach, Some(now()));
    assert_eq!(s.at_risk[0].breach_at, now());
    assert_eq!(s.open_past_24h, 1);
    assert!(s.to_string().contains("resolve ancient before now"), "{s}");
}

#[test]
fn none_when_all_are_resolved() {
    let alerts = [
        resolved("a", 2, TimeDelta::hours(30)),
        resolved("b", 3, TimeDelta::hours(40)),
    ];
    let s = Sla::compute(&alerts, now());
    assert_eq!(s.projected_breach, None);
    assert!(s.at_risk.is_empty());
    assert_eq!(s.own_average_response_hours, Some(35.0));
    assert_eq!(s.over_requirement(), Some(true));
    assert_eq!((s.open, s.open_past_1h, s.open_past_24h), (0, 0, 0));
    let empty = Sla::compute(&[], now());
    assert_eq!(
        (empty.own_average_response_hours, empty.projected_breach),
        (None, None)
    );
}

#[test]
fn open_alerts_past_one_and_twenty_four_hours_as_the_dashboard_counts_them() {
    let mut investigating = open("i", 30);
    investigating.status = Some(AlertStatus::Investigating);
    let mut undated = open("u", 0);
    undated.detected_date_time = None;
    let alerts = [
        open("one", 1),
        open("day", 24),
        open("two", 2),
        investigating,
        undated,
    ];
    let s = Sla::compute(&alerts, now());
    let d = Dashboard::compute(&alerts, now());
    assert_eq!((s.open, s.open_past_1h, s.open_past_24h), (5, 3, 1));
    assert_eq!(
        (d.unresolved_past_1h, d.unresolved_past_24h),
        (s.open_past_1h, s.open_past_24h)
    );
    assert_eq!(s.at_risk.len(), 4, "the undated alert cannot be projected");
}

#[test]
fn the_dashboard_and_the_sla_share_one_average() {
    let alerts = [
        resolved("in", 24 * 29, TimeDelta::minutes(90)),
        resolved("edge", 24 * 30, TimeDelta::hours(3)),
        resolved("out", 24 * 31, TimeDelta::hours(100)),
        resolved("future", -2, TimeDelta::hours(100)),
    ];
    let s = Sla::compute(&alerts, now());
    let d = Dashboard::compute(&alerts, now());
    assert_eq!(s.resolved_last_30_days, 2, "30 days exactly is inside");
    assert_eq!(d.resolved_last_30_days, s.resolved_last_30_days);
    assert_eq!(s.own_average_response_hours, Some(2.25));
    let dashboard_hours = d.average_time_to_resolve.unwrap().num_seconds() as f64 / 3600.0;
    assert_eq!(Some(dashboard_hours), s.own_average_response_hours);
    assert_eq!(
        sla::response_time(&alerts[0], now()),
        Some(TimeDelta::minutes(90))
    );
    assert_eq!(sla::response_time(&alerts[2], now()), None);
}

#[tokio::test]
async fn from_a_stream_and_the_service_figure_beside() {
    let alerts = vec![resolved("r", 24, TimeDelta::hours(2)), open("o", 3)];
    let pager = Pager::from_stream(futures::stream::iter(alerts.clone().into_iter().map(Ok)));
    let s = Sla::from_stream(pager, now())
        .await
        .unwrap()
        .with_service_average(Some(1.2));
    assert_eq!(
        s,
        Sla::compute(&alerts, now()).with_service_average(Some(1.2))
    );
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["own_average_response_hours"], 2.0);
    assert_eq!(json["service_average_response_hours"], 1.2);
    assert_eq!(json["open_past_1h"], 1);
    assert!(json["projected_breach"].is_string());
}
