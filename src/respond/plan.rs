//! [`ActionPlan`]: one action on one Azure subscription, as the state read just now makes
//! it, before anything is sent; and the pure choice of its [`Effect`].

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::action::{Action, Confirms, Effect, Refusal};
use crate::AlertId;
use crate::enrich::{
    AzureEntitlement, EntitlementStatus, SubscriptionKind, SubscriptionMatch, SubscriptionStatus,
};

/// One action on one Azure subscription, planned from fresh state: the customer, the
/// subscription, exactly what would be sent, and the alerts resolved after. Planning sends
/// no write; [`Responder::execute`](super::Responder::execute) sends it, given a
/// [`Confirmation`](super::Confirmation) naming [`ActionPlan::confirm_with`].
///
/// Its `Display` is the plan as a person should read it before confirming.
///
/// Its fields are read-only: a plan is what was read, and executing it acts on exactly the
/// ids its confirmation was checked against.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionPlan {
    pub(super) action: Action,
    pub(super) customer: String,
    pub(super) customer_name: Option<String>,
    pub(super) azure_subscription: String,
    pub(super) subscription: Option<SubscriptionMatch>,
    pub(super) effect: Effect,
    pub(super) open_alerts: Vec<AlertId>,
    pub(super) resolve_alerts: bool,
    pub(super) read_at: DateTime<Utc>,
}

impl ActionPlan {
    /// What was asked.
    pub fn action(&self) -> &Action {
        &self.action
    }

    /// The customer's tenant id.
    pub fn customer(&self) -> &str {
        &self.customer
    }

    /// The customer's company name in Partner Center, when it has one.
    pub fn customer_name(&self) -> Option<&str> {
        self.customer_name.as_deref()
    }

    /// The Azure subscription id asked about.
    pub fn azure_subscription(&self) -> &str {
        &self.azure_subscription
    }

    /// The Partner Center subscription found for it (none when refused as not found or
    /// ambiguous).
    pub fn subscription(&self) -> Option<&SubscriptionMatch> {
        self.subscription.as_ref()
    }

    /// Exactly what executing sends, or why nothing may be.
    pub fn effect(&self) -> &Effect {
        &self.effect
    }

    /// The subscription's alerts not yet resolved when planned: resolved as fraud after a
    /// stop (with any raised since), unless [`ActionPlan::without_resolving_alerts`].
    pub fn open_alerts(&self) -> &[AlertId] {
        &self.open_alerts
    }

    /// Whether executing resolves the subscription's open alerts as fraud afterwards.
    pub fn resolves_alerts(&self) -> bool {
        self.resolve_alerts
    }

    /// When the state was read.
    pub fn read_at(&self) -> DateTime<Utc> {
        self.read_at
    }

    /// Which id a confirmation must name, and the id: the one the effect sends to (the
    /// Azure subscription when nothing but its alerts is left to change); `None` when the
    /// plan is refused.
    pub fn confirm_with(&self) -> Option<(Confirms, &str)> {
        match &self.effect {
            Effect::Refused(_) => None,
            Effect::SetSubscriptionStatus { subscription, .. } => {
                Some((Confirms::PartnerCenterSubscription, subscription))
            }
            Effect::CancelAzureSubscription {
                azure_subscription, ..
            }
            | Effect::ReactivateAzureSubscription {
                azure_subscription, ..
            } => Some((Confirms::AzureSubscription, azure_subscription)),
            Effect::AlreadyDone { .. } => {
                Some((Confirms::AzureSubscription, &self.azure_subscription))
            }
        }
    }

    /// Why the plan may not be executed, if it may not.
    pub fn refusal(&self) -> Option<&Refusal> {
        match &self.effect {
            Effect::Refused(r) => Some(r),
            _ => None,
        }
    }

    /// Whether executing sends a change to Partner Center (not already done, not refused).
    pub fn sends_a_change(&self) -> bool {
        !matches!(self.effect, Effect::Refused(_) | Effect::AlreadyDone { .. })
    }

    /// The same plan, leaving the subscription's alerts as they are.
    pub fn without_resolving_alerts(mut self) -> Self {
        self.resolve_alerts = false;
        self
    }
}

