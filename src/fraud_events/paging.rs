//! Listing by page numbers so that no event is skipped: the page fetcher, what a listing has
//! seen across its pages and passes, and the events of one page as they are decoded.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use serde_json::value::RawValue;

use super::Inner;
use super::plan::Plan;
use crate::endpoint::encode_pairs;
use crate::error::{Api, Error, InvalidInput, InvalidResponse, Result};
use crate::http::{Request, Response};
use crate::model::lenient::{self, Rejected};
use crate::pager::{Continuation, Cursor, EachElement, Page, PageFetcher};
use crate::query::{AlertQuery, apply_select};
use crate::{Alert, AlertId, FraudEvent};

pub(super) struct Pages {
    pub(super) inner: Arc<Inner>,
    pub(super) plan: Plan,
    pub(super) listing: Mutex<Listing>,
    /// The listing's query, carried by its continuations.
    pub(super) query: AlertQuery,
}

/// What a listing has seen, across its pages and passes.
#[derive(Default)]
pub(super) struct Listing {
    /// Whether the list can shrink under the listing, so a pass may skip events: only
    /// `EventStatus` selects by a property that changes (events are never seen to be
    /// deleted; subscription and type never change). Without it, offset pages can repeat
    /// an event (new ones pushing the others down), never skip one.
    pub(super) may_shrink: bool,
    /// Every event id served, as a 64-bit hash: an event shows once however often the
    /// shifting list serves it.
    pub(super) seen: HashSet<u64>,
    pub(super) hasher: std::hash::RandomState,
    /// Pages of the current pass that held events.
    pub(super) pages_with_events: u32,
    /// Events of the current pass no earlier page had served.
    pub(super) new_in_pass: u64,
    /// Whether the service served a full page at the current size (so it does not cap pages
    /// below it).
    pub(super) size_proven: bool,
}

impl PageFetcher for Pages {
    fn fetch(
        &self,
        at: Continuation,
        early_next: Option<tokio::sync::oneshot::Sender<Continuation>>,
    ) -> BoxFuture<'static, Result<Response>> {
        let inner = self.inner.clone();
        let mut url = inner.events.clone();
        let mut params = self.plan.params.clone();
        let paging = match at.cursor {
            Cursor::Url(_) => {
                return Box::pin(async {
                    Err(
                        InvalidInput::new("continuation", "is not a Partner Center continuation")
                            .into(),
                    )
                });
            }
            Cursor::PageNumber { number, size, pass } => {
                if number > inner.max_pages {
                    return Box::pin(async move {
                        Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                            format!(
                                "the listing passed {} pages of {size}; stopping (raise max_pages if that is real)",
                                inner.max_pages
                            ),
                            None,
                        ))))
                    });
                }
                params.push(("PageSize", size.to_string()));
                params.push(("PageNumber", number.to_string()));
                Some((number, size, pass))
            }
            Cursor::Whole => None,
        };
        let query = encode_pairs(&params);
        url.set_query(Some(query.as_str()).filter(|q| !q.is_empty()));
        let query_of_listing = self.query.clone();
        Box::pin(async move {
            let mut response = inner.transport.send(Request::get(url, "list")).await?;
            // A guess at the next page, so its fetch overlaps this page's decoding: every
            // event has one `"eventId"` key (activity logs are JSON inside strings, so their
            // quotes are escaped). The decoded page decides.
            if let (Some(tx), Some((number, size, pass))) = (early_next, paging)
                && memchr::memmem::find_iter(response.bytes(), b"\"eventId\"").count() as u64
                    >= u64::from(size)
            {
                let _ = tx.send(Continuation::partner_center(
                    Cursor::PageNumber {
                        number: number.saturating_add(1),
                        size,
                        pass,
                    },
                    &query_of_listing,
                ));
            }
            response.check_utf8();
            Ok(response)
        })
    }

    fn decode(&self, at: &Continuation, response: Response, items: Vec<Alert>) -> Result<Page> {
        let mut listing = self.listing.lock().unwrap_or_else(|p| p.into_inner());
        let mut page = Served::new(items, &self.plan, &listing);
        // Strictly in one pass; only if that fails, again event by event, so an odd value
        // costs its field, and an item that is no event costs only itself.
        let strict = response.json_seed(
            Api::PartnerCenter,
            EachElement::new(|e: FraudEvent| page.take(Ok(e))),
        );
        if strict.is_err() {
            page.reset();
            response.json_seed_at(
                Api::PartnerCenter,
                EachElement::new(|raw: &RawValue| {
                    page.take(lenient::item::<FraudEvent>(raw.get()).map_err(|why| (raw, why)))
                }),
                || Some("$".to_owned()),
            )?;
        }
        let Served {
            items,
            served,
            first_served,
            fresh,
            rejected,
            ..
        } = page;
        listing.seen.extend(fresh.iter().copied());
        let rejected = rejected
            .into_iter()
            .map(|r| response.item_error(Api::PartnerCenter, r))
            .collect();
        let (next, repeat_ends) = match at.cursor {
            Cursor::PageNumber { number, size, pass } => listing.next_page(
                (number, size, pass),
                served,
                fresh.len() as u64,
                self.inner.max_passes,
                &self.query,
            )?,
            _ => (None, false),
        };
        Ok(Page {
            items,
            count: None,
            ids: response.ids,
            next,
            first_served,
            repeat_ends,
            rejected,
        })
    }
}

