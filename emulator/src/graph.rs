//! The Microsoft Graph side: `/security/partner/securityAlerts` (list, `$count`, get,
//! PATCH) and `/$batch`, all under `/beta`.

use std::collections::HashSet;

use axum::http::header::ALLOW;
use axum::http::{HeaderName, Method, StatusCode};
use chrono::{DateTime, Utc};
use partner_alerts::{
    AdditionalDetails, AlertId, AlertStatus, ConfidenceLevel, ResolvedReason, Severity,
};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::envelope::{
    Api, Ids, Prefer, Reply, decode, encode, graph_error, parse_query, status_fault,
};
use crate::fault::FaultKind;
use crate::odata::{EnumMode, Filter, Select};
use crate::quirks::Quirks;
use crate::quirks::{
    FOREIGN_GRAPH_BASE_URL, GRAPH_ODD_VALUES, RawObject, interleave, not_alert, odd_candidates,
    odd_value, raw,
};
use crate::record::Record;
use crate::rng::SplitMix64;
use crate::shared::Shared;
use crate::state::{EMULATOR_UPN, Store, change_status};
use crate::stats::{add, bump};

/// The most requests one `$batch` may hold.
const MAX_BATCH: usize = 20;
const ALERT_TYPE: &str = "microsoft.graph.partner.security.partnerSecurityAlert";

/// What a Graph request carries besides its method, path and body.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub ids: Ids,
    pub prefer: Prefer,
    /// `http://host:port/beta`, for absolute links.
    pub base: String,
    pub now: DateTime<Utc>,
}

impl Ctx {
    fn mode(&self) -> EnumMode {
        EnumMode {
            include_unknown_members: self.prefer.include_unknown_enum_members,
        }
    }

    fn bad_request(&self, message: &str) -> Reply {
        graph_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            message,
            &self.ids,
            self.now,
        )
    }
}

