//! Model tests, the partner security score (reference section 11): every JSON example of the
//! documentation, its quirks (the `value` wrapper, numbers as strings, `noncomplaint` and
//! `nonCompliant`, `@odata.type` without `#`), each requirement subtype and an unknown one.

use chrono::{TimeZone, Utc};
use partner_alerts::score::{
    ComplianceStatus, CustomerInsight, PartnerSecurityScore, PolicyStatus, SecurityRequirement,
    SecurityRequirementState, SecurityRequirementType, SecurityScoreHistory,
};
use serde_json::{Value, json};

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/testdata/score/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The entity inside the documentation's `"value": {…}` wrapper.
fn unwrapped(name: &str) -> Value {
    let v: Value = serde_json::from_str(&example(name)).unwrap();
    v.get("value").cloned().unwrap_or(v)
}

#[test]
fn the_score_example() {
    let s: PartnerSecurityScore = serde_json::from_value(unwrapped("score_get.json")).unwrap();
    assert_eq!(
        s.id.as_deref(),
        Some("9021efeb-af08-e3dd-9c11-ac69f92e43b8")
    );
    assert_eq!((s.current_score, s.max_score), (Some(14.29), Some(100.0)));
    assert_eq!(
        s.updated_date_time,
        Some(Utc.with_ymd_and_hms(2024, 1, 17, 0, 0, 0).unwrap())
    );
    assert_eq!(
        s.last_refresh_date_time,
        Some(Utc.with_ymd_and_hms(2024, 2, 28, 0, 0, 0).unwrap())
    );
    assert!(s.requirements.is_none() && s.history.is_none());
    // Written back without the absent properties, and read again the same.
    let again: PartnerSecurityScore =
        serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(again, s);
}

#[test]
fn the_response_time_example_with_its_hours_in_a_string() {
    let r: SecurityRequirement =
        serde_json::from_str(&example("requirement_response_time.json")).unwrap();
    let SecurityRequirement::ResponseTime(rt) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(rt.average_response_time_in_hours, Some(1.2));
    assert_eq!(rt.meets_mandatory_response_time(), Some(true));
    let b = r.base();
    assert_eq!(b.id.as_deref(), Some("securityAlertsPromptlyResolved"));
    assert_eq!(
        b.requirement_type,
        Some(SecurityRequirementType::SecurityAlertsPromptlyResolved)
    );
    assert_eq!(b.compliance_status, Some(ComplianceStatus::Compliant));
    assert_eq!(b.state, Some(SecurityRequirementState::Active));
    assert_eq!((b.score, b.max_score), (Some(10), Some(10)));
    assert_eq!(
        b.action_url.as_deref(),
        Some("https://aka.ms/partner-center-security-alerts")
    );
    assert!(b.updated_date_time.is_some());
    assert!(b.requirement_type.as_ref().unwrap().is_mandatory());
    // Serialised as Graph writes it: @odata.type with its '#', the hours a number.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["@odata.type"],
        "#microsoft.graph.partner.security.responseTimeSecurityRequirement"
    );
    assert_eq!(json["averageResponseTimeInHours"], 1.2);
    assert_eq!(
        serde_json::from_value::<SecurityRequirement>(json).unwrap(),
        r
    );
}

#[test]
fn the_admins_mfa_example_with_non_compliant_and_a_score_in_a_string() {
    let r: SecurityRequirement =
        serde_json::from_value(unwrapped("requirement_admins_mfa.json")).unwrap();
    let SecurityRequirement::AdminsMfa(m) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(
        m.base.compliance_status,
        Some(ComplianceStatus::NonCompliant)
    );
    assert_eq!(m.base.score, Some(20));
    assert_eq!(
        m.base.action_url.as_deref(),
        Some("https://aka.ms/M365MFAWizard")
    );
    assert_eq!(
        (m.total_admins_count, m.mfa_enabled_admins_count),
        (Some(4), Some(3))
    );
    assert_eq!(m.admins_required_not_using_mfa_count, Some(1));
    assert_eq!(
        (
            m.total_users_count,
            m.mfa_enabled_users_count,
            m.users_required_not_using_mfa_count
        ),
        (Some(12), Some(10), Some(2))
    );
    assert_eq!(m.security_defaults_status, Some(PolicyStatus::Disabled));
    assert_eq!(
        m.mfa_conditional_access_policy_status,
        Some(PolicyStatus::Enabled)
    );
    assert_eq!(m.legacy_per_user_mfa_status, Some(PolicyStatus::Disabled));
    // Written back in the shipped spelling.
    assert_eq!(
        serde_json::to_value(&r).unwrap()["complianceStatus"],
        "noncomplaint"
    );
}

