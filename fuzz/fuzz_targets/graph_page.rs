//! One Graph list page, any bytes, decoded as a listing decodes it (strict pass, then item by
//! item). Never panics; what it yields round-trips; no error shows the body's values (see the
//! crate's docs); and a page that decodes accounts for every element of its `value`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use partner_alerts_fuzz::check_page;

fuzz_target!(|body: &[u8]| {
    let page = partner_alerts::fuzzing::graph_page(body);
    let Some(page) = check_page(body, &page) else {
        return;
    };
    // Nothing lost: each element of `value` is an alert or a rejected item. Only where the
    // body is a plain JSON object (serde_json keeps the last of duplicate keys, the decoder
    // refuses them, so a decoded page has one `value`).
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body)
        && let Some(serde_json::Value::Array(value)) = map.get("value")
    {
        assert_eq!(
            page.items().len() + page.rejected().count(),
            value.len(),
            "elements of `value` lost"
        );
    }
});
