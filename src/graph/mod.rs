//! The Microsoft Graph partner security alerts client (`/security/partner/securityAlerts`,
//! beta).

mod batch;
mod score;

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use url::Url;

use crate::auth::Scope;
use crate::endpoint::{encode_pairs, join};
use crate::error::{Api, DecodeError, Error, InvalidInput, Result};
use crate::http::{Common, Request, Response, Transport, builder_setters};
use crate::model::lenient::{self, Rejected};
use crate::model::wire::CowStr;
use crate::pager::{Continuation, Cursor, EachElement, Page, PageFetcher, Pager};
use crate::query::{AlertQuery, Field, Filter};
use crate::source::{
    AlertSource, Capabilities, ReadResult, SourceKind, UpdateReport, UpdateTarget,
};
use crate::{Alert, AlertId, ResolvedReason, StatusUpdate};

/// Graph's global beta endpoint, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://graph.microsoft.com/beta";

const COLLECTION: [&str; 3] = ["security", "partner", "securityAlerts"];

/// A client for Microsoft Graph partner security alerts.
///
/// Cheap to clone (an `Arc` inside) and `Send + Sync`: build one and share it.
///
/// ```no_run
/// # async fn run() -> partner_alerts::Result<()> {
/// use partner_alerts::{AlertQuery, AlertStatus, Filter, GraphClient, ResolvedReason, StatusUpdate};
/// use partner_alerts::auth::ClientSecretCredential;
///
/// let client = GraphClient::builder()
///     .credential(ClientSecretCredential::from_env()?)
///     .build()?;
/// let query = AlertQuery::new().filter(Filter::status().eq(AlertStatus::Active));
/// let mut alerts = client.list(&query);
/// while let Some(alert) = alerts.try_next().await? {
///     client.update_alert(&alert.id, &StatusUpdate::resolved(ResolvedReason::Legitimate)).await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    collection: Url,
    prefetch: bool,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("transport", &self.inner.transport)
            .field("prefetch", &self.inner.prefetch)
            .finish()
    }
}

/// Builds a [`GraphClient`].
pub struct GraphClientBuilder {
    common: Common,
    include_unknown_enum_members: bool,
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("common", &self.common)
            .field(
                "include_unknown_enum_members",
                &self.include_unknown_enum_members,
            )
            .finish()
    }
}

impl GraphClientBuilder {
    builder_setters!();

    /// Whether to send `Prefer: include-unknown-enum-members` (default on), so that enum
    /// members Graph added after `unknownFutureValue` arrive under their real names.
    pub fn include_unknown_enum_members(mut self, on: bool) -> Self {
        self.include_unknown_enum_members = on;
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when no credential was given or the base URL is not `https://`
    /// (or `http://` on loopback).
    pub fn build(self) -> Result<GraphClient> {
        let c = self
            .common
            .check("StaticToken, ClientSecretCredential, ...")?;
        let headers: &[(&'static str, &'static str)] = if self.include_unknown_enum_members {
            &[("prefer", "include-unknown-enum-members")]
        } else {
            &[]
        };
        let collection = join(&c.base, &COLLECTION);
        let transport = Transport::new(Api::Graph, c.base, c.tokens, c.settings, headers)?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                transport,
                collection,
                prefetch: c.prefetch,
            }),
        })
    }
}

/// A Graph page (`value`, `@odata.nextLink`, `@odata.count`), its alerts decoded straight
/// into a buffer; it yields the link and the count.
///
/// Strict by default (the fast path). With `rejected` set, each alert is read on its own:
/// strictly, else property by property, else recorded as an item that cannot be an alert.
struct GraphPage<'a> {
    items: &'a mut Vec<Alert>,
    rejected: Option<&'a mut Vec<Rejected>>,
    /// The property being read, for the error's JSON path.
    at: &'a Cell<&'static str>,
}

/// A page property as a JSON path.
fn json_path(key: &str) -> String {
    match key {
        "" => "$".to_owned(),
        "value" => "$.value".to_owned(),
        other => format!("$['{other}']"),
    }
}

