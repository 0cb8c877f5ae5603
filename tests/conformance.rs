//! One conformance suite, run against both clients on the emulator: whatever `AlertSource`
//! serves, code written against the trait sees the same alerts and the same behaviour.

use std::collections::BTreeSet;

use partner_alerts::auth::StaticToken;
use partner_alerts::{
    AlertId, AlertQuery, AlertSource, AlertStatus, Field, Filter, FraudEventsClient, GraphClient,
    ResolvedReason, Severity, StatusUpdate, SubscriptionId, UpdateTarget,
};
use partner_alerts_emulator::Emulator;

/// Maps an id as the source shows it to the emulator's (Graph) alert id.
type ToAlertId = dyn Fn(&Emulator, &AlertId) -> AlertId;

async fn conformance(source: &dyn AlertSource, emulator: &Emulator, to_alert_id: &ToAlertId) {
    let seeded = emulator.alerts();

    // List everything: every alert once.
    let all = source.list(&AlertQuery::new()).try_collect().await.unwrap();
    assert_eq!(all.len(), seeded.len());
    let ids: BTreeSet<AlertId> = all.iter().map(|a| to_alert_id(emulator, &a.id)).collect();
    assert_eq!(ids, seeded.iter().map(|a| a.id.clone()).collect());

    // Filtered: the same alerts the filter selects from the emulator's state.
    let filter = Filter::status()
        .eq(AlertStatus::Active)
        .and(Filter::severity().eq(Severity::High));
    let expected: BTreeSet<AlertId> = seeded
        .iter()
        .filter(|a| filter.matches(a) == Some(true))
        .map(|a| a.id.clone())
        .collect();
    assert!(
        !expected.is_empty(),
        "the seed must give some active high alerts"
    );
    let got = source
        .list(&AlertQuery::new().filter(filter.clone()))
        .try_collect()
        .await
        .unwrap();
    let got: BTreeSet<AlertId> = got.iter().map(|a| to_alert_id(emulator, &a.id)).collect();
    assert_eq!(got, expected);

    // Counted: by the service (Graph's /$count) or by listing (Partner Center), the same.
    assert_eq!(
        source
            .count(&AlertQuery::new().filter(filter.clone()))
            .await
            .unwrap(),
        expected.len() as u64
    );
    assert_eq!(
        source.count(&AlertQuery::new()).await.unwrap(),
        seeded.len() as u64
    );

    // Selected: only the asked-for properties come back.
    let selected = source
        .list(&AlertQuery::new().select([Field::Status, Field::SubscriptionId]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(selected.len(), seeded.len());
    assert!(selected.iter().all(|a| a.status.is_some()
        && a.subscription_id.is_some()
        && a.severity.is_none()
        && a.display_name.is_none()));

    // Get: the alert as listed.
    let one = &all[all.len() / 2];
    let fetched = source.get(&one.id).await.unwrap();
    assert_eq!(fetched.id, one.id);
    assert_eq!(fetched.status, one.status);
    assert_eq!(fetched.subscription_id, one.subscription_id);
    let part = source
        .get_selected(&one.id, &[Field::Status])
        .await
        .unwrap();
    assert_eq!((&part.id, &part.status), (&one.id, &one.status));
    assert!(part.subscription_id.is_none() && part.severity.is_none());
    let missing = source
        .get(
            &AlertId::new(
                "00000000-0000-0000-0000-000000000000_00000000-0000-0000-0000-000000000000",
            )
            .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");

    // Update two active alerts of different subscriptions, and one that does not exist.
    let active: Vec<_> = all
        .iter()
        .filter(|a| a.status == Some(AlertStatus::Active))
        .collect();
    let first = active[0];
    let second = active
        .iter()
        .find(|a| a.subscription_id != first.subscription_id)
        .unwrap();
    let ghost = UpdateTarget::new(
        AlertId::new("0c0c0c0c-0000-4000-8000-000000000000_0d0d0d0d-0000-4000-8000-000000000000")
            .unwrap(),
        Some(SubscriptionId::new("0c0c0c0c-0000-4000-8000-000000000000").unwrap()),
    );
    let targets = [
        UpdateTarget::from(first),
        UpdateTarget::from(*second),
        ghost.clone(),
    ];
    let report = source
        .update_alerts(&targets, &StatusUpdate::resolved(ResolvedReason::Fraud))
        .await
        .unwrap();
    let done: BTreeSet<&AlertId> = report.succeeded_ids().collect();
    assert_eq!(done, BTreeSet::from([&first.id, &second.id]));
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, ghost.id);
    assert!(
        report.failed[0].1.is_not_found(),
        "{:?}",
        report.failed[0].1
    );
    for (_, alert) in &report.succeeded {
        let alert = alert.as_ref().expect("both APIs return the updated alert");
        assert_eq!(alert.status, Some(AlertStatus::Resolved));
        assert_eq!(alert.resolved_reason, Some(ResolvedReason::Fraud));
    }

    // The change is in the service's state, and visible on the next read.
    for a in [first, *second] {
        let state = emulator.alert(&to_alert_id(emulator, &a.id)).unwrap();
        assert_eq!(state.status, Some(AlertStatus::Resolved));
        assert_eq!(state.resolved_reason, Some(ResolvedReason::Fraud));
        let again = source.get(&a.id).await.unwrap();
        assert_eq!(again.status, Some(AlertStatus::Resolved));
        assert!(again.resolved_on_date_time.is_some());
    }
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .alerts(400)
        .page_size(50)
        .seed(11)
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn graph_client_conforms() {
    let emulator = emulator().await;
    let client = GraphClient::builder()
        .base_url(emulator.graph_base_url())
        .credential(StaticToken::new("t"))
        .build()
        .unwrap();
    conformance(&client, &emulator, &|_, id| id.clone()).await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn fraud_events_client_conforms() {
    let emulator = emulator().await;
    let client = FraudEventsClient::builder()
        .base_url(emulator.partner_center_base_url())
        .credential(StaticToken::new("t"))
        .page_size(Some(60))
        .build()
        .unwrap();
    conformance(&client, &emulator, &|e, id| {
        e.alert_id_for_event(id).unwrap_or_else(|| id.clone())
    })
    .await;
    emulator.shutdown().await;
}

#[tokio::test]
async fn both_sources_give_the_same_figures() {
    let emulator = emulator().await;
    let graph = GraphClient::builder()
        .base_url(emulator.graph_base_url())
        .credential(StaticToken::new("t"))
        .build()
        .unwrap();
    let pc = FraudEventsClient::builder()
        .base_url(emulator.partner_center_base_url())
        .credential(StaticToken::new("t"))
        .build()
        .unwrap();
    let q = AlertQuery::new().filter(Filter::status().eq(AlertStatus::Active));
    let sources: [&dyn AlertSource; 2] = [&graph, &pc];
    let mut counts = Vec::new();
    for s in sources {
        counts.push(s.list(&q).try_collect().await.unwrap().len());
    }
    assert_eq!(counts[0], counts[1]);
    assert!(counts[0] > 0);
    emulator.shutdown().await;
}
