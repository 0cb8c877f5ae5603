use std::fmt;

use super::alert::redacted;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use super::alert::{ActivityLog, AffectedResource, Alert};
use super::details::AdditionalDetails;
use super::enums::{AlertStatus, AlertType, ConfidenceLevel, ResolvedReason, Severity};
use super::ids::{AlertId, SubscriptionId, TenantId};
use super::lenient::Lenient;
use super::unparsed::Unparsed;
use super::wire;

/// A fraud event from the legacy Partner Center FraudEvents API (`/v1/fraudEvents`).
///
/// One type holds both shapes: the legacy one, and the extended one sent with
/// `X-NewEventsModel: true`, whose extra fields are `None` in the legacy shape. Partner
/// Center's wire quirks are absorbed on decode: timestamps without a zone are UTC, the
/// `9999-12-31T23:59:59.997` "no date" sentinel, a `"None"` reason and an empty `resolvedBy`
/// become `None`, `hitCount` and `IsTest` arrive as strings, and `activityLogs` as a
/// JSON-encoded string (a real array is accepted too).
///
/// `Serialize` writes Partner Center's shape back: its casing of values, zone-less
/// timestamps, the sentinels for the absent resolution fields, `IsTest` and `hitCount` as
/// strings and `activityLogs` as a JSON string.
///
/// Convert to the Graph model with [`Alert::from`]; the mapping is tabled there.
/// `Debug` leaves out `resolvedBy` (a person's UPN).
#[derive(Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FraudEvent {
    /// The event's id (`<subscriptionId>_<entityId>` observed).
    pub event_id: AlertId,
    /// When the event was detected.
    #[serde(default, deserialize_with = "wire::opt_timestamp")]
    pub event_time: Option<DateTime<Utc>>,
    /// The partner's tenant.
    #[serde(default, deserialize_with = "wire::opt_nonempty")]
    pub partner_tenant_id: Option<TenantId>,
    /// The partner's name.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub partner_friendly_name: Option<String>,
    /// The customer's tenant.
    #[serde(default, deserialize_with = "wire::opt_nonempty")]
    pub customer_tenant_id: Option<TenantId>,
    /// The customer's name.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub customer_friendly_name: Option<String>,
    /// The customer's Azure subscription.
    #[serde(default, deserialize_with = "wire::opt_nonempty")]
    pub subscription_id: Option<SubscriptionId>,
    /// The subscription's kind, e.g. `modern`.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub subscription_type: Option<String>,
    /// The alerted entity's id.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub entity_id: Option<String>,
    /// The alerted entity's name.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub entity_name: Option<String>,
    /// The alerted entity's URL (backslash-separated in the examples).
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub entity_url: Option<String>,
    /// Connections detected between first and last observation (sent as a string).
    #[serde(default, deserialize_with = "wire::opt_u64_lenient")]
    pub hit_count: Option<u64>,
    /// The offer category, e.g. `ms-azr-17g`.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub catalog_offer_id: Option<String>,
    /// The event's status.
    #[serde(default)]
    pub event_status: Option<AlertStatus>,
    /// The Azure service's name.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub service_name: Option<String>,
    /// The Azure resource's name.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub resource_name: Option<String>,
    /// The resource group's name.
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub resource_group_name: Option<String>,
    /// When the impact started.
    #[serde(default, deserialize_with = "wire::opt_timestamp")]
    pub first_occurrence: Option<DateTime<Utc>>,
    /// When the impact ended.
    #[serde(default, deserialize_with = "wire::opt_timestamp")]
    pub last_occurrence: Option<DateTime<Utc>>,
    /// Why it was resolved; `None` while unresolved (Partner Center sends `"None"`).
    #[serde(default, deserialize_with = "opt_reason")]
    pub resolved_reason: Option<ResolvedReason>,
    /// When it was resolved; `None` while unresolved (Partner Center sends a year-9999 date).
    #[serde(default, deserialize_with = "wire::opt_timestamp")]
    pub resolved_on: Option<DateTime<Utc>>,
    /// Who resolved it; `None` while unresolved (Partner Center sends `""`).
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub resolved_by: Option<String>,
    /// First observation of the activity, if known.
    #[serde(default, deserialize_with = "wire::opt_timestamp")]
    pub first_observed: Option<DateTime<Utc>>,
    /// Last observation of the activity, if known.
    #[serde(default, deserialize_with = "wire::opt_timestamp")]
    pub last_observed: Option<DateTime<Utc>>,

    /// The alert type, in Partner Center's spelling (new model only).
    #[serde(default)]
    pub event_type: Option<AlertType>,
    /// How severe it is (new model only).
    #[serde(default)]
    pub severity: Option<Severity>,
    /// How sure the detection is (new model only).
    #[serde(default)]
    pub confidence_level: Option<ConfidenceLevel>,
    /// A short title (new model only).
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub display_name: Option<String>,
    /// The description (new model only).
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub description: Option<String>,
    /// The partner tenant's country code (new model only).
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub country: Option<String>,
    /// The indirect reseller's tenant (new model only).
    #[serde(default, deserialize_with = "wire::opt_nonempty")]
    pub value_added_reseller_tenant_id: Option<TenantId>,
    /// The indirect reseller's name (new model only).
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub value_added_reseller_friendly_name: Option<String>,
    /// The subscription's name (new model only).
    #[serde(default, deserialize_with = "wire::opt_nonempty_string")]
    pub subscription_name: Option<String>,
    /// The Azure resources involved (new model only; may be empty).
    #[serde(default)]
    pub affected_resources: Option<Vec<AffectedResource>>,
    /// Type-specific details (new model only).
    #[serde(default)]
    pub additional_details: Option<AdditionalDetails>,
    /// Whether this is a test event (new model only; sent as the string `"true"`/`"false"`).
    #[serde(
        default,
        rename = "IsTest",
        alias = "isTest",
        deserialize_with = "wire::opt_bool_lenient"
    )]
    pub is_test: Option<bool>,
    /// The event's status history (new model only; sent as a JSON-encoded string).
    #[serde(default, deserialize_with = "opt_activity_logs")]
    pub activity_logs: Option<Vec<ActivityLog>>,
    /// The values the service sent that their fields could not hold, each kept under its
    /// name as sent (`hitCount`, `IsTest`); the fields are `None` above. Written back by
    /// `Serialize`.
    #[serde(skip)]
    pub unparsed: Unparsed,
}

