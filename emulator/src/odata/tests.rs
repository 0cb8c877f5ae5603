//! The filter and select tests, through the module's public surface.

use super::*;
use chrono::{TimeZone, Utc};
use partner_alerts::{Alert, AlertId, AlertStatus, AlertType, ConfidenceLevel, Severity};
use proptest::prelude::*;

fn alert() -> Alert {
    let mut a = Alert::new(AlertId::new("d8b202fc-a216-3404-69ef-bdffa445eff6").unwrap());
    a.display_name = Some("Action Required: it's mining".to_owned());
    a.alert_type = Some(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS);
    a.status = Some(AlertStatus::Active);
    a.severity = Some(Severity::High);
    a.confidence_level = Some(ConfidenceLevel::Medium);
    a.subscription_id = Some("5F6E6521-6e5f-4b0b-80aa-bd44fad7a398".parse().unwrap());
    a.detected_date_time = Some(Utc.with_ymd_and_hms(2024, 1, 23, 16, 3, 33).unwrap());
    a.is_test = Some(false);
    a
}

fn yes(f: &str) -> bool {
    Filter::parse(f)
        .unwrap_or_else(|e| panic!("{f}: {e}"))
        .matches(&alert())
}

fn bad(f: &str) -> String {
    match Filter::parse(f) {
        Ok(x) => panic!("{f} parsed as {x:?}"),
        Err(e) => e.message().to_owned(),
    }
}

#[test]
fn comparisons() {
    assert!(yes("status eq 'active'"));
    assert!(yes("status eq 'ACTIVE'"));
    assert!(yes("Status EQ 'active'"));
    assert!(!yes("status ne 'active'"));
    assert!(yes("severity ne 'low'"));
    assert!(yes("detectedDateTime ge 2024-01-23T16:03:33Z"));
    assert!(yes("detectedDateTime gt 2024-01-23T16:03:32.5Z"));
    assert!(!yes("detectedDateTime lt 2024-01-23T16:03:33Z"));
    assert!(yes("detectedDateTime le 2024-01-23T17:03:33+01:00"));
    assert!(yes("isTest eq false"));
    assert!(!yes("isTest"));
    assert!(yes("not isTest"));
    assert!(yes("resolvedReason eq null"));
    assert!(!yes("resolvedReason ne null"));
    assert!(yes("resolvedReason ne 'fraud'"));
    assert!(!yes("resolvedOnDateTime lt 2030-01-01T00:00:00Z"));
    assert!(yes(
        "subscriptionId eq 5f6e6521-6e5f-4b0b-80aa-bd44fad7a398"
    ));
    assert!(yes(
        "subscriptionId eq '5f6e6521-6E5F-4b0b-80aa-bd44fad7a398'"
    ));
    assert!(yes("alertType eq 'NetworkConnectionsToCryptoMiningPools'"));
    assert!(yes("displayName eq 'Action Required: it''s mining'"));
    assert!(!yes("displayName eq 'action required: it''s mining'"));
    assert!(yes("displayName gt 'A'"));
    assert!(yes("'active' eq status"));
    assert!(yes("2025-01-01T00:00:00Z gt detectedDateTime"));
}

#[test]
fn logic_and_lists() {
    assert!(yes("status in ('resolved', 'Active')"));
    assert!(!yes("status in ('resolved')"));
    assert!(yes("status eq 'resolved' or severity eq 'high'"));
    assert!(!yes("status eq 'resolved' and severity eq 'high'"));
    assert!(yes("not (status eq 'resolved')"));
    assert!(yes(
        "(status eq 'resolved' or status eq 'active') and (severity eq 'high')"
    ));
    assert!(yes(
        "status eq 'active' and severity eq 'high' and isTest eq false"
    ));
    assert!(yes("not not status eq 'active'"));
    assert!(yes("startswith(displayName, 'Action')"));
    assert!(yes("contains(alertType, 'cryptomining')"));
    assert!(!yes("endswith(displayName, 'x')"));
    assert!(yes("true"));
}

