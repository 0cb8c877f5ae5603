//! What a caller asks ([`Action`]), what it turns into once the state is read ([`Effect`],
//! or a [`Refusal`]), and the [`Confirmation`] that lets it be sent.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::enrich::{EntitlementStatus, SubscriptionKind, SubscriptionMatch, SubscriptionStatus};

/// The reason sent with a cancellation (open question Q38): only `compromise` is
/// documented; Partner Center answers `900307` to any other.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancellationReason {
    /// `compromise`: the subscription was taken over (the default).
    #[default]
    Compromise,
    /// Another value, sent as given: for a reason Partner Center adds later.
    Other(String),
}

impl CancellationReason {
    /// The value as sent.
    pub fn as_str(&self) -> &str {
        match self {
            CancellationReason::Compromise => "compromise",
            CancellationReason::Other(v) => v,
        }
    }
}

impl fmt::Display for CancellationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CancellationReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What the caller asks for one Azure subscription. Each is planned first
/// ([`Responder::plan`](super::Responder::plan)), against the state read then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Action {
    /// Stop the spending (reference section 10.11, step 6): cancel the Azure subscription
    /// of an Azure plan (10.8), or suspend a legacy "Microsoft Azure" subscription (10.10).
    /// Then, unless the plan says otherwise, its open alerts are resolved as fraud.
    Stop {
        /// Sent with a cancellation.
        reason: CancellationReason,
    },
    /// Undo [`Action::Stop`]: reactivate the cancelled Azure subscription (10.9) or the
    /// suspended legacy subscription (10.10). Its alerts are left as they are.
    Reactivate,
    /// Suspend the Azure plan that holds the Azure subscription (Q46), so that no one can
    /// reactivate its cancelled subscriptions; also stops the customer's legitimate use of
    /// every subscription of the plan. Refused while any of them is active. Never follows
    /// a [`Action::Stop`] by itself.
    SuspendAzurePlan,
    /// Reactivate that suspended Azure plan.
    ReactivateAzurePlan,
}

impl Action {
    /// [`Action::Stop`] with the documented reason, `compromise`.
    pub fn stop() -> Self {
        Action::Stop {
            reason: CancellationReason::Compromise,
        }
    }

    /// Whether the subscription's open alerts are resolved after it (only a stop).
    pub fn resolves_alerts(&self) -> bool {
        matches!(self, Action::Stop { .. })
    }
}

