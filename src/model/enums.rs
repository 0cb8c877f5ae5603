//! The services' enumerations, all open.
//!
//! Microsoft adds alert types and enum members with little notice, so no value ever fails a
//! decode: each enum has its known variants, `UnknownFutureValue` (Graph's placeholder for a
//! member it withheld), and `Unknown` keeping the exact string read. Parsing ignores case
//! (Graph sends `active`, Partner Center `Active`); serialising writes Graph's spelling for
//! known values and the exact string read for unknown ones.
//!
//! ```
//! use partner_alerts::AlertStatus;
//!
//! assert_eq!("Active".parse::<AlertStatus>().unwrap(), AlertStatus::Active);
//! let novel = AlertStatus::from("escalated");
//! assert!(!novel.is_known());
//! assert_eq!(novel.as_str(), "escalated");
//! assert_eq!(serde_json::to_string(&novel).unwrap(), "\"escalated\"");
//! ```

use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The raw string of an enum value this release does not know.
///
/// Opaque on purpose: match on the known variants and treat the rest alike, since a value
/// unknown today may become a variant in the next release. Read it with [`UnknownValue::as_str`];
/// build one through the enum's `From<&str>`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnknownValue(Box<str>);

impl UnknownValue {
    /// The string exactly as the service sent it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Keeps `value` (for the enums' parsers).
    pub(crate) fn wrap(value: Box<str>) -> Self {
        UnknownValue(value)
    }
}

impl fmt::Debug for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

macro_rules! open_enum {
    // Graph-only enums (the security score's): no Partner Center spelling; a variant may
    // accept other spellings (`| "alias"`), read as it and written as its first spelling.
    (
        graph_only:
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $graph:literal $(| $alias:literal)*; )*
        }
    ) => {
        open_enum!(@core $(#[$meta])* $name, $what { $( $(#[$vmeta])* $variant => $graph $(| $alias)*; )* });
    };
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $graph:literal, $pc:literal; )*
        }
    ) => {
        open_enum!(@core $(#[$meta])* $name, $what { $( $(#[$vmeta])* $variant => $graph; )* });

        impl $name {
            /// The value as Partner Center spells it (`Active`), or the exact string read
            /// when unknown.
            pub fn as_partner_center_str(&self) -> &str {
                match self {
                    $( Self::$variant => $pc, )*
                    Self::UnknownFutureValue => "UnknownFutureValue",
                    Self::Unknown(v) => v.as_str(),
                }
            }
        }
    };
    (
        @core
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $graph:literal $(| $alias:literal)*; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// Graph's `unknownFutureValue`: the service withheld a member newer than the
            /// client asked for (see `Prefer: include-unknown-enum-members`).
            UnknownFutureValue,
            /// A value this release does not know, kept exactly as read.
            Unknown(UnknownValue),
        }

        impl $name {
            /// Every known variant, in the service's declared order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// Parses a wire value, ignoring case. Never fails: an unrecognised value becomes
            /// [`Self::Unknown`].
            pub fn parse(value: &str) -> Self {
                Self::parse_known(value).unwrap_or_else(|| Self::Unknown(UnknownValue::wrap(value.into())))
            }

            fn parse_known(value: &str) -> Option<Self> {
                $(
                    if value.eq_ignore_ascii_case($graph) $(|| value.eq_ignore_ascii_case($alias))* {
                        return Some(Self::$variant);
                    }
                )*
                if value.eq_ignore_ascii_case("unknownFutureValue") {
                    return Some(Self::UnknownFutureValue);
                }
                None
            }

            /// The value as Graph spells it (`active`), or the exact string read when unknown.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $graph, )*
                    Self::UnknownFutureValue => "unknownFutureValue",
                    Self::Unknown(v) => v.as_str(),
                }
            }

            /// Whether this is one of the known variants (not `UnknownFutureValue` or `Unknown`).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::UnknownFutureValue | Self::Unknown(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Infallible;
            fn from_str(s: &str) -> Result<Self, Infallible> {
                Ok(Self::parse(s))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::parse(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self::parse_known(&s).unwrap_or_else(|| Self::Unknown(UnknownValue::wrap(s.into_boxed_str())))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$name, E> {
                        Ok($name::parse(v))
                    }
                    fn visit_string<E: de::Error>(self, v: String) -> Result<$name, E> {
                        Ok($name::from(v))
                    }
                }
                deserializer.deserialize_str(V)
            }
        }
    };
}

