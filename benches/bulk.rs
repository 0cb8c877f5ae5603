//! Resolving 1,000 alerts on the emulator with 50 ms of latency per request: Graph JSON
//! batching (20 to a `$batch`, 4 batches in flight) against one PATCH at a time, in the same
//! run.
//!
//! `cargo bench --bench bulk` (about ten minutes: the one-at-a-time side waits 50 s an
//! iteration, and criterion takes ten).

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use partner_alerts::auth::StaticToken;
use partner_alerts::{AlertSource, GraphClient, StatusUpdate, UpdateTarget};
use partner_alerts_emulator::{Emulator, FaultSettings};

const ALERTS: usize = 1_000;
const LATENCY: Duration = Duration::from_millis(50);

fn bulk(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let emu = rt.block_on(async {
        Emulator::builder()
            .alerts(ALERTS)
            .seed(7)
            .faults(FaultSettings::new().latency(LATENCY))
            .start()
            .await
            .unwrap()
    });
    let client = GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("bench"))
        .build()
        .unwrap();
    let targets: Vec<UpdateTarget> = emu.alerts().iter().map(UpdateTarget::from).collect();
    // Every write changes the alert: the two statuses alternate between iterations.
    let updates = [StatusUpdate::investigating(), StatusUpdate::reactivate()];

    let mut group = c.benchmark_group("resolve_1000_alerts_50ms_latency");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Elements(ALERTS as u64));
    let mut n = 0usize;
    group.bench_function("batched", |b| {
        b.iter(|| {
            n += 1;
            let report = rt
                .block_on(client.update_alerts(&targets, &updates[n % 2]))
                .unwrap();
            assert_eq!(report.succeeded.len(), ALERTS);
        })
    });
    group.bench_function("one_patch_at_a_time", |b| {
        b.iter(|| {
            n += 1;
            rt.block_on(async {
                for t in &targets {
                    client.update_alert(&t.id, &updates[n % 2]).await.unwrap();
                }
            })
        })
    });
    group.finish();
    rt.block_on(emu.shutdown());
}

criterion_group!(benches, bulk);
criterion_main!(benches);
