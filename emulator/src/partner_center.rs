//! The Partner Center side: `GET /v1/fraudEvents` and
//! `POST /v1/fraudEvents/subscription/{subscriptionId}/status`, serving the same alerts as
//! the Graph side through a [`FraudEvent`] view of each.

use axum::http::header::ALLOW;
use axum::http::{Method, StatusCode};
use chrono::{DateTime, Utc};
use partner_alerts::{
    AdditionalDetails, Alert, AlertId, AlertStatus, AlertType, FraudEvent, ResolvedReason, Severity,
};
use serde_json::Value;
use serde_json::value::{RawValue, to_raw_value};

use crate::envelope::{Reply, decode, parse_query, pc_error};
use crate::generate::{Partner, service_name};
use crate::quirks::{
    FRAUD_EVENTS_LEGACY_ODD_VALUES, FRAUD_EVENTS_ODD_VALUES, RawObject, interleave, not_alert,
    odd_value, raw,
};
use crate::record::Record;
use crate::shared::Shared;
use crate::state::{EMULATOR_UPN, change_status};
use crate::stats::{add, bump};

/// The `EventType` values the API documents (reference section 4.3). Compared exactly, case
/// included: the documentation lists these spellings and the events carry them, and a
/// client sending Graph's `networkConnectionsToCryptoMiningPools` should hear about it.
const EVENT_TYPES: &[&str] = &[
    "ServiceHealthSecurityAdvisory",
    "UsageAnomalyDetection",
    "MultiRegionVirtualMachineScaleSetDeploymentAnomaly",
    "NetworkConnectionsToCryptoMiningPools",
    "VirtualMachineDeploymentAnomaly",
    "MultiRegionMachineLearningUsageAnomaly",
];

/// What a Partner Center request carries besides its method, path and body.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    /// Whether `X-NewEventsModel: true` was sent.
    pub new_model: bool,
    pub now: DateTime<Utc>,
}

fn invalid(description: &str) -> Reply {
    pc_error(StatusCode::BAD_REQUEST, 800002, description)
}

/// Routes one Partner Center request (`path` is relative to the Partner Center base URL).
pub(crate) fn dispatch(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
) -> Reply {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| decode(s, false))
        .collect();
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    let not_allowed = |allow: &str| {
        pc_error(
            StatusCode::METHOD_NOT_ALLOWED,
            800002,
            &format!("The HTTP method '{method}' is not supported on this resource."),
        )
        .with_header(ALLOW, allow)
    };
    if is(0, "v1") && is(1, "fraudEvents") {
        match segs.len() {
            2 if method == Method::GET => return list(shared, ctx, query),
            2 => return not_allowed("GET"),
            5 if is(2, "subscription") && is(4, "status") => {
                return if method == Method::POST {
                    update(shared, ctx, &segs[3], body)
                } else {
                    not_allowed("POST")
                };
            }
            _ => {}
        }
    }
    pc_error(
        StatusCode::NOT_FOUND,
        1000,
        &format!("The resource '{path}' was not found."),
    )
}

/// Partner Center's spelling of an alert type: Pascal case for the known types.
fn pc_event_type(t: &AlertType) -> AlertType {
    match t.known() {
        Some(k) => {
            let s = k.as_str();
            let mut chars = s.chars();
            let pascal: String = chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
                .collect();
            AlertType::new(pascal)
        }
        None => t.clone(),
    }
}

/// `MS-AZR-0017G` as Partner Center writes it: `ms-azr-17g`.
fn pc_offer(offer: &str) -> String {
    let lower = offer.to_ascii_lowercase();
    match lower.rsplit_once('-') {
        Some((head, tail)) => {
            let trimmed = tail.trim_start_matches('0');
            format!("{head}-{}", if trimmed.is_empty() { tail } else { trimmed })
        }
        None => lower,
    }
}

/// Graph's detail keys camel-cased, as Partner Center sends them (`VM_IP` → `vM_IP`).
fn pc_key(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect()
}

/// The segment after `name` in an Azure resource id.
fn resource_part<'a>(id: &'a str, name: &str) -> Option<&'a str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(name) {
            return parts.next();
        }
    }
    None
}

