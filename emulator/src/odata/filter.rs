//! [`Filter`]: a parsed, type-checked `$filter`, and whether an alert matches it.

use partner_alerts::Alert;

use super::error::FilterError;
use super::eval::eval;
use super::expr::{EnumMode, Expr};
use super::lexer::lex;
use super::parser::Parser;

/// The longest `$filter` accepted, in bytes.
const MAX_LEN: usize = 8192;

/// A parsed, type-checked `$filter`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    expr: Expr,
}

impl Filter {
    /// Parses and type-checks a `$filter` expression, as a request without the `Prefer`
    /// header would.
    ///
    /// # Errors
    /// A [`FilterError`] saying what is wrong.
    pub fn parse(input: &str) -> Result<Filter, FilterError> {
        Filter::parse_with(input, EnumMode::default())
    }

    /// Parses and type-checks a `$filter` expression for the given enum mode.
    ///
    /// # Errors
    /// A [`FilterError`] saying what is wrong.
    pub fn parse_with(input: &str, mode: EnumMode) -> Result<Filter, FilterError> {
        if input.len() > MAX_LEN {
            return Err(FilterError::new(format!(
                "The $filter expression is longer than {MAX_LEN} characters."
            )));
        }
        let tokens = lex(input)?;
        if tokens.is_empty() {
            return Err(FilterError::new("The $filter expression is empty."));
        }
        let mut p = Parser {
            tokens,
            pos: 0,
            depth: 0,
            input,
            mode,
        };
        let expr = p.or()?;
        if let Some(t) = p.peek() {
            return Err(p.error_at(t, "unexpected token; expected 'and', 'or' or the end"));
        }
        Ok(Filter { expr })
    }

    /// Whether the alert matches, as seen by a request without the `Prefer` header.
    pub fn matches(&self, alert: &Alert) -> bool {
        self.matches_with(alert, EnumMode::default())
    }

    /// Whether the alert matches, for the given enum mode.
    pub fn matches_with(&self, alert: &Alert, mode: EnumMode) -> bool {
        eval(&self.expr, alert, mode)
    }
}
