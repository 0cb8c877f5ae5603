//! The watcher (`partner_alerts::watch`) against the emulator and a test double: new and
//! changed alerts once each, restarts (graceful and killed), failures, checkpoints, memory.
//!
//! Nothing sleeps: the watcher waits through a `Gate`, a sleep that returns at once while
//! it has permits and otherwise tells the test the watcher is idle (its poll delivered and
//! saved) and waits for the next permit. So a test runs one poll at a time, and changes the
//! emulator only while the watcher waits.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;
use partner_alerts::auth::StaticToken;
use partner_alerts::error::{Api, ServiceError};
use partner_alerts::http::{AsyncSleep, RetryPolicy};
use partner_alerts::watch::{
    AlertState, ChangedField, CheckpointError, CheckpointStore, EventKey, EventKind,
    FileCheckpointStore, FirstRun, MemoryCheckpointStore, Version, Versioned, WatchEvent, Watcher,
};
use partner_alerts::{
    Alert, AlertId, AlertQuery, AlertSource, AlertStatus, Capabilities, Error, Field,
    FraudEventsClient, GraphClient, Page, Pager, RequestIds, ResolvedReason, Severity,
    StatusUpdate, UpdateReport, UpdateTarget,
};
use partner_alerts_emulator::{Emulator, FaultKind, FaultSettings};
use support::sleep::NoSleep;
use tokio::sync::{Notify, Semaphore};

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

/// A sleep that returns at once while it has permits; without one, it signals `idle` and
/// waits for one.
#[derive(Clone, Debug)]
struct Gate(Arc<GateInner>);

impl Default for Gate {
    fn default() -> Self {
        Gate(Arc::new(GateInner {
            permits: Semaphore::new(0),
            idle: Notify::new(),
            waits: Mutex::new(Vec::new()),
        }))
    }
}

#[derive(Debug)]
struct GateInner {
    permits: Semaphore,
    idle: Notify,
    waits: Mutex<Vec<Duration>>,
}

impl AsyncSleep for Gate {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.0.waits.lock().unwrap().push(d);
        let g = self.0.clone();
        Box::pin(async move {
            if let Ok(p) = g.permits.try_acquire() {
                p.forget();
                return;
            }
            g.idle.notify_one();
            g.permits.acquire().await.unwrap().forget();
        })
    }
}

impl Gate {
    fn open(&self) {
        self.0.permits.add_permits(1);
    }

    async fn idle(&self) {
        self.0.idle.notified().await
    }

    /// Forgets an idle signal nobody took (from a watcher since killed).
    fn clear(&self) {
        let _ = self.0.idle.notified().now_or_never();
    }
}

/// Takes up to `k` events, stopping early when the watcher goes idle.
async fn take(w: &mut Watcher, gate: &Gate, k: usize) -> Vec<WatchEvent> {
    let mut out = Vec::new();
    while out.len() < k {
        tokio::select! {
            biased;
            r = w.next_event() => out.push(r.expect("no error expected")),
            _ = gate.idle() => break,
        }
    }
    out
}

/// Lets the watcher make one more poll (two for a watcher that has not polled yet) and
/// takes everything it yields until it waits again.
async fn step(w: &mut Watcher, gate: &Gate) -> Vec<WatchEvent> {
    gate.open();
    take(w, gate, usize::MAX).await
}

/// A clock the test moves, shared by the watcher and the emulator.
#[derive(Clone, Debug)]
struct Clock(Arc<Mutex<DateTime<Utc>>>);

impl Clock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

struct Env {
    emu: Emulator,
    gate: Gate,
    clock: Clock,
    source: Arc<dyn AlertSource>,
    store: Arc<dyn CheckpointStore>,
}

impl Env {
    async fn graph(alerts: usize, seed: u64) -> Env {
        let emu = emulator(alerts, seed).await;
        let source = Arc::new(graph_client(&emu));
        Env::with(emu, source)
    }

    fn with(emu: Emulator, source: Arc<dyn AlertSource>) -> Env {
        Env {
            emu,
            gate: Gate::default(),
            clock: Clock(Arc::new(Mutex::new(t0()))),
            source,
            store: Arc::new(MemoryCheckpointStore::new()),
        }
    }

    async fn watcher(&self, first_run: FirstRun) -> Watcher {
        let clock = self.clock.clone();
        Watcher::builder(self.source.clone())
            .store(self.store.clone())
            .interval(Duration::from_secs(60))
            .overlap(Duration::from_secs(600))
            .first_run(first_run)
            .sleep(Arc::new(self.gate.clone()))
            .clock(move || clock.now())
            .start()
            .await
            .expect("the watcher starts")
    }

    /// Moves both clocks on.
    fn advance(&self, minutes: i64) {
        let now = self.clock.now() + TimeDelta::minutes(minutes);
        *self.clock.0.lock().unwrap() = now;
        self.emu.set_now(now);
    }

    fn open_ids(&self) -> Vec<AlertId> {
        self.emu
            .alerts()
            .into_iter()
            .filter(|a| a.status != Some(AlertStatus::Resolved))
            .map(|a| a.id)
            .collect()
    }

    fn requests(&self) -> u64 {
        self.emu.stats().requests
    }
}

async fn emulator(alerts: usize, seed: u64) -> Emulator {
    Emulator::builder()
        .alerts(alerts)
        .seed(seed)
        .now(t0())
        .start()
        .await
        .unwrap()
}

fn graph_client(emu: &Emulator) -> GraphClient {
    GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("t"))
        .build()
        .unwrap()
}

/// Bounds a test in time (it never sleeps; this only turns a hang into a failure).
async fn bounded<F: std::future::Future>(f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("the test finished in time")
}

