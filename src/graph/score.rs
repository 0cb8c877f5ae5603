//! The partner security score's operations (reference section 11.2) on [`GraphClient`]:
//! the same transport, credential, retries, errors and request ids as the alerts.

use std::collections::HashSet;

use futures::{Stream, TryStreamExt};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use url::Url;

use super::GraphClient;
use crate::endpoint::{encode_pairs, join};
use crate::error::{Api, DecodeError, Error, InvalidResponse, Result};
use crate::http::{Request, Response};
use crate::model::score::{
    CustomerInsight, PartnerSecurityScore, SecurityRequirement, SecurityScoreHistory, check_id,
};

/// The score's path under the base URL.
const SCORE: [&str; 3] = ["security", "partner", "securityScore"];

/// The most pages a score listing follows: far more than any partner's customers fill, and
/// a stop for a service that links pages in a circle.
const MAX_PAGES: usize = 10_000;

/// One page of a score collection.
#[derive(Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct ListPage<T> {
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

/// Decodes a single entity, unwrapping it when the service wraps it in `"value": {…}` as the
/// documentation's examples do (open question Q51): a top-level `value` that is an object is
/// the entity; anything else is read as the entity itself.
fn entity<T: DeserializeOwned>(response: &Response) -> Result<T> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow, default)]
        value: Option<&'a RawValue>,
    }
    let envelope: Envelope<'_> = response.json(Api::Graph)?;
    match envelope
        .value
        .filter(|v| v.get().trim_start().starts_with('{'))
    {
        Some(inner) => serde_json::from_str(inner.get()).map_err(|e| {
            Error::Decode(Box::new(DecodeError::from_json(
                Api::Graph,
                inner.get().as_bytes(),
                &e,
                response.ids.clone(),
                Some("$.value".to_owned()),
            )))
        }),
        None => response.json(Api::Graph),
    }
}

/// Which navigation property a `$expand` fallback reads.
#[derive(Clone, Copy)]
enum Nav {
    Requirements,
    History,
}

impl Nav {
    fn name(self) -> &'static str {
        match self {
            Nav::Requirements => "requirements",
            Nav::History => "history",
        }
    }
}

impl GraphClient {
    fn score_url(&self, rest: &[&str]) -> Url {
        let mut segments: Vec<&str> = SCORE.to_vec();
        segments.extend_from_slice(rest);
        join(&self.inner.transport.base, &segments)
    }

    async fn get_entity<T: DeserializeOwned>(&self, url: Url, op: &'static str) -> Result<T> {
        let response = self.inner.transport.send(Request::get(url, op)).await?;
        entity(&response)
    }

