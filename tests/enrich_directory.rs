//! The directory clients against httpmock on loopback: the Partner Center reads of reference
//! section 10 (paths, headers, paging by `links.next`, errors) and Graph's `/contracts` and
//! GDAP customers of section 12 (paging by `@odata.nextLink`).

use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::enrich::{
    EntitlementStatus, GraphDirectory, Mapping, PartnerCenterDirectory, SubscriptionKind,
};
use partner_alerts::http::RetryPolicy;
use partner_alerts::{GraphClient, SubscriptionId, TenantId};
use serde_json::json;

const CUSTOMER: &str = "eebd1b55-5360-4438-a11d-5c06918c3014";
const PLAN: &str = "5a1c5e5e-0000-4000-8000-00000000a1a1";
const AZURE_SUB: &str = "899ae6f1-8a74-4d5e-b6c6-e6b5019bbff8";

fn directory(server: &MockServer) -> PartnerCenterDirectory {
    PartnerCenterDirectory::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new("pc-token"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

#[tokio::test]
async fn profile_customer_and_resellers_with_partner_center_s_headers() {
    let server = MockServer::start();
    let profile = server.mock(|when, then| {
        when.method(GET)
            .path("/v1/profiles/organization")
            .header("authorization", "Bearer pc-token")
            .header("accept", "application/json")
            .header_exists("ms-requestid")
            .header_exists("ms-correlationid");
        then.status(200).json_body(json!({
            "id": "x", "companyName": "TEST_TEST_BugBash1", "tenantId": "t",
            "defaultAddress": {"country": "US", "city": "Redmond"}, "profileType": "OrganizationProfile"
        }));
    });
    let customer = server.mock(|when, then| {
        when.method(GET).path(format!("/v1/customers/{CUSTOMER}"));
        then.status(200).json_body(json!({
            "id": CUSTOMER,
            "companyProfile": {"tenantId": CUSTOMER, "domain": "abcdefgh1234.ccsctp.net", "companyName": "1kl as kjk"},
            "relationshipToPartner": "reseller"
        }));
    });
    let resellers = server.mock(|when, then| {
        when.method(GET)
            .path("/v1/relationships")
            .query_param("relationship_type", "IsIndirectCloudSolutionProviderOf");
        then.status(200).json_body(json!({
            "totalCount": 2,
            "items": [
                {"id": "484e548c-f5f3-4528-93a9-c16c6373cb59", "name": "First Up Consultants", "relationshipType": "is_indirect_cloud_solution_provider_of", "state": "Active", "mpnId": "4847383"},
                {"id": "b01b1487-b36e-4e6d-9b5e-0b58974c4b28", "name": "ReleCloud", "mpnId": "4847433"}
            ],
            "attributes": {"objectType": "Collection"}
        }));
    });
    let of_customer = server.mock(|when, then| {
        when.method(GET).path(format!("/v1/customers/{CUSTOMER}/relationships"));
        then.status(200).json_body(json!({
            "totalCount": 1,
            "items": [{"id": "484e548c-f5f3-4528-93a9-c16c6373cb59", "name": "First Up Consultants"}]
        }));
    });
    let d = directory(&server);
    let p = d.organization_profile().await.unwrap();
    assert_eq!(p.company_name.as_deref(), Some("TEST_TEST_BugBash1"));
    assert_eq!(p.default_address.unwrap().country.as_deref(), Some("US"));
    let c = d.customer(&tenant(CUSTOMER)).await.unwrap();
    assert_eq!(c.company_name(), Some("1kl as kjk"));
    let all = d.indirect_resellers().await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].name.as_deref(), Some("ReleCloud"));
    let one = d.customer_resellers(&tenant(CUSTOMER)).await.unwrap();
    assert_eq!(one[0].name.as_deref(), Some("First Up Consultants"));
    for m in [profile, customer, resellers, of_customer] {
        m.assert();
    }
}

#[tokio::test]
async fn an_unknown_customer_is_not_found() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path(format!("/v1/customers/{CUSTOMER}"));
        then.status(404)
            .json_body(json!({"code": 60003, "description": "Tenant not found"}));
    });
    let e = directory(&server)
        .customer(&tenant(CUSTOMER))
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn collections_follow_links_next_and_stop_on_a_loop() {
    let server = MockServer::start();
    let first = server.mock(|when, then| {
        when.method(GET)
            .path(format!("/v1/customers/{CUSTOMER}/subscriptions"))
            .query_param_missing("page");
        then.status(200).json_body(json!({
            "totalCount": 2,
            "items": [{"id": PLAN, "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6", "status": "active"}],
            "links": {"next": {"uri": format!("/customers/{CUSTOMER}/subscriptions?page=2"), "method": "GET", "headers": []}}
        }));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path(format!("/v1/customers/{CUSTOMER}/subscriptions"))
            .query_param("page", "2");
        then.status(200).json_body(json!({
            "items": [{"Id": "L1", "OfferId": "MS-AZR-0145P", "EntitlementId": AZURE_SUB, "Status": "Suspended"}]
        }));
    });
    let d = directory(&server);
    let subs = d.subscriptions(&tenant(CUSTOMER)).await.unwrap();
    assert_eq!(subs.len(), 2);
    assert!(subs[0].is_azure_plan());
    assert_eq!(subs[1].entitlement_id.as_deref(), Some(AZURE_SUB));
    first.assert();
    second.assert();

    let looping = MockServer::start();
    looping.mock(|when, then| {
        when.method(GET)
            .path(format!("/v1/customers/{CUSTOMER}/subscriptions"));
        then.status(200).json_body(json!({
            "items": [],
            "links": {"next": {"uri": format!("/customers/{CUSTOMER}/subscriptions")}}
        }));
    });
    let e = directory(&looping)
        .subscriptions(&tenant(CUSTOMER))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("page already read"), "{e}");
}