// For the security score's enums (`model::score`) and the directory's (`enrich`).
pub(crate) use open_enum;

open_enum!(
    /// An alert's status (`securityAlertStatus`; Partner Center `eventStatus`).
    AlertStatus, "an alert status string" {
        /// New, not yet handled.
        Active => "active", "Active";
        /// Closed, normally with a [`ResolvedReason`].
        Resolved => "resolved", "Resolved";
        /// Being looked at.
        Investigating => "investigating", "Investigating";
    }
);

open_enum!(
    /// How severe an alert is (`securityAlertSeverity`).
    Severity, "a severity string" {
        /// For information only (Graph only).
        Informational => "informational", "Informational";
        /// High.
        High => "high", "High";
        /// Medium.
        Medium => "medium", "Medium";
        /// Low.
        Low => "low", "Low";
    }
);

open_enum!(
    /// How sure the detection is (`securityAlertConfidence`).
    ConfidenceLevel, "a confidence level string" {
        /// Low.
        Low => "low", "Low";
        /// Medium.
        Medium => "medium", "Medium";
        /// High.
        High => "high", "High";
    }
);

open_enum!(
    /// Why an alert was resolved (`securityAlertResolvedReason`).
    ///
    /// Partner Center documents only `Fraud` and `Ignore` for its status update; set
    /// `Legitimate` through Graph.
    ResolvedReason, "a resolved reason string" {
        /// Expected activity or a false positive.
        Legitimate => "legitimate", "Legitimate";
        /// An older alert to be ignored.
        Ignore => "ignore", "Ignore";
        /// Unauthorised use of the subscription.
        Fraud => "fraud", "Fraud";
    }
);

impl Severity {
    /// Orders severities for triage: higher is more urgent; `None` for values not known.
    ///
    /// ```
    /// use partner_alerts::Severity;
    /// assert!(Severity::High.rank() > Severity::Medium.rank());
    /// assert_eq!(Severity::from("catastrophic").rank(), None);
    /// ```
    pub fn rank(&self) -> Option<u8> {
        match self {
            Severity::High => Some(3),
            Severity::Medium => Some(2),
            Severity::Low => Some(1),
            Severity::Informational => Some(0),
            _ => None,
        }
    }
}