impl fmt::Display for ActionPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Customer:      ")?;
        match &self.customer_name {
            Some(name) => writeln!(f, "{name} ({})", self.customer)?,
            None => writeln!(f, "{}", self.customer)?,
        }
        write!(f, "Subscription:  ")?;
        match &self.subscription {
            Some(m) => {
                if let Some(name) = &m.name {
                    write!(f, "{name} ")?;
                }
                write!(f, "({})", m.azure_subscription_id)?;
                match m.kind {
                    SubscriptionKind::AzurePlan => write!(
                        f,
                        " {}, under Azure plan {} ({})",
                        display_or(&m.azure_status),
                        m.partner_center_subscription_id,
                        display_or(&m.status)
                    )?,
                    _ => write!(
                        f,
                        " {}, legacy subscription {}",
                        display_or(&m.status),
                        m.partner_center_subscription_id
                    )?,
                }
                if let Some(offer) = m.offer_name.as_deref().or(m.offer_id.as_deref()) {
                    write!(f, ", {offer}")?;
                }
                writeln!(f)?;
            }
            None => writeln!(f, "{}", self.azure_subscription)?,
        }
        writeln!(f, "Effect:        {}", self.effect)?;
        if self.action.resolves_alerts() {
            if !self.resolve_alerts {
                writeln!(f, "Alerts:        left as they are")?;
            } else if self.open_alerts.is_empty() {
                writeln!(f, "Alerts:        none open")?;
            } else {
                writeln!(
                    f,
                    "Alerts:        then resolve {} open alert(s) as fraud",
                    self.open_alerts.len()
                )?;
            }
        }
        write!(
            f,
            "Read at:       {}",
            self.read_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )?;
        if let Some((confirms, id)) = self.confirm_with() {
            write!(f, "\nConfirm with:  {confirms} {id}")?;
        }
        Ok(())
    }
}

fn display_or<T: fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "status unknown".to_owned(), |v| v.to_string())
}

/// What `action` does to the subscription `m`, given the entitlements of its Azure plan
/// (read only for an Azure plan action).
pub(super) fn effect(
    action: &Action,
    m: &SubscriptionMatch,
    plan_entitlements: Option<&[AzureEntitlement]>,
) -> Effect {
    let azure_plan = || m.partner_center_subscription_id.clone();
    let azure_subscription = || m.azure_subscription_id.clone();
    let plan_state = |m: &SubscriptionMatch| display_or(&m.status);
    match (action, m.kind) {
        (Action::Stop { reason }, SubscriptionKind::AzurePlan) => match &m.azure_status {
            Some(EntitlementStatus::Active) => Effect::CancelAzureSubscription {
                azure_plan: azure_plan(),
                azure_subscription: azure_subscription(),
                reason: reason.clone(),
            },
            Some(s) => Effect::AlreadyDone {
                state: format!("the Azure subscription is {s}"),
            },
            None => Effect::Refused(Refusal::State {
                state: "the Azure subscription's status is unknown".to_owned(),
            }),
        },
        (Action::Reactivate, SubscriptionKind::AzurePlan) => {
            if m.status != Some(SubscriptionStatus::Active) {
                return Effect::Refused(Refusal::State {
                    state: format!(
                        "the Azure plan is {}: reactivate the plan first",
                        plan_state(m)
                    ),
                });
            }
            match &m.azure_status {
                Some(EntitlementStatus::Active) => Effect::AlreadyDone {
                    state: "the Azure subscription is active".to_owned(),
                },
                _ => Effect::ReactivateAzureSubscription {
                    azure_plan: azure_plan(),
                    azure_subscription: azure_subscription(),
                },
            }
        }
        (Action::Stop { .. }, _) => set_status(m, SubscriptionStatus::Suspended),
        (Action::Reactivate, _) => set_status(m, SubscriptionStatus::Active),
        (Action::SuspendAzurePlan, SubscriptionKind::AzurePlan) => {
            let active: Vec<String> = plan_entitlements
                .unwrap_or_default()
                .iter()
                .filter(|e| e.status == Some(EntitlementStatus::Active))
                .map(|e| e.id.clone())
                .collect();
            if m.status == Some(SubscriptionStatus::Suspended) {
                Effect::AlreadyDone {
                    state: "the Azure plan is suspended".to_owned(),
                }
            } else if !active.is_empty() {
                Effect::Refused(Refusal::ActiveAzureSubscriptions {
                    azure_subscriptions: active,
                })
            } else {
                set_status(m, SubscriptionStatus::Suspended)
            }
        }
        (Action::ReactivateAzurePlan, SubscriptionKind::AzurePlan) => {
            set_status(m, SubscriptionStatus::Active)
        }
        (Action::SuspendAzurePlan | Action::ReactivateAzurePlan, kind) => {
            Effect::Refused(Refusal::WrongKind {
                kind,
                needs: "an Azure plan's Azure subscription",
            })
        }
    }
}

