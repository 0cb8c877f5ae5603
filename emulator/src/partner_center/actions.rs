//! Partner Center response actions (reference sections 10.7 to 10.10): cancelling and
//! reactivating the Azure subscriptions (entitlements) of an Azure plan, and suspending or
//! reactivating a subscription (an Azure plan or a legacy one) with a `PATCH` of its status,
//! with the state they change and the directory's reads show.
//!
//! Everything starts `active`, subscriptions with `autoRenewEnabled` on. The state is kept
//! in the state file, when there is one ([`SavedActions`], its `actions` section), so a
//! restarted emulator shows what was cancelled or suspended; the `PATCH` bodies recorded are
//! not kept. An entitlement's change takes effect [`EmulatorBuilder::entitlement_delay`]
//! after it was accepted, on the emulator's clock (`Shared::now`), so a test with a fixed
//! clock moves it on with `Emulator::set_now`.
//!
//! [`EmulatorBuilder::entitlement_delay`]: crate::EmulatorBuilder::entitlement_delay

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use axum::http::header::ALLOW;
use axum::http::{Method, StatusCode};
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::directory::{entitlement, subscriptions};
use super::handlers::{Ctx, field};
use crate::envelope::{Reply, pc_error};
use crate::generate::CustomerView;
use crate::shared::Shared;
use crate::stats::bump;

/// How many `PATCH` bodies are kept for [`Emulator::subscription_patch_bodies`]: the last ones.
///
/// [`Emulator::subscription_patch_bodies`]: crate::Emulator::subscription_patch_bodies
pub(crate) const PATCH_BODIES_KEPT: usize = 32;

/// An Azure entitlement's status (in the state file too, as its lower-case name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Active,
    Inactive,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }
}

/// An Azure entitlement's state: its status and the change under way, if any (never to the
/// status it has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entitlement {
    status: Status,
    /// The status it takes, and when (emulator time).
    pending: Option<(Status, DateTime<Utc>)>,
}

impl Default for Entitlement {
    fn default() -> Self {
        Entitlement {
            status: Status::Active,
            pending: None,
        }
    }
}

impl Entitlement {
    /// The state at `now`: the change under way applied once its time has come.
    fn at(self, now: DateTime<Utc>) -> Entitlement {
        match self.pending {
            Some((to, at)) if now >= at => Entitlement {
                status: to,
                pending: None,
            },
            _ => self,
        }
    }

    /// Active, counting one being cancelled (it runs until the cancellation takes effect).
    fn running(self) -> bool {
        self.status == Status::Active
    }
}

/// A Partner Center subscription's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Subscription {
    suspended: bool,
    /// Moves on with every accepted `PATCH`; the ETag is made from it.
    version: u64,
    /// `autoRenewEnabled`: on until a `PATCH` body leaves it out (reference section 10.10).
    auto_renew: bool,
}

impl Default for Subscription {
    fn default() -> Self {
        Subscription {
            suspended: false,
            version: 1,
            auto_renew: true,
        }
    }
}

/// What a read shows of a subscription.
#[derive(Clone, Debug)]
pub(crate) struct SubscriptionState {
    /// `active` or `suspended`.
    pub status: &'static str,
    /// The opaque ETag (without quotes).
    pub etag: String,
    /// `autoRenewEnabled`.
    pub auto_renew: bool,
}

/// `(customer, id)`, both lower case: ids are compared in any case.
type Key = (String, String);

fn key(customer: &str, id: &str) -> Key {
    (customer.to_ascii_lowercase(), id.to_ascii_lowercase())
}

#[derive(Debug, Default)]
struct Inner {
    entitlements: HashMap<Key, Entitlement>,
    subscriptions: HashMap<Key, Subscription>,
    patch_bodies: VecDeque<Value>,
    /// Bumped on every change of the state above; orders the state file's writes with the
    /// store's version (see [`SavedActions::version`]).
    changes: u64,
}

