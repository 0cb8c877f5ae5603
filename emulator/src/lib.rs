//! # partner-alerts-emulator
//!
//! A stateful local emulator of the two Microsoft APIs that serve Azure partner security
//! alerts, for tests and demos without a tenant: the Microsoft Graph partner security alerts
//! API (`/beta/security/partner/securityAlerts`) and the Partner Center FraudEvents API
//! (`/v1/fraudEvents`). It serves on loopback only, from one listener:
//!
//! | API | Base URL |
//! |---|---|
//! | Graph | `http://127.0.0.1:PORT/beta` |
//! | Partner Center | `http://127.0.0.1:PORT/partner-center` |
//!
//! Both APIs serve the same alerts, so a status change through one is visible through the
//! other. The alerts are generated from a seed (same seed, same alerts), requests can be
//! made to fail on purpose ([`FaultSettings`], [`Emulator::fail_next`]), and the services'
//! ways of losing alerts can be reproduced exactly ([`Quirks`]).
//!
//! ```
//! use partner_alerts_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let emulator = Emulator::builder().alerts(25).seed(7).start().await?;
//! assert!(emulator.graph_base_url().ends_with("/beta"));
//! assert_eq!(emulator.alerts().len(), 25);
//!
//! let fresh = emulator.raise_alert();
//! assert_eq!(emulator.alert(&fresh.id), Some(fresh));
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## From the command line
//!
//! ```text
//! cargo run -p partner-alerts-emulator -- --port 8080 --alerts 5000 --seed 7 \
//!     [--state FILE] [--page-size N] [--new-alert-every SECONDS] \
//!     [--change-status-every SECONDS] [--now RFC3339] [--entitlement-delay SECONDS] \
//!     [--fault-rate SHARE] [--faults throttle,500,503,drop,truncate,drop-after,throttle-item] \
//!     [--retry-after SECONDS] [--latency-ms MS] [--fault-seed N] [--quirks LIST]
//! ```
//!
//! It prints the Graph base URL and then the Partner Center base URL, one per line on
//! standard output, and serves until Ctrl-C. `--port 0` (the default) picks a free port.
//!
//! | Option | In code |
//! |---|---|
//! | `--new-alert-every SECONDS` | [`EmulatorBuilder::new_alert_every`]: a fresh alert on that period ([`Emulator::raise_alert`]) |
//! | `--change-status-every SECONDS` | [`EmulatorBuilder::change_status_every`]: an existing alert changes on that period ([`Emulator::change_random_alert`]) |
//! | `--now RFC3339` | [`EmulatorBuilder::now`] (then [`Emulator::set_now`]) |
//! | `--entitlement-delay SECONDS` | [`EmulatorBuilder::entitlement_delay`]: from an accepted cancel or reactivate to the Azure subscription's new status |
//! | `--fault-rate`, `--faults`, `--retry-after`, `--latency-ms`, `--fault-seed` | [`FaultSettings`] |
//! | `--quirks LIST` | [`Quirks`] |
//!
//! Both periods accept fractions of a second and run on the wall clock; the fixed clock of
//! `--now` only stamps what they do. The binary reports each raise and change on standard
//! error.
//!
//! `--faults` takes a comma-separated list of [`FaultKind`]s, drawn from with the
//! `--fault-rate` share of requests ([`FaultSettings`]):
//!
//! | Item | Kind | Hits |
//! |---|---|---|
//! | `throttle` (or `429`) | [`FaultKind::Throttle`]: `429`, `Retry-After`, the API's throttling body | whole requests and requests inside batches |
//! | `500` | [`FaultKind::InternalServerError`] | whole requests and requests inside batches |
//! | `503` | [`FaultKind::ServiceUnavailable`], with `Retry-After` | whole requests and requests inside batches |
//! | `drop` | [`FaultKind::DropConnection`]: closed without an answer, not processed | whole requests |
//! | `truncate` | [`FaultKind::TruncateBody`]: processed, answer cut in half | whole requests |
//! | `drop-after` | [`FaultKind::DropAfterProcessing`]: processed (a batch: all of it), closed without an answer | whole requests |
//! | `throttle-item` | [`FaultKind::ThrottleBatchItem`]: `429` inside the batch response, not run | requests inside batches only |
//!
//! For tests, forced faults come before the drawn ones and need no rate:
//!
//! | Method | Effect |
//! |---|---|
//! | [`Emulator::fail_next`] | the next n requests fail with a kind |
//! | [`Emulator::throttle_next_batch_items`] | the next n requests inside batches answer `429` and are not run |
//! | [`Emulator::fail_next_batch_items`] | the next n requests inside batches answer `429`, `500` or `503` and are not run |
//! | [`Emulator::reset_after_next_batch`] | the next n batches are applied whole, then their connection is closed without an answer |
//!
//! `--quirks` takes a comma-separated list of [`Quirks`] (the syntax of
//! [`Quirks::from_str`](std::str::FromStr::from_str); names are case-insensitive, `none` is
//! none):
//!
//! | Item | Quirk |
//! |---|---|
//! | `odd-values` | [`Quirks::odd_values`]: each served alert carries one odd value |
//! | `not-alerts-every=N` | [`Quirks::not_alerts_every`]: an item that is no alert after every N-th alert of a list |
//! | `resolve-served=N` | [`Quirks::resolve_served_pages`]: the alerts of the next N list pages are then resolved |
//! | `page-cap=N` | [`Quirks::page_size_cap`]: at most N alerts or events per page |
//! | `foreign-next-link` | [`Quirks::foreign_next_link`]: Graph page 1 links to another host |
//! | `repeated-next-link` | [`Quirks::repeated_next_link`]: Graph page 2 links to itself |
//! | `empty-page-after=K` | [`Quirks::empty_page_after`]: an empty Graph page after page K |
//! | `applied-then-500=N` | [`Quirks::applied_then_500`]: the next N writes are applied, then answered with a 500 |
//! | `shuffled-batch` | [`Quirks::shuffled_batch_responses`]: `$batch` responses in another order than requested |
//!
//! For example `--quirks odd-values,page-cap=100,resolve-served=1`.
//!
//! ## What it does
//!
//! **Graph** (under `/beta`): `GET /security/partner/securityAlerts` with `$filter` (see
//! the `odata` module), `$select`, `$count=true`, `$top` (caps the page size) and server-driven paging
//! through `@odata.nextLink` (an absolute URL carrying the filter, the select and an opaque
//! `$skiptoken`); `GET .../securityAlerts/$count`; `GET .../securityAlerts/{id}` (`$select`
//! honoured; `404 itemNotFound`); `PATCH .../securityAlerts/{id}` with `status` and an
//! optional `resolvedReason` (anything else is a 400), answered with `200` and the alert, or
//! `204` with `Prefer: return=minimal`; `POST /$batch` with up to 20 requests, run in order,
//! `dependsOn` honoured (`424` after a failed dependency), each answered with its `id`,
//! `status`, `headers` (`Content-Type`, `Retry-After` when throttled, `request-id`,
//! `client-request-id`) and `body`; a batch over 20 requests, with an id twice (in any
//! case), a `dependsOn` naming no earlier request, or a request with a `body` but no
//! `Content-Type` in its `headers` is refused whole with a `400`. Every response carries
//! `request-id` and `client-request-id`; errors carry Graph's error body. Enum values newer
//! than `unknownFutureValue` (insert an alert holding one) are sent as
//! `unknownFutureValue` unless the request sends `Prefer: include-unknown-enum-members`.
//! Every property is written, `null` when absent, as Graph does.
//!
//! **The partner security score** (under `/beta/security/partner/securityScore`, reference
//! section 11): the score (`$expand=requirements,history` honoured), `requirements` and
//! `history` (list and get by id; `404 itemNotFound`), and `customerInsights`, one per
//! customer of the directory, paged through `@odata.nextLink` with a `$skipToken` (`$top`
//! and `$skip` are a 400, as documented). The response-time requirement's
//! `averageResponseTimeInHours` is the library's own 30-day average
//! (`partner_alerts::triage::sla`) over the emulator's alerts at its "now", compliant at 24
//! hours or less; the other requirements, the history (one entry a day for 30 days, today's
//! being the score now) and the insights come from the seed, consistently (the customers'
//! MFA requirement counts the insights; the score is the requirements' points out of 100).
//! The shapes are those of the documentation's examples as Graph's SDKs read them: numbers
//! as JSON numbers, `noncomplaint` as the SDKs spell it, `@odata.type` on each requirement,
//! a single entity not wrapped in `value`.
//!
//! **Partner Center** (under `/partner-center`): `GET /v1/fraudEvents` with `EventStatus`,
//! `SubscriptionId` and, with `X-NewEventsModel: true`, `EventType`, `PageSize` and
//! `PageNumber` (1-based); `POST /v1/fraudEvents/subscription/{id}/status`. The shape of the
//! events follows `X-NewEventsModel`. Responses carry `MS-RequestId` and `MS-CorrelationId`.
//!
//! **The directory** (for enrichment; the names are those the FraudEvents view shows):
//! Partner Center's `GET /v1/profiles/organization`, `/v1/customers` and
//! `/v1/customers/{id}`, `/v1/relationships?relationship_type=IsIndirectCloudSolutionProviderOf`
//! and `/v1/customers/{id}/relationships`, `/v1/customers/{id}/subscriptions[/{id}]` and
//! `.../subscriptions/{azure plan}/azureEntitlements[/{id}]`; Graph's `GET /contracts[/{id}]`
//! and `/tenantRelationships/delegatedAdminCustomers[/{tenant id}]` (three customers in four
//! have GDAP), paged by `@odata.nextLink` (`$top` lowers the page size; other query options
//! are a 400). Customers whose alerts carry `MS-AZR-0145P` have legacy subscriptions (`id`
//! upper case, `entitlementId` lower case), the others one Azure plan whose entitlements are
//! their Azure subscriptions. Unknown ids are `404`s with Partner Center's codes (`60003`,
//! `20003`, `800111`). Each read is counted ([`Stats::directory_reads`] and the counters
//! beside it). Subscriptions carry `attributes.etag` (base64 of `{"id":..,"version":n}`, as
//! the documentation's example; it changes with every accepted `PATCH`).
//!
//! **Partner Center response actions** (reference sections 10.7 to 10.10), with state the
//! reads above show (everything starts `active`, subscriptions with `autoRenewEnabled`
//! `true`; kept in the [state file](EmulatorBuilder::state_file) with the alerts, so a
//! restarted emulator still shows what was cancelled or suspended):
//!
//! | Request | Answer |
//! |---|---|
//! | `POST /v1/customers/{c}/subscriptions/{azure plan}/azureEntitlements/{id}/cancel` with `{"cancellationReason": "compromise"}` | `200` and the entitlement as it is now; `inactive` once the [delay](EmulatorBuilder::entitlement_delay) has passed |
//! | `POST .../azureEntitlements/{id}/reactivate` (no body) | `202`, empty; `active` once the delay has passed |
//! | `PATCH /v1/customers/{c}/subscriptions/{id}` with the subscription (its `id` the path's), `status` `suspended` or `active`, and `If-Match: "<etag>"` | `200` and the subscription with its new status and ETag; `autoRenewEnabled` `false` unless the body had it `true` |
//!
//! Errors, in Partner Center's shape: a customer id that is no GUID, an Azure plan or
//! entitlement id that is no GUID (cancel, reactivate), a missing or non-JSON body (`"The
//! Azure entitlement cancellation request content is required"`), a `PATCH` body without
//! the subscription's `id` (key in any case, the value the path's in any case) or without a
//! valid `status` are `400 800002`, checked in that order; a reason other than
//! `compromise` (any case) `400 900307`; an unknown customer `404 60003`; a plan that is
//! not the customer's Azure plan (or a legacy customer) `404 20003`; an unknown
//! entitlement `404 800111`; reactivating an active entitlement, or one under a suspended
//! plan, `400 900337`; an `If-Match` that is not the current ETag (quoted or not) `400
//! 2055`; suspending an Azure plan while one of its entitlements is active (or still being
//! cancelled) `403 900115`. Other methods are a `405` with `Allow`. Counted in [`Stats::entitlement_cancels`],
//! [`Stats::entitlement_reactivations`], [`Stats::subscription_patches`] and
//! [`Stats::patches_without_if_match`]; [`Emulator::entitlement_status`],
//! [`Emulator::subscription_status`] and [`Emulator::subscription_patch_bodies`] show the
//! state and what clients sent.
//!
//! **Partner Center webhooks** (under `/partner-center/webhooks/v1/registration`): list the
//! event names, register (`POST`), replace (`PUT`), view (`GET`), send a test event
//! (`POST .../validationEvents`, two a minute, then `429`) and read its delivery (`GET
//! .../validationEvents/{correlationId}`). With a registration, each raised alert
//! ([`Emulator::raise_alert`], or on schedule) is posted as a signed
//! `azure-fraud-event-detected` event (RSA PKCS#1 v1.5 SHA-256 over the body;
//! `Authorization: Signature ..`, or `x-ms-signature` when the registration set
//! `SignatureTokenToMsSignatureHeader`), tried up to [`DELIVERY_ATTEMPTS`] times until a 2xx
//! (waiting 0.2 s × the attempt between tries: Partner Center's interval is undocumented).
//! The signing certificate is generated at start under a test CA, both `O=Microsoft
//! Corporation`, and served at `/webhooks/certificate.cer` ([`Emulator::webhook_certificate_url`]);
//! a verifier trusts [`Emulator::webhook_ca_der`], allow-lists `127.0.0.1` and allows
//! `http://` on loopback. The signing key is a fixed, published test key.
//!
//! Both APIs want `Authorization: Bearer <anything>`; the token is not checked further.
//! Request bodies may be gzip-compressed (`Content-Encoding: gzip`, as Kiota-based Graph SDKs
//! send them); another coding, or a `Content-Type` that is not JSON, is a `415`, a body over
//! 2 MiB (once decompressed) a `413`, both in the API's own error shape.
//! `GET /` describes the running emulator in JSON.
//!
//! ## Choices where the services' documentation is silent
//!
//! - The default page size is 100; `$top` lowers it, never raises it. `$skip`, `$orderby`,
//!   `$search` and `$expand` are rejected with a 400 rather than ignored.
//! - Alerts are listed in a stable order (detection order for the generated ones, then in
//!   the order added), and a `$skiptoken` points after an alert, so changes between pages
//!   neither repeat nor skip the alerts that did not change.
//! - PATCH accepts a `resolvedReason` only with `status: resolved`; resolving sets
//!   `resolvedOnDateTime` and `resolvedBy` ([`EMULATOR_UPN`]), reopening clears all three; a
//!   change of status appends an activity log entry.
//! - Partner Center's status update accepts `Resolved`/`Resolve`, `Investigating` and
//!   `Active`; `ResolvedReason` is required when resolving and ignored otherwise. Where the
//!   documentation is strict, so is the emulator: only `Fraud` and `Ignore` are accepted
//!   (any case, as for `EventStatus`); `Legitimate`, Graph's reason, is a `400`. Unknown event
//!   ids make the whole update fail with `404` and change nothing. Informational alerts show
//!   as `Low` there, which has no informational severity.
//! - `EventType` (new model) must be one of the six documented values, spelled exactly as
//!   documented (`NetworkConnectionsToCryptoMiningPools`; case counts), or the listing is a
//!   `400` in Partner Center's error shape; events of newer types are listed, but cannot be
//!   filtered for. Without `X-NewEventsModel` the parameter is ignored, as the legacy model
//!   does not have it. Query parameter names are matched in any case.
//! - Partner Center event ids are `<subscriptionId>_<GUID>`; Graph ids are GUIDs.
//! - A [`FaultKind::TruncateBody`] fault processes the request before cutting its response
//!   (as a real network failure can); a [`FaultKind::DropConnection`] fault does not.
//! - `$batch` (reference section 3.17): a request with a `body` and no `Content-Type` in its
//!   `headers` makes the whole batch a `400` (the documentation lists it among the rules of
//!   the batch's format and answers a malformed batch with a `400`; clients report Graph
//!   doing so), and none of its requests runs. Header names inside the batch are matched
//!   in any case. A `Content-Type` that is not JSON is a `415` for that request only. The
//!   responses come in request order unless [`Quirks::shuffled_batch_responses`] is on;
//!   their header names are written as Graph writes them there (`Content-Type`,
//!   `Retry-After`), but `request-id` and `client-request-id` in lower case: match them in
//!   any case. A throttled request of a batch is not run; a batch answered `429` as a whole
//!   runs none of its requests.
//! - Response actions: cancelling an entitlement that is inactive or being cancelled is a
//!   `200` that changes nothing (the documentation does not say; idempotent suits a retry);
//!   cancelling one being reactivated stops the reactivation, reactivating one being
//!   cancelled stops the cancellation, reactivating one being reactivated is a `202` that
//!   changes nothing. Cancelling under a suspended Azure plan is not refused: the plan can
//!   only be suspended once none of its entitlements is active, so there is nothing left to
//!   cancel. A cancel body without `cancellationReason` is a `900307` (reason `''`). A
//!   `PATCH` without `If-Match` is accepted (the documentation's examples differ; the .NET
//!   SDK never sends it) and counted; any accepted `PATCH` gives a new ETag, even to the
//!   status the subscription had. Its body must carry the subscription's `id`; of the rest
//!   only `status` and `autoRenewEnabled` are read. The documentation warns that a minimal
//!   body can silently reset `autoRenewEnabled` (and delete next-term instructions): an
//!   accepted body without `"autoRenewEnabled": true` turns it off, and later reads show
//!   `false`, so a client that sends only `id` and `status` visibly loses it. Generated
//!   subscriptions show `true` (the documentation's legacy example shows `false`) for
//!   that reason.
//! - The scheduled changes ([`Emulator::change_random_alert`]) are made by
//!   [`COLLEAGUE_UPN`], so that a test can tell them from its own writes
//!   ([`EMULATOR_UPN`]); severity and `lastObservedDateTime` changes add no activity log
//!   entry (the log records status changes only).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod builder;
mod envelope;
mod fault;
mod generate;
mod graph;
mod handle;
// Not an API: the fuzz targets and the library's tests compare their filters with it.
#[doc(hidden)]
pub mod odata;
mod partner_center;
mod quirks;
mod record;
mod rng;
mod server;
mod shared;
mod state;
mod stats;
mod webhooks;

pub use fault::{FaultKind, FaultSettings, UnknownFaultKind};
pub use quirks::{
    COLLEAGUE_UPN, FOREIGN_GRAPH_BASE_URL, FRAUD_EVENTS_LEGACY_ODD_VALUES, FRAUD_EVENTS_ODD_VALUES,
    GRAPH_ODD_VALUES, NOT_ALERTS, Quirks, QuirksParseError,
};

pub use state::EMULATOR_UPN;
pub use stats::Stats;
pub use webhooks::{DELIVERY_ATTEMPTS, WebhookDelivery};

pub use builder::EmulatorBuilder;
pub use handle::Emulator;

/// How many alerts are generated unless told otherwise.
pub const DEFAULT_ALERTS: usize = 200;
/// The Graph page size unless told otherwise.
pub const DEFAULT_PAGE_SIZE: usize = 100;
