//! Paging as streams: [`Pager`] yields alerts across pages, [`PageStream`] whole pages.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{FusedStream, Stream};
use futures::{FutureExt, StreamExt, TryStreamExt};
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::error::{Api, DecodeError, Error, InvalidResponse, RequestIds, Result};
use crate::http::Response;
use crate::model::{Alert, AlertId};
use crate::query::AlertQuery;

/// Where a listing stands: the next page to request, which API it is for and (for Partner
/// Center, whose pages carry no link that remembers it) the query. Serialisable, so a
/// listing can be resumed after a restart with [`AlertSource::resume`](crate::AlertSource::resume);
/// a continuation of one API is refused by the other's client before anything is sent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Continuation {
    api: Api,
    #[serde(flatten)]
    pub(crate) cursor: Cursor,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query: Option<Box<AlertQuery>>,
}

impl Continuation {
    /// A Graph page to request.
    pub(crate) fn graph(url: String) -> Self {
        Continuation {
            api: Api::Graph,
            cursor: Cursor::Url(url),
            query: None,
        }
    }

    /// A Partner Center page of `query`.
    pub(crate) fn partner_center(cursor: Cursor, query: &AlertQuery) -> Self {
        Continuation {
            api: Api::PartnerCenter,
            cursor,
            query: Some(Box::new(query.clone())),
        }
    }

    /// Which API it continues a listing of.
    pub fn api(&self) -> Api {
        self.api
    }

    /// The query of a Partner Center listing.
    #[cfg(feature = "fraud-events")]
    pub(crate) fn query(&self) -> Option<&AlertQuery> {
        self.query.as_deref()
    }
}

impl std::hash::Hash for Continuation {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The query is the same for every page of a listing.
        self.api.hash(state);
        self.cursor.hash(state);
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Cursor {
    /// Graph: the absolute URL to request (`@odata.nextLink`, or the first page's).
    Url(String),
    /// Partner Center: a 1-based page number and page size, in a pass over the list (a
    /// listing reads the list again until a pass finds nothing new; see `fraud_events`).
    PageNumber {
        number: u32,
        size: u32,
        #[serde(default)]
        pass: u32,
    },
    /// Partner Center without paging: the one array.
    Whole,
}

/// One page of a listing.
#[derive(Clone, Debug)]
pub struct Page {
    pub(crate) items: Vec<Alert>,
    pub(crate) count: Option<u64>,
    pub(crate) ids: RequestIds,
    pub(crate) next: Option<Continuation>,
    /// The first alert as served, before any client-side filter: how a repeated page is
    /// recognised.
    pub(crate) first_served: Option<AlertId>,
    /// Whether a next page that repeats this one means the server ignores paging and the
    /// listing is complete (this page was over-full, or short of the size asked for).
    pub(crate) repeat_ends: bool,
    /// The items that cannot be alerts, each with how many of `items` come before it.
    pub(crate) rejected: Vec<(usize, DecodeError)>,
}

impl Page {
    /// A page of `items`, served by the request `ids`, with no count and no next page: for
    /// test doubles and sources of your own (see [`Pager::from_pages`]).
    pub fn new(items: Vec<Alert>, ids: RequestIds) -> Self {
        Page {
            first_served: items.first().map(|a| a.id.clone()),
            items,
            count: None,
            ids,
            next: None,
            repeat_ends: false,
            rejected: Vec::new(),
        }
    }

    /// The same page with the total the service reported.
    pub fn with_count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    /// The alerts of this page, in the order served.
    pub fn items(&self) -> &[Alert] {
        &self.items
    }

    /// Takes the alerts.
    pub fn into_items(self) -> Vec<Alert> {
        self.items
    }

    #[cfg(feature = "fraud-events")]
    pub(crate) fn into_items_with_ids(self) -> (Vec<Alert>, RequestIds) {
        (self.items, self.ids)
    }

    /// The items of this page that cannot be alerts (not an object, no usable id), in the
    /// order served: each says why and where ([`DecodeError::item_index`]). A [`Pager`]
    /// yields them as errors in their place and goes on.
    pub fn rejected(&self) -> impl Iterator<Item = &DecodeError> {
        self.rejected.iter().map(|(_, e)| e)
    }

