//! Customers', resellers' and subscriptions' names on alerts from any source.
//!
//! A Graph alert carries ids only (`customerTenantId`, `valueAddedResellerTenantId`,
//! `subscriptionId`); the legacy FraudEvents shape also carried the names staff triage by.
//! This module finds them again:
//!
//! | Part | What it reads |
//! |---|---|
//! | [`PartnerCenterDirectory`] | Partner Center (reference section 10): the organization profile, a customer by id, indirect resellers, a customer's subscriptions and its Azure plans' entitlements |
//! | [`GraphDirectory`] | Graph (section 12): `/contracts` and GDAP customers, for names with a Graph token only |
//! | [`map_subscription`] | an alert's Azure subscription id to its Partner Center subscription (section 10.5.5): [`Mapping::NotFound`] or [`Mapping::Ambiguous`] rather than a guess |
//! | [`Enricher`] | names attached to alerts, with the source of each and the error of each failed lookup; cached, one lookup in flight per key, a bounded number of requests at once |
//!
//! Which name is which (section 10.6; each mapping is the SDK's choice, not documented):
//! the customer's is Partner Center's `companyProfile.companyName` (else, when a
//! [`GraphDirectory`] is given, the GDAP customer's or the contract's `displayName`); the
//! reseller's is the indirect reseller relationship's `name`, matched on its `id`; the
//! subscription's is the Azure entitlement's `friendlyName` (Azure plan) or the legacy
//! subscription's `friendlyName`.

mod cache;
mod enricher;
mod graph;
mod mapping;
mod model;
mod names;
mod partner_center;

pub use cache::{Clock, SystemClock};
pub use enricher::{
    DEFAULT_ALERTS_IN_FLIGHT, DEFAULT_CAPACITY, DEFAULT_CONCURRENCY, Enricher, EnricherBuilder,
    Lifetimes,
};

pub use graph::GraphDirectory;
pub use mapping::{Mapping, SubscriptionKind, SubscriptionMatch, map_subscription};
pub use model::{
    Address, AzureEntitlement, CompanyProfile, Contract, Customer, DelegatedAdminCustomer,
    EntitlementStatus, OrganizationProfile, PartnerRelationship, ProductType, Subscription,
    SubscriptionStatus,
};
pub use names::{Enriched, HasAlert, Lookup, Name, Names, Source, SubscriptionInfo};
pub use partner_center::{DEFAULT_BASE_URL, PartnerCenterDirectory, PartnerCenterDirectoryBuilder};
