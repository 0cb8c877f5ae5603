//! One poll: the reads, and the batch of events they add up to against what the watcher
//! knows. Nothing here changes the watcher's state: the batch carries each event's new
//! state and a tail of the rest, applied as they are delivered.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::event::{AlertState, EventKey, EventKind, WatchEvent};
use super::state::{State, Tail, Tracked};
use super::version;
use crate::error::{Error, InvalidResponse, Result};
use crate::{Alert, AlertId, AlertQuery, AlertSource, AlertStatus, Capabilities, Field, Filter};

/// The fields a sweep selects: the compared ones, and `detectedDateTime` to place the alert
/// against the window (`id` always comes).
pub(super) const SWEEP_FIELDS: &[Field] = &[
    Field::Status,
    Field::ResolvedReason,
    Field::LastObservedDateTime,
    Field::Severity,
    Field::DetectedDateTime,
];

/// How the reads are made, from what the source filters itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plan {
    /// The service evaluates the filters (Graph): a new-alert read by detection time, a
    /// sweep of the unresolved alerts, a read of the recently resolved ones.
    Filtered,
    /// The service cannot filter by time or `ne` (FraudEvents): the client would transfer
    /// every alert for each read anyway, so one listing of every alert serves all three.
    OneListing,
}

impl Plan {
    pub(super) fn for_source(caps: &Capabilities) -> Plan {
        let serves = |f: Field| caps.server_filter_fields.contains(&f);
        if caps.server_filter_expressions
            && serves(Field::DetectedDateTime)
            && serves(Field::Status)
        {
            Plan::Filtered
        } else {
            Plan::OneListing
        }
    }
}

/// What a poll found: its events, in order, and the rest.
#[derive(Debug, Default)]
pub(super) struct Batch {
    pub(super) events: VecDeque<Delivery>,
    pub(super) tail: Tail,
}

/// An event and the tracked state it leaves once delivered.
#[derive(Debug)]
pub(super) struct Delivery {
    pub(super) event: WatchEvent,
    pub(super) tracked: Tracked,
}

/// What a poll needs to know besides the state.
pub(super) struct Settings {
    pub(super) plan: Plan,
    pub(super) overlap: TimeDelta,
    pub(super) sweep: bool,
    pub(super) now: DateTime<Utc>,
}

/// Polls `source` once against `state`.
pub(super) async fn poll(
    source: &dyn AlertSource,
    state: &State,
    settings: &Settings,
) -> Result<Batch> {
    let mut p = Poller {
        source,
        state,
        floor: state.floor(settings.overlap),
        number: state.polls + 1,
        first: !state.baselined,
        now: settings.now,
        overlap: settings.overlap,
        overlay: HashMap::new(),
        batch: Batch::default(),
        latest: None,
    };
    match settings.plan {
        Plan::Filtered => {
            p.read_new().await?;
            if settings.sweep || p.first {
                p.sweep().await?;
            }
        }
        Plan::OneListing => p.read_all().await?,
    }
    p.batch.tail.high_water_mark = p.latest;
    Ok(p.batch)
}

struct Poller<'a> {
    source: &'a dyn AlertSource,
    state: &'a State,
    /// The start of the new-alert window.
    floor: DateTime<Utc>,
    /// This poll's number (1 for the first).
    number: u64,
    /// Whether this is the first run's first poll (the baseline).
    first: bool,
    now: DateTime<Utc>,
    overlap: TimeDelta,
    /// The poll's changes so far (`None`: dropped), over `state.alerts`.
    overlay: HashMap<AlertId, Option<Tracked>>,
    batch: Batch,
    /// The latest plausible detection time read.
    latest: Option<DateTime<Utc>>,
}