/// Routes one Graph request (`path` is relative to `/beta`). `top_level` is false for the
/// requests inside a `$batch`.
pub(crate) fn dispatch(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
    top_level: bool,
) -> Reply {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| decode(s, false))
        .collect();
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    let collection =
        segs.len() >= 3 && is(0, "security") && is(1, "partner") && is(2, "securityAlerts");
    let not_allowed = |allow: &str| {
        graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "notAllowed",
            &format!("The HTTP method '{method}' is not allowed on this resource."),
            &ctx.ids,
            ctx.now,
        )
        .with_header(ALLOW, allow)
    };
    match segs.len() {
        1 if is(0, "$batch") => {
            if !top_level {
                ctx.bad_request("A $batch request cannot contain another $batch request.")
            } else if method == Method::POST {
                batch(shared, ctx, body)
            } else {
                not_allowed("POST")
            }
        }
        3 if collection => match *method {
            Method::GET => list(shared, ctx, query),
            _ => not_allowed("GET"),
        },
        4 if collection && segs[3] == "$count" => match *method {
            Method::GET => count(shared, ctx, query),
            _ => not_allowed("GET"),
        },
        4 if collection => match *method {
            Method::GET => get(shared, ctx, &segs[3], query),
            Method::PATCH => patch(shared, ctx, &segs[3], query, body),
            _ => not_allowed("GET, PATCH"),
        },
        _ => {
            let known = ["security", "partner", "securityAlerts"];
            let bad = segs
                .iter()
                .enumerate()
                .find(|(i, s)| known.get(*i).is_none_or(|k| !s.eq_ignore_ascii_case(k)))
                .map_or(path.trim_matches('/'), |(_, s)| s.as_str());
            ctx.bad_request(&format!("Resource not found for the segment '{bad}'."))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Query options

#[derive(Default)]
struct Options {
    filter: Option<(String, Filter)>,
    select: Option<(String, Select)>,
    top: Option<usize>,
    count: bool,
    skiptoken: Option<Token>,
}

/// The OData system query options, by name without `$`.
const SYSTEM_OPTIONS: &[&str] = &[
    "filter",
    "select",
    "top",
    "count",
    "skiptoken",
    "skip",
    "orderby",
    "search",
    "expand",
    "format",
    "apply",
    "compute",
    "deltatoken",
    "levels",
    "index",
    "schemaversion",
];

/// Parses the query options, accepting only those in `allowed` (by name without `$`; the
/// `$` prefix is optional, as on Graph's beta endpoint).
fn options(ctx: &Ctx, query: &str, allowed: &[&str]) -> Result<Options, Reply> {
    let mut o = Options::default();
    let mut seen = HashSet::new();
    for (key, value) in parse_query(query) {
        let name = key.strip_prefix('$').unwrap_or(&key).to_ascii_lowercase();
        if !SYSTEM_OPTIONS.contains(&name.as_str()) {
            if key.starts_with('$') {
                return Err(
                    ctx.bad_request(&format!("The query parameter '{key}' is not supported."))
                );
            }
            // Custom query parameters are the client's business.
            continue;
        }
        if !seen.insert(name.clone()) {
            return Err(ctx.bad_request(&format!(
                "Query option '${name}' was specified more than once, but it must be \
                 specified at most once."
            )));
        }
        if !allowed.contains(&name.as_str()) {
            return Err(ctx.bad_request(&format!(
                "The query option '${name}' is not supported on this resource."
            )));
        }
        match name.as_str() {
            "filter" => {
                let f = Filter::parse_with(&value, ctx.mode())
                    .map_err(|e| ctx.bad_request(&format!("Invalid filter clause: {e}")))?;
                o.filter = Some((value, f));
            }
            "select" => {
                let s = Select::parse(&value).map_err(|e| {
                    ctx.bad_request(&format!("Parsing OData Select and Expand failed: {e}"))
                })?;
                o.select = Some((value, s));
            }
            "top" => {
                o.top = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| {
                            ctx.bad_request(&format!(
                                "Invalid value '{value}' for $top: a positive integer is expected."
                            ))
                        })?,
                );
            }
            "count" => {
                o.count = match value.trim().to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ctx.bad_request(&format!(
                            "Invalid value '{value}' for $count: 'true' or 'false' is expected."
                        )));
                    }
                };
            }
            "skiptoken" => {
                o.skiptoken = Some(
                    parse_skiptoken(&value)
                        .ok_or_else(|| ctx.bad_request("The $skiptoken is not valid."))?,
                );
            }
            other => {
                return Err(ctx.bad_request(&format!(
                    "The query option '${other}' is not supported on this resource."
                )));
            }
        }
    }
    Ok(o)
}

const TOKEN_MASK: u64 = 0x9e37_79b9_7f4a_7c15;

/// Where a page starts: after listing position `after`. `page` is its number (from 1), for
/// the quirks that pick a page; `empty` marks the empty page [`Quirks::empty_page_after`]
/// serves before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Token {
    after: u64,
    page: u32,
    empty: bool,
}

impl Token {
    /// The first page (which has no token).
    const FIRST: Token = Token {
        after: 0,
        page: 1,
        empty: false,
    };

    fn check(&self) -> u32 {
        let tail = (u64::from(self.page) << 1) | u64::from(self.empty);
        SplitMix64::new(self.after ^ tail.wrapping_mul(TOKEN_MASK)).next_u64() as u32
    }
}

/// An opaque `$skiptoken` for a page.
fn skiptoken(t: Token) -> String {
    format!(
        "{:016x}{:08x}{}{:08x}",
        t.after ^ TOKEN_MASK,
        t.page,
        u8::from(t.empty),
        t.check()
    )
}

fn parse_skiptoken(s: &str) -> Option<Token> {
    if s.len() != 33 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let t = Token {
        after: u64::from_str_radix(&s[..16], 16).ok()? ^ TOKEN_MASK,
        page: u32::from_str_radix(&s[16..24], 16).ok()?,
        empty: match &s[24..25] {
            "0" => false,
            "1" => true,
            _ => return None,
        },
    };
    let check = u32::from_str_radix(&s[25..], 16).ok()?;
    (t.page >= 1 && t.check() == check).then_some(t)
}

