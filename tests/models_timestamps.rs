//! Model tests, timestamps: every shape the services write, UTC output with a minimal
//! fraction, invalid values, the year-9999 sentinel.

mod support;

use chrono::{DateTime, Utc};
use partner_alerts::{Alert, AlertId, FraudEvent};
use serde_json::json;
use support::models::*;

// ---------------------------------------------------------------------------------------------
// Timestamps
// ---------------------------------------------------------------------------------------------

#[test]
fn timestamps_of_every_shape() {
    let cases: &[(&str, DateTime<Utc>)] = &[
        // No zone (Partner Center): read as UTC.
        ("2021-12-08T00:25:45", utc(2021, 12, 8, 0, 25, 45, 0)),
        (
            "2021-12-08T00:25:45.6",
            utc(2021, 12, 8, 0, 25, 45, 600_000_000),
        ),
        (
            "2021-12-08T00:25:45.69",
            utc(2021, 12, 8, 0, 25, 45, 690_000_000),
        ),
        (
            "2021-12-08T00:25:45.691",
            utc(2021, 12, 8, 0, 25, 45, 691_000_000),
        ),
        (
            "2021-12-08T00:25:45.6912",
            utc(2021, 12, 8, 0, 25, 45, 691_200_000),
        ),
        (
            "2021-12-08T00:25:45.69123",
            utc(2021, 12, 8, 0, 25, 45, 691_230_000),
        ),
        (
            "2021-12-08T00:25:45.691234",
            utc(2021, 12, 8, 0, 25, 45, 691_234_000),
        ),
        (
            "2021-12-08T00:25:45.6912345",
            utc(2021, 12, 8, 0, 25, 45, 691_234_500),
        ),
        (
            "2021-12-08T00:25:45.6900000",
            utc(2021, 12, 8, 0, 25, 45, 690_000_000),
        ),
        // Z (Graph), 0 to 7 digits.
        ("2024-01-23T16:03:33Z", utc(2024, 1, 23, 16, 3, 33, 0)),
        ("2024-01-23T16:03:33.0Z", utc(2024, 1, 23, 16, 3, 33, 0)),
        (
            "2024-01-23T16:03:33.5Z",
            utc(2024, 1, 23, 16, 3, 33, 500_000_000),
        ),
        (
            "2024-01-23T16:03:33.05Z",
            utc(2024, 1, 23, 16, 3, 33, 50_000_000),
        ),
        (
            "2024-01-23T16:03:33.123Z",
            utc(2024, 1, 23, 16, 3, 33, 123_000_000),
        ),
        (
            "2024-01-23T16:03:33.1234Z",
            utc(2024, 1, 23, 16, 3, 33, 123_400_000),
        ),
        (
            "2024-01-23T16:03:33.12345Z",
            utc(2024, 1, 23, 16, 3, 33, 123_450_000),
        ),
        (
            "2024-01-23T16:03:33.123456Z",
            utc(2024, 1, 23, 16, 3, 33, 123_456_000),
        ),
        (
            "2023-08-10T08:47:10.8454142Z",
            utc(2023, 8, 10, 8, 47, 10, 845_414_200),
        ),
        // Offsets converted to UTC.
        ("2023-07-10T12:34:27+05:30", utc(2023, 7, 10, 7, 4, 27, 0)),
        (
            "2023-07-10T12:34:27.8016635+05:30",
            utc(2023, 7, 10, 7, 4, 27, 801_663_500),
        ),
        (
            "2023-07-10T12:38:26.693182+05:30",
            utc(2023, 7, 10, 7, 8, 26, 693_182_000),
        ),
        (
            "2023-07-10T02:00:00.5+05:30",
            utc(2023, 7, 9, 20, 30, 0, 500_000_000),
        ),
        ("2023-07-10T20:00:00-08:00", utc(2023, 7, 11, 4, 0, 0, 0)),
        ("2023-07-10T12:34:27+00:00", utc(2023, 7, 10, 12, 34, 27, 0)),
        ("2023-12-31T23:30:00-01:00", utc(2024, 1, 1, 0, 30, 0, 0)),
    ];
    for (raw, expected) in cases {
        let a = alert(json!({
            "id": "a1",
            "detectedDateTime": raw,
            "firstObservedDateTime": raw,
            "lastObservedDateTime": raw,
            "resolvedOnDateTime": raw,
            "activityLogs": [{"updatedDateTime": raw}, {"dateTime": raw}]
        }));
        assert_eq!(a.detected_date_time, Some(*expected), "{raw}");
        assert_eq!(a.first_observed_date_time, Some(*expected), "{raw}");
        assert_eq!(a.last_observed_date_time, Some(*expected), "{raw}");
        assert_eq!(a.resolved_on_date_time, Some(*expected), "{raw}");
        let logs = a.activity_logs.unwrap();
        assert_eq!(logs[0].updated_date_time, Some(*expected), "{raw}");
        assert_eq!(logs[1].updated_date_time, Some(*expected), "{raw}");

        let e = event(json!({
            "eventId": "e1",
            "eventTime": raw,
            "firstOccurrence": raw,
            "lastOccurrence": raw,
            "resolvedOn": raw,
            "firstObserved": raw,
            "lastObserved": raw
        }));
        assert_eq!(e.event_time, Some(*expected), "{raw}");
        assert_eq!(e.first_occurrence, Some(*expected), "{raw}");
        assert_eq!(e.last_occurrence, Some(*expected), "{raw}");
        assert_eq!(e.resolved_on, Some(*expected), "{raw}");
        assert_eq!(e.first_observed, Some(*expected), "{raw}");
        assert_eq!(e.last_observed, Some(*expected), "{raw}");
    }
}