impl Poller<'_> {
    fn lookup(&self, id: &AlertId) -> Option<&Tracked> {
        match self.overlay.get(id) {
            Some(t) => t.as_ref(),
            None => self.state.alerts.get(id),
        }
    }

    fn in_window(&self, a: &Alert) -> bool {
        a.detected_date_time.is_some_and(|d| d >= self.floor)
    }

    /// Notes a detection time for the high-water mark, unless it lies beyond the clock by
    /// more than the overlap (a bogus date would otherwise close the window on real alerts).
    fn note_detected(&mut self, a: &Alert) {
        if let Some(d) = a.detected_date_time {
            if d > self.now + self.overlap {
                tracing::warn!(alert = %a.id, detected = %d, "detection time in the future; not used as high-water mark");
            } else {
                self.latest = self.latest.max(Some(d));
            }
        }
    }

    /// Compares an alert the watcher tracks with what it holds: a change is an event.
    fn compare(&mut self, alert: Alert) {
        let Some(known) = self.lookup(&alert.id) else {
            return;
        };
        let current = AlertState::of(&alert);
        if current == known.state {
            return;
        }
        let version = version::next(known.version, &current);
        let tracked = Tracked {
            detected: alert.detected_date_time.or(known.detected),
            state: current.clone(),
            version,
        };
        let previous = known.state.clone();
        let changes = current.changes_from(&previous);
        self.push(
            WatchEvent {
                kind: EventKind::Changed,
                key: EventKey::new(alert.id.clone(), version),
                alert,
                previous: Some(previous),
                changes,
            },
            tracked,
        );
    }

    /// A new alert, with its version.
    fn new_alert(&mut self, alert: Alert, version: u64) {
        let tracked = Tracked {
            state: AlertState::of(&alert),
            version,
            detected: alert.detected_date_time,
        };
        self.push(
            WatchEvent {
                kind: EventKind::New,
                key: EventKey::new(alert.id.clone(), version),
                alert,
                previous: None,
                changes: Vec::new(),
            },
            tracked,
        );
    }

    fn push(&mut self, event: WatchEvent, tracked: Tracked) {
        self.overlay
            .insert(event.alert.id.clone(), Some(tracked.clone()));
        self.batch.events.push_back(Delivery { event, tracked });
    }

    /// Tracks an alert without an event.
    fn track_silently(&mut self, alert: &Alert) {
        let tracked = Tracked {
            state: AlertState::of(alert),
            version: version::found(self.number, &AlertState::of(alert)),
            detected: alert.detected_date_time,
        };
        self.overlay.insert(alert.id.clone(), Some(tracked.clone()));
        self.batch
            .tail
            .silent
            .push((alert.id.clone(), Some(tracked)));
    }

    /// An alert read through the new-alert window: new unless known.
    fn windowed(&mut self, alert: Alert) {
        self.note_detected(&alert);
        if self.lookup(&alert.id).is_some() {
            self.compare(alert);
        } else {
            let v = version::first(&AlertState::of(&alert));
            self.new_alert(alert, v);
        }
    }

    /// An unresolved alert found before the window that the watcher does not track: on the
    /// first run, the backlog (emitted or tracked silently); later, an alert reopened after
    /// the watcher forgot it, or one the new-alert read missed: new. Returns the id of an
    /// alert to read whole first (when only selected fields are at hand).
    fn untracked_open(&mut self, alert: Alert, whole: bool) -> Option<AlertId> {
        if self.first && !self.state.backlog {
            self.track_silently(&alert);
            return None;
        }
        if whole {
            let v = version::found(self.number, &AlertState::of(&alert));
            self.new_alert(alert, v);
            None
        } else {
            Some(alert.id)
        }
    }

    async fn each(
        &mut self,
        query: &AlertQuery,
        mut f: impl FnMut(&mut Self, Alert),
    ) -> Result<()> {
        let mut pager = self.source.list(query);
        loop {
            match pager.try_next().await {
                Ok(Some(a)) => f(self, a),
                Ok(None) => return Ok(()),
                Err(e) if e.is_item_error() => {
                    // One item that cannot be an alert: the listing goes on. A tracked alert
                    // hidden this way is read by id below; an untracked one is found by a
                    // later poll.
                    tracing::warn!(error = %e, "an item of the listing is not an alert; skipped");
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The new-alert read: every alert detected in the window, whole.
    async fn read_new(&mut self) -> Result<()> {
        let query = AlertQuery::new().filter(Filter::detected_date_time().ge(self.floor));
        self.each(&query, |p, a| p.windowed(a)).await
    }

    /// The sweep: the unresolved alerts' watched fields, compared with what is tracked; then
    /// what left the unresolved set.
    async fn sweep(&mut self) -> Result<()> {
        self.batch.tail.swept_at = Some(self.now);
        // The first run's backlog is emitted whole, so read whole then.
        let whole = self.first && self.state.backlog;
        let mut query = AlertQuery::new().filter(Filter::status().ne(AlertStatus::Resolved));
        if !whole {
            query = query.select(SWEEP_FIELDS.iter().copied());
        }
        let mut seen = HashSet::new();
        let mut partial = Vec::new();
        self.each(&query, |p, a| {
            seen.insert(a.id.clone());
            if p.lookup(&a.id).is_some() {
                p.compare(a);
            } else if p.in_window(&a) {
                // Raised since the new-alert read: the next one reads it whole.
            } else if let Some(id) = p.untracked_open(a, whole) {
                partial.push(id);
            }
        })
        .await?;
        for a in self.read_by_id(partial, &[], false).await? {
            let v = version::found(self.number, &AlertState::of(&a));
            self.new_alert(a, v);
        }
        let missing = self.missing(&seen);
        self.left_open_set(missing).await
    }

    /// The tracked alerts that were unresolved and were not in the sweep.
    fn missing(&self, seen: &HashSet<AlertId>) -> BTreeSet<AlertId> {
        let state_ids = self.state.alerts.keys();
        let overlay_ids = self.overlay.keys();
        state_ids
            .chain(overlay_ids)
            .filter(|id| !seen.contains(*id))
            .filter(|id| self.lookup(id).is_some_and(|t| t.state.is_open()))
            .cloned()
            .collect()
    }

    /// Alerts that left the unresolved set: most were resolved since the last sweep, which
    /// one read of the recently resolved alerts finds; the rest are read by id.
    async fn left_open_set(&mut self, mut missing: BTreeSet<AlertId>) -> Result<()> {
        if missing.is_empty() {
            return Ok(());
        }
        let after = self.state.last_sweep.unwrap_or(self.state.since) - self.overlap;
        let query = AlertQuery::new()
            .filter(
                Filter::status()
                    .eq(AlertStatus::Resolved)
                    .and(Filter::resolved_on_date_time().ge(after)),
            )
            .select(
                SWEEP_FIELDS
                    .iter()
                    .copied()
                    .chain([Field::ResolvedOnDateTime]),
            );
        let read = self
            .each(&query, |p, a| {
                if missing.remove(&a.id) {
                    p.compare(a);
                }
            })
            .await;
        match read {
            Ok(()) => {}
            // The service refused the filter (Graph documents none): read by id instead.
            Err(e) if refused_filter(&e) => {
                tracing::warn!(error = %e, "the read of recently resolved alerts was refused; reading each alert by id");
            }
            Err(e) => return Err(e),
        }
        for a in self
            .read_by_id(missing.into_iter().collect(), SWEEP_FIELDS, true)
            .await?
        {
            self.compare(a);
        }
        Ok(())
    }

    /// Reads alerts by id ([`AlertSource::get_many`]: on Graph, 20 to a `$batch` request),
    /// in the order of their ids. An alert not found is gone (no longer tracked, when
    /// `tracked`); one that cannot be decoded is left as it was until a later poll; any
    /// other failure fails the poll.
    async fn read_by_id(
        &mut self,
        ids: Vec<AlertId>,
        fields: &[Field],
        tracked: bool,
    ) -> Result<Vec<Alert>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut read = self.source.get_many(&ids, fields).await;
        read.sort_by(|a, b| a.0.cmp(&b.0));
        let mut alerts = Vec::with_capacity(read.len());
        let mut failure = None;
        for (id, r) in read {
            match r {
                Ok(a) => alerts.push(a),
                Err(e) if e.is_not_found() => {
                    if tracked {
                        tracing::warn!(alert = %id, "a tracked alert is no longer found; no longer tracked");
                        self.overlay.insert(id.clone(), None);
                        self.batch.tail.silent.push((id, None));
                        self.batch.tail.vanished += 1;
                    }
                }
                Err(e) if matches!(*e, Error::Decode(_)) => {
                    tracing::warn!(alert = %id, error = %e, "an alert read by id cannot be decoded; left as it was");
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            None => Ok(alerts),
            // The other alerts' shares of the error are gone with them: it is ours alone.
            Some(e) => Err(Arc::try_unwrap(e).unwrap_or_else(|e| {
                Error::InvalidResponse(Box::new(InvalidResponse::new(
                    format!("reading alerts by id failed: {e}"),
                    None,
                )))
            })),
        }
    }

    /// One listing of every alert, filtered here: what a source that cannot filter by time
    /// would transfer for any of the reads.
    async fn read_all(&mut self) -> Result<()> {
        self.batch.tail.swept_at = Some(self.now);
        let mut seen = HashSet::new();
        self.each(&AlertQuery::new(), |p, a| {
            seen.insert(a.id.clone());
            if p.in_window(&a) {
                p.windowed(a);
            } else if p.lookup(&a.id).is_some() {
                p.compare(a);
            } else if AlertState::of(&a).is_open() {
                p.untracked_open(a, true);
            }
        })
        .await?;
        let missing = self.missing(&seen);
        for a in self
            .read_by_id(missing.into_iter().collect(), SWEEP_FIELDS, true)
            .await?
        {
            self.compare(a);
        }
        Ok(())
    }
}

/// Whether the service refused a query (HTTP 400, or a source that cannot serve it).
fn refused_filter(e: &Error) -> bool {
    matches!(e, Error::Unsupported(_)) || e.status() == Some(400)
}
