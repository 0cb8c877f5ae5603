//! [`Enricher`]: names for alerts, looked up once per customer, reseller and subscription.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use tokio::sync::Semaphore;

use super::cache::{Cache, Cached, Clock, SystemClock};
use super::graph::GraphDirectory;
use super::mapping::{Mapping, map_subscription};
use super::model::{AzureEntitlement, OrganizationProfile, Subscription};
use super::names::{Enriched, HasAlert, Lookup, Name, Names, Source, SubscriptionInfo};
use super::partner_center::{PartnerCenterDirectory, azure_plans};
use crate::error::{InvalidInput, Result};
use crate::{Alert, Error, SubscriptionId, TenantId};

const HOUR: Duration = Duration::from_secs(3600);
const MINUTE: Duration = Duration::from_secs(60);

/// How long the enricher keeps what it read (open question Q31). Statuses and ETags read
/// here are for display: never act on them without reading again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Lifetimes {
    /// The organization profile (24 h).
    pub organization: Duration,
    /// A customer's name from Partner Center (24 h).
    pub customers: Duration,
    /// The map of indirect resellers, and Graph's maps of GDAP customers and contracts
    /// (24 h each).
    pub maps: Duration,
    /// A map older than this is read again when it lacks an id asked for (10 min): a new
    /// reseller or customer shows within that time, and a missing one costs one read per
    /// period, not one per alert.
    pub refresh_on_miss: Duration,
    /// A customer's subscription list and each Azure plan's entitlement list (1 h).
    pub subscriptions: Duration,
    /// "Not found" answers: a customer Partner Center does not know; a subscription list
    /// older than this is read again when an alert's subscription is not in it (10 min).
    pub not_found: Duration,
    /// A failed lookup (30 s; Q31 is silent): the alerts asking within it get the same
    /// error without a request, so a directory that is down costs one attempt per key and
    /// period rather than one per alert; zero asks again every time.
    pub failures: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            organization: 24 * HOUR,
            customers: 24 * HOUR,
            maps: 24 * HOUR,
            refresh_on_miss: 10 * MINUTE,
            subscriptions: HOUR,
            not_found: 10 * MINUTE,
            failures: Duration::from_secs(30),
        }
    }
}

/// The default bound on the keys each of the enricher's caches holds.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// The default bound on directory requests in flight at once (Partner Center's throttling
/// guidance asks for little parallelism).
pub const DEFAULT_CONCURRENCY: usize = 4;

/// The default number of alerts a stream enriches at once ([`Enricher::stream`]); their
/// lookups share the caches and the request bound.
pub const DEFAULT_ALERTS_IN_FLIGHT: usize = 64;

/// Attaches customer, reseller and subscription names to alerts from any source.
///
/// Every lookup is cached ([`Lifetimes`]) in bounded caches, only one request per key is
/// in flight at a time (alerts asking for a key being read wait for that read), and at
/// most [`EnricherBuilder::concurrency`] requests run at once. A failed lookup does not
/// hold an alert back: the alert comes with [`Lookup::Failed`] and the error, shared by
/// every alert that waited on the same read or asked within [`Lifetimes::failures`].
///
/// Where names come from: Partner Center first (the names the FraudEvents shape carried);
/// then, for customers only and when a [`GraphDirectory`] is given, Graph's GDAP customers
/// and `/contracts` (Q36, Q59). Each name records its [`Source`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use futures::TryStreamExt;
/// use partner_alerts::auth::StaticToken;
/// use partner_alerts::enrich::{Enricher, PartnerCenterDirectory};
/// use partner_alerts::{AlertQuery, GraphClient};
///
/// let emu = partner_alerts_emulator::Emulator::builder().alerts(20).seed(7).start().await?;
/// let alerts = GraphClient::builder()
///     .base_url(emu.graph_base_url())
///     .credential(StaticToken::new("emulator"))
///     .build()?;
/// let directory = PartnerCenterDirectory::builder()
///     .base_url(emu.partner_center_base_url())
///     .credential(StaticToken::new("emulator"))
///     .build()?;
/// let enricher = Enricher::builder().partner_center(directory).build()?;
///
/// let mut enriched = enricher.stream(alerts.list(&AlertQuery::new()));
/// while let Some(e) = enriched.try_next().await? {
///     println!("{} {:?} {:?}", e.item.id, e.names.customer_name(), e.names.subscription_name());
///     assert!(e.names.customer_name().is_some());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Enricher {
    inner: Arc<Inner>,
}