/// A PATCH of the Partner Center subscription's status to `to`, when it can go there.
fn set_status(m: &SubscriptionMatch, to: SubscriptionStatus) -> Effect {
    match &m.status {
        Some(s) if *s == to => Effect::AlreadyDone {
            state: format!("the subscription is {s}"),
        },
        Some(SubscriptionStatus::Active | SubscriptionStatus::Suspended) => {
            Effect::SetSubscriptionStatus {
                subscription: m.partner_center_subscription_id.clone(),
                from: m.status.clone(),
                to,
            }
        }
        other => Effect::Refused(Refusal::State {
            state: format!(
                "the subscription is {}: only an active or suspended subscription changes",
                display_or(other)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrich::{Mapping, Subscription, map_subscription};

    fn matched(
        subs: &str,
        entitlements: &str,
        id: &str,
    ) -> (SubscriptionMatch, Vec<AzureEntitlement>) {
        let subs: Vec<Subscription> = serde_json::from_str(subs).unwrap();
        let ents: Vec<AzureEntitlement> = serde_json::from_str(entitlements).unwrap();
        let Mapping::Found(m) = map_subscription(&subs, &[("PLAN", &ents[..])], id, None) else {
            panic!("no match")
        };
        (m, ents)
    }

    const PLAN: &str =
        r#"[{"id": "PLAN", "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6", "status": "active"}]"#;

    #[test]
    fn stop_cancels_an_active_azure_subscription_and_is_done_on_an_inactive_one() {
        let (m, _) = matched(PLAN, r#"[{"id": "a1", "status": "active"}]"#, "A1");
        assert!(matches!(
            effect(&Action::stop(), &m, None),
            Effect::CancelAzureSubscription { ref azure_plan, .. } if azure_plan == "PLAN"
        ));
        let (m, _) = matched(PLAN, r#"[{"id": "a1", "status": "inactive"}]"#, "a1");
        assert!(matches!(
            effect(&Action::stop(), &m, None),
            Effect::AlreadyDone { .. }
        ));
        assert!(matches!(
            effect(&Action::Reactivate, &m, None),
            Effect::ReactivateAzureSubscription { .. }
        ));
    }

    #[test]
    fn stop_suspends_a_legacy_subscription_and_plan_actions_refuse_it() {
        let (m, _) = matched(
            r#"[{"id": "L1", "entitlementId": "l1", "offerId": "MS-AZR-0145P", "status": "active"}]"#,
            "[]",
            "l1",
        );
        assert_eq!(
            effect(&Action::stop(), &m, None),
            Effect::SetSubscriptionStatus {
                subscription: "L1".into(),
                from: Some(SubscriptionStatus::Active),
                to: SubscriptionStatus::Suspended
            }
        );
        assert!(matches!(
            effect(&Action::Reactivate, &m, None),
            Effect::AlreadyDone { .. }
        ));
        assert!(matches!(
            effect(&Action::SuspendAzurePlan, &m, None),
            Effect::Refused(Refusal::WrongKind { .. })
        ));
    }

    #[test]
    fn a_plan_with_active_subscriptions_is_not_suspended() {
        let (m, ents) = matched(
            PLAN,
            r#"[{"id": "a1", "status": "inactive"}, {"id": "a2", "status": "active"}]"#,
            "a1",
        );
        assert_eq!(
            effect(&Action::SuspendAzurePlan, &m, Some(&ents)),
            Effect::Refused(Refusal::ActiveAzureSubscriptions {
                azure_subscriptions: vec!["a2".into()]
            })
        );
        let (m, ents) = matched(PLAN, r#"[{"id": "a1", "status": "inactive"}]"#, "a1");
        assert!(matches!(
            effect(&Action::SuspendAzurePlan, &m, Some(&ents)),
            Effect::SetSubscriptionStatus { ref subscription, .. } if subscription == "PLAN"
        ));
    }

    #[test]
    fn a_deleted_legacy_subscription_is_refused() {
        let (m, _) = matched(
            r#"[{"id": "L1", "entitlementId": "l1", "offerId": "MS-AZR-0145P", "status": "deleted"}]"#,
            "[]",
            "l1",
        );
        assert!(matches!(
            effect(&Action::stop(), &m, None),
            Effect::Refused(Refusal::State { .. })
        ));
    }
}
