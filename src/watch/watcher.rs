//! [`Watcher`] and its builder: the delivery loop around the polls, the saves and the waits.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures::Stream;
use futures::future::BoxFuture;

use super::backoff::{Backoff, needs_attention};
use super::checkpoint::{CheckpointError, CheckpointStore, Version};
use super::error::WatchError;
use super::event::WatchEvent;
use super::poll::{Batch, Delivery, Plan, Settings, poll};
use super::state::{State, Tail, source_name};
use crate::AlertSource;
use crate::error::{Error, InvalidInput};
use crate::http::{AsyncSleep, TokioSleep};

type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;
type Saving = BoxFuture<'static, Result<Version, CheckpointError>>;

/// The default time between polls.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// The default overlap of the new-alert window (clock skew, late-indexed alerts).
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(10 * 60);

/// What a watcher with no checkpoint yet (its first run) reports of the alerts that already
/// exist.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FirstRun {
    /// Every unresolved alert, once, as [`EventKind::New`](super::EventKind::New) (the
    /// triage backlog, read whole), then every alert detected from the start on: like
    /// kube-rs's watcher, which lists the current objects before the changes. The default.
    #[default]
    OpenAlerts,
    /// Every alert detected at or after this time (whatever its status) as new; the
    /// unresolved alerts detected before it are tracked silently (their later changes are
    /// reported). `FirstRun::Since(Utc::now())` reports only what happens from now on.
    Since(DateTime<Utc>),
}

/// Configures and starts a [`Watcher`]; from [`Watcher::builder`].
#[must_use = "a builder does nothing until started"]
pub struct WatcherBuilder {
    source: Arc<dyn AlertSource>,
    store: Option<Arc<dyn CheckpointStore>>,
    interval: Duration,
    overlap: Duration,
    sweep_every: u32,
    first_run: FirstRun,
    backoff: Backoff,
    sleep: Arc<dyn AsyncSleep>,
    clock: Clock,
}

