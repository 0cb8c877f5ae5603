//! Where a listing stands, serialisable so that it can be resumed.

use serde::{Deserialize, Serialize};

use crate::error::Api;
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