impl<'de> DeserializeSeed<'de> for GraphPage<'_> {
    type Value = (Option<String>, Option<u64>);

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for GraphPage<'_> {
    type Value = (Option<String>, Option<u64>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a page of alerts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Each key once, as a derived struct would insist: a second link or count is not
        // something to pick from silently.
        let (mut value, mut next_link, mut count) = (false, None, None);
        let GraphPage {
            items,
            mut rejected,
            at,
        } = self;
        while let Some(key) = map.next_key::<CowStr<'de>>()? {
            match key.0.as_ref() {
                "value" if value => return Err(de::Error::duplicate_field("value")),
                "value" => {
                    at.set("value");
                    match rejected.as_deref_mut() {
                        None => map.next_value_seed(EachElement::new(|a: Alert| items.push(a)))?,
                        Some(rejected) => {
                            let mut index = 0;
                            map.next_value_seed(EachElement::new(|raw: &'de RawValue| {
                                match lenient::item::<Alert>(raw.get()) {
                                    Ok(a) => items.push(a),
                                    Err(why) => rejected.push(Rejected {
                                        index,
                                        position: items.len(),
                                        at: raw.get().as_ptr() as usize,
                                        path: format!("$.value[{index}]"),
                                        why,
                                    }),
                                }
                                index += 1;
                            }))?
                        }
                    }
                    value = true;
                }
                "@odata.nextLink" if next_link.is_some() => {
                    return Err(de::Error::duplicate_field("@odata.nextLink"));
                }
                "@odata.nextLink" => {
                    at.set("@odata.nextLink");
                    next_link = Some(map.next_value::<Option<String>>()?);
                }
                "@odata.count" if count.is_some() => {
                    return Err(de::Error::duplicate_field("@odata.count"));
                }
                "@odata.count" => {
                    at.set("@odata.count");
                    count = Some(map.next_value::<Option<u64>>()?);
                }
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
            at.set("");
        }
        if !value {
            return Err(de::Error::missing_field("value"));
        }
        Ok((next_link.flatten(), count.flatten()))
    }
}

/// A decoded page's link, count, and items that cannot be alerts (each with how many alerts
/// come before it).
type Decoded = (Option<String>, Option<u64>, Vec<(usize, DecodeError)>);

/// Decodes a Graph page into `items`: strictly in one pass, and only if that fails, again
/// alert by alert (see [`lenient`](crate::model::lenient)).
fn decode_page(response: &Response, items: &mut Vec<Alert>) -> Result<Decoded> {
    let at = Cell::new("");
    let strict = response.json_seed(
        Api::Graph,
        GraphPage {
            items,
            rejected: None,
            at: &at,
        },
    );
    if let Ok((link, count)) = strict {
        return Ok((link, count, Vec::new()));
    }
    items.clear();
    let mut rejected = Vec::new();
    let (link, count) = response.json_seed_at(
        Api::Graph,
        GraphPage {
            items,
            rejected: Some(&mut rejected),
            at: &at,
        },
        || Some(json_path(at.get())),
    )?;
    let rejected = rejected
        .into_iter()
        .map(|r| response.item_error(Api::Graph, r))
        .collect();
    Ok((link, count, rejected))
}

/// Decodes one Graph page as a listing does, for the fuzz targets.
#[cfg(feature = "fuzzing")]
pub(crate) fn decode_for_fuzzing(body: &[u8]) -> Result<Page> {
    Pages::decode_response(Response::with_body(body.to_vec()), Vec::new())
}

/// Finds `"@odata.nextLink": "..."` in a page without decoding it, so the next fetch can
/// start while this page decodes. A guess: the decoded page's own link decides.
fn scan_next_link(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"@odata.nextLink\"";
    let at = memchr::memmem::find(body, KEY)? + KEY.len();
    let rest = body[at..]
        .trim_ascii_start()
        .strip_prefix(b":")?
        .trim_ascii_start();
    let mut de = serde_json::Deserializer::from_slice(rest);
    String::deserialize(&mut de).ok()
}

