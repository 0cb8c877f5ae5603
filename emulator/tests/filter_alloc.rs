//! Evaluating a `$filter` against an alert allocates nothing (it runs for every alert of a
//! listing). A counting allocator, per thread, so other tests' threads do not interfere.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use partner_alerts::{Alert, AlertId, AlertStatus, AlertType, ResolvedReason, Severity};
use partner_alerts_emulator::odata::{EnumMode, Filter};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn alerts() -> Vec<Alert> {
    (0..50)
        .map(|i| {
            let mut a = Alert::new(AlertId::new(format!("a{i}")).unwrap());
            a.status = Some(match i % 4 {
                0 => AlertStatus::Active,
                1 => AlertStatus::Resolved,
                2 => AlertStatus::Investigating,
                _ => AlertStatus::from("escalated"),
            });
            a.severity = Some(if i % 2 == 0 {
                Severity::High
            } else {
                Severity::Low
            });
            a.resolved_reason = (i % 4 == 1).then_some(ResolvedReason::Fraud);
            a.alert_type = Some(AlertType::new(if i % 3 == 0 {
                "usageAnomalyDetection"
            } else {
                "NetworkConnectionsToCryptoMiningPools"
            }));
            a.display_name = Some(format!("Action Required: alert {i}"));
            a.subscription_id = Some(
                format!("5f6e6521-6e5f-4b0b-80aa-bd44fad7a{i:03}")
                    .parse()
                    .unwrap(),
            );
            a.is_test = Some(i % 5 == 0);
            a
        })
        .collect()
}

#[test]
fn matching_allocates_nothing() {
    let alerts = alerts();
    let filters = [
        "status eq 'ACTIVE'",
        "status ne 'resolved' and severity in ('High', 'medium')",
        "status eq 'unknownFutureValue'",
        "alertType eq 'networkconnectionstocryptominingpools'",
        "startswith(alertType, 'NETWORK') and endswith(alertType, 'pools')",
        "contains(alertType, 'crypto') or contains(displayName, 'alert 7')",
        "subscriptionId ge '5F6E6521-6E5F-4B0B-80AA-BD44FAD7A010'",
        "displayName gt 'Action Required: alert 3' and not (isTest eq true)",
        "resolvedReason eq null or resolvedReason eq 'legitimate'",
        "resolvedReason ne null and resolvedReason eq 'FRAUD'",
    ];
    for (text, mode) in filters.iter().map(|f| (*f, EnumMode::default())).chain([(
        "status eq 'escalated'",
        EnumMode {
            include_unknown_members: true,
        },
    )]) {
        let filter = Filter::parse_with(text, mode).unwrap();
        let before = allocations();
        let hits = alerts
            .iter()
            .filter(|a| filter.matches_with(a, mode))
            .count();
        assert_eq!(allocations(), before, "{text} allocated");
        assert!(hits > 0 && hits < alerts.len(), "{text}: {hits}");
    }
}
