//! [`PartnerCenterDirectory`]: the Partner Center reads enrichment needs (reference
//! sections 10.2 to 10.5), through the shared transport.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::mapping::{Mapping, map_subscription};
use super::model::{
    AzureEntitlement, Customer, OrganizationProfile, PartnerRelationship, Subscription,
};
use crate::auth::Scope;
use crate::endpoint::{encode_pairs, join, same_origin};
use crate::error::{Api, Error, InvalidResponse, Result};
use crate::http::{Common, Request, Transport, builder_setters};
use crate::{SubscriptionId, TenantId};

/// Partner Center's global endpoint, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.partnercenter.microsoft.com";

/// The most pages one collection follows through `links.next` (Q45): none is documented to
/// page at all, so this only stops a server that links in a circle.
const MAX_PAGES: usize = 1_000;

/// A Partner Center collection: `items`, and `links.next` when it pages.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct Collection<T> {
    #[serde(default, alias = "Items")]
    items: Vec<T>,
    #[serde(default, alias = "Links")]
    links: Option<Links>,
}

#[derive(Deserialize)]
struct Links {
    #[serde(default, alias = "Next")]
    next: Option<Link>,
}

#[derive(Deserialize)]
struct Link {
    #[serde(alias = "Uri")]
    uri: String,
}

/// Partner Center's directory: the partner's profile, customers' names, indirect
/// resellers, customers' subscriptions and Azure entitlements.
///
/// Built like [`FraudEventsClient`](crate::FraudEventsClient) (base URL, credential,
/// retries, time limits), but needs no `fraud-events` feature: this is Partner Center's
/// customer API, which stays. Cheap to clone. It caches nothing; an
/// [`Enricher`](super::Enricher) does.
///
/// Tokens: customers, subscriptions and entitlements accept app-only or App+User tokens;
/// the organization profile and the reseller relationships want App+User (a
/// [`RefreshTokenCredential`](crate::auth::RefreshTokenCredential)); an app-only token is
/// refused there with a `403`.
///
/// ```no_run
/// # async fn run() -> partner_alerts::Result<()> {
/// use partner_alerts::auth::RefreshTokenCredential;
/// use partner_alerts::enrich::PartnerCenterDirectory;
/// use partner_alerts::TenantId;
///
/// let directory = PartnerCenterDirectory::builder()
///     .credential(RefreshTokenCredential::from_env()?)
///     .build()?;
/// let customer = directory.customer(&TenantId::new("eebd1b55-5360-4438-a11d-5c06918c3014")?).await?;
/// println!("{:?}", customer.company_name());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PartnerCenterDirectory {
    inner: Arc<Transport>,
}

impl fmt::Debug for PartnerCenterDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartnerCenterDirectory")
            .field("transport", &self.inner)
            .finish()
    }
}

/// Builds a [`PartnerCenterDirectory`].
#[derive(Debug)]
pub struct PartnerCenterDirectoryBuilder {
    common: Common,
}

impl PartnerCenterDirectoryBuilder {
    builder_setters!();

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no credential was given or the base URL is not `https://`
    /// (or `http://` on loopback).
    pub fn build(self) -> Result<PartnerCenterDirectory> {
        let c = self
            .common
            .check("RefreshTokenCredential, ClientSecretCredential, StaticToken, ...")?;
        Ok(PartnerCenterDirectory {
            inner: Arc::new(c.partner_center_transport()?),
        })
    }
}

impl PartnerCenterDirectory {
    /// A builder with Partner Center's global endpoint.
    pub fn builder() -> PartnerCenterDirectoryBuilder {
        PartnerCenterDirectoryBuilder {
            common: Common::new(DEFAULT_BASE_URL, Scope::PARTNER_CENTER),
        }
    }