struct Pages(Arc<Inner>);

impl PageFetcher for Pages {
    fn fetch(
        &self,
        at: Continuation,
        early_next: Option<tokio::sync::oneshot::Sender<Continuation>>,
    ) -> BoxFuture<'static, Result<Response>> {
        let inner = self.0.clone();
        Box::pin(async move {
            let Cursor::Url(url) = at.cursor else {
                return Err(Error::InvalidInput(InvalidInput::new(
                    "continuation",
                    "is not a Graph continuation",
                )));
            };
            let url = Url::parse(&url).map_err(|e| {
                Error::InvalidResponse(Box::new(crate::error::InvalidResponse::new(
                    format!("the next page link is not a URL: {e}"),
                    None,
                )))
            })?;
            let mut response = inner.transport.send(Request::get(url, "list")).await?;
            if let Some(tx) = early_next
                && let Some(link) = scan_next_link(response.bytes())
            {
                let _ = tx.send(Continuation::graph(link));
            }
            response.check_utf8();
            Ok(response)
        })
    }

    fn decode(&self, _: &Continuation, response: Response, items: Vec<Alert>) -> Result<Page> {
        Pages::decode_response(response, items)
    }
}

impl Pages {
    fn decode_response(response: Response, mut items: Vec<Alert>) -> Result<Page> {
        let (next_link, count, rejected) = decode_page(&response, &mut items)?;
        Ok(Page {
            first_served: items.first().map(|a| a.id.clone()),
            repeat_ends: false,
            rejected,
            items,
            count,
            next: next_link.map(Continuation::graph),
            ids: response.ids,
        })
    }
}

/// The PATCH body: only `status`, and `resolvedReason` when resolving.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PatchBody<'a> {
    status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_reason: Option<&'a str>,
}

impl<'a> From<&'a StatusUpdate> for PatchBody<'a> {
    fn from(u: &'a StatusUpdate) -> Self {
        PatchBody {
            status: u.status().as_str(),
            resolved_reason: u.reason().map(|r| r.as_str()),
        }
    }
}

