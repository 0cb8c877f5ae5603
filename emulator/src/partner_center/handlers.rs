//! Serving the Partner Center API: routing, listing fraud events (filters, paging, quirks) and
//! the status update.

use axum::http::header::ALLOW;
use axum::http::{Method, StatusCode};
use chrono::{DateTime, Utc};
use partner_alerts::{AlertId, AlertStatus, FraudEvent, ResolvedReason};
use serde_json::Value;
use serde_json::value::{RawValue, to_raw_value};

use super::event::{fraud_event, pc_event_type};
use crate::envelope::{Reply, decode, parse_query, pc_error};
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
    /// The `If-Match` header, when sent (not empty).
    pub if_match: Option<String>,
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
    if is(0, "webhooks") {
        return crate::webhooks::dispatch(shared, method, &segs, body, ctx.now);
    }
    if is(0, "v1") && super::directory::handles(&segs[1..]) {
        return super::directory::dispatch(shared, ctx, method, &segs[1..], query, body);
    }
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

/// `EventStatus` as the API accepts it (`Resolve` is the new-model table's spelling).
pub(super) fn parse_status(s: &str) -> Option<AlertStatus> {
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

/// A body field by any casing of its name (`EventIds`, `eventIds`), unless `null`.
pub(super) fn field<'a>(body: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn update(shared: &Shared, ctx: &Ctx, subscription: &str, body: &[u8]) -> Reply {
    bump(&shared.stats.status_updates);
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
    if let Ok(events) = &result {
        add(&shared.stats.writes, events.len());
    }
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
