//! Model tests, the open enums: every known value in every casing, `unknownFutureValue`,
//! unknown values kept byte for byte; the alert types and their categories.

use partner_alerts::{
    AlertCategory, AlertStatus, AlertType, ConfidenceLevel, ResolvedReason, Severity,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------------

/// Checks one open enum: every known value in Graph casing, Partner Center casing, upper
/// case and a mixed case; `unknownFutureValue`; unknown values; Display/FromStr; serde.
macro_rules! enum_suite {
    ($test:ident, $ty:ident, [$(($variant:ident, $graph:literal, $pc:literal)),* $(,)?], foreign: [$($foreign:literal),*]) => {
        #[test]
        fn $test() {
            let table: &[($ty, &str, &str)] = &[$(($ty::$variant, $graph, $pc)),*];
            let known: Vec<$ty> = table.iter().map(|(v, _, _)| v.clone()).collect();
            assert_eq!($ty::KNOWN, known.as_slice(), "KNOWN lists the declared order");

            for (v, graph, pc) in table {
                assert_ne!(graph, pc, "the two casings differ");
                let upper = graph.to_ascii_uppercase();
                let lower = graph.to_ascii_lowercase();
                let mixed: String = graph
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i % 2 == 0 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                    .collect();
                for spelling in [*graph, *pc, upper.as_str(), lower.as_str(), mixed.as_str()] {
                    assert_eq!($ty::parse(spelling), *v, "parse {spelling:?}");
                    assert_eq!(spelling.parse::<$ty>().unwrap(), *v, "FromStr {spelling:?}");
                    assert_eq!($ty::from(spelling), *v, "From<&str> {spelling:?}");
                    assert_eq!($ty::from(spelling.to_string()), *v, "From<String> {spelling:?}");
                    let json = serde_json::to_string(spelling).unwrap();
                    let decoded: $ty = serde_json::from_str(&json).unwrap();
                    assert_eq!(decoded, *v, "serde {spelling:?}");
                    let decoded: $ty = serde_json::from_value(Value::String(spelling.to_string())).unwrap();
                    assert_eq!(decoded, *v, "serde from_value {spelling:?}");
                    // Serialises to Graph's spelling whatever was read.
                    assert_eq!(serde_json::to_string(&decoded).unwrap(), format!("\"{graph}\""));
                }
                assert!(v.is_known());
                assert_eq!(v.as_str(), *graph);
                assert_eq!(v.as_partner_center_str(), *pc);
                assert_eq!(v.to_string(), *graph);
                assert_eq!(v.to_string().parse::<$ty>().unwrap(), *v);
                assert_eq!(v.as_partner_center_str().parse::<$ty>().unwrap(), *v);
            }

            // Graph's evolvable-enum placeholder.
            for spelling in ["unknownFutureValue", "UnknownFutureValue", "UNKNOWNFUTUREVALUE", "unknownfuturevalue"] {
                let v: $ty = serde_json::from_str(&format!("\"{spelling}\"")).unwrap();
                assert_eq!(v, $ty::UnknownFutureValue, "{spelling:?}");
                assert_eq!($ty::parse(spelling), $ty::UnknownFutureValue);
                assert!(!v.is_known());
                assert_eq!(v.as_str(), "unknownFutureValue");
                assert_eq!(v.as_partner_center_str(), "UnknownFutureValue");
                assert_eq!(v.to_string(), "unknownFutureValue");
                assert_eq!(serde_json::to_string(&v).unwrap(), "\"unknownFutureValue\"");
            }
            assert!(!$ty::KNOWN.contains(&$ty::UnknownFutureValue));

            // Unknown values: kept exactly, serialised back byte for byte.
            let unknowns: &[&str] = &[
                "escalated",
                "Escalated",
                "",
                " ",
                "none",
                "None",
                "unknown_future_value",
                "unknownFutureValue2",
                "tab\there \"quoted\" back\\slash",
                "caf\u{e9} \u{1F680} \u{0}\u{1f}",
                "\u{FF21}ctive",
                $(concat!(" ", $graph), concat!($graph, " "), concat!($graph, "s"),)*
                $($foreign,)*
            ];
            for raw in unknowns {
                let v = $ty::parse(raw);
                assert!(matches!(v, $ty::Unknown(_)), "{raw:?} is unknown, got {v:?}");
                assert!(!v.is_known());
                assert_eq!(v.as_str(), *raw);
                assert_eq!(v.as_partner_center_str(), *raw);
                assert_eq!(v.to_string(), *raw);
                assert_eq!(v.to_string().parse::<$ty>().unwrap(), v, "Display/FromStr agree");
                if let $ty::Unknown(u) = &v {
                    assert_eq!(u.as_str(), *raw);
                    assert_eq!(format!("{u:?}"), format!("{raw:?}"));
                }
                let json = serde_json::to_string(raw).unwrap();
                let decoded: $ty = serde_json::from_str(&json).unwrap();
                assert_eq!(decoded, v);
                assert_eq!(decoded.as_str().as_bytes(), raw.as_bytes());
                let out = serde_json::to_string(&decoded).unwrap();
                assert_eq!(out.as_bytes(), json.as_bytes(), "byte-for-byte round trip of {raw:?}");
                let decoded: $ty = serde_json::from_value(Value::String(raw.to_string())).unwrap();
                assert_eq!(decoded.as_str(), *raw);
                assert_eq!(serde_json::to_value(&decoded).unwrap(), Value::String(raw.to_string()));
            }
            // Unknown values compare by exact string.
            assert_ne!($ty::parse("escalated"), $ty::parse("Escalated"));
            assert_eq!($ty::parse("escalated"), $ty::parse("escalated"));

            // Escaped input decodes to the same unknown value as the plain string.
            let v: $ty = serde_json::from_str(r#""esc\u0061lated""#).unwrap();
            assert_eq!(v.as_str(), "escalated");

            // Not a string: an error, not a silent default.
            for bad in ["1", "true", "[]", "{}"] {
                assert!(serde_json::from_str::<$ty>(bad).is_err(), "{bad} must not decode");
            }
            // `null` is only valid as an absent optional.
            assert!(serde_json::from_str::<$ty>("null").is_err());
            assert_eq!(serde_json::from_str::<Option<$ty>>("null").unwrap(), None);
        }
    };
}

enum_suite!(
    alert_status_values,
    AlertStatus,
    [
        (Active, "active", "Active"),
        (Resolved, "resolved", "Resolved"),
        (Investigating, "investigating", "Investigating"),
    ],
    foreign: ["Resolve", "legitimate", "high", "informational"]
);

enum_suite!(
    severity_values,
    Severity,
    [
        (Informational, "informational", "Informational"),
        (High, "high", "High"),
        (Medium, "medium", "Medium"),
        (Low, "low", "Low"),
    ],
    foreign: ["critical", "active", "fraud", "Med"]
);

enum_suite!(
    confidence_level_values,
    ConfidenceLevel,
    [
        (Low, "low", "Low"),
        (Medium, "medium", "Medium"),
        (High, "high", "High"),
    ],
    foreign: ["informational", "Informational", "veryHigh"]
);

enum_suite!(
    resolved_reason_values,
    ResolvedReason,
    [
        (Legitimate, "legitimate", "Legitimate"),
        (Ignore, "ignore", "Ignore"),
        (Fraud, "fraud", "Fraud"),
    ],
    foreign: ["falsePositive", "resolved", "Ignored"]
);

#[test]
fn severity_rank_orders_known_values_only() {
    assert_eq!(Severity::High.rank(), Some(3));
    assert_eq!(Severity::Medium.rank(), Some(2));
    assert_eq!(Severity::Low.rank(), Some(1));
    assert_eq!(Severity::Informational.rank(), Some(0));
    assert_eq!(Severity::UnknownFutureValue.rank(), None);
    assert_eq!(Severity::parse("critical").rank(), None);
    assert_eq!(Severity::parse("HIGH").rank(), Some(3));
}

const ALERT_TYPES: &[(AlertType, &str, &str)] = &[
    (
        AlertType::SERVICE_HEALTH_SECURITY_ADVISORY,
        "serviceHealthSecurityAdvisory",
        "ServiceHealthSecurityAdvisory",
    ),
    (
        AlertType::USAGE_ANOMALY_DETECTION,
        "usageAnomalyDetection",
        "UsageAnomalyDetection",
    ),
    (
        AlertType::MULTI_REGION_VIRTUAL_MACHINE_SCALE_SET_DEPLOYMENT_ANOMALY,
        "multiRegionVirtualMachineScaleSetDeploymentAnomaly",
        "MultiRegionVirtualMachineScaleSetDeploymentAnomaly",
    ),
    (
        AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS,
        "networkConnectionsToCryptoMiningPools",
        "NetworkConnectionsToCryptoMiningPools",
    ),
    (
        AlertType::VIRTUAL_MACHINE_DEPLOYMENT_ANOMALY,
        "virtualMachineDeploymentAnomaly",
        "VirtualMachineDeploymentAnomaly",
    ),
    (
        AlertType::MULTI_REGION_MACHINE_LEARNING_USAGE_ANOMALY,
        "multiRegionMachineLearningUsageAnomaly",
        "MultiRegionMachineLearningUsageAnomaly",
    ),
    (
        AlertType::ARM_ANOMALOUS_RESOURCE_CONSUMPTION,
        "ARM_AnomalousResourceConsumption",
        "ARM_AnomalousResourceConsumption",
    ),
    (
        AlertType::ARM_SUSPICIOUS_OPERATIONS,
        "ARM_SuspiciousOperations",
        "ARM_SuspiciousOperations",
    ),
    (
        AlertType::VM_ANOMALOUS_DEPLOYMENT,
        "VM_AnomalousDeployment",
        "VM_AnomalousDeployment",
    ),
    (
        AlertType::AZURE_BATCH_ANOMALOUS_DEPLOYMENT,
        "AzureBatch_AnomalousDeployment",
        "AzureBatch_AnomalousDeployment",
    ),
    (
        AlertType::AZURE_CONTAINER_INSTANCES_ANOMALOUS_DEPLOYMENT,
        "AzureContainerInstances_AnomalousDeployment",
        "AzureContainerInstances_AnomalousDeployment",
    ),
    (
        AlertType::AZURE_MACHINE_LEARNING_ANOMALOUS_DEPLOYMENT,
        "AzureMachineLearning_AnomalousDeployment",
        "AzureMachineLearning_AnomalousDeployment",
    ),
    (AlertType::CRYPTO_MINING, "CryptoMining", "CryptoMining"),
];

#[test]
fn alert_type_known_values_in_every_casing() {
    assert_eq!(AlertType::KNOWN.len(), ALERT_TYPES.len());
    for ((k, canonical, _), listed) in ALERT_TYPES.iter().zip(AlertType::KNOWN) {
        assert_eq!(k.as_str(), *canonical);
        assert_eq!(listed.as_str(), *canonical, "KNOWN in declared order");
    }
    for (k, canonical, pc) in ALERT_TYPES {
        let upper = canonical.to_ascii_uppercase();
        let lower = canonical.to_ascii_lowercase();
        for spelling in [*canonical, *pc, upper.as_str(), lower.as_str()] {
            for t in [
                AlertType::new(spelling),
                AlertType::from(spelling),
                AlertType::from(spelling.to_string()),
                spelling.parse::<AlertType>().unwrap(),
                serde_json::from_str::<AlertType>(&serde_json::to_string(spelling).unwrap())
                    .unwrap(),
                serde_json::from_value::<AlertType>(Value::String(spelling.to_string())).unwrap(),
            ] {
                // Kept as given, equal to the constant ignoring case.
                assert_eq!(t.as_str(), spelling);
                assert_eq!(AsRef::<str>::as_ref(&t), spelling);
                assert_eq!(t, *k, "{spelling:?}");
                assert_eq!(t, spelling);
                assert_eq!(t, *canonical);
                assert!(t.is_known());
                assert_eq!(t.known().map(AlertType::as_str), Some(*canonical));
                assert_eq!(t.canonical().as_str(), *canonical);
                assert_eq!(t.to_string(), spelling);
                assert_eq!(
                    t.to_string().parse::<AlertType>().unwrap().as_str(),
                    spelling
                );
                assert_eq!(
                    serde_json::to_string(&t).unwrap(),
                    serde_json::to_string(spelling).unwrap()
                );
                assert_eq!(format!("{t:?}"), format!("AlertType({spelling:?})"));
            }
        }
    }
}

#[test]
fn alert_type_unknown_values_are_kept_byte_for_byte() {
    for raw in [
        "SomethingNew",
        "Quota_Anomaly",
        "unknownFutureValue",
        "UnknownFutureValue",
        "",
        " CryptoMining",
        "CryptoMining ",
        "Crypto Mining",
        "caf\u{e9} \u{1F680} \"quoted\" \\ \t\u{1}",
    ] {
        let t: AlertType = serde_json::from_str(&serde_json::to_string(raw).unwrap()).unwrap();
        assert!(!t.is_known(), "{raw:?}");
        assert_eq!(t.known(), None);
        assert_eq!(t.as_str(), raw);
        assert_eq!(t.canonical().as_str(), raw);
        assert_eq!(t.to_string(), raw);
        assert_eq!(t.to_string().parse::<AlertType>().unwrap(), t);
        let json = serde_json::to_string(raw).unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), json);
        assert_eq!(t.category(), AlertCategory::AzureUsage);
    }
    // Comparisons ignore ASCII case only.
    assert_eq!(
        AlertType::new("Quota_Anomaly"),
        AlertType::new("QUOTA_ANOMALY")
    );
    assert_ne!(
        AlertType::new("Quota_Anomaly"),
        AlertType::new("Quota-Anomaly")
    );
    assert_ne!(AlertType::new("caf\u{e9}"), AlertType::new("CAF\u{c9}"));
}

