//! The response actions end to end on the emulator, whose entitlements turn inactive ten
//! minutes after a cancellation: the plan sends no write, a wrong confirmation sends
//! nothing, the right one cancels, waits, and resolves each open alert as fraud; reactivate
//! restores it; a legacy subscription is suspended with its whole body and ETag; an Azure
//! plan is suspended only once none of its subscriptions is active; another customer's
//! subscription is refused before sending.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use partner_alerts::auth::StaticToken;
use partner_alerts::enrich::{EntitlementStatus, PartnerCenterDirectory};
use partner_alerts::http::AsyncSleep;
use partner_alerts::respond::{
    Action, ActionPlan, AlertsOutcome, Confirmation, Confirms, Effect, Outcome, Refusal, Responder,
    Status,
};
use partner_alerts::{
    Alert, AlertStatus, Error, GraphClient, ResolvedReason, SubscriptionId, TenantId,
};
use partner_alerts_emulator::{Emulator, Stats};

/// Partner Center's delay before a cancellation shows (section 10.8: about ten minutes).
const DELAY: Duration = Duration::from_secs(600);

/// A sleep that moves the emulator's fixed clock on instead of waiting, recording each wait.
#[derive(Debug)]
struct AdvanceClock {
    emulator: Arc<Emulator>,
    slept: Mutex<Vec<Duration>>,
}

impl AsyncSleep for AdvanceClock {
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.slept.lock().unwrap().push(d);
        let now = self.emulator.now() + chrono::TimeDelta::from_std(d).unwrap();
        self.emulator.set_now(now);
        Box::pin(async {})
    }
}

struct Setup {
    emulator: Arc<Emulator>,
    clock: Arc<AdvanceClock>,
    responder: Responder,
}

async fn setup() -> Setup {
    let emulator = Arc::new(
        Emulator::builder()
            .alerts(600)
            .seed(11)
            .now(support::models::utc(2026, 12, 1, 12, 0, 0, 0))
            .entitlement_delay(DELAY)
            .start()
            .await
            .unwrap(),
    );
    let clock = Arc::new(AdvanceClock {
        emulator: emulator.clone(),
        slept: Mutex::default(),
    });
    let directory = PartnerCenterDirectory::builder()
        .base_url(emulator.partner_center_base_url())
        .credential(StaticToken::new("emulator"))
        .sleep(clock.clone())
        .build()
        .unwrap();
    let graph = GraphClient::builder()
        .base_url(emulator.graph_base_url())
        .credential(StaticToken::new("emulator"))
        .build()
        .unwrap();
    let responder = Responder::new(directory, Arc::new(graph));
    Setup {
        emulator,
        clock,
        responder,
    }
}

/// The writes the emulator counted on Partner Center's side.
fn pc_writes(s: &Stats) -> u64 {
    s.entitlement_cancels + s.entitlement_reactivations + s.subscription_patches
}

/// An Azure subscription with open alerts, of a customer whose offer is `offer`, and the
/// number of Azure subscriptions its customer has (Azure plan customers only).
fn subscription_with_open_alerts(emulator: &Emulator, offer: &str) -> (TenantId, SubscriptionId) {
    let alert = emulator
        .alerts()
        .into_iter()
        .find(|a| {
            a.catalog_offer_id.as_deref() == Some(offer) && a.status != Some(AlertStatus::Resolved)
        })
        .expect("an open alert of that offer");
    (
        alert.customer_tenant_id.unwrap(),
        alert.subscription_id.unwrap(),
    )
}

fn alerts_of(emulator: &Emulator, sub: &SubscriptionId) -> Vec<Alert> {
    emulator
        .alerts()
        .into_iter()
        .filter(|a| a.subscription_id.as_ref() == Some(sub))
        .collect()
}

fn confirmation(plan: &ActionPlan) -> Confirmation {
    let (confirms, id) = plan.confirm_with().expect("not refused");
    Confirmation::new(confirms, id.to_owned())
}

