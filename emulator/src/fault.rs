//! Fault injection: throttling, server errors, dropped connections, truncated bodies and
//! added latency, drawn from a seeded generator so that a run repeats exactly.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;

use crate::rng::{SplitMix64, derive};

/// A fault the emulator can answer a request with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FaultKind {
    /// `429 Too Many Requests` with a `Retry-After` header and the API's throttling body.
    Throttle,
    /// `500 Internal Server Error` with the API's error body.
    InternalServerError,
    /// `503 Service Unavailable` with a `Retry-After` header and the API's error body.
    ServiceUnavailable,
    /// The connection is closed without any response; the request is not processed.
    DropConnection,
    /// The request is processed, then the response is cut: its `Content-Length` announces the
    /// whole body, half of it is sent, and the connection is closed.
    TruncateBody,
    /// The request is processed (a `$batch`: every request in it), then the connection is
    /// closed without any response: the client cannot know what was applied.
    DropAfterProcessing,
    /// Only requests inside a `$batch` body: that request is answered `429` in the batch
    /// response, with its own `Retry-After` in its `headers` and Graph's `TooManyRequests`
    /// body, and is not run. Whole requests are never faulted with it.
    ThrottleBatchItem,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: &'static [FaultKind] = &[
        FaultKind::Throttle,
        FaultKind::InternalServerError,
        FaultKind::ServiceUnavailable,
        FaultKind::DropConnection,
        FaultKind::TruncateBody,
        FaultKind::DropAfterProcessing,
        FaultKind::ThrottleBatchItem,
    ];

    /// The kinds that are a complete HTTP response (and so can also hit a request inside a
    /// `$batch`): [`Throttle`](FaultKind::Throttle), `500`, `503` and
    /// [`ThrottleBatchItem`](FaultKind::ThrottleBatchItem).
    pub fn is_status(self) -> bool {
        matches!(
            self,
            FaultKind::Throttle
                | FaultKind::InternalServerError
                | FaultKind::ServiceUnavailable
                | FaultKind::ThrottleBatchItem
        )
    }

    /// Whether the kind can hit a whole HTTP request (every kind but
    /// [`ThrottleBatchItem`](FaultKind::ThrottleBatchItem)).
    pub fn hits_requests(self) -> bool {
        self != FaultKind::ThrottleBatchItem
    }

    /// Whether the kind can hit a request inside a `$batch` body (the status kinds).
    pub fn hits_batch_items(self) -> bool {
        self.is_status()
    }

    /// The short name used on the command line (`throttle`, `500`, `503`, `drop`,
    /// `truncate`, `drop-after`, `throttle-item`).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Throttle => "throttle",
            FaultKind::InternalServerError => "500",
            FaultKind::ServiceUnavailable => "503",
            FaultKind::DropConnection => "drop",
            FaultKind::TruncateBody => "truncate",
            FaultKind::DropAfterProcessing => "drop-after",
            FaultKind::ThrottleBatchItem => "throttle-item",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault kind name that is not one of `throttle` (or `429`), `500`, `503`, `drop`,
/// `truncate`, `drop-after`, `throttle-item`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownFaultKind(String);

impl fmt::Display for UnknownFaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown fault kind '{}': expected throttle, 429, 500, 503, drop, truncate, \
             drop-after or throttle-item",
            self.0
        )
    }
}

impl std::error::Error for UnknownFaultKind {}

impl FromStr for FaultKind {
    type Err = UnknownFaultKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "throttle" | "429" => FaultKind::Throttle,
            "500" | "internal" => FaultKind::InternalServerError,
            "503" | "unavailable" => FaultKind::ServiceUnavailable,
            "drop" => FaultKind::DropConnection,
            "truncate" => FaultKind::TruncateBody,
            "drop-after" | "drop-after-processing" => FaultKind::DropAfterProcessing,
            "throttle-item" | "throttle-batch-item" => FaultKind::ThrottleBatchItem,
            _ => return Err(UnknownFaultKind(s.to_owned())),
        })
    }
}

/// How often and how the emulator misbehaves. Off by default.
///
/// Each request draws from a generator seeded with [`FaultSettings::seed`] (by default the
/// emulator's seed): with probability `rate` it gets one of `kinds`, chosen uniformly. The
/// same seed and the same sequence of requests give the same faults.
///
/// Each request inside a `$batch` body draws too, from the kinds that can hit it
/// ([`FaultKind::hits_batch_items`]: `429`, `500`, `503`, [`FaultKind::ThrottleBatchItem`]);
/// a whole request draws from the others ([`FaultKind::hits_requests`]). So
/// `kinds([FaultKind::ThrottleBatchItem])` throttles requests inside batches only.
///
/// ```
/// use std::time::Duration;
/// use partner_alerts_emulator::{FaultKind, FaultSettings};
///
/// let faults = FaultSettings::new()
///     .rate(0.1)
///     .kinds([FaultKind::Throttle, FaultKind::ServiceUnavailable])
///     .retry_after(Duration::from_millis(200))
///     .latency(Duration::from_millis(5));
/// assert_eq!(faults.retry_after_header(), "0.2");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FaultSettings {
    rate: f64,
    kinds: Vec<FaultKind>,
    retry_after: Duration,
    latency: Duration,
    seed: Option<u64>,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            rate: 0.0,
            kinds: vec![
                FaultKind::Throttle,
                FaultKind::InternalServerError,
                FaultKind::ServiceUnavailable,
            ],
            retry_after: Duration::from_secs(1),
            latency: Duration::ZERO,
            seed: None,
        }
    }
}

