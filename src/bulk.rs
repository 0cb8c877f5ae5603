//! Changing the status of many alerts at once, planned first: every alert's state is read,
//! only the alerts not already in the target state are sent, and the report accounts for
//! every alert.
//!
//! ```no_run
//! # async fn run(source: &dyn partner_alerts::AlertSource, ids: Vec<partner_alerts::AlertId>)
//! # -> partner_alerts::Result<()> {
//! use partner_alerts::bulk::Plan;
//! use partner_alerts::{ResolvedReason, StatusUpdate, UpdateTarget};
//!
//! let targets: Vec<UpdateTarget> = ids.into_iter().map(UpdateTarget::from).collect();
//! let plan = Plan::new(source, &targets, StatusUpdate::resolved(ResolvedReason::Ignore)).await?;
//! println!("{} to change, {} already done", plan.changes().count(), plan.skipped().count());
//! let report = plan.apply(source).await?;
//! for (id, e) in &report.failed {
//!     eprintln!("{id}: {e}");
//! }
//! // Run again on the same ids: everything is skipped, nothing is sent.
//! # Ok(()) }
//! ```
//!
//! What a plan costs: reading the alerts ([`AlertSource::get_many`]: on Graph 20 alerts to a
//! `$batch` request, several in flight) and, applying it, writing only the changes (on
//! Graph 20 to a `$batch` again; on FraudEvents one POST per subscription).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::{Error, InvalidResponse, Result, Unsupported};
use crate::query::Field;
use crate::source::{AlertSource, StatusUpdate, UpdateReport, UpdateTarget};
use crate::{Alert, AlertStatus, ResolvedReason};

/// What a bulk change would do to each alert, from the state read when it was planned.
///
/// Applying it sends only the changes, and re-reads nothing; planning again on the same
/// input after it was applied finds every alert skipped, so a re-run is safe.
#[derive(Debug)]
pub struct Plan {
    update: StatusUpdate,
    items: Vec<PlanItem>,
}

/// One alert of a [`Plan`].
#[derive(Debug)]
#[non_exhaustive]
pub struct PlanItem {
    /// The alert, with its subscription as read (Partner Center updates per subscription).
    pub target: UpdateTarget,
    /// What applying the plan does to it.
    pub action: PlanAction,
}

/// What applying a [`Plan`] does to one alert.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlanAction {
    /// Sent: the alert is not in the target state. Its state when read.
    Change {
        /// The status read (`None`: the service sent none).
        status: Option<AlertStatus>,
        /// The resolved reason read.
        reason: Option<ResolvedReason>,
    },
    /// Not sent: already in the target state (reported as skipped).
    Skip,
    /// Not sent: could not be read (not found, refused); reported as failed with this error.
    Unreadable(Arc<Error>),
}

impl Plan {
    /// Reads the state of every target (each alert once: an id named twice is planned once)
    /// and plans `update` for it.
    ///
    /// # Errors
    /// Before anything is read: [`Error::InvalidInput`] for an update that cannot be sent
    /// (Graph's `unknownFutureValue` placeholder), [`Error::Unsupported`] for a reason the
    /// source does not take (FraudEvents has no Legitimate).
    pub async fn new(
        source: &dyn AlertSource,
        targets: &[UpdateTarget],
        update: StatusUpdate,
    ) -> Result<Plan> {
        check(source, &update)?;
        let mut seen = HashSet::with_capacity(targets.len());
        let unique: Vec<&UpdateTarget> = targets.iter().filter(|t| seen.insert(&t.id)).collect();
        let ids: Vec<_> = unique.iter().map(|t| t.id.clone()).collect();
        let mut read: HashMap<_, _> = source
            .get_many(&ids, Plan::FIELDS)
            .await
            .into_iter()
            .collect();
        let items = unique
            .into_iter()
            .map(|t| match read.remove(&t.id) {
                Some(Ok(alert)) => PlanItem::of(t.clone(), &alert, &update),
                Some(Err(e)) => PlanItem {
                    target: t.clone(),
                    action: PlanAction::Unreadable(e),
                },
                None => PlanItem {
                    target: t.clone(),
                    action: PlanAction::Unreadable(Arc::new(Error::InvalidResponse(Box::new(
                        InvalidResponse::new(
                            format!("reading the alerts returned nothing for {}", t.id),
                            None,
                        ),
                    )))),
                },
            })
            .collect();
        Ok(Plan { update, items })
    }

    /// The properties a plan reads of each alert; a listing that feeds
    /// [`Plan::from_alerts`] needs no more (`AlertQuery::select(Plan::FIELDS.iter().copied())`).
    pub const FIELDS: &'static [Field] =
        &[Field::Status, Field::ResolvedReason, Field::SubscriptionId];

