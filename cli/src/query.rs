//! From the filter options to an [`AlertQuery`], checked before anything is sent.

use partner_alerts::{
    AlertQuery, AlertStatus, AlertType, Field, Filter, Severity, SubscriptionId, TenantId,
};

use crate::cli::FilterArgs;
use crate::exit::Failure;

/// The query for `filters` and the properties in `select`.
pub fn build(filters: &FilterArgs, select: &[String]) -> Result<AlertQuery, Failure> {
    let usage = |m: String| Failure::Usage(m);
    let mut terms: Vec<Filter> = Vec::new();
    if let Some(s) = &filters.status {
        terms.push(Filter::status().eq(AlertStatus::from(s.to_ascii_lowercase().as_str())));
    }
    if let Some(s) = &filters.severity {
        terms.push(Filter::severity().eq(Severity::from(s.to_ascii_lowercase().as_str())));
    }
    if let Some(t) = &filters.alert_type {
        if t.trim().is_empty() {
            return Err(usage("--alert-type: must not be empty".into()));
        }
        terms.push(Filter::alert_type().eq(AlertType::new(t.trim())));
    }
    if let Some(c) = &filters.customer {
        let id = TenantId::new(c).map_err(|e| usage(format!("--customer: {e}")))?;
        terms.push(Filter::customer_tenant_id().eq(id));
    }
    if let Some(s) = &filters.subscription {
        let id = SubscriptionId::new(s).map_err(|e| usage(format!("--subscription: {e}")))?;
        terms.push(Filter::subscription_id().eq(id));
    }
    if let (Some(since), Some(until)) = (filters.since, filters.until)
        && since >= until
    {
        return Err(usage(format!(
            "--since ({since}) must be before --until ({until})"
        )));
    }
    if let Some(t) = filters.since {
        terms.push(Filter::detected_date_time().ge(t));
    }
    if let Some(t) = filters.until {
        terms.push(Filter::detected_date_time().lt(t));
    }
    if let Some(raw) = &filters.filter {
        if raw.trim().is_empty() {
            return Err(usage("--filter: must not be empty".into()));
        }
        terms.push(Filter::raw(raw.as_str()));
    }
    let mut query = AlertQuery::new();
    if let Some(f) = terms.into_iter().reduce(Filter::and) {
        query = query.filter(f);
    }
    if !select.is_empty() {
        let fields = select
            .iter()
            .map(|s| {
                Field::from_name(s.trim()).ok_or_else(|| {
                    usage(format!(
                        "--select: unknown property {:?} (one of: {})",
                        s.trim(),
                        Field::ALL
                            .iter()
                            .map(|f| f.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        query = query.select(fields);
    }
    Ok(query)
}