#[test]
fn compliance_status_spellings() {
    for s in [
        "noncomplaint",
        "nonCompliant",
        "NONCOMPLIANT",
        "NonComplaint",
    ] {
        assert_eq!(
            ComplianceStatus::parse(s),
            ComplianceStatus::NonCompliant,
            "{s}"
        );
    }
    assert_eq!(
        ComplianceStatus::parse("COMPLIANT"),
        ComplianceStatus::Compliant
    );
    assert_eq!(
        ComplianceStatus::parse("unknownFutureValue"),
        ComplianceStatus::UnknownFutureValue
    );
    let novel = ComplianceStatus::parse("partiallyCompliant");
    assert!(!novel.is_known());
    assert_eq!(
        serde_json::to_string(&novel).unwrap(),
        "\"partiallyCompliant\""
    );
    assert_eq!(
        ComplianceStatus::KNOWN,
        &[ComplianceStatus::Compliant, ComplianceStatus::NonCompliant]
    );
    assert_eq!(SecurityRequirementType::KNOWN.len(), 5);
    assert_eq!(
        SecurityRequirementState::parse("Preview"),
        SecurityRequirementState::Preview
    );
    assert!(!PolicyStatus::parse("auditOnly").is_known());
}

#[test]
fn the_history_example() {
    let v: Value = serde_json::from_str(&example("history_list.json")).unwrap();
    let h: Vec<SecurityScoreHistory> = serde_json::from_value(v["value"].clone()).unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].score, Some(14.29));
    assert_eq!(
        (
            h[0].compliant_requirements_count,
            h[0].total_requirements_count
        ),
        (Some(4), Some(5))
    );
    assert_eq!(
        h[0].created_date_time,
        Some(Utc.with_ymd_and_hms(2024, 1, 17, 0, 0, 0).unwrap())
    );
}

#[test]
fn the_customer_insights_example_with_a_nested_type_without_its_hash() {
    let v: Value = serde_json::from_str(&example("customer_insights_list.json")).unwrap();
    let c: Vec<CustomerInsight> = serde_json::from_value(v["value"].clone()).unwrap();
    assert_eq!(
        c[0].tenant_id.as_ref().map(|t| t.as_str()),
        Some("d90cb160-123d-0608-3fd6-c53551dcc20c")
    );
    let mfa = c[0].mfa.as_ref().unwrap();
    assert_eq!(
        (
            mfa.compliant_admins_count,
            mfa.compliant_non_admins_count,
            mfa.total_users_count
        ),
        (Some(1), Some(2), Some(5))
    );
    assert_eq!(mfa.security_defaults_status, Some(PolicyStatus::Enabled));
    assert_eq!(
        mfa.mfa_conditional_access_policy_status,
        Some(PolicyStatus::Disabled)
    );
    assert_eq!(mfa.legacy_per_user_mfa_status, Some(PolicyStatus::Disabled));
}

#[test]
fn each_subtype_by_its_odata_type_with_or_without_the_hash() {
    let cases = [
        ("responseTimeSecurityRequirement", "ResponseTime"),
        (
            "customersSpendingBudgetSecurityRequirement",
            "CustomersSpendingBudget",
        ),
        ("adminsMfaEnforcedSecurityRequirement", "AdminsMfa"),
        ("customersMfaEnforcedSecurityRequirement", "CustomersMfa"),
        ("securityRequirement", "Generic"),
    ];
    for (name, variant) in cases {
        for prefix in [
            "#microsoft.graph.partner.security.",
            "microsoft.graph.partner.security.",
        ] {
            let r: SecurityRequirement = serde_json::from_value(json!({
                "@odata.type": format!("{prefix}{name}"),
                // A wrong requirementType does not decide: the adminsMfa page's is wrong.
                "requirementType": "mfaEnforcedForAdminsOfCustomers",
                "totalCustomersCount": "12", "customersWithSpendBudgetCount": 7,
                "totalTenantCount": 30, "compliantTenantCount": "25",
            }))
            .unwrap();
            let got = format!("{r:?}");
            assert!(got.starts_with(variant), "{name}: {got}");
            match &r {
                SecurityRequirement::CustomersSpendingBudget(b) => assert_eq!(
                    (b.total_customers_count, b.customers_with_spend_budget_count),
                    (Some(12), Some(7))
                ),
                SecurityRequirement::CustomersMfa(c) => assert_eq!(
                    (c.total_tenant_count, c.compliant_tenant_count),
                    (Some(30), Some(25))
                ),
                _ => {}
            }
            assert_eq!(
                r.odata_type().trim_start_matches('#'),
                format!("microsoft.graph.partner.security.{name}")
            );
        }
    }
}

