//! # partner-alerts-emulator
//!
//! A stateful local emulator of the two Microsoft APIs that serve Azure partner security
//! alerts, for tests and demos without a tenant: the Microsoft Graph partner security alerts
//! API (`/beta/security/partner/securityAlerts`) and the Partner Center FraudEvents API
//! (`/v1/fraudEvents`). It serves on loopback only, from one listener:
//!
//! | API | Base URL |
//! |---|---|
//! | Graph | `http://127.0.0.1:PORT/beta` |
//! | Partner Center | `http://127.0.0.1:PORT/partner-center` |
//!
//! Both APIs serve the same alerts, so a status change through one is visible through the
//! other. The alerts are generated from a seed (same seed, same alerts), requests can be
//! made to fail on purpose ([`FaultSettings`], [`Emulator::fail_next`]), and the services'
//! ways of losing alerts can be reproduced exactly ([`Quirks`]).
//!
//! ```
//! use partner_alerts_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let emulator = Emulator::builder().alerts(25).seed(7).start().await?;
//! assert!(emulator.graph_base_url().ends_with("/beta"));
//! assert_eq!(emulator.alerts().len(), 25);
//!
//! let fresh = emulator.raise_alert();
//! assert_eq!(emulator.alert(&fresh.id), Some(fresh));
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## From the command line
//!
//! ```text
//! cargo run -p partner-alerts-emulator -- --port 8080 --alerts 5000 --seed 7 \
//!     [--state FILE] [--page-size N] [--new-alert-every SECONDS] [--now RFC3339] \
//!     [--fault-rate SHARE] [--faults throttle,500,503,drop,truncate] \
//!     [--retry-after SECONDS] [--latency-ms MS] [--fault-seed N] [--quirks LIST]
//! ```
//!
//! It prints the Graph base URL and then the Partner Center base URL, one per line on
//! standard output, and serves until Ctrl-C. `--port 0` (the default) picks a free port.
//!
//! `--quirks` takes a comma-separated list of [`Quirks`] (the syntax of
//! [`Quirks::from_str`](std::str::FromStr::from_str); names are case-insensitive, `none` is
//! none):
//!
//! | Item | Quirk |
//! |---|---|
//! | `odd-values` | [`Quirks::odd_values`]: each served alert carries one odd value |
//! | `not-alerts-every=N` | [`Quirks::not_alerts_every`]: an item that is no alert after every N-th alert of a list |
//! | `resolve-served=N` | [`Quirks::resolve_served_pages`]: the alerts of the next N list pages are then resolved |
//! | `page-cap=N` | [`Quirks::page_size_cap`]: at most N alerts or events per page |
//! | `foreign-next-link` | [`Quirks::foreign_next_link`]: Graph page 1 links to another host |
//! | `repeated-next-link` | [`Quirks::repeated_next_link`]: Graph page 2 links to itself |
//! | `empty-page-after=K` | [`Quirks::empty_page_after`]: an empty Graph page after page K |
//! | `applied-then-500=N` | [`Quirks::applied_then_500`]: the next N writes are applied, then answered with a 500 |
//!
//! For example `--quirks odd-values,page-cap=100,resolve-served=1`.
//!
//! ## What it does
//!
//! **Graph** (under `/beta`): `GET /security/partner/securityAlerts` with `$filter` (see
//! the `odata` module), `$select`, `$count=true`, `$top` (caps the page size) and server-driven paging
//! through `@odata.nextLink` (an absolute URL carrying the filter, the select and an opaque
//! `$skiptoken`); `GET .../securityAlerts/$count`; `GET .../securityAlerts/{id}` (`$select`
//! honoured; `404 itemNotFound`); `PATCH .../securityAlerts/{id}` with `status` and an
//! optional `resolvedReason` (anything else is a 400), answered with `200` and the alert, or
//! `204` with `Prefer: return=minimal`; `POST /$batch` with up to 20 requests, run in order,
//! `dependsOn` honoured (`424` after a failed dependency). Every response carries
//! `request-id` and `client-request-id`; errors carry Graph's error body. Enum values newer
//! than `unknownFutureValue` (insert an alert holding one) are sent as
//! `unknownFutureValue` unless the request sends `Prefer: include-unknown-enum-members`.
//! Every property is written, `null` when absent, as Graph does.
//!
//! **Partner Center** (under `/partner-center`): `GET /v1/fraudEvents` with `EventStatus`,
//! `SubscriptionId` and, with `X-NewEventsModel: true`, `EventType`, `PageSize` and
//! `PageNumber` (1-based); `POST /v1/fraudEvents/subscription/{id}/status`. The shape of the
//! events follows `X-NewEventsModel`. Responses carry `MS-RequestId` and `MS-CorrelationId`.
//!
//! Both APIs want `Authorization: Bearer <anything>`; the token is not checked further.
//! Request bodies may be gzip-compressed (`Content-Encoding: gzip`, as Kiota-based Graph SDKs
//! send them); another coding, or a `Content-Type` that is not JSON, is a `415`, a body over
//! 2 MiB (once decompressed) a `413`, both in the API's own error shape.
//! `GET /` describes the running emulator in JSON.
//!
//! ## Choices where the services' documentation is silent
//!
//! - The default page size is 100; `$top` lowers it, never raises it. `$skip`, `$orderby`,
//!   `$search` and `$expand` are rejected with a 400 rather than ignored.
//! - Alerts are listed in a stable order (detection order for the generated ones, then in
//!   the order added), and a `$skiptoken` points after an alert, so changes between pages
//!   neither repeat nor skip the alerts that did not change.
//! - PATCH accepts a `resolvedReason` only with `status: resolved`; resolving sets
//!   `resolvedOnDateTime` and `resolvedBy` ([`EMULATOR_UPN`]), reopening clears all three; a
//!   change of status appends an activity log entry.
//! - Partner Center's status update accepts `Resolved`/`Resolve`, `Investigating` and
//!   `Active`; `ResolvedReason` is required when resolving and ignored otherwise. Where the
//!   documentation is strict, so is the emulator: only `Fraud` and `Ignore` are accepted
//!   (any case, as for `EventStatus`); `Legitimate`, Graph's reason, is a `400`. Unknown event
//!   ids make the whole update fail with `404` and change nothing. Informational alerts show
//!   as `Low` there, which has no informational severity.
//! - `EventType` (new model) must be one of the six documented values, spelled exactly as
//!   documented (`NetworkConnectionsToCryptoMiningPools`; case counts), or the listing is a
//!   `400` in Partner Center's error shape; events of newer types are listed, but cannot be
//!   filtered for. Without `X-NewEventsModel` the parameter is ignored, as the legacy model
//!   does not have it. Query parameter names are matched in any case.
//! - Partner Center event ids are `<subscriptionId>_<GUID>`; Graph ids are GUIDs.
//! - A [`FaultKind::TruncateBody`] fault processes the request before cutting its response
//!   (as a real network failure can); a [`FaultKind::DropConnection`] fault does not.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod envelope;
mod fault;
mod generate;
mod graph;
// Not an API: the fuzz targets and the library's tests compare their filters with it.
#[doc(hidden)]
pub mod odata;
mod partner_center;
mod quirks;
mod record;
mod rng;
mod server;
mod shared;
mod state;
mod stats;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use partner_alerts::{Alert, AlertId, FraudEvent, TenantId};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault::{FaultKind, FaultSettings, UnknownFaultKind};
pub use quirks::{
    COLLEAGUE_UPN, FOREIGN_GRAPH_BASE_URL, FRAUD_EVENTS_LEGACY_ODD_VALUES, FRAUD_EVENTS_ODD_VALUES,
    GRAPH_ODD_VALUES, NOT_ALERTS, Quirks, QuirksParseError,
};

