//! The Graph JSON of an alert: straight from the model when every property is selected,
//! property by property otherwise (enum members masked as asked), with odd values put in.

use partner_alerts::{AdditionalDetails, AlertStatus, ConfidenceLevel, ResolvedReason, Severity};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::ctx::Ctx;
use crate::envelope::Prefer;
use crate::odata::Select;
use crate::quirks::{GRAPH_ODD_VALUES, Quirks, RawObject, odd_candidates, raw};
use crate::record::Record;

/// A property value: JSON, or the details bag written directly so that its keys keep their
/// order (a `serde_json::Value` object would sort them).
pub(super) enum Field {
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
pub(super) struct Obj(pub(super) Vec<(&'static str, Field)>);

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
pub(super) fn render_all(rec: &Record, prefer: Prefer) -> Option<Field> {
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
pub(super) fn render(alert: &partner_alerts::Alert, select: &Select, prefer: Prefer) -> Obj {
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

pub(super) fn context(ctx: &Ctx, select: &Select, entity: bool) -> String {
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

/// The odd values that take turns on alerts rendered with `select`, if they are on.
pub(super) fn graph_odd_values(
    quirks: &Quirks,
    select: &Select,
) -> Option<Vec<(&'static str, &'static str)>> {
    quirks
        .odd_values_on()
        .then(|| odd_candidates(GRAPH_ODD_VALUES, |k| select.properties().contains(&k)))
}

/// Puts an odd value in place of a property's own.
pub(super) fn set_odd(obj: &mut Obj, (key, text): (&str, &str)) {
    if let Some((_, f)) = obj.0.iter_mut().find(|(k, _)| *k == key) {
        *f = Field::Raw(raw(text));
    }
}

/// A rendered alert with an odd value in place of a property's own, where the property is
/// (the fast path writes absent properties last, the other in declared order).
pub(super) fn with_odd(field: Field, odd: (&str, &str)) -> Field {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Generator;
    use crate::state::Store;
    use chrono::{TimeZone, Utc};

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
}
