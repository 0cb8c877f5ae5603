//! The library's typed `$filter` builder against the emulator's OData parser.
//!
//! The input drives a small interpreter that builds a [`Filter`] through the public builder
//! only (every typed field; eq, ne, gt, ge, lt, le, in; and, or, not; string literals with
//! quotes, unicode and case variants, enum members known and unknown, ids, dates, booleans;
//! never `Filter::raw`, never an empty `in`). Its text must parse in the emulator, as Graph
//! is asked (`Prefer: include-unknown-enum-members`, which the client sends by default); and
//! on each of a dozen varied alerts, wherever the library's `matches` says `Some(b)`, the
//! emulator's `matches` must say `b`.
#![no_main]

use std::borrow::Borrow;
use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use partner_alerts::query::{FieldRef, ODataValue};
use partner_alerts::{
    Alert, AlertId, AlertStatus, AlertType, ConfidenceLevel, Filter, ResolvedReason, Severity,
    SubscriptionId, TenantId,
};
use partner_alerts_emulator::odata::{self, EnumMode};

/// How deep `and`, `or` and `not` nest (the emulator accepts 64 levels of parentheses).
const MAX_DEPTH: u32 = 6;
/// The emulator refuses a longer `$filter` (as its documentation says); not generated.
const MAX_LEN: usize = 8192;

