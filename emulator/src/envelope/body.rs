//! The request body the APIs see: read within the size limit, gzip undone, JSON if typed.

use std::io::Read;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};

use super::request::header_str;

/// The largest request body accepted, compressed or not: axum's default limit.
const MAX_BODY: usize = 2 * 1024 * 1024;

/// The request body as read, or why it could not be; never a rejection, so that the API
/// answers in its own error shape instead of axum's plain text.
pub(crate) struct RawBody(Result<Bytes, (StatusCode, String)>);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(RawBody(
            Bytes::from_request(req, state)
                .await
                .map_err(|r| (r.status(), r.body_text())),
        ))
    }
}

/// Why a request body cannot be used.
#[derive(Debug)]
pub(crate) struct BodyError {
    pub status: StatusCode,
    pub message: String,
}

impl BodyError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        BodyError {
            status,
            message: message.into(),
        }
    }

    /// Graph's error code for it.
    pub(crate) fn graph_code(&self) -> &'static str {
        match self.status {
            StatusCode::PAYLOAD_TOO_LARGE => "RequestEntityTooLarge",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
            _ => "BadRequest",
        }
    }
}

/// The body the APIs see: read within the size limit, gzip undone (Kiota-based Graph SDKs
/// compress PATCH and POST bodies), and JSON if its type is given.
pub(crate) fn request_body(headers: &HeaderMap, raw: RawBody) -> Result<Bytes, BodyError> {
    let mut body = raw.0.map_err(|(status, text)| {
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("The request body is larger than {MAX_BODY} bytes.")
        } else {
            format!("The request body cannot be read: {text}.")
        };
        BodyError::new(status, message)
    })?;
    if body.is_empty() {
        return Ok(body);
    }
    // Codings are listed in the order applied, so they are undone from the last.
    let codings: Vec<&str> = headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    for coding in codings.iter().rev() {
        if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
            body = gunzip(&body)?;
        } else if !coding.eq_ignore_ascii_case("identity") {
            return Err(BodyError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("The Content-Encoding '{coding}' is not supported; send gzip or none."),
            ));
        }
    }
    if let Some(ct) = header_str(headers, CONTENT_TYPE.as_str())
        && !is_json(ct)
    {
        return Err(BodyError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("The Content-Type '{ct}' is not supported; send application/json."),
        ));
    }
    Ok(body)
}

/// `application/json` or a `+json` type, with any parameters.
pub(crate) fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence
            .rsplit_once('+')
            .is_some_and(|(_, suffix)| suffix.eq_ignore_ascii_case("json"))
}

/// Decompresses a gzip body (several members allowed), within [`MAX_BODY`] once inflated.
fn gunzip(compressed: &[u8]) -> Result<Bytes, BodyError> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(compressed)
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            BodyError::new(
                StatusCode::BAD_REQUEST,
                format!("The gzip-compressed request body cannot be decompressed: {e}."),
            )
        })?;
    if out.len() > MAX_BODY {
        return Err(BodyError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The decompressed request body is larger than {MAX_BODY} bytes."),
        ));
    }
    Ok(out.into())
}
