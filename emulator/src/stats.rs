//! What the emulator has served: the public [`Stats`] and the atomic counters behind it.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::fault::FaultKind;
// For the documentation's links only.
#[cfg(doc)]
use crate::quirks::Quirks;

/// Counters of what the emulator has served, for assertions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests to either API (a `$batch` counts once).
    pub requests: u64,
    /// Requests to the Graph API.
    pub graph_requests: u64,
    /// Requests to the Partner Center API.
    pub partner_center_requests: u64,
    /// Requests inside `$batch` bodies (every request of every well-formed batch, whatever
    /// became of it).
    pub batch_items: u64,
    /// `$batch` requests handled (malformed ones included; not those faulted before being
    /// handled).
    pub batches: u64,
    /// Graph `PATCH` requests on an alert that were handled, direct or inside a `$batch`,
    /// whatever their answer (refused ones included; not those faulted before being
    /// handled, such as throttled batch items).
    pub patches: u64,
    /// Partner Center status updates (`POST .../status`) that were handled, whatever their
    /// answer.
    pub status_updates: u64,
    /// Alert updates applied through either API: each Graph `PATCH` (direct or batched)
    /// that changed the state, and each alert a Partner Center status update changed.
    /// Applied writes whose answer was then lost count too; refused ones do not. Changes
    /// made through the handle or on schedule are not counted here.
    pub writes: u64,
    /// Alerts changed by [`Emulator::change_random_alert`](crate::Emulator::change_random_alert)
    /// and on the schedule of
    /// [`EmulatorBuilder::change_status_every`](crate::EmulatorBuilder::change_status_every).
    pub random_changes: u64,
    /// Alerts raised on the schedule of
    /// [`EmulatorBuilder::new_alert_every`](crate::EmulatorBuilder::new_alert_every).
    pub scheduled_alerts: u64,
    /// Requests refused for want of a bearer token.
    pub unauthorized: u64,
    /// Faults: `429` answers.
    pub throttled: u64,
    /// Faults: `500` answers.
    pub internal_errors: u64,
    /// Faults: `503` answers.
    pub unavailable: u64,
    /// Faults: connections closed without an answer.
    pub dropped: u64,
    /// Faults: answers cut short.
    pub truncated: u64,
    /// Faults: requests processed, then their connection closed without an answer
    /// ([`FaultKind::DropAfterProcessing`], e.g. through
    /// [`Emulator::reset_after_next_batch`](crate::Emulator::reset_after_next_batch)).
    pub dropped_after_processing: u64,
    /// Writes of the state file.
    pub state_writes: u64,
    /// Failed writes of the state file (logged through `tracing`).
    pub state_write_errors: u64,
    /// Quirks: odd values served ([`Quirks::odd_values`]).
    pub odd_values: u64,
    /// Quirks: items that are no alerts inserted ([`Quirks::not_alerts_every`]).
    pub not_alerts: u64,
    /// Quirks: list answers whose alerts were then resolved
    /// ([`Quirks::resolve_served_pages`]).
    pub resolved_pages: u64,
    /// Quirks: pages the cap made smaller than asked ([`Quirks::page_size_cap`]).
    pub capped_pages: u64,
    /// Quirks: next links to another host ([`Quirks::foreign_next_link`]).
    pub foreign_links: u64,
    /// Quirks: next links to the page itself ([`Quirks::repeated_next_link`]).
    pub repeated_links: u64,
    /// Quirks: empty pages inserted ([`Quirks::empty_page_after`]).
    pub empty_pages: u64,
    /// Quirks: writes applied and answered with a `500` ([`Quirks::applied_then_500`]).
    pub lost_answers: u64,
    /// Quirks: batch responses served in another order than requested
    /// ([`Quirks::shuffled_batch_responses`]).
    pub shuffled_batches: u64,
    /// Directory reads handled (enrichment; either API): each of the five below, the
    /// organization profile, and Graph's `/contracts` and GDAP customer pages.
    pub directory_reads: u64,
    /// Directory: customers read (`GET /v1/customers/{id}`).
    pub customer_reads: u64,
    /// Directory: reseller relationship lists read (all resellers, or one customer's).
    pub reseller_reads: u64,
    /// Directory: subscription lists and subscriptions read.
    pub subscription_reads: u64,
    /// Directory: Azure entitlement lists and entitlements read.
    pub entitlement_reads: u64,
    /// Directory: Graph `/contracts` and `delegatedAdminCustomers` pages read.
    pub graph_directory_reads: u64,
    /// Response actions: Azure entitlement cancellations (`POST
    /// .../azureEntitlements/{id}/cancel`) handled, whatever their answer (refused ones
    /// included).
    pub entitlement_cancels: u64,
    /// Response actions: Azure entitlement reactivations (`POST
    /// .../azureEntitlements/{id}/reactivate`) handled, whatever their answer.
    pub entitlement_reactivations: u64,
    /// Response actions: subscription updates (`PATCH /v1/customers/{c}/subscriptions/{id}`)
    /// handled, whatever their answer.
    pub subscription_patches: u64,
    /// Response actions: those of [`Stats::subscription_patches`] sent without `If-Match`
    /// (accepted, as the documentation's examples differ; a client should send it).
    pub patches_without_if_match: u64,
}

