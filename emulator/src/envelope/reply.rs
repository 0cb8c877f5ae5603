//! The reply an API module produces, turned into an HTTP response (whole or cut short by a
//! truncation fault) or into a `$batch` item.

use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::fault::FaultyBody;

/// A reply body.
#[derive(Debug)]
pub(crate) enum ReplyBody {
    Empty,
    Json(Vec<u8>),
    Text(String),
}

/// What an API module answers; turned into an HTTP response or into a `$batch` item.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, String)>,
    pub body: ReplyBody,
}

impl Reply {
    /// A JSON reply.
    pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Json(serde_json::to_vec(body).expect("replies always serialise")),
        }
    }

    /// A plain-text reply.
    pub(crate) fn text(status: StatusCode, body: String) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Text(body),
        }
    }

    /// A reply without a body.
    pub(crate) fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: ReplyBody::Empty,
        }
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: HeaderName, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    fn content_type(&self) -> Option<&'static str> {
        match self.body {
            ReplyBody::Empty => None,
            ReplyBody::Json(_) => Some("application/json; charset=utf-8"),
            ReplyBody::Text(_) => Some("text/plain; charset=utf-8"),
        }
    }

    /// The headers a `$batch` item reports (content type and the reply's own headers),
    /// named as Graph writes them there (`Content-Type`, `Retry-After`).
    pub(crate) fn batch_headers(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        if let Some(ct) = self.content_type() {
            m.insert("Content-Type".to_owned(), ct.into());
        }
        for (k, v) in &self.headers {
            m.insert(title_case(k.as_str()), v.clone().into());
        }
        m
    }

    /// The body as a JSON value for a `$batch` item.
    pub(crate) fn batch_body(&self) -> Option<serde_json::Value> {
        match &self.body {
            ReplyBody::Empty => None,
            ReplyBody::Json(b) => serde_json::from_slice(b).ok(),
            ReplyBody::Text(t) => Some(t.clone().into()),
        }
    }

    fn into_parts(self) -> (StatusCode, HeaderMap, Bytes) {
        let mut headers = HeaderMap::new();
        if let Some(ct) = self.content_type() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        for (k, v) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&v) {
                headers.append(k, v);
            }
        }
        let body = match self.body {
            ReplyBody::Empty => Bytes::new(),
            ReplyBody::Json(b) => Bytes::from(b),
            ReplyBody::Text(t) => Bytes::from(t),
        };
        (self.status, headers, body)
    }

    /// The HTTP response, normal or cut short by a truncation fault.
    pub(crate) fn into_response(self, truncate: bool) -> Response {
        let (status, headers, body) = self.into_parts();
        if !truncate {
            return (status, headers, body).into_response();
        }
        // Announce the whole body, send half of it (at least a byte more is promised).
        let announced = body.len().max(1) + if body.is_empty() { 16 } else { 0 };
        let half = body.slice(..body.len() / 2);
        let mut res = Response::new(Body::from_stream(FaultyBody::truncated(half)));
        *res.status_mut() = status;
        *res.headers_mut() = headers;
        res.headers_mut()
            .insert(CONTENT_LENGTH, HeaderValue::from(announced as u64));
        res
    }
}

/// A header name with each dash-separated word capitalised: `retry-after` → `Retry-After`.
fn title_case(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| {
                f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_header_names() {
        assert_eq!(title_case("retry-after"), "Retry-After");
        assert_eq!(title_case("preference-applied"), "Preference-Applied");
        assert_eq!(title_case("allow"), "Allow");
    }
}
