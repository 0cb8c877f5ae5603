//! The [`AlertSource`] trait both clients implement, and the update types it speaks.

use std::sync::Arc;

use crate::error::{Error, InvalidInput, Result};
use crate::pager::{Continuation, Pager};
use crate::query::{AlertQuery, Field};
use crate::{Alert, AlertId, AlertStatus, ResolvedReason, SubscriptionId};

/// One alert's outcome in [`AlertSource::get_many`]: the alert, or its error (shared by the
/// alerts of one failed request).
pub type ReadResult = std::result::Result<Alert, Arc<Error>>;

/// A status change for an alert.
///
/// Built only through its constructors, so "resolved without a reason" cannot be written:
///
/// ```
/// use partner_alerts::{AlertStatus, ResolvedReason, StatusUpdate};
///
/// let u = StatusUpdate::resolved(ResolvedReason::Legitimate);
/// assert_eq!(u.status(), &AlertStatus::Resolved);
/// assert_eq!(u.reason(), Some(&ResolvedReason::Legitimate));
/// assert_eq!(StatusUpdate::investigating().reason(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUpdate {
    status: AlertStatus,
    reason: Option<ResolvedReason>,
}

impl StatusUpdate {
    /// Resolve, with the reason the dashboard asks for (Legitimate, Fraud, Ignore).
    pub fn resolved(reason: ResolvedReason) -> Self {
        StatusUpdate {
            status: AlertStatus::Resolved,
            reason: Some(reason),
        }
    }

    /// Mark as being investigated.
    pub fn investigating() -> Self {
        StatusUpdate {
            status: AlertStatus::Investigating,
            reason: None,
        }
    }

    /// Reopen (set back to active). Whether the service allows it from every status is not
    /// documented; its answer is passed through.
    pub fn reactivate() -> Self {
        StatusUpdate {
            status: AlertStatus::Active,
            reason: None,
        }
    }

    /// The new status.
    pub fn status(&self) -> &AlertStatus {
        &self.status
    }

    /// The reason, set only when resolving.
    pub fn reason(&self) -> Option<&ResolvedReason> {
        self.reason.as_ref()
    }

    /// Rejects Graph's `unknownFutureValue` placeholder, which is never a value to send.
    pub(crate) fn validate(&self) -> Result<(), InvalidInput> {
        if self.reason == Some(ResolvedReason::UnknownFutureValue) {
            return Err(InvalidInput::new(
                "resolved reason",
                "unknownFutureValue is a placeholder the service sends, not a reason to set",
            ));
        }
        if self
            .reason
            .as_ref()
            .is_some_and(|r| r.as_str().trim().is_empty())
        {
            return Err(InvalidInput::new("resolved reason", "must not be empty"));
        }
        Ok(())
    }
}

/// Which API a source talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// Microsoft Graph partner security alerts.
    Graph,
    /// The legacy Partner Center FraudEvents API.
    FraudEvents,
}

/// An alert to update, with its subscription when known (Partner Center updates events per
/// subscription, so it needs it; Graph does not). Built from an [`Alert`], an [`AlertId`] or
/// [`UpdateTarget::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateTarget {
    /// The alert's id.
    pub id: AlertId,
    /// The alert's subscription, if known.
    pub subscription_id: Option<SubscriptionId>,
}

impl UpdateTarget {
    /// The alert `id`, in `subscription_id` when known.
    pub fn new(id: AlertId, subscription_id: Option<SubscriptionId>) -> Self {
        UpdateTarget {
            id,
            subscription_id,
        }
    }
}

impl From<AlertId> for UpdateTarget {
    fn from(id: AlertId) -> Self {
        UpdateTarget {
            id,
            subscription_id: None,
        }
    }
}

impl From<&AlertId> for UpdateTarget {
    fn from(id: &AlertId) -> Self {
        UpdateTarget::from(id.clone())
    }
}

impl From<&Alert> for UpdateTarget {
    fn from(a: &Alert) -> Self {
        UpdateTarget {
            id: a.id.clone(),
            subscription_id: a.subscription_id.clone(),
        }
    }
}

