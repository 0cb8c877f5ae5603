//! Decoding a 500-alert Graph page into typed `Alert`s, against decoding the same bytes into
//! `serde_json::Value` as the baseline.
//!
//! `cargo bench --bench decode`

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use partner_alerts::Alert;
use serde::Deserialize;

const ALERTS: u64 = 500;

#[derive(Deserialize)]
struct Page {
    value: Vec<Alert>,
}

fn decode(c: &mut Criterion) {
    let bytes = support::graph_page(
        0..ALERTS,
        Some(
            "https://graph.microsoft.com/beta/security/partner/securityAlerts?$skiptoken=abc"
                .into(),
        ),
    );
    eprintln!(
        "page: {} bytes, {} per alert",
        bytes.len(),
        bytes.len() as u64 / ALERTS
    );
    let mut group = c.benchmark_group("decode_page_500");
    group.throughput(Throughput::Elements(ALERTS));
    group.bench_function("typed_alerts", |b| {
        b.iter(|| {
            // As the client decodes: one UTF-8 check of the body, then from_str.
            let text = std::str::from_utf8(black_box(&bytes)).unwrap();
            let page: Page = serde_json::from_str(text).unwrap();
            assert_eq!(page.value.len() as u64, ALERTS);
            page
        })
    });
    group.bench_function("baseline_serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&bytes)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
