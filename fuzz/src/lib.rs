//! What the page targets check, shared by `graph_page` and `fraud_events_page`.
//!
//! * Every alert a page yields serialises, and one with nothing in `unparsed` decodes back
//!   strictly (`serde_json::from_slice::<Alert>`) to an equal alert.
//! * No error shows the body's values: neither a page-level [`Error`] nor a rejected item,
//!   through `Display`, `Debug` or its `source()` chain. Two checks:
//!   - the markers: the seeds carry [`MARKER`] and [`NUMBER_MARKER`] in string values, keys,
//!     ids, counts and links (and the dictionary lets the fuzzer put them anywhere); neither
//!     may ever show in an error.
//!   - any word (a run of 8 or more ASCII letters and digits) of an error's text that also
//!     occurs in the body must be one of the words the messages themselves use
//!     ([`MESSAGE_WORDS`]).
//!
//! A known finding (reported, not yet fixed) can be skipped while fuzzing on for others:
//! `PARTNER_ALERTS_FUZZ_SKIP=name,name` (see [`skip`]). By default everything is checked.

use std::sync::OnceLock;

use partner_alerts::{Alert, Error, Page, Result};

/// Spliced into the seeds' string values: must never appear in an error's text.
pub const MARKER: &str = "ZZSECRETZZ";
/// A number spliced into the seeds (counts, hit counts, numeric values).
pub const NUMBER_MARKER: &str = "73313373";

/// Words of 8+ letters and digits that the library's and serde_json's messages use, and the
/// type and field names `Debug` shows. Matched ignoring ASCII case.
pub const MESSAGE_WORDS: &[&str] = &[
    // The library's own words.
    "Microsoft",
    "PartnerCenter",
    "DecodeError",
    "InvalidResponse",
    "RequestIds",
    "correlation",
    "diagnostic",
    "expected",
    "property",
    "properties",
    "together",
    "timestamp",
    "services",
    "negative",
    "nonnegative",
    "activityLogs",
    "changing",
    "contains",
    "continuation",
    // The JSON path of a page property the error names (`$['@odata.nextLink']`).
    "nextLink",
    // serde_json's.
    "trailing",
    "characters",
    "character",
    "identifier",
    "recursion",
    "exceeded",
    "surrogate",
    "codepoint",
    "unexpected",
    "duplicate",
    "sequence",
    "optional",
    "exponent",
    "floating",
];

/// Whether the known finding `name` is to be skipped in this run.
pub fn skip(name: &str) -> bool {
    static SKIP: OnceLock<Vec<String>> = OnceLock::new();
    SKIP.get_or_init(|| {
        std::env::var("PARTNER_ALERTS_FUZZ_SKIP")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    })
    .iter()
    .any(|s| s == name)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Panics if `text` (what an error shows) holds a value of `body`.
pub fn check_shown(body: &[u8], what: &str, text: &str) {
    for marker in [MARKER, NUMBER_MARKER] {
        // The marker itself, or most of it (an excerpt cut short).
        let core = &marker[1..marker.len() - 1];
        if contains(body, core.as_bytes()) {
            assert!(
                !text.contains(core),
                "{what} shows a value of the body (marker {marker}): {text}"
            );
        }
    }
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 8)
    {
        // A run of zeros is the nil client-request-id of a decode outside a request.
        if contains(body, word.as_bytes())
            && !word.bytes().all(|b| b == b'0')
            && !MESSAGE_WORDS.iter().any(|m| m.eq_ignore_ascii_case(word))
        {
            panic!("{what} shows {word:?}, a word of the body: {text}");
        }
    }
}

/// Checks what an error shows, through its whole `source()` chain.
pub fn check_error(body: &[u8], what: &str, e: &(dyn std::error::Error + 'static)) {
    check_shown(body, what, &e.to_string());
    check_shown(body, what, &format!("{e:?}"));
    let mut source = e.source();
    while let Some(s) = source {
        check_shown(body, what, &s.to_string());
        check_shown(body, what, &format!("{s:?}"));
        source = s.source();
    }
}

/// Serialises an alert and, when nothing of it is in `unparsed`, decodes it back strictly.
pub fn check_alert(alert: &Alert) {
    let written = serde_json::to_vec(alert)
        .unwrap_or_else(|e| panic!("alert {:?} does not serialise: {e}", alert.id));
    if alert.unparsed.is_empty() {
        let back: Alert = serde_json::from_slice(&written).unwrap_or_else(|e| {
            panic!(
                "alert {alert:?} serialised as {} does not decode back: {e}",
                String::from_utf8_lossy(&written)
            )
        });
        assert_eq!(
            &back,
            alert,
            "the alert changed on a round trip through {}",
            String::from_utf8_lossy(&written)
        );
    }
}

/// Checks a decoded page (or its error) against the body it came from. Returns the page.
pub fn check_page<'a>(body: &[u8], page: &'a Result<Page>) -> Option<&'a Page> {
    match page {
        Ok(page) => {
            for alert in page.items() {
                check_alert(alert);
            }
            for rejected in page.rejected() {
                check_error(body, "a rejected item", rejected);
                assert!(
                    rejected.item_index().is_some(),
                    "a rejected item without its index: {rejected:?}"
                );
            }
            Some(page)
        }
        Err(e) => {
            check_page_error(body, e);
            None
        }
    }
}

fn check_page_error(body: &[u8], e: &Error) {
    check_error(body, "the page's error", e);
}