#[test]
fn the_security_contact_is_the_base_type() {
    let r: SecurityRequirement = serde_json::from_value(json!({
        "@odata.type": "#microsoft.graph.partner.security.securityRequirement",
        "id": "securityContactProvided", "requirementType": "securityContactProvided",
        "complianceStatus": "compliant", "score": 10, "maxScore": 10
    }))
    .unwrap();
    let SecurityRequirement::Generic(g) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(
        g.base.requirement_type,
        Some(SecurityRequirementType::SecurityContactProvided)
    );
    assert!(r.as_response_time().is_none());
}

#[test]
fn an_unknown_subtype_is_the_base_type_keeping_its_properties() {
    let sent = json!({
        "@odata.type": "#microsoft.graph.partner.security.partnerTrainingSecurityRequirement",
        "id": "trainingDone", "requirementType": "trainingCompleted",
        "complianceStatus": "noncomplaint", "score": 0, "maxScore": "5",
        "trainedUsersCount": 3, "nested": {"a": [1, null]}
    });
    let r: SecurityRequirement = serde_json::from_value(sent.clone()).unwrap();
    let SecurityRequirement::Generic(g) = &r else {
        panic!("{r:?}")
    };
    assert_eq!(g.base.max_score, Some(5));
    assert_eq!(
        g.base.requirement_type.as_ref().map(|t| t.as_str()),
        Some("trainingCompleted")
    );
    assert_eq!(g.other["trainedUsersCount"], 3);
    assert_eq!(g.other["nested"], json!({"a": [1, null]}));
    // Written back with its own type and properties.
    let back = serde_json::to_value(&r).unwrap();
    assert_eq!(back["@odata.type"], sent["@odata.type"]);
    assert_eq!(back["trainedUsersCount"], 3);
    assert_eq!(back["maxScore"], 5);
}

#[test]
fn without_an_odata_type_the_requirement_type_decides() {
    let r: SecurityRequirement = serde_json::from_value(json!({
        "requirementType": "securityAlertsPromptlyResolved", "averageResponseTimeInHours": 30
    }))
    .unwrap();
    let rt = r.as_response_time().unwrap();
    assert_eq!(rt.average_response_time_in_hours, Some(30.0));
    assert_eq!(rt.meets_mandatory_response_time(), Some(false));
    let r: SecurityRequirement = serde_json::from_value(json!({})).unwrap();
    assert!(matches!(r, SecurityRequirement::Generic(_)));
}

#[test]
fn numbers_as_numbers_strings_or_nothing() {
    for (sent, expected) in [
        (json!(14.29), Some(14.29)),
        (json!("14.29"), Some(14.29)),
        (json!(" 7 "), Some(7.0)),
        (json!(100), Some(100.0)),
        (json!(""), None),
        (Value::Null, None),
    ] {
        let s: PartnerSecurityScore =
            serde_json::from_value(json!({"currentScore": sent.clone()})).unwrap();
        assert_eq!(s.current_score, expected, "{sent}");
    }
    for bad in [json!("n/a"), json!(true), json!("NaN")] {
        assert!(
            serde_json::from_value::<PartnerSecurityScore>(json!({"currentScore": bad.clone()}))
                .is_err(),
            "{bad}"
        );
    }
    // Counts are whole numbers.
    let h: SecurityScoreHistory =
        serde_json::from_value(json!({"totalRequirementsCount": 5.0})).unwrap();
    assert_eq!(h.total_requirements_count, Some(5));
    assert!(
        serde_json::from_value::<SecurityScoreHistory>(json!({"totalRequirementsCount": 5.5}))
            .is_err()
    );
}

#[test]
fn the_base_example_with_its_trailing_comma_is_not_json() {
    // The documentation's base securityRequirement example ends its object with a comma.
    let doc = r##"{ "@odata.type": "#microsoft.graph.partner.security.securityRequirement",
        "id": "securityContactProvided", "score": 10, }"##;
    assert!(serde_json::from_str::<SecurityRequirement>(doc).is_err());
}
