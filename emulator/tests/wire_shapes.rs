//! The emulator's output against the JSON examples of the API reference, read as plain
//! `serde_json::Value` (not through the library's types): every key the emulator writes is
//! one of the example's, spelled the same; every key of the example is written for a fully
//! populated alert; and each value has the example's JSON type (null only where the reference
//! allows it). The examples are copied verbatim into `testdata/reference/`.

mod common;

use common::*;
use partner_alerts::{Alert, AlertStatus, AlertType};
use partner_alerts_emulator::{Emulator, FaultKind};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};

const NEW_MODEL: (&str, &str) = ("X-NewEventsModel", "true");

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../testdata/reference/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// How strictly a served value is held to a reference example.
#[derive(Clone, Copy)]
struct Rules<'a> {
    /// Every key of the example must be there (a fully populated alert).
    complete: bool,
    /// Paths that may be `null` (`""` for none; `*` for any but `id`).
    nullable: &'a [&'a str],
    /// Paths of open key/value bags: only their type is compared.
    open: &'a [&'a str],
    /// Paths of strings that hold JSON: compared once decoded.
    json_in_string: &'a [&'a str],
}

const STRICT: Rules<'static> = Rules {
    complete: true,
    nullable: &[],
    open: &[],
    json_in_string: &[],
};

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The differences between `served` and the `reference` example at `path`.
fn compare(served: &Value, reference: &Value, path: &str, rules: Rules<'_>, out: &mut Vec<String>) {
    if served.is_null() {
        let allowed = reference.is_null()
            || rules.nullable.contains(&path)
            || (rules.nullable.contains(&"*") && path.rsplit('.').next() != Some("id"));
        if !allowed {
            out.push(format!(
                "{path}: null, the reference has {}",
                kind(reference)
            ));
        }
        return;
    }
    if reference.is_null() {
        return;
    }
    if rules.json_in_string.contains(&path) {
        match (served.as_str(), reference.as_str()) {
            (Some(s), Some(r)) => {
                let (Ok(s), Ok(r)) = (
                    serde_json::from_str::<Value>(s),
                    serde_json::from_str::<Value>(r),
                ) else {
                    out.push(format!("{path}: a string that does not hold JSON"));
                    return;
                };
                compare(&s, &r, &format!("{path}#json"), rules, out);
            }
            _ => out.push(format!(
                "{path}: {}, the reference has a string holding JSON",
                kind(served)
            )),
        }
        return;
    }
    if kind(served) != kind(reference) {
        out.push(format!(
            "{path}: {}, the reference has {}",
            kind(served),
            kind(reference)
        ));
        return;
    }
    match (served, reference) {
        (Value::Object(s), Value::Object(r)) => {
            if rules.open.contains(&path) {
                return;
            }
            for (k, v) in s {
                match r.get(k) {
                    Some(rv) => compare(v, rv, &join(path, k), rules, out),
                    None => out.push(format!(
                        "{}: a key the reference does not have",
                        join(path, k)
                    )),
                }
            }
            if rules.complete {
                for k in r.keys().filter(|k| !s.contains_key(*k)) {
                    out.push(format!("{}: missing", join(path, k)));
                }
            }
        }
        (Value::Array(s), Value::Array(r)) => {
            if let Some(first) = r.first() {
                for v in s {
                    compare(v, first, &format!("{path}[]"), rules, out);
                }
            }
        }
        _ => {}
    }
}

#[track_caller]
fn assert_shape(what: &str, served: &Value, reference: &Value, rules: Rules<'_>) {
    let mut out = Vec::new();
    compare(served, reference, "", rules, &mut out);
    assert!(
        out.is_empty(),
        "{what} deviates from the reference:\n  {}\nserved: {served:#}",
        out.join("\n  ")
    );
}

/// The key set of an object.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

/// A generated alert that fills every property (a crypto-mining alert with a reseller, an
/// offer and a resource in a resource group), resolved through Graph so that the resolution
/// fields and the history are filled too.
async fn fully_populated(emulator: &Emulator) -> Alert {
    let a = emulator
        .alerts()
        .into_iter()
        .find(|a| {
            a.alert_type.as_ref() == Some(&AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS)
                && a.status == Some(AlertStatus::Active)
                && a.value_added_reseller_tenant_id.is_some()
                && a.catalog_offer_id.is_some()
                && a.is_test.is_some()
                && a.affected_resources.as_ref().is_some_and(|r| {
                    r.first()
                        .and_then(|r| r.resource_id.as_deref())
                        .is_some_and(|id| id.contains("/resourceGroups/"))
                })
        })
        .expect("a fully populated crypto-mining alert");
    let url = format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        a.id
    );
    let got = patch(
        &url,
        &json!({"status": "resolved", "resolvedReason": "fraud"}),
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    emulator.alert(&a.id).unwrap()
}