impl FraudEvent {
    /// An event with only its id set; fill the public fields as needed.
    pub fn new(event_id: AlertId) -> Self {
        FraudEvent {
            event_id,
            event_time: None,
            partner_tenant_id: None,
            partner_friendly_name: None,
            customer_tenant_id: None,
            customer_friendly_name: None,
            subscription_id: None,
            subscription_type: None,
            entity_id: None,
            entity_name: None,
            entity_url: None,
            hit_count: None,
            catalog_offer_id: None,
            event_status: None,
            service_name: None,
            resource_name: None,
            resource_group_name: None,
            first_occurrence: None,
            last_occurrence: None,
            resolved_reason: None,
            resolved_on: None,
            resolved_by: None,
            first_observed: None,
            last_observed: None,
            event_type: None,
            severity: None,
            confidence_level: None,
            display_name: None,
            description: None,
            country: None,
            value_added_reseller_tenant_id: None,
            value_added_reseller_friendly_name: None,
            subscription_name: None,
            affected_resources: None,
            additional_details: None,
            is_test: None,
            activity_logs: None,
            unparsed: Unparsed::new(),
        }
    }

    /// Whether the event carries the extended shape's fields (it was listed with
    /// `X-NewEventsModel: true`).
    pub fn is_new_model(&self) -> bool {
        self.event_type.is_some()
            || self.severity.is_some()
            || self.display_name.is_some()
            || self.is_test.is_some()
            || self.activity_logs.is_some()
            || self.additional_details.is_some()
            || self.affected_resources.is_some()
    }
}

impl Lenient for FraudEvent {
    const ID: &'static str = "eventId";