#[tokio::test]
async fn cancel_waits_for_inactive_resolves_each_open_alert_and_reactivate_restores_it() {
    let Setup {
        emulator,
        clock,
        responder,
    } = setup().await;
    let (customer, sub) = subscription_with_open_alerts(&emulator, "MS-AZR-0017G");
    let open: Vec<_> = alerts_of(&emulator, &sub)
        .into_iter()
        .filter(|a| a.status != Some(AlertStatus::Resolved))
        .map(|a| a.id)
        .collect();

    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    assert!(
        matches!(plan.effect(), Effect::CancelAzureSubscription { .. }),
        "{plan}"
    );
    assert_eq!(
        plan.customer_name().map(str::to_owned),
        emulator_customer_name(&emulator, &customer)
    );
    let mut planned = plan.open_alerts().to_vec();
    planned.sort();
    let mut expected = open.clone();
    expected.sort();
    assert_eq!(planned, expected);
    assert_eq!(pc_writes(&emulator.stats()), 0, "planning writes nothing");

    // A near miss is refused with nothing sent.
    let mut wrong = sub.as_str().to_owned();
    wrong.replace_range(..1, if wrong.starts_with('0') { "1" } else { "0" });
    let err = responder
        .execute(&plan, &Confirmation::for_azure_subscription(wrong))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(pc_writes(&emulator.stats()), 0);
    assert_eq!(emulator.stats().batch_items, 0, "no alert touched");

    let report = responder
        .execute(&plan, &Confirmation::for_azure_subscription(sub.as_str()))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Done), "{report:?}");
    assert_eq!(
        report.before,
        Some(Status::AzureSubscription(EntitlementStatus::Active))
    );
    assert_eq!(
        report.after,
        Some(Status::AzureSubscription(EntitlementStatus::Inactive))
    );
    assert!(report.request_ids.is_some());
    assert!(report.is_complete());
    assert_eq!(emulator.stats().entitlement_cancels, 1);
    assert_eq!(
        emulator
            .entitlement_status(customer.as_str(), sub.as_str())
            .as_deref(),
        Some("inactive")
    );
    // Read every 30 s until the ten minutes had passed.
    let slept = clock.slept.lock().unwrap().clone();
    assert_eq!(slept, vec![Duration::from_secs(30); 20]);

    let AlertsOutcome::Resolved(alerts) = &report.alerts else {
        panic!("{:?}", report.alerts)
    };
    let mut resolved: Vec<_> = alerts.succeeded_ids().cloned().collect();
    resolved.sort();
    assert_eq!(resolved, expected, "each open alert reported once");
    assert!(alerts.skipped.is_empty() && alerts.failed.is_empty());
    for a in alerts_of(&emulator, &sub) {
        assert_eq!(a.status, Some(AlertStatus::Resolved), "{}", a.id);
        if expected.contains(&a.id) {
            assert_eq!(a.resolved_reason, Some(ResolvedReason::Fraud));
        }
    }

    // Planned again: nothing left to send.
    let again = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    assert!(
        matches!(again.effect(), Effect::AlreadyDone { .. }),
        "{again}"
    );
    assert!(again.open_alerts().is_empty());

    let plan = responder
        .plan(&customer, &sub, Action::Reactivate)
        .await
        .unwrap();
    assert!(matches!(
        plan.effect(),
        Effect::ReactivateAzureSubscription { .. }
    ));
    let report = responder
        .execute(&plan, &Confirmation::for_azure_subscription(sub.as_str()))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Done), "{report:?}");
    assert!(matches!(report.alerts, AlertsOutcome::NotApplicable));
    assert_eq!(
        emulator
            .entitlement_status(customer.as_str(), sub.as_str())
            .as_deref(),
        Some("active")
    );
    assert_eq!(emulator.stats().entitlement_reactivations, 1);
}

fn emulator_customer_name(emulator: &Emulator, customer: &TenantId) -> Option<String> {
    emulator
        .fraud_event(
            &emulator
                .alerts()
                .into_iter()
                .find(|a| a.customer_tenant_id.as_ref() == Some(customer))
                .unwrap()
                .id,
            true,
        )
        .and_then(|e| e.customer_friendly_name)
}

#[tokio::test]
async fn a_cancel_still_showing_active_is_pending_and_its_alerts_wait() {
    let Setup {
        emulator,
        responder,
        ..
    } = setup().await;
    let responder = responder.max_wait(Duration::from_secs(120));
    let (customer, sub) = subscription_with_open_alerts(&emulator, "MS-AZR-0017G");
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    let report = responder
        .execute(&plan, &confirmation(&plan))
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Pending), "{report:?}");
    assert!(matches!(report.alerts, AlertsOutcome::NotYet));
    assert!(!report.is_complete());
    assert_eq!(emulator.stats().batch_items, 0, "no alert resolved yet");
}

