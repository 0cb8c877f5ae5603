//! Property tests for the open enums: any string decodes, and serialises back unchanged
//! unless it is a known value (ignoring ASCII case), which is written in its canonical
//! spelling.

use partner_alerts::{AlertStatus, AlertType, ConfidenceLevel, ResolvedReason, Severity};
use proptest::prelude::*;
use serde_json::Value;

/// Identifier-like strings, as the services send (`networkConnections...`, `ARM_Foo`).
const IDENT: &str = "[A-Za-z_][A-Za-z0-9_]{0,40}";

/// Every spelling the enums know, canonical first (the placeholder included).
const STATUS: &[&str] = &["active", "resolved", "investigating", "unknownFutureValue"];
const SEVERITY: &[&str] = &[
    "informational",
    "high",
    "medium",
    "low",
    "unknownFutureValue",
];
const CONFIDENCE: &[&str] = &["low", "medium", "high", "unknownFutureValue"];
const REASON: &[&str] = &["legitimate", "ignore", "fraud", "unknownFutureValue"];
const ALERT_TYPES: &[&str] = &[
    "serviceHealthSecurityAdvisory",
    "usageAnomalyDetection",
    "multiRegionVirtualMachineScaleSetDeploymentAnomaly",
    "networkConnectionsToCryptoMiningPools",
    "virtualMachineDeploymentAnomaly",
    "multiRegionMachineLearningUsageAnomaly",
    "ARM_AnomalousResourceConsumption",
    "ARM_SuspiciousOperations",
    "VM_AnomalousDeployment",
    "AzureBatch_AnomalousDeployment",
    "AzureContainerInstances_AnomalousDeployment",
    "AzureMachineLearning_AnomalousDeployment",
    "CryptoMining",
];

