//! Nothing lost, on the emulator: odd values, a list that shifts under a listing, a page
//! cap, items that are no alerts, bad links and lost answers, each reproduced by one of the
//! emulator's quirks.

use std::collections::{BTreeSet, HashSet};

use partner_alerts::auth::StaticToken;
use partner_alerts::http::RetryPolicy;
use partner_alerts::{
    AlertId, AlertQuery, AlertSource, AlertStatus, Error, Filter, FraudEventsClient, GraphClient,
    ResolvedReason, StatusUpdate, UpdateTarget,
};
use partner_alerts_emulator::{Emulator, GRAPH_ODD_VALUES, Quirks};

async fn emulator(alerts: usize, quirks: Quirks) -> Emulator {
    Emulator::builder()
        .alerts(alerts)
        .seed(5)
        .quirks(quirks)
        .start()
        .await
        .unwrap()
}

fn graph(emu: &Emulator) -> GraphClient {
    GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("t"))
        .build()
        .unwrap()
}

fn fraud_events(emu: &Emulator, page: u32, passes: u32) -> FraudEventsClient {
    FraudEventsClient::builder()
        .base_url(emu.partner_center_base_url())
        .credential(StaticToken::new("t"))
        .page_size(Some(page))
        .max_passes(passes)
        .build()
        .unwrap()
}

#[tokio::test]
async fn odd_values_on_every_graph_alert_cost_none() {
    let emu = emulator(2000, Quirks::new().odd_values(true)).await;
    let listed = graph(&emu)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 2000);
    let ids: HashSet<_> = listed.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids.len(), 2000);
    let kept = listed.iter().filter(|a| !a.unparsed.is_empty()).count();
    // Every odd value but the empty date (Graph's null) is kept.
    let keepers = GRAPH_ODD_VALUES
        .iter()
        .filter(|(_, v)| *v != r#""""#)
        .count();
    assert!(
        kept >= 2000 * keepers / GRAPH_ODD_VALUES.len() - 10,
        "{kept} alerts kept a value"
    );
    for a in &listed {
        for u in a.unparsed.iter() {
            assert!(
                GRAPH_ODD_VALUES.iter().any(|(k, _)| *k == u.field()),
                "{u:?}"
            );
        }
    }
    emu.shutdown().await;
}

#[tokio::test]
async fn odd_values_cost_no_fraud_event() {
    let emu = emulator(300, Quirks::new().odd_values(true)).await;
    let listed = fraud_events(&emu, 50, 4)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 300);
    assert!(listed.iter().any(|a| !a.unparsed.is_empty()));
    emu.shutdown().await;
}

