//! The Partner Center response actions over raw HTTP (reference sections 10.8 to 10.10):
//! cancelling and reactivating Azure subscriptions, suspending and reactivating
//! subscriptions with `PATCH` and `If-Match`, the state the directory's reads then show, on
//! the fixed clock moved with `set_now`.

mod common;

use std::time::Duration;

use chrono::TimeDelta;
use common::*;
use partner_alerts_emulator::Emulator;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const LEGACY: &str = "MS-AZR-0145P";

/// A customer with an Azure plan: its tenant id, plan id and Azure subscription ids.
struct PlanCustomer {
    tenant: String,
    plan: String,
    subscriptions: Vec<String>,
}

async fn plan_customer(emu: &Emulator) -> PlanCustomer {
    let mut found = None;
    for alert in emu.alerts() {
        if alert.catalog_offer_id.as_deref() == Some(LEGACY) {
            continue;
        }
        let tenant = alert.customer_tenant_id.unwrap().as_str().to_owned();
        let plan = emu.azure_plan_id(&tenant).expect("an Azure plan");
        let list = get(&format!(
            "{}/v1/customers/{tenant}/subscriptions/{plan}/azureEntitlements",
            emu.partner_center_base_url()
        ))
        .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let subscriptions: Vec<String> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        let several = subscriptions.len() >= 2;
        found = Some(PlanCustomer {
            tenant,
            plan,
            subscriptions,
        });
        // One with several Azure subscriptions, so that the others are seen untouched.
        if several {
            break;
        }
    }
    found.expect("an Azure plan customer")
}

/// A legacy customer's tenant id and one of its Azure subscription ids (its alert's).
fn legacy_customer(emu: &Emulator) -> (String, String) {
    let alert = emu
        .alerts()
        .into_iter()
        .find(|a| a.catalog_offer_id.as_deref() == Some(LEGACY))
        .expect("a legacy customer among the alerts");
    let tenant = alert.customer_tenant_id.unwrap().as_str().to_owned();
    assert_eq!(emu.azure_plan_id(&tenant), None);
    (tenant, alert.subscription_id.unwrap().as_str().to_owned())
}

/// Any request with a bearer token, a raw body (sent as JSON when some) and headers.
async fn send(method: Method, url: &str, body: Option<&str>, headers: &[(&str, &str)]) -> Got {
    let mut req = client().request(method, url).bearer_auth("test-token");
    if let Some(body) = body {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.send().await.expect("the request is answered")).await
}

fn entitlement_url(emu: &Emulator, c: &PlanCustomer, id: &str) -> String {
    format!(
        "{}/v1/customers/{}/subscriptions/{}/azureEntitlements/{id}",
        emu.partner_center_base_url(),
        c.tenant,
        c.plan
    )
}