/// The fuzzer's bytes, read front to back; zeros once they run out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |n, _| n << 8 | u64::from(self.byte()))
    }

    fn pick<'p, T>(&mut self, items: &'p [T]) -> &'p T {
        &items[usize::from(self.byte()) % items.len()]
    }

    fn word(&mut self, words: &[&'static str]) -> &'static str {
        *self.pick(words)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn t(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, nanos: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap() + TimeDelta::nanoseconds(i64::from(nanos))
}

const GUID: &str = "d8b202fc-a216-3404-69ef-bdffa445eff6";
const SUB: &str = "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398";
const TENANT: &str = "1889e718-414b-4bad-8bbe-c1135bd39a41";
const RESELLER: &str = "c296b2ce-8cd1-4346-9e82-d8eccca70d65";

/// A dozen alerts that differ where filters look: every field absent and present, enum
/// members known, unknown and `unknownFutureValue`, strings in several cases, with quotes and
/// non-ASCII, empty strings, dates at the ends of the range and with nanoseconds.
fn alerts() -> &'static [Alert] {
    static ALERTS: OnceLock<Vec<Alert>> = OnceLock::new();
    ALERTS.get_or_init(|| {
        let id = |s: &str| AlertId::new(s).unwrap();
        let sub = |s: &str| SubscriptionId::new(s).unwrap();
        let tenant = |s: &str| TenantId::new(s).unwrap();
        let mut all = Vec::new();

        // 1. As the reference's example: everything set.
        let mut a = Alert::new(id(GUID));
        a.display_name = Some("Action Required: it's mining".into());
        a.description = Some("Analysis of Azure resource network activity".into());
        a.alert_type = Some(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS);
        a.status = Some(AlertStatus::Active);
        a.severity = Some(Severity::High);
        a.confidence_level = Some(ConfidenceLevel::Medium);
        a.customer_tenant_id = Some(tenant(TENANT));
        a.subscription_id = Some(sub(SUB));
        a.value_added_reseller_tenant_id = Some(tenant(RESELLER));
        a.catalog_offer_id = Some("MS-AZR-0017G".into());
        a.detected_date_time = Some(t(2024, 1, 23, 16, 3, 33, 50_000_000));
        a.first_observed_date_time = Some(t(2024, 1, 23, 16, 3, 33, 50_000_000));
        a.last_observed_date_time = Some(t(2024, 1, 23, 16, 3, 33, 50_000_000));
        a.resolved_by = Some("danas@contoso.com".into());
        a.is_test = Some(false);
        all.push(a);

        // 2. Resolved; the same strings in other cases.
        let mut a = Alert::new(id(&GUID.to_ascii_uppercase()));
        a.display_name = Some("ACTION REQUIRED: IT'S MINING".into());
        a.alert_type = Some(AlertType::new("NETWORKCONNECTIONSTOCRYPTOMININGPOOLS"));
        a.status = Some(AlertStatus::Resolved);
        a.severity = Some(Severity::Low);
        a.confidence_level = Some(ConfidenceLevel::High);
        a.customer_tenant_id = Some(tenant(&TENANT.to_ascii_uppercase()));
        a.subscription_id = Some(sub(&SUB.to_ascii_uppercase()));
        a.catalog_offer_id = Some("ms-azr-0017g".into());
        a.detected_date_time = Some(t(2024, 1, 23, 16, 3, 33, 0));
        a.resolved_reason = Some(ResolvedReason::Fraud);
        a.resolved_on_date_time = Some(t(2024, 2, 23, 16, 3, 33, 50_000_000));
        a.resolved_by = Some("DANAS@CONTOSO.COM".into());
        a.is_test = Some(true);
        all.push(a);

        // 3. Nothing but an id.
        all.push(Alert::new(id("a1")));

        // 4. Enum members this release does not know, and a new alert type.
        let mut a = Alert::new(id("a2"));
        a.status = Some(AlertStatus::from("escalated"));
        a.severity = Some(Severity::from("critical"));
        a.confidence_level = Some(ConfidenceLevel::from("veryHigh"));
        a.resolved_reason = Some(ResolvedReason::from("duplicate"));
        a.alert_type = Some(AlertType::new("brandNewType"));
        a.display_name = Some("mining".into());
        all.push(a);

        // 5. Non-ASCII and quotes.
        let mut a = Alert::new(id("ünï-cödé"));
        a.display_name = Some("Ünïcödé 日本 😀 'quoted'".into());
        a.description = Some("ß and ẞ, ı and İ, K and K".into());
        a.catalog_offer_id = Some("ms-azr-17g".into());
        a.resolved_by = Some("o'brien@contoso.com".into());
        a.status = Some(AlertStatus::Investigating);
        a.alert_type = Some(AlertType::CRYPTO_MINING);
        all.push(a);

        // 6. Dates at the ends of what the services send, with nanoseconds.
        let mut a = Alert::new(id("a3"));
        a.detected_date_time = Some(t(0, 1, 1, 0, 0, 0, 0));
        a.first_observed_date_time = Some(t(1970, 1, 1, 0, 0, 0, 1));
        a.last_observed_date_time = Some(t(9998, 12, 31, 23, 59, 59, 999_999_999));
        a.resolved_on_date_time = Some(t(2024, 2, 29, 12, 0, 0, 123_456_789));
        a.severity = Some(Severity::Informational);
        a.status = Some(AlertStatus::Investigating);
        a.is_test = Some(false);
        all.push(a);

        // 7. A `<subscriptionId>-<GUID>` id; the enums' other members.
        let mut a = Alert::new(id(&format!("{SUB}-{GUID}")));
        a.status = Some(AlertStatus::parse("ACTIVE"));
        a.severity = Some(Severity::Medium);
        a.confidence_level = Some(ConfidenceLevel::Low);
        a.resolved_reason = Some(ResolvedReason::Legitimate);
        a.subscription_id = Some(sub(SUB));
        a.value_added_reseller_tenant_id = Some(tenant(TENANT));
        a.alert_type = Some(AlertType::ARM_SUSPICIOUS_OPERATIONS);
        a.detected_date_time = Some(t(2024, 1, 23, 16, 3, 33, 50_000_001));
        all.push(a);

        // 8. Empty strings (not the same as absent).
        let mut a = Alert::new(id("a4"));
        a.display_name = Some(String::new());
        a.description = Some(String::new());
        a.catalog_offer_id = Some(String::new());
        a.resolved_by = Some(String::new());
        a.alert_type = Some(AlertType::new(""));
        a.resolved_reason = Some(ResolvedReason::Ignore);
        all.push(a);

        // 9. Strings that look like OData.
        let mut a = Alert::new(id("a5"));
        a.display_name = Some("' or 1 eq 1".into());
        a.description = Some("status eq 'active') or (true".into());
        a.catalog_offer_id = Some("''".into());
        a.resolved_by = Some("a,b (c)".into());
        a.status = Some(AlertStatus::UnknownFutureValue);
        a.severity = Some(Severity::UnknownFutureValue);
        all.push(a);

        // 10. Known values in odd cases.
        let mut a = Alert::new(id("A5"));
        a.alert_type = Some(AlertType::new("CRYPTOMINING"));
        a.status = Some(AlertStatus::from("Resolved"));
        a.confidence_level = Some(ConfidenceLevel::from("unknownFutureValue"));
        a.display_name = Some("Mining".into());
        a.detected_date_time = Some(t(1970, 1, 1, 0, 0, 0, 0));
        a.resolved_on_date_time = Some(t(9998, 12, 31, 23, 59, 59, 0));
        a.is_test = Some(true);
        all.push(a);

        // 11. An unknown status spelt like a known one with a different case elsewhere.
        let mut a = Alert::new(id("Ω-ω"));
        a.status = Some(AlertStatus::from("Active "));
        a.severity = Some(Severity::from("HIGH"));
        a.resolved_reason = Some(ResolvedReason::from("FRAUD"));
        a.display_name = Some("action required: it's mining".into());
        a.customer_tenant_id = Some(tenant("tenant'with'quotes"));
        all.push(a);

        // 12. Whitespace and controls inside strings.
        let mut a = Alert::new(id("a6"));
        a.display_name = Some(" padded\tand\nbroken ".into());
        a.resolved_by = Some("\u{0}".into());
        a.catalog_offer_id = Some("MS-AZR-0017G ".into());
        a.first_observed_date_time = Some(t(2024, 1, 23, 16, 3, 33, 50_000_000));
        a.is_test = Some(false);
        all.push(a);

        all
    })
}

/// Strings the alerts hold, to be picked (and re-cased) so that comparisons hit.
const STRINGS: &[&str] = &[
    "Action Required: it's mining",
    "ACTION REQUIRED: IT'S MINING",
    "action required: it's mining",
    "mining",
    "Mining",
    "MS-AZR-0017G",
    "ms-azr-17g",
    "danas@contoso.com",
    "o'brien@contoso.com",
    "' or 1 eq 1",
    "status eq 'active') or (true",
    "''",
    "a,b (c)",
    "Ünïcödé 日本 😀 'quoted'",
    "ß and ẞ, ı and İ, K and K",
    " padded\tand\nbroken ",
    "\u{0}",
    "",
    "Analysis of Azure resource network activity",
    GUID,
    SUB,
    TENANT,
    RESELLER,
    "a1",
    "a2",
    "A5",
    "ünï-cödé",
    "Ω-ω",
    "tenant'with'quotes",
];

/// Characters strings are built from besides those.
const CHARS: &[char] = &[
    'a', 'Z', '0', '\'', ' ', '(', ')', ',', '-', '$', '/', ':', '%', '&', '#', '?', '"', '\\',
    'é', 'É', 'ß', 'ẞ', 'ı', 'İ', 'K', 'Ω', '日', '😀', '\u{0}', '\t', '\n', '\u{a0}', '\u{202e}',
];

fn recase(s: &str, how: u8) -> String {
    match how % 4 {
        0 => s.to_owned(),
        1 => s.to_ascii_uppercase(),
        2 => s.to_ascii_lowercase(),
        _ => s.to_uppercase(),
    }
}

fn text(inp: &mut Input) -> String {
    match inp.byte() % 4 {
        0 | 1 => {
            let s = inp.word(STRINGS);
            recase(s, inp.byte())
        }
        2 => {
            let n = inp.byte() % 12;
            (0..n).map(|_| *inp.pick(CHARS)).collect()
        }
        _ => {
            let mut s = recase(inp.word(STRINGS), inp.byte());
            let at = usize::from(inp.byte()) % (s.chars().count() + 1);
            let at = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
            s.insert(at, *inp.pick(CHARS));
            s
        }
    }
}

/// An id, tenant or subscription: a string that passes the id check (else one that does).
fn id_text(inp: &mut Input) -> String {
    let s = text(inp);
    if AlertId::new(&s).is_ok() {
        s
    } else {
        inp.word(&STRINGS[19..]).to_owned()
    }
}

fn enum_text(inp: &mut Input, members: &[&'static str]) -> String {
    match inp.byte() % 4 {
        0 | 1 => recase(inp.word(members), inp.byte()),
        2 => recase(
            inp.word(&[
                "unknownFutureValue",
                "escalated",
                "critical",
                "veryHigh",
                "duplicate",
                "Active ",
            ]),
            inp.byte(),
        ),
        _ => text(inp),
    }
}

fn status(inp: &mut Input) -> AlertStatus {
    AlertStatus::from(enum_text(inp, &["active", "resolved", "investigating"]))
}
fn severity(inp: &mut Input) -> Severity {
    Severity::from(enum_text(inp, &["informational", "high", "medium", "low"]))
}
fn confidence(inp: &mut Input) -> ConfidenceLevel {
    ConfidenceLevel::from(enum_text(inp, &["low", "medium", "high"]))
}
fn reason(inp: &mut Input) -> ResolvedReason {
    ResolvedReason::from(enum_text(inp, &["legitimate", "ignore", "fraud"]))
}
fn alert_type(inp: &mut Input) -> AlertType {
    match inp.byte() % 3 {
        0 => inp.pick(AlertType::KNOWN).clone(),
        1 => AlertType::new(recase(
            inp.word(&[
                "CRYPTOMINING",
                "networkConnectionsToCryptoMiningPools",
                "brandNewType",
                "ARM_SuspiciousOperations",
            ]),
            inp.byte(),
        )),
        _ => AlertType::new(text(inp)),
    }
}

/// Dates: the alerts' own, close to them, anywhere in 0000-9998, and the odd ones.
fn date(inp: &mut Input) -> DateTime<Utc> {
    const POOL: &[(i32, u32, u32, u32, u32, u32, u32)] = &[
        (2024, 1, 23, 16, 3, 33, 50_000_000),
        (2024, 1, 23, 16, 3, 33, 0),
        (2024, 1, 23, 16, 3, 33, 50_000_001),
        (2024, 2, 23, 16, 3, 33, 50_000_000),
        (2024, 2, 29, 12, 0, 0, 123_456_789),
        (0, 1, 1, 0, 0, 0, 0),
        (1970, 1, 1, 0, 0, 0, 0),
        (1970, 1, 1, 0, 0, 0, 1),
        (9998, 12, 31, 23, 59, 59, 0),
        (9998, 12, 31, 23, 59, 59, 999_999_999),
    ];
    let base = |inp: &mut Input| {
        let (y, mo, d, h, mi, s, n) = *inp.pick(POOL);
        t(y, mo, d, h, mi, s, n)
    };
    match inp.byte() % 8 {
        0..=2 => base(inp),
        3 | 4 => {
            let delta = match inp.byte() % 4 {
                0 => TimeDelta::nanoseconds(i64::from(inp.byte() as i8)),
                1 => TimeDelta::milliseconds(i64::from(inp.byte() as i8)),
                2 => TimeDelta::seconds(i64::from(inp.byte() as i8)),
                _ => TimeDelta::hours(i64::from(inp.byte() as i8)),
            };
            let b = base(inp);
            b.checked_add_signed(delta).unwrap_or(b)
        }
        5 | 6 => {
            // Anywhere from 0000-01-01 to 9998-12-31, to the nanosecond.
            let start = t(0, 1, 1, 0, 0, 0, 0).timestamp();
            let end = t(9999, 1, 1, 0, 0, 0, 0).timestamp();
            let secs = start + (inp.u64() % (end - start) as u64) as i64;
            let nanos = (inp.u64() % 1_000_000_000) as u32;
            DateTime::from_timestamp(secs, nanos).unwrap()
        }
        _ => match inp.byte() % 4 {
            // A leap second.
            0 => {
                DateTime::from_timestamp(1_483_228_799, 1_000_000_000 + inp.byte() as u32).unwrap()
            }
            // The sentinel year the services send for "never".
            1 => t(9999, 12, 31, 23, 59, 59, 997_000_000),
            // Outside 0000-9999: what Graph's DateTimeOffset cannot hold.
            2 => t(-1, 12, 31, 23, 59, 59, 0),
            _ => t(10000, 1, 1, 0, 0, 0, 0),
        },
    }
}

/// `field eq v`, `field ne v` or `field in (v, ...)` (one to four values).
fn equality<T, V>(inp: &mut Input, field: FieldRef<T>, value: fn(&mut Input) -> V) -> Filter
where
    T: ODataValue + ?Sized,
    V: Borrow<T>,
{
    match inp.byte() % 3 {
        0 => field.eq(value(inp)),
        1 => field.ne(value(inp)),
        _ => {
            let n = 1 + inp.byte() % 4;
            let values: Vec<V> = (0..n).map(|_| value(inp)).collect();
            field.in_(values)
        }
    }
}

fn ordered(inp: &mut Input, field: FieldRef<DateTime<Utc>>) -> Filter {
    match inp.byte() % 5 {
        0 => field.gt(date(inp)),
        1 => field.ge(date(inp)),
        2 => field.lt(date(inp)),
        3 => field.le(date(inp)),
        _ => equality(inp, field, date),
    }
}

fn comparison(inp: &mut Input) -> Filter {
    fn id(inp: &mut Input) -> AlertId {
        AlertId::new(id_text(inp)).unwrap()
    }
    fn tenant(inp: &mut Input) -> TenantId {
        TenantId::new(id_text(inp)).unwrap()
    }
    fn sub(inp: &mut Input) -> SubscriptionId {
        SubscriptionId::new(id_text(inp)).unwrap()
    }
    fn boolean(inp: &mut Input) -> bool {
        inp.byte() % 2 == 1
    }
    match inp.byte() % 17 {
        0 => equality(inp, Filter::id(), id),
        1 => equality(inp, Filter::display_name(), text),
        2 => equality(inp, Filter::alert_type(), alert_type),
        3 => equality(inp, Filter::status(), status),
        4 => equality(inp, Filter::severity(), severity),
        5 => equality(inp, Filter::confidence_level(), confidence),
        6 => equality(inp, Filter::customer_tenant_id(), tenant),
        7 => equality(inp, Filter::subscription_id(), sub),
        8 => equality(inp, Filter::value_added_reseller_tenant_id(), tenant),
        9 => equality(inp, Filter::catalog_offer_id(), text),
        10 => ordered(inp, Filter::detected_date_time()),
        11 => ordered(inp, Filter::first_observed_date_time()),
        12 => ordered(inp, Filter::last_observed_date_time()),
        13 => equality(inp, Filter::resolved_reason(), reason),
        14 => ordered(inp, Filter::resolved_on_date_time()),
        15 => equality(inp, Filter::resolved_by(), text),
        _ => equality(inp, Filter::is_test(), boolean),
    }
}

fn expr(inp: &mut Input, depth: u32) -> Filter {
    let choice = if depth >= MAX_DEPTH || inp.is_empty() {
        0
    } else {
        inp.byte() % 6
    };
    match choice {
        0 | 1 => comparison(inp),
        2 => expr(inp, depth + 1).and(expr(inp, depth + 1)),
        3 => expr(inp, depth + 1).or(expr(inp, depth + 1)),
        _ => expr(inp, depth + 1).not(),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let filter = expr(&mut inp, 0);
    // A filter the clients refuse before sending (a date outside 0000-9999) never reaches a
    // parser.
    if !partner_alerts::fuzzing::filter_is_sent(&filter) {
        return;
    }
    let text = filter.to_string();
    if text.len() > MAX_LEN {
        return;
    }
    let mode = EnumMode {
        include_unknown_members: true,
    };
    let parsed = match odata::Filter::parse_with(&text, mode) {
        Ok(parsed) => parsed,
        Err(e) => panic!("the emulator cannot parse {text:?}: {e}"),
    };
    for alert in alerts() {
        if let Some(library) = filter.matches(alert) {
            let emulator = parsed.matches_with(alert, mode);
            if library != emulator {
                panic!(
                    "{text:?} on alert {:?}: the library says {library}, the emulator {emulator}",
                    alert.id
                );
            }
        }
    }
});
