//! The response actions against httpmock on loopback: the requests of reference sections
//! 10.8 and 10.10 exactly (body, `If-Match`, headers), a `202` without a body, a stale
//! ETag read again once, a `403` naming the roles, and refusals that send nothing.

mod support;

use std::sync::Arc;
use std::time::Duration;

use httpmock::Method::{GET, PATCH, POST};
use httpmock::{Mock, MockServer};
use partner_alerts::auth::StaticToken;
use partner_alerts::enrich::{EntitlementStatus, PartnerCenterDirectory, SubscriptionStatus};
use partner_alerts::http::RetryPolicy;
use partner_alerts::respond::{
    Action, AlertsOutcome, Confirmation, Confirms, Effect, Outcome, Refusal, Responder, Status,
};
use partner_alerts::{Error, GraphClient, SubscriptionId, TenantId};
use serde_json::{Value, json};
use support::sleep::NoSleep;

const CUSTOMER: &str = "eebd1b55-5360-4438-a11d-5c06918c3014";
const OTHER_CUSTOMER: &str = "0bb1b55e-5360-4438-a11d-5c06918c3014";
const PLAN: &str = "5a1c5e5e-0000-4000-8000-00000000a1a1";
const AZURE_SUB: &str = "899ae6f1-8a74-4d5e-b6c6-e6b5019bbff8";
const LEGACY: &str = "a356ac8c-e310-44f4-bf85-c7f29044af99";
const ALERTS: &str = "/beta/security/partner/securityAlerts";

fn responder(server: &MockServer, sleep: Arc<NoSleep>) -> Responder {
    let directory = PartnerCenterDirectory::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new("pc-token"))
        .retry(RetryPolicy::disabled())
        .sleep(sleep)
        .build()
        .unwrap();
    let graph = GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new("graph-token"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    Responder::new(directory, Arc::new(graph))
        .poll_interval(Duration::from_secs(30))
        .max_wait(Duration::from_secs(90))
}

fn customer_mock(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.method(GET).path(format!("/v1/customers/{CUSTOMER}"));
        then.status(200).json_body(json!({
            "id": CUSTOMER,
            "companyProfile": {"tenantId": CUSTOMER, "companyName": "Fabrikam Ltd"}
        }));
    })
}

/// The subscription's alerts as Graph lists them: one open, one resolved, for `customer`.
fn alerts_mock<'a>(server: &'a MockServer, sub: &str, customer: &str) -> Mock<'a> {
    let (sub, customer) = (sub.to_owned(), customer.to_owned());
    server.mock(move |when, then| {
        when.method(GET)
            .path(ALERTS)
            .query_param("$filter", format!("subscriptionId eq '{sub}'"));
        then.status(200).json_body(json!({"value": [
            {"id": "11111111-1111-1111-1111-111111111111", "status": "active",
             "customerTenantId": customer, "subscriptionId": sub},
            {"id": "22222222-2222-2222-2222-222222222222", "status": "resolved",
             "resolvedReason": "fraud", "customerTenantId": customer, "subscriptionId": sub}
        ]}));
    })
}

fn azure_plan_mocks<'a>(server: &'a MockServer, status: &str) -> (Mock<'a>, Mock<'a>) {
    let subs = server.mock(|when, then| {
        when.method(GET)
            .path(format!("/v1/customers/{CUSTOMER}/subscriptions"));
        then.status(200).json_body(json!({"totalCount": 1, "items": [
            {"id": PLAN, "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6", "offerName": "Azure plan", "status": "active"}
        ]}));
    });
    let entitlement = json!({"id": AZURE_SUB, "friendlyName": "Production", "status": status, "subscriptionId": PLAN});
    let list = entitlement.clone();
    server.mock(move |when, then| {
        when.method(GET).path(format!(
            "/v1/customers/{CUSTOMER}/subscriptions/{PLAN}/azureEntitlements"
        ));
        then.status(200)
            .json_body(json!({"totalCount": 1, "items": [list]}));
    });
    let one = server.mock(move |when, then| {
        when.method(GET).path(format!(
            "/v1/customers/{CUSTOMER}/subscriptions/{PLAN}/azureEntitlements/{AZURE_SUB}"
        ));
        then.status(200).json_body(entitlement);
    });
    (subs, one)
}

