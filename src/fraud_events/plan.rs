//! How a query is served: what Partner Center evaluates (its parameters), and what the
//! client evaluates on each event.

use super::FraudEventsClient;
use crate::error::{Api, Result, Unsupported};
use crate::query::{AlertQuery, Field, Filter};
use crate::{AlertStatus, AlertType, SubscriptionId};

/// How a query is served: the parameters Partner Center evaluates, and what the client
/// evaluates on each event.
pub(super) struct Plan {
    pub(super) params: Vec<(&'static str, String)>,
    pub(super) filter: Option<Filter>,
    pub(super) select: Vec<Field>,
}

/// The six alert types Partner Center documents for `EventType`, in its spelling.
const DOCUMENTED_EVENT_TYPES: [(AlertType, &str); 6] = [
    (
        AlertType::SERVICE_HEALTH_SECURITY_ADVISORY,
        "ServiceHealthSecurityAdvisory",
    ),
    (AlertType::USAGE_ANOMALY_DETECTION, "UsageAnomalyDetection"),
    (
        AlertType::MULTI_REGION_VIRTUAL_MACHINE_SCALE_SET_DEPLOYMENT_ANOMALY,
        "MultiRegionVirtualMachineScaleSetDeploymentAnomaly",
    ),
    (
        AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS,
        "NetworkConnectionsToCryptoMiningPools",
    ),
    (
        AlertType::VIRTUAL_MACHINE_DEPLOYMENT_ANOMALY,
        "VirtualMachineDeploymentAnomaly",
    ),
    (
        AlertType::MULTI_REGION_MACHINE_LEARNING_USAGE_ANOMALY,
        "MultiRegionMachineLearningUsageAnomaly",
    ),
];

/// Partner Center's spelling of an alert type it documents for `EventType`. Any other type
/// is not sent (Partner Center documents no other value): it is matched on each event.
pub(super) fn event_type(t: &AlertType) -> Option<&'static str> {
    DOCUMENTED_EVENT_TYPES
        .iter()
        .find(|(known, _)| known == t)
        .map(|(_, pc)| *pc)
}

/// The alert fields a legacy-model event carries (after conversion to [`Alert`]).
const LEGACY_FIELDS: &[Field] = &[
    Field::Id,
    Field::Status,
    Field::CustomerTenantId,
    Field::SubscriptionId,
    Field::CatalogOfferId,
    Field::DetectedDateTime,
    Field::FirstObservedDateTime,
    Field::LastObservedDateTime,
    Field::ResolvedReason,
    Field::ResolvedOnDateTime,
    Field::ResolvedBy,
];

impl FraudEventsClient {
    pub(super) fn plan(&self, query: &AlertQuery) -> Result<Plan> {
        let mut params = Vec::new();
        let filter = query.filter_expr();
        if let Some(f) = filter {
            f.validate()?;
            if f.has_raw() {
                return Err(Unsupported::new(
                    Api::PartnerCenter,
                    "evaluate a raw filter (it has no $filter, and the client cannot read raw text); build the filter with Filter's typed methods",
                )
                .into());
            }
            if !self.inner.new_model
                && let Some(field) = f.fields().into_iter().find(|f| !LEGACY_FIELDS.contains(f))
            {
                // Every legacy event lacks it, so the filter would silently match none or all.
                return Err(Unsupported::new(
                    Api::PartnerCenter,
                    format!(
                        "filter on {} with the legacy events model, which lacks it; use the new events model",
                        field.name()
                    ),
                )
                .into());
            }
            if let Some(s) = f.required_eq(Field::Status).and_then(|l| l.as_string()) {
                params.push((
                    "EventStatus",
                    AlertStatus::parse(s).as_partner_center_str().to_owned(),
                ));
            }
            if let Some(s) = f
                .required_eq(Field::SubscriptionId)
                .and_then(|l| l.as_string())
            {
                params.push(("SubscriptionId", SubscriptionId::new(s)?.to_string()));
            }
            if self.inner.new_model
                && let Some(t) = f
                    .required_eq(Field::AlertType)
                    .and_then(|l| l.as_string())
                    .and_then(|t| event_type(&AlertType::new(t)))
            {
                params.push(("EventType", t.to_owned()));
            }
        }
        Ok(Plan {
            params,
            filter: filter.cloned(),
            select: query.selected().to_vec(),
        })
    }
}
