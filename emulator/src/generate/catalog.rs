//! The directory as Partner Center and Graph show it: each customer's domain, Azure plan or
//! legacy subscriptions, reseller and GDAP relationship, derived from the seed and the same
//! names the FraudEvents view shows.

use partner_alerts::{SubscriptionId, TenantId};

use super::directory::{Customer, Generator};
use crate::rng::derive;

/// The Azure plan's offer id as usage records show it (reference section 10.1).
pub(crate) const AZURE_PLAN_OFFER: &str = "DZH318Z0BPS6:0001:DZH318Z0BML6";

/// One indirect reseller.
#[derive(Clone, Debug)]
pub(crate) struct ResellerView<'a> {
    pub tenant_id: &'a TenantId,
    pub name: &'a str,
    /// Its PartnerID (MPN id).
    pub mpn_id: String,
}

/// One customer, as the directory endpoints serve it.
#[derive(Clone, Debug)]
pub(crate) struct CustomerView<'a> {
    pub tenant_id: &'a TenantId,
    pub name: &'a str,
    /// `<name in lower-case letters and digits>.onmicrosoft.com`.
    pub domain: String,
    pub reseller: Option<ResellerView<'a>>,
    /// Legacy "Microsoft Azure" (MS-AZR-0145P) subscriptions rather than an Azure plan.
    pub legacy: bool,
    /// The Azure plan's Partner Center id (Azure plan customers; derived from the seed).
    pub azure_plan_id: String,
    /// The Azure subscriptions: id and name.
    pub subscriptions: Vec<(&'a SubscriptionId, &'a str)>,
    /// Whether the partner has a GDAP relationship with the customer (three in four).
    pub gdap: bool,
    /// The Graph contract's id (a partnership id, not the tenant id).
    pub contract_id: String,
}

impl Generator {
    fn reseller_view(&self, i: usize) -> ResellerView<'_> {
        let r = &self.resellers[i];
        ResellerView {
            tenant_id: &r.tenant_id,
            name: &r.name,
            mpn_id: (4_847_000 + 37 * i).to_string(),
        }
    }

    fn customer_view<'a>(&'a self, i: usize, c: &'a Customer) -> CustomerView<'a> {
        let mut ids = derive(self.seed, 0xd1c7_0000 + i as u64);
        let domain: String = c
            .name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|ch| ch.to_ascii_lowercase())
            .collect();
        CustomerView {
            tenant_id: &c.tenant_id,
            name: &c.name,
            domain: format!("{domain}.onmicrosoft.com"),
            reseller: c.reseller.map(|r| self.reseller_view(r)),
            legacy: c.offer == Some("MS-AZR-0145P"),
            azure_plan_id: ids.guid(),
            subscriptions: c
                .subscriptions
                .iter()
                .map(|s| (&s.id, s.name.as_str()))
                .collect(),
            gdap: i % 4 != 3,
            contract_id: ids.guid(),
        }
    }

    /// Every customer, in the directory's order.
    pub(crate) fn customer_views(&self) -> Vec<CustomerView<'_>> {
        self.customers
            .iter()
            .enumerate()
            .map(|(i, c)| self.customer_view(i, c))
            .collect()
    }

    /// The customer with this tenant id (any case).
    pub(crate) fn customer_view_of(&self, tenant: &str) -> Option<CustomerView<'_>> {
        self.customers
            .iter()
            .enumerate()
            .find(|(_, c)| c.tenant_id.as_str().eq_ignore_ascii_case(tenant))
            .map(|(i, c)| self.customer_view(i, c))
    }

    /// Every indirect reseller.
    pub(crate) fn reseller_views(&self) -> Vec<ResellerView<'_>> {
        (0..self.resellers.len())
            .map(|i| self.reseller_view(i))
            .collect()
    }
}
