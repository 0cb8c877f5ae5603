//! The Partner Center directory (reference sections 10.2 to 10.5): the organization
//! profile, customers, indirect resellers, subscriptions and Azure entitlements, with the
//! names the FraudEvents view shows.
//!
//! Azure plan customers (`MS-AZR-0017G`, and those whose alerts carry no offer) have one
//! Azure plan whose entitlements are their Azure subscriptions; legacy customers
//! (`MS-AZR-0145P`) have one legacy subscription per Azure subscription, its `id` in upper
//! case and its `entitlementId` in lower case (the documentation shows both).
//!
//! Statuses and ETags come from the response actions' state (the `actions` module, which
//! also serves the requests other than `GET` on subscriptions and entitlements).

use axum::http::header::ALLOW;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::handlers::Ctx;
use crate::envelope::{Reply, parse_query, pc_error};
use crate::generate::{AZURE_PLAN_OFFER, CustomerView};
use crate::shared::Shared;
use crate::stats::bump;

/// Whether `segs` (after `v1`) name a directory resource.
pub(crate) fn handles(segs: &[String]) -> bool {
    segs.first().is_some_and(|s| {
        ["customers", "profiles", "relationships"]
            .iter()
            .any(|r| s.eq_ignore_ascii_case(r))
    })
}

fn collection(items: Vec<Value>) -> Reply {
    Reply::json(
        StatusCode::OK,
        &json!({
            "totalCount": items.len(),
            "items": items,
            "attributes": {"objectType": "Collection"},
        }),
    )
}

fn not_found(code: u32, description: &str) -> Reply {
    pc_error(StatusCode::NOT_FOUND, code, description)
}

/// Serves one directory request (`segs` after `v1`): the reads, and the response actions on
/// subscriptions and Azure entitlements (see the `actions` module).
pub(crate) fn dispatch(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    segs: &[String],
    query: &str,
    body: &[u8],
) -> Reply {
    if let Some(reply) = super::actions::route(shared, ctx, method, segs, body) {
        return reply;
    }
    if *method != Method::GET {
        return pc_error(
            StatusCode::METHOD_NOT_ALLOWED,
            800002,
            &format!("The HTTP method '{method}' is not supported on this resource."),
        )
        .with_header(ALLOW, "GET");
    }
    bump(&shared.stats.directory_reads);
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    let g = &shared.generator;
    match segs.len() {
        2 if is(0, "profiles") && is(1, "organization") => {
            let p = g.partner();
            return Reply::json(
                StatusCode::OK,
                &json!({
                    "id": p.tenant_id.as_str(),
                    "companyName": p.name,
                    "defaultAddress": {"country": p.country, "city": "Redmond", "state": "WA"},
                    "tenantId": p.tenant_id.as_str(),
                    "domain": p.domain,
                    "profileType": "OrganizationProfile",
                    "attributes": {"objectType": "OrganizationProfile"},
                }),
            );
        }
        1 if is(0, "relationships") => {
            bump(&shared.stats.reseller_reads);
            let kind = parse_query(query)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("relationship_type"))
                .map(|(_, v)| v);
            return match kind.as_deref() {
                Some(k) if k.eq_ignore_ascii_case("IsIndirectCloudSolutionProviderOf") => {
                    collection(g.reseller_views().iter().map(relationship).collect())
                }
                // Signed in as the provider, the partner has no providers of its own.
                Some(k) if k.eq_ignore_ascii_case("IsIndirectResellerOf") => collection(vec![]),
                _ => pc_error(
                    StatusCode::BAD_REQUEST,
                    800002,
                    "relationship_type is required: IsIndirectCloudSolutionProviderOf or IsIndirectResellerOf.",
                ),
            };
        }
        1 if is(0, "customers") => {
            return collection(g.customer_views().iter().map(customer).collect());
        }
        _ => {}
    }
    if !is(0, "customers") || segs.len() < 2 {
        return not_found(1000, "The resource was not found.");
    }
    // Counted whether or not the customer exists: a 404 is a read too.
    let counter = match segs.len() {
        2 => Some(&shared.stats.customer_reads),
        3 if is(2, "relationships") => Some(&shared.stats.reseller_reads),
        3 | 4 if is(2, "subscriptions") => Some(&shared.stats.subscription_reads),
        5 | 6 if is(2, "subscriptions") => Some(&shared.stats.entitlement_reads),
        _ => None,
    };
    if let Some(counter) = counter {
        bump(counter);
    }
    let Some(c) = g.customer_view_of(&segs[1]) else {
        return not_found(60003, "Tenant not found");
    };
    match segs.len() {
        2 => Reply::json(StatusCode::OK, &customer(&c)),
        3 if is(2, "relationships") => collection(c.reseller.iter().map(relationship).collect()),
        3 if is(2, "subscriptions") => collection(subscriptions(&c, shared)),
        4 if is(2, "subscriptions") => subscriptions(&c, shared)
            .into_iter()
            .find(|s| {
                s["id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(&segs[3]))
            })
            .map_or_else(
                || {
                    not_found(
                        20003,
                        &format!("Subscription with ID {} not found", segs[3]),
                    )
                },
                |s| Reply::json(StatusCode::OK, &s),
            ),
        5 | 6 if is(2, "subscriptions") && is(4, "azureEntitlements") => {
            if c.legacy || !c.azure_plan_id.eq_ignore_ascii_case(&segs[3]) {
                return not_found(
                    20003,
                    &format!("Subscription with ID {} not found", segs[3]),
                );
            }
            let all = entitlements(&c, shared, ctx.now);
            match segs.get(5) {
                None => collection(all),
                Some(id) => all
                    .into_iter()
                    .find(|e| e["id"].as_str().is_some_and(|e| e.eq_ignore_ascii_case(id)))
                    .map_or_else(
                        || not_found(800111, &format!("Azure entitlement with ID {id} not found")),
                        |e| Reply::json(StatusCode::OK, &e),
                    ),
            }
        }
        _ => not_found(1000, "The resource was not found."),
    }
}