/// The reference's list page with the full alert of section 3.4 as its item (the page's
/// own item is a placeholder).
fn reference_page() -> Value {
    let mut page = fixture("graph_page.json");
    page["value"] = json!([fixture("graph_alert.json")]);
    page
}

#[tokio::test]
async fn graph_alerts_and_pages() {
    let emulator = start(300).await;
    let full = fully_populated(&emulator).await;
    let reference = fixture("graph_alert.json");

    // One alert: the example plus the `@odata.context` annotation Graph puts on an entity
    // (the reference shows it on the collection, section 3.11).
    let mut get_reference = reference.clone();
    get_reference["@odata.context"] = reference_page()["@odata.context"].clone();
    let got = get(&format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        full.id
    ))
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_shape(
        "a fully populated Graph alert",
        &got.body,
        &get_reference,
        Rules {
            open: &["additionalDetails"],
            ..STRICT
        },
    );
    // The crypto-mining details carry the example's keys, Graph's casing.
    assert_eq!(
        keys(&got.body["additionalDetails"]),
        keys(&reference["additionalDetails"])
    );
    assert!(
        got.body["additionalDetails"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_string)
    );

    // A page with every envelope annotation; its items, whatever their state, write every
    // property (null where the alert has none: section 3.4 allows it for all but the id).
    let got = get(&alerts_url(
        &emulator,
        &[("$count", "true"), ("$top", "50")],
    ))
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["value"].as_array().unwrap().len(), 50);
    assert_shape(
        "a Graph list page",
        &got.body,
        &reference_page(),
        Rules {
            nullable: &["*"],
            open: &["value[].additionalDetails"],
            ..STRICT
        },
    );
    // The fully populated alert, as listed, without nulls.
    let (items, _) = list_all(&alerts_url(&emulator, &[])).await;
    let listed = items
        .iter()
        .find(|i| i["id"] == full.id.as_str())
        .expect("listed");
    assert_shape(
        "a fully populated Graph alert in a list",
        listed,
        &reference,
        Rules {
            open: &["additionalDetails"],
            ..STRICT
        },
    );

    // The example itself, stored and served back.
    let example: Alert = serde_json::from_value(reference.clone()).unwrap();
    emulator.insert_alert(example.clone());
    let got = get(&format!(
        "{}/security/partner/securityAlerts/{}",
        emulator.graph_base_url(),
        example.id
    ))
    .await;
    assert_shape(
        "the reference's alert served back",
        &got.body,
        &get_reference,
        STRICT,
    );
    assert_eq!(
        got.body["additionalDetails"],
        reference["additionalDetails"]
    );
}

/// The reference's new-model event: the legacy fields (section 4.4) plus the new ones (4.5).
fn reference_new_model_event() -> Value {
    let mut event: Map<String, Value> = fixture("fraud_event_legacy.json")[0]
        .as_object()
        .unwrap()
        .clone();
    for (k, v) in fixture("fraud_event_new_model.json").as_object().unwrap() {
        event.insert(k.clone(), v.clone());
    }
    Value::Object(event)
}

const NEW_MODEL_RULES: Rules<'static> = Rules {
    complete: true,
    nullable: &[],
    open: &["additionalDetails"],
    json_in_string: &["activityLogs"],
};

