//! The watcher's checkpoint: what it knows (the tracked alerts, the high-water mark, the
//! counters), its JSON form and how a finished poll moves it on.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::checkpoint::CheckpointError;
use super::event::AlertState;
use crate::{AlertId, SourceKind};

/// The version of the checkpoint's JSON layout this release writes and reads. A checkpoint
/// of a later version is refused ([`CheckpointError::Incompatible`]); fields added later
/// within a version must have defaults, so an older release can read them.
pub(super) const STATE_VERSION: u32 = 1;

/// An alert the watcher tracks: unresolved, or detected within the new-alert window.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Tracked {
    pub(super) state: AlertState,
    pub(super) version: u64,
    pub(super) detected: Option<DateTime<Utc>>,
}

/// What the watcher knows; saved as its checkpoint.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct State {
    pub(super) source: SourceKind,
    /// Alerts detected at or after this are new (the first run's start).
    pub(super) since: DateTime<Utc>,
    /// Whether the first run emits every unresolved alert as new.
    pub(super) backlog: bool,
    /// Whether the first poll has been delivered.
    pub(super) baselined: bool,
    /// The latest `detectedDateTime` the new-alert read has returned.
    pub(super) high_water_mark: Option<DateTime<Utc>>,
    /// When (the watcher's clock) the last sweep started.
    pub(super) last_sweep: Option<DateTime<Utc>>,
    /// Polls delivered in full.
    pub(super) polls: u64,
    /// Sweeps delivered in full.
    pub(super) sweeps: u64,
    /// Events delivered.
    pub(super) events: u64,
    /// Tracked alerts that were no longer found.
    pub(super) vanished: u64,
    pub(super) alerts: BTreeMap<AlertId, Tracked>,
}

/// A poll's changes to the state that no event carries, applied once its batch is
/// delivered in full.
#[derive(Debug, Default)]
pub(super) struct Tail {
    pub(super) high_water_mark: Option<DateTime<Utc>>,
    pub(super) swept_at: Option<DateTime<Utc>>,
    /// Alerts tracked without an event (the first run's open alerts, when they are not
    /// emitted) or dropped (vanished).
    pub(super) silent: Vec<(AlertId, Option<Tracked>)>,
    pub(super) vanished: u64,
}

impl State {
    pub(super) fn new(source: SourceKind, since: DateTime<Utc>, backlog: bool) -> Self {
        State {
            source,
            since,
            backlog,
            baselined: false,
            high_water_mark: None,
            last_sweep: None,
            polls: 0,
            sweeps: 0,
            events: 0,
            vanished: 0,
            alerts: BTreeMap::new(),
        }
    }

    /// The start of the new-alert window: the high-water mark less the overlap, never before
    /// `since`.
    pub(super) fn floor(&self, overlap: TimeDelta) -> DateTime<Utc> {
        match self.high_water_mark {
            Some(h) => (h - overlap).max(self.since),
            None => self.since,
        }
    }

    pub(super) fn apply(&mut self, id: AlertId, tracked: Option<Tracked>) {
        match tracked {
            Some(t) => {
                self.alerts.insert(id, t);
            }
            None => {
                self.alerts.remove(&id);
            }
        }
    }

    /// Applies what a poll changed besides its events, and forgets the resolved alerts that
    /// left the window.
    pub(super) fn finish_poll(&mut self, tail: Tail, overlap: TimeDelta) {
        self.high_water_mark = self.high_water_mark.max(tail.high_water_mark);
        if let Some(t) = tail.swept_at {
            self.last_sweep = Some(t);
            self.sweeps += 1;
        }
        for (id, t) in tail.silent {
            self.apply(id, t);
        }
        self.vanished += tail.vanished;
        self.polls += 1;
        self.baselined = true;
        self.prune(overlap);
    }

    /// Forgets resolved alerts detected before the window (or without a detection time):
    /// the new-alert read no longer returns them and the sweep never does.
    pub(super) fn prune(&mut self, overlap: TimeDelta) {
        let floor = self.floor(overlap);
        self.alerts
            .retain(|_, t| t.state.is_open() || t.detected.is_some_and(|d| d >= floor));
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let stored = Stored {
            state_version: STATE_VERSION,
            source: source_name(self.source).to_owned(),
            since: self.since,
            first_run_backlog: self.backlog,
            baselined: self.baselined,
            high_water_mark: self.high_water_mark,
            last_sweep: self.last_sweep,
            polls: self.polls,
            sweeps: self.sweeps,
            events: self.events,
            vanished: self.vanished,
            alerts: self
                .alerts
                .iter()
                .map(|(id, t)| StoredAlert {
                    id: id.clone(),
                    version: format!("{:016x}", t.version),
                    detected: t.detected,
                    state: t.state.clone(),
                })
                .collect(),
        };
        serde_json::to_vec(&stored).expect("a checkpoint always serialises")
    }