async fn cancel(url: &str) -> Got {
    send(
        Method::POST,
        &format!("{url}/cancel"),
        Some(r#"{"cancellationReason": "compromise"}"#),
        &[],
    )
    .await
}

async fn reactivate(url: &str) -> Got {
    send(Method::POST, &format!("{url}/reactivate"), None, &[]).await
}

/// The entitlement's status in the list and in the single read (which must agree).
async fn status_read(emu: &Emulator, c: &PlanCustomer, id: &str) -> String {
    let one = get(&entitlement_url(emu, c, id)).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let list = get(&format!(
        "{}/v1/customers/{}/subscriptions/{}/azureEntitlements",
        emu.partner_center_base_url(),
        c.tenant,
        c.plan
    ))
    .await;
    let listed = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(listed, one.body);
    assert_eq!(
        emu.entitlement_status(&c.tenant, id).as_deref(),
        one.body["status"].as_str()
    );
    one.body["status"].as_str().unwrap().to_owned()
}

fn pc_error(got: &Got, status: StatusCode, code: u64) -> String {
    assert_eq!(got.status, status, "{}", got.body);
    assert_eq!(got.body["code"], code, "{}", got.body);
    got.body["description"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_cancellation_takes_effect_after_the_delay() {
    let emu = builder(200)
        .entitlement_delay(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let c = plan_customer(&emu).await;
    let id = &c.subscriptions[0];
    let url = entitlement_url(&emu, &c, id);
    let got = cancel(&url).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["id"], id.as_str());
    assert_eq!(got.body["subscriptionId"], c.plan.as_str());
    assert!(got.body["friendlyName"].is_string());
    assert_eq!(got.body["status"], "active", "still active while it runs");
    assert_eq!(status_read(&emu, &c, id).await, "active");

    emu.set_now(now() + TimeDelta::seconds(599));
    assert_eq!(status_read(&emu, &c, id).await, "active");
    emu.set_now(now() + TimeDelta::seconds(600));
    assert_eq!(status_read(&emu, &c, id).await, "inactive");
    // The others are untouched.
    assert!(c.subscriptions.len() >= 2);
    for other in &c.subscriptions[1..] {
        assert_eq!(status_read(&emu, &c, other).await, "active");
    }

    // Again: accepted, nothing changes.
    let again = cancel(&url).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["status"], "inactive");
    assert_eq!(emu.stats().entitlement_cancels, 2);
}

#[tokio::test]
async fn without_a_delay_the_cancellation_shows_at_once() {
    let emu = start(200).await;
    let c = plan_customer(&emu).await;
    let id = &c.subscriptions[0];
    // Ids in another case, the key and the reason in other cases.
    let url = format!(
        "{}/v1/customers/{}/subscriptions/{}/azureEntitlements/{}/cancel",
        emu.partner_center_base_url(),
        c.tenant.to_uppercase(),
        c.plan.to_uppercase(),
        id.to_uppercase()
    );
    let got = send(
        Method::POST,
        &url,
        Some(r#"{"CancellationReason": "Compromise"}"#),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "inactive");
    assert_eq!(got.body["id"], id.as_str());
    assert_eq!(status_read(&emu, &c, id).await, "inactive");
}

#[tokio::test]
async fn refused_cancellations_change_nothing() {
    let emu = start(200).await;
    let pc = emu.partner_center_base_url();
    let c = plan_customer(&emu).await;
    let id = &c.subscriptions[0];
    let url = entitlement_url(&emu, &c, id);
    let cancel_url = format!("{url}/cancel");

    let got = send(
        Method::POST,
        &cancel_url,
        Some(r#"{"cancellationReason": "fraud"}"#),
        &[],
    )
    .await;
    let d = pc_error(&got, StatusCode::BAD_REQUEST, 900307);
    assert_eq!(d, "Cancellation reason 'fraud' is invalid");
    let got = send(Method::POST, &cancel_url, Some("{}"), &[]).await;
    pc_error(&got, StatusCode::BAD_REQUEST, 900307);

    for body in [None, Some(""), Some("compromise"), Some("null")] {
        let got = send(Method::POST, &cancel_url, body, &[]).await;
        let d = pc_error(&got, StatusCode::BAD_REQUEST, 800002);
        assert_eq!(
            d, "The Azure entitlement cancellation request content is required",
            "{body:?}"
        );
    }

    let unknown = "00000000-0000-4000-8000-000000000000";
    let got = cancel(&entitlement_url(&emu, &c, unknown)).await;
    let d = pc_error(&got, StatusCode::NOT_FOUND, 800111);
    assert!(d.contains(unknown), "{d}");

    let got = cancel(&format!(
        "{pc}/v1/customers/{}/subscriptions/{unknown}/azureEntitlements/{id}",
        c.tenant
    ))
    .await;
    let d = pc_error(&got, StatusCode::NOT_FOUND, 20003);
    assert_eq!(d, format!("Subscription with ID {unknown} not found"));

    // A legacy customer has no Azure plan.
    let (legacy, sub) = legacy_customer(&emu);
    let got = cancel(&format!(
        "{pc}/v1/customers/{legacy}/subscriptions/{sub}/azureEntitlements/{sub}"
    ))
    .await;
    pc_error(&got, StatusCode::NOT_FOUND, 20003);

    let got = cancel(&format!(
        "{pc}/v1/customers/{unknown}/subscriptions/{}/azureEntitlements/{id}",
        c.plan
    ))
    .await;
    pc_error(&got, StatusCode::NOT_FOUND, 60003);
    let got = cancel(&format!(
        "{pc}/v1/customers/contoso/subscriptions/{}/azureEntitlements/{id}",
        c.plan
    ))
    .await;
    pc_error(&got, StatusCode::BAD_REQUEST, 800002);

    assert_eq!(status_read(&emu, &c, id).await, "active");
    assert_eq!(emu.stats().entitlement_cancels, 11);
}

#[tokio::test]
async fn reactivation_after_a_cancellation() {
    let emu = builder(200)
        .entitlement_delay(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let c = plan_customer(&emu).await;
    let id = &c.subscriptions[0];
    let url = entitlement_url(&emu, &c, id);

    let got = reactivate(&url).await;
    let d = pc_error(&got, StatusCode::BAD_REQUEST, 900337);
    assert!(
        d.starts_with(&format!(
            "Partner cannot reactivate Azure entitlement with ID {id}"
        )),
        "{d}"
    );

    assert_eq!(cancel(&url).await.status, StatusCode::OK);
    emu.set_now(now() + TimeDelta::seconds(60));
    assert_eq!(status_read(&emu, &c, id).await, "inactive");

    // A body is ignored.
    let got = send(Method::POST, &format!("{url}/reactivate"), Some("{}"), &[]).await;
    assert_eq!(got.status, StatusCode::ACCEPTED);
    assert_eq!(got.body, Value::Null, "no body");
    assert_eq!(status_read(&emu, &c, id).await, "inactive", "not yet");
    emu.set_now(now() + TimeDelta::seconds(120));
    assert_eq!(status_read(&emu, &c, id).await, "active");

    let got = reactivate(&url).await;
    pc_error(&got, StatusCode::BAD_REQUEST, 900337);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let got = reactivate(&entitlement_url(&emu, &c, unknown)).await;
    pc_error(&got, StatusCode::NOT_FOUND, 800111);
    let stats = emu.stats();
    assert_eq!(stats.entitlement_reactivations, 4);
    assert_eq!(stats.entitlement_cancels, 1);
}

#[tokio::test]
async fn a_legacy_subscription_is_suspended_with_its_etag() {
    let emu = start(200).await;
    let pc = emu.partner_center_base_url();
    let (tenant, sub) = legacy_customer(&emu);
    let url = format!(
        "{pc}/v1/customers/{tenant}/subscriptions/{}",
        sub.to_uppercase()
    );
    let before = get(&url).await;
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(before.body["status"], "active");
    assert_eq!(before.body["attributes"]["objectType"], "Subscription");
    let etag = before.body["attributes"]["etag"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut body = before.body.clone();
    body["status"] = json!("suspended");
    let quoted = format!("\"{etag}\"");
    let got = send(
        Method::PATCH,
        &url,
        Some(&body.to_string()),
        &[("If-Match", &quoted)],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "suspended");
    assert_eq!(got.body["id"], before.body["id"]);
    let new_etag = got.body["attributes"]["etag"].as_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let after = get(&url).await;
    assert_eq!(after.body, got.body);
    assert_eq!(
        emu.subscription_status(&tenant, &sub).as_deref(),
        Some("suspended")
    );
    // In the list too.
    let list = get(&format!("{pc}/v1/customers/{tenant}/subscriptions")).await;
    assert!(
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == &got.body)
    );

    // The whole subscription came back.
    let sent = emu.subscription_patch_bodies().pop().unwrap();
    for key in [
        "autoRenewEnabled",
        "billingType",
        "friendlyName",
        "entitlementId",
    ] {
        assert_eq!(sent[key], before.body[key], "{key}");
    }

    // The stale ETag is refused, and nothing changes.
    let mut active = got.body.clone();
    active["status"] = json!("active");
    let got = send(
        Method::PATCH,
        &url,
        Some(&active.to_string()),
        &[("If-Match", &quoted)],
    )
    .await;
    let d = pc_error(&got, StatusCode::BAD_REQUEST, 2055);
    assert_eq!(d, "Etag is no longer valid");
    assert_eq!(get(&url).await.body["status"], "suspended");

    // Reactivated, the ETag unquoted, the keys in another case, the id in lower case.
    let got = send(
        Method::PATCH,
        &url,
        Some(&json!({"Id": sub.to_lowercase(), "Status": "Active"}).to_string()),
        &[("If-Match", &new_etag)],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "active");

    // Without If-Match: accepted and counted.
    let id = before.body["id"].as_str().unwrap();
    let got = send(
        Method::PATCH,
        &url,
        Some(&json!({"id": id, "status": "active"}).to_string()),
        &[],
    )
    .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);

    let no_status = json!({"id": id, "status": "cancelled"}).to_string();
    for bad in [no_status.as_str(), "{}", "not json"] {
        let got = send(Method::PATCH, &url, Some(bad), &[]).await;
        pc_error(&got, StatusCode::BAD_REQUEST, 800002);
    }
    let unknown = "00000000-0000-4000-8000-000000000000";
    let got = send(
        Method::PATCH,
        &format!("{pc}/v1/customers/{tenant}/subscriptions/{unknown}"),
        Some(&json!({"id": unknown, "status": "suspended"}).to_string()),
        &[],
    )
    .await;
    pc_error(&got, StatusCode::NOT_FOUND, 20003);

    let stats = emu.stats();
    assert_eq!(stats.subscription_patches, 8);
    assert_eq!(stats.patches_without_if_match, 5);
    let bodies = emu.subscription_patch_bodies();
    assert_eq!(bodies.len(), 8);
    assert_eq!(bodies[6], Value::String("not json".to_owned()));
}

#[tokio::test]
async fn an_azure_plan_is_suspended_once_its_subscriptions_are_cancelled() {
    let emu = builder(200)
        .entitlement_delay(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let pc = emu.partner_center_base_url();
    let c = plan_customer(&emu).await;
    let url = format!("{pc}/v1/customers/{}/subscriptions/{}", c.tenant, c.plan);

    let patch_status = |status: &'static str| {
        let url = url.clone();
        async move {
            let current = get(&url).await;
            assert_eq!(current.status, StatusCode::OK);
            let etag = format!(
                "\"{}\"",
                current.body["attributes"]["etag"].as_str().unwrap()
            );
            let mut body = current.body.clone();
            body["status"] = json!(status);
            send(
                Method::PATCH,
                &url,
                Some(&body.to_string()),
                &[("If-Match", &etag)],
            )
            .await
        }
    };

    let got = patch_status("suspended").await;
    let d = pc_error(&got, StatusCode::FORBIDDEN, 900115);
    assert_eq!(
        d,
        "Azure plan can't be moved to suspended state since you have one or more Azure Subscriptions in the active state"
    );
    for id in &c.subscriptions {
        assert_eq!(
            cancel(&entitlement_url(&emu, &c, id)).await.status,
            StatusCode::OK
        );
    }
    // Being cancelled is still running.
    let got = patch_status("suspended").await;
    pc_error(&got, StatusCode::FORBIDDEN, 900115);
    assert_eq!(get(&url).await.body["status"], "active");

    emu.set_now(now() + TimeDelta::minutes(10));
    let got = patch_status("suspended").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "suspended");
    assert_eq!(
        emu.subscription_status(&c.tenant, &c.plan).as_deref(),
        Some("suspended")
    );

    // Nothing is reactivated under a suspended plan.
    let first = entitlement_url(&emu, &c, &c.subscriptions[0]);
    let got = reactivate(&first).await;
    pc_error(&got, StatusCode::BAD_REQUEST, 900337);

    let got = patch_status("active").await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "active");
    assert_eq!(reactivate(&first).await.status, StatusCode::ACCEPTED);

    let stats = emu.stats();
    assert_eq!(stats.subscription_patches, 4);
    assert_eq!(stats.patches_without_if_match, 0);
    assert_eq!(stats.entitlement_cancels, c.subscriptions.len() as u64);
    assert_eq!(stats.entitlement_reactivations, 2);
}

#[tokio::test]
async fn other_methods_are_405s() {
    let emu = start(200).await;
    let c = plan_customer(&emu).await;
    let pc = emu.partner_center_base_url();
    let sub = format!("{pc}/v1/customers/{}/subscriptions/{}", c.tenant, c.plan);
    let ent = entitlement_url(&emu, &c, &c.subscriptions[0]);
    for (method, url, allow) in [
        (Method::DELETE, sub.clone(), "GET, PATCH"),
        (Method::POST, sub.clone(), "GET, PATCH"),
        (Method::GET, format!("{ent}/cancel"), "POST"),
        (Method::DELETE, format!("{ent}/reactivate"), "POST"),
        (Method::PATCH, ent.clone(), "GET"),
        (Method::DELETE, ent.clone(), "GET"),
    ] {
        let got = send(method.clone(), &url, None, &[]).await;
        assert_eq!(got.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {url}");
        assert_eq!(got.header("allow"), Some(allow), "{method} {url}");
    }
    let stats = emu.stats();
    assert_eq!(
        (
            stats.entitlement_cancels,
            stats.entitlement_reactivations,
            stats.subscription_patches
        ),
        (0, 0, 0)
    );
    assert_eq!(
        emu.entitlement_status(&c.tenant, &c.subscriptions[0])
            .as_deref(),
        Some("active")
    );
}

/// A legacy subscription's URL (its id in upper case, as the emulator writes it).
fn legacy_url(emu: &Emulator, tenant: &str, sub: &str) -> String {
    format!(
        "{}/v1/customers/{tenant}/subscriptions/{}",
        emu.partner_center_base_url(),
        sub.to_uppercase()
    )
}

/// `PATCH`es `body` with the subscription's current ETag.
async fn patch_with_etag(url: &str, body: &Value) -> Got {
    let current = get(url).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.body);
    let etag = format!(
        "\"{}\"",
        current.body["attributes"]["etag"].as_str().unwrap()
    );
    send(
        Method::PATCH,
        url,
        Some(&body.to_string()),
        &[("If-Match", &etag)],
    )
    .await
}

#[tokio::test]
async fn a_patch_body_without_the_subscription_s_id_changes_nothing() {
    let emu = start(200).await;
    let (tenant, sub) = legacy_customer(&emu);
    let url = legacy_url(&emu, &tenant, &sub);
    let before = get(&url).await;
    assert_eq!(before.status, StatusCode::OK);

    let mut missing = before.body.clone();
    missing.as_object_mut().unwrap().remove("id");
    missing["status"] = json!("suspended");
    let mut other = before.body.clone();
    other["id"] = json!("00000000-0000-4000-8000-000000000000");
    other["status"] = json!("suspended");
    let mut entitlement_only = before.body.clone();
    entitlement_only["id"] = json!(null);
    entitlement_only["status"] = json!("suspended");
    let mut not_a_string = before.body.clone();
    not_a_string["id"] = json!(1);
    not_a_string["status"] = json!("suspended");
    for (body, expected) in [
        (&missing, "required"),
        (&entitlement_only, "required"),
        (&other, "does not match"),
        (&not_a_string, "does not match"),
    ] {
        let got = patch_with_etag(&url, body).await;
        let d = pc_error(&got, StatusCode::BAD_REQUEST, 800002);
        assert!(d.contains(expected), "{d}");
    }
    // Checked before the status: a body with only a status names the missing id.
    let got = send(Method::PATCH, &url, Some(r#"{"status": "bogus"}"#), &[]).await;
    let d = pc_error(&got, StatusCode::BAD_REQUEST, 800002);
    assert!(d.contains("id is required"), "{d}");

    // Nothing changed, not even the ETag; every body was recorded.
    assert_eq!(get(&url).await.body, before.body);
    assert_eq!(
        emu.subscription_status(&tenant, &sub).as_deref(),
        Some("active")
    );
    assert_eq!(emu.subscription_patch_bodies().len(), 5);
    assert_eq!(emu.subscription_patch_bodies()[0], missing);

    // The key in any case, the value in any case: accepted.
    let mut good = before.body.clone();
    let id = good.as_object_mut().unwrap().remove("id").unwrap();
    good["ID"] = json!(id.as_str().unwrap().to_lowercase());
    good["status"] = json!("suspended");
    let got = patch_with_etag(&url, &good).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "suspended");
}

#[tokio::test]
async fn a_minimal_patch_body_resets_auto_renew() {
    let emu = start(200).await;
    let (tenant, sub) = legacy_customer(&emu);
    let url = legacy_url(&emu, &tenant, &sub);
    let before = get(&url).await;
    assert_eq!(before.body["autoRenewEnabled"], true);
    let id = before.body["id"].as_str().unwrap().to_owned();

    // The whole subscription back: kept.
    let mut whole = before.body.clone();
    whole["status"] = json!("suspended");
    let got = patch_with_etag(&url, &whole).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["autoRenewEnabled"], true);
    assert_eq!(get(&url).await.body["autoRenewEnabled"], true);

    // Only the id and the status: accepted, and autoRenewEnabled is lost.
    let got = patch_with_etag(&url, &json!({"id": id, "status": "active"})).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["status"], "active");
    assert_eq!(got.body["autoRenewEnabled"], false);
    let after = get(&url).await;
    assert_eq!(after.body["autoRenewEnabled"], false);
    assert_eq!(after.body, got.body);
    // The list shows it too; the customer's other subscriptions keep theirs.
    let list = get(&format!(
        "{}/v1/customers/{tenant}/subscriptions",
        emu.partner_center_base_url()
    ))
    .await;
    for item in list.body["items"].as_array().unwrap() {
        let expected = item["id"] != json!(id);
        assert_eq!(item["autoRenewEnabled"], expected, "{item}");
    }

    // Sending the whole subscription back again keeps what it now is: lost for good.
    let mut whole = after.body.clone();
    whole["status"] = json!("suspended");
    let got = patch_with_etag(&url, &whole).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["autoRenewEnabled"], false);
    // Turned back on only by sending it.
    let mut on = got.body.clone();
    on["autoRenewEnabled"] = json!(true);
    let got = patch_with_etag(&url, &on).await;
    assert_eq!(got.body["autoRenewEnabled"], true);

    // An Azure plan starts with it on as well.
    let c = plan_customer(&emu).await;
    let plan = get(&format!(
        "{}/v1/customers/{}/subscriptions/{}",
        emu.partner_center_base_url(),
        c.tenant,
        c.plan
    ))
    .await;
    assert_eq!(plan.body["autoRenewEnabled"], true);
}

#[tokio::test]
async fn cancel_and_reactivate_want_guids() {
    let emu = start(200).await;
    let pc = emu.partner_center_base_url();
    let c = plan_customer(&emu).await;
    let id = &c.subscriptions[0];
    let plan_hex = c.plan.replace('-', "");
    for (plan, entitlement, named) in [
        ("contoso", id.as_str(), "subscription id 'contoso'"),
        (plan_hex.as_str(), id.as_str(), "subscription id"),
        (
            c.plan.as_str(),
            "my-subscription",
            "entitlement id 'my-subscription'",
        ),
        (c.plan.as_str(), &id[..35], "entitlement id"),
    ] {
        let url = format!(
            "{pc}/v1/customers/{}/subscriptions/{plan}/azureEntitlements/{entitlement}",
            c.tenant
        );
        for got in [
            cancel(&url).await,
            // Before the body: none, and still the id's error.
            send(Method::POST, &format!("{url}/cancel"), None, &[]).await,
            reactivate(&url).await,
        ] {
            let d = pc_error(&got, StatusCode::BAD_REQUEST, 800002);
            assert!(d.contains(named) && d.contains("not a valid GUID"), "{d}");
        }
    }
    // The customer's id is checked first.
    let got = cancel(&format!(
        "{pc}/v1/customers/contoso/subscriptions/plan/azureEntitlements/{id}"
    ))
    .await;
    let d = pc_error(&got, StatusCode::BAD_REQUEST, 800002);
    assert!(d.contains("customer id 'contoso'"), "{d}");

    assert_eq!(status_read(&emu, &c, id).await, "active");
    let stats = emu.stats();
    assert_eq!(
        (stats.entitlement_cancels, stats.entitlement_reactivations),
        (9, 4)
    );
}

#[tokio::test]
async fn a_restarted_emulator_keeps_the_actions_state() {
    let dir = std::env::temp_dir().join(format!(
        "partner-alerts-emulator-actions-restart-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let delay = Duration::from_secs(600);
    let on_disk = || -> Value { serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap() };

    let first = builder(200)
        .entitlement_delay(delay)
        .state_file(&path)
        .start()
        .await
        .unwrap();
    assert!(on_disk().get("actions").is_none(), "nothing changed yet");
    let c = plan_customer(&first).await;
    let (done, pending, untouched) = (&c.subscriptions[0], &c.subscriptions[1], &c.subscriptions);
    assert_eq!(
        cancel(&entitlement_url(&first, &c, done)).await.status,
        StatusCode::OK
    );
    first.set_now(now() + TimeDelta::seconds(600));
    assert_eq!(status_read(&first, &c, done).await, "inactive");
    // Cancelled at +600 s: inactive at +1200 s.
    assert_eq!(
        cancel(&entitlement_url(&first, &c, pending)).await.status,
        StatusCode::OK
    );
    let (tenant, sub) = legacy_customer(&first);
    let url = legacy_url(&first, &tenant, &sub);
    let id = get(&url).await.body["id"].as_str().unwrap().to_owned();
    let stale = get(&url).await.body["attributes"]["etag"].clone();
    let got = patch_with_etag(&url, &json!({"id": id, "status": "suspended"})).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    let suspended = get(&url).await.body;
    assert_eq!(suspended["autoRenewEnabled"], false);
    first.shutdown().await;
    assert!(on_disk()["actions"].is_object(), "{}", on_disk()["actions"]);

    // Restarted at +600 s (another seed: the file's wins).
    let second = Emulator::builder()
        .seed(99)
        .now(now() + TimeDelta::seconds(600))
        .entitlement_delay(delay)
        .state_file(&path)
        .start()
        .await
        .unwrap();
    let url = legacy_url(&second, &tenant, &sub);
    assert_eq!(status_read(&second, &c, done).await, "inactive");
    assert_eq!(
        status_read(&second, &c, pending).await,
        "active",
        "still being cancelled"
    );
    for other in &untouched[2..] {
        assert_eq!(status_read(&second, &c, other).await, "active");
    }
    assert_eq!(
        get(&url).await.body,
        suspended,
        "status, ETag and autoRenewEnabled"
    );
    assert_eq!(
        second.subscription_status(&tenant, &sub).as_deref(),
        Some("suspended")
    );
    assert!(second.subscription_patch_bodies().is_empty(), "not kept");
    // The ETag from before the suspension is still stale.
    let got = send(
        Method::PATCH,
        &url,
        Some(&json!({"id": id, "status": "active"}).to_string()),
        &[("If-Match", stale.as_str().unwrap())],
    )
    .await;
    pc_error(&got, StatusCode::BAD_REQUEST, 2055);
    // The cancellation under way completes on time.
    second.set_now(now() + TimeDelta::seconds(1200));
    assert_eq!(status_read(&second, &c, pending).await, "inactive");
    // Changes go on being written: a reactivation, after a restart, is still under way.
    assert_eq!(
        reactivate(&entitlement_url(&second, &c, done)).await.status,
        StatusCode::ACCEPTED
    );
    drop(second);
    let third = builder(200)
        .now(now() + TimeDelta::seconds(1200))
        .entitlement_delay(delay)
        .state_file(&path)
        .start()
        .await
        .unwrap();
    assert_eq!(status_read(&third, &c, done).await, "inactive");
    third.set_now(now() + TimeDelta::seconds(1800));
    assert_eq!(status_read(&third, &c, done).await, "active");
    third.shutdown().await;

    // A file without the section (as written before it existed) loads: everything active.
    let mut older = on_disk();
    older.as_object_mut().unwrap().remove("actions");
    std::fs::write(&path, serde_json::to_vec(&older).unwrap()).unwrap();
    let fourth = builder(200).state_file(&path).start().await.unwrap();
    assert_eq!(status_read(&fourth, &c, pending).await, "active");
    let got = get(&legacy_url(&fourth, &tenant, &sub)).await;
    assert_eq!(got.body["status"], "active");
    assert_eq!(got.body["autoRenewEnabled"], true);
    fourth.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
