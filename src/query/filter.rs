use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};

use crate::model::wire::format_timestamp;
use crate::{
    Alert, AlertId, AlertStatus, AlertType, ConfidenceLevel, ResolvedReason, Severity,
    SubscriptionId, TenantId,
};

/// A property of [`Alert`], as `$select` and `$filter` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Field {
    /// `id`
    Id,
    /// `displayName`
    DisplayName,
    /// `description`
    Description,
    /// `alertType`
    AlertType,
    /// `status`
    Status,
    /// `severity`
    Severity,
    /// `confidenceLevel`
    ConfidenceLevel,
    /// `customerTenantId`
    CustomerTenantId,
    /// `subscriptionId`
    SubscriptionId,
    /// `valueAddedResellerTenantId`
    ValueAddedResellerTenantId,
    /// `catalogOfferId`
    CatalogOfferId,
    /// `detectedDateTime`
    DetectedDateTime,
    /// `firstObservedDateTime`
    FirstObservedDateTime,
    /// `lastObservedDateTime`
    LastObservedDateTime,
    /// `resolvedReason`
    ResolvedReason,
    /// `resolvedOnDateTime`
    ResolvedOnDateTime,
    /// `resolvedBy`
    ResolvedBy,
    /// `isTest`
    IsTest,
    /// `affectedResources`
    AffectedResources,
    /// `activityLogs`
    ActivityLogs,
    /// `additionalDetails`
    AdditionalDetails,
}

