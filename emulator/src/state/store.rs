//! The store: the alerts in listing order, indexed by Graph id, Partner Center event id and
//! subscription, with the Partner Center names kept in step with each alert's ids.

use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use partner_alerts::{Alert, AlertId};

use super::file::{FORMAT, Snapshot, StateFile};
use crate::generate::Generator;
use crate::partner_center::SavedActions;
use crate::record::{Record, Rendered};
use crate::rng::SplitMix64;

/// The alerts, in listing order, with both ids indexed.
#[derive(Debug, Default)]
pub(crate) struct Store {
    /// Shared with state-file snapshots; a change copies only the record it changes, and
    /// only while a snapshot holds it.
    records: Vec<Arc<Record>>,
    by_id: HashMap<AlertId, usize>,
    by_event: HashMap<AlertId, usize>,
    /// Positions (ascending) by lower-cased subscription id, for Partner Center's
    /// per-subscription list and status update.
    by_subscription: HashMap<String, Vec<usize>>,
    next_seq: u64,
    /// The generator index of the next raised alert.
    pub next_index: u64,
    /// Bumped on every change; orders the state file writes.
    pub version: u64,
}

/// A Partner Center event id for an alert that did not come from the generator: its
/// subscription and a GUID derived from its Graph id, so the mapping is stable.
pub(crate) fn derive_event_id(alert: &Alert) -> AlertId {
    // FNV-1a of the id seeds the GUID.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in alert.id.as_str().bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let guid = SplitMix64::new(h).guid();
    let sub = alert
        .subscription_id
        .as_ref()
        .map_or(NO_SUBSCRIPTION, |s| s.as_str());
    AlertId::new(format!("{sub}_{guid}"))
        .unwrap_or_else(|_| AlertId::new(guid).expect("a GUID is a valid id"))
}

impl Store {
    /// `count` generated alerts, in detection order.
    pub(crate) fn generate(generator: &Generator, count: usize, now: DateTime<Utc>) -> Store {
        let mut records: Vec<Record> = (0..count as u64)
            .map(|i| generator.record(i, now, false))
            .collect();
        records.sort_by_key(|r| r.alert.detected_date_time);
        let mut store = Store {
            next_index: count as u64,
            ..Store::default()
        };
        for r in records {
            store.push(r);
        }
        store
    }

