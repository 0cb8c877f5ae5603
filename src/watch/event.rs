//! What the watcher yields: [`WatchEvent`], its [`EventKey`], the watched [`AlertState`] and
//! the [`ChangedField`]s.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::InvalidInput;
use crate::{Alert, AlertId, AlertStatus, ResolvedReason, Severity};

/// What happened to an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum EventKind {
    /// An alert the watcher did not know: detected since it started, an unresolved alert
    /// on the first run (see [`FirstRun`](super::FirstRun)), or an unresolved alert it had
    /// stopped tracking (reopened after being resolved, or found by a sweep although
    /// detected before the new-alert window).
    New,
    /// A known alert whose watched state ([`AlertState`]) changed.
    Changed,
}

/// The properties the watcher compares: a change to any of them is a
/// [`EventKind::Changed`] event. Serialised as in [`Alert`] (camelCase, absent when `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct AlertState {
    /// `status`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<AlertStatus>,
    /// `resolvedReason`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_reason: Option<ResolvedReason>,
    /// `lastObservedDateTime`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_observed_date_time: Option<DateTime<Utc>>,
    /// `severity`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

impl AlertState {
    /// The watched properties of `alert`.
    ///
    /// ```
    /// use partner_alerts::watch::AlertState;
    /// use partner_alerts::{Alert, AlertId, AlertStatus};
    ///
    /// let mut alert = Alert::new(AlertId::new("a1")?);
    /// alert.status = Some(AlertStatus::Investigating);
    /// let state = AlertState::of(&alert);
    /// assert_eq!(state.status, Some(AlertStatus::Investigating));
    /// assert!(state.is_open());
    /// # Ok::<(), partner_alerts::InvalidInput>(())
    /// ```
    pub fn of(alert: &Alert) -> Self {
        AlertState {
            status: alert.status.clone(),
            resolved_reason: alert.resolved_reason.clone(),
            last_observed_date_time: alert.last_observed_date_time,
            severity: alert.severity.clone(),
        }
    }

    /// Whether the alert is in the unresolved set the watcher sweeps: its status is anything
    /// but `resolved` (no status counts as unresolved, as `status ne 'resolved'` matches it).
    pub fn is_open(&self) -> bool {
        self.status != Some(AlertStatus::Resolved)
    }

    /// The fields whose values differ from `other`'s, in a fixed order.
    pub fn changes_from(&self, other: &AlertState) -> Vec<ChangedField> {
        let mut out = Vec::new();
        if self.status != other.status {
            out.push(ChangedField::Status);
        }
        if self.resolved_reason != other.resolved_reason {
            out.push(ChangedField::ResolvedReason);
        }
        if self.last_observed_date_time != other.last_observed_date_time {
            out.push(ChangedField::LastObservedDateTime);
        }
        if self.severity != other.severity {
            out.push(ChangedField::Severity);
        }
        out
    }
}

/// One watched property of an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ChangedField {
    /// `status`
    Status,
    /// `resolvedReason`
    ResolvedReason,
    /// `lastObservedDateTime`
    LastObservedDateTime,
    /// `severity`
    Severity,
}

impl ChangedField {
    /// The property's JSON name.
    pub fn name(self) -> &'static str {
        match self {
            ChangedField::Status => "status",
            ChangedField::ResolvedReason => "resolvedReason",
            ChangedField::LastObservedDateTime => "lastObservedDateTime",
            ChangedField::Severity => "severity",
        }
    }
}

impl fmt::Display for ChangedField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The identity of an event, stable across restarts and processes: the alert's id and the
/// version of the state the event reports, written `<id>@<16 hex digits>`. The same event
/// delivered twice (after a kill, see the [module docs](super#guarantees)) has the same key,
/// so a consumer can drop repeats by key.
///
/// The version is FNV-1a (64 bits) over a canonical encoding of the [`AlertState`], chained
/// with the previous version for a change (so a change back to an earlier state still has a
/// key of its own); it does not depend on the process, platform or Rust release.
///
/// ```
/// use partner_alerts::watch::EventKey;
///
/// let key: EventKey = "d8b202fc-a216-3404-69ef-bdffa445eff6@00ff00ff00ff00ff".parse()?;
/// assert_eq!(key.id().as_str(), "d8b202fc-a216-3404-69ef-bdffa445eff6");
/// assert_eq!(key.version(), 0x00ff_00ff_00ff_00ff);
/// assert_eq!(key.to_string(), "d8b202fc-a216-3404-69ef-bdffa445eff6@00ff00ff00ff00ff");
/// # Ok::<(), partner_alerts::InvalidInput>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    id: AlertId,
    version: u64,
}

impl EventKey {
    pub(super) fn new(id: AlertId, version: u64) -> Self {
        EventKey { id, version }
    }

    /// The alert's id.
    pub fn id(&self) -> &AlertId {
        &self.id
    }

