//! Queries: [`AlertQuery`] with a typed [`Filter`], typed `$select` fields, `$count` and
//! `$top`, rendered to OData text.
//!
//! Graph documents `$filter` support for partner security alerts without saying which
//! properties or operators it accepts, so server-side filtering is best effort: a filter the
//! service rejects comes back as an [`Error::Service`](crate::Error::Service) with HTTP 400,
//! whose message names the filter that was sent.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use partner_alerts::{AlertQuery, AlertStatus, Field, Filter, Severity};
//!
//! let since = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
//! let q = AlertQuery::new()
//!     .filter(
//!         Filter::status().eq(AlertStatus::Active)
//!             .and(Filter::severity().in_([Severity::High, Severity::Medium]))
//!             .and(Filter::detected_date_time().ge(since)),
//!     )
//!     .select([Field::Id, Field::Status, Field::Severity])
//!     .count(true);
//! assert_eq!(
//!     q.filter_text().unwrap(),
//!     "status eq 'active' and severity in ('high', 'medium') and detectedDateTime ge 2026-11-01T00:00:00Z"
//! );
//! ```

mod filter;

pub use filter::{Field, FieldRef, Filter, Literal, ODataValue, Ordered};

/// What to list: a filter, the properties to return, whether to count, a page size hint.
///
/// The query is API-neutral: the Graph client renders it as OData; the FraudEvents client
/// maps what Partner Center can evaluate to its parameters and evaluates the rest itself.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertQuery {
    filter: Option<Filter>,
    select: Vec<Field>,
    count: bool,
    top: Option<u32>,
}

impl AlertQuery {
    /// Every alert.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only alerts matching `filter` (replaces any earlier filter; combine with
    /// [`Filter::and`]).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Only these properties (`$select`); `id` is always returned.
    pub fn select(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.select = fields.into_iter().collect();
        self
    }

    /// Asks for the total count (`$count=true`), reported on the first page.
    pub fn count(mut self, count: bool) -> Self {
        self.count = count;
        self
    }

    /// Asks for at most `n` alerts per page (`$top`). Best effort: Graph does not document
    /// `$top` for this API; paging continues through `@odata.nextLink` either way.
    pub fn top(mut self, n: u32) -> Self {
        self.top = Some(n);
        self
    }

    /// The filter, if any.
    pub fn filter_expr(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    /// The filter as OData text.
    pub fn filter_text(&self) -> Option<String> {
        self.filter.as_ref().map(ToString::to_string)
    }

    /// The selected fields (empty: all).
    pub fn selected(&self) -> &[Field] {
        &self.select
    }

    /// Whether the count was asked for.
    pub fn wants_count(&self) -> bool {
        self.count
    }

    /// The page size asked for.
    pub fn page_size(&self) -> Option<u32> {
        self.top
    }

    /// The OData query options, in a stable order, not yet percent-encoded.
    pub(crate) fn odata_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(f) = &self.filter {
            pairs.push(("$filter", f.to_string()));
        }
        if !self.select.is_empty() {
            let mut names: Vec<&str> = Vec::with_capacity(self.select.len() + 1);
            if !self.select.contains(&Field::Id) {
                names.push(Field::Id.name());
            }
            names.extend(self.select.iter().map(|f| f.name()));
            pairs.push(("$select", names.join(",")));
        }
        if self.count {
            pairs.push(("$count", "true".to_owned()));
        }
        if let Some(n) = self.top {
            pairs.push(("$top", n.to_string()));
        }
        pairs
    }

    /// Writes the query options onto `url`, percent-encoded (spaces as `%20`, quotes as `%27`).
    pub(crate) fn apply_to(&self, url: &mut url::Url) {
        let pairs = self.odata_pairs();
        if pairs.is_empty() {
            url.set_query(None);
            return;
        }
        url.set_query(Some(&crate::endpoint::encode_pairs(&pairs)));
    }
}

/// Keeps only the selected properties of an alert (and its id), for sources that cannot
/// select server-side.
pub(crate) fn apply_select(alert: &mut crate::Alert, fields: &[Field]) {
    if fields.is_empty() {
        return;
    }
    let keep = |f: Field| fields.contains(&f);
    let a = alert;
    macro_rules! clear {
        ($($field:ident => $name:ident),* $(,)?) => {$(
            if !keep(Field::$name) {
                a.$field = None;
            }
        )*};
    }
    clear!(
        display_name => DisplayName,
        description => Description,
        alert_type => AlertType,
        status => Status,
        severity => Severity,
        confidence_level => ConfidenceLevel,
        customer_tenant_id => CustomerTenantId,
        subscription_id => SubscriptionId,
        value_added_reseller_tenant_id => ValueAddedResellerTenantId,
        catalog_offer_id => CatalogOfferId,
        detected_date_time => DetectedDateTime,
        first_observed_date_time => FirstObservedDateTime,
        last_observed_date_time => LastObservedDateTime,
        resolved_reason => ResolvedReason,
        resolved_on_date_time => ResolvedOnDateTime,
        resolved_by => ResolvedBy,
        is_test => IsTest,
        affected_resources => AffectedResources,
        activity_logs => ActivityLogs,
        additional_details => AdditionalDetails,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AlertStatus, SubscriptionId};

    #[test]
    fn url_encoding_keeps_injection_a_literal() {
        let q = AlertQuery::new()
            .filter(Filter::display_name().eq("x' or 1 eq 1 or 'a"))
            .select([Field::Status])
            .count(true)
            .top(50);
        let mut url =
            url::Url::parse("https://graph.microsoft.com/beta/security/partner/securityAlerts")
                .unwrap();
        q.apply_to(&mut url);
        assert_eq!(
            url.query().unwrap(),
            "$filter=displayName%20eq%20%27x%27%27%20or%201%20eq%201%20or%20%27%27a%27&$select=id,status&$count=true&$top=50"
        );
    }

    #[test]
    fn ids_render_quoted() {
        let sub = SubscriptionId::new("5f6e6521-6e5f-4b0b-80aa-bd44fad7a398").unwrap();
        let f = Filter::subscription_id()
            .eq(&sub)
            .and(Filter::status().ne(AlertStatus::Resolved));
        assert_eq!(
            f.to_string(),
            "subscriptionId eq '5f6e6521-6e5f-4b0b-80aa-bd44fad7a398' and status ne 'resolved'"
        );
    }
}