impl Inner {
    /// Sets an entitlement's state; `true` when it changed (the state file is then stale).
    fn set_entitlement(&mut self, customer: &str, id: &str, state: Entitlement) -> bool {
        let changed = self.entitlements.insert(key(customer, id), state) != Some(state);
        if changed {
            self.changes += 1;
        }
        changed
    }

    /// Sets a subscription's state; `true` when it changed.
    fn set_subscription(&mut self, customer: &str, id: &str, state: Subscription) -> bool {
        let changed = self.subscriptions.insert(key(customer, id), state) != Some(state);
        if changed {
            self.changes += 1;
        }
        changed
    }

    fn entitlement(&self, customer: &str, id: &str, now: DateTime<Utc>) -> Entitlement {
        self.entitlements
            .get(&key(customer, id))
            .copied()
            .unwrap_or_default()
            .at(now)
    }

    fn subscription(&self, customer: &str, id: &str) -> Subscription {
        self.subscriptions
            .get(&key(customer, id))
            .copied()
            .unwrap_or_default()
    }
}

/// The response actions' state, shared by the handlers and the handle.
#[derive(Debug)]
pub(crate) struct Actions {
    /// From an accepted cancel or reactivate to the entitlement's new status.
    delay: TimeDelta,
    inner: Mutex<Inner>,
}

/// The ETag of a subscription's version: base64 of `{"id":"<id>","version":n}`, as the
/// documentation's example is.
fn etag(id: &str, version: u64) -> String {
    let text = json!({"id": id.to_ascii_lowercase(), "version": version}).to_string();
    base64::engine::general_purpose::STANDARD.encode(text)
}

