//! Model tests, ids (`AlertId`, `SubscriptionId`, `TenantId`): bad values rejected, in
//! models too; empty optional ids are absent.

mod support;

use partner_alerts::model::MAX_ID_LEN;
use partner_alerts::{Alert, AlertId, FraudEvent, InvalidInput, SubscriptionId, TenantId};
use serde_json::json;
use support::models::*;

// ---------------------------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------------------------

fn bad_ids() -> Vec<(String, &'static str)> {
    vec![
        (String::new(), "empty"),
        ("a/b".to_string(), "slash"),
        ("/".to_string(), "lone slash"),
        ("a\\b".to_string(), "backslash"),
        ("a?b".to_string(), "question mark"),
        ("a#b".to_string(), "hash"),
        ("a%2Fb".to_string(), "percent"),
        ("a b".to_string(), "space"),
        (" ab".to_string(), "leading space"),
        ("a\tb".to_string(), "tab"),
        ("a\u{7}b".to_string(), "bell control character"),
        ("a\nb".to_string(), "newline"),
        ("a\u{0}b".to_string(), "nul"),
        ("a\u{a0}b".to_string(), "no-break space"),
        ("..".to_string() + "/x", "dot-dot slash"),
        ("x".repeat(MAX_ID_LEN + 1), "257 bytes"),
        // 256 characters but 257 bytes.
        (
            "x".repeat(MAX_ID_LEN - 1) + "\u{e9}",
            "257 bytes, 256 chars",
        ),
    ]
}

fn check_id_type<T: std::fmt::Debug>(
    field: &str,
    new: impl Fn(&str) -> Result<T, InvalidInput>,
    parse: impl Fn(&str) -> Result<T, InvalidInput>,
    try_from_string: impl Fn(String) -> Result<T, InvalidInput>,
    decode: impl Fn(&str) -> Result<T, serde_json::Error>,
) {
    assert_eq!(MAX_ID_LEN, 256);
    for (bad, what) in bad_ids() {
        for (how, err) in [
            ("new", new(&bad).unwrap_err()),
            ("FromStr", parse(&bad).unwrap_err()),
            ("TryFrom<String>", try_from_string(bad.clone()).unwrap_err()),
        ] {
            assert_eq!(err.field(), field, "{what} via {how}");
            assert!(!err.reason().is_empty());
            assert!(
                err.to_string().starts_with(&format!("invalid {field}: ")),
                "{err}"
            );
        }
        let err = decode(&serde_json::to_string(&bad).unwrap()).unwrap_err();
        assert!(err.to_string().contains(field), "{what} via serde: {err}");
    }
    // Some reasons name the offending character.
    assert!(new("a/b").unwrap_err().to_string().contains("'/'"));
    assert!(new("a\tb").unwrap_err().to_string().contains("'\\t'"));
    assert!(new("").unwrap_err().reason().contains("empty"));
    assert!(new(&"x".repeat(257)).unwrap_err().reason().contains("257"));

    for good in [
        "d8b202fc-a216-3404-69ef-bdffa445eff6".to_string(),
        "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398-758e2259-f00b-4dec-8087-0950afe6d6a4".to_string(),
        EVENT_ID.to_string(),
        "x".to_string(),
        "x".repeat(MAX_ID_LEN),
        "caf\u{e9}".to_string(),
        "a.b_c-d~e:f@g".to_string(),
    ] {
        let id = new(&good).unwrap();
        assert!(format!("{id:?}").contains(&good), "{id:?}");
        parse(&good).unwrap();
        try_from_string(good.clone()).unwrap();
        decode(&serde_json::to_string(&good).unwrap()).unwrap();
    }
}

