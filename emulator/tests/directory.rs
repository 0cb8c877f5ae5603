//! The directory endpoints over raw HTTP: Partner Center's customers, resellers,
//! subscriptions and Azure entitlements, Graph's `/contracts` and GDAP customers, all with
//! the names the FraudEvents view shows, and their counters.

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn every_alert_s_names_are_in_the_partner_center_directory() {
    let emu = start(60).await;
    let pc = emu.partner_center_base_url();
    let resellers = get(&format!(
        "{pc}/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf"
    ))
    .await;
    assert_eq!(resellers.status, StatusCode::OK);
    let resellers = resellers.body["items"].as_array().unwrap().clone();
    assert!(!resellers.is_empty());
    for alert in emu.alerts() {
        let event = emu.fraud_event(&alert.id, true).unwrap();
        let customer = alert.customer_tenant_id.as_ref().unwrap();
        let got = get(&format!("{pc}/v1/customers/{customer}")).await;
        assert_eq!(got.status, StatusCode::OK);
        assert_eq!(
            got.body["companyProfile"]["companyName"].as_str(),
            event.customer_friendly_name.as_deref()
        );
        if let Some(reseller) = &alert.value_added_reseller_tenant_id {
            let r = resellers
                .iter()
                .find(|r| r["id"] == reseller.as_str())
                .expect("the reseller is listed");
            assert_eq!(
                r["name"].as_str(),
                event.value_added_reseller_friendly_name.as_deref()
            );
            assert_eq!(got.body["associatedPartnerId"], reseller.as_str());
        }
        // The subscription's name: under the Azure plan, or a legacy subscription.
        let subs = get(&format!("{pc}/v1/customers/{customer}/subscriptions")).await;
        let sub = alert.subscription_id.as_ref().unwrap().as_str();
        let items = subs.body["items"].as_array().unwrap();
        let name = if alert.catalog_offer_id.as_deref() == Some("MS-AZR-0145P") {
            let legacy = items
                .iter()
                .find(|s| s["entitlementId"] == sub)
                .expect("a legacy subscription");
            assert_eq!(legacy["id"], sub.to_uppercase());
            legacy["friendlyName"].clone()
        } else {
            assert_eq!(items.len(), 1, "one Azure plan");
            let plan = items[0]["id"].as_str().unwrap();
            assert!(
                items[0]["offerId"]
                    .as_str()
                    .unwrap()
                    .starts_with("DZH318Z0BPS6")
            );
            let ents = get(&format!(
                "{pc}/v1/customers/{customer}/subscriptions/{plan}/azureEntitlements"
            ))
            .await;
            let e = ents.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["id"] == sub)
                .expect("an entitlement")
                .clone();
            assert_eq!(e["subscriptionId"], plan);
            let one = get(&format!(
                "{pc}/v1/customers/{customer}/subscriptions/{plan}/azureEntitlements/{sub}"
            ))
            .await;
            assert_eq!(one.body, e);
            e["friendlyName"].clone()
        };
        assert_eq!(name.as_str(), event.subscription_name.as_deref());
    }
    let stats = emu.stats();
    assert_eq!(stats.customer_reads, 60);
    assert_eq!(stats.subscription_reads, 60);
    assert_eq!(stats.reseller_reads, 1);
    assert!(stats.entitlement_reads > 0);
}

#[tokio::test]
async fn the_organization_profile_is_the_partner_s() {
    let emu = start(1).await;
    let got = get(&format!(
        "{}/v1/profiles/organization",
        emu.partner_center_base_url()
    ))
    .await;
    assert_eq!(got.status, StatusCode::OK);
    let event = emu.fraud_event(&emu.alerts()[0].id, true).unwrap();
    assert_eq!(
        got.body["companyName"].as_str(),
        event.partner_friendly_name.as_deref()
    );
    assert_eq!(got.body["tenantId"], emu.partner_tenant_id().as_str());
}

#[tokio::test]
async fn unknown_customers_subscriptions_and_entitlements_are_404s() {
    let emu = start(1).await;
    let pc = emu.partner_center_base_url();
    let unknown = "00000000-0000-4000-8000-000000000000";
    let got = get(&format!("{pc}/v1/customers/{unknown}")).await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    assert_eq!(got.body["code"], 60003);
    let customer = emu.alerts()[0].customer_tenant_id.clone().unwrap();
    let got = get(&format!(
        "{pc}/v1/customers/{customer}/subscriptions/{unknown}/azureEntitlements"
    ))
    .await;
    assert_eq!(got.status, StatusCode::NOT_FOUND);
    let got = get(&format!("{pc}/v1/relationships")).await;
    assert_eq!(
        got.status,
        StatusCode::BAD_REQUEST,
        "relationship_type is required"
    );
}

#[tokio::test]
async fn contracts_and_gdap_customers_page_with_next_links() {
    let emu = builder(20).page_size(100).start().await.unwrap();
    let graph = emu.graph_base_url();
    let (contracts, pages) = list_all(&format!("{graph}/contracts")).await;
    assert!(
        pages >= 2,
        "the directory's customers fill more than one page"
    );
    let (gdap, _) = list_all(&format!(
        "{graph}/tenantRelationships/delegatedAdminCustomers"
    ))
    .await;
    assert!(
        !gdap.is_empty() && gdap.len() < contracts.len(),
        "GDAP: some customers only"
    );
    let (small, small_pages) = list_all(&format!("{graph}/contracts?$top=7")).await;
    assert_eq!(small.len(), contracts.len());
    assert!(small_pages > pages);
    for alert in emu.alerts() {
        let event = emu.fraud_event(&alert.id, true).unwrap();
        let customer = alert.customer_tenant_id.as_ref().unwrap().as_str();
        let c = contracts
            .iter()
            .find(|c| c["customerId"] == customer)
            .expect("every customer has a contract");
        assert_eq!(
            c["displayName"].as_str(),
            event.customer_friendly_name.as_deref()
        );
        assert_ne!(c["id"], customer, "a contract's id is not the tenant id");
        if let Some(g) = gdap.iter().find(|g| g["tenantId"] == customer) {
            assert_eq!(g["displayName"], c["displayName"]);
            let one = get(&format!(
                "{graph}/tenantRelationships/delegatedAdminCustomers/{customer}"
            ))
            .await;
            assert_eq!(&one.body, g);
        }
    }
    let got = get(&format!("{graph}/contracts?$filter=customerId eq 'x'")).await;
    graph_error(&got, StatusCode::BAD_REQUEST, "BadRequest");
    assert!(emu.stats().graph_directory_reads > 0);
}