impl Actions {
    /// The actions' state: `saved` (from the state file), or everything `active`.
    pub(crate) fn new(delay: Duration, saved: SavedActions) -> Actions {
        let mut inner = Inner::default();
        for e in saved.entitlements {
            inner.entitlements.insert(
                key(&e.customer, &e.id),
                Entitlement {
                    status: e.status,
                    pending: e.pending.map(|p| (p.status, p.at)),
                },
            );
        }
        for s in saved.subscriptions {
            inner.subscriptions.insert(
                key(&s.customer, &s.id),
                Subscription {
                    suspended: s.status == SubscriptionStatus::Suspended,
                    version: s.version,
                    auto_renew: s.auto_renew_enabled,
                },
            );
        }
        Actions {
            delay: TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX),
            inner: Mutex::new(inner),
        }
    }

    /// The state for the state file, in a stable order.
    pub(crate) fn saved(&self) -> SavedActions {
        let inner = self.lock();
        let mut entitlements: Vec<SavedEntitlement> = inner
            .entitlements
            .iter()
            .map(|((customer, id), e)| SavedEntitlement {
                customer: customer.clone(),
                id: id.clone(),
                status: e.status,
                pending: e.pending.map(|(status, at)| SavedChange { status, at }),
            })
            .collect();
        entitlements.sort_by(|a, b| (&a.customer, &a.id).cmp(&(&b.customer, &b.id)));
        let mut subscriptions: Vec<SavedSubscription> = inner
            .subscriptions
            .iter()
            .map(|((customer, id), s)| SavedSubscription {
                customer: customer.clone(),
                id: id.clone(),
                status: if s.suspended {
                    SubscriptionStatus::Suspended
                } else {
                    SubscriptionStatus::Active
                },
                version: s.version,
                auto_renew_enabled: s.auto_renew,
            })
            .collect();
        subscriptions.sort_by(|a, b| (&a.customer, &a.id).cmp(&(&b.customer, &b.id)));
        SavedActions {
            version: inner.changes,
            entitlements,
            subscriptions,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take the emulator down with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn due(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now.checked_add_signed(self.delay)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// An entitlement's status at `now` (`active` or `inactive`).
    pub(crate) fn entitlement_status(
        &self,
        customer: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> &'static str {
        self.lock().entitlement(customer, id, now).status.as_str()
    }

    /// A subscription's status and ETag.
    pub(crate) fn subscription(&self, customer: &str, id: &str) -> SubscriptionState {
        let s = self.lock().subscription(customer, id);
        SubscriptionState {
            status: if s.suspended { "suspended" } else { "active" },
            etag: etag(id, s.version),
            auto_renew: s.auto_renew,
        }
    }

    /// The last [`PATCH_BODIES_KEPT`] subscription `PATCH` bodies, oldest first.
    pub(crate) fn patch_bodies(&self) -> Vec<Value> {
        self.lock().patch_bodies.iter().cloned().collect()
    }
}

// ---------------------------------------------------------------------------------------
// The state file's `actions` section

/// The actions' state as the state file keeps it (its `actions` section, left out while
/// nothing was changed, so a file without it loads as everything `active`). Ids are lower
/// case.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SavedActions {
    /// How many changes the running emulator made (not in the file): the state file's
    /// writes are ordered by it plus the store's version, both only growing.
    #[serde(skip)]
    pub(crate) version: u64,
    #[serde(default)]
    entitlements: Vec<SavedEntitlement>,
    #[serde(default)]
    subscriptions: Vec<SavedSubscription>,
}

impl SavedActions {
    /// Nothing was changed: every entitlement and subscription as generated.
    pub(crate) fn is_empty(&self) -> bool {
        self.entitlements.is_empty() && self.subscriptions.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedEntitlement {
    customer: String,
    id: String,
    status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<SavedChange>,
}

/// A change under way: the status it takes, and when (emulator time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedChange {
    status: Status,
    at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SubscriptionStatus {
    Active,
    Suspended,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedSubscription {
    customer: String,
    id: String,
    status: SubscriptionStatus,
    version: u64,
    auto_renew_enabled: bool,
}

// ---------------------------------------------------------------------------------------
// Serving the actions

fn bad(code: u32, description: &str) -> Reply {
    pc_error(StatusCode::BAD_REQUEST, code, description)
}

fn subscription_not_found(id: &str) -> Reply {
    pc_error(
        StatusCode::NOT_FOUND,
        20003,
        &format!("Subscription with ID {id} not found"),
    )
}

/// A GUID in its hyphenated form (any case).
fn is_guid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

/// The body as a JSON object; `None` when empty, not JSON or not an object.
fn object(body: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Some(o),
        _ => None,
    }
}

/// Serves the actions (`segs` after `v1`): `Some` for a request to one of their paths with a
/// method other than `GET` (which the directory's reads serve).
pub(super) fn route(
    shared: &Shared,
    ctx: &Ctx,
    method: &Method,
    segs: &[String],
    body: &[u8],
) -> Option<Reply> {
    let is = |i: usize, name: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(name));
    let action = match segs.len() {
        4 if is(0, "customers") && is(2, "subscriptions") => Action::Patch,
        7 if is(0, "customers")
            && is(2, "subscriptions")
            && is(4, "azureEntitlements")
            && is(6, "cancel") =>
        {
            Action::Cancel
        }
        7 if is(0, "customers")
            && is(2, "subscriptions")
            && is(4, "azureEntitlements")
            && is(6, "reactivate") =>
        {
            Action::Reactivate
        }
        _ => return None,
    };
    let (allowed, allow) = match action {
        Action::Patch => (*method == Method::PATCH, "GET, PATCH"),
        Action::Cancel | Action::Reactivate => (*method == Method::POST, "POST"),
    };
    if *method == Method::GET && action == Action::Patch {
        return None;
    }
    if !allowed {
        return Some(
            pc_error(
                StatusCode::METHOD_NOT_ALLOWED,
                800002,
                &format!("The HTTP method '{method}' is not supported on this resource."),
            )
            .with_header(ALLOW, allow),
        );
    }
    bump(match action {
        Action::Patch => &shared.stats.subscription_patches,
        Action::Cancel => &shared.stats.entitlement_cancels,
        Action::Reactivate => &shared.stats.entitlement_reactivations,
    });
    if action == Action::Patch {
        // Every body, whatever becomes of the request: what the client sent is the point.
        let sent = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) if body.is_empty() => Value::Null,
            Err(_) => Value::String(String::from_utf8_lossy(body).into_owned()),
        };
        let mut inner = shared.actions.lock();
        if inner.patch_bodies.len() == PATCH_BODIES_KEPT {
            inner.patch_bodies.pop_front();
        }
        inner.patch_bodies.push_back(sent);
        drop(inner);
        if ctx.if_match.is_none() {
            bump(&shared.stats.patches_without_if_match);
        }
    }
    let customer = &segs[1];
    if !is_guid(customer) {
        return Some(bad(
            800002,
            &format!("The customer id '{customer}' is not a valid GUID."),
        ));
    }
    if matches!(action, Action::Cancel | Action::Reactivate) {
        for (what, id) in [("subscription", &segs[3]), ("entitlement", &segs[5])] {
            if !is_guid(id) {
                return Some(bad(
                    800002,
                    &format!("The {what} id '{id}' is not a valid GUID."),
                ));
            }
        }
    }
    Some(match action {
        Action::Patch => patch(shared, ctx, customer, &segs[3], body),
        Action::Cancel => cancel(shared, ctx, customer, &segs[3], &segs[5], body),
        Action::Reactivate => reactivate(shared, ctx, customer, &segs[3], &segs[5]),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Patch,
    Cancel,
    Reactivate,
}

fn unknown_customer() -> Reply {
    pc_error(StatusCode::NOT_FOUND, 60003, "Tenant not found")
}

/// The customer, and the entitlement's id and name, when `plan` is the customer's Azure
/// plan and `id` one of its entitlements; else the `404` to answer.
fn find_entitlement<'a>(
    shared: &'a Shared,
    customer: &str,
    plan: &str,
    id: &str,
) -> Result<(CustomerView<'a>, &'a str, &'a str), Reply> {
    let c = shared
        .generator
        .customer_view_of(customer)
        .ok_or_else(unknown_customer)?;
    if c.legacy || !c.azure_plan_id.eq_ignore_ascii_case(plan) {
        return Err(subscription_not_found(plan));
    }
    let (e, name) = c
        .subscriptions
        .iter()
        .find(|(e, _)| e.as_str().eq_ignore_ascii_case(id))
        .map(|(e, name)| (e.as_str(), *name))
        .ok_or_else(|| {
            pc_error(
                StatusCode::NOT_FOUND,
                800111,
                &format!("Azure entitlement with ID {id} not found"),
            )
        })?;
    Ok((c, e, name))
}

/// `POST .../azureEntitlements/{id}/cancel` (reference section 10.8).
///
/// Checked in this order: the customer id, then the Azure plan id, then the entitlement id
/// are GUIDs (each `400 800002`), the body is a JSON object (`400 800002`), the customer
/// (`404 60003`), the Azure plan (`404 20003`), the entitlement (`404 800111`), the reason
/// (`400 900307`; a missing one too, as `''`). Answered `200` with the entitlement as it is
/// now: still `active` until the delay has passed.
///
/// Whether the plan is suspended is not checked: a plan can only be suspended once none of
/// its entitlements runs, so cancelling one under it is the no-op below.
///
/// Cancelling one already inactive, or being cancelled, is accepted and changes nothing
/// (the documentation does not say; an idempotent answer suits a client's retry).
/// Cancelling one being reactivated stops the reactivation: it stays inactive.
fn cancel(shared: &Shared, ctx: &Ctx, customer: &str, plan: &str, id: &str, body: &[u8]) -> Reply {
    let Some(content) = object(body) else {
        return bad(
            800002,
            "The Azure entitlement cancellation request content is required",
        );
    };
    let (c, e, name) = match find_entitlement(shared, customer, plan, id) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    match field(&content, "cancellationReason") {
        Some(Value::String(r)) if r.trim().eq_ignore_ascii_case("compromise") => {}
        other => {
            let shown = match other {
                None => String::new(),
                Some(Value::String(r)) => r.clone(),
                Some(v) => v.to_string(),
            };
            return bad(900307, &format!("Cancellation reason '{shown}' is invalid"));
        }
    }
    let now = ctx.now;
    let (status, changed) = {
        let mut inner = shared.actions.lock();
        let mut state = inner.entitlement(customer, e, now);
        match (state.status, state.pending) {
            (Status::Active, None) => {
                state.pending = Some((Status::Inactive, shared.actions.due(now)));
            }
            (Status::Inactive, Some(_)) => state.pending = None,
            // Inactive, or on its way there.
            _ => {}
        }
        let state = state.at(now);
        (
            state.status.as_str(),
            inner.set_entitlement(customer, e, state),
        )
    };
    if changed {
        shared.state_changed();
    }
    Reply::json(StatusCode::OK, &entitlement(&c, e, name, status))
}

/// `POST .../azureEntitlements/{id}/reactivate` (reference section 10.9): `202` with no
/// body, the entitlement `active` once the delay has passed. Any body is ignored.
///
/// Checked in this order: the customer id, the Azure plan id and the entitlement id are
/// GUIDs (`400 800002`), the customer (`404 60003`), the Azure plan (`404 20003`), the
/// entitlement (`404 800111`), then the refusals below.
///
/// Refused with `400 900337` when the entitlement is active (and not being cancelled) or
/// its Azure plan is suspended. Reactivating one being cancelled stops the cancellation
/// (it stays active); one being reactivated already is accepted again, unchanged.
fn reactivate(shared: &Shared, ctx: &Ctx, customer: &str, plan: &str, id: &str) -> Reply {
    let (c, e, _) = match find_entitlement(shared, customer, plan, id) {
        Ok(found) => found,
        Err(reply) => return reply,
    };
    let refused = |why: &str| {
        bad(
            900337,
            &format!("Partner cannot reactivate Azure entitlement with ID {id}: {why}"),
        )
    };
    let now = ctx.now;
    let mut inner = shared.actions.lock();
    if inner.subscription(customer, &c.azure_plan_id).suspended {
        return refused("its Azure plan is suspended");
    }
    let mut state = inner.entitlement(customer, e, now);
    match (state.status, state.pending) {
        (Status::Active, None) => return refused("it is active"),
        (Status::Active, Some(_)) => state.pending = None,
        (Status::Inactive, None) => {
            state.pending = Some((Status::Active, shared.actions.due(now)));
        }
        (Status::Inactive, Some(_)) => {}
    }
    let changed = inner.set_entitlement(customer, e, state.at(now));
    drop(inner);
    if changed {
        shared.state_changed();
    }
    Reply::empty(StatusCode::ACCEPTED)
}

/// `PATCH /v1/customers/{c}/subscriptions/{id}` (reference section 10.10): `id`, `status`
/// (`active` or `suspended`, any case) and `autoRenewEnabled` are read (keys in any case);
/// the body is kept whole for [`Actions::patch_bodies`].
///
/// The documentation warns that a minimal body can silently reset `autoRenewEnabled`: an
/// accepted body without `autoRenewEnabled: true` (a JSON `true`) turns it off, and later
/// reads show `false`; a body with it keeps it (or turns it back) on.
///
/// Checked in this order: the customer id is a GUID, the body is a JSON object whose `id`
/// is the path's (any case), with a valid `status` (each `400 800002`), the customer (`404
/// 60003`), the subscription (`404 20003`),
/// `If-Match` (`400 2055` unless it is the current ETag, quoted or not; a request without
/// it is accepted, as the documentation's examples differ, and counted), then, suspending
/// an Azure plan, that none of its entitlements runs (`403 900115`; one being cancelled
/// still runs). Each accepted `PATCH` gives a new ETag, even when the status was already
/// the one asked for.
fn patch(shared: &Shared, ctx: &Ctx, customer: &str, id: &str, body: &[u8]) -> Reply {
    let Some(content) = object(body) else {
        return bad(800002, "The subscription in the request body is required.");
    };
    match field(&content, "id") {
        Some(Value::String(given)) if given.eq_ignore_ascii_case(id) => {}
        Some(given) => {
            let shown = given
                .as_str()
                .map_or_else(|| given.to_string(), str::to_owned);
            return bad(
                800002,
                &format!(
                    "The subscription id '{shown}' in the request body does not match the id '{id}' in the request URI."
                ),
            );
        }
        None => {
            return bad(
                800002,
                "The subscription id is required in the request body (the subscription as read, with its status changed).",
            );
        }
    }
    let auto_renew = matches!(field(&content, "autoRenewEnabled"), Some(Value::Bool(true)));
    let suspend = match field(&content, "status")
        .and_then(Value::as_str)
        .map(str::trim)
    {
        Some(s) if s.eq_ignore_ascii_case("suspended") => true,
        Some(s) if s.eq_ignore_ascii_case("active") => false,
        other => {
            return bad(
                800002,
                &format!(
                    "Invalid subscription status '{}': expected active or suspended.",
                    other.unwrap_or_default()
                ),
            );
        }
    };
    let Some(c) = shared.generator.customer_view_of(customer) else {
        return unknown_customer();
    };
    let is_plan = !c.legacy && c.azure_plan_id.eq_ignore_ascii_case(id);
    let exists = is_plan
        || (c.legacy
            && c.subscriptions
                .iter()
                .any(|(s, _)| s.as_str().eq_ignore_ascii_case(id)));
    if !exists {
        return subscription_not_found(id);
    }
    let now = ctx.now;
    {
        let mut inner = shared.actions.lock();
        let mut state = inner.subscription(customer, id);
        if let Some(given) = &ctx.if_match {
            let given = given.trim();
            let given = given
                .strip_prefix('"')
                .and_then(|g| g.strip_suffix('"'))
                .unwrap_or(given);
            if given != etag(id, state.version) {
                return bad(2055, "Etag is no longer valid");
            }
        }
        if is_plan
            && suspend
            && c.subscriptions
                .iter()
                .any(|(e, _)| inner.entitlement(customer, e.as_str(), now).running())
        {
            return pc_error(
                StatusCode::FORBIDDEN,
                900115,
                "Azure plan can't be moved to suspended state since you have one or more Azure Subscriptions in the active state",
            );
        }
        state.suspended = suspend;
        state.version += 1;
        state.auto_renew = auto_renew;
        inner.set_subscription(customer, id, state);
    }
    shared.state_changed();
    let updated = subscriptions(&c, shared)
        .into_iter()
        .find(|s| s["id"].as_str().is_some_and(|s| s.eq_ignore_ascii_case(id)))
        .expect("the subscription exists");
    Reply::json(StatusCode::OK, &updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn etags_look_like_the_documentation_s() {
        // The documentation's example, decoded: {"id":"a356ac8c-...","version":2}.
        assert_eq!(
            etag("A356AC8C-E310-44F4-BF85-C7F29044AF99", 2),
            "eyJpZCI6ImEzNTZhYzhjLWUzMTAtNDRmNC1iZjg1LWM3ZjI5MDQ0YWY5OSIsInZlcnNpb24iOjJ9"
        );
    }

    #[test]
    fn pending_changes_apply_at_their_time() {
        let t = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
        let e = Entitlement {
            status: Status::Active,
            pending: Some((Status::Inactive, t)),
        };
        assert_eq!(e.at(t - TimeDelta::seconds(1)).status, Status::Active);
        assert!(e.at(t - TimeDelta::seconds(1)).running());
        assert_eq!(e.at(t).status, Status::Inactive);
        assert!(e.at(t).pending.is_none());
    }

    #[test]
    fn guids() {
        assert!(is_guid("A356AC8C-E310-44F4-BF85-C7F29044AF99"));
        assert!(!is_guid("a356ac8ce31044f4bf85c7f29044af99"));
        assert!(!is_guid("contoso"));
    }
}
