//! One page of a FraudEvents listing (a bare JSON array). The first 8 bytes are the page
//! number and the page size asked for (two little-endian u32), the rest the body. Never
//! panics; what it yields round-trips; no error shows the body's values (see the crate's
//! docs); and no event is counted twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partner_alerts_fuzz::check_page;

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<8>() else {
        return;
    };
    let number = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let page = partner_alerts::fuzzing::fraud_events_page(body, number, size);
    let Some(page) = check_page(body, &page) else {
        return;
    };
    // Each element of the array is at most one event or one rejected item (a repeated
    // `eventId` is yielded once).
    if let Ok(serde_json::Value::Array(events)) = serde_json::from_slice(body) {
        assert!(
            page.items().len() + page.rejected().count() <= events.len(),
            "more alerts and rejections than events"
        );
    }
});
