//! What the examples share: the triage table and credentials from the environment.
#![allow(dead_code)]

pub mod triage;

use std::sync::Arc;

use partner_alerts::auth::{TokenProvider, credential_from_env};
use partner_alerts::{Alert, SourceKind};

/// Prints alerts as the Partner Center dashboard lists them: name, subscription, id, status,
/// first and last observed, type, severity.
pub fn print_table(alerts: &[Alert]) {
    println!(
        "{:<44} {:<36} {:<38} {:<13} {:<16} {:<16} {:<18} {:<8}",
        "ALERT",
        "SUBSCRIPTION",
        "ID",
        "STATUS",
        "FIRST OBSERVED",
        "LAST OBSERVED",
        "CATEGORY",
        "SEVERITY"
    );
    for a in alerts {
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "{:<44} {:<36} {:<38} {:<13} {:<16} {:<16} {:<18} {:<8}",
            clip(a.display_name.as_deref().unwrap_or("-"), 44),
            a.subscription_id.as_ref().map_or("-", |s| s.as_str()),
            clip(a.id.as_str(), 38),
            a.status.as_ref().map_or("-", |s| s.as_str()),
            time(a.first_observed_date_time),
            time(a.last_observed_date_time),
            a.alert_type.as_ref().map_or("-", |t| t.category().label()),
            a.severity.as_ref().map_or("-", |s| s.as_str()),
        );
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n - 1).chain(['…']).collect()
    }
}

/// The credential for `kind`'s API from the environment (see
/// [`credential_from_env`]); an incomplete set of variables is an error.
pub fn credential(kind: SourceKind) -> Result<Option<Arc<dyn TokenProvider>>, String> {
    credential_from_env(kind).map_err(|e| e.to_string())
}
