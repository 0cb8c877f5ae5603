//! What the benches (and the memory test) share: realistic alerts, and a loopback HTTP server
//! that answers from pre-rendered pages so that it costs next to nothing.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use partner_alerts::{
    ActivityLog, AdditionalDetails, AffectedResource, Alert, AlertId, AlertStatus, AlertType,
    ConfidenceLevel, FraudEvent, ResolvedReason, Severity, SubscriptionId, TenantId,
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

fn guid(n: u64, salt: u64) -> String {
    let x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt.wrapping_mul(0xD1B5_4A32_D192_ED03);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        (x >> 20) & 0xfff,
        x & 0xffff_ffff_ffff
    )
}

/// Alert `n` of a deterministic set: every property filled, about 1.7 KB of Graph JSON.
pub fn alert(n: u64) -> Alert {
    let base = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap();
    let types = AlertType::KNOWN;
    let sub = guid(n / 3, 7);
    let mut a = Alert::new(AlertId::new(guid(n, 1)).unwrap());
    a.display_name = Some(
        "Action Required: Virtual machine connecting to crypto currency mining pool Detected"
            .into(),
    );
    a.description = Some(format!(
        "Analysis of Azure resource network activity detected the resource was connecting to a crypto currency mining pool. This would often be an indication that your Azure resource is compromised. Review resource group rg-prod-{n} and stop unknown workloads."
    ));
    a.alert_type = Some(types[n as usize % types.len()].clone());
    a.status = Some(if n.is_multiple_of(5) {
        AlertStatus::Resolved
    } else {
        AlertStatus::Active
    });
    a.severity = Some([Severity::High, Severity::Medium, Severity::Low][n as usize % 3].clone());
    a.confidence_level = Some(ConfidenceLevel::Medium);
    a.customer_tenant_id = Some(TenantId::new(guid(n / 7, 3)).unwrap());
    a.subscription_id = Some(SubscriptionId::new(&sub).unwrap());
    a.value_added_reseller_tenant_id = Some(TenantId::new(guid(n / 50, 5)).unwrap());
    a.catalog_offer_id = Some("MS-AZR-0017G".into());
    let t = base + TimeDelta::seconds(n as i64 * 97) + TimeDelta::nanoseconds(845_414_200);
    a.detected_date_time = Some(t);
    a.first_observed_date_time = Some(t - TimeDelta::minutes(30));
    a.last_observed_date_time = Some(t + TimeDelta::minutes(5));
    if n.is_multiple_of(5) {
        a.resolved_reason = Some(ResolvedReason::Fraud);
        a.resolved_on_date_time = Some(t + TimeDelta::hours(1));
        a.resolved_by = Some("danas@contoso.com".into());
    }
    a.is_test = Some(false);
    a.affected_resources = Some(vec![AffectedResource::new(
        format!(
            "/subscriptions/{sub}/resourceGroups/rg-prod-{n}/providers/Microsoft.Compute/virtualMachines/vm-{n}"
        ),
        "AzureResource",
    )]);
    a.activity_logs = Some(vec![
        ActivityLog::new(
            AlertStatus::Active,
            AlertStatus::Investigating,
            "samanthab@contoso.com",
            t + TimeDelta::minutes(10),
        ),
        ActivityLog::new(
            AlertStatus::Investigating,
            AlertStatus::Resolved,
            "samanthab@contoso.com",
            t + TimeDelta::minutes(50),
        ),
    ]);
    a.additional_details = Some(AdditionalDetails::from_iter([
        ("VM_IP", format!("[  \"10.0.{}.{}\"]", n % 250, n % 200)),
        ("MiningPool_IP", "[  \"104.243.33.118\"]".to_string()),
        ("ConnectionCount", (n % 90).to_string()),
        (
            "CryptoCurrencyMiningPoolDomainName",
            "pool-name.com".to_string(),
        ),
    ]));
    a
}

