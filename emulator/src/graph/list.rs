//! Listing: a page of alerts with its next link, and `$count`.

use axum::http::StatusCode;
use partner_alerts::AlertId;
use serde::Serialize;

use super::ctx::Ctx;
use super::options::options;
use super::render::{Field, context, graph_odd_values, render, render_all, with_odd};
use super::skiptoken::{Token, skiptoken};
use crate::envelope::{Reply, encode};
use crate::odata::Select;
use crate::quirks::{FOREIGN_GRAPH_BASE_URL, interleave, not_alert, odd_value};
use crate::record::Record;
use crate::shared::Shared;
use crate::state::Store;
use crate::stats::{add, bump};

/// A list page's JSON.
#[derive(Serialize)]
struct Page {
    #[serde(rename = "@odata.context")]
    context: String,
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
    value: Vec<Field>,
}

pub(super) fn list(shared: &Shared, ctx: &Ctx, query: &str) -> Reply {
    let o = match options(
        ctx,
        query,
        &["filter", "select", "top", "count", "skiptoken"],
    ) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let quirks = shared.quirks();
    let select = o
        .select
        .as_ref()
        .map_or_else(Select::all, |(_, s)| s.clone());
    let token = o.skiptoken.unwrap_or(Token::FIRST);
    // Links carry the filter, the select and `$top`, and where the next page starts.
    let link = |base: &str, t: Token| {
        let mut q = Vec::new();
        if let Some((raw, _)) = &o.filter {
            q.push(format!("$filter={}", encode(raw)));
        }
        if let Some((raw, _)) = &o.select {
            q.push(format!("$select={}", encode(raw)));
        }
        if let Some(top) = o.top {
            q.push(format!("$top={top}"));
        }
        q.push(format!("$skiptoken={}", skiptoken(t)));
        format!("{base}/security/partner/securityAlerts?{}", q.join("&"))
    };
    if token.empty {
        bump(&shared.stats.empty_pages);
        return Reply::json(
            StatusCode::OK,
            &Page {
                context: context(ctx, &select, false),
                count: None,
                next_link: Some(link(
                    &ctx.base,
                    Token {
                        empty: false,
                        ..token
                    },
                )),
                value: Vec::new(),
            },
        );
    }
    let mut size = o
        .top
        .map_or(shared.page_size, |t| t.min(shared.page_size))
        .max(1);
    if let Some(cap) = quirks.page_cap().filter(|c| *c < size) {
        size = cap;
        bump(&shared.stats.capped_pages);
    }
    let mode = ctx.mode();
    let odd = graph_odd_values(&quirks, &select);
    let resolve = shared.take_resolved_page();
    let (value, last, more, total, served) = shared.read(|store| {
        let matches = |r: &Record| {
            o.filter
                .as_ref()
                .is_none_or(|(_, f)| f.matches_with(&r.alert, mode))
        };
        let (page, more) = page(store, token.after, size, matches);
        let value: Vec<Field> = page
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let field = select
                    .is_all()
                    .then(|| render_all(r, ctx.prefer))
                    .flatten()
                    .unwrap_or_else(|| Field::Obj(render(&r.alert, &select, ctx.prefer)));
                match odd.as_deref().and_then(|c| odd_value(c, k)) {
                    Some(odd) => with_odd(field, odd),
                    None => field,
                }
            })
            .collect();
        let last = page.last().map_or(0, |r| r.seq);
        // Only `$count=true` pays for a full pass.
        let total = o
            .count
            .then(|| store.records().iter().filter(|r| matches(r)).count());
        let served: Vec<AlertId> = if resolve {
            page.iter().map(|r| r.alert.id.clone()).collect()
        } else {
            Vec::new()
        };
        (value, last, more, total, served)
    });
    if odd.as_ref().is_some_and(|c| !c.is_empty()) {
        add(&shared.stats.odd_values, value.len());
    }
    let (value, inserted) = interleave(value, quirks.not_alerts_interval(), |j| {
        Field::Raw(not_alert(j))
    });
    add(&shared.stats.not_alerts, inserted);

    let next_link = if quirks.repeated_next_link_on() && token.page == 2 {
        bump(&shared.stats.repeated_links);
        Some(link(&ctx.base, token))
    } else if more {
        let next = Token {
            after: last,
            page: token.page.saturating_add(1),
            empty: quirks.empty_page_position() == usize::try_from(token.page).ok(),
        };
        let base = if quirks.foreign_next_link_on() && token.page == 1 {
            bump(&shared.stats.foreign_links);
            FOREIGN_GRAPH_BASE_URL
        } else {
            &ctx.base
        };
        Some(link(base, next))
    } else {
        None
    };
    let reply = Reply::json(
        StatusCode::OK,
        &Page {
            context: context(ctx, &select, false),
            count: total,
            next_link,
            value,
        },
    );
    if resolve {
        shared.resolve_as_colleague(&served, ctx.now);
    }
    reply
}

/// The page of at most `size` matching records listed after `after`, and whether more
/// match. The start is found by binary search and the scan stops at the first match past the
/// page, so listing n alerts page by page stays O(n) rather than O(n²).
fn page(
    store: &Store,
    after: u64,
    size: usize,
    mut matches: impl FnMut(&Record) -> bool,
) -> (Vec<&Record>, bool) {
    let rest = &store.records()[store.position_after(after)..];
    let mut page = Vec::with_capacity(size.min(rest.len()));
    for r in rest {
        if !matches(r) {
            continue;
        }
        if page.len() == size {
            return (page, true);
        }
        page.push(r);
    }
    (page, false)
}

pub(super) fn count(shared: &Shared, ctx: &Ctx, query: &str) -> Reply {
    let o = match options(ctx, query, &["filter"]) {
        Ok(o) => o,
        Err(r) => return r,
    };
    let mode = ctx.mode();
    let n = shared.read(|store| {
        store
            .records()
            .iter()
            .filter(|r| {
                o.filter
                    .as_ref()
                    .is_none_or(|(_, f)| f.matches_with(&r.alert, mode))
            })
            .count()
    });
    Reply::text(StatusCode::OK, n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Generator;
    use chrono::{TimeZone, Utc};

    #[test]
    fn a_page_starts_by_its_token_and_stops_after_one_more_match() {
        let now = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let store = Store::generate(&Generator::new(3), 1000, now);
        let seqs: Vec<u64> = store.records().iter().map(|r| r.seq).collect();
        let mut checked = 0;
        let (p, more) = page(&store, seqs[899], 10, |_| {
            checked += 1;
            true
        });
        assert_eq!(p.iter().map(|r| r.seq).collect::<Vec<_>>(), seqs[900..910]);
        assert!(more);
        assert_eq!(checked, 11, "only the page and one more are looked at");

        // A filter: matches are counted only from the token on.
        let mut checked = 0;
        let (p, more) = page(&store, seqs[989], 4, |r| {
            checked += 1;
            r.seq % 2 == 0
        });
        assert!(p.iter().all(|r| r.seq > seqs[989] && r.seq % 2 == 0));
        assert_eq!(p.len(), 4);
        assert!(checked <= 10, "{checked}");
        assert_eq!(more, seqs[990..].iter().filter(|s| *s % 2 == 0).count() > 4);

        // The last page, and a token past the end.
        let (p, more) = page(&store, seqs[995], 10, |_| true);
        assert_eq!((p.len(), more), (4, false));
        let (p, more) = page(&store, u64::MAX, 10, |_| true);
        assert!(p.is_empty() && !more);
        let (p, _) = page(&store, 0, 3, |_| true);
        assert_eq!(p[0].seq, seqs[0]);
    }
}