/// Checks a FraudEvents array: every event's keys and types, and the fully populated event
/// (`full_event_id`) complete.
#[track_caller]
fn assert_events(what: &str, body: &Value, new_model: bool, full_event_id: &str) {
    let reference = if new_model {
        reference_new_model_event()
    } else {
        fixture("fraud_event_legacy.json")[0].clone()
    };
    let rules = if new_model { NEW_MODEL_RULES } else { STRICT };
    let events = body
        .as_array()
        .unwrap_or_else(|| panic!("{what}: an array: {body}"));
    assert!(!events.is_empty(), "{what}: events");
    let mut full = None;
    for e in events {
        if e["eventId"] == full_event_id {
            full = Some(e);
        }
        assert_shape(
            what,
            e,
            &reference,
            Rules {
                complete: false,
                ..rules
            },
        );
    }
    let full = full.unwrap_or_else(|| panic!("{what}: the fully populated event is served"));
    assert_shape(&format!("{what}, fully populated"), full, &reference, rules);
    if new_model {
        // The crypto-mining details in Partner Center's casing, and real history entries.
        assert_eq!(
            keys(&full["additionalDetails"]),
            keys(&reference["additionalDetails"])
        );
        let logs: Value = serde_json::from_str(full["activityLogs"].as_str().unwrap()).unwrap();
        assert!(!logs.as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn fraud_events_in_both_models() {
    let emulator = start(300).await;
    let full = fully_populated(&emulator).await;
    let event_id = emulator.event_id(&full.id).unwrap().to_string();
    let base = format!("{}/v1/fraudEvents", emulator.partner_center_base_url());

    let got = get(&base).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_events("a legacy FraudEvents list", &got.body, false, &event_id);
    let got = get_with(&base, &[NEW_MODEL]).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_events("a new-model FraudEvents list", &got.body, true, &event_id);

    // The status update answers with the events in the same shapes.
    let sub = full.subscription_id.clone().unwrap();
    let url = format!("{base}/subscription/{sub}/status");
    let body =
        json!({"EventIds": [event_id], "EventStatus": "Resolved", "ResolvedReason": "Fraud"});
    let got = post_with(&url, &body, &[]).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_events("a legacy status update answer", &got.body, false, &event_id);
    let got = post_with(&url, &body, &[NEW_MODEL]).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_events(
        "a new-model status update answer",
        &got.body,
        true,
        &event_id,
    );
}

#[tokio::test]
async fn errors_and_throttling_bodies() {
    let emulator = start(5).await;
    let graph_error = fixture("graph_error.json");
    let pc_error = fixture("partner_center_error.json");
    let alerts = alerts_url(&emulator, &[]);
    let events = format!("{}/v1/fraudEvents", emulator.partner_center_base_url());

    // Graph errors: a 404, and the injected 500 and 503.
    let got = get(&format!("{alerts}/no-such-alert")).await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert_shape("a Graph 404", &got.body, &graph_error, STRICT);
    for kind in [
        FaultKind::InternalServerError,
        FaultKind::ServiceUnavailable,
    ] {
        emulator.fail_next(1, kind);
        let got = get(&alerts).await;
        assert!(got.status.is_server_error());
        assert_shape(&format!("a Graph {kind}"), &got.body, &graph_error, STRICT);
    }

    // Graph throttling: the example of section 3.16; its innerError also echoes the
    // client-request-id, as Graph does in every error's innerError (sections 3.14, 3.15).
    let mut throttled = fixture("graph_throttled.json");
    throttled["error"]["innerError"]["client-request-id"] =
        graph_error["error"]["innerError"]["client-request-id"].clone();
    emulator.fail_next(1, FaultKind::Throttle);
    let got = get(&alerts).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_shape("a Graph 429", &got.body, &throttled, STRICT);

    // Partner Center errors: a 400, a 404, the injected 500 and 503, and its throttling body.
    let got = get(&format!("{events}?EventStatus=Closed")).await;
    assert_eq!(got.status, StatusCode::BAD_REQUEST);
    assert_shape("a Partner Center 400", &got.body, &pc_error, STRICT);
    let got = get(&format!(
        "{}/v1/no-such-resource",
        emulator.partner_center_base_url()
    ))
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert_shape("a Partner Center 404", &got.body, &pc_error, STRICT);
    for kind in [
        FaultKind::InternalServerError,
        FaultKind::ServiceUnavailable,
    ] {
        emulator.fail_next(1, kind);
        let got = get(&events).await;
        assert!(got.status.is_server_error());
        assert_shape(
            &format!("a Partner Center {kind}"),
            &got.body,
            &pc_error,
            STRICT,
        );
    }
    emulator.fail_next(1, FaultKind::Throttle);
    let got = get(&events).await;
    assert_eq!(got.status, StatusCode::TOO_MANY_REQUESTS);
    assert_shape(
        "a Partner Center 429",
        &got.body,
        &fixture("partner_center_throttled.json"),
        STRICT,
    );
}

#[test]
fn the_comparison_catches_each_kind_of_deviation() {
    let reference = json!({"id": "a", "isTest": false, "logs": [{"statusFrom": "active"}]});
    let check = |served: Value, rules: Rules<'_>| {
        let mut out = Vec::new();
        compare(&served, &reference, "", rules, &mut out);
        out
    };
    let ok = json!({"id": "b", "isTest": true, "logs": [{"statusFrom": "resolved"}]});
    assert!(check(ok, STRICT).is_empty());
    let cases = [
        (json!({"id": "b", "IsTest": true, "logs": []}), "IsTest"),
        (json!({"id": "b", "isTest": "true", "logs": []}), "isTest"),
        (json!({"id": "b", "logs": []}), "isTest: missing"),
        (
            json!({"id": "b", "isTest": null, "logs": []}),
            "isTest: null",
        ),
        (
            json!({"id": "b", "isTest": true, "logs": [{"statusfrom": "x"}]}),
            "logs[].statusfrom",
        ),
    ];
    for (served, want) in cases {
        let out = check(served.clone(), STRICT);
        assert!(out.iter().any(|e| e.contains(want)), "{served}: {out:?}");
    }
    // Null is allowed where the rules say so, but never for the id.
    let nullable = Rules {
        nullable: &["*"],
        ..STRICT
    };
    assert!(check(json!({"id": "b", "isTest": null, "logs": null}), nullable).is_empty());
    assert!(!check(json!({"id": null, "isTest": true, "logs": []}), nullable).is_empty());
    // Not complete: a missing key is fine, an unknown one is not.
    let partial = Rules {
        complete: false,
        ..STRICT
    };
    assert!(check(json!({"id": "b"}), partial).is_empty());
    assert!(!check(json!({"id": "b", "extra": 1}), partial).is_empty());
}
