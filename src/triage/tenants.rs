//! Many partner tenants in one view: one listing over several sources, each alert tagged with
//! its tenant, and updates routed back to the tenant an alert came from.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{BoxStream, Stream, StreamExt};
use serde::{Serialize, Serializer};

use crate::error::{Error, InvalidInput};
use crate::{Alert, AlertId, AlertQuery, AlertSource, StatusUpdate, UpdateReport, UpdateTarget};

/// The concurrency of [`Tenants::new`].
const DEFAULT_CONCURRENCY: usize = 4;

/// Several partner tenants, each with its own source (its own client, credential and API),
/// seen as one: a listing over all of them, each alert tagged with its tenant's name, a
/// failing tenant reported without hiding the others' alerts, and updates sent through the
/// tenant each alert came from.
///
/// At most [`Tenants::concurrency`] tenants are asked at a time (4 by default), so a partner
/// with many tenants does not open a connection to each at once.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use partner_alerts::auth::StaticToken;
/// use partner_alerts::triage::{TenantTarget, Tenants};
/// use partner_alerts::{AlertQuery, GraphClient, ResolvedReason, StatusUpdate};
///
/// let contoso_emu = partner_alerts_emulator::Emulator::builder().alerts(5).seed(1).start().await?;
/// let fabrikam_emu = partner_alerts_emulator::Emulator::builder().alerts(3).seed(2).start().await?;
/// let client = |url: &str| -> partner_alerts::Result<GraphClient> {
///     // For Microsoft Graph: each tenant's own credential, e.g. ClientSecretCredential.
///     GraphClient::builder().base_url(url).credential(StaticToken::new("emulator")).build()
/// };
/// let mut tenants = Tenants::new().concurrency(2);
/// tenants.add("contoso", Arc::new(client(contoso_emu.graph_base_url())?))?;
/// tenants.add("fabrikam", Arc::new(client(fabrikam_emu.graph_base_url())?))?;
///
/// let mut alerts = tenants.list(&AlertQuery::new());
/// let mut targets = Vec::new();
/// while let Some(item) = alerts.next_item().await {
///     match item {
///         Ok(a) => targets.push(TenantTarget::from(&a)),
///         // One tenant failing does not hide the others' alerts.
///         Err(e) => eprintln!("{e}"),
///     }
/// }
/// assert_eq!(targets.len(), 8);
///
/// // Each update goes to the tenant its alert came from.
/// let report = tenants
///     .update_alerts(&targets, &StatusUpdate::resolved(ResolvedReason::Legitimate))
///     .await;
/// assert_eq!(report.succeeded.len(), 8);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Tenants {
    tenants: Vec<(Arc<str>, Arc<dyn AlertSource>)>,
    concurrency: usize,
}

impl Default for Tenants {
    /// The same as [`Tenants::new`] (a derived default would ask no tenant at a time).
    fn default() -> Self {
        Tenants {
            tenants: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl Tenants {
    /// No tenants yet; 4 tenants asked at a time.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tenant, under `name` (the name alerts are tagged with: any label of yours, such
    /// as the partner tenant's domain).
    ///
    /// # Errors
    /// [`InvalidInput`] when `name` is empty (or only white space), or already added (names
    /// compare exactly); the set is unchanged.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        source: Arc<dyn AlertSource>,
    ) -> Result<(), InvalidInput> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(InvalidInput::new("tenant name", "must not be empty"));
        }
        if self.position(&name).is_some() {
            return Err(InvalidInput::new(
                "tenant name",
                format!("{name:?} is already in the set"),
            ));
        }
        self.tenants.push((name.into(), source));
        Ok(())
    }

    /// How many tenants are asked at a time (at least 1: 0 is taken as 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// How many tenants there are.
    pub fn len(&self) -> usize {
        self.tenants.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }

    /// The tenants' names, in the order they were added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tenants.iter().map(|(name, _)| &**name)
    }

    /// The source of the tenant `name`.
    pub fn source(&self, name: &str) -> Option<&Arc<dyn AlertSource>> {
        self.tenants
            .iter()
            .find(|(n, _)| **n == *name)
            .map(|(_, source)| source)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.tenants.iter().position(|(n, _)| **n == *name)
    }

    /// Lists every tenant's alerts matching `query`, at most [`Tenants::concurrency`] tenants
    /// at a time, their alerts interleaved as they arrive. Nothing is sent until the stream
    /// is polled.
    ///
    /// An error is an `Err(`[`TenantError`]`)` item naming its tenant, and the other
    /// tenants' listings go on. Within a tenant it is as with [`Pager`](crate::Pager): after
    /// an item that cannot be an alert ([`Error::is_item_error`]) the tenant's listing goes
    /// on; after any other error it ends (the next tenant waiting then starts).
    pub fn list(&self, query: &AlertQuery) -> TenantAlerts {
        let query = query.clone();
        // Pagers are made as their tenant's turn comes, so the bound holds for them too.
        let listings = futures::stream::iter(self.tenants.clone()).map(move |(tenant, source)| {
            source.list(&query).map(move |item| match item {
                Ok(alert) => Ok(TenantAlert {
                    tenant: tenant.clone(),
                    alert,
                }),
                Err(error) => Err(TenantError {
                    tenant: tenant.clone(),
                    error,
                }),
            })
        });
        TenantAlerts {
            inner: listings.flatten_unordered(Some(self.concurrency)).boxed(),
        }
    }

    /// Reads one alert: asks each tenant, [`Tenants::concurrency`] at a time, and returns the
    /// first found with its tenant (the others still being asked are dropped).
    ///
    /// # Errors
    /// - the first tenant's (in the order added) `NotFound` when every tenant says
    ///   [`Error::NotFound`];
    /// - otherwise, when no tenant has it and some failed otherwise (unauthorised,
    ///   throttled, unreachable), the first such error in the order added: the alert may be
    ///   in that tenant;
    /// - an [`Error::InvalidInput`] tagged with an empty tenant name when there are no
    ///   tenants.
    pub async fn get(&self, id: &AlertId) -> Result<TenantAlert, TenantError> {
        // Built in a loop, not by a closure over borrowed items: with a closure the future
        // is not `Send` (rust-lang/rust#64552), and so could not be spawned.
        let mut asks = Vec::with_capacity(self.tenants.len());
        for (i, (tenant, source)) in self.tenants.iter().enumerate() {
            asks.push(async move { (i, tenant, source.get(id).await) });
        }
        let mut answers = futures::stream::iter(asks).buffer_unordered(self.concurrency);
        let mut not_found: Option<(usize, TenantError)> = None;
        let mut failed: Option<(usize, TenantError)> = None;
        while let Some((i, tenant, answer)) = answers.next().await {
            let error = match answer {
                Ok(alert) => {
                    return Ok(TenantAlert {
                        tenant: tenant.clone(),
                        alert,
                    });
                }
                Err(error) => error,
            };
            let slot = if error.is_not_found() {
                &mut not_found
            } else {
                &mut failed
            };
            // Answers come in any order; keep the first tenant's, so the result repeats.
            if slot.as_ref().is_none_or(|(j, _)| i < *j) {
                *slot = Some((
                    i,
                    TenantError {
                        tenant: tenant.clone(),
                        error,
                    },
                ));
            }
        }
        Err(match failed.or(not_found) {
            Some((_, e)) => e,
            None => TenantError {
                tenant: Arc::from(""),
                error: InvalidInput::new("tenants", "there are no tenants to ask").into(),
            },
        })
    }

    /// Sets the status of each target through the tenant it came from (one call of
    /// [`AlertSource::update_alerts`] per tenant, [`Tenants::concurrency`] tenants at a time)
    /// and reports them all in one [`UpdateReport`], the tenants' reports merged in the order
    /// the tenants were added.
    ///
    /// Nothing fails as a whole: a target naming a tenant not in the set is in `failed` with
    /// an [`Error::InvalidInput`] (nothing sent for it), and a tenant whose update fails as
    /// a whole (invalid input) has each of its targets in `failed` with that error.
    pub async fn update_alerts(
        &self,
        targets: &[TenantTarget],
        update: &StatusUpdate,
    ) -> UpdateReport {
        let mut unknown = UpdateReport::default();
        let mut groups: Vec<Vec<UpdateTarget>> = vec![Vec::new(); self.tenants.len()];
        for t in targets {
            match self.position(&t.tenant) {
                Some(i) => groups[i].push(t.target.clone()),
                None => unknown.add_failure(
                    [t.target.id.clone()],
                    InvalidInput::new(
                        "tenant",
                        format!("{:?} is not one of the tenants", &*t.tenant),
                    )
                    .into(),
                ),
            }
        }
        let mut report = UpdateReport::default();
        // A loop, not a closure, as in `get`.
        let mut asks = Vec::new();
        for ((_, source), group) in self.tenants.iter().zip(groups) {
            if !group.is_empty() {
                asks.push(async move {
                    let answer = source.update_alerts(&group, update).await;
                    (group, answer)
                });
            }
        }
        let mut updates = futures::stream::iter(asks).buffered(self.concurrency);
        while let Some((group, answer)) = updates.next().await {
            match answer {
                Ok(r) => report.merge(r),
                Err(e) => report.add_failure(group.into_iter().map(|t| t.id), e),
            }
        }
        report.merge(unknown);
        report
    }
}