    /// The total the service reported (`@odata.count`, when the query asked for it).
    pub fn count(&self) -> Option<u64> {
        self.count
    }

    /// The ids of the request that served this page.
    pub fn request_ids(&self) -> &RequestIds {
        &self.ids
    }

    /// The next page, if there is one.
    pub fn next(&self) -> Option<&Continuation> {
        self.next.as_ref()
    }
}

/// Fetches one page; implemented by each client.
///
/// Fetching (I/O) runs on the runtime, ahead of the consumer; decoding (CPU) runs where the
/// stream is polled. So the next page's transfer overlaps this page's decoding, and alerts
/// are allocated on the thread that drops them (freeing across threads made the allocator
/// the bottleneck).
pub(crate) trait PageFetcher: Send + Sync + 'static {
    /// Fetches the page at `at`. A fetcher that can tell the next page before decoding
    /// (Graph's `nextLink`) sends it through `early_next`, so that the next fetch starts at
    /// once; the decoded page's own `next` stays authoritative.
    fn fetch(
        &self,
        at: Continuation,
        early_next: Option<oneshot::Sender<Continuation>>,
    ) -> BoxFuture<'static, Result<Response>>;

    /// Decodes a fetched page, its alerts into `items` (empty; usually with room for a page,
    /// see `Cursorial::spare`).
    fn decode(&self, at: &Continuation, response: Response, items: Vec<Alert>) -> Result<Page>;
}

/// Decodes a JSON array one element at a time into a closure, so that a page's alerts go
/// straight into the buffer reserved for them.
pub(crate) struct EachElement<T, F>(F, PhantomData<fn() -> T>);

impl<T, F> EachElement<T, F> {
    pub(crate) fn new(f: F) -> Self {
        EachElement(f, PhantomData)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> DeserializeSeed<'de> for EachElement<T, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> std::result::Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> Visitor<'de> for EachElement<T, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(item) = seq.next_element()? {
            (self.0)(item);
        }
        Ok(())
    }
}

enum Work {
    Local(BoxFuture<'static, Result<Response>>),
    Spawned(tokio::task::JoinHandle<Result<Response>>),
}

impl Drop for Work {
    fn drop(&mut self) {
        if let Work::Spawned(h) = self {
            h.abort();
        }
    }
}

/// One page being fetched.
struct Flight {
    at: Continuation,
    work: Work,
    early_next: Option<oneshot::Receiver<Continuation>>,
}

impl Flight {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Response>> {
        match &mut self.work {
            Work::Local(f) => f.poll_unpin(cx),
            Work::Spawned(h) => h.poll_unpin(cx).map(|r| match r {
                Ok(r) => r,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                    format!("the page fetch was cancelled: {e}"),
                    None,
                )))),
            }),
        }
    }

    /// The next page's continuation, once the fetcher has told it.
    fn poll_early_next(&mut self, cx: &mut Context<'_>) -> Option<Continuation> {
        let rx = self.early_next.as_mut()?;
        match rx.poll_unpin(cx) {
            Poll::Ready(Ok(next)) => {
                self.early_next = None;
                Some(next)
            }
            Poll::Ready(Err(_)) => {
                self.early_next = None;
                None
            }
            Poll::Pending => None,
        }
    }
}

/// Empty pages in a row, each with a link to another, after which a listing stops: services
/// do send empty pages mid-listing, never this many.
const MAX_EMPTY_PAGES: u32 = 100;

/// The pages of a listing seen so far, as 64-bit hashes (a false repeat is a 1-in-2^64 chance
/// per pair, against 100 bytes or more kept per page).
struct Seen {
    hashes: HashSet<u64>,
    hasher: std::hash::RandomState,
}

impl Seen {
    fn new(start: &Continuation) -> Self {
        let mut seen = Seen {
            hashes: HashSet::new(),
            hasher: std::hash::RandomState::new(),
        };
        seen.insert(start);
        seen
    }

    fn contains(&self, at: &Continuation) -> bool {
        self.hashes.contains(&self.hasher.hash_one(at))
    }

    /// Records `at`; false if it was seen before.
    fn insert(&mut self, at: &Continuation) -> bool {
        self.hashes.insert(self.hasher.hash_one(at))
    }
}