/// The kind of alert: an open vocabulary, not an enum.
///
/// Alert types change more than any other value (new detections are added with little
/// notice) and arrive in three spellings: Graph's lower camel case
/// (`networkConnectionsToCryptoMiningPools`), Partner Center's Pascal case
/// (`NetworkConnectionsToCryptoMiningPools`), and the current types' names with underscores
/// (`ARM_SuspiciousOperations`). So `AlertType` keeps the string it was given, compares
/// ignoring ASCII case, and offers the known types as constants.
///
/// ```
/// use partner_alerts::AlertType;
///
/// let t = AlertType::new("NetworkConnectionsToCryptoMiningPools");
/// assert_eq!(t, AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS);
/// assert_eq!(t.as_str(), "NetworkConnectionsToCryptoMiningPools");
/// assert_eq!(t.canonical().as_str(), "networkConnectionsToCryptoMiningPools");
/// assert!(!AlertType::new("SomethingNew").is_known());
/// ```
#[derive(Clone)]
pub struct AlertType(Cow<'static, str>);

macro_rules! alert_types {
    ($( $(#[$meta:meta])* $konst:ident = $wire:literal, $pc:literal; )*) => {
        impl AlertType {
            $( $(#[$meta])* pub const $konst: AlertType = AlertType(Cow::Borrowed($wire)); )*

            /// Every alert type this release knows, in their canonical spelling.
            pub const KNOWN: &'static [AlertType] = &[$(AlertType::$konst),*];
        }

        /// Spellings decoded without allocating: the canonical ones and Partner Center's.
        const INTERNED: &[&str] = &[$($wire, $pc),*];
    };
}

alert_types! {
    /// A security advisory sent to the customer as a Service Health notification.
    SERVICE_HEALTH_SECURITY_ADVISORY = "serviceHealthSecurityAdvisory", "ServiceHealthSecurityAdvisory";
    /// Anomalous usage (older type).
    USAGE_ANOMALY_DETECTION = "usageAnomalyDetection", "UsageAnomalyDetection";
    /// Virtual machine scale sets deployed across regions (older type).
    MULTI_REGION_VIRTUAL_MACHINE_SCALE_SET_DEPLOYMENT_ANOMALY = "multiRegionVirtualMachineScaleSetDeploymentAnomaly", "MultiRegionVirtualMachineScaleSetDeploymentAnomaly";
    /// A virtual machine connecting to a crypto-currency mining pool (older type).
    NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS = "networkConnectionsToCryptoMiningPools", "NetworkConnectionsToCryptoMiningPools";
    /// Anomalous virtual machine deployment (older type).
    VIRTUAL_MACHINE_DEPLOYMENT_ANOMALY = "virtualMachineDeploymentAnomaly", "VirtualMachineDeploymentAnomaly";
    /// Machine Learning usage across regions (older type).
    MULTI_REGION_MACHINE_LEARNING_USAGE_ANOMALY = "multiRegionMachineLearningUsageAnomaly", "MultiRegionMachineLearningUsageAnomaly";
    /// Anomalous resource consumption seen in Azure Resource Manager (current type).
    ARM_ANOMALOUS_RESOURCE_CONSUMPTION = "ARM_AnomalousResourceConsumption", "ARM_AnomalousResourceConsumption";
    /// Suspicious Azure Resource Manager operations (current type).
    ARM_SUSPICIOUS_OPERATIONS = "ARM_SuspiciousOperations", "ARM_SuspiciousOperations";
    /// Anomalous virtual machine deployment (current type).
    VM_ANOMALOUS_DEPLOYMENT = "VM_AnomalousDeployment", "VM_AnomalousDeployment";
    /// Anomalous Azure Batch deployment (current type).
    AZURE_BATCH_ANOMALOUS_DEPLOYMENT = "AzureBatch_AnomalousDeployment", "AzureBatch_AnomalousDeployment";
    /// Anomalous Azure Container Instances deployment (current type).
    AZURE_CONTAINER_INSTANCES_ANOMALOUS_DEPLOYMENT = "AzureContainerInstances_AnomalousDeployment", "AzureContainerInstances_AnomalousDeployment";
    /// Anomalous Azure Machine Learning deployment (current type).
    AZURE_MACHINE_LEARNING_ANOMALOUS_DEPLOYMENT = "AzureMachineLearning_AnomalousDeployment", "AzureMachineLearning_AnomalousDeployment";
    /// Crypto-currency mining (current type).
    CRYPTO_MINING = "CryptoMining", "CryptoMining";
}

/// The two categories the Partner Center dashboard shows in its "Alert type" column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlertCategory {
    /// A message sent to the customer and shown as a Service Health notification.
    AzureNotification,
    /// Unusual or anomalous activity, such as crypto mining.
    AzureUsage,
}

impl AlertCategory {
    /// The label the dashboard shows.
    pub fn label(self) -> &'static str {
        match self {
            AlertCategory::AzureNotification => "Azure Notification",
            AlertCategory::AzureUsage => "Azure Usage",
        }
    }
}

impl fmt::Display for AlertCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl AlertType {
    /// An alert type from any string; nothing is rejected.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        match INTERNED.iter().find(|k| **k == value) {
            Some(k) => AlertType(Cow::Borrowed(k)),
            None => AlertType(Cow::Owned(value)),
        }
    }

    fn from_wire(value: &str) -> Self {
        match INTERNED
            .iter()
            .find(|k| k.len() == value.len() && **k == value)
        {
            Some(k) => AlertType(Cow::Borrowed(k)),
            None => AlertType(Cow::Owned(value.to_owned())),
        }
    }

    /// The string as received or given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The known type this is, whatever its casing.
    pub fn known(&self) -> Option<&'static AlertType> {
        Self::KNOWN
            .iter()
            .find(|k| k.0.eq_ignore_ascii_case(&self.0))
    }

    /// Whether this release knows the type.
    pub fn is_known(&self) -> bool {
        self.known().is_some()
    }

    /// The known type's canonical (Graph) spelling, or this value unchanged.
    pub fn canonical(&self) -> AlertType {
        self.known().cloned().unwrap_or_else(|| self.clone())
    }

    /// The dashboard category: `serviceHealthSecurityAdvisory` is an Azure Notification,
    /// every other type Azure Usage (the documented mapping is only implied; see the API
    /// reference's open question Q27).
    pub fn category(&self) -> AlertCategory {
        if *self == AlertType::SERVICE_HEALTH_SECURITY_ADVISORY {
            AlertCategory::AzureNotification
        } else {
            AlertCategory::AzureUsage
        }
    }
}

