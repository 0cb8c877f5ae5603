//! The Partner Center side over HTTP: both FraudEvents shapes, the query parameters, the
//! status update, and that both APIs serve the same alerts.

mod common;

use common::*;
use partner_alerts::{Alert, AlertId, AlertStatus, FraudEvent, ResolvedReason};
use partner_alerts_emulator::{EMULATOR_UPN, Emulator};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEW_MODEL: (&str, &str) = ("X-NewEventsModel", "true");

fn events_url(emulator: &Emulator, query: &str) -> String {
    format!(
        "{}/v1/fraudEvents{query}",
        emulator.partner_center_base_url()
    )
}

fn status_url(emulator: &Emulator, subscription: &str) -> String {
    format!(
        "{}/v1/fraudEvents/subscription/{subscription}/status",
        emulator.partner_center_base_url()
    )
}

fn event_ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventId"].as_str().unwrap().to_owned())
        .collect()
}

/// A subscription with at least `n` active alerts.
fn busy_subscription(emulator: &Emulator, n: usize) -> String {
    let alerts = emulator.alerts();
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for a in &alerts {
        if a.status == Some(AlertStatus::Active) {
            *counts
                .entry(a.subscription_id.clone().unwrap().to_string())
                .or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(_, c)| *c >= n)
        .map(|(s, _)| s)
        .min()
        .expect("a subscription with several active alerts")
}

fn pc_error(got: &Got, status: StatusCode, code: u64) {
    assert_eq!(got.status, status, "{}", got.body);
    assert_eq!(got.body["code"], code, "{}", got.body);
    assert!(
        got.body["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(got.body["data"], json!([]));
    assert_eq!(got.body["source"], "PartnerFD");
}

#[tokio::test]
async fn legacy_and_new_model_shapes() {
    let emulator = start(50).await;
    let legacy = get(&events_url(&emulator, "")).await;
    assert_eq!(legacy.status, StatusCode::OK);
    let items = legacy.body.as_array().unwrap();
    assert_eq!(items.len(), 50);
    let first = items[0].as_object().unwrap();
    for key in [
        "eventTime",
        "eventId",
        "partnerTenantId",
        "partnerFriendlyName",
        "customerTenantId",
        "customerFriendlyName",
        "subscriptionId",
        "subscriptionType",
        "entityId",
        "entityName",
        "entityUrl",
        "hitCount",
        "catalogOfferId",
        "eventStatus",
        "serviceName",
        "resourceName",
        "resourceGroupName",
        "firstOccurrence",
        "lastOccurrence",
        "resolvedReason",
        "resolvedOn",
        "resolvedBy",
        "firstObserved",
        "lastObserved",
    ] {
        // Subscription-level alerts have no resource, some customers no offer.
        let optional = ["catalogOfferId", "entityUrl", "resourceGroupName"];
        assert!(
            first.contains_key(key) || optional.contains(&key),
            "legacy has {key}: {first:?}"
        );
    }
    for key in [
        "eventType",
        "severity",
        "displayName",
        "IsTest",
        "activityLogs",
        "additionalDetails",
    ] {
        assert!(!first.contains_key(key), "legacy lacks {key}");
    }
    // Zone-less times, PascalCase statuses, sentinels while unresolved, strings for numbers.
    assert!(!first["eventTime"].as_str().unwrap().ends_with('Z'));
    assert!(first["hitCount"].is_string());
    let active = items.iter().find(|e| e["eventStatus"] == "Active").unwrap();
    assert_eq!(active["resolvedReason"], "None");
    assert_eq!(active["resolvedBy"], "");
    assert!(
        active["resolvedOn"]
            .as_str()
            .unwrap()
            .starts_with("9999-12-31")
    );
    let event_id = first["eventId"].as_str().unwrap();
    let sub = first["subscriptionId"].as_str().unwrap();
    assert!(event_id.starts_with(&format!("{sub}_")));
    assert_eq!(event_id.split_once('_').unwrap().1, first["entityId"]);
    assert_eq!(
        first["partnerTenantId"],
        emulator.partner_tenant_id().as_str()
    );

    let new = get_with(&events_url(&emulator, ""), &[NEW_MODEL]).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
    let items = new.body.as_array().unwrap();
    assert_eq!(items.len(), 50);
    for e in items {
        let o = e.as_object().unwrap();
        for key in [
            "eventType",
            "severity",
            "confidenceLevel",
            "displayName",
            "description",
            "country",
            "subscriptionName",
            "affectedResources",
            "additionalDetails",
            "IsTest",
            "activityLogs",
        ] {
            assert!(o.contains_key(key), "new model has {key}");
        }
        assert!(e["IsTest"] == "true" || e["IsTest"] == "false");
        assert!(
            e["activityLogs"].is_string(),
            "activityLogs is a JSON string"
        );
        assert_ne!(e["severity"], "Informational");
        let typed: FraudEvent = serde_json::from_value(e.clone()).unwrap();
        assert!(typed.is_new_model());
    }
    let mining = items
        .iter()
        .find(|e| e["eventType"] == "NetworkConnectionsToCryptoMiningPools")
        .expect("a crypto-mining event");
    let details = &mining["additionalDetails"];
    assert!(details["vM_IP"].as_str().unwrap().starts_with('['));
    assert!(
        details["connectionCount"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert!(details["resourceid"].is_string());
    assert!(mining["affectedResources"][0]["azureResourceId"].is_string());

    // The typed view the handle gives matches what the API serves.
    let id = emulator
        .alert_id_for_event(&AlertId::new(event_id).unwrap())
        .unwrap();
    let view = emulator.fraud_event(&id, false).unwrap();
    assert_eq!(serde_json::to_value(&view).unwrap(), legacy.body[0]);
}

#[tokio::test]
async fn query_parameters_and_paging() {
    let emulator = start(120).await;
    let alerts = emulator.alerts();
    let sub = alerts[0].subscription_id.clone().unwrap();

    let got = get(&events_url(&emulator, "?EventStatus=Active")).await;
    let want = alerts
        .iter()
        .filter(|a| a.status == Some(AlertStatus::Active))
        .count();
    assert_eq!(got.body.as_array().unwrap().len(), want);
    assert!(
        got.body
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["eventStatus"] == "Active")
    );

    let got = get(&events_url(
        &emulator,
        &format!("?SubscriptionId={sub}&eventstatus=resolved"),
    ))
    .await;
    let want: Vec<String> = alerts
        .iter()
        .filter(|a| {
            a.subscription_id.as_ref() == Some(&sub) && a.status == Some(AlertStatus::Resolved)
        })
        .map(|a| emulator.event_id(&a.id).unwrap().to_string())
        .collect();
    assert_eq!(event_ids(&got.body), want);

    let cryptos = alerts
        .iter()
        .filter(|a| a.alert_type.as_ref().unwrap() == "networkConnectionsToCryptoMiningPools")
        .count();
    let got = get_with(
        &events_url(
            &emulator,
            "?EventType=NetworkConnectionsToCryptoMiningPools",
        ),
        &[NEW_MODEL],
    )
    .await;
    assert_eq!(got.body.as_array().unwrap().len(), cryptos);
    // The legacy model ignores the new model's parameters.
    let got = get(&events_url(
        &emulator,
        "?EventType=NetworkConnectionsToCryptoMiningPools&PageSize=5&PageNumber=1",
    ))
    .await;
    assert_eq!(got.body.as_array().unwrap().len(), 120);

    // Pages: 1-based, a page past the end is empty, all pages together are everything.
    let all = event_ids(
        &get_with(&events_url(&emulator, ""), &[NEW_MODEL])
            .await
            .body,
    );
    let mut paged = Vec::new();
    for page in 1.. {
        let got = get_with(
            &events_url(&emulator, &format!("?PageSize=50&PageNumber={page}")),
            &[NEW_MODEL],
        )
        .await;
        let ids = event_ids(&got.body);
        if ids.is_empty() {
            assert_eq!(page, 4);
            break;
        }
        paged.extend(ids);
    }
    assert_eq!(paged, all);
    let got = get_with(&events_url(&emulator, "?PageSize=50"), &[NEW_MODEL]).await;
    assert_eq!(
        got.body.as_array().unwrap().len(),
        120,
        "PageSize alone returns everything"
    );

    pc_error(
        &get(&events_url(&emulator, "?EventStatus=Closed")).await,
        StatusCode::BAD_REQUEST,
        800002,
    );
    pc_error(
        &get_with(
            &events_url(&emulator, "?PageSize=x&PageNumber=1"),
            &[NEW_MODEL],
        )
        .await,
        StatusCode::BAD_REQUEST,
        800002,
    );
}

#[tokio::test]
async fn status_update_for_listed_ids() {
    let emulator = start(200).await;
    let sub = busy_subscription(&emulator, 2);
    let targets: Vec<Alert> = emulator
        .alerts()
        .into_iter()
        .filter(|a| {
            a.subscription_id.as_ref().unwrap().as_str() == sub
                && a.status == Some(AlertStatus::Active)
        })
        .take(2)
        .collect();
    let ids: Vec<String> = targets
        .iter()
        .map(|a| emulator.event_id(&a.id).unwrap().to_string())
        .collect();

    let got = post_with(
        &status_url(&emulator, &sub),
        &json!({"EventIds": ids, "EventStatus": "Resolved", "ResolvedReason": "Fraud"}),
        &[
            NEW_MODEL,
            ("MS-CorrelationId", "corr-1"),
            ("MS-RequestId", "req-1"),
        ],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.header("ms-correlationid"), Some("corr-1"));
    assert_eq!(got.header("ms-requestid"), Some("req-1"));
    assert_eq!(event_ids(&got.body), ids);
    for e in got.body.as_array().unwrap() {
        assert_eq!(e["eventStatus"], "Resolved");
        assert_eq!(e["resolvedReason"], "Fraud");
        assert_eq!(e["resolvedBy"], EMULATOR_UPN);
        assert_eq!(e["resolvedOn"], "2025-03-01T12:00:00");
        let logs: Value = serde_json::from_str(e["activityLogs"].as_str().unwrap()).unwrap();
        let last = logs.as_array().unwrap().last().unwrap();
        assert_eq!(last["statusFrom"], "Active");
        assert_eq!(last["statusTo"], "Resolved");
        assert_eq!(last["dateTime"], "2025-03-01T12:00:00Z");
    }
    // Visible through Graph.
    for a in &targets {
        let url = format!(
            "{}/security/partner/securityAlerts/{}",
            emulator.graph_base_url(),
            a.id
        );
        let g = get(&url).await;
        assert_eq!(g.body["status"], "resolved");
        assert_eq!(g.body["resolvedReason"], "fraud");
        assert_eq!(g.body["resolvedBy"], EMULATOR_UPN);
    }

    // camelCase keys, `Resolve`, and the legacy shape without the header.
    let got = post_with(
        &status_url(&emulator, &sub),
        &json!({"eventIds": [ids[0]], "eventStatus": "Investigating"}),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert!(got.body[0].get("activityLogs").is_none(), "legacy shape");
    assert_eq!(got.body[0]["resolvedReason"], "None");
    assert_eq!(
        emulator.alert(&targets[0].id).unwrap().status,
        Some(AlertStatus::Investigating)
    );
    let got = post_with(
        &status_url(&emulator, &sub),
        &json!({"EventIds": [ids[0]], "EventStatus": "Resolve", "ResolvedReason": "ignore"}),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body[0]["eventStatus"], "Resolved");
    assert_eq!(got.body[0]["resolvedReason"], "Ignore");
}

#[tokio::test]
async fn only_documented_reasons_and_event_types() {
    let emulator = start(60).await;
    let a = emulator
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(AlertStatus::Active))
        .unwrap();
    let sub = a.subscription_id.clone().unwrap().to_string();
    let own = emulator.event_id(&a.id).unwrap().to_string();
    let before = emulator.alerts();
    // Legitimate is Graph's reason, not Partner Center's: refused, in any case.
    for reason in ["Legitimate", "legitimate", "LEGITIMATE", "Fraudulent"] {
        let got = post_with(
            &status_url(&emulator, &sub),
            &json!({"EventIds": [own], "EventStatus": "Resolved", "ResolvedReason": reason}),
            &[NEW_MODEL],
        )
        .await;
        pc_error(&got, StatusCode::BAD_REQUEST, 800002);
        let d = got.body["description"].as_str().unwrap();
        assert!(
            d.contains("accepted reason codes are Fraud or Ignore"),
            "{d}"
        );
    }
    // Without event ids (the whole subscription) too.
    pc_error(
        &post_with(
            &status_url(&emulator, &sub),
            &json!({"EventStatus": "Resolved", "ResolvedReason": "Legitimate"}),
            &[],
        )
        .await,
        StatusCode::BAD_REQUEST,
        800002,
    );
    assert_eq!(emulator.alerts(), before, "refused updates change nothing");
    for reason in ["Fraud", "IGNORE"] {
        let got = post_with(
            &status_url(&emulator, &sub),
            &json!({"EventIds": [own], "EventStatus": "Resolved", "ResolvedReason": reason}),
            &[],
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{reason}: {}", got.body);
    }

    // The six documented event types, exactly as documented.
    for t in [
        "ServiceHealthSecurityAdvisory",
        "UsageAnomalyDetection",
        "MultiRegionVirtualMachineScaleSetDeploymentAnomaly",
        "NetworkConnectionsToCryptoMiningPools",
        "VirtualMachineDeploymentAnomaly",
        "MultiRegionMachineLearningUsageAnomaly",
    ] {
        let got = get_with(
            &events_url(&emulator, &format!("?EventType={t}")),
            &[NEW_MODEL],
        )
        .await;
        assert_eq!(got.status, StatusCode::OK, "{t}: {}", got.body);
        assert!(
            got.body
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["eventType"] == t)
        );
    }
    for bad in [
        "networkConnectionsToCryptoMiningPools",
        "NETWORKCONNECTIONSTOCRYPTOMININGPOOLS",
        "CryptoMining",
        "Teapot",
    ] {
        let got = get_with(
            &events_url(&emulator, &format!("?EventType={bad}")),
            &[NEW_MODEL],
        )
        .await;
        pc_error(&got, StatusCode::BAD_REQUEST, 800002);
        assert!(got.body["description"].as_str().unwrap().contains(bad));
    }
    // The legacy model has no EventType: ignored there.
    let got = get(&events_url(&emulator, "?EventType=Teapot")).await;
    assert_eq!(got.body.as_array().unwrap().len(), 60);
}

#[tokio::test]
async fn status_update_for_a_whole_subscription() {
    let emulator = start(200).await;
    let sub = busy_subscription(&emulator, 2);
    let in_sub: Vec<AlertId> = emulator
        .alerts()
        .into_iter()
        .filter(|a| a.subscription_id.as_ref().unwrap().as_str() == sub)
        .map(|a| a.id)
        .collect();
    let others_before: Vec<Alert> = emulator
        .alerts()
        .into_iter()
        .filter(|a| a.subscription_id.as_ref().unwrap().as_str() != sub)
        .collect();

    for body in [
        json!({"EventStatus": "Investigating"}),
        json!({"EventIds": [], "EventStatus": "Resolved", "ResolvedReason": "Ignore"}),
    ] {
        let got = post_with(&status_url(&emulator, &sub), &body, &[NEW_MODEL]).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        assert_eq!(got.body.as_array().unwrap().len(), in_sub.len());
    }
    for id in &in_sub {
        let a = emulator.alert(id).unwrap();
        assert_eq!(a.status, Some(AlertStatus::Resolved));
        assert_eq!(a.resolved_reason, Some(ResolvedReason::Ignore));
    }
    let others_after: Vec<Alert> = emulator
        .alerts()
        .into_iter()
        .filter(|a| a.subscription_id.as_ref().unwrap().as_str() != sub)
        .collect();
    assert_eq!(
        others_before, others_after,
        "other subscriptions are untouched"
    );
    let graph = get(&alerts_url(
        &emulator,
        &[(
            "$filter",
            &format!("subscriptionId eq '{sub}' and status ne 'resolved'"),
        )],
    ))
    .await;
    assert_eq!(graph.body["value"], json!([]));
}

#[tokio::test]
async fn status_update_errors() {
    let emulator = start(60).await;
    let alerts = emulator.alerts();
    let a = &alerts[0];
    let sub = a.subscription_id.clone().unwrap().to_string();
    let own = emulator.event_id(&a.id).unwrap().to_string();
    let foreign = alerts
        .iter()
        .find(|x| x.subscription_id.as_ref().unwrap().as_str() != sub)
        .map(|x| emulator.event_id(&x.id).unwrap().to_string())
        .unwrap();
    let before = emulator.alerts();

    let got = post_with(
        &status_url(&emulator, &sub),
        &json!({"EventIds": [own, foreign], "EventStatus": "Resolved", "ResolvedReason": "Fraud"}),
        &[],
    )
    .await;
    pc_error(&got, StatusCode::NOT_FOUND, 1000);
    assert!(got.body["description"].as_str().unwrap().contains(&foreign));
    pc_error(
        &post_with(
            &status_url(&emulator, &sub),
            &json!({"EventIds": ["nope"], "EventStatus": "Active"}),
            &[],
        )
        .await,
        StatusCode::NOT_FOUND,
        1000,
    );
    for bad in [
        json!({"EventIds": [own], "EventStatus": "Resolved"}),
        json!({"EventIds": [own], "EventStatus": "Resolved", "ResolvedReason": "Bored"}),
        json!({"EventIds": [own], "EventStatus": "Closed"}),
        json!({"EventIds": [own]}),
        json!({"EventIds": "all", "EventStatus": "Active"}),
    ] {
        pc_error(
            &post_with(&status_url(&emulator, &sub), &bad, &[]).await,
            StatusCode::BAD_REQUEST,
            800002,
        );
    }
    assert_eq!(emulator.alerts(), before, "failed updates change nothing");
}

#[tokio::test]
async fn graph_changes_show_in_partner_center() {
    let emulator = start(20).await;
    let a = emulator
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(AlertStatus::Active))
        .unwrap();
    let event_id = emulator.event_id(&a.id).unwrap();
    assert_eq!(emulator.alert_id_for_event(&event_id), Some(a.id.clone()));
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        a.id
    );
    let got = patch(
        &url,
        &json!({"status": "resolved", "resolvedReason": "legitimate"}),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK);

    let sub = a.subscription_id.unwrap();
    let got = get_with(
        &events_url(&emulator, &format!("?SubscriptionId={sub}")),
        &[NEW_MODEL],
    )
    .await;
    let e = got
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["eventId"] == event_id.as_str())
        .unwrap();
    assert_eq!(e["eventStatus"], "Resolved");
    assert_eq!(e["resolvedReason"], "Legitimate");
    assert_eq!(e["resolvedBy"], EMULATOR_UPN);
}

#[tokio::test]
async fn auth_ids_and_unknown_paths() {
    let emulator = start(3).await;
    let res = client()
        .get(events_url(&emulator, ""))
        .send()
        .await
        .unwrap();
    let got = read(res).await;
    pc_error(&got, StatusCode::UNAUTHORIZED, 800001);
    assert!(uuid::Uuid::parse_str(got.header("ms-requestid").unwrap()).is_ok());
    assert!(uuid::Uuid::parse_str(got.header("ms-correlationid").unwrap()).is_ok());

    let got = get(&format!(
        "{}/v1/no-such-resource",
        emulator.partner_center_base_url()
    ))
    .await;
    pc_error(&got, StatusCode::NOT_FOUND, 1000);
    let res = client()
        .delete(events_url(&emulator, ""))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    let got = read(res).await;
    pc_error(&got, StatusCode::METHOD_NOT_ALLOWED, 800002);
    assert_eq!(got.header("allow"), Some("GET"));
    assert_eq!(emulator.stats().partner_center_requests, 3);
}

#[tokio::test]
async fn the_reason_only_counts_when_resolving() {
    let emulator = start(60).await;
    let a = emulator
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(AlertStatus::Active))
        .unwrap();
    let sub = a.subscription_id.clone().unwrap().to_string();
    let own = emulator.event_id(&a.id).unwrap().to_string();

    // Not resolving: an invalid reason (or one of the wrong type) is ignored.
    for (status, reason, want) in [
        ("Investigating", json!("Bored"), AlertStatus::Investigating),
        ("Active", json!(42), AlertStatus::Active),
        ("Investigating", json!("Fraud"), AlertStatus::Investigating),
    ] {
        let got = post_with(
            &status_url(&emulator, &sub),
            &json!({"EventIds": [own], "EventStatus": status, "ResolvedReason": reason}),
            &[],
        )
        .await;
        assert_eq!(
            got.status,
            StatusCode::OK,
            "{status} {reason}: {}",
            got.body
        );
        assert_eq!(got.body[0]["resolvedReason"], "None");
        let stored = emulator.alert(&a.id).unwrap();
        assert_eq!(stored.status, Some(want));
        assert_eq!(stored.resolved_reason, None);
    }

    // Resolving: the reason is required and checked.
    let before = emulator.alert(&a.id);
    for bad in [
        json!({"EventIds": [own], "EventStatus": "Resolved", "ResolvedReason": "Bored"}),
        json!({"EventIds": [own], "EventStatus": "Resolve", "ResolvedReason": ""}),
        json!({"EventIds": [own], "EventStatus": "Resolved", "ResolvedReason": "None"}),
        json!({"EventIds": [own], "EventStatus": "Resolved"}),
    ] {
        pc_error(
            &post_with(&status_url(&emulator, &sub), &bad, &[]).await,
            StatusCode::BAD_REQUEST,
            800002,
        );
    }
    assert_eq!(emulator.alert(&a.id), before);
    let got = post_with(
        &status_url(&emulator, &sub),
        &json!({"EventIds": [own], "EventStatus": "Resolved", "ResolvedReason": "ignore"}),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body[0]["resolvedReason"], "Ignore");
}

