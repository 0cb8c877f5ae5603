//! The one transport both clients share: headers and request ids, the retry policy,
//! timeouts, size limits and error mapping (base-URL rules are in `endpoint`).
//!
//! The public items here configure it: [`RetryPolicy`], [`Timeouts`] and [`AsyncSleep`].

mod builder;
mod error_body;
mod response;
mod retry;
mod transport;

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;

pub use crate::endpoint::DEFAULT_MAX_BODY_BYTES;
#[cfg(feature = "fraud-events")]
pub(crate) use builder::PARTNER_CENTER_HEADERS;
pub(crate) use builder::{Common, builder_setters};
pub(crate) use response::Response;
pub use retry::RetryPolicy;
pub(crate) use retry::parse_retry_after;
pub(crate) use retry::{Decision, Outcome, decide};
pub(crate) use transport::{Request, Settings, StatusAnswer, Transport, jitter};

/// The crate's `User-Agent`.
pub(crate) const USER_AGENT: &str = concat!("partner-alerts/", env!("CARGO_PKG_VERSION"));

/// The time limits of one call: the one place they are set.
///
/// ```
/// use std::time::Duration;
/// use partner_alerts::http::Timeouts;
///
/// let t = Timeouts::default()
///     .per_attempt(Duration::from_secs(20))
///     .operation(Duration::from_secs(120));
/// assert_eq!(t.per_attempt_timeout(), Duration::from_secs(20));
/// assert_eq!(t.operation_timeout(), Duration::from_secs(120));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    connect: Duration,
    per_attempt: Duration,
    operation: Duration,
}

impl Default for Timeouts {
    /// 10 s to connect, 60 s for one attempt (sending, waiting, reading the whole body), five
    /// minutes for the whole call (every attempt, every wait between them, the token).
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            per_attempt: Duration::from_secs(60),
            operation: Duration::from_secs(300),
        }
    }
}

impl Timeouts {
    /// The time allowed to open a connection (applies to the client the crate builds, not to
    /// one passed in with `http_client`).
    pub fn connect(mut self, d: Duration) -> Self {
        self.connect = d;
        self
    }

    /// The time allowed for one attempt, from sending to the last byte of the body.
    pub fn per_attempt(mut self, d: Duration) -> Self {
        self.per_attempt = d;
        self
    }

    /// The time allowed for the whole call: every attempt, the waits between them and the
    /// token provider. A wait the service asks for that would overrun it fails the call at
    /// once as throttled.
    pub fn operation(mut self, d: Duration) -> Self {
        self.operation = d;
        self
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect
    }

    /// The per-attempt timeout.
    pub fn per_attempt_timeout(&self) -> Duration {
        self.per_attempt
    }

    /// The time limit of the whole call.
    pub fn operation_timeout(&self) -> Duration {
        self.operation
    }
}

/// How the clients wait between retries. The default sleeps on tokio's timer; tests may plug
/// in one that records the waits and returns at once.
pub trait AsyncSleep: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Sleeps on tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleep;

impl AsyncSleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
