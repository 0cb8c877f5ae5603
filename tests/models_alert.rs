//! Model tests, the Graph alert (`Alert`): the reference's examples (sections 3.4 and 3.11)
//! decoded field by field, partial objects and nulls, and serialisation back to Graph's JSON.

mod support;

use partner_alerts::{
    ActivityLog, AffectedResource, Alert, AlertId, AlertStatus, AlertType, ConfidenceLevel,
    ResolvedReason, Severity, SubscriptionId, TenantId,
};
use serde_json::{Value, json};
use support::models::*;

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
fn debug_shows_no_person() {
    use partner_alerts::model::ActivityLog;
    let mut a = Alert::new(partner_alerts::AlertId::new("a1").unwrap());
    a.resolved_by = Some("jane.doe@contoso.example".into());
    a.activity_logs = Some(vec![ActivityLog::new(
        partner_alerts::AlertStatus::Active,
        partner_alerts::AlertStatus::Resolved,
        "john.roe@contoso.example",
        chrono::Utc::now(),
    )]);
    let shown = format!("{a:?}");
    assert!(
        !shown.contains("jane.doe") && !shown.contains("john.roe"),
        "{shown}"
    );
    assert!(
        shown.contains("resolved_by: Some(\"<redacted>\")"),
        "{shown}"
    );
    assert!(shown.contains("a1"), "the rest is shown");
    let mut event = partner_alerts::FraudEvent::new(partner_alerts::AlertId::new("e1").unwrap());
    event.resolved_by = Some("jane.doe@contoso.example".into());
    assert!(!format!("{event:?}").contains("jane.doe"));
}