impl Listing {
    /// Where the listing goes after page `number` of `pass` served `served` events,
    /// `fresh` of them new; and whether a repeat of this page would end it.
    ///
    /// Partner Center pages by offset, with no link, no total and no documented order, so a
    /// listing filtered by status shifts when events change status while it runs (page 2
    /// then holds what was page 3), and a service may serve fewer events per page than
    /// asked. So: a short first page is read as the service's own page size, and paging
    /// goes on at that size; only an empty page ends a pass (a short page alone never does:
    /// one more request); and a listing filtered by status that spans more than one page
    /// reads the list again from page 1, yielding only events it has not yielded, until a
    /// pass finds none (at most `max_passes` passes).
    fn next_page(
        &mut self,
        (number, size, pass): (u32, u32, u32),
        served: u64,
        fresh: u64,
        max_passes: u32,
        query: &AlertQuery,
    ) -> Result<(Option<Continuation>, bool)> {
        let page = |number, size, pass| {
            Some(Continuation::partner_center(
                Cursor::PageNumber { number, size, pass },
                query,
            ))
        };
        if served > 0 {
            self.pages_with_events += 1;
            self.new_in_pass += fresh;
        }
        if served > u64::from(size) {
            // Over-full: the service pages by its own size, or ignores paging (then the next
            // page repeats this one, and that ends the listing).
            return Ok((
                number.checked_add(1).and_then(|n| page(n, size, pass)),
                true,
            ));
        }
        if served == u64::from(size) {
            self.size_proven = true;
            return Ok((
                number.checked_add(1).and_then(|n| page(n, size, pass)),
                false,
            ));
        }
        if served > 0 && !self.size_proven && number == 1 {
            // Short, at a size never served in full: the service may cap its pages. Go on at
            // the size it served (an empty next page says this was all).
            let served = served as u32;
            self.size_proven = true;
            return Ok((page(2, served, pass), true));
        }
        if served > 0 {
            // Short: most likely the last, but only an empty page says so.
            return Ok((
                number.checked_add(1).and_then(|n| page(n, size, pass)),
                true,
            ));
        }
        // An empty page: the end of a pass.
        let shifted_past =
            self.may_shrink && self.pages_with_events > 1 && (pass == 0 || self.new_in_pass > 0);
        self.pages_with_events = 0;
        self.new_in_pass = 0;
        if !shifted_past {
            return Ok((None, false));
        }
        if pass.saturating_add(1) >= max_passes {
            if max_passes <= 1 {
                return Ok((None, false));
            }
            return Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                format!(
                    "the events kept changing while they were listed: after {max_passes} passes over the list, the last still found events the ones before had missed; list again"
                ),
                None,
            ))));
        }
        Ok((page(1, size, pass + 1), false))
    }
}

/// The events of one page as they are decoded.
struct Served<'p> {
    items: Vec<Alert>,
    plan: &'p Plan,
    listing: &'p Listing,
    served: u64,
    first_served: Option<AlertId>,
    /// Hashes of the ids first served by this page, added to the listing's once it decodes.
    fresh: HashSet<u64>,
    rejected: Vec<Rejected>,
}

impl<'p> Served<'p> {
    fn new(items: Vec<Alert>, plan: &'p Plan, listing: &'p Listing) -> Self {
        Served {
            items,
            plan,
            listing,
            served: 0,
            first_served: None,
            fresh: HashSet::new(),
            rejected: Vec::new(),
        }
    }

    /// Forgets what a failed strict pass took.
    fn reset(&mut self) {
        self.items.clear();
        self.served = 0;
        self.first_served = None;
        self.fresh.clear();
        self.rejected.clear();
    }

    fn take(&mut self, event: std::result::Result<FraudEvent, (&RawValue, String)>) {
        let index = self.served as usize;
        self.served += 1;
        let event = match event {
            Ok(e) => e,
            Err((raw, why)) => {
                self.rejected.push(Rejected {
                    index,
                    position: self.items.len(),
                    at: raw.get().as_ptr() as usize,
                    path: format!("$[{index}]"),
                    why,
                });
                return;
            }
        };
        if self.first_served.is_none() {
            self.first_served = Some(event.event_id.clone());
        }
        let id = self.listing.hasher.hash_one(event.event_id.as_str());
        if self.listing.seen.contains(&id) || !self.fresh.insert(id) {
            return;
        }
        let mut alert = Alert::from(event);
        if self
            .plan
            .filter
            .as_ref()
            .is_none_or(|f| f.matches(&alert) == Some(true))
        {
            apply_select(&mut alert, &self.plan.select);
            self.items.push(alert);
        }
    }
}

/// Decodes one FraudEvents page as a listing of every event does, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn decode_for_fuzzing(body: &[u8], number: u32, size: u32) -> Result<Page> {
    use super::FraudEventsClient;
    use std::sync::OnceLock;
    static CLIENT: OnceLock<FraudEventsClient> = OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        FraudEventsClient::builder()
            .base_url("http://127.0.0.1:9")
            .credential(crate::auth::StaticToken::new("fuzz"))
            .build()
            .expect("a loopback client builds")
    });
    let pages = Pages {
        inner: client.inner.clone(),
        plan: client.plan(&AlertQuery::new())?,
        listing: Mutex::new(Listing::default()),
        query: AlertQuery::new(),
    };
    let at = Continuation::partner_center(
        Cursor::PageNumber {
            number,
            size,
            pass: 0,
        },
        &AlertQuery::new(),
    );
    pages.decode(&at, Response::with_body(body.to_vec()), Vec::new())
}
