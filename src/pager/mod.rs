//! Paging as streams: [`Pager`] yields alerts across pages, [`PageStream`] whole pages.

mod continuation;
mod cursor;
mod page;

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{FusedStream, Stream};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::oneshot;

pub use continuation::Continuation;
pub(crate) use continuation::Cursor;
use cursor::Cursorial;
pub use page::Page;
pub(crate) use page::{EachElement, PageFetcher};

use crate::error::{DecodeError, Error, InvalidResponse, RequestIds, Result};
use crate::http::Response;
use crate::model::Alert;
use crate::query::AlertQuery;

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