impl fmt::Debug for WatcherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatcherBuilder")
            .field("source", &self.source.kind())
            .field("store", &self.store)
            .field("interval", &self.interval)
            .field("overlap", &self.overlap)
            .field("sweep_every", &self.sweep_every)
            .field("first_run", &self.first_run)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl WatcherBuilder {
    /// Where the checkpoint is kept (required): a
    /// [`FileCheckpointStore`](super::FileCheckpointStore), a
    /// [`MemoryCheckpointStore`](super::MemoryCheckpointStore), or a store of your own.
    pub fn store(mut self, store: Arc<dyn CheckpointStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The wait between the end of one poll's delivery and the next poll (default
    /// [`DEFAULT_INTERVAL`], one minute).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// How far the new-alert window reaches back before the latest detection time read
    /// (default [`DEFAULT_OVERLAP`], ten minutes): an alert indexed up to this long after
    /// a later one was read is still new; a resolution recorded up to this much before the
    /// last sweep by a clock ahead of the watcher's is still found.
    pub fn overlap(mut self, overlap: Duration) -> Self {
        self.overlap = overlap;
        self
    }

    /// Sweeps the unresolved alerts every `n` polls (default 1: every poll; 0 is taken as
    /// 1). Changes to alerts outside the new-alert window are seen only by a sweep, so they
    /// are reported up to `n` polls late; a sweep costs a listing of the unresolved alerts
    /// (see the [module docs](super#what-each-poll-reads-and-costs)).
    pub fn sweep_every(mut self, n: u32) -> Self {
        self.sweep_every = n.max(1);
        self
    }

    /// What the first run reports of the alerts that already exist (default
    /// [`FirstRun::OpenAlerts`]). Ignored when a checkpoint exists.
    pub fn first_run(mut self, first_run: FirstRun) -> Self {
        self.first_run = first_run;
        self
    }

    /// The wait after a failure: `initial`, doubled after each failure in a row, at most
    /// `max` (default 1 s and 5 minutes); never shorter than the service's `Retry-After`.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.backoff = Backoff {
            initial,
            max: max.max(initial),
        };
        self
    }

    /// How to wait between polls and after failures (default: tokio's timer). Tests pass one
    /// that records the waits and returns at once.
    pub fn sleep(mut self, sleep: Arc<dyn AsyncSleep>) -> Self {
        self.sleep = sleep;
        self
    }

    /// The watcher's clock (default `Utc::now`): the first run's start and the time of each
    /// sweep, from which the next read of recently resolved alerts starts.
    pub fn clock(mut self, now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// Loads the checkpoint, or (on the first run) saves a new one, and returns the watcher.
    /// Nothing is read from the source yet.
    ///
    /// # Errors
    /// [`WatchError::Source`] with [`Error::InvalidInput`] without a store or with an
    /// overlap beyond chrono's range; [`WatchError::Checkpoint`] when the checkpoint cannot be
    /// loaded or saved, is corrupt, was written by a later release or for another kind of
    /// source ([`CheckpointError::Incompatible`]), or another watcher created it in between
    /// ([`CheckpointError::Conflict`]).
    pub async fn start(self) -> Result<Watcher, WatchError> {
        let store = self.store.ok_or_else(|| {
            Error::from(InvalidInput::new(
                "checkpoint store",
                "required: give one with .store(...)",
            ))
        })?;
        let overlap = TimeDelta::from_std(self.overlap)
            .map_err(|_| Error::from(InvalidInput::new("overlap", "too long")))?;
        let kind = self.source.kind();
        let plan = Plan::for_source(&self.source.capabilities());
        let (state, stored) = match store.load().await? {
            Some(v) => {
                let state = State::decode(&v.bytes, "the stored checkpoint")?;
                if state.source != kind {
                    return Err(CheckpointError::Incompatible {
                        location: "the stored checkpoint".to_owned(),
                        reason: format!(
                            "written by a watcher of {}, not {} (their alert ids differ)",
                            source_name(state.source),
                            source_name(kind)
                        ),
                    }
                    .into());
                }
                (state, v.version)
            }
            None => {
                let (since, backlog) = match self.first_run {
                    FirstRun::OpenAlerts => ((self.clock)(), true),
                    FirstRun::Since(t) => (t, false),
                };
                let state = State::new(kind, since, backlog);
                let version = store.save(None, state.encode()).await?;
                (state, version)
            }
        };
        tracing::debug!(
            source = source_name(kind),
            ?plan,
            tracked = state.alerts.len(),
            polls = state.polls,
            "watcher started"
        );
        Ok(Watcher {
            source: self.source,
            store,
            sleep: self.sleep,
            clock: self.clock,
            interval: self.interval,
            overlap,
            sweep_every: self.sweep_every,
            backoff: self.backoff,
            plan,
            state: Arc::new(state),
            stored: Some(stored),
            batch: VecDeque::new(),
            tail: None,
            dirty: false,
            polling: None,
            waiting: None,
            saving: None,
            failures: 0,
            failures_total: 0,
            last_error: None,
            superseded: None,
        })
    }
}

