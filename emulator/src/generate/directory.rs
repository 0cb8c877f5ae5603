//! The partner and its directory: customers with their subscriptions, and the indirect
//! resellers serving some of them, all derived from the seed.

use partner_alerts::{SubscriptionId, TenantId};

use super::words::{COMPANY_STEMS, COMPANY_SUFFIXES, RESELLER_NAMES, SUBSCRIPTION_NAMES};
use crate::rng::{SplitMix64, derive};

/// The emulated partner (the tenant whose token the clients present).
#[derive(Clone, Debug)]
pub(crate) struct Partner {
    pub tenant_id: TenantId,
    pub name: String,
    pub domain: String,
    pub country: &'static str,
}

#[derive(Clone, Debug)]
pub(super) struct Subscription {
    pub(super) id: SubscriptionId,
    pub(super) name: String,
}

#[derive(Clone, Debug)]
pub(super) struct Customer {
    pub(super) tenant_id: TenantId,
    pub(super) name: String,
    pub(super) subscriptions: Vec<Subscription>,
    pub(super) reseller: Option<usize>,
    pub(super) offer: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub(super) struct Reseller {
    pub(super) tenant_id: TenantId,
    pub(super) name: String,
}

/// How many customers the directory holds.
const CUSTOMERS: usize = 300;
/// How many indirect resellers serve some of them.
const RESELLERS: usize = 18;
/// The customer directory and the recipe for alert number `i`.
#[derive(Clone, Debug)]
pub(crate) struct Generator {
    pub(super) seed: u64,
    pub(super) partner: Partner,
    pub(super) customers: Vec<Customer>,
    pub(super) resellers: Vec<Reseller>,
}

fn unique_name(taken: &mut std::collections::HashSet<String>, base: String) -> String {
    if taken.insert(base.clone()) {
        return base;
    }
    let mut n = 2;
    loop {
        let candidate = format!("{base} ({n})");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

fn tenant(g: &mut SplitMix64) -> TenantId {
    TenantId::new(g.guid()).expect("a GUID is a valid tenant id")
}

impl Generator {
    /// The partner, customers and resellers for `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        let mut g = derive(seed, 0x5eed_0001);
        let partner = Partner {
            tenant_id: tenant(&mut g),
            name: "Contoso Cloud Partners".to_owned(),
            domain: "contosocloudpartners.onmicrosoft.com".to_owned(),
            country: "US",
        };
        let mut taken = std::collections::HashSet::new();
        let resellers = (0..RESELLERS)
            .map(|i| Reseller {
                tenant_id: tenant(&mut g),
                name: unique_name(
                    &mut taken,
                    RESELLER_NAMES[i % RESELLER_NAMES.len()].to_owned(),
                ),
            })
            .collect();
        let mut taken = std::collections::HashSet::new();
        let customers = (0..CUSTOMERS)
            .map(|_| {
                let name = format!("{} {}", g.pick(COMPANY_STEMS), g.pick(COMPANY_SUFFIXES));
                let name = unique_name(&mut taken, name);
                let tenant_id = tenant(&mut g);
                let count = 1 + g.weighted(&[45, 30, 15, 10]);
                let subscriptions = (0..count)
                    .map(|j| Subscription {
                        id: SubscriptionId::new(g.guid()).expect("a GUID is a valid id"),
                        name: if j == 0 {
                            "Azure plan".to_owned()
                        } else {
                            g.pick(SUBSCRIPTION_NAMES).to_string()
                        },
                    })
                    .collect();
                let reseller = g.chance(0.3).then(|| g.below(RESELLERS as u64) as usize);
                let offer = match g.weighted(&[88, 7, 5]) {
                    0 => Some("MS-AZR-0017G"),
                    1 => Some("MS-AZR-0145P"),
                    _ => None,
                };
                Customer {
                    tenant_id,
                    name,
                    subscriptions,
                    reseller,
                    offer,
                }
            })
            .collect();
        Generator {
            seed,
            partner,
            customers,
            resellers,
        }
    }

    /// The seed this generator was built from.
    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// The emulated partner.
    pub(crate) fn partner(&self) -> &Partner {
        &self.partner
    }

    /// Every customer's tenant, in the directory's order.
    pub(crate) fn customer_tenants(&self) -> impl ExactSizeIterator<Item = &TenantId> {
        self.customers.iter().map(|c| &c.tenant_id)
    }

    /// The customer's name, for a tenant of the directory.
    pub(crate) fn customer_name(&self, tenant: &TenantId) -> Option<String> {
        self.customers
            .iter()
            .find(|c| c.tenant_id == *tenant)
            .map(|c| c.name.clone())
    }

    /// The reseller's name, for a reseller of the directory.
    pub(crate) fn reseller_name(&self, tenant: &TenantId) -> Option<String> {
        self.resellers
            .iter()
            .find(|r| r.tenant_id == *tenant)
            .map(|r| r.name.clone())
    }

    /// The subscription's name, for a subscription of the directory.
    pub(crate) fn subscription_name(&self, id: &SubscriptionId) -> Option<String> {
        self.customers
            .iter()
            .flat_map(|c| &c.subscriptions)
            .find(|s| s.id == *id)
            .map(|s| s.name.clone())
    }
}
