//! From the global options to the tenants a command reads: the tenants file, the bundled
//! emulator, or one API with credentials from the environment.

use std::sync::Arc;

use partner_alerts::auth::{StaticToken, TokenProvider, credential_from_env};
use partner_alerts::triage::Tenants;
use partner_alerts::{AlertSource, FraudEventsClient, GraphClient, SourceKind};
use partner_alerts_emulator::Emulator;

use crate::cli::{Global, SourceArg};
use crate::enrich::Directory;
use crate::exit::{Failure, Outcome};

/// The tenants a command reads, and the emulator behind them when `--emulator` started one.
pub struct Session {
    pub tenants: Tenants,
    /// The Graph clients among them, by tenant name (the security score is Graph's only).
    pub graph: Vec<(String, GraphClient)>,
    /// Whether several tenants were asked for (`--tenants`): then every alert shows its
    /// tenant.
    pub multi: bool,
    /// How many tenants are read at once.
    pub concurrency: usize,
    /// Where `--enrich` finds names (one partner's directory: none with `--tenants`).
    pub directory: Option<Directory>,
    emulator: Option<Emulator>,
}

/// How many sample alerts `--emulator` serves.
const EMULATOR_ALERTS: usize = 2_000;

/// How long the emulator takes to show a cancelled or reactivated Azure subscription
/// (Partner Center: about ten minutes), so that `respond --apply` shows its wait.
const EMULATOR_ENTITLEMENT_DELAY: std::time::Duration = std::time::Duration::from_secs(2);

impl Session {
    pub async fn open(global: &Global) -> Outcome<Session> {
        let concurrency = usize::from(global.concurrency);
        let mut tenants = Tenants::new().concurrency(concurrency);
        let mut graph = Vec::new();
        if let Some(path) = &global.tenants {
            for spec in crate::tenants_file::load(path)? {
                let credential = spec.credential()?;
                let (source, graph_client) =
                    client(spec.kind, spec.base_url.as_deref(), credential)
                        .map_err(|e| spec.describe(e))?;
                graph.extend(graph_client.map(|g| (spec.name.clone(), g)));
                tenants
                    .add(spec.name.as_str(), source)
                    .map_err(|e| spec.describe(e))?;
            }
            return Ok(Session {
                tenants,
                graph,
                multi: true,
                concurrency,
                directory: None,
                emulator: None,
            });
        }
        let kind = match global.source {
            SourceArg::Graph => SourceKind::Graph,
            SourceArg::FraudEvents => SourceKind::FraudEvents,
        };
        if global.emulator {
            let emulator = Emulator::builder()
                .alerts(EMULATOR_ALERTS)
                .seed(7)
                .entitlement_delay(EMULATOR_ENTITLEMENT_DELAY)
                .start()
                .await?;
            let url = match kind {
                SourceKind::FraudEvents => emulator.partner_center_base_url(),
                _ => emulator.graph_base_url(),
            };
            eprintln!(
                "partner-alerts: reading the bundled emulator at {url} ({EMULATOR_ALERTS} sample alerts; nothing leaves this machine)"
            );
            let (source, graph_client) =
                client(kind, Some(url), Arc::new(StaticToken::new("emulator")))?;
            let pc_url = global
                .partner_center_url
                .as_deref()
                .unwrap_or(emulator.partner_center_base_url());
            let directory = Directory::emulator(pc_url, graph_client.clone());
            graph.extend(graph_client.map(|g| ("emulator".to_owned(), g)));
            tenants.add("emulator", source)?;
            return Ok(Session {
                tenants,
                graph,
                multi: false,
                concurrency,
                directory: Some(directory),
                emulator: Some(emulator),
            });
        }
        let credential = credential_from_env(kind)?.ok_or_else(|| {
            Failure::Usage(match kind {
                SourceKind::FraudEvents => "no credentials: set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and PARTNER_CENTER_REFRESH_TOKEN (or try --emulator)".into(),
                _ => "no credentials: set PARTNER_ALERTS_TOKEN, or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or try --emulator)".into(),
            })
        })?;
        let (source, graph_client) = client(kind, global.base_url.as_deref(), credential.clone())?;
        let directory = Directory {
            // FraudEvents is Partner Center: its --base-url is the directory's host too.
            partner_center_url: global.partner_center_url.clone().or_else(|| {
                (kind == SourceKind::FraudEvents)
                    .then(|| global.base_url.clone())
                    .flatten()
            }),
            kind,
            credential,
            graph: graph_client.clone(),
        };
        graph.extend(graph_client.map(|g| ("default".to_owned(), g)));
        tenants.add("default", source)?;
        Ok(Session {
            tenants,
            graph,
            multi: false,
            concurrency,
            directory: Some(directory),
            emulator: None,
        })
    }

    /// The emulator `--emulator` started (webhooks trust its test CA and register with it).
    pub fn emulator(&self) -> Option<&Emulator> {
        self.emulator.as_ref()
    }

    /// Stops the emulator, if one was started.
    pub async fn close(self) {
        if let Some(e) = self.emulator {
            e.shutdown().await;
        }
    }
}

/// A client of `kind`'s API, and the same client as a `GraphClient` when it is one. A base
/// URL the library refuses (`http://` off loopback, a query string) is a usage error, before
/// anything is sent.
fn client(
    kind: SourceKind,
    base_url: Option<&str>,
    credential: Arc<dyn TokenProvider>,
) -> Result<(Arc<dyn AlertSource>, Option<GraphClient>), Failure> {
    Ok(match kind {
        SourceKind::FraudEvents => {
            let mut b = FraudEventsClient::builder().credential(credential);
            if let Some(url) = base_url {
                b = b.base_url(url);
            }
            (Arc::new(b.build()?), None)
        }
        _ => {
            let mut b = GraphClient::builder().credential(credential);
            if let Some(url) = base_url {
                b = b.base_url(url);
            }
            let graph = b.build()?;
            (Arc::new(graph.clone()), Some(graph))
        }
    })
}