#[tokio::test]
async fn a_legacy_subscription_is_suspended_whole_with_its_etag() {
    let Setup {
        emulator,
        responder,
        ..
    } = setup().await;
    let (customer, sub) = subscription_with_open_alerts(&emulator, "MS-AZR-0145P");
    let plan = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap()
        .without_resolving_alerts();
    let Effect::SetSubscriptionStatus { subscription, .. } = plan.effect() else {
        panic!("{plan}")
    };
    // The emulator writes a legacy subscription's id in upper case, its Azure id in lower.
    let legacy_id = sub.as_str().to_uppercase();
    assert_eq!(subscription, &legacy_id);
    assert_eq!(
        plan.confirm_with(),
        Some((Confirms::PartnerCenterSubscription, legacy_id.as_str()))
    );
    let report = responder
        .execute(
            &plan,
            &Confirmation::for_partner_center_subscription(&legacy_id),
        )
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Done), "{report:?}");
    assert!(matches!(report.alerts, AlertsOutcome::LeftAsTheyAre));
    assert_eq!(
        emulator
            .subscription_status(customer.as_str(), sub.as_str())
            .as_deref(),
        Some("suspended")
    );
    let stats = emulator.stats();
    assert_eq!(
        (stats.subscription_patches, stats.patches_without_if_match),
        (1, 0)
    );
    let body = emulator.subscription_patch_bodies().pop().unwrap();
    assert_eq!(body["status"], "suspended");
    for kept in [
        "friendlyName",
        "offerId",
        "billingType",
        "quantity",
        "entitlementId",
    ] {
        assert!(!body[kept].is_null(), "{kept} sent back: {body}");
    }
    assert_eq!(
        alerts_of(&emulator, &sub)
            .iter()
            .filter(|a| a.status == Some(AlertStatus::Resolved)
                && a.resolved_reason == Some(ResolvedReason::Fraud))
            .count(),
        alerts_of(&emulator, &sub)
            .iter()
            .filter(|a| a.resolved_reason == Some(ResolvedReason::Fraud))
            .count(),
        "alerts left as they were"
    );

    let plan = responder
        .plan(&customer, &sub, Action::Reactivate)
        .await
        .unwrap();
    let report = responder
        .execute(
            &plan,
            &Confirmation::for_partner_center_subscription(&legacy_id),
        )
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Done));
    assert_eq!(
        emulator
            .subscription_status(customer.as_str(), sub.as_str())
            .as_deref(),
        Some("active")
    );
}

#[tokio::test]
async fn an_azure_plan_is_suspended_only_once_none_of_its_subscriptions_is_active() {
    let Setup {
        emulator,
        responder,
        ..
    } = setup().await;
    let (customer, sub) = subscription_with_open_alerts(&emulator, "MS-AZR-0017G");
    let plan = responder
        .plan(&customer, &sub, Action::SuspendAzurePlan)
        .await
        .unwrap();
    let Some(Refusal::ActiveAzureSubscriptions {
        azure_subscriptions,
    }) = plan.refusal()
    else {
        panic!("{plan}")
    };
    assert!(
        azure_subscriptions
            .iter()
            .any(|s| s.eq_ignore_ascii_case(sub.as_str()))
    );
    let err = responder
        .execute(&plan, &Confirmation::for_partner_center_subscription("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    assert_eq!(pc_writes(&emulator.stats()), 0);

    for each in azure_subscriptions.clone() {
        let each = SubscriptionId::new(each).unwrap();
        let plan = responder
            .plan(&customer, &each, Action::stop())
            .await
            .unwrap()
            .without_resolving_alerts();
        let report = responder
            .execute(&plan, &confirmation(&plan))
            .await
            .unwrap();
        assert!(matches!(report.outcome, Outcome::Done), "{report:?}");
    }
    let plan = responder
        .plan(&customer, &sub, Action::SuspendAzurePlan)
        .await
        .unwrap();
    let plan_id = emulator.azure_plan_id(customer.as_str()).unwrap();
    assert_eq!(
        plan.confirm_with(),
        Some((Confirms::PartnerCenterSubscription, plan_id.as_str()))
    );
    // The Azure subscription's id does not confirm an action on the whole plan.
    let err = responder
        .execute(&plan, &Confirmation::for_azure_subscription(sub.as_str()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput(_)));
    let report = responder
        .execute(
            &plan,
            &Confirmation::for_partner_center_subscription(&plan_id),
        )
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Done), "{report:?}");
    assert_eq!(
        emulator
            .subscription_status(customer.as_str(), &plan_id)
            .as_deref(),
        Some("suspended")
    );
    // A subscription of a suspended plan is not reactivated before its plan.
    let plan = responder
        .plan(&customer, &sub, Action::Reactivate)
        .await
        .unwrap();
    assert!(
        matches!(plan.refusal(), Some(Refusal::State { .. })),
        "{plan}"
    );
    let plan = responder
        .plan(&customer, &sub, Action::ReactivateAzurePlan)
        .await
        .unwrap();
    let report = responder
        .execute(
            &plan,
            &Confirmation::for_partner_center_subscription(&plan_id),
        )
        .await
        .unwrap();
    assert!(matches!(report.outcome, Outcome::Done));
    assert_eq!(
        emulator
            .subscription_status(customer.as_str(), &plan_id)
            .as_deref(),
        Some("active")
    );
}