/// Exactly what executing a plan sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Effect {
    /// `POST .../subscriptions/{azure plan}/azureEntitlements/{azure subscription}/cancel`
    /// with the reason; then the entitlement is read until it is no longer `active`.
    /// Billing stops, virtual machines are deallocated, storage turns read-only; the data
    /// is kept 30 to 90 days. [`Action::Reactivate`] may bring it back while the data is
    /// kept; how long Partner Center allows it is not documented (Q48).
    #[serde(rename_all = "camelCase")]
    CancelAzureSubscription {
        /// The Azure plan's Partner Center subscription id.
        azure_plan: String,
        /// The Azure subscription (entitlement) id.
        azure_subscription: String,
        /// The reason sent.
        reason: CancellationReason,
    },
    /// `POST .../azureEntitlements/{azure subscription}/reactivate`; then the entitlement
    /// is read until it is `active`.
    #[serde(rename_all = "camelCase")]
    ReactivateAzureSubscription {
        /// The Azure plan's Partner Center subscription id.
        azure_plan: String,
        /// The Azure subscription (entitlement) id.
        azure_subscription: String,
    },
    /// `PATCH /v1/customers/{customer}/subscriptions/{subscription}`: the subscription as
    /// read just before, with only its `status` changed, sent with its ETag in `If-Match`.
    /// Suspending a legacy subscription blocks its users' access; what happens to its
    /// running resources is not documented (Q47).
    #[serde(rename_all = "camelCase")]
    SetSubscriptionStatus {
        /// The Partner Center subscription (a legacy subscription, or an Azure plan).
        subscription: String,
        /// The status read when planned.
        from: Option<SubscriptionStatus>,
        /// The status sent: `suspended` or `active`.
        to: SubscriptionStatus,
    },
    /// Nothing to send: the subscription is already in the state asked for (the alerts are
    /// still resolved after a stop).
    #[serde(rename_all = "camelCase")]
    AlreadyDone {
        /// What was found.
        state: String,
    },
    /// Nothing may be sent: executing the plan is refused.
    Refused(Refusal),
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::CancelAzureSubscription {
                azure_plan,
                azure_subscription,
                reason,
            } => write!(
                f,
                "cancel Azure subscription {azure_subscription} of Azure plan {azure_plan} \
                 (reason {reason}): billing stops, virtual machines are deallocated, storage \
                 turns read-only, data is kept 30 to 90 days; it can be reactivated while the \
                 data is kept, not after"
            ),
            Effect::ReactivateAzureSubscription {
                azure_plan,
                azure_subscription,
            } => write!(
                f,
                "reactivate Azure subscription {azure_subscription} of Azure plan {azure_plan}"
            ),
            Effect::SetSubscriptionStatus {
                subscription,
                from,
                to,
            } => {
                let verb = if *to == SubscriptionStatus::Suspended {
                    "suspend"
                } else {
                    "reactivate"
                };
                write!(
                    f,
                    "{verb} Partner Center subscription {subscription} (status "
                )?;
                match from {
                    Some(s) => write!(f, "{s}")?,
                    None => f.write_str("unknown")?,
                }
                write!(f, " -> {to})")
            }
            Effect::AlreadyDone { state } => write!(f, "nothing to send: {state}"),
            Effect::Refused(r) => write!(f, "refused: {r}"),
        }
    }
}

/// Why a plan may not be executed; found before anything is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Refusal {
    /// Partner Center does not know the customer (not the partner's customer).
    UnknownCustomer {
        /// The customer's tenant id.
        customer: String,
    },
    /// The Azure subscription is not one of the customer's (section 10.5.5 found nothing):
    /// the wrong customer, a subscription moved away, or a typo.
    NotTheCustomers {
        /// The Azure subscription id.
        azure_subscription: String,
        /// The customer's tenant id.
        customer: String,
    },
    /// The subscription's alerts name another customer than the one acted for.
    AlertsOfAnotherCustomer {
        /// The customers the subscription's alerts name.
        customers: Vec<String>,
    },
    /// More than one active Partner Center subscription has the id (Q32): a person must
    /// choose, the SDK does not guess.
    Ambiguous {
        /// The candidates.
        matches: Vec<SubscriptionMatch>,
    },
    /// The action does not apply to this kind of subscription (an Azure plan action on a
    /// legacy subscription).
    WrongKind {
        /// The subscription's kind.
        kind: SubscriptionKind,
        /// What the action needs.
        needs: &'static str,
    },
    /// The subscription is in a state the action cannot leave (deleted, expired, a plan
    /// suspended).
    State {
        /// What was found.
        state: String,
    },
    /// The Azure plan still has active Azure subscriptions (Partner Center would answer
    /// `900115`): cancel them first.
    ActiveAzureSubscriptions {
        /// Their ids.
        azure_subscriptions: Vec<String>,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownCustomer { customer } => {
                write!(f, "customer {customer} is not a customer of this partner")
            }
            Refusal::NotTheCustomers {
                azure_subscription,
                customer,
            } => write!(
                f,
                "Azure subscription {azure_subscription} does not belong to customer {customer}"
            ),
            Refusal::AlertsOfAnotherCustomer { customers } => write!(
                f,
                "the subscription's alerts name other customers ({})",
                customers.join(", ")
            ),
            Refusal::Ambiguous { matches } => write!(
                f,
                "{} active Partner Center subscriptions have this id ({}); choose one in Partner Center",
                matches.len(),
                matches
                    .iter()
                    .map(|m| m.partner_center_subscription_id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Refusal::WrongKind { kind, needs } => {
                let kind = match kind {
                    SubscriptionKind::AzurePlan => "an Azure plan's Azure subscription",
                    SubscriptionKind::LegacyAzure => "a legacy Microsoft Azure subscription",
                };
                write!(f, "this is {kind}; the action needs {needs}")
            }
            Refusal::State { state } => f.write_str(state),
            Refusal::ActiveAzureSubscriptions {
                azure_subscriptions,
            } => write!(
                f,
                "the Azure plan still has {} active Azure subscription(s) ({}); cancel them first",
                azure_subscriptions.len(),
                azure_subscriptions.join(", ")
            ),
        }
    }
}