/// The same alert as a Partner Center fraud event (new model).
pub fn fraud_event(n: u64) -> FraudEvent {
    let a = alert(n);
    let sub = a.subscription_id.clone().unwrap();
    let mut e = FraudEvent::new(AlertId::new(format!("{sub}_{}", guid(n, 11))).unwrap());
    e.event_time = a.detected_date_time;
    e.customer_tenant_id = a.customer_tenant_id;
    e.customer_friendly_name = Some(format!("Customer {}", n / 7));
    e.subscription_id = Some(sub);
    e.event_status = a.status;
    e.event_type = a.alert_type;
    e.severity = a.severity;
    e.confidence_level = a.confidence_level;
    e.display_name = a.display_name;
    e.description = a.description;
    e.first_observed = a.first_observed_date_time;
    e.last_observed = a.last_observed_date_time;
    e.resolved_reason = a.resolved_reason;
    e.resolved_on = a.resolved_on_date_time;
    e.resolved_by = a.resolved_by;
    e.is_test = a.is_test;
    e.hit_count = Some(n % 90);
    e.affected_resources = a.affected_resources;
    e.activity_logs = a.activity_logs;
    e.additional_details = a.additional_details;
    e
}

/// A Graph page of alerts `range`, with a `nextLink` when `next` is given.
pub fn graph_page(range: std::ops::Range<u64>, next: Option<String>) -> Vec<u8> {
    let value: Vec<Alert> = range.map(alert).collect();
    let mut page = serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#security/partner/securityAlerts",
        "value": value,
    });
    if let Some(next) = next {
        page["@odata.nextLink"] = next.into();
    }
    serde_json::to_vec(&page).unwrap()
}

/// A loopback server answering `GET` from pre-rendered bodies, keyed by the request target
/// (path and query) exactly as sent. Unknown targets get 404.
pub struct PageServer {
    pub base_url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for PageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The Graph listing of `alerts` alerts in pages of `page_size`, served from memory.
/// Returns the server and the Graph base URL.
pub async fn graph_server(alerts: u64, page_size: u64) -> PageServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let path = "/beta/security/partner/securityAlerts";
    let mut routes = HashMap::new();
    let pages = alerts.div_ceil(page_size);
    for p in 0..pages {
        let target = if p == 0 {
            path.to_string()
        } else {
            format!("{path}?$skiptoken={p}")
        };
        let next = (p + 1 < pages).then(|| format!("{base}{path}?$skiptoken={}", p + 1));
        let end = ((p + 1) * page_size).min(alerts);
        routes.insert(target, response(&graph_page(p * page_size..end, next)));
    }
    serve(listener, format!("{base}/beta"), routes)
}

/// The FraudEvents listing (new model) of `alerts` events in pages of `page_size`.
pub async fn fraud_events_server(alerts: u64, page_size: u64) -> PageServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut routes = HashMap::new();
    let pages = alerts.div_ceil(page_size);
    for p in 0..=pages {
        let target = format!("/v1/fraudEvents?PageSize={page_size}&PageNumber={}", p + 1);
        let end = ((p + 1) * page_size).min(alerts);
        let events: Vec<FraudEvent> = (p * page_size..end.max(p * page_size))
            .map(fraud_event)
            .collect();
        routes.insert(target, response(&serde_json::to_vec(&events).unwrap()));
    }
    serve(listener, base, routes)
}

fn response(body: &[u8]) -> Arc<[u8]> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nrequest-id: bench\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r.into()
}

fn serve(
    listener: TcpListener,
    base_url: String,
    routes: HashMap<String, Arc<[u8]>>,
) -> PageServer {
    let routes = Arc::new(routes);
    let task = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let routes = routes.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                let mut line = String::new();
                loop {
                    line.clear();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    // Skip the headers; these requests have no body.
                    loop {
                        line.clear();
                        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let ok = match routes.get(&target) {
                        Some(r) => write.write_all(r).await,
                        None => {
                            write
                                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                                .await
                        }
                    };
                    if ok.is_err() {
                        return;
                    }
                }
            });
        }
    });
    PageServer { base_url, task }
}

/// What a hand-written client sends for one page: a GET with the token and a
/// `client-request-id`; the body's bytes.
pub async fn get_page(http: &reqwest::Client, url: &str) -> impl AsRef<[u8]> {
    http.get(url)
        .bearer_auth("bench-token")
        .header("client-request-id", uuid::Uuid::new_v4().to_string())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .bytes()
        .await
        .unwrap()
}

/// Reads a listing to its end, counting the alerts.
pub async fn count(mut pager: partner_alerts::Pager) -> u64 {
    let mut n = 0;
    while pager.try_next().await.unwrap().is_some() {
        n += 1;
    }
    n
}
