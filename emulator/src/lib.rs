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
//!     [--state FILE] [--page-size N] [--new-alert-every SECONDS] \
//!     [--change-status-every SECONDS] [--now RFC3339] [--entitlement-delay SECONDS] \
//!     [--fault-rate SHARE] [--faults throttle,500,503,drop,truncate,drop-after,throttle-item] \
//!     [--retry-after SECONDS] [--latency-ms MS] [--fault-seed N] [--quirks LIST]
//! ```
//!
//! It prints the Graph base URL and then the Partner Center base URL, one per line on
//! standard output, and serves until Ctrl-C. `--port 0` (the default) picks a free port.
//!
//! | Option | In code |
//! |---|---|
//! | `--new-alert-every SECONDS` | [`EmulatorBuilder::new_alert_every`]: a fresh alert on that period ([`Emulator::raise_alert`]) |
//! | `--change-status-every SECONDS` | [`EmulatorBuilder::change_status_every`]: an existing alert changes on that period ([`Emulator::change_random_alert`]) |
//! | `--now RFC3339` | [`EmulatorBuilder::now`] (then [`Emulator::set_now`]) |
//! | `--entitlement-delay SECONDS` | [`EmulatorBuilder::entitlement_delay`]: from an accepted cancel or reactivate to the Azure subscription's new status |
//! | `--fault-rate`, `--faults`, `--retry-after`, `--latency-ms`, `--fault-seed` | [`FaultSettings`] |
//! | `--quirks LIST` | [`Quirks`] |
//!
//! Both periods accept fractions of a second and run on the wall clock; the fixed clock of
//! `--now` only stamps what they do. The binary reports each raise and change on standard
//! error.
//!
//! `--faults` takes a comma-separated list of [`FaultKind`]s, drawn from with the
//! `--fault-rate` share of requests ([`FaultSettings`]):
//!
//! | Item | Kind | Hits |
//! |---|---|---|
//! | `throttle` (or `429`) | [`FaultKind::Throttle`]: `429`, `Retry-After`, the API's throttling body | whole requests and requests inside batches |
//! | `500` | [`FaultKind::InternalServerError`] | whole requests and requests inside batches |
//! | `503` | [`FaultKind::ServiceUnavailable`], with `Retry-After` | whole requests and requests inside batches |
//! | `drop` | [`FaultKind::DropConnection`]: closed without an answer, not processed | whole requests |
//! | `truncate` | [`FaultKind::TruncateBody`]: processed, answer cut in half | whole requests |
//! | `drop-after` | [`FaultKind::DropAfterProcessing`]: processed (a batch: all of it), closed without an answer | whole requests |
//! | `throttle-item` | [`FaultKind::ThrottleBatchItem`]: `429` inside the batch response, not run | requests inside batches only |
//!
//! For tests, forced faults come before the drawn ones and need no rate:
//!
//! | Method | Effect |
//! |---|---|
//! | [`Emulator::fail_next`] | the next n requests fail with a kind |
//! | [`Emulator::throttle_next_batch_items`] | the next n requests inside batches answer `429` and are not run |
//! | [`Emulator::fail_next_batch_items`] | the next n requests inside batches answer `429`, `500` or `503` and are not run |
//! | [`Emulator::reset_after_next_batch`] | the next n batches are applied whole, then their connection is closed without an answer |
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
//! | `shuffled-batch` | [`Quirks::shuffled_batch_responses`]: `$batch` responses in another order than requested |
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
//! `dependsOn` honoured (`424` after a failed dependency), each answered with its `id`,
//! `status`, `headers` (`Content-Type`, `Retry-After` when throttled, `request-id`,
//! `client-request-id`) and `body`; a batch over 20 requests, with an id twice (in any
//! case), a `dependsOn` naming no earlier request, or a request with a `body` but no
//! `Content-Type` in its `headers` is refused whole with a `400`. Every response carries
//! `request-id` and `client-request-id`; errors carry Graph's error body. Enum values newer
//! than `unknownFutureValue` (insert an alert holding one) are sent as
//! `unknownFutureValue` unless the request sends `Prefer: include-unknown-enum-members`.
//! Every property is written, `null` when absent, as Graph does.
//!
//! **The partner security score** (under `/beta/security/partner/securityScore`, reference
//! section 11): the score (`$expand=requirements,history` honoured), `requirements` and
//! `history` (list and get by id; `404 itemNotFound`), and `customerInsights`, one per
//! customer of the directory, paged through `@odata.nextLink` with a `$skipToken` (`$top`
//! and `$skip` are a 400, as documented). The response-time requirement's
//! `averageResponseTimeInHours` is the library's own 30-day average
//! (`partner_alerts::triage::sla`) over the emulator's alerts at its "now", compliant at 24
//! hours or less; the other requirements, the history (one entry a day for 30 days, today's
//! being the score now) and the insights come from the seed, consistently (the customers'
//! MFA requirement counts the insights; the score is the requirements' points out of 100).
//! The shapes are those of the documentation's examples as Graph's SDKs read them: numbers
//! as JSON numbers, `noncomplaint` as the SDKs spell it, `@odata.type` on each requirement,
//! a single entity not wrapped in `value`.
//!
//! **Partner Center** (under `/partner-center`): `GET /v1/fraudEvents` with `EventStatus`,
//! `SubscriptionId` and, with `X-NewEventsModel: true`, `EventType`, `PageSize` and
//! `PageNumber` (1-based); `POST /v1/fraudEvents/subscription/{id}/status`. The shape of the
//! events follows `X-NewEventsModel`. Responses carry `MS-RequestId` and `MS-CorrelationId`.
//!
//! **The directory** (for enrichment; the names are those the FraudEvents view shows):
//! Partner Center's `GET /v1/profiles/organization`, `/v1/customers` and
//! `/v1/customers/{id}`, `/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf`
//! and `/v1/customers/{id}/relationships`, `/v1/customers/{id}/subscriptions[/{id}]` and
//! `.../subscriptions/{azure plan}/azureEntitlements[/{id}]`; Graph's `GET /contracts[/{id}]`
//! and `/tenantRelationships/delegatedAdminCustomers[/{tenant id}]` (three customers in four
//! have GDAP), paged by `@odata.nextLink` (`$top` lowers the page size; other query options
//! are a 400). Customers whose alerts carry `MS-AZR-0145P` have legacy subscriptions (`id`
//! upper case, `entitlementId` lower case), the others one Azure plan whose entitlements are
//! their Azure subscriptions. Unknown ids are `404`s with Partner Center's codes (`60003`,
//! `20003`, `800111`). Each read is counted ([`Stats::directory_reads`] and the counters
//! beside it). Subscriptions carry `attributes.etag` (base64 of `{"id":..,"version":n}`, as
//! the documentation's example; it changes with every accepted `PATCH`).
//!
//! **Partner Center response actions** (reference sections 10.7 to 10.10), with state the
//! reads above show (everything starts `active`, subscriptions with `autoRenewEnabled`
//! `true`; kept in the [state file](EmulatorBuilder::state_file) with the alerts, so a
//! restarted emulator still shows what was cancelled or suspended):
//!
//! | Request | Answer |
//! |---|---|
//! | `POST /v1/customers/{c}/subscriptions/{azure plan}/azureEntitlements/{id}/cancel` with `{"cancellationReason": "compromise"}` | `200` and the entitlement as it is now; `inactive` once the [delay](EmulatorBuilder::entitlement_delay) has passed |
//! | `POST .../azureEntitlements/{id}/reactivate` (no body) | `202`, empty; `active` once the delay has passed |
//! | `PATCH /v1/customers/{c}/subscriptions/{id}` with the subscription (its `id` the path's), `status` `suspended` or `active`, and `If-Match: "<etag>"` | `200` and the subscription with its new status and ETag; `autoRenewEnabled` `false` unless the body had it `true` |
//!
//! Errors, in Partner Center's shape: a customer id that is no GUID, an Azure plan or
//! entitlement id that is no GUID (cancel, reactivate), a missing or non-JSON body (`"The
//! Azure entitlement cancellation request content is required"`), a `PATCH` body without
//! the subscription's `id` (key in any case, the value the path's in any case) or without a
//! valid `status` are `400 800002`, checked in that order; a reason other than
//! `compromise` (any case) `400 900307`; an unknown customer `404 60003`; a plan that is
//! not the customer's Azure plan (or a legacy customer) `404 20003`; an unknown
//! entitlement `404 800111`; reactivating an active entitlement, or one under a suspended
//! plan, `400 900337`; an `If-Match` that is not the current ETag (quoted or not) `400
//! 2055`; suspending an Azure plan while one of its entitlements is active (or still being
//! cancelled) `403 900115`. Other methods are a `405` with `Allow`. Counted in [`Stats::entitlement_cancels`],
//! [`Stats::entitlement_reactivations`], [`Stats::subscription_patches`] and
//! [`Stats::patches_without_if_match`]; [`Emulator::entitlement_status`],
//! [`Emulator::subscription_status`] and [`Emulator::subscription_patch_bodies`] show the
//! state and what clients sent.
//!
//! **Partner Center webhooks** (under `/partner-center/webhooks/v1/registration`): list the
//! event names, register (`POST`), replace (`PUT`), view (`GET`), send a test event
//! (`POST .../validationEvents`, two a minute, then `429`) and read its delivery (`GET
//! .../validationEvents/{correlationId}`). With a registration, each raised alert
//! ([`Emulator::raise_alert`], or on schedule) is posted as a signed
//! `azure-fraud-event-detected` event (RSA PKCS#1 v1.5 SHA-256 over the body;
//! `Authorization: Signature ..`, or `x-ms-signature` when the registration set
//! `SignatureTokenToMsSignatureHeader`), tried up to [`DELIVERY_ATTEMPTS`] times until a 2xx
//! (waiting 0.2 s × the attempt between tries: Partner Center's interval is undocumented).
//! The signing certificate is generated at start under a test CA, both `O=Microsoft
//! Corporation`, and served at `/webhooks/certificate.cer` ([`Emulator::webhook_certificate_url`]);
//! a verifier trusts [`Emulator::webhook_ca_der`], allow-lists `127.0.0.1` and allows
//! `http://` on loopback. The signing key is a fixed, published test key.
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
//! - `$batch` (reference section 3.17): a request with a `body` and no `Content-Type` in its
//!   `headers` makes the whole batch a `400` (the documentation lists it among the rules of
//!   the batch's format and answers a malformed batch with a `400`; clients report Graph
//!   doing so), and none of its requests runs. Header names inside the batch are matched
//!   in any case. A `Content-Type` that is not JSON is a `415` for that request only. The
//!   responses come in request order unless [`Quirks::shuffled_batch_responses`] is on;
//!   their header names are written as Graph writes them there (`Content-Type`,
//!   `Retry-After`), but `request-id` and `client-request-id` in lower case: match them in
//!   any case. A throttled request of a batch is not run; a batch answered `429` as a whole
//!   runs none of its requests.
//! - Response actions: cancelling an entitlement that is inactive or being cancelled is a
//!   `200` that changes nothing (the documentation does not say; idempotent suits a retry);
//!   cancelling one being reactivated stops the reactivation, reactivating one being
//!   cancelled stops the cancellation, reactivating one being reactivated is a `202` that
//!   changes nothing. Cancelling under a suspended Azure plan is not refused: the plan can
//!   only be suspended once none of its entitlements is active, so there is nothing left to
//!   cancel. A cancel body without `cancellationReason` is a `900307` (reason `''`). A
//!   `PATCH` without `If-Match` is accepted (the documentation's examples differ; the .NET
//!   SDK never sends it) and counted; any accepted `PATCH` gives a new ETag, even to the
//!   status the subscription had. Its body must carry the subscription's `id`; of the rest
//!   only `status` and `autoRenewEnabled` are read. The documentation warns that a minimal
//!   body can silently reset `autoRenewEnabled` (and delete next-term instructions): an
//!   accepted body without `"autoRenewEnabled": true` turns it off, and later reads show
//!   `false`, so a client that sends only `id` and `status` visibly loses it. Generated
//!   subscriptions show `true` (the documentation's legacy example shows `false`) for
//!   that reason.
//! - The scheduled changes ([`Emulator::change_random_alert`]) are made by
//!   [`COLLEAGUE_UPN`], so that a test can tell them from its own writes
//!   ([`EMULATOR_UPN`]); severity and `lastObservedDateTime` changes add no activity log
//!   entry (the log records status changes only).
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
mod webhooks;

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
pub use webhooks::{DELIVERY_ATTEMPTS, WebhookDelivery};

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
    /// The scheduled raises and changes.
    schedules: Vec<JoinHandle<()>>,
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

    /// The URL of the webhook signing certificate (DER), on `http://` loopback.
    pub fn webhook_certificate_url(&self) -> String {
        self.shared.webhooks.certificate_url()
    }

    /// The webhook signing certificate (DER), generated at start.
    pub fn webhook_certificate_der(&self) -> Vec<u8> {
        self.shared.webhooks.certificate_der().to_vec()
    }

    /// The test CA (DER) that issued the webhook signing certificate: a verifier's root.
    pub fn webhook_ca_der(&self) -> Vec<u8> {
        self.shared.webhooks.ca_der().to_vec()
    }

    /// Every webhook callback made so far, with each attempt's answer.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        self.shared.webhooks.deliveries()
    }

    /// Sends the last callback again, same bytes and headers, as Partner Center does when
    /// an answer is lost; `false` when none was sent yet.
    pub fn redeliver_last_webhook(&self) -> bool {
        self.shared.webhooks.redeliver_last()
    }

    /// The partner tenant the emulated data belongs to (Partner Center's `partnerTenantId`).
    pub fn partner_tenant_id(&self) -> TenantId {
        self.shared.generator.partner().tenant_id.clone()
    }

    /// The Partner Center id of a customer's Azure plan (the `{azure plan}` of
    /// `/v1/customers/{customer}/subscriptions/{azure plan}/azureEntitlements`); `None` for
    /// an unknown customer or one with legacy subscriptions (its alerts carry
    /// `catalogOfferId` `MS-AZR-0145P`). The customer's tenant id is matched in any case.
    pub fn azure_plan_id(&self, customer: &str) -> Option<String> {
        self.shared
            .generator
            .customer_view_of(customer)
            .filter(|c| !c.legacy)
            .map(|c| c.azure_plan_id)
    }

    /// An Azure subscription's entitlement status as a read would show it now (`active` or
    /// `inactive`; a cancellation or reactivation counts once its
    /// [delay](EmulatorBuilder::entitlement_delay) has passed); `None` when the customer is
    /// unknown, has legacy subscriptions, or has no such Azure subscription under its Azure
    /// plan. Ids are matched in any case.
    pub fn entitlement_status(&self, customer: &str, azure_subscription: &str) -> Option<String> {
        let c = self.shared.generator.customer_view_of(customer)?;
        let id = c
            .subscriptions
            .iter()
            .find(|(s, _)| s.as_str().eq_ignore_ascii_case(azure_subscription))
            .filter(|_| !c.legacy)?
            .0;
        let now = self.shared.now();
        Some(
            self.shared
                .actions
                .entitlement_status(customer, id.as_str(), now)
                .to_owned(),
        )
    }

    /// A Partner Center subscription's status as a read would show it (`active` or
    /// `suspended`): the customer's Azure plan, or one of its legacy subscriptions (by `id`
    /// or `entitlementId`, in any case); `None` when there is no such subscription.
    pub fn subscription_status(&self, customer: &str, subscription: &str) -> Option<String> {
        let c = self.shared.generator.customer_view_of(customer)?;
        let known = if c.legacy {
            c.subscriptions
                .iter()
                .any(|(s, _)| s.as_str().eq_ignore_ascii_case(subscription))
        } else {
            c.azure_plan_id.eq_ignore_ascii_case(subscription)
        };
        known.then(|| {
            self.shared
                .actions
                .subscription(customer, subscription)
                .status
                .to_owned()
        })
    }

    /// The bodies of the last subscription `PATCH` requests (up to 32, oldest first), as
    /// sent, whatever their answer: JSON as parsed, a body that is not JSON as a string, an
    /// empty one as `null`. A test checks here that a client sent the whole subscription
    /// back (reference section 10.10), not only its `status`.
    pub fn subscription_patch_bodies(&self) -> Vec<serde_json::Value> {
        self.shared.actions.patch_bodies()
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
        self.shared.raise_alert()
    }

    /// Changes one existing alert, chosen with a generator seeded from the emulator's seed
    /// (the same seed and the same state give the same changes), as the service or a
    /// colleague in the portal would, and returns it as stored; `None` when there are no
    /// alerts. This is what [`EmulatorBuilder::change_status_every`] does on schedule.
    ///
    /// Four times in five, while some alert is active or investigating, one of those
    /// changes status: an active alert becomes investigating or (as often) resolved with a
    /// reason drawn from `legitimate`, `ignore` and `fraud`; an investigating one is
    /// resolved. As a `PATCH` would, this appends an activity log entry and sets
    /// `resolvedOnDateTime` (the emulator's "now") and `resolvedBy`, here [`COLLEAGUE_UPN`].
    /// Otherwise any alert's `lastObservedDateTime` moves forward to now (when it is
    /// before now) or its severity changes to another one. Both APIs see the change.
    /// Counted in [`Stats::random_changes`], not in [`Stats::writes`].
    pub fn change_random_alert(&self) -> Option<Alert> {
        self.shared.change_random_alert()
    }

    /// Makes the next `n` requests (to either API; a `$batch` counts once) fail with `kind`,
    /// before any random fault. [`FaultKind::ThrottleBatchItem`] throttles the next `n`
    /// requests inside `$batch` bodies instead, as [`Emulator::throttle_next_batch_items`]
    /// does. `n = 0` cancels every forced fault still pending, those of
    /// [`Emulator::fail_next_batch_items`] and [`Emulator::reset_after_next_batch`]
    /// included.
    pub fn fail_next(&self, n: usize, kind: FaultKind) {
        self.shared.faults().force(n, kind);
    }

    /// Throttles the next `n` requests inside `$batch` bodies (in any batch, in order): each
    /// is answered, inside a `200` batch response, with status `429`, `Retry-After` (the
    /// [`FaultSettings::retry_after`]) in its `headers` and Graph's `TooManyRequests` error
    /// body, and is not run (its dependants fail with `424`). Requests that fail for a
    /// failed dependency do not count. `n = 0` cancels those still pending.
    pub fn throttle_next_batch_items(&self, n: usize) {
        self.shared.faults().force_items(n, FaultKind::Throttle);
    }

    /// Makes the next `n` requests inside `$batch` bodies fail with `kind`, without being
    /// run: [`FaultKind::Throttle`] or [`FaultKind::ThrottleBatchItem`] (`429`, as
    /// [`Emulator::throttle_next_batch_items`]), [`FaultKind::InternalServerError`] (`500`)
    /// or [`FaultKind::ServiceUnavailable`] (`503` with `Retry-After`). `n = 0` cancels
    /// those still pending.
    ///
    /// # Panics
    /// When `kind` cannot hit a request inside a batch ([`FaultKind::hits_batch_items`]):
    /// a dropped or truncated connection is the whole batch's
    /// ([`Emulator::fail_next`], [`Emulator::reset_after_next_batch`]).
    pub fn fail_next_batch_items(&self, n: usize, kind: FaultKind) {
        assert!(
            kind.hits_batch_items(),
            "fault kind {kind} cannot hit a request inside a $batch"
        );
        self.shared.faults().force_items(n, kind);
    }

    /// Makes the next `n` Graph `$batch` requests be processed as usual (every request in
    /// them run and applied) and then have their connection closed without a response
    /// ([`FaultKind::DropAfterProcessing`]): the client cannot know which were applied.
    /// Other requests do not count. A fault forced by [`Emulator::fail_next`] comes first.
    /// `n = 0` cancels those still pending.
    pub fn reset_after_next_batch(&self, n: usize) {
        self.shared.faults().reset_batches(n);
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
        for s in self.schedules.drain(..) {
            s.abort();
        }
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
        for s in self.schedules.drain(..) {
            s.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Every change made through the handle is in the file when the drop returns (the
        // writer may not get to run again); requests still in flight are written by the
        // writer once the server has stopped.
        self.shared.flush_state();
    }
}
