//! What the fuzz targets in `fuzz/` found, each reduced to its input and replayed through the
//! public API (httpmock on loopback for pages, the emulator's parser for filters). A test
//! marked `#[ignore = "fuzz finding: ..."]` fails until the library is fixed; run them with
//! `cargo test --test fuzz_regressions -- --include-ignored`.

use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::{Alert, AlertId, AlertQuery, Filter, GraphClient};
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

// graph_page: a leap second does not survive a round trip.
//
// Found by `graph_page` (execution 67,917; reduced by hand). `wire::parse_timestamp` rejects
// `:60` on its fast path, but its slow path (`DateTime::parse_from_rfc3339`) accepts it and
// keeps chrono's leap-second representation (nanoseconds >= 1e9); `format_timestamp` then
// writes `second()` (59) and `nanosecond() % 1e9`, so the alert serialises as a different
// instant and does not decode back to itself. The same holds for an offset (`23:59:60.5+01:00`).
#[tokio::test]
#[ignore = "fuzz finding: a leap-second timestamp decodes, then serialises as 23:59:59 and no longer round-trips"]
async fn a_leap_second_round_trips() {
    let alerts = list_graph_page(
        r#"{"value":[{"id":"a1","detectedDateTime":"2016-12-31T23:59:60Z"},
                     {"id":"a2","lastObservedDateTime":"2016-12-31T23:59:60.5+01:00"}]}"#,
    )
    .await;
    assert_eq!(alerts.len(), 2);
    for alert in &alerts {
        assert_round_trips(alert);
    }
}

// filter_roundtrip: plain text properties compare ignoring case in the library, exactly in
// the emulator.
//
// Found by `filter_roundtrip` on its first seed. `Filter::matches` folds ASCII case for every
// string (`Literal::compare`); the emulator's `odata` compares `displayName`, `description`,
// `catalogOfferId` and `resolvedBy` exactly (`Kind::Text`, `folds`), as its docs say. So a
// listing filtered on the client (FraudEvents, or `matches` on stored alerts) and the same
// filter on the emulator's Graph return different alerts. One of the two is wrong about Graph.
#[test]
#[ignore = "fuzz finding: displayName/catalogOfferId/resolvedBy eq ignores case in Filter::matches, not in the emulator"]
fn text_properties_compare_the_same_way_in_the_library_and_the_emulator() {
    let mut alert = Alert::new(AlertId::new("a1").unwrap());
    alert.display_name = Some("mining".into());
    alert.catalog_offer_id = Some("ms-azr-0017g".into());
    alert.resolved_by = Some("danas@contoso.com".into());
    assert_emulator_agrees(&Filter::display_name().eq("MINING"), &alert);
    assert_emulator_agrees(&Filter::catalog_offer_id().eq("MS-AZR-0017G"), &alert);
    assert_emulator_agrees(&Filter::resolved_by().ne("DANAS@contoso.com"), &alert);
}
