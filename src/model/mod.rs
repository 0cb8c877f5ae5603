//! The domain: alerts, fraud events, their parts, the open enums and the validated ids.
//!
//! Nothing here does I/O; every type decodes what the services send and serialises it back.

mod alert;
mod details;
mod enums;
mod fraud_event;
mod ids;
pub(crate) mod lenient;
pub mod score;
mod unparsed;
pub(crate) mod wire;

pub use alert::{ActivityLog, AffectedResource, Alert};
pub use details::AdditionalDetails;
// The open enums of other modules (`enrich`) are made with the same macro.
pub(crate) use enums::open_enum;
pub use enums::{
    AlertCategory, AlertStatus, AlertType, ConfidenceLevel, ResolvedReason, Severity, UnknownValue,
};
pub use fraud_event::FraudEvent;
pub use ids::{AlertId, MAX_ID_LEN, SubscriptionId, TenantId};
pub use unparsed::{Unparsed, UnparsedValue};