/// A status of what an action changes, as read: an Azure subscription's (entitlement) or
/// a Partner Center subscription's. Serialised as the status string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Status {
    /// An Azure plan's Azure subscription: `active`, `inactive`.
    AzureSubscription(EntitlementStatus),
    /// A legacy subscription or an Azure plan: `active`, `suspended`, ...
    Subscription(SubscriptionStatus),
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::AzureSubscription(s) => s.fmt(f),
            Status::Subscription(s) => s.fmt(f),
        }
    }
}

/// Which id a [`Confirmation`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Confirms {
    /// An Azure subscription id (the alert's `subscriptionId`): for cancelling or
    /// reactivating an Azure plan's Azure subscription.
    AzureSubscription,
    /// A Partner Center subscription id: for suspending or reactivating a legacy
    /// subscription (usually the same GUID as its Azure subscription), or an Azure plan,
    /// which acts on every Azure subscription under it.
    PartnerCenterSubscription,
}

impl fmt::Display for Confirms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confirms::AzureSubscription => "Azure subscription",
            Confirms::PartnerCenterSubscription => "Partner Center subscription",
        })
    }
}

/// The caller's consent to one destructive call, built from the exact id acted on (Q39),
/// typically as a person typed it. Executing a plan whose id differs is refused before
/// anything is sent.
///
/// ```
/// use partner_alerts::respond::{Confirmation, Confirms};
///
/// let typed = "5F6E6521-6E5F-4B0B-80AA-BD44FAD7A398";
/// let c = Confirmation::for_azure_subscription(typed);
/// assert_eq!(c.confirms(), Confirms::AzureSubscription);
/// assert!(c.names("5f6e6521-6e5f-4b0b-80aa-bd44fad7a398")); // GUIDs in any case
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirmation {
    confirms: Confirms,
    id: String,
}

impl Confirmation {
    /// Consent to act on the Azure subscription `id`.
    pub fn for_azure_subscription(id: impl Into<String>) -> Self {
        Confirmation {
            confirms: Confirms::AzureSubscription,
            id: id.into().trim().to_owned(),
        }
    }

    /// Consent to act on the Partner Center subscription `id` (a legacy subscription, or
    /// an Azure plan).
    pub fn for_partner_center_subscription(id: impl Into<String>) -> Self {
        Confirmation {
            confirms: Confirms::PartnerCenterSubscription,
            id: id.into().trim().to_owned(),
        }
    }

    /// A confirmation of `confirms` for `id`: what a person typed after reading
    /// [`ActionPlan::confirm_with`](super::ActionPlan::confirm_with).
    pub fn new(confirms: Confirms, id: impl Into<String>) -> Self {
        Confirmation {
            confirms,
            id: id.into().trim().to_owned(),
        }
    }

    /// Which id it names.
    pub fn confirms(&self) -> Confirms {
        self.confirms
    }

    /// The id it names.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Whether it names `id` (GUIDs compared in any case).
    pub fn names(&self, id: &str) -> bool {
        self.id.eq_ignore_ascii_case(id)
    }
}