/// Watches an [`AlertSource`] for new and changed alerts, across restarts.
///
/// Built with [`Watcher::builder`]; yields [`WatchEvent`]s from
/// [`next_event`](Watcher::next_event) (or the [`events`](Watcher::events) stream); stopped
/// with [`close`](Watcher::close), which saves what was delivered. How it polls, what it
/// costs and what it guarantees are in the [module docs](super).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use partner_alerts::auth::StaticToken;
/// use partner_alerts::watch::{EventKind, FirstRun, MemoryCheckpointStore, Watcher};
/// use partner_alerts::GraphClient;
///
/// let emu = partner_alerts_emulator::Emulator::builder().alerts(20).seed(7).start().await?;
/// let client = GraphClient::builder()
///     .base_url(emu.graph_base_url())
///     .credential(StaticToken::new("emulator"))
///     .build()?;
/// let store = Arc::new(MemoryCheckpointStore::new());
/// let mut watcher = Watcher::builder(Arc::new(client))
///     .store(store)
///     .interval(Duration::from_millis(10))
///     .first_run(FirstRun::Since(chrono::Utc::now()))
///     .start()
///     .await?;
///
/// let raised = emu.raise_alert();
/// let event = watcher.next_event().await?;
/// assert_eq!((event.kind, &event.alert.id), (EventKind::New, &raised.id));
/// watcher.close().await?;
/// # Ok(()) }
/// ```
#[must_use = "a watcher does nothing until asked for events"]
pub struct Watcher {
    source: Arc<dyn AlertSource>,
    store: Arc<dyn CheckpointStore>,
    sleep: Arc<dyn AsyncSleep>,
    clock: Clock,
    interval: Duration,
    overlap: TimeDelta,
    sweep_every: u32,
    backoff: Backoff,
    plan: Plan,
    /// What the consumer has been given: the checkpoint (shared with the poll in flight).
    state: Arc<State>,
    /// The version of the stored checkpoint.
    stored: Option<Version>,
    /// The poll's events not yet delivered.
    batch: VecDeque<Delivery>,
    /// The rest of the poll, applied when its last event has been taken.
    tail: Option<Tail>,
    /// Whether the state differs from the stored checkpoint.
    dirty: bool,
    /// A poll in progress (kept across a cancelled `next_event`).
    polling: Option<BoxFuture<'static, crate::Result<Batch>>>,
    /// A wait in progress (kept across a cancelled `next_event`).
    waiting: Option<BoxFuture<'static, ()>>,
    /// A save in progress, with its bytes (kept across a cancelled `next_event`).
    saving: Option<(Vec<u8>, Saving)>,
    failures: u32,
    failures_total: u64,
    last_error: Option<WatchError>,
    /// Set when another writer saved the checkpoint: the expected and the stored versions.
    superseded: Option<(Option<Version>, Option<Version>)>,
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("source", &self.source.kind())
            .field("store", &self.store)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Counters of a [`Watcher`], from [`Watcher::stats`]. The first four are kept in the
/// checkpoint, so they count across restarts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchStats {
    /// Polls delivered in full.
    pub polls: u64,
    /// Sweeps of the unresolved alerts delivered in full.
    pub sweeps: u64,
    /// Events delivered.
    pub events: u64,
    /// Tracked alerts no longer found (read by id: not found), since dropped.
    pub vanished: u64,
    /// Alerts tracked now: the unresolved ones, and the resolved ones detected within the
    /// new-alert window.
    pub tracked: usize,
    /// Of those, the unresolved ones.
    pub open: usize,
    /// Events of the current poll not yet delivered.
    pub pending: usize,
    /// Failures in a row (polls or saves), 0 after a success.
    pub consecutive_failures: u32,
    /// Failures since this watcher started.
    pub failures: u64,
}

impl Watcher {
    /// A builder watching `source`.
    pub fn builder(source: Arc<dyn AlertSource>) -> WatcherBuilder {
        WatcherBuilder {
            source,
            store: None,
            interval: DEFAULT_INTERVAL,
            overlap: DEFAULT_OVERLAP,
            sweep_every: 1,
            first_run: FirstRun::default(),
            backoff: Backoff {
                initial: Duration::from_secs(1),
                max: Duration::from_secs(300),
            },
            sleep: Arc::new(TokioSleep),
            clock: Arc::new(Utc::now),
        }
    }

