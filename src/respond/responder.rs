//! [`Responder`]: plans an action from fresh state, executes it once confirmed, waits for
//! its final state, then resolves the subscription's open alerts.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::action::{Action, Confirmation, Effect, Refusal, Status};
use super::calls;
use super::plan::{ActionPlan, effect};
use crate::bulk::Plan;
use crate::enrich::{EntitlementStatus, Mapping, PartnerCenterDirectory, SubscriptionKind};
use crate::error::{InvalidInput, RequestIds, Result};
use crate::{
    Alert, AlertId, AlertQuery, AlertSource, AlertStatus, Error, Filter, ResolvedReason,
    StatusUpdate, SubscriptionId, TenantId, UpdateReport, UpdateTarget,
};

/// How often the state is read after a change is accepted: Partner Center takes about ten
/// minutes to show a cancellation (section 10.8).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// How long the state is read before the outcome is [`Outcome::Pending`] (Q37).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// The shortest time between two reads of the state: these endpoints are throttled.
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The most reads of one wait, whatever [`Responder::max_wait`] says.
const MAX_READS: u128 = 10_000;

/// Plans and executes response actions on the Azure subscriptions of alerts: cancel or
/// reactivate an Azure plan's Azure subscription, suspend or reactivate a legacy
/// subscription or an Azure plan (reference sections 10.7 to 10.11).
///
/// Each action is one subscription, planned from state read then
/// ([`Responder::plan`]), and sent only with a [`Confirmation`] naming the exact id acted on
/// ([`Responder::execute`]). After a stop reaches its final state, the subscription's open
/// alerts are resolved as fraud through the alert source, each reported. Nothing is chained
/// beyond what was asked, and there is no "stop everything alerted".
///
/// Cancelling deallocates the customer's virtual machines and turns its storage
/// read-only: talk to the customer first, as Partner Center's dashboard advises.
///
/// ```no_run
/// # async fn run(alert: partner_alerts::Alert) -> partner_alerts::Result<()> {
/// use std::sync::Arc;
/// use partner_alerts::auth::RefreshTokenCredential;
/// use partner_alerts::enrich::PartnerCenterDirectory;
/// use partner_alerts::respond::{Action, Confirmation, Responder};
/// use partner_alerts::GraphClient;
///
/// let graph = GraphClient::builder().credential(RefreshTokenCredential::from_env()?).build()?;
/// let directory = PartnerCenterDirectory::builder()
///     .credential(RefreshTokenCredential::from_env()?)
///     .build()?;
/// let responder = Responder::new(directory, Arc::new(graph));
///
/// let plan = responder.plan_for_alert(&alert, Action::stop()).await?;
/// println!("{plan}");
/// // The id as the person confirming typed it, not copied from the plan.
/// let typed = "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398";
/// let report = responder.execute(&plan, &Confirmation::for_azure_subscription(typed)).await?;
/// println!("{:?}", report.outcome);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Responder {
    directory: PartnerCenterDirectory,
    alerts: Arc<dyn AlertSource>,
    poll_interval: Duration,
    max_wait: Duration,
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("directory", &self.directory)
            .field("alerts", &self.alerts.kind())
            .field("poll_interval", &self.poll_interval)
            .field("max_wait", &self.max_wait)
            .finish()
    }
}

/// How an executed action ended.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Sent, and the subscription reached the state asked for.
    Done,
    /// Nothing sent: the subscription was already in that state when read just before.
    AlreadyDone,
    /// Sent and accepted, but still not in the final state after the time allowed (Q37):
    /// read it again later. The alerts are not resolved yet.
    Pending,
    /// Sent and accepted, but reading the state back failed: read it again before acting.
    Unconfirmed(Arc<Error>),
}

/// What happened to the subscription's alerts after the action.
#[derive(Debug)]
#[non_exhaustive]
pub enum AlertsOutcome {
    /// Not an action that resolves alerts (only a stop does).
    NotApplicable,
    /// The plan was made [`without_resolving_alerts`](ActionPlan::without_resolving_alerts).
    LeftAsTheyAre,
    /// The subscription has not reached its final state: resolving them waits until it has.
    NotYet,
    /// Resolved as fraud: every open alert of the subscription is in the report once.
    Resolved(UpdateReport),
    /// Listing or resolving them failed as a whole.
    Failed(Arc<Error>),
}

/// The outcome of [`Responder::execute`], with what was read before and after.
#[derive(Debug)]
#[non_exhaustive]
pub struct ActionReport {
    /// What was sent (the plan's effect, or [`Effect::AlreadyDone`] when the state read
    /// just before sending made it so).
    pub effect: Effect,
    /// How it ended.
    pub outcome: Outcome,
    /// The status read just before sending.
    pub before: Option<Status>,
    /// The status read last.
    pub after: Option<Status>,
    /// The change request's ids (for support), when one was sent.
    pub request_ids: Option<RequestIds>,
    /// The subscription's alerts.
    pub alerts: AlertsOutcome,
}