struct Inner {
    partner_center: Option<PartnerCenterDirectory>,
    graph: Option<GraphDirectory>,
    lifetimes: Lifetimes,
    clock: Arc<dyn Clock>,
    permits: Semaphore,
    alerts_in_flight: usize,
    organization: Cache<(), Arc<OrganizationProfile>>,
    customers: Cache<String, Option<Name>>,
    resellers: Cache<(), NameMap>,
    gdap: Cache<(), NameMap>,
    contracts: Cache<(), NameMap>,
    subscriptions: Cache<String, Option<Arc<Vec<Subscription>>>>,
    entitlements: Cache<(String, String), Arc<Vec<AzureEntitlement>>>,
    /// Per directory (Partner Center, Graph): until when it is taken as down, and why.
    down: [Mutex<Option<Down>>; 2],
}

/// Until when a directory is taken as down, and the failure that made it so.
type Down = (Instant, Arc<Error>);

/// A directory, for [`Inner::down`].
#[derive(Clone, Copy)]
enum Dir {
    PartnerCenter = 0,
    Graph = 1,
}

/// Whether a failure is the directory's rather than one key's: it could not be reached, is
/// failing, throttling, or refuses the credential. Not found, forbidden for one customer,
/// or an answer that does not decode stay with their key.
fn directory_wide(e: &Error) -> bool {
    match e {
        Error::Transport(_)
        | Error::Timeout(_)
        | Error::Throttled(_)
        | Error::Unauthorized(_)
        | Error::Auth(_) => true,
        Error::Service(_) => e.status().is_some_and(|s| s >= 500),
        _ => false,
    }
}

/// Names by lower-case tenant id.
type NameMap = Arc<HashMap<String, Name>>;

impl fmt::Debug for Enricher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enricher")
            .field("partner_center", &self.inner.partner_center)
            .field("graph", &self.inner.graph)
            .field("lifetimes", &self.inner.lifetimes)
            .finish_non_exhaustive()
    }
}

/// Builds an [`Enricher`].
#[derive(Debug)]
#[must_use = "a builder does nothing until built"]
pub struct EnricherBuilder {
    partner_center: Option<PartnerCenterDirectory>,
    graph: Option<GraphDirectory>,
    lifetimes: Lifetimes,
    capacity: usize,
    concurrency: usize,
    alerts_in_flight: usize,
    clock: Arc<dyn Clock>,
}

impl EnricherBuilder {
    /// Partner Center's directory: customers', resellers' and subscriptions' names.
    pub fn partner_center(mut self, directory: PartnerCenterDirectory) -> Self {
        self.partner_center = Some(directory);
        self
    }

    /// Graph's directory: customers' names when Partner Center has none (or is not given).
    pub fn graph(mut self, directory: GraphDirectory) -> Self {
        self.graph = Some(directory);
        self
    }

    /// The cache lifetimes (default [`Lifetimes::default`], Q31).
    pub fn lifetimes(mut self, lifetimes: Lifetimes) -> Self {
        self.lifetimes = lifetimes;
        self
    }

    /// The most keys each cache holds (default [`DEFAULT_CAPACITY`], at least 1); the
    /// least recently read go first.
    pub fn capacity(mut self, keys: usize) -> Self {
        self.capacity = keys.max(1);
        self
    }

    /// The most directory requests in flight at once (default [`DEFAULT_CONCURRENCY`], at
    /// least 1).
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.max(1);
        self
    }

    /// How many alerts [`Enricher::stream`] enriches at once (default
    /// [`DEFAULT_ALERTS_IN_FLIGHT`], at least 1); they come out in the order they went in.
    pub fn alerts_in_flight(mut self, alerts: usize) -> Self {
        self.alerts_in_flight = alerts.max(1);
        self
    }

    /// The clock the lifetimes are measured on (default [`SystemClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the enricher.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no directory was given.
    pub fn build(self) -> Result<Enricher> {
        if self.partner_center.is_none() && self.graph.is_none() {
            return Err(InvalidInput::new(
                "directory",
                "is required: give a PartnerCenterDirectory, a GraphDirectory or both",
            )
            .into());
        }
        Ok(Enricher {
            inner: Arc::new(Inner {
                organization: Cache::new(1, self.clock.clone(), self.lifetimes.failures),
                customers: Cache::new(self.capacity, self.clock.clone(), self.lifetimes.failures),
                resellers: Cache::new(1, self.clock.clone(), self.lifetimes.failures),
                gdap: Cache::new(1, self.clock.clone(), self.lifetimes.failures),
                contracts: Cache::new(1, self.clock.clone(), self.lifetimes.failures),
                subscriptions: Cache::new(
                    self.capacity,
                    self.clock.clone(),
                    self.lifetimes.failures,
                ),
                entitlements: Cache::new(
                    self.capacity,
                    self.clock.clone(),
                    self.lifetimes.failures,
                ),
                partner_center: self.partner_center,
                graph: self.graph,
                lifetimes: self.lifetimes,
                clock: self.clock,
                permits: Semaphore::new(self.concurrency),
                alerts_in_flight: self.alerts_in_flight,
                down: Default::default(),
            }),
        })
    }
}

