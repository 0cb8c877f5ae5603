//! The CSV export holds one row, not the export: the live heap while exporting 50,000 alerts
//! to a sink stays where it was after the first 1,000, while the same export into a `Vec`
//! grows by megabytes (which shows the counting sees growth). Measured with a counting
//! global allocator (bytes, not time), as in `tests/memory.rs`.

#![cfg(feature = "csv")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use chrono::{TimeDelta, TimeZone, Utc};
use partner_alerts::triage::CsvExport;
use partner_alerts::{
    AffectedResource, Alert, AlertId, AlertStatus, AlertType, ResolvedReason, Severity,
    SubscriptionId, TenantId,
};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            CURRENT.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ALERTS: u64 = 50_000;
const WARM: u64 = 1_000;

/// Alert `n`: every column filled, text of lengths that cycle well within the first 1,000
/// alerts (so the reused buffers reach their largest size while warming up).
fn alert(n: u64) -> Alert {
    let base = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    let mut a = Alert::new(AlertId::new(format!("d8b202fc-a216-3404-69ef-{n:012}")).unwrap());
    a.display_name = Some(format!(
        "Action Required: crypto mining {}, \"pool\" {n}",
        "x".repeat((n % 97) as usize)
    ));
    a.subscription_id = Some(SubscriptionId::new(format!("sub-{}", n % 50)).unwrap());
    a.status = Some(if n.is_multiple_of(3) {
        AlertStatus::Resolved
    } else {
        AlertStatus::Active
    });
    a.first_observed_date_time = Some(base + TimeDelta::minutes(n as i64));
    a.last_observed_date_time = Some(base + TimeDelta::minutes(n as i64 + 5));
    a.alert_type = Some(AlertType::CRYPTO_MINING);
    a.severity = Some(Severity::High);
    a.customer_tenant_id = Some(TenantId::new(format!("customer-{}", n % 40)).unwrap());
    a.detected_date_time = Some(base + TimeDelta::minutes(n as i64 + 6));
    a.resolved_reason = Some(ResolvedReason::Fraud);
    a.resolved_on_date_time = Some(base + TimeDelta::minutes(n as i64 + 60));
    a.resolved_by = Some(if n.is_multiple_of(7) {
        "=cmd|' /C calc'!A0".to_owned()
    } else {
        "admin@contoso.example".to_owned()
    });
    a.is_test = Some(false);
    a.affected_resources = Some(
        (0..n % 4)
            .map(|i| AffectedResource::new(format!("/subscriptions/s/vm{i}-{n}"), "AzureResource"))
            .collect(),
    );
    a
}

/// Exports `ALERTS` alerts into `writer`; the live heap after the first `WARM` rows and
/// after the last, each measured with the alert of that row dropped.
fn export<W: Write>(writer: W) -> (usize, usize, W) {
    let mut export = CsvExport::builder()
        .tenant_column(true)
        .build(writer)
        .unwrap();
    let mut warm = 0;
    for n in 1..=ALERTS {
        export.write_from("contoso", &alert(n)).unwrap();
        if n == WARM {
            warm = CURRENT.load(Relaxed);
        }
    }
    assert_eq!(export.rows(), ALERTS);
    let end = CURRENT.load(Relaxed);
    (warm, end, export.finish().unwrap())
}

// One test in this binary, so that no other test allocates while it measures.
#[test]
fn exporting_holds_one_row_not_the_export() {
    let (warm, end, _) = export(std::io::sink());
    let growth = end as i64 - warm as i64;
    eprintln!(
        "to a sink: live heap {warm} B after {WARM} rows, {end} B after {ALERTS} ({growth:+} B)"
    );
    assert!(
        growth < 64 * 1024,
        "the live heap grew by {growth} B from row {WARM} to row {ALERTS}"
    );

    // The same export kept in memory: the measure sees it.
    let (warm, end, bytes) = export(Vec::new());
    let growth = end as i64 - warm as i64;
    eprintln!(
        "into a Vec: live heap {warm} B after {WARM} rows, {end} B after {ALERTS} ({growth:+} B; {} B of CSV)",
        bytes.len()
    );
    assert!(
        growth > 8 * 1024 * 1024,
        "keeping {} B of CSV grew the live heap by only {growth} B",
        bytes.len()
    );
}
