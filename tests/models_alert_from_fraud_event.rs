//! Model tests, `From<FraudEvent> for Alert`: the mapping of either event model to an alert.

mod support;

use partner_alerts::{
    AffectedResource, Alert, AlertId, AlertStatus, AlertType, ConfidenceLevel, FraudEvent,
    ResolvedReason, Severity, SubscriptionId, TenantId,
};
use serde_json::json;
use support::models::*;

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
