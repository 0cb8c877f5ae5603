//! One alert: get (`$select` honoured) and PATCH (status and resolved reason).

use axum::http::{HeaderName, StatusCode};
use partner_alerts::{AlertId, AlertStatus, ResolvedReason};
use serde_json::Value;

use super::ctx::Ctx;
use super::options::options;
use super::render::{Field, Obj, context, graph_odd_values, render, set_odd};
use crate::envelope::{Api, Reply, graph_error, status_fault};
use crate::fault::FaultKind;
use crate::odata::Select;
use crate::quirks::odd_value;
use crate::shared::Shared;
use crate::state::{EMULATOR_UPN, change_status};
use crate::stats::bump;

const ALERT_TYPE: &str = "microsoft.graph.partner.security.partnerSecurityAlert";

fn not_found(ctx: &Ctx, id: &str) -> Reply {
    graph_error(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        &format!("The partner security alert with id '{id}' was not found."),
        &ctx.ids,
        ctx.now,
    )
}

/// The item JSON with `@odata.context` first.
fn item(ctx: &Ctx, select: &Select, mut obj: Obj) -> Reply {
    let mut fields = vec![(
        "@odata.context",
        Field::Json(Value::String(context(ctx, select, true))),
    )];
    fields.append(&mut obj.0);
    Reply::json(StatusCode::OK, &Obj(fields))
}

pub(super) fn get(shared: &Shared, ctx: &Ctx, id: &str, query: &str) -> Reply {
    let o = match options(ctx, query, &["select"]) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let select = o.select.map_or_else(Select::all, |(_, s)| s);
    let Ok(alert_id) = AlertId::new(id) else {
        return not_found(ctx, id);
    };
    match shared.read(|s| {
        s.get(&alert_id)
            .map(|r| render(&r.alert, &select, ctx.prefer))
    }) {
        Some(mut obj) => {
            // A single alert is the first of its response.
            let odd = graph_odd_values(&shared.quirks(), &select);
            if let Some(v) = odd.as_deref().and_then(|c| odd_value(c, 0)) {
                set_odd(&mut obj, v);
                bump(&shared.stats.odd_values);
            }
            item(ctx, &select, obj)
        }
        None => not_found(ctx, id),
    }
}

/// The properties that exist but cannot be changed.
const READ_ONLY: &[&str] = &[
    "id",
    "displayName",
    "description",
    "alertType",
    "severity",
    "confidenceLevel",
    "customerTenantId",
    "subscriptionId",
    "valueAddedResellerTenantId",
    "catalogOfferId",
    "detectedDateTime",
    "firstObservedDateTime",
    "lastObservedDateTime",
    "resolvedOnDateTime",
    "resolvedBy",
    "isTest",
    "affectedResources",
    "activityLogs",
    "additionalDetails",
];

/// Validates a PATCH body: `status` (required) and `resolvedReason` (optional, only when
/// resolving).
fn patch_body(ctx: &Ctx, body: &[u8]) -> Result<(AlertStatus, Option<ResolvedReason>), Reply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ctx.bad_request(&format!("The request body is not valid JSON: {e}.")))?;
    let Value::Object(fields) = value else {
        return Err(ctx.bad_request("The request body must be a JSON object."));
    };
    let mut status = None;
    let mut reason = None;
    for (key, v) in &fields {
        if key.eq_ignore_ascii_case("status") {
            let s = v.as_str().unwrap_or_default();
            let parsed = AlertStatus::parse(s);
            if !parsed.is_known() {
                return Err(ctx.bad_request(&format!(
                    "Invalid value {v} for the property 'status': expected 'active', \
                     'resolved' or 'investigating'."
                )));
            }
            status = Some(parsed);
        } else if key.eq_ignore_ascii_case("resolvedReason") {
            if v.is_null() {
                continue;
            }
            let s = v.as_str().unwrap_or_default();
            let parsed = ResolvedReason::parse(s);
            if !parsed.is_known() {
                return Err(ctx.bad_request(&format!(
                    "Invalid value {v} for the property 'resolvedReason': expected \
                     'legitimate', 'ignore' or 'fraud'."
                )));
            }
            reason = Some(parsed);
        } else if key == "@odata.type" {
            let t = v.as_str().unwrap_or_default();
            if t.trim_start_matches('#') != ALERT_TYPE {
                return Err(ctx.bad_request(&format!(
                    "The @odata.type {v} does not match the resource type '#{ALERT_TYPE}'."
                )));
            }
        } else if let Some(ro) = READ_ONLY.iter().find(|p| p.eq_ignore_ascii_case(key)) {
            return Err(ctx.bad_request(&format!(
                "The property '{ro}' is read-only and cannot be updated; only 'status' and \
                 'resolvedReason' can."
            )));
        } else {
            return Err(ctx.bad_request(&format!(
                "The property '{key}' does not exist on type '{ALERT_TYPE}'. Make sure to only \
                 use property names that are defined by the type."
            )));
        }
    }
    let Some(status) = status else {
        return Err(ctx.bad_request("The property 'status' is required."));
    };
    if reason.is_some() && status != AlertStatus::Resolved {
        return Err(ctx.bad_request(
            "The property 'resolvedReason' can only be set together with status 'resolved'.",
        ));
    }
    Ok((status, reason))
}

pub(super) fn patch(shared: &Shared, ctx: &Ctx, id: &str, query: &str, body: &[u8]) -> Reply {
    bump(&shared.stats.patches);
    if let Err(r) = options(ctx, query, &[]) {
        return r;
    }
    let (status, reason) = match patch_body(ctx, body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(alert_id) = AlertId::new(id) else {
        return not_found(ctx, id);
    };
    let select = Select::all();
    let updated = shared.write(|s| {
        let i = s.index_of(&alert_id)?;
        let rec = s.modify(i, &shared.generator, |a| {
            change_status(a, status, reason, EMULATOR_UPN, ctx.now)
        });
        Some(render(&rec.alert, &select, ctx.prefer))
    });
    if updated.is_some() {
        bump(&shared.stats.writes);
    }
    match updated {
        None => not_found(ctx, id),
        // Applied, but the answer is lost on the way.
        Some(_) if shared.take_lost_answer() => status_fault(
            Api::Graph,
            FaultKind::InternalServerError,
            &ctx.ids,
            ctx.now,
            "",
        ),
        Some(_) if ctx.prefer.return_minimal => Reply::empty(StatusCode::NO_CONTENT).with_header(
            HeaderName::from_static("preference-applied"),
            "return=minimal",
        ),
        Some(obj) => item(ctx, &select, obj),
    }
}