#[tokio::test]
async fn items_that_are_no_alerts_are_reported_in_place() {
    let emu = emulator(120, Quirks::new().not_alerts_every(Some(10))).await;
    let mut pager = graph(&emu).list(&AlertQuery::new());
    let (mut alerts, mut rejected) = (0, 0);
    while let Some(item) = futures::StreamExt::next(&mut pager).await {
        match item {
            Ok(_) => alerts += 1,
            Err(e) if e.is_item_error() => rejected += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(alerts, 120);
    assert_eq!(rejected, 12);
    emu.shutdown().await;
}

/// Sets every alert active, so a status-filtered listing sees them all.
fn all_active(emu: &Emulator) {
    for a in emu.alerts() {
        emu.update_alert(&a.id, |a| {
            a.status = Some(AlertStatus::Active);
            a.resolved_reason = None;
            a.resolved_on_date_time = None;
        });
    }
}

/// Lists the active events while the emulator resolves what page 1 served, as a colleague
/// in the portal would; returns the events that stayed active but were never listed.
async fn missed_while_the_list_shifts(passes: u32) -> usize {
    let emu = emulator(1503, Quirks::new()).await;
    all_active(&emu);
    emu.set_quirks(Quirks::new().resolve_served_pages(1));
    let active = AlertQuery::new().filter(Filter::status().eq(AlertStatus::Active));
    let listed = fraud_events(&emu, 500, passes)
        .list(&active)
        .try_collect()
        .await
        .unwrap();
    let listed: Vec<AlertId> = listed
        .iter()
        .map(|a| emu.alert_id_for_event(&a.id).unwrap())
        .collect();
    let unique: BTreeSet<_> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "no event twice");
    let stayed: BTreeSet<AlertId> = emu
        .alerts()
        .into_iter()
        .filter(|a| a.status == Some(AlertStatus::Active))
        .map(|a| a.id)
        .collect();
    assert_eq!(stayed.len(), 1003, "page 1's 500 were resolved");
    let missed = stayed.difference(&unique).count();
    emu.shutdown().await;
    missed
}

#[tokio::test]
async fn events_resolved_mid_listing_hide_none_that_stayed_active() {
    assert_eq!(missed_while_the_list_shifts(4).await, 0);
}

#[tokio::test]
async fn one_pass_alone_misses_what_the_shift_hid() {
    // The failure the passes guard against, reproduced: page 2 holds what was page 3.
    assert_eq!(missed_while_the_list_shifts(1).await, 500);
}

#[tokio::test]
async fn a_page_cap_below_the_size_asked_loses_nothing() {
    let emu = emulator(1000, Quirks::new().page_size_cap(Some(100))).await;
    let listed = fraud_events(&emu, 500, 4)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap();
    let unique: HashSet<_> = listed.iter().map(|a| a.id.clone()).collect();
    assert_eq!(listed.len(), 1000);
    assert_eq!(unique.len(), 1000);
    emu.shutdown().await;
}

#[tokio::test]
async fn an_empty_graph_page_mid_listing_loses_nothing() {
    let emu = Emulator::builder()
        .alerts(250)
        .page_size(100)
        .seed(5)
        .quirks(Quirks::new().empty_page_after(Some(1)))
        .start()
        .await
        .unwrap();
    let listed = graph(&emu)
        .list(&AlertQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 250);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_foreign_or_repeated_next_link_ends_the_listing_with_an_error() {
    for quirks in [
        Quirks::new().foreign_next_link(true),
        Quirks::new().repeated_next_link(true),
    ] {
        let emu = Emulator::builder()
            .alerts(250)
            .page_size(100)
            .seed(5)
            .quirks(quirks.clone())
            .start()
            .await
            .unwrap();
        let mut pager = graph(&emu).list(&AlertQuery::new());
        let mut yielded = 0;
        let err = loop {
            match pager.try_next().await {
                Ok(Some(_)) => yielded += 1,
                Ok(None) => panic!("{quirks:?}: ended without an error"),
                Err(e) => break e,
            }
        };
        assert!(matches!(err, Error::InvalidResponse(_)), "{err:?}");
        assert!(yielded == 100 || yielded == 200, "{quirks:?}: {yielded}");
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn an_update_applied_then_answered_500_is_unconfirmed() {
    let emu = emulator(10, Quirks::new()).await;
    all_active(&emu);
    emu.set_quirks(Quirks::new().applied_then_500(1));
    let client = GraphClient::builder()
        .base_url(emu.graph_base_url())
        .credential(StaticToken::new("t"))
        .retry(RetryPolicy::standard().max_attempts(2))
        .build()
        .unwrap();
    let target = emu.alerts()[0].id.clone();
    let report = AlertSource::update_alerts(
        &client,
        &[UpdateTarget::from(&target)],
        &StatusUpdate::resolved(ResolvedReason::Ignore),
    )
    .await
    .unwrap();
    assert_eq!(report.unconfirmed.len(), 1, "{report:?}");
    assert!(report.failed.is_empty() && report.succeeded.is_empty());
    // It was applied: reading it again tells.
    assert_eq!(
        emu.alert(&target).unwrap().status,
        Some(AlertStatus::Resolved)
    );
    emu.shutdown().await;
}