/// A tenant id as a cache key: GUIDs compare in any case.
fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// `Ok(None)` for a "not found" answer, which is an answer, not a failure.
fn found<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

impl Enricher {
    /// A builder: no directory yet, [`Lifetimes::default`], [`DEFAULT_CAPACITY`],
    /// [`DEFAULT_CONCURRENCY`], the system clock.
    pub fn builder() -> EnricherBuilder {
        EnricherBuilder {
            partner_center: None,
            graph: None,
            lifetimes: Lifetimes::default(),
            capacity: DEFAULT_CAPACITY,
            concurrency: DEFAULT_CONCURRENCY,
            alerts_in_flight: DEFAULT_ALERTS_IN_FLIGHT,
            clock: Arc::new(SystemClock),
        }
    }

    /// Runs one directory request within the concurrency bound.
    ///
    /// Unless `dir` failed as a whole within [`Lifetimes::failures`]: then its error, at
    /// once, checked again after the wait for a permit. A directory that is down costs one
    /// failure per period, not one per key (each of which the transport would retry).
    async fn bounded<T>(
        &self,
        dir: Dir,
        request: impl Future<Output = Result<T>>,
    ) -> std::result::Result<T, Arc<Error>> {
        let down = || {
            let slot = self.inner.down[dir as usize]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = self.inner.clock.now();
            slot.as_ref()
                .filter(|(until, _)| now < *until)
                .map(|(_, e)| e.clone())
        };
        if let Some(e) = down() {
            return Err(e);
        }
        // The semaphore is never closed.
        let _permit = self.inner.permits.acquire().await.expect("open semaphore");
        if let Some(e) = down() {
            return Err(e);
        }
        let result = request.await.map_err(Arc::new);
        if let Err(e) = &result
            && directory_wide(e)
            && !self.inner.lifetimes.failures.is_zero()
        {
            let until = self.inner.clock.now() + self.inner.lifetimes.failures;
            *self.inner.down[dir as usize]
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some((until, e.clone()));
        }
        result
    }

    /// An item with its names.
    pub async fn enrich<T: HasAlert>(&self, item: T) -> Enriched<T> {
        let names = self.names(item.alert()).await;
        Enriched::new(item, names)
    }

    /// Enriches a stream of alerts (a [`Pager`](crate::Pager), [`TenantAlerts`](crate::triage::TenantAlerts),
    /// ...), several alerts at once ([`EnricherBuilder::alerts_in_flight`]), in the
    /// stream's order. The stream's errors pass through unchanged.
    pub fn stream<S, T, E>(
        &self,
        items: S,
    ) -> impl Stream<Item = std::result::Result<Enriched<T>, E>> + Send + 'static
    where
        S: Stream<Item = std::result::Result<T, E>> + Send + 'static,
        T: HasAlert + Send + 'static,
        E: Send + 'static,
    {
        let this = self.clone();
        let width = self.inner.alerts_in_flight;
        items
            .map(move |item| {
                let this = this.clone();
                async move {
                    match item {
                        Ok(item) => Ok(this.enrich(item).await),
                        Err(e) => Err(e),
                    }
                }
            })
            .buffered(width)
    }

    /// The names of one alert: its three lookups run at once.
    pub async fn names(&self, alert: &Alert) -> Names {
        let customer = async {
            match &alert.customer_tenant_id {
                Some(c) => self.customer_name(c).await,
                None => Lookup::Skipped,
            }
        };
        let reseller = async {
            match &alert.value_added_reseller_tenant_id {
                Some(r) => self.reseller_name(r).await,
                None => Lookup::Skipped,
            }
        };
        let subscription = async {
            match (&alert.customer_tenant_id, &alert.subscription_id) {
                (Some(c), Some(s)) => {
                    self.subscription(c, s, alert.catalog_offer_id.as_deref())
                        .await
                }
                _ => Lookup::Skipped,
            }
        };
        // On the heap: each lookup nests the cache's, the request bound's and the transport's
        // futures, too large together for a small stack.
        let (customer, reseller, subscription) = tokio::join!(
            Box::pin(customer),
            Box::pin(reseller),
            Box::pin(subscription)
        );
        Names {
            customer,
            reseller,
            subscription,
        }
    }

