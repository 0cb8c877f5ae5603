//! What failed during a command, reported on stderr as it happens and turned into the exit
//! code at the end: 1 when nothing could be read, 3 when only part failed.

use std::collections::BTreeSet;
use std::sync::Arc;

use partner_alerts::triage::TenantError;

use crate::exit::{Failure, Outcome};
use crate::progress::Progress;

pub struct Problems {
    multi: bool,
    tenants: usize,
    failed_tenants: BTreeSet<Arc<str>>,
    failed_alerts: u64,
    /// A single tenant's listing error, returned rather than printed (the caller prints it).
    fatal: Option<Failure>,
    /// Whether every tenant's error was a usage error (refused before sending).
    all_usage: bool,
}

impl Problems {
    pub fn new(multi: bool, tenants: usize) -> Self {
        Problems {
            multi,
            tenants,
            failed_tenants: BTreeSet::new(),
            failed_alerts: 0,
            fatal: None,
            all_usage: true,
        }
    }

    /// Reports `e` on stderr (above the progress bar) and counts it: an item error costs one
    /// alert, any other error the rest of its tenant's listing.
    pub fn record(&mut self, e: &TenantError, progress: &Progress) {
        if !e.error.is_item_error() {
            let failure = Failure::from_library(&e.error);
            self.all_usage &= matches!(failure, Failure::Usage(_));
            self.failed_tenants.insert(e.tenant.clone());
            if !self.multi {
                self.fatal = Some(failure);
                return;
            }
        }
        let message = match e.error.request_id() {
            Some(id) => format!("{} (request id {id})", e.error),
            None => e.error.to_string(),
        };
        let message = if self.multi {
            format!("partner-alerts: tenant {}: {message}", e.tenant)
        } else {
            format!("partner-alerts: {message}")
        };
        progress.warn(&message);
        if e.error.is_item_error() {
            self.failed_alerts += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.failed_tenants.is_empty() && self.failed_alerts == 0
    }

    /// The command's outcome: an error when every tenant failed, partial when some tenants
    /// or alerts did.
    pub fn outcome(self) -> Outcome {
        if self.is_empty() {
            return Ok(());
        }
        if let Some(fatal) = self.fatal {
            return Err(fatal);
        }
        if self.failed_tenants.len() >= self.tenants {
            let message = "every tenant failed".to_owned();
            return Err(if self.all_usage {
                Failure::Usage(message)
            } else {
                Failure::Error(message)
            });
        }
        let mut parts = Vec::new();
        if !self.failed_tenants.is_empty() {
            parts.push(format!(
                "{} of {} tenants failed ({})",
                self.failed_tenants.len(),
                self.tenants,
                self.failed_tenants
                    .iter()
                    .map(|t| &**t)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if self.failed_alerts > 0 {
            parts.push(format!("{} alerts could not be read", self.failed_alerts));
        }
        Err(Failure::Partial(format!(
            "partial result: {}",
            parts.join("; ")
        )))
    }
}
