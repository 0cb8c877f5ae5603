//! Watching for new and changed alerts, across restarts: [`Watcher`] polls any
//! [`AlertSource`](crate::AlertSource) and yields a [`WatchEvent`] for each new alert and each
//! change of a watched property ([`AlertState`]: `status`, `resolvedReason`,
//! `lastObservedDateTime`, `severity`), with the previous and current values and the fields
//! that changed; it keeps a checkpoint in a [`CheckpointStore`] so that a restarted watcher
//! goes on where the last one stopped.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use partner_alerts::auth::ClientSecretCredential;
//! use partner_alerts::watch::{EventKind, FileCheckpointStore, Watcher};
//! use partner_alerts::GraphClient;
//!
//! let client = GraphClient::builder().credential(ClientSecretCredential::from_env()?).build()?;
//! let mut watcher = Watcher::builder(Arc::new(client))
//!     .store(Arc::new(FileCheckpointStore::new("/var/lib/alert-watch/checkpoint")))
//!     .start()
//!     .await?;
//! loop {
//!     tokio::select! {
//!         event = watcher.next_event() => {
//!             let event = event?;            // only errors that need someone to act
//!             match event.kind {
//!                 EventKind::New => println!("new {}: {:?}", event.alert.id, event.alert.display_name),
//!                 _ => println!("{} changed: {:?}", event.alert.id, event.changes),
//!             }
//!         }
//!         _ = tokio::signal::ctrl_c() => break,  // next_event is cancel safe
//!     }
//! }
//! watcher.close().await?;                        // saves what was delivered
//! # Ok(()) }
//! ```
//!
//! Neither API pushes changes (Partner Center's webhook says only "something happened on
//! this subscription"; Graph has none for these alerts), and neither has a change feed or a
//! "modified since" property, so the watcher polls, and reads as little as the APIs let it.
//!
//! # What each poll reads and costs
//!
//! Each poll computes a batch of events from up to three reads and compares what they return
//! with what the watcher tracks: the unresolved alerts, and the alerts detected within the
//! new-alert window. With N unresolved alerts, W alerts detected within the window, R alerts
//! resolved since the last sweep and pages of P alerts, on Graph (which filters on the
//! service):
//!
//! | Read | When | Query | Requests |
//! |---|---|---|---|
//! | new alerts | every poll | `detectedDateTime ge <high-water mark − overlap>`, every property (a new alert's event carries the whole alert) | ⌈(W + new)/P⌉, at least 1 |
//! | sweep | every [`sweep_every`](WatcherBuilder::sweep_every) polls (default every poll) | `status ne 'resolved'`, `$select` of the watched fields and `detectedDateTime` | ⌈N/P⌉, at least 1; small items |
//! | recently resolved | in a sweep, only when a tracked alert left the unresolved set | `status eq 'resolved' and resolvedOnDateTime ge <last sweep − overlap>`, same `$select` | ⌈R/P⌉ |
//! | by id | the K tracked alerts neither read explains (resolved without a `resolvedOnDateTime`, or deleted: then not found and no longer tracked), and the unresolved alerts the sweep finds untracked and detected before the window (reopened, or missed by the new-alert read), read whole | [`AlertSource::get_many`](crate::AlertSource::get_many): `$batch` requests of 20 `GET .../{id}` | ⌈K/20⌉; rare |
//! | checkpoint | after each poll's events are taken | one [`CheckpointStore::save`] | one write |
//!
//! So a quiet poll costs two requests, plus a third when an alert was resolved. The
//! high-water mark is the latest `detectedDateTime` read (the service's clock, so the
//! watcher's clock does not matter there); the window reaches [`overlap`](WatcherBuilder::overlap)
//! further back (default ten minutes) for alerts indexed late, and ids already known in it
//! are not new again. The sweep runs every poll by default because a change to an alert
//! detected before the window (a status set by a colleague, a resolution) is seen only by a
//! sweep, and a sweep of a few hundred unresolved alerts with five selected properties is
//! a page or two; with thousands of unresolved alerts and a short interval, sweep every few
//! polls and accept changes reported that many polls late. If the service refuses the
//! recently-resolved filter (Graph documents no `$filter` property list), the watcher reads
//! those alerts by id instead.
//!
//! **FraudEvents** (and any source whose
//! [`Capabilities::server_filter_expressions`](crate::Capabilities::server_filter_expressions)
//! is false): Partner Center filters only on `EventStatus`, `SubscriptionId` and
//! `EventType`, so a read by detection time would transfer every event anyway. The
//! watcher then makes **one listing of every event per poll** (⌈all events/P⌉ requests and
//! the empty page that ends a Partner Center listing, growing with the partner's whole
//! history) and evaluates all three reads on it; only deleted events are read by id (one
//! listing per subscription). The same code, the same events; `sweep_every` has no
//! effect (every poll sees everything). Poll Partner Center less often (minutes, not
//! seconds), or move to Graph.
//!
//! # Guarantees
//!
//! The watcher computes a poll's events as one batch, hands them out one by one, and saves
//! its checkpoint when the consumer asks for the event after the batch's last one (so
//! after the consumer has taken the whole batch), and on [`Watcher::close`]. Each event's
//! [`EventKey`] is the alert's id and a version of the reported state (FNV-1a over a
//! canonical encoding, chained with the previous version): stable across restarts,
//! processes and platforms.
//!
//! - **Stopped with [`Watcher::close`] and restarted on the same store, every event is
//!   delivered exactly once.** `close` records exactly which events of the current batch
//!   were taken; the next watcher computes the rest again and delivers only those.
//! - **Killed at any point** (the task aborted, the process killed, the machine lost),
//!   **nothing is lost, and only the events of the batch in flight can come again**: those
//!   delivered since the last save (at most one poll's worth). A repeated event has the
//!   same key if the alert has not changed since; if it changed again in between, the
//!   next watcher reports one change, from the last saved state to the new one.
//! - **Dropping the watcher without `close` is a kill**: at least once, repeats from the
//!   batch in flight only. (A save needs the async store, which `Drop` cannot await.)
//! - A failed save is retried (with backoff) before the next poll, so the saved checkpoint is
//!   never more than one batch behind.
//!
//! What an event means, and what polling cannot see:
//!
//! - A change is the difference between two polls: an alert changed twice between them is
//!   one event, from the first state to the last; one changed and changed back is none.
//! - [`EventKind::New`] is "new to this watcher": a detected alert (whatever its status: an
//!   alert raised and resolved between two polls is still reported), the first run's
//!   unresolved alerts ([`FirstRun`]), and an unresolved alert the watcher had stopped
//!   tracking: reopened after it was resolved and forgotten, or detected before the window
//!   (indexed later than the overlap). Its key differs from the key of the alert's first
//!   `New`.
//! - Resolved alerts are forgotten once their detection leaves the window, so a later
//!   change to an already resolved alert (a new reason, say) is not reported.
//! - An alert indexed more than the overlap late and resolved before the next sweep is not
//!   seen. Widen the overlap if the service indexes that late.
//!
//! # Errors
//!
//! A poll that fails is made again after a backoff (exponential from
//! [`backoff`](WatcherBuilder::backoff)'s initial wait to its cap, and never shorter than
//! the service's `Retry-After`) through the injected [`AsyncSleep`](crate::http::AsyncSleep);
//! its partial results are dropped, so it delivers nothing. [`Watcher::next_event`] keeps
//! trying through transient failures (throttling, 5xx, transport failures, time-outs,
//! malformed answers, a store that cannot be written): they are logged (`tracing`, `warn`),
//! counted ([`WatchStats::consecutive_failures`]) and kept in [`Watcher::last_error`]. It
//! returns an error only for what time will not fix: credentials or permissions refused
//! (401, 403, no token), input or a query the source refuses (other 4xx, not found on a
//! listing, [`Error::Unsupported`](crate::Error::Unsupported)), a checkpoint another watcher
//! saved (then every later call fails the same way), or one that is corrupt. Calling
//! `next_event` again after such an error tries again after the backoff: the caller
//! decides whether to stop. An item of a listing that is not an alert
//! ([`Error::is_item_error`](crate::Error::is_item_error)) is skipped with a warning.
//!
//! # Memory
//!
//! The state is the tracked alerts (each id, four properties, a detection time and a
//! version): the unresolved alerts, plus the alerts detected within the window. Resolved
//! alerts leave it once their detection leaves the window, whatever the number of alerts
//! ever raised. Listings are streamed, never collected; a poll holds its batch of events
//! (at most the alerts it reports) and the ids the sweep saw.
//!
//! # The checkpoint
//!
//! JSON, with a `stateVersion` (1) for forward compatibility: the source's kind, the first
//! run's start, the high-water mark, the last sweep's time, the tracked alerts (id,
//! version, detection time, watched state) and counters. A checkpoint of a later state
//! version, or of another kind of source, is refused rather than misread
//! ([`CheckpointError::Incompatible`]). Stores: [`FileCheckpointStore`] (atomic
//! replacement of one file), [`MemoryCheckpointStore`] (tests, examples), or your own
//! ([`CheckpointStore`]: load, and save with an expected version).

mod backoff;
mod checkpoint;
mod error;
mod event;
mod file_store;
mod poll;
mod state;
mod version;
mod watcher;

pub use checkpoint::{CheckpointError, CheckpointStore, MemoryCheckpointStore, Version, Versioned};
pub use error::WatchError;
pub use event::{AlertState, ChangedField, EventKey, EventKind, WatchEvent};
pub use file_store::FileCheckpointStore;
pub use watcher::{
    DEFAULT_INTERVAL, DEFAULT_OVERLAP, FirstRun, WatchStats, Watcher, WatcherBuilder,
};
