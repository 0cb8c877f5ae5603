//! The security score's enumerations (reference section 11.6), open like every other.

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::super::enums::open_enum;
use crate::model::UnknownValue;

open_enum!(graph_only:
    /// Whether a requirement is met (`complianceStatus`).
    ///
    /// Graph's SDKs ship the member as `noncomplaint` (sic) and one documentation example
    /// sends `nonCompliant`: both read as [`ComplianceStatus::NonCompliant`], which is
    /// written as the shipped `noncomplaint`, the spelling Graph's own SDKs can read.
    ///
    /// ```
    /// use partner_alerts::score::ComplianceStatus;
    ///
    /// assert_eq!(ComplianceStatus::parse("nonCompliant"), ComplianceStatus::NonCompliant);
    /// assert_eq!(ComplianceStatus::parse("noncomplaint"), ComplianceStatus::NonCompliant);
    /// assert_eq!(ComplianceStatus::NonCompliant.as_str(), "noncomplaint");
    /// ```
    ComplianceStatus, "a compliance status string" {
        /// The requirement is met.
        Compliant => "compliant";
        /// The requirement is not met.
        NonCompliant => "noncomplaint" | "nonCompliant";
    }
);

open_enum!(graph_only:
    /// Which requirement (`securityRequirementType`).
    SecurityRequirementType, "a security requirement type string" {
        /// MFA for every administrative user of the partner tenant.
        MfaEnforcedForAdmins => "mfaEnforcedForAdmins";
        /// MFA for the administrators of the customers' tenants.
        MfaEnforcedForAdminsOfCustomers => "mfaEnforcedForAdminsOfCustomers";
        /// Security alerts answered promptly (the 24-hour average).
        SecurityAlertsPromptlyResolved => "securityAlertsPromptlyResolved";
        /// A security contact designated in Partner Center.
        SecurityContactProvided => "securityContactProvided";
        /// Spending budgets set on the customers' Azure subscriptions.
        SpendingBudgetSetForCustomerAzureSubscriptions => "spendingBudgetSetForCustomerAzureSubscriptions";
    }
);

open_enum!(graph_only:
    /// Whether a requirement counts yet (`securityRequirementState`).
    SecurityRequirementState, "a security requirement state string" {
        /// In force.
        Active => "active";
        /// Shown, not yet in force.
        Preview => "preview";
    }
);

open_enum!(graph_only:
    /// Whether a tenant policy is on (`policyStatus`).
    PolicyStatus, "a policy status string" {
        /// On.
        Enabled => "enabled";
        /// Off.
        Disabled => "disabled";
    }
);

impl SecurityRequirementType {
    /// Whether the CSP authorization requires it (since 1 October 2025): MFA for the
    /// partner's admins, a security contact, and alerts answered within 24 hours on average.
    /// Derived from the requirements' names (the reference's section 11.8 calls the mapping
    /// unconfirmed); the spending budget and the customers' MFA are recommended only.
    ///
    /// ```
    /// use partner_alerts::score::SecurityRequirementType as T;
    ///
    /// assert!(T::SecurityAlertsPromptlyResolved.is_mandatory());
    /// assert!(!T::SpendingBudgetSetForCustomerAzureSubscriptions.is_mandatory());
    /// ```
    pub fn is_mandatory(&self) -> bool {
        matches!(
            self,
            Self::MfaEnforcedForAdmins
                | Self::SecurityContactProvided
                | Self::SecurityAlertsPromptlyResolved
        )
    }
}
