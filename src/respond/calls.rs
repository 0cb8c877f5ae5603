//! The Partner Center calls the actions send (reference sections 10.8 to 10.10), through
//! the directory's transport: the same host, token, retries and request ids.

use serde_json::{Map, Value};

use super::action::CancellationReason;
use crate::enrich::{PartnerCenterDirectory, Subscription, SubscriptionStatus};
use crate::error::{Api, Error, InvalidInput, InvalidResponse, RequestIds, Result};
use crate::http::Request;
use crate::{SubscriptionId, TenantId};

/// The operation a `403` of cancel and reactivate is explained by (Global Administrator and
/// Admin Agent); the subscription's reads and PATCH need Admin Agent only.
const OPERATION: &str = "respond";

/// Partner Center's answer to a stale `If-Match` (section 10.10).
const STALE_ETAG: &str = "2055";

/// Partner Center's refusal to suspend an Azure plan with active subscriptions.
const PLAN_HAS_ACTIVE: &str = "900115";

fn entitlement_url(
    pc: &PartnerCenterDirectory,
    customer: &TenantId,
    plan: &SubscriptionId,
    azure_subscription: &SubscriptionId,
    verb: &str,
) -> url::Url {
    pc.url(&[
        "customers",
        customer.as_str(),
        "subscriptions",
        plan.as_str(),
        "azureEntitlements",
        azure_subscription.as_str(),
        verb,
    ])
}

/// `POST .../azureEntitlements/{id}/cancel` with `{"cancellationReason": ...}` (camelCase,
/// Q44). Any 2xx is accepted (Q37: 200 with the entitlement, or 202): the caller reads
/// the entitlement until it is no longer active.
pub(super) async fn cancel(
    pc: &PartnerCenterDirectory,
    customer: &TenantId,
    plan: &SubscriptionId,
    azure_subscription: &SubscriptionId,
    reason: &CancellationReason,
) -> Result<RequestIds> {
    let body = serde_json::to_vec(&serde_json::json!({ "cancellationReason": reason.as_str() }))
        .expect("a JSON object serialises");
    let url = entitlement_url(pc, customer, plan, azure_subscription, "cancel");
    let response = pc
        .transport()
        .send(Request::write(reqwest::Method::POST, url, body, OPERATION))
        .await?;
    Ok(response.ids)
}

/// `POST .../azureEntitlements/{id}/reactivate`, with no body (section 10.9).
pub(super) async fn reactivate(
    pc: &PartnerCenterDirectory,
    customer: &TenantId,
    plan: &SubscriptionId,
    azure_subscription: &SubscriptionId,
) -> Result<RequestIds> {
    let url = entitlement_url(pc, customer, plan, azure_subscription, "reactivate");
    let response = pc
        .transport()
        .send(Request::write(
            reqwest::Method::POST,
            url,
            Vec::new(),
            OPERATION,
        ))
        .await?;
    Ok(response.ids)
}

/// A subscription as sent, every field kept so that it goes back whole (Q43).
pub(super) struct RawSubscription {
    object: Map<String, Value>,
    pub(super) status: Option<SubscriptionStatus>,
    etag: Option<String>,
}