impl PartialEq for AlertType {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for AlertType {}

impl Hash for AlertType {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Consistent with the case-insensitive `Eq`.
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_u8(0xff);
    }
}

impl PartialEq<str> for AlertType {
    fn eq(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl PartialEq<&str> for AlertType {
    fn eq(&self, other: &&str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Debug for AlertType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AlertType({:?})", &*self.0)
    }
}

impl fmt::Display for AlertType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for AlertType {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Infallible> {
        Ok(AlertType::from_wire(s))
    }
}

impl From<&str> for AlertType {
    fn from(s: &str) -> Self {
        AlertType::from_wire(s)
    }
}

impl From<String> for AlertType {
    fn from(s: String) -> Self {
        AlertType::new(s)
    }
}

impl AsRef<str> for AlertType {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for AlertType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AlertType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AlertType;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an alert type string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AlertType, E> {
                Ok(AlertType::from_wire(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<AlertType, E> {
                Ok(AlertType::new(v))
            }
        }
        deserializer.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_in_both_casings() {
        for (graph, pc, v) in [
            ("active", "Active", AlertStatus::Active),
            ("resolved", "Resolved", AlertStatus::Resolved),
            ("investigating", "Investigating", AlertStatus::Investigating),
        ] {
            assert_eq!(AlertStatus::parse(graph), v);
            assert_eq!(AlertStatus::parse(pc), v);
            assert_eq!(AlertStatus::parse(&graph.to_uppercase()), v);
            assert_eq!(v.as_str(), graph);
            assert_eq!(v.as_partner_center_str(), pc);
        }
        assert_eq!(
            AlertStatus::parse("unknownFutureValue"),
            AlertStatus::UnknownFutureValue
        );
    }

    #[test]
    fn alert_type_hash_matches_eq() {
        use std::collections::HashSet;
        let mut set = HashSet::new();
        set.insert(AlertType::new("CryptoMining"));
        assert!(set.contains(&AlertType::new("cryptomining")));
        assert!(!set.contains(&AlertType::new("cryptomining2")));
    }

    #[test]
    fn alert_type_interns_known_spellings() {
        let t: AlertType =
            serde_json::from_str("\"NetworkConnectionsToCryptoMiningPools\"").unwrap();
        assert!(matches!(t.0, Cow::Borrowed(_)));
        let t: AlertType = serde_json::from_str("\"Brand_NewType\"").unwrap();
        assert!(matches!(t.0, Cow::Owned(_)));
        assert_eq!(t.as_str(), "Brand_NewType");
    }
}