// ---------------------------------------------------------------------------------------
// Rendering

/// A property value: JSON, or the details bag written directly so that its keys keep their
/// order (a `serde_json::Value` object would sort them).
enum Field {
    Json(Value),
    Details(AdditionalDetails),
    /// A whole alert already written as JSON (the listing's fast path).
    Raw(Box<serde_json::value::RawValue>),
    /// A whole alert, property by property.
    Obj(Obj),
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Obj(v) => v.serialize(serializer),
            Field::Raw(v) => v.serialize(serializer),
            Field::Json(v) => v.serialize(serializer),
            Field::Details(d) => d.serialize(serializer),
        }
    }
}

/// A JSON object that keeps its keys in the order given.
struct Obj(Vec<(&'static str, Field)>);

impl Serialize for Obj {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Graph's `unknownFutureValue` for enum members the request did not opt into.
fn mask_enum(v: &mut Value, known: impl Fn(&str) -> bool) {
    if let Value::String(s) = v
        && !known(s)
    {
        *s = "unknownFutureValue".to_owned();
    }
}

/// The alert's Graph JSON when every property is selected and no enum member needs
/// masking: written straight from the model, absent properties appended as `null`. Skips
/// the `Value` tree, which made the emulator slower than the clients it serves.
fn render_all(rec: &Record, prefer: Prefer) -> Option<Field> {
    let alert = &rec.alert;
    fn masked<T>(v: &Option<T>, known: impl Fn(&T) -> bool, text: impl Fn(&T) -> &str) -> bool {
        v.as_ref()
            .is_some_and(|v| !known(v) && text(v) != "unknownFutureValue")
    }
    if !prefer.include_unknown_enum_members
        && (masked(&alert.status, AlertStatus::is_known, AlertStatus::as_str)
            || masked(&alert.severity, Severity::is_known, Severity::as_str)
            || masked(
                &alert.confidence_level,
                ConfidenceLevel::is_known,
                ConfidenceLevel::as_str,
            )
            || masked(
                &alert.resolved_reason,
                ResolvedReason::is_known,
                ResolvedReason::as_str,
            )
            || alert.activity_logs.iter().flatten().any(|l| {
                masked(&l.status_from, AlertStatus::is_known, AlertStatus::as_str)
                    || masked(&l.status_to, AlertStatus::is_known, AlertStatus::as_str)
            }))
    {
        return None;
    }
    rec.rendered
        .get_or_render(|| full_json(alert))
        .map(|json| Field::Raw(json.to_owned()))
}

/// Every property of the alert as Graph writes it, absent ones as `null` (after the others).
fn full_json(alert: &partner_alerts::Alert) -> Option<Box<serde_json::value::RawValue>> {
    let a = alert;
    let absent = [
        ("displayName", a.display_name.is_none()),
        ("description", a.description.is_none()),
        ("alertType", a.alert_type.is_none()),
        ("status", a.status.is_none()),
        ("severity", a.severity.is_none()),
        ("confidenceLevel", a.confidence_level.is_none()),
        ("customerTenantId", a.customer_tenant_id.is_none()),
        ("subscriptionId", a.subscription_id.is_none()),
        (
            "valueAddedResellerTenantId",
            a.value_added_reseller_tenant_id.is_none(),
        ),
        ("catalogOfferId", a.catalog_offer_id.is_none()),
        ("detectedDateTime", a.detected_date_time.is_none()),
        (
            "firstObservedDateTime",
            a.first_observed_date_time.is_none(),
        ),
        ("lastObservedDateTime", a.last_observed_date_time.is_none()),
        ("resolvedReason", a.resolved_reason.is_none()),
        ("resolvedOnDateTime", a.resolved_on_date_time.is_none()),
        ("resolvedBy", a.resolved_by.is_none()),
        ("isTest", a.is_test.is_none()),
        ("affectedResources", a.affected_resources.is_none()),
        ("activityLogs", a.activity_logs.is_none()),
        ("additionalDetails", a.additional_details.is_none()),
    ];
    let mut json = serde_json::to_string(alert).ok()?;
    // `{"id":...}`: the id is never absent, so each null follows a property.
    json.pop();
    for (name, _) in absent.iter().filter(|(_, none)| *none) {
        json.push_str(",\"");
        json.push_str(name);
        json.push_str("\":null");
    }
    json.push('}');
    serde_json::value::RawValue::from_string(json).ok()
}

/// The alert's Graph JSON: the selected properties in declared order, `null` for absent
/// ones, enum members newer than the request asked for shown as `unknownFutureValue`.
fn render(alert: &partner_alerts::Alert, select: &Select, prefer: Prefer) -> Obj {
    let Ok(Value::Object(mut m)) = serde_json::to_value(alert) else {
        return Obj(vec![(
            "id",
            Field::Json(Value::String(alert.id.to_string())),
        )]);
    };
    if !prefer.include_unknown_enum_members {
        let ok = |parsed_known: bool, s: &str| parsed_known || s == "unknownFutureValue";
        if let Some(v) = m.get_mut("status") {
            mask_enum(v, |s| ok(AlertStatus::parse(s).is_known(), s));
        }
        if let Some(v) = m.get_mut("severity") {
            mask_enum(v, |s| ok(Severity::parse(s).is_known(), s));
        }
        if let Some(v) = m.get_mut("confidenceLevel") {
            mask_enum(v, |s| ok(ConfidenceLevel::parse(s).is_known(), s));
        }
        if let Some(v) = m.get_mut("resolvedReason") {
            mask_enum(v, |s| ok(ResolvedReason::parse(s).is_known(), s));
        }
        if let Some(Value::Array(logs)) = m.get_mut("activityLogs") {
            for log in logs.iter_mut().filter_map(Value::as_object_mut) {
                for key in ["statusFrom", "statusTo"] {
                    if let Some(v) = log.get_mut(key) {
                        mask_enum(v, |s| ok(AlertStatus::parse(s).is_known(), s));
                    }
                }
            }
        }
    }
    Obj(select
        .properties()
        .iter()
        .map(|p| {
            let field = match (&alert.additional_details, *p) {
                (Some(d), "additionalDetails") => Field::Details(d.clone()),
                _ => Field::Json(m.remove(*p).unwrap_or(Value::Null)),
            };
            (*p, field)
        })
        .collect())
}

fn context(ctx: &Ctx, select: &Select, entity: bool) -> String {
    let mut s = format!("{}/$metadata#security/partner/securityAlerts", ctx.base);
    if !select.is_all() {
        s.push('(');
        s.push_str(&select.properties().join(","));
        s.push(')');
    }
    if entity {
        s.push_str("/$entity");
    }
    s
}

// ---------------------------------------------------------------------------------------
// Operations

/// A list page's JSON.
#[derive(Serialize)]
struct Page {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
    value: Vec<Field>,
}

/// The odd values that take turns on alerts rendered with `select`, if they are on.
fn graph_odd_values(quirks: &Quirks, select: &Select) -> Option<Vec<(&'static str, &'static str)>> {
    quirks
        .odd_values_on()
        .then(|| odd_candidates(GRAPH_ODD_VALUES, |k| select.properties().contains(&k)))
}

/// Puts an odd value in place of a property's own.
fn set_odd(obj: &mut Obj, (key, text): (&str, &str)) {
    if let Some((_, f)) = obj.0.iter_mut().find(|(k, _)| *k == key) {
        *f = Field::Raw(raw(text));
    }
}

/// A rendered alert with an odd value in place of a property's own, where the property is
/// (the fast path writes absent properties last, the other in declared order).
fn with_odd(field: Field, odd: (&str, &str)) -> Field {
    match field {
        Field::Obj(mut obj) => {
            set_odd(&mut obj, odd);
            Field::Obj(obj)
        }
        other => match RawObject::of(&other) {
            Some(mut obj) => {
                obj.set(odd.0, raw(odd.1));
                Field::Raw(obj.into_raw())
            }
            None => other,
        },
    }
}

fn list(shared: &Shared, ctx: &Ctx, query: &str) -> Reply {
    let o = match options(
        ctx,
        query,
        &["filter", "select", "top", "count", "skiptoken"],
    ) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let quirks = shared.quirks();
    let select = o
        .select
        .as_ref()
        .map_or_else(Select::all, |(_, s)| s.clone());
    let token = o.skiptoken.unwrap_or(Token::FIRST);
    // Links carry the filter, the select and `$top`, and where the next page starts.
    let link = |base: &str, t: Token| {
        let mut q = Vec::new();
        if let Some((raw, _)) = &o.filter {
            q.push(format!("$filter={}", encode(raw)));
        }
        if let Some((raw, _)) = &o.select {
            q.push(format!("$select={}", encode(raw)));
        }
        if let Some(top) = o.top {
            q.push(format!("$top={top}"));
        }
        q.push(format!("$skiptoken={}", skiptoken(t)));
        format!("{base}/security/partner/securityAlerts?{}", q.join("&"))
    };
    if token.empty {
        bump(&shared.stats.empty_pages);
        return Reply::json(
            StatusCode::OK,
            &Page {
                context: context(ctx, &select, false),
                count: None,
                next_link: Some(link(
                    &ctx.base,
                    Token {
                        empty: false,
                        ..token
                    },
                )),
                value: Vec::new(),
            },
        );
    }
    let mut size = o
        .top
        .map_or(shared.page_size, |t| t.min(shared.page_size))
        .max(1);
    if let Some(cap) = quirks.page_cap().filter(|c| *c < size) {
        size = cap;
        bump(&shared.stats.capped_pages);
    }
    let mode = ctx.mode();
    let odd = graph_odd_values(&quirks, &select);
    let resolve = shared.take_resolved_page();
    let (value, last, more, total, served) = shared.read(|store| {
        let matches = |r: &Record| {
            o.filter
                .as_ref()
                .is_none_or(|(_, f)| f.matches_with(&r.alert, mode))
        };
        let (page, more) = page(store, token.after, size, matches);
        let value: Vec<Field> = page
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let field = select
                    .is_all()
                    .then(|| render_all(r, ctx.prefer))
                    .flatten()
                    .unwrap_or_else(|| Field::Obj(render(&r.alert, &select, ctx.prefer)));
                match odd.as_deref().and_then(|c| odd_value(c, k)) {
                    Some(odd) => with_odd(field, odd),
                    None => field,
                }
            })
            .collect();
        let last = page.last().map_or(0, |r| r.seq);
        // Only `$count=true` pays for a full pass.
        let total = o
            .count
            .then(|| store.records().iter().filter(|r| matches(r)).count());
        let served: Vec<AlertId> = if resolve {
            page.iter().map(|r| r.alert.id.clone()).collect()
        } else {
            Vec::new()
        };
        (value, last, more, total, served)
    });
    if odd.as_ref().is_some_and(|c| !c.is_empty()) {
        add(&shared.stats.odd_values, value.len());
    }
    let (value, inserted) = interleave(value, quirks.not_alerts_interval(), |j| {
        Field::Raw(not_alert(j))
    });
    add(&shared.stats.not_alerts, inserted);

    let next_link = if quirks.repeated_next_link_on() && token.page == 2 {
        bump(&shared.stats.repeated_links);
        Some(link(&ctx.base, token))
    } else if more {
        let next = Token {
            after: last,
            page: token.page.saturating_add(1),
            empty: quirks.empty_page_position() == usize::try_from(token.page).ok(),
        };
        let base = if quirks.foreign_next_link_on() && token.page == 1 {
            bump(&shared.stats.foreign_links);
            FOREIGN_GRAPH_BASE_URL
        } else {
            &ctx.base
        };
        Some(link(base, next))
    } else {
        None
    };
    let reply = Reply::json(
        StatusCode::OK,
        &Page {
            context: context(ctx, &select, false),
            count: total,
            next_link,
            value,
        },
    );
    if resolve {
        shared.resolve_as_colleague(&served, ctx.now);
    }
    reply
}

/// The page of at most `size` matching records listed after `after`, and whether more
/// match. The start is found by binary search and the scan stops at the first match past the
/// page, so listing n alerts page by page stays O(n) rather than O(n²).
fn page(
    store: &Store,
    after: u64,
    size: usize,
    mut matches: impl FnMut(&Record) -> bool,
) -> (Vec<&Record>, bool) {
    let rest = &store.records()[store.position_after(after)..];
    let mut page = Vec::with_capacity(size.min(rest.len()));
    for r in rest {
        if !matches(r) {
            continue;
        }
        if page.len() == size {
            return (page, true);
        }
        page.push(r);
    }
    (page, false)
}

fn count(shared: &Shared, ctx: &Ctx, query: &str) -> Reply {
    let o = match options(ctx, query, &["filter"]) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mode = ctx.mode();
    let n = shared.read(|store| {
        store
            .records()
            .iter()
            .filter(|r| {
                o.filter
                    .as_ref()
                    .is_none_or(|(_, f)| f.matches_with(&r.alert, mode))
            })
            .count()
    });
    Reply::text(StatusCode::OK, n.to_string())
}

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

fn get(shared: &Shared, ctx: &Ctx, id: &str, query: &str) -> Reply {
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

fn patch(shared: &Shared, ctx: &Ctx, id: &str, query: &str, body: &[u8]) -> Reply {
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

// ---------------------------------------------------------------------------------------
// $batch

struct BatchItem {
    id: String,
    method: String,
    url: String,
    headers: Map<String, Value>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn batch_items(ctx: &Ctx, body: &[u8]) -> Result<Vec<BatchItem>, Reply> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ctx.bad_request(&format!("The $batch body is not valid JSON: {e}.")))?;
    let Some(requests) = value.get("requests").and_then(Value::as_array) else {
        return Err(ctx.bad_request("The $batch body must be an object with a 'requests' array."));
    };
    if requests.is_empty() {
        return Err(ctx.bad_request("The $batch body holds no requests."));
    }
    if requests.len() > MAX_BATCH {
        return Err(ctx.bad_request(&format!(
            "The $batch body holds {} requests; at most {MAX_BATCH} are allowed.",
            requests.len()
        )));
    }
    let mut items = Vec::with_capacity(requests.len());
    let mut ids: Vec<String> = Vec::new();
    for (n, r) in requests.iter().enumerate() {
        let field = |name: &str| r.get(name).and_then(Value::as_str).map(str::to_owned);
        let missing = |name: &str| {
            ctx.bad_request(&format!(
                "Request {} of the $batch has no string '{name}'.",
                n + 1
            ))
        };
        let id = field("id").ok_or_else(|| missing("id"))?;
        if ids.iter().any(|x| x.eq_ignore_ascii_case(&id)) {
            return Err(ctx.bad_request(&format!(
                "The $batch holds the request id '{id}' more than once."
            )));
        }
        let depends_on: Vec<String> = match r.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|d| d.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| ctx.bad_request("'dependsOn' must be an array of request ids."))?,
            Some(_) => return Err(ctx.bad_request("'dependsOn' must be an array of request ids.")),
        };
        if let Some(d) = depends_on
            .iter()
            .find(|d| !ids.iter().any(|x| x.eq_ignore_ascii_case(d)))
        {
            return Err(ctx.bad_request(&format!(
                "Request '{id}' depends on '{d}', which is not an earlier request of the $batch."
            )));
        }
        let headers = match r.get("headers") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => return Err(ctx.bad_request("'headers' must be an object.")),
        };
        items.push(BatchItem {
            method: field("method").ok_or_else(|| missing("method"))?,
            url: field("url").ok_or_else(|| missing("url"))?,
            body: r.get("body").filter(|b| !b.is_null()).cloned(),
            headers,
            depends_on,
            id: id.clone(),
        });
        ids.push(id);
    }
    Ok(items)
}

