//! `respond`, run as a user runs it against an emulator it does not own: the plan changes
//! nothing, a wrong or missing confirmation sends nothing (exit 2), the right one cancels
//! the subscription and resolves each of its open alerts (exit 0), a change not finished
//! in time exits 3, and reactivate restores the subscription.

mod support;

use std::process::Output;

use partner_alerts::{AlertStatus, ResolvedReason};
use partner_alerts_emulator::{Emulator, Stats};
use serde_json::Value;
use support::{assert_exit, cli, output, stderr, stdout};

async fn emulator(delay_secs: u64) -> Emulator {
    Emulator::builder()
        .alerts(400)
        .seed(5)
        .entitlement_delay(std::time::Duration::from_secs(delay_secs))
        .start()
        .await
        .unwrap()
}

/// `partner-alerts respond ARGS...` against `emu`, Graph for the alerts and Partner Center
/// for the actions.
async fn respond(emu: &Emulator, args: &[&str]) -> Output {
    let mut c = cli();
    c.env("PARTNER_ALERTS_TOKEN", "t")
        .args(["--base-url", emu.graph_base_url()])
        .args(["--partner-center-url", emu.partner_center_base_url()])
        .arg("respond")
        .args(args)
        .args(["--poll-interval", "100ms"]);
    output(c).await
}

/// An Azure plan subscription with open alerts, and their ids.
fn open_subscription(emu: &Emulator) -> (String, String, Vec<String>) {
    let alerts = emu.alerts();
    let first = alerts
        .iter()
        .find(|a| {
            a.catalog_offer_id.as_deref() == Some("MS-AZR-0017G")
                && a.status != Some(AlertStatus::Resolved)
        })
        .unwrap();
    let sub = first.subscription_id.clone().unwrap();
    let mut open: Vec<String> = alerts
        .iter()
        .filter(|a| {
            a.subscription_id.as_ref() == Some(&sub) && a.status != Some(AlertStatus::Resolved)
        })
        .map(|a| a.id.to_string())
        .collect();
    open.sort();
    (
        first.customer_tenant_id.as_ref().unwrap().to_string(),
        sub.to_string(),
        open,
    )
}

fn writes(s: &Stats) -> u64 {
    s.entitlement_cancels + s.entitlement_reactivations + s.subscription_patches + s.batch_items
}

#[tokio::test]
async fn the_plan_changes_nothing_and_names_what_to_confirm() {
    let emu = emulator(0).await;
    let (customer, sub, open) = open_subscription(&emu);
    let o = respond(&emu, &[&sub]).await;
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(out.contains(&customer), "{out}");
    assert!(
        out.contains(&format!("Effect:        cancel Azure subscription {sub}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "then resolve {} open alert(s) as fraud",
            open.len()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("Confirm with:  Azure subscription {sub}")),
        "{out}"
    );
    assert!(
        stderr(&o).contains(&format!("--apply --confirm {sub}")),
        "{}",
        stderr(&o)
    );

    let o = respond(&emu, &[&sub, "--json"]).await;
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let plan = &doc["plan"];
    assert_eq!(plan["effect"]["kind"], "cancelAzureSubscription");
    assert_eq!(plan["effect"]["reason"], "compromise");
    assert_eq!(plan["customer"], customer.as_str());
    assert_eq!(plan["openAlerts"].as_array().unwrap().len(), open.len());
    assert_eq!(writes(&emu.stats()), 0);
}

#[tokio::test]
async fn a_wrong_or_missing_confirmation_sends_nothing() {
    let emu = emulator(0).await;
    let (_, sub, _) = open_subscription(&emu);
    let other = emu
        .alerts()
        .into_iter()
        .filter_map(|a| a.subscription_id)
        .find(|s| s.as_str() != sub)
        .unwrap();
    let o = respond(&emu, &[&sub, "--apply", "--confirm", other.as_str()]).await;
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("nothing was sent"), "{}", stderr(&o));
    let o = respond(&emu, &[&sub, "--apply"]).await;
    assert_exit(&o, 2);
    let o = respond(&emu, &[&sub, "--confirm", &sub]).await;
    assert_exit(&o, 2);
    assert_eq!(writes(&emu.stats()), 0);
    assert_eq!(
        emu.entitlement_status(&open_subscription(&emu).0, &sub)
            .as_deref(),
        Some("active")
    );
}

#[tokio::test]
async fn a_confirmed_stop_cancels_and_resolves_each_open_alert_and_reactivate_restores_it() {
    let emu = emulator(1).await;
    let (customer, sub, open) = open_subscription(&emu);
    // Ids as a person may type them: upper case.
    let o = respond(
        &emu,
        &[
            &sub.to_uppercase(),
            "--customer",
            &customer.to_uppercase(),
            "--apply",
            "--confirm",
            &sub.to_uppercase(),
        ],
    )
    .await;
    assert_exit(&o, 0);
    let out = stdout(&o);
    assert!(
        out.contains("Outcome:       done (status active -> inactive)"),
        "{out}"
    );
    let mut resolved: Vec<String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("resolved\t"))
        .map(str::to_owned)
        .collect();
    resolved.sort();
    assert_eq!(resolved, open, "each open alert reported once");
    assert_eq!(
        emu.entitlement_status(&customer, &sub).as_deref(),
        Some("inactive")
    );
    for id in &open {
        let a = emu.alert(&id.parse().unwrap()).unwrap();
        assert_eq!(a.status, Some(AlertStatus::Resolved));
        assert_eq!(a.resolved_reason, Some(ResolvedReason::Fraud));
    }

    let o = respond(
        &emu,
        &[
            &sub,
            "--action",
            "reactivate",
            "--apply",
            "--confirm",
            &sub,
            "--json",
        ],
    )
    .await;
    assert_exit(&o, 0);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(doc["plan"]["effect"]["kind"], "reactivateAzureSubscription");
    assert_eq!(doc["report"]["outcome"], "done");
    assert_eq!(doc["report"]["after"], "active");
    assert_eq!(doc["report"]["alerts"]["outcome"], "notApplicable");
    assert_eq!(
        emu.entitlement_status(&customer, &sub).as_deref(),
        Some("active")
    );
}

#[tokio::test]
async fn a_change_not_shown_in_time_exits_3_and_leaves_the_alerts() {
    let emu = emulator(600).await;
    let (_, sub, open) = open_subscription(&emu);
    let o = respond(&emu, &[&sub, "--apply", "--confirm", &sub, "--wait", "1s"]).await;
    assert_exit(&o, 3);
    assert!(
        stdout(&o).contains("Outcome:       pending"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("Alerts:        not resolved"),
        "{}",
        stdout(&o)
    );
    assert_eq!(emu.stats().entitlement_cancels, 1);
    for id in &open {
        let a = emu.alert(&id.parse().unwrap()).unwrap();
        assert_ne!(a.status, Some(AlertStatus::Resolved));
    }
}

#[tokio::test]
async fn a_subscription_no_alert_names_needs_its_customer() {
    let emu = emulator(0).await;
    let (customer, _, _) = open_subscription(&emu);
    let unknown = "0badc0de-0000-4000-8000-000000000000";
    let o = respond(&emu, &[unknown]).await;
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--customer"), "{}", stderr(&o));
    let o = respond(&emu, &[unknown, "--customer", &customer]).await;
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("does not belong to customer"),
        "{}",
        stderr(&o)
    );
    assert_eq!(writes(&emu.stats()), 0);
}