    pub(super) fn decode(bytes: &[u8], location: &str) -> Result<State, CheckpointError> {
        let corrupt = |reason: String| CheckpointError::Corrupt {
            location: location.to_owned(),
            reason,
        };
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            state_version: u32,
        }
        let head: Head = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("not a watcher checkpoint: {e}")))?;
        if head.state_version > STATE_VERSION {
            return Err(CheckpointError::Incompatible {
                location: location.to_owned(),
                reason: format!(
                    "written by a later release (state version {}; this release reads up to {STATE_VERSION})",
                    head.state_version
                ),
            });
        }
        let s: Stored = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("not a watcher checkpoint: {e}")))?;
        let source = match s.source.as_str() {
            "graph" => SourceKind::Graph,
            "fraudEvents" => SourceKind::FraudEvents,
            other => {
                return Err(CheckpointError::Incompatible {
                    location: location.to_owned(),
                    reason: format!("written for an unknown source {other:?}"),
                });
            }
        };
        let mut alerts = BTreeMap::new();
        for a in s.alerts {
            let version = u64::from_str_radix(&a.version, 16)
                .map_err(|_| corrupt(format!("the version of {} is not hexadecimal", a.id)))?;
            alerts.insert(
                a.id,
                Tracked {
                    state: a.state,
                    version,
                    detected: a.detected,
                },
            );
        }
        Ok(State {
            source,
            since: s.since,
            backlog: s.first_run_backlog,
            baselined: s.baselined,
            high_water_mark: s.high_water_mark,
            last_sweep: s.last_sweep,
            polls: s.polls,
            sweeps: s.sweeps,
            events: s.events,
            vanished: s.vanished,
            alerts,
        })
    }
}

pub(super) fn source_name(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Graph => "graph",
        SourceKind::FraudEvents => "fraudEvents",
    }
}

/// The checkpoint's JSON.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    state_version: u32,
    source: String,
    since: DateTime<Utc>,
    #[serde(default)]
    first_run_backlog: bool,
    #[serde(default)]
    baselined: bool,
    #[serde(default)]
    high_water_mark: Option<DateTime<Utc>>,
    #[serde(default)]
    last_sweep: Option<DateTime<Utc>>,
    #[serde(default)]
    polls: u64,
    #[serde(default)]
    sweeps: u64,
    #[serde(default)]
    events: u64,
    #[serde(default)]
    vanished: u64,
    #[serde(default)]
    alerts: Vec<StoredAlert>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredAlert {
    id: AlertId,
    version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detected: Option<DateTime<Utc>>,
    #[serde(default)]
    state: AlertState,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{AlertStatus, Severity};

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    fn tracked(status: AlertStatus, detected: Option<i64>) -> Tracked {
        Tracked {
            state: AlertState {
                status: Some(status),
                severity: Some(Severity::High),
                ..AlertState::default()
            },
            version: 7,
            detected: detected.map(t),
        }
    }

    fn id(s: &str) -> AlertId {
        AlertId::new(s).unwrap()
    }

    #[test]
    fn the_checkpoint_round_trips_and_refuses_a_later_version() {
        let mut s = State::new(SourceKind::FraudEvents, t(0), true);
        s.high_water_mark = Some(t(30));
        s.last_sweep = Some(t(31));
        s.polls = 4;
        s.apply(id("a"), Some(tracked(AlertStatus::Active, Some(3))));
        s.apply(id("b"), Some(tracked(AlertStatus::Resolved, None)));
        let bytes = s.encode();
        assert_eq!(State::decode(&bytes, "x").unwrap(), s);

        let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        json["stateVersion"] = 2.into();
        let e = State::decode(&serde_json::to_vec(&json).unwrap(), "x").unwrap_err();
        assert!(matches!(e, CheckpointError::Incompatible { .. }), "{e}");

        // Fields this release does not know are ignored (a later release's additions).
        json["stateVersion"] = 1.into();
        json["somethingNew"] = true.into();
        assert_eq!(
            State::decode(&serde_json::to_vec(&json).unwrap(), "x").unwrap(),
            s
        );

        for bad in [&b"[]"[..], b"{}", b"{\"stateVersion\":1}", b"garbage"] {
            let e = State::decode(bad, "x").unwrap_err();
            assert!(matches!(e, CheckpointError::Corrupt { .. }), "{e}");
        }
    }

    #[test]
    fn finishing_a_poll_forgets_resolved_alerts_that_left_the_window() {
        let overlap = TimeDelta::minutes(10);
        let mut s = State::new(SourceKind::Graph, t(0), false);
        s.apply(id("open-old"), Some(tracked(AlertStatus::Active, Some(1))));
        s.apply(
            id("open-none"),
            Some(tracked(AlertStatus::Investigating, None)),
        );
        s.apply(
            id("resolved-old"),
            Some(tracked(AlertStatus::Resolved, Some(5))),
        );
        s.apply(
            id("resolved-none"),
            Some(tracked(AlertStatus::Resolved, None)),
        );
        s.apply(
            id("resolved-recent"),
            Some(tracked(AlertStatus::Resolved, Some(25))),
        );
        s.finish_poll(
            Tail {
                high_water_mark: Some(t(30)),
                swept_at: Some(t(31)),
                ..Tail::default()
            },
            overlap,
        );
        assert_eq!(s.floor(overlap), t(20));
        let left: Vec<&str> = s.alerts.keys().map(|k| k.as_str()).collect();
        assert_eq!(left, ["open-none", "open-old", "resolved-recent"]);
        assert_eq!((s.polls, s.sweeps, s.last_sweep), (1, 1, Some(t(31))));
        // The mark never goes back.
        s.finish_poll(
            Tail {
                high_water_mark: Some(t(2)),
                ..Tail::default()
            },
            overlap,
        );
        assert_eq!(s.high_water_mark, Some(t(30)));
        assert_eq!(s.sweeps, 1);
    }
}