/// What happened to each alert of an update: nothing is lost, nothing half-applied silently.
///
/// Every alert asked for is in exactly one list (an alert named twice, twice):
///
/// | List | Means | What to do |
/// |---|---|---|
/// | `succeeded` | the service said it changed | nothing |
/// | `skipped` | already in the target state when read ([`bulk::Plan`](crate::bulk::Plan)): nothing sent | nothing |
/// | `failed` | the service refused it, or it was never sent | read the error; the alert is as it was |
/// | `unconfirmed` | sent, but the answer was lost (a timeout, a reset, a 5xx) or did not include it | read the alert again before acting on it |
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct UpdateReport {
    /// The alerts updated, with the alert as the service returned it when it did.
    pub succeeded: Vec<(AlertId, Option<Alert>)>,
    /// The alerts already in the target state, to which nothing was sent (only a
    /// [`bulk::Plan`](crate::bulk::Plan) skips).
    pub skipped: Vec<AlertId>,
    /// The alerts not updated, each with its error (shared by the alerts of one failed
    /// request).
    pub failed: Vec<(AlertId, Arc<Error>)>,
    /// The alerts whose update may or may not have been applied, each with what left it
    /// unknown.
    pub unconfirmed: Vec<(AlertId, Arc<Error>)>,
}

impl UpdateReport {
    /// Whether every alert was updated, as far as the service said.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty() && self.unconfirmed.is_empty()
    }

    /// The ids updated.
    pub fn succeeded_ids(&self) -> impl Iterator<Item = &AlertId> {
        self.succeeded.iter().map(|(id, _)| id)
    }

    /// The ids left as they were because they already were in the target state.
    pub fn skipped_ids(&self) -> impl Iterator<Item = &AlertId> {
        self.skipped.iter()
    }

    /// How many alerts the report accounts for, in all four lists.
    pub fn len(&self) -> usize {
        self.succeeded.len() + self.skipped.len() + self.failed.len() + self.unconfirmed.len()
    }

    /// Whether the report accounts for no alert at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids not updated.
    pub fn failed_ids(&self) -> impl Iterator<Item = &AlertId> {
        self.failed.iter().map(|(id, _)| id)
    }

    /// The ids whose outcome is unknown: read them again.
    pub fn unconfirmed_ids(&self) -> impl Iterator<Item = &AlertId> {
        self.unconfirmed.iter().map(|(id, _)| id)
    }

    /// Adds `other`'s alerts to this report's lists (the reports of several updates as one).
    pub(crate) fn merge(&mut self, other: UpdateReport) {
        self.succeeded.extend(other.succeeded);
        self.skipped.extend(other.skipped);
        self.failed.extend(other.failed);
        self.unconfirmed.extend(other.unconfirmed);
    }

    /// Records `ids` as failed, or as unconfirmed when `error` leaves the outcome unknown.
    pub(crate) fn add_failure(&mut self, ids: impl IntoIterator<Item = AlertId>, error: Error) {
        let unknown = error.is_outcome_unknown();
        let error = Arc::new(error);
        let list = if unknown {
            &mut self.unconfirmed
        } else {
            &mut self.failed
        };
        list.extend(ids.into_iter().map(|id| (id, error.clone())));
    }
}

/// What a source can do itself, so code written against [`AlertSource`] can ask instead of
/// failing.
///
/// ```
/// use partner_alerts::{AlertSource, Field, ResolvedReason};
///
/// fn plan(source: &dyn AlertSource) {
///     let caps = source.capabilities();
///     if !caps.accepts_reason(&ResolvedReason::Legitimate) {
///         eprintln!("{:?} cannot resolve as Legitimate", source.kind());
///     }
///     if !caps.server_filter_fields.contains(&Field::Severity) {
///         eprintln!("severity is filtered after transfer");
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Whether the service evaluates a whole filter expression (`$filter`). When false, it
    /// evaluates only `eq` on [`Capabilities::server_filter_fields`] joined by `and`, and the
    /// client evaluates the rest on each alert after transfer (same results, more bytes).
    pub server_filter_expressions: bool,
    /// The fields the service filters on itself.
    pub server_filter_fields: Vec<Field>,
    /// Whether a raw filter text ([`Filter::raw`](crate::Filter::raw)) can be served.
    pub raw_filter: bool,
    /// The reasons an alert can be resolved with.
    pub resolved_reasons: Vec<ResolvedReason>,
    /// Whether the service reads one alert by id (otherwise the client lists to find it).
    pub get_by_id: bool,
    /// Whether the service returns only the selected properties (otherwise the client drops
    /// the others).
    pub select: bool,
    /// Whether the service counts the matching alerts (`$count`).
    pub count: bool,
}

