//! The settings every client builder has, in one place: both builders hold a [`Common`] and
//! get the same setters from [`builder_setters!`].

use std::fmt;
use std::sync::Arc;

use url::Url;

use super::Settings;
use crate::auth::{Scope, TokenCache, TokenProvider};
use crate::endpoint::validate_base_url;
use crate::error::{InvalidInput, Result};

/// Base URL, credential, scope, transport settings and read-ahead.
pub(crate) struct Common {
    pub(crate) base_url: String,
    pub(crate) credential: Option<Arc<dyn TokenProvider>>,
    pub(crate) scope: Scope,
    pub(crate) settings: Settings,
    pub(crate) prefetch: bool,
}

impl Common {
    pub(crate) fn new(base_url: &str, scope: Scope) -> Self {
        Common {
            base_url: base_url.to_owned(),
            credential: None,
            scope,
            settings: Settings::default(),
            prefetch: true,
        }
    }

    /// Checks the base URL and that a credential was given (`examples` names the providers
    /// that fit), and returns the parts a transport is built from.
    pub(crate) fn check(self, examples: &str) -> Result<Checked> {
        let base = validate_base_url("base url", &self.base_url)?;
        let credential = self
            .credential
            .ok_or_else(|| InvalidInput::new("credential", format!("is required ({examples})")))?;
        Ok(Checked {
            base,
            tokens: TokenCache::new(credential, self.scope),
            settings: self.settings,
            prefetch: self.prefetch,
        })
    }
}

/// What a builder's checked settings give.
pub(crate) struct Checked {
    pub(crate) base: Url,
    pub(crate) tokens: TokenCache,
    pub(crate) settings: Settings,
    pub(crate) prefetch: bool,
}

/// The header every Partner Center request carries.
pub(crate) const PARTNER_CENTER_HEADERS: &[(&str, &str)] = &[("ms-contract-version", "v1")];

impl Checked {
    /// The transport of a Partner Center client with only the headers every Partner Center
    /// request carries (the directory, the webhook registration).
    pub(crate) fn partner_center_transport(self) -> Result<super::Transport> {
        super::Transport::new(
            crate::error::Api::PartnerCenter,
            self.base,
            self.tokens,
            self.settings,
            PARTNER_CENTER_HEADERS,
        )
    }
}

impl fmt::Debug for Common {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Common")
            .field("base_url", &self.base_url)
            .field("credential", &self.credential)
            .field("scope", &self.scope)
            .field("settings", &self.settings)
            .field("prefetch", &self.prefetch)
            .finish()
    }
}

/// The setters of [`Common`], for a builder with a `common: Common` field. Expanded in each
/// client's module, so `DEFAULT_BASE_URL` is that client's.
macro_rules! builder_setters {
    () => {
        /// The token provider (any [`TokenProvider`](crate::auth::TokenProvider), or an
        /// `Arc` of one shared with other clients); the client caches its tokens.
        pub fn credential(mut self, provider: impl $crate::auth::TokenProvider + 'static) -> Self {
            self.common.credential = Some(std::sync::Arc::new(provider));
            self
        }

        /// The base URL (default [`DEFAULT_BASE_URL`]): `https://`, or `http://` on loopback
        /// only (the emulator, tests). Checked when the client is built.
        pub fn base_url(mut self, url: impl Into<String>) -> Self {
            self.common.base_url = url.into();
            self
        }

        /// The token scope (default: the API's `.default` scope).
        pub fn scope(mut self, scope: $crate::auth::Scope) -> Self {
            self.common.scope = scope;
            self
        }

        /// The retry policy (default [`RetryPolicy::standard`](crate::http::RetryPolicy::standard)).
        pub fn retry(mut self, policy: $crate::http::RetryPolicy) -> Self {
            self.common.settings.retry = policy;
            self
        }

        /// The time limits (default [`Timeouts::default`](crate::http::Timeouts::default)):
        /// connecting, one attempt, the whole call.
        pub fn timeouts(mut self, timeouts: $crate::http::Timeouts) -> Self {
            self.common.settings.timeouts = timeouts;
            self
        }

        /// The largest response body accepted, in bytes (default 64 MiB); a larger page is an
        /// error, not an out-of-memory.
        pub fn max_body_bytes(mut self, bytes: usize) -> Self {
            self.common.settings.max_body_bytes = bytes;
            self
        }

        /// A `reqwest::Client` of your own (proxies, certificates). Configure it not to follow
        /// redirects (`reqwest::redirect::Policy::none()`): the crate refuses to, but cannot
        /// see the ones such a client follows by itself.
        pub fn http_client(mut self, client: reqwest::Client) -> Self {
            self.common.settings.http = Some(client);
            self
        }

        /// How to wait between retries (default: tokio's timer).
        pub fn sleep(mut self, sleep: std::sync::Arc<dyn $crate::http::AsyncSleep>) -> Self {
            self.common.settings.sleep = sleep;
            self
        }

        /// Whether listings read one page ahead (default on).
        pub fn prefetch(mut self, on: bool) -> Self {
            self.common.prefetch = on;
            self
        }
    };
}

pub(crate) use builder_setters;