#[test]
fn alert_id_rejects_bad_values() {
    check_id_type(
        "alert id",
        |s| AlertId::new(s),
        |s| s.parse::<AlertId>(),
        |s: String| AlertId::try_from(s),
        |s| serde_json::from_str::<AlertId>(s),
    );
    let id = AlertId::try_from("d8b202fc-a216-3404-69ef-bdffa445eff6").unwrap();
    assert_eq!(id.as_str(), "d8b202fc-a216-3404-69ef-bdffa445eff6");
    assert_eq!(id.to_string(), "d8b202fc-a216-3404-69ef-bdffa445eff6");
    assert_eq!(id, "d8b202fc-a216-3404-69ef-bdffa445eff6");
    assert_eq!(
        format!("{id:?}"),
        "AlertId(\"d8b202fc-a216-3404-69ef-bdffa445eff6\")"
    );
    assert_eq!(
        serde_json::to_string(&id).unwrap(),
        "\"d8b202fc-a216-3404-69ef-bdffa445eff6\""
    );
    // Ids compare exactly (they are opaque).
    assert_ne!(AlertId::new("ABC").unwrap(), AlertId::new("abc").unwrap());
}

#[test]
fn subscription_id_rejects_bad_values() {
    check_id_type(
        "subscription id",
        |s| SubscriptionId::new(s),
        |s| s.parse::<SubscriptionId>(),
        |s: String| SubscriptionId::try_from(s),
        |s| serde_json::from_str::<SubscriptionId>(s),
    );
    let id: SubscriptionId = "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398".parse().unwrap();
    assert_eq!(
        AsRef::<str>::as_ref(&id),
        "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398"
    );
}

#[test]
fn tenant_id_rejects_bad_values() {
    check_id_type(
        "tenant id",
        |s| TenantId::new(s),
        |s| s.parse::<TenantId>(),
        |s: String| TenantId::try_from(s),
        |s| serde_json::from_str::<TenantId>(s),
    );
    let id = TenantId::new("1889e718-414b-4bad-8bbe-c1135bd39a41").unwrap();
    assert_eq!(id.to_string(), "1889e718-414b-4bad-8bbe-c1135bd39a41");
}

#[test]
fn decoding_models_with_bad_ids_fails() {
    let err =
        serde_json::from_value::<Alert>(json!({"id": "a/b", "status": "active"})).unwrap_err();
    assert!(err.to_string().contains("alert id"), "{err}");
    assert!(err.to_string().contains("'/'"), "{err}");
    let err = serde_json::from_str::<Alert>(r#"{"id": "../../me"}"#).unwrap_err();
    assert!(err.to_string().contains("alert id"), "{err}");
    assert!(serde_json::from_value::<Alert>(json!({"id": ""})).is_err());
    assert!(serde_json::from_value::<Alert>(json!({"id": null})).is_err());
    assert!(serde_json::from_value::<Alert>(json!({"id": 5})).is_err());

    let err =
        serde_json::from_value::<Alert>(json!({"id": "a1", "subscriptionId": "x/y"})).unwrap_err();
    assert!(err.to_string().contains("subscription id"), "{err}");
    let err = serde_json::from_value::<Alert>(json!({"id": "a1", "customerTenantId": "x y"}))
        .unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");
    let err =
        serde_json::from_value::<Alert>(json!({"id": "a1", "valueAddedResellerTenantId": "x?y"}))
            .unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");

    let err = serde_json::from_value::<FraudEvent>(json!({"eventId": "a#b"})).unwrap_err();
    assert!(err.to_string().contains("alert id"), "{err}");
    let err =
        serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", "partnerTenantId": "%"}))
            .unwrap_err();
    assert!(err.to_string().contains("tenant id"), "{err}");
    let err =
        serde_json::from_value::<FraudEvent>(json!({"eventId": "e1", "subscriptionId": "a\\b"}))
            .unwrap_err();
    assert!(err.to_string().contains("subscription id"), "{err}");
    assert!(serde_json::from_value::<FraudEvent>(json!({"subscriptionId": "s"})).is_err());
}

#[test]
fn empty_optional_ids_decode_to_none() {
    let a = alert(json!({
        "id": "a1",
        "subscriptionId": "",
        "customerTenantId": "",
        "valueAddedResellerTenantId": ""
    }));
    assert_eq!(a.subscription_id, None);
    assert_eq!(a.customer_tenant_id, None);
    assert_eq!(a.value_added_reseller_tenant_id, None);
    assert_eq!(serde_json::to_value(&a).unwrap(), json!({"id": "a1"}));

    let e = event(json!({"eventId": "e1", "subscriptionId": "", "customerTenantId": ""}));
    assert_eq!(e.subscription_id, None);
    assert_eq!(e.customer_tenant_id, None);
}
