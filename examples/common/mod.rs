//! What the examples share: the triage table and credentials from the environment.
#![allow(dead_code)]

pub mod triage;

use std::sync::Arc;

use partner_alerts::Alert;
use partner_alerts::auth::{
    RefreshTokenCredential, StaticToken, TokenProvider, credential_from_env,
};

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

/// The Graph credential from the environment: `PARTNER_ALERTS_TOKEN`, else `AZURE_TENANT_ID`,
/// `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET`.
pub fn graph_credential() -> Option<Arc<dyn TokenProvider>> {
    credential_from_env()
}

/// The Partner Center credential from the environment: `PARTNER_ALERTS_TOKEN`, else a refresh
/// token (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `PARTNER_CENTER_REFRESH_TOKEN`, optional
/// `AZURE_CLIENT_SECRET`).
pub fn partner_center_credential() -> Option<Arc<dyn TokenProvider>> {
    if let Some(t) = StaticToken::from_env() {
        return Some(Arc::new(t));
    }
    RefreshTokenCredential::from_env()
        .ok()
        .map(|c| Arc::new(c) as Arc<dyn TokenProvider>)
}
