//! A test double of `AlertSource` built outside the crate, from the public API only, driven
//! by the same function the quickstart runs; and the auto traits the docs promise.

#[path = "../examples/common/mod.rs"]
mod common;

use std::sync::Mutex;

use chrono::{TimeDelta, Utc};
use partner_alerts::error::{Api, ServiceError};
use partner_alerts::{
    Alert, AlertId, AlertQuery, AlertSource, AlertStatus, Capabilities, Continuation, Error,
    FraudEventsClient, GraphClient, Page, PageStream, Pager, RequestIds, ResolvedReason, Severity,
    StatusUpdate, UpdateReport, UpdateTarget,
};

/// Alerts in memory; resolves what it is asked to, refuses an id it does not hold.
#[derive(Debug)]
struct InMemory {
    alerts: Mutex<Vec<Alert>>,
    capabilities: Capabilities,
}

impl InMemory {
    fn new(alerts: Vec<Alert>, capabilities: Capabilities) -> Self {
        InMemory {
            alerts: Mutex::new(alerts),
            capabilities,
        }
    }

    fn ids() -> RequestIds {
        RequestIds::new(uuid::Uuid::new_v4()).with_request_id("double")
    }
}

#[async_trait::async_trait]
impl AlertSource for InMemory {
    fn kind(&self) -> partner_alerts::SourceKind {
        partner_alerts::SourceKind::Graph
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn list(&self, query: &AlertQuery) -> Pager {
        let matching: Vec<Alert> = self
            .alerts
            .lock()
            .unwrap()
            .iter()
            .filter(|a| {
                query
                    .filter_expr()
                    .is_none_or(|f| f.matches(a) == Some(true))
            })
            .cloned()
            .collect();
        // Two pages, as a service would page them.
        let half = matching.len() / 2;
        let (first, second) = matching.split_at(half);
        let pages = vec![
            Ok(Page::new(first.to_vec(), Self::ids())),
            Ok(Page::new(second.to_vec(), Self::ids())),
        ];
        Pager::from_pages(futures::stream::iter(pages))
    }

    async fn get(&self, id: &AlertId) -> partner_alerts::Result<Alert> {
        self.alerts
            .lock()
            .unwrap()
            .iter()
            .find(|a| a.id == *id)
            .cloned()
            .ok_or_else(|| Error::from_service(ServiceError::new(Api::Graph, 404, Self::ids())))
    }

    async fn update_alerts(
        &self,
        targets: &[UpdateTarget],
        update: &StatusUpdate,
    ) -> partner_alerts::Result<UpdateReport> {
        let mut report = UpdateReport::default();
        let mut alerts = self.alerts.lock().unwrap();
        for t in targets {
            match alerts.iter_mut().find(|a| a.id == t.id) {
                Some(a) => {
                    a.status = Some(update.status().clone());
                    a.resolved_reason = update.reason().cloned();
                    a.resolved_on_date_time = Some(Utc::now());
                    a.resolved_by = Some("double@contoso.example".into());
                    report.succeeded.push((t.id.clone(), Some(a.clone())));
                }
                None => report.failed.push((
                    t.id.clone(),
                    std::sync::Arc::new(Error::from_service(ServiceError::new(
                        Api::Graph,
                        404,
                        Self::ids(),
                    ))),
                )),
            }
        }
        Ok(report)
    }
}

fn alert(n: u32, status: AlertStatus, severity: Severity) -> Alert {
    let mut a = Alert::new(AlertId::new(format!("double-{n}")).unwrap());
    a.status = Some(status);
    a.severity = Some(severity);
    a.detected_date_time = Some(Utc::now() - TimeDelta::hours(i64::from(n)));
    a
}

/// A Graph client's capabilities, to start a double's from (`Capabilities` is
/// `#[non_exhaustive]`).
fn graph_capabilities() -> Capabilities {
    GraphClient::builder()
        .credential(partner_alerts::auth::StaticToken::new("t"))
        .build()
        .unwrap()
        .capabilities()
}

#[tokio::test]
async fn the_quickstart_runs_on_a_double_built_outside_the_crate() {
    let double = InMemory::new(
        vec![
            alert(1, AlertStatus::Active, Severity::High),
            alert(2, AlertStatus::Active, Severity::Low),
            alert(3, AlertStatus::Active, Severity::High),
            alert(4, AlertStatus::Resolved, Severity::High),
        ],
        graph_capabilities(),
    );
    common::triage::run(&double, true).await.unwrap();
    // The quickstart resolved the first active high-severity alert it listed.
    let first = double
        .get(&AlertId::new("double-1").unwrap())
        .await
        .unwrap();
    assert_eq!(first.status, Some(AlertStatus::Resolved));
    assert_eq!(first.resolved_reason, Some(ResolvedReason::Legitimate));
    let other = double
        .get(&AlertId::new("double-3").unwrap())
        .await
        .unwrap();
    assert_eq!(other.status, Some(AlertStatus::Active));

    let missing = double
        .get(&AlertId::new("nope").unwrap())
        .await
        .unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(missing.request_id().as_deref(), Some("double"));
}

#[test]
fn the_public_types_have_the_auto_traits_their_docs_promise() {
    fn send_sync_static<T: Send + Sync + 'static>() {}
    fn send_static<T: Send + 'static>() {}
    send_sync_static::<GraphClient>();
    send_sync_static::<FraudEventsClient>();
    send_sync_static::<Continuation>();
    send_sync_static::<Error>();
    send_sync_static::<UpdateReport>();
    send_sync_static::<UpdateTarget>();
    send_sync_static::<Page>();
    send_sync_static::<Capabilities>();
    // Streams are polled by one task at a time: Send, so they move into spawned tasks.
    send_static::<Pager>();
    send_static::<PageStream>();
    // Object safe, and shareable across tasks.
    send_sync_static::<Box<dyn AlertSource>>();
}