#[test]
fn alert_type_hash_agrees_with_case_insensitive_eq() {
    use std::collections::HashSet;
    let mut set = HashSet::new();
    assert!(set.insert(AlertType::new("NetworkConnectionsToCryptoMiningPools")));
    assert!(!set.insert(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS));
    assert!(!set.insert(AlertType::new("NETWORKCONNECTIONSTOCRYPTOMININGPOOLS")));
    assert!(set.insert(AlertType::new("Quota_Anomaly")));
    assert!(!set.insert(AlertType::new("quota_anomaly")));
    assert_eq!(set.len(), 2);
}

#[test]
fn alert_type_categories() {
    for spelling in [
        "serviceHealthSecurityAdvisory",
        "ServiceHealthSecurityAdvisory",
        "SERVICEHEALTHSECURITYADVISORY",
    ] {
        assert_eq!(
            AlertType::new(spelling).category(),
            AlertCategory::AzureNotification
        );
    }
    for (k, _, _) in &ALERT_TYPES[1..] {
        assert_eq!(k.category(), AlertCategory::AzureUsage, "{k}");
    }
    assert_eq!(
        AlertCategory::AzureNotification.label(),
        "Azure Notification"
    );
    assert_eq!(AlertCategory::AzureUsage.to_string(), "Azure Usage");
}
