//! A successful answer and how its body is decoded.

use serde::Deserialize;
use serde::de::DeserializeSeed;

use crate::error::{Api, DecodeError, Error, RequestIds, Result};
use crate::model::lenient::{self, Lenient, Rejected};

/// A successful answer: status 2xx, the whole body, the ids.
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The body, unless [`Response::check_utf8`] moved it into `text`: read it with
    /// [`Response::bytes`].
    body: Vec<u8>,
    text: Option<String>,
    pub(crate) ids: RequestIds,
}

impl Response {
    /// A 2xx answer with its whole body (also one request's answer inside a `$batch`).
    pub(crate) fn new(status: u16, body: Vec<u8>, ids: RequestIds) -> Self {
        Response {
            status,
            body,
            text: None,
            ids,
        }
    }

    /// Checks the body's UTF-8 now: a listing calls it on the thread that fetched the page,
    /// so that the thread decoding it need not.
    pub(crate) fn check_utf8(&mut self) {
        if self.text.is_none() {
            match String::from_utf8(std::mem::take(&mut self.body)) {
                Ok(text) => self.text = Some(text),
                Err(e) => self.body = e.into_bytes(),
            }
        }
    }

    /// The body's bytes, wherever they are kept.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.text.as_deref().map_or(&self.body, str::as_bytes)
    }

    /// Decodes the body as JSON of type `T`.
    pub(crate) fn json<'a, T: Deserialize<'a>>(&'a self, api: Api) -> Result<T> {
        self.json_seed(api, std::marker::PhantomData)
    }

    /// Decodes the body as JSON through `seed` (to decode into a buffer held elsewhere).
    pub(crate) fn json_seed<'a, S: DeserializeSeed<'a>>(
        &'a self,
        api: Api,
        seed: S,
    ) -> Result<S::Value> {
        self.json_seed_at(api, seed, || None)
    }

    /// As [`Response::json_seed`]; on failure `path` tells where in the document it was (a
    /// JSON path), for the error.
    pub(crate) fn json_seed_at<'a, S: DeserializeSeed<'a>>(
        &'a self,
        api: Api,
        seed: S,
        path: impl FnOnce() -> Option<String>,
    ) -> Result<S::Value> {
        // One UTF-8 check of the whole body is far cheaper than serde_json's check of each
        // string; invalid UTF-8 goes through from_slice for its positioned error.
        let text = match &self.text {
            Some(text) => Ok(text.as_str()),
            None => std::str::from_utf8(&self.body),
        };
        fn whole<'de, R: serde_json::de::Read<'de>, S: DeserializeSeed<'de>>(
            mut de: serde_json::Deserializer<R>,
            seed: S,
        ) -> serde_json::Result<S::Value> {
            let value = seed.deserialize(&mut de)?;
            de.end()?;
            Ok(value)
        }
        let decoded = match text {
            Ok(text) => whole(serde_json::Deserializer::from_str(text), seed),
            Err(_) => whole(serde_json::Deserializer::from_slice(&self.body), seed),
        };
        decoded.map_err(|e| {
            Error::Decode(Box::new(DecodeError::from_json(
                api,
                self.bytes(),
                &e,
                self.ids.clone(),
                path(),
            )))
        })
    }

    /// The error for one item of this page that cannot be an alert.
    pub(crate) fn item_error(&self, api: Api, item: Rejected) -> (usize, DecodeError) {
        let body = self.bytes();
        let offset = item
            .at
            .saturating_sub(body.as_ptr() as usize)
            .min(body.len());
        let e = DecodeError::item(
            api,
            body,
            offset,
            item.index,
            item.path,
            item.why,
            self.ids.clone(),
        );
        (item.position, e)
    }

    /// Decodes the body as one item (an alert, an event): strictly, and property by property
    /// when that fails, so an odd value costs its field only.
    pub(crate) fn one<T: Lenient>(&self, api: Api) -> Result<T> {
        let strict = match self.json::<T>(api) {
            Ok(item) => return Ok(item),
            Err(e) => e,
        };
        match std::str::from_utf8(self.bytes()).map(lenient::decode::<T>) {
            Ok(Ok(item)) => Ok(item),
            _ => Err(strict),
        }
    }
}

#[cfg(any(test, feature = "fuzzing"))]
impl Response {
    /// A 200 answer holding `body`, for decoder tests.
    pub(crate) fn with_body(body: impl Into<Vec<u8>>) -> Self {
        Response {
            status: 200,
            body: body.into(),
            text: None,
            ids: RequestIds::new(uuid::Uuid::nil()),
        }
    }
}