#[test]
fn errors() {
    assert!(bad("colour eq 'red'").contains("colour"));
    assert!(bad("status eq 'escalated'").contains("escalated"));
    assert!(bad("status eq").contains("end"));
    assert!(bad("status 'active'").contains("operator"));
    assert!(bad("status eq 'active").contains("unterminated"));
    assert!(bad("detectedDateTime ge 2024-13-01T00:00:00Z").contains("Malformed"));
    assert!(bad("detectedDateTime ge '2024-01-01T00:00:00Z'").contains("unquoted"));
    assert!(bad("detectedDateTime ge 2024-01-01").contains("Malformed"));
    assert!(bad("isTest eq 'false'").contains("Boolean"));
    assert!(bad("isTest gt false").contains("Boolean"));
    assert!(bad("severity gt 'low'").contains("enum"));
    assert!(bad("frobnicate(status, 'x')").contains("unknown function"));
    assert!(bad("affectedResources/any(r: r/resourceType eq 'x')").contains("not supported"));
    assert!(bad("activityLogs eq null").contains("cannot be used"));
    assert!(bad("status eq 1").contains("incompatible"));
    assert!(bad("status eq status").contains("two properties"));
    assert!(bad("'a' eq 'a'").contains("literals"));
    assert!(bad("").contains("empty"));
    assert!(bad("status eq 'active' status").contains("unexpected"));
    assert!(bad("(status eq 'active'").contains("')'"));
    assert!(bad("status in 'active'").contains("'('"));
    assert!(bad("status in ()").contains("expected"));
    assert!(bad("status eq 'active' and").contains("expected"));
    assert!(bad("status eq 'a' # x").contains("not valid"));
    assert!(bad("startswith(displayName, 'x') eq true").contains("condition"));
    assert!(bad(&"(".repeat(100)).contains("deeper"));
    assert!(bad(&"not ".repeat(100)).contains("deeper"));
}

#[test]
fn unknown_enum_members() {
    let mut a = alert();
    a.status = Some(AlertStatus::from("escalated"));
    let plain = EnumMode::default();
    let opted = EnumMode {
        include_unknown_members: true,
    };
    assert!(
        Filter::parse("status eq 'unknownFutureValue'")
            .unwrap()
            .matches_with(&a, plain)
    );
    assert!(Filter::parse_with("status eq 'escalated'", plain).is_err());
    let f = Filter::parse_with("status eq 'escalated'", opted).unwrap();
    assert!(f.matches_with(&a, opted));
}

#[test]
fn select() {
    let s = Select::parse("status, Severity").unwrap();
    assert_eq!(s.properties(), ["id", "status", "severity"]);
    assert!(Select::parse("status,,severity").is_err());
    assert!(
        Select::parse("colour")
            .unwrap_err()
            .message()
            .contains("colour")
    );
    assert!(Select::parse("*").unwrap().is_all());
    assert_eq!(property_names().count(), 21);
    assert_eq!(canonical_property("ISTEST"), Some("isTest"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_any_string(s in "\\PC{0,80}") {
        let _ = Filter::parse(&s).map(|f| f.matches(&alert()));
        let _ = Select::parse(&s);
    }

    #[test]
    fn never_panics_on_filter_like_strings(
        s in "[ a-zA-Z0-9()',:.+\\-/]{0,60}"
    ) {
        let _ = Filter::parse(&s).map(|f| f.matches(&alert()));
    }

    #[test]
    fn never_panics_on_token_soup(
        words in proptest::collection::vec(
            proptest::sample::select(vec![
                "status", "severity", "isTest", "detectedDateTime", "alertType", "eq", "ne",
                "gt", "le", "in", "and", "or", "not", "(", ")", ",", "'active'", "'x''y'",
                "null", "true", "2024-01-01T00:00:00Z", "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398",
                "startswith", "42", "'", "$", "/",
            ]),
            0..20,
        )
    ) {
        let s = words.join(" ");
        let _ = Filter::parse(&s).map(|f| f.matches(&alert()));
    }
}
