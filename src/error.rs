//! The crate's one error type.
//!
//! Every fallible call returns [`Error`]. Input that the crate can check before sending
//! (an id with a `/`, a resolve without a reason, a non-loopback `http://` base URL) is an
//! [`Error::InvalidInput`] and nothing was sent.

use std::fmt;

/// The error type of every fallible call in this crate.
///
/// The enum is `#[non_exhaustive]`: later releases add variants (service, transport, ...).
/// Match on the predicates ([`Error::is_invalid_input`]) where one fits.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller's input was rejected before anything was sent.
    #[error(transparent)]
    InvalidInput(InvalidInput),
}

impl Error {
    /// Whether the input was rejected before anything was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput(_))
    }

    /// The input error, if this is one.
    pub fn as_invalid_input(&self) -> Option<&InvalidInput> {
        match self {
            Error::InvalidInput(e) => Some(e),
        }
    }
}

impl From<InvalidInput> for Error {
    fn from(e: InvalidInput) -> Self {
        Error::InvalidInput(e)
    }
}

/// Input rejected before anything was sent: names the field and says why.
///
/// ```
/// use partner_alerts::AlertId;
///
/// let err = AlertId::new("a/b").unwrap_err();
/// assert_eq!(err.field(), "alert id");
/// assert!(err.to_string().contains("'/'"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidInput {
    field: &'static str,
    reason: String,
}

impl InvalidInput {
    /// An input error for `field`, with a human reason.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }

    /// The name of the rejected field or argument.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.reason)
    }
}

impl std::error::Error for InvalidInput {}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