    fn keep(&mut self, unparsed: Unparsed) {
        self.unparsed = unparsed;
    }
}

/// Partner Center's "no date" value, written for absent resolution dates.
const NO_DATE: &str = "9999-12-31T23:59:59.997";

fn opt_reason<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ResolvedReason>, D::Error> {
    Ok(Option::<ResolvedReason>::deserialize(d)?.filter(|r| {
        let s = r.as_str();
        !(s.is_empty() || s.eq_ignore_ascii_case("none"))
    }))
}

fn opt_activity_logs<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<ActivityLog>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Vec<ActivityLog>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of activity logs, or a string holding one")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                return Ok(None);
            }
            serde_json::from_str(v)
                .map_err(|_| E::custom("the activityLogs string is not a JSON array of logs"))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut logs = Vec::with_capacity(seq.size_hint().unwrap_or(2));
            while let Some(log) = seq.next_element()? {
                logs.push(log);
            }
            Ok(Some(logs))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(V)
}

fn pc_time(t: &DateTime<Utc>) -> String {
    wire::format_timestamp(t, false)
}

impl Serialize for FraudEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        macro_rules! opt {
            ($key:literal, $v:expr) => {
                if let Some(v) = &$v {
                    m.serialize_entry($key, v)?;
                }
            };
        }
        macro_rules! time {
            ($key:literal, $v:expr) => {
                if let Some(v) = &$v {
                    m.serialize_entry($key, &pc_time(v))?;
                }
            };
        }
        macro_rules! time_or_sentinel {
            ($key:literal, $v:expr) => {
                match &$v {
                    Some(v) => m.serialize_entry($key, &pc_time(v))?,
                    None => m.serialize_entry($key, NO_DATE)?,
                }
            };
        }
        time!("eventTime", self.event_time);
        m.serialize_entry("eventId", &self.event_id)?;
        opt!("partnerTenantId", self.partner_tenant_id);
        opt!("partnerFriendlyName", self.partner_friendly_name);
        opt!("customerTenantId", self.customer_tenant_id);
        opt!("customerFriendlyName", self.customer_friendly_name);
        opt!("subscriptionId", self.subscription_id);
        opt!("subscriptionType", self.subscription_type);
        opt!("entityId", self.entity_id);
        opt!("entityName", self.entity_name);
        opt!("entityUrl", self.entity_url);
        if let Some(n) = self.hit_count {
            m.serialize_entry("hitCount", &n.to_string())?;
        }
        opt!("catalogOfferId", self.catalog_offer_id);
        if let Some(s) = &self.event_status {
            m.serialize_entry("eventStatus", s.as_partner_center_str())?;
        }
        opt!("serviceName", self.service_name);
        opt!("resourceName", self.resource_name);
        opt!("resourceGroupName", self.resource_group_name);
        time!("firstOccurrence", self.first_occurrence);
        time!("lastOccurrence", self.last_occurrence);
        m.serialize_entry(
            "resolvedReason",
            self.resolved_reason
                .as_ref()
                .map_or("None", ResolvedReason::as_partner_center_str),
        )?;
        time_or_sentinel!("resolvedOn", self.resolved_on);
        m.serialize_entry("resolvedBy", self.resolved_by.as_deref().unwrap_or(""))?;
        time_or_sentinel!("firstObserved", self.first_observed);
        time_or_sentinel!("lastObserved", self.last_observed);

        opt!("eventType", self.event_type);
        if let Some(s) = &self.severity {
            m.serialize_entry("severity", s.as_partner_center_str())?;
        }
        if let Some(c) = &self.confidence_level {
            m.serialize_entry("confidenceLevel", c.as_partner_center_str())?;
        }
        opt!("displayName", self.display_name);
        opt!("description", self.description);
        opt!("country", self.country);
        opt!(
            "valueAddedResellerTenantId",
            self.value_added_reseller_tenant_id
        );
        opt!(
            "valueAddedResellerFriendlyName",
            self.value_added_reseller_friendly_name
        );
        opt!("subscriptionName", self.subscription_name);
        if let Some(resources) = &self.affected_resources {
            m.serialize_entry("affectedResources", &PcResources(resources))?;
        }
        opt!("additionalDetails", self.additional_details);
        if let Some(t) = self.is_test {
            m.serialize_entry("IsTest", if t { "true" } else { "false" })?;
        }
        if let Some(logs) = &self.activity_logs {
            let encoded =
                serde_json::to_string(&PcLogs(logs)).map_err(serde::ser::Error::custom)?;
            m.serialize_entry("activityLogs", &encoded)?;
        }
        for u in self.unparsed.iter() {
            m.serialize_entry(u.field(), u.value())?;
        }
        m.end()
    }
}

