use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::details::AdditionalDetails;
use super::enums::{AlertStatus, AlertType, ConfidenceLevel, ResolvedReason, Severity};
use super::ids::{AlertId, SubscriptionId, TenantId};
use super::lenient::Lenient;
use super::unparsed::Unparsed;
use super::wire;

/// A partner security alert (Graph `partnerSecurityAlert`): suspicious activity on a
/// customer's Azure subscription.
///
/// Every property but `id` is optional: `$select` returns partial objects, and the service
/// may send `null` for any of them. Unknown properties are ignored. `Serialize` writes the
/// service's JSON back (camelCase names; absent properties left out), so alerts can be
/// stored, exported and re-read without loss.
///
/// The clients decode each alert strictly first and, only when that fails, property by
/// property: a value a field cannot hold leaves that field `None` and is kept in
/// [`Alert::unparsed`], so an odd value never costs the alert (see the table in
/// [`Pager`](crate::Pager)). `serde_json::from_str::<Alert>` alone is strict.
///
/// ```
/// use partner_alerts::{Alert, AlertStatus, Severity};
///
/// let alert: Alert = serde_json::from_str(r#"{"id":"a1","status":"active","severity":"high"}"#)?;
/// assert_eq!(alert.status, Some(AlertStatus::Active));
/// assert_eq!(alert.severity, Some(Severity::High));
/// assert_eq!(alert.subscription_id, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
/// `Debug` leaves out `resolvedBy` (a person's UPN), as it does the activity log's authors.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Alert {
    /// The alert's id (GUID-shaped, or `<subscriptionId>-<GUID>`).
    pub id: AlertId,
    /// A short title, e.g. "Action Required: Virtual machine connecting to crypto currency
    /// mining pool Detected".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Free text describing the detection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What was detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_type: Option<AlertType>,
    /// Where the alert stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AlertStatus>,
    /// How severe it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// How sure the detection is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_level: Option<ConfidenceLevel>,
    /// The impacted customer's tenant.
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty",
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_tenant_id: Option<TenantId>,
    /// The customer's Azure subscription.
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty",
        skip_serializing_if = "Option::is_none"
    )]
    pub subscription_id: Option<SubscriptionId>,
    /// The indirect reseller's tenant, if any.
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty",
        skip_serializing_if = "Option::is_none"
    )]
    pub value_added_reseller_tenant_id: Option<TenantId>,
    /// The offer category, e.g. `MS-AZR-0017G` (Azure plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog_offer_id: Option<String>,
    /// When the alert was raised.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub detected_date_time: Option<DateTime<Utc>>,
    /// The first related activity.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_observed_date_time: Option<DateTime<Utc>>,
    /// The latest related activity.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_observed_date_time: Option<DateTime<Utc>>,
    /// Why it was resolved; `None` while unresolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_reason: Option<ResolvedReason>,
    /// When it was resolved; `None` while unresolved.
    #[serde(
        default,
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub resolved_on_date_time: Option<DateTime<Utc>>,
    /// The user (UPN) who resolved it. Do not infer the status from it: the service has been
    /// seen to fill it on unresolved alerts.
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub resolved_by: Option<String>,
    /// Whether this is a test alert.
    #[serde(
        default,
        deserialize_with = "wire::opt_bool_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_test: Option<bool>,
    /// The Azure resources involved; may be empty for some alert types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected_resources: Option<Vec<AffectedResource>>,
    /// The alert's status history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_logs: Option<Vec<ActivityLog>>,
    /// Type-specific details (IP addresses, mining pool, connection count, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<AdditionalDetails>,
    /// The values the service sent that their fields could not hold (a date that is not a
    /// date, a number where a list belongs): each such field is `None` above and its value
    /// is kept here. Empty for well-formed alerts. Written back by `Serialize` under the
    /// names they came with.
    #[serde(flatten, skip_deserializing)]
    pub unparsed: Unparsed,
}

impl Alert {
    /// An alert with only its id set; fill the public fields as needed (for tests and
    /// fixtures).
    ///
    /// ```
    /// use partner_alerts::{Alert, AlertId, AlertStatus};
    ///
    /// let mut alert = Alert::new(AlertId::new("a1")?);
    /// alert.status = Some(AlertStatus::Active);
    /// assert!(alert.is_unresolved());
    /// # Ok::<(), partner_alerts::InvalidInput>(())
    /// ```
    pub fn new(id: AlertId) -> Self {
        Alert {
            id,
            display_name: None,
            description: None,
            alert_type: None,
            status: None,
            severity: None,
            confidence_level: None,
            customer_tenant_id: None,
            subscription_id: None,
            value_added_reseller_tenant_id: None,
            catalog_offer_id: None,
            detected_date_time: None,
            first_observed_date_time: None,
            last_observed_date_time: None,
            resolved_reason: None,
            resolved_on_date_time: None,
            resolved_by: None,
            is_test: None,
            affected_resources: None,
            activity_logs: None,
            additional_details: None,
            unparsed: Unparsed::new(),
        }
    }