/// The page-level state both stream views share.
///
/// With read-ahead on, at most two pages are alive: the one the consumer is reading (or
/// awaiting), and the next one, whose fetch starts once the consumer awaits the current one
/// and its continuation is known.
struct Cursorial {
    fetcher: Arc<dyn PageFetcher>,
    /// Pages from a stream of the caller's ([`Pager::from_pages`]), served as they come:
    /// nothing to fetch, no continuation.
    external: Option<futures::stream::BoxStream<'static, Result<Page>>>,
    /// The next page to fetch, when no flight holds it.
    next: Option<Continuation>,
    /// The page the consumer awaits.
    current: Option<Flight>,
    /// The page after it, started early.
    ahead: Option<Flight>,
    /// Every page requested or named by a decoded page, to catch a paging loop: 8 bytes a
    /// page rather than its link.
    seen: Seen,
    /// The first alert served on the last page, to catch a server that repeats a page.
    last_first: Option<AlertId>,
    /// Whether a repeat of the last page ends the listing.
    last_repeat_ends: bool,
    /// Empty pages served in a row: a server linking to fresh empty pages forever is stopped.
    empty_run: u32,
    pending_error: Option<Error>,
    /// The buffer the next page decodes into. Its room is reserved before the consumer
    /// frees the last page's alerts (the Pager hands back its drained buffer): a large
    /// allocation after those frees would make glibc consolidate them, and the next page's
    /// small allocations would lose their fast path.
    spare: Vec<Alert>,
    prefetch: bool,
    done: bool,
    resumable: bool,
}

impl Cursorial {
    fn new(fetcher: Arc<dyn PageFetcher>, start: Continuation, prefetch: bool) -> Self {
        Cursorial {
            fetcher,
            external: None,
            seen: Seen::new(&start),
            next: Some(start),
            current: None,
            ahead: None,
            last_first: None,
            last_repeat_ends: false,
            empty_run: 0,
            pending_error: None,
            spare: Vec::new(),
            prefetch,
            done: false,
            resumable: true,
        }
    }