struct PcResources<'a>(&'a [AffectedResource]);

impl Serialize for PcResources<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for r in self.0 {
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Pc<'a> {
                #[serde(skip_serializing_if = "Option::is_none")]
                azure_resource_id: Option<&'a str>,
                #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
                kind: Option<&'a str>,
            }
            seq.serialize_element(&Pc {
                azure_resource_id: r.resource_id.as_deref(),
                kind: r.resource_type.as_deref(),
            })?;
        }
        seq.end()
    }
}

struct PcLogs<'a>(&'a [ActivityLog]);

impl Serialize for PcLogs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for l in self.0 {
            #[derive(Serialize)]
            #[serde(rename_all = "camelCase")]
            struct Pc<'a> {
                #[serde(skip_serializing_if = "Option::is_none")]
                status_from: Option<&'a str>,
                #[serde(skip_serializing_if = "Option::is_none")]
                status_to: Option<&'a str>,
                #[serde(skip_serializing_if = "Option::is_none")]
                updated_by: Option<&'a str>,
                #[serde(skip_serializing_if = "Option::is_none")]
                date_time: Option<String>,
            }
            seq.serialize_element(&Pc {
                status_from: l
                    .status_from
                    .as_ref()
                    .map(AlertStatus::as_partner_center_str),
                status_to: l.status_to.as_ref().map(AlertStatus::as_partner_center_str),
                updated_by: l.updated_by.as_deref(),
                date_time: l
                    .updated_date_time
                    .as_ref()
                    .map(|t| wire::format_timestamp(t, true)),
            })?;
        }
        seq.end()
    }
}

/// Partner Center's names of the properties the conversion maps one to one, with Graph's.
const GRAPH_NAMES: &[(&str, &str)] = &[
    ("eventId", "id"),
    ("eventType", "alertType"),
    ("eventStatus", "status"),
    ("eventTime", "detectedDateTime"),
    ("resolvedOn", "resolvedOnDateTime"),
    ("IsTest", "isTest"),
];

