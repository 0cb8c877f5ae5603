//! [`Emulator`]: a running emulator's URLs, its state, and the controls tests use.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use partner_alerts::{Alert, AlertId, FraudEvent, TenantId};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::shared::Shared;
use crate::{EmulatorBuilder, FaultKind, Quirks, Stats, WebhookDelivery, partner_center, state};

/// A running emulator: its URLs, its state, and controls for tests.
///
/// Dropping it stops the server (gracefully, in the background); [`Emulator::shutdown`]
/// stops it and waits.
pub struct Emulator {
    pub(crate) graph_base_url: String,
    pub(crate) partner_center_base_url: String,
    pub(crate) local_addr: SocketAddr,
    pub(crate) shared: Arc<Shared>,
    pub(crate) shutdown: Option<oneshot::Sender<()>>,
    pub(crate) task: Option<JoinHandle<()>>,
    /// The state file's writer, when there is a state file.
    pub(crate) writer_task: Option<JoinHandle<()>>,
    /// The scheduled raises and changes.
    pub(crate) schedules: Vec<JoinHandle<()>>,
}

impl Emulator {
    /// A builder with the defaults: [`DEFAULT_ALERTS`](crate::DEFAULT_ALERTS) alerts, seed 1, pages of
    /// [`DEFAULT_PAGE_SIZE`](crate::DEFAULT_PAGE_SIZE), no faults, no state file, the system clock, any free port.
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
    /// typed, as the service's is; [`Quirks::odd_values`](crate::Quirks::odd_values) serves odd values.
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
    /// `resolvedOnDateTime` (the emulator's "now") and `resolvedBy`, here [`COLLEAGUE_UPN`](crate::COLLEAGUE_UPN).
    /// Otherwise any alert's `lastObservedDateTime` moves forward to now (when it is
    /// before now) or its severity changes to another one. Both APIs see the change.
    /// Counted in [`Stats::random_changes`](crate::Stats::random_changes), not in [`Stats::writes`](crate::Stats::writes).
    pub fn change_random_alert(&self) -> Option<Alert> {
        self.shared.change_random_alert()
    }

    /// Makes the next `n` requests (to either API; a `$batch` counts once) fail with `kind`,
    /// before any random fault. [`FaultKind::ThrottleBatchItem`](crate::FaultKind::ThrottleBatchItem) throttles the next `n`
    /// requests inside `$batch` bodies instead, as [`Emulator::throttle_next_batch_items`]
    /// does. `n = 0` cancels every forced fault still pending, those of
    /// [`Emulator::fail_next_batch_items`] and [`Emulator::reset_after_next_batch`]
    /// included.
    pub fn fail_next(&self, n: usize, kind: FaultKind) {
        self.shared.faults().force(n, kind);
    }

    /// Throttles the next `n` requests inside `$batch` bodies (in any batch, in order): each
    /// is answered, inside a `200` batch response, with status `429`, `Retry-After` (the
    /// [`FaultSettings::retry_after`](crate::FaultSettings::retry_after)) in its `headers` and Graph's `TooManyRequests` error
    /// body, and is not run (its dependants fail with `424`). Requests that fail for a
    /// failed dependency do not count. `n = 0` cancels those still pending.
    pub fn throttle_next_batch_items(&self, n: usize) {
        self.shared.faults().force_items(n, FaultKind::Throttle);
    }

    /// Makes the next `n` requests inside `$batch` bodies fail with `kind`, without being
    /// run: [`FaultKind::Throttle`](crate::FaultKind::Throttle) or [`FaultKind::ThrottleBatchItem`](crate::FaultKind::ThrottleBatchItem) (`429`, as
    /// [`Emulator::throttle_next_batch_items`]), [`FaultKind::InternalServerError`](crate::FaultKind::InternalServerError) (`500`)
    /// or [`FaultKind::ServiceUnavailable`](crate::FaultKind::ServiceUnavailable) (`503` with `Retry-After`). `n = 0` cancels
    /// those still pending.
    ///
    /// # Panics
    /// When `kind` cannot hit a request inside a batch ([`FaultKind::hits_batch_items`](crate::FaultKind::hits_batch_items)):
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
    /// ([`FaultKind::DropAfterProcessing`](crate::FaultKind::DropAfterProcessing)): the client cannot know which were applied.
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