    fn launch(&self, at: Continuation, spawn: bool) -> Flight {
        let (tx, rx) = if self.prefetch {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let work = match tokio::runtime::Handle::try_current() {
            Ok(rt) if spawn => {
                // The (large) fetch future is built by the spawned task, not here on the
                // consumer's thread, where a large allocation would make the allocator
                // consolidate the alerts just freed.
                let (fetcher, at) = (self.fetcher.clone(), at.clone());
                Work::Spawned(rt.spawn(async move { fetcher.fetch(at, tx).await }))
            }
            _ => Work::Local(self.fetcher.fetch(at.clone(), tx)),
        };
        Flight {
            at,
            work,
            early_next: rx,
        }
    }

    /// Where the listing would resume: the page being fetched, or the next one.
    fn position(&self) -> Option<&Continuation> {
        if self.external.is_some() {
            return None;
        }
        self.current
            .as_ref()
            .map(|f| &f.at)
            .or(self.ahead.as_ref().map(|f| &f.at))
            .or(self.next.as_ref())
    }

    fn fail(&mut self, e: Error) -> Poll<Option<Result<(Continuation, Page)>>> {
        self.done = true;
        self.ahead = None;
        Poll::Ready(Some(Err(e)))
    }

    /// Starts the read-ahead once the current fetch has told the next page, unless that page
    /// was already requested (the decoded page will say whether it loops).
    fn start_ahead(&mut self, cx: &mut Context<'_>) {
        if !self.prefetch || self.ahead.is_some() {
            return;
        }
        let Some(flight) = self.current.as_mut() else {
            return;
        };
        if let Some(next) = flight.poll_early_next(cx)
            && !self.seen.contains(&next)
        {
            self.ahead = Some(self.launch(next, true));
        }
    }

    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<(Continuation, Page)>>> {
        if let Some(e) = self.pending_error.take() {
            return self.fail(e);
        }
        if self.done {
            return Poll::Ready(None);
        }
        if let Some(pages) = self.external.as_mut() {
            return match futures::ready!(pages.poll_next_unpin(cx)) {
                Some(page) => Poll::Ready(Some(page.map(|p| {
                    (
                        Continuation::partner_center(Cursor::Whole, &AlertQuery::new()),
                        p,
                    )
                }))),
                None => {
                    self.done = true;
                    Poll::Ready(None)
                }
            };
        }
        if self.current.is_none() {
            self.current = match (self.ahead.take(), self.next.take()) {
                (Some(ahead), _) => Some(ahead),
                (None, Some(at)) => Some(self.launch(at, false)),
                (None, None) => {
                    self.done = true;
                    return Poll::Ready(None);
                }
            };
        }
        self.start_ahead(cx);
        let result = futures::ready!(self.current.as_mut().expect("set above").poll(cx));
        // The guess may have come in the poll that finished the fetch: start the next
        // transfer before this page is decoded.
        self.start_ahead(cx);
        let at = self.current.take().expect("polled above").at;
        let spare = std::mem::take(&mut self.spare);
        let page = match result.and_then(|r| self.fetcher.decode(&at, r, spare)) {
            Ok(p) => p,
            Err(e) => {
                // Keep the failed page's position so the listing can be resumed.
                if self.resumable {
                    self.next = Some(at);
                }
                return self.fail(e);
            }
        };
        // The decoded page decides: drop a read-ahead that guessed another page.
        if self.ahead.as_ref().map(|f| &f.at) != page.next.as_ref() {
            self.ahead = None;
        }
        if let Some(next) = &page.next
            && !self.seen.insert(next)
        {
            self.ahead = None;
            self.pending_error = Some(paging_loop(&page));
        }
        // A page that starts where the last one did is a repeat: none of it is yielded. (A
        // first page starts a new pass over the list; it repeats nothing.)
        let first = page.first_served.clone();
        let restart = matches!(at.cursor, Cursor::PageNumber { number: 1, .. });
        if first.is_some() && first == self.last_first && !restart {
            self.next = None;
            if self.last_repeat_ends {
                // The server sent everything at once and ignores paging: that was all.
                self.done = true;
                self.ahead = None;
                self.pending_error = None;
                return Poll::Ready(None);
            }
            return self.fail(paging_loop(&page));
        }
        self.last_repeat_ends = page.repeat_ends;
        if first.is_none() && page.next.is_some() {
            self.empty_run += 1;
            if self.empty_run >= MAX_EMPTY_PAGES {
                self.next = None;
                return self.fail(Error::InvalidResponse(Box::new(InvalidResponse::new(
                    format!("the service sent {MAX_EMPTY_PAGES} empty pages in a row, each linking to another; stopping"),
                    Some(page.ids.clone()),
                ))));
            }
        } else {
            self.empty_run = 0;
        }
        self.last_first = first;
        if self.pending_error.is_none() {
            if self.ahead.is_none() {
                self.next = page.next.clone();
                // A fetcher that cannot tell the next page early: read ahead from here.
                if self.prefetch
                    && let Some(next) = self.next.take()
                {
                    self.ahead = Some(self.launch(next, true));
                }
            }
        } else {
            self.next = None;
        }
        Poll::Ready(Some(Ok((at, page))))
    }
}

fn paging_loop(page: &Page) -> Error {
    Error::InvalidResponse(Box::new(InvalidResponse::new(
        "the service sent a page it had already sent (a paging loop); stopping",
        Some(page.ids.clone()),
    )))
}

/// A lazy stream of the alerts of a listing, across pages.
///
/// Nothing is sent until it is first polled. It follows the service's paging to the end
/// (Graph's `@odata.nextLink`, Partner Center's page numbers), continues past empty pages,
/// and stops with an error on a paging loop. By default the next page is fetched while the
/// current one is consumed (one page ahead at most, so memory stays at about two pages).
///
/// # Nothing lost on odd values
///
/// Each page is decoded strictly in one pass (the fast path); only when that fails is it
/// decoded again item by item, so a value the service sends never costs more than itself:
///
/// | The service sends | The stream yields |
/// |---|---|
/// | a well-formed alert | the alert, [`Alert::unparsed`] empty |
/// | an alert with a value its field cannot hold (`"detectedDateTime": "23/01/2024 16:03"`, `"isTest": "yes"`, `"severity": 42`, `"affectedResources": "see portal"`, an id with a `/` in `subscriptionId`, activity logs that are not JSON) | the alert, that field `None`, the value kept in [`Alert::unparsed`] under its name; a `tracing` warning names the field and the alert id, never the value |
/// | `""` or `null` for an optional value | the alert, that field `None` (Graph's and Partner Center's "none") |
/// | an item that is not an object, or has no usable id (missing, not a string, empty, holding `/`, whitespace or a control character) | an `Err` in its place, [`Error::is_item_error`] true, with the page's request ids and the item's index ([`DecodeError::item_index`]); polling again goes on with the next item and the next page |
/// | a page that is not JSON, or whose `value` is missing or not an array, or a link or count of the wrong type | an `Err` ([`Error::Decode`] with the byte offset and JSON path), and the stream ends; [`Pager::continuation`] resumes at that page |
///
/// It is a [`futures::Stream`]; [`Pager::try_next`] and [`Pager::try_collect`] need no trait
/// import. It is `'static` and `Send`, so it can be moved into a spawned task.
///
/// Pages are fetched on the tokio runtime but decoded in the task that polls the pager
/// (about 1 ms for 500 alerts on a modest core), so that alerts are allocated where they are
/// dropped and the next transfer overlaps the decoding. A listing of very large pages (a
/// FraudEvents listing without paging) is best consumed in a task of its own rather than
/// inside a `select!` with latency-sensitive branches.
///
/// ```no_run
/// # async fn run(client: partner_alerts::GraphClient) -> partner_alerts::Result<()> {
/// use partner_alerts::AlertQuery;
///
/// let mut alerts = client.list(&AlertQuery::new());
/// while let Some(alert) = alerts.try_next().await? {
///     println!("{} {:?}", alert.id, alert.status);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a Pager sends nothing until polled"]
pub struct Pager {
    cursor: Cursorial,
    items: VecDeque<Alert>,
    /// The page's items that cannot be alerts, each with how many of its alerts come first.
    rejected: VecDeque<(usize, DecodeError)>,
    /// How many alerts of the page being read were yielded.
    taken: usize,
    /// Where the page being read started, and its request's ids.
    current: Option<(Continuation, RequestIds)>,
}

impl fmt::Debug for Pager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pager")
            .field("buffered", &self.items.len())
            .field("next", &self.cursor.next)
            .field("done", &self.cursor.done)
            .finish_non_exhaustive()
    }
}