    /// Whether the alert still needs attention: its status is known and not `resolved`
    /// (so `investigating` counts, as on the Partner Center dashboard).
    pub fn is_unresolved(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| *s != AlertStatus::Resolved)
    }
}

impl Lenient for Alert {
    const ID: &'static str = "id";

    fn keep(&mut self, unparsed: Unparsed) {
        self.unparsed = unparsed;
    }
}

/// An Azure resource involved in an alert.
///
/// Graph sends `resourceId` / `resourceType`; Partner Center `azureResourceId` / `type`.
/// Both decode into this type; it serialises with Graph's names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AffectedResource {
    /// The Azure resource path, e.g. `/subscriptions/{sub}/resourceGroups/{rg}/providers/...`.
    #[serde(
        default,
        alias = "azureResourceId",
        skip_serializing_if = "Option::is_none"
    )]
    pub resource_id: Option<String>,
    /// The kind of resource, e.g. `AzureResource` (free text).
    #[serde(default, alias = "type", skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
}

impl AffectedResource {
    /// A resource with the given id and type.
    pub fn new(resource_id: impl Into<String>, resource_type: impl Into<String>) -> Self {
        AffectedResource {
            resource_id: Some(resource_id.into()),
            resource_type: Some(resource_type.into()),
        }
    }
}

/// One status change in an alert's history.
///
/// Graph names the time `updatedDateTime` (UTC); Partner Center `dateTime` (with an offset).
/// Both decode into `updated_date_time`, in UTC.
/// `Debug` leaves out `updatedBy` (a person's UPN).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ActivityLog {
    /// The status before the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_from: Option<AlertStatus>,
    /// The status after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_to: Option<AlertStatus>,
    /// Who made the change (UPN).
    #[serde(
        default,
        deserialize_with = "wire::opt_nonempty_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_by: Option<String>,
    /// When the change was made.
    #[serde(
        default,
        alias = "dateTime",
        deserialize_with = "wire::opt_timestamp",
        serialize_with = "wire::ser_opt_timestamp",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_date_time: Option<DateTime<Utc>>,
}

impl ActivityLog {
    /// A status change by `by` at `at`.
    pub fn new(
        from: AlertStatus,
        to: AlertStatus,
        by: impl Into<String>,
        at: DateTime<Utc>,
    ) -> Self {
        ActivityLog {
            status_from: Some(from),
            status_to: Some(to),
            updated_by: Some(by.into()),
            updated_date_time: Some(at),
        }
    }
}

impl fmt::Debug for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Alert")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("description", &self.description)
            .field("alert_type", &self.alert_type)
            .field("status", &self.status)
            .field("severity", &self.severity)
            .field("confidence_level", &self.confidence_level)
            .field("customer_tenant_id", &self.customer_tenant_id)
            .field("subscription_id", &self.subscription_id)
            .field(
                "value_added_reseller_tenant_id",
                &self.value_added_reseller_tenant_id,
            )
            .field("catalog_offer_id", &self.catalog_offer_id)
            .field("detected_date_time", &self.detected_date_time)
            .field("first_observed_date_time", &self.first_observed_date_time)
            .field("last_observed_date_time", &self.last_observed_date_time)
            .field("resolved_reason", &self.resolved_reason)
            .field("resolved_on_date_time", &self.resolved_on_date_time)
            .field("resolved_by", &redacted(&self.resolved_by))
            .field("is_test", &self.is_test)
            .field("affected_resources", &self.affected_resources)
            .field("activity_logs", &self.activity_logs)
            .field("additional_details", &self.additional_details)
            .field("unparsed", &self.unparsed)
            .finish()
    }
}

impl fmt::Debug for ActivityLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityLog")
            .field("status_from", &self.status_from)
            .field("status_to", &self.status_to)
            .field("updated_by", &redacted(&self.updated_by))
            .field("updated_date_time", &self.updated_date_time)
            .finish()
    }
}

/// A person's name or UPN as `Debug` shows it: whether there is one, not what it is.
pub(crate) fn redacted(v: &Option<String>) -> Option<&'static str> {
    v.as_ref().map(|_| "<redacted>")
}
