//! Quirks over HTTP: each misbehaviour, asserted on the raw JSON served. Every test is
//! bounded in requests (no loop follows links without a cap) and in time (60 s).

mod common;

use std::future::Future;
use std::time::Duration;

use common::*;
use partner_alerts::{AlertStatus, ResolvedReason};
use partner_alerts_emulator::{
    COLLEAGUE_UPN, EMULATOR_UPN, Emulator, FOREIGN_GRAPH_BASE_URL, FRAUD_EVENTS_LEGACY_ODD_VALUES,
    FRAUD_EVENTS_ODD_VALUES, GRAPH_ODD_VALUES, NOT_ALERTS, Quirks,
};
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::{Value, json};

const NEW_MODEL: (&str, &str) = ("X-NewEventsModel", "true");

async fn bounded<F: Future>(test: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), test)
        .await
        .expect("the test ends within 60 s")
}

/// GET with a bearer token: the status and the body exactly as served.
async fn get_raw(url: &str, headers: &[(&str, &str)]) -> (StatusCode, String) {
    let mut req = client().get(url).bearer_auth("t");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("answered");
    (res.status(), res.text().await.expect("a whole body"))
}

/// The keys of an object in the order written (`None` for anything else).
#[derive(Debug, PartialEq)]
struct KeyOrder(Option<Vec<String>>);

