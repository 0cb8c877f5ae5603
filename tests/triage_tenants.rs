//! `triage::Tenants`: several partner tenants in one view, against emulators started in
//! process (one of them failing every request, with retries off) and a test double that
//! counts the listings running at once. Every test is bounded in requests and time: no
//! retries, no sleeping.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Utc;
use partner_alerts::auth::StaticToken;
use partner_alerts::error::{Api, ServiceError};
use partner_alerts::http::RetryPolicy;
use partner_alerts::model::UnparsedValue;
use partner_alerts::triage::{Dashboard, TenantAlert, TenantAlerts, TenantTarget, Tenants};
use partner_alerts::{
    Alert, AlertId, AlertQuery, AlertSource, AlertStatus, Capabilities, Error, GraphClient, Pager,
    RequestIds, ResolvedReason, SourceKind, StatusUpdate, UpdateReport, UpdateTarget,
};
use partner_alerts_emulator::{Emulator, FaultKind, FaultSettings};
use support::sleep::NoSleep;

/// A Graph client of `emu` with retries off, so a failing emulator costs one request.
fn client(emu: &Emulator) -> Arc<dyn AlertSource> {
    Arc::new(
        GraphClient::builder()
            .base_url(emu.graph_base_url())
            .credential(StaticToken::new("t"))
            .retry(RetryPolicy::disabled())
            .sleep(Arc::new(NoSleep::default()))
            .build()
            .unwrap(),
    )
}

/// A FraudEvents client of `emu`, retries off.
#[cfg(feature = "fraud-events")]
fn fraud_events_client(emu: &Emulator) -> Arc<dyn AlertSource> {
    Arc::new(
        partner_alerts::FraudEventsClient::builder()
            .base_url(emu.partner_center_base_url())
            .credential(StaticToken::new("t"))
            .retry(RetryPolicy::disabled())
            .sleep(Arc::new(NoSleep::default()))
            .build()
            .unwrap(),
    )
}

async fn emulator(alerts: usize, seed: u64) -> Emulator {
    Emulator::builder()
        .alerts(alerts)
        .seed(seed)
        .page_size(16)
        .start()
        .await
        .unwrap()
}

/// An emulator that answers every request with a 500 (not retried by a client with retries
/// off).
async fn broken() -> Emulator {
    Emulator::builder()
        .alerts(5)
        .seed(9)
        .faults(
            FaultSettings::new()
                .rate(1.0)
                .kinds([FaultKind::InternalServerError]),
        )
        .start()
        .await
        .unwrap()
}

/// Reads a whole fan-out, failing the test if it takes more than a few seconds.
async fn drain(
    mut alerts: TenantAlerts,
) -> (Vec<TenantAlert>, Vec<partner_alerts::triage::TenantError>) {
    tokio::time::timeout(Duration::from_secs(20), async move {
        let (mut ok, mut failed) = (Vec::new(), Vec::new());
        while let Some(item) = alerts.next_item().await {
            match item {
                Ok(a) => ok.push(a),
                Err(e) => failed.push(e),
            }
        }
        (ok, failed)
    })
    .await
    .expect("the fan-out ends")
}

#[tokio::test]
async fn a_failing_tenant_hides_none_of_the_others_alerts() {
    let contoso = emulator(40, 1).await;
    let down = broken().await;
    let mut tenants = Tenants::new();
    tenants.add("contoso", client(&contoso)).unwrap();
    tenants.add("broken", client(&down)).unwrap();

    let (alerts, errors) = drain(tenants.list(&AlertQuery::new())).await;
    assert_eq!(alerts.len(), contoso.alerts().len());
    assert!(alerts.iter().all(|a| &*a.tenant == "contoso"));
    let mut ids: Vec<_> = alerts.iter().map(|a| a.alert.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), alerts.len(), "each alert once");

    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(&*errors[0].tenant, "broken");
    assert!(
        errors[0].to_string().starts_with("tenant broken: "),
        "{}",
        errors[0]
    );
    // The message carries the error's; it is a field, not a source a chain would print again.
    assert!(std::error::Error::source(&errors[0]).is_none());
    assert!(
        errors[0].error.status() == Some(500),
        "{:?}",
        errors[0].error
    );
    assert_eq!(down.stats().requests, 1, "one request, no retry");
}

