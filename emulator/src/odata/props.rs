//! The properties of `partnerSecurityAlert`: their Graph names, in declared order, and their
//! types as far as filtering is concerned.

use partner_alerts::{AlertStatus, ConfidenceLevel, ResolvedReason, Severity};

use super::error::FilterError;

/// The type of a property, as far as filtering is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Compared exactly.
    Text,
    /// A GUID held in a string: compared ignoring case.
    Guid,
    /// `alertType`: an open string compared ignoring case.
    AlertType,
    /// One of the four evolvable enums.
    Enum(EnumKind),
    /// `DateTimeOffset`.
    DateTime,
    /// `Boolean`.
    Bool,
    /// A collection or complex property: selectable, not filterable.
    Complex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EnumKind {
    Status,
    Severity,
    Confidence,
    ResolvedReason,
}

impl EnumKind {
    pub(super) fn type_name(self) -> &'static str {
        match self {
            EnumKind::Status => "securityAlertStatus",
            EnumKind::Severity => "securityAlertSeverity",
            EnumKind::Confidence => "securityAlertConfidence",
            EnumKind::ResolvedReason => "securityAlertResolvedReason",
        }
    }

    /// The known members' wire values.
    pub(super) fn members(self) -> Vec<String> {
        fn names<T>(known: &[T], f: impl Fn(&T) -> &str) -> Vec<String> {
            known.iter().map(|v| f(v).to_owned()).collect()
        }
        match self {
            EnumKind::Status => names(AlertStatus::KNOWN, AlertStatus::as_str),
            EnumKind::Severity => names(Severity::KNOWN, Severity::as_str),
            EnumKind::Confidence => names(ConfidenceLevel::KNOWN, ConfidenceLevel::as_str),
            EnumKind::ResolvedReason => names(ResolvedReason::KNOWN, ResolvedReason::as_str),
        }
    }
}

/// A property of `partnerSecurityAlert`, by its Graph JSON name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Prop {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
}

/// Every property of `partnerSecurityAlert`, in Graph's declared order.
pub(super) const PROPS: &[Prop] = &[
    Prop {
        name: "id",
        kind: Kind::Guid,
    },
    Prop {
        name: "displayName",
        kind: Kind::Text,
    },
    Prop {
        name: "description",
        kind: Kind::Text,
    },
    Prop {
        name: "alertType",
        kind: Kind::AlertType,
    },
    Prop {
        name: "status",
        kind: Kind::Enum(EnumKind::Status),
    },
    Prop {
        name: "severity",
        kind: Kind::Enum(EnumKind::Severity),
    },
    Prop {
        name: "confidenceLevel",
        kind: Kind::Enum(EnumKind::Confidence),
    },
    Prop {
        name: "customerTenantId",
        kind: Kind::Guid,
    },
    Prop {
        name: "subscriptionId",
        kind: Kind::Guid,
    },
    Prop {
        name: "valueAddedResellerTenantId",
        kind: Kind::Guid,
    },
    Prop {
        name: "catalogOfferId",
        kind: Kind::Text,
    },
    Prop {
        name: "detectedDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "firstObservedDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "lastObservedDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "resolvedReason",
        kind: Kind::Enum(EnumKind::ResolvedReason),
    },
    Prop {
        name: "resolvedOnDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "resolvedBy",
        kind: Kind::Text,
    },
    Prop {
        name: "isTest",
        kind: Kind::Bool,
    },
    Prop {
        name: "affectedResources",
        kind: Kind::Complex,
    },
    Prop {
        name: "activityLogs",
        kind: Kind::Complex,
    },
    Prop {
        name: "additionalDetails",
        kind: Kind::Complex,
    },
];

/// The JSON names of every `partnerSecurityAlert` property, in Graph's declared order.
pub fn property_names() -> impl Iterator<Item = &'static str> {
    PROPS.iter().map(|p| p.name)
}

/// The Graph spelling of a property name given in any case.
pub fn canonical_property(name: &str) -> Option<&'static str> {
    find_prop(name).map(|p| p.name)
}

pub(super) fn find_prop(name: &str) -> Option<Prop> {
    PROPS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .copied()
}

pub(super) fn not_found(name: &str) -> FilterError {
    FilterError::new(format!(
        "Could not find a property named '{name}' on type \
         'microsoft.graph.partner.security.partnerSecurityAlert'."
    ))
}
