//! Quirks: deterministic misbehaviours of the real services, each a way a client can lose
//! alerts (odd values, items that are no alerts, pages that shift under a colleague's hands,
//! capped pages, bad links, empty pages, answers lost after the write was applied, batch
//! responses out of order).
//!
//! Unlike the random [`FaultSettings`](crate::FaultSettings), a quirk happens every time its
//! conditions are met, so a test can reproduce a loss exactly.

use std::fmt;
use std::str::FromStr;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

const PC_ACTIVITY_LOGS: (&str, &str) = (
    "activityLogs",
    // The docs print the logs with unescaped inner quotes; a value that was never quoted is
    // what reaches a client when such text is pasted into the string.
    r#""[{\"statusFrom\":\"Active\",\"statusTo\":\"Investigating\",\"updatedBy\":admin@contoso.example}]""#,
);
const PC_HIT_COUNT: (&str, &str) = ("hitCount", r#""n/a""#);
const PC_IS_TEST: (&str, &str) = ("IsTest", r#""1""#);
const PC_EVENT_TIME: (&str, &str) = ("eventTime", r#""23/01/2024 16:03""#);
const PC_SEVERITY: (&str, &str) = ("severity", "42");

/// The odd values of [`Quirks::odd_values`] on Graph, as (property, raw JSON text): the k-th
/// alert of a response (from 0) carries the (k mod 7)-th in place of its own value.
pub const GRAPH_ODD_VALUES: &[(&str, &str)] = &[
    ("detectedDateTime", r#""23/01/2024 16:03""#),
    ("isTest", r#""yes""#),
    ("severity", "42"),
    ("affectedResources", r#""see portal""#),
    ("additionalDetails", "[1,2]"),
    ("activityLogs", r#"{"statusFrom":"active"}"#),
    ("lastObservedDateTime", r#""""#),
];

/// The odd values of [`Quirks::odd_values`] on Partner Center's new events model
/// (`X-NewEventsModel: true`), as (property, raw JSON text): the k-th event of a response
/// (from 0) carries the (k mod 5)-th. The `activityLogs` string does not hold JSON.
pub const FRAUD_EVENTS_ODD_VALUES: &[(&str, &str)] = &[
    PC_ACTIVITY_LOGS,
    PC_HIT_COUNT,
    PC_IS_TEST,
    PC_EVENT_TIME,
    PC_SEVERITY,
];

/// The entries of [`FRAUD_EVENTS_ODD_VALUES`] whose property the legacy shape (no
/// `X-NewEventsModel`) has, in the same order: there the k-th event carries the (k mod 2)-th.
pub const FRAUD_EVENTS_LEGACY_ODD_VALUES: &[(&str, &str)] = &[PC_HIT_COUNT, PC_EVENT_TIME];

/// The items [`Quirks::not_alerts_every`] inserts, as raw JSON text, in turn: a number, then
/// an object without an id.
pub const NOT_ALERTS: &[&str] = &["7", r#"{"status":"active"}"#];

/// Who resolves the served alerts under [`Quirks::resolve_served_pages`] (as `resolvedBy`
/// and the activity log's `updatedBy`).
pub const COLLEAGUE_UPN: &str = "colleague@contoso.example";

/// Where [`Quirks::foreign_next_link`] points page 1's `@odata.nextLink` (followed by the
/// same path and query as the real link).
pub const FOREIGN_GRAPH_BASE_URL: &str = "https://graph.example.invalid/beta";

/// Deterministic misbehaviours, each off by default: ways the real services lose alerts for
/// a client that is not ready for them.
///
/// Set them at build time ([`EmulatorBuilder::quirks`](crate::EmulatorBuilder::quirks)),
/// while running ([`Emulator::set_quirks`](crate::Emulator::set_quirks)), or on the command
/// line (`--quirks`, the syntax of [`Quirks::from_str`], also what `Display` writes).
///
/// ```
/// use partner_alerts_emulator::Quirks;
///
/// let q = Quirks::new().odd_values(true).page_size_cap(Some(100)).resolve_served_pages(1);
/// assert_eq!(q.to_string(), "odd-values,resolve-served=1,page-cap=100");
/// assert_eq!("odd-values,page-cap=100,resolve-served=1".parse::<Quirks>().unwrap(), q);
/// assert!(Quirks::new().is_off());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Quirks {
    odd_values: bool,
    not_alerts_every: Option<usize>,
    pub(crate) resolve_served_pages: usize,
    page_size_cap: Option<usize>,
    foreign_next_link: bool,
    repeated_next_link: bool,
    empty_page_after: Option<usize>,
    pub(crate) applied_then_500: usize,
    shuffled_batch_responses: bool,
}

impl Quirks {
    /// No quirks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every alert served (Graph list pages and gets, FraudEvents lists in either shape)
    /// carries exactly one odd value in place of its own: the k-th alert of a response (from
    /// 0) the (k mod N)-th of [`GRAPH_ODD_VALUES`], [`FRAUD_EVENTS_ODD_VALUES`] or
    /// [`FRAUD_EVENTS_LEGACY_ODD_VALUES`]. With Graph's `$select`, only the odd values of
    /// selected properties take turns (none when none is selected). The stored alert is
    /// unchanged.
    pub fn odd_values(mut self, on: bool) -> Self {
        self.odd_values = on;
        self
    }

    /// In every list page (Graph `value`, FraudEvents arrays), after every `n`-th alert an
    /// item that cannot be an alert is inserted, the items of [`NOT_ALERTS`] in turn (from
    /// the first in each response). `None` or `Some(0)`: off.
    pub fn not_alerts_every(mut self, n: Option<usize>) -> Self {
        self.not_alerts_every = n.filter(|n| *n > 0);
        self
    }

    /// After each of the next `pages` list answers (either API, any page, counting down),
    /// every alert on it that is not resolved yet is resolved in the state, with reason
    /// `ignore`, by [`COLLEAGUE_UPN`], at the emulator's "now", before the answer is sent: a
    /// colleague working in the portal. Listing FraudEvents with `EventStatus=Active` page by
    /// page then skips a page's worth of events after each such page.
    pub fn resolve_served_pages(mut self, pages: usize) -> Self {
        self.resolve_served_pages = pages;
        self
    }

    /// Partner Center serves at most `cap` events per page whatever `PageSize` asks, and
    /// takes the offset from the capped size, `(PageNumber-1)*cap`; without paging it serves
    /// only the first `cap`. Graph pages hold at most `cap` alerts. `None` or `Some(0)`: off.
    pub fn page_size_cap(mut self, cap: Option<usize>) -> Self {
        self.page_size_cap = cap.filter(|n| *n > 0);
        self
    }

    /// Graph's `@odata.nextLink` on page 1 points at another host,
    /// [`FOREIGN_GRAPH_BASE_URL`], with the same path and query.
    pub fn foreign_next_link(mut self, on: bool) -> Self {
        self.foreign_next_link = on;
        self
    }

    /// Graph's page 2 links to itself: its `@odata.nextLink` is the link it was reached by
    /// (a paging loop), whether or not more alerts follow.
    pub fn repeated_next_link(mut self, on: bool) -> Self {
        self.repeated_next_link = on;
        self
    }

    /// Graph serves an extra page between page `k` (from 1) and page `k + 1`: `"value": []`
    /// and a nextLink to the real page `k + 1`. Nothing is inserted when page `k` is the last.
    /// `None` or `Some(0)`: off.
    pub fn empty_page_after(mut self, k: Option<usize>) -> Self {
        self.empty_page_after = k.filter(|n| *n > 0);
        self
    }

    /// The next `writes` successful writes (Graph PATCH, each `$batch` request that writes,
    /// Partner Center's status update) are applied to the state and then answered with a
    /// `500` in the API's error shape, as if the answer had been lost. Writes refused (`400`,
    /// `404`) do not count.
    pub fn applied_then_500(mut self, writes: usize) -> Self {
        self.applied_then_500 = writes;
        self
    }

    /// Graph's `$batch` answers its requests in another order than they were sent: a seeded
    /// shuffle (from the emulator's seed), never the order sent when there are two or more.
    /// The documentation says responses may come back in any order and are to be matched by
    /// `id`; a client that matches them by position fails with this on.
    pub fn shuffled_batch_responses(mut self, on: bool) -> Self {
        self.shuffled_batch_responses = on;
        self
    }

    /// Whether odd values are served.
    pub fn odd_values_on(&self) -> bool {
        self.odd_values
    }

    /// After how many alerts an item that is no alert is inserted.
    pub fn not_alerts_interval(&self) -> Option<usize> {
        self.not_alerts_every
    }

    /// How many more list answers have their alerts resolved.
    pub fn pages_to_resolve(&self) -> usize {
        self.resolve_served_pages
    }

    /// The most alerts or events a page holds.
    pub fn page_cap(&self) -> Option<usize> {
        self.page_size_cap
    }

    /// Whether Graph's page 1 links to another host.
    pub fn foreign_next_link_on(&self) -> bool {
        self.foreign_next_link
    }

    /// Whether Graph's page 2 links to itself.
    pub fn repeated_next_link_on(&self) -> bool {
        self.repeated_next_link
    }

    /// After which Graph page an empty page is served.
    pub fn empty_page_position(&self) -> Option<usize> {
        self.empty_page_after
    }

    /// How many more writes are applied and then answered with a `500`.
    pub fn writes_to_fail(&self) -> usize {
        self.applied_then_500
    }

    /// Whether `$batch` responses come in another order than requested.
    pub fn shuffled_batch_responses_on(&self) -> bool {
        self.shuffled_batch_responses
    }

    /// Whether every quirk is off (or used up).
    pub fn is_off(&self) -> bool {
        *self == Quirks::default()
    }
}

impl fmt::Display for Quirks {
    /// The `--quirks` syntax: the quirks that are on, comma-separated; `none` when none is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.odd_values {
            parts.push("odd-values".into());
        }
        if let Some(n) = self.not_alerts_every {
            parts.push(format!("not-alerts-every={n}"));
        }
        if self.resolve_served_pages > 0 {
            parts.push(format!("resolve-served={}", self.resolve_served_pages));
        }
        if let Some(n) = self.page_size_cap {
            parts.push(format!("page-cap={n}"));
        }
        if self.foreign_next_link {
            parts.push("foreign-next-link".into());
        }
        if self.repeated_next_link {
            parts.push("repeated-next-link".into());
        }
        if let Some(k) = self.empty_page_after {
            parts.push(format!("empty-page-after={k}"));
        }
        if self.applied_then_500 > 0 {
            parts.push(format!("applied-then-500={}", self.applied_then_500));
        }
        if self.shuffled_batch_responses {
            parts.push("shuffled-batch".into());
        }
        if parts.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&parts.join(","))
        }
    }
}

/// A `--quirks` list that cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuirksParseError(String);

impl fmt::Display for QuirksParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QuirksParseError {}

/// What `--quirks` accepts, for error messages.
const QUIRK_NAMES: &str = "odd-values, not-alerts-every=N, resolve-served=N, page-cap=N, \
     foreign-next-link, repeated-next-link, empty-page-after=K, applied-then-500=N, \
     shuffled-batch (or none)";

impl FromStr for Quirks {
    type Err = QuirksParseError;

    /// Reads a comma-separated list: `odd-values`, `not-alerts-every=N` (N ≥ 1),
    /// `resolve-served=N`, `page-cap=N` (N ≥ 1), `foreign-next-link`, `repeated-next-link`,
    /// `empty-page-after=K` (K ≥ 1), `applied-then-500=N`, `shuffled-batch`; `none` or
    /// nothing for no quirks.
    /// Names are case-insensitive; a later item overrides an earlier one.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut q = Quirks::new();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n.trim().to_ascii_lowercase(), Some(v.trim())),
                None => (item.to_ascii_lowercase(), None),
            };
            let number = |min: usize| -> Result<usize, QuirksParseError> {
                let v = value.ok_or_else(|| {
                    QuirksParseError(format!("quirk '{name}' needs a number: {name}=N"))
                })?;
                v.parse::<usize>()
                    .ok()
                    .filter(|n| *n >= min)
                    .ok_or_else(|| {
                        QuirksParseError(format!(
                            "quirk '{name}': '{v}' is not a whole number of at least {min}"
                        ))
                    })
            };
            let flag = || -> Result<bool, QuirksParseError> {
                match value {
                    None => Ok(true),
                    Some(v) => Err(QuirksParseError(format!(
                        "quirk '{name}' takes no value (got '{v}')"
                    ))),
                }
            };
            match name.as_str() {
                "none" if value.is_none() => q = Quirks::new(),
                "odd-values" => q.odd_values = flag()?,
                "not-alerts-every" => q.not_alerts_every = Some(number(1)?),
                "resolve-served" => q.resolve_served_pages = number(0)?,
                "page-cap" => q.page_size_cap = Some(number(1)?),
                "foreign-next-link" => q.foreign_next_link = flag()?,
                "repeated-next-link" => q.repeated_next_link = flag()?,
                "empty-page-after" => q.empty_page_after = Some(number(1)?),
                "applied-then-500" => q.applied_then_500 = number(0)?,
                "shuffled-batch" => q.shuffled_batch_responses = flag()?,
                _ => {
                    return Err(QuirksParseError(format!(
                        "unknown quirk '{item}': expected {QUIRK_NAMES}"
                    )));
                }
            }
        }
        Ok(q)
    }
}

/// The odd values that take turns in a response: the entries of `list` whose property the
/// served shape has.
pub(crate) fn odd_candidates(
    list: &'static [(&'static str, &'static str)],
    has: impl Fn(&str) -> bool,
) -> Vec<(&'static str, &'static str)> {
    list.iter().copied().filter(|(k, _)| has(k)).collect()
}

/// The odd value of the k-th alert of a response, if any.
pub(crate) fn odd_value(
    candidates: &[(&'static str, &'static str)],
    k: usize,
) -> Option<(&'static str, &'static str)> {
    (!candidates.is_empty()).then(|| candidates[k % candidates.len()])
}

/// An odd value's raw JSON.
pub(crate) fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).expect("the quirks' texts are JSON")
}

