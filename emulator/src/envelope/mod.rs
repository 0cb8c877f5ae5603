//! The HTTP envelope both APIs share, and which knows neither: the reply type the API modules
//! produce, what identifies a request (its API, its ids, its `Prefer` header), its body, the
//! error bodies of both APIs, and the query-string codec.

mod body;
mod errors;
mod query;
mod reply;
mod request;

pub(crate) use body::{RawBody, is_json, request_body};
pub(crate) use errors::{graph_error, pc_error, status_fault};
pub(crate) use query::{decode, encode, parse_query};
pub(crate) use reply::Reply;
pub(crate) use request::{Api, Ids, Prefer, header_str};