impl Pager {
    pub(crate) fn new(fetcher: Arc<dyn PageFetcher>, start: Continuation, prefetch: bool) -> Self {
        Pager {
            cursor: Cursorial::new(fetcher, start, prefetch),
            items: VecDeque::new(),
            rejected: VecDeque::new(),
            taken: 0,
            current: None,
        }
    }

    /// A pager over pages of your own: for a test double of
    /// [`AlertSource`](crate::AlertSource), or a source this crate does not know. It yields
    /// each page's alerts in order, an `Err` as it comes (and goes on if the stream does);
    /// [`Pager::pages`] gives the pages as they are. It has no continuation.
    ///
    /// ```
    /// use partner_alerts::{Alert, AlertId, Page, Pager, RequestIds};
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> partner_alerts::Result<()> {
    /// let page = |ids: &[&str]| {
    ///     let alerts = ids.iter().map(|id| Alert::new(AlertId::new(*id).unwrap())).collect();
    ///     Ok(Page::new(alerts, RequestIds::new(uuid::Uuid::nil())))
    /// };
    /// let pager = Pager::from_pages(futures::stream::iter([page(&["a", "b"]), page(&["c"])]));
    /// assert_eq!(pager.try_collect().await?.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn from_pages(pages: impl futures::Stream<Item = Result<Page>> + Send + 'static) -> Self {
        let mut pager = Pager::failed(Error::InvalidResponse(Box::new(InvalidResponse::new(
            "no page to fetch",
            None,
        ))));
        pager.cursor.external = Some(Box::pin(pages));
        pager
    }

