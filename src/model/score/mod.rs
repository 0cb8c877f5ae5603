//! The partner security score (Graph beta, `/security/partner/securityScore`; reference
//! section 11): the score, its requirements, its history and the customers' MFA insights.
//!
//! The models read what the documentation shows, quirks included (section 11.7): every
//! property is optional; counts and hours arrive as JSON numbers or as strings holding one
//! (`"20"`, `"1.2"`); `complianceStatus` is `noncomplaint` (as Graph's SDKs ship it) or
//! `nonCompliant` (as one example sends it); requirements are of the subtype their
//! `@odata.type` names, with or without its `#`. The [`GraphClient`](crate::GraphClient)
//! also unwraps a single entity sent inside `"value": {…}`, as the documentation's examples
//! show it. Every enum is open, as the alerts' are.
//!
//! ```
//! use partner_alerts::score::{PartnerSecurityScore, SecurityScoreHistory};
//!
//! let score: PartnerSecurityScore = serde_json::from_str(r#"{
//!     "id": "9021efeb-af08-e3dd-9c11-ac69f92e43b8",
//!     "lastRefreshDateTime": "2024-02-28T00:00:00Z", "currentScore": 14.29, "maxScore": 100.0 }"#)?;
//! assert_eq!(score.current_score, Some(14.29));
//! let h: SecurityScoreHistory = serde_json::from_str(r#"{"score": 14.29,
//!     "compliantRequirementsCount": 4, "totalRequirementsCount": "5"}"#)?;
//! assert_eq!(h.total_requirements_count, Some(5));
//! # Ok::<(), serde_json::Error>(())
//! ```

mod enums;
mod requirement;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use enums::{
    ComplianceStatus, PolicyStatus, SecurityRequirementState, SecurityRequirementType,
};
pub use requirement::{
    AdminsMfaEnforcedRequirement, CustomersMfaEnforcedRequirement,
    CustomersSpendingBudgetRequirement, GenericRequirement, RequirementBase,
    ResponseTimeRequirement, SecurityRequirement,
};

use super::TenantId;
use super::wire;

/// `partnerSecurityScore`: the partner's score and when it was computed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PartnerSecurityScore {
    /// Its id (GUID-shaped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The score (e.g. `14.29`).
    #[serde(
        default,
        deserialize_with = "wire::opt_f64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_score: Option<f64>,
    /// The highest score possible (e.g. `100.0`).
    #[serde(
        default,
        deserialize_with = "wire::opt_f64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_score: Option<f64>,
    /// When the score or a related property last changed.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_time: Option<DateTime<Utc>>,
    /// When the data was last checked.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_refresh_date_time: Option<DateTime<Utc>>,
    /// The requirements (only with `$expand=requirements`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Vec<SecurityRequirement>>,
    /// The history (only with `$expand=history`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<SecurityScoreHistory>>,
    /// The customers' insights (when sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_insights: Option<Vec<CustomerInsight>>,
}

/// `securityScoreHistory`: the score as it was at one time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SecurityScoreHistory {
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When it was recorded.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<DateTime<Utc>>,
    /// The score then.
    #[serde(
        default,
        deserialize_with = "wire::opt_f64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<f64>,
    /// How many requirements were met.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub compliant_requirements_count: Option<i64>,
    /// How many requirements there were.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_requirements_count: Option<i64>,
}

/// `customerInsight`: one customer tenant's security posture (a complex type: no `id`, keyed
/// by `tenantId`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomerInsight {
    /// The customer's tenant (an alert's `customerTenantId`).
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty",
        skip_serializing_if = "Option::is_none"
    )]
    pub tenant_id: Option<TenantId>,
    /// Its MFA figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa: Option<CustomerMfaInsight>,
}

/// `customerMfaInsight`: a customer tenant's MFA figures and policies.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomerMfaInsight {
    /// Admins using MFA.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub compliant_admins_count: Option<i64>,
    /// Other users using MFA.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub compliant_non_admins_count: Option<i64>,
    /// Users.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_users_count: Option<i64>,
    /// Security defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_defaults_status: Option<PolicyStatus>,
    /// A Conditional Access policy requiring MFA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_conditional_access_policy_status: Option<PolicyStatus>,
    /// Legacy per-user MFA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_per_user_mfa_status: Option<PolicyStatus>,
}

/// Checks an id that goes into a path (a requirement's, a history entry's) as the alerts'
/// ids are checked.
pub(crate) fn check_id(field: &'static str, value: &str) -> Result<(), crate::InvalidInput> {
    super::ids::validate(field, value)
}