#[tokio::test]
async fn the_dashboard_over_tenants_counts_each_and_returns_the_errors() {
    let contoso = emulator(30, 1).await;
    let fabrikam = emulator(12, 2).await;
    let down = broken().await;
    let mut tenants = Tenants::new().concurrency(2);
    tenants.add("contoso", client(&contoso)).unwrap();
    tenants.add("broken", client(&down)).unwrap();
    tenants.add("fabrikam", client(&fabrikam)).unwrap();

    // A tenant still on the legacy API, beside the Graph ones.
    #[cfg(feature = "fraud-events")]
    let northwind = emulator(7, 3).await;
    #[cfg(feature = "fraud-events")]
    tenants
        .add("northwind", fraud_events_client(&northwind))
        .unwrap();

    let (d, errors) = Dashboard::from_tenants(&tenants, &AlertQuery::new(), Utc::now()).await;
    #[allow(unused_mut)]
    let mut expected = contoso.alerts().len() + fabrikam.alerts().len();
    #[cfg(feature = "fraud-events")]
    {
        assert_eq!(
            d.by_tenant["northwind"].total,
            northwind.alerts().len() as u64
        );
        assert_eq!(d.by_tenant.len(), 3);
        expected += northwind.alerts().len();
    }
    assert_eq!(d.total, expected as u64);
    assert_eq!(d.by_tenant["contoso"].total, contoso.alerts().len() as u64);
    assert_eq!(
        d.by_tenant["fabrikam"].total,
        fabrikam.alerts().len() as u64
    );
    assert!(!d.by_tenant.contains_key("broken"));
    assert_eq!(errors.len(), 1);
    assert_eq!(&*errors[0].tenant, "broken");
}

#[cfg(feature = "csv")]
#[tokio::test]
async fn a_csv_export_of_the_fan_out_names_each_rows_tenant() {
    use partner_alerts::triage::{CSV_COLUMNS, CsvExport};

    let contoso = emulator(20, 1).await;
    let fabrikam = emulator(10, 2).await;
    let mut tenants = Tenants::new();
    tenants.add("contoso", client(&contoso)).unwrap();
    tenants.add("fabrikam", client(&fabrikam)).unwrap();

    let mut export = CsvExport::builder()
        .tenant_column(true)
        .build(Vec::new())
        .unwrap();
    let (alerts, errors) = drain(tenants.list(&AlertQuery::new())).await;
    assert!(errors.is_empty(), "{errors:?}");
    for a in &alerts {
        export.write_from(&a.tenant, &a.alert).unwrap();
    }
    assert_eq!(export.rows(), 30);
    let bytes = export.finish().unwrap();

    let mut reader = csv::Reader::from_reader(&bytes[..]);
    assert_eq!(
        reader.headers().unwrap().get(CSV_COLUMNS.len()),
        Some("Partner tenant")
    );
    let id_column = CSV_COLUMNS.iter().position(|c| *c == "Alert ID").unwrap();
    let mut per_tenant = std::collections::BTreeMap::<String, usize>::new();
    for row in reader.records() {
        let row = row.unwrap();
        let tenant = row[CSV_COLUMNS.len()].to_owned();
        let id = AlertId::new(&row[id_column]).unwrap();
        let from = if tenant == "contoso" {
            &contoso
        } else {
            &fabrikam
        };
        assert!(from.alert(&id).is_some(), "{id} is {tenant}'s");
        *per_tenant.entry(tenant).or_default() += 1;
    }
    assert_eq!(
        per_tenant.into_iter().collect::<Vec<_>>(),
        [("contoso".to_owned(), 20), ("fabrikam".to_owned(), 10)]
    );
}

#[tokio::test]
async fn updates_go_to_the_tenant_each_alert_came_from() {
    let contoso = emulator(20, 1).await;
    let fabrikam = emulator(20, 2).await;
    let mut tenants = Tenants::new();
    tenants.add("contoso", client(&contoso)).unwrap();
    tenants.add("fabrikam", client(&fabrikam)).unwrap();

    let target = fabrikam
        .alerts()
        .into_iter()
        .find(|a| a.status == Some(AlertStatus::Active))
        .expect("an active alert");
    assert!(
        contoso.alert(&target.id).is_none(),
        "the seeds give distinct ids"
    );
    let contoso_before = contoso.alerts();
    let contoso_requests = contoso.stats().requests;
    let stray = AlertId::new("stray-1").unwrap();

    let report = tenants
        .update_alerts(
            &[
                TenantTarget::new("fabrikam", &target),
                TenantTarget::new("nobody", stray.clone()),
            ],
            &StatusUpdate::resolved(ResolvedReason::Legitimate),
        )
        .await;
    assert_eq!(report.succeeded_ids().collect::<Vec<_>>(), [&target.id]);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].0, stray);
    assert!(
        report.failed[0].1.is_invalid_input(),
        "{}",
        report.failed[0].1
    );
    assert!(report.unconfirmed.is_empty());

    let now = fabrikam.alert(&target.id).unwrap();
    assert_eq!(now.status, Some(AlertStatus::Resolved));
    assert_eq!(now.resolved_reason, Some(ResolvedReason::Legitimate));
    assert_eq!(
        contoso.alerts(),
        contoso_before,
        "the other tenant is untouched"
    );
    assert_eq!(
        contoso.stats().requests,
        contoso_requests,
        "nothing sent to it"
    );

    // An update no source accepts fails per alert, not as a whole.
    let requests = fabrikam.stats().requests;
    let report = tenants
        .update_alerts(
            &[TenantTarget::new("fabrikam", &target)],
            &StatusUpdate::resolved(ResolvedReason::UnknownFutureValue),
        )
        .await;
    assert_eq!(report.failed_ids().collect::<Vec<_>>(), [&target.id]);
    assert!(report.failed[0].1.is_invalid_input());
    assert_eq!(fabrikam.stats().requests, requests, "nothing sent");
}