impl FaultSettings {
    /// No faults, no latency; throttling and the two 5xx as the kinds once a rate is set;
    /// `Retry-After: 1`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The share of requests that fault, from 0 (never) to 1 (always); clamped.
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self
    }

    /// The kinds drawn from (duplicates weigh more).
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = FaultKind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// The `Retry-After` sent with 429 and 503 (fractional seconds are sent as such, e.g.
    /// `0.2`).
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Latency added to every request before it is answered.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The seed of the fault draws (default: the emulator's seed).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The share of requests that fault.
    pub fn fault_rate(&self) -> f64 {
        self.rate
    }

    /// The kinds drawn from.
    pub fn fault_kinds(&self) -> &[FaultKind] {
        &self.kinds
    }

    /// The added latency.
    pub fn added_latency(&self) -> Duration {
        self.latency
    }

    /// The `Retry-After` header value: seconds, with up to three decimals and no trailing
    /// zeros (`1`, `0.2`, `2.128`).
    pub fn retry_after_header(&self) -> String {
        format_seconds(self.retry_after)
    }

    /// The `Retry-After` delay.
    pub fn retry_after_delay(&self) -> Duration {
        self.retry_after
    }
}

fn format_seconds(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

/// The running fault state: settings, the seeded draws and the forced queue.
#[derive(Debug)]
pub(crate) struct FaultState {
    pub settings: FaultSettings,
    rng: SplitMix64,
    forced: VecDeque<FaultKind>,
    /// Forced faults of the next requests inside `$batch` bodies (status kinds only).
    forced_items: VecDeque<FaultKind>,
    /// How many of the next `$batch` requests are processed, then dropped.
    batch_resets: usize,
}

impl FaultState {
    pub(crate) fn new(settings: FaultSettings, emulator_seed: u64) -> Self {
        let seed = settings.seed.unwrap_or(emulator_seed);
        FaultState {
            settings,
            rng: derive(seed, 0xfa17),
            forced: VecDeque::new(),
            forced_items: VecDeque::new(),
            batch_resets: 0,
        }
    }

    /// Forces the next `n` requests to fault with `kind`; [`FaultKind::ThrottleBatchItem`]
    /// forces the next `n` requests inside batches instead. `n = 0` clears every forced fault
    /// (requests, batch items, batch resets).
    pub(crate) fn force(&mut self, n: usize, kind: FaultKind) {
        if n == 0 {
            self.forced.clear();
            self.forced_items.clear();
            self.batch_resets = 0;
        } else if kind == FaultKind::ThrottleBatchItem {
            self.force_items(n, kind);
        } else {
            self.forced.extend(std::iter::repeat_n(kind, n));
        }
    }

    /// Forces the next `n` requests inside `$batch` bodies to fault with `kind` (a status
    /// kind); `n = 0` clears that queue.
    pub(crate) fn force_items(&mut self, n: usize, kind: FaultKind) {
        debug_assert!(kind.hits_batch_items());
        if n == 0 {
            self.forced_items.clear();
        }
        self.forced_items.extend(std::iter::repeat_n(kind, n));
    }

    /// Makes the next `n` `$batch` requests be processed and then dropped; `n = 0` cancels.
    pub(crate) fn reset_batches(&mut self, n: usize) {
        self.batch_resets = n;
    }

    /// A draw by rate among the kinds `applies` accepts (no draw at all when there are
    /// none, so that settings without such kinds keep their sequence).
    fn draw(&mut self, applies: fn(FaultKind) -> bool) -> Option<FaultKind> {
        if self.settings.rate <= 0.0 {
            return None;
        }
        let kinds: Vec<FaultKind> = self
            .settings
            .kinds
            .iter()
            .copied()
            .filter(|k| applies(*k))
            .collect();
        if kinds.is_empty() {
            return None;
        }
        if self.rng.chance(self.settings.rate) {
            Some(*self.rng.pick(&kinds))
        } else {
            None
        }
    }

    /// The fault for a request reaching the server, if any: a forced one, then (for a
    /// `$batch`) a forced reset, then one drawn by rate.
    pub(crate) fn decide(&mut self, is_batch: bool) -> Option<FaultKind> {
        if let Some(k) = self.forced.pop_front() {
            return Some(k);
        }
        if is_batch && self.batch_resets > 0 {
            self.batch_resets -= 1;
            return Some(FaultKind::DropAfterProcessing);
        }
        self.draw(FaultKind::hits_requests)
    }

    /// The fault for a request inside a `$batch`: a forced one, then one drawn by rate among
    /// the status kinds.
    pub(crate) fn decide_inner(&mut self) -> Option<FaultKind> {
        if let Some(k) = self.forced_items.pop_front() {
            return Some(k);
        }
        self.draw(FaultKind::hits_batch_items)
    }
}

/// A response body that fails: optionally after sending `chunk` and pausing, so that the
/// head and the chunk reach the client first (truncation); at once otherwise, before
/// anything was flushed (a dropped connection).
pub(crate) struct FaultyBody {
    chunk: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl FaultyBody {
    /// A body that closes the connection before a byte is sent.
    pub(crate) fn drop_connection() -> Self {
        FaultyBody {
            chunk: None,
            pause: None,
        }
    }

    /// A body that sends `chunk`, then fails.
    pub(crate) fn truncated(chunk: Bytes) -> Self {
        FaultyBody {
            chunk: Some(chunk),
            // Long enough for hyper to flush what it has before the error closes the socket.
            pause: Some(Box::pin(tokio::time::sleep(Duration::from_millis(50)))),
        }
    }
}

impl futures_core::Stream for FaultyBody {
    type Item = Result<Bytes, io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(chunk) = self.chunk.take() {
            return Poll::Ready(Some(Ok(chunk)));
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "fault injected by the emulator",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_formats() {
        let f = |ms| {
            FaultSettings::new()
                .retry_after(Duration::from_millis(ms))
                .retry_after_header()
        };
        assert_eq!(f(1000), "1");
        assert_eq!(f(200), "0.2");
        assert_eq!(f(2128), "2.128");
        assert_eq!(f(0), "0");
    }

    #[test]
    fn kinds_parse() {
        assert_eq!("429".parse::<FaultKind>().unwrap(), FaultKind::Throttle);
        assert_eq!(
            "Drop".parse::<FaultKind>().unwrap(),
            FaultKind::DropConnection
        );
        assert!("teapot".parse::<FaultKind>().is_err());
        for k in FaultKind::ALL {
            assert_eq!(k.name().parse::<FaultKind>().unwrap(), *k);
        }
    }

    #[test]
    fn draws_repeat_and_forced_come_first() {
        let s = FaultSettings::new().rate(0.3);
        let mut a = FaultState::new(s.clone(), 9);
        let mut b = FaultState::new(s, 9);
        let xs: Vec<_> = (0..200).map(|_| a.decide(false)).collect();
        let ys: Vec<_> = (0..200).map(|_| b.decide(false)).collect();
        assert_eq!(xs, ys);
        let n = xs.iter().filter(|x| x.is_some()).count();
        assert!((30..=90).contains(&n), "{n}");
        a.force(2, FaultKind::DropConnection);
        assert_eq!(a.decide(false), Some(FaultKind::DropConnection));
        assert_eq!(a.decide(false), Some(FaultKind::DropConnection));
        let mut off = FaultState::new(FaultSettings::new(), 1);
        assert!((0..100).all(|_| off.decide(false).is_none()));
    }

    #[test]
    fn batch_item_kinds_stay_inside_batches() {
        let s = FaultSettings::new()
            .rate(1.0)
            .kinds([FaultKind::ThrottleBatchItem]);
        let mut f = FaultState::new(s, 3);
        assert!(
            (0..50).all(|_| f.decide(true).is_none()),
            "never a whole request"
        );
        assert!((0..50).all(|_| f.decide_inner() == Some(FaultKind::ThrottleBatchItem)));

        let s = FaultSettings::new()
            .rate(1.0)
            .kinds([FaultKind::DropConnection]);
        let mut f = FaultState::new(s, 3);
        assert!(
            (0..50).all(|_| f.decide_inner().is_none()),
            "drops are not for items"
        );
    }

    #[test]
    fn forced_items_and_resets() {
        let mut f = FaultState::new(FaultSettings::new(), 1);
        f.force(2, FaultKind::ThrottleBatchItem);
        f.force_items(1, FaultKind::ServiceUnavailable);
        assert_eq!(f.decide(false), None, "items only");
        assert_eq!(f.decide_inner(), Some(FaultKind::ThrottleBatchItem));
        assert_eq!(f.decide_inner(), Some(FaultKind::ThrottleBatchItem));
        assert_eq!(f.decide_inner(), Some(FaultKind::ServiceUnavailable));
        assert_eq!(f.decide_inner(), None);

        f.reset_batches(1);
        assert_eq!(f.decide(false), None, "not a batch");
        assert_eq!(f.decide(true), Some(FaultKind::DropAfterProcessing));
        assert_eq!(f.decide(true), None);

        f.reset_batches(3);
        f.force_items(3, FaultKind::Throttle);
        f.force(1, FaultKind::TruncateBody);
        f.force(0, FaultKind::TruncateBody);
        assert_eq!(
            (f.decide(true), f.decide_inner()),
            (None, None),
            "all cancelled"
        );
    }
}