fn hit_count(alert: &Alert) -> u64 {
    let d = alert.additional_details.as_ref();
    ["ConnectionCount", "DeploymentCount", "OperationCount"]
        .iter()
        .find_map(|k| {
            d.and_then(|d| d.get_str(k))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(1)
}

/// The Partner Center view of an alert: the legacy fields, plus the new model's when
/// `new_model` (otherwise those stay `None`, which `FraudEvent`'s serialiser leaves out).
pub(crate) fn fraud_event(rec: &Record, partner: &Partner, new_model: bool) -> FraudEvent {
    let a = &rec.alert;
    let mut e = FraudEvent::new(rec.event_id.clone());
    let resource = a
        .affected_resources
        .as_ref()
        .and_then(|r| r.first())
        .and_then(|r| r.resource_id.clone());
    e.event_time = a.detected_date_time;
    e.partner_tenant_id = Some(partner.tenant_id.clone());
    e.partner_friendly_name = Some(partner.name.clone());
    e.customer_tenant_id = a.customer_tenant_id.clone();
    e.customer_friendly_name = rec.customer_name.clone();
    e.subscription_id = a.subscription_id.clone();
    e.subscription_type = Some("modern".to_owned());
    e.entity_id = rec
        .event_id
        .as_str()
        .split_once('_')
        .map(|(_, entity)| entity.to_owned());
    e.entity_name = resource
        .as_deref()
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
        .or_else(|| rec.subscription_name.clone());
    e.entity_url = resource.as_deref().map(|r| r.replace('/', "\\"));
    e.hit_count = Some(hit_count(a));
    e.catalog_offer_id = a.catalog_offer_id.as_deref().map(pc_offer);
    e.event_status = a.status.clone();
    e.service_name = a.alert_type.as_ref().map(|t| service_name(t).to_owned());
    e.resource_name = e.entity_name.clone();
    e.resource_group_name = resource
        .as_deref()
        .and_then(|r| resource_part(r, "resourceGroups"))
        .map(str::to_owned);
    e.first_occurrence = a.first_observed_date_time;
    e.last_occurrence = a.last_observed_date_time;
    e.resolved_reason = a.resolved_reason.clone();
    e.resolved_on = a.resolved_on_date_time;
    e.resolved_by = a.resolved_by.clone();
    e.first_observed = a.first_observed_date_time;
    e.last_observed = a.last_observed_date_time;
    if !new_model {
        return e;
    }
    e.event_type = a.alert_type.as_ref().map(pc_event_type);
    // Partner Center has no informational severity.
    e.severity = a.severity.clone().map(|s| match s {
        Severity::Informational => Severity::Low,
        s => s,
    });
    e.confidence_level = a.confidence_level.clone();
    e.display_name = a.display_name.clone();
    e.description = a.description.clone();
    e.country = Some(partner.country.to_owned());
    e.value_added_reseller_tenant_id = a.value_added_reseller_tenant_id.clone();
    e.value_added_reseller_friendly_name = rec.reseller_name.clone();
    e.subscription_name = rec.subscription_name.clone();
    e.affected_resources = Some(a.affected_resources.clone().unwrap_or_default());
    let mut details = AdditionalDetails::new();
    if let Some(r) = a.affected_resources.as_ref().and_then(|r| r.first()) {
        if let Some(id) = &r.resource_id {
            details.insert(AdditionalDetails::RESOURCE_ID, id.clone());
        }
        if let Some(t) = &r.resource_type {
            details.insert(AdditionalDetails::RESOURCE_TYPE, t.clone());
        }
    }
    if let Some(d) = &a.additional_details {
        for (k, v) in d.iter() {
            details.insert(pc_key(k), v.clone());
        }
    }
    e.additional_details = Some(details);
    e.is_test = Some(a.is_test.unwrap_or(false));
    e.activity_logs = Some(a.activity_logs.clone().unwrap_or_default());
    e
}

/// `EventStatus` as the API accepts it (`Resolve` is the new-model table's spelling).
fn parse_status(s: &str) -> Option<AlertStatus> {
    match s.trim().to_ascii_lowercase().as_str() {
        "active" => Some(AlertStatus::Active),
        "investigating" => Some(AlertStatus::Investigating),
        "resolved" | "resolve" => Some(AlertStatus::Resolved),
        _ => None,
    }
}

fn list(shared: &Shared, ctx: &Ctx, query: &str) -> Reply {
    let mut status = None;
    let mut subscription: Option<String> = None;
    let mut event_type: Option<&str> = None;
    let (mut size, mut number) = (0i64, 0i64);
    for (key, value) in parse_query(query) {
        let value = value.trim().to_owned();
        if value.is_empty() {
            continue;
        }
        match key.to_ascii_lowercase().as_str() {
            "eventstatus" => match parse_status(&value) {
                Some(s) => status = Some(s),
                None => {
                    return invalid(&format!(
                        "Invalid EventStatus '{value}': expected Active, Investigating or Resolved."
                    ));
                }
            },
            "subscriptionid" => subscription = Some(value),
            "eventtype" if ctx.new_model => match EVENT_TYPES.iter().find(|t| **t == value) {
                Some(t) => event_type = Some(t),
                None => {
                    return invalid(&format!(
                        "Invalid EventType '{value}': expected one of {}.",
                        EVENT_TYPES.join(", ")
                    ));
                }
            },
            "pagesize" if ctx.new_model => match value.parse() {
                Ok(n) => size = n,
                Err(_) => return invalid(&format!("Invalid PageSize '{value}'.")),
            },
            "pagenumber" if ctx.new_model => match value.parse() {
                Ok(n) => number = n,
                Err(_) => return invalid(&format!("Invalid PageNumber '{value}'.")),
            },
            // The legacy model ignores the new model's parameters, as it ignores unknown ones.
            _ => {}
        }
    }
    let quirks = shared.quirks();
    let resolve = shared.take_resolved_page();
    let partner = shared.generator.partner();
    let (events, served, capped) = shared.read(|store| {
        let keep = |r: &&Record| {
            let a = &r.alert;
            status.as_ref().is_none_or(|s| a.status.as_ref() == Some(s))
                && event_type.is_none_or(|t| {
                    a.alert_type
                        .as_ref()
                        .is_some_and(|a| pc_event_type(a).as_str() == t)
                })
        };
        // A subscription's alerts come from its index rather than a scan of every alert.
        let matching: Box<dyn Iterator<Item = &Record>> = match &subscription {
            Some(sub) => Box::new(
                store
                    .positions_in_subscription(sub)
                    .iter()
                    .map(|i| store.at(*i))
                    .filter(keep),
            ),
            None => Box::new(store.records().iter().map(|r| &**r).filter(keep)),
        };
        let paged = size > 0 && number > 0;
        let asked = if paged {
            usize::try_from(size).unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        // A server with a maximum page size pages by the size it serves.
        let take = quirks.page_cap().map_or(asked, |c| c.min(asked));
        let skip = if paged {
            usize::try_from(number - 1)
                .unwrap_or(usize::MAX)
                .saturating_mul(take)
        } else {
            0
        };
        let mut page: Vec<&Record> = matching.skip(skip).take(take.saturating_add(1)).collect();
        let over = page.len() > take;
        page.truncate(take);
        let capped = if paged { take < asked } else { over };
        let events: Vec<FraudEvent> = page
            .iter()
            .map(|r| fraud_event(r, partner, ctx.new_model))
            .collect();
        let served: Vec<AlertId> = if resolve {
            page.iter().map(|r| r.alert.id.clone()).collect()
        } else {
            Vec::new()
        };
        (events, served, capped)
    });
    if capped {
        bump(&shared.stats.capped_pages);
    }
    let reply = if quirks.odd_values_on() || quirks.not_alerts_interval().is_some() {
        Reply::json(
            StatusCode::OK,
            &quirky_events(shared, ctx, &quirks, &events),
        )
    } else {
        Reply::json(StatusCode::OK, &events)
    };
    if resolve {
        shared.resolve_as_colleague(&served, ctx.now);
    }
    reply
}

/// The events as [`Quirks`](crate::Quirks) has them served: with odd values, and with items
/// that are no events between them.
fn quirky_events(
    shared: &Shared,
    ctx: &Ctx,
    quirks: &crate::quirks::Quirks,
    events: &[FraudEvent],
) -> Vec<Box<RawValue>> {
    let list = if ctx.new_model {
        FRAUD_EVENTS_ODD_VALUES
    } else {
        FRAUD_EVENTS_LEGACY_ODD_VALUES
    };
    let items: Vec<Box<RawValue>> = events
        .iter()
        .enumerate()
        .map(|(k, e)| {
            let odd = odd_value(list, k).filter(|_| quirks.odd_values_on());
            match (odd, RawObject::of(e)) {
                (Some((key, text)), Some(mut obj)) => {
                    bump(&shared.stats.odd_values);
                    obj.set(key, raw(text));
                    obj.into_raw()
                }
                _ => to_raw_value(e).expect("an event serialises"),
            }
        })
        .collect();
    let (items, inserted) = interleave(items, quirks.not_alerts_interval(), not_alert);
    add(&shared.stats.not_alerts, inserted);
    items
}

/// A body field by any casing of its name (`EventIds`, `eventIds`).
fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn update(shared: &Shared, ctx: &Ctx, subscription: &str, body: &[u8]) -> Reply {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => return invalid(&format!("The request body is not valid JSON: {e}.")),
    };
    let Value::Object(body) = value else {
        return invalid("The request body must be a JSON object.");
    };
    let ids: Vec<String> = match field(&body, "EventIds") {
        None => Vec::new(),
        Some(Value::Array(items)) => {
            match items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect()
            {
                Some(ids) => ids,
                None => return invalid("EventIds must be an array of strings."),
            }
        }
        Some(_) => return invalid("EventIds must be an array of strings."),
    };
    let Some(status) = field(&body, "EventStatus")
        .and_then(Value::as_str)
        .and_then(parse_status)
    else {
        return invalid("EventStatus is required: Resolved, Investigating or Active.");
    };
    // The reason only matters when resolving: with another status it is ignored, even when
    // it is not a valid reason. Only Fraud and Ignore are documented for this API
    // (`Legitimate` is Graph's); their case is not checked, as for EventStatus.
    let reason = if status == AlertStatus::Resolved {
        match field(&body, "ResolvedReason")
            .and_then(Value::as_str)
            .map(str::trim)
        {
            None | Some("") => None,
            Some(r) if r.eq_ignore_ascii_case("none") => None,
            Some(r) if r.eq_ignore_ascii_case("fraud") => Some(ResolvedReason::Fraud),
            Some(r) if r.eq_ignore_ascii_case("ignore") => Some(ResolvedReason::Ignore),
            Some(r) => {
                return invalid(&format!(
                    "Invalid ResolvedReason '{r}': accepted reason codes are Fraud or Ignore."
                ));
            }
        }
    } else {
        None
    };
    if status == AlertStatus::Resolved && reason.is_none() {
        return invalid(
            "ResolvedReason is required when resolving: accepted reason codes are Fraud or Ignore.",
        );
    }

    let partner = shared.generator.partner();
    let result = shared.write(|store| {
        let in_subscription = store.positions_in_subscription(subscription);
        let mut targets = Vec::new();
        let mut missing = Vec::new();
        if ids.is_empty() {
            targets = in_subscription.to_vec();
        } else {
            for id in &ids {
                match AlertId::new(id)
                    .ok()
                    .and_then(|e| store.index_of_event(&e))
                    .filter(|i| in_subscription.binary_search(i).is_ok())
                {
                    Some(i) if !targets.contains(&i) => targets.push(i),
                    Some(_) => {}
                    None => missing.push(id.clone()),
                }
            }
        }
        if !missing.is_empty() {
            return Err(missing);
        }
        let g = &shared.generator;
        Ok(targets
            .into_iter()
            .map(|i| {
                let rec = store.modify(i, g, |a| {
                    change_status(a, status.clone(), reason.clone(), EMULATOR_UPN, ctx.now)
                });
                fraud_event(rec, partner, ctx.new_model)
            })
            .collect::<Vec<_>>())
    });
    match result {
        // Applied, but the answer is lost on the way.
        Ok(_) if shared.take_lost_answer() => pc_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            800003,
            "Unexpected service error",
        ),
        Ok(events) => Reply::json(StatusCode::OK, &events),
        Err(missing) => pc_error(
            StatusCode::NOT_FOUND,
            1000,
            &format!(
                "Fraud events not found in subscription {subscription}: {}.",
                missing.join(", ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(
            pc_event_type(&AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS).as_str(),
            "NetworkConnectionsToCryptoMiningPools"
        );
        assert_eq!(
            pc_event_type(&AlertType::CRYPTO_MINING).as_str(),
            "CryptoMining"
        );
        assert_eq!(
            pc_event_type(&AlertType::new("brandNew")).as_str(),
            "brandNew"
        );
        assert_eq!(pc_offer("MS-AZR-0017G"), "ms-azr-17g");
        assert_eq!(pc_offer("MS-AZR-0000"), "ms-azr-0000");
        assert_eq!(pc_key("VM_IP"), "vM_IP");
        assert_eq!(pc_key("MiningPool_IP"), "miningPool_IP");
        assert_eq!(
            resource_part(
                "/subscriptions/s/resourceGroups/rg-1/providers/x",
                "resourceGroups"
            ),
            Some("rg-1")
        );
        assert_eq!(parse_status("Resolve"), Some(AlertStatus::Resolved));
        assert_eq!(parse_status("closed"), None);
    }
}
