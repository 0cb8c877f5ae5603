//! Why a `$filter` or `$select` was rejected.

use std::fmt;

/// Why a `$filter` or `$select` was rejected: the message Graph's error body carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    message: String,
}

impl FilterError {
    pub(super) fn new(message: impl Into<String>) -> Self {
        FilterError {
            message: message.into(),
        }
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FilterError {}
