//! Evaluating a checked `$filter` expression against an alert, without allocating.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use partner_alerts::Alert;

use super::expr::{CmpOp, EnumMode, Expr, StrFn, Value};
use super::props::{Kind, Prop};

/// A property's value on one alert, borrowed from it: evaluating a filter allocates nothing.
enum Actual<'a> {
    Null,
    Text(&'a str),
    Time(DateTime<Utc>),
    Bool(bool),
}

/// An enum value as the request may see it: unknown members are `unknownFutureValue`
/// unless the request opted in.
fn enum_text(s: &str, known: bool, mode: EnumMode) -> &str {
    if known || mode.include_unknown_members {
        s
    } else {
        "unknownFutureValue"
    }
}

fn actual(alert: &Alert, prop: Prop, mode: EnumMode) -> Actual<'_> {
    fn text(v: Option<&str>) -> Actual<'_> {
        v.map_or(Actual::Null, Actual::Text)
    }
    fn time(v: Option<DateTime<Utc>>) -> Actual<'static> {
        v.map_or(Actual::Null, Actual::Time)
    }
    match prop.name {
        "id" => Actual::Text(alert.id.as_str()),
        "displayName" => text(alert.display_name.as_deref()),
        "description" => text(alert.description.as_deref()),
        "alertType" => text(alert.alert_type.as_ref().map(|t| t.as_str())),
        "status" => text(
            alert
                .status
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "severity" => text(
            alert
                .severity
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "confidenceLevel" => text(
            alert
                .confidence_level
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "resolvedReason" => text(
            alert
                .resolved_reason
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "customerTenantId" => text(alert.customer_tenant_id.as_ref().map(|v| v.as_str())),
        "subscriptionId" => text(alert.subscription_id.as_ref().map(|v| v.as_str())),
        "valueAddedResellerTenantId" => text(
            alert
                .value_added_reseller_tenant_id
                .as_ref()
                .map(|v| v.as_str()),
        ),
        "catalogOfferId" => text(alert.catalog_offer_id.as_deref()),
        "detectedDateTime" => time(alert.detected_date_time),
        "firstObservedDateTime" => time(alert.first_observed_date_time),
        "lastObservedDateTime" => time(alert.last_observed_date_time),
        "resolvedOnDateTime" => time(alert.resolved_on_date_time),
        "resolvedBy" => text(alert.resolved_by.as_deref()),
        "isTest" => alert.is_test.map_or(Actual::Null, Actual::Bool),
        _ => Actual::Null,
    }
}

/// Whether a property's strings compare ignoring (ASCII) case: all but plain text do.
fn folds(kind: Kind) -> bool {
    kind != Kind::Text
}

/// Orders two strings as the property compares them, without lower-casing copies.
fn cmp_text(kind: Kind, a: &str, b: &str) -> Ordering {
    if folds(kind) {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.cmp(b)
    }
}

/// `startswith`, `endswith` and `contains`, as the property compares strings.
fn str_fn(f: StrFn, kind: Kind, s: &str, arg: &str) -> bool {
    let (s, arg) = (s.as_bytes(), arg.as_bytes());
    let eq = |a: &[u8], b: &[u8]| {
        if folds(kind) {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    if arg.len() > s.len() {
        return false;
    }
    match f {
        StrFn::StartsWith => eq(&s[..arg.len()], arg),
        StrFn::EndsWith => eq(&s[s.len() - arg.len()..], arg),
        StrFn::Contains => arg.is_empty() || s.windows(arg.len()).any(|w| eq(w, arg)),
    }
}

fn compare(prop: Prop, op: CmpOp, have: &Actual<'_>, want: &Value) -> bool {
    match (have, want) {
        (Actual::Null, Value::Null) => op == CmpOp::Eq,
        (_, Value::Null) => op == CmpOp::Ne,
        // Absent values equal nothing, differ from everything, order with nothing.
        (Actual::Null, _) => op == CmpOp::Ne,
        (Actual::Text(a), Value::Text(b)) => op.holds(cmp_text(prop.kind, a, b)),
        (Actual::Time(a), Value::Time(b)) => op.holds(a.cmp(b)),
        (Actual::Bool(a), Value::Bool(b)) => op.holds(a.cmp(b)),
        // Type checking rules the rest out; treat as no match.
        _ => false,
    }
}

pub(super) fn eval(e: &Expr, alert: &Alert, mode: EnumMode) -> bool {
    match e {
        Expr::And(items) => items.iter().all(|i| eval(i, alert, mode)),
        Expr::Or(items) => items.iter().any(|i| eval(i, alert, mode)),
        Expr::Not(inner) => !eval(inner, alert, mode),
        Expr::Cmp(p, op, v) => compare(*p, *op, &actual(alert, *p, mode), v),
        Expr::In(p, values) => {
            let have = actual(alert, *p, mode);
            values.iter().any(|v| compare(*p, CmpOp::Eq, &have, v))
        }
        Expr::Func(f, p, arg) => match actual(alert, *p, mode) {
            Actual::Text(s) => str_fn(*f, p.kind, s, arg),
            _ => false,
        },
        Expr::BoolProp(p) => matches!(actual(alert, *p, mode), Actual::Bool(true)),
        Expr::Const(b) => *b,
    }
}
