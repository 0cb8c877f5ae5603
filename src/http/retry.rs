use std::time::Duration;

use chrono::{DateTime, Datelike, Utc};

/// When and how long to retry a failed attempt.
///
/// | Outcome | Reads (GET) | Status writes (PATCH, POST) |
/// |---|---|---|
/// | 429, 503 | wait `Retry-After`, never less than the backoff (else back off) | same |
/// | 500, 502, 504 | back off | not retried (the write may have been applied) |
/// | connection refused (nothing was sent) | back off | back off |
/// | attempt timed out, connection reset | back off | back off, same request id |
/// | any other status | not retried | not retried |
///
/// A `Retry-After` longer than [`RetryPolicy::max_retry_after`], or one that would overrun
/// the operation's time limit ([`Timeouts::operation`](super::Timeouts::operation)), is not
/// slept through: the call fails at once with
/// [`Error::Throttled`](crate::Error::Throttled) carrying the wait, so the caller can
/// reschedule instead of hanging.
///
/// ```
/// use std::time::Duration;
/// use partner_alerts::http::RetryPolicy;
///
/// let policy = RetryPolicy::standard()
///     .max_attempts(6)
///     .max_retry_after(Duration::from_secs(30));
/// assert_eq!(policy.attempts(), 6);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryPolicy {
    /// Four attempts, backoff from 0.5 s to 30 s with jitter, `Retry-After` honoured up to
    /// 60 s (all within the operation's time limit, [`Timeouts::operation`](super::Timeouts::operation)).
    pub fn standard() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }

    /// One attempt, no retries.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::standard()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff and the longest.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// The longest `Retry-After` slept through; a longer one fails at once as throttled.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before retry number `attempt` (1-based): exponential, half of it jittered.
    fn backoff_for(&self, attempt: u32, jitter: f64) -> Duration {
        let exp = self.initial_backoff.saturating_mul(
            1u32.checked_shl(attempt.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let d = exp.min(self.max_backoff);
        scale(d, 0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// What a failed attempt looked like.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Outcome {
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// The connection could not be made: nothing was sent.
    Connect,
    /// The attempt timed out or the connection broke after the request may have been sent.
    Interrupted,
}

/// What to do next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Decision {
    Retry(Duration),
    /// Give up with the error as it is.
    Stop,
    /// Give up as throttled: the service asked for more patience than the policy has.
    Throttled,
}

/// The retry table, as a pure function of its inputs. `attempt` is the number of attempts
/// made so far; `left` the time left of the operation's limit; `jitter` is in `[0, 1)`.
pub(crate) fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    outcome: Outcome,
    is_write: bool,
    left: Duration,
    jitter: f64,
) -> Decision {
    let out_of_attempts = attempt >= policy.max_attempts;
    match outcome {
        Outcome::Status {
            status: 429 | 503,
            retry_after,
        } => {
            if out_of_attempts {
                return Decision::Throttled;
            }
            let backoff = policy.backoff_for(attempt, jitter);
            let wait = match retry_after {
                // Never sooner than asked; up to 10 % later so a bulk run does not stampede;
                // never sooner than the backoff (a `Retry-After: 0` is no licence to hammer).
                Some(w) => {
                    if w > policy.max_retry_after {
                        return Decision::Throttled;
                    }
                    scale(w, 1.0 + 0.1 * jitter.clamp(0.0, 1.0)).max(backoff)
                }
                None => backoff,
            };
            if wait > left {
                Decision::Throttled
            } else {
                Decision::Retry(wait)
            }
        }
        Outcome::Status {
            status: 500 | 502 | 504,
            ..
        } if !is_write => retry_or_stop(policy, attempt, left, jitter),
        Outcome::Connect | Outcome::Interrupted => retry_or_stop(policy, attempt, left, jitter),
        Outcome::Status { .. } => Decision::Stop,
    }
}

fn retry_or_stop(policy: &RetryPolicy, attempt: u32, left: Duration, jitter: f64) -> Decision {
    if attempt >= policy.max_attempts {
        return Decision::Stop;
    }
    let wait = policy.backoff_for(attempt, jitter);
    if wait > left {
        Decision::Stop
    } else {
        Decision::Retry(wait)
    }
}

/// `d` times `factor`, saturating instead of panicking (a policy may hold `Duration::MAX`).
fn scale(d: Duration, factor: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

/// Parses `Retry-After`: decimal seconds (Graph sends `2.128`) or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    Some((http_date(value)? - now).to_std().unwrap_or(Duration::ZERO))
}

/// An HTTP date in any of the three forms RFC 9110 (5.6.7) asks recipients to accept: IMF
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`).
pub(super) fn http_date(value: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc2822(value) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT") {
        // Two-digit years more than 50 years ahead are in the past (RFC 9110).
        let mut t = t.and_utc();
        if t.year() > Utc::now().year() + 50 {
            t = t.with_year(t.year() - 100)?;
        }
        return Some(t);
    }
    let asctime = value.split_whitespace().collect::<Vec<_>>().join(" ");
    chrono::NaiveDateTime::parse_from_str(&asctime, "%a %b %e %H:%M:%S %Y")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const S: Duration = Duration::from_secs(1);
    /// The time left of a call that has just started, under the default limit.
    const FULL: Duration = Duration::from_secs(300);

    fn status(status: u16, retry_after: Option<Duration>) -> Outcome {
        Outcome::Status {
            status,
            retry_after,
        }
    }

    #[test]
    fn retry_after_in_each_http_date_form() {
        let now = Utc.with_ymd_and_hms(1994, 11, 6, 8, 49, 7).unwrap();
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(form, now),
                Some(Duration::from_secs(30)),
                "{form}"
            );
        }
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994", now), None);
    }

    #[test]
    fn retry_after_as_decimal_seconds_or_http_date() {
        let now = Utc.with_ymd_and_hms(2015, 10, 21, 7, 28, 0).unwrap();
        assert_eq!(
            parse_retry_after("2.128", now),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(parse_retry_after(" 1 ", now), Some(S));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn the_table() {
        let p = RetryPolicy::standard();
        let z = FULL;
        // Throttling honours Retry-After, for reads and writes, never sooner than asked.
        for write in [false, true] {
            match decide(&p, 1, status(429, Some(2 * S)), write, z, 0.5) {
                Decision::Retry(w) => assert!(w >= 2 * S && w <= 2 * S + S / 5, "{w:?}"),
                d => panic!("{d:?}"),
            }
            assert!(matches!(
                decide(&p, 1, status(503, None), write, z, 0.0),
                Decision::Retry(_)
            ));
            assert!(matches!(
                decide(&p, 1, Outcome::Connect, write, z, 0.0),
                Decision::Retry(_)
            ));
            assert!(matches!(
                decide(&p, 1, Outcome::Interrupted, write, z, 0.0),
                Decision::Retry(_)
            ));
            for s in [400, 401, 403, 404, 409, 501] {
                assert_eq!(
                    decide(&p, 1, status(s, None), write, z, 0.0),
                    Decision::Stop,
                    "{s}"
                );
            }
        }
        // A server error: a read is retried, a write not (it may have been applied).
        for s in [500, 502, 504] {
            assert!(matches!(
                decide(&p, 1, status(s, None), false, z, 0.0),
                Decision::Retry(_)
            ));
            assert_eq!(decide(&p, 1, status(s, None), true, z, 0.0), Decision::Stop);
        }
    }

    #[test]
    fn a_retry_after_below_the_backoff_waits_the_backoff() {
        let p = RetryPolicy::standard().backoff(S, 8 * S);
        for asked in [Duration::ZERO, S / 10] {
            for attempt in 1..=3 {
                let floor = p.backoff_for(attempt, 0.0);
                match decide(&p, attempt, status(429, Some(asked)), false, FULL, 0.0) {
                    Decision::Retry(w) => assert!(w >= floor && w >= S / 2, "{asked:?}: {w:?}"),
                    d => panic!("{d:?}"),
                }
            }
        }
    }

    #[test]
    fn no_policy_value_panics() {
        let max = Duration::MAX;
        let policies = [
            RetryPolicy::standard().backoff(max, max),
            RetryPolicy::standard().backoff(Duration::ZERO, Duration::ZERO),
            RetryPolicy::standard()
                .max_retry_after(max)
                .max_attempts(u32::MAX),
        ];
        for p in &policies {
            for attempt in [1, 2, 31, 32, 33, u32::MAX] {
                for outcome in [
                    status(429, Some(max)),
                    status(503, Some(Duration::ZERO)),
                    status(500, None),
                    Outcome::Connect,
                    Outcome::Interrupted,
                ] {
                    for jitter in [0.0, 1.0, f64::NAN] {
                        for left in [max, Duration::ZERO] {
                            let _ = decide(p, attempt, outcome, false, left, jitter);
                            let _ = decide(p, attempt, outcome, true, left, jitter);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn long_waits_fail_fast_as_throttled() {
        let p = RetryPolicy::standard().max_retry_after(10 * S);
        assert_eq!(
            decide(&p, 1, status(429, Some(11 * S)), false, FULL, 0.0),
            Decision::Throttled
        );
        // A wait that fits the cap but not the time left.
        assert_eq!(
            decide(&p, 1, status(429, Some(5 * S)), false, 2 * S, 0.0),
            Decision::Throttled
        );
        // Out of attempts while still throttled.
        assert_eq!(
            decide(&p, 4, status(429, Some(S)), false, FULL, 0.0),
            Decision::Throttled
        );
        assert_eq!(
            decide(&p, 4, status(504, None), false, FULL, 0.0),
            Decision::Stop
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::standard().backoff(Duration::from_millis(100), 2 * S);
        assert_eq!(p.backoff_for(1, 1.0), Duration::from_millis(100));
        assert_eq!(p.backoff_for(3, 1.0), Duration::from_millis(400));
        assert_eq!(p.backoff_for(3, 0.0), Duration::from_millis(200));
        assert_eq!(p.backoff_for(30, 1.0), 2 * S);
        assert_eq!(p.backoff_for(u32::MAX, 1.0), 2 * S);
        assert_eq!(RetryPolicy::disabled().attempts(), 1);
    }
}