fn ids() -> (TenantId, SubscriptionId) {
    (
        TenantId::new(CUSTOMER).unwrap(),
        SubscriptionId::new(AZURE_SUB).unwrap(),
    )
}

#[tokio::test]
async fn a_cancel_sends_the_documented_request_and_a_202_without_body_is_accepted() {
    let server = MockServer::start();
    customer_mock(&server);
    alerts_mock(&server, AZURE_SUB, CUSTOMER);
    let (_, entitlement) = azure_plan_mocks(&server, "active");
    let cancel = server.mock(|when, then| {
        when.method(POST)
            .path(format!(
                "/v1/customers/{CUSTOMER}/subscriptions/{PLAN}/azureEntitlements/{AZURE_SUB}/cancel"
            ))
            .header("authorization", "Bearer pc-token")
            .header("content-type", "application/json")
            .header_exists("ms-requestid")
            .header_exists("ms-correlationid")
            .json_body(json!({"cancellationReason": "compromise"}));
        then.status(202)
            .header("content-type", "text/plain")
            .header("ms-requestid", "pc-request-1");
    });
    let sleep = Arc::new(NoSleep::default());
    let responder = responder(&server, sleep.clone());
    let (customer, sub) = ids();

    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    assert_eq!(plan.customer_name(), Some("Fabrikam Ltd"));
    assert!(
        matches!(plan.effect(), Effect::CancelAzureSubscription { azure_plan, .. } if azure_plan == PLAN)
    );
    assert_eq!(
        plan.open_alerts().len(),
        1,
        "the resolved alert is not open"
    );
    assert_eq!(
        plan.confirm_with(),
        Some((Confirms::AzureSubscription, AZURE_SUB))
    );
    let shown = plan.to_string();
    assert!(
        shown.contains("Fabrikam Ltd") && shown.contains("Production"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("Confirm with:  Azure subscription {AZURE_SUB}")),
        "{shown}"
    );
    cancel.assert_calls(0);

    // Still active after 90 s of reads every 30 s (the mock never changes): pending, and
    // the alerts wait.
    let report = responder
        .execute(
            &plan,
            &Confirmation::for_azure_subscription(AZURE_SUB.to_uppercase()),
        )
        .await
        .unwrap();
    cancel.assert_calls(1);
    assert!(
        matches!(report.outcome, Outcome::Pending),
        "{:?}",
        report.outcome
    );
    assert!(matches!(report.alerts, AlertsOutcome::NotYet));
    assert!(!report.is_complete());
    let active = Some(Status::AzureSubscription(EntitlementStatus::Active));
    assert_eq!((&report.before, &report.after), (&active, &active));
    assert_eq!(
        report.request_ids.as_ref().and_then(|i| i.request_id()),
        Some("pc-request-1")
    );
    // Read 1 + 90 / 30 times, 30 s apart (planning again read the plan's list).
    entitlement.assert_calls(4);
    assert_eq!(*sleep.0.lock().unwrap(), vec![Duration::from_secs(30); 3]);
}

