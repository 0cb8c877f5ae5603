//! The OData subset the emulator's Graph side understands: `$filter` and `$select` over
//! `partnerSecurityAlert`.
//!
//! `$filter` supports the comparison operators `eq ne gt ge lt le`, `in (...)`, the logical
//! operators `and or not`, parentheses, and the string functions `startswith`, `endswith` and
//! `contains`. Literals: strings in single quotes (a quote doubled inside), enum members as
//! strings, `DateTimeOffset` unquoted RFC 3339 (`2024-05-01T00:00:00Z`), `true`/`false`,
//! `null`, and GUIDs quoted or not. Property names are Graph's JSON names (matched ignoring
//! case). Enum properties and `alertType` compare ignoring case, GUID-valued properties too;
//! other strings compare exactly.
//!
//! Anything else (an unknown property or function, a malformed literal, a type mismatch,
//! lambda operators, property paths) is a [`FilterError`], which the server answers with
//! `400 BadRequest`. Parsing never panics and nesting is bounded.
//!
//! The parser is public so that tests can compute which alerts a filter should return:
//!
//! ```
//! use partner_alerts::{Alert, AlertId, AlertStatus, Severity};
//! use partner_alerts_emulator::odata::Filter;
//!
//! let filter = Filter::parse("status eq 'Active' and severity in ('high', 'medium')")?;
//! let mut alert = Alert::new(AlertId::new("a1")?);
//! alert.status = Some(AlertStatus::Active);
//! alert.severity = Some(Severity::High);
//! assert!(filter.matches(&alert));
//! assert!(Filter::parse("status eq 'escalated'").is_err());
//! assert!(Filter::parse("colour eq 'red'").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod eval;
mod expr;
mod filter;
mod lexer;
mod parser;
mod props;
mod select;
#[cfg(test)]
mod tests;

pub use error::FilterError;
pub use expr::EnumMode;
pub use filter::Filter;
pub use props::{canonical_property, property_names};
pub use select::Select;