fn assert_unique_keys(events: &[WatchEvent]) {
    let mut keys = BTreeSet::new();
    for e in events {
        assert!(keys.insert(e.key.clone()), "key delivered twice: {}", e.key);
    }
}

/// A small seeded generator (SplitMix64), so a failing sequence can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn flip_status(a: &mut Alert) {
    a.status = Some(if a.status == Some(AlertStatus::Investigating) {
        AlertStatus::Active
    } else {
        AlertStatus::Investigating
    });
}

fn resolve(a: &mut Alert, reason: ResolvedReason, on: Option<DateTime<Utc>>) {
    a.status = Some(AlertStatus::Resolved);
    a.resolved_reason = Some(reason);
    a.resolved_on_date_time = on;
}

// ---------------------------------------------------------------------------------------
// New and changed alerts, each once
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn new_and_changed_alerts_are_each_emitted_once_with_their_values() {
    bounded(async {
        let env = Env::graph(60, 11).await;
        let mut w = env.watcher(FirstRun::OpenAlerts).await;

        // The first run: every unresolved alert once, whole.
        let open: BTreeSet<AlertId> = env.open_ids().into_iter().collect();
        assert!(open.len() >= 5, "the seed leaves alerts open");
        let first = step(&mut w, &env.gate).await;
        assert_unique_keys(&first);
        assert!(
            first
                .iter()
                .all(|e| e.kind == EventKind::New && e.previous.is_none())
        );
        let ids: BTreeSet<AlertId> = first.iter().map(|e| e.alert.id.clone()).collect();
        assert_eq!(ids, open);
        for e in &first {
            assert_eq!(Some(&e.alert), env.emu.alert(&e.alert.id).as_ref());
        }

        // A quiet poll: the new-alert read and the sweep, one request each.
        let before = env.requests();
        assert!(step(&mut w, &env.gate).await.is_empty());
        assert_eq!(env.requests() - before, 2);

        // A new alert, and four changes.
        env.advance(1);
        let raised = env.emu.raise_alert();
        let open: Vec<AlertId> = env.open_ids();
        let (a, b, c, d) = (&open[0], &open[1], &open[2], &open[3]);
        let old = |id: &AlertId| AlertState::of(&env.emu.alert(id).unwrap());
        let (old_a, old_b, old_c, old_d) = (old(a), old(b), old(c), old(d));
        env.emu.update_alert(a, flip_status);
        env.emu.update_alert(b, |x| {
            x.severity = Some(if x.severity == Some(Severity::Low) {
                Severity::High
            } else {
                Severity::Low
            });
            x.last_observed_date_time = Some(t0() + TimeDelta::seconds(30));
        });
        let now = env.emu.now();
        env.emu
            .update_alert(c, |x| resolve(x, ResolvedReason::Fraud, Some(now)));
        // Resolved without a resolution time: the recently-resolved read cannot find it,
        // a read by id does.
        env.emu
            .update_alert(d, |x| resolve(x, ResolvedReason::Ignore, None));

        let before = env.requests();
        let events = step(&mut w, &env.gate).await;
        // New-alert read, sweep, recently resolved, and `d` by id.
        assert_eq!(env.requests() - before, 4);
        assert_eq!(events.len(), 5, "{events:#?}");
        let by_id: HashMap<&AlertId, &WatchEvent> =
            events.iter().map(|e| (&e.alert.id, e)).collect();

        let new = by_id[&raised.id];
        assert_eq!(new.kind, EventKind::New);
        assert_eq!(new.alert, env.emu.alert(&raised.id).unwrap());
        assert_eq!((new.previous.as_ref(), new.changes.len()), (None, 0));

        for (id, old, changes) in [
            (a, &old_a, vec![ChangedField::Status]),
            (
                b,
                &old_b,
                vec![ChangedField::LastObservedDateTime, ChangedField::Severity],
            ),
            (
                c,
                &old_c,
                vec![ChangedField::Status, ChangedField::ResolvedReason],
            ),
            (
                d,
                &old_d,
                vec![ChangedField::Status, ChangedField::ResolvedReason],
            ),
        ] {
            let e = by_id[id];
            assert_eq!(e.kind, EventKind::Changed, "{id}");
            assert_eq!(e.previous.as_ref(), Some(old), "{id}");
            assert_eq!(
                e.current(),
                AlertState::of(&env.emu.alert(id).unwrap()),
                "{id}"
            );
            assert_eq!(e.changes, changes, "{id}");
            assert_eq!(e.key.id(), id);
        }
        let all: Vec<WatchEvent> = first.into_iter().chain(events).collect();
        assert_unique_keys(&all);

        // Nothing twice; the resolved ones are no longer swept.
        assert!(step(&mut w, &env.gate).await.is_empty());
        let stats = w.stats();
        assert_eq!(stats.open, env.open_ids().len());
        assert_eq!(stats.events, all.len() as u64);
        w.close().await.unwrap();
    })
    .await
}

