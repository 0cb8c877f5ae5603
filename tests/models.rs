//! The model test suite: every JSON example of the API reference decoded field by field,
//! the open enums, the wire quirks of both services, serialisation round trips, the
//! `FraudEvent` → `Alert` mapping and id validation.
//!
//! Fixtures live in `testdata/` and are copies of the API reference's examples (sections
//! 3.4, 3.11, 4.4 and 4.5; the 4.4 example with its missing comma restored, the 4.5 example
//! with `activityLogs` escaped into a real JSON string and merged with the 4.4 fields).

use chrono::{DateTime, TimeZone, Timelike, Utc};
use partner_alerts::model::MAX_ID_LEN;
use partner_alerts::{
    ActivityLog, AdditionalDetails, AffectedResource, Alert, AlertCategory, AlertId, AlertStatus,
    AlertType, ConfidenceLevel, FraudEvent, InvalidInput, ResolvedReason, Severity, SubscriptionId,
    TenantId,
};
use serde_json::{Value, json};

const GRAPH_ALERT: &str = include_str!("../testdata/graph_alert.json");
const GRAPH_PAGE: &str = include_str!("../testdata/graph_page.json");
const FRAUD_EVENTS_LEGACY: &str = include_str!("../testdata/fraud_events_legacy.json");
const FRAUD_EVENTS_NEW_MODEL: &str = include_str!("../testdata/fraud_events_new_model.json");

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A UTC instant with a nanosecond fraction.
fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .unwrap()
        .with_nanosecond(nanos)
        .unwrap()
}

fn graph_alert() -> Alert {
    serde_json::from_str(GRAPH_ALERT).expect("3.4 example decodes")
}

fn legacy_event() -> FraudEvent {
    let mut events: Vec<FraudEvent> =
        serde_json::from_str(FRAUD_EVENTS_LEGACY).expect("4.4 example decodes");
    assert_eq!(events.len(), 1);
    events.remove(0)
}

fn new_model_event() -> FraudEvent {
    let mut events: Vec<FraudEvent> =
        serde_json::from_str(FRAUD_EVENTS_NEW_MODEL).expect("4.4 + 4.5 example decodes");
    assert_eq!(events.len(), 1);
    events.remove(0)
}

/// Decodes an alert from a JSON value, panicking with the error.
fn alert(v: Value) -> Alert {
    serde_json::from_value(v).unwrap()
}

/// Decodes a fraud event from a JSON value, panicking with the error.
fn event(v: Value) -> FraudEvent {
    serde_json::from_value(v).unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

const EVENT_ID: &str = "2a7064fb-1e33-4007-974e-352cb3f2c805_2edeb5b1-766f-4209-9271-3ddf27755afa";

/// `2021-12-08T00:25:45.69`, the 4.4 example's `eventTime` and occurrences.
fn legacy_event_time() -> DateTime<Utc> {
    utc(2021, 12, 8, 0, 25, 45, 690_000_000)
}

fn pc_activity_logs() -> Vec<ActivityLog> {
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

// ---------------------------------------------------------------------------------------------
// Fixtures: Graph (3.4, 3.11)
// ---------------------------------------------------------------------------------------------

fn assert_is_graph_example(a: &Alert) {
    let t = utc(2024, 1, 23, 16, 3, 33, 50_000_000);
    assert_eq!(a.id.as_str(), "d8b202fc-a216-3404-69ef-bdffa445eff6");
    assert_eq!(
        a.display_name.as_deref(),
        Some("Action Required: Virtual machine connecting to crypto currency mining pool Detected")
    );
    assert_eq!(
        a.description.as_deref(),
        Some(
            "Analysis of Azure resource network activity detected the resource was connecting \
             to a crypto currency mining pool. This would often be an indication that your \
             Azure resource is compromised."
        )
    );
    let alert_type = a.alert_type.as_ref().unwrap();
    assert_eq!(alert_type.as_str(), "networkConnectionsToCryptoMiningPools");
    assert_eq!(
        *alert_type,
        AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS
    );
    assert_eq!(a.status, Some(AlertStatus::Active));
    assert_eq!(a.severity, Some(Severity::High));
    assert_eq!(a.confidence_level, Some(ConfidenceLevel::Medium));
    assert_eq!(
        a.customer_tenant_id.as_ref().map(TenantId::as_str),
        Some("1889e718-414b-4bad-8bbe-c1135bd39a41")
    );
    assert_eq!(
        a.subscription_id.as_ref().map(SubscriptionId::as_str),
        Some("5f6e6521-6e5f-4b0b-80aa-bd44fad7a398")
    );
    assert_eq!(
        a.value_added_reseller_tenant_id
            .as_ref()
            .map(TenantId::as_str),
        Some("c296b2ce-8cd1-4346-9e82-d8eccca70d65")
    );
    assert_eq!(a.catalog_offer_id.as_deref(), Some("MS-AZR-0017G"));
    assert_eq!(a.detected_date_time, Some(t));
    assert_eq!(a.first_observed_date_time, Some(t));
    assert_eq!(a.last_observed_date_time, Some(t));
    assert_eq!(a.resolved_reason, Some(ResolvedReason::Fraud));
    assert_eq!(
        a.resolved_on_date_time,
        Some(utc(2024, 2, 23, 16, 3, 33, 50_000_000))
    );
    assert_eq!(a.resolved_by.as_deref(), Some("danas@contoso.com"));
    assert_eq!(a.is_test, Some(false));
    assert_eq!(
        a.affected_resources,
        Some(vec![AffectedResource::new(
            "/subscriptions/subscription-id/resourceGroups/resourcegroup-name/providers/Microsoft.Compute/virtualMachines/vm-name",
            "AzureResource",
        )])
    );
    assert_eq!(
        a.activity_logs,
        Some(vec![
            ActivityLog::new(
                AlertStatus::Active,
                AlertStatus::Investigating,
                "samanthab@contoso.com",
                utc(2023, 8, 10, 8, 47, 10, 845_414_200),
            ),
            ActivityLog::new(
                AlertStatus::Investigating,
                AlertStatus::Resolved,
                "samanthab@contoso.com",
                utc(2023, 8, 10, 8, 47, 25, 208_924_600),
            ),
        ])
    );
    let d = a.additional_details.as_ref().unwrap();
    assert_eq!(d.len(), 4);
    let keys: Vec<&str> = d.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "VM_IP",
            "MiningPool_IP",
            "ConnectionCount",
            "CryptoCurrencyMiningPoolDomainName"
        ]
    );
    assert_eq!(d.get_str("VM_IP"), Some("[  \"vm-ip\"]"));
    assert_eq!(d.vm_ips(), Some(strings(&["vm-ip"])));
    assert_eq!(d.mining_pool_ips(), Some(strings(&["mining-pool-ip"])));
    assert_eq!(d.connection_count(), Some(5));
    assert_eq!(d.mining_pool_domain_name(), Some("pool-name.com"));
    assert_eq!(d.resource_id(), None);
    assert_eq!(d.resource_type(), None);
    // The example is inconsistent (active but resolved); the model keeps both as sent.
    assert!(a.is_unresolved());
}

#[test]
fn graph_alert_example_decodes_every_field() {
    assert_is_graph_example(&graph_alert());
}

#[derive(Debug, serde::Deserialize)]
struct Page {
    #[serde(rename = "@odata.context")]
    context: Option<String>,
    #[serde(rename = "@odata.count")]
    count: Option<u64>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    value: Vec<Alert>,
}

#[test]
fn graph_page_envelope_decodes_with_full_and_partial_items() {
    let page: Page = serde_json::from_str(GRAPH_PAGE).unwrap();
    assert_eq!(
        page.context.as_deref(),
        Some("https://graph.microsoft.com/beta/$metadata#security/partner/securityAlerts")
    );
    assert_eq!(page.count, Some(2));
    assert_eq!(
        page.next_link.as_deref(),
        Some("https://graph.microsoft.com/beta/security/partner/securityAlerts?$skiptoken=...")
    );
    assert_eq!(page.value.len(), 2);
    assert_is_graph_example(&page.value[0]);
    assert_eq!(page.value[0], graph_alert());

    // The second item: the `<subscriptionId>-<GUID>` id shape of 3.10, `$select=id,status`.
    let partial = &page.value[1];
    assert_eq!(
        partial.id.as_str(),
        "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398-758e2259-f00b-4dec-8087-0950afe6d6a4"
    );
    assert_eq!(partial.id.as_str().len(), 73);
    assert_eq!(partial.status, Some(AlertStatus::Resolved));
    assert!(!partial.is_unresolved());
    let mut expected = Alert::new(partial.id.clone());
    expected.status = Some(AlertStatus::Resolved);
    assert_eq!(*partial, expected);
}

#[test]
fn graph_page_placeholder_item_from_the_reference_ignores_unknown_keys() {
    // 3.11 prints `"value": [ { "id": "...", "...": "..." } ]`.
    let page: Page = serde_json::from_str(
        r#"{
          "@odata.context": "https://graph.microsoft.com/beta/$metadata#security/partner/securityAlerts",
          "@odata.count": 2,
          "@odata.nextLink": "https://graph.microsoft.com/beta/security/partner/securityAlerts?$skiptoken=...",
          "value": [ { "id": "...", "...": "..." } ]
        }"#,
    )
    .unwrap();
    assert_eq!(page.value.len(), 1);
    assert_eq!(page.value[0], Alert::new(AlertId::new("...").unwrap()));
    // An envelope without the optional annotations.
    let page: Page = serde_json::from_str(r#"{"value":[]}"#).unwrap();
    assert_eq!(page.context, None);
    assert_eq!(page.count, None);
    assert_eq!(page.next_link, None);
    assert!(page.value.is_empty());
}