#[tokio::test]
async fn an_alert_s_azure_subscription_is_found_under_its_plan() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET)
            .path(format!("/v1/customers/{CUSTOMER}/subscriptions"));
        then.status(200).json_body(json!({
            "items": [
                {"id": PLAN, "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6", "offerName": "Microsoft Azure plan", "friendlyName": "Azure plan", "status": "active", "partnerId": "4847383"},
                {"id": AZURE_SUB.to_uppercase(), "entitlementId": AZURE_SUB.to_uppercase(), "offerId": "MS-AZR-0145P", "status": "suspended"}
            ]
        }));
    });
    let entitlements = server.mock(|when, then| {
        when.method(GET).path(format!(
            "/v1/customers/{CUSTOMER}/subscriptions/{PLAN}/azureEntitlements"
        ));
        then.status(200).json_body(json!({
            "totalCount": 1,
            "items": [{"id": AZURE_SUB, "friendlyName": "Production", "status": "active", "subscriptionId": PLAN}]
        }));
    });
    let one = server.mock(|when, then| {
        when.method(GET).path(format!(
            "/v1/customers/{CUSTOMER}/subscriptions/{PLAN}/azureEntitlements/{AZURE_SUB}"
        ));
        then.status(200).json_body(
            json!({"id": AZURE_SUB, "friendlyName": "Production", "status": "inactive", "subscriptionId": PLAN}),
        );
    });
    let d = directory(&server);
    let sub = SubscriptionId::new(AZURE_SUB).unwrap();
    let Mapping::Found(m) = d
        .find_azure_subscription(&tenant(CUSTOMER), &sub, Some("MS-AZR-0017G"))
        .await
        .unwrap()
    else {
        panic!("not found")
    };
    assert_eq!(m.kind, SubscriptionKind::AzurePlan);
    assert_eq!(m.name.as_deref(), Some("Production"));
    assert_eq!(m.partner_center_subscription_id, PLAN);
    assert_eq!(m.offer_name.as_deref(), Some("Microsoft Azure plan"));
    assert_eq!(m.reseller_partner_id.as_deref(), Some("4847383"));
    entitlements.assert();
    let plan = SubscriptionId::new(PLAN).unwrap();
    let e = d
        .azure_entitlement(&tenant(CUSTOMER), &plan, &sub)
        .await
        .unwrap();
    assert_eq!(e.status, Some(EntitlementStatus::Inactive));
    one.assert();
}

#[tokio::test]
async fn graph_contracts_and_gdap_customers_follow_next_links() {
    let server = MockServer::start();
    let base = server.base_url();
    let first = server.mock(|when, then| {
        when.method(GET)
            .path("/v1.0/contracts")
            .query_param_missing("$skiptoken")
            .header("authorization", "Bearer graph-token");
        then.status(200).json_body(json!({
            "value": [{"id": "c1", "customerId": "t1", "displayName": "Contoso", "defaultDomainName": "contoso.onmicrosoft.com", "contractType": "ResellerPartner"}],
            "@odata.nextLink": format!("{base}/v1.0/contracts?$skiptoken=2")
        }));
    });
    let second = server.mock(|when, then| {
        when.method(GET)
            .path("/v1.0/contracts")
            .query_param("$skiptoken", "2");
        then.status(200).json_body(json!({
            "value": [{"id": "c2", "customerId": "t2", "displayName": null}]
        }));
    });
    let gdap = server.mock(|when, then| {
        when.method(GET)
            .path("/v1.0/tenantRelationships/delegatedAdminCustomers");
        then.status(200).json_body(json!({
            "@odata.context": "x",
            "value": [{"@odata.type": "#microsoft.graph.delegatedAdminCustomer", "@odata.etag": "W/\"x\"",
                "id": "4fdbff88-9d6b-42e0-9713-45c922ba8001", "tenantId": "4fdbff88-9d6b-42e0-9713-45c922ba8001", "displayName": "Contoso Inc"}]
        }));
    });
    let client = GraphClient::builder()
        .base_url(format!("{base}/v1.0"))
        .credential(StaticToken::new("graph-token"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let d = GraphDirectory::new(&client);
    let contracts = d.contracts().await.unwrap();
    assert_eq!(contracts.len(), 2);
    assert_eq!(contracts[0].display_name.as_deref(), Some("Contoso"));
    assert_eq!(contracts[1].display_name, None);
    let customers = d.delegated_admin_customers().await.unwrap();
    assert_eq!(customers[0].display_name.as_deref(), Some("Contoso Inc"));
    first.assert();
    second.assert();
    gdap.assert();
}