    /// A pager over alerts of your own, one page each (see [`Pager::from_pages`]).
    pub fn from_stream(
        alerts: impl futures::Stream<Item = Result<Alert>> + Send + 'static,
    ) -> Self {
        Pager::from_pages(
            alerts.map(|a| a.map(|a| Page::new(vec![a], RequestIds::new(uuid::Uuid::nil())))),
        )
    }

    /// A pager that yields `error` on its first poll, having sent nothing (a query the
    /// source cannot plan).
    pub(crate) fn failed(error: Error) -> Self {
        struct Failed(std::sync::Mutex<Option<Error>>);
        impl PageFetcher for Failed {
            fn fetch(
                &self,
                _: Continuation,
                _: Option<oneshot::Sender<Continuation>>,
            ) -> BoxFuture<'static, Result<Response>> {
                let e = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
                Box::pin(async move {
                    Err(e.unwrap_or_else(|| {
                        Error::InvalidResponse(Box::new(InvalidResponse::new(
                            "the listing failed",
                            None,
                        )))
                    }))
                })
            }

            fn decode(&self, _: &Continuation, _: Response, _: Vec<Alert>) -> Result<Page> {
                Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                    "the listing failed",
                    None,
                ))))
            }
        }
        let mut pager = Pager::new(
            Arc::new(Failed(std::sync::Mutex::new(Some(error)))),
            Continuation::partner_center(Cursor::Whole, &AlertQuery::new()),
            false,
        );
        pager.cursor.resumable = false;
        pager
    }

    /// Turns read-ahead on or off (on by default).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.cursor.prefetch = on;
        self
    }

    /// The next alert, or `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<Alert>> {
        TryStreamExt::try_next(self).await
    }

    /// Every remaining alert.
    pub async fn try_collect(self) -> Result<Vec<Alert>> {
        TryStreamExt::try_collect(self).await
    }

    /// The page view of the same listing: each item a whole [`Page`], with `@odata.count`
    /// and the request ids. If alerts of a page were already read from this pager, the rest
    /// of that page comes first, as a page of its own.
    pub fn pages(self) -> PageStream {
        let taken = self.taken;
        let leftover = match self.current {
            Some((_, ids)) if !self.items.is_empty() || !self.rejected.is_empty() => Some(Page {
                items: self.items.into(),
                count: None,
                ids,
                next: self.cursor.position().cloned(),
                first_served: None,
                repeat_ends: false,
                rejected: self
                    .rejected
                    .into_iter()
                    .map(|(at, e)| (at.saturating_sub(taken), e))
                    .collect(),
            }),
            _ => None,
        };
        PageStream {
            cursor: self.cursor,
            leftover,
        }
    }

    /// Where to resume this listing: the start of the page being read (its alerts already
    /// yielded will come again), or the next page once it is read to its end. `None` when the
    /// listing is complete.
    pub fn continuation(&self) -> Option<&Continuation> {
        if self.cursor.external.is_some() {
            return None;
        }
        match &self.current {
            Some((at, _)) if !self.items.is_empty() || !self.rejected.is_empty() => Some(at),
            _ => self.cursor.position(),
        }
    }
}

impl Stream for Pager {
    type Item = Result<Alert>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self
                .rejected
                .front()
                .is_some_and(|(at, _)| *at <= self.taken)
                && let Some((_, e)) = self.rejected.pop_front()
            {
                return Poll::Ready(Some(Err(Error::Decode(Box::new(e)))));
            }
            if let Some(a) = self.items.pop_front() {
                self.taken += 1;
                return Poll::Ready(Some(Ok(a)));
            }
            if self.cursor.spare.capacity() == 0 {
                self.cursor.spare = std::mem::take(&mut self.items).into();
            }
            match futures::ready!(self.cursor.poll_page(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                Some(Ok((at, page))) => {
                    self.current = Some((at, page.ids));
                    self.items = page.items.into();
                    self.rejected = page.rejected.into();
                    self.taken = 0;
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.items.len(), None)
    }
}

impl FusedStream for Pager {
    fn is_terminated(&self) -> bool {
        self.cursor.done && self.items.is_empty() && self.rejected.is_empty()
    }
}

/// A lazy stream of whole pages; see [`Pager::pages`].
#[must_use = "a PageStream sends nothing until polled"]
pub struct PageStream {
    cursor: Cursorial,
    leftover: Option<Page>,
}

impl fmt::Debug for PageStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageStream")
            .field("next", &self.cursor.next)
            .field("done", &self.cursor.done)
            .finish_non_exhaustive()
    }
}