impl GraphClient {
    /// A builder with the defaults: Graph beta, standard retries, read-ahead on.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder {
            common: Common::new(DEFAULT_BASE_URL, Scope::GRAPH),
            include_unknown_enum_members: true,
        }
    }

    /// The base URL the client talks to (and the only origin its token is sent to).
    pub fn base_url(&self) -> &Url {
        &self.inner.transport.base
    }

    /// The URL of the first page of `query`.
    fn list_url(&self, query: &AlertQuery) -> Url {
        let mut url = self.inner.collection.clone();
        query.apply_to(&mut url);
        url
    }

    /// Lists the alerts matching `query`, lazily, across every page.
    pub fn list(&self, query: &AlertQuery) -> Pager {
        if let Some(Err(e)) = query.filter_expr().map(Filter::validate) {
            return Pager::failed(e.into());
        }
        self.resume(Continuation::graph(self.list_url(query).into()))
    }

    /// Continues a listing from a [`Continuation`] saved earlier (from
    /// [`Pager::continuation`] or [`Page::next`]). A Partner Center continuation is an
    /// [`Error::InvalidInput`] on the first poll, with nothing sent.
    pub fn resume(&self, at: Continuation) -> Pager {
        if at.api() != Api::Graph {
            return Pager::failed(
                InvalidInput::new(
                    "continuation",
                    "continues a Partner Center listing, not a Graph one",
                )
                .into(),
            );
        }
        Pager::new(Arc::new(Pages(self.inner.clone())), at, self.inner.prefetch)
    }

    /// Counts the alerts matching `query`'s filter on the service (`/$count`), without
    /// listing them.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before sending for an invalid filter; [`Error::Decode`] if the
    /// answer is not a count.
    pub async fn count(&self, query: &AlertQuery) -> Result<u64> {
        let mut url = join(&self.inner.collection, &["$count"]);
        if let Some(f) = query.filter_expr() {
            f.validate()?;
            url.set_query(Some(&encode_pairs(&[("$filter", f.to_string())])));
        }
        let mut request = Request::get(url, "list");
        request.accept = Some("text/plain");
        let response = self.inner.transport.send(request).await?;
        let text = String::from_utf8_lossy(response.bytes());
        text.trim().parse().map_err(|_| {
            Error::InvalidResponse(Box::new(crate::error::InvalidResponse::new(
                "the /$count answer is not a number",
                Some(response.ids.clone()),
            )))
        })
    }

    /// Reads one alert.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown id; the other [`Error`] variants as for any call.
    pub async fn get(&self, id: &AlertId) -> Result<Alert> {
        self.get_selected(id, &[]).await
    }

    /// Reads the `fields` of one alert (`$select`; `id` always comes); all of them when
    /// `fields` is empty.
    pub async fn get_selected(&self, id: &AlertId, fields: &[Field]) -> Result<Alert> {
        let mut url = join(&self.inner.collection, &[id.as_str()]);
        let select = AlertQuery::new()
            .select(fields.iter().copied())
            .odata_pairs();
        if !select.is_empty() {
            url.set_query(Some(&encode_pairs(&select)));
        }
        let response = self.inner.transport.send(Request::get(url, "get")).await?;
        response.one(Api::Graph)
    }

    /// Sets an alert's status (and reason, when resolving). Only `status` and
    /// `resolvedReason` are sent.
    ///
    /// Returns the updated alert when the service sends it back (200), `None` when it answers
    /// 204 without a body.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before sending for a placeholder reason; [`Error::NotFound`]
    /// for an unknown id; [`Error::Forbidden`] without `PartnerSecurity.ReadWrite.All`.
    pub async fn update_alert(&self, id: &AlertId, update: &StatusUpdate) -> Result<Option<Alert>> {
        update.validate()?;
        let url = join(&self.inner.collection, &[id.as_str()]);
        let body = serde_json::to_vec(&PatchBody::from(update))
            .map_err(|e| InvalidInput::new("update", e.to_string()))?;
        let response = self
            .inner
            .transport
            .send(Request::write(reqwest::Method::PATCH, url, body, "update"))
            .await?;
        if response.status == 204 || response.bytes().iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        response.one(Api::Graph).map(Some)
    }
}