#[test]
fn graph_alert_tolerates_unknown_keys_and_odata_type() {
    let a = alert(json!({
        "@odata.type": "#microsoft.graph.partner.security.partnerSecurityAlert",
        "id": "a1",
        "brandNewProperty": {"nested": [1, 2, 3]},
        "affectedResources": [
            {"@odata.type": "#microsoft.graph.partner.security.affectedResource",
             "resourceId": "/r", "resourceType": "AzureResource", "extra": 1}
        ],
        "additionalDetails": {"@odata.type": "#microsoft.graph.partner.security.additionalDataDictionary"}
    }));
    assert_eq!(a.id.as_str(), "a1");
    assert_eq!(
        a.affected_resources,
        Some(vec![AffectedResource::new("/r", "AzureResource")])
    );
    let d = a.additional_details.unwrap();
    assert_eq!(
        d.get_str("@odata.type"),
        Some("#microsoft.graph.partner.security.additionalDataDictionary")
    );
}

// ---------------------------------------------------------------------------------------------
// Fixtures: Partner Center (4.4, 4.5)
// ---------------------------------------------------------------------------------------------

fn assert_legacy_fields(e: &FraudEvent) {
    let t = legacy_event_time();
    assert_eq!(e.event_id.as_str(), EVENT_ID);
    assert_eq!(e.event_time, Some(t));
    assert_eq!(
        e.partner_tenant_id.as_ref().map(TenantId::as_str),
        Some("348e932d-ef58-4347-8351-be51e4ec148c")
    );
    assert_eq!(e.partner_friendly_name.as_deref(), Some("test partner"));
    assert_eq!(
        e.customer_tenant_id.as_ref().map(TenantId::as_str),
        Some("a248da34-6840-4c67-82d7-7f55ccd50d03")
    );
    assert_eq!(e.customer_friendly_name.as_deref(), Some("test customer"));
    assert_eq!(
        e.subscription_id.as_ref().map(SubscriptionId::as_str),
        Some("2a7064fb-1e33-4007-974e-352cb3f2c805")
    );
    assert_eq!(e.subscription_type.as_deref(), Some("modern"));
    assert_eq!(
        e.entity_id.as_deref(),
        Some("2edeb5b1-766f-4209-9271-3ddf27755afa")
    );
    assert_eq!(e.entity_name.as_deref(), Some("sampleentity"));
    assert_eq!(e.entity_url.as_deref(), Some("\\sample\\entity\\url"));
    assert_eq!(e.hit_count, Some(10));
    assert_eq!(e.catalog_offer_id.as_deref(), Some("ms-azr-17g"));
    assert_eq!(e.event_status, Some(AlertStatus::Active));
    assert_eq!(e.service_name.as_deref(), Some("sampleservice"));
    assert_eq!(e.resource_name.as_deref(), Some("sampleresource"));
    assert_eq!(
        e.resource_group_name.as_deref(),
        Some("sampleresourcegroup")
    );
    assert_eq!(e.first_occurrence, Some(t));
    assert_eq!(e.last_occurrence, Some(t));
    // Sentinels and "none" spellings.
    assert_eq!(e.resolved_reason, None);
    assert_eq!(e.resolved_on, None);
    assert_eq!(e.resolved_by, None);
    assert_eq!(e.first_observed, None);
    assert_eq!(e.last_observed, None);
}

#[test]
fn legacy_fraud_event_example_decodes_every_field() {
    let e = legacy_event();
    assert_legacy_fields(&e);
    // None of the extended shape's fields.
    assert_eq!(e.event_type, None);
    assert_eq!(e.severity, None);
    assert_eq!(e.confidence_level, None);
    assert_eq!(e.display_name, None);
    assert_eq!(e.description, None);
    assert_eq!(e.country, None);
    assert_eq!(e.value_added_reseller_tenant_id, None);
    assert_eq!(e.value_added_reseller_friendly_name, None);
    assert_eq!(e.subscription_name, None);
    assert_eq!(e.affected_resources, None);
    assert_eq!(e.additional_details, None);
    assert_eq!(e.is_test, None);
    assert_eq!(e.activity_logs, None);
    assert!(!e.is_new_model());
}

#[test]
fn new_model_fraud_event_example_decodes_every_field() {
    let e = new_model_event();
    assert_legacy_fields(&e);
    assert!(e.is_new_model());
    let t = e.event_type.as_ref().unwrap();
    assert_eq!(t.as_str(), "NetworkConnectionsToCryptoMiningPools");
    assert_eq!(*t, AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS);
    assert_eq!(e.severity, Some(Severity::Medium));
    assert_eq!(e.confidence_level, Some(ConfidenceLevel::High));
    assert_eq!(e.display_name.as_deref(), Some("sample display name"));
    assert_eq!(e.description.as_deref(), Some("sample description."));
    assert_eq!(e.country.as_deref(), Some("US"));
    assert_eq!(
        e.value_added_reseller_tenant_id
            .as_ref()
            .map(TenantId::as_str),
        Some("897e68c5-fdf8-330e-bb54-3b386e0906b0")
    );
    assert_eq!(
        e.value_added_reseller_friendly_name.as_deref(),
        Some("Sample Reseller Name")
    );
    assert_eq!(
        e.subscription_name.as_deref(),
        Some("sample Subscription Name")
    );
    assert_eq!(
        e.affected_resources,
        Some(vec![AffectedResource::new(
            "\\sample\\resource\\url ",
            "sample resource type"
        )])
    );
    assert_eq!(e.is_test, Some(false));
    assert_eq!(e.activity_logs, Some(pc_activity_logs()));

    let d = e.additional_details.as_ref().unwrap();
    assert_eq!(d.len(), 6);
    let keys: Vec<&str> = d.iter().map(|(k, _)| k).collect();
    assert_eq!(
        keys,
        [
            "resourceid",
            "resourcetype",
            "vM_IP",
            "miningPool_IP",
            "connectionCount",
            "cryptoCurrencyMiningPoolDomainName"
        ]
    );
    assert_eq!(d.get_str("vM_IP"), Some("[\r\n \"13.89.185.189\"\r\n]"));
    assert_eq!(d.vm_ips(), Some(strings(&["13.89.185.189"])));
    assert_eq!(d.mining_pool_ips(), Some(strings(&["104.243.33.118"])));
    assert_eq!(d.connection_count(), Some(31));
    assert_eq!(d.mining_pool_domain_name(), Some("sample pool domain name"));
    assert_eq!(d.resource_id(), Some("\\sample\\resource\\id"));
    assert_eq!(d.get_str("resourceid"), Some("\\sample\\resource\\id "));
    assert_eq!(d.resource_type(), Some("sample resource type"));
}

#[test]
fn fraud_event_key_casing_variants_are_accepted() {
    // `IsTest` (example) and `isTest` (field table) both decode.
    let e = event(json!({"eventId": "e1", "IsTest": "true"}));
    assert_eq!(e.is_test, Some(true));
    let e = event(json!({"eventId": "e1", "isTest": "true"}));
    assert_eq!(e.is_test, Some(true));
    // Affected resources in Graph's names decode too.
    let e = event(json!({"eventId": "e1",
        "affectedResources": [{"resourceId": "/r", "resourceType": "t"}]}));
    assert_eq!(
        e.affected_resources,
        Some(vec![AffectedResource::new("/r", "t")])
    );
    // An empty list is kept as empty, not absent.
    let e = event(json!({"eventId": "e1", "affectedResources": []}));
    assert_eq!(e.affected_resources, Some(vec![]));
    assert!(e.is_new_model());
}

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

