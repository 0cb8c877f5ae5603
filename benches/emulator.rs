//! How fast the emulator serves a 50,000-alert Graph listing (pages of 500), read as raw
//! bytes, and the crate's `GraphClient::list` on it: if the raw read is several times faster
//! than the client, client benchmarks against the emulator measure the client.
//!
//! `cargo bench --bench emulator`

mod support;

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use partner_alerts::auth::StaticToken;
use partner_alerts::{AlertQuery, GraphClient};
use partner_alerts_emulator::Emulator;
use serde::Deserialize;

const ALERTS: usize = 50_000;
const PAGE: usize = 500;

/// Only the link: the alerts are skipped by the parser, not decoded.
#[derive(Deserialize)]
struct Link {
    #[serde(rename = "@odata.nextLink")]
    next: Option<String>,
    value: Vec<serde::de::IgnoredAny>,
}

async fn raw(http: &reqwest::Client, first: &str) -> usize {
    let mut n = 0;
    let mut url = Some(first.to_owned());
    while let Some(u) = url {
        let bytes = support::get_page(http, &u).await;
        let page: Link = serde_json::from_slice(bytes.as_ref()).unwrap();
        n += page.value.len();
        url = page.next;
    }
    n
}

async fn client_list(client: &GraphClient) -> usize {
    support::count(client.list(&AlertQuery::new())).await as usize
}

fn emulator(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(async {
        Emulator::builder()
            .alerts(ALERTS)
            .seed(7)
            .page_size(PAGE)
            .start()
            .await
            .unwrap()
    });
    let first = format!("{}/security/partner/securityAlerts", emu.graph_base_url());
    let http = reqwest::Client::new();
    let client = GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("bench-token"))
        .build()
        .unwrap();
    assert_eq!(rt.block_on(raw(&http, &first)), ALERTS);
    assert_eq!(rt.block_on(client_list(&client)), ALERTS);

    let mut group = c.benchmark_group("emulator_50k");
    group.throughput(Throughput::Elements(ALERTS as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("served_raw_bytes", |b| {
        b.iter(|| rt.block_on(raw(&http, &first)))
    });
    group.bench_function("graph_list", |b| {
        b.iter(|| rt.block_on(client_list(&client)))
    });
    group.finish();
    rt.block_on(emu.shutdown());
}

criterion_group!(benches, emulator);
criterion_main!(benches);