impl ActionReport {
    /// Whether everything asked is done: the action ended done (or was already), and the
    /// alerts, when asked, were all resolved or skipped.
    pub fn is_complete(&self) -> bool {
        matches!(self.outcome, Outcome::Done | Outcome::AlreadyDone)
            && match &self.alerts {
                AlertsOutcome::Resolved(r) => r.is_complete(),
                AlertsOutcome::NotApplicable | AlertsOutcome::LeftAsTheyAre => true,
                AlertsOutcome::NotYet | AlertsOutcome::Failed(_) => false,
            }
    }
}

impl Responder {
    /// A responder acting through `directory` (Partner Center) and resolving alerts through
    /// `alerts` (the source the alerts came from).
    pub fn new(directory: PartnerCenterDirectory, alerts: Arc<dyn AlertSource>) -> Self {
        Responder {
            directory,
            alerts,
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }

    /// How often the state is read after a change is accepted (default 30 s).
    pub fn poll_interval(mut self, every: Duration) -> Self {
        self.poll_interval = every;
        self
    }

    /// How long the state is read before the outcome is [`Outcome::Pending`] (default
    /// 15 min; zero reads it once).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Plans `action` on the Azure subscription of `alert`, for the alert's customer.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the alert has no customer or subscription id; then as
    /// [`Responder::plan`].
    pub async fn plan_for_alert(&self, alert: &Alert, action: Action) -> Result<ActionPlan> {
        let customer = alert.customer_tenant_id.as_ref().ok_or_else(|| {
            InvalidInput::new("alert", format!("alert {} names no customer", alert.id))
        })?;
        let subscription = alert.subscription_id.as_ref().ok_or_else(|| {
            InvalidInput::new("alert", format!("alert {} names no subscription", alert.id))
        })?;
        self.plan(customer, subscription, action).await
    }

    /// Plans `action` on `azure_subscription` of `customer`, reading the state now and
    /// sending no write: the customer, the subscription's Partner Center mapping (section
    /// 10.5.5), the entitlements of its Azure plan when the action is on the plan, and the
    /// subscription's alerts.
    ///
    /// A subscription that is not the customer's, one whose alerts name another customer,
    /// an ambiguous mapping or a state the action cannot leave make a plan whose effect is
    /// [`Effect::Refused`]: it shows why, and executing it is refused.
    ///
    /// # Errors
    /// The reads' errors ([`Error::Forbidden`] for a missing role, ...).
    pub async fn plan(
        &self,
        customer: &TenantId,
        azure_subscription: &SubscriptionId,
        action: Action,
    ) -> Result<ActionPlan> {
        let read_at = chrono::Utc::now();
        let mut plan = ActionPlan {
            resolve_alerts: action.resolves_alerts(),
            action,
            customer: customer.as_str().to_owned(),
            customer_name: None,
            azure_subscription: azure_subscription.as_str().to_owned(),
            subscription: None,
            effect: Effect::AlreadyDone {
                state: String::new(),
            },
            open_alerts: Vec::new(),
            read_at,
        };
        match self.directory.customer(customer).await {
            Ok(c) => plan.customer_name = c.company_name().map(str::to_owned),
            Err(Error::NotFound(_)) => {
                plan.effect = Effect::Refused(Refusal::UnknownCustomer {
                    customer: plan.customer.clone(),
                });
                return Ok(plan);
            }
            Err(e) => return Err(e),
        }
        let alerts = self.alerts_of(azure_subscription).await?;
        let others: BTreeSet<String> = alerts
            .iter()
            .filter_map(|a| a.customer_tenant_id.as_ref())
            .filter(|c| !c.as_str().eq_ignore_ascii_case(customer.as_str()))
            .map(|c| c.as_str().to_ascii_lowercase())
            .collect();
        plan.open_alerts = alerts
            .iter()
            .filter(|a| a.status != Some(AlertStatus::Resolved))
            .map(|a| a.id.clone())
            .collect();
        if !others.is_empty() {
            plan.effect = Effect::Refused(Refusal::AlertsOfAnotherCustomer {
                customers: others.into_iter().collect(),
            });
            return Ok(plan);
        }
        let m = match self
            .directory
            .find_azure_subscription(customer, azure_subscription, None)
            .await?
        {
            Mapping::Found(m) => m,
            Mapping::Ambiguous(matches) => {
                plan.effect = Effect::Refused(Refusal::Ambiguous { matches });
                return Ok(plan);
            }
            _ => {
                plan.effect = Effect::Refused(Refusal::NotTheCustomers {
                    azure_subscription: plan.azure_subscription.clone(),
                    customer: plan.customer.clone(),
                });
                return Ok(plan);
            }
        };
        let entitlements = if matches!(plan.action, Action::SuspendAzurePlan)
            && m.kind == SubscriptionKind::AzurePlan
        {
            let id = pc_id(&m.partner_center_subscription_id)?;
            Some(self.directory.azure_entitlements(customer, &id).await?)
        } else {
            None
        };
        plan.effect = effect(&plan.action, &m, entitlements.as_deref());
        plan.subscription = Some(m);
        Ok(plan)
    }

    /// Every alert of `azure_subscription`, as the source lists them (the id in lower case,
    /// as the services write GUIDs: whether their filters ignore case is not documented).
    async fn alerts_of(&self, azure_subscription: &SubscriptionId) -> Result<Vec<Alert>> {
        let id = SubscriptionId::new(azure_subscription.as_str().to_ascii_lowercase())?;
        let query = AlertQuery::new().filter(Filter::subscription_id().eq(&id));
        self.alerts.list(&query).try_collect().await
    }

    /// Executes `plan` once `confirmation` names the id it acts on: plans again from the
    /// state now and goes on only if that gives the same effect (or finds it already done),
    /// sends the one change, reads the state until it is final (at most
    /// [`Responder::max_wait`]), then after a stop resolves the subscription's open alerts
    /// as fraud (those planned and any raised since), each reported.
    ///
    /// # Errors
    /// Before anything is sent: [`Error::InvalidInput`] for a refused plan, a confirmation
    /// naming another id, or a plan the state no longer matches ("plan again"). Then the
    /// change's own error (the subscription is as it was, unless the error is a timeout:
    /// read it again). Once the change is accepted, errors are in the report.
    pub async fn execute(
        &self,
        plan: &ActionPlan,
        confirmation: &Confirmation,
    ) -> Result<ActionReport> {
        let Some((confirms, id)) = plan.confirm_with() else {
            let why = plan
                .refusal()
                .map_or_else(|| "refused".to_owned(), |r| r.to_string());
            return Err(InvalidInput::new("plan", format!("the plan is refused: {why}")).into());
        };
        if confirmation.confirms() != confirms || !confirmation.names(id) {
            return Err(InvalidInput::new(
                "confirmation",
                format!(
                    "the confirmation names {} {}; the plan acts on {confirms} {id}: nothing was sent",
                    confirmation.confirms(),
                    confirmation.id()
                ),
            )
            .into());
        }
        let customer = TenantId::new(&plan.customer)?;
        let subscription = SubscriptionId::new(&plan.azure_subscription)?;
        // Never act on state read earlier (Q31): the same effect now, or nothing.
        let now = self
            .plan(&customer, &subscription, plan.action.clone())
            .await?;
        let effect = match (&now.effect, &plan.effect) {
            (fresh, planned) if fresh == planned => fresh.clone(),
            (Effect::AlreadyDone { .. }, planned) if !matches!(planned, Effect::Refused(_)) => {
                now.effect.clone()
            }
            (fresh, _) => {
                return Err(InvalidInput::new(
                    "plan",
                    format!(
                        "the state changed since the plan was read (now: {fresh}): nothing was sent; plan again"
                    ),
                )
                .into());
            }
        };
        let mut report = self.change(&customer, &now, effect).await?;
        tracing::info!(
            effect = ?report.effect,
            outcome = ?report.outcome,
            before = ?report.before,
            after = ?report.after,
            request_id = ?report.request_ids.as_ref().and_then(RequestIds::request_id),
            "response action executed"
        );
        report.alerts = if !plan.action.resolves_alerts() {
            AlertsOutcome::NotApplicable
        } else if !plan.resolve_alerts {
            AlertsOutcome::LeftAsTheyAre
        } else if !matches!(report.outcome, Outcome::Done | Outcome::AlreadyDone) {
            AlertsOutcome::NotYet
        } else {
            let ids = plan.open_alerts.iter().chain(&now.open_alerts);
            match self.resolve_alerts(&subscription, ids).await {
                Ok(r) => AlertsOutcome::Resolved(r),
                Err(e) => AlertsOutcome::Failed(Arc::new(e)),
            }
        };
        Ok(report)
    }

    /// Sends `effect` (planned from `now`, just read) and waits for its end.
    async fn change(
        &self,
        customer: &TenantId,
        now: &ActionPlan,
        effect: Effect,
    ) -> Result<ActionReport> {
        let pc = &self.directory;
        let m = now.subscription.as_ref();
        let mut report = ActionReport {
            before: m.and_then(|m| match (m.kind, &now.action) {
                (SubscriptionKind::AzurePlan, Action::Stop { .. } | Action::Reactivate) => {
                    m.azure_status.clone().map(Status::AzureSubscription)
                }
                _ => m.status.clone().map(Status::Subscription),
            }),
            effect,
            outcome: Outcome::AlreadyDone,
            after: None,
            request_ids: None,
            alerts: AlertsOutcome::NotApplicable,
        };
        match &report.effect {
            Effect::CancelAzureSubscription {
                azure_plan,
                azure_subscription,
                reason,
            } => {
                let (plan_id, sub) = (pc_id(azure_plan)?, pc_id(azure_subscription)?);
                report.request_ids =
                    Some(calls::cancel(pc, customer, &plan_id, &sub, reason).await?);
                // Cancelled once it reads anything but active (Q35); no status is not final.
                let done = |s: Option<&EntitlementStatus>| {
                    s.is_some_and(|s| *s != EntitlementStatus::Active)
                };
                (report.outcome, report.after) = self
                    .wait(|| async {
                        let e = pc.azure_entitlement(customer, &plan_id, &sub).await?;
                        Ok((
                            done(e.status.as_ref()),
                            e.status.map(Status::AzureSubscription),
                        ))
                    })
                    .await;
            }
            Effect::ReactivateAzureSubscription {
                azure_plan,
                azure_subscription,
            } => {
                let (plan_id, sub) = (pc_id(azure_plan)?, pc_id(azure_subscription)?);
                report.request_ids = Some(calls::reactivate(pc, customer, &plan_id, &sub).await?);
                (report.outcome, report.after) = self
                    .wait(|| async {
                        let e = pc.azure_entitlement(customer, &plan_id, &sub).await?;
                        let active = e.status == Some(EntitlementStatus::Active);
                        Ok((active, e.status.map(Status::AzureSubscription)))
                    })
                    .await;
            }
            Effect::SetSubscriptionStatus {
                subscription, to, ..
            } => {
                let id = pc_id(subscription)?;
                match calls::set_status(pc, customer, &id, to).await? {
                    calls::SetStatus::AlreadyDone => {
                        report.after = Some(Status::Subscription(to.clone()));
                        report.effect = Effect::AlreadyDone {
                            state: format!("the subscription is {to}"),
                        };
                    }
                    calls::SetStatus::Sent(ids, answered) => {
                        report.request_ids = Some(ids);
                        if answered.as_ref() == Some(to) {
                            report.outcome = Outcome::Done;
                            report.after = Some(Status::Subscription(to.clone()));
                        } else {
                            (report.outcome, report.after) = self
                                .wait(|| async {
                                    let s = calls::subscription(pc, customer, &id).await?;
                                    let done = s.status.as_ref() == Some(to);
                                    Ok((done, s.status.map(Status::Subscription)))
                                })
                                .await;
                        }
                    }
                }
            }
            Effect::AlreadyDone { .. } => report.after = report.before.clone(),
            Effect::Refused(_) => unreachable!("a refused plan has no confirmation"),
        }
        Ok(report)
    }

    /// Reads with `read` until it says the state is final, at most [`Responder::max_wait`]
    /// apart by [`Responder::poll_interval`] (at least [`MIN_POLL_INTERVAL`]): bounded by a
    /// count of reads, not a clock.
    async fn wait<F, Fut>(&self, read: F) -> (Outcome, Option<Status>)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(bool, Option<Status>)>>,
    {
        let every = self.poll_interval.max(MIN_POLL_INTERVAL);
        let reads = (self.max_wait.as_millis() / every.as_millis()).min(MAX_READS) as u64 + 1;
        let sleep = self.directory.transport().settings().sleep.clone();
        let mut last = None;
        for i in 0..reads {
            if i > 0 {
                sleep.sleep(every).await;
            }
            match read().await {
                Ok((true, status)) => return (Outcome::Done, status),
                Ok((false, status)) => last = status,
                Err(e) => return (Outcome::Unconfirmed(Arc::new(e)), last),
            }
        }
        (Outcome::Pending, last)
    }

    /// Resolves as fraud the alerts `ids` (each read again, those already resolved
    /// skipped, those unreadable failed) and any other open alert of the subscription
    /// listed now, each in the report once.
    async fn resolve_alerts(
        &self,
        subscription: &SubscriptionId,
        ids: impl Iterator<Item = &AlertId>,
    ) -> Result<UpdateReport> {
        let mut seen = HashSet::new();
        let targets: Vec<UpdateTarget> = ids
            .filter(|id| seen.insert((*id).clone()))
            .map(|id| UpdateTarget::new(id.clone(), Some(subscription.clone())))
            .collect();
        let source = &*self.alerts;
        Plan::new(
            source,
            &targets,
            StatusUpdate::resolved(ResolvedReason::Fraud),
        )
        .await?
        .only_unresolved()
        .apply(source)
        .await
    }
}

/// A Partner Center id read from the service, fit for a URL path.
fn pc_id(id: &str) -> Result<SubscriptionId> {
    Ok(SubscriptionId::new(id)?)
}
