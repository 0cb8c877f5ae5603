//! `--enrich`: the names of customers, resellers and subscriptions, from Partner Center at
//! `--partner-center-url` (and, for customers' names, Graph when the session reads Graph).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt;
use partner_alerts::auth::{StaticToken, TokenProvider, credential_from_env};
use partner_alerts::enrich::{Enricher, GraphDirectory, PartnerCenterDirectory};
use partner_alerts::triage::Tally;
use partner_alerts::{GraphClient, SourceKind, TenantId};

use crate::exit::{Failure, Outcome};

/// Where a session's names come from; the enricher is built only when `--enrich` asks.
pub struct Directory {
    /// Partner Center's base URL; Microsoft's when `None`.
    pub partner_center_url: Option<String>,
    /// The API the session reads, and its credential.
    pub kind: SourceKind,
    pub credential: Arc<dyn TokenProvider>,
    /// The session's Graph client, for customers' names from Graph.
    pub graph: Option<GraphClient>,
}

impl Directory {
    /// The bundled emulator's directory.
    pub fn emulator(partner_center_url: &str, graph: Option<GraphClient>) -> Self {
        Directory {
            partner_center_url: Some(partner_center_url.to_owned()),
            kind: SourceKind::FraudEvents,
            credential: Arc::new(StaticToken::new("emulator")),
            graph,
        }
    }

    /// Partner Center with the session's credential when it reads FraudEvents, else with
    /// the Partner Center credential of the environment (App+User, for resellers' names and
    /// response actions) or, failing that, the session's own (app-only: customers and
    /// subscriptions only).
    pub fn partner_center(&self) -> Outcome<PartnerCenterDirectory> {
        let credential = match self.kind {
            SourceKind::FraudEvents => self.credential.clone(),
            _ => credential_from_env(SourceKind::FraudEvents)?
                .unwrap_or_else(|| self.credential.clone()),
        };
        let mut pc = PartnerCenterDirectory::builder().credential(credential);
        if let Some(url) = &self.partner_center_url {
            pc = pc.base_url(url);
        }
        Ok(pc.build()?)
    }

    /// The enricher: [`Directory::partner_center`], then Graph's GDAP customers and
    /// contracts.
    pub fn enricher(&self) -> Outcome<Enricher> {
        let mut enricher = Enricher::builder().partner_center(self.partner_center()?);
        if let Some(graph) = &self.graph {
            enricher = enricher.graph(GraphDirectory::new(graph));
        }
        Ok(enricher.build()?)
    }
}

/// The enricher of a session that has a directory; a usage error for one that does not.
pub fn require(directory: Option<&Directory>) -> Outcome<Enricher> {
    match directory {
        Some(d) => d.enricher(),
        None => Err(Failure::Usage(
            "--enrich reads one partner's directory: use it without --tenants".into(),
        )),
    }
}

/// The customers' names for `ids` (tenant ids), looked up at once: `name`, or `name (id)`
/// for a name two of them share; ids with no name found are left out.
pub async fn customer_names<'a>(
    enricher: &Enricher,
    ids: impl Iterator<Item = &'a String>,
) -> HashMap<String, String> {
    let names: Vec<(&String, String)> = futures::stream::iter(ids)
        .map(|id| async move {
            let name = match TenantId::new(id) {
                Ok(t) => enricher
                    .customer_name(&t)
                    .await
                    .found()
                    .map(|n| n.name.clone()),
                // `(none)`: alerts without a customer.
                Err(_) => None,
            };
            name.map(|n| (id, n))
        })
        .buffer_unordered(16)
        .filter_map(|n| async move { n })
        .collect()
        .await;
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for (_, name) in &names {
        *uses.entry(name).or_default() += 1;
    }
    names
        .iter()
        .map(|(id, name)| {
            let shown = if uses[name.as_str()] == 1 {
                name.clone()
            } else {
                format!("{name} ({id})")
            };
            ((*id).clone(), shown)
        })
        .collect()
}

/// A breakdown by customer tenant id keyed by the customers' names instead (the id where no
/// name was found, and `name (id)` for a name two customers share).
pub async fn by_customer_name(
    enricher: &Enricher,
    by_customer: &BTreeMap<String, Tally>,
) -> BTreeMap<String, Tally> {
    let names = customer_names(enricher, by_customer.keys()).await;
    by_customer
        .iter()
        .map(|(id, tally)| (names.get(id).unwrap_or(id).clone(), *tally))
        .collect()
}
