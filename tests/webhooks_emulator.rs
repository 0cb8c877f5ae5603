//! Webhooks end to end against the emulator: register, raise an alert, receive the signed
//! callback, verify it, read the alert it points at; a redelivery carries the same event;
//! the test event and its delivery report; retries when the receiver answers 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use partner_alerts::auth::StaticToken;
use partner_alerts::webhooks::{
    AZURE_FRAUD_EVENT_DETECTED, Registration, RegistrationClient, TEST_CREATED, Verifier,
};
use partner_alerts::{FraudEventsClient, GraphClient};
use partner_alerts_emulator::Emulator;
use tokio::sync::mpsc;

/// A receiver on loopback that hands each callback to the test, answering 503 to the first
/// `refuse` and 200 to the rest.
async fn receiver(refuse: usize) -> (String, mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let refused = Arc::new(AtomicUsize::new(0));
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            let refused = refused.clone();
            async move {
                if refused.fetch_add(1, Ordering::SeqCst) < refuse {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                let _ = tx.send((headers, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(HeaderMap, Bytes)>) -> (HeaderMap, Bytes) {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("a callback within 20 s")
        .expect("the receiver runs")
}

fn verifier(emu: &Emulator) -> Verifier {
    Verifier::builder()
        .allowed_hosts(["127.0.0.1"])
        .allow_http_on_loopback(true)
        .roots_der([emu.webhook_ca_der()])
        .build()
        .unwrap()
}

fn registrations(emu: &Emulator) -> RegistrationClient {
    RegistrationClient::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("emulator"))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_raise_receive_verify_and_read_the_alert() {
    let emu = Emulator::builder()
        .alerts(20)
        .seed(3)
        .start()
        .await
        .unwrap();
    let (url, mut rx) = receiver(0).await;
    let reg = registrations(&emu);
    assert!(
        reg.event_names()
            .await
            .unwrap()
            .contains(&AZURE_FRAUD_EVENT_DETECTED.to_owned())
    );
    reg.register(
        &Registration::new(&url)
            .event(AZURE_FRAUD_EVENT_DETECTED)
            .event(TEST_CREATED),
    )
    .await
    .unwrap();
    assert_eq!(reg.registration().await.unwrap().webhook_url, url);

    let raised = emu.raise_alert();
    let (headers, body) = next(&mut rx).await;
    assert!(
        headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Signature ")
    );
    let verifier = verifier(&emu);
    let event = verifier.verify(&headers, &body).await.unwrap();
    assert!(event.is_fraud_event());
    assert_eq!(event.subscription_id(), raised.subscription_id);

    let graph = GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("emulator"))
        .build()
        .unwrap();
    let alerts = event.fetch_alerts(&graph).await.unwrap();
    assert!(alerts.iter().any(|a| a.id == raised.id), "{alerts:?}");
    let pc = FraudEventsClient::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("emulator"))
        .build()
        .unwrap();
    let events = event.fetch_alerts(&pc).await.unwrap();
    assert!(
        events
            .iter()
            .all(|a| a.subscription_id == raised.subscription_id)
            && !events.is_empty()
    );

    // A redelivery: the same bytes, so the same event and key; the receiver drops it.
    assert!(emu.redeliver_last_webhook());
    let (headers2, body2) = next(&mut rx).await;
    assert_eq!(body2, body);
    let again = verifier.verify(&headers2, &body2).await.unwrap();
    assert_eq!(again.dedup_key(), event.dedup_key());
    // One download for both.
    assert_eq!(verifier.cached_certificates(), 1);

    // The test event, and what Partner Center reports of its delivery.
    let sent = reg.send_test_event().await.unwrap();
    let (headers, body) = next(&mut rx).await;
    let test = verifier.verify(&headers, &body).await.unwrap();
    assert!(test.is_test());
    // The emulator records the delivery once the receiver's answer is back, a moment after
    // the receiver has the body: read until it is there (bounded).
    let mut delivery = reg.test_event_delivery(&sent.correlation_id).await.unwrap();
    for _ in 0..100 {
        if delivery.status.as_deref() == Some("completed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        delivery = reg.test_event_delivery(&sent.correlation_id).await.unwrap();
    }
    assert_eq!(delivery.status.as_deref(), Some("completed"));
    assert_eq!(delivery.results[0].response_code.as_deref(), Some("OK"));
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signature_moves_to_x_ms_signature_and_a_503_is_retried() {
    let emu = Emulator::builder().alerts(5).seed(4).start().await.unwrap();
    let (url, mut rx) = receiver(2).await;
    let reg = registrations(&emu);
    reg.update(
        &Registration::new(&url)
            .event(AZURE_FRAUD_EVENT_DETECTED)
            .signature_in_ms_signature_header(true),
    )
    .await
    .unwrap();
    emu.raise_alert();
    let (headers, body) = next(&mut rx).await;
    assert!(headers.get("authorization").is_none());
    assert!(headers.get("x-ms-signature").is_some());
    verifier(&emu).verify(&headers, &body).await.unwrap();
    let deliveries = emu.webhook_deliveries();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].attempts, [Some(503), Some(503), Some(200)]);
    assert!(deliveries[0].delivered());
    // Not registered for test-created: the test event is refused.
    assert!(reg.send_test_event().await.is_err());
    emu.shutdown().await;
}