    /// Loads a state file: the store, the seed and the response actions' state; `Ok(None)`
    /// when there is none.
    pub(crate) fn load(path: &Path) -> io::Result<Option<(Store, u64, SavedActions)>> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let file: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("state file {} is not valid: {e}", path.display()),
            )
        })?;
        if file.format != FORMAT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "state file {} has format {}; this emulator reads format {FORMAT}",
                    path.display(),
                    file.format
                ),
            ));
        }
        let mut store = Store {
            next_index: file.next_index,
            ..Store::default()
        };
        let mut records = file.records;
        records.sort_by_key(|r| r.seq);
        for r in records {
            if store.by_id.contains_key(&r.alert.id) || store.by_event.contains_key(&r.event_id) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "state file {} holds alert {} twice",
                        path.display(),
                        r.alert.id
                    ),
                ));
            }
            store.next_seq = store.next_seq.max(r.seq);
            store.push_with_seq(r);
        }
        Ok(Some((store, file.seed, file.actions)))
    }

    /// What the state file needs, taken cheaply (the records are shared, not copied) so
    /// that serialising and writing happen outside the lock.
    pub(crate) fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: self.version,
            next_index: self.next_index,
            records: self.records.clone(),
            actions: SavedActions::default(),
        }
    }

    fn push(&mut self, mut r: Record) {
        self.next_seq += 1;
        r.seq = self.next_seq;
        self.push_with_seq(r);
    }

    fn push_with_seq(&mut self, r: Record) {
        // A generated id clash is astronomically unlikely; skip rather than corrupt indexes.
        if self.by_id.contains_key(&r.alert.id) || self.by_event.contains_key(&r.event_id) {
            return;
        }
        let i = self.records.len();
        self.by_id.insert(r.alert.id.clone(), i);
        self.by_event.insert(r.event_id.clone(), i);
        if let Some(sub) = subscription_key(&r.alert) {
            // Positions only grow here, so the list stays sorted.
            self.by_subscription.entry(sub).or_default().push(i);
        }
        self.records.push(Arc::new(r));
    }

    /// Every record in listing order.
    pub(crate) fn records(&self) -> &[Arc<Record>] {
        &self.records
    }

    /// The position of the first record listed after `seq` (records are in `seq` order).
    pub(crate) fn position_after(&self, seq: u64) -> usize {
        self.records.partition_point(|r| r.seq <= seq)
    }

    /// The record of a Graph id.
    pub(crate) fn get(&self, id: &AlertId) -> Option<&Record> {
        self.by_id.get(id).map(|i| &*self.records[*i])
    }

    /// The position of a Graph id.
    pub(crate) fn index_of(&self, id: &AlertId) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The position of a Partner Center event id.
    pub(crate) fn index_of_event(&self, event_id: &AlertId) -> Option<usize> {
        self.by_event.get(event_id).copied()
    }

    /// The record at a position.
    pub(crate) fn at(&self, i: usize) -> &Record {
        &self.records[i]
    }

    /// The positions of a subscription's alerts, in listing order (its id in any case).
    pub(crate) fn positions_in_subscription(&self, subscription: &str) -> &[usize] {
        self.by_subscription
            .get(&subscription.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Adds a new record (a raised alert) last.
    pub(crate) fn insert_record(&mut self, r: Record) {
        self.version += 1;
        self.push(r);
    }

    /// Adds `alert`, or replaces the alert with the same Graph id, which keeps its place;
    /// returns the replaced alert. A new alert's event id is `<subscriptionId>_<GUID derived
    /// from its id>`; names come from the directory.
    pub(crate) fn upsert(&mut self, alert: Alert, g: &Generator) -> Option<Alert> {
        self.version += 1;
        match self.index_of(&alert.id) {
            Some(i) => {
                let old = std::mem::replace(&mut Arc::make_mut(&mut self.records[i]).alert, alert);
                self.rederive(i, &Keys::of(&old), g);
                Some(old)
            }
            None => {
                let names = Keys::default().names_for(&alert, g);
                self.push(Record {
                    seq: 0,
                    event_id: derive_event_id(&alert),
                    customer_name: names.customer,
                    reseller_name: names.reseller,
                    subscription_name: names.subscription,
                    alert,
                    rendered: Rendered::default(),
                });
                None
            }
        }
    }

    /// Changes the alert at a position with `f` (its id cannot change), keeping the Partner
    /// Center names, the event id and the subscription index in step with its ids.
    pub(crate) fn modify(
        &mut self,
        i: usize,
        g: &Generator,
        f: impl FnOnce(&mut Alert),
    ) -> &Record {
        self.version += 1;
        let before = Keys::of(&self.records[i].alert);
        let rec = Arc::make_mut(&mut self.records[i]);
        let id = rec.alert.id.clone();
        f(&mut rec.alert);
        rec.alert.id = id;
        self.rederive(i, &before, g);
        &self.records[i]
    }

    /// Brings what derives from the alert's customer, reseller and subscription up to date
    /// after they changed from `before`.
    fn rederive(&mut self, i: usize, before: &Keys, g: &Generator) {
        let rec = Arc::make_mut(&mut self.records[i]);
        // Every change of an alert passes here: its cached JSON is stale.
        rec.rendered = Rendered::default();
        let names = before.names_for(&rec.alert, g);
        if names.customer_changed {
            rec.customer_name = names.customer;
        }
        if names.reseller_changed {
            rec.reseller_name = names.reseller;
        }
        if !names.subscription_changed {
            return;
        }
        rec.subscription_name = names.subscription;
        // The event id is `<subscriptionId>_<entity>`: it follows the subscription, keeping
        // its entity part, so the Partner Center view stays self-consistent.
        let entity = rec
            .event_id
            .as_str()
            .split_once('_')
            .map_or(rec.event_id.as_str(), |(_, e)| e);
        let sub = rec
            .alert
            .subscription_id
            .as_ref()
            .map_or(NO_SUBSCRIPTION, |s| s.as_str());
        if let Ok(new_event) = AlertId::new(format!("{sub}_{entity}"))
            && !self.by_event.contains_key(&new_event)
        {
            self.by_event.remove(&rec.event_id);
            self.by_event.insert(new_event.clone(), i);
            rec.event_id = new_event;
        }
        let after = subscription_key(&rec.alert);
        if let Some(old) = &before.subscription_key
            && let Some(list) = self.by_subscription.get_mut(old)
        {
            if let Ok(at) = list.binary_search(&i) {
                list.remove(at);
            }
            if list.is_empty() {
                self.by_subscription.remove(old);
            }
        }
        if let Some(new) = after {
            let list = self.by_subscription.entry(new).or_default();
            if let Err(at) = list.binary_search(&i) {
                list.insert(at, i);
            }
        }
    }
}

const NO_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000000";

/// The key of an alert's subscription in the subscription index.
fn subscription_key(alert: &Alert) -> Option<String> {
    alert
        .subscription_id
        .as_ref()
        .map(|s| s.as_str().to_ascii_lowercase())
}

/// The ids the Partner Center names and the subscription index derive from.
#[derive(Default)]
struct Keys {
    customer: Option<String>,
    reseller: Option<String>,
    subscription: Option<String>,
    subscription_key: Option<String>,
}

/// Freshly derived names, and which ids changed.
struct Names {
    customer: Option<String>,
    reseller: Option<String>,
    subscription: Option<String>,
    customer_changed: bool,
    reseller_changed: bool,
    subscription_changed: bool,
}

impl Keys {
    fn of(alert: &Alert) -> Keys {
        Keys {
            customer: alert
                .customer_tenant_id
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            reseller: alert
                .value_added_reseller_tenant_id
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            subscription: alert
                .subscription_id
                .as_ref()
                .map(|s| s.as_str().to_owned()),
            subscription_key: subscription_key(alert),
        }
    }

    /// The names for `alert`, looked up only for the ids that differ from these (a
    /// directory lookup is a scan).
    fn names_for(&self, alert: &Alert, g: &Generator) -> Names {
        let changed = |old: &Option<String>, new: Option<&str>| old.as_deref() != new;
        let customer_changed = changed(
            &self.customer,
            alert.customer_tenant_id.as_ref().map(|t| t.as_str()),
        );
        let reseller_changed = changed(
            &self.reseller,
            alert
                .value_added_reseller_tenant_id
                .as_ref()
                .map(|t| t.as_str()),
        );
        let subscription_changed = changed(
            &self.subscription,
            alert.subscription_id.as_ref().map(|s| s.as_str()),
        );
        Names {
            customer: customer_changed
                .then(|| {
                    alert
                        .customer_tenant_id
                        .as_ref()
                        .and_then(|t| g.customer_name(t))
                })
                .flatten(),
            reseller: reseller_changed
                .then(|| {
                    alert
                        .value_added_reseller_tenant_id
                        .as_ref()
                        .and_then(|t| g.reseller_name(t))
                })
                .flatten(),
            subscription: subscription_changed
                .then(|| {
                    alert
                        .subscription_id
                        .as_ref()
                        .and_then(|s| g.subscription_name(s))
                })
                .flatten(),
            customer_changed,
            reseller_changed,
            subscription_changed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_event_ids_are_stable() {
        let mut a = Alert::new(AlertId::new("abc").unwrap());
        a.subscription_id = Some("5f6e6521-6e5f-4b0b-80aa-bd44fad7a398".parse().unwrap());
        let e = derive_event_id(&a);
        assert_eq!(e, derive_event_id(&a));
        assert!(
            e.as_str()
                .starts_with("5f6e6521-6e5f-4b0b-80aa-bd44fad7a398_")
        );
    }
}
