//! What the fuzz targets in `fuzz/` found, each reduced to its input and replayed through the
//! public API (httpmock on loopback for pages, the emulator's parser for filters). A test
//! marked `#[ignore = "fuzz finding: ..."]` fails until the library is fixed; run them with
//! `cargo test --test fuzz_regressions -- --include-ignored`.

use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::{
    Alert, AlertId, AlertQuery, Continuation, Filter, FraudEventsClient, GraphClient,
};
use partner_alerts_emulator::odata::{self, EnumMode};

const PATH: &str = "/beta/security/partner/securityAlerts";

fn graph_client(server: &MockServer) -> GraphClient {
    GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new("t"))
        .build()
        .unwrap()
}

/// Lists one Graph page served as these exact bytes.
async fn list_graph_page(body: &'static str) -> Vec<Alert> {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(PATH);
            then.status(200)
                .header("content-type", "application/json")
                .body(body);
        })
        .await;
    graph_client(&server)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .expect("the page lists")
}

/// As the `graph_page` target checks: an alert with nothing in `unparsed` decodes back to
/// itself from what it serialises to.
fn assert_round_trips(alert: &Alert) {
    assert!(alert.unparsed.is_empty(), "{:?}", alert.unparsed);
    let written = serde_json::to_string(alert).unwrap();
    let back: Alert = serde_json::from_str(&written).unwrap();
    assert_eq!(&back, alert, "changed on a round trip through {written}");
}

/// As the `filter_roundtrip` target checks: the emulator parses the filter's text (as Graph
/// is asked, with unknown enum members allowed) and agrees with the library's `matches`.
fn assert_emulator_agrees(filter: &Filter, alert: &Alert) {
    let text = filter.to_string();
    let mode = EnumMode {
        include_unknown_members: true,
    };
    let parsed = odata::Filter::parse_with(&text, mode)
        .unwrap_or_else(|e| panic!("the emulator cannot parse {text:?}: {e}"));
    let library = filter.matches(alert).expect("no raw text");
    assert_eq!(
        library,
        parsed.matches_with(alert, mode),
        "{text:?} on {alert:?}: the library says {library}"
    );
}

// graph_page: a leap second did not survive a round trip.
//
// Found by `graph_page` (execution 67,917; reduced by hand). `wire::parse_timestamp` rejected
// `:60` on its fast path, but its slow path (`DateTime::parse_from_rfc3339`) accepted it with
// chrono's leap-second representation (nanoseconds >= 1e9); `format_timestamp` wrote
// `second()` (59) and `nanosecond() % 1e9`, so the alert serialised as another instant and did
// not decode back to itself. Fixed: the value is kept in `unparsed` and written back as sent.
#[tokio::test]
async fn a_leap_second_is_not_lost_on_a_round_trip() {
    let sent = [
        ("detectedDateTime", "2016-12-31T23:59:60Z"),
        ("lastObservedDateTime", "2016-12-31T23:59:60.5+01:00"),
    ];
    let alerts = list_graph_page(
        r#"{"value":[{"id":"a1","detectedDateTime":"2016-12-31T23:59:60Z"},
                     {"id":"a2","lastObservedDateTime":"2016-12-31T23:59:60.5+01:00"}]}"#,
    )
    .await;
    assert_eq!(alerts.len(), 2);
    for (alert, (field, value)) in alerts.iter().zip(sent) {
        if alert.unparsed.is_empty() {
            assert_round_trips(alert);
        } else {
            // Kept as sent, and written back as sent.
            assert_eq!(alert.unparsed.get(field), Some(&serde_json::json!(value)));
            assert_eq!(serde_json::to_value(alert).unwrap()[field], value);
        }
    }
}

