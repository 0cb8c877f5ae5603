//! The enricher against the emulator: names on every alert (the FraudEvents view's), one
//! directory read per customer, reseller and subscription however many alerts share them,
//! every alert delivered when the directory fails, Graph-only names, and the cache
//! lifetimes on a clock moved by hand.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use partner_alerts::auth::StaticToken;
use partner_alerts::enrich::{
    Clock, DEFAULT_CONCURRENCY, Enricher, GraphDirectory, Lookup, PartnerCenterDirectory, Source,
    SubscriptionKind,
};
use partner_alerts::http::RetryPolicy;
use partner_alerts::{Alert, AlertId, AlertQuery, GraphClient, TenantId};
use partner_alerts_emulator::{Emulator, FaultKind};

async fn emulator(alerts: usize) -> Emulator {
    Emulator::builder()
        .alerts(alerts)
        .seed(11)
        .start()
        .await
        .unwrap()
}

fn partner_center(emu: &Emulator) -> PartnerCenterDirectory {
    PartnerCenterDirectory::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("emulator"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

fn graph(emu: &Emulator) -> GraphClient {
    GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("emulator"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap()
}

#[derive(Debug)]
struct Manual(Mutex<Instant>);

impl Clock for Manual {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

impl Manual {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

#[tokio::test]
async fn every_alert_gets_the_names_the_fraud_events_view_shows() {
    let emu = emulator(150).await;
    let enricher = Enricher::builder()
        .partner_center(partner_center(&emu))
        .build()
        .unwrap();
    let enriched: Vec<_> = enricher
        .stream(graph(&emu).list(&AlertQuery::new()))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(enriched.len(), 150);
    let mut kinds = HashSet::new();
    for e in &enriched {
        let event = emu.fraud_event(&e.item.id, true).unwrap();
        let names = &e.names;
        assert_eq!(
            names.customer_name(),
            event.customer_friendly_name.as_deref()
        );
        assert_eq!(
            names.reseller_name(),
            event.value_added_reseller_friendly_name.as_deref()
        );
        assert_eq!(
            names.subscription_name(),
            event.subscription_name.as_deref()
        );
        assert_eq!(names.errors().count(), 0);
        assert_eq!(
            names.customer.found().unwrap().source,
            Source::PartnerCenter
        );
        if e.item.value_added_reseller_tenant_id.is_none() {
            assert!(matches!(names.reseller, Lookup::Skipped));
        }
        let sub = names.subscription.found().unwrap();
        let expected = if e.item.catalog_offer_id.as_deref() == Some("MS-AZR-0145P") {
            SubscriptionKind::LegacyAzure
        } else {
            SubscriptionKind::AzurePlan
        };
        assert_eq!(sub.matched.kind, expected);
        assert!(sub.matched.is_active());
        kinds.insert(sub.matched.kind);
    }
    assert_eq!(kinds.len(), 2, "both kinds of subscription were seen");
    // JSON lines: the alert's properties, then the names.
    let json = serde_json::to_value(&enriched[0]).unwrap();
    assert_eq!(json["id"], enriched[0].item.id.as_str());
    assert_eq!(
        json["names"]["customerName"].as_str(),
        enriched[0].names.customer_name()
    );
    assert_eq!(json["names"]["subscription"]["lookup"], "found");
}

#[tokio::test]
async fn a_thousand_alerts_over_fifty_customers_cost_one_read_per_customer_reseller_and_subscription()
 {
    let emu = emulator(1_500).await;
    // The generated alerts of fifty customers, repeated to 1,000 alerts with fresh ids.
    let mut by_customer: HashMap<TenantId, Vec<Alert>> = HashMap::new();
    for a in emu.alerts() {
        by_customer
            .entry(a.customer_tenant_id.clone().unwrap())
            .or_default()
            .push(a);
    }
    let mut customers: Vec<_> = by_customer.into_iter().collect();
    customers.sort_by_key(|c| std::cmp::Reverse(c.1.len()));
    customers.truncate(50);
    assert_eq!(customers.len(), 50);
    let pool: Vec<&Alert> = customers.iter().flat_map(|(_, a)| a).collect();
    let alerts: Vec<Alert> = (0..1_000)
        .map(|i| {
            let mut a = pool[i % pool.len()].clone();
            a.id = AlertId::new(format!("copy-{i}")).unwrap();
            a
        })
        .collect();
    let distinct = |f: fn(&Alert) -> Option<String>| {
        alerts.iter().filter_map(f).collect::<HashSet<_>>().len() as u64
    };
    let subscriptions = distinct(|a| a.subscription_id.as_ref().map(|s| s.to_string()));
    let resellers = distinct(|a| {
        a.value_added_reseller_tenant_id
            .as_ref()
            .map(|r| r.to_string())
    });
    let legacy_customers = customers
        .iter()
        .filter(|(_, a)| a[0].catalog_offer_id.as_deref() == Some("MS-AZR-0145P"))
        .count() as u64;

    let before = emu.stats();
    let enricher = Enricher::builder()
        .partner_center(partner_center(&emu))
        .concurrency(8)
        .build()
        .unwrap();
    let enriched: Vec<_> = enricher
        .stream(futures::stream::iter(alerts.into_iter().map(Ok::<_, ()>)))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(enriched.len(), 1_000);
    assert!(enriched.iter().all(|e| e.names.customer_name().is_some()
        && e.names.subscription_name().is_some()
        && e.names.errors().count() == 0));

    let after = emu.stats();
    let reads = |f: fn(&partner_alerts_emulator::Stats) -> u64| f(&after) - f(&before);
    assert_eq!(reads(|s| s.customer_reads), 50, "one read per customer");
    assert_eq!(reads(|s| s.subscription_reads), 50, "one list per customer");
    assert_eq!(
        reads(|s| s.entitlement_reads),
        50 - legacy_customers,
        "one list per Azure plan"
    );
    assert_eq!(
        reads(|s| s.reseller_reads),
        u64::from(resellers > 0),
        "one map of all resellers"
    );
    assert!(
        reads(|s| s.directory_reads) <= 50 + resellers + subscriptions,
        "at most one read per customer, reseller and subscription"
    );
}

#[tokio::test]
async fn a_failing_directory_leaves_every_alert_delivered_with_its_error() {
    let emu = emulator(40).await;
    let alerts = emu.alerts();
    let clock = Arc::new(Manual(Mutex::new(Instant::now())));
    let enricher = Enricher::builder()
        .partner_center(partner_center(&emu))
        .clock(clock.clone())
        .build()
        .unwrap();
    emu.fail_next(100_000, FaultKind::InternalServerError);
    let before = emu.stats().directory_reads;
    let enriched: Vec<_> = enricher
        .stream(futures::stream::iter(
            alerts.clone().into_iter().map(Ok::<_, ()>),
        ))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(enriched.len(), 40, "every alert delivered");
    for e in &enriched {
        let customer = e
            .names
            .customer
            .error()
            .expect("the customer lookup failed");
        assert_eq!(customer.status(), Some(500), "{customer}");
        assert!(e.names.subscription.error().is_some());
        assert_eq!(
            e.names.reseller.error().is_some(),
            e.item.value_added_reseller_tenant_id.is_some()
        );
        assert_eq!(e.names.customer_name(), None);
    }
    let json = serde_json::to_value(&enriched[0]).unwrap();
    assert_eq!(json["names"]["customer"]["lookup"], "failed");
    assert!(
        json["names"]["customer"]["error"]
            .as_str()
            .unwrap()
            .contains("500")
    );
    // A 500 is the directory's failure, not one key's: the directory is taken as down for
    // 30 seconds, so the requests already in flight are all it costs.
    let attempts = emu.stats().directory_reads - before;
    assert!(
        attempts <= DEFAULT_CONCURRENCY as u64,
        "{attempts} reads for {} alerts",
        alerts.len()
    );
    emu.fail_next(0, FaultKind::InternalServerError);
    let e = enricher.enrich(alerts[0].clone()).await;
    assert!(e.names.customer.error().is_some(), "still kept");
    // Then asked again: once the directory answers, the names come.
    clock.advance(Duration::from_secs(31));
    let e = enricher.enrich(alerts[0].clone()).await;
    assert!(e.names.customer_name().is_some());
    assert_eq!(e.names.errors().count(), 0);
}

#[tokio::test]
async fn with_a_graph_token_only_customers_are_named_from_gdap_then_contracts() {
    let emu = emulator(120).await;
    let client = graph(&emu);
    let enricher = Enricher::builder()
        .graph(GraphDirectory::new(&client))
        .build()
        .unwrap();
    let before = emu.stats();
    let enriched: Vec<_> = enricher
        .stream(client.list(&AlertQuery::new()))
        .try_collect()
        .await
        .unwrap();
    let mut sources = HashSet::new();
    for e in &enriched {
        let event = emu.fraud_event(&e.item.id, true).unwrap();
        let name = e.names.customer.found().expect("named through Graph");
        assert_eq!(
            Some(name.name.as_str()),
            event.customer_friendly_name.as_deref()
        );
        sources.insert(name.source);
        assert!(matches!(e.names.subscription, Lookup::Skipped));
        if name.source == Source::GraphContracts {
            assert!(name.source.is_possibly_stale());
            assert!(name.domain.is_some());
        }
    }
    assert_eq!(sources.len(), 2, "GDAP names, and contracts for the others");
    let after = emu.stats();
    // Two collections of a few pages each, whatever the number of alerts.
    assert!(after.graph_directory_reads - before.graph_directory_reads <= 8);
}

#[tokio::test]
async fn partner_center_failures_fall_back_to_graph_names() {
    let emu = emulator(5).await;
    let client = graph(&emu);
    let broken = PartnerCenterDirectory::builder()
        .base_url(format!("{}/nowhere", emu.partner_center_base_url()))
        .credential(StaticToken::new("emulator"))
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let enricher = Enricher::builder()
        .partner_center(broken)
        .graph(GraphDirectory::new(&client))
        .build()
        .unwrap();
    let e = enricher.enrich(emu.alerts()[0].clone()).await;
    let name = e.names.customer.found().expect("Graph's name");
    assert_ne!(name.source, Source::PartnerCenter);
    // Graph has no subscription names: the Partner Center lookup's outcome stays.
    assert!(matches!(
        e.names.subscription,
        Lookup::NotFound | Lookup::Failed(_)
    ));
}

#[tokio::test]
async fn names_are_kept_for_a_day_and_not_found_for_ten_minutes() {
    let emu = emulator(3).await;
    let clock = Arc::new(Manual(Mutex::new(Instant::now())));
    let enricher = Enricher::builder()
        .partner_center(partner_center(&emu))
        .clock(clock.clone())
        .build()
        .unwrap();
    let known = emu.alerts()[0].clone();
    let mut stranger = known.clone();
    stranger.customer_tenant_id =
        Some(TenantId::new("00000000-0000-4000-8000-00000000beef").unwrap());
    let customer_reads = || emu.stats().customer_reads;

    enricher.enrich(known.clone()).await;
    let e = enricher.enrich(stranger.clone()).await;
    assert!(matches!(e.names.customer, Lookup::NotFound));
    assert!(matches!(e.names.subscription, Lookup::NotFound));
    assert_eq!(customer_reads(), 2);
    enricher.enrich(known.clone()).await;
    enricher.enrich(stranger.clone()).await;
    assert_eq!(customer_reads(), 2, "both answers kept");

    clock.advance(Duration::from_secs(11 * 60));
    enricher.enrich(known.clone()).await;
    enricher.enrich(stranger.clone()).await;
    assert_eq!(customer_reads(), 3, "only \"not found\" expired");

    clock.advance(Duration::from_secs(24 * 3600));
    let subscription_reads = emu.stats().subscription_reads;
    enricher.enrich(known).await;
    assert_eq!(customer_reads(), 4, "a name lives a day");
    assert_eq!(
        emu.stats().subscription_reads,
        subscription_reads + 1,
        "and a subscription list an hour"
    );
}

#[tokio::test]
async fn tenant_alerts_are_enriched_with_their_tenant() {
    use partner_alerts::triage::Tenants;
    let emu = emulator(10).await;
    let mut tenants = Tenants::new();
    tenants.add("contoso", Arc::new(graph(&emu))).unwrap();
    let enricher = Enricher::builder()
        .partner_center(partner_center(&emu))
        .build()
        .unwrap();
    let all: Vec<_> = enricher
        .stream(tenants.list(&AlertQuery::new()))
        .collect()
        .await;
    assert_eq!(all.len(), 10);
    let first = all.into_iter().next().unwrap().unwrap();
    assert_eq!(&*first.item.tenant, "contoso");
    assert!(first.names.customer_name().is_some());
    let json = serde_json::to_value(&first).unwrap();
    assert_eq!(json["partnerTenant"], "contoso");
    assert!(json["names"]["customerName"].is_string());
}
