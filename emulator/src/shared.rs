//! The state the handlers and the [`Emulator`](crate::Emulator) handle share: the store, the
//! clock, faults, the quirks in force, the counters and the state file's writer.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard, RwLock};

use chrono::{DateTime, Utc};
use partner_alerts::{Alert, AlertId, AlertStatus, ResolvedReason, Severity};

use crate::fault::FaultState;
use crate::generate::Generator;
use crate::quirks::{COLLEAGUE_UPN, Quirks};
use crate::rng::{SplitMix64, derive};
use crate::state::{StateWriter, Store, change_status, to_ticks};
use crate::stats::{Counters, bump};

/// Everything the handlers and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    /// Readers (listings, gets) share it; only changes take it alone.
    pub store: RwLock<Store>,
    pub generator: Generator,
    /// A fixed "now", or `None` for the system clock.
    pub clock: RwLock<Option<DateTime<Utc>>>,
    pub faults: Mutex<FaultState>,
    /// The quirks in force; the counting ones count down here.
    pub quirk_state: Mutex<Quirks>,
    pub stats: Counters,
    pub page_size: usize,
    /// The state file's writer, when there is a state file.
    pub writer: Option<StateWriter>,
    pub local_addr: SocketAddr,
    /// The draws of [`Quirks::shuffled_batch_responses`].
    pub shuffle_rng: Mutex<SplitMix64>,
    /// The draws of the random changes ([`Shared::change_random_alert`]).
    pub change_rng: Mutex<SplitMix64>,
    /// The webhook registration, certificates and callbacks.
    pub webhooks: crate::webhooks::Webhooks,
    /// The state of the Partner Center response actions (entitlements cancelled,
    /// subscriptions suspended).
    pub actions: crate::partner_center::Actions,
}