pub use state::EMULATOR_UPN;
pub use stats::Stats;

use generate::Generator;
use shared::Shared;
use state::{Persister, StateWriter, Store};

/// How many alerts are generated unless told otherwise.
pub const DEFAULT_ALERTS: usize = 200;
/// The Graph page size unless told otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 100;

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
        }
    }
}

impl EmulatorBuilder {
    /// How many alerts to generate (default [`DEFAULT_ALERTS`]); ignored when a state file is
    /// loaded.
    pub fn alerts(mut self, count: usize) -> Self {
        self.alerts = count;
        self
    }

    /// The seed of the generated data (default 1): the same seed gives the same customers and
    /// alerts. Also seeds the fault draws unless [`FaultSettings::seed`] is set.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The most alerts a Graph page holds (default [`DEFAULT_PAGE_SIZE`]; at least 1).
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Fault injection and latency (default: none).
    pub fn faults(mut self, faults: FaultSettings) -> Self {
        self.faults = faults;
        self
    }

    /// Deterministic misbehaviours (default: none); see [`Quirks`].
    pub fn quirks(mut self, quirks: Quirks) -> Self {
        self.quirks = quirks;
        self
    }

    /// Keeps the state in this JSON file: loaded at start if it exists (instead of
    /// generating alerts), rewritten atomically after changes by a background writer (a
    /// burst of changes makes one write); [`Emulator::shutdown`] and dropping the handle
    /// write the last state.
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
        let (store, seed) = match loaded {
            Some((store, seed)) => (store, seed),
            None => (
                Store::generate(&Generator::new(self.seed), self.alerts, anchor),
                self.seed,
            ),
        };
        let generator = Generator::new(seed);
        let writer = match &self.state_file {
            Some(path) => {
                let p = Persister::new(path.clone());
                // A loaded state is in the file already; a fresh one is written before
                // serving, so that a bad path fails here.
                let bytes = store.snapshot().to_file_bytes(seed);
                if fresh {
                    p.write(store.version, &bytes)?;
                } else {
                    p.assume_written(store.version);
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
        Ok(Emulator {
            graph_base_url: format!("http://{local_addr}/beta"),
            partner_center_base_url: format!("http://{local_addr}/partner-center"),
            local_addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
            writer_task,
        })
    }
}

/// A running emulator: its URLs, its state, and controls for tests.
///
/// Dropping it stops the server (gracefully, in the background); [`Emulator::shutdown`]
/// stops it and waits.
pub struct Emulator {
    graph_base_url: String,
    partner_center_base_url: String,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// The state file's writer, when there is a state file.
    writer_task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// A builder with the defaults: [`DEFAULT_ALERTS`] alerts, seed 1, pages of
    /// [`DEFAULT_PAGE_SIZE`], no faults, no state file, the system clock, any free port.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The Graph base URL, `http://127.0.0.1:PORT/beta`.
    pub fn graph_base_url(&self) -> &str {
        &self.graph_base_url
    }

    /// The Partner Center base URL, `http://127.0.0.1:PORT/partner-center` (the same
    /// listener as Graph).
    pub fn partner_center_base_url(&self) -> &str {
        &self.partner_center_base_url
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The partner tenant the emulated data belongs to (Partner Center's `partnerTenantId`).
    pub fn partner_tenant_id(&self) -> TenantId {
        self.shared.generator.partner().tenant_id.clone()
    }

    /// Every alert, in listing order, as stored (unknown enum values verbatim).
    pub fn alerts(&self) -> Vec<Alert> {
        self.shared
            .read(|s| s.records().iter().map(|r| r.alert.clone()).collect())
    }

    /// How many alerts there are.
    pub fn alert_count(&self) -> usize {
        self.shared.read(|s| s.records().len())
    }

    /// One alert by its Graph id.
    pub fn alert(&self, id: &AlertId) -> Option<Alert> {
        self.shared.read(|s| s.get(id).map(|r| r.alert.clone()))
    }

    /// The Partner Center event id of an alert.
    pub fn event_id(&self, id: &AlertId) -> Option<AlertId> {
        self.shared.read(|s| s.get(id).map(|r| r.event_id.clone()))
    }

    /// The Graph id of a Partner Center event.
    pub fn alert_id_for_event(&self, event_id: &AlertId) -> Option<AlertId> {
        self.shared
            .read(|s| s.index_of_event(event_id).map(|i| s.at(i).alert.id.clone()))
    }

    /// The Partner Center view of an alert, in the new model's shape or the legacy one, as
    /// `GET /v1/fraudEvents` serves it.
    pub fn fraud_event(&self, id: &AlertId, new_model: bool) -> Option<FraudEvent> {
        let partner = self.shared.generator.partner();
        self.shared.read(|s| {
            s.get(id)
                .map(|r| partner_center::fraud_event(r, partner, new_model))
        })
    }

    /// Adds an alert, or replaces the one with the same id (which keeps its place); returns
    /// the replaced alert. A new alert's event id is `<subscriptionId>_<GUID derived from its
    /// id>`; a replaced alert keeps its event id unless its subscription changes, when the
    /// `<subscriptionId>` part follows. The Partner Center names (customer, reseller,
    /// subscription) follow the alert's ids. Any enum value may be stored, including ones the
    /// models do not know. Times are cut to whole 100 ns ticks, as Graph keeps them. Values
    /// the alert's fields could not hold (`Alert::unparsed`) are not stored: the state is
    /// typed, as the service's is; [`Quirks::odd_values`] serves odd values.
    pub fn insert_alert(&self, mut alert: Alert) -> Option<Alert> {
        state::normalize_given(&mut alert);
        let g = &self.shared.generator;
        self.shared.write(|s| s.upsert(alert, g))
    }

    /// Changes an alert with `f` and returns the result as stored; `None` if there is no
    /// such alert. The id cannot be changed (a change to it is undone); everything else
    /// follows as with [`Emulator::insert_alert`].
    ///
    /// `f` runs on a copy, outside the emulator's lock, so it may call back into the
    /// emulator; the copy then replaces the stored alert. A change made to the same alert
    /// while `f` runs (by a request, another thread or `f` itself) is overwritten.
    pub fn update_alert(&self, id: &AlertId, f: impl FnOnce(&mut Alert)) -> Option<Alert> {
        let mut alert = self.alert(id)?;
        f(&mut alert);
        alert.id = id.clone();
        state::normalize_given(&mut alert);
        let g = &self.shared.generator;
        self.shared.write(|s| {
            // Alerts are never removed, so it is still there.
            let i = s.index_of(id)?;
            s.upsert(alert, g);
            Some(s.at(i).alert.clone())
        })
    }

    /// Raises a new alert, as the service would: generated like the others (the next in the
    /// seed's sequence), detected now, active, listed last.
    pub fn raise_alert(&self) -> Alert {
        let now = self.now();
        let g = &self.shared.generator;
        self.shared.write(|s| {
            let record = g.record(s.next_index, now, true);
            s.next_index += 1;
            let alert = record.alert.clone();
            s.insert_record(record);
            alert
        })
    }

    /// Makes the next `n` requests (to either API; a `$batch` counts once) fail with `kind`,
    /// before any random fault. `n = 0` cancels the forced faults still pending.
    pub fn fail_next(&self, n: usize, kind: FaultKind) {
        self.shared.faults().force(n, kind);
    }

    /// Replaces the quirks in force (the counting ones start again from the counts given);
    /// `Quirks::new()` turns them all off.
    pub fn set_quirks(&self, quirks: Quirks) {
        self.shared.set_quirks(quirks);
    }

    /// The quirks in force, with what is left of the counting ones.
    pub fn quirks(&self) -> Quirks {
        self.shared.quirks()
    }

    /// What has been served so far.
    pub fn stats(&self) -> Stats {
        self.shared.stats.snapshot()
    }

    /// The emulator's "now", in whole 100 ns ticks.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.now()
    }

    /// Fixes the emulator's clock at `now` (for the timestamps of later changes and raised
    /// alerts), cut to whole 100 ns ticks.
    pub fn set_now(&self, now: DateTime<Utc>) {
        *self.shared.clock.write().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    /// Stops accepting connections, lets requests in flight finish (for up to five
    /// seconds), waits for the server to stop, and writes the state file's last state.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
        if let Some(w) = &self.shared.writer {
            w.close();
        }
        if let Some(writer) = self.writer_task.take() {
            let _ = writer.await;
        }
        // A no-op unless the writer failed to finish.
        self.shared.flush_state();
    }
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the state: thousands of alerts would drown any assertion message.
        f.debug_struct("Emulator")
            .field("graph_base_url", &self.graph_base_url)
            .field("partner_center_base_url", &self.partner_center_base_url)
            .field("alerts", &self.alert_count())
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Every change made through the handle is in the file when the drop returns (the
        // writer may not get to run again); requests still in flight are written by the
        // writer once the server has stopped.
        self.shared.flush_state();
    }
}
