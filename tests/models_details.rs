//! Model tests, `AdditionalDetails`: values that are not strings, the typed accessors,
//! equality.

mod support;

use partner_alerts::{AdditionalDetails, Alert, FraudEvent};
use serde_json::{Value, json};
use support::models::*;

#[test]
fn additional_details_keep_non_string_values() {
    // Written as text, so that the keys' order (not alphabetical) is the service's.
    let input_text = r#"{
        "number": 5,
        "negative": -3,
        "float": 1.5,
        "big": 18446744073709551615,
        "yes": true,
        "no": false,
        "array": [1, "two", null, {"three": 3}],
        "object": {"k": "v", "n": [1, 2]},
        "nothing": null,
        "text": "plain"
    }"#;
    let input: Value = serde_json::from_str(input_text).unwrap();
    let a: Alert = serde_json::from_str(&format!(
        r#"{{"id": "a1", "additionalDetails": {input_text}}}"#
    ))
    .unwrap();
    let d = a.additional_details.as_ref().unwrap();
    assert_eq!(d.len(), 10);
    assert!(!d.is_empty());
    assert_eq!(d.get("number"), Some(&json!(5)));
    assert_eq!(d.get("negative"), Some(&json!(-3)));
    assert_eq!(d.get("float"), Some(&json!(1.5)));
    assert_eq!(d.get("big").and_then(Value::as_u64), Some(u64::MAX));
    assert_eq!(d.get("yes"), Some(&Value::Bool(true)));
    assert_eq!(d.get("no"), Some(&Value::Bool(false)));
    assert_eq!(d.get("array"), Some(&json!([1, "two", null, {"three": 3}])));
    assert_eq!(d.get("object"), Some(&json!({"k": "v", "n": [1, 2]})));
    assert_eq!(d.get("nothing"), Some(&Value::Null));
    assert_eq!(d.get("missing"), None);
    assert_eq!(d.get_str("text"), Some("plain"));
    assert_eq!(d.get_str("number"), None, "not a string");

    // Written back unchanged, in the order read.
    let out = serde_json::to_value(d).unwrap();
    assert_eq!(out, input);
    assert_eq!(
        serde_json::to_value(&a).unwrap()["additionalDetails"],
        input
    );
    let text = serde_json::to_string(d).unwrap();
    let order: Vec<usize> = [
        "\"number\"",
        "\"negative\"",
        "\"float\"",
        "\"big\"",
        "\"yes\"",
        "\"no\"",
        "\"array\"",
        "\"object\"",
        "\"nothing\"",
        "\"text\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "order kept: {text}");
    let back: AdditionalDetails = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, d);

    // The same through a fraud event.
    let e = event(json!({"eventId": "e1", "additionalDetails": input}));
    assert_eq!(e.additional_details.as_ref(), Some(d));
    assert_eq!(
        serde_json::to_value(&e).unwrap()["additionalDetails"],
        input
    );

    // Not an object: an error.
    assert!(serde_json::from_value::<AdditionalDetails>(json!(["a"])).is_err());
    assert!(serde_json::from_value::<AdditionalDetails>(json!("a")).is_err());
}

