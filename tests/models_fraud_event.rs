//! Model tests, the Partner Center fraud event (`FraudEvent`): the reference's examples
//! (sections 4.4 and 4.5) decoded field by field, nulls, the service's scalar quirks, and
//! serialisation back to its shape.

mod support;

use partner_alerts::{
    ActivityLog, AdditionalDetails, AffectedResource, Alert, AlertId, AlertStatus, AlertType,
    ConfidenceLevel, FraudEvent, ResolvedReason, Severity, SubscriptionId, TenantId,
};
use serde_json::{Value, json};
use support::models::*;

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
// Partial objects and nulls
// ---------------------------------------------------------------------------------------------

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