/// Checks one open enum: every known value in Graph casing, Partner Center casing, upper
/// case and a mixed case; `unknownFutureValue`; unknown values; Display/FromStr; serde.
macro_rules! enum_suite {
    ($test:ident, $ty:ident, [$(($variant:ident, $graph:literal, $pc:literal)),* $(,)?], foreign: [$($foreign:literal),*]) => {
        #[test]
        fn $test() {
            let table: &[($ty, &str, &str)] = &[$(($ty::$variant, $graph, $pc)),*];
            let known: Vec<$ty> = table.iter().map(|(v, _, _)| v.clone()).collect();
            assert_eq!($ty::KNOWN, known.as_slice(), "KNOWN lists the declared order");

            for (v, graph, pc) in table {
                assert_ne!(graph, pc, "the two casings differ");
                let upper = graph.to_ascii_uppercase();
                let lower = graph.to_ascii_lowercase();
                let mixed: String = graph
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                    .collect();
                for spelling in [*graph, *pc, upper.as_str(), lower.as_str(), mixed.as_str()] {
                    assert_eq!($ty::parse(spelling), *v, "parse {spelling:?}");
                    assert_eq!(spelling.parse::<$ty>().unwrap(), *v, "FromStr {spelling:?}");
                    assert_eq!($ty::from(spelling), *v, "From<&str> {spelling:?}");
                    assert_eq!($ty::from(spelling.to_string()), *v, "From<String> {spelling:?}");
                    let json = serde_json::to_string(spelling).unwrap();
                    let decoded: $ty = serde_json::from_str(&json).unwrap();
                    assert_eq!(decoded, *v, "serde {spelling:?}");
                    let decoded: $ty = serde_json::from_value(Value::String(spelling.to_string())).unwrap();
                    assert_eq!(decoded, *v, "serde from_value {spelling:?}");
                    // Serialises to Graph's spelling whatever was read.
                    assert_eq!(serde_json::to_string(&decoded).unwrap(), format!("\"{graph}\""));
                }
                assert!(v.is_known());
                assert_eq!(v.as_str(), *graph);
                assert_eq!(v.as_partner_center_str(), *pc);
                assert_eq!(v.to_string(), *graph);
                assert_eq!(v.to_string().parse::<$ty>().unwrap(), *v);
                assert_eq!(v.as_partner_center_str().parse::<$ty>().unwrap(), *v);
            }

            // Graph's evolvable-enum placeholder.
            for spelling in ["unknownFutureValue", "UnknownFutureValue", "UNKNOWNFUTUREVALUE", "unknownfuturevalue"] {
                let v: $ty = serde_json::from_str(&format!("\"{spelling}\"")).unwrap();
                assert_eq!(v, $ty::UnknownFutureValue, "{spelling:?}");
                assert_eq!($ty::parse(spelling), $ty::UnknownFutureValue);
                assert!(!v.is_known());
                assert_eq!(v.as_str(), "unknownFutureValue");
                assert_eq!(v.as_partner_center_str(), "UnknownFutureValue");
                assert_eq!(v.to_string(), "unknownFutureValue");
                assert_eq!(serde_json::to_string(&v).unwrap(), "\"unknownFutureValue\"");
            }
            assert!(!$ty::KNOWN.contains(&$ty::UnknownFutureValue));

            // Unknown values: kept exactly, serialised back byte for byte.
            let unknowns: &[&str] = &[
                "escalated",
                "Escalated",
                "",
                " ",
                "none",
                "None",
                "unknown_future_value",
                "unknownFutureValue2",
                "tab\there \"quoted\" back\\slash",
                "caf\u{e9} \u{1F680} \u{0}\u{1f}",
                "\u{FF21}ctive",
                $(concat!(" ", $graph), concat!($graph, " "), concat!($graph, "s"),)*
                $($foreign,)*
            ];
            for raw in unknowns {
                let v = $ty::parse(raw);
                assert!(matches!(v, $ty::Unknown(_)), "{raw:?} is unknown, got {v:?}");
                assert!(!v.is_known());
                assert_eq!(v.as_str(), *raw);
                assert_eq!(v.as_partner_center_str(), *raw);
                assert_eq!(v.to_string(), *raw);
                assert_eq!(v.to_string().parse::<$ty>().unwrap(), v, "Display/FromStr agree");
                if let $ty::Unknown(u) = &v {
                    assert_eq!(u.as_str(), *raw);
                    assert_eq!(format!("{u:?}"), format!("{raw:?}"));
                }
                let json = serde_json::to_string(raw).unwrap();
                let decoded: $ty = serde_json::from_str(&json).unwrap();
                assert_eq!(decoded, v);
                assert_eq!(decoded.as_str().as_bytes(), raw.as_bytes());
                let out = serde_json::to_string(&decoded).unwrap();
                assert_eq!(out.as_bytes(), json.as_bytes(), "byte-for-byte round trip of {raw:?}");
                let decoded: $ty = serde_json::from_value(Value::String(raw.to_string())).unwrap();
                assert_eq!(decoded.as_str(), *raw);
                assert_eq!(serde_json::to_value(&decoded).unwrap(), Value::String(raw.to_string()));
            }
            // Unknown values compare by exact string.
            assert_ne!($ty::parse("escalated"), $ty::parse("Escalated"));
            assert_eq!($ty::parse("escalated"), $ty::parse("escalated"));

            // Escaped input decodes to the same unknown value as the plain string.
            let v: $ty = serde_json::from_str(r#""esc\u0061lated""#).unwrap();
            assert_eq!(v.as_str(), "escalated");

            // Not a string: an error, not a silent default.
            for bad in ["1", "true", "[]", "{}"] {
                assert!(serde_json::from_str::<$ty>(bad).is_err(), "{bad} must not decode");
            }
            // `null` is only valid as an absent optional.
            assert!(serde_json::from_str::<$ty>("null").is_err());
            assert_eq!(serde_json::from_str::<Option<$ty>>("null").unwrap(), None);
        }
    };
}

enum_suite!(
    alert_status_values,
    AlertStatus,
    [
        (Active, "active", "Active"),
        (Resolved, "resolved", "Resolved"),
        (Investigating, "investigating", "Investigating"),
    ],
    foreign: ["Resolve", "legitimate", "high", "informational"]
);

enum_suite!(
    severity_values,
    Severity,
    [
        (Informational, "informational", "Informational"),
        (High, "high", "High"),
        (Medium, "medium", "Medium"),
        (Low, "low", "Low"),
    ],
    foreign: ["critical", "active", "fraud", "Med"]
);

enum_suite!(
    confidence_level_values,
    ConfidenceLevel,
    [
        (Low, "low", "Low"),
        (Medium, "medium", "Medium"),
        (High, "high", "High"),
    ],
    foreign: ["informational", "Informational", "veryHigh"]
);

enum_suite!(
    resolved_reason_values,
    ResolvedReason,
    [
        (Legitimate, "legitimate", "Legitimate"),
        (Ignore, "ignore", "Ignore"),
        (Fraud, "fraud", "Fraud"),
    ],
    foreign: ["falsePositive", "resolved", "Ignored"]
);

#[test]
fn severity_rank_orders_known_values_only() {
    assert_eq!(Severity::High.rank(), Some(3));
    assert_eq!(Severity::Medium.rank(), Some(2));
    assert_eq!(Severity::Low.rank(), Some(1));
    assert_eq!(Severity::Informational.rank(), Some(0));
    assert_eq!(Severity::UnknownFutureValue.rank(), None);
    assert_eq!(Severity::parse("critical").rank(), None);
    assert_eq!(Severity::parse("HIGH").rank(), Some(3));
}

const ALERT_TYPES: &[(AlertType, &str, &str)] = &[
    (
        AlertType::SERVICE_HEALTH_SECURITY_ADVISORY,
        "serviceHealthSecurityAdvisory",
        "ServiceHealthSecurityAdvisory",
    ),
    (
        AlertType::USAGE_ANOMALY_DETECTION,
        "usageAnomalyDetection",
        "UsageAnomalyDetection",
    ),
    (
        AlertType::MULTI_REGION_VIRTUAL_MACHINE_SCALE_SET_DEPLOYMENT_ANOMALY,
        "multiRegionVirtualMachineScaleSetDeploymentAnomaly",
        "MultiRegionVirtualMachineScaleSetDeploymentAnomaly",
    ),
    (
        AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS,
        "networkConnectionsToCryptoMiningPools",
        "NetworkConnectionsToCryptoMiningPools",
    ),
    (
        AlertType::VIRTUAL_MACHINE_DEPLOYMENT_ANOMALY,
        "virtualMachineDeploymentAnomaly",
        "VirtualMachineDeploymentAnomaly",
    ),
    (
        AlertType::MULTI_REGION_MACHINE_LEARNING_USAGE_ANOMALY,
        "multiRegionMachineLearningUsageAnomaly",
        "MultiRegionMachineLearningUsageAnomaly",
    ),
    (
        AlertType::ARM_ANOMALOUS_RESOURCE_CONSUMPTION,
        "ARM_AnomalousResourceConsumption",
        "ARM_AnomalousResourceConsumption",
    ),
    (
        AlertType::ARM_SUSPICIOUS_OPERATIONS,
        "ARM_SuspiciousOperations",
        "ARM_SuspiciousOperations",
    ),
    (
        AlertType::VM_ANOMALOUS_DEPLOYMENT,
        "VM_AnomalousDeployment",
        "VM_AnomalousDeployment",
    ),
    (
        AlertType::AZURE_BATCH_ANOMALOUS_DEPLOYMENT,
        "AzureBatch_AnomalousDeployment",
        "AzureBatch_AnomalousDeployment",
    ),
    (
        AlertType::AZURE_CONTAINER_INSTANCES_ANOMALOUS_DEPLOYMENT,
        "AzureContainerInstances_AnomalousDeployment",
        "AzureContainerInstances_AnomalousDeployment",
    ),
    (
        AlertType::AZURE_MACHINE_LEARNING_ANOMALOUS_DEPLOYMENT,
        "AzureMachineLearning_AnomalousDeployment",
        "AzureMachineLearning_AnomalousDeployment",
    ),
    (AlertType::CRYPTO_MINING, "CryptoMining", "CryptoMining"),
];

#[test]
fn alert_type_known_values_in_every_casing() {
    assert_eq!(AlertType::KNOWN.len(), ALERT_TYPES.len());
    for ((k, canonical, _), listed) in ALERT_TYPES.iter().zip(AlertType::KNOWN) {
        assert_eq!(k.as_str(), *canonical);
        assert_eq!(listed.as_str(), *canonical, "KNOWN in declared order");
    }
    for (k, canonical, pc) in ALERT_TYPES {
        let upper = canonical.to_ascii_uppercase();
        let lower = canonical.to_ascii_lowercase();
        for spelling in [*canonical, *pc, upper.as_str(), lower.as_str()] {
            for t in [
                AlertType::new(spelling),
                AlertType::from(spelling),
                AlertType::from(spelling.to_string()),
                spelling.parse::<AlertType>().unwrap(),
                serde_json::from_str::<AlertType>(&serde_json::to_string(spelling).unwrap())
                    .unwrap(),
                serde_json::from_value::<AlertType>(Value::String(spelling.to_string())).unwrap(),
            ] {
                // Kept as given, equal to the constant ignoring case.
                assert_eq!(t.as_str(), spelling);
                assert_eq!(AsRef::<str>::as_ref(&t), spelling);
                assert_eq!(t, *k, "{spelling:?}");
                assert_eq!(t, spelling);
                assert_eq!(t, *canonical);
                assert!(t.is_known());
                assert_eq!(t.known().map(AlertType::as_str), Some(*canonical));
                assert_eq!(t.canonical().as_str(), *canonical);
                assert_eq!(t.to_string(), spelling);
                assert_eq!(
                    t.to_string().parse::<AlertType>().unwrap().as_str(),
                    spelling
                );
                assert_eq!(
                    serde_json::to_string(&t).unwrap(),
                    serde_json::to_string(spelling).unwrap()
                );
                assert_eq!(format!("{t:?}"), format!("AlertType({spelling:?})"));
            }
        }
    }
}

#[test]
fn alert_type_unknown_values_are_kept_byte_for_byte() {
    for raw in [
        "SomethingNew",
        "Quota_Anomaly",
        "unknownFutureValue",
        "UnknownFutureValue",
        "",
        " CryptoMining",
        "CryptoMining ",
        "Crypto Mining",
        "caf\u{e9} \u{1F680} \"quoted\" \\ \t\u{1}",
    ] {
        let t: AlertType = serde_json::from_str(&serde_json::to_string(raw).unwrap()).unwrap();
        assert!(!t.is_known(), "{raw:?}");
        assert_eq!(t.known(), None);
        assert_eq!(t.as_str(), raw);
        assert_eq!(t.canonical().as_str(), raw);
        assert_eq!(t.to_string(), raw);
        assert_eq!(t.to_string().parse::<AlertType>().unwrap(), t);
        let json = serde_json::to_string(raw).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), json);
        assert_eq!(t.category(), AlertCategory::AzureUsage);
    }
    // Comparisons ignore ASCII case only.
    assert_eq!(
        AlertType::new("Quota_Anomaly"),
        AlertType::new("QUOTA_ANOMALY")
    );
    assert_ne!(
        AlertType::new("Quota_Anomaly"),
        AlertType::new("Quota-Anomaly")
    );
    assert_ne!(AlertType::new("caf\u{e9}"), AlertType::new("CAF\u{c9}"));
}

