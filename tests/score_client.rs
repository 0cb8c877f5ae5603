//! The security score's operations against httpmock on loopback: the paths, the token, the
//! documentation's quirks on the wire (the `value` wrapper), paging through `@odata.nextLink`
//! and `$skipToken`, and the 404 fallback of open question Q55.

use httpmock::Method::GET;
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::score::{ComplianceStatus, SecurityRequirement};
use partner_alerts::{Error, GraphClient};
use serde_json::json;

const S: &str = "/beta/security/partner/securityScore";
const TOKEN: &str = "score-token";

fn client(server: &MockServer) -> GraphClient {
    GraphClient::builder()
        .base_url(server.url("/beta"))
        .credential(StaticToken::new(TOKEN))
        .build()
        .unwrap()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/testdata/score/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn not_found() -> serde_json::Value {
    json!({"error": {"code": "itemNotFound", "message": "Resource not found"}})
}

#[tokio::test]
async fn the_score_wrapped_in_value_as_documented_or_plain() {
    let server = MockServer::start_async().await;
    let wrapped = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(S)
                .header("authorization", format!("Bearer {TOKEN}"));
            then.status(200)
                .header("content-type", "application/json")
                .body(example("score_get.json"));
        })
        .await;
    let s = client(&server).security_score().await.unwrap();
    wrapped.assert_async().await;
    assert_eq!(s.current_score, Some(14.29));
    assert_eq!(
        s.id.as_deref(),
        Some("9021efeb-af08-e3dd-9c11-ac69f92e43b8")
    );

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(S);
            then.status(200).json_body(json!({
                "@odata.context": "https://graph.microsoft.com/beta/$metadata#security/partner/securityScore/$entity",
                "id": "x", "currentScore": "50", "maxScore": 100
            }));
        })
        .await;
    let s = client(&server).security_score().await.unwrap();
    assert_eq!((s.current_score, s.max_score), (Some(50.0), Some(100.0)));
}

#[tokio::test]
async fn requirements_and_history_follow_next_links() {
    let server = MockServer::start_async().await;
    let next = server.url(format!("{S}/requirements?$skipToken=p2"));
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{S}/requirements"))
                .query_param_missing("$skipToken")
                .query_param_missing("$top");
            then.status(200).json_body(json!({
                "value": [serde_json::from_str::<serde_json::Value>(&example("requirement_response_time.json")).unwrap()],
                "@odata.nextLink": next,
            }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{S}/requirements"))
                .query_param("$skipToken", "p2");
            then.status(200).json_body(json!({"value": [{
                "@odata.type": "#microsoft.graph.partner.security.adminsMfaEnforcedSecurityRequirement",
                "complianceStatus": "nonCompliant", "totalAdminsCount": 2
            }]}));
        })
        .await;
    let history = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{S}/history"));
            then.status(200).body(example("history_list.json"));
        })
        .await;
    let c = client(&server);
    let r = c.security_requirements().await.unwrap().unwrap();
    first.assert_async().await;
    second.assert_async().await;
    assert_eq!(r.len(), 2);
    assert!(r[0].as_response_time().is_some());
    assert!(matches!(&r[1], SecurityRequirement::AdminsMfa(m) if m.total_admins_count == Some(2)));
    assert_eq!(
        r[1].base().compliance_status,
        Some(ComplianceStatus::NonCompliant)
    );
    let h = c.security_score_history().await.unwrap().unwrap();
    history.assert_async().await;
    assert_eq!(h[0].total_requirements_count, Some(5));
}

#[tokio::test]
async fn one_requirement_and_one_history_entry_by_id() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{S}/requirements/mfaEnforcedForAdmins"));
            then.status(200)
                .body(example("requirement_admins_mfa.json"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{S}/history/h1"));
            then.status(200)
                .json_body(json!({"value": {"id": "h1", "score": "14.29"}}));
        })
        .await;
    let c = client(&server);
    let r = c
        .security_requirement("mfaEnforcedForAdmins")
        .await
        .unwrap();
    assert!(matches!(r, SecurityRequirement::AdminsMfa(_)));
    let h = c.security_score_history_entry("h1").await.unwrap();
    assert_eq!(h.score, Some(14.29));
    // An id that would change the path is refused before sending.
    let e = c
        .security_requirement("../securityAlerts")
        .await
        .unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
}

