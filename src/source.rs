//! What a status change says, independent of the API that carries it.

use serde::Serialize;

use crate::error::InvalidInput;
use crate::{AlertStatus, ResolvedReason};

/// A status change for an alert.
///
/// Built only through its constructors, so "resolved without a reason" cannot be written:
///
/// ```
/// use partner_alerts::{AlertStatus, ResolvedReason, StatusUpdate};
///
/// let u = StatusUpdate::resolved(ResolvedReason::Legitimate);
/// assert_eq!(u.status(), &AlertStatus::Resolved);
/// assert_eq!(u.reason(), Some(&ResolvedReason::Legitimate));
/// assert_eq!(StatusUpdate::investigating().reason(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    status: AlertStatus,
    #[serde(rename = "resolvedReason", skip_serializing_if = "Option::is_none")]
    reason: Option<ResolvedReason>,
}

impl StatusUpdate {
    /// Resolve, with the reason the dashboard asks for (Legitimate, Fraud, Ignore).
    pub fn resolved(reason: ResolvedReason) -> Self {
        StatusUpdate {
            status: AlertStatus::Resolved,
            reason: Some(reason),
        }
    }

    /// Mark as being investigated.
    pub fn investigating() -> Self {
        StatusUpdate {
            status: AlertStatus::Investigating,
            reason: None,
        }
    }

    /// Reopen (set back to active). Whether the service allows it from every status is not
    /// documented; its answer is passed through.
    pub fn reactivate() -> Self {
        StatusUpdate {
            status: AlertStatus::Active,
            reason: None,
        }
    }

    /// The new status.
    pub fn status(&self) -> &AlertStatus {
        &self.status
    }

    /// The reason, set only when resolving.
    pub fn reason(&self) -> Option<&ResolvedReason> {
        self.reason.as_ref()
    }

    /// Rejects Graph's `unknownFutureValue` placeholder, which is never a value to send.
    pub(crate) fn validate(&self) -> Result<(), InvalidInput> {
        if self.reason == Some(ResolvedReason::UnknownFutureValue) {
            return Err(InvalidInput::new(
                "resolved reason",
                "unknownFutureValue is a placeholder the service sends, not a reason to set",
            ));
        }
        if self
            .reason
            .as_ref()
            .is_some_and(|r| r.as_str().trim().is_empty())
        {
            return Err(InvalidInput::new("resolved reason", "must not be empty"));
        }
        Ok(())
    }
}