impl Stats {
    /// Every injected fault.
    pub fn faults(&self) -> u64 {
        self.throttled
            + self.internal_errors
            + self.unavailable
            + self.dropped
            + self.truncated
            + self.dropped_after_processing
    }

    /// Every quirk served (each odd value, item, page, link and lost answer counts once).
    pub fn quirks(&self) -> u64 {
        self.odd_values
            + self.not_alerts
            + self.resolved_pages
            + self.capped_pages
            + self.foreign_links
            + self.repeated_links
            + self.empty_pages
            + self.lost_answers
            + self.shuffled_batches
    }
}

/// The request counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub graph_requests: AtomicU64,
    pub partner_center_requests: AtomicU64,
    pub batch_items: AtomicU64,
    pub batches: AtomicU64,
    pub patches: AtomicU64,
    pub status_updates: AtomicU64,
    pub writes: AtomicU64,
    pub random_changes: AtomicU64,
    pub scheduled_alerts: AtomicU64,
    pub unauthorized: AtomicU64,
    pub throttled: AtomicU64,
    pub internal_errors: AtomicU64,
    pub unavailable: AtomicU64,
    pub dropped: AtomicU64,
    pub truncated: AtomicU64,
    pub dropped_after_processing: AtomicU64,
    pub state_writes: AtomicU64,
    pub state_write_errors: AtomicU64,
    pub odd_values: AtomicU64,
    pub not_alerts: AtomicU64,
    pub resolved_pages: AtomicU64,
    pub capped_pages: AtomicU64,
    pub foreign_links: AtomicU64,
    pub repeated_links: AtomicU64,
    pub empty_pages: AtomicU64,
    pub lost_answers: AtomicU64,
    pub shuffled_batches: AtomicU64,
    pub directory_reads: AtomicU64,
    pub customer_reads: AtomicU64,
    pub reseller_reads: AtomicU64,
    pub subscription_reads: AtomicU64,
    pub entitlement_reads: AtomicU64,
    pub graph_directory_reads: AtomicU64,
    pub entitlement_cancels: AtomicU64,
    pub entitlement_reactivations: AtomicU64,
    pub subscription_patches: AtomicU64,
    pub patches_without_if_match: AtomicU64,
}

pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Adds `n` to a counter.
pub(crate) fn add(c: &AtomicU64, n: usize) {
    c.fetch_add(n as u64, Ordering::Relaxed);
}

impl Counters {
    pub(crate) fn snapshot(&self) -> Stats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: g(&self.requests),
            graph_requests: g(&self.graph_requests),
            partner_center_requests: g(&self.partner_center_requests),
            batch_items: g(&self.batch_items),
            batches: g(&self.batches),
            patches: g(&self.patches),
            status_updates: g(&self.status_updates),
            writes: g(&self.writes),
            random_changes: g(&self.random_changes),
            scheduled_alerts: g(&self.scheduled_alerts),
            unauthorized: g(&self.unauthorized),
            throttled: g(&self.throttled),
            internal_errors: g(&self.internal_errors),
            unavailable: g(&self.unavailable),
            dropped: g(&self.dropped),
            truncated: g(&self.truncated),
            dropped_after_processing: g(&self.dropped_after_processing),
            state_writes: g(&self.state_writes),
            state_write_errors: g(&self.state_write_errors),
            odd_values: g(&self.odd_values),
            not_alerts: g(&self.not_alerts),
            resolved_pages: g(&self.resolved_pages),
            capped_pages: g(&self.capped_pages),
            foreign_links: g(&self.foreign_links),
            repeated_links: g(&self.repeated_links),
            empty_pages: g(&self.empty_pages),
            lost_answers: g(&self.lost_answers),
            shuffled_batches: g(&self.shuffled_batches),
            directory_reads: g(&self.directory_reads),
            customer_reads: g(&self.customer_reads),
            reseller_reads: g(&self.reseller_reads),
            subscription_reads: g(&self.subscription_reads),
            entitlement_reads: g(&self.entitlement_reads),
            graph_directory_reads: g(&self.graph_directory_reads),
            entitlement_cancels: g(&self.entitlement_cancels),
            entitlement_reactivations: g(&self.entitlement_reactivations),
            subscription_patches: g(&self.subscription_patches),
            patches_without_if_match: g(&self.patches_without_if_match),
        }
    }

    pub(crate) fn count_fault(&self, kind: FaultKind) {
        bump(match kind {
            FaultKind::Throttle | FaultKind::ThrottleBatchItem => &self.throttled,
            FaultKind::InternalServerError => &self.internal_errors,
            FaultKind::ServiceUnavailable => &self.unavailable,
            FaultKind::DropConnection => &self.dropped,
            FaultKind::TruncateBody => &self.truncated,
            FaultKind::DropAfterProcessing => &self.dropped_after_processing,
        });
    }
}
