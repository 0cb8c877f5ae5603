//! The security score client against the bundled emulator: the score, the requirements, the
//! history and every page of the customer insights; the emulator's response-time figure is
//! the toolkit's own on the same alerts.

use chrono::{TimeZone, Utc};
use futures::TryStreamExt;
use partner_alerts::auth::StaticToken;
use partner_alerts::score::{ComplianceStatus, SecurityRequirement};
use partner_alerts::triage::Sla;
use partner_alerts::{AlertQuery, GraphClient};
use partner_alerts_emulator::Emulator;

#[tokio::test]
async fn the_client_reads_everything_the_emulator_serves() {
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
    let emu = Emulator::builder()
        .alerts(400)
        .seed(11)
        .now(now)
        .page_size(50)
        .start()
        .await
        .unwrap();
    let client = GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("emulator"))
        .build()
        .unwrap();

    let score = client.security_score().await.unwrap();
    let current = score.current_score.unwrap();
    assert!((0.0..=100.0).contains(&current), "{current}");
    assert_eq!(score.max_score, Some(100.0));

    let requirements = client.security_requirements().await.unwrap().unwrap();
    assert_eq!(requirements.len(), 5);
    assert!(
        requirements
            .iter()
            .all(|r| r.base().action_url.is_some() && r.base().compliance_status.is_some())
    );
    assert!(
        requirements
            .iter()
            .any(|r| matches!(r, SecurityRequirement::Generic(_)))
    );
    let points: i64 = requirements.iter().filter_map(|r| r.base().score).sum();
    let max: i64 = requirements.iter().filter_map(|r| r.base().max_score).sum();
    assert_eq!(
        current,
        (points as f64 * 10_000.0 / max as f64).round() / 100.0
    );

    // The service's figure is the toolkit's own, on the same alerts at the same time.
    let response = requirements
        .iter()
        .find_map(SecurityRequirement::as_response_time)
        .unwrap();
    let own = Sla::compute(&emu.alerts(), now);
    assert!(own.resolved_last_30_days > 0);
    assert_eq!(
        response.average_response_time_in_hours,
        own.own_average_response_hours
    );
    let listed = Sla::from_source(&client, &AlertQuery::new(), now)
        .await
        .unwrap();
    assert_eq!(
        listed.own_average_response_hours,
        own.own_average_response_hours
    );
    let compliant = response.meets_mandatory_response_time().unwrap();
    assert_eq!(
        response.base.compliance_status,
        Some(if compliant {
            ComplianceStatus::Compliant
        } else {
            ComplianceStatus::NonCompliant
        })
    );
    assert_eq!(
        client
            .security_requirement("securityAlertsPromptlyResolved")
            .await
            .unwrap()
            .as_response_time(),
        Some(response)
    );

    let history = client.security_score_history().await.unwrap().unwrap();
    assert_eq!(history.last().unwrap().score, Some(current));
    let id = history[0].id.clone().unwrap();
    assert_eq!(
        client.security_score_history_entry(&id).await.unwrap(),
        history[0]
    );

    // 300 customers in pages of 50: every page read.
    let pages: Vec<_> = client.customer_insight_pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 6);
    let insights = client.customer_insights().await.unwrap();
    assert_eq!(insights.len(), 300);
    assert!(
        insights
            .iter()
            .all(|i| i.tenant_id.is_some() && i.mfa.is_some())
    );
    emu.shutdown().await;
}