#[tokio::test]
async fn another_customer_s_subscription_is_refused_before_sending() {
    let Setup {
        emulator,
        responder,
        ..
    } = setup().await;
    let (customer, sub) = subscription_with_open_alerts(&emulator, "MS-AZR-0017G");
    let other = emulator
        .alerts()
        .into_iter()
        .filter_map(|a| a.customer_tenant_id)
        .find(|c| *c != customer)
        .unwrap();
    // Its alerts name its own customer.
    let plan = responder.plan(&other, &sub, Action::stop()).await.unwrap();
    assert_eq!(
        plan.refusal(),
        Some(&Refusal::AlertsOfAnotherCustomer {
            customers: vec![customer.as_str().to_owned()]
        })
    );
    // With no alert to tell, Partner Center's own list of the customer's subscriptions does.
    let unknown = SubscriptionId::new("0badc0de-0000-4000-8000-000000000000").unwrap();
    let plan = responder
        .plan(&customer, &unknown, Action::stop())
        .await
        .unwrap();
    assert!(
        matches!(plan.refusal(), Some(Refusal::NotTheCustomers { .. })),
        "{plan}"
    );
    for plan in [plan] {
        let err = responder
            .execute(
                &plan,
                &Confirmation::for_azure_subscription(unknown.as_str()),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
    }
    assert_eq!(pc_writes(&emulator.stats()), 0);
}

#[tokio::test]
async fn a_plan_the_state_no_longer_matches_sends_nothing() {
    let Setup {
        emulator,
        responder,
        ..
    } = setup().await;
    let (customer, sub) = subscription_with_open_alerts(&emulator, "MS-AZR-0017G");
    let confirm = Confirmation::for_azure_subscription(sub.as_str());
    let stop = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    responder
        .execute(&stop.clone().without_resolving_alerts(), &confirm)
        .await
        .unwrap();
    // Stopped: a stop planned now has nothing to send but the alerts to resolve.
    let done = responder
        .plan(&customer, &sub, Action::stop())
        .await
        .unwrap();
    assert!(
        matches!(done.effect(), Effect::AlreadyDone { .. }),
        "{done}"
    );
    assert!(!done.open_alerts().is_empty());
    let reactivate = responder
        .plan(&customer, &sub, Action::Reactivate)
        .await
        .unwrap();
    responder.execute(&reactivate, &confirm).await.unwrap();
    let writes = pc_writes(&emulator.stats());

    // Running again: neither the stale "already stopped" plan nor the first one (read when
    // the subscription was active, and still a cancel) resolves alerts on a running
    // subscription without sending the cancel.
    let err = responder.execute(&done, &confirm).await.unwrap_err();
    match &err {
        Error::InvalidInput(e) => assert!(e.reason().contains("plan again"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(pc_writes(&emulator.stats()), writes);
    assert_eq!(emulator.stats().batch_items, 0, "no alert resolved");
    let report = responder.execute(&stop, &confirm).await.unwrap();
    assert!(matches!(report.outcome, Outcome::Done), "{report:?}");
    assert_eq!(emulator.stats().entitlement_cancels, 2);
}
