//! Bulk status changes through Graph batching and FraudEvents, planned first: every alert
//! accounted for, the emulator's state agreeing with the report item by item, a re-run
//! sending nothing.

mod support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use partner_alerts::auth::StaticToken;
use partner_alerts::bulk::{Plan, PlanAction};
use partner_alerts::http::RetryPolicy;
use partner_alerts::{
    Alert, AlertId, AlertSource, AlertStatus, Error, FraudEventsClient, GraphClient,
    ResolvedReason, StatusUpdate, UpdateReport, UpdateTarget,
};
use partner_alerts_emulator::{Emulator, FaultKind, FaultSettings};
use support::sleep::NoSleep;

async fn emulator(alerts: usize) -> Emulator {
    let emu = Emulator::builder()
        .alerts(alerts)
        .seed(21)
        .faults(FaultSettings::new().retry_after(Duration::from_millis(1500)))
        .start()
        .await
        .unwrap();
    // A known mix: a third already resolved as Ignore, the rest active.
    for (n, a) in emu.alerts().into_iter().enumerate() {
        emu.update_alert(&a.id, |a| {
            if n % 3 == 0 {
                a.status = Some(AlertStatus::Resolved);
                a.resolved_reason = Some(ResolvedReason::Ignore);
            } else {
                a.status = Some(AlertStatus::Active);
                a.resolved_reason = None;
            }
        });
    }
    emu
}

fn graph(emu: &Emulator, sleep: Arc<NoSleep>, retry: RetryPolicy) -> GraphClient {
    GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("t"))
        .sleep(sleep)
        .retry(retry)
        .build()
        .unwrap()
}

fn targets(alerts: &[Alert]) -> Vec<UpdateTarget> {
    alerts.iter().map(UpdateTarget::from).collect()
}

/// Every target is in exactly one list of the report.
#[track_caller]
fn accounts_for_each(report: &UpdateReport, targets: &[UpdateTarget]) {
    let mut seen: HashMap<&AlertId, usize> = HashMap::new();
    for id in report
        .succeeded_ids()
        .chain(report.skipped_ids())
        .chain(report.failed_ids())
        .chain(report.unconfirmed_ids())
    {
        *seen.entry(id).or_default() += 1;
    }
    assert_eq!(seen.len(), targets.len(), "{report:?}");
    for t in targets {
        assert_eq!(seen.get(&t.id), Some(&1), "{} accounted for once", t.id);
    }
}

fn ignored(a: &Alert) -> bool {
    a.status == Some(AlertStatus::Resolved) && a.resolved_reason == Some(ResolvedReason::Ignore)
}

#[tokio::test]
async fn a_plan_changes_only_what_differs_and_a_rerun_sends_nothing() {
    let emu = emulator(130).await;
    let client = graph(&emu, Arc::new(NoSleep::default()), RetryPolicy::standard());
    let all = emu.alerts();
    let targets = targets(&all);
    let update = StatusUpdate::resolved(ResolvedReason::Ignore);

    // The dry run: a plan reads, changes nothing.
    let before = emu.alerts();
    let writes = emu.stats().writes;
    let plan = Plan::new(&client, &targets, update.clone()).await.unwrap();
    assert_eq!(emu.alerts(), before, "planning changes nothing");
    assert_eq!(emu.stats().writes, writes);
    let already = all.iter().filter(|a| ignored(a)).count();
    assert_eq!(plan.skipped().count(), already);
    assert_eq!(plan.changes().count(), all.len() - already);
    assert_eq!(plan.unreadable().count(), 0);
    // Read 20 to a batch: 130 alerts in 7 batches.
    assert_eq!(emu.stats().batches, 7);

    let report = plan.apply(&client).await.unwrap();
    accounts_for_each(&report, &targets);
    assert_eq!(report.succeeded.len(), all.len() - already);
    assert_eq!(report.skipped.len(), already);
    assert!(report.is_complete(), "{report:?}");
    // The emulator agrees, alert by alert.
    for a in emu.alerts() {
        assert!(ignored(&a), "{} resolved as Ignore", a.id);
    }
    // Each changed alert came back from the service.
    assert!(
        report
            .succeeded
            .iter()
            .all(|(_, a)| a.as_ref().is_some_and(ignored))
    );

    // Again: all skipped, no write sent.
    let stats = emu.stats();
    let plan = Plan::new(&client, &targets, update).await.unwrap();
    assert_eq!(plan.changes().count(), 0);
    let report = plan.apply(&client).await.unwrap();
    assert_eq!(report.skipped.len(), all.len());
    accounts_for_each(&report, &targets);
    let after = emu.stats();
    assert_eq!(after.writes, stats.writes, "no write sent");
    assert_eq!(after.patches, stats.patches);
    emu.shutdown().await;
}