impl Field {
    /// Every field, in the resource's documented order.
    pub const ALL: &'static [Field] = &[
        Field::Id,
        Field::DisplayName,
        Field::Description,
        Field::AlertType,
        Field::Status,
        Field::Severity,
        Field::ConfidenceLevel,
        Field::CustomerTenantId,
        Field::SubscriptionId,
        Field::ValueAddedResellerTenantId,
        Field::CatalogOfferId,
        Field::DetectedDateTime,
        Field::FirstObservedDateTime,
        Field::LastObservedDateTime,
        Field::ResolvedReason,
        Field::ResolvedOnDateTime,
        Field::ResolvedBy,
        Field::IsTest,
        Field::AffectedResources,
        Field::ActivityLogs,
        Field::AdditionalDetails,
    ];

    /// The property's JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::DisplayName => "displayName",
            Field::Description => "description",
            Field::AlertType => "alertType",
            Field::Status => "status",
            Field::Severity => "severity",
            Field::ConfidenceLevel => "confidenceLevel",
            Field::CustomerTenantId => "customerTenantId",
            Field::SubscriptionId => "subscriptionId",
            Field::ValueAddedResellerTenantId => "valueAddedResellerTenantId",
            Field::CatalogOfferId => "catalogOfferId",
            Field::DetectedDateTime => "detectedDateTime",
            Field::FirstObservedDateTime => "firstObservedDateTime",
            Field::LastObservedDateTime => "lastObservedDateTime",
            Field::ResolvedReason => "resolvedReason",
            Field::ResolvedOnDateTime => "resolvedOnDateTime",
            Field::ResolvedBy => "resolvedBy",
            Field::IsTest => "isTest",
            Field::AffectedResources => "affectedResources",
            Field::ActivityLogs => "activityLogs",
            Field::AdditionalDetails => "additionalDetails",
        }
    }

    /// The field of a JSON property name (ignoring case).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Whether the field's strings compare ignoring ASCII case: enum values, alert types and
    /// ids do (the services vary their casing); free text (`displayName`, `description`,
    /// `catalogOfferId`, `resolvedBy`) compares exactly, as the emulator's Graph does.
    pub fn folds_case(self) -> bool {
        !matches!(
            self,
            Field::DisplayName | Field::Description | Field::CatalogOfferId | Field::ResolvedBy
        )
    }

    /// The alert's value of a scalar field, as a literal (`None` if absent or not scalar).
    fn value_of(self, a: &Alert) -> Option<Literal> {
        fn s(v: &Option<impl AsRef<str>>) -> Option<Literal> {
            v.as_ref().map(|v| Literal::String(v.as_ref().to_owned()))
        }
        fn e<T: AsStr>(v: &Option<T>) -> Option<Literal> {
            v.as_ref().map(|v| Literal::String(v.as_str().to_owned()))
        }
        match self {
            Field::Id => Some(Literal::String(a.id.as_str().to_owned())),
            Field::DisplayName => s(&a.display_name),
            Field::Description => s(&a.description),
            Field::AlertType => s(&a.alert_type),
            Field::Status => e(&a.status),
            Field::Severity => e(&a.severity),
            Field::ConfidenceLevel => e(&a.confidence_level),
            Field::CustomerTenantId => s(&a.customer_tenant_id),
            Field::SubscriptionId => s(&a.subscription_id),
            Field::ValueAddedResellerTenantId => s(&a.value_added_reseller_tenant_id),
            Field::CatalogOfferId => s(&a.catalog_offer_id),
            Field::DetectedDateTime => a.detected_date_time.map(Literal::DateTime),
            Field::FirstObservedDateTime => a.first_observed_date_time.map(Literal::DateTime),
            Field::LastObservedDateTime => a.last_observed_date_time.map(Literal::DateTime),
            Field::ResolvedReason => e(&a.resolved_reason),
            Field::ResolvedOnDateTime => a.resolved_on_date_time.map(Literal::DateTime),
            Field::ResolvedBy => s(&a.resolved_by),
            Field::IsTest => a.is_test.map(Literal::Bool),
            Field::AffectedResources | Field::ActivityLogs | Field::AdditionalDetails => None,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

trait AsStr {
    fn as_str(&self) -> &str;
}
macro_rules! as_str {
    ($($t:ty),*) => {$( impl AsStr for $t { fn as_str(&self) -> &str { <$t>::as_str(self) } } )*};
}
as_str!(AlertStatus, Severity, ConfidenceLevel, ResolvedReason);

/// A value in a filter, rendered as OData writes it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Literal {
    /// A string or enum member: `'active'` (a `'` inside is doubled).
    String(String),
    /// A timestamp, unquoted: `2026-11-01T00:00:00Z`.
    DateTime(DateTime<Utc>),
    /// `true` or `false`.
    Bool(bool),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::String(s) => {
                f.write_str("'")?;
                for (i, part) in s.split('\'').enumerate() {
                    if i > 0 {
                        f.write_str("''")?;
                    }
                    f.write_str(part)?;
                }
                f.write_str("'")
            }
            Literal::DateTime(t) => f.write_str(&format_timestamp(t, true)),
            Literal::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl Literal {
    /// The string, for a string literal.
    pub fn as_string(&self) -> Option<&str> {
        match self {
            Literal::String(s) => Some(s),
            _ => None,
        }
    }

    /// Compares two literals of the same kind; strings ignore ASCII case (enum values, ids
    /// and alert types all compare that way).
    fn compare(&self, other: &Literal, fold: bool) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Literal::String(a), Literal::String(b)) if fold => Some(
                a.bytes()
                    .map(|c| c.to_ascii_lowercase())
                    .cmp(b.bytes().map(|c| c.to_ascii_lowercase())),
            ),
            (Literal::String(a), Literal::String(b)) => Some(a.cmp(b)),
            (Literal::DateTime(a), Literal::DateTime(b)) => Some(a.cmp(b)),
            (Literal::Bool(a), Literal::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// A type that can stand on the right of a filter comparison.
pub trait ODataValue {
    /// The value as a literal.
    fn literal(&self) -> Literal;
}

/// Types whose values are ordered, so `gt`, `ge`, `lt`, `le` make sense.
pub trait Ordered: ODataValue {}

macro_rules! string_value {
    ($($t:ty),*) => {$(
        impl ODataValue for $t {
            fn literal(&self) -> Literal {
                Literal::String(self.as_str().to_owned())
            }
        }
    )*};
}
string_value!(
    AlertStatus,
    Severity,
    ConfidenceLevel,
    ResolvedReason,
    AlertType,
    AlertId,
    SubscriptionId,
    TenantId
);

impl ODataValue for str {
    fn literal(&self) -> Literal {
        Literal::String(self.to_owned())
    }
}

impl ODataValue for DateTime<Utc> {
    fn literal(&self) -> Literal {
        Literal::DateTime(*self)
    }
}
impl Ordered for DateTime<Utc> {}

impl ODataValue for bool {
    fn literal(&self) -> Literal {
        Literal::Bool(*self)
    }
}

/// A typed reference to a filterable field: its operators take only values of its type.
#[derive(Clone, Copy, Debug)]
pub struct FieldRef<T: ?Sized> {
    field: Field,
    _type: PhantomData<fn() -> Box<T>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
        }
    }
}

impl<T: ODataValue + ?Sized> FieldRef<T> {
    const fn new(field: Field) -> Self {
        FieldRef {
            field,
            _type: PhantomData,
        }
    }

    fn cmp(self, op: Op, value: &T) -> Filter {
        Filter(Expr::Cmp(self.field, op, value.literal()))
    }

    /// `field eq value`
    pub fn eq(self, value: impl Borrow<T>) -> Filter {
        self.cmp(Op::Eq, value.borrow())
    }

    /// `field ne value`
    pub fn ne(self, value: impl Borrow<T>) -> Filter {
        self.cmp(Op::Ne, value.borrow())
    }

    /// `field in (a, b, ...)`. An empty list is refused when the query is listed
    /// ([`Error::InvalidInput`](crate::Error::InvalidInput), nothing sent): OData has no
    /// empty `in`, and "none of nothing" is more likely a bug than a wish.
    pub fn in_<V: Borrow<T>>(self, values: impl IntoIterator<Item = V>) -> Filter {
        Filter(Expr::In(
            self.field,
            values.into_iter().map(|v| v.borrow().literal()).collect(),
        ))
    }
}

impl<T: Ordered + ?Sized> FieldRef<T> {
    /// `field gt value`
    pub fn gt(self, value: impl Borrow<T>) -> Filter {
        self.cmp(Op::Gt, value.borrow())
    }

    /// `field ge value`
    pub fn ge(self, value: impl Borrow<T>) -> Filter {
        self.cmp(Op::Ge, value.borrow())
    }

    /// `field lt value`
    pub fn lt(self, value: impl Borrow<T>) -> Filter {
        self.cmp(Op::Lt, value.borrow())
    }

    /// `field le value`
    pub fn le(self, value: impl Borrow<T>) -> Filter {
        self.cmp(Op::Le, value.borrow())
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
enum Expr {
    Cmp(Field, Op, Literal),
    In(Field, Vec<Literal>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Raw(String),
}

/// A `$filter` expression, built from typed fields.
///
/// `Display` renders the exact OData text; strings are quoted with `'` doubled inside, so a
/// value can never escape its literal.
///
/// ```
/// use partner_alerts::{AlertStatus, AlertType, Filter};
///
/// let f = Filter::alert_type().eq(AlertType::CRYPTO_MINING)
///     .or(Filter::alert_type().eq(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS))
///     .and(Filter::status().ne(AlertStatus::Resolved).not());
/// assert_eq!(
///     f.to_string(),
///     "(alertType eq 'CryptoMining' or alertType eq 'networkConnectionsToCryptoMiningPools') and not (status ne 'resolved')"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Filter(Expr);

macro_rules! fields {
    ($($(#[$m:meta])* $fn:ident: $t:ty = $field:ident;)*) => {
        impl Filter {
            $( $(#[$m])* pub fn $fn() -> FieldRef<$t> { FieldRef::new(Field::$field) } )*
        }
    };
}

fields! {
    /// `id`
    id: AlertId = Id;
    /// `displayName`
    display_name: str = DisplayName;
    /// `alertType`
    alert_type: AlertType = AlertType;
    /// `status`
    status: AlertStatus = Status;
    /// `severity`
    severity: Severity = Severity;
    /// `confidenceLevel`
    confidence_level: ConfidenceLevel = ConfidenceLevel;
    /// `customerTenantId`
    customer_tenant_id: TenantId = CustomerTenantId;
    /// `subscriptionId`
    subscription_id: SubscriptionId = SubscriptionId;
    /// `valueAddedResellerTenantId`
    value_added_reseller_tenant_id: TenantId = ValueAddedResellerTenantId;
    /// `catalogOfferId`
    catalog_offer_id: str = CatalogOfferId;
    /// `detectedDateTime`
    detected_date_time: DateTime<Utc> = DetectedDateTime;
    /// `firstObservedDateTime`
    first_observed_date_time: DateTime<Utc> = FirstObservedDateTime;
    /// `lastObservedDateTime`
    last_observed_date_time: DateTime<Utc> = LastObservedDateTime;
    /// `resolvedReason`
    resolved_reason: ResolvedReason = ResolvedReason;
    /// `resolvedOnDateTime`
    resolved_on_date_time: DateTime<Utc> = ResolvedOnDateTime;
    /// `resolvedBy`
    resolved_by: str = ResolvedBy;
    /// `isTest`
    is_test: bool = IsTest;
}

impl Filter {
    /// A filter written by hand, sent as is: the escape hatch for what the typed builder does
    /// not cover (functions such as `startsWith`). It cannot be evaluated client-side.
    pub fn raw(text: impl Into<String>) -> Filter {
        Filter(Expr::Raw(text.into()))
    }

    /// Both must hold.
    pub fn and(self, other: Filter) -> Filter {
        Filter(Expr::And(Box::new(self.0), Box::new(other.0)))
    }

    /// Either must hold.
    pub fn or(self, other: Filter) -> Filter {
        Filter(Expr::Or(Box::new(self.0), Box::new(other.0)))
    }

    /// The opposite.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Filter {
        Filter(Expr::Not(Box::new(self.0)))
    }

    /// Whether the filter holds any raw text (which only the server can evaluate).
    pub fn has_raw(&self) -> bool {
        fn raw(e: &Expr) -> bool {
            match e {
                Expr::Raw(_) => true,
                Expr::And(a, b) | Expr::Or(a, b) => raw(a) || raw(b),
                Expr::Not(a) => raw(a),
                Expr::Cmp(..) | Expr::In(..) => false,
            }
        }
        raw(&self.0)
    }

    /// Checks what the builder cannot refuse as it goes: an `in` with no values.
    pub(crate) fn validate(&self) -> Result<(), crate::InvalidInput> {
        fn date(f: &Field, l: &Literal) -> Result<(), crate::InvalidInput> {
            use chrono::Datelike;
            match l {
                Literal::DateTime(t) if !(0..=9999).contains(&t.year()) => {
                    Err(crate::InvalidInput::new(
                        "filter",
                        format!(
                            "compares {} with a date outside the years 0000-9999, which OData's DateTimeOffset cannot hold",
                            f.name()
                        ),
                    ))
                }
                _ => Ok(()),
            }
        }
        fn walk(e: &Expr) -> Result<(), crate::InvalidInput> {
            match e {
                Expr::In(f, lits) if lits.is_empty() => Err(crate::InvalidInput::new(
                    "filter",
                    format!("has `{} in ()` with no values", f.name()),
                )),
                Expr::In(f, lits) => lits.iter().try_for_each(|l| date(f, l)),
                Expr::Cmp(f, _, l) => date(f, l),
                Expr::And(a, b) | Expr::Or(a, b) => walk(a).and_then(|()| walk(b)),
                Expr::Not(a) => walk(a),
                _ => Ok(()),
            }
        }
        walk(&self.0)
    }

    /// The fields the filter compares, each once, in order of appearance.
    pub fn fields(&self) -> Vec<Field> {
        fn walk(e: &Expr, out: &mut Vec<Field>) {
            match e {
                Expr::Cmp(f, ..) | Expr::In(f, _) => {
                    if !out.contains(f) {
                        out.push(*f);
                    }
                }
                Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Not(a) => walk(a, out),
                Expr::Raw(_) => {}
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out
    }

    #[cfg(feature = "fraud-events")]
    /// The value of a top-level `field eq value` term (one joined by `and` to the rest), if
    /// any: what a source with simple query parameters can ask its server for.
    pub(crate) fn required_eq(&self, field: Field) -> Option<&Literal> {
        fn find(e: &Expr, field: Field) -> Option<&Literal> {
            match e {
                Expr::Cmp(f, Op::Eq, lit) if *f == field => Some(lit),
                Expr::In(f, lits) if *f == field && lits.len() == 1 => lits.first(),
                Expr::And(a, b) => find(a, field).or_else(|| find(b, field)),
                _ => None,
            }
        }
        find(&self.0, field)
    }

    /// Evaluates the filter against an alert, as the service would: strings, enum values and
    /// ids compare ignoring ASCII case; an absent property equals nothing (so `ne` holds).
    /// `None` when the filter holds raw text.
    ///
    /// ```
    /// use partner_alerts::{Alert, AlertId, AlertStatus, Filter};
    ///
    /// let mut a = Alert::new(AlertId::new("a1")?);
    /// a.status = Some(AlertStatus::Investigating);
    /// assert_eq!(Filter::status().ne(AlertStatus::Resolved).matches(&a), Some(true));
    /// assert_eq!(Filter::raw("startsWith(displayName, 'x')").matches(&a), None);
    /// # Ok::<(), partner_alerts::InvalidInput>(())
    /// ```
    pub fn matches(&self, alert: &Alert) -> Option<bool> {
        fn eval(e: &Expr, a: &Alert) -> Option<bool> {
            use std::cmp::Ordering::*;
            Some(match e {
                Expr::Cmp(field, op, lit) => match field.value_of(a) {
                    None => *op == Op::Ne,
                    Some(v) => match (op, v.compare(lit, field.folds_case())) {
                        (_, None) => *op == Op::Ne,
                        (Op::Eq, Some(o)) => o == Equal,
                        (Op::Ne, Some(o)) => o != Equal,
                        (Op::Gt, Some(o)) => o == Greater,
                        (Op::Ge, Some(o)) => o != Less,
                        (Op::Lt, Some(o)) => o == Less,
                        (Op::Le, Some(o)) => o != Greater,
                    },
                },
                Expr::In(field, lits) => match field.value_of(a) {
                    None => false,
                    Some(v) => lits
                        .iter()
                        .any(|l| v.compare(l, field.folds_case()) == Some(Equal)),
                },
                Expr::And(x, y) => eval(x, a)? && eval(y, a)?,
                Expr::Or(x, y) => eval(x, a)? || eval(y, a)?,
                Expr::Not(x) => !eval(x, a)?,
                Expr::Raw(_) => return None,
            })
        }
        eval(&self.0, alert)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn write(e: &Expr, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match e {
                Expr::Cmp(field, op, lit) => write!(f, "{field} {} {lit}", op.as_str()),
                Expr::In(field, lits) => {
                    write!(f, "{field} in (")?;
                    for (i, l) in lits.iter().enumerate() {
                        if i > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{l}")?;
                    }
                    f.write_str(")")
                }
                Expr::And(a, b) => {
                    side(a, f, |e| matches!(e, Expr::Or(..)))?;
                    f.write_str(" and ")?;
                    side(b, f, |e| matches!(e, Expr::Or(..)))
                }
                Expr::Or(a, b) => {
                    side(a, f, |_| false)?;
                    f.write_str(" or ")?;
                    side(b, f, |_| false)
                }
                Expr::Not(a) => {
                    f.write_str("not (")?;
                    write(a, f)?;
                    f.write_str(")")
                }
                Expr::Raw(text) => f.write_str(text),
            }
        }
        // A child is parenthesised when it binds looser than its parent, and raw text always
        // (its precedence is unknown).
        fn side(
            e: &Expr,
            f: &mut fmt::Formatter<'_>,
            looser: impl Fn(&Expr) -> bool,
        ) -> fmt::Result {
            if looser(e) || matches!(e, Expr::Raw(_)) {
                f.write_str("(")?;
                write(e, f)?;
                f.write_str(")")
            } else {
                write(e, f)
            }
        }
        match &self.0 {
            // A lone raw filter is sent exactly as written.
            Expr::Raw(text) => f.write_str(text),
            e => write(e, f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_operator_renders() {
        let t = Utc.with_ymd_and_hms(2024, 5, 15, 0, 0, 0).unwrap();
        let cases = [
            (
                Filter::status().eq(AlertStatus::Active),
                "status eq 'active'",
            ),
            (Filter::severity().ne(Severity::Low), "severity ne 'low'"),
            (
                Filter::detected_date_time().gt(t),
                "detectedDateTime gt 2024-05-15T00:00:00Z",
            ),
            (
                Filter::detected_date_time().ge(t),
                "detectedDateTime ge 2024-05-15T00:00:00Z",
            ),
            (
                Filter::resolved_on_date_time().lt(t),
                "resolvedOnDateTime lt 2024-05-15T00:00:00Z",
            ),
            (
                Filter::last_observed_date_time().le(t),
                "lastObservedDateTime le 2024-05-15T00:00:00Z",
            ),
            (Filter::is_test().eq(false), "isTest eq false"),
            (
                Filter::confidence_level().in_([ConfidenceLevel::High, ConfidenceLevel::Medium]),
                "confidenceLevel in ('high', 'medium')",
            ),
            (
                Filter::status().eq(AlertStatus::Active).not(),
                "not (status eq 'active')",
            ),
            (
                Filter::status()
                    .eq(AlertStatus::Active)
                    .or(Filter::status().eq(AlertStatus::Investigating))
                    .and(Filter::severity().eq(Severity::High)),
                "(status eq 'active' or status eq 'investigating') and severity eq 'high'",
            ),
            (
                Filter::status()
                    .eq(AlertStatus::Active)
                    .and(Filter::severity().eq(Severity::High))
                    .or(Filter::is_test().eq(true)),
                "status eq 'active' and severity eq 'high' or isTest eq true",
            ),
            (
                Filter::raw("startsWith(displayName,'A') or isTest eq true")
                    .and(Filter::status().eq(AlertStatus::Active)),
                "(startsWith(displayName,'A') or isTest eq true) and status eq 'active'",
            ),
            (Filter::raw("isTest eq true"), "isTest eq true"),
        ];
        for (f, text) in cases {
            assert_eq!(f.to_string(), text);
        }
    }

    #[test]
    fn an_empty_in_is_refused_wherever_it_sits() {
        let empty = Filter::severity().in_(Vec::<Severity>::new());
        assert_eq!(empty.to_string(), "severity in ()");
        let nested = Filter::status().eq(AlertStatus::Active).and(empty.not());
        let e = nested.validate().unwrap_err();
        assert_eq!(e.field(), "filter");
        assert!(e.reason().contains("severity in ()"), "{}", e.reason());
        assert!(Filter::severity().in_([Severity::High]).validate().is_ok());
        assert_eq!(
            nested.fields(),
            [Field::Status, Field::Severity],
            "each field once, in order"
        );
    }

    #[test]
    fn quotes_are_doubled_so_injection_stays_a_literal() {
        let f = Filter::display_name().eq("' or 1 eq 1");
        assert_eq!(f.to_string(), "displayName eq ''' or 1 eq 1'");
        let f = Filter::resolved_by().eq("o'brien@contoso.com");
        assert_eq!(f.to_string(), "resolvedBy eq 'o''brien@contoso.com'");
        let mut a = Alert::new(AlertId::new("x").unwrap());
        a.display_name = Some("' or 1 eq 1".into());
        assert_eq!(
            Filter::display_name().eq("' or 1 eq 1").matches(&a),
            Some(true)
        );
        a.display_name = Some("other".into());
        assert_eq!(
            Filter::display_name().eq("' or 1 eq 1").matches(&a),
            Some(false)
        );
    }

    #[test]
    fn evaluates_like_the_service() {
        let t = Utc.with_ymd_and_hms(2024, 5, 15, 0, 0, 0).unwrap();
        let mut a = Alert::new(AlertId::new("x").unwrap());
        a.status = Some(AlertStatus::from("Active"));
        a.detected_date_time = Some(t);
        a.alert_type = Some(AlertType::new("CRYPTOMINING"));
        assert_eq!(
            Filter::status().eq(AlertStatus::Active).matches(&a),
            Some(true)
        );
        assert_eq!(
            Filter::alert_type()
                .eq(AlertType::CRYPTO_MINING)
                .matches(&a),
            Some(true)
        );
        assert_eq!(Filter::detected_date_time().ge(t).matches(&a), Some(true));
        assert_eq!(Filter::detected_date_time().gt(t).matches(&a), Some(false));
        assert_eq!(
            Filter::severity().eq(Severity::High).matches(&a),
            Some(false)
        );
        assert_eq!(
            Filter::severity().ne(Severity::High).matches(&a),
            Some(true)
        );
        assert_eq!(
            Filter::severity().in_([Severity::High]).matches(&a),
            Some(false)
        );
        assert_eq!(
            Filter::severity()
                .eq(Severity::High)
                .or(Filter::status().eq(AlertStatus::Active))
                .matches(&a),
            Some(true)
        );
        assert_eq!(
            Filter::status().eq(AlertStatus::Active).not().matches(&a),
            Some(false)
        );
        assert_eq!(
            Filter::status()
                .eq(AlertStatus::Active)
                .and(Filter::raw("x"))
                .matches(&a),
            None
        );
    }
}
