//! [`EmulatorBuilder`]: the emulator's settings, and starting it.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::generate::Generator;
use crate::shared::{self, Shared};
use crate::state::{self, Persister, StateWriter, Store};
use crate::{
    DEFAULT_ALERTS, DEFAULT_PAGE_SIZE, Emulator, FaultSettings, Quirks, fault, partner_center,
    server, stats, webhooks,
};

/// Configures and starts an [`Emulator`]; from [`Emulator::builder`].
#[derive(Clone, Debug)]
#[must_use = "a builder does nothing until started"]
pub struct EmulatorBuilder {
    alerts: usize,
    seed: u64,
    page_size: usize,
    faults: FaultSettings,
    quirks: Quirks,
    state_file: Option<PathBuf>,
    now: Option<DateTime<Utc>>,
    port: u16,
    new_alert_every: Option<Duration>,
    change_status_every: Option<Duration>,
    entitlement_delay: Duration,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            alerts: DEFAULT_ALERTS,
            seed: 1,
            page_size: DEFAULT_PAGE_SIZE,
            faults: FaultSettings::default(),
            quirks: Quirks::default(),
            state_file: None,
            now: None,
            port: 0,
            new_alert_every: None,
            change_status_every: None,
            entitlement_delay: Duration::ZERO,
        }
    }
}

impl EmulatorBuilder {
    /// How many alerts to generate (default [`DEFAULT_ALERTS`](crate::DEFAULT_ALERTS)); ignored when a state file is
    /// loaded.
    pub fn alerts(mut self, count: usize) -> Self {
        self.alerts = count;
        self
    }

    /// The seed of the generated data (default 1): the same seed gives the same customers and
    /// alerts. Also seeds the fault draws unless [`FaultSettings::seed`](crate::FaultSettings::seed) is set.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The most alerts a Graph page holds (default [`DEFAULT_PAGE_SIZE`](crate::DEFAULT_PAGE_SIZE); at least 1).
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Fault injection and latency (default: none).
    pub fn faults(mut self, faults: FaultSettings) -> Self {
        self.faults = faults;
        self
    }

    /// Deterministic misbehaviours (default: none); see [`Quirks`](crate::Quirks).
    pub fn quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// Keeps the state in this JSON file: loaded at start if it exists (instead of
    /// generating alerts), rewritten atomically after changes by a background writer (a
    /// burst of changes makes one write); [`Emulator::shutdown`] and dropping the handle
    /// write the last state. The state is the alerts and the Partner Center response
    /// actions' state (entitlements cancelled or being cancelled, subscriptions suspended,
    /// their ETags and `autoRenewEnabled`; not [`Emulator::subscription_patch_bodies`]), the
    /// latter in an `actions` section that files written before it do not have.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Fixes the emulator's clock at `now`: generated alerts fall in the 60 days before it,
    /// and changes are stamped with it. By default the system clock runs. With a fixed clock
    /// and a seed, the generated alerts are identical from run to run. The clock counts in
    /// whole 100 ns ticks (Graph's precision): finer parts of `now` are dropped.
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// The loopback port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Raises a fresh alert every `every` while the emulator runs, as
    /// [`Emulator::raise_alert`] does (the first one `every` after the start). Default: never;
    /// a zero duration turns it off. The period runs on Tokio's clock (real time, or the
    /// paused test clock), not on the emulator's [`now`](EmulatorBuilder::now), which only
    /// stamps the alerts.
    pub fn new_alert_every(mut self, every: Duration) -> Self {
        self.new_alert_every = (!every.is_zero()).then_some(every);
        self
    }

    /// Changes one existing alert every `every` while the emulator runs, as
    /// [`Emulator::change_random_alert`] does (the first change `every` after the start):
    /// the changes a watcher has to notice. Default: never; a zero duration turns it off.
    /// The period runs on Tokio's clock (real time, or the paused test clock), not on the
    /// emulator's [`now`](EmulatorBuilder::now), which only stamps the changes.
    pub fn change_status_every(mut self, every: Duration) -> Self {
        self.change_status_every = (!every.is_zero()).then_some(every);
        self
    }