    /// The partner's organization profile (Partner Center; App+User), kept for
    /// [`Lifetimes::organization`].
    ///
    /// # Errors
    /// [`Error::InvalidInput`] without a Partner Center directory; the read's error.
    pub async fn organization(&self) -> std::result::Result<Arc<OrganizationProfile>, Arc<Error>> {
        let Some(pc) = &self.inner.partner_center else {
            return Err(Arc::new(
                InvalidInput::new(
                    "partner center directory",
                    "is required for the organization profile",
                )
                .into(),
            ));
        };
        let fetch = self.bounded(Dir::PartnerCenter, async {
            pc.organization_profile().await.map(Arc::new)
        });
        let lifetime = self.inner.lifetimes.organization;
        let lookup = self
            .inner
            .organization
            .get_or_fetch(&(), |_| lifetime, fetch);
        let got = lookup.await?;
        Ok(got.value)
    }

    /// A customer's name: Partner Center's company name; else, with a Graph directory, the
    /// GDAP customer's name, else the contract's.
    pub async fn customer_name(&self, customer: &TenantId) -> Lookup<Name> {
        let k = key(customer.as_str());
        let mut failure = None;
        if let Some(pc) = &self.inner.partner_center {
            let lt = self.inner.lifetimes;
            let fetch = self.bounded(Dir::PartnerCenter, async {
                let c = found(pc.customer(customer).await)?;
                Ok(c.and_then(|c| {
                    let profile = c.company_profile?;
                    Some(Name {
                        name: profile.company_name?,
                        domain: profile.domain,
                        source: Source::PartnerCenter,
                    })
                }))
            });
            let ttl = |v: &Option<Name>| {
                if v.is_some() {
                    lt.customers
                } else {
                    lt.not_found
                }
            };
            let lookup = self.inner.customers.get_or_fetch(&k, ttl, fetch);
            match lookup.await {
                Ok(Cached {
                    value: Some(name), ..
                }) => return Lookup::Found(name),
                Ok(_) => {}
                Err(e) => failure = Some(e),
            }
        }
        if let Some(graph) = &self.inner.graph {
            let gdap = self.in_map(Dir::Graph, &self.inner.gdap, &k, || async {
                let all = graph.delegated_admin_customers().await?;
                Ok(all
                    .into_iter()
                    .filter_map(|c| {
                        let id = c.tenant_id.unwrap_or(c.id);
                        Some((key(&id), Name::new(c.display_name?, Source::GraphGdap)))
                    })
                    .collect())
            });
            let contracts = self.in_map(Dir::Graph, &self.inner.contracts, &k, || async {
                let all = graph.contracts().await?;
                Ok(all
                    .into_iter()
                    .filter_map(|c| {
                        let mut name = Name::new(c.display_name?, Source::GraphContracts);
                        name.domain = c.default_domain_name;
                        Some((key(&c.customer_id?), name))
                    })
                    .collect())
            });
            // The live GDAP name first, the contract's copy after (Q59).
            match gdap.await {
                Ok(Some(name)) => return Lookup::Found(name),
                Ok(None) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
            match contracts.await {
                Ok(Some(name)) => return Lookup::Found(name),
                Ok(None) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => Lookup::Failed(e),
            None => Lookup::NotFound,
        }
    }

    /// An indirect reseller's name, from the map of every indirect reseller (one Partner
    /// Center read; Q33: matched on the relationship's `id`).
    pub async fn reseller_name(&self, reseller: &TenantId) -> Lookup<Name> {
        let Some(pc) = &self.inner.partner_center else {
            return Lookup::Skipped;
        };
        let found = self
            .in_map(
                Dir::PartnerCenter,
                &self.inner.resellers,
                &key(reseller.as_str()),
                || async {
                    let all = pc.indirect_resellers().await?;
                    Ok(all
                        .into_iter()
                        .filter_map(|r| {
                            Some((key(&r.id), Name::new(r.name?, Source::PartnerCenter)))
                        })
                        .collect())
                },
            )
            .await;
        match found {
            Ok(Some(name)) => Lookup::Found(name),
            Ok(None) => Lookup::NotFound,
            Err(e) => Lookup::Failed(e),
        }
    }

    /// `k` in a whole-collection map, read again (once, for every caller waiting) when it
    /// lacks `k` and is older than [`Lifetimes::refresh_on_miss`].
    async fn in_map<F, Fut>(
        &self,
        dir: Dir,
        cache: &Cache<(), NameMap>,
        k: &str,
        fetch: F,
    ) -> std::result::Result<Option<Name>, Arc<Error>>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<HashMap<String, Name>>>,
    {
        let lt = self.inner.lifetimes;
        let read = || self.bounded(dir, async { fetch().await.map(Arc::new) });
        let got = cache.get_or_fetch(&(), |_| lt.maps, read()).await?;
        if let Some(name) = got.value.get(k) {
            return Ok(Some(name.clone()));
        }
        if self.age(got.loaded) < lt.refresh_on_miss {
            return Ok(None);
        }
        cache.invalidate(&());
        let got = cache.get_or_fetch(&(), |_| lt.maps, read()).await?;
        Ok(got.value.get(k).cloned())
    }

    fn age(&self, loaded: Instant) -> Duration {
        self.inner.clock.now().saturating_duration_since(loaded)
    }

    /// An Azure subscription's Partner Center facts (section 10.5.5), from the customer's
    /// subscription list and its Azure plans' entitlements, each read once and kept for
    /// [`Lifetimes::subscriptions`]. `catalog_offer_id` is the alert's (a hint only).
    pub async fn subscription(
        &self,
        customer: &TenantId,
        azure_subscription: &SubscriptionId,
        catalog_offer_id: Option<&str>,
    ) -> Lookup<SubscriptionInfo> {
        let Some(pc) = &self.inner.partner_center else {
            return Lookup::Skipped;
        };
        let mut mapped =
            Box::pin(self.map(pc, customer, azure_subscription, catalog_offer_id)).await;
        // A subscription list that lacks the id is read again once it is older than the
        // "not found" lifetime: a new subscription shows within it.
        if let Ok((Mapping::NotFound, Some((loaded, plans)))) = &mapped
            && self.age(*loaded) >= self.inner.lifetimes.not_found
        {
            let c = key(customer.as_str());
            self.inner.subscriptions.invalidate(&c);
            for plan in plans {
                self.inner
                    .entitlements
                    .invalidate(&(c.clone(), key(plan.as_str())));
            }
            mapped = Box::pin(self.map(pc, customer, azure_subscription, catalog_offer_id)).await;
        }
        let info = |matched| SubscriptionInfo {
            matched,
            source: Source::PartnerCenter,
        };
        match mapped {
            Ok((Mapping::Found(m), _)) => Lookup::Found(info(m)),
            Ok((Mapping::Ambiguous(all), _)) => {
                Lookup::Ambiguous(all.into_iter().map(info).collect())
            }
            Ok((Mapping::NotFound, _)) => Lookup::NotFound,
            Err(e) => Lookup::Failed(e),
        }
    }

    /// The mapping, with when the customer's subscription list was read and its plans
    /// (`None` when Partner Center does not know the customer).
    async fn map(
        &self,
        pc: &PartnerCenterDirectory,
        customer: &TenantId,
        azure_subscription: &SubscriptionId,
        catalog_offer_id: Option<&str>,
    ) -> std::result::Result<(Mapping, Option<(Instant, Vec<SubscriptionId>)>), Arc<Error>> {
        let lt = self.inner.lifetimes;
        let c = key(customer.as_str());
        let fetch = self.bounded(Dir::PartnerCenter, async {
            Ok(found(pc.subscriptions(customer).await)?.map(Arc::new))
        });
        let ttl = |v: &Option<_>| {
            if v.is_some() {
                lt.subscriptions
            } else {
                lt.not_found
            }
        };
        let listed = self
            .inner
            .subscriptions
            .get_or_fetch(&c, ttl, fetch)
            .await?;
        let Some(subscriptions) = listed.value else {
            return Ok((Mapping::NotFound, None));
        };
        let plans = azure_plans(&subscriptions);
        let mut entitlements = Vec::with_capacity(plans.len());
        for plan in &plans {
            let fetch = self.bounded(Dir::PartnerCenter, async {
                // A plan that vanished since the list was read has no entitlements.
                let listed = found(pc.azure_entitlements(customer, plan).await)?;
                Ok(Arc::new(listed.unwrap_or_default()))
            });
            let k = (c.clone(), key(plan.as_str()));
            let got = self
                .inner
                .entitlements
                .get_or_fetch(&k, |_| lt.subscriptions, fetch)
                .await?;
            entitlements.push((plan.as_str(), got.value));
        }
        let by_plan: Vec<(&str, &[AzureEntitlement])> = entitlements
            .iter()
            .map(|(p, e)| (*p, e.as_slice()))
            .collect();
        let mapping = map_subscription(
            &subscriptions,
            &by_plan,
            azure_subscription.as_str(),
            catalog_offer_id,
        );
        Ok((mapping, Some((listed.loaded, plans.clone()))))
    }
}
