//! `securityRequirement` and its subtypes (reference section 11.4), chosen by `@odata.type`.

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer};
use serde::ser::{self, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::{
    ComplianceStatus, PolicyStatus, SecurityRequirementState, SecurityRequirementType,
};
use crate::model::wire;

/// The `@odata.type` namespace of the score's resources.
pub(crate) const NAMESPACE: &str = "microsoft.graph.partner.security";

/// What every requirement has (the base type's properties; all optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequirementBase {
    /// Its id: a GUID or the requirement's name; opaque.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Which requirement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement_type: Option<SecurityRequirementType>,
    /// Whether it is met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compliance_status: Option<ComplianceStatus>,
    /// Whether it counts yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<SecurityRequirementState>,
    /// The points received.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub score: Option<i64>,
    /// The points it is worth.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_score: Option<i64>,
    /// Where to act on it (in the Partner Center or Microsoft 365 UI).
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub action_url: Option<String>,
    /// Its documentation.
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub help_url: Option<String>,
    /// When it last changed.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_time: Option<DateTime<Utc>>,
}

/// `responseTimeSecurityRequirement`: security alerts answered promptly.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResponseTimeRequirement {
    /// The base properties.
    #[serde(flatten)]
    pub base: RequirementBase,
    /// The service's average response time for the alerts of the past 30 days, in hours.
    #[serde(
        default,
        deserialize_with = "wire::opt_f64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub average_response_time_in_hours: Option<f64>,
}

impl ResponseTimeRequirement {
    /// Whether the average meets the CSP authorization's 24 hours or less
    /// ([`RESPONSE_REQUIREMENT`](crate::triage::RESPONSE_REQUIREMENT)); `None` without an
    /// average. Derived here, not sent by the service (which says only compliant or not,
    /// perhaps against another threshold).
    ///
    /// ```
    /// use partner_alerts::score::ResponseTimeRequirement;
    ///
    /// let r: ResponseTimeRequirement = serde_json::from_str(r#"{"averageResponseTimeInHours":"1.2"}"#)?;
    /// assert_eq!(r.meets_mandatory_response_time(), Some(true));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn meets_mandatory_response_time(&self) -> Option<bool> {
        let limit = crate::triage::RESPONSE_REQUIREMENT.num_seconds() as f64 / 3600.0;
        self.average_response_time_in_hours.map(|h| h <= limit)
    }
}

/// `customersSpendingBudgetSecurityRequirement`: spending budgets on the customers' Azure
/// subscriptions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomersSpendingBudgetRequirement {
    /// The base properties.
    #[serde(flatten)]
    pub base: RequirementBase,
    /// Customers.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_customers_count: Option<i64>,
    /// Of them, with a spending budget.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub customers_with_spend_budget_count: Option<i64>,
}

/// `adminsMfaEnforcedSecurityRequirement`: MFA for the partner tenant's admins.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AdminsMfaEnforcedRequirement {
    /// The base properties.
    #[serde(flatten)]
    pub base: RequirementBase,
    /// Admins.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_admins_count: Option<i64>,
    /// Admins using MFA.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub mfa_enabled_admins_count: Option<i64>,
    /// Admins required to use MFA who have not registered.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub admins_required_not_using_mfa_count: Option<i64>,
    /// Users.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_users_count: Option<i64>,
    /// Users using MFA.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub mfa_enabled_users_count: Option<i64>,
    /// Users required to use MFA who have not registered.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub users_required_not_using_mfa_count: Option<i64>,
    /// The partner tenant's security defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_defaults_status: Option<PolicyStatus>,
    /// A Conditional Access policy requiring MFA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_conditional_access_policy_status: Option<PolicyStatus>,
    /// Legacy per-user MFA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy_per_user_mfa_status: Option<PolicyStatus>,
}

/// `customersMfaEnforcedSecurityRequirement`: MFA for the customers' admins.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomersMfaEnforcedRequirement {
    /// The base properties.
    #[serde(flatten)]
    pub base: RequirementBase,
    /// Customer tenants.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_tenant_count: Option<i64>,
    /// Of them, compliant.
    #[serde(
        default,
        deserialize_with = "wire::opt_i64_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub compliant_tenant_count: Option<i64>,
}

/// The base type `securityRequirement` (the security contact), or a subtype this release
/// does not know: its other properties are kept as sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GenericRequirement {
    /// The base properties.
    #[serde(flatten)]
    pub base: RequirementBase,
    /// Every other property, `@odata.type` included, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A security requirement, of the subtype its `@odata.type` names (reference section 11.4).
