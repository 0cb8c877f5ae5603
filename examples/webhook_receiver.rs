//! A Partner Center webhook receiver on axum: verify each callback, answer at once, read the
//! alerts in the background. Runs against the bundled emulator, which signs its callbacks
//! with a test CA:
//!
//! ```text
//! cargo run --example webhook_receiver --features webhooks
//! ```
//!
//! For Partner Center, build the verifier with `Verifier::builder().build()?` (the documented
//! certificate host, Mozilla's roots), the clients with real credentials, and serve behind
//! TLS.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use partner_alerts::auth::StaticToken;
use partner_alerts::webhooks::{
    AZURE_FRAUD_EVENT_DETECTED, Registration, RegistrationClient, Verifier, WebhookEvent,
};
use partner_alerts::{AlertSource, GraphClient};
use partner_alerts_emulator::Emulator;
use tokio::sync::mpsc;

struct Receiver {
    verifier: Verifier,
    queue: mpsc::Sender<WebhookEvent>,
    /// Partner Center delivers an event up to ten times: keys already queued.
    seen: Mutex<HashSet<String>>,
}

/// Verify, then queue: a 2xx within moments, the slow reading afterwards.
async fn callback(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let event = match r.verifier.verify(&headers, &body).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("refused: {e}");
            return StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::UNAUTHORIZED);
        }
    };
    let mut seen = r.seen.lock().unwrap();
    if seen.contains(&event.dedup_key()) {
        return StatusCode::OK; // a redelivery
    }
    let key = event.dedup_key();
    match r.queue.try_send(event) {
        Ok(()) => {
            seen.insert(key);
            StatusCode::OK
        }
        // Full: Partner Center tries again later; nothing is dropped silently.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::builder().alerts(50).seed(7).start().await?;
    let graph = GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("emulator"))
        .build()?;
    // The emulator's test CA and loopback certificate URL; see the module docs for Partner
    // Center's.
    let verifier = Verifier::builder()
        .allowed_hosts(["127.0.0.1"])
        .roots_der([emu.webhook_ca_der()])
        .allow_http_on_loopback(true)
        .build()?;

    let (tx, mut rx) = mpsc::channel(1024);
    let app = axum::Router::new()
        .route("/pc-events", axum::routing::post(callback))
        .with_state(Arc::new(Receiver {
            verifier,
            queue: tx,
            seen: Mutex::default(),
        }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/pc-events", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });

    RegistrationClient::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("emulator"))
        .build()?
        .register(&Registration::new(&url).event(AZURE_FRAUD_EVENT_DETECTED))
        .await?;
    let raised = emu.raise_alert();
    println!(
        "raised {} on subscription {:?}",
        raised.id, raised.subscription_id
    );

    // The background reader: the event names a subscription; read its alerts.
    let event = rx.recv().await.ok_or("the receiver stopped")?;
    let alerts = event.fetch_alerts(&graph as &dyn AlertSource).await?;
    for alert in &alerts {
        println!(
            "{} {:?} {:?} {:?}",
            alert.id, alert.alert_type, alert.severity, alert.status
        );
    }
    assert!(alerts.iter().any(|a| a.id == raised.id));
    emu.shutdown().await;
    Ok(())
}