fn relationship(r: &crate::generate::ResellerView<'_>) -> Value {
    json!({
        "id": r.tenant_id.as_str(),
        "name": r.name,
        "relationshipType": "is_indirect_cloud_solution_provider_of",
        "state": "Active",
        "mpnId": r.mpn_id,
        "attributes": {"objectType": "PartnerRelationship"},
    })
}

fn customer(c: &CustomerView<'_>) -> Value {
    let id = c.tenant_id.as_str();
    json!({
        "id": id,
        "companyProfile": {
            "tenantId": id,
            "domain": c.domain,
            "companyName": c.name,
            "attributes": {"objectType": "CustomerCompanyProfile"},
        },
        "relationshipToPartner": "reseller",
        "allowDelegatedAccess": c.gdap,
        "associatedPartnerId": c.reseller.as_ref().map(|r| r.tenant_id.as_str()),
        "links": {"self": {"uri": format!("/customers/{id}"), "method": "GET", "headers": []}},
        "attributes": {"objectType": "Customer"},
    })
}

/// The customer's subscriptions as they are now (status, `autoRenewEnabled` and ETag from
/// the actions' state; `autoRenewEnabled` starts `true`, unlike the documentation's
/// example, so that a `PATCH` that resets it shows).
pub(super) fn subscriptions(c: &CustomerView<'_>, shared: &Shared) -> Vec<Value> {
    let partner_id = c.reseller.as_ref().map(|r| r.mpn_id.as_str());
    let customer = c.tenant_id.as_str();
    let attributes = |id: &str| {
        let state = shared.actions.subscription(customer, id);
        (
            state.status,
            state.auto_renew,
            json!({"etag": state.etag, "objectType": "Subscription"}),
        )
    };
    let links = |id: &str| {
        let uri = format!("/customers/{customer}/subscriptions/{id}");
        json!({"self": {"uri": uri, "method": "GET", "headers": []}})
    };
    if c.legacy {
        return c
            .subscriptions
            .iter()
            .map(|(id, name)| {
                let upper = id.as_str().to_ascii_uppercase();
                let (status, auto_renew, attributes) = attributes(&upper);
                json!({
                    "id": upper,
                    "entitlementId": id.as_str(),
                    "offerId": "MS-AZR-0145P",
                    "offerName": "Microsoft Azure",
                    "friendlyName": name,
                    "quantity": 1,
                    "unitType": "Usage-based",
                    "status": status,
                    "autoRenewEnabled": auto_renew,
                    "billingType": "usage",
                    "contractType": "subscription",
                    "partnerId": partner_id,
                    "links": links(&upper),
                    "attributes": attributes,
                })
            })
            .collect();
    }
    let plan = c.azure_plan_id.as_str();
    let (status, auto_renew, attributes) = attributes(plan);
    vec![json!({
        "id": plan,
        "offerId": AZURE_PLAN_OFFER,
        "offerName": "Microsoft Azure plan",
        "friendlyName": "Azure plan",
        "productType": {"id": "Azure", "displayName": "Azure", "subType": {"id": "Azure", "displayName": "Azure"}},
        "quantity": 1,
        "status": status,
        "autoRenewEnabled": auto_renew,
        "billingType": "usage",
        "contractType": "subscription",
        "partnerId": partner_id,
        "links": links(plan),
        "attributes": attributes,
    })]
}

/// One Azure entitlement of the customer's Azure plan, with the status given.
pub(super) fn entitlement(c: &CustomerView<'_>, id: &str, name: &str, status: &str) -> Value {
    json!({
        "id": id,
        "friendlyName": name,
        "status": status,
        "subscriptionId": c.azure_plan_id,
    })
}

/// The Azure plan's entitlements as they are at `now`.
fn entitlements(
    c: &CustomerView<'_>,
    shared: &Shared,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Value> {
    let customer = c.tenant_id.as_str();
    c.subscriptions
        .iter()
        .map(|(id, name)| {
            let status = shared
                .actions
                .entitlement_status(customer, id.as_str(), now);
            entitlement(c, id.as_str(), name, status)
        })
        .collect()
}