/// The generators of the shuffles and of the random changes, from the data seed (each its
/// own stream, so that neither shifts the other or the fault draws).
pub(crate) fn draws(seed: u64) -> (Mutex<SplitMix64>, Mutex<SplitMix64>) {
    (
        Mutex::new(derive(seed, 0x0005_4ff1)),
        Mutex::new(derive(seed, 0x000c_4a9e)),
    )
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not take the emulator down with it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The emulator's "now", in whole 100 ns ticks as Graph stamps times.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        to_ticks(
            self.clock
                .read()
                .map(|c| *c)
                .unwrap_or_else(|e| *e.into_inner())
                .unwrap_or_else(Utc::now),
        )
    }

    /// Reads the store.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&Store) -> R) -> R {
        // A panic elsewhere must not take the emulator down with it.
        f(&self.store.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Changes the store and, when something changed and a state file is set, wakes its
    /// writer (the write happens in the background, outside the lock).
    pub(crate) fn write<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        let (r, changed) = {
            let mut store = self.store.write().unwrap_or_else(|e| e.into_inner());
            let before = store.version;
            let r = f(&mut store);
            (r, store.version != before)
        };
        if let (Some(w), true) = (&self.writer, changed) {
            w.changed();
        }
        r
    }

    /// The response actions' state changed: wakes the state file's writer, if any.
    pub(crate) fn state_changed(&self) {
        if let Some(w) = &self.writer {
            w.changed();
        }
    }

    /// Writes the state file now if it does not hold the current state yet; blocks. Errors
    /// are counted and logged (a test would rather see a stale file than a panic).
    pub(crate) fn flush_state(&self) {
        let Some(w) = &self.writer else {
            return;
        };
        // Cheap under the lock; serialising and writing happen after it is released. The
        // actions' state is taken under the store's lock too, so that of two snapshots the
        // later never holds an older store or older actions (their versions add up).
        let snapshot = self.read(|s| s.snapshot().with_actions(self.actions.saved()));
        if w.persister.has(snapshot.version()) {
            return;
        }
        let bytes = snapshot.to_file_bytes(self.generator.seed());
        match w.persister.write(snapshot.version(), &bytes) {
            Ok(true) => bump(&self.stats.state_writes),
            Ok(false) => {}
            Err(e) => {
                bump(&self.stats.state_write_errors);
                tracing::error!(error = %e, "writing the emulator's state file failed");
            }
        }
    }

    pub(crate) fn faults(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.faults)
    }

    /// Raises a new alert as the service would: the next in the seed's sequence, detected
    /// now, active, listed last.
    pub(crate) fn raise_alert(&self) -> Alert {
        let now = self.now();
        let g = &self.generator;
        let alert = self.write(|s| {
            let record = g.record(s.next_index, now, true);
            s.next_index += 1;
            let alert = record.alert.clone();
            s.insert_record(record);
            alert
        });
        // Partner Center pushes the new alert to a registered webhook.
        self.webhooks.alert_raised(&alert, now);
        alert
    }

    /// The order to serve `n` batch responses in: a seeded permutation of `0..n`, never
    /// the identity when `n >= 2`.
    pub(crate) fn shuffled_order(&self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = lock(&self.shuffle_rng);
        for i in (1..n).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        if n >= 2 && order.iter().enumerate().all(|(i, j)| i == *j) {
            order.rotate_left(1);
        }
        order
    }

    /// Changes one alert as the service or a colleague in the portal would, chosen with the
    /// change generator: four times in five (while some alert is open) an open alert's
    /// status (active to investigating or resolved, investigating to resolved, with a
    /// reason, by [`COLLEAGUE_UPN`]); otherwise any alert's `lastObservedDateTime` moves
    /// forward to now or its severity changes. `None` when there are no alerts.
    pub(crate) fn change_random_alert(&self) -> Option<Alert> {
        let now = self.now();
        let g = &self.generator;
        let mut rng = lock(&self.change_rng);
        let changed = self.write(|s| {
            let count = s.records().len();
            if count == 0 {
                return None;
            }
            let open: Vec<usize> = s
                .records()
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    matches!(
                        r.alert.status,
                        None | Some(AlertStatus::Active) | Some(AlertStatus::Investigating)
                    )
                })
                .map(|(i, _)| i)
                .collect();
            if !open.is_empty() && rng.below(5) < 4 {
                let i = *rng.pick(&open);
                let from = s.at(i).alert.status.clone();
                let (to, reason) = if from != Some(AlertStatus::Investigating) && rng.chance(0.5) {
                    (AlertStatus::Investigating, None)
                } else {
                    let reason = rng
                        .pick(&[
                            ResolvedReason::Legitimate,
                            ResolvedReason::Ignore,
                            ResolvedReason::Fraud,
                        ])
                        .clone();
                    (AlertStatus::Resolved, Some(reason))
                };
                let rec = s.modify(i, g, |a| change_status(a, to, reason, COLLEAGUE_UPN, now));
                return Some(rec.alert.clone());
            }
            let i = rng.below(count as u64) as usize;
            let observed_before_now = s
                .at(i)
                .alert
                .last_observed_date_time
                .is_none_or(|t| t < now);
            let rec = if observed_before_now && rng.chance(0.5) {
                s.modify(i, g, |a| a.last_observed_date_time = Some(now))
            } else {
                let current = s.at(i).alert.severity.clone();
                let others: Vec<Severity> = [
                    Severity::Informational,
                    Severity::Low,
                    Severity::Medium,
                    Severity::High,
                ]
                .into_iter()
                .filter(|v| Some(v) != current.as_ref())
                .collect();
                let to = rng.pick(&others).clone();
                s.modify(i, g, |a| a.severity = Some(to))
            };
            Some(rec.alert.clone())
        });
        if changed.is_some() {
            bump(&self.stats.random_changes);
        }
        changed
    }
}

// ---------------------------------------------------------------------------------------
// Serving the quirks

