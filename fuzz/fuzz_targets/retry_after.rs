//! `Retry-After` parsing: any string. Never panics; a number of seconds waits at most a day;
//! an HTTP date waits until then (nothing once it has passed).
#![no_main]

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

/// The clock readings the parse runs at: the first byte of the input picks one.
fn now(pick: u8) -> DateTime<Utc> {
    let (y, mo, d, h, mi, s) = match pick % 4 {
        0 => (2026, 11, 1, 12, 0, 0),
        1 => (1994, 11, 6, 8, 49, 37),
        2 => (2000, 2, 29, 23, 59, 59),
        _ => (2099, 12, 31, 0, 0, 0),
    };
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let value = String::from_utf8_lossy(rest);
    let now = now(pick);
    let parsed = partner_alerts::fuzzing::retry_after(&value, now);
    let Some(wait) = parsed else {
        return;
    };
    if value.trim().parse::<f64>().is_ok() {
        assert!(
            wait <= Duration::from_secs(86_400),
            "{value:?} waits {wait:?}, more than a day"
        );
    }
    // A wait that fits a clock: `now + wait` is a time chrono can hold.
    let wait = chrono::TimeDelta::from_std(wait)
        .unwrap_or_else(|_| panic!("{value:?} waits {wait:?}, beyond any clock"));
    assert!(
        now.checked_add_signed(wait).is_some(),
        "{value:?} waits {wait:?}, past the end of time"
    );
});
