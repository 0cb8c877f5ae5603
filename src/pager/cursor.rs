//! The page-level state both stream views share: fetching ahead, the paging-loop guards,
//! and the buffer each page decodes into.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use tokio::sync::oneshot;

use super::{Continuation, Cursor, Page, PageFetcher};
use crate::error::{Error, InvalidResponse, Result};
use crate::http::Response;
use crate::model::{Alert, AlertId};
use crate::query::AlertQuery;

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
    pub(super) fn new(start: &Continuation) -> Self {
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
pub(super) struct Cursorial {
    fetcher: Arc<dyn PageFetcher>,
    /// Pages from a stream of the caller's ([`Pager::from_pages`]), served as they come:
    /// nothing to fetch, no continuation.
    pub(super) external: Option<futures::stream::BoxStream<'static, Result<Page>>>,
    /// The next page to fetch, when no flight holds it.
    pub(super) next: Option<Continuation>,
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
    pub(super) spare: Vec<Alert>,
    pub(super) prefetch: bool,
    pub(super) done: bool,
    pub(super) resumable: bool,
}

impl Cursorial {
    pub(super) fn new(fetcher: Arc<dyn PageFetcher>, start: Continuation, prefetch: bool) -> Self {
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
    pub(super) fn position(&self) -> Option<&Continuation> {
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

    pub(super) fn poll_page(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Continuation, Page)>>> {
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
