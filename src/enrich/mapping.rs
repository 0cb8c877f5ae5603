//! An alert's Azure subscription id mapped to Partner Center (reference section 10.5.5,
//! open question Q32): pure, over lists already read.

use serde::Serialize;

use super::model::{AzureEntitlement, EntitlementStatus, Subscription, SubscriptionStatus};

/// What kind of Partner Center subscription holds an Azure subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum SubscriptionKind {
    /// An Azure subscription (entitlement) under an Azure plan (MS-AZR-0017G).
    AzurePlan,
    /// A legacy "Microsoft Azure" (MS-AZR-0145P) subscription.
    LegacyAzure,
}

/// The Partner Center subscription behind an alert's Azure subscription id, with what the
/// legacy FraudEvents shape carried (section 10.5.5's result table).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubscriptionMatch {
    /// The Azure subscription id (the entitlement's `id`, or the legacy `entitlementId`).
    pub azure_subscription_id: String,
    /// The Partner Center subscription: the Azure plan's `id`, or the legacy subscription's.
    pub partner_center_subscription_id: String,
    /// Azure plan or legacy.
    pub kind: SubscriptionKind,
    /// The subscription's name: the entitlement's `friendlyName` (Azure plan) or the
    /// subscription's (legacy); best effort (Q34).
    pub name: Option<String>,
    /// The Partner Center subscription's `offerId`.
    pub offer_id: Option<String>,
    /// The Partner Center subscription's `offerName`.
    pub offer_name: Option<String>,
    /// The Azure subscription's status (Azure plan: the entitlement's; legacy: the
    /// subscription's, `active` or not).
    pub azure_status: Option<EntitlementStatus>,
    /// The Partner Center subscription's status (the plan's, or the legacy subscription's).
    pub status: Option<SubscriptionStatus>,
    /// The reseller of record's PartnerID (`partnerId`).
    pub reseller_partner_id: Option<String>,
}

impl SubscriptionMatch {
    /// Whether the Azure subscription is running: an `active` entitlement under a plan that
    /// is not suspended, or an `active` legacy subscription.
    pub fn is_active(&self) -> bool {
        match self.kind {
            SubscriptionKind::AzurePlan => self.azure_status == Some(EntitlementStatus::Active),
            SubscriptionKind::LegacyAzure => self.status == Some(SubscriptionStatus::Active),
        }
    }
}

/// Where an Azure subscription id led.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mapping {
    /// One subscription, chosen by the order of section 10.5.5.
    Found(SubscriptionMatch),
    /// No Azure plan entitlement and no legacy subscription has the id: the customer left,
    /// the subscription moved away, or the id is wrong. Never a guess.
    NotFound,
    /// More than one active match (Q32): every one of them, for a person to choose.
    Ambiguous(Vec<SubscriptionMatch>),
}

