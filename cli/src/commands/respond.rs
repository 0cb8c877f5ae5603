//! `partner-alerts respond`: stop a hijacked Azure subscription, or undo it. The plan is
//! printed and nothing changes unless `--apply --confirm ID` names the id it acts on.

use std::collections::BTreeSet;
use std::io::{self, BufWriter, Write};
use std::time::Duration;

use partner_alerts::respond::{
    Action, ActionPlan, ActionReport, AlertsOutcome, Confirmation, Outcome, Responder,
};
use partner_alerts::{AlertQuery, Filter, SubscriptionId, TenantId, UpdateReport};
use serde_json::{Value, json};

use super::resolve::{error_json, with_request_id};
use crate::cli::{RespondAction, RespondArgs};
use crate::connect::Session;
use crate::exit::{Failure, Outcome as CommandOutcome};

pub async fn run(session: &Session, args: &RespondArgs, json: bool) -> CommandOutcome {
    let (Some(directory), Some(name)) = (&session.directory, session.tenants.names().next()) else {
        return Err(Failure::Usage(
            "respond acts for one partner: use it without --tenants".into(),
        ));
    };
    let subscription = SubscriptionId::new(&args.subscription)?;
    let source = session
        .tenants
        .source(name)
        .expect("the session's tenant")
        .clone();
    let customer = match &args.customer {
        Some(c) => TenantId::new(c)?,
        None => customer_of(&*source, &subscription).await?,
    };
    let poll = args
        .poll_interval
        .unwrap_or(if session.emulator().is_some() {
            chrono::TimeDelta::seconds(1)
        } else {
            chrono::TimeDelta::seconds(30)
        });
    let responder = Responder::new(directory.partner_center()?, source)
        .poll_interval(poll.to_std().unwrap_or(Duration::from_secs(30)))
        .max_wait(args.wait.to_std().unwrap_or_default());
    let action = match args.action {
        RespondAction::Stop => Action::stop(),
        RespondAction::Reactivate => Action::Reactivate,
        RespondAction::SuspendPlan => Action::SuspendAzurePlan,
        RespondAction::ReactivatePlan => Action::ReactivateAzurePlan,
    };
    let mut plan = responder.plan(&customer, &subscription, action).await?;
    if args.keep_alerts {
        plan = plan.without_resolving_alerts();
    }
    let mut out = BufWriter::new(io::stdout().lock());
    if !json {
        writeln!(out, "{plan}")?;
        out.flush()?;
    }
    if let Some(refusal) = plan.refusal() {
        if json {
            serde_json::to_writer_pretty(&mut out, &json!({ "plan": plan }))?;
            writeln!(out)?;
        }
        return Err(Failure::Usage(format!(
            "refused, nothing was sent: {refusal}"
        )));
    }
    let Some(typed) = &args.confirm else {
        if json {
            serde_json::to_writer_pretty(&mut out, &json!({ "plan": plan }))?;
            writeln!(out)?;
        }
        let (_, id) = plan.confirm_with().expect("a plan not refused");
        eprintln!(
            "plan only: nothing was changed. To act: partner-alerts respond {}{} --apply --confirm {id}",
            args.subscription,
            repeated_flags(args),
        );
        return Ok(());
    };
    let (confirms, _) = plan.confirm_with().expect("a plan not refused");
    let report = responder
        .execute(&plan, &Confirmation::new(confirms, typed))
        .await?;
    if json {
        let doc = json!({ "plan": plan, "report": report_json(&report) });
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        print_report(&mut out, &plan, &report)?;
    }
    out.flush()?;
    outcome(&report)
}

/// The options the hint must repeat for the same plan.
fn repeated_flags(args: &RespondArgs) -> String {
    let mut flags = String::new();
    match args.action {
        RespondAction::Stop => {}
        RespondAction::Reactivate => flags.push_str(" --action reactivate"),
        RespondAction::SuspendPlan => flags.push_str(" --action suspend-plan"),
        RespondAction::ReactivatePlan => flags.push_str(" --action reactivate-plan"),
    }
    if let Some(c) = &args.customer {
        flags.push_str(" --customer ");
        flags.push_str(c);
    }
    if args.keep_alerts {
        flags.push_str(" --keep-alerts");
    }
    flags
}