    /// Plans `update` for alerts already read (a listing's, holding at least
    /// [`Plan::FIELDS`]), reading nothing more; `source` is the one they came from, which
    /// applies the plan. Each alert once: an id listed twice is planned once.
    ///
    /// # Errors
    /// As [`Plan::new`], before anything is sent.
    pub fn from_alerts(
        source: &dyn AlertSource,
        alerts: impl IntoIterator<Item = Alert>,
        update: StatusUpdate,
    ) -> Result<Plan> {
        check(source, &update)?;
        let mut seen = HashSet::new();
        let items = alerts
            .into_iter()
            .filter(|a| seen.insert(a.id.clone()))
            .map(|a| PlanItem::of(UpdateTarget::from(&a), &a, &update))
            .collect();
        Ok(Plan { update, items })
    }

    /// Leaves alone the alerts already resolved, whatever their reason (planned as
    /// [`PlanAction::Skip`]): resolving a backlog then never rewrites an earlier resolution.
    /// Without it, an alert resolved with another reason is changed to this one.
    pub fn only_unresolved(mut self) -> Plan {
        for item in &mut self.items {
            if let PlanAction::Change {
                status: Some(AlertStatus::Resolved),
                ..
            } = item.action
            {
                item.action = PlanAction::Skip;
            }
        }
        self
    }

    /// The change planned.
    pub fn update(&self) -> &StatusUpdate {
        &self.update
    }

    /// Every alert, in the order given.
    pub fn items(&self) -> &[PlanItem] {
        &self.items
    }

    /// The alerts that applying the plan sends.
    pub fn changes(&self) -> impl Iterator<Item = &PlanItem> {
        self.items
            .iter()
            .filter(|i| matches!(i.action, PlanAction::Change { .. }))
    }

    /// The alerts already in the target state.
    pub fn skipped(&self) -> impl Iterator<Item = &PlanItem> {
        self.items
            .iter()
            .filter(|i| matches!(i.action, PlanAction::Skip))
    }

    /// The alerts that could not be read, and why.
    pub fn unreadable(&self) -> impl Iterator<Item = (&PlanItem, &Arc<Error>)> {
        self.items.iter().filter_map(|i| match &i.action {
            PlanAction::Unreadable(e) => Some((i, e)),
            _ => None,
        })
    }

    /// Sends the planned changes through `source` (the one the plan was read from) and
    /// reports every alert of the plan: the changes as succeeded, failed or unconfirmed, the
    /// others as skipped or failed (unreadable), with nothing sent for them.
    ///
    /// # Errors
    /// Only when nothing could be attempted ([`AlertSource::update_alerts`]'s errors).
    pub async fn apply(&self, source: &dyn AlertSource) -> Result<UpdateReport> {
        let changes: Vec<UpdateTarget> = self.changes().map(|i| i.target.clone()).collect();
        let mut report = if changes.is_empty() {
            UpdateReport::default()
        } else {
            source.update_alerts(&changes, &self.update).await?
        };
        for item in &self.items {
            match &item.action {
                PlanAction::Skip => report.skipped.push(item.target.id.clone()),
                PlanAction::Unreadable(e) => {
                    report.failed.push((item.target.id.clone(), e.clone()))
                }
                PlanAction::Change { .. } => {}
            }
        }
        Ok(report)
    }
}

impl PlanItem {
    /// What `update` does to `alert`, read as it is now.
    fn of(mut target: UpdateTarget, alert: &Alert, update: &StatusUpdate) -> PlanItem {
        if target.subscription_id.is_none() {
            target.subscription_id = alert.subscription_id.clone();
        }
        let done = alert.status.as_ref() == Some(update.status())
            && (update.reason().is_none() || alert.resolved_reason.as_ref() == update.reason());
        let action = if done {
            PlanAction::Skip
        } else {
            PlanAction::Change {
                status: alert.status.clone(),
                reason: alert.resolved_reason.clone(),
            }
        };
        PlanItem { target, action }
    }
}

/// Refuses, before anything is sent, an update that cannot be sent or that `source` cannot
/// take.
fn check(source: &dyn AlertSource, update: &StatusUpdate) -> Result<()> {
    update.validate()?;
    if let Some(reason) = update.reason()
        && !source.capabilities().accepts_reason(reason)
    {
        let accepted: Vec<String> = source
            .capabilities()
            .resolved_reasons
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect();
        return Err(Error::Unsupported(Box::new(Unsupported::new(
            source_api(source),
            format!(
                "resolve an alert as {} (it accepts {})",
                reason.as_str(),
                accepted.join(", ")
            ),
        ))));
    }
    Ok(())
}

fn source_api(source: &dyn AlertSource) -> crate::error::Api {
    match source.kind() {
        crate::SourceKind::FraudEvents => crate::error::Api::PartnerCenter,
        _ => crate::error::Api::Graph,
    }
}