    /// The base URL (and the only origin its token is sent to).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The URL of `segments` under `/v1`.
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut all = vec!["v1"];
        all.extend_from_slice(segments);
        join(&self.inner.base, &all)
    }

    /// The transport, for the response actions' writes.
    #[cfg(feature = "response-actions")]
    pub(crate) fn transport(&self) -> &Transport {
        &self.inner
    }

    async fn get<T: DeserializeOwned>(&self, url: Url) -> Result<T> {
        let response = self.inner.send(Request::get(url, "directory")).await?;
        response.json(Api::PartnerCenter)
    }

    /// Every item of a collection, following `links.next` (relative to `/v1`) when present.
    async fn collection<T: DeserializeOwned>(&self, url: Url) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(url);
        while let Some(url) = next.take() {
            if seen.len() >= MAX_PAGES || !seen.insert(url.to_string()) {
                return Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                    "a Partner Center collection's next link leads back to a page already read",
                    None,
                ))));
            }
            let response = self.inner.send(Request::get(url, "directory")).await?;
            let page: Collection<T> = response.json(Api::PartnerCenter)?;
            items.extend(page.items);
            if let Some(link) = page.links.and_then(|l| l.next) {
                let base = self.url(&[]);
                let joined = Url::parse(&format!(
                    "{}/{}",
                    base.as_str().trim_end_matches('/'),
                    link.uri.trim_start_matches('/')
                ))
                .ok()
                .filter(|u| same_origin(&self.inner.base, u))
                .ok_or_else(|| {
                    Error::InvalidResponse(Box::new(InvalidResponse::new(
                        "a Partner Center collection's next link is not a path on its host",
                        Some(response.ids.clone()),
                    )))
                })?;
                next = Some(joined);
            }
        }
        Ok(items)
    }

    /// The partner's organization profile (`GET /v1/profiles/organization`; App+User).
    pub async fn organization_profile(&self) -> Result<OrganizationProfile> {
        self.get(self.url(&["profiles", "organization"])).await
    }

    /// A customer by its tenant id (`GET /v1/customers/{id}`): its company name is the
    /// customer's name.
    ///
    /// # Errors
    /// [`Error::NotFound`] for a tenant that is not the partner's customer.
    pub async fn customer(&self, customer: &TenantId) -> Result<Customer> {
        self.get(self.url(&["customers", customer.as_str()])).await
    }

    /// The indirect resellers of one customer (`GET /v1/customers/{id}/relationships`;
    /// App+User).
    pub async fn customer_resellers(
        &self,
        customer: &TenantId,
    ) -> Result<Vec<PartnerRelationship>> {
        self.collection(self.url(&["customers", customer.as_str(), "relationships"]))
            .await
    }

    /// Every indirect reseller of the signed-in indirect provider (`GET
    /// /v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf`; App+User):
    /// one call for every reseller's name.
    pub async fn indirect_resellers(&self) -> Result<Vec<PartnerRelationship>> {
        let mut url = self.url(&["relationships"]);
        url.set_query(Some(&encode_pairs(&[(
            "relationship_type",
            "IsIndirectCloudSolutionProviderOf".to_owned(),
        )])));
        self.collection(url).await
    }

    /// A customer's subscriptions (`GET /v1/customers/{id}/subscriptions`).
    pub async fn subscriptions(&self, customer: &TenantId) -> Result<Vec<Subscription>> {
        self.collection(self.url(&["customers", customer.as_str(), "subscriptions"]))
            .await
    }

    /// One of a customer's subscriptions by its Partner Center id (`GET
    /// /v1/customers/{id}/subscriptions/{subscription}`).
    pub async fn subscription(
        &self,
        customer: &TenantId,
        subscription: &SubscriptionId,
    ) -> Result<Subscription> {
        self.get(self.url(&[
            "customers",
            customer.as_str(),
            "subscriptions",
            subscription.as_str(),
        ]))
        .await
    }

    /// The Azure subscriptions of an Azure plan (`GET
    /// /v1/customers/{id}/subscriptions/{plan}/azureEntitlements`).
    pub async fn azure_entitlements(
        &self,
        customer: &TenantId,
        azure_plan: &SubscriptionId,
    ) -> Result<Vec<AzureEntitlement>> {
        self.collection(self.url(&[
            "customers",
            customer.as_str(),
            "subscriptions",
            azure_plan.as_str(),
            "azureEntitlements",
        ]))
        .await
    }

    /// One Azure subscription of an Azure plan (`GET
    /// .../azureEntitlements/{azure subscription id}`).
    pub async fn azure_entitlement(
        &self,
        customer: &TenantId,
        azure_plan: &SubscriptionId,
        azure_subscription: &SubscriptionId,
    ) -> Result<AzureEntitlement> {
        self.get(self.url(&[
            "customers",
            customer.as_str(),
            "subscriptions",
            azure_plan.as_str(),
            "azureEntitlements",
            azure_subscription.as_str(),
        ]))
        .await
    }

    /// Finds the Partner Center subscription of an alert's Azure subscription, uncached
    /// (section 10.5.5): the customer's subscriptions, then the entitlements of each Azure
    /// plan that is not deleted, then [`map_subscription`]. `catalog_offer_id` is the alert's.
    ///
    /// # Errors
    /// As the reads; a customer Partner Center does not know is [`Error::NotFound`].
    pub async fn find_azure_subscription(
        &self,
        customer: &TenantId,
        azure_subscription: &SubscriptionId,
        catalog_offer_id: Option<&str>,
    ) -> Result<Mapping> {
        let subscriptions = self.subscriptions(customer).await?;
        let mut plans = Vec::new();
        for plan in azure_plans(&subscriptions) {
            let entitlements = self.azure_entitlements(customer, &plan).await?;
            plans.push((plan, entitlements));
        }
        let plans: Vec<(&str, &[AzureEntitlement])> = plans
            .iter()
            .map(|(p, e)| (p.as_str(), e.as_slice()))
            .collect();
        Ok(map_subscription(
            &subscriptions,
            &plans,
            azure_subscription.as_str(),
            catalog_offer_id,
        ))
    }
}

/// The Azure plans among `subscriptions` whose entitlements are worth reading: not deleted,
/// with an id fit for a URL path.
pub(crate) fn azure_plans(subscriptions: &[Subscription]) -> Vec<SubscriptionId> {
    subscriptions
        .iter()
        .filter(|s| s.is_azure_plan() && s.status != Some(super::SubscriptionStatus::Deleted))
        .filter_map(|s| SubscriptionId::new(&s.id).ok())
        .collect()
}
