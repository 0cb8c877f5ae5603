//! How long to wait after a failure, and which failures end a wait for a person instead.

use std::time::Duration;

use crate::Error;

/// Exponential backoff with a cap: `initial`, twice that, four times, ... at most `max`;
/// never shorter than what the service asked for (`Retry-After`), even beyond `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Backoff {
    pub(super) initial: Duration,
    pub(super) max: Duration,
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row (1 for the first).
    pub(super) fn delay(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let exp = failures.saturating_sub(1).min(31);
        let d = self
            .initial
            .checked_mul(1u32 << exp)
            .unwrap_or(self.max)
            .min(self.max);
        d.max(retry_after.unwrap_or_default())
    }
}

/// Whether a failed read needs someone to act rather than time: refused credentials or
/// permission, input or a query the source cannot serve, an endpoint that does not exist,
/// any other 4xx but 408 and 429. Throttling, 5xx, transport failures, time-outs and
/// malformed answers are transient.
pub(super) fn needs_attention(e: &Error) -> bool {
    if e.is_retryable() {
        return false;
    }
    match e {
        Error::InvalidInput(_) | Error::Unsupported(_) => true,
        _ if e.is_auth() || e.is_not_found() => true,
        _ => e
            .status()
            .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestIds;
    use crate::error::{Api, InvalidInput, ServiceError};

    #[test]
    fn the_delay_doubles_up_to_the_cap_and_honours_retry_after() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let ms = |n| b.delay(n, None).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(5), ms(60)],
            [100, 200, 400, 800, 1000, 1000]
        );
        assert_eq!(
            b.delay(1, Some(Duration::from_millis(1500))),
            Duration::from_millis(1500)
        );
        assert_eq!(
            b.delay(4, Some(Duration::from_millis(50))),
            Duration::from_millis(800)
        );
        assert_eq!(b.delay(u32::MAX, None), Duration::from_secs(1));
    }

    #[test]
    fn only_what_time_cannot_fix_needs_attention() {
        let service = |status| {
            Error::from_service(ServiceError::new(
                Api::Graph,
                status,
                RequestIds::new(uuid::Uuid::nil()),
            ))
        };
        for s in [400, 401, 403, 404, 409] {
            assert!(needs_attention(&service(s)), "{s}");
        }
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(!needs_attention(&service(s)), "{s}");
        }
        assert!(needs_attention(&InvalidInput::new("x", "y").into()));
    }
}