/// `items` with the `j`-th item that is no alert (from `not_alert(j)`) after every `every`-th
/// one; also how many were inserted.
pub(crate) fn interleave<T>(
    items: Vec<T>,
    every: Option<usize>,
    not_alert: impl Fn(usize) -> T,
) -> (Vec<T>, usize) {
    let Some(every) = every.filter(|n| *n > 0) else {
        return (items, 0);
    };
    let mut out = Vec::with_capacity(items.len() + items.len() / every);
    let mut inserted = 0;
    for (k, item) in items.into_iter().enumerate() {
        out.push(item);
        if (k + 1) % every == 0 {
            out.push(not_alert(inserted));
            inserted += 1;
        }
    }
    (out, inserted)
}

/// The `j`-th item that is no alert.
pub(crate) fn not_alert(j: usize) -> Box<RawValue> {
    raw(NOT_ALERTS[j % NOT_ALERTS.len()])
}

/// A JSON object as written: its properties in order, their values untouched, so one can be
/// replaced in place.
pub(crate) struct RawObject(Vec<(String, Box<RawValue>)>);

impl RawObject {
    /// The object `value` serialises to (`None` if it is not an object).
    pub(crate) fn of<T: Serialize>(value: &T) -> Option<RawObject> {
        serde_json::to_string(value)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
    }

