//! The Partner Center view of a stored alert: a [`FraudEvent`] in the new model's shape or
//! the legacy one, with Partner Center's spellings.

use partner_alerts::{AdditionalDetails, Alert, AlertType, FraudEvent, Severity};

use crate::generate::{Partner, service_name};
use crate::record::Record;

/// Partner Center's spelling of an alert type: Pascal case for the known types.
pub(super) fn pc_event_type(t: &AlertType) -> AlertType {
    match t.known() {
        Some(k) => {
            let s = k.as_str();
            let mut chars = s.chars();
            let pascal: String = chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
                .collect();
            AlertType::new(pascal)
        }
        None => t.clone(),
    }
}

/// `MS-AZR-0017G` as Partner Center writes it: `ms-azr-17g`.
fn pc_offer(offer: &str) -> String {
    let lower = offer.to_ascii_lowercase();
    match lower.rsplit_once('-') {
        Some((head, tail)) => {
            let trimmed = tail.trim_start_matches('0');
            format!("{head}-{}", if trimmed.is_empty() { tail } else { trimmed })
        }
        None => lower,
    }
}

/// Graph's detail keys camel-cased, as Partner Center sends them (`VM_IP` → `vM_IP`).
fn pc_key(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect()
}

/// The segment after `name` in an Azure resource id.
fn resource_part<'a>(id: &'a str, name: &str) -> Option<&'a str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(name) {
            return parts.next();
        }
    }
    None
}

fn hit_count(alert: &Alert) -> u64 {
    let d = alert.additional_details.as_ref();
    ["ConnectionCount", "DeploymentCount", "OperationCount"]
        .iter()
        .find_map(|k| {
            d.and_then(|d| d.get_str(k))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(1)
}

/// The Partner Center view of an alert: the legacy fields, plus the new model's when
/// `new_model` (otherwise those stay `None`, which `FraudEvent`'s serialiser leaves out).
pub(crate) fn fraud_event(rec: &Record, partner: &Partner, new_model: bool) -> FraudEvent {
    let a = &rec.alert;
    let mut e = FraudEvent::new(rec.event_id.clone());
    let resource = a
        .affected_resources
        .as_ref()
        .and_then(|r| r.first())
        .and_then(|r| r.resource_id.clone());
    e.event_time = a.detected_date_time;
    e.partner_tenant_id = Some(partner.tenant_id.clone());
    e.partner_friendly_name = Some(partner.name.clone());
    e.customer_tenant_id = a.customer_tenant_id.clone();
    e.customer_friendly_name = rec.customer_name.clone();
    e.subscription_id = a.subscription_id.clone();
    e.subscription_type = Some("modern".to_owned());
    e.entity_id = rec
        .event_id
        .as_str()
        .split_once('_')
        .map(|(_, entity)| entity.to_owned());
    e.entity_name = resource
        .as_deref()
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_owned)
        .or_else(|| rec.subscription_name.clone());
    e.entity_url = resource.as_deref().map(|r| r.replace('/', "\\"));
    e.hit_count = Some(hit_count(a));
    e.catalog_offer_id = a.catalog_offer_id.as_deref().map(pc_offer);
    e.event_status = a.status.clone();
    e.service_name = a.alert_type.as_ref().map(|t| service_name(t).to_owned());
    e.resource_name = e.entity_name.clone();
    e.resource_group_name = resource
        .as_deref()
        .and_then(|r| resource_part(r, "resourceGroups"))
        .map(str::to_owned);
    e.first_occurrence = a.first_observed_date_time;
    e.last_occurrence = a.last_observed_date_time;
    e.resolved_reason = a.resolved_reason.clone();
    e.resolved_on = a.resolved_on_date_time;
    e.resolved_by = a.resolved_by.clone();
    e.first_observed = a.first_observed_date_time;
    e.last_observed = a.last_observed_date_time;
    if !new_model {
        return e;
    }
    e.event_type = a.alert_type.as_ref().map(pc_event_type);
    // Partner Center has no informational severity.
    e.severity = a.severity.clone().map(|s| match s {
        Severity::Informational => Severity::Low,
        s => s,
    });
    e.confidence_level = a.confidence_level.clone();
    e.display_name = a.display_name.clone();
    e.description = a.description.clone();
    e.country = Some(partner.country.to_owned());
    e.value_added_reseller_tenant_id = a.value_added_reseller_tenant_id.clone();
    e.value_added_reseller_friendly_name = rec.reseller_name.clone();
    e.subscription_name = rec.subscription_name.clone();
    e.affected_resources = Some(a.affected_resources.clone().unwrap_or_default());
    let mut details = AdditionalDetails::new();
    if let Some(r) = a.affected_resources.as_ref().and_then(|r| r.first()) {
        if let Some(id) = &r.resource_id {
            details.insert(AdditionalDetails::RESOURCE_ID, id.clone());
        }
        if let Some(t) = &r.resource_type {
            details.insert(AdditionalDetails::RESOURCE_TYPE, t.clone());
        }
    }
    if let Some(d) = &a.additional_details {
        for (k, v) in d.iter() {
            details.insert(pc_key(k), v.clone());
        }
    }
    e.additional_details = Some(details);
    e.is_test = Some(a.is_test.unwrap_or(false));
    e.activity_logs = Some(a.activity_logs.clone().unwrap_or_default());
    e
}

#[cfg(test)]
mod tests {
    use super::super::handlers::parse_status;
    use super::*;
    use partner_alerts::AlertStatus;

    #[test]
    fn spellings() {
        assert_eq!(
            pc_event_type(&AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS).as_str(),
            "NetworkConnectionsToCryptoMiningPools"
        );
        assert_eq!(
            pc_event_type(&AlertType::CRYPTO_MINING).as_str(),
            "CryptoMining"
        );
        assert_eq!(
            pc_event_type(&AlertType::new("brandNew")).as_str(),
            "brandNew"
        );
        assert_eq!(pc_offer("MS-AZR-0017G"), "ms-azr-17g");
        assert_eq!(pc_offer("MS-AZR-0000"), "ms-azr-0000");
        assert_eq!(pc_key("VM_IP"), "vM_IP");
        assert_eq!(pc_key("MiningPool_IP"), "miningPool_IP");
        assert_eq!(
            resource_part(
                "/subscriptions/s/resourceGroups/rg-1/providers/x",
                "resourceGroups"
            ),
            Some("rg-1")
        );
        assert_eq!(parse_status("Resolve"), Some(AlertStatus::Resolved));
        assert_eq!(parse_status("closed"), None);
    }
}