fn header<'a>(headers: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

fn batch(shared: &Shared, ctx: &Ctx, body: &[u8]) -> Reply {
    let items = match batch_items(ctx, body) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let mut failed: Vec<String> = Vec::new();
    let mut responses = Vec::with_capacity(items.len());
    for it in items {
        shared
            .stats
            .batch_items
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let prefer = {
            let own = Prefer::parse(header(&it.headers, "prefer"));
            Prefer {
                include_unknown_enum_members: own.include_unknown_enum_members
                    || ctx.prefer.include_unknown_enum_members,
                return_minimal: own.return_minimal || ctx.prefer.return_minimal,
            }
        };
        let inner = Ctx {
            ids: Ids::for_batch_item(header(&it.headers, "client-request-id")),
            prefer,
            base: ctx.base.clone(),
            now: ctx.now,
        };
        let reply = if it
            .depends_on
            .iter()
            .any(|d| failed.iter().any(|f| f.eq_ignore_ascii_case(d)))
        {
            graph_error(
                StatusCode::FAILED_DEPENDENCY,
                "FailedDependency",
                "A request this request depends on failed.",
                &inner.ids,
                inner.now,
            )
        } else {
            let fault = {
                let mut f = shared.faults();
                f.decide_inner()
                    .map(|k| (k, f.settings.retry_after_header()))
            };
            match fault {
                Some((kind, retry_after)) => {
                    shared.stats.count_fault(kind);
                    status_fault(Api::Graph, kind, &inner.ids, inner.now, &retry_after)
                }
                None => batch_one(shared, &inner, &it),
            }
        };
        if reply.status.as_u16() >= 400 {
            failed.push(it.id.clone());
        }
        let mut out = Map::new();
        out.insert("id".to_owned(), it.id.into());
        out.insert("status".to_owned(), reply.status.as_u16().into());
        let mut headers = reply.batch_headers();
        headers.insert("request-id".to_owned(), inner.ids.request_id.clone().into());
        headers.insert(
            "client-request-id".to_owned(),
            inner.ids.client_id.clone().into(),
        );
        out.insert("headers".to_owned(), Value::Object(headers));
        if let Some(b) = reply.batch_body() {
            out.insert("body".to_owned(), b);
        }
        responses.push(Value::Object(out));
    }
    Reply::json(
        StatusCode::OK,
        &serde_json::json!({ "responses": responses }),
    )
}