#[tokio::test]
async fn a_wrong_confirmation_sends_nothing() {
    let server = MockServer::start();
    customer_mock(&server);
    alerts_mock(&server, AZURE_SUB, CUSTOMER);
    let (_, entitlement) = azure_plan_mocks(&server, "active");
    let writes = server.mock(|when, then| {
        when.method(POST);
        then.status(200);
    });
    let responder = responder(&server, Arc::default());
    let (customer, sub) = ids();
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    let reads = entitlement.calls();
    for wrong in [
        Confirmation::for_azure_subscription("899ae6f1-8a74-4d5e-b6c6-e6b5019bbff9"),
        Confirmation::for_azure_subscription(PLAN),
        Confirmation::for_partner_center_subscription(AZURE_SUB),
        Confirmation::for_azure_subscription(""),
    ] {
        let err = responder.execute(&plan, &wrong).await.unwrap_err();
        match &err {
            Error::InvalidInput(e) => {
                assert_eq!(e.field(), "confirmation");
                assert!(e.reason().contains(AZURE_SUB), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    writes.assert_calls(0);
    assert_eq!(entitlement.calls(), reads, "not even read again");
}

#[tokio::test]
async fn a_cancel_refused_for_want_of_roles_names_them() {
    let server = MockServer::start();
    customer_mock(&server);
    alerts_mock(&server, AZURE_SUB, CUSTOMER);
    azure_plan_mocks(&server, "active");
    server.mock(|when, then| {
        when.method(POST).path_includes("/cancel");
        then.status(403)
            .json_body(json!({"code": 2032, "description": "Access denied"}));
    });
    let responder = responder(&server, Arc::default());
    let (customer, sub) = ids();
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    let err = responder
        .execute(&plan, &Confirmation::for_azure_subscription(AZURE_SUB))
        .await
        .unwrap_err();
    let Error::Forbidden(e) = &err else {
        panic!("{err:?}")
    };
    let needed = e.missing_permission.as_deref().unwrap();
    assert!(
        needed.contains("Global Administrator") && needed.contains("Admin Agent"),
        "{needed}"
    );
}

/// A legacy subscription as Partner Center returns it, with fields a minimal body would
/// lose (Q43), keys in PascalCase as some documented examples have them.
fn legacy_subscription(status: &str, etag: &str) -> Value {
    json!({
        "Id": LEGACY.to_uppercase(), "EntitlementId": LEGACY, "OfferId": "MS-AZR-0145P",
        "OfferName": "Microsoft Azure", "FriendlyName": "Lab", "Quantity": 1,
        "Status": status, "AutoRenewEnabled": true, "BillingType": "usage",
        "Attributes": {"Etag": etag, "ObjectType": "Subscription"}
    })
}

/// The customer, the legacy subscription's alerts, and the subscription, active with
/// `etag-1`, listed and read by id: its path, and the mock of the read.
fn legacy_mocks(server: &MockServer) -> (String, Mock<'_>) {
    customer_mock(server);
    alerts_mock(server, LEGACY, CUSTOMER);
    server.mock(|when, then| {
        when.method(GET)
            .path(format!("/v1/customers/{CUSTOMER}/subscriptions"));
        then.status(200)
            .json_body(json!({"items": [legacy_subscription("active", "etag-1")]}));
    });
    let path = format!(
        "/v1/customers/{CUSTOMER}/subscriptions/{}",
        LEGACY.to_uppercase()
    );
    let get = server.mock(|when, then| {
        when.method(GET).path(path.clone());
        then.status(200)
            .json_body(legacy_subscription("active", "etag-1"));
    });
    (path, get)
}

#[tokio::test]
async fn a_legacy_stop_patches_the_whole_subscription_with_its_etag() {
    let server = MockServer::start();
    let (path, _) = legacy_mocks(&server);
    let patch = server.mock(|when, then| {
        when.method(PATCH)
            .path(path.clone())
            .header("if-match", "\"etag-1\"")
            .header("content-type", "application/json")
            .json_body(legacy_subscription("suspended", "etag-1"));
        then.status(200)
            .json_body(legacy_subscription("suspended", "etag-2"));
    });
    let responder = responder(&server, Arc::default());
    let (customer, sub) = (
        TenantId::new(CUSTOMER).unwrap(),
        SubscriptionId::new(LEGACY).unwrap(),
    );
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap()
        .without_resolving_alerts();
    let Some((Confirms::PartnerCenterSubscription, id)) = plan.confirm_with() else {
        panic!("{plan:?}")
    };
    assert_eq!(id, LEGACY.to_uppercase());
    let report = responder
        .execute(
            &plan,
            &Confirmation::for_partner_center_subscription(LEGACY),
        )
        .await
        .unwrap();
    patch.assert_calls(1);
    assert!(matches!(report.outcome, Outcome::Done));
    assert_eq!(
        report.after,
        Some(Status::Subscription(SubscriptionStatus::Suspended))
    );
    assert!(matches!(report.alerts, AlertsOutcome::LeftAsTheyAre));
}

#[tokio::test]
async fn a_stale_etag_is_read_again_once_then_fails() {
    let server = MockServer::start();
    let (path, get) = legacy_mocks(&server);
    let patch = server.mock(|when, then| {
        when.method(PATCH).path(path.clone());
        then.status(400)
            .json_body(json!({"code": 2055, "description": "Etag is no longer valid"}));
    });
    let responder = responder(&server, Arc::default());
    let (customer, sub) = (
        TenantId::new(CUSTOMER).unwrap(),
        SubscriptionId::new(LEGACY).unwrap(),
    );
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    let err = responder
        .execute(
            &plan,
            &Confirmation::for_partner_center_subscription(LEGACY),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Service(e) if e.code.as_deref() == Some("2055")),
        "{err:?}"
    );
    patch.assert_calls(2);
    // A read before each PATCH.
    get.assert_calls(2);
}

#[tokio::test]
async fn a_subscription_of_another_customer_is_refused_before_sending() {
    let server = MockServer::start();
    customer_mock(&server);
    alerts_mock(&server, AZURE_SUB, CUSTOMER);
    server.mock(|when, then| {
        when.method(GET)
            .path(format!("/v1/customers/{CUSTOMER}/subscriptions"));
        then.status(200).json_body(json!({"items": []}));
    });
    let writes = server.mock(|when, then| {
        when.method(POST);
        then.status(200);
    });
    let responder = responder(&server, Arc::default());
    let (customer, sub) = ids();
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    assert!(
        matches!(plan.refusal(), Some(Refusal::NotTheCustomers { .. })),
        "{plan:?}"
    );
    assert_eq!(plan.confirm_with(), None);
    let err = responder
        .execute(&plan, &Confirmation::for_azure_subscription(AZURE_SUB))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(e) if e.field() == "plan"),
        "{err:?}"
    );
    writes.assert_calls(0);
}

#[tokio::test]
async fn alerts_naming_another_customer_refuse_the_plan() {
    let server = MockServer::start();
    customer_mock(&server);
    alerts_mock(&server, AZURE_SUB, OTHER_CUSTOMER);
    azure_plan_mocks(&server, "active");
    let responder = responder(&server, Arc::default());
    let (customer, sub) = ids();
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    assert_eq!(
        plan.refusal(),
        Some(&Refusal::AlertsOfAnotherCustomer {
            customers: vec![OTHER_CUSTOMER.to_owned()]
        })
    );
}

#[tokio::test]
async fn a_reactivation_is_a_post_without_body_or_content_type() {
    let server = MockServer::start();
    customer_mock(&server);
    alerts_mock(&server, AZURE_SUB, CUSTOMER);
    azure_plan_mocks(&server, "inactive");
    let reactivate = server.mock(|when, then| {
        when.method(POST)
            .path(format!(
                "/v1/customers/{CUSTOMER}/subscriptions/{PLAN}/azureEntitlements/{AZURE_SUB}/reactivate"
            ))
            .header("content-length", "0")
            .header_missing("content-type")
            .header_exists("ms-requestid");
        then.status(202);
    });
    let responder = responder(&server, Arc::default()).max_wait(Duration::ZERO);
    let (customer, sub) = ids();
    let plan = responder
        .plan(&customer, &sub, Action::Reactivate)
        .await
        .unwrap();
    assert!(matches!(
        plan.effect(),
        Effect::ReactivateAzureSubscription { .. }
    ));
    let report = responder
        .execute(&plan, &Confirmation::for_azure_subscription(AZURE_SUB))
        .await
        .unwrap();
    reactivate.assert_calls(1);
    // The mock still says inactive: accepted, not finished; reactivating resolves nothing.
    assert!(
        matches!(report.outcome, Outcome::Pending),
        "{:?}",
        report.outcome
    );
    assert!(matches!(report.alerts, AlertsOutcome::NotApplicable));
}

#[tokio::test]
async fn an_accepted_patch_with_an_unreadable_answer_is_reported_not_an_error() {
    let server = MockServer::start();
    let (path, _) = legacy_mocks(&server);
    let patch = server.mock(|when, then| {
        when.method(PATCH).path(path.clone());
        then.status(200).header("ms-requestid", "pc-patch").body("");
    });
    let responder = responder(&server, Arc::default()).max_wait(Duration::ZERO);
    let (customer, sub) = (
        TenantId::new(CUSTOMER).unwrap(),
        SubscriptionId::new(LEGACY).unwrap(),
    );
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap()
        .without_resolving_alerts();
    let report = responder
        .execute(
            &plan,
            &Confirmation::for_partner_center_subscription(LEGACY),
        )
        .await
        .unwrap();
    patch.assert_calls(1);
    assert!(
        matches!(report.outcome, Outcome::Pending),
        "{:?}",
        report.outcome
    );
    assert_eq!(
        report.request_ids.as_ref().and_then(|i| i.request_id()),
        Some("pc-patch")
    );
}