    /// The next event: the next of the current poll's, or, once they are all taken, the
    /// first of a later poll (saving the checkpoint and waiting the interval first, polling
    /// as often as it takes).
    ///
    /// Cancel safe: dropping the future (a `select!`, a timeout) loses no event, and the
    /// poll, save or wait in progress resumes at the next call where it was.
    ///
    /// # Errors
    /// Only what needs someone to act (see the [module docs](super#errors)): refused
    /// credentials or permission, a query the source refuses, a checkpoint another watcher
    /// saved ([`WatchError::is_conflict`]: then every later call fails so), a checkpoint that
    /// cannot be read. Calling again after an error tries again after the backoff. Transient
    /// failures are retried without returning ([`Watcher::last_error`]).
    pub async fn next_event(&mut self) -> Result<WatchEvent, WatchError> {
        loop {
            if let Some((expected, current)) = self.superseded {
                return Err(CheckpointError::Conflict { expected, current }.into());
            }
            if let Some(d) = self.batch.pop_front() {
                let state = Arc::make_mut(&mut self.state);
                state.apply(d.event.alert.id.clone(), Some(d.tracked));
                state.events += 1;
                self.dirty = true;
                return Ok(d.event);
            }
            if let Some(tail) = self.tail.take() {
                Arc::make_mut(&mut self.state).finish_poll(tail, self.overlap);
                self.dirty = true;
            }
            if let Some(wait) = self.waiting.as_mut() {
                wait.await;
                self.waiting = None;
                continue;
            }
            if self.dirty || self.saving.is_some() {
                match self.save().await {
                    Ok(()) => {
                        self.waiting = Some(self.sleep.sleep(self.interval));
                    }
                    Err(e) => {
                        let transient = e.checkpoint_error().is_some_and(|c| c.is_transient());
                        self.failed(None);
                        if !transient {
                            return Err(e);
                        }
                        tracing::warn!(error = %e, "saving the checkpoint failed; trying again");
                        self.last_error = Some(e);
                    }
                }
                continue;
            }
            let polling = match self.polling.as_mut() {
                Some(p) => p,
                None => {
                    let settings = Settings {
                        plan: self.plan,
                        overlap: self.overlap,
                        sweep: self.state.polls.is_multiple_of(u64::from(self.sweep_every)),
                        now: (self.clock)(),
                    };
                    // The poll reads a snapshot of the state (shared: nothing changes it
                    // while a poll is in flight), so it can outlive a cancelled call.
                    let (source, state) = (self.source.clone(), self.state.clone());
                    self.polling.insert(Box::pin(
                        async move { poll(&*source, &state, &settings).await },
                    ))
                }
            };
            let polled = polling.await;
            self.polling = None;
            match polled {
                Ok(batch) => {
                    tracing::debug!(
                        poll = self.state.polls + 1,
                        events = batch.events.len(),
                        "polled"
                    );
                    self.failures = 0;
                    self.last_error = None;
                    self.batch = batch.events;
                    self.tail = Some(batch.tail);
                }
                Err(e) => {
                    self.failed(e.retry_after());
                    if needs_attention(&e) {
                        tracing::error!(error = %e, "polling failed, and will until someone acts");
                        return Err(e.into());
                    }
                    tracing::warn!(error = %e, failures = self.failures, "polling failed; trying again");
                    self.last_error = Some(e.into());
                }
            }
        }
    }

    /// Counts a failure and starts the wait before the next attempt.
    fn failed(&mut self, retry_after: Option<Duration>) {
        self.failures = self.failures.saturating_add(1);
        self.failures_total += 1;
        let delay = self.backoff.delay(self.failures, retry_after);
        self.waiting = Some(self.sleep.sleep(delay));
    }