fn batch_one(shared: &Shared, ctx: &Ctx, it: &BatchItem) -> Reply {
    let Ok(method) = Method::from_bytes(it.method.to_ascii_uppercase().as_bytes()) else {
        return ctx.bad_request(&format!("'{}' is not an HTTP method.", it.method));
    };
    if it.url.contains("://") {
        return ctx.bad_request(
            "The url of a $batch request must be relative to the version root, e.g. \
             /security/partner/securityAlerts.",
        );
    }
    let body = match &it.body {
        Some(_) if header(&it.headers, "content-type").is_none() => {
            return ctx.bad_request("A $batch request with a body needs a Content-Type header.");
        }
        Some(b) => serde_json::to_vec(b).unwrap_or_default(),
        None => Vec::new(),
    };
    let (path, query) = it.url.split_once('?').unwrap_or((&it.url, ""));
    let path = path
        .strip_prefix("/beta")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path);
    dispatch(shared, ctx, &method, path, query, &body, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Generator;
    use chrono::TimeZone;

    #[test]
    fn the_fast_rendering_says_what_the_property_by_property_one_says() {
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let g = Generator::new(5);
        let mut store = Store::generate(&g, 300, now);
        // Sparse and novel alerts too: nulls, and enum members a client may not know.
        let first = store.records()[0].alert.clone();
        store.upsert(partner_alerts::Alert::new(first.id.clone()), &g);
        let mut novel = store.records()[1].alert.clone();
        novel.status = Some(AlertStatus::parse("quarantined"));
        store.upsert(novel, &g);
        let check = |store: &Store| {
            let mut fast = 0;
            for include in [true, false] {
                let prefer = Prefer {
                    include_unknown_enum_members: include,
                    return_minimal: false,
                };
                for r in store.records() {
                    let slow = serde_json::to_value(render(&r.alert, &Select::all(), prefer));
                    match render_all(r, prefer) {
                        Some(f) => {
                            fast += 1;
                            assert_eq!(
                                serde_json::to_value(f).unwrap(),
                                slow.unwrap(),
                                "{}",
                                r.alert.id
                            );
                        }
                        None => assert!(!include, "only masking needs the slow path"),
                    }
                }
            }
            fast
        };
        let n = store.records().len();
        assert_eq!(check(&store), 2 * n - 1);
        // Served twice (from the cache the second time), then changed: never stale.
        assert_eq!(check(&store), 2 * n - 1);
        let id = store.records()[2].alert.id.clone();
        let i = store.index_of(&id).unwrap();
        store.modify(i, &g, |a| a.display_name = Some("changed".into()));
        assert_eq!(check(&store), 2 * n - 1);
        let json = render_all(
            &store.records()[2],
            Prefer {
                include_unknown_enum_members: true,
                return_minimal: false,
            },
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(json).unwrap()["displayName"],
            "changed"
        );
        // The novel status is masked without the preference.
        let slow = serde_json::to_value(render(
            &store.records()[1].alert,
            &Select::all(),
            Prefer {
                include_unknown_enum_members: false,
                return_minimal: false,
            },
        ))
        .unwrap();
        assert_eq!(slow["status"], "unknownFutureValue");
    }

    #[test]
    fn a_page_starts_by_its_token_and_stops_after_one_more_match() {
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let store = Store::generate(&Generator::new(3), 1000, now);
        let seqs: Vec<u64> = store.records().iter().map(|r| r.seq).collect();
        let mut checked = 0;
        let (p, more) = page(&store, seqs[899], 10, |_| {
            checked += 1;
            true
        });
        assert_eq!(p.iter().map(|r| r.seq).collect::<Vec<_>>(), seqs[900..910]);
        assert!(more);
        assert_eq!(checked, 11, "only the page and one more are looked at");

        // A filter: matches are counted only from the token on.
        let mut checked = 0;
        let (p, more) = page(&store, seqs[989], 4, |r| {
            checked += 1;
            r.seq % 2 == 0
        });
        assert!(p.iter().all(|r| r.seq > seqs[989] && r.seq % 2 == 0));
        assert_eq!(p.len(), 4);
        assert!(checked <= 10, "{checked}");
        assert_eq!(more, seqs[990..].iter().filter(|s| *s % 2 == 0).count() > 4);

        // The last page, and a token past the end.
        let (p, more) = page(&store, seqs[995], 10, |_| true);
        assert_eq!((p.len(), more), (4, false));
        let (p, more) = page(&store, u64::MAX, 10, |_| true);
        assert!(p.is_empty() && !more);
        let (p, _) = page(&store, 0, 3, |_| true);
        assert_eq!(p[0].seq, seqs[0]);
    }

    #[test]
    fn skiptokens_round_trip_and_reject_garbage() {
        for after in [0, 1, 99, u64::MAX] {
            for (page, empty) in [(1, false), (2, true), (u32::MAX, false)] {
                let t = Token { after, page, empty };
                assert_eq!(parse_skiptoken(&skiptoken(t)), Some(t));
            }
        }
        assert_eq!(parse_skiptoken("abc"), None);
        let t = Token {
            after: 5,
            page: 2,
            empty: false,
        };
        for at in [0, 20, 24, 30] {
            let mut s = skiptoken(t);
            let c = if &s[at..at + 1] == "0" { "1" } else { "0" };
            s.replace_range(at..at + 1, c);
            assert_eq!(parse_skiptoken(&s), None, "{s}");
        }
        let page_zero = Token { page: 0, ..t };
        assert_eq!(parse_skiptoken(&skiptoken(page_zero)), None);
    }
}