#[test]
fn alert_type_hash_agrees_with_case_insensitive_eq() {
    use std::collections::HashSet;
    let mut set = HashSet::new();
    assert!(set.insert(AlertType::new("NetworkConnectionsToCryptoMiningPools")));
    assert!(!set.insert(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS));
    assert!(!set.insert(AlertType::new("NETWORKCONNECTIONSTOCRYPTOMININGPOOLS")));
    assert!(set.insert(AlertType::new("Quota_Anomaly")));
    assert!(!set.insert(AlertType::new("quota_anomaly")));
    assert_eq!(set.len(), 2);
}

#[test]
fn alert_type_categories() {
    for spelling in [
        "serviceHealthSecurityAdvisory",
        "ServiceHealthSecurityAdvisory",
        "SERVICEHEALTHSECURITYADVISORY",
    ] {
        assert_eq!(
            AlertType::new(spelling).category(),
            AlertCategory::AzureNotification
        );
    }
    for (k, _, _) in &ALERT_TYPES[1..] {
        assert_eq!(k.category(), AlertCategory::AzureUsage, "{k}");
    }
    assert_eq!(
        AlertCategory::AzureNotification.label(),
        "Azure Notification"
    );
    assert_eq!(AlertCategory::AzureUsage.to_string(), "Azure Usage");
}

// ---------------------------------------------------------------------------------------------
// Partial objects and nulls
// ---------------------------------------------------------------------------------------------

#[test]
fn partial_alert_with_only_id_and_status() {
    let a = alert(json!({"id": "d8b202fc-a216-3404-69ef-bdffa445eff6", "status": "investigating"}));
    let mut expected = Alert::new(AlertId::new("d8b202fc-a216-3404-69ef-bdffa445eff6").unwrap());
    expected.status = Some(AlertStatus::Investigating);
    assert_eq!(a, expected);
    assert!(a.is_unresolved());
    assert_eq!(a.display_name, None);
    assert_eq!(a.alert_type, None);
    assert_eq!(a.detected_date_time, None);
    assert_eq!(a.additional_details, None);
    // Absent properties stay absent when written back.
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        json!({"id": "d8b202fc-a216-3404-69ef-bdffa445eff6", "status": "investigating"})
    );
    // Only an id: unknown status is not "unresolved".
    let a = alert(json!({"id": "a1"}));
    assert_eq!(a.status, None);
    assert!(!a.is_unresolved());
    // No id: an error.
    let err = serde_json::from_value::<Alert>(json!({"status": "active"})).unwrap_err();
    assert!(err.to_string().contains("id"), "{err}");
}

#[test]
fn alert_with_null_for_every_optional_property() {
    let a = alert(json!({
        "id": "a1",
        "displayName": null,
        "description": null,
        "alertType": null,
        "status": null,
        "severity": null,
        "confidenceLevel": null,
        "customerTenantId": null,
        "subscriptionId": null,
        "valueAddedResellerTenantId": null,
        "catalogOfferId": null,
        "detectedDateTime": null,
        "firstObservedDateTime": null,
        "lastObservedDateTime": null,
        "resolvedReason": null,
        "resolvedOnDateTime": null,
        "resolvedBy": null,
        "isTest": null,
        "affectedResources": null,
        "activityLogs": null,
        "additionalDetails": null
    }));
    assert_eq!(a, Alert::new(AlertId::new("a1").unwrap()));
    assert_eq!(a.affected_resources, None);
    assert_eq!(a.activity_logs, None);
    assert_eq!(serde_json::to_value(&a).unwrap(), json!({"id": "a1"}));
}

#[test]
fn alert_null_and_empty_arrays_and_null_members() {
    let a = alert(json!({"id": "a1", "affectedResources": [], "activityLogs": []}));
    assert_eq!(a.affected_resources, Some(vec![]));
    assert_eq!(a.activity_logs, Some(vec![]));
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        json!({"id": "a1", "affectedResources": [], "activityLogs": []})
    );

    let a = alert(json!({
        "id": "a1",
        "affectedResources": [{"resourceId": null, "resourceType": null}, {}],
        "activityLogs": [{"statusFrom": null, "statusTo": null, "updatedBy": null, "updatedDateTime": null}, {}]
    }));
    assert_eq!(
        a.affected_resources,
        Some(vec![
            AffectedResource::default(),
            AffectedResource::default()
        ])
    );
    assert_eq!(
        a.activity_logs,
        Some(vec![ActivityLog::default(), ActivityLog::default()])
    );
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        json!({"id": "a1", "affectedResources": [{}, {}], "activityLogs": [{}, {}]})
    );
}

#[test]
fn fraud_event_with_null_for_every_optional_property() {
    let e = event(json!({
        "eventTime": null,
        "eventId": EVENT_ID,
        "partnerTenantId": null,
        "partnerFriendlyName": null,
        "customerTenantId": null,
        "customerFriendlyName": null,
        "subscriptionId": null,
        "subscriptionType": null,
        "entityId": null,
        "entityName": null,
        "entityUrl": null,
        "hitCount": null,
        "catalogOfferId": null,
        "eventStatus": null,
        "serviceName": null,
        "resourceName": null,
        "resourceGroupName": null,
        "firstOccurrence": null,
        "lastOccurrence": null,
        "resolvedReason": null,
        "resolvedOn": null,
        "resolvedBy": null,
        "firstObserved": null,
        "lastObserved": null,
        "eventType": null,
        "severity": null,
        "confidenceLevel": null,
        "displayName": null,
        "description": null,
        "country": null,
        "valueAddedResellerTenantId": null,
        "valueAddedResellerFriendlyName": null,
        "subscriptionName": null,
        "affectedResources": null,
        "additionalDetails": null,
        "IsTest": null,
        "activityLogs": null
    }));
    assert_eq!(e, FraudEvent::new(AlertId::new(EVENT_ID).unwrap()));
    assert!(!e.is_new_model());

    // Empty strings are Partner Center's "none" too.
    let e = event(json!({
        "eventId": EVENT_ID,
        "eventTime": "",
        "partnerTenantId": "",
        "partnerFriendlyName": "",
        "customerTenantId": "",
        "subscriptionId": "",
        "entityUrl": "",
        "hitCount": "",
        "resolvedReason": "",
        "resolvedOn": "",
        "resolvedBy": "",
        "displayName": "",
        "valueAddedResellerTenantId": "",
        "IsTest": "",
        "activityLogs": ""
    }));
    assert_eq!(e, FraudEvent::new(AlertId::new(EVENT_ID).unwrap()));
}

#[test]
fn additional_details_keep_non_string_values() {
    // Written as text, so that the keys' order (not alphabetical) is the service's.
    let input_text = r#"{
        "number": 5,
        "negative": -3,
        "float": 1.5,
        "big": 18446744073709551615,
        "yes": true,
        "no": false,
        "array": [1, "two", null, {"three": 3}],
        "object": {"k": "v", "n": [1, 2]},
        "nothing": null,
        "text": "plain"
    }"#;
    let input: Value = serde_json::from_str(input_text).unwrap();
    let a: Alert = serde_json::from_str(&format!(
        r#"{{"id": "a1", "additionalDetails": {input_text}}}"#
    ))
    .unwrap();
    let d = a.additional_details.as_ref().unwrap();
    assert_eq!(d.len(), 10);
    assert!(!d.is_empty());
    assert_eq!(d.get("number"), Some(&json!(5)));
    assert_eq!(d.get("negative"), Some(&json!(-3)));
    assert_eq!(d.get("float"), Some(&json!(1.5)));
    assert_eq!(d.get("big").and_then(Value::as_u64), Some(u64::MAX));
    assert_eq!(d.get("yes"), Some(&Value::Bool(true)));
    assert_eq!(d.get("no"), Some(&Value::Bool(false)));
    assert_eq!(d.get("array"), Some(&json!([1, "two", null, {"three": 3}])));
    assert_eq!(d.get("object"), Some(&json!({"k": "v", "n": [1, 2]})));
    assert_eq!(d.get("nothing"), Some(&Value::Null));
    assert_eq!(d.get("missing"), None);
    assert_eq!(d.get_str("text"), Some("plain"));
    assert_eq!(d.get_str("number"), None, "not a string");

    // Written back unchanged, in the order read.
    let out = serde_json::to_value(d).unwrap();
    assert_eq!(out, input);
    assert_eq!(
        serde_json::to_value(&a).unwrap()["additionalDetails"],
        input
    );
    let text = serde_json::to_string(d).unwrap();
    let order: Vec<usize> = [
        "\"number\"",
        "\"negative\"",
        "\"float\"",
        "\"big\"",
        "\"yes\"",
        "\"no\"",
        "\"array\"",
        "\"object\"",
        "\"nothing\"",
        "\"text\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "order kept: {text}");
    let back: AdditionalDetails = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, d);

    // The same through a fraud event.
    let e = event(json!({"eventId": "e1", "additionalDetails": input}));
    assert_eq!(e.additional_details.as_ref(), Some(d));
    assert_eq!(
        serde_json::to_value(&e).unwrap()["additionalDetails"],
        input
    );

    // Not an object: an error.
    assert!(serde_json::from_value::<AdditionalDetails>(json!(["a"])).is_err());
    assert!(serde_json::from_value::<AdditionalDetails>(json!("a")).is_err());
}

