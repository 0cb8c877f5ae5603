//! One page, how a client fetches and decodes it, and decoding a JSON array into a buffer.

use std::fmt;
use std::marker::PhantomData;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};
use tokio::sync::oneshot;

use super::Continuation;
use crate::error::{DecodeError, RequestIds, Result};
use crate::http::Response;
use crate::model::{Alert, AlertId};

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
    /// test doubles and sources of your own (see [`Pager::from_pages`](crate::Pager::from_pages)).
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
    /// order served: each says why and where ([`DecodeError::item_index`]). A [`Pager`](crate::Pager)
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