impl Capabilities {
    /// Whether an alert can be resolved with `reason` through this source.
    pub fn accepts_reason(&self, reason: &ResolvedReason) -> bool {
        self.resolved_reasons.contains(reason)
    }
}

/// A source of alerts: the Graph client and the FraudEvents client both implement it, so code
/// written against `&dyn AlertSource` runs on either (and migrating is a one-line change).
///
/// Object safe; implement it for a test double of your own.
///
/// ```
/// use partner_alerts::{AlertQuery, AlertSource, AlertStatus, Filter};
///
/// async fn count_active(source: &dyn AlertSource) -> partner_alerts::Result<usize> {
///     let query = AlertQuery::new().filter(Filter::status().eq(AlertStatus::Active));
///     Ok(source.list(&query).try_collect().await?.len())
/// }
/// ```
#[async_trait::async_trait]
pub trait AlertSource: Send + Sync + std::fmt::Debug {
    /// Which API this is.
    fn kind(&self) -> SourceKind;

    /// What the source can do itself.
    fn capabilities(&self) -> Capabilities;

    /// Lists the alerts matching `query`, lazily. A query the source cannot serve is an
    /// [`Error::Unsupported`] on the first poll, before anything is sent.
    fn list(&self, query: &AlertQuery) -> Pager;

    /// Continues a listing from a [`Continuation`] saved earlier ([`Pager::continuation`],
    /// [`Page::next`](crate::Page::next)); it records its API and query. A continuation of
    /// another API is an [`Error::InvalidInput`] on the first poll, with nothing sent.
    ///
    /// The default, for sources that cannot resume (a test double), is that error for every
    /// continuation.
    fn resume(&self, at: Continuation) -> Pager {
        let _ = at;
        Pager::failed(
            InvalidInput::new("continuation", "this source cannot resume a listing").into(),
        )
    }

    /// Counts the alerts matching `query`'s filter. The default lists them and counts (what
    /// the FraudEvents client does: Partner Center has no count); Graph asks the service.
    async fn count(&self, query: &AlertQuery) -> Result<u64> {
        let mut pager = self.list(query);
        let mut n = 0u64;
        while pager.try_next().await?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// Reads one alert.
    async fn get(&self, id: &AlertId) -> Result<Alert>;

    /// Reads the `fields` of one alert (`id` always comes); all of them when `fields` is
    /// empty. Graph selects on the service; the default reads the whole alert and drops the
    /// other fields.
    async fn get_selected(&self, id: &AlertId, fields: &[Field]) -> Result<Alert> {
        let mut alert = self.get(id).await?;
        crate::query::apply_select(&mut alert, fields);
        Ok(alert)
    }

    /// Reads several alerts (only `fields` and `id`; all properties when `fields` is empty),
    /// each with its own outcome: an alert not found or unreadable costs only itself. Every
    /// id is in the result once, in no particular order.
    ///
    /// Graph reads 20 to a `$batch` request, several batches at a time; FraudEvents lists
    /// each subscription named in the ids once; the default reads the alerts one by one,
    /// eight at a time.
    async fn get_many(&self, ids: &[AlertId], fields: &[Field]) -> Vec<(AlertId, ReadResult)> {
        use futures::StreamExt;
        futures::stream::iter(ids.iter().cloned())
            .map(|id| async move {
                let r = self.get_selected(&id, fields).await.map_err(Arc::new);
                (id, r)
            })
            .buffer_unordered(8)
            .collect()
            .await
    }

    /// Sets the status of each target, reporting per alert. Fails as a whole only when
    /// nothing was attempted (invalid input).
    async fn update_alerts(
        &self,
        targets: &[UpdateTarget],
        update: &StatusUpdate,
    ) -> Result<UpdateReport>;
}