#[test]
fn additional_details_typed_accessors() {
    // JSON array inside a string, with `\r\n` as Partner Center sends it.
    let d: AdditionalDetails = serde_json::from_str(
        r#"{"vM_IP": "[\r\n \"13.89.185.189\",\r\n \"10.0.0.4\"\r\n]",
            "miningPool_IP": "[\r\n \"104.243.33.118\"\r\n]",
            "connectionCount": "31",
            "cryptoCurrencyMiningPoolDomainName": "pool.example"}"#,
    )
    .unwrap();
    assert_eq!(d.vm_ips(), Some(strings(&["13.89.185.189", "10.0.0.4"])));
    assert_eq!(d.mining_pool_ips(), Some(strings(&["104.243.33.118"])));
    assert_eq!(d.connection_count(), Some(31));
    assert_eq!(d.mining_pool_domain_name(), Some("pool.example"));

    // Graph's key spelling and Partner Center's find the same values, in any case.
    for key in ["VM_IP", "vM_IP", "vm_ip", "Vm_Ip"] {
        assert_eq!(d.get(key), d.get("vM_IP"), "{key}");
        assert!(d.get(key).is_some());
    }
    assert_eq!(AdditionalDetails::VM_IP, "VM_IP");
    assert_eq!(
        d.get_str(AdditionalDetails::MINING_POOL_IP),
        Some("[\r\n \"104.243.33.118\"\r\n]")
    );
    let graph: AdditionalDetails =
        serde_json::from_value(json!({"VM_IP": "[  \"vm-ip\"]", "CONNECTIONCOUNT": "5"})).unwrap();
    assert_eq!(graph.vm_ips(), Some(strings(&["vm-ip"])));
    assert_eq!(graph.connection_count(), Some(5));

    // connection_count from a string (trimmed) and from a number; garbage is None.
    for (v, expected) in [
        (json!("5"), Some(5)),
        (json!(" 31 "), Some(31)),
        (json!(31), Some(31)),
        (json!(0), Some(0)),
        (json!(-1), None),
        (json!(2.5), None),
        (json!("many"), None),
        (json!(""), None),
        (json!(true), None),
        (Value::Null, None),
    ] {
        let d: AdditionalDetails = [("ConnectionCount", v.clone())].into_iter().collect();
        assert_eq!(d.connection_count(), expected, "{v}");
    }
    assert_eq!(AdditionalDetails::new().connection_count(), None);

    // IP lists: a real array, a bare string, an empty string, a non-array JSON string.
    for (v, expected) in [
        (
            json!(["1.2.3.4", " 5.6.7.8 "]),
            Some(strings(&["1.2.3.4", "5.6.7.8"])),
        ),
        (json!("1.2.3.4"), Some(strings(&["1.2.3.4"]))),
        (json!(""), Some(vec![])),
        (json!("[]"), Some(vec![])),
        (json!("[1, 2]"), None),
        (json!("[not json"), None),
        (json!([1]), None),
        (json!(7), None),
    ] {
        let d: AdditionalDetails = [("MiningPool_IP", v.clone())].into_iter().collect();
        assert_eq!(d.mining_pool_ips(), expected, "{v}");
        assert_eq!(d.vm_ips(), None);
    }

    // insert replaces a key whatever its case.
    let mut d = AdditionalDetails::new();
    assert!(d.is_empty());
    assert_eq!(d.insert("vM_IP", "[\"1.1.1.1\"]"), None);
    assert_eq!(
        d.insert("VM_IP", "[\"2.2.2.2\"]"),
        Some(json!("[\"1.1.1.1\"]"))
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d.vm_ips(), Some(strings(&["2.2.2.2"])));
    assert_eq!(d.iter().next().map(|(k, _)| k), Some("VM_IP"));
}

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

// ---------------------------------------------------------------------------------------------
// Partner Center scalar quirks
// ---------------------------------------------------------------------------------------------

#[test]
fn resolved_reason_none_and_empty_resolved_by_are_absent() {
    for (raw, expected) in [
        (json!("None"), None),
        (json!("none"), None),
        (json!("NONE"), None),
        (json!(""), None),
        (Value::Null, None),
        (json!("Fraud"), Some(ResolvedReason::Fraud)),
        (json!("fraud"), Some(ResolvedReason::Fraud)),
        (json!("Ignore"), Some(ResolvedReason::Ignore)),
        (json!("Legitimate"), Some(ResolvedReason::Legitimate)),
        (json!("Other"), Some(ResolvedReason::parse("Other"))),
    ] {
        let e = event(json!({"eventId": "e1", "resolvedReason": raw}));
        assert_eq!(e.resolved_reason, expected, "{raw}");
    }
    let e = event(json!({"eventId": "e1", "resolvedBy": ""}));
    assert_eq!(e.resolved_by, None);
    let e = event(json!({"eventId": "e1", "resolvedBy": "admin@contoso.com"}));
    assert_eq!(e.resolved_by.as_deref(), Some("admin@contoso.com"));
    // Graph's `resolvedBy` treats "" alike.
    let a = alert(json!({"id": "a1", "resolvedBy": ""}));
    assert_eq!(a.resolved_by, None);
    let a = alert(json!({"id": "a1", "resolvedBy": "danas@contoso.com"}));
    assert_eq!(a.resolved_by.as_deref(), Some("danas@contoso.com"));
}

#[test]
fn hit_count_as_string_empty_or_number() {
    for (raw, expected) in [
        (json!("10"), Some(10)),
        (json!(" 10 "), Some(10)),
        (json!("0"), Some(0)),
        (json!(""), None),
        (json!(10), Some(10)),
        (json!(10.0), Some(10)),
        (json!(u64::MAX), Some(u64::MAX)),
        (Value::Null, None),
    ] {
        let e = event(json!({"eventId": "e1", "hitCount": raw}));
        assert_eq!(e.hit_count, expected, "{raw}");
    }
    assert_eq!(event(json!({"eventId": "e1"})).hit_count, None);
    for bad in [
        json!("ten"),
        json!("-1"),
        json!(-1),
        json!(1.5),
        json!(true),
        json!([]),
    ] {
        assert!(
            serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", "hitCount": bad}))
                .is_err(),
            "{bad}"
        );
    }
}

#[test]
fn is_test_as_string_or_bool_under_either_key() {
    for key in ["IsTest", "isTest"] {
        for (raw, expected) in [
            (json!("true"), Some(true)),
            (json!("false"), Some(false)),
            (json!("TRUE"), Some(true)),
            (json!("FALSE"), Some(false)),
            (json!("True"), Some(true)),
            (json!(" false "), Some(false)),
            (json!("1"), Some(true)),
            (json!("0"), Some(false)),
            (json!(true), Some(true)),
            (json!(false), Some(false)),
            (json!(""), None),
            (Value::Null, None),
        ] {
            let e = event(json!({"eventId": "e1", key: raw}));
            assert_eq!(e.is_test, expected, "{key}: {raw}");
        }
        assert!(
            serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", key: "maybe"})).is_err()
        );
    }
    // Graph's `isTest` (Q4): a bool, or the string one doc revision shows.
    for (raw, expected) in [
        (json!(false), Some(false)),
        (json!(true), Some(true)),
        (json!("false"), Some(false)),
        (json!("TRUE"), Some(true)),
        (Value::Null, None),
    ] {
        let a = alert(json!({"id": "a1", "isTest": raw}));
        assert_eq!(a.is_test, expected, "{raw}");
    }
    assert!(serde_json::from_value::<Alert>(json!({"id": "a1", "isTest": "maybe"})).is_err());
}