/// The event ids the list serves for a subscription.
async fn listed(emulator: &Emulator, sub: &str) -> Vec<String> {
    let got = get_with(
        &events_url(emulator, &format!("?SubscriptionId={sub}")),
        &[NEW_MODEL],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    event_ids(&got.body)
}

#[tokio::test]
async fn upserts_keep_the_partner_center_view_consistent() {
    let emulator = start(200).await;
    let alerts = emulator.alerts();
    let a = alerts[0].clone();
    let b = alerts
        .iter()
        .find(|x| {
            x.customer_tenant_id != a.customer_tenant_id
                && x.subscription_id != a.subscription_id
                && x.value_added_reseller_tenant_id.is_some()
                && x.value_added_reseller_tenant_id != a.value_added_reseller_tenant_id
        })
        .unwrap()
        .clone();
    let (sub_a, sub_b) = (
        a.subscription_id.clone().unwrap().to_string(),
        b.subscription_id.clone().unwrap().to_string(),
    );
    let view_a = emulator.fraud_event(&a.id, true).unwrap();
    let view_b = emulator.fraud_event(&b.id, true).unwrap();
    assert_ne!(view_a.customer_friendly_name, view_b.customer_friendly_name);
    let old_event = emulator.event_id(&a.id).unwrap();
    let entity = old_event.as_str().split_once('_').unwrap().1.to_owned();

    // Move a to b's customer, reseller and subscription.
    let mut moved = a.clone();
    moved.customer_tenant_id = b.customer_tenant_id.clone();
    moved.value_added_reseller_tenant_id = b.value_added_reseller_tenant_id.clone();
    moved.subscription_id = b.subscription_id.clone();
    assert!(emulator.insert_alert(moved).is_some());

    let view = emulator.fraud_event(&a.id, true).unwrap();
    assert_eq!(view.customer_friendly_name, view_b.customer_friendly_name);
    assert_eq!(view.subscription_name, view_b.subscription_name);
    assert_eq!(
        view.value_added_reseller_friendly_name,
        view_b.value_added_reseller_friendly_name
    );
    let new_event = emulator.event_id(&a.id).unwrap();
    assert_eq!(new_event.as_str(), format!("{sub_b}_{entity}"));
    assert_eq!(view.event_id, new_event);
    assert_eq!(view.entity_id.as_deref(), Some(entity.as_str()));
    assert_eq!(emulator.alert_id_for_event(&old_event), None);
    assert_eq!(emulator.alert_id_for_event(&new_event), Some(a.id.clone()));

    // Listed under the new subscription only, in listing order.
    let under_b = listed(&emulator, &sub_b).await;
    assert!(under_b.contains(&new_event.to_string()));
    let expected: Vec<String> = emulator
        .alerts()
        .iter()
        .filter(|x| x.subscription_id.as_ref().unwrap().as_str() == sub_b)
        .map(|x| emulator.event_id(&x.id).unwrap().to_string())
        .collect();
    assert_eq!(under_b, expected);
    let under_a = listed(&emulator, &sub_a.to_uppercase()).await;
    assert!(!under_a.contains(&new_event.to_string()));
    assert!(!under_a.contains(&old_event.to_string()));

    // The status update finds it under the new subscription and event id only.
    pc_error(
        &post_with(
            &status_url(&emulator, &sub_a),
            &json!({"EventIds": [old_event.as_str()], "EventStatus": "Investigating"}),
            &[],
        )
        .await,
        StatusCode::NOT_FOUND,
        1000,
    );
    let got = post_with(
        &status_url(&emulator, &sub_a),
        &json!({"EventStatus": "Investigating"}),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert!(!event_ids(&got.body).contains(&new_event.to_string()));
    let got = post_with(
        &status_url(&emulator, &sub_b),
        &json!({"EventIds": [new_event.as_str()], "EventStatus": "Resolved", "ResolvedReason": "Fraud"}),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(
        emulator.alert(&a.id).unwrap().status,
        Some(AlertStatus::Resolved)
    );

    // The same through update_alert: back to the first subscription, off the directory's
    // customers.
    let updated = emulator
        .update_alert(&a.id, |x| {
            x.subscription_id = a.subscription_id.clone();
            x.customer_tenant_id = Some("99999999-9999-9999-9999-999999999999".parse().unwrap());
        })
        .unwrap();
    assert_eq!(updated.subscription_id, a.subscription_id);
    assert_eq!(emulator.event_id(&a.id), Some(old_event.clone()));
    let view = emulator.fraud_event(&a.id, true).unwrap();
    assert_eq!(view.customer_friendly_name, None, "no such customer");
    assert_eq!(view.subscription_name, view_a.subscription_name);
    assert_eq!(
        view.value_added_reseller_friendly_name, view_b.value_added_reseller_friendly_name,
        "the reseller did not change"
    );
    assert!(
        listed(&emulator, &sub_a)
            .await
            .contains(&old_event.to_string())
    );
    assert!(
        !listed(&emulator, &sub_b)
            .await
            .contains(&new_event.to_string())
    );
}

#[tokio::test]
async fn update_alert_may_call_back_into_the_emulator() {
    let emulator = start(10).await;
    let alerts = emulator.alerts();
    let (id, other) = (alerts[0].id.clone(), alerts[1].id.clone());
    // Before, the closure ran under the state lock: any of these calls hung forever.
    let updated = emulator
        .update_alert(&id, |a| {
            let raised = emulator.raise_alert();
            let n = emulator.alert_count();
            emulator.update_alert(&other, |o| o.display_name = Some("Nested".to_owned()));
            a.display_name = Some(format!("{n} alerts, last {}", raised.id));
        })
        .unwrap();
    let last = emulator.alerts().last().unwrap().id.clone();
    assert_eq!(
        updated.display_name.as_deref(),
        Some(format!("11 alerts, last {last}").as_str())
    );
    assert_eq!(emulator.alert(&id), Some(updated));
    assert_eq!(
        emulator.alert(&other).unwrap().display_name.as_deref(),
        Some("Nested")
    );
}

#[tokio::test]
async fn compressed_and_unusable_bodies() {
    use std::io::Write;
    let gzip = |bytes: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let send = |url: String, headers: Vec<(&'static str, &'static str)>, body: Vec<u8>| async move {
        let mut req = client().post(url).bearer_auth("t").body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        read(req.send().await.unwrap()).await
    };
    let emulator = start(60).await;
    let a = emulator
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(AlertStatus::Active))
        .unwrap();
    let sub = a.subscription_id.clone().unwrap().to_string();
    let own = emulator.event_id(&a.id).unwrap().to_string();
    let body =
        serde_json::to_vec(&json!({"EventIds": [own], "EventStatus": "Investigating"})).unwrap();
    let json = ("Content-Type", "application/json");

    for (headers, bytes, status) in [
        (
            vec![json, ("Content-Encoding", "compress")],
            body.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            vec![("Content-Type", "application/xml")],
            body.clone(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            vec![json, ("Content-Encoding", "gzip")],
            body[..10].to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![json, ("Content-Encoding", "gzip")],
            gzip(&vec![b' '; 3 * 1024 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            vec![json],
            vec![b' '; 2 * 1024 * 1024 + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let got = send(status_url(&emulator, &sub), headers.clone(), bytes).await;
        pc_error(&got, status, 800002);
        assert!(got.header("ms-requestid").is_some(), "{headers:?}");
    }
    assert_eq!(
        emulator.alert(&a.id).unwrap().status,
        Some(AlertStatus::Active)
    );

    let got = send(
        status_url(&emulator, &sub),
        vec![json, ("Content-Encoding", "gzip")],
        gzip(&body),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(
        emulator.alert(&a.id).unwrap().status,
        Some(AlertStatus::Investigating)
    );
}
