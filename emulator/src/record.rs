//! The stored alert: one record per alert, with what only the Partner Center view needs and
//! its cached Graph JSON.

use partner_alerts::{Alert, AlertId};
use serde::{Deserialize, Serialize};

/// One alert with what only the Partner Center view needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Record {
    /// Listing order; also the position a Graph `$skiptoken` points after.
    pub seq: u64,
    /// The FraudEvents id, `<subscriptionId>_<GUID>`.
    pub event_id: AlertId,
    /// Partner Center's `customerFriendlyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Partner Center's `valueAddedResellerFriendlyName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reseller_name: Option<String>,
    /// Partner Center's `subscriptionName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_name: Option<String>,
    /// The alert as Graph serves it.
    pub alert: Alert,
    /// The alert's full Graph JSON, written on first listing and dropped on every change.
    #[serde(skip)]
    pub rendered: Rendered,
}

/// A cache of a record's Graph JSON: not state, so it never makes records differ.
#[derive(Clone, Default)]
pub(crate) struct Rendered(std::sync::OnceLock<Option<Box<serde_json::value::RawValue>>>);

impl Rendered {
    /// The cached JSON, written by `render` the first time.
    pub(crate) fn get_or_render(
        &self,
        render: impl FnOnce() -> Option<Box<serde_json::value::RawValue>>,
    ) -> Option<&serde_json::value::RawValue> {
        self.0.get_or_init(render).as_deref()
    }
}

impl PartialEq for Rendered {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rendered")
    }
}