#[tokio::test]
async fn get_finds_an_alert_in_the_second_tenant() {
    let contoso = emulator(10, 1).await;
    let fabrikam = emulator(10, 2).await;
    let down = broken().await;
    let mut tenants = Tenants::new();
    tenants.add("contoso", client(&contoso)).unwrap();
    tenants.add("fabrikam", client(&fabrikam)).unwrap();

    let wanted = fabrikam.alerts().pop().unwrap();
    let found = tenants.get(&wanted.id).await.unwrap();
    assert_eq!(&*found.tenant, "fabrikam");
    assert_eq!(found.alert.id, wanted.id);

    // Nowhere: the first tenant's NotFound.
    let missing = AlertId::new("00000000-0000-0000-0000-000000000000").unwrap();
    let e = tenants.get(&missing).await.unwrap_err();
    assert!(e.error.is_not_found(), "{e}");
    assert_eq!(&*e.tenant, "contoso");

    // Not found where asked, and a tenant that could not answer: that tenant's error, since
    // the alert may be there.
    tenants.add("broken", client(&down)).unwrap();
    let e = tenants.get(&missing).await.unwrap_err();
    assert!(!e.error.is_not_found(), "{e}");
    assert_eq!(&*e.tenant, "broken");
    // Found despite it.
    assert_eq!(&*tenants.get(&wanted.id).await.unwrap().tenant, "fabrikam");

    let e = Tenants::new().get(&missing).await.unwrap_err();
    assert!(e.error.is_invalid_input(), "{e}");
}

#[tokio::test]
async fn a_tenant_alert_serialises_as_the_alert_with_its_tenant_first() {
    let emu = emulator(3, 1).await;
    let mut alert = emu.alerts().remove(0);
    assert!(alert.additional_details.is_some());
    alert
        .unparsed
        .push(UnparsedValue::new("isTest", "yes".into()));
    let tagged = TenantAlert {
        tenant: "contoso".into(),
        alert: alert.clone(),
    };

    let text = serde_json::to_string(&tagged).unwrap();
    assert!(
        text.starts_with(r#"{"partnerTenant":"contoso","id":"#),
        "{text}"
    );
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["isTest"], "yes", "the unparsed value is written back");
    json.as_object_mut().unwrap().remove("partnerTenant");
    assert_eq!(json, serde_json::to_value(&alert).unwrap());
}

#[test]
fn names_are_unique_and_not_empty() {
    #[derive(Debug)]
    struct Nothing;
    #[async_trait::async_trait]
    impl AlertSource for Nothing {
        fn kind(&self) -> SourceKind {
            SourceKind::Graph
        }
        fn capabilities(&self) -> Capabilities {
            unimplemented!()
        }
        fn list(&self, _: &AlertQuery) -> Pager {
            Pager::from_stream(futures::stream::empty())
        }
        async fn get(&self, _: &AlertId) -> partner_alerts::Result<Alert> {
            unimplemented!()
        }
        async fn update_alerts(
            &self,
            _: &[UpdateTarget],
            _: &StatusUpdate,
        ) -> partner_alerts::Result<UpdateReport> {
            unimplemented!()
        }
    }

    let mut tenants = Tenants::new();
    assert!(tenants.is_empty());
    tenants.add("contoso", Arc::new(Nothing)).unwrap();
    tenants.add("fabrikam", Arc::new(Nothing)).unwrap();
    assert_eq!(
        tenants.add("", Arc::new(Nothing)).unwrap_err().field(),
        "tenant name"
    );
    assert!(tenants.add("  ", Arc::new(Nothing)).is_err());
    assert!(tenants.add("contoso", Arc::new(Nothing)).is_err());
    assert_eq!(tenants.len(), 2);
    assert_eq!(tenants.names().collect::<Vec<_>>(), ["contoso", "fabrikam"]);
    assert!(tenants.source("fabrikam").is_some());
    assert!(
        tenants.source("Fabrikam").is_none(),
        "names compare exactly"
    );
}