/// The canonical spelling `s` matches, ignoring ASCII case.
fn known_spelling(table: &[&'static str], s: &str) -> Option<&'static str> {
    table.iter().copied().find(|k| k.eq_ignore_ascii_case(s))
}

/// A known spelling with its letters' case scrambled by `mask`.
fn scrambled(table: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        prop::sample::select(table),
        prop::collection::vec(any::<bool>(), 64),
    )
        .prop_map(|(k, mask)| {
            k.chars()
                .zip(mask.into_iter().cycle())
                .map(|(c, up)| {
                    if up {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect()
        })
}

/// Strings to try: arbitrary ones, identifier-like ones, and known values in any case (which
/// the first two would almost never produce).
fn inputs(table: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        IDENT.prop_map(String::from),
        scrambled(table),
        // Near misses: a known value with something around it.
        (scrambled(table), "[ _0-9a-z]{1,3}").prop_map(|(k, extra)| format!("{k}{extra}")),
        (scrambled(table), "[ _0-9a-z]{1,3}").prop_map(|(k, extra)| format!("{extra}{k}")),
    ]
}

macro_rules! enum_property {
    ($name:ident, $ty:ident, $table:expr) => {
        proptest! {
            #[test]
            fn $name(s in inputs($table)) {
                let json = serde_json::to_string(&s).unwrap();

                // Decodes without error through every path.
                let from_str: $ty = serde_json::from_str(&json).unwrap();
                let from_value: $ty = serde_json::from_value(Value::String(s.clone())).unwrap();
                let from_reader: $ty = serde_json::from_reader(json.as_bytes()).unwrap();
                prop_assert_eq!(&from_value, &from_str);
                prop_assert_eq!(&from_reader, &from_str);
                let parsed: $ty = s.parse().unwrap();
                prop_assert_eq!(&parsed, &from_str);

                let out = serde_json::to_string(&from_str).unwrap();
                match known_spelling($table, &s) {
                    None => {
                        prop_assert!(matches!(from_str, $ty::Unknown(_)), "{:?} -> {:?}", s, from_str);
                        prop_assert!(!from_str.is_known());
                        prop_assert_eq!(from_str.as_str(), s.as_str());
                        prop_assert_eq!(from_str.as_partner_center_str(), s.as_str());
                        // Byte for byte.
                        prop_assert_eq!(out.as_bytes(), json.as_bytes());
                        prop_assert_eq!(from_str.to_string(), s.clone());
                    }
                    Some(canonical) => {
                        prop_assert_eq!(out.clone(), format!("\"{}\"", canonical));
                        prop_assert!(out.eq_ignore_ascii_case(&json));
                        prop_assert_eq!(from_str.as_str(), canonical);
                        prop_assert!(from_str.as_partner_center_str().eq_ignore_ascii_case(&s));
                        prop_assert_eq!(
                            from_str.is_known(),
                            !canonical.eq_ignore_ascii_case("unknownFutureValue")
                        );
                        prop_assert_eq!(from_str.to_string(), canonical);
                    }
                }

                // Display and FromStr agree; decoding the output gives the same value.
                let shown = from_str.to_string();
                prop_assert_eq!(&shown.parse::<$ty>().unwrap(), &from_str);
                let again: $ty = serde_json::from_str(&out).unwrap();
                prop_assert_eq!(&again, &from_str);
                prop_assert_eq!(serde_json::to_string(&again).unwrap(), out);
            }
        }
    };
}

enum_property!(alert_status_decodes_any_string, AlertStatus, STATUS);
enum_property!(severity_decodes_any_string, Severity, SEVERITY);
enum_property!(
    confidence_level_decodes_any_string,
    ConfidenceLevel,
    CONFIDENCE
);
enum_property!(resolved_reason_decodes_any_string, ResolvedReason, REASON);

proptest! {
    #[test]
    fn alert_type_decodes_any_string(s in inputs(ALERT_TYPES)) {
        let json = serde_json::to_string(&s).unwrap();
        let t: AlertType = serde_json::from_str(&json).unwrap();
        let from_value: AlertType = serde_json::from_value(Value::String(s.clone())).unwrap();
        let from_reader: AlertType = serde_json::from_reader(json.as_bytes()).unwrap();
        let parsed: AlertType = s.parse().unwrap();
        for other in [&from_value, &from_reader, &parsed, &AlertType::new(s.clone())] {
            prop_assert_eq!(other.as_str(), s.as_str());
        }

        // An open newtype: always written back exactly as read.
        let out = serde_json::to_string(&t).unwrap();
        prop_assert_eq!(out.as_bytes(), json.as_bytes());
        prop_assert_eq!(t.as_str(), s.as_str());
        prop_assert_eq!(t.to_string(), s.clone());
        let reparsed: AlertType = t.to_string().parse().unwrap();
        prop_assert_eq!(reparsed.as_str(), s.as_str());

        // Its canonical form: the known spelling, or the value unchanged.
        match known_spelling(ALERT_TYPES, &s) {
            None => {
                prop_assert!(!t.is_known(), "{:?}", s);
                prop_assert!(t.known().is_none());
                let canonical = t.canonical();
                prop_assert_eq!(canonical.as_str(), s.as_str());
                let canonical_out = serde_json::to_string(&t.canonical()).unwrap();
                prop_assert_eq!(canonical_out.as_bytes(), json.as_bytes());
            }
            Some(canonical) => {
                prop_assert!(t.is_known(), "{:?}", s);
                prop_assert_eq!(t.known().map(AlertType::as_str), Some(canonical));
                let canonical_type = t.canonical();
                prop_assert_eq!(canonical_type.as_str(), canonical);
                let canonical_out = serde_json::to_string(&t.canonical()).unwrap();
                prop_assert_eq!(canonical_out.clone(), format!("\"{}\"", canonical));
                prop_assert!(canonical_out.eq_ignore_ascii_case(&json));
                prop_assert_eq!(&t.canonical(), &t);
            }
        }
    }

    #[test]
    fn alert_type_eq_and_hash_ignore_ascii_case(s in inputs(ALERT_TYPES)) {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        fn hash(t: &AlertType) -> u64 {
            let mut h = DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        }
        let a = AlertType::new(s.clone());
        let b = AlertType::new(s.to_ascii_uppercase());
        let c = AlertType::new(s.to_ascii_lowercase());
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(&a, &c);
        prop_assert_eq!(hash(&a), hash(&b));
        prop_assert_eq!(hash(&a), hash(&c));
        let longer = AlertType::new(format!("{s}x"));
        prop_assert_ne!(&a, &longer);
    }
}