    /// The version of the state the event reports.
    pub fn version(&self) -> u64 {
        self.version
    }
}

impl fmt::Display for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{:016x}", self.id, self.version)
    }
}

impl fmt::Debug for EventKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventKey({self})")
    }
}

impl FromStr for EventKey {
    type Err = InvalidInput;

    /// Parses `<id>@<16 hex digits>` (an id never holds `@`'s last occurrence's suffix: the
    /// version is what follows the last `@`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidInput::new("event key", "expected <alert id>@<16 hex digits>");
        let (id, version) = s.rsplit_once('@').ok_or_else(bad)?;
        if version.len() != 16 || !version.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let version = u64::from_str_radix(version, 16).map_err(|_| bad())?;
        Ok(EventKey {
            id: AlertId::new(id)?,
            version,
        })
    }
}

impl Serialize for EventKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A new or changed alert.
///
/// Serialised as one JSON object (camelCase), the shape the `partner-alerts watch` command
/// prints:
///
/// ```json
/// {"event": "changed", "key": "<id>@<version>", "alert": {"id": "...", "status": "resolved", ...},
///  "previous": {"status": "active", ...}, "changes": ["status", "resolvedReason"]}
/// ```
///
/// | Kind | `alert` | `previous` | `changes` |
/// |---|---|---|---|
/// | [`EventKind::New`] | the whole alert, as listed or read | `null` | `[]` |
/// | [`EventKind::Changed`] | the alert as the read that saw the change returned it: whole from a read of whole alerts (the new-alert read; FraudEvents' one listing), otherwise its id, `detectedDateTime` and the [`AlertState`] fields (what a sweep selects; [`AlertSource::get`](crate::AlertSource::get) reads the rest) | the state the watcher held | the fields that differ, at least one |
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WatchEvent {
    /// New or changed (`"event"` in JSON).
    #[serde(rename = "event")]
    pub kind: EventKind,
    /// The event's identity: the same event delivered again has the same key.
    pub key: EventKey,
    /// The alert as it is now (see the table above for what a change carries).
    pub alert: Alert,
    /// The watched state before the change; `None` for a new alert.
    pub previous: Option<AlertState>,
    /// Which watched fields changed; empty for a new alert.
    pub changes: Vec<ChangedField>,
}

impl WatchEvent {
    /// A [`EventKind::New`] event for an alert learnt of outside a watcher (a webhook
    /// receiver), keyed as a watcher keys an alert its new-alert read finds: the same alert
    /// in the same state has the same key whoever reports it, so a consumer of both drops
    /// the repeat.
    ///
    /// ```
    /// use partner_alerts::watch::{EventKind, WatchEvent};
    /// use partner_alerts::{Alert, AlertId};
    ///
    /// let e = WatchEvent::new_alert(Alert::new(AlertId::new("a1")?));
    /// assert_eq!(e.kind, EventKind::New);
    /// assert_eq!(e.key, WatchEvent::new_alert(Alert::new(AlertId::new("a1")?)).key);
    /// # Ok::<(), partner_alerts::InvalidInput>(())
    /// ```
    pub fn new_alert(alert: Alert) -> Self {
        let version = super::version::first(&AlertState::of(&alert));
        WatchEvent {
            kind: EventKind::New,
            key: EventKey::new(alert.id.clone(), version),
            alert,
            previous: None,
            changes: Vec::new(),
        }
    }

    /// The alert's watched state now.
    pub fn current(&self) -> AlertState {
        AlertState::of(&self.alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_reject_what_they_cannot_be() {
        let k = EventKey::new(AlertId::new("a@b").unwrap(), 0xabc);
        assert_eq!(k.to_string(), "a@b@0000000000000abc");
        assert_eq!(k.to_string().parse::<EventKey>().unwrap(), k);
        for bad in [
            "nope",
            "a@12",
            "a@000000000000000g",
            "@0000000000000001",
            "a/b@0000000000000001",
        ] {
            assert!(bad.parse::<EventKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_event_serialises_as_the_cli_prints_it() {
        let mut alert = Alert::new(AlertId::new("a1").unwrap());
        alert.status = Some(AlertStatus::Resolved);
        alert.resolved_reason = Some(ResolvedReason::Fraud);
        let previous = AlertState {
            status: Some(AlertStatus::Active),
            ..AlertState::default()
        };
        let changes = AlertState::of(&alert).changes_from(&previous);
        assert_eq!(
            changes,
            [ChangedField::Status, ChangedField::ResolvedReason]
        );
        let e = WatchEvent {
            kind: EventKind::Changed,
            key: EventKey::new(alert.id.clone(), 1),
            alert,
            previous: Some(previous),
            changes,
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "event": "changed",
                "key": "a1@0000000000000001",
                "alert": {"id": "a1", "status": "resolved", "resolvedReason": "fraud"},
                "previous": {"status": "active"},
                "changes": ["status", "resolvedReason"],
            })
        );
        let back: WatchEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
    }
}