#[async_trait::async_trait]
impl AlertSource for GraphClient {
    fn kind(&self) -> SourceKind {
        SourceKind::Graph
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            server_filter_expressions: true,
            server_filter_fields: Field::ALL.to_vec(),
            raw_filter: true,
            resolved_reasons: vec![
                ResolvedReason::Legitimate,
                ResolvedReason::Ignore,
                ResolvedReason::Fraud,
            ],
            get_by_id: true,
            select: true,
            count: true,
        }
    }

    fn list(&self, query: &AlertQuery) -> Pager {
        GraphClient::list(self, query)
    }

    fn resume(&self, at: Continuation) -> Pager {
        GraphClient::resume(self, at)
    }

    async fn count(&self, query: &AlertQuery) -> Result<u64> {
        GraphClient::count(self, query).await
    }

    async fn get_selected(&self, id: &AlertId, fields: &[Field]) -> Result<Alert> {
        GraphClient::get_selected(self, id, fields).await
    }

    async fn get(&self, id: &AlertId) -> Result<Alert> {
        GraphClient::get(self, id).await
    }

    /// JSON batching: 20 PATCHes to a `$batch` request, four batches in flight; a request
    /// throttled inside a batch is sent again within the retry policy. Each alert is reported
    /// by its own answer (a batch's lost answer leaves all of its alerts unconfirmed).
    async fn update_alerts(
        &self,
        targets: &[UpdateTarget],
        update: &StatusUpdate,
    ) -> Result<UpdateReport> {
        update.validate()?;
        let ids: Vec<AlertId> = targets.iter().map(|t| t.id.clone()).collect();
        let body = serde_json::to_value(PatchBody::from(update))
            .map_err(|e| InvalidInput::new("update", e.to_string()))?;
        let op = batch::Op {
            method: "PATCH",
            query: String::new(),
            body: Some(body),
            operation: "update",
        };
        let mut report = UpdateReport::default();
        for (id, outcome) in batch::run(self, &ids, op).await {
            match outcome {
                batch::ItemOutcome::Done(alert) => report.succeeded.push((id, alert.map(|a| *a))),
                batch::ItemOutcome::Failed(e) if !e.is_outcome_unknown() => {
                    report.failed.push((id, e))
                }
                batch::ItemOutcome::Failed(e) | batch::ItemOutcome::Unknown(e) => {
                    report.unconfirmed.push((id, e))
                }
            }
        }
        Ok(report)
    }

    /// JSON batching: 20 GETs to a `$batch` request, four batches in flight.
    async fn get_many(&self, ids: &[AlertId], fields: &[Field]) -> Vec<(AlertId, ReadResult)> {
        let mut query = AlertQuery::new();
        if !fields.is_empty() {
            query = query.select(fields.iter().copied());
        }
        let pairs = query.odata_pairs();
        let op = batch::Op {
            method: "GET",
            query: if pairs.is_empty() {
                String::new()
            } else {
                format!("?{}", encode_pairs(&pairs))
            },
            body: None,
            operation: "get",
        };
        batch::run(self, ids, op)
            .await
            .into_iter()
            .map(|(id, outcome)| {
                let r = match outcome {
                    batch::ItemOutcome::Done(Some(alert)) => Ok(*alert),
                    batch::ItemOutcome::Done(None) => Err(Arc::new(Error::InvalidResponse(
                        Box::new(crate::error::InvalidResponse::new(
                            format!("the $batch answer for alert {id} holds no alert"),
                            None,
                        )),
                    ))),
                    batch::ItemOutcome::Failed(e) | batch::ItemOutcome::Unknown(e) => Err(e),
                };
                (id, r)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(body: &str, items: &mut Vec<Alert>) -> Result<(Option<String>, Option<u64>)> {
        decode_page(&Response::with_body(body), items).map(|(link, count, _)| (link, count))
    }

    #[test]
    fn a_page_decodes_into_the_buffer_given() {
        let mut items = Vec::with_capacity(4);
        let buffer = items.as_ptr();
        let (link, count) = decode(
            r#"{"@odata.context":"x","@odata.nextLink":"https://graph.example/p2",
                "extra":{"nested":[1,{"a":null}]},"@odata.count":7,
                "value":[{"id":"a1","status":"active"},{"id":"a2"}]}"#,
            &mut items,
        )
        .unwrap();
        assert_eq!(link.as_deref(), Some("https://graph.example/p2"));
        assert_eq!(count, Some(7));
        let ids: Vec<_> = items.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2"]);
        assert_eq!(items.as_ptr(), buffer, "decoded into the reserved buffer");
    }

    #[test]
    fn a_page_without_exactly_one_value_array_is_refused() {
        for (body, expected) in [
            (
                r#"{"@odata.nextLink":"https://graph.example/p2"}"#,
                "missing field `value`",
            ),
            (
                r#"{"value":[{"id":"a"}],"value":[]}"#,
                "duplicate field `value`",
            ),
            (
                r#"{"@odata.nextLink":"https://graph.example/p2","value":[],"@odata.nextLink":null}"#,
                "duplicate field `@odata.nextLink`",
            ),
            (
                r#"{"@odata.count":1,"value":[],"@odata.count":2}"#,
                "duplicate field `@odata.count`",
            ),
            (r#"{"value":null}"#, "an array"),
            (r#"[{"id":"a"}]"#, "a page of alerts"),
        ] {
            let e = decode(body, &mut Vec::new()).unwrap_err();
            assert!(matches!(e, Error::Decode(_)), "{body}: {e:?}");
            assert!(e.to_string().contains(expected), "{body}: {e}");
        }
        // Nothing may follow the page.
        assert!(decode(r#"{"value":[]} {}"#, &mut Vec::new()).is_err());
    }
}