#[test]
fn additional_details_typed_accessors() {
    // JSON array inside a string, with `\r\n` as Partner Center sends it.
    let d: AdditionalDetails = serde_json::from_str(
        r#"{"vM_IP": "[\r\n \"13.89.185.189\",\r\n \"10.0.0.4\"\r\n]",
            "miningPool_IP": "[\r\n \"104.243.33.118\"\r\n]",
            "connectionCount": "31",
            "cryptoCurrencyMiningPoolDomainName": "pool.example"}"#,
    )
    .unwrap();
    assert_eq!(d.vm_ips(), Some(strings(&["13.89.185.189", "10.0.0.4"])));
    assert_eq!(d.mining_pool_ips(), Some(strings(&["104.243.33.118"])));
    assert_eq!(d.connection_count(), Some(31));
    assert_eq!(d.mining_pool_domain_name(), Some("pool.example"));

    // Graph's key spelling and Partner Center's find the same values, in any case.
    for key in ["VM_IP", "vM_IP", "vm_ip", "Vm_Ip"] {
        assert_eq!(d.get(key), d.get("vM_IP"), "{key}");
        assert!(d.get(key).is_some());
    }
    assert_eq!(AdditionalDetails::VM_IP, "VM_IP");
    assert_eq!(
        d.get_str(AdditionalDetails::MINING_POOL_IP),
        Some("[\r\n \"104.243.33.118\"\r\n]")
    );
    let graph: AdditionalDetails =
        serde_json::from_value(json!({"VM_IP": "[  \"vm-ip\"]", "CONNECTIONCOUNT": "5"})).unwrap();
    assert_eq!(graph.vm_ips(), Some(strings(&["vm-ip"])));
    assert_eq!(graph.connection_count(), Some(5));

    // connection_count from a string (trimmed) and from a number; garbage is None.
    for (v, expected) in [
        (json!("5"), Some(5)),
        (json!(" 31 "), Some(31)),
        (json!(31), Some(31)),
        (json!(0), Some(0)),
        (json!(-1), None),
        (json!(2.5), None),
        (json!("many"), None),
        (json!(""), None),
        (json!(true), None),
        (Value::Null, None),
    ] {
        let d: AdditionalDetails = [("ConnectionCount", v.clone())].into_iter().collect();
        assert_eq!(d.connection_count(), expected, "{v}");
    }
    assert_eq!(AdditionalDetails::new().connection_count(), None);

    // IP lists: a real array, a bare string, an empty string, a non-array JSON string.
    for (v, expected) in [
        (
            json!(["1.2.3.4", " 5.6.7.8 "]),
            Some(strings(&["1.2.3.4", "5.6.7.8"])),
        ),
        (json!("1.2.3.4"), Some(strings(&["1.2.3.4"]))),
        (json!(""), Some(vec![])),
        (json!("[]"), Some(vec![])),
        (json!("[1, 2]"), None),
        (json!("[not json"), None),
        (json!([1]), None),
        (json!(7), None),
    ] {
        let d: AdditionalDetails = [("MiningPool_IP", v.clone())].into_iter().collect();
        assert_eq!(d.mining_pool_ips(), expected, "{v}");
        assert_eq!(d.vm_ips(), None);
    }

    // insert replaces a key whatever its case.
    let mut d = AdditionalDetails::new();
    assert!(d.is_empty());
    assert_eq!(d.insert("vM_IP", "[\"1.1.1.1\"]"), None);
    assert_eq!(
        d.insert("VM_IP", "[\"2.2.2.2\"]"),
        Some(json!("[\"1.1.1.1\"]"))
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d.vm_ips(), Some(strings(&["2.2.2.2"])));
    assert_eq!(d.iter().next().map(|(k, _)| k), Some("VM_IP"));
}

#[test]
fn additional_details_equality_ignores_key_order_only() {
    let a: AdditionalDetails =
        serde_json::from_str(r#"{"VM_IP": "[]", "ConnectionCount": "5", "n": 1}"#).unwrap();
    let b: AdditionalDetails =
        serde_json::from_str(r#"{"n": 1, "ConnectionCount": "5", "VM_IP": "[]"}"#).unwrap();
    assert_eq!(a, b);
    // The order read is still what is written.
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        r#"{"VM_IP":"[]","ConnectionCount":"5","n":1}"#
    );
    assert_eq!(
        serde_json::to_string(&b).unwrap(),
        r#"{"n":1,"ConnectionCount":"5","VM_IP":"[]"}"#
    );
    // Keys, values and their number still count.
    let c: AdditionalDetails =
        serde_json::from_str(r#"{"vm_ip": "[]", "ConnectionCount": "5", "n": 1}"#).unwrap();
    assert_ne!(a, c, "key spelling differs");
    let c: AdditionalDetails =
        serde_json::from_str(r#"{"VM_IP": "[]", "ConnectionCount": 5, "n": 1}"#).unwrap();
    assert_ne!(a, c, "value differs");
    let c: AdditionalDetails =
        serde_json::from_str(r#"{"VM_IP": "[]", "ConnectionCount": "5"}"#).unwrap();
    assert_ne!(a, c, "key missing");
    assert_ne!(c, a, "key missing");
    assert_eq!(AdditionalDetails::new(), AdditionalDetails::default());

    // So models survive a trip through serde_json::Value (alphabetical keys).
    let e = new_model_event();
    assert_eq!(
        serde_json::from_value::<FraudEvent>(serde_json::to_value(&e).unwrap()).unwrap(),
        e
    );
    let g = graph_alert();
    assert_eq!(
        serde_json::from_value::<Alert>(serde_json::to_value(&g).unwrap()).unwrap(),
        g
    );
}
