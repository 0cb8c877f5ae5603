//! Lenient decoders for what the two services actually send.
//!
//! Partner Center sends numbers and booleans as strings, timestamps without a zone, with an
//! offset or with seven fractional digits, `9999-12-31T23:59:59.997` for "no date", and JSON
//! arrays encoded inside strings. Graph is cleaner but every property may be `null`. These
//! helpers absorb all of it so that the models stay plain.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};

/// A string borrowed from the input when it holds no escapes, owned otherwise.
pub(crate) struct CowStr<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Parses the timestamp shapes both services send, as UTC.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS`, with 0 to 9 fractional digits, followed by `Z`, an offset
/// (`+05:30`), or nothing (read as UTC, as Partner Center means it). Returns `Ok(None)` for the
/// empty string and for Partner Center's "no date" sentinel (any instant in the year 9999).
pub(crate) fn parse_timestamp(s: &str) -> Result<Option<DateTime<Utc>>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    let parsed = parse_fast(s.as_bytes()).or_else(|| parse_slow(s));
    match parsed {
        Some(t) if t.year() >= 9999 => Ok(None),
        Some(t) => Ok(Some(t)),
        None => Err("not a timestamp of a shape the services send".to_owned()),
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// The common shapes without any allocation or format-string interpretation.
fn parse_fast(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        digits(&b[0..4])? as i32,
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    )?;
    let (h, m, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some((b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        // Digits past nanoseconds carry no information chrono can keep.
        let kept = &frac[..n.min(9)];
        nanos = digits(kept)? * 10u32.pow(9 - kept.len() as u32);
        rest = &frac[n..];
    }
    // A leap second (:60) is not something either service sends; chrono rejects it here.
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    let naive = NaiveDateTime::new(date, time);
    let offset_secs: i64 = match rest {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let oh = i64::from(digits(&[*h1, *h2])?);
            let om = i64::from(digits(&[*m1, *m2])?);
            let total = oh * 3600 + om * 60;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    if offset_secs == 0 {
        return Some(naive.and_utc());
    }
    Some((naive - TimeDelta::seconds(offset_secs)).and_utc())
}

fn parse_slow(s: &str) -> Option<DateTime<Utc>> {
    use chrono::Timelike;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        // A leap second (`:60`) has no instant of its own to write back: not a timestamp
        // this crate can keep, so the value stays as sent, in `unparsed`.
        .filter(|t| t.nanosecond() < 1_000_000_000)
}

/// Writes a timestamp as Graph does: RFC 3339 in UTC with `Z`, fractional seconds only as
/// long as they need to be (`.05`, `.8454142`).
pub(crate) fn format_timestamp(t: &DateTime<Utc>, with_zone: bool) -> String {
    use chrono::Timelike;
    // By hand: chrono's format strings are interpreted on every call, and exports and the
    // emulator write millions of these.
    let mut out = String::with_capacity(32);
    let year = t.year();
    if (0..=9999).contains(&year) {
        fn push(out: &mut String, sep: Option<char>, n: u32, width: usize) {
            out.extend(sep);
            let mut digits = [b'0'; 4];
            let mut n = n;
            for d in digits[..width].iter_mut().rev() {
                *d = b'0' + (n % 10) as u8;
                n /= 10;
            }
            out.push_str(std::str::from_utf8(&digits[..width]).unwrap_or_default());
        }
        push(&mut out, None, year as u32, 4);
        push(&mut out, Some('-'), t.month(), 2);
        push(&mut out, Some('-'), t.day(), 2);
        push(&mut out, Some('T'), t.hour(), 2);
        push(&mut out, Some(':'), t.minute(), 2);
        push(&mut out, Some(':'), t.second(), 2);
    } else {
        out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    }
    let nanos = t.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let mut frac = [b'0'; 9];
        let mut n = nanos;
        for d in frac.iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        let len = frac.iter().rposition(|d| *d != b'0').map_or(0, |i| i + 1);
        out.push('.');
        out.push_str(std::str::from_utf8(&frac[..len]).unwrap_or_default());
    }
    if with_zone {
        out.push('Z');
    }
    out
}

/// `Option<DateTime<Utc>>` from a tolerant timestamp, `null`, `""` or the year-9999 sentinel.
pub(crate) fn opt_timestamp<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<CowStr<'de>>::deserialize(d)? {
        None => Ok(None),
        Some(s) => parse_timestamp(&s.0).map_err(de::Error::custom),
    }
}

/// Serialises an optional timestamp as Graph writes it.
pub(crate) fn ser_opt_timestamp<S: Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_timestamp(t, true)),
        None => s.serialize_none(),
    }
}

/// A boolean sent as `true`, `"true"`, `"True"` or `"1"`, or `null`.
pub(crate) fn opt_bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean or a string holding one")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let v = v.trim();
            if v.eq_ignore_ascii_case("true") || v == "1" {
                Ok(Some(true))
            } else if v.eq_ignore_ascii_case("false") || v == "0" {
                Ok(Some(false))
            } else if v.is_empty() {
                Ok(None)
            } else {
                Err(E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v != 0))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V)
}

/// A count sent as a number or as a string holding one (`"10"`); `""` and `null` are absent.
pub(crate) fn opt_u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer or a string holding one")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v >= 0.0 && v.fract() == 0.0 && v < u64::MAX as f64 {
                Ok(Some(v as u64))
            } else {
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            v.parse()
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V)
}

/// A signed count sent as a number or as a string holding one (`"20"`, as the security
/// score's documentation shows); `""` and `null` are absent.
pub(crate) fn opt_i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match opt_f64_or_str(d)? {
        None => Ok(None),
        Some(Number::Int(v)) => Ok(Some(v)),
        Some(Number::Float(v)) if v.fract() == 0.0 && v.abs() < i64::MAX as f64 => {
            Ok(Some(v as i64))
        }
        Some(Number::Float(v)) => Err(de::Error::invalid_value(
            de::Unexpected::Float(v),
            &"an integer or a string holding one",
        )),
    }
}

/// A decimal number sent as a number or as a string holding one (`"1.2"`); `""` and `null`
/// are absent.
pub(crate) fn opt_f64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(opt_f64_or_str(d)?.map(|n| match n {
        Number::Int(v) => v as f64,
        Number::Float(v) => v,
    }))
}

/// A number as read: integers kept exact.
enum Number {
    Int(i64),
    Float(f64),
}

fn opt_f64_or_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Number>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Number>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number or a string holding one")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Number::Int(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(
                i64::try_from(v).map_or(Number::Float(v as f64), Number::Int),
            ))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Number::Float(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(Number::Int(i)));
            }
            match t.parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(Some(Number::Float(f))),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V)
}

/// A string where `""` (Partner Center's "none") and `null` are both absent.
pub(crate) fn opt_nonempty_string<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<CowStr<'de>>::deserialize(d)?
        .filter(|s| !s.0.is_empty())
        .map(|s| s.0.into_owned()))
}

/// An id (or any `T` built from a string) where `""` and `null` are absent.
pub(crate) fn opt_nonempty<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<String>,
    T::Error: fmt::Display,
{
    match Option::<CowStr<'de>>::deserialize(d)? {
        Some(s) if !s.0.is_empty() => T::try_from(s.0.into_owned())
            .map(Some)
            .map_err(de::Error::custom),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ts(s: &str) -> Option<DateTime<Utc>> {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn timestamps_of_every_shape() {
        let base = Utc.with_ymd_and_hms(2021, 12, 8, 0, 25, 45).unwrap();
        assert_eq!(ts("2021-12-08T00:25:45"), Some(base));
        assert_eq!(ts("2021-12-08T00:25:45Z"), Some(base));
        assert_eq!(
            ts("2021-12-08T00:25:45.69"),
            Some(base + TimeDelta::milliseconds(690))
        );
        assert_eq!(
            ts("2021-12-08T00:25:45.6900000Z"),
            Some(base + TimeDelta::milliseconds(690))
        );
        assert_eq!(
            ts("2021-12-08T05:55:45.1234567+05:30"),
            Some(base + TimeDelta::nanoseconds(123_456_700))
        );
        assert_eq!(ts("2021-12-07T19:25:45-05:00"), Some(base));
        assert_eq!(
            ts("2021-12-08t00:25:45.5z"),
            Some(base + TimeDelta::milliseconds(500))
        );
        // Past nanosecond precision the extra digits are dropped, not rejected.
        assert_eq!(
            ts("2021-12-08T00:25:45.1234567891Z"),
            Some(base + TimeDelta::nanoseconds(123_456_789))
        );
    }

    #[test]
    fn sentinels_and_empty_are_absent() {
        assert_eq!(ts("9999-12-31T23:59:59.9970000"), None);
        assert_eq!(ts("9999-12-31T23:59:59.997Z"), None);
        assert_eq!(ts(""), None);
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            "yesterday",
            "2021-13-08T00:25:45",
            "2021-12-08T00:25:45+5",
            "2021-12-08T25:00:00Z",
            "2021-12-08T00:25:45.",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formatting_trims_fraction() {
        let t = ts("2023-08-10T08:47:10.8454142Z").unwrap();
        assert_eq!(format_timestamp(&t, true), "2023-08-10T08:47:10.8454142Z");
        let t = ts("2024-01-23T16:03:33.05Z").unwrap();
        assert_eq!(format_timestamp(&t, true), "2024-01-23T16:03:33.05Z");
        assert_eq!(format_timestamp(&t, false), "2024-01-23T16:03:33.05");
        let t = ts("2024-01-23T16:03:33Z").unwrap();
        assert_eq!(format_timestamp(&t, true), "2024-01-23T16:03:33Z");
        let t = ts("0987-02-03T04:05:06.000000001Z").unwrap();
        assert_eq!(format_timestamp(&t, true), "0987-02-03T04:05:06.000000001Z");
        // Matches chrono's own rendering wherever both apply.
        for secs in [0i64, 1, 951_782_400, 1_700_000_000, 4_102_444_799] {
            let t = DateTime::<Utc>::from_timestamp(secs, 120_000_000).unwrap();
            assert_eq!(
                format_timestamp(&t, true),
                t.format("%Y-%m-%dT%H:%M:%S%.fZ")
                    .to_string()
                    .replace(".120", ".12")
            );
        }
    }
}
