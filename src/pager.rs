//! Paging as streams: [`Pager`] yields alerts across pages, [`PageStream`] whole pages.

use std::collections::HashSet;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{FusedStream, Stream};
use futures::{FutureExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use crate::error::{Error, InvalidResponse, RequestIds, Result};
use crate::model::Alert;

/// Where a listing stands: the next page to request. Serialisable, so a listing can be
/// resumed after a restart with the client's `resume`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Continuation(pub(crate) Cursor);

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Cursor {
    /// Graph: the absolute URL to request (`@odata.nextLink`, or the first page's).
    Url(String),
    /// Partner Center: a 1-based page number and page size.
    PageNumber { number: u32, size: u32 },
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
}

impl Page {
    /// The alerts of this page, in the order served.
    pub fn items(&self) -> &[Alert] {
        &self.items
    }

    /// Takes the alerts.
    pub fn into_items(self) -> Vec<Alert> {
        self.items
    }

    pub(crate) fn into_items_with_ids(self) -> (Vec<Alert>, RequestIds) {
        (self.items, self.ids)
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
pub(crate) trait PageFetcher: Send + Sync + 'static {
    fn fetch(&self, at: Continuation) -> BoxFuture<'static, Result<Page>>;
}

enum InFlight {
    Local(BoxFuture<'static, Result<Page>>),
    Spawned(tokio::task::JoinHandle<Result<Page>>),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let InFlight::Spawned(h) = self {
            h.abort();
        }
    }
}

/// The page-level state both stream views share.
struct Cursorial {
    fetcher: Arc<dyn PageFetcher>,
    next: Option<Continuation>,
    inflight: Option<(Continuation, InFlight)>,
    seen: HashSet<u64>,
    prefetch: bool,
    done: bool,
    resumable: bool,
}

impl Cursorial {
    fn new(fetcher: Arc<dyn PageFetcher>, start: Continuation, prefetch: bool) -> Self {
        Cursorial {
            fetcher,
            next: Some(start),
            inflight: None,
            seen: HashSet::new(),
            prefetch,
            done: false,
            resumable: true,
        }
    }

    fn start(&mut self, spawn: bool) {
        if self.inflight.is_some() {
            return;
        }
        let Some(at) = self.next.take() else { return };
        let fut = self.fetcher.fetch(at.clone());
        let flight = match tokio::runtime::Handle::try_current() {
            Ok(rt) if spawn => InFlight::Spawned(rt.spawn(fut)),
            _ => InFlight::Local(fut),
        };
        self.inflight = Some((at, flight));
    }

    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<(Continuation, Page)>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.inflight.is_none() {
            if self.next.is_none() {
                self.done = true;
                return Poll::Ready(None);
            }
            self.start(false);
        }
        let (_, flight) = self.inflight.as_mut().expect("a fetch was just started");
        let result = match flight {
            InFlight::Local(f) => futures::ready!(f.poll_unpin(cx)),
            InFlight::Spawned(h) => match futures::ready!(h.poll_unpin(cx)) {
                Ok(r) => r,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                    format!("the page fetch was cancelled: {e}"),
                    None,
                )))),
            },
        };
        let (at, _) = self.inflight.take().expect("polled a fetch in flight");
        let page = match result {
            Ok(p) => p,
            Err(e) => {
                self.done = true;
                // Keep the failed page's position so the listing can be resumed.
                if self.resumable {
                    self.next = Some(at);
                }
                return Poll::Ready(Some(Err(e)));
            }
        };
        if let Some(next) = &page.next {
            let mut h = DefaultHasher::new();
            next.hash(&mut h);
            if !self.seen.insert(h.finish()) {
                self.done = true;
                return Poll::Ready(Some(Err(Error::InvalidResponse(Box::new(
                    InvalidResponse::new(
                        "the service sent the same next page twice (a paging loop); stopping",
                        Some(page.ids.clone()),
                    ),
                )))));
            }
        }
        self.next = page.next.clone();
        if self.prefetch {
            self.start(true);
        }
        Poll::Ready(Some(Ok((at, page))))
    }
}

/// A lazy stream of the alerts of a listing, across pages.
///
/// Nothing is sent until it is first polled. It follows the service's paging to the end
/// (Graph's `@odata.nextLink`, Partner Center's page numbers), continues past empty pages,
/// and stops with an error on a paging loop. By default the next page is fetched while the
/// current one is consumed (one page ahead at most, so memory stays at about two pages).
///
/// It is a [`futures::Stream`]; [`Pager::try_next`] and [`Pager::try_collect`] need no trait
/// import. It is `'static` and `Send`, so it can be moved into a spawned task.
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
    items: std::vec::IntoIter<Alert>,
    /// Where the page being read started.
    current: Option<Continuation>,
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
            items: Vec::new().into_iter(),
            current: None,
        }
    }

    /// A pager that yields `error` on its first poll, having sent nothing (a query the
    /// source cannot plan).
    pub(crate) fn failed(error: Error) -> Self {
        struct Failed(std::sync::Mutex<Option<Error>>);
        impl PageFetcher for Failed {
            fn fetch(&self, _: Continuation) -> BoxFuture<'static, Result<Page>> {
                let e = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
                Box::pin(async move {
                    Err(e.unwrap_or_else(|| Error::Unsupported("the listing failed".into())))
                })
            }
        }
        let mut pager = Pager::new(
            Arc::new(Failed(std::sync::Mutex::new(Some(error)))),
            Continuation(Cursor::Whole),
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
    /// and the request ids. Alerts already buffered by this pager are not repeated.
    pub fn pages(self) -> PageStream {
        PageStream {
            cursor: self.cursor,
        }
    }

    /// Where to resume this listing: the start of the page being read (its alerts already
    /// yielded will come again), or the next page once it is read to its end. `None` when the
    /// listing is complete.
    pub fn continuation(&self) -> Option<&Continuation> {
        if self.items.len() > 0 {
            self.current.as_ref()
        } else {
            self.cursor
                .inflight
                .as_ref()
                .map(|(at, _)| at)
                .or(self.cursor.next.as_ref())
        }
    }
}

impl Stream for Pager {
    type Item = Result<Alert>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(a) = self.items.next() {
                return Poll::Ready(Some(Ok(a)));
            }
            match futures::ready!(self.cursor.poll_page(cx)) {
                None => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                Some(Ok((at, page))) => {
                    self.current = Some(at);
                    self.items = page.items.into_iter();
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
        self.cursor.done && self.items.len() == 0
    }
}

/// A lazy stream of whole pages; see [`Pager::pages`].
#[must_use = "a PageStream sends nothing until polled"]
pub struct PageStream {
    cursor: Cursorial,
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
        self.cursor
            .poll_page(cx)
            .map(|o| o.map(|r| r.map(|(_, page)| page)))
    }
}

impl FusedStream for PageStream {
    fn is_terminated(&self) -> bool {
        self.cursor.done
    }
}
