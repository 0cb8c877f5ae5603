//! The security score served by the emulator, read as plain JSON (not through the library's
//! types) and held to section 11's examples in `testdata/score/`: the same keys with the
//! documented JSON types (numbers as numbers where an example quotes them), `@odata.type`
//! on every requirement, enum values as Graph's SDKs spell them; the four operations, the
//! `$expand` form, 404s, and the customer insights paged to the end.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

fn example(name: &str) -> Value {
    let path = format!("{}/../testdata/score/{name}", env!("CARGO_MANIFEST_DIR"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The documentation's wrapper (open question Q51) is not Graph's shape: compare inside it.
    match v.get("value") {
        Some(inner @ Value::Object(_)) => inner.clone(),
        _ => v,
    }
}

fn score_url(emu: &partner_alerts_emulator::Emulator, rest: &str) -> String {
    format!(
        "{}/security/partner/securityScore{rest}",
        emu.graph_base_url()
    )
}

/// The JSON type the documentation means: a number quoted in an example (`"1.2"`, `"20"`,
/// a quirk of the examples) is a number.
fn documented_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(s) if s.parse::<f64>().is_ok() => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key of `example` is in `served`, with the documented type; objects recursively.
fn same_shape(example: &Value, served: &Value, path: &str) {
    let (Value::Object(e), Value::Object(s)) = (example, served) else {
        panic!("{path}: not objects: {served}");
    };
    for (k, ev) in e {
        let at = format!("{path}.{k}");
        let sv = s
            .get(k)
            .unwrap_or_else(|| panic!("{at} is missing from {served}"));
        if k == "@odata.type" {
            // Graph writes it with its '#'; one example omits it.
            assert_eq!(
                sv.as_str().unwrap().trim_start_matches('#'),
                ev.as_str().unwrap().trim_start_matches('#'),
                "{at}"
            );
            assert!(sv.as_str().unwrap().starts_with('#'), "{at}");
            continue;
        }
        assert_eq!(documented_kind(sv), documented_kind(ev), "{at}: {sv}");
        if matches!(sv, Value::String(_)) && documented_kind(ev) == "number" {
            panic!("{at}: a number is served as a string: {sv}");
        }
        if ev.is_object() {
            same_shape(ev, sv, &at);
        }
    }
}

#[tokio::test]
async fn every_example_has_its_shape_in_the_emulators_answers() {
    let emu = start(300).await;
    let score = get(&score_url(&emu, "")).await;
    assert_eq!(score.status, StatusCode::OK, "{}", score.body);
    same_shape(&example("score_get.json"), &score.body, "$");
    assert!(score.body.get("value").is_none(), "not wrapped in value");
    assert!(
        score.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#security/partner/securityScore/$entity")
    );

    let requirements = get(&score_url(&emu, "/requirements")).await;
    let list = requirements.body["value"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    let by_type = |name: &str| {
        list.iter()
            .find(|r| r["@odata.type"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no {name} in {list:?}"))
    };
    same_shape(
        &example("requirement_response_time.json"),
        by_type(".responseTimeSecurityRequirement"),
        "$.value[responseTime]",
    );
    same_shape(
        &example("requirement_admins_mfa.json"),
        by_type(".adminsMfaEnforcedSecurityRequirement"),
        "$.value[adminsMfa]",
    );
    by_type(".securityRequirement");
    let spending = by_type(".customersSpendingBudgetSecurityRequirement");
    assert!(spending["totalCustomersCount"].is_number());
    let customers_mfa = by_type(".customersMfaEnforcedSecurityRequirement");
    assert_eq!(customers_mfa["totalTenantCount"], 300);
    for r in list {
        let status = r["complianceStatus"].as_str().unwrap();
        assert!(
            ["compliant", "noncomplaint"].contains(&status),
            "the SDKs' spelling: {status}"
        );
        assert_eq!(r["state"], "active");
        for key in ["score", "maxScore"] {
            assert!(r[key].is_i64(), "{key}: {r}");
        }
    }

    let history = get(&score_url(&emu, "/history")).await;
    let entries = history.body["value"].as_array().unwrap();
    let doc = example("history_list.json");
    for e in entries {
        same_shape(&doc["value"][0], e, "$.value[history]");
    }
    // Today's entry is the score now.
    assert_eq!(entries.last().unwrap()["score"], score.body["currentScore"]);

    let insights = get(&score_url(&emu, "/customerInsights")).await;
    let doc = example("customer_insights_list.json");
    for i in insights.body["value"].as_array().unwrap() {
        same_shape(&doc["value"][0], i, "$.value[insight]");
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn gets_by_id_expand_and_the_errors() {
    let emu = start(50).await;
    let listed = get(&score_url(&emu, "/requirements")).await.body["value"].clone();
    let one = get(&score_url(
        &emu,
        "/requirements/securityAlertsPromptlyResolved",
    ))
    .await;
    assert_eq!(one.status, StatusCode::OK);
    let mut without_context = one.body.clone();
    without_context
        .as_object_mut()
        .unwrap()
        .remove("@odata.context");
    assert!(listed.as_array().unwrap().contains(&without_context));

    let history = get(&score_url(&emu, "/history")).await.body["value"].clone();
    let id = history[3]["id"].as_str().unwrap();
    let entry = get(&score_url(&emu, &format!("/history/{id}"))).await;
    assert_eq!(entry.body["score"], history[3]["score"]);

    let expanded = get(&score_url(&emu, "?$expand=requirements,history")).await;
    assert_eq!(expanded.body["requirements"], listed);
    assert_eq!(expanded.body["history"], history);

    let missing = get(&score_url(&emu, "/requirements/nope")).await;
    graph_error(&missing, StatusCode::NOT_FOUND, "itemNotFound");
    let top = get(&score_url(&emu, "/customerInsights?$top=5")).await;
    graph_error(&top, StatusCode::BAD_REQUEST, "BadRequest");
    let bad_expand = get(&score_url(&emu, "?$expand=customers")).await;
    graph_error(&bad_expand, StatusCode::BAD_REQUEST, "BadRequest");
    let write = patch(&score_url(&emu, ""), &serde_json::json!({})).await;
    graph_error(&write, StatusCode::METHOD_NOT_ALLOWED, "notAllowed");
    let anonymous = client().get(score_url(&emu, "")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    emu.shutdown().await;
}

#[tokio::test]
async fn customer_insights_page_to_the_end_one_per_customer() {
    let emu = builder(20).page_size(64).start().await.unwrap();
    let (items, pages) = list_all(&score_url(&emu, "/customerInsights")).await;
    assert_eq!(pages, 5, "300 customers in pages of 64");
    let tenants: std::collections::HashSet<_> = items
        .iter()
        .map(|i| i["tenantId"].as_str().unwrap())
        .collect();
    assert_eq!(tenants.len(), 300);
    // The alerts' customers are among them.
    for a in emu.alerts() {
        if let Some(t) = &a.customer_tenant_id {
            assert!(tenants.contains(t.as_str()), "{t}");
        }
    }
    emu.shutdown().await;
}