/// Lists `alerts` alerts (one of them an error, after which the listing goes on) and reads
/// one alert, counting how many listings and reads are running at once.
#[derive(Debug, Default)]
struct Counted {
    listing: Arc<Gauge>,
    reading: Arc<Gauge>,
    alerts: usize,
}

#[derive(Debug, Default)]
struct Gauge {
    now: AtomicUsize,
    max: AtomicUsize,
}

/// Counts one running operation for as long as it lives.
struct Running(Arc<Gauge>);

impl Running {
    fn start(g: &Arc<Gauge>) -> Self {
        let now = g.now.fetch_add(1, Ordering::SeqCst) + 1;
        g.max.fetch_max(now, Ordering::SeqCst);
        Running(g.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

fn not_found() -> Error {
    Error::from_service(ServiceError::new(
        Api::Graph,
        404,
        RequestIds::new(uuid::Uuid::nil()),
    ))
}

#[async_trait::async_trait]
impl AlertSource for Counted {
    fn kind(&self) -> SourceKind {
        SourceKind::Graph
    }

    fn capabilities(&self) -> Capabilities {
        unimplemented!("not asked")
    }

    fn list(&self, _: &AlertQuery) -> Pager {
        let gauge = self.listing.clone();
        let alerts = self.alerts;
        // Counted from the first poll to the end, yielding to the others between items.
        Pager::from_stream(futures::stream::unfold(
            (0, None::<Running>),
            move |(n, running)| {
                let gauge = gauge.clone();
                async move {
                    let running = running.unwrap_or_else(|| Running::start(&gauge));
                    tokio::task::yield_now().await;
                    if n == alerts {
                        return None;
                    }
                    let item = if n == 1 {
                        Err(not_found())
                    } else {
                        Ok(Alert::new(AlertId::new(format!("a{n}")).unwrap()))
                    };
                    Some((item, (n + 1, Some(running))))
                }
            },
        ))
    }

    async fn get(&self, _: &AlertId) -> partner_alerts::Result<Alert> {
        let _running = Running::start(&self.reading);
        tokio::task::yield_now().await;
        Err(not_found())
    }

    async fn update_alerts(
        &self,
        _: &[UpdateTarget],
        _: &StatusUpdate,
    ) -> partner_alerts::Result<UpdateReport> {
        unimplemented!("not asked")
    }
}

#[tokio::test]
async fn at_most_the_concurrency_of_tenants_are_asked_at_once() {
    for (concurrency, expected_max) in [(2, 2), (0, 1), (10, 5)] {
        let double = Arc::new(Counted {
            alerts: 6,
            ..Counted::default()
        });
        let mut tenants = Tenants::new().concurrency(concurrency);
        for t in 0..5 {
            tenants.add(format!("tenant-{t}"), double.clone()).unwrap();
        }
        let (alerts, errors) = drain(tenants.list(&AlertQuery::new())).await;
        // Each tenant's listing went on after its error.
        assert_eq!(alerts.len(), 5 * 5);
        assert_eq!(errors.len(), 5);
        let max = double.listing.max.load(Ordering::SeqCst);
        assert_eq!(max, expected_max, "concurrency {concurrency}");
        assert_eq!(double.listing.now.load(Ordering::SeqCst), 0);

        let e = tenants.get(&AlertId::new("x").unwrap()).await.unwrap_err();
        assert_eq!(&*e.tenant, "tenant-0");
        assert_eq!(double.reading.max.load(Ordering::SeqCst), expected_max);
    }
}

/// The fan-out and the futures can move into a spawned task.
#[test]
fn the_fan_out_is_send_unpin_and_static() {
    fn send_unpin_static<T: Send + Unpin + 'static>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let tenants = Tenants::new();
    send_unpin_static(&tenants.list(&AlertQuery::new()));
    let id = AlertId::new("a").unwrap();
    send(&tenants.get(&id));
    send(&tenants.update_alerts(&[], &StatusUpdate::investigating()));
    let _: &dyn futures::Stream<Item = _> = &tenants.list(&AlertQuery::new());
}