#[test]
fn activity_logs_as_string_array_or_null() {
    let logs = pc_activity_logs();
    let as_array = json!([
        {"statusFrom": "Active", "statusTo": "Investigating",
         "updatedBy": "admin@testtestcsp022.onmicrosoft.com",
         "dateTime": "2023-07-10T12:34:27.8016635+05:30"},
        {"statusFrom": "Investigating", "statusTo": "Resolved",
         "updatedBy": "admin@testtestcsp022.onmicrosoft.com",
         "dateTime": "2023-07-10T12:38:26.693182+05:30"}
    ]);
    let as_string = Value::String(as_array.to_string());

    let e = event(json!({"eventId": "e1", "activityLogs": as_string}));
    assert_eq!(e.activity_logs.as_ref(), Some(&logs));
    let e = event(json!({"eventId": "e1", "activityLogs": as_array}));
    assert_eq!(e.activity_logs.as_ref(), Some(&logs));
    // The same through serde_json's string reader (borrowed and escaped strings).
    let text = format!(r#"{{"eventId":"e1","activityLogs":{as_string}}}"#);
    let e: FraudEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(e.activity_logs.as_ref(), Some(&logs));
    let text = format!(r#"{{"eventId":"e1","activityLogs":{as_array}}}"#);
    let e: FraudEvent = serde_json::from_str(&text).unwrap();
    assert_eq!(e.activity_logs.as_ref(), Some(&logs));
    let e: FraudEvent = serde_json::from_slice(text.as_bytes()).unwrap();
    assert_eq!(e.activity_logs.as_ref(), Some(&logs));
    let e: FraudEvent = serde_json::from_reader(text.as_bytes()).unwrap();
    assert_eq!(e.activity_logs.as_ref(), Some(&logs));

    for absent in [Value::Null, json!(""), json!("  "), json!("null")] {
        let e = event(json!({"eventId": "e1", "activityLogs": absent}));
        assert_eq!(e.activity_logs, None, "{absent}");
    }
    assert_eq!(event(json!({"eventId": "e1"})).activity_logs, None);
    let e = event(json!({"eventId": "e1", "activityLogs": "[]"}));
    assert_eq!(e.activity_logs, Some(vec![]));
    let e = event(json!({"eventId": "e1", "activityLogs": []}));
    assert_eq!(e.activity_logs, Some(vec![]));

    for bad in [
        json!("not json"),
        json!("{\"a\":1}"),
        json!(5),
        json!({"a": 1}),
    ] {
        assert!(
            serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", "activityLogs": bad}))
                .is_err(),
            "{bad}"
        );
    }

    // Graph's array with `updatedDateTime`.
    let a = alert(json!({"id": "a1", "activityLogs": [
        {"statusFrom": "active", "statusTo": "resolved", "updatedBy": "x@y",
         "updatedDateTime": "2023-07-10T12:34:27.8016635+05:30"}
    ]}));
    assert_eq!(
        a.activity_logs,
        Some(vec![ActivityLog::new(
            AlertStatus::Active,
            AlertStatus::Resolved,
            "x@y",
            utc(2023, 7, 10, 7, 4, 27, 801_663_500)
        )])
    );
}

// ---------------------------------------------------------------------------------------------
// Serialisation round trips
// ---------------------------------------------------------------------------------------------

#[test]
fn alert_round_trips_to_graph_json() {
    let a = graph_alert();
    let out = serde_json::to_value(&a).unwrap();
    // Exactly the service's JSON: camelCase keys, Graph value casing, same timestamps.
    let fixture: Value = serde_json::from_str(GRAPH_ALERT).unwrap();
    assert_eq!(out, fixture);
    assert_eq!(out["status"], "active");
    assert_eq!(out["severity"], "high");
    assert_eq!(out["confidenceLevel"], "medium");
    assert_eq!(out["resolvedReason"], "fraud");
    assert_eq!(out["isTest"], false);
    assert_eq!(out["activityLogs"][0]["statusTo"], "investigating");
    assert!(out.get("display_name").is_none());

    let text = serde_json::to_string(&a).unwrap();
    let back: Alert = serde_json::from_str(&text).unwrap();
    assert_eq!(back, a);
    assert_eq!(
        back.alert_type.as_ref().map(AlertType::as_str),
        Some("networkConnectionsToCryptoMiningPools")
    );
    // Through serde_json::Value too, which does not keep the order of object keys.
    assert_eq!(serde_json::from_value::<Alert>(out.clone()).unwrap(), a);
    let pretty = serde_json::to_string_pretty(&a).unwrap();
    assert_eq!(serde_json::from_str::<Alert>(&pretty).unwrap(), a);
}

#[test]
fn alert_serialises_known_values_in_graph_casing_and_unknown_as_read() {
    let a = alert(json!({
        "id": "a1",
        "alertType": "ARM_SuspiciousOperations",
        "status": "Investigating",
        "severity": "HIGH",
        "confidenceLevel": "Low",
        "resolvedReason": "Ignore",
        "activityLogs": [{"statusFrom": "Active", "statusTo": "Escalated"}]
    }));
    let out = serde_json::to_value(&a).unwrap();
    assert_eq!(
        out,
        json!({
            "id": "a1",
            "alertType": "ARM_SuspiciousOperations",
            "status": "investigating",
            "severity": "high",
            "confidenceLevel": "low",
            "resolvedReason": "ignore",
            "activityLogs": [{"statusFrom": "active", "statusTo": "Escalated"}]
        })
    );
    assert_eq!(serde_json::from_value::<Alert>(out).unwrap(), a);

    // Unknown values survive a round trip untouched.
    let a = alert(json!({
        "id": "a1", "status": "escalated", "severity": "Critical",
        "confidenceLevel": "unknownFutureValue", "resolvedReason": "Duplicate",
        "alertType": "Quota_Anomaly"
    }));
    let out = serde_json::to_value(&a).unwrap();
    assert_eq!(
        out,
        json!({
            "id": "a1", "alertType": "Quota_Anomaly", "status": "escalated",
            "severity": "Critical", "confidenceLevel": "unknownFutureValue",
            "resolvedReason": "Duplicate"
        })
    );
    assert_eq!(serde_json::from_value::<Alert>(out).unwrap(), a);
}

#[test]
fn fraud_event_serialises_to_partner_center_shape() {
    let e = new_model_event();
    let out = serde_json::to_value(&e).unwrap();
    let obj = out.as_object().unwrap();

    assert_eq!(out["eventId"], EVENT_ID);
    assert_eq!(out["eventTime"], "2021-12-08T00:25:45.69");
    assert_eq!(out["eventStatus"], "Active");
    assert_eq!(out["severity"], "Medium");
    assert_eq!(out["confidenceLevel"], "High");
    assert_eq!(out["eventType"], "NetworkConnectionsToCryptoMiningPools");
    assert_eq!(out["hitCount"], "10");
    assert_eq!(out["IsTest"], "false");
    assert!(!obj.contains_key("isTest"));
    assert_eq!(out["resolvedReason"], "None");
    assert_eq!(out["resolvedOn"], "9999-12-31T23:59:59.997");
    assert_eq!(out["resolvedBy"], "");
    assert_eq!(out["firstObserved"], "9999-12-31T23:59:59.997");
    assert_eq!(out["lastObserved"], "9999-12-31T23:59:59.997");
    assert_eq!(out["firstOccurrence"], "2021-12-08T00:25:45.69");
    assert_eq!(out["lastOccurrence"], "2021-12-08T00:25:45.69");
    assert_eq!(out["entityUrl"], "\\sample\\entity\\url");
    assert_eq!(
        out["affectedResources"],
        json!([{"azureResourceId": "\\sample\\resource\\url ", "type": "sample resource type"}])
    );
    let fixture: Value = serde_json::from_str(FRAUD_EVENTS_NEW_MODEL).unwrap();
    assert_eq!(out["additionalDetails"], fixture[0]["additionalDetails"]);

    // activityLogs is a JSON string holding Partner Center's array (PascalCase statuses,
    // `dateTime` in UTC).
    let logs_text = out["activityLogs"]
        .as_str()
        .expect("activityLogs is a string");
    let logs: Value = serde_json::from_str(logs_text).unwrap();
    assert_eq!(
        logs,
        json!([
            {"statusFrom": "Active", "statusTo": "Investigating",
             "updatedBy": "admin@testtestcsp022.onmicrosoft.com",
             "dateTime": "2023-07-10T07:04:27.8016635Z"},
            {"statusFrom": "Investigating", "statusTo": "Resolved",
             "updatedBy": "admin@testtestcsp022.onmicrosoft.com",
             "dateTime": "2023-07-10T07:08:26.693182Z"}
        ])
    );

    // Every key of the fixture is written back, and nothing else.
    let mut written: Vec<&String> = obj.keys().collect();
    let mut expected: Vec<&String> = fixture[0].as_object().unwrap().keys().collect();
    written.sort();
    expected.sort();
    assert_eq!(written, expected);

    // And it decodes back to the same event.
    let back: FraudEvent = serde_json::from_value(out).unwrap();
    assert_eq!(back, e);
    let text = serde_json::to_string(&e).unwrap();
    assert_eq!(serde_json::from_str::<FraudEvent>(&text).unwrap(), e);
}

#[test]
fn legacy_fraud_event_round_trips_in_its_own_shape() {
    let e = legacy_event();
    let out = serde_json::to_value(&e).unwrap();
    let fixture: Value = serde_json::from_str(FRAUD_EVENTS_LEGACY).unwrap();
    let mut expected = fixture[0].clone();
    // The only difference: the sentinel is written with three fractional digits.
    for key in ["resolvedOn", "firstObserved", "lastObserved"] {
        expected[key] = json!("9999-12-31T23:59:59.997");
    }
    assert_eq!(out, expected);
    assert_eq!(serde_json::from_value::<FraudEvent>(out).unwrap(), e);
}

#[test]
fn resolved_fraud_event_round_trips() {
    let mut e = FraudEvent::new(AlertId::new(EVENT_ID).unwrap());
    e.event_status = Some(AlertStatus::Resolved);
    e.resolved_reason = Some(ResolvedReason::Fraud);
    e.resolved_on = Some(utc(2023, 7, 10, 7, 8, 26, 693_182_000));
    e.resolved_by = Some("admin@contoso.com".to_string());
    e.first_observed = Some(utc(2023, 7, 1, 0, 0, 0, 0));
    e.last_observed = Some(utc(2023, 7, 2, 0, 0, 0, 100_000_000));
    e.hit_count = Some(0);
    e.is_test = Some(true);
    e.severity = Some(Severity::Low);
    e.confidence_level = Some(ConfidenceLevel::UnknownFutureValue);
    e.event_type = Some(AlertType::new("Quota_Anomaly"));
    e.activity_logs = Some(vec![]);
    e.affected_resources = Some(vec![AffectedResource::default()]);
    e.additional_details = Some(AdditionalDetails::new());

    let out = serde_json::to_value(&e).unwrap();
    assert_eq!(
        out,
        json!({
            "eventId": EVENT_ID,
            "hitCount": "0",
            "eventStatus": "Resolved",
            "resolvedReason": "Fraud",
            "resolvedOn": "2023-07-10T07:08:26.693182",
            "resolvedBy": "admin@contoso.com",
            "firstObserved": "2023-07-01T00:00:00",
            "lastObserved": "2023-07-02T00:00:00.1",
            "eventType": "Quota_Anomaly",
            "severity": "Low",
            "confidenceLevel": "UnknownFutureValue",
            "affectedResources": [{}],
            "additionalDetails": {},
            "IsTest": "true",
            "activityLogs": "[]"
        })
    );
    assert_eq!(serde_json::from_value::<FraudEvent>(out).unwrap(), e);

    // Partner Center's reason spellings for every known reason.
    for (reason, pc) in [
        (ResolvedReason::Fraud, "Fraud"),
        (ResolvedReason::Ignore, "Ignore"),
        (ResolvedReason::Legitimate, "Legitimate"),
    ] {
        let mut e = FraudEvent::new(AlertId::new("e1").unwrap());
        e.resolved_reason = Some(reason.clone());
        let out = serde_json::to_value(&e).unwrap();
        assert_eq!(out["resolvedReason"], pc);
        assert_eq!(
            serde_json::from_value::<FraudEvent>(out)
                .unwrap()
                .resolved_reason,
            Some(reason)
        );
    }
}

#[test]
fn minimal_fraud_event_serialises_sentinels_only() {
    let e = FraudEvent::new(AlertId::new("e1").unwrap());
    let out = serde_json::to_value(&e).unwrap();
    assert_eq!(
        out,
        json!({
            "eventId": "e1",
            "resolvedReason": "None",
            "resolvedOn": "9999-12-31T23:59:59.997",
            "resolvedBy": "",
            "firstObserved": "9999-12-31T23:59:59.997",
            "lastObserved": "9999-12-31T23:59:59.997"
        })
    );
    assert_eq!(serde_json::from_value::<FraudEvent>(out).unwrap(), e);
}

// ---------------------------------------------------------------------------------------------
// From<FraudEvent> for Alert
// ---------------------------------------------------------------------------------------------

#[test]
fn alert_from_new_model_fraud_event_maps_every_field() {
    let e = new_model_event();
    let a = Alert::from(e.clone());
    let t = legacy_event_time();

    assert_eq!(a.id.as_str(), EVENT_ID);
    assert_eq!(a.id, e.event_id);
    assert_eq!(a.display_name.as_deref(), Some("sample display name"));
    assert_eq!(a.description.as_deref(), Some("sample description."));
    // PascalCase event type becomes Graph's lower camel case.
    assert_eq!(
        a.alert_type.as_ref().map(AlertType::as_str),
        Some("networkConnectionsToCryptoMiningPools")
    );
    assert_eq!(a.status, Some(AlertStatus::Active));
    assert_eq!(a.severity, Some(Severity::Medium));
    assert_eq!(a.confidence_level, Some(ConfidenceLevel::High));
    assert_eq!(
        a.customer_tenant_id.as_ref().map(TenantId::as_str),
        Some("a248da34-6840-4c67-82d7-7f55ccd50d03")
    );
    assert_eq!(
        a.subscription_id.as_ref().map(SubscriptionId::as_str),
        Some("2a7064fb-1e33-4007-974e-352cb3f2c805")
    );
    assert_eq!(
        a.value_added_reseller_tenant_id
            .as_ref()
            .map(TenantId::as_str),
        Some("897e68c5-fdf8-330e-bb54-3b386e0906b0")
    );
    assert_eq!(a.catalog_offer_id.as_deref(), Some("ms-azr-17g"));
    assert_eq!(a.detected_date_time, Some(t));
    // firstObserved/lastObserved are the sentinel: fall back to the occurrences.
    assert_eq!(a.first_observed_date_time, Some(t));
    assert_eq!(a.last_observed_date_time, Some(t));
    assert_eq!(a.resolved_reason, None);
    assert_eq!(a.resolved_on_date_time, None);
    assert_eq!(a.resolved_by, None);
    assert_eq!(a.is_test, Some(false));
    assert_eq!(
        a.affected_resources,
        Some(vec![AffectedResource::new(
            "\\sample\\resource\\url ",
            "sample resource type"
        )])
    );
    assert_eq!(a.activity_logs, Some(pc_activity_logs()));
    assert_eq!(a.additional_details, e.additional_details);
    let d = a.additional_details.as_ref().unwrap();
    assert_eq!(d.vm_ips(), Some(strings(&["13.89.185.189"])));
    assert_eq!(d.connection_count(), Some(31));

    // Written as Graph writes it.
    let out = serde_json::to_value(&a).unwrap();
    assert_eq!(out["alertType"], "networkConnectionsToCryptoMiningPools");
    assert_eq!(out["status"], "active");
    assert_eq!(out["severity"], "medium");
    assert_eq!(out["confidenceLevel"], "high");
    assert_eq!(out["detectedDateTime"], "2021-12-08T00:25:45.69Z");
    assert_eq!(out["isTest"], false);
    assert_eq!(
        out["affectedResources"],
        json!([{"resourceId": "\\sample\\resource\\url ", "resourceType": "sample resource type"}])
    );
    assert_eq!(
        out["activityLogs"][0]["updatedDateTime"],
        "2023-07-10T07:04:27.8016635Z"
    );
    assert_eq!(out["activityLogs"][0]["statusFrom"], "active");
    for dropped in [
        "partnerTenantId",
        "partnerFriendlyName",
        "customerFriendlyName",
        "subscriptionName",
        "subscriptionType",
        "entityId",
        "entityName",
        "entityUrl",
        "hitCount",
        "serviceName",
        "resourceName",
        "resourceGroupName",
        "country",
        "valueAddedResellerFriendlyName",
        "eventId",
        "eventType",
        "IsTest",
    ] {
        assert!(
            out.get(dropped).is_none(),
            "{dropped} has no Graph equivalent"
        );
    }
    assert_eq!(serde_json::from_value::<Alert>(out).unwrap(), a);
}

#[test]
fn alert_from_legacy_fraud_event() {
    let a = Alert::from(legacy_event());
    let t = legacy_event_time();
    let mut expected = Alert::new(AlertId::new(EVENT_ID).unwrap());
    expected.status = Some(AlertStatus::Active);
    expected.customer_tenant_id =
        Some(TenantId::new("a248da34-6840-4c67-82d7-7f55ccd50d03").unwrap());
    expected.subscription_id =
        Some(SubscriptionId::new("2a7064fb-1e33-4007-974e-352cb3f2c805").unwrap());
    expected.catalog_offer_id = Some("ms-azr-17g".to_string());
    expected.detected_date_time = Some(t);
    expected.first_observed_date_time = Some(t);
    expected.last_observed_date_time = Some(t);
    assert_eq!(a, expected);
    assert_eq!(a.alert_type, None);
    assert_eq!(a.is_test, None);
}

#[test]
fn alert_from_fraud_event_prefers_observed_over_occurrence_and_maps_resolution() {
    let mut e = FraudEvent::new(AlertId::new("e1").unwrap());
    let occ_first = utc(2023, 1, 1, 0, 0, 0, 0);
    let occ_last = utc(2023, 1, 2, 0, 0, 0, 0);
    let obs_first = utc(2023, 1, 1, 6, 0, 0, 0);
    let obs_last = utc(2023, 1, 1, 18, 0, 0, 0);
    e.first_occurrence = Some(occ_first);
    e.last_occurrence = Some(occ_last);
    e.first_observed = Some(obs_first);
    e.last_observed = Some(obs_last);
    e.event_status = Some(AlertStatus::Resolved);
    e.resolved_reason = Some(ResolvedReason::Ignore);
    e.resolved_on = Some(utc(2023, 1, 3, 0, 0, 0, 0));
    e.resolved_by = Some("admin@contoso.com".to_string());
    e.is_test = Some(true);
    let a = Alert::from(e);
    assert_eq!(a.first_observed_date_time, Some(obs_first));
    assert_eq!(a.last_observed_date_time, Some(obs_last));
    assert_eq!(a.status, Some(AlertStatus::Resolved));
    assert!(!a.is_unresolved());
    assert_eq!(a.resolved_reason, Some(ResolvedReason::Ignore));
    assert_eq!(a.resolved_on_date_time, Some(utc(2023, 1, 3, 0, 0, 0, 0)));
    assert_eq!(a.resolved_by.as_deref(), Some("admin@contoso.com"));
    assert_eq!(a.is_test, Some(true));

    // Only the occurrences: they are used.
    let mut e = FraudEvent::new(AlertId::new("e1").unwrap());
    e.first_occurrence = Some(occ_first);
    e.last_occurrence = Some(occ_last);
    let a = Alert::from(e);
    assert_eq!(a.first_observed_date_time, Some(occ_first));
    assert_eq!(a.last_observed_date_time, Some(occ_last));

    // Neither: absent.
    let a = Alert::from(FraudEvent::new(AlertId::new("e1").unwrap()));
    assert_eq!(a, Alert::new(AlertId::new("e1").unwrap()));
}

#[test]
fn alert_from_fraud_event_canonicalises_known_types_only() {
    for (event_type, alert_type) in [
        (
            "NetworkConnectionsToCryptoMiningPools",
            "networkConnectionsToCryptoMiningPools",
        ),
        ("UsageAnomalyDetection", "usageAnomalyDetection"),
        (
            "ServiceHealthSecurityAdvisory",
            "serviceHealthSecurityAdvisory",
        ),
        (
            "VIRTUALMACHINEDEPLOYMENTANOMALY",
            "virtualMachineDeploymentAnomaly",
        ),
        ("cryptomining", "CryptoMining"),
        ("ARM_SuspiciousOperations", "ARM_SuspiciousOperations"),
        ("BrandNew_Detection", "BrandNew_Detection"),
    ] {
        let e = event(json!({"eventId": "e1", "eventType": event_type}));
        let a = Alert::from(e);
        assert_eq!(
            a.alert_type.as_ref().map(AlertType::as_str),
            Some(alert_type),
            "{event_type}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

fn bad_ids() -> Vec<(String, &'static str)> {
    vec![
        (String::new(), "empty"),
        ("a/b".to_string(), "slash"),
        ("/".to_string(), "lone slash"),
        ("a\\b".to_string(), "backslash"),
        ("a?b".to_string(), "question mark"),
        ("a#b".to_string(), "hash"),
        ("a%2Fb".to_string(), "percent"),
        ("a b".to_string(), "space"),
        (" ab".to_string(), "leading space"),
        ("a\tb".to_string(), "tab"),
        ("a\u{7}b".to_string(), "bell control character"),
        ("a\nb".to_string(), "newline"),
        ("a\u{0}b".to_string(), "nul"),
        ("a\u{a0}b".to_string(), "no-break space"),
        ("..".to_string() + "/x", "dot-dot slash"),
        ("x".repeat(MAX_ID_LEN + 1), "257 bytes"),
        // 256 characters but 257 bytes.
        (
            "x".repeat(MAX_ID_LEN - 1) + "\u{e9}",
            "257 bytes, 256 chars",
        ),
    ]
}

fn check_id_type<T: std::fmt::Debug>(
    field: &str,
    new: impl Fn(&str) -> Result<T, InvalidInput>,
    parse: impl Fn(&str) -> Result<T, InvalidInput>,
    try_from_string: impl Fn(String) -> Result<T, InvalidInput>,
    decode: impl Fn(&str) -> Result<T, serde_json::Error>,
) {
    assert_eq!(MAX_ID_LEN, 256);
    for (bad, what) in bad_ids() {
        for (how, err) in [
            ("new", new(&bad).unwrap_err()),
            ("FromStr", parse(&bad).unwrap_err()),
            ("TryFrom<String>", try_from_string(bad.clone()).unwrap_err()),
        ] {
            assert_eq!(err.field(), field, "{what} via {how}");
            assert!(!err.reason().is_empty());
            assert!(
                err.to_string().starts_with(&format!("invalid {field}: ")),
                "{err}"
            );
        }
        let err = decode(&serde_json::to_string(&bad).unwrap()).unwrap_err();
        assert!(err.to_string().contains(field), "{what} via serde: {err}");
    }
    // Some reasons name the offending character.
    assert!(new("a/b").unwrap_err().to_string().contains("'/'"));
    assert!(new("a\tb").unwrap_err().to_string().contains("'\\t'"));
    assert!(new("").unwrap_err().reason().contains("empty"));
    assert!(new(&"x".repeat(257)).unwrap_err().reason().contains("257"));

    for good in [
        "d8b202fc-a216-3404-69ef-bdffa445eff6".to_string(),
        "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398-758e2259-f00b-4dec-8087-0950afe6d6a4".to_string(),
        EVENT_ID.to_string(),
        "x".to_string(),
        "x".repeat(MAX_ID_LEN),
        "caf\u{e9}".to_string(),
        "a.b_c-d~e:f@g".to_string(),
    ] {
        let id = new(&good).unwrap();
        assert!(format!("{id:?}").contains(&good), "{id:?}");
        parse(&good).unwrap();
        try_from_string(good.clone()).unwrap();
        decode(&serde_json::to_string(&good).unwrap()).unwrap();
    }
}

#[test]
fn alert_id_rejects_bad_values() {
    check_id_type(
        "alert id",
        |s| AlertId::new(s),
        |s| s.parse::<AlertId>(),
        |s: String| AlertId::try_from(s),
        |s| serde_json::from_str::<AlertId>(s),
    );
    let id = AlertId::try_from("d8b202fc-a216-3404-69ef-bdffa445eff6").unwrap();
    assert_eq!(id.as_str(), "d8b202fc-a216-3404-69ef-bdffa445eff6");
    assert_eq!(id.to_string(), "d8b202fc-a216-3404-69ef-bdffa445eff6");
    assert_eq!(id, "d8b202fc-a216-3404-69ef-bdffa445eff6");
    assert_eq!(
        format!("{id:?}"),
        "AlertId(\"d8b202fc-a216-3404-69ef-bdffa445eff6\")"
    );
    assert_eq!(
        serde_json::to_string(&id).unwrap(),
        "\"d8b202fc-a216-3404-69ef-bdffa445eff6\""
    );
    // Ids compare exactly (they are opaque).
    assert_ne!(AlertId::new("ABC").unwrap(), AlertId::new("abc").unwrap());
}

#[test]
fn subscription_id_rejects_bad_values() {
    check_id_type(
        "subscription id",
        |s| SubscriptionId::new(s),
        |s| s.parse::<SubscriptionId>(),
        |s: String| SubscriptionId::try_from(s),
        |s| serde_json::from_str::<SubscriptionId>(s),
    );
    let id: SubscriptionId = "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398".parse().unwrap();
    assert_eq!(
        AsRef::<str>::as_ref(&id),
        "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398"
    );
}

#[test]
fn tenant_id_rejects_bad_values() {
    check_id_type(
        "tenant id",
        |s| TenantId::new(s),
        |s| s.parse::<TenantId>(),
        |s: String| TenantId::try_from(s),
        |s| serde_json::from_str::<TenantId>(s),
    );
    let id = TenantId::new("1889e718-414b-4bad-8bbe-c1135bd39a41").unwrap();
    assert_eq!(id.to_string(), "1889e718-414b-4bad-8bbe-c1135bd39a41");
}

#[test]
fn decoding_models_with_bad_ids_fails() {
    let err =
        serde_json::from_value::<Alert>(json!({"id": "a/b", "status": "active"})).unwrap_err();
    assert!(err.to_string().contains("alert id"), "{err}");
    assert!(err.to_string().contains("'/'"), "{err}");
    let err = serde_json::from_str::<Alert>(r#"{"id": "../../me"}"#).unwrap_err();
    assert!(err.to_string().contains("alert id"), "{err}");
    assert!(serde_json::from_value::<Alert>(json!({"id": ""})).is_err());
    assert!(serde_json::from_value::<Alert>(json!({"id": null})).is_err());
    assert!(serde_json::from_value::<Alert>(json!({"id": 5})).is_err());

    let err =
        serde_json::from_value::<Alert>(json!({"id": "a1", "subscriptionId": "x/y"})).unwrap_err();
    assert!(err.to_string().contains("subscription id"), "{err}");
    let err = serde_json::from_value::<Alert>(json!({"id": "a1", "customerTenantId": "x y"}))
        .unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");
    let err =
        serde_json::from_value::<Alert>(json!({"id": "a1", "valueAddedResellerTenantId": "x?y"}))
            .unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");

    let err = serde_json::from_value::<FraudEvent>(json!({"eventId": "a#b"})).unwrap_err();
    assert!(err.to_string().contains("alert id"), "{err}");
    let err =
        serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", "partnerTenantId": "%"}))
            .unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");
    let err =
        serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", "subscriptionId": "a\\b"}))
            .unwrap_err();
    assert!(err.to_string().contains("subscription id"), "{err}");
    assert!(serde_json::from_value::<FraudEvent>(json!({"subscriptionId": "s"})).is_err());
}

#[test]
fn empty_optional_ids_decode_to_none() {
    let a = alert(json!({
        "id": "a1",
        "subscriptionId": "",
        "customerTenantId": "",
        "valueAddedResellerTenantId": ""
    }));
    assert_eq!(a.subscription_id, None);
    assert_eq!(a.customer_tenant_id, None);
    assert_eq!(a.value_added_reseller_tenant_id, None);
    assert_eq!(serde_json::to_value(&a).unwrap(), json!({"id": "a1"}));

    let e = event(json!({"eventId": "e1", "subscriptionId": "", "customerTenantId": ""}));
    assert_eq!(e.subscription_id, None);
    assert_eq!(e.customer_tenant_id, None);
}

#[test]
fn additional_details_equality_ignores_key_order_only() {
    let a: AdditionalDetails =
        serde_json::from_str(r#"{"VM_IP": "[]", "ConnectionCount": "5", "n": 1}"#).unwrap();
    let b: AdditionalDetails =
        serde_json::from_str(r#"{"n": 1, "ConnectionCount": "5", "VM_IP": "[]"}"#).unwrap();
    assert_eq!(a, b);
    // The order read is still what is written.
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        r#"{"VM_IP":"[]","ConnectionCount":"5","n":1}"#
    );
    assert_eq!(
        serde_json::to_string(&b).unwrap(),
        r#"{"n":1,"ConnectionCount":"5","VM_IP":"[]"}"#
    );
    // Keys, values and their number still count.
    let c: AdditionalDetails =
        serde_json::from_str(r#"{"vm_ip": "[]", "ConnectionCount": "5", "n": 1}"#).unwrap();
    assert_ne!(a, c, "key spelling differs");
    let c: AdditionalDetails =
        serde_json::from_str(r#"{"VM_IP": "[]", "ConnectionCount": 5, "n": 1}"#).unwrap();
    assert_ne!(a, c, "value differs");
    let c: AdditionalDetails =
        serde_json::from_str(r#"{"VM_IP": "[]", "ConnectionCount": "5"}"#).unwrap();
    assert_ne!(a, c, "key missing");
    assert_ne!(c, a, "key missing");
    assert_eq!(AdditionalDetails::new(), AdditionalDetails::default());

    // So models survive a trip through serde_json::Value (alphabetical keys).
    let e = new_model_event();
    assert_eq!(
        serde_json::from_value::<FraudEvent>(serde_json::to_value(&e).unwrap()).unwrap(),
        e
    );
    let g = graph_alert();
    assert_eq!(
        serde_json::from_value::<Alert>(serde_json::to_value(&g).unwrap()).unwrap(),
        g
    );
}