// filter_roundtrip: plain text properties compared ignoring case in the library, exactly in
// the emulator.
//
// Found by `filter_roundtrip` on its first seed. `Filter::matches` folded ASCII case for every
// string; the emulator compares `displayName`, `description`, `catalogOfferId` and
// `resolvedBy` exactly. So a filter evaluated on the client (FraudEvents, stored alerts) and
// the same filter on the emulator's Graph chose different alerts. Fixed: free text compares
// exactly in both.
#[test]
fn text_properties_compare_the_same_way_in_the_library_and_the_emulator() {
    let mut alert = Alert::new(AlertId::new("a1").unwrap());
    alert.display_name = Some("mining".into());
    alert.catalog_offer_id = Some("ms-azr-0017g".into());
    alert.resolved_by = Some("danas@contoso.com".into());
    assert_emulator_agrees(&Filter::display_name().eq("MINING"), &alert);
    assert_emulator_agrees(&Filter::catalog_offer_id().eq("MS-AZR-0017G"), &alert);
    assert_emulator_agrees(&Filter::resolved_by().ne("DANAS@contoso.com"), &alert);
}

// fraud_events_page: a page at the last page number panicked (debug builds) or wrapped to
// page 0 (release builds).
//
// Found with the `fraud_events_page` target (number = u32::MAX, size = 1, one event; the
// seed `last_page.bin`). `Listing::next_page` computed the next page as `number + 1`, which
// overflowed ("attempt to add with overflow") where the pager is polled. A listing gets there
// only by resuming a stored continuation (they are serialisable). Fixed: checked arithmetic;
// such a listing ends, with an error or without, and never panics.
#[tokio::test]
async fn a_fraud_events_continuation_at_the_last_page_number_does_not_panic() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/fraudEvents");
            then.status(200).json_body(serde_json::json!([{
                "eventId": "2a7064fb-1e33-4007-974e-352cb3f2c805_e1",
                "eventStatus": "Active"
            }]));
        })
        .await;
    let client = FraudEventsClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new("t"))
        .build()
        .unwrap();
    let at: Continuation = serde_json::from_value(serde_json::json!(
        {"api": "partnerCenter", "pageNumber": {"number": u32::MAX, "size": 1, "pass": 0}, "query": {}}
    ))
    .expect("a continuation as a listing stores it");
    let listing = tokio::spawn(async move { client.resume(at).try_collect().await });
    let outcome = tokio::time::timeout(std::time::Duration::from_secs(30), listing)
        .await
        .expect("the listing ends")
        .expect("the listing does not panic");
    // Either outcome is an answer; what matters is that there is one.
    if let Ok(alerts) = outcome {
        assert!(alerts.len() <= 1, "{alerts:?}");
    }
}

// filter_roundtrip: a date outside 0000-9999 renders as text no OData parser reads.
//
// Found by `filter_roundtrip` at its 326th execution. The typed builder takes any
// `DateTime<Utc>`; years outside 0000-9999 render through chrono's `%Y` (`+10000-01-01...`,
// `-0001-12-31...`), which is not RFC 3339 and beyond `Edm.DateTimeOffset`: the emulator
// answers 400 ("Malformed literal"), and so would Graph. Such a filter is now refused before
// anything is sent, as an empty `in` is.
#[tokio::test]
async fn a_filter_date_outside_four_digit_years_is_refused_before_sending() {
    use chrono::{TimeZone, Utc};
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(serde_json::json!({"value": []}));
        })
        .await;
    let client = graph_client(&server);
    let late = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
    let early = Utc.with_ymd_and_hms(-1, 12, 31, 23, 59, 59).unwrap();
    for filter in [
        Filter::first_observed_date_time().gt(late),
        Filter::detected_date_time().ne(early),
        Filter::status()
            .eq(partner_alerts::AlertStatus::Active)
            .and(Filter::detected_date_time().in_([early])),
    ] {
        let err = client
            .list(&AlertQuery::new().filter(filter))
            .try_collect()
            .await
            .unwrap_err();
        assert!(err.is_invalid_input(), "{err:?}");
    }
    assert_eq!(any.calls_async().await, 0, "nothing sent");
    // Dates within the years OData can hold still render as the emulator reads them.
    let alert = Alert::new(AlertId::new("a1").unwrap());
    let edge = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    assert_emulator_agrees(&Filter::first_observed_date_time().lt(edge), &alert);
}