#[tokio::test]
async fn throttled_requests_inside_a_batch_are_sent_again_after_their_retry_after() {
    let emu = emulator(45).await;
    let sleep = Arc::new(NoSleep::default());
    let client = graph(&emu, sleep.clone(), RetryPolicy::standard());
    let open: Vec<Alert> = emu.alerts().into_iter().filter(|a| !ignored(a)).collect();
    let targets = targets(&open);
    emu.throttle_next_batch_items(5);
    let report = client
        .update_alerts(&targets, &StatusUpdate::resolved(ResolvedReason::Fraud))
        .await
        .unwrap();
    accounts_for_each(&report, &targets);
    assert_eq!(report.succeeded.len(), open.len(), "{report:?}");
    for a in &open {
        let now = emu.alert(&a.id).unwrap();
        assert_eq!(now.resolved_reason, Some(ResolvedReason::Fraud), "{}", a.id);
    }
    // Waited at least the Retry-After the service asked for, before sending them again.
    let waits = sleep.0.lock().unwrap().clone();
    assert!(
        !waits.is_empty() && waits.iter().all(|w| *w >= Duration::from_millis(1500)),
        "{waits:?}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn throttled_past_the_retry_budget_is_failed_and_not_applied() {
    let emu = emulator(30).await;
    let client = graph(&emu, Arc::new(NoSleep::default()), RetryPolicy::disabled());
    let open: Vec<Alert> = emu.alerts().into_iter().filter(|a| !ignored(a)).collect();
    let targets = targets(&open);
    emu.throttle_next_batch_items(3);
    let report = client
        .update_alerts(&targets, &StatusUpdate::investigating())
        .await
        .unwrap();
    accounts_for_each(&report, &targets);
    assert_eq!(report.failed.len(), 3, "{report:?}");
    assert!(report.unconfirmed.is_empty());
    for (id, e) in &report.failed {
        assert!(matches!(&**e, Error::Throttled(_)), "{e:?}");
        assert_eq!(e.status(), Some(429));
        assert!(e.retry_after().is_some());
        assert_eq!(
            emu.alert(id).unwrap().status,
            Some(AlertStatus::Active),
            "not applied"
        );
    }
    for (id, _) in &report.succeeded {
        assert_eq!(
            emu.alert(id).unwrap().status,
            Some(AlertStatus::Investigating)
        );
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn a_batch_applied_then_reset_is_unconfirmed_and_a_replan_finds_it_done() {
    let emu = emulator(30).await;
    let client = graph(&emu, Arc::new(NoSleep::default()), RetryPolicy::disabled());
    let open: Vec<Alert> = emu.alerts().into_iter().filter(|a| !ignored(a)).collect();
    let targets = targets(&open);
    emu.reset_after_next_batch(1);
    let update = StatusUpdate::resolved(ResolvedReason::Legitimate);
    let report = client.update_alerts(&targets, &update).await.unwrap();
    accounts_for_each(&report, &targets);
    // 20 alerts: one batch, applied, its answer lost.
    assert_eq!(report.unconfirmed.len(), open.len().min(20), "{report:?}");
    assert!(report.failed.is_empty());
    for (id, e) in &report.unconfirmed {
        assert!(e.is_outcome_unknown(), "{e:?}");
        assert_eq!(
            emu.alert(id).unwrap().status,
            Some(AlertStatus::Resolved),
            "applied"
        );
    }
    // Reading them again, as the report asks: nothing left to do.
    let plan = Plan::new(&client, &targets, update).await.unwrap();
    assert_eq!(plan.changes().count(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn sub_requests_failing_with_500_are_unconfirmed_and_a_missing_alert_is_unreadable() {
    let emu = emulator(12).await;
    let client = graph(&emu, Arc::new(NoSleep::default()), RetryPolicy::standard());
    let open: Vec<Alert> = emu.alerts().into_iter().filter(|a| !ignored(a)).collect();
    let mut targets = targets(&open);
    let ghost = AlertId::new("00000000-0000-0000-0000-00000000dead").unwrap();
    targets.push(UpdateTarget::from(&ghost));
    let update = StatusUpdate::investigating();
    let plan = Plan::new(&client, &targets, update).await.unwrap();
    let unreadable: Vec<_> = plan.unreadable().collect();
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].0.target.id, ghost);
    assert!(matches!(&**unreadable[0].1, Error::NotFound(_)));
    emu.fail_next_batch_items(2, FaultKind::InternalServerError);
    let report = plan.apply(&client).await.unwrap();
    accounts_for_each(&report, &targets);
    assert_eq!(report.unconfirmed.len(), 2, "{report:?}");
    assert_eq!(report.failed.len(), 1, "the missing alert, never sent");
    assert_eq!(report.failed[0].0, ghost);
    emu.shutdown().await;
}

#[tokio::test]
async fn answers_in_any_order_are_matched_by_id() {
    let emu = emulator(40).await;
    emu.set_quirks(partner_alerts_emulator::Quirks::new().shuffled_batch_responses(true));
    let client = graph(&emu, Arc::new(NoSleep::default()), RetryPolicy::standard());
    let all = emu.alerts();
    let targets = targets(&all);
    let read = client
        .get_many(
            &targets.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
            &[partner_alerts::Field::Status],
        )
        .await;
    assert_eq!(read.len(), all.len());
    for (id, r) in &read {
        let a = r.as_ref().unwrap();
        assert_eq!(&a.id, id, "each answer is its own alert's");
        assert_eq!(a.status, emu.alert(id).unwrap().status);
        assert!(a.display_name.is_none(), "only the selected fields");
    }
    let report = client
        .update_alerts(&targets, &StatusUpdate::investigating())
        .await
        .unwrap();
    for (id, a) in &report.succeeded {
        assert_eq!(&a.as_ref().unwrap().id, id);
    }
    assert!(emu.stats().shuffled_batches > 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn fraud_events_plans_and_applies_through_the_same_report() {
    let emu = emulator(40).await;
    let client = FraudEventsClient::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("t"))
        .sleep(Arc::new(NoSleep::default()))
        .build()
        .unwrap();
    let events: Vec<Alert> = client
        .list(&partner_alerts::AlertQuery::new())
        .try_collect()
        .await
        .unwrap();
    let targets: Vec<UpdateTarget> = events.iter().map(|e| UpdateTarget::from(&e.id)).collect();
    // Graph's reason, which Partner Center does not take: refused before anything is read.
    let requests = emu.stats().requests;
    let err = Plan::new(
        &client,
        &targets,
        StatusUpdate::resolved(ResolvedReason::Legitimate),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert_eq!(emu.stats().requests, requests, "nothing sent");

    let update = StatusUpdate::resolved(ResolvedReason::Ignore);
    let plan = Plan::new(&client, &targets, update.clone()).await.unwrap();
    assert!(
        plan.items()
            .iter()
            .all(|i| i.target.subscription_id.is_some())
    );
    assert_eq!(plan.unreadable().count(), 0);
    let already = events.iter().filter(|a| ignored(a)).count();
    assert_eq!(plan.skipped().count(), already);
    let report = plan.apply(&client).await.unwrap();
    accounts_for_each(&report, &targets);
    assert!(report.is_complete(), "{report:?}");
    for a in emu.alerts() {
        assert!(ignored(&a));
    }
    let again = Plan::new(&client, &targets, update).await.unwrap();
    assert!(
        again
            .items()
            .iter()
            .all(|i| matches!(i.action, PlanAction::Skip))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_plan_from_a_listing_reads_nothing_more() {
    let emu = emulator(50).await;
    let client = graph(&emu, Arc::new(NoSleep::default()), RetryPolicy::standard());
    let query = partner_alerts::AlertQuery::new()
        .filter(partner_alerts::Filter::status().ne(AlertStatus::Resolved))
        .select(Plan::FIELDS.iter().copied());
    let listed: Vec<Alert> = client.list(&query).try_collect().await.unwrap();
    let requests = emu.stats().requests;
    let plan = Plan::from_alerts(
        &client,
        listed.clone(),
        StatusUpdate::resolved(ResolvedReason::Ignore),
    )
    .unwrap();
    assert_eq!(
        emu.stats().requests,
        requests,
        "planning from a listing sends nothing"
    );
    assert_eq!(plan.changes().count(), listed.len());
    let report = plan.apply(&client).await.unwrap();
    assert_eq!(report.succeeded.len(), listed.len());
    // 50 alerts, 33 open: two batches.
    assert_eq!(
        emu.stats().requests,
        requests + listed.len().div_ceil(20) as u64
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn only_unresolved_keeps_earlier_resolutions() {
    let emu = emulator(9).await;
    let client = graph(&emu, Arc::new(NoSleep::default()), RetryPolicy::standard());
    let all = emu.alerts();
    let fraud = all.iter().find(|a| ignored(a)).unwrap().id.clone();
    emu.update_alert(&fraud, |a| a.resolved_reason = Some(ResolvedReason::Fraud));
    let targets = targets(&all);
    let update = StatusUpdate::resolved(ResolvedReason::Ignore);
    let plan = Plan::new(&client, &targets, update.clone()).await.unwrap();
    assert!(
        plan.changes().any(|i| i.target.id == fraud),
        "a re-resolution by default"
    );
    let plan = Plan::new(&client, &targets, update)
        .await
        .unwrap()
        .only_unresolved();
    assert!(plan.skipped().any(|i| i.target.id == fraud));
    plan.apply(&client).await.unwrap();
    assert_eq!(
        emu.alert(&fraud).unwrap().resolved_reason,
        Some(ResolvedReason::Fraud)
    );
    emu.shutdown().await;
}
