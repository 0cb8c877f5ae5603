//! Graph's customer directory (reference section 12): `/contracts` (every customer) and
//! `/tenantRelationships/delegatedAdminCustomers` (the customers with a GDAP relationship,
//! three in four), listed or read by id, paged with `@odata.nextLink`, with the names the
//! FraudEvents view shows.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::Ctx;
use crate::envelope::{Reply, encode, graph_error, parse_query};
use crate::generate::CustomerView;
use crate::shared::Shared;
use crate::stats::bump;

/// Whether `segs` name one of these collections or an item of one.
pub(super) fn handles(segs: &[String]) -> bool {
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    (is(0, "contracts") && segs.len() <= 2)
        || (is(0, "tenantRelationships") && is(1, "delegatedAdminCustomers") && segs.len() <= 3)
}

fn contract(c: &CustomerView<'_>) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.contract",
        "id": c.contract_id,
        "contractType": "ResellerPartner",
        "customerId": c.tenant_id.as_str(),
        "defaultDomainName": c.domain,
        "displayName": c.name,
        "deletedDateTime": null,
    })
}

fn gdap_customer(c: &CustomerView<'_>) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.delegatedAdminCustomer",
        "@odata.etag": format!("W/\"{}\"", c.contract_id),
        "id": c.tenant_id.as_str(),
        "tenantId": c.tenant_id.as_str(),
        "displayName": c.name,
    })
}

/// Serves one read (`segs` relative to the Graph base).
pub(super) fn dispatch(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    segs: &[String],
    query: &str,
) -> Reply {
    if *method != Method::GET {
        return super::not_allowed(ctx, method, "GET");
    }
    bump(&shared.stats.directory_reads);
    bump(&shared.stats.graph_directory_reads);
    let contracts = segs[0].eq_ignore_ascii_case("contracts");
    let id_at = if contracts { 1 } else { 2 };
    let views = shared.generator.customer_views();
    let render = |c: &CustomerView<'_>| {
        if contracts {
            contract(c)
        } else {
            gdap_customer(c)
        }
    };
    let listed: Vec<&CustomerView<'_>> = views.iter().filter(|c| contracts || c.gdap).collect();
    if let Some(id) = segs.get(id_at) {
        let found = listed.iter().find(|c| {
            let key = if contracts {
                c.contract_id.as_str()
            } else {
                c.tenant_id.as_str()
            };
            key.eq_ignore_ascii_case(id)
        });
        return match found {
            Some(c) => Reply::json(StatusCode::OK, &render(c)),
            None => graph_error(
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                &format!(
                    "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
                ),
                &ctx.ids,
                ctx.now,
            ),
        };
    }
    let (mut skip, mut top) = (0usize, shared.page_size);
    for (key, value) in parse_query(query) {
        match key.to_ascii_lowercase().as_str() {
            "$skiptoken" => match value.parse() {
                Ok(n) => skip = n,
                Err(_) => return ctx.bad_request(&format!("Invalid $skiptoken '{value}'.")),
            },
            "$top" => match value.parse::<usize>() {
                Ok(n) if n > 0 => top = top.min(n),
                _ => return ctx.bad_request(&format!("Invalid $top '{value}'.")),
            },
            // Graph supports more ($filter, $select, ...); the clients here send none of it.
            other => {
                return ctx.bad_request(&format!(
                    "The emulator does not support the query option '{other}' here."
                ));
            }
        }
    }
    let page: Vec<Value> = listed
        .iter()
        .skip(skip)
        .take(top)
        .map(|c| render(c))
        .collect();
    let path = segs.join("/");
    let mut body = json!({
        "@odata.context": format!("{}/$metadata#{}", ctx.base, segs.last().map_or("", String::as_str)),
        "value": page,
    });
    if skip + top < listed.len() {
        let mut next = format!("{}/{path}?$skiptoken={}", ctx.base, skip + top);
        if top != shared.page_size {
            next.push_str(&format!("&$top={}", encode(&top.to_string())));
        }
        body["@odata.nextLink"] = Value::String(next);
    }
    Reply::json(StatusCode::OK, &body)
}