///
/// An `@odata.type` this release does not know, or the base type's, gives
/// [`SecurityRequirement::Generic`]; without an `@odata.type` the `requirementType` decides.
/// Counts and hours are read from JSON numbers or from strings holding one.
///
/// ```
/// use partner_alerts::score::{ComplianceStatus, SecurityRequirement};
///
/// let r: SecurityRequirement = serde_json::from_str(r##"{
///     "@odata.type": "#microsoft.graph.partner.security.responseTimeSecurityRequirement",
///     "requirementType": "securityAlertsPromptlyResolved",
///     "complianceStatus": "compliant", "score": "10", "averageResponseTimeInHours": "1.2" }"##)?;
/// let SecurityRequirement::ResponseTime(rt) = &r else { panic!("{r:?}") };
/// assert_eq!(rt.average_response_time_in_hours, Some(1.2));
/// assert_eq!(r.base().score, Some(10));
/// assert_eq!(r.base().compliance_status, Some(ComplianceStatus::Compliant));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SecurityRequirement {
    /// `responseTimeSecurityRequirement`.
    ResponseTime(ResponseTimeRequirement),
    /// `customersSpendingBudgetSecurityRequirement`.
    CustomersSpendingBudget(CustomersSpendingBudgetRequirement),
    /// `adminsMfaEnforcedSecurityRequirement`.
    AdminsMfa(AdminsMfaEnforcedRequirement),
    /// `customersMfaEnforcedSecurityRequirement`.
    CustomersMfa(CustomersMfaEnforcedRequirement),
    /// The base type, or a subtype this release does not know.
    Generic(GenericRequirement),
}

/// The subtypes by their type names (after the namespace).
const SUBTYPES: [&str; 4] = [
    "responseTimeSecurityRequirement",
    "customersSpendingBudgetSecurityRequirement",
    "adminsMfaEnforcedSecurityRequirement",
    "customersMfaEnforcedSecurityRequirement",
];

impl SecurityRequirement {
    /// The properties every requirement has.
    pub fn base(&self) -> &RequirementBase {
        match self {
            Self::ResponseTime(r) => &r.base,
            Self::CustomersSpendingBudget(r) => &r.base,
            Self::AdminsMfa(r) => &r.base,
            Self::CustomersMfa(r) => &r.base,
            Self::Generic(r) => &r.base,
        }
    }

    /// The response-time requirement, if this is it.
    pub fn as_response_time(&self) -> Option<&ResponseTimeRequirement> {
        match self {
            Self::ResponseTime(r) => Some(r),
            _ => None,
        }
    }

    /// Its `@odata.type` as Graph writes it (`#microsoft.graph.partner.security.…`); a
    /// generic requirement's as sent, or the base type's.
    pub fn odata_type(&self) -> String {
        let name = match self {
            Self::ResponseTime(_) => SUBTYPES[0],
            Self::CustomersSpendingBudget(_) => SUBTYPES[1],
            Self::AdminsMfa(_) => SUBTYPES[2],
            Self::CustomersMfa(_) => SUBTYPES[3],
            Self::Generic(g) => {
                return match g.other.get("@odata.type") {
                    Some(Value::String(t)) => t.clone(),
                    _ => format!("#{NAMESPACE}.securityRequirement"),
                };
            }
        };
        format!("#{NAMESPACE}.{name}")
    }
}

/// The type name of an `@odata.type` (`#microsoft.graph.partner.security.X` → `X`), with or
/// without the `#`.
fn type_name(odata_type: &str) -> &str {
    odata_type.rsplit('.').next().unwrap_or(odata_type)
}

impl<'de> Deserialize<'de> for SecurityRequirement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        let by_type = match map.get("@odata.type") {
            Some(Value::String(t)) => {
                let name = type_name(t);
                Some(SUBTYPES.iter().position(|s| s.eq_ignore_ascii_case(name)))
            }
            _ => None,
        };
        // Without @odata.type, the requirement type names the subtype.
        let index = by_type.unwrap_or_else(|| {
            let kind = map
                .get("requirementType")
                .and_then(Value::as_str)
                .map(SecurityRequirementType::parse);
            match kind {
                Some(SecurityRequirementType::SecurityAlertsPromptlyResolved) => Some(0),
                Some(SecurityRequirementType::SpendingBudgetSetForCustomerAzureSubscriptions) => {
                    Some(1)
                }
                Some(SecurityRequirementType::MfaEnforcedForAdmins) => Some(2),
                Some(SecurityRequirementType::MfaEnforcedForAdminsOfCustomers) => Some(3),
                _ => None,
            }
        });
        let value = Value::Object(map);
        let r = match index {
            Some(0) => serde_json::from_value(value).map(Self::ResponseTime),
            Some(1) => serde_json::from_value(value).map(Self::CustomersSpendingBudget),
            Some(2) => serde_json::from_value(value).map(Self::AdminsMfa),
            Some(3) => serde_json::from_value(value).map(Self::CustomersMfa),
            _ => serde_json::from_value(value).map(Self::Generic),
        };
        r.map_err(de::Error::custom)
    }
}

impl Serialize for SecurityRequirement {
    /// The properties with `@odata.type` first, as Graph writes a polymorphic item.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = match self {
            Self::ResponseTime(r) => serde_json::to_value(r),
            Self::CustomersSpendingBudget(r) => serde_json::to_value(r),
            Self::AdminsMfa(r) => serde_json::to_value(r),
            Self::CustomersMfa(r) => serde_json::to_value(r),
            Self::Generic(r) => serde_json::to_value(r),
        }
        .map_err(ser::Error::custom)?;
        let mut out = Map::new();
        out.insert("@odata.type".to_owned(), Value::String(self.odata_type()));
        if let Value::Object(m) = fields {
            out.extend(m.into_iter().filter(|(k, _)| k != "@odata.type"));
        }
        out.serialize(serializer)
    }
}