#[test]
fn timestamps_are_written_in_utc_with_minimal_fraction() {
    for (raw, written) in [
        ("2024-01-23T16:03:33.05Z", "2024-01-23T16:03:33.05Z"),
        ("2024-01-23T16:03:33.0500000Z", "2024-01-23T16:03:33.05Z"),
        ("2024-01-23T16:03:33", "2024-01-23T16:03:33Z"),
        (
            "2023-08-10T08:47:10.8454142Z",
            "2023-08-10T08:47:10.8454142Z",
        ),
        (
            "2023-07-10T12:34:27.8016635+05:30",
            "2023-07-10T07:04:27.8016635Z",
        ),
    ] {
        let a = alert(json!({"id": "a1", "detectedDateTime": raw}));
        assert_eq!(
            serde_json::to_value(&a).unwrap()["detectedDateTime"],
            json!(written),
            "{raw}"
        );
        let e = event(json!({"eventId": "e1", "eventTime": raw}));
        assert_eq!(
            serde_json::to_value(&e).unwrap()["eventTime"],
            json!(written.trim_end_matches('Z')),
            "{raw}"
        );
    }
}

#[test]
fn invalid_timestamps_are_errors() {
    for bad in [
        "yesterday",
        "2021-13-08T00:25:45",
        "2021-12-08T24:00:00Z",
        "2021-12-08T00:25:45.",
        "2021-12-08T00:25:45+5",
        "2021-12-08T00:25:45Zjunk",
        "2021-12-08",
    ] {
        let err = serde_json::from_value::<Alert>(json!({"id": "a1", "detectedDateTime": bad}))
            .unwrap_err();
        assert!(err.to_string().contains("not a timestamp"), "{bad}: {err}");
        assert!(
            serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", "eventTime": bad}))
                .is_err(),
            "{bad}"
        );
    }
    // Not a string.
    assert!(serde_json::from_value::<Alert>(json!({"id": "a1", "detectedDateTime": 5})).is_err());
}

#[test]
fn year_9999_sentinel_is_absent() {
    for sentinel in [
        "9999-12-31T23:59:59.9970000",
        "9999-12-31T23:59:59.997",
        "9999-12-31T23:59:59.997Z",
        "9999-12-31T23:59:59.9999999Z",
        "9999-12-31T00:00:00",
    ] {
        let e = event(json!({
            "eventId": "e1",
            "eventTime": sentinel,
            "resolvedOn": sentinel,
            "firstObserved": sentinel,
            "lastObserved": sentinel,
            "firstOccurrence": sentinel,
            "lastOccurrence": sentinel
        }));
        assert_eq!(
            e,
            FraudEvent::new(AlertId::new("e1").unwrap()),
            "{sentinel}"
        );

        let a = alert(json!({
            "id": "a1",
            "resolvedOnDateTime": sentinel,
            "firstObservedDateTime": sentinel,
            "lastObservedDateTime": sentinel
        }));
        assert_eq!(a, Alert::new(AlertId::new("a1").unwrap()), "{sentinel}");
    }
    // A real date just before the sentinel year is kept.
    let e = event(json!({"eventId": "e1", "resolvedOn": "9998-12-31T23:59:59.997"}));
    assert_eq!(
        e.resolved_on,
        Some(utc(9998, 12, 31, 23, 59, 59, 997_000_000))
    );
}
