//! Triage helpers that work on alerts from any source: the dashboard's figures
//! ([`Dashboard`]), the response-time SLA ([`Sla`], one definition of the 30-day average
//! for both), many partner tenants in one view ([`Tenants`]) and, with the `csv` feature, a
//! streaming CSV export ([`CsvExport`]).

#[cfg(feature = "csv")]
mod csv;
mod dashboard;
pub mod sla;
mod tenants;

use chrono::TimeDelta;

#[cfg(feature = "csv")]
pub use self::csv::{CSV_COLUMNS, CsvExport, CsvExportBuilder, NAME_COLUMNS};
pub use dashboard::{Dashboard, Oldest, Tally};
pub use sla::{AtRisk, ResponseAverage, Sla, SlaTracker};
pub use tenants::{TenantAlert, TenantAlerts, TenantError, TenantTarget, Tenants};

/// How long the Partner Center dashboard asks partners to take to answer an alert.
pub const RESPONSE_TARGET: TimeDelta = TimeDelta::hours(1);

/// The average response time Microsoft requires of CSP partners for their authorization
/// (since October 2025).
pub const RESPONSE_REQUIREMENT: TimeDelta = TimeDelta::hours(24);