impl PageStream {
    /// The next page, or `None` at the end.
    pub async fn try_next(&mut self) -> Result<Option<Page>> {
        TryStreamExt::try_next(self).await
    }
}

impl Stream for PageStream {
    type Item = Result<Page>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(page) = self.leftover.take() {
            return Poll::Ready(Some(Ok(page)));
        }
        let page = futures::ready!(self.cursor.poll_page(cx)).map(|r| r.map(|(_, page)| page));
        if let Some(Ok(page)) = &page
            && page.next.is_some()
        {
            // Reserved now, before the caller frees this page (see `Cursorial::spare`).
            self.cursor.spare = Vec::with_capacity(page.items.len());
        }
        Poll::Ready(page)
    }
}

impl FusedStream for PageStream {
    fn is_terminated(&self) -> bool {
        self.cursor.done && self.leftover.is_none()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::error::Api;

    /// Three pages of 3, 3 and 2 alerts; records the room each decode was given.
    #[derive(Default)]
    struct Pages(Mutex<Vec<usize>>);

    impl PageFetcher for Pages {
        fn fetch(
            &self,
            at: Continuation,
            _: Option<oneshot::Sender<Continuation>>,
        ) -> BoxFuture<'static, Result<Response>> {
            let Cursor::PageNumber { number, .. } = at.cursor else {
                unreachable!("the tests start at page 1")
            };
            let ids: Vec<String> = (0..if number < 3 { 3 } else { 2 })
                .map(|i| format!(r#"{{"id":"p{number}a{i}"}}"#))
                .collect();
            let body = format!("[{}]", ids.join(","));
            Box::pin(async move { Ok(Response::with_body(body)) })
        }

        fn decode(&self, at: &Continuation, r: Response, mut items: Vec<Alert>) -> Result<Page> {
            self.0.lock().unwrap().push(items.capacity());
            r.json_seed(Api::Graph, EachElement::new(|a: Alert| items.push(a)))?;
            let Cursor::PageNumber { number, size, .. } = at.cursor else {
                unreachable!()
            };
            Ok(Page {
                first_served: items.first().map(|a| a.id.clone()),
                items,
                count: None,
                ids: RequestIds::new(uuid::Uuid::nil()),
                next: (number < 3).then(|| {
                    Continuation::partner_center(
                        Cursor::PageNumber {
                            number: number + 1,
                            size,
                            pass: 0,
                        },
                        &AlertQuery::new(),
                    )
                }),
                repeat_ends: false,
                rejected: Vec::new(),
            })
        }
    }

    fn start() -> Continuation {
        Continuation::partner_center(
            Cursor::PageNumber {
                number: 1,
                size: 3,
                pass: 0,
            },
            &AlertQuery::new(),
        )
    }

    #[tokio::test]
    async fn the_pager_decodes_each_page_into_the_last_ones_buffer() {
        let pages = Arc::new(Pages::default());
        let alerts = Pager::new(pages.clone(), start(), true)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(alerts.len(), 8);
        let room = pages.0.lock().unwrap().clone();
        assert_eq!(room.len(), 3);
        assert_eq!(room[0], 0, "nothing to reuse before the first page");
        assert!(room[1..].iter().all(|&r| r >= 3), "{room:?}");
    }

    #[tokio::test]
    async fn the_page_stream_reserves_room_for_the_next_page_only() {
        let pages = Arc::new(Pages::default());
        let mut stream = Pager::new(pages.clone(), start(), true).pages();
        let mut sizes = Vec::new();
        while let Some(page) = stream.try_next().await.unwrap() {
            sizes.push(page.items().len());
        }
        assert_eq!(sizes, [3, 3, 2]);
        assert_eq!(*pages.0.lock().unwrap(), [0, 3, 3]);
        assert_eq!(
            stream.cursor.spare.capacity(),
            0,
            "no room kept after the last page"
        );
    }
}