/// The alerts of [`Tenants::list`], as they arrive: a [`Stream`] of
/// `Result<`[`TenantAlert`]`, `[`TenantError`]`>`, `Send`, `Unpin` and `'static`, with
/// [`TenantAlerts::next_item`] needing no trait import.
///
/// Unlike [`Pager`](crate::Pager)'s `try_next`, an error is an item like any other and the
/// stream goes on after it: read to `None`.
#[must_use = "TenantAlerts sends nothing until polled"]
pub struct TenantAlerts {
    inner: BoxStream<'static, Result<TenantAlert, TenantError>>,
}

impl TenantAlerts {
    /// The next alert or error, or `None` when every tenant's listing has ended.
    pub async fn next_item(&mut self) -> Option<Result<TenantAlert, TenantError>> {
        self.inner.next().await
    }
}

impl fmt::Debug for TenantAlerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantAlerts").finish_non_exhaustive()
    }
}

impl Stream for TenantAlerts {
    type Item = Result<TenantAlert, TenantError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// An alert and the partner tenant it came from.
///
/// Serialises as the alert's own JSON object with one more property first,
/// `"partnerTenant": "<name>"`:
///
/// ```
/// use partner_alerts::{Alert, AlertId};
/// use partner_alerts::triage::TenantAlert;
///
/// let a = TenantAlert { tenant: "contoso".into(), alert: Alert::new(AlertId::new("a1")?) };
/// assert_eq!(serde_json::to_string(&a)?, r#"{"partnerTenant":"contoso","id":"a1"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenantAlert {
    /// The tenant's name, as given to [`Tenants::add`].
    #[serde(rename = "partnerTenant", serialize_with = "as_str")]
    pub tenant: Arc<str>,
    /// The alert.
    #[serde(flatten)]
    pub alert: Alert,
}

// serde serialises `Arc<str>` only with its `rc` feature; a name is a plain string anyway.
fn as_str<S: Serializer>(s: &Arc<str>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(s)
}

/// An error of one tenant: which tenant, and what happened. Its message includes the
/// error's, so the error is a field rather than the `source()` (a chain printer would say it
/// twice).
#[derive(Debug, thiserror::Error)]
#[error("tenant {tenant}: {error}")]
pub struct TenantError {
    /// The tenant's name, as given to [`Tenants::add`].
    pub tenant: Arc<str>,
    /// What happened.
    pub error: Error,
}

/// An alert to update and the tenant to update it through ([`Tenants::update_alerts`]).
///
/// ```
/// use partner_alerts::AlertId;
/// use partner_alerts::triage::TenantTarget;
///
/// let t = TenantTarget::new("contoso", AlertId::new("a1")?);
/// assert_eq!((&*t.tenant, t.target.id.as_str()), ("contoso", "a1"));
/// # Ok::<(), partner_alerts::InvalidInput>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantTarget {
    /// The tenant's name, as given to [`Tenants::add`].
    pub tenant: Arc<str>,
    /// The alert, with its subscription when known.
    pub target: UpdateTarget,
}

impl TenantTarget {
    /// The alert `target` of the tenant `tenant`.
    pub fn new(tenant: impl Into<Arc<str>>, target: impl Into<UpdateTarget>) -> Self {
        TenantTarget {
            tenant: tenant.into(),
            target: target.into(),
        }
    }
}

impl From<&TenantAlert> for TenantTarget {
    fn from(a: &TenantAlert) -> Self {
        TenantTarget {
            tenant: a.tenant.clone(),
            target: UpdateTarget::from(&a.alert),
        }
    }
}