/// Maps `azure_subscription_id` over a customer's `subscriptions` and the entitlements of
/// its Azure plans (`plans`: each plan's id with its entitlements), GUIDs compared in any
/// case:
///
/// 1. Azure plan entitlements whose `id` is the Azure subscription id;
/// 2. legacy subscriptions whose `entitlementId` is it, or failing those whose `id` is;
/// 3. an active Azure plan entitlement first, then any plan entitlement, then an active
///    legacy subscription, then any legacy one. Two or more in the first group found are
///    [`Mapping::Ambiguous`].
///
/// `catalog_offer_id`, the alert's hint (`MS-AZR-0017G` or `MS-AZR-0145P`), only breaks a
/// tie between two equally ranked matches of different kinds.
///
/// ```
/// use partner_alerts::enrich::{map_subscription, AzureEntitlement, Mapping, SubscriptionKind, Subscription};
///
/// let subs: Vec<Subscription> = serde_json::from_str(r#"[
///     {"id": "PLAN-1", "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6", "offerName": "Azure plan", "status": "active"},
///     {"id": "a1b2", "entitlementId": "a1b2", "offerId": "MS-AZR-0145P", "status": "suspended"}
/// ]"#)?;
/// let entitlements: Vec<AzureEntitlement> = serde_json::from_str(r#"[
///     {"id": "A1B2", "friendlyName": "Production", "status": "active", "subscriptionId": "PLAN-1"}
/// ]"#)?;
/// // The legacy subscription was moved to the plan: the plan's active entitlement wins.
/// let Mapping::Found(m) = map_subscription(&subs, &[("PLAN-1", &entitlements[..])], "a1b2", None) else {
///     panic!()
/// };
/// assert_eq!(m.kind, SubscriptionKind::AzurePlan);
/// assert_eq!(m.name.as_deref(), Some("Production"));
/// assert_eq!(map_subscription(&subs, &[], "ffff", None), Mapping::NotFound);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn map_subscription(
    subscriptions: &[Subscription],
    plans: &[(&str, &[AzureEntitlement])],
    azure_subscription_id: &str,
    catalog_offer_id: Option<&str>,
) -> Mapping {
    let wanted = azure_subscription_id;
    let mut plan_matches = Vec::new();
    for (plan_id, entitlements) in plans {
        let Some(plan) = subscriptions
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(plan_id))
        else {
            continue;
        };
        for e in entitlements
            .iter()
            .filter(|e| e.id.eq_ignore_ascii_case(wanted))
        {
            plan_matches.push(SubscriptionMatch {
                azure_subscription_id: e.id.clone(),
                partner_center_subscription_id: plan.id.clone(),
                kind: SubscriptionKind::AzurePlan,
                name: e.friendly_name.clone(),
                offer_id: plan.offer_id.clone(),
                offer_name: plan.offer_name.clone(),
                azure_status: e.status.clone(),
                status: plan.status.clone(),
                reseller_partner_id: plan.partner_id.clone(),
            });
        }
    }
    let legacy = |by_entitlement: bool| -> Vec<SubscriptionMatch> {
        subscriptions
            .iter()
            .filter(|s| !s.is_azure_plan())
            .filter(|s| {
                let key = if by_entitlement {
                    s.entitlement_id.as_deref()
                } else {
                    Some(s.id.as_str())
                };
                key.is_some_and(|k| k.eq_ignore_ascii_case(wanted))
            })
            .map(|s| SubscriptionMatch {
                azure_subscription_id: s.entitlement_id.clone().unwrap_or_else(|| s.id.clone()),
                partner_center_subscription_id: s.id.clone(),
                kind: SubscriptionKind::LegacyAzure,
                name: s.friendly_name.clone(),
                offer_id: s.offer_id.clone(),
                offer_name: s.offer_name.clone(),
                azure_status: None,
                status: s.status.clone(),
                reseller_partner_id: s.partner_id.clone(),
            })
            .collect()
    };
    let mut legacy_matches = legacy(true);
    if legacy_matches.is_empty() {
        legacy_matches = legacy(false);
    }
    let hint_legacy = catalog_offer_id.is_some_and(|o| o.eq_ignore_ascii_case("MS-AZR-0145P"));
    let (active_plan, other_plan): (Vec<_>, Vec<_>) = plan_matches
        .into_iter()
        .partition(SubscriptionMatch::is_active);
    let (active_legacy, other_legacy): (Vec<_>, Vec<_>) = legacy_matches
        .into_iter()
        .partition(SubscriptionMatch::is_active);
    // The ranks of 10.5.5 step 5; the hint swaps plan and legacy within a rank only.
    let ranks = if hint_legacy {
        [active_legacy, active_plan, other_legacy, other_plan]
    } else {
        [active_plan, active_legacy, other_plan, other_legacy]
    };
    // Any two active matches are ambiguous, whatever their kinds.
    let active: Vec<SubscriptionMatch> = ranks[..2].iter().flatten().cloned().collect();
    if active.len() > 1 {
        return Mapping::Ambiguous(active);
    }
    ranks
        .into_iter()
        .find_map(|mut rank| (!rank.is_empty()).then(|| rank.swap_remove(0)))
        .map_or(Mapping::NotFound, Mapping::Found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(json: &str) -> Vec<Subscription> {
        serde_json::from_str(json).unwrap()
    }

    fn ents(json: &str) -> Vec<AzureEntitlement> {
        serde_json::from_str(json).unwrap()
    }

    const PLAN: &str = r#"{"id": "P", "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6", "offerName": "Microsoft Azure plan", "status": "active", "partnerId": "4847383"}"#;

    #[test]
    fn a_plan_entitlement_carries_the_plan_s_offer_and_reseller() {
        let s = subs(&format!("[{PLAN}]"));
        let e = ents(r#"[{"id": "x", "friendlyName": "Dev", "status": "inactive"}]"#);
        let Mapping::Found(m) = map_subscription(&s, &[("p", &e)], "X", None) else {
            panic!()
        };
        assert_eq!(m.partner_center_subscription_id, "P");
        assert_eq!(m.offer_name.as_deref(), Some("Microsoft Azure plan"));
        assert_eq!(m.reseller_partner_id.as_deref(), Some("4847383"));
        assert!(!m.is_active());
    }

    #[test]
    fn legacy_by_entitlement_id_then_by_id() {
        let s = subs(
            r#"[{"id": "C1", "entitlementId": "AZ", "offerId": "MS-AZR-0145P", "friendlyName": "Old", "status": "active"},
                {"id": "AZ", "offerId": "MS-AZR-0145P", "friendlyName": "Same id", "status": "active"}]"#,
        );
        let Mapping::Found(m) = map_subscription(&s, &[], "az", None) else {
            panic!()
        };
        assert_eq!(m.name.as_deref(), Some("Old"), "entitlementId first");
        let only_id = &s[1..];
        let Mapping::Found(m) = map_subscription(only_id, &[], "az", None) else {
            panic!()
        };
        assert_eq!(m.kind, SubscriptionKind::LegacyAzure);
        assert_eq!(m.azure_subscription_id, "AZ");
    }

    #[test]
    fn two_active_matches_are_ambiguous() {
        let s = subs(&format!(
            r#"[{PLAN}, {{"id": "L", "entitlementId": "x", "offerId": "MS-AZR-0145P", "status": "active"}}]"#
        ));
        let e = ents(r#"[{"id": "x", "status": "active"}]"#);
        let Mapping::Ambiguous(all) = map_subscription(&s, &[("P", &e)], "x", None) else {
            panic!()
        };
        assert_eq!(all.len(), 2);
    }

    #[test]
    fn inactive_plan_entitlement_before_active_legacy_only_by_rank() {
        // An active legacy subscription outranks an inactive plan entitlement.
        let s = subs(&format!(
            r#"[{PLAN}, {{"id": "L", "entitlementId": "x", "offerId": "MS-AZR-0145P", "status": "active"}}]"#
        ));
        let e = ents(r#"[{"id": "x", "status": "inactive"}]"#);
        let Mapping::Found(m) = map_subscription(&s, &[("P", &e)], "x", None) else {
            panic!()
        };
        assert_eq!(m.kind, SubscriptionKind::LegacyAzure);
        // Both inactive: the plan first, unless the alert's offer says legacy.
        let s = subs(&format!(
            r#"[{PLAN}, {{"id": "L", "entitlementId": "x", "offerId": "MS-AZR-0145P", "status": "suspended"}}]"#
        ));
        let Mapping::Found(m) = map_subscription(&s, &[("P", &e)], "x", None) else {
            panic!()
        };
        assert_eq!(m.kind, SubscriptionKind::AzurePlan);
        let Mapping::Found(m) = map_subscription(&s, &[("P", &e)], "x", Some("MS-AZR-0145P"))
        else {
            panic!()
        };
        assert_eq!(m.kind, SubscriptionKind::LegacyAzure);
    }

    #[test]
    fn nothing_found_is_not_found() {
        let s = subs(&format!("[{PLAN}]"));
        // A plan's own id is no Azure subscription.
        assert_eq!(
            map_subscription(&s, &[("P", &[])], "P", None),
            Mapping::NotFound
        );
        assert_eq!(map_subscription(&[], &[], "x", None), Mapping::NotFound);
    }
}