    /// The pages of a collection from `url`, following `@odata.nextLink` (never `$top` or
    /// `$skip`, which the service refuses for customer insights), lazily. Also the
    /// directory's collections (`enrich`: `/contracts`, GDAP customers).
    pub(crate) fn pages<T: DeserializeOwned + Send + 'static>(
        &self,
        url: Url,
        op: &'static str,
    ) -> impl Stream<Item = Result<Vec<T>>> + Send + 'static {
        let inner = self.inner.clone();
        let start = (Some(url), HashSet::new());
        futures::stream::try_unfold(start, move |(next, mut seen)| {
            let inner = inner.clone();
            async move {
                let Some(url) = next else {
                    return Ok(None);
                };
                if seen.len() >= MAX_PAGES || !seen.insert(url.to_string()) {
                    return Err(Error::InvalidResponse(Box::new(InvalidResponse::new(
                        "a Graph listing's next page links back to a page already read",
                        None,
                    ))));
                }
                let response = inner.transport.send(Request::get(url, op)).await?;
                let page: ListPage<T> = response.json(Api::Graph)?;
                let next = match page.next_link {
                    Some(link) => Some(Url::parse(&link).map_err(|e| {
                        Error::InvalidResponse(Box::new(InvalidResponse::new(
                            format!("the next page link is not a URL: {e}"),
                            Some(response.ids.clone()),
                        )))
                    })?),
                    None => None,
                };
                Ok(Some((page.value, (next, seen))))
            }
        })
    }

    /// A whole collection; on a 404 the score read again with `$expand=nav` (the known 404
    /// on `/requirements` and `/history`, open question Q55). `None` when that fails too.
    async fn score_list<T: DeserializeOwned + Send + 'static>(
        &self,
        nav: Nav,
        pick: fn(PartnerSecurityScore) -> Option<Vec<T>>,
    ) -> Result<Option<Vec<T>>> {
        let listed: Result<Vec<Vec<T>>> = self
            .pages(self.score_url(&[nav.name()]), "score")
            .try_collect()
            .await;
        match listed {
            Ok(pages) => Ok(Some(pages.into_iter().flatten().collect())),
            Err(e) if e.is_not_found() => Ok(self.expanded(nav).await.ok().and_then(pick)),
            Err(e) => Err(e),
        }
    }

    /// The score with one navigation property expanded.
    async fn expanded(&self, nav: Nav) -> Result<PartnerSecurityScore> {
        let mut url = self.score_url(&[]);
        url.set_query(Some(&encode_pairs(&[("$expand", nav.name().to_owned())])));
        self.get_entity(url, "score").await
    }

    /// The partner's security score (`GET /security/partner/securityScore`; needs
    /// `PartnerSecurity.Read.All`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use partner_alerts::GraphClient;
    /// use partner_alerts::auth::StaticToken;
    ///
    /// let emu = partner_alerts_emulator::Emulator::builder().alerts(50).seed(7).start().await?;
    /// let client = GraphClient::builder()
    ///     .base_url(emu.graph_base_url())
    ///     .credential(StaticToken::new("emulator"))
    ///     .build()?;
    /// let score = client.security_score().await?;
    /// assert_eq!(score.max_score, Some(100.0));
    /// for r in client.security_requirements().await?.unwrap_or_default() {
    ///     println!("{:?} {:?} {:?}", r.base().requirement_type, r.base().compliance_status, r.base().action_url);
    /// }
    /// emu.shutdown().await;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Forbidden`] without `PartnerSecurity.Read.All`; the other [`Error`] variants
    /// as for any call.
    pub async fn security_score(&self) -> Result<PartnerSecurityScore> {
        self.get_entity(self.score_url(&[]), "score").await
    }

    /// Every security requirement, of its subtype (`GET …/securityScore/requirements`,
    /// following `@odata.nextLink`).
    ///
    /// `Ok(None)` when the requirements are not available to this tenant: the service has
    /// been seen to answer 404 on this path while the score works (Graph Explorer issue
    /// #3938); the client then asks for the score with `$expand=requirements`, and only when
    /// that fails as well is the answer `None`.
    pub async fn security_requirements(&self) -> Result<Option<Vec<SecurityRequirement>>> {
        self.score_list(Nav::Requirements, |s| s.requirements).await
    }

    /// One requirement by its id (`GET …/requirements/{id}`); on a 404, looked for in the
    /// score read with `$expand=requirements` (see [`GraphClient::security_requirements`]).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] before sending for an id no path could carry;
    /// [`Error::NotFound`] when neither answer holds it.
    pub async fn security_requirement(&self, id: &str) -> Result<SecurityRequirement> {
        check_id("requirement id", id)?;
        match self
            .get_entity(self.score_url(&["requirements", id]), "score")
            .await
        {
            Err(e) if e.is_not_found() => {
                let found = self.expanded(Nav::Requirements).await.ok().and_then(|s| {
                    s.requirements?
                        .into_iter()
                        .find(|r| r.base().id.as_deref() == Some(id))
                });
                found.ok_or(e)
            }
            other => other,
        }
    }

    /// The score's history (`GET …/securityScore/history`, following `@odata.nextLink`);
    /// `Ok(None)` when it is not available to this tenant, as for
    /// [`GraphClient::security_requirements`].
    pub async fn security_score_history(&self) -> Result<Option<Vec<SecurityScoreHistory>>> {
        self.score_list(Nav::History, |s| s.history).await
    }

    /// One history entry by its id (`GET …/history/{id}`), with the same fallback as
    /// [`GraphClient::security_requirement`].
    ///
    /// # Errors
    /// As [`GraphClient::security_requirement`].
    pub async fn security_score_history_entry(&self, id: &str) -> Result<SecurityScoreHistory> {
        check_id("history id", id)?;
        match self
            .get_entity(self.score_url(&["history", id]), "score")
            .await
        {
            Err(e) if e.is_not_found() => {
                let found = self
                    .expanded(Nav::History)
                    .await
                    .ok()
                    .and_then(|s| s.history?.into_iter().find(|h| h.id.as_deref() == Some(id)));
                found.ok_or(e)
            }
            other => other,
        }
    }

    /// The customers' insights, page by page (`GET …/securityScore/customerInsights`,
    /// following `@odata.nextLink` and its `$skipToken`), lazily: nothing is sent until the
    /// stream is polled. There is no get-by-tenant (open question Q57): filter by
    /// [`CustomerInsight::tenant_id`].
    pub fn customer_insight_pages(
        &self,
    ) -> impl Stream<Item = Result<Vec<CustomerInsight>>> + Send + 'static {
        self.pages(self.score_url(&["customerInsights"]), "score")
    }

    /// Every customer insight, all pages read.
    pub async fn customer_insights(&self) -> Result<Vec<CustomerInsight>> {
        let pages: Vec<Vec<CustomerInsight>> = self.customer_insight_pages().try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }
}
