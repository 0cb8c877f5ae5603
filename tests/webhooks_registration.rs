//! The webhook registration client against httpmock on loopback: the requests of reference
//! section 5.1, Partner Center's headers and ids, its errors, and the test-event limit.

use httpmock::Method::{GET, POST, PUT};
use httpmock::MockServer;
use partner_alerts::auth::StaticToken;
use partner_alerts::http::RetryPolicy;
use partner_alerts::webhooks::{
    AZURE_FRAUD_EVENT_DETECTED, Registration, RegistrationClient, TEST_CREATED,
};
use serde_json::json;

fn client(server: &MockServer) -> RegistrationClient {
    RegistrationClient::builder()
        .base_url(server.base_url())
        .credential(StaticToken::new("pc-token"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[tokio::test]
async fn register_view_update_and_list_event_names() {
    let server = MockServer::start();
    let names = server.mock(|when, then| {
        when.method(GET)
            .path("/webhooks/v1/registration/events")
            .header("authorization", "Bearer pc-token")
            .header_exists("ms-requestid")
            .header_exists("ms-correlationid");
        then.status(200)
            .json_body(json!(["azure-fraud-event-detected", "test-created"]));
    });
    let register = server.mock(|when, then| {
        when.method(POST)
            .path("/webhooks/v1/registration")
            .header("content-type", "application/json")
            .json_body(json!({
                "WebhookUrl": "https://alerts.example.com/pc",
                "WebhookEvents": ["azure-fraud-event-detected", "test-created"],
                "SignatureTokenToMsSignatureHeader": true,
            }));
        then.status(200).json_body(json!({
            "SubscriberId": "e82cac64-dc67-4cd3-849b-78b6127dd57d",
            "WebhookUrl": "https://alerts.example.com/pc",
            "WebhookEvents": ["azure-fraud-event-detected", "test-created"],
        }));
    });
    let update = server.mock(|when, then| {
        when.method(PUT)
            .path("/webhooks/v1/registration")
            .json_body(json!({
                "WebhookUrl": "https://alerts.example.com/pc2",
                "WebhookEvents": ["azure-fraud-event-detected"],
            }));
        then.status(200).json_body(json!({
            "SubscriberId": "e82cac64-dc67-4cd3-849b-78b6127dd57d",
            "WebhookUrl": "https://alerts.example.com/pc2",
            "WebhookEvents": ["azure-fraud-event-detected"],
        }));
    });
    let view = server.mock(|when, then| {
        when.method(GET).path("/webhooks/v1/registration");
        // camelCase keys are read too.
        then.status(200).json_body(json!({
            "webhookUrl": "https://alerts.example.com/pc2",
            "webhookEvents": ["azure-fraud-event-detected"],
        }));
    });
    let c = client(&server);
    assert_eq!(
        c.event_names().await.unwrap(),
        ["azure-fraud-event-detected", "test-created"]
    );
    let r = c
        .register(
            &Registration::new("https://alerts.example.com/pc")
                .event(AZURE_FRAUD_EVENT_DETECTED)
                .event(TEST_CREATED)
                .signature_in_ms_signature_header(true),
        )
        .await
        .unwrap();
    assert_eq!(
        r.subscriber_id.as_deref(),
        Some("e82cac64-dc67-4cd3-849b-78b6127dd57d")
    );
    let r = c
        .update(
            &Registration::new("https://alerts.example.com/pc2").event(AZURE_FRAUD_EVENT_DETECTED),
        )
        .await
        .unwrap();
    assert_eq!(r.webhook_events, [AZURE_FRAUD_EVENT_DETECTED]);
    let r = c.registration().await.unwrap();
    assert_eq!(r.webhook_url, "https://alerts.example.com/pc2");
    assert_eq!(r.subscriber_id, None);
    for m in [names, register, update, view] {
        m.assert();
    }
}

#[tokio::test]
async fn test_events_and_their_delivery() {
    let server = MockServer::start();
    let send = server.mock(|when, then| {
        when.method(POST)
            .path("/webhooks/v1/registration/validationEvents");
        then.status(200)
            .json_body(json!({"correlationId": "04af2aea-d413-42db-824e-f328001484d1"}));
    });
    let read = server.mock(|when, then| {
        when.method(GET).path(
            "/webhooks/v1/registration/validationEvents/04af2aea-d413-42db-824e-f328001484d1",
        );
        then.status(200).json_body(json!({
            "correlationId": "04af2aea-d413-42db-824e-f328001484d1",
            "partnerId": "00234d9d-8c2d-4ff5-8c18-39f8afc6f7f3",
            "status": "completed",
            "callbackUrl": "https://alerts.example.com/pc",
            "results": [{
                "responseCode": "OK",
                "responseMessage": "",
                "systemError": false,
                "dateTimeUtc": "2017-12-08T21:39:48.2386997"
            }]
        }));
    });
    let c = client(&server);
    let sent = c.send_test_event().await.unwrap();
    let delivery = c.test_event_delivery(&sent.correlation_id).await.unwrap();
    assert_eq!(delivery.status.as_deref(), Some("completed"));
    let attempt = &delivery.results[0];
    assert_eq!(attempt.response_code.as_deref(), Some("OK"));
    assert!(!attempt.system_error);
    assert_eq!(
        attempt.date_time().unwrap().to_rfc3339(),
        "2017-12-08T21:39:48.238699700+00:00"
    );
    // The documented limit: two a minute; the third is refused before sending.
    c.send_test_event().await.unwrap();
    let e = c.send_test_event().await.unwrap_err();
    assert!(e.is_throttled(), "{e}");
    assert!(e.retry_after().unwrap().as_secs() <= 60);
    assert_eq!(e.attempts(), 0);
    send.assert_calls(2);
    read.assert();
    assert!(
        c.test_event_delivery("a/b")
            .await
            .unwrap_err()
            .is_invalid_input()
    );
}

#[tokio::test]
async fn errors_carry_partner_center_ids_and_bad_input_sends_nothing() {
    let server = MockServer::start();
    let missing = server.mock(|when, then| {
        when.method(GET).path("/webhooks/v1/registration");
        then.status(404)
            .header("MS-RequestId", "pc-req-1")
            .header("MS-CorrelationId", "pc-corr-1")
            .json_body(json!({"code": 1000, "description": "Not found", "source": "PartnerFD"}));
    });
    let c = client(&server);
    let e = c.registration().await.unwrap_err();
    assert!(e.is_not_found(), "{e}");
    assert_eq!(e.request_id().as_deref(), Some("pc-req-1"));
    assert_eq!(e.service_error().unwrap().code.as_deref(), Some("1000"));
    missing.assert();

    for bad in [
        Registration::new("not a url").event(AZURE_FRAUD_EVENT_DETECTED),
        Registration::new("https://alerts.example.com/pc"),
    ] {
        assert!(c.register(&bad).await.unwrap_err().is_invalid_input());
    }
    // Nothing else was sent.
    assert_eq!(missing.calls(), 1);
}