impl RawSubscription {
    fn decode(object: Map<String, Value>) -> Result<Self> {
        let typed: Subscription =
            serde_json::from_value(Value::Object(object.clone())).map_err(|e| {
                Error::InvalidResponse(Box::new(InvalidResponse::new(
                    format!("a Partner Center subscription could not be read: {e}"),
                    None,
                )))
            })?;
        let etag = get_ci(&object, "attributes")
            .and_then(Value::as_object)
            .and_then(|a| get_ci(a, "etag"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(RawSubscription {
            object,
            status: typed.status,
            etag,
        })
    }

    /// The object with only its status changed, under the key it was read with (the
    /// documentation's examples use both `status` and `Status`).
    fn with_status(&self, to: &SubscriptionStatus) -> Map<String, Value> {
        let mut object = self.object.clone();
        let key = object
            .keys()
            .find(|k| k.eq_ignore_ascii_case("status"))
            .cloned()
            .unwrap_or_else(|| "status".to_owned());
        object.insert(key, Value::String(to.as_str().to_owned()));
        object
    }
}

/// A key looked up in any case (Partner Center's examples mix camelCase and PascalCase).
fn get_ci<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// `GET /v1/customers/{c}/subscriptions/{s}`, kept whole.
pub(super) async fn subscription(
    pc: &PartnerCenterDirectory,
    customer: &TenantId,
    subscription: &SubscriptionId,
) -> Result<RawSubscription> {
    let url = pc.url(&[
        "customers",
        customer.as_str(),
        "subscriptions",
        subscription.as_str(),
    ]);
    let response = pc.transport().send(Request::get(url, "get")).await?;
    RawSubscription::decode(response.json(Api::PartnerCenter)?)
}

/// What [`set_status`] found or did.
pub(super) enum SetStatus {
    /// The subscription read just before had that status already: nothing sent.
    AlreadyDone,
    /// Sent and accepted: the PATCH's ids and the status it answered, when its body could be
    /// read (`None`: read the subscription again to know).
    Sent(RequestIds, Option<SubscriptionStatus>),
}

/// Sets a subscription's status (section 10.10): read it, send it back whole with only
/// `status` changed and its ETag in `If-Match` (Q42); a stale ETag (`2055`) is read again
/// and sent once more. Only an active or suspended subscription is changed.
pub(super) async fn set_status(
    pc: &PartnerCenterDirectory,
    customer: &TenantId,
    id: &SubscriptionId,
    to: &SubscriptionStatus,
) -> Result<SetStatus> {
    let url = pc.url(&["customers", customer.as_str(), "subscriptions", id.as_str()]);
    let mut retried = false;
    loop {
        let current = subscription(pc, customer, id).await?;
        match &current.status {
            Some(s) if s == to => return Ok(SetStatus::AlreadyDone),
            Some(SubscriptionStatus::Active | SubscriptionStatus::Suspended) => {}
            other => {
                return Err(InvalidInput::new(
                    "plan",
                    format!(
                        "subscription {id} is now {}: only an active or suspended subscription changes; plan again",
                        other.as_ref().map_or("of unknown status", |s| s.as_str())
                    ),
                )
                .into());
            }
        }
        let body = serde_json::to_vec(&current.with_status(to)).expect("a JSON object serialises");
        let mut request = Request::write(reqwest::Method::PATCH, url.clone(), body, "update");
        match &current.etag {
            Some(etag) => {
                request = request.if_match(format!("\"{}\"", etag.trim_matches('"')));
            }
            None => tracing::warn!("the subscription came without an ETag: sent without If-Match"),
        }
        match pc.transport().send(request).await {
            Ok(response) => {
                let answered = response
                    .json::<Map<String, Value>>(Api::PartnerCenter)
                    .and_then(RawSubscription::decode)
                    .ok()
                    .and_then(|s| s.status);
                return Ok(SetStatus::Sent(response.ids, answered));
            }
            Err(Error::Service(e)) if !retried && e.code.as_deref() == Some(STALE_ETAG) => {
                tracing::debug!("stale ETag: reading the subscription again");
                retried = true;
            }
            // The plan's own refusal, not a missing role (Q46).
            Err(Error::Forbidden(mut e)) if e.code.as_deref() == Some(PLAN_HAS_ACTIVE) => {
                e.missing_permission = None;
                return Err(Error::Forbidden(e));
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_changes_under_the_key_it_was_read_with_and_nothing_else_does() {
        let object: Map<String, Value> = serde_json::from_str(
            r#"{"Id": "S1", "Status": "active", "AutoRenewEnabled": true, "quantity": 1,
                "Attributes": {"Etag": "abc", "ObjectType": "Subscription"}}"#,
        )
        .unwrap();
        let raw = RawSubscription::decode(object.clone()).unwrap();
        assert_eq!(raw.status, Some(SubscriptionStatus::Active));
        assert_eq!(raw.etag.as_deref(), Some("abc"));
        let sent = raw.with_status(&SubscriptionStatus::Suspended);
        assert_eq!(sent["Status"], "suspended");
        assert!(!sent.contains_key("status"));
        let mut expected = object;
        expected.insert("Status".into(), "suspended".into());
        assert_eq!(sent, expected);
    }
}