    /// How long after an accepted cancellation or reactivation of an Azure subscription
    /// (Partner Center's `POST .../azureEntitlements/{id}/cancel` and `.../reactivate`) its
    /// entitlement's `status` changes (default zero: the next read shows it). Partner Center
    /// says to allow about 10 minutes. The delay runs on the emulator's clock
    /// ([`Emulator::now`]): with a fixed clock ([`EmulatorBuilder::now`]), a test moves it on
    /// with [`Emulator::set_now`] instead of waiting.
    pub fn entitlement_delay(mut self, delay: Duration) -> Self {
        self.entitlement_delay = delay;
        self
    }

    /// Binds `127.0.0.1`, loads or generates the alerts, and starts serving in the
    /// background on the current Tokio runtime.
    ///
    /// # Errors
    /// When the port cannot be bound, or the state file cannot be read, is not a state file
    /// of this emulator, or cannot be written.
    pub async fn start(self) -> io::Result<Emulator> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)))
                .await?;
        let local_addr = listener.local_addr()?;
        let anchor = state::to_ticks(self.now.unwrap_or_else(Utc::now));

        let loaded = match &self.state_file {
            Some(path) => Store::load(path)?,
            None => None,
        };
        let fresh = loaded.is_none();
        let (store, seed, saved_actions) = match loaded {
            Some(loaded) => loaded,
            None => (
                Store::generate(&Generator::new(self.seed), self.alerts, anchor),
                self.seed,
                partner_center::SavedActions::default(),
            ),
        };
        let generator = Generator::new(seed);
        let (shuffle_rng, change_rng) = shared::draws(seed);
        let writer = match &self.state_file {
            Some(path) => {
                let p = Persister::new(path.clone());
                // A loaded state is in the file already; a fresh one is written before
                // serving, so that a bad path fails here.
                // The actions' changes count from zero again, as the store's version does.
                let snapshot = store.snapshot();
                if fresh {
                    p.write(snapshot.version(), &snapshot.to_file_bytes(seed))?;
                } else {
                    p.assume_written(snapshot.version());
                }
                Some(StateWriter::new(p))
            }
            None => None,
        };
        let shared = Arc::new(Shared {
            store: RwLock::new(store),
            generator,
            clock: RwLock::new(self.now),
            faults: Mutex::new(fault::FaultState::new(self.faults, self.seed)),
            quirk_state: Mutex::new(self.quirks),
            stats: Default::default(),
            page_size: self.page_size,
            writer,
            local_addr,
            shuffle_rng,
            change_rng,
            webhooks: webhooks::Webhooks::new(local_addr),
            actions: partner_center::Actions::new(self.entitlement_delay, saved_actions),
        });
        let writer_task = shared.writer.is_some().then(|| {
            let shared = shared.clone();
            tokio::spawn(async move {
                let flushing = shared.clone();
                if let Some(w) = &shared.writer {
                    w.run(move || flushing.flush_state()).await;
                }
            })
        });

        let (tx, rx) = oneshot::channel::<()>();
        let app = server::router(shared.clone());
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "the emulator's server stopped");
            }
            // Requests still in flight when the handle was dropped are done: write their
            // changes and stop the writer.
            if let Some(w) = &serving.writer {
                w.close();
            }
        });
        tracing::info!(%local_addr, "partner-alerts emulator listening");
        let mut schedules = Vec::new();
        if let Some(every) = self.new_alert_every {
            schedules.push(every_period(shared.clone(), every, |s| {
                let alert = s.raise_alert();
                stats::bump(&s.stats.scheduled_alerts);
                tracing::info!(id = %alert.id, "raised an alert on schedule");
            }));
        }
        if let Some(every) = self.change_status_every {
            schedules.push(every_period(shared.clone(), every, |s| {
                if let Some(alert) = s.change_random_alert() {
                    tracing::info!(id = %alert.id, "changed an alert on schedule");
                }
            }));
        }
        Ok(Emulator {
            graph_base_url: format!("http://{local_addr}/beta"),
            partner_center_base_url: format!("http://{local_addr}/partner-center"),
            local_addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
            writer_task,
            schedules,
        })
    }
}

/// Runs `f` every `period` (the first time one period from now), until aborted.
fn every_period(shared: Arc<Shared>, period: Duration, f: fn(&Shared)) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first tick is immediate.
        tick.tick().await;
        loop {
            tick.tick().await;
            f(&shared);
        }
    })
}
