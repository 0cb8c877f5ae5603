//! Decoding a 500-alert Graph page into typed `Alert`s, against decoding the same bytes into
//! `serde_json::Value` as the baseline.
//!
//! `cargo bench --bench decode`

use std::hint::black_box;

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use partner_alerts::{
    ActivityLog, AdditionalDetails, AffectedResource, Alert, AlertId, AlertStatus, AlertType,
    ConfidenceLevel, ResolvedReason, Severity, SubscriptionId, TenantId,
};
use serde::Deserialize;

const ALERTS: usize = 500;

#[derive(Deserialize)]
struct Page {
    value: Vec<Alert>,
}

fn guid(n: u64, salt: u64) -> String {
    let x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        x >> 32,
        (x >> 16) & 0xffff,
        x & 0xfff,
        (x >> 20) & 0xfff,
        x & 0xffff_ffff_ffff
    )
}

/// A page of alerts with every property filled, about 1.7 KB of JSON each.
fn page_bytes() -> Vec<u8> {
    let base = Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap();
    let types = AlertType::KNOWN;
    let alerts: Vec<Alert> = (0..ALERTS as u64)
        .map(|n| {
            let sub = guid(n / 3, 7);
            let mut a = Alert::new(AlertId::new(guid(n, 1)).unwrap());
            a.display_name = Some(
                "Action Required: Virtual machine connecting to crypto currency mining pool Detected"
                    .into(),
            );
            a.description = Some("Analysis of Azure resource network activity detected the resource was connecting to a crypto currency mining pool. This would often be an indication that your Azure resource is compromised.".into());
            a.alert_type = Some(types[n as usize % types.len()].clone());
            a.status = Some(if n % 5 == 0 { AlertStatus::Resolved } else { AlertStatus::Active });
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
            if n % 5 == 0 {
                a.resolved_reason = Some(ResolvedReason::Fraud);
                a.resolved_on_date_time = Some(t + TimeDelta::hours(1));
                a.resolved_by = Some("danas@contoso.com".into());
            }
            a.is_test = Some(false);
            a.affected_resources = Some(vec![AffectedResource::new(
                format!("/subscriptions/{sub}/resourceGroups/rg-prod-{n}/providers/Microsoft.Compute/virtualMachines/vm-{n}"),
                "AzureResource",
            )]);
            a.activity_logs = Some(vec![
                ActivityLog::new(AlertStatus::Active, AlertStatus::Investigating, "samanthab@contoso.com", t + TimeDelta::minutes(10)),
                ActivityLog::new(AlertStatus::Investigating, AlertStatus::Resolved, "samanthab@contoso.com", t + TimeDelta::minutes(50)),
            ]);
            a.additional_details = Some(AdditionalDetails::from_iter([
                ("VM_IP", format!("[  \"10.0.{}.{}\"]", n % 250, n % 200)),
                ("MiningPool_IP", "[  \"104.243.33.118\"]".to_string()),
                ("ConnectionCount", (n % 90).to_string()),
                ("CryptoCurrencyMiningPoolDomainName", "pool-name.com".to_string()),
            ]));
            a
        })
        .collect();
    let page = serde_json::json!({
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#security/partner/securityAlerts",
        "@odata.nextLink": "https://graph.microsoft.com/beta/security/partner/securityAlerts?$skiptoken=abc",
        "value": alerts,
    });
    serde_json::to_vec(&page).unwrap()
}

fn decode(c: &mut Criterion) {
    let bytes = page_bytes();
    let mut group = c.benchmark_group("decode_page_500");
    group.throughput(Throughput::Elements(ALERTS as u64));
    group.bench_function("typed_alerts", |b| {
        b.iter(|| {
            let page: Page = serde_json::from_slice(black_box(&bytes)).unwrap();
            assert_eq!(page.value.len(), ALERTS);
            page
        })
    });
    group.bench_function("baseline_serde_json_value", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_slice(black_box(&bytes)).unwrap();
            v
        })
    });
    group.finish();
    eprintln!(
        "page: {} bytes, {} bytes per alert",
        bytes.len(),
        bytes.len() / ALERTS
    );
}

criterion_group!(benches, decode);
criterion_main!(benches);
