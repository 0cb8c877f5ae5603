//! The model tests' shared fixtures (the `models_*` test crates): the API reference's
//! examples and the helpers that build and decode models.
//!
//! Fixtures live in `testdata/` and are copies of the API reference's examples (sections
//! 3.4, 3.11, 4.4 and 4.5; the 4.4 example with its missing comma restored, the 4.5 example
//! with `activityLogs` escaped into a real JSON string and merged with the 4.4 fields).

// Each test crate uses some of them.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Timelike, Utc};
use partner_alerts::{ActivityLog, Alert, AlertStatus, FraudEvent};
use serde_json::Value;

pub const GRAPH_ALERT: &str = include_str!("../../testdata/graph_alert.json");
pub const GRAPH_PAGE: &str = include_str!("../../testdata/graph_page.json");
pub const FRAUD_EVENTS_LEGACY: &str = include_str!("../../testdata/fraud_events_legacy.json");
pub const FRAUD_EVENTS_NEW_MODEL: &str = include_str!("../../testdata/fraud_events_new_model.json");

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A UTC instant with a nanosecond fraction.
pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .unwrap()
        .with_nanosecond(nanos)
        .unwrap()
}

pub fn graph_alert() -> Alert {
    serde_json::from_str(GRAPH_ALERT).expect("3.4 example decodes")
}

pub fn legacy_event() -> FraudEvent {
    let mut events: Vec<FraudEvent> =
        serde_json::from_str(FRAUD_EVENTS_LEGACY).expect("4.4 example decodes");
    assert_eq!(events.len(), 1);
    events.remove(0)
}

pub fn new_model_event() -> FraudEvent {
    let mut events: Vec<FraudEvent> =
        serde_json::from_str(FRAUD_EVENTS_NEW_MODEL).expect("4.4 + 4.5 example decodes");
    assert_eq!(events.len(), 1);
    events.remove(0)
}

/// Decodes an alert from a JSON value, panicking with the error.
pub fn alert(v: Value) -> Alert {
    serde_json::from_value(v).unwrap()
}

/// Decodes a fraud event from a JSON value, panicking with the error.
pub fn event(v: Value) -> FraudEvent {
    serde_json::from_value(v).unwrap()
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub const EVENT_ID: &str =
    "2a7064fb-1e33-4007-974e-352cb3f2c805_2edeb5b1-766f-4209-9271-3ddf27755afa";

/// `2021-12-08T00:25:45.69`, the 4.4 example's `eventTime` and occurrences.
pub fn legacy_event_time() -> DateTime<Utc> {
    utc(2021, 12, 8, 0, 25, 45, 690_000_000)
}

pub fn pc_activity_logs() -> Vec<ActivityLog> {
    vec![
        ActivityLog::new(
            AlertStatus::Active,
            AlertStatus::Investigating,
            "admin@testtestcsp022.onmicrosoft.com",
            // 12:34:27.8016635+05:30
            utc(2023, 7, 10, 7, 4, 27, 801_663_500),
        ),
        ActivityLog::new(
            AlertStatus::Investigating,
            AlertStatus::Resolved,
            "admin@testtestcsp022.onmicrosoft.com",
            // 12:38:26.693182+05:30
            utc(2023, 7, 10, 7, 8, 26, 693_182_000),
        ),
    ]
}
