//! Listing 50,000 alerts end to end over loopback: the crate's `GraphClient::list` against a
//! hand-written baseline in the same run (reqwest, `serde_json::from_slice` into minimal
//! structs, following `@odata.nextLink`), plus the pages form and the FraudEvents listing.
//!
//! `cargo bench --bench list`; the summary at the end prints alerts/s and the ratio of each
//! form to the baseline.

mod support;

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use partner_alerts::auth::StaticToken;
use partner_alerts::{AlertQuery, FraudEventsClient, GraphClient};
use serde::Deserialize;

const ALERTS: u64 = 50_000;
const PAGE: u64 = 500;

/// What a hand-written loop would decode: a few fields, strings owned.
#[derive(Deserialize)]
#[allow(dead_code)]
struct MiniAlert {
    id: String,
    status: Option<String>,
    severity: Option<String>,
    #[serde(rename = "alertType")]
    alert_type: Option<String>,
    #[serde(rename = "subscriptionId")]
    subscription_id: Option<String>,
    #[serde(rename = "detectedDateTime")]
    detected: Option<String>,
}

#[derive(Deserialize)]
struct MiniPage {
    value: Vec<MiniAlert>,
    #[serde(rename = "@odata.nextLink")]
    next: Option<String>,
}

async fn baseline(http: &reqwest::Client, first: &str) -> u64 {
    let mut n = 0;
    let mut url = Some(first.to_owned());
    while let Some(u) = url {
        let bytes = support::get_page(http, &u).await;
        let page: MiniPage = serde_json::from_slice(bytes.as_ref()).unwrap();
        n += page.value.len() as u64;
        url = page.next;
    }
    n
}

/// The speed of the wire: the same requests, the bodies read and dropped undecoded (the
/// next link found by a byte search).
async fn wire(http: &reqwest::Client, first: &str) -> u64 {
    let mut pages = 0;
    let mut url = Some(first.to_owned());
    while let Some(u) = url {
        let bytes = support::get_page(http, &u).await;
        let bytes = bytes.as_ref();
        pages += 1;
        let key = b"\"@odata.nextLink\":\"";
        url = bytes.windows(key.len()).position(|w| w == key).map(|at| {
            let rest = &bytes[at + key.len()..];
            let end = rest.iter().position(|&b| b == b'"').unwrap();
            String::from_utf8(rest[..end].to_vec()).unwrap()
        });
    }
    pages * PAGE
}

async fn crate_items(client: &GraphClient) -> u64 {
    support::count(client.list(&AlertQuery::new())).await
}

async fn crate_pages(client: &GraphClient) -> u64 {
    let mut pages = client.list(&AlertQuery::new()).pages();
    let mut n = 0;
    while let Some(p) = pages.try_next().await.unwrap() {
        n += p.items().len() as u64;
    }
    n
}

async fn fraud_events(client: &FraudEventsClient) -> u64 {
    support::count(client.list(&AlertQuery::new())).await
}

fn list(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let graph_server = rt.block_on(support::graph_server(ALERTS, PAGE));
    let pc_server = rt.block_on(support::fraud_events_server(ALERTS, PAGE));
    let first = format!("{}/security/partner/securityAlerts", graph_server.base_url);
    let http = reqwest::Client::new();
    let graph = |prefetch| {
        GraphClient::builder()
            .base_url(graph_server.base_url.as_str())
            .credential(StaticToken::new("bench-token"))
            .prefetch(prefetch)
            .build()
            .unwrap()
    };
    let (graph_prefetch, graph_plain) = (graph(true), graph(false));
    let pc = FraudEventsClient::builder()
        .base_url(pc_server.base_url.as_str())
        .credential(StaticToken::new("bench-token"))
        .page_size(Some(PAGE as u32))
        .build()
        .unwrap();
    assert_eq!(rt.block_on(baseline(&http, &first)), ALERTS);
    assert_eq!(rt.block_on(wire(&http, &first)), ALERTS);
    assert_eq!(rt.block_on(crate_items(&graph_prefetch)), ALERTS);
    assert_eq!(rt.block_on(fraud_events(&pc)), ALERTS);

    let mut group = c.benchmark_group("list_50k");
    group.throughput(Throughput::Elements(ALERTS));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("baseline_reqwest_from_slice", |b| {
        b.iter(|| rt.block_on(baseline(&http, &first)))
    });
    group.bench_function("wire_undecoded", |b| {
        b.iter(|| rt.block_on(wire(&http, &first)))
    });
    group.bench_function("graph_list", |b| {
        b.iter(|| rt.block_on(crate_items(&graph_prefetch)))
    });
    group.bench_function("graph_list_no_prefetch", |b| {
        b.iter(|| rt.block_on(crate_items(&graph_plain)))
    });
    group.bench_function("graph_pages", |b| {
        b.iter(|| rt.block_on(crate_pages(&graph_prefetch)))
    });
    group.bench_function("fraud_events_list", |b| {
        b.iter(|| rt.block_on(fraud_events(&pc)))
    });
    group.finish();

    // The ratios criterion does not print. The forms take turns, round after round, and each
    // ratio is the median of its per-round ratios to the baseline: a shared machine drifts
    // over seconds, and turns keep that drift out of the ratios.
    // Skipped under `--profile-time`, so that a profile shows one form only.
    if std::env::args().any(|a| a.starts_with("--profile-time")) {
        return;
    }
    const ROUNDS: usize = 9;
    let forms: [(&str, &dyn Fn() -> u64); 6] = [
        ("baseline_reqwest_from_slice", &|| {
            rt.block_on(baseline(&http, &first))
        }),
        ("wire_undecoded", &|| rt.block_on(wire(&http, &first))),
        ("graph_list", &|| rt.block_on(crate_items(&graph_prefetch))),
        ("graph_list_no_prefetch", &|| {
            rt.block_on(crate_items(&graph_plain))
        }),
        ("graph_pages", &|| rt.block_on(crate_pages(&graph_prefetch))),
        ("fraud_events_list", &|| rt.block_on(fraud_events(&pc))),
    ];
    let mut times = vec![Vec::with_capacity(ROUNDS); forms.len()];
    for _ in 0..ROUNDS {
        for (i, (_, run)) in forms.iter().enumerate() {
            let start = Instant::now();
            assert_eq!(run(), ALERTS);
            times[i].push(start.elapsed().as_secs_f64());
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    eprintln!(
        "\n{:<30} {:>12} {:>14} {:>10}   ({ROUNDS} rounds)",
        "form", "median", "alerts/s", "vs base"
    );
    for (i, (name, _)) in forms.iter().enumerate() {
        let t = median(times[i].clone());
        let ratio = median(times[i].iter().zip(&times[0]).map(|(t, b)| t / b).collect());
        eprintln!(
            "{name:<30} {:>10.1}ms {:>14.0} {ratio:>9.2}x",
            t * 1e3,
            ALERTS as f64 / t,
        );
    }
}

criterion_group!(benches, list);
criterion_main!(benches);