/// Converts a Partner Center fraud event into the Graph model, so that one code path serves
/// both APIs.
///
/// | `FraudEvent` | `Alert` | Conversion |
/// |---|---|---|
/// | `event_id` | `id` | as is (the two APIs' ids differ in format; never compare across them) |
/// | `event_type` | `alert_type` | a known type takes Graph's spelling ([`AlertType::canonical`]); others as is |
/// | `event_status` | `status` | as is (enums ignore case) |
/// | `severity`, `confidence_level` | same | as is |
/// | `display_name`, `description` | same | as is |
/// | `customer_tenant_id`, `subscription_id`, `value_added_reseller_tenant_id`, `catalog_offer_id` | same | as is (the catalog id's format differs between the APIs) |
/// | `event_time` | `detected_date_time` | zone-less read as UTC |
/// | `first_observed`, else `first_occurrence` | `first_observed_date_time` | sentinel is `None` |
/// | `last_observed`, else `last_occurrence` | `last_observed_date_time` | sentinel is `None` |
/// | `resolved_reason` | `resolved_reason` | `"None"` is `None` |
/// | `resolved_on` | `resolved_on_date_time` | sentinel is `None` |
/// | `resolved_by` | `resolved_by` | `""` is `None` |
/// | `is_test` | `is_test` | string parsed |
/// | `affected_resources` (`azureResourceId`, `type`) | `affected_resources` (`resourceId`, `resourceType`) | renamed |
/// | `activity_logs` (`dateTime` with offset) | `activity_logs` (`updatedDateTime`) | decoded, to UTC |
/// | `additional_details` | `additional_details` | keys as read (lookups ignore case) |
/// | partner and customer names, `subscription_name`, `subscription_type`, `entity_*`, `hit_count`, `service_name`, `resource_name`, `resource_group_name`, `country`, reseller name | — | no Graph equivalent; dropped |
/// | `unparsed` | `unparsed` | kept; a value of a mapped field under Graph's name (`eventTime` as `detectedDateTime`), the others under Partner Center's |
impl From<FraudEvent> for Alert {
    fn from(e: FraudEvent) -> Alert {
        let mut a = Alert::new(e.event_id);
        a.display_name = e.display_name;
        a.description = e.description;
        a.alert_type = e.event_type.map(|t| t.canonical());
        a.status = e.event_status;
        a.severity = e.severity;
        a.confidence_level = e.confidence_level;
        a.customer_tenant_id = e.customer_tenant_id;
        a.subscription_id = e.subscription_id;
        a.value_added_reseller_tenant_id = e.value_added_reseller_tenant_id;
        a.catalog_offer_id = e.catalog_offer_id;
        a.detected_date_time = e.event_time;
        a.first_observed_date_time = e.first_observed.or(e.first_occurrence);
        a.last_observed_date_time = e.last_observed.or(e.last_occurrence);
        a.resolved_reason = e.resolved_reason;
        a.resolved_on_date_time = e.resolved_on;
        a.resolved_by = e.resolved_by;
        a.is_test = e.is_test;
        a.affected_resources = e.affected_resources;
        a.activity_logs = e.activity_logs;
        a.additional_details = e.additional_details;
        let mut unparsed = e.unparsed;
        unparsed.rename(GRAPH_NAMES);
        a.unparsed = unparsed;
        a
    }
}

impl fmt::Debug for FraudEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FraudEvent")
            .field("event_id", &self.event_id)
            .field("event_time", &self.event_time)
            .field("partner_tenant_id", &self.partner_tenant_id)
            .field("partner_friendly_name", &self.partner_friendly_name)
            .field("customer_tenant_id", &self.customer_tenant_id)
            .field("customer_friendly_name", &self.customer_friendly_name)
            .field("subscription_id", &self.subscription_id)
            .field("subscription_type", &self.subscription_type)
            .field("entity_id", &self.entity_id)
            .field("entity_name", &self.entity_name)
            .field("entity_url", &self.entity_url)
            .field("hit_count", &self.hit_count)
            .field("catalog_offer_id", &self.catalog_offer_id)
            .field("event_status", &self.event_status)
            .field("service_name", &self.service_name)
            .field("resource_name", &self.resource_name)
            .field("resource_group_name", &self.resource_group_name)
            .field("first_occurrence", &self.first_occurrence)
            .field("last_occurrence", &self.last_occurrence)
            .field("resolved_reason", &self.resolved_reason)
            .field("resolved_on", &self.resolved_on)
            .field("resolved_by", &redacted(&self.resolved_by))
            .field("first_observed", &self.first_observed)
            .field("last_observed", &self.last_observed)
            .field("event_type", &self.event_type)
            .field("severity", &self.severity)
            .field("confidence_level", &self.confidence_level)
            .field("display_name", &self.display_name)
            .field("description", &self.description)
            .field("country", &self.country)
            .field(
                "value_added_reseller_tenant_id",
                &self.value_added_reseller_tenant_id,
            )
            .field(
                "value_added_reseller_friendly_name",
                &self.value_added_reseller_friendly_name,
            )
            .field("subscription_name", &self.subscription_name)
            .field("affected_resources", &self.affected_resources)
            .field("additional_details", &self.additional_details)
            .field("is_test", &self.is_test)
            .field("activity_logs", &self.activity_logs)
            .field("unparsed", &self.unparsed)
            .finish()
    }
}