    /// Finishes the save in progress, or saves the state.
    async fn save(&mut self) -> Result<(), WatchError> {
        if self.saving.is_none() {
            let bytes = self.state.encode();
            let store = self.store.clone();
            let expected = self.stored;
            let sent = bytes.clone();
            self.saving = Some((
                bytes,
                Box::pin(async move { store.save(expected, sent).await }),
            ));
            self.dirty = false;
        }
        let r = match self.saving.as_mut() {
            Some((_, fut)) => fut.await,
            None => unreachable!("a save was just started"),
        };
        let Some((bytes, _)) = self.saving.take() else {
            unreachable!("the save is still there")
        };
        match r {
            Ok(v) => {
                self.stored = Some(v);
                Ok(())
            }
            Err(CheckpointError::Conflict { expected, current }) => {
                // An earlier save reported as failed may have landed: then the stored
                // checkpoint is this one (nothing changes between a failed save and its retry).
                // Still to save until known otherwise (this call may be cancelled here).
                self.dirty = true;
                match self.store.load().await {
                    Ok(Some(now)) if now.bytes == bytes => {
                        self.stored = Some(now.version);
                        self.dirty = false;
                        return Ok(());
                    }
                    Ok(_) => {}
                    // Cannot tell yet: the next attempt conflicts again and looks again.
                    Err(e) => return Err(e.into()),
                }
                self.superseded = Some((expected, current));
                tracing::error!(
                    ?expected,
                    ?current,
                    "another watcher saved the checkpoint; this one stops"
                );
                Err(CheckpointError::Conflict { expected, current }.into())
            }
            Err(e) => {
                self.dirty = true;
                Err(e.into())
            }
        }
    }

    /// The events as a stream (borrowing the watcher, which can be closed once the stream is
    /// dropped). It never ends; an item is an `Err` where
    /// [`next_event`](Watcher::next_event) would return one.
    ///
    /// ```no_run
    /// # async fn run(mut watcher: partner_alerts::watch::Watcher) -> Result<(), partner_alerts::watch::WatchError> {
    /// use futures::StreamExt;
    ///
    /// {
    ///     let mut events = std::pin::pin!(watcher.events().take(10));
    ///     while let Some(event) = events.next().await {
    ///         println!("{}", serde_json::to_string(&event?).unwrap());
    ///     }
    /// } // the stream is dropped: the watcher is free again
    /// watcher.close().await
    /// # }
    /// ```
    pub fn events(&mut self) -> impl Stream<Item = Result<WatchEvent, WatchError>> + Send + '_ {
        futures::stream::unfold(self, |w| async move {
            let r = w.next_event().await;
            Some((r, w))
        })
    }

    /// Stops watching: saves the checkpoint as delivered (the events taken so far, and the
    /// whole poll if its last event was taken), so a watcher started on the same store
    /// continues with the first event not delivered, exactly once.
    ///
    /// # Errors
    /// The save's error; then the checkpoint is the one saved before (the events since are
    /// delivered again by the next watcher, as after a kill).
    pub async fn close(mut self) -> Result<(), WatchError> {
        if let Some((expected, current)) = self.superseded {
            return Err(CheckpointError::Conflict { expected, current }.into());
        }
        // A poll in flight delivered nothing: dropped.
        self.polling = None;
        if self.batch.is_empty()
            && let Some(tail) = self.tail.take()
        {
            Arc::make_mut(&mut self.state).finish_poll(tail, self.overlap);
            self.dirty = true;
        }
        if self.saving.is_some() {
            self.save().await?;
        }
        if self.dirty {
            self.save().await?;
        }
        tracing::debug!(
            polls = self.state.polls,
            events = self.state.events,
            "watcher closed"
        );
        Ok(())
    }

    /// The counters.
    pub fn stats(&self) -> WatchStats {
        WatchStats {
            polls: self.state.polls,
            sweeps: self.state.sweeps,
            events: self.state.events,
            vanished: self.state.vanished,
            tracked: self.state.alerts.len(),
            open: self
                .state
                .alerts
                .values()
                .filter(|t| t.state.is_open())
                .count(),
            pending: self.batch.len(),
            consecutive_failures: self.failures,
            failures: self.failures_total,
        }
    }

    /// The last transient failure (a poll or a save), until the next poll succeeds. Also
    /// logged through `tracing` (`warn`).
    pub fn last_error(&self) -> Option<&WatchError> {
        self.last_error.as_ref()
    }

    /// The latest detection time read, from which (less the overlap) the new-alert read
    /// starts.
    pub fn high_water_mark(&self) -> Option<DateTime<Utc>> {
        self.state.high_water_mark
    }
}
