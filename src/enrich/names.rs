//! What enrichment attaches to an alert: [`Names`], each a [`Lookup`] that says where its
//! value came from or why there is none, and [`Enriched`], an alert with its names.

use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use super::mapping::SubscriptionMatch;
use crate::triage::TenantAlert;
use crate::{Alert, Error};

/// Where a name came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Source {
    /// Partner Center (the customer, the reseller relationships, subscriptions and
    /// entitlements): the names the FraudEvents shape carried.
    PartnerCenter,
    /// Graph's GDAP customers (`delegatedAdminCustomers`): the live Entra display name,
    /// which may differ from Partner Center's company name (Q36).
    GraphGdap,
    /// Graph's `/contracts`: a copy made when the partnership began, possibly stale (Q59).
    GraphContracts,
}

impl Source {
    /// Whether a name from here may be out of date (a contract's copy).
    pub fn is_possibly_stale(self) -> bool {
        self == Source::GraphContracts
    }
}

/// A customer's or reseller's name and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Name {
    /// The name.
    pub name: String,
    /// The tenant's domain, when the source gave one (`contoso.onmicrosoft.com`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Where it came from.
    pub source: Source,
}

impl Name {
    /// A name from `source`.
    pub fn new(name: impl Into<String>, source: Source) -> Self {
        Name {
            name: name.into(),
            domain: None,
            source,
        }
    }
}

/// An Azure subscription's Partner Center facts and where they came from (always Partner
/// Center today: Graph has no subscription names, section 12.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubscriptionInfo {
    /// The subscription as mapped (name, offer, status, kind, ...).
    #[serde(flatten)]
    pub matched: SubscriptionMatch,
    /// Where it came from.
    pub source: Source,
}

/// The outcome of one lookup.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Lookup<T> {
    /// The alert carries no id to look up (no reseller: a direct customer), or no directory
    /// that could answer was configured.
    Skipped,
    /// Found.
    Found(T),
    /// Every directory asked answered that it does not know the id.
    NotFound,
    /// Several equally good answers (subscriptions only, open question Q32): none chosen.
    Ambiguous(Vec<T>),
    /// The lookup failed (after the transport's retries); the alert is delivered anyway.
    /// The same error is shared by every alert that waited for the same lookup.
    Failed(Arc<Error>),
}

impl<T> Lookup<T> {
    /// The value, when found.
    pub fn found(&self) -> Option<&T> {
        match self {
            Lookup::Found(v) => Some(v),
            _ => None,
        }
    }

    /// The error, when the lookup failed.
    pub fn error(&self) -> Option<&Arc<Error>> {
        match self {
            Lookup::Failed(e) => Some(e),
            _ => None,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Lookup::Skipped => "skipped",
            Lookup::Found(_) => "found",
            Lookup::NotFound => "notFound",
            Lookup::Ambiguous(_) => "ambiguous",
            Lookup::Failed(_) => "failed",
        }
    }
}

/// `{"lookup": "found", "value": …}`; `"error"` holds a failure's message.
impl<T: Serialize> Serialize for Lookup<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("lookup", self.label())?;
        match self {
            Lookup::Found(v) => map.serialize_entry("value", v)?,
            Lookup::Ambiguous(all) => map.serialize_entry("candidates", all)?,
            Lookup::Failed(e) => map.serialize_entry("error", &e.to_string())?,
            Lookup::Skipped | Lookup::NotFound => {}
        }
        map.end()
    }
}

/// The names of one alert: its customer, its reseller, its subscription.
///
/// Serialised with the three names first, as plain strings (or `null`), then each lookup
/// in full:
///
/// ```
/// use partner_alerts::enrich::{Lookup, Name, Names, Source};
///
/// let names = Names::new(
///     Lookup::Found(Name::new("Fabrikam Ltd", Source::PartnerCenter)),
///     Lookup::Skipped,
///     Lookup::NotFound,
/// );
/// let json = serde_json::to_value(&names)?;
/// assert_eq!(json["customerName"], "Fabrikam Ltd");
/// assert_eq!(json["resellerName"], serde_json::Value::Null);
/// assert_eq!(json["customer"]["value"]["source"], "partnerCenter");
/// assert_eq!(json["subscription"]["lookup"], "notFound");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Names {
    /// The customer's name (`customerTenantId`).
    pub customer: Lookup<Name>,
    /// The indirect reseller's name (`valueAddedResellerTenantId`).
    pub reseller: Lookup<Name>,
    /// The Azure subscription's Partner Center facts (`subscriptionId`).
    pub subscription: Lookup<SubscriptionInfo>,
}

impl Names {
    /// Names from their three lookups (for tests, or names found elsewhere).
    pub fn new(
        customer: Lookup<Name>,
        reseller: Lookup<Name>,
        subscription: Lookup<SubscriptionInfo>,
    ) -> Self {
        Names {
            customer,
            reseller,
            subscription,
        }
    }

    /// The customer's name, when found.
    pub fn customer_name(&self) -> Option<&str> {
        self.customer.found().map(|n| n.name.as_str())
    }

    /// The reseller's name, when found.
    pub fn reseller_name(&self) -> Option<&str> {
        self.reseller.found().map(|n| n.name.as_str())
    }

    /// The subscription's name, when found and named.
    pub fn subscription_name(&self) -> Option<&str> {
        self.subscription.found()?.matched.name.as_deref()
    }

    /// The errors of the lookups that failed, with what was looked up (`customer`,
    /// `reseller`, `subscription`).
    pub fn errors(&self) -> impl Iterator<Item = (&'static str, &Arc<Error>)> {
        [
            ("customer", self.customer.error()),
            ("reseller", self.reseller.error()),
            ("subscription", self.subscription.error()),
        ]
        .into_iter()
        .filter_map(|(what, e)| Some((what, e?)))
    }
}

impl Serialize for Names {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Names", 6)?;
        s.serialize_field("customerName", &self.customer_name())?;
        s.serialize_field("resellerName", &self.reseller_name())?;
        s.serialize_field("subscriptionName", &self.subscription_name())?;
        s.serialize_field("customer", &self.customer)?;
        s.serialize_field("reseller", &self.reseller)?;
        s.serialize_field("subscription", &self.subscription)?;
        s.end()
    }
}

/// What enrichment takes: an [`Alert`], or anything that holds one (a [`TenantAlert`]).
pub trait HasAlert {
    /// The alert.
    fn alert(&self) -> &Alert;
}

impl HasAlert for Alert {
    fn alert(&self) -> &Alert {
        self
    }
}

impl HasAlert for TenantAlert {
    fn alert(&self) -> &Alert {
        &self.alert
    }
}

/// An alert (or a [`TenantAlert`]) with its names.
///
/// Serialised as the item's own properties with `names` beside them:
/// `{"id": …, "status": …, "names": {"customerName": …}}`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Enriched<T = Alert> {
    /// The alert as the source gave it.
    #[serde(flatten)]
    pub item: T,
    /// Its names.
    pub names: Names,
}

impl<T: HasAlert> Enriched<T> {
    /// An item with its names.
    pub fn new(item: T, names: Names) -> Self {
        Enriched { item, names }
    }

    /// The alert.
    pub fn alert(&self) -> &Alert {
        self.item.alert()
    }
}