#[tokio::test]
async fn a_404_on_requirements_falls_back_to_expand_then_to_not_available() {
    let server = MockServer::start_async().await;
    let listed = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{S}/requirements"));
            then.status(404).json_body(not_found());
        })
        .await;
    let expanded = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(S)
                .query_param("$expand", "requirements");
            then.status(200).json_body(json!({
                "id": "s", "requirements": [
                    {"@odata.type": "#microsoft.graph.partner.security.securityRequirement",
                     "id": "securityContactProvided", "requirementType": "securityContactProvided"}
                ]
            }));
        })
        .await;
    let c = client(&server);
    let r = c.security_requirements().await.unwrap().unwrap();
    listed.assert_async().await;
    expanded.assert_async().await;
    assert_eq!(r[0].base().id.as_deref(), Some("securityContactProvided"));
    // The get falls back the same way.
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{S}/requirements/securityContactProvided"));
            then.status(404).json_body(not_found());
        })
        .await;
    let one = c
        .security_requirement("securityContactProvided")
        .await
        .unwrap();
    assert_eq!(one, r[0]);
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{S}/requirements/nope"));
            then.status(404).json_body(not_found());
        })
        .await;
    let e = c.security_requirement("nope").await.unwrap_err();
    assert!(e.is_not_found(), "{e}");

    // History: the path and the expansion both fail: not available, not an error.
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{S}/history"));
            then.status(404).json_body(not_found());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(S).query_param("$expand", "history");
            then.status(400)
                .json_body(json!({"error": {"code": "BadRequest", "message": "Cannot expand"}}));
        })
        .await;
    assert_eq!(c.security_score_history().await.unwrap(), None);
}

#[tokio::test]
async fn a_403_is_forbidden_not_hidden() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{S}/requirements"));
            then.status(403).json_body(json!({"error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation."}}));
        })
        .await;
    let e = client(&server).security_requirements().await.unwrap_err();
    assert!(matches!(e, Error::Forbidden(_)), "{e:?}");
}

#[tokio::test]
async fn customer_insights_every_page_and_a_loop_stopped() {
    let server = MockServer::start_async().await;
    let p2 = server.url(format!("{S}/customerInsights?$skipToken=t2"));
    let p3 = server.url(format!("{S}/customerInsights?$skipToken=t3"));
    let insight = |t: &str| {
        json!({"@odata.type": "#microsoft.graph.partner.security.customerInsight",
        "tenantId": t, "mfa": {"@odata.type": "microsoft.graph.partner.security.customerMfaInsight",
        "totalUsersCount": "5", "securityDefaultsStatus": "enabled"}})
    };
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{S}/customerInsights"))
                .query_param_missing("$skipToken");
            then.status(200).json_body(
                json!({"value": [insight("t-1"), insight("t-2")], "@odata.nextLink": p2}),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{S}/customerInsights"))
                .query_param("$skipToken", "t2");
            then.status(200)
                .json_body(json!({"value": [insight("t-3")], "@odata.nextLink": p3}));
        })
        .await;
    let last = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{S}/customerInsights"))
                .query_param("$skipToken", "t3");
            then.status(200)
                .json_body(json!({"value": [insight("t-4")]}));
        })
        .await;
    let c = client(&server);
    let all = c.customer_insights().await.unwrap();
    last.assert_async().await;
    let tenants: Vec<_> = all
        .iter()
        .map(|i| i.tenant_id.as_ref().unwrap().as_str().to_owned())
        .collect();
    assert_eq!(tenants, ["t-1", "t-2", "t-3", "t-4"]);
    assert_eq!(all[0].mfa.as_ref().unwrap().total_users_count, Some(5));

    // A page linking to itself is an error, not an endless listing.
    let server = MockServer::start_async().await;
    let me = server.url(format!("{S}/customerInsights?$skipToken=same"));
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{S}/customerInsights"));
            then.status(200)
                .json_body(json!({"value": [insight("t")], "@odata.nextLink": me}));
        })
        .await;
    let e = client(&server).customer_insights().await.unwrap_err();
    assert!(matches!(e, Error::InvalidResponse(_)), "{e:?}");
}