impl Shared {
    /// The quirks in force.
    pub(crate) fn quirks(&self) -> Quirks {
        self.quirk_state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces the quirks.
    pub(crate) fn set_quirks(&self, quirks: Quirks) {
        *self.quirk_state.lock().unwrap_or_else(|e| e.into_inner()) = quirks;
    }

    /// Counts down one served list answer whose alerts get resolved; whether this one does.
    pub(crate) fn take_resolved_page(&self) -> bool {
        let mut q = self.quirk_state.lock().unwrap_or_else(|e| e.into_inner());
        let take = q.resolve_served_pages > 0;
        q.resolve_served_pages -= usize::from(take);
        take
    }

    /// Counts down one applied write whose answer is lost; whether this one is.
    pub(crate) fn take_lost_answer(&self) -> bool {
        let mut q = self.quirk_state.lock().unwrap_or_else(|e| e.into_inner());
        let take = q.applied_then_500 > 0;
        q.applied_then_500 -= usize::from(take);
        if take {
            self.stats.lost_answers.fetch_add(1, Ordering::Relaxed);
        }
        take
    }

    /// Resolves the alerts of a served page that are not resolved yet, as a colleague in
    /// the portal would (reason `ignore`).
    pub(crate) fn resolve_as_colleague(&self, ids: &[AlertId], now: chrono::DateTime<chrono::Utc>) {
        let g = &self.generator;
        self.write(|s| {
            for id in ids {
                let Some(i) = s.index_of(id) else { continue };
                if s.at(i).alert.status == Some(AlertStatus::Resolved) {
                    continue;
                }
                s.modify(i, g, |a| {
                    change_status(
                        a,
                        AlertStatus::Resolved,
                        Some(ResolvedReason::Ignore),
                        COLLEAGUE_UPN,
                        now,
                    )
                });
            }
        });
        self.stats.resolved_pages.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn shared(alerts: usize) -> Shared {
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let generator = Generator::new(1);
        Shared {
            store: RwLock::new(Store::generate(&generator, alerts, now)),
            generator,
            clock: RwLock::new(Some(now)),
            faults: Mutex::new(FaultState::new(Default::default(), 1)),
            quirk_state: Default::default(),
            stats: Default::default(),
            page_size: 10,
            writer: None,
            local_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            shuffle_rng: draws(1).0,
            change_rng: draws(1).1,
            webhooks: crate::webhooks::Webhooks::new(SocketAddr::from(([127, 0, 0, 1], 0))),
            actions: crate::partner_center::Actions::new(
                std::time::Duration::ZERO,
                crate::partner_center::SavedActions::default(),
            ),
        }
    }

    #[test]
    fn shuffles_never_keep_the_order() {
        let shared = shared(1);
        for n in 0..30 {
            let order = shared.shuffled_order(n);
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, (0..n).collect::<Vec<_>>());
            if n >= 2 {
                assert!(order.iter().enumerate().any(|(i, j)| i != *j), "{n}");
            }
        }
    }

    #[test]
    fn random_changes_repeat_and_touch_one_alert() {
        let (a, b) = (shared(20), shared(20));
        for _ in 0..40 {
            let before = a.read(|s| s.records().to_vec());
            let x = a.change_random_alert().unwrap();
            let y = b.change_random_alert().unwrap();
            assert_eq!(x, y, "the same seed, the same changes");
            let after = a.read(|s| s.records().to_vec());
            let changed: Vec<_> = before
                .iter()
                .zip(&after)
                .filter(|(p, q)| p.alert != q.alert)
                .map(|(_, q)| q.alert.id.clone())
                .collect();
            assert_eq!(
                changed,
                std::slice::from_ref(&x.id),
                "exactly one alert, the one returned"
            );
        }
        assert_eq!(a.stats.snapshot().random_changes, 40);
        let empty = shared(0);
        assert_eq!(empty.change_random_alert(), None);
    }

    #[test]
    fn reads_do_not_wait_for_each_other() {
        let shared = shared(5);
        // Another thread reads while this one holds a read: with one lock for all (a
        // mutex), this would never finish.
        let n = shared.read(|_| {
            std::thread::scope(|s| {
                s.spawn(|| shared.read(|store| store.records().len()))
                    .join()
                    .unwrap()
            })
        });
        assert_eq!(n, 5);
    }
}