/// The customer the subscription's alerts name: exactly one, or a usage error.
async fn customer_of(
    source: &dyn partner_alerts::AlertSource,
    subscription: &SubscriptionId,
) -> Result<TenantId, Failure> {
    // As the library lists them: GUIDs in lower case.
    let id = SubscriptionId::new(subscription.as_str().to_ascii_lowercase())?;
    let query = AlertQuery::new().filter(Filter::subscription_id().eq(&id));
    let alerts: Vec<_> = source.list(&query).try_collect().await?;
    let customers: BTreeSet<String> = alerts
        .into_iter()
        .filter_map(|a| a.customer_tenant_id)
        .map(|c| c.as_str().to_ascii_lowercase())
        .collect();
    let mut it = customers.iter();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(TenantId::new(c)?),
        (None, _) => Err(Failure::Usage(format!(
            "no alert names subscription {subscription}: give its customer with --customer"
        ))),
        (Some(_), Some(_)) => Err(Failure::Usage(format!(
            "the alerts of subscription {subscription} name several customers ({}): give one with --customer",
            customers
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Done => "done",
        Outcome::AlreadyDone => "already done",
        Outcome::Pending => "pending",
        Outcome::Unconfirmed(_) => "unconfirmed",
        _ => "unknown",
    }
}

fn print_report(out: &mut impl Write, plan: &ActionPlan, r: &ActionReport) -> io::Result<()> {
    writeln!(out)?;
    write!(out, "Outcome:       {}", outcome_name(&r.outcome))?;
    match (&r.before, &r.after) {
        (Some(b), Some(a)) => write!(out, " (status {b} -> {a})")?,
        (None, Some(a)) => write!(out, " (status {a})")?,
        _ => {}
    }
    if let Some(id) = r.request_ids.as_ref().and_then(|i| i.request_id()) {
        write!(out, ", request id {id}")?;
    }
    writeln!(out)?;
    match &r.outcome {
        Outcome::Pending => writeln!(
            out,
            "               Partner Center accepted it but does not show it finished yet: run `respond {}` again later to see it",
            plan.azure_subscription()
        )?,
        Outcome::Unconfirmed(e) => writeln!(
            out,
            "               sent, but reading it back failed ({}): run `respond {}` again to see it",
            with_request_id(e),
            plan.azure_subscription()
        )?,
        _ => {}
    }
    match &r.alerts {
        AlertsOutcome::Resolved(report) => {
            writeln!(
                out,
                "Alerts:        {} resolved as fraud, {} skipped (already resolved), {} failed, {} unconfirmed",
                report.succeeded.len(),
                report.skipped.len(),
                report.failed.len(),
                report.unconfirmed.len()
            )?;
            for (id, outcome, error) in alert_lines(report) {
                match error {
                    Some(e) => writeln!(out, "{outcome}\t{id}\t{e}")?,
                    None => writeln!(out, "{outcome}\t{id}")?,
                }
            }
        }
        AlertsOutcome::NotYet => writeln!(
            out,
            "Alerts:        not resolved: the subscription is not shown stopped yet"
        )?,
        AlertsOutcome::Failed(e) => writeln!(
            out,
            "Alerts:        could not be resolved: {}",
            with_request_id(e)
        )?,
        AlertsOutcome::LeftAsTheyAre => writeln!(out, "Alerts:        left as they are")?,
        _ => {}
    }
    Ok(())
}

/// Every alert of the report: id, outcome, and the error of a failed or unconfirmed one.
fn alert_lines(r: &UpdateReport) -> Vec<(String, &'static str, Option<String>)> {
    let mut lines: Vec<_> = r
        .succeeded
        .iter()
        .map(|(id, _)| (id.to_string(), "resolved", None))
        .chain(r.skipped.iter().map(|id| (id.to_string(), "skipped", None)))
        .chain(
            r.failed
                .iter()
                .map(|(id, e)| (id.to_string(), "failed", Some(with_request_id(e)))),
        )
        .chain(r.unconfirmed.iter().map(|(id, e)| {
            (
                id.to_string(),
                "unconfirmed",
                Some(format!(
                    "{} (may be applied: read it again)",
                    with_request_id(e)
                )),
            )
        }))
        .collect();
    lines.sort();
    lines
}

fn report_json(r: &ActionReport) -> Value {
    let alerts = match &r.alerts {
        AlertsOutcome::Resolved(report) => json!({
            "outcome": "resolved",
            "alerts": alert_lines(report).into_iter().map(|(id, outcome, _)| {
                let mut v = match outcome {
                    "failed" => error_json(&report.failed.iter().find(|(i, _)| i.as_str() == id).expect("listed").1),
                    "unconfirmed" => error_json(&report.unconfirmed.iter().find(|(i, _)| i.as_str() == id).expect("listed").1),
                    _ => json!({}),
                };
                v["id"] = id.into();
                v["outcome"] = outcome.into();
                v
            }).collect::<Vec<_>>(),
        }),
        AlertsOutcome::NotYet => json!({"outcome": "notYet"}),
        AlertsOutcome::LeftAsTheyAre => json!({"outcome": "leftAsTheyAre"}),
        AlertsOutcome::Failed(e) => {
            let mut v = error_json(e);
            v["outcome"] = "failed".into();
            v
        }
        _ => json!({"outcome": "notApplicable"}),
    };
    let mut v = json!({
        "effect": r.effect,
        "outcome": outcome_name(&r.outcome),
        "before": r.before,
        "after": r.after,
        "requestId": r.request_ids.as_ref().and_then(|i| i.request_id()),
        "alerts": alerts,
    });
    if let Outcome::Unconfirmed(e) = &r.outcome {
        v["error"] = error_json(e);
    }
    v
}

/// Exit 0 when everything asked is done; 3 when sent but not finished or some alerts not
/// resolved.
fn outcome(r: &ActionReport) -> CommandOutcome {
    if r.is_complete() {
        return Ok(());
    }
    Err(Failure::Partial(match (&r.outcome, &r.alerts) {
        (Outcome::Pending, _) => "the change was accepted but has not finished yet".into(),
        (Outcome::Unconfirmed(_), _) => "the change was sent but could not be read back".into(),
        (_, AlertsOutcome::Failed(_)) => "the subscription's alerts could not be resolved".into(),
        _ => "some of the subscription's alerts were not resolved".into(),
    }))
}
