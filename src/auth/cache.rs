use std::fmt;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, TimeDelta, Utc};

use super::{Scope, Secret, TokenProvider};
use crate::error::AuthError;

/// How long before expiry a token is replaced (less for tokens that live under ten minutes).
const REFRESH_BEFORE: TimeDelta = TimeDelta::minutes(5);

/// After a failed refresh, how long the still-valid token is used before the provider is
/// asked again (rather than on every call).
const RETRY_REFRESH_AFTER: TimeDelta = TimeDelta::seconds(10);

#[derive(Clone)]
struct Cached {
    token: Secret,
    expires_at: DateTime<Utc>,
    refresh_at: DateTime<Utc>,
    generation: u64,
}

/// One client's token: reused until shortly before expiry, fetched by one caller at a time
/// however many wait, dropped on a 401.
pub(crate) struct TokenCache {
    provider: Arc<dyn TokenProvider>,
    scope: Scope,
    slot: RwLock<Option<Cached>>,
    refresh: tokio::sync::Mutex<Refresh>,
}

/// What the last fetch did, so that callers queued behind a failed fetch share its error
/// instead of each asking the provider again.
#[derive(Default)]
struct Refresh {
    generation: u64,
    attempts: u64,
    /// The attempt that failed last, its error, and when.
    last_error: Option<(u64, AuthError, DateTime<Utc>)>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("provider", &self.provider)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A token handed out, with the generation to name when invalidating it.
pub(crate) struct Lease {
    pub(crate) token: Secret,
    pub(crate) generation: u64,
}

impl TokenCache {
    pub(crate) fn new(provider: Arc<dyn TokenProvider>, scope: Scope) -> Self {
        TokenCache {
            provider,
            scope,
            slot: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(Refresh::default()),
        }
    }

    /// The cached token if it is not yet due for refresh.
    fn fresh(&self, now: DateTime<Utc>) -> Option<Lease> {
        self.cached(|c| now < c.refresh_at)
    }

    /// The cached token if it has not expired (due for refresh or not).
    fn valid(&self, now: DateTime<Utc>) -> Option<Lease> {
        self.cached(|c| now < c.expires_at)
    }

    fn cached(&self, keep: impl FnOnce(&Cached) -> bool) -> Option<Lease> {
        let slot = self.slot.read().unwrap_or_else(|p| p.into_inner());
        slot.as_ref().filter(|c| keep(c)).map(|c| Lease {
            token: c.token.clone(),
            generation: c.generation,
        })
    }

    pub(crate) async fn get(&self) -> Result<Lease, AuthError> {
        if let Some(lease) = self.fresh(Utc::now()) {
            return Ok(lease);
        }
        let attempts_seen = self.refresh.try_lock().map(|r| r.attempts).ok();
        let mut refresh = self.refresh.lock().await;
        // Whoever held the lock before us may have refreshed already, or failed to.
        let now = Utc::now();
        if let Some(lease) = self.fresh(now) {
            return Ok(lease);
        }
        if let Some((attempt, e, failed_at)) = &refresh.last_error {
            if attempts_seen.is_none_or(|seen| *attempt > seen) {
                // The fetch we queued behind failed: keep using the current token while valid.
                return self.valid(now).ok_or_else(|| e.clone());
            }
            if now - *failed_at < RETRY_REFRESH_AFTER
                && let Some(lease) = self.valid(now)
            {
                return Ok(lease);
            }
        }
        refresh.attempts += 1;
        match self.provider.token(&self.scope).await {
            Ok(t) => {
                refresh.generation += 1;
                refresh.last_error = None;
                let lifetime = t.expires_at - now;
                let margin = REFRESH_BEFORE.min(lifetime / 2).max(TimeDelta::zero());
                let cached = Cached {
                    token: t.token,
                    expires_at: t.expires_at,
                    refresh_at: t
                        .expires_at
                        .checked_sub_signed(margin)
                        .unwrap_or(t.expires_at),
                    generation: refresh.generation,
                };
                let lease = Lease {
                    token: cached.token.clone(),
                    generation: cached.generation,
                };
                *self.slot.write().unwrap_or_else(|p| p.into_inner()) = Some(cached);
                Ok(lease)
            }
            Err(e) => {
                refresh.last_error = Some((refresh.attempts, e.clone(), Utc::now()));
                // A failed refresh keeps the current token while it is still valid; say so,
                // or the first sign of a broken credential is its expiry.
                let Some(lease) = self.valid(now) else {
                    tracing::debug!(error = %e, "the token fetch failed");
                    return Err(e);
                };
                tracing::warn!(
                    error = %e,
                    "the token refresh failed; the cached token is used until it expires"
                );
                Ok(lease)
            }
        }
    }

    /// Drops the token of `generation` (the service refused it), unless a newer one replaced it.
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.write().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|c| c.generation == generation) {
            *slot = None;
        }
    }
}
