//! Setting events' status: one POST per subscription, refused before sending when Partner
//! Center would not accept it.

use serde::Serialize;
use serde_json::value::RawValue;

use super::FraudEventsClient;
use crate::endpoint::join;
use crate::error::{Api, InvalidInput, Result, Unsupported};
use crate::http::Request;
use crate::model::lenient;
use crate::pager::EachElement;
use crate::{AlertId, FraudEvent, ResolvedReason, StatusUpdate, SubscriptionId};

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StatusBody<'a> {
    event_ids: Vec<&'a str>,
    event_status: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved_reason: Option<&'a str>,
}

impl FraudEventsClient {
    /// Sets the status of these events of one subscription (one POST), returning the events
    /// as the service sent them back.
    ///
    /// # Errors
    /// [`Error::InvalidInput`](crate::Error::InvalidInput), with nothing sent, when `event_ids` is empty: an empty list
    /// means "every event of the subscription" to Partner Center, so that takes its own call,
    /// [`FraudEventsClient::update_all_events_of_subscription`].
    pub async fn update_events(
        &self,
        subscription: &SubscriptionId,
        event_ids: &[AlertId],
        update: &StatusUpdate,
    ) -> Result<Vec<FraudEvent>> {
        if event_ids.is_empty() {
            return Err(InvalidInput::new(
                "event ids",
                "is empty; to update every event of the subscription, call update_all_events_of_subscription",
            )
            .into());
        }
        self.post_status(subscription, event_ids, update).await
    }

    /// Sets the status of every fraud event of a subscription (an empty `EventIds`, sent
    /// deliberately).
    pub async fn update_all_events_of_subscription(
        &self,
        subscription: &SubscriptionId,
        update: &StatusUpdate,
    ) -> Result<Vec<FraudEvent>> {
        self.post_status(subscription, &[], update).await
    }

    pub(super) async fn post_status(
        &self,
        subscription: &SubscriptionId,
        event_ids: &[AlertId],
        update: &StatusUpdate,
    ) -> Result<Vec<FraudEvent>> {
        check_update(update)?;
        let body = StatusBody {
            event_ids: event_ids.iter().map(AlertId::as_str).collect(),
            event_status: update.status().as_partner_center_str(),
            resolved_reason: update.reason().map(|r| r.as_partner_center_str()),
        };
        let body =
            serde_json::to_vec(&body).map_err(|e| InvalidInput::new("update", e.to_string()))?;
        let url = join(
            &self.inner.transport.base,
            &[
                "v1",
                "fraudEvents",
                "subscription",
                subscription.as_str(),
                "status",
            ],
        );
        let response = self
            .inner
            .transport
            .send(Request::write(reqwest::Method::POST, url, body, "update"))
            .await?;
        if response.bytes().iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        if let Ok(events) = response.json(Api::PartnerCenter) {
            return Ok(events);
        }
        // Event by event: one odd value must not make every update look failed. An item
        // that is no event is left out (its update then shows as unconfirmed).
        let mut events = Vec::new();
        response.json_seed(
            Api::PartnerCenter,
            EachElement::new(|raw: &RawValue| {
                if let Ok(e) = lenient::item::<FraudEvent>(raw.get()) {
                    events.push(e);
                }
            }),
        )?;
        Ok(events)
    }
}

/// The reasons Partner Center documents for resolving a fraud event.
pub(super) const ACCEPTED_REASONS: [ResolvedReason; 2] =
    [ResolvedReason::Fraud, ResolvedReason::Ignore];

/// Refuses, before anything is sent, an update Partner Center does not accept.
pub(super) fn check_update(update: &StatusUpdate) -> Result<()> {
    update.validate()?;
    match update.reason() {
        Some(reason) if !ACCEPTED_REASONS.contains(reason) => Err(Unsupported::new(
            Api::PartnerCenter,
            format!(
                "resolve a fraud event as {reason} (it accepts Fraud or Ignore); resolve as {reason} through Graph (GraphClient)"
            ),
        )
        .into()),
        _ => Ok(()),
    }
}