    /// Sets a property: in place if it is there, last otherwise.
    pub(crate) fn set(&mut self, key: &str, value: Box<RawValue>) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key.to_owned(), value)),
        }
    }

    /// The object's JSON.
    pub(crate) fn into_raw(self) -> Box<RawValue> {
        serde_json::value::to_raw_value(&self).expect("an object of raw values serialises")
    }
}

impl Serialize for RawObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for RawObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject, A::Error> {
                let mut props = Vec::with_capacity(map.size_hint().unwrap_or(40));
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    props.push((k, v));
                }
                Ok(RawObject(props))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_odd_values_are_json_and_odd() {
        for (key, text) in GRAPH_ODD_VALUES.iter().chain(FRAUD_EVENTS_ODD_VALUES) {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            assert!(!key.is_empty() && !v.is_null(), "{key}");
        }
        let (_, logs) = PC_ACTIVITY_LOGS;
        let inner: String = serde_json::from_str(logs).unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&inner).is_err());
        for e in FRAUD_EVENTS_LEGACY_ODD_VALUES {
            assert!(FRAUD_EVENTS_ODD_VALUES.contains(e));
        }
    }

    #[test]
    fn parse_and_display_round_trip() {
        let all = Quirks::new()
            .odd_values(true)
            .not_alerts_every(Some(3))
            .resolve_served_pages(2)
            .page_size_cap(Some(100))
            .foreign_next_link(true)
            .repeated_next_link(true)
            .empty_page_after(Some(1))
            .applied_then_500(4)
            .shuffled_batch_responses(true);
        assert_eq!(all.to_string().parse::<Quirks>().unwrap(), all);
        assert_eq!(
            "Shuffled-Batch".parse::<Quirks>().unwrap(),
            Quirks::new().shuffled_batch_responses(true)
        );
        assert_eq!(Quirks::new().to_string(), "none");
        assert_eq!("none".parse::<Quirks>().unwrap(), Quirks::new());
        assert_eq!("".parse::<Quirks>().unwrap(), Quirks::new());
        assert_eq!(
            " Odd-Values , PAGE-CAP = 5 ".parse::<Quirks>().unwrap(),
            Quirks::new().odd_values(true).page_size_cap(Some(5))
        );
        for bad in [
            "teapot",
            "page-cap",
            "page-cap=0",
            "page-cap=x",
            "odd-values=1",
            "resolve-served=-1",
            "not-alerts-every=0",
            "shuffled-batch=1",
        ] {
            let e = bad.parse::<Quirks>().unwrap_err();
            assert!(!e.to_string().is_empty(), "{bad}");
        }
        assert!(Quirks::new().page_size_cap(Some(0)).is_off());
    }

    #[test]
    fn interleaving_and_raw_objects() {
        let (out, n) = interleave(vec![1, 2, 3, 4, 5], Some(2), |j| 100 + j);
        assert_eq!(out, [1, 2, 100, 3, 4, 101, 5]);
        assert_eq!(n, 2);
        let (out, n) = interleave(vec![1, 2], None, |j| j);
        assert_eq!((out, n), (vec![1, 2], 0));

        let mut o = RawObject::of(&serde_json::json!({"a": 1, "b": [2], "c": "x"})).unwrap();
        o.set("b", raw("\"odd\""));
        o.set("z", raw("7"));
        assert_eq!(o.into_raw().get(), r#"{"a":1,"b":"odd","c":"x","z":7}"#);
        assert!(RawObject::of(&7).is_none());
    }
}