#[tokio::test]
async fn the_fraud_events_client_is_watched_the_same_way() {
    bounded(async {
        let emu = emulator(60, 12).await;
        let client = FraudEventsClient::builder()
            .base_url(emu.partner_center_base_url())
            .credential(StaticToken::new("t"))
            .build()
            .unwrap();
        let env = Env::with(emu, Arc::new(client));
        let mut w = env.watcher(FirstRun::OpenAlerts).await;
        let event_id = |id: &AlertId| env.emu.event_id(id).unwrap();

        let first = step(&mut w, &env.gate).await;
        let open: BTreeSet<AlertId> = env.open_ids().iter().map(event_id).collect();
        let ids: BTreeSet<AlertId> = first.iter().map(|e| e.alert.id.clone()).collect();
        assert_eq!(ids, open);
        assert!(first.iter().all(|e| e.kind == EventKind::New));

        // A quiet poll is one listing of every event: 60 events in one page, and the empty
        // page that ends a Partner Center listing.
        let before = env.requests();
        assert!(step(&mut w, &env.gate).await.is_empty());
        assert_eq!(env.requests() - before, 2);

        env.advance(1);
        let raised = env.emu.raise_alert();
        let open = env.open_ids();
        env.emu.update_alert(&open[0], flip_status);
        let now = env.emu.now();
        env.emu
            .update_alert(&open[1], |x| resolve(x, ResolvedReason::Fraud, Some(now)));
        let events = step(&mut w, &env.gate).await;
        assert_eq!(events.len(), 3, "{events:#?}");
        let by_id: HashMap<AlertId, &WatchEvent> =
            events.iter().map(|e| (e.alert.id.clone(), e)).collect();
        let new = by_id[&event_id(&raised.id)];
        assert_eq!(new.kind, EventKind::New);
        assert_eq!(new.alert.status, Some(AlertStatus::Active));
        let changed = by_id[&event_id(&open[0])];
        assert_eq!(changed.changes, [ChangedField::Status]);
        assert_eq!(
            changed.current().status,
            env.emu.alert(&open[0]).unwrap().status
        );
        let resolved = by_id[&event_id(&open[1])];
        assert_eq!(
            resolved.changes,
            [ChangedField::Status, ChangedField::ResolvedReason]
        );
        assert_eq!(resolved.alert.status, Some(AlertStatus::Resolved));
        assert!(step(&mut w, &env.gate).await.is_empty());
        w.close().await.unwrap();
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Restarts: the truth, from what the test did
// ---------------------------------------------------------------------------------------

/// What an event says, without its key.
type Record = (EventKind, AlertId, Option<AlertState>, AlertState);

fn record(e: &WatchEvent) -> Record {
    (e.kind, e.alert.id.clone(), e.previous.clone(), e.current())
}

fn snapshot(emu: &Emulator) -> BTreeMap<AlertId, AlertState> {
    emu.alerts()
        .iter()
        .map(|a| (a.id.clone(), AlertState::of(a)))
        .collect()
}

/// The events due between two snapshots: the new alerts, and each change (the test changes
/// only unresolved alerts, which the watcher tracks).
fn due(
    before: &BTreeMap<AlertId, AlertState>,
    after: &BTreeMap<AlertId, AlertState>,
) -> Vec<Record> {
    let mut out = Vec::new();
    for (id, now) in after {
        match before.get(id) {
            None => out.push((EventKind::New, id.clone(), None, now.clone())),
            Some(was) if was != now => out.push((
                EventKind::Changed,
                id.clone(),
                Some(was.clone()),
                now.clone(),
            )),
            Some(_) => {}
        }
    }
    out
}

/// The first run's events: every unresolved alert, new.
fn backlog(now: &BTreeMap<AlertId, AlertState>) -> Vec<Record> {
    now.iter()
        .filter(|(_, s)| s.is_open())
        .map(|(id, s)| (EventKind::New, id.clone(), None, s.clone()))
        .collect()
}

/// A few random creations and changes of unresolved alerts, the clock a minute on.
fn script(env: &Env, rng: &mut Rng) {
    env.advance(1);
    for _ in 0..rng.below(4) {
        let open = env.open_ids();
        let id = rng.pick(&open).clone();
        match rng.below(10) {
            0..=2 => {
                env.emu.raise_alert();
            }
            3 | 4 => {
                env.emu.update_alert(&id, flip_status);
            }
            5 => {
                let s = rng
                    .pick(&[Severity::Low, Severity::Medium, Severity::High])
                    .clone();
                env.emu.update_alert(&id, |a| a.severity = Some(s));
            }
            6 => {
                let m = rng.below(30) as i64 + 1;
                env.emu.update_alert(&id, |a| {
                    a.last_observed_date_time =
                        a.last_observed_date_time.map(|t| t + TimeDelta::minutes(m))
                });
            }
            _ => {
                let reason = rng
                    .pick(&[
                        ResolvedReason::Fraud,
                        ResolvedReason::Legitimate,
                        ResolvedReason::Ignore,
                    ])
                    .clone();
                // Now and then without a resolution time (read by id).
                let on = (rng.below(5) > 0).then(|| env.emu.now());
                env.emu.update_alert(&id, |a| resolve(a, reason, on));
            }
        }
    }
}

fn sorted(mut v: Vec<Record>) -> Vec<Record> {
    v.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    v
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "partner-alerts-watch-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn graceful_restarts_at_random_points_deliver_every_event_exactly_once() {
    bounded(async {
        let dir = temp_dir("graceful");
        let mut env = Env::graph(40, 21).await;
        env.store = Arc::new(FileCheckpointStore::new(dir.join("checkpoint")));
        let mut rng = Rng(0x5eed_0001);

        let mut truth = backlog(&snapshot(&env.emu));
        let mut delivered = Vec::new();
        let mut w = env.watcher(FirstRun::OpenAlerts).await;
        delivered.extend(step(&mut w, &env.gate).await);
        let mut restarts = 0;
        for _ in 0..70 {
            let before = snapshot(&env.emu);
            script(&env, &mut rng);
            truth.extend(due(&before, &snapshot(&env.emu)));
            if rng.below(10) < 6 {
                // Stop after some of the poll's events (maybe none, maybe all), restart.
                env.gate.open();
                let k = rng.below(4);
                delivered.extend(take(&mut w, &env.gate, k).await);
                w.close().await.unwrap();
                w = env.watcher(FirstRun::OpenAlerts).await;
                restarts += 1;
            }
            delivered.extend(step(&mut w, &env.gate).await);
        }
        w.close().await.unwrap();
        assert!(restarts >= 30, "{restarts} restarts");
        assert_unique_keys(&delivered);
        assert_eq!(
            sorted(delivered.iter().map(record).collect()),
            sorted(truth.clone())
        );
        assert!(truth.len() > 60, "the script did enough: {}", truth.len());
        std::fs::remove_dir_all(dir).unwrap();
    })
    .await
}

/// A memory store that counts its saves (to tell which events were in flight at a kill).
#[derive(Debug, Default)]
struct Counting {
    inner: MemoryCheckpointStore,
    saves: AtomicU64,
}

#[async_trait::async_trait]
impl CheckpointStore for Counting {
    async fn load(&self) -> Result<Option<Versioned>, CheckpointError> {
        self.inner.load().await
    }

    async fn save(
        &self,
        expected: Option<Version>,
        bytes: Vec<u8>,
    ) -> Result<Version, CheckpointError> {
        let v = self.inner.save(expected, bytes).await?;
        self.saves.fetch_add(1, Ordering::SeqCst);
        Ok(v)
    }
}

/// An event as delivered: by which watcher, after how many saves, and whether that
/// watcher was then killed.
struct Delivered {
    event: WatchEvent,
    instance: usize,
    saves: u64,
}

/// Checks a run with kills: every due event delivered, a key always with the same event,
/// and repeats only of events a killed watcher delivered after its last save.
fn check_kills(
    delivered: &[Delivered],
    truth: Vec<Record>,
    final_saves: &HashMap<usize, u64>,
) -> usize {
    let mut first: BTreeMap<EventKey, &Delivered> = BTreeMap::new();
    let mut repeats = 0;
    for d in delivered {
        match first.get(&d.event.key) {
            None => {
                first.insert(d.event.key.clone(), d);
            }
            Some(earlier) => {
                repeats += 1;
                assert_eq!(
                    record(&earlier.event),
                    record(&d.event),
                    "one key, one event"
                );
                assert!(
                    final_saves.get(&earlier.instance) == Some(&earlier.saves),
                    "{} repeated although delivered before its watcher's last save",
                    d.event.key
                );
            }
        }
    }
    assert_eq!(
        sorted(first.values().map(|d| record(&d.event)).collect()),
        sorted(truth)
    );
    repeats
}

#[tokio::test]
async fn killed_watchers_lose_nothing_and_repeat_only_the_batch_in_flight() {
    bounded(async {
        let mut env = Env::graph(40, 22).await;
        let store = Arc::new(Counting::default());
        env.store = store.clone();
        let mut rng = Rng(0x5eed_0002);

        let mut truth = backlog(&snapshot(&env.emu));
        let mut delivered = Vec::new();
        let mut final_saves = HashMap::new();
        let mut instance = 0;
        let mut w = env.watcher(FirstRun::OpenAlerts).await;
        let mut kills = 0;
        for round in 0..80 {
            if round > 0 {
                let before = snapshot(&env.emu);
                script(&env, &mut rng);
                truth.extend(due(&before, &snapshot(&env.emu)));
            }
            env.gate.open();
            let k = if rng.below(10) < 5 {
                1 + rng.below(3)
            } else {
                usize::MAX
            };
            let mut taken = 0;
            loop {
                let got = take(&mut w, &env.gate, 1).await;
                let Some(event) = got.into_iter().next() else {
                    break;
                };
                delivered.push(Delivered {
                    event,
                    instance,
                    saves: store.saves.load(Ordering::SeqCst),
                });
                taken += 1;
                if taken >= k {
                    // Killed between delivering and saving: no close.
                    final_saves.insert(instance, store.saves.load(Ordering::SeqCst));
                    drop(std::mem::replace(
                        &mut w,
                        env.watcher(FirstRun::OpenAlerts).await,
                    ));
                    instance += 1;
                    kills += 1;
                    break;
                }
            }
            // What is left of the poll, from the next watcher.
            delivered.extend(
                step(&mut w, &env.gate)
                    .await
                    .into_iter()
                    .map(|event| Delivered {
                        event,
                        instance,
                        saves: store.saves.load(Ordering::SeqCst),
                    }),
            );
        }
        let repeats = check_kills(&delivered, truth, &final_saves);
        assert!(kills >= 20, "{kills} kills");
        assert!(repeats > 0, "kills in flight repeat events");
    })
    .await
}

#[tokio::test]
async fn an_aborted_watch_task_loses_nothing() {
    bounded(async {
        let mut env = Env::graph(40, 23).await;
        let store = Arc::new(Counting::default());
        env.store = store.clone();
        let env = Arc::new(env);
        let mut rng = Rng(0x5eed_0003);

        let spawn = |instance: usize, env: Arc<Env>, store: Arc<Counting>| {
            // Room for one event: the task waits for the test to take each, so an abort
            // lands between two events of a poll as often as after one.
            let (tx, rx) = tokio::sync::mpsc::channel(1);
            let task = tokio::spawn(async move {
                let mut w = env.watcher(FirstRun::OpenAlerts).await;
                loop {
                    let event = w.next_event().await.unwrap();
                    let saves = store.saves.load(Ordering::SeqCst);
                    if tx
                        .send(Delivered {
                            event,
                            instance,
                            saves,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
            (task, rx)
        };

        let mut truth = backlog(&snapshot(&env.emu));
        let mut delivered = Vec::new();
        let mut final_saves = HashMap::new();
        let mut instance = 0;
        let (mut task, mut rx) = spawn(instance, env.clone(), store.clone());
        for round in 0..60 {
            if round > 0 {
                let before = snapshot(&env.emu);
                script(&env, &mut rng);
                truth.extend(due(&before, &snapshot(&env.emu)));
            }
            env.gate.open();
            let abort_after = (rng.below(2) == 0).then(|| 1 + rng.below(3));
            let mut got = 0;
            loop {
                tokio::select! {
                    biased;
                    Some(d) = rx.recv() => {
                        delivered.push(d);
                        got += 1;
                        if abort_after == Some(got) {
                            task.abort();
                            let _ = (&mut task).await;
                            while let Ok(d) = rx.try_recv() {
                                delivered.push(d);
                            }
                            final_saves.insert(instance, store.saves.load(Ordering::SeqCst));
                            env.gate.clear();
                            instance += 1;
                            (task, rx) = spawn(instance, env.clone(), store.clone());
                        }
                    }
                    _ = env.gate.idle() => break,
                }
            }
        }
        task.abort();
        let repeats = check_kills(&delivered, truth, &final_saves);
        assert!(instance >= 8, "{instance} aborts");
        assert!(repeats > 0, "aborts in flight repeat events");
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn failures_back_off_honour_retry_after_and_never_end_the_watch() {
    bounded(async {
        let emu = Emulator::builder()
            .alerts(20)
            .seed(31)
            .now(t0())
            .faults(FaultSettings::new().retry_after(Duration::from_millis(1500)))
            .start()
            .await
            .unwrap();
        // No retries in the client: every fault reaches the watcher.
        let client = GraphClient::builder()
            .base_url(emu.graph_base_url())
            .credential(StaticToken::new("t"))
            .retry(RetryPolicy::disabled())
            .build()
            .unwrap();
        let sleep = Arc::new(NoSleep::default());
        let mut w = Watcher::builder(Arc::new(client))
            .store(Arc::new(MemoryCheckpointStore::new()))
            .first_run(FirstRun::Since(t0()))
            .backoff(Duration::from_millis(100), Duration::from_secs(1))
            .sleep(sleep.clone())
            .clock(t0)
            .start()
            .await
            .unwrap();

        emu.fail_next(6, FaultKind::InternalServerError);
        let raised = emu.raise_alert();
        let e = w.next_event().await.unwrap();
        assert_eq!(e.alert.id, raised.id);
        let waits: Vec<u128> = sleep
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(waits, [100, 200, 400, 800, 1000, 1000], "doubling, capped");
        assert_eq!(w.stats().failures, 6);
        assert_eq!(w.stats().consecutive_failures, 0);
        assert!(w.last_error().is_none());

        // Throttled, and a dropped connection: the service's Retry-After rules.
        sleep.0.lock().unwrap().clear();
        emu.fail_next(2, FaultKind::Throttle);
        let raised = emu.raise_alert();
        let e = w.next_event().await.unwrap();
        assert_eq!(e.alert.id, raised.id);
        let waits: Vec<u128> = sleep
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_millis())
            .collect();
        // The interval after the first batch, then the two throttled polls.
        assert_eq!(waits, [60_000, 1500, 1500]);

        emu.fail_next(1, FaultKind::DropConnection);
        let raised = emu.raise_alert();
        let e = w.next_event().await.unwrap();
        assert_eq!(e.alert.id, raised.id);
        assert_eq!(w.stats().failures, 9);
        w.close().await.unwrap();
    })
    .await
}

/// A source refusing the credentials a given number of times, then serving nothing.
#[derive(Debug)]
struct Refusing {
    refusals: AtomicU64,
    caps: Capabilities,
}

#[async_trait::async_trait]
impl AlertSource for Refusing {
    fn kind(&self) -> partner_alerts::SourceKind {
        partner_alerts::SourceKind::Graph
    }

    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }

    fn list(&self, _: &AlertQuery) -> Pager {
        if self.refusals.load(Ordering::SeqCst) > 0 {
            self.refusals.fetch_sub(1, Ordering::SeqCst);
            let e = Error::from_service(ServiceError::new(Api::Graph, 401, double_ids()));
            return Pager::from_stream(futures::stream::iter([Err(e)]));
        }
        Pager::from_stream(futures::stream::empty())
    }

    async fn get(&self, _: &AlertId) -> partner_alerts::Result<Alert> {
        Err(Error::from_service(ServiceError::new(
            Api::Graph,
            404,
            double_ids(),
        )))
    }

    async fn update_alerts(
        &self,
        _: &[UpdateTarget],
        _: &StatusUpdate,
    ) -> partner_alerts::Result<UpdateReport> {
        Ok(UpdateReport::default())
    }
}

fn double_ids() -> RequestIds {
    RequestIds::new(uuid::Uuid::nil()).with_request_id("double")
}

fn graph_capabilities() -> Capabilities {
    GraphClient::builder()
        .base_url("http://127.0.0.1:9/beta")
        .credential(StaticToken::new("t"))
        .build()
        .unwrap()
        .capabilities()
}

#[tokio::test]
async fn refused_credentials_are_returned_and_the_next_call_tries_again() {
    bounded(async {
        let source = Arc::new(Refusing {
            refusals: AtomicU64::new(2),
            caps: graph_capabilities(),
        });
        let gate = Gate::default();
        let mut w = Watcher::builder(source)
            .store(Arc::new(MemoryCheckpointStore::new()))
            .backoff(Duration::from_millis(10), Duration::from_secs(1))
            .sleep(Arc::new(gate.clone()))
            .start()
            .await
            .unwrap();
        let e = w.next_event().await.unwrap_err();
        assert!(e.source_error().is_some_and(Error::is_auth), "{e}");
        // The next call waits the backoff, then tries again.
        gate.open();
        let e = w.next_event().await.unwrap_err();
        assert!(e.source_error().is_some_and(Error::is_auth), "{e}");
        // Then it recovers: a poll with nothing to report, and it waits for the next.
        assert!(step(&mut w, &gate).await.is_empty());
        let waits = gate.0.waits.lock().unwrap().clone();
        assert_eq!(
            waits,
            [
                Duration::from_millis(10),
                Duration::from_millis(20),
                Duration::from_secs(60)
            ]
        );
        assert!(w.stats().polls >= 1);
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Alerts that vanish, reopen, or that the service will not filter
// ---------------------------------------------------------------------------------------

/// Alerts in memory, filtered with `Filter::matches`; optionally refusing a filter on
/// `resolvedOnDateTime` (Graph documents no `$filter` properties).
#[derive(Debug)]
struct InMemory {
    alerts: Mutex<Vec<Alert>>,
    refuse_resolved_on: AtomicBool,
    caps: Capabilities,
    gets: AtomicU64,
}

impl InMemory {
    fn new(alerts: Vec<Alert>) -> Self {
        InMemory {
            alerts: Mutex::new(alerts),
            refuse_resolved_on: AtomicBool::new(false),
            caps: graph_capabilities(),
            gets: AtomicU64::new(0),
        }
    }

    fn update(&self, id: &str, f: impl FnOnce(&mut Alert)) {
        let mut alerts = self.alerts.lock().unwrap();
        f(alerts.iter_mut().find(|a| a.id.as_str() == id).unwrap());
    }
}

#[async_trait::async_trait]
impl AlertSource for InMemory {
    fn kind(&self) -> partner_alerts::SourceKind {
        partner_alerts::SourceKind::Graph
    }

    fn capabilities(&self) -> Capabilities {
        self.caps.clone()
    }

    fn list(&self, query: &AlertQuery) -> Pager {
        let filter = query.filter_expr();
        if self.refuse_resolved_on.load(Ordering::SeqCst)
            && filter.is_some_and(|f| f.fields().contains(&Field::ResolvedOnDateTime))
        {
            let e = Error::from_service(ServiceError::new(Api::Graph, 400, double_ids()));
            return Pager::from_stream(futures::stream::iter([Err(e)]));
        }
        let matching: Vec<Alert> = self
            .alerts
            .lock()
            .unwrap()
            .iter()
            .filter(|a| filter.is_none_or(|f| f.matches(a) == Some(true)))
            .cloned()
            .collect();
        Pager::from_pages(futures::stream::iter([Ok(Page::new(
            matching,
            double_ids(),
        ))]))
    }

    async fn get(&self, id: &AlertId) -> partner_alerts::Result<Alert> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.alerts
            .lock()
            .unwrap()
            .iter()
            .find(|a| a.id == *id)
            .cloned()
            .ok_or_else(|| Error::from_service(ServiceError::new(Api::Graph, 404, double_ids())))
    }

    async fn update_alerts(
        &self,
        _: &[UpdateTarget],
        _: &StatusUpdate,
    ) -> partner_alerts::Result<UpdateReport> {
        Ok(UpdateReport::default())
    }
}

fn alert(id: &str, status: AlertStatus, detected: DateTime<Utc>) -> Alert {
    let mut a = Alert::new(AlertId::new(id).unwrap());
    a.status = Some(status);
    a.severity = Some(Severity::Medium);
    a.detected_date_time = Some(detected);
    a
}

async fn double_watcher(
    source: Arc<InMemory>,
    gate: &Gate,
    store: Arc<dyn CheckpointStore>,
) -> Watcher {
    Watcher::builder(source)
        .store(store)
        .sleep(Arc::new(gate.clone()))
        .clock(t0)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_vanished_alert_is_dropped_and_a_reopened_one_is_new_again() {
    bounded(async {
        let old = t0() - TimeDelta::days(3);
        let source = Arc::new(InMemory::new(vec![
            alert("a", AlertStatus::Active, old),
            alert("b", AlertStatus::Active, old),
            alert("c", AlertStatus::Resolved, old),
        ]));
        let gate = Gate::default();
        let mut w = double_watcher(
            source.clone(),
            &gate,
            Arc::new(MemoryCheckpointStore::new()),
        )
        .await;
        let first = step(&mut w, &gate).await;
        assert_eq!(first.len(), 2);
        let b_first = first
            .iter()
            .find(|e| e.alert.id.as_str() == "b")
            .unwrap()
            .key
            .clone();

        // `a` disappears: read by id, not found, no longer tracked; no event.
        source
            .alerts
            .lock()
            .unwrap()
            .retain(|x| x.id.as_str() != "a");
        assert!(step(&mut w, &gate).await.is_empty());
        assert_eq!((w.stats().vanished, w.stats().tracked), (1, 1));

        // `b` is resolved (reported), forgotten (detected long before the window)...
        source.update("b", |x| resolve(x, ResolvedReason::Legitimate, Some(t0())));
        let resolved = step(&mut w, &gate).await;
        assert_eq!(resolved.len(), 1);
        assert_eq!(resolved[0].kind, EventKind::Changed);
        assert_eq!(w.stats().tracked, 0);

        // ... and reopened: new again, under a key of its own although its state is as it
        // was when first reported.
        source.update("b", |x| {
            x.status = Some(AlertStatus::Active);
            x.resolved_reason = None;
            x.resolved_on_date_time = None;
        });
        let reopened = step(&mut w, &gate).await;
        assert_eq!(reopened.len(), 1);
        assert_eq!(reopened[0].kind, EventKind::New);
        assert_eq!(
            reopened[0].current(),
            AlertState::of(&first.iter().find(|e| e.key == b_first).unwrap().alert)
        );
        assert_ne!(reopened[0].key, b_first);
        // Read whole by id (the sweep selects only the watched fields).
        assert_eq!(
            reopened[0].alert,
            source.get(&AlertId::new("b").unwrap()).await.unwrap()
        );
        w.close().await.unwrap();
    })
    .await
}

#[tokio::test]
async fn a_refused_resolved_filter_falls_back_to_reading_by_id() {
    bounded(async {
        let old = t0() - TimeDelta::days(3);
        let source = Arc::new(InMemory::new(vec![
            alert("a", AlertStatus::Active, old),
            alert("b", AlertStatus::Investigating, old),
        ]));
        source.refuse_resolved_on.store(true, Ordering::SeqCst);
        let gate = Gate::default();
        let mut w = double_watcher(
            source.clone(),
            &gate,
            Arc::new(MemoryCheckpointStore::new()),
        )
        .await;
        assert_eq!(step(&mut w, &gate).await.len(), 2);
        source.update("a", |x| resolve(x, ResolvedReason::Fraud, Some(t0())));
        let gets = source.gets.load(Ordering::SeqCst);
        let events = step(&mut w, &gate).await;
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].alert.status, Some(AlertStatus::Resolved));
        assert_eq!(source.gets.load(Ordering::SeqCst) - gets, 1);
        assert!(
            w.last_error().is_none(),
            "a refused filter is not a failure"
        );
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Checkpoints
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn the_file_store_round_trips_and_refuses_a_stale_version() {
    let dir = temp_dir("round-trip");
    let store = FileCheckpointStore::new(dir.join("checkpoint"));
    assert_eq!(store.load().await.unwrap(), None);
    let v1 = store.save(None, b"one".to_vec()).await.unwrap();
    assert_eq!(
        store.load().await.unwrap(),
        Some(Versioned {
            version: v1,
            bytes: b"one".to_vec()
        })
    );
    // Creating again, or saving over a version that is not the current one: a conflict.
    let e = store.save(None, b"x".to_vec()).await.unwrap_err();
    assert!(
        matches!(e, CheckpointError::Conflict { expected: None, current: Some(v) } if v == v1),
        "{e}"
    );
    let v2 = store.save(Some(v1), b"two".to_vec()).await.unwrap();
    assert!(v2 > v1);
    let e = store.save(Some(v1), b"late".to_vec()).await.unwrap_err();
    assert!(e.is_conflict() && !e.is_transient(), "{e}");
    // A new store on the same file reads the version from it.
    let again = FileCheckpointStore::new(dir.join("checkpoint"));
    assert_eq!(again.load().await.unwrap().unwrap().version, v2);
    assert_eq!(
        again.save(Some(v2), b"three".to_vec()).await.unwrap(),
        v2.next()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_crash_between_write_and_rename_leaves_the_previous_checkpoint() {
    let dir = temp_dir("crash");
    let path = dir.join("checkpoint");
    let store = FileCheckpointStore::new(&path);
    let v1 = store.save(None, b"before".to_vec()).await.unwrap();

    store.crash_next_save_before_rename();
    let e = store.save(Some(v1), b"after".to_vec()).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    // What a crash at other points leaves: another whole temporary file and a cut one.
    std::fs::write(
        dir.join(".checkpoint.tmp.whole"),
        b"partner-alerts-checkpoint 1 9 3 0\nxyz",
    )
    .unwrap();
    std::fs::write(dir.join(".checkpoint.tmp.cut"), b"partner-alerts-checkp").unwrap();
    let strays = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(strays, 4, "the file and three temporary files");

    // A fresh store (a restarted process) reads the previous checkpoint.
    let restarted = FileCheckpointStore::new(&path);
    assert_eq!(
        restarted.load().await.unwrap(),
        Some(Versioned {
            version: v1,
            bytes: b"before".to_vec()
        })
    );
    // The next save goes through, and clears the leftovers.
    let v2 = restarted.save(Some(v1), b"after".to_vec()).await.unwrap();
    assert_eq!(restarted.load().await.unwrap().unwrap().bytes, b"after");
    assert_eq!(v2, v1.next());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_corrupt_checkpoint_is_a_typed_error_not_a_panic() {
    let env = Env::graph(5, 41).await;
    let dir = temp_dir("corrupt");
    let path = dir.join("checkpoint");
    let start = |store: FileCheckpointStore| {
        Watcher::builder(env.source.clone())
            .store(Arc::new(store))
            .start()
    };

    // Damaged bytes in the file.
    std::fs::write(
        &path,
        b"partner-alerts-checkpoint 1 4 100 0000000000000000\n{\"stateV",
    )
    .unwrap();
    let e = start(FileCheckpointStore::new(&path)).await.unwrap_err();
    assert!(
        matches!(e.checkpoint_error(), Some(CheckpointError::Corrupt { .. })),
        "{e}"
    );

    // An intact file whose bytes are not a watcher's checkpoint.
    std::fs::remove_file(&path).unwrap();
    let store = FileCheckpointStore::new(&path);
    store.save(None, b"[1, 2, 3]".to_vec()).await.unwrap();
    let e = start(store).await.unwrap_err();
    assert!(
        matches!(e.checkpoint_error(), Some(CheckpointError::Corrupt { .. })),
        "{e}"
    );

    // Neither was overwritten.
    assert!(std::fs::read(&path).unwrap().ends_with(b"[1, 2, 3]"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_checkpoint_of_another_source_or_without_a_store_is_refused() {
    let emu = emulator(5, 42).await;
    let store: Arc<dyn CheckpointStore> = Arc::new(MemoryCheckpointStore::new());
    let graph = Watcher::builder(Arc::new(graph_client(&emu)))
        .store(store.clone())
        .start()
        .await
        .unwrap();
    graph.close().await.unwrap();
    let fraud = FraudEventsClient::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("t"))
        .build()
        .unwrap();
    let e = Watcher::builder(Arc::new(fraud))
        .store(store)
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.checkpoint_error(),
            Some(CheckpointError::Incompatible { .. })
        ),
        "{e}"
    );

    let e = Watcher::builder(Arc::new(graph_client(&emu)))
        .start()
        .await
        .unwrap_err();
    assert!(e.source_error().is_some_and(Error::is_invalid_input), "{e}");
}

#[tokio::test]
async fn of_two_watchers_on_one_checkpoint_the_second_to_save_stops() {
    bounded(async {
        let env = Env::graph(20, 43).await;
        let mut first = env.watcher(FirstRun::OpenAlerts).await;
        let gate2 = Gate::default();
        let clock = env.clock.clone();
        let mut second = Watcher::builder(env.source.clone())
            .store(env.store.clone())
            .sleep(Arc::new(gate2.clone()))
            .clock(move || clock.now())
            .start()
            .await
            .unwrap();
        assert!(!step(&mut first, &env.gate).await.is_empty());
        // The second delivers its (same) first poll, then cannot save it.
        let mut errors = 0;
        gate2.open();
        for _ in 0..100 {
            match second.next_event().await {
                Ok(_) => {}
                Err(e) => {
                    assert!(e.is_conflict(), "{e}");
                    errors += 1;
                    break;
                }
            }
        }
        assert_eq!(errors, 1);
        assert!(
            second.next_event().await.unwrap_err().is_conflict(),
            "and stays stopped"
        );
        assert!(second.close().await.unwrap_err().is_conflict());
        first.close().await.unwrap();
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Bounded memory
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn resolved_alerts_do_not_grow_the_state() {
    bounded(async {
        let env = Env::graph(300, 51).await;
        let mut rng = Rng(0x5eed_0005);
        let mut w = env.watcher(FirstRun::Since(t0())).await;
        assert!(
            step(&mut w, &env.gate).await.is_empty(),
            "the baseline is silent"
        );
        let mut sizes = Vec::new();
        for _ in 0..20 {
            env.advance(5);
            for _ in 0..15 {
                env.emu.raise_alert();
            }
            for _ in 0..15 {
                let open = env.open_ids();
                let id = rng.pick(&open).clone();
                let now = env.emu.now();
                env.emu
                    .update_alert(&id, |a| resolve(a, ResolvedReason::Fraud, Some(now)));
            }
            step(&mut w, &env.gate).await;
            // Tracked: the unresolved alerts, and the resolved ones detected within the
            // window (ten minutes before the latest detection).
            let floor = env.emu.now() - TimeDelta::minutes(10);
            let in_window_resolved = env
                .emu
                .alerts()
                .iter()
                .filter(|a| a.status == Some(AlertStatus::Resolved))
                .filter(|a| a.detected_date_time.is_some_and(|d| d >= floor))
                .count();
            let stats = w.stats();
            assert_eq!(stats.open, env.open_ids().len());
            assert_eq!(stats.tracked, stats.open + in_window_resolved);
            sizes.push(stats.tracked);
        }
        assert_eq!(
            env.emu.alert_count(),
            600,
            "300 alerts raised, 300 resolved"
        );
        let (first, last) = (sizes[0], *sizes.last().unwrap());
        assert!(last <= first + 30, "the state stays flat: {sizes:?}");
        w.close().await.unwrap();
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Cancel safety
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn next_event_cut_short_anywhere_loses_and_repeats_nothing() {
    bounded(async {
        let dir = temp_dir("cancel");
        let mut env = Env::graph(40, 61).await;
        // A file store: its saves run on another thread, so a cut can land inside one.
        env.store = Arc::new(FileCheckpointStore::new(dir.join("checkpoint")));
        let mut rng = Rng(0x5eed_0006);
        let mut truth = backlog(&snapshot(&env.emu));
        let mut delivered = Vec::new();
        let mut w = env.watcher(FirstRun::OpenAlerts).await;
        let mut cuts = 0;
        for round in 0..15 {
            if round > 0 {
                let before = snapshot(&env.emu);
                script(&env, &mut rng);
                truth.extend(due(&before, &snapshot(&env.emu)));
            }
            env.gate.open();
            loop {
                // Cut each call after up to 2 ms: in a poll, in a save, in a wait.
                let limit = Duration::from_micros(rng.below(2000) as u64);
                let one = async {
                    tokio::select! {
                        biased;
                        r = w.next_event() => Some(r.unwrap()),
                        _ = env.gate.idle() => None,
                    }
                };
                match tokio::time::timeout(limit, one).await {
                    Ok(Some(e)) => delivered.push(e),
                    Ok(None) => break,
                    Err(_) => cuts += 1,
                }
            }
        }
        w.close().await.unwrap();
        assert!(cuts > 10, "{cuts} cuts");
        assert_unique_keys(&delivered);
        assert_eq!(
            sorted(delivered.iter().map(record).collect()),
            sorted(truth)
        );
        std::fs::remove_dir_all(dir).unwrap();
    })
    .await
}

#[test]
fn the_watcher_can_move_into_a_task_and_its_types_cross_threads() {
    fn send<T: Send + 'static>() {}
    fn send_sync<T: Send + Sync + 'static>() {}
    send::<Watcher>();
    send_sync::<WatchEvent>();
    send_sync::<partner_alerts::watch::WatchError>();
    send_sync::<FileCheckpointStore>();
    send_sync::<MemoryCheckpointStore>();
}
