//! The OData system query options a Graph request may carry, parsed and checked.

use std::collections::HashSet;

use super::ctx::Ctx;
use super::skiptoken::{Token, parse_skiptoken};
use crate::envelope::{Reply, parse_query};
use crate::odata::{Filter, Select};

#[derive(Default)]
pub(super) struct Options {
    pub(super) filter: Option<(String, Filter)>,
    pub(super) select: Option<(String, Select)>,
    pub(super) top: Option<usize>,
    pub(super) count: bool,
    pub(super) skiptoken: Option<Token>,
}

/// The OData system query options, by name without `$`.
const SYSTEM_OPTIONS: &[&str] = &[
    "filter",
    "select",
    "top",
    "count",
    "skiptoken",
    "skip",
    "orderby",
    "search",
    "expand",
    "format",
    "apply",
    "compute",
    "deltatoken",
    "levels",
    "index",
    "schemaversion",
];

/// Parses the query options, accepting only those in `allowed` (by name without `$`; the
/// `$` prefix is optional, as on Graph's beta endpoint).
pub(super) fn options(ctx: &Ctx, query: &str, allowed: &[&str]) -> Result<Options, Reply> {
    let mut o = Options::default();
    let mut seen = HashSet::new();
    for (key, value) in parse_query(query) {
        let name = key.strip_prefix('$').unwrap_or(&key).to_ascii_lowercase();
        if !SYSTEM_OPTIONS.contains(&name.as_str()) {
            if key.starts_with('$') {
                return Err(
                    ctx.bad_request(&format!("The query parameter '{key}' is not supported."))
                );
            }
            // Custom query parameters are the client's business.
            continue;
        }
        if !seen.insert(name.clone()) {
            return Err(ctx.bad_request(&format!(
                "Query option '${name}' was specified more than once, but it must be \
                 specified at most once."
            )));
        }
        if !allowed.contains(&name.as_str()) {
            return Err(ctx.bad_request(&format!(
                "The query option '${name}' is not supported on this resource."
            )));
        }
        match name.as_str() {
            "filter" => {
                let f = Filter::parse_with(&value, ctx.mode())
                    .map_err(|e| ctx.bad_request(&format!("Invalid filter clause: {e}")))?;
                o.filter = Some((value, f));
            }
            "select" => {
                let s = Select::parse(&value).map_err(|e| {
                    ctx.bad_request(&format!("Parsing OData Select and Expand failed: {e}"))
                })?;
                o.select = Some((value, s));
            }
            "top" => {
                o.top = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| {
                            ctx.bad_request(&format!(
                                "Invalid value '{value}' for $top: a positive integer is expected."
                            ))
                        })?,
                );
            }
            "count" => {
                o.count = match value.trim().to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(ctx.bad_request(&format!(
                            "Invalid value '{value}' for $count: 'true' or 'false' is expected."
                        )));
                    }
                };
            }
            "skiptoken" => {
                o.skiptoken = Some(
                    parse_skiptoken(&value)
                        .ok_or_else(|| ctx.bad_request("The $skiptoken is not valid."))?,
                );
            }
            other => {
                return Err(ctx.bad_request(&format!(
                    "The query option '${other}' is not supported on this resource."
                )));
            }
        }
    }
    Ok(o)
}
