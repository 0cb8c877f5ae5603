//! The enricher's cache: bounded (second-chance "clock" eviction), each entry with its own
//! lifetime, and one fetch in flight per key (the callers that ask for a key being fetched
//! wait for that fetch and share its answer, error included). An error is kept for the
//! cache's failure lifetime only (zero: not at all), so a directory that is down costs one
//! attempt per key and per period, not one per alert.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::Error;

/// Where the enricher reads the time for its cache lifetimes: the system's monotonic clock,
/// or one a test moves by hand.
///
/// ```
/// use std::sync::Mutex;
/// use std::time::{Duration, Instant};
/// use partner_alerts::enrich::Clock;
///
/// #[derive(Debug)]
/// struct Manual(Mutex<Instant>);
/// impl Clock for Manual {
///     fn now(&self) -> Instant {
///         *self.0.lock().unwrap()
///     }
/// }
/// let clock = Manual(Mutex::new(Instant::now()));
/// *clock.0.lock().unwrap() += Duration::from_secs(3600);
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock ([`Instant::now`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

type Flight<V> = Arc<OnceCell<Result<V, Arc<Error>>>>;

enum Slot<V> {
    Ready {
        value: V,
        loaded: Instant,
        expires: Instant,
        /// Read since the clock hand last passed (second chance).
        referenced: bool,
    },
    Pending(Flight<V>),
    Failed {
        error: Arc<Error>,
        expires: Instant,
    },
}

struct State<K, V> {
    map: HashMap<K, Slot<V>>,
    /// The clock's ring of keys, oldest first.
    ring: VecDeque<K>,
}

/// A value with the time it was fetched.
#[derive(Clone, Debug)]
pub(crate) struct Cached<V> {
    pub(crate) value: V,
    pub(crate) loaded: Instant,
}

pub(crate) struct Cache<K, V> {
    state: Mutex<State<K, V>>,
    capacity: usize,
    clock: Arc<dyn Clock>,
    failure_ttl: Duration,
}

impl<K, V> fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("len", &self.lock().map.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl<K, V> Cache<K, V> {
    fn lock(&self) -> MutexGuard<'_, State<K, V>> {
        // The lock guards no invariant a panic could break halfway.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    /// A cache of at most `capacity` keys (at least 1) that keeps errors for `failure_ttl`.
    pub(crate) fn new(capacity: usize, clock: Arc<dyn Clock>, failure_ttl: Duration) -> Self {
        Cache {
            state: Mutex::new(State {
                map: HashMap::new(),
                ring: VecDeque::new(),
            }),
            capacity: capacity.max(1),
            clock,
            failure_ttl,
        }
    }

    /// The value of `key`: kept, being fetched (then that fetch's answer), or fetched now
    /// with `fetch` and kept for `ttl(&value)`.
    pub(crate) async fn get_or_fetch<F>(
        &self,
        key: &K,
        ttl: impl FnOnce(&V) -> Duration,
        fetch: F,
    ) -> Result<Cached<V>, Arc<Error>>
    where
        F: Future<Output = Result<V, Arc<Error>>>,
    {
        let flight = {
            let now = self.clock.now();
            let mut state = self.lock();
            match state.map.get_mut(key) {
                Some(Slot::Ready {
                    value,
                    loaded,
                    expires,
                    referenced,
                }) if now < *expires => {
                    *referenced = true;
                    return Ok(Cached {
                        value: value.clone(),
                        loaded: *loaded,
                    });
                }
                Some(Slot::Pending(flight)) => flight.clone(),
                Some(Slot::Failed { error, expires }) if now < *expires => {
                    return Err(error.clone());
                }
                expired => {
                    let known = expired.is_some();
                    let flight: Flight<V> = Arc::new(OnceCell::new());
                    if !known {
                        self.make_room(&mut state);
                        state.ring.push_back(key.clone());
                    }
                    state.map.insert(key.clone(), Slot::Pending(flight.clone()));
                    flight
                }
            }
        };
        // Whoever gets here first fetches; if it is cancelled, the next waiter does.
        let answer = flight.get_or_init(|| fetch).await.clone();
        let now = self.clock.now();
        let mut state = self.lock();
        let ours = matches!(state.map.get(key), Some(Slot::Pending(f)) if Arc::ptr_eq(f, &flight));
        match &answer {
            Ok(value) if ours => {
                let expires = now + ttl(value);
                state.map.insert(
                    key.clone(),
                    Slot::Ready {
                        value: value.clone(),
                        loaded: now,
                        expires,
                        referenced: false,
                    },
                );
            }
            Err(error) if ours && !self.failure_ttl.is_zero() => {
                let failed = Slot::Failed {
                    error: error.clone(),
                    expires: now + self.failure_ttl,
                };
                state.map.insert(key.clone(), failed);
            }
            Err(_) if ours => {
                state.map.remove(key);
                state.ring.retain(|k| k != key);
            }
            _ => {}
        }
        answer.map(|value| Cached { value, loaded: now })
    }

    /// Forgets `key` unless it is being fetched (a fetch under way is as fresh as it gets).
    pub(crate) fn invalidate(&self, key: &K) {
        let mut state = self.lock();
        if matches!(
            state.map.get(key),
            Some(Slot::Ready { .. } | Slot::Failed { .. })
        ) {
            state.map.remove(key);
            state.ring.retain(|k| k != key);
        }
    }

    /// Evicts one entry when full: the hand passes over the ring, giving entries read since
    /// its last pass a second chance and never evicting one being fetched; an expired entry
    /// goes at once.
    fn make_room(&self, state: &mut State<K, V>) {
        if state.map.len() < self.capacity {
            return;
        }
        let now = self.clock.now();
        // Two passes are enough: the first clears every second chance.
        for _ in 0..2 * state.ring.len() + 1 {
            let Some(key) = state.ring.pop_front() else {
                return;
            };
            match state.map.get_mut(&key) {
                None => {}
                Some(Slot::Pending(_)) => state.ring.push_back(key),
                Some(Slot::Ready {
                    referenced,
                    expires,
                    ..
                }) if *referenced && now < *expires => {
                    *referenced = false;
                    state.ring.push_back(key);
                }
                Some(Slot::Ready { .. } | Slot::Failed { .. }) => {
                    state.map.remove(&key);
                    return;
                }
            }
        }
    }

    /// How many keys are held (kept or being fetched).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::InvalidInput;

    #[derive(Debug)]
    struct Manual(Mutex<Instant>);

    impl Clock for Manual {
        fn now(&self) -> Instant {
            *self.0.lock().unwrap()
        }
    }

    impl Manual {
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn values_live_for_their_own_lifetime() {
        let clock = Arc::new(Manual(Mutex::new(Instant::now())));
        let cache: Cache<u32, Option<&str>> = Cache::new(10, clock.clone(), Duration::ZERO);
        let fetches = AtomicUsize::new(0);
        // Found values for an hour, "not found" for ten minutes.
        let ttl = |v: &Option<&str>| {
            if v.is_some() {
                60 * MINUTE
            } else {
                10 * MINUTE
            }
        };
        let get = |k: u32| {
            let fetches = &fetches;
            let cache = &cache;
            async move {
                cache
                    .get_or_fetch(&k, ttl, async move {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        Ok((k == 1).then_some("one"))
                    })
                    .await
                    .unwrap()
                    .value
            }
        };
        assert_eq!(get(1).await, Some("one"));
        assert_eq!(get(2).await, None);
        assert_eq!(get(1).await, Some("one"));
        assert_eq!(get(2).await, None);
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
        clock.advance(11 * MINUTE);
        get(1).await;
        get(2).await;
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            3,
            "only the negative answer expired"
        );
        clock.advance(50 * MINUTE);
        get(1).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn one_fetch_in_flight_per_key_and_errors_are_shared_not_kept() {
        let cache: Arc<Cache<u32, u32>> =
            Arc::new(Cache::new(10, Arc::new(SystemClock), Duration::ZERO));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = tokio::sync::watch::channel(false);
        let waiters: Vec<_> = (0..20)
            .map(|_| {
                let (cache, fetches, mut rx) = (cache.clone(), fetches.clone(), rx.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_fetch(&7, |_| MINUTE, async move {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            let _ = rx.wait_for(|go| *go).await;
                            Err::<u32, _>(Arc::new(InvalidInput::new("test", "failed").into()))
                        })
                        .await
                })
            })
            .collect();
        tokio::task::yield_now().await;
        tx.send(true).unwrap();
        for w in waiters {
            assert!(w.await.unwrap().is_err());
        }
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            1,
            "one fetch for twenty callers"
        );
        assert_eq!(cache.len(), 0, "the error is not kept");
        let v = cache
            .get_or_fetch(&7, |_| MINUTE, async { Ok(5) })
            .await
            .unwrap();
        assert_eq!(v.value, 5);
    }

    #[tokio::test]
    async fn the_cache_stays_within_its_capacity_and_keeps_what_is_read() {
        let cache: Cache<u32, u32> = Cache::new(3, Arc::new(SystemClock), Duration::ZERO);
        for k in 0..3 {
            cache
                .get_or_fetch(&k, |_| MINUTE, async move { Ok(k) })
                .await
                .unwrap();
        }
        // Key 0 is read again: it gets a second chance, key 1 goes.
        cache
            .get_or_fetch(&0, |_| MINUTE, async { Ok(99) })
            .await
            .unwrap();
        cache
            .get_or_fetch(&3, |_| MINUTE, async { Ok(3) })
            .await
            .unwrap();
        assert_eq!(cache.len(), 3);
        let zero = cache
            .get_or_fetch(&0, |_| MINUTE, async { Ok(99) })
            .await
            .unwrap();
        assert_eq!(zero.value, 0, "kept");
        let one = cache
            .get_or_fetch(&1, |_| MINUTE, async { Ok(11) })
            .await
            .unwrap();
        assert_eq!(one.value, 11, "evicted and fetched again");
        for k in 10..100 {
            cache
                .get_or_fetch(&k, |_| MINUTE, async move { Ok(k) })
                .await
                .unwrap();
        }
        assert_eq!(cache.len(), 3);
    }

    #[tokio::test]
    async fn errors_are_kept_for_the_failure_lifetime() {
        let clock = Arc::new(Manual(Mutex::new(Instant::now())));
        let cache: Cache<u32, u32> = Cache::new(10, clock.clone(), 30 * Duration::from_secs(1));
        let failing =
            || async { Err::<u32, _>(Arc::new(InvalidInput::new("test", "down").into())) };
        assert!(cache.get_or_fetch(&1, |_| MINUTE, failing()).await.is_err());
        // Kept: this fetch is not made.
        assert!(
            cache
                .get_or_fetch(&1, |_| MINUTE, async { Ok(1) })
                .await
                .is_err()
        );
        clock.advance(Duration::from_secs(31));
        let v = cache
            .get_or_fetch(&1, |_| MINUTE, async { Ok(1) })
            .await
            .unwrap();
        assert_eq!(v.value, 1);
    }

    #[tokio::test]
    async fn invalidated_keys_are_fetched_again() {
        let cache: Cache<u32, u32> = Cache::new(3, Arc::new(SystemClock), Duration::ZERO);
        cache
            .get_or_fetch(&1, |_| MINUTE, async { Ok(1) })
            .await
            .unwrap();
        cache.invalidate(&1);
        let v = cache
            .get_or_fetch(&1, |_| MINUTE, async { Ok(2) })
            .await
            .unwrap();
        assert_eq!(v.value, 2);
    }
}
