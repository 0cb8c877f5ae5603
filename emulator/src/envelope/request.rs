//! What identifies a request and what it asks for: its API, its ids (`request-id` /
//! `client-request-id`, `MS-RequestId` / `MS-CorrelationId`) and its `Prefer` header.

use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// The two APIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    Graph,
    PartnerCenter,
}

/// The ids a response carries: `request-id` / `client-request-id` on Graph,
/// `MS-RequestId` / `MS-CorrelationId` on Partner Center.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    pub api: Api,
    /// Graph `request-id`, Partner Center `MS-RequestId`.
    pub request_id: String,
    /// Graph `client-request-id`, Partner Center `MS-CorrelationId`.
    pub client_id: String,
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn fresh_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl Ids {
    pub(crate) fn from_headers(api: Api, headers: &HeaderMap) -> Ids {
        match api {
            Api::Graph => Ids {
                api,
                request_id: fresh_id(),
                client_id: header_str(headers, "client-request-id")
                    .map_or_else(fresh_id, str::to_owned),
            },
            Api::PartnerCenter => Ids {
                api,
                request_id: header_str(headers, "ms-requestid")
                    .map_or_else(fresh_id, str::to_owned),
                client_id: header_str(headers, "ms-correlationid")
                    .map_or_else(fresh_id, str::to_owned),
            },
        }
    }

    /// Ids for a request inside a `$batch`: a fresh request id, the item's own client id if
    /// it sent one.
    pub(crate) fn for_batch_item(item_client_id: Option<&str>) -> Ids {
        Ids {
            api: Api::Graph,
            request_id: fresh_id(),
            client_id: item_client_id.map_or_else(fresh_id, str::to_owned),
        }
    }

    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        let (a, b) = match self.api {
            Api::Graph => ("request-id", "client-request-id"),
            Api::PartnerCenter => ("ms-requestid", "ms-correlationid"),
        };
        for (name, value) in [(a, &self.request_id), (b, &self.client_id)] {
            if let Ok(v) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
    }
}

/// What the request asked for in its `Prefer` headers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Prefer {
    pub include_unknown_enum_members: bool,
    pub return_minimal: bool,
}

impl Prefer {
    pub(crate) fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Prefer {
        let mut p = Prefer::default();
        for v in values {
            for item in v.split(',') {
                let item = item.trim();
                if item.eq_ignore_ascii_case("include-unknown-enum-members") {
                    p.include_unknown_enum_members = true;
                } else if item.replace(' ', "").eq_ignore_ascii_case("return=minimal") {
                    p.return_minimal = true;
                }
            }
        }
        p
    }

    pub(crate) fn from_headers(headers: &HeaderMap) -> Prefer {
        Prefer::parse(
            headers
                .get_all("prefer")
                .iter()
                .filter_map(|v| v.to_str().ok()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefer_parsing() {
        let p = Prefer::parse(["odata.maxpagesize=5, include-unknown-enum-members"]);
        assert!(p.include_unknown_enum_members && !p.return_minimal);
        let p = Prefer::parse(["return = minimal"]);
        assert!(p.return_minimal);
    }
}