impl<'de> Deserialize<'de> for KeyOrder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyOrder;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<KeyOrder, A::Error> {
                let mut keys = Vec::new();
                while let Some((k, _)) = m.next_entry::<String, IgnoredAny>()? {
                    keys.push(k);
                }
                Ok(KeyOrder(Some(keys)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<KeyOrder, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(KeyOrder(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<KeyOrder, E> {
                Ok(KeyOrder(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<KeyOrder, E> {
                Ok(KeyOrder(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<KeyOrder, E> {
                Ok(KeyOrder(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The key order of each item of a list: a Graph page's `value` or a FraudEvents array.
fn item_key_orders(body: &str) -> Vec<KeyOrder> {
    #[derive(Deserialize)]
    struct Page {
        value: Vec<KeyOrder>,
    }
    serde_json::from_str::<Page>(body)
        .map(|p| p.value)
        .or_else(|_| serde_json::from_str::<Vec<KeyOrder>>(body))
        .expect("a Graph page or a FraudEvents array")
}

fn items(body: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(body).unwrap();
    match v {
        Value::Array(a) => a,
        mut page => page["value"].take().as_array().unwrap().clone(),
    }
}

/// Checks that `quirky` is `normal` with exactly one odd value in the k-th item, the
/// (k mod N)-th of `list`, written with exactly the list's text and at the property's place.
#[track_caller]
fn assert_odd_values(quirky: &str, normal: &str, list: &[(&str, &str)]) {
    let (q, n) = (items(quirky), items(normal));
    assert_eq!(q.len(), n.len());
    assert!(!q.is_empty());
    let (qk, nk) = (item_key_orders(quirky), item_key_orders(normal));
    for (k, (qi, ni)) in q.iter().zip(&n).enumerate() {
        let (key, text) = list[k % list.len()];
        assert_eq!(
            qi[key],
            serde_json::from_str::<Value>(text).unwrap(),
            "item {k}"
        );
        assert_ne!(qi[key], ni[key], "item {k}: {key} is odd");
        let mut expected = ni.clone();
        expected[key] = qi[key].clone();
        assert_eq!(*qi, expected, "item {k}: only {key} differs");
        assert_eq!(qk[k], nk[k], "item {k}: same keys, same order");
    }
    // Exactly those texts, as written.
    for (key, text) in list.iter().take(q.len()) {
        let written = format!("\"{key}\":{text}");
        assert!(quirky.contains(&written), "{written} is served as such");
    }
}

#[tokio::test]
async fn odd_values_on_graph_pages_and_gets() {
    bounded(async {
        let emulator = builder(30)
            .page_size(10)
            .quirks(Quirks::new().odd_values(true))
            .start()
            .await
            .unwrap();
        let before = emulator.alerts();
        let url = alerts_url(&emulator, &[]);
        let (status, page1) = get_raw(&url, &[]).await;
        assert_eq!(status, StatusCode::OK);
        let next = serde_json::from_str::<Value>(&page1).unwrap()["@odata.nextLink"]
            .as_str()
            .unwrap()
            .to_owned();
        let (_, page2) = get_raw(&next, &[]).await;
        let one = format!("{url}/{}", before[3].id);
        let (_, single) = get_raw(&one, &[]).await;
        let selected = alerts_url(&emulator, &[("$select", "id,severity,isTest,displayName")]);
        let (_, narrow) = get_raw(&selected, &[]).await;
        let plain = alerts_url(&emulator, &[("$select", "id,displayName")]);
        let (_, none_selected) = get_raw(&plain, &[]).await;
        assert_eq!(emulator.stats().odd_values, 10 + 10 + 1 + 10);

        emulator.set_quirks(Quirks::new());
        assert_odd_values(&page1, &get_raw(&url, &[]).await.1, GRAPH_ODD_VALUES);
        // Each response starts the turns again.
        assert_odd_values(&page2, &get_raw(&next, &[]).await.1, GRAPH_ODD_VALUES);
        let (s, n) = (
            serde_json::from_str::<Value>(&single).unwrap(),
            get(&one).await.body,
        );
        let (key, text) = GRAPH_ODD_VALUES[0];
        assert_eq!(s[key], serde_json::from_str::<Value>(text).unwrap());
        let mut expected = n.clone();
        expected[key] = s[key].clone();
        assert_eq!(s, expected, "a single alert carries the first odd value");
        // With $select, the odd values of the selected properties take turns, in list order.
        assert_odd_values(
            &narrow,
            &get_raw(&selected, &[]).await.1,
            &[GRAPH_ODD_VALUES[1], GRAPH_ODD_VALUES[2]],
        );
        assert_eq!(none_selected, get_raw(&plain, &[]).await.1);

        assert_eq!(emulator.alerts(), before, "only the rendering is odd");
    })
    .await;
}

#[tokio::test]
async fn odd_values_on_fraud_events_in_both_shapes() {
    bounded(async {
        let emulator = start(12).await;
        let url = format!(
            "{}/v1/fraudEvents?PageSize=7&PageNumber=1",
            emulator.partner_center_base_url()
        );
        let (_, new_normal) = get_raw(&url, &[NEW_MODEL]).await;
        let (_, legacy_normal) = get_raw(&url, &[]).await;
        emulator.set_quirks(Quirks::new().odd_values(true));
        let (status, new_odd) = get_raw(&url, &[NEW_MODEL]).await;
        assert_eq!(status, StatusCode::OK);
        let (_, legacy_odd) = get_raw(&url, &[]).await;
        assert_odd_values(&new_odd, &new_normal, FRAUD_EVENTS_ODD_VALUES);
        // The legacy model ignores paging: all twelve, with the legacy shape's odd values.
        assert_eq!(items(&legacy_odd).len(), 12);
        assert_odd_values(&legacy_odd, &legacy_normal, FRAUD_EVENTS_LEGACY_ODD_VALUES);
        // The first event's activityLogs is a string that does not hold JSON.
        let logs = items(&new_odd)[0]["activityLogs"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(serde_json::from_str::<Value>(&logs).is_err(), "{logs}");
        assert_eq!(emulator.stats().odd_values, 7 + 12);
    })
    .await;
}

#[tokio::test]
async fn items_that_are_no_alerts() {
    bounded(async {
        let emulator = builder(30)
            .page_size(10)
            .quirks(Quirks::new().not_alerts_every(Some(3)))
            .start()
            .await
            .unwrap();
        let not_alerts: Vec<Value> = NOT_ALERTS
            .iter()
            .map(|t| serde_json::from_str(t).unwrap())
            .collect();
        assert_eq!(not_alerts, [json!(7), json!({"status": "active"})]);
        let check = |body: &str, alerts: usize, id_key: &str| {
            let got = items(body);
            assert_eq!(got.len(), alerts + alerts / 3, "{body}");
            let mut inserted = 0;
            for (i, item) in got.iter().enumerate() {
                if (i + 1) % 4 == 0 {
                    assert_eq!(*item, not_alerts[inserted % 2], "item {i}");
                    inserted += 1;
                } else {
                    assert!(item[id_key].is_string(), "item {i} is an alert: {item}");
                }
            }
            assert!(body.contains(",7,") && body.contains(r#"{"status":"active"}"#));
        };
        let (status, page) = get_raw(&alerts_url(&emulator, &[]), &[]).await;
        assert_eq!(status, StatusCode::OK);
        check(&page, 10, "id");
        let events = format!("{}/v1/fraudEvents", emulator.partner_center_base_url());
        check(
            &get_raw(&format!("{events}?PageSize=10&PageNumber=2"), &[NEW_MODEL])
                .await
                .1,
            10,
            "eventId",
        );
        check(&get_raw(&events, &[]).await.1, 30, "eventId");
        assert_eq!(emulator.stats().not_alerts, 3 + 3 + 10);
    })
    .await;
}

#[tokio::test]
async fn resolving_served_pages_shifts_partner_center_paging() {
    bounded(async {
        let emulator = start(1503).await;
        // Every event active, in listing order.
        for a in emulator.alerts() {
            if a.status != Some(AlertStatus::Active) {
                emulator.update_alert(&a.id, |a| {
                    a.status = Some(AlertStatus::Active);
                    a.resolved_reason = None;
                    a.resolved_on_date_time = None;
                    a.resolved_by = None;
                });
            }
        }
        let order: Vec<String> = emulator
            .alerts()
            .iter()
            .map(|a| emulator.event_id(&a.id).unwrap().to_string())
            .collect();
        assert_eq!(order.len(), 1503);
        emulator.set_quirks(Quirks::new().resolve_served_pages(1));
        let page = |n: usize| {
            format!(
                "{}/v1/fraudEvents?EventStatus=Active&PageSize=500&PageNumber={n}",
                emulator.partner_center_base_url()
            )
        };
        let ids = |body: &str| -> Vec<String> {
            items(body)
                .iter()
                .map(|e| e["eventId"].as_str().unwrap().to_owned())
                .collect()
        };
        let (_, p1) = get_raw(&page(1), &[NEW_MODEL]).await;
        assert_eq!(ids(&p1), order[..500]);
        // Served as they were: active. Then resolved, by a colleague.
        assert!(items(&p1).iter().all(|e| e["eventStatus"] == "Active"));
        assert_eq!(emulator.quirks().pages_to_resolve(), 0);
        let first = emulator.alerts()[0].clone();
        assert_eq!(first.status, Some(AlertStatus::Resolved));
        assert_eq!(first.resolved_reason, Some(ResolvedReason::Ignore));
        assert_eq!(first.resolved_by.as_deref(), Some(COLLEAGUE_UPN));
        assert_eq!(first.resolved_on_date_time, Some(now()));

        // Page 2 now holds what was page 3; what was page 2 is never listed.
        let (_, p2) = get_raw(&page(2), &[NEW_MODEL]).await;
        assert_eq!(ids(&p2), order[1000..1500]);
        let (_, p3) = get_raw(&page(3), &[NEW_MODEL]).await;
        assert_eq!(ids(&p3), order[1500..]);
        let seen: std::collections::HashSet<String> = [ids(&p1), ids(&p2), ids(&p3)]
            .concat()
            .into_iter()
            .collect();
        assert_eq!(order.iter().filter(|e| !seen.contains(*e)).count(), 500);
        assert_eq!(emulator.stats().resolved_pages, 1);
        // Only page 1's events were resolved.
        let resolved = emulator
            .alerts()
            .iter()
            .filter(|a| a.status == Some(AlertStatus::Resolved))
            .count();
        assert_eq!(resolved, 500);
    })
    .await;
}

#[tokio::test]
async fn resolving_served_pages_on_graph() {
    bounded(async {
        let emulator = builder(20)
            .page_size(5)
            .quirks(Quirks::new().resolve_served_pages(2))
            .start()
            .await
            .unwrap();
        let before = emulator.alerts();
        let (_, page) = get_raw(&alerts_url(&emulator, &[]), &[]).await;
        let served: Vec<String> = items(&page)
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(emulator.quirks().pages_to_resolve(), 1);
        for (a, b) in emulator.alerts().iter().zip(&before) {
            if served.contains(&a.id.to_string()) && b.status != Some(AlertStatus::Resolved) {
                assert_eq!(a.status, Some(AlertStatus::Resolved));
                assert_eq!(a.resolved_by.as_deref(), Some(COLLEAGUE_UPN));
                let log = a.activity_logs.as_ref().unwrap().last().unwrap();
                assert_eq!(log.updated_by.as_deref(), Some(COLLEAGUE_UPN));
            } else {
                assert_eq!(a, b, "untouched: already resolved, or not served");
            }
        }
        // A single get is no list page; the countdown stays.
        get(&format!("{}/{}", alerts_url(&emulator, &[]), before[9].id)).await;
        assert_eq!(emulator.quirks().pages_to_resolve(), 1);
    })
    .await;
}

#[tokio::test]
async fn page_size_cap() {
    bounded(async {
        let emulator = builder(120)
            .quirks(Quirks::new().page_size_cap(Some(50)))
            .start()
            .await
            .unwrap();
        let base = format!("{}/v1/fraudEvents", emulator.partner_center_base_url());
        let ids = |body: &str| -> Vec<String> {
            items(body)
                .iter()
                .map(|e| e["eventId"].as_str().unwrap().to_owned())
                .collect()
        };
        let all: Vec<String> = emulator
            .alerts()
            .iter()
            .map(|a| emulator.event_id(&a.id).unwrap().to_string())
            .collect();
        let paged = |size: usize, n: usize| format!("{base}?PageSize={size}&PageNumber={n}");
        // Asked for 100, served 50; the offset follows the size served.
        assert_eq!(
            ids(&get_raw(&paged(100, 1), &[NEW_MODEL]).await.1),
            all[..50]
        );
        assert_eq!(
            ids(&get_raw(&paged(100, 2), &[NEW_MODEL]).await.1),
            all[50..100]
        );
        assert_eq!(
            ids(&get_raw(&paged(100, 3), &[NEW_MODEL]).await.1),
            all[100..]
        );
        // Smaller pages are as asked; an unpaged answer is one capped page.
        assert_eq!(
            ids(&get_raw(&paged(20, 2), &[NEW_MODEL]).await.1),
            all[20..40]
        );
        assert_eq!(ids(&get_raw(&base, &[NEW_MODEL]).await.1), all[..50]);
        assert_eq!(ids(&get_raw(&base, &[]).await.1), all[..50]);

        // Graph: 100 a page by default, 50 with the cap; `$top` below it still counts.
        let (_, page) = get_raw(&alerts_url(&emulator, &[]), &[]).await;
        assert_eq!(items(&page).len(), 50);
        let (_, page) = get_raw(&alerts_url(&emulator, &[("$top", "10")]), &[]).await;
        assert_eq!(items(&page).len(), 10);
        let (items, pages) = list_all(&alerts_url(&emulator, &[])).await;
        assert_eq!((items.len(), pages), (120, 3));
        assert_eq!(emulator.stats().capped_pages, 3 + 2 + 1 + 3);
    })
    .await;
}

#[tokio::test]
async fn foreign_and_repeated_next_links() {
    bounded(async {
        let emulator = builder(35).page_size(10).start().await.unwrap();
        let url = alerts_url(
            &emulator,
            &[("$filter", "isTest eq false or isTest eq true")],
        );
        let link = |body: &str| -> Option<String> {
            serde_json::from_str::<Value>(body).unwrap()["@odata.nextLink"]
                .as_str()
                .map(str::to_owned)
        };
        let real = link(&get_raw(&url, &[]).await.1).unwrap();

        emulator.set_quirks(Quirks::new().foreign_next_link(true));
        let foreign = link(&get_raw(&url, &[]).await.1).unwrap();
        let rest = real
            .strip_prefix(emulator.graph_base_url())
            .expect("the real link is the emulator's");
        assert!(rest.starts_with("/security/partner/securityAlerts?$filter="));
        assert_eq!(foreign, format!("{FOREIGN_GRAPH_BASE_URL}{rest}"));
        // Only page 1's link is foreign.
        let page2 = get_raw(&real, &[]).await.1;
        assert!(link(&page2).unwrap().starts_with(emulator.graph_base_url()));

        emulator.set_quirks(Quirks::new().repeated_next_link(true));
        let first = get_raw(&url, &[]).await.1;
        let to_page2 = link(&first).unwrap();
        assert_eq!(to_page2, real);
        let page2 = get_raw(&to_page2, &[]).await.1;
        // Page 2 links to itself: following it serves page 2 again, for ever.
        let mut next = link(&page2).unwrap();
        for _ in 0..3 {
            assert_eq!(next, to_page2);
            let again = get_raw(&next, &[]).await.1;
            assert_eq!(items(&again), items(&page2));
            next = link(&again).unwrap();
        }
        let stats = emulator.stats();
        assert_eq!((stats.foreign_links, stats.repeated_links), (1, 4));
    })
    .await;
}

#[tokio::test]
async fn an_empty_page_between_pages() {
    bounded(async {
        let emulator = builder(25)
            .page_size(10)
            .quirks(Quirks::new().empty_page_after(Some(1)))
            .start()
            .await
            .unwrap();
        let url = alerts_url(&emulator, &[]);
        let page1: Value = serde_json::from_str(&get_raw(&url, &[]).await.1).unwrap();
        assert_eq!(page1["value"].as_array().unwrap().len(), 10);
        let to_empty = page1["@odata.nextLink"].as_str().unwrap();
        let (status, empty) = get_raw(to_empty, &[]).await;
        assert_eq!(status, StatusCode::OK);
        let empty: Value = serde_json::from_str(&empty).unwrap();
        assert_eq!(empty["value"], json!([]));
        let to_page2 = empty["@odata.nextLink"].as_str().unwrap();
        assert_ne!(to_page2, to_empty);
        let page2 = get(to_page2).await.body;
        let ids: Vec<&str> = page2["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        let want: Vec<String> = emulator.alerts()[10..20]
            .iter()
            .map(|a| a.id.to_string())
            .collect();
        assert_eq!(ids, want);
        // Followed to the end: every alert once, over four pages.
        let (all, pages) = list_all(&url).await;
        assert_eq!((all.len(), pages), (25, 4));
        // After the last page, nothing is inserted.
        emulator.set_quirks(Quirks::new().empty_page_after(Some(3)));
        assert_eq!(list_all(&url).await.1, 3);
        assert_eq!(emulator.stats().empty_pages, 2);
    })
    .await;
}

#[tokio::test]
async fn writes_applied_then_answered_with_500() {
    bounded(async {
        let emulator = start(40).await;
        let active: Vec<_> = emulator
            .alerts()
            .into_iter()
            .filter(|a| a.status == Some(AlertStatus::Active))
            .collect();
        let item = |i: usize| format!("{}/{}", alerts_url(&emulator, &[]), active[i].id);
        let resolve = json!({"status": "resolved", "resolvedReason": "fraud"});
        emulator.set_quirks(Quirks::new().applied_then_500(1));

        // A refused write does not count.
        let got = patch(&item(0), &json!({"status": "closed"})).await;
        assert_eq!(got.status, StatusCode::BAD_REQUEST);
        assert_eq!(emulator.quirks().writes_to_fail(), 1);
        // Graph PATCH: applied, answered 500 in Graph's error shape.
        let got = patch(&item(0), &resolve).await;
        graph_error(&got, StatusCode::INTERNAL_SERVER_ERROR, "generalException");
        let stored = emulator.alert(&active[0].id).unwrap();
        assert_eq!(stored.status, Some(AlertStatus::Resolved));
        assert_eq!(stored.resolved_by.as_deref(), Some(EMULATOR_UPN));
        let got = patch(&item(1), &resolve).await;
        assert_eq!(got.status, StatusCode::OK, "the quirk is used up");

        // $batch: each write counts; its dependants fail as after any failure.
        emulator.set_quirks(Quirks::new().applied_then_500(1));
        let path = |i: usize| format!("/security/partner/securityAlerts/{}", active[i].id);
        let body = json!({"requests": [
            {"id": "1", "method": "PATCH", "url": path(2),
             "headers": {"Content-Type": "application/json"}, "body": resolve},
            {"id": "2", "dependsOn": ["1"], "method": "GET", "url": path(2)},
            {"id": "3", "method": "PATCH", "url": path(3),
             "headers": {"Content-Type": "application/json"}, "body": resolve}
        ]});
        let got = post_with(&format!("{}/$batch", emulator.graph_base_url()), &body, &[]).await;
        assert_eq!(got.status, StatusCode::OK, "{}", got.body);
        let status = |id: &str| {
            got.body["responses"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .unwrap()["status"]
                .clone()
        };
        assert_eq!(
            (status("1"), status("2"), status("3")),
            (json!(500), json!(424), json!(200))
        );
        for i in [2, 3] {
            assert_eq!(
                emulator.alert(&active[i].id).unwrap().status,
                Some(AlertStatus::Resolved)
            );
        }

        // Partner Center's status update: applied, answered 500 in its error shape.
        emulator.set_quirks(Quirks::new().applied_then_500(1));
        let a = &active[4];
        let url = format!(
            "{}/v1/fraudEvents/subscription/{}/status",
            emulator.partner_center_base_url(),
            a.subscription_id.as_ref().unwrap()
        );
        let event = emulator.event_id(&a.id).unwrap().to_string();
        let got = post_with(
            &url,
            &json!({"EventIds": [event], "EventStatus": "Resolved", "ResolvedReason": "Fraud"}),
            &[NEW_MODEL],
        )
        .await;
        assert_eq!(got.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(got.body["code"], 800003);
        assert_eq!(got.body["source"], "PartnerFD");
        assert_eq!(got.body["data"], json!([]));
        let stored = emulator.alert(&a.id).unwrap();
        assert_eq!(stored.status, Some(AlertStatus::Resolved));
        assert_eq!(stored.resolved_reason, Some(ResolvedReason::Fraud));
        assert!(emulator.quirks().is_off());
        assert_eq!(emulator.stats().lost_answers, 3);
        assert_eq!(emulator.stats().internal_errors, 0, "not a fault");
    })
    .await;
}

/// An emulator's quirks can be read back and replaced while it runs.
#[tokio::test]
async fn quirks_are_set_at_build_time_and_at_run_time() {
    bounded(async {
        let q = Quirks::new().odd_values(true).applied_then_500(2);
        let emulator: Emulator = builder(1).quirks(q.clone()).start().await.unwrap();
        assert_eq!(emulator.quirks(), q);
        emulator.set_quirks(Quirks::new());
        assert!(emulator.quirks().is_off());
        assert_eq!(emulator.stats().quirks(), 0);
    })
    .await;
}

/// Odd values come from the quirk only: the values an alert's fields could not hold are not
/// stored, so a stored alert is served with each property once.
#[tokio::test]
async fn unparsed_values_given_are_not_stored() {
    bounded(async {
        let emulator = start(3).await;
        let mut alert =
            partner_alerts::Alert::new(partner_alerts::AlertId::new("given-1").unwrap());
        alert.unparsed.push(partner_alerts::UnparsedValue::new(
            "detectedDateTime",
            json!("23/01/2024 16:03"),
        ));
        emulator.insert_alert(alert.clone());
        let stored = emulator.alert(&alert.id).unwrap();
        assert!(stored.unparsed.is_empty());
        let url = format!("{}/{}", alerts_url(&emulator, &[]), alert.id);
        for url in [url, alerts_url(&emulator, &[])] {
            let (status, body) = get_raw(&url, &[]).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!body.contains("23/01/2024"), "{body}");
        }
        let (_, single) =
            get_raw(&format!("{}/{}", alerts_url(&emulator, &[]), alert.id), &[]).await;
        assert_eq!(single.matches("\"detectedDateTime\"").count(), 1);
    })
    .await;
}
