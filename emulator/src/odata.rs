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

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Utc};
use partner_alerts::{Alert, AlertStatus, ConfidenceLevel, ResolvedReason, Severity};

/// The deepest nesting of parentheses and `not` accepted.
const MAX_DEPTH: usize = 64;
/// The longest `$filter` accepted, in bytes.
const MAX_LEN: usize = 8192;

/// Why a `$filter` or `$select` was rejected: the message Graph's error body carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    message: String,
}

impl FilterError {
    fn new(message: impl Into<String>) -> Self {
        FilterError {
            message: message.into(),
        }
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FilterError {}

/// The type of a property, as far as filtering is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Compared exactly.
    Text,
    /// A GUID held in a string: compared ignoring case.
    Guid,
    /// `alertType`: an open string compared ignoring case.
    AlertType,
    /// One of the four evolvable enums.
    Enum(EnumKind),
    /// `DateTimeOffset`.
    DateTime,
    /// `Boolean`.
    Bool,
    /// A collection or complex property: selectable, not filterable.
    Complex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EnumKind {
    Status,
    Severity,
    Confidence,
    ResolvedReason,
}

impl EnumKind {
    fn type_name(self) -> &'static str {
        match self {
            EnumKind::Status => "securityAlertStatus",
            EnumKind::Severity => "securityAlertSeverity",
            EnumKind::Confidence => "securityAlertConfidence",
            EnumKind::ResolvedReason => "securityAlertResolvedReason",
        }
    }

    /// The known members' wire values.
    fn members(self) -> Vec<String> {
        fn names<T>(known: &[T], f: impl Fn(&T) -> &str) -> Vec<String> {
            known.iter().map(|v| f(v).to_owned()).collect()
        }
        match self {
            EnumKind::Status => names(AlertStatus::KNOWN, AlertStatus::as_str),
            EnumKind::Severity => names(Severity::KNOWN, Severity::as_str),
            EnumKind::Confidence => names(ConfidenceLevel::KNOWN, ConfidenceLevel::as_str),
            EnumKind::ResolvedReason => names(ResolvedReason::KNOWN, ResolvedReason::as_str),
        }
    }
}

/// A property of `partnerSecurityAlert`, by its Graph JSON name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Prop {
    name: &'static str,
    kind: Kind,
}

/// Every property of `partnerSecurityAlert`, in Graph's declared order.
const PROPS: &[Prop] = &[
    Prop {
        name: "id",
        kind: Kind::Guid,
    },
    Prop {
        name: "displayName",
        kind: Kind::Text,
    },
    Prop {
        name: "description",
        kind: Kind::Text,
    },
    Prop {
        name: "alertType",
        kind: Kind::AlertType,
    },
    Prop {
        name: "status",
        kind: Kind::Enum(EnumKind::Status),
    },
    Prop {
        name: "severity",
        kind: Kind::Enum(EnumKind::Severity),
    },
    Prop {
        name: "confidenceLevel",
        kind: Kind::Enum(EnumKind::Confidence),
    },
    Prop {
        name: "customerTenantId",
        kind: Kind::Guid,
    },
    Prop {
        name: "subscriptionId",
        kind: Kind::Guid,
    },
    Prop {
        name: "valueAddedResellerTenantId",
        kind: Kind::Guid,
    },
    Prop {
        name: "catalogOfferId",
        kind: Kind::Text,
    },
    Prop {
        name: "detectedDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "firstObservedDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "lastObservedDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "resolvedReason",
        kind: Kind::Enum(EnumKind::ResolvedReason),
    },
    Prop {
        name: "resolvedOnDateTime",
        kind: Kind::DateTime,
    },
    Prop {
        name: "resolvedBy",
        kind: Kind::Text,
    },
    Prop {
        name: "isTest",
        kind: Kind::Bool,
    },
    Prop {
        name: "affectedResources",
        kind: Kind::Complex,
    },
    Prop {
        name: "activityLogs",
        kind: Kind::Complex,
    },
    Prop {
        name: "additionalDetails",
        kind: Kind::Complex,
    },
];

/// The JSON names of every `partnerSecurityAlert` property, in Graph's declared order.
pub fn property_names() -> impl Iterator<Item = &'static str> {
    PROPS.iter().map(|p| p.name)
}

/// The Graph spelling of a property name given in any case.
pub fn canonical_property(name: &str) -> Option<&'static str> {
    find_prop(name).map(|p| p.name)
}

fn find_prop(name: &str) -> Option<Prop> {
    PROPS
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .copied()
}

fn not_found(name: &str) -> FilterError {
    FilterError::new(format!(
        "Could not find a property named '{name}' on type \
         'microsoft.graph.partner.security.partnerSecurityAlert'."
    ))
}

/// A parsed `$select`: the properties to return, always including `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    props: Vec<&'static str>,
}

impl Select {
    /// Parses a comma-separated list of property names (`*` selects all).
    ///
    /// # Errors
    /// An empty item, or a name that is not a property of `partnerSecurityAlert`.
    pub fn parse(input: &str) -> Result<Select, FilterError> {
        let mut chosen = vec![false; PROPS.len()];
        chosen[0] = true;
        for item in input.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(FilterError::new(
                    "Syntax error: $select holds an empty property name.",
                ));
            }
            if item == "*" {
                chosen.iter_mut().for_each(|c| *c = true);
                continue;
            }
            match PROPS.iter().position(|p| p.name.eq_ignore_ascii_case(item)) {
                Some(i) => chosen[i] = true,
                None => return Err(not_found(item)),
            }
        }
        Ok(Select {
            props: PROPS
                .iter()
                .zip(chosen)
                .filter(|(_, c)| *c)
                .map(|(p, _)| p.name)
                .collect(),
        })
    }

    /// Every property.
    pub fn all() -> Select {
        Select {
            props: PROPS.iter().map(|p| p.name).collect(),
        }
    }

    /// The selected properties' Graph names, in declared order.
    pub fn properties(&self) -> &[&'static str] {
        &self.props
    }

    /// Whether every property is selected.
    pub fn is_all(&self) -> bool {
        self.props.len() == PROPS.len()
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    fn from_word(w: &str) -> Option<CmpOp> {
        Some(match w.to_ascii_lowercase().as_str() {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            _ => return None,
        })
    }

    /// The operator with its operands swapped (`'x' lt p` is `p gt 'x'`).
    fn mirrored(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            o => o,
        }
    }

    fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }

    fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    fn holds(self, o: Ordering) -> bool {
        match self {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
        }
    }
}

/// A literal after type checking against its property.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Null,
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StrFn {
    StartsWith,
    EndsWith,
    Contains,
}

/// A checked filter expression.
#[derive(Clone, Debug, PartialEq)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp(Prop, CmpOp, Value),
    In(Prop, Vec<Value>),
    Func(StrFn, Prop, String),
    BoolProp(Prop),
    Const(bool),
}

/// A parsed, type-checked `$filter`.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    expr: Expr,
}

/// How a filter treats enum values newer than `unknownFutureValue`.
///
/// Without `Prefer: include-unknown-enum-members`, Graph shows such a value as
/// `unknownFutureValue` and rejects it in a filter; with it, the value is itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnumMode {
    /// Whether the request sent `Prefer: include-unknown-enum-members`.
    pub include_unknown_members: bool,
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

// ---------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Str(String),
    /// A bare word: identifier, keyword, number, GUID or date-time; classified by the parser.
    Word(String),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    at: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '+' | '-' | '/' | '$' | '@')
}

fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token {
                    tok: Tok::LParen,
                    at,
                });
            }
            ')' => {
                chars.next();
                out.push(Token {
                    tok: Tok::RParen,
                    at,
                });
            }
            ',' => {
                chars.next();
                out.push(Token {
                    tok: Tok::Comma,
                    at,
                });
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) => {
                            if matches!(chars.peek(), Some((_, '\''))) {
                                chars.next();
                                s.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => s.push(ch),
                        None => {
                            return Err(FilterError::new(format!(
                                "Syntax error: unterminated string literal at position {at} in '{input}'."
                            )));
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Str(s),
                    at,
                });
            }
            c if is_word_char(c) => {
                let mut w = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if !is_word_char(ch) {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                out.push(Token {
                    tok: Tok::Word(w),
                    at,
                });
            }
            other => {
                return Err(FilterError::new(format!(
                    "Syntax error: character '{other}' is not valid at position {at} in '{input}'."
                )));
            }
        }
    }
    Ok(out)
}

/// Whether `s` is a GUID: 8-4-4-4-12 hex digits.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------------------
// Parser

/// A literal before it meets its property.
#[derive(Clone, Debug)]
enum Lit {
    Null,
    Str(String),
    Guid(String),
    Time(DateTime<Utc>),
    Bool(bool),
    Number(String),
}

impl Lit {
    fn describe(&self) -> String {
        match self {
            Lit::Null => "null".to_owned(),
            Lit::Str(s) => format!("'{s}'"),
            Lit::Guid(g) => g.clone(),
            Lit::Time(t) => t.to_rfc3339(),
            Lit::Bool(b) => b.to_string(),
            Lit::Number(n) => n.clone(),
        }
    }
}

enum Operand {
    Prop(Prop),
    Lit(Lit),
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    input: &'a str,
    mode: EnumMode,
}

fn word_is(t: &Token, kw: &str) -> bool {
    matches!(&t.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn error_at(&self, t: &Token, what: &str) -> FilterError {
        let shown = match &t.tok {
            Tok::LParen => "(".to_owned(),
            Tok::RParen => ")".to_owned(),
            Tok::Comma => ",".to_owned(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Word(w) => w.clone(),
        };
        FilterError::new(format!(
            "Syntax error at position {} in '{}': {what} (found '{shown}').",
            t.at, self.input
        ))
    }

    fn error_end(&self, what: &str) -> FilterError {
        FilterError::new(format!(
            "Syntax error at the end of '{}': {what}.",
            self.input
        ))
    }

    fn enter(&mut self) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(format!(
                "The $filter expression nests deeper than {MAX_DEPTH} levels."
            )));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.and()?];
        while self.peek().is_some_and(|t| word_is(t, "or")) {
            self.next();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut items = vec![self.unary()?];
        while self.peek().is_some_and(|t| word_is(t, "and")) {
            self.next();
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.peek().is_some_and(|t| word_is(t, "not")) {
            self.next();
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn expect_rparen(&mut self) -> Result<(), FilterError> {
        match self.next() {
            Some(Token {
                tok: Tok::RParen, ..
            }) => Ok(()),
            Some(t) => Err(self.error_at(&t, "expected ')'")),
            None => Err(self.error_end("expected ')'")),
        }
    }

    fn primary(&mut self) -> Result<Expr, FilterError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.error_end("expected an expression"));
        };
        if t.tok == Tok::LParen {
            self.next();
            self.enter()?;
            let e = self.or()?;
            self.expect_rparen()?;
            self.depth -= 1;
            return Ok(e);
        }
        // A function call: a word directly followed by '('.
        if let Tok::Word(w) = &t.tok
            && is_identifier(w)
            && !is_keyword(w)
            && self
                .tokens
                .get(self.pos + 1)
                .is_some_and(|n| n.tok == Tok::LParen)
        {
            return self.function(w.clone(), &t);
        }
        let left = self.operand()?;
        let Some(op_tok) = self.peek().cloned() else {
            return self.lone(left, None);
        };
        let Tok::Word(op_word) = &op_tok.tok else {
            return self.lone(left, Some(&op_tok));
        };
        if op_word.eq_ignore_ascii_case("in") {
            self.next();
            return self.in_list(left, &op_tok);
        }
        let Some(op) = CmpOp::from_word(op_word) else {
            return self.lone(left, Some(&op_tok));
        };
        self.next();
        if self.peek().is_some_and(|n| n.tok == Tok::LParen) {
            let n = self.peek().cloned().expect("peeked");
            return Err(self.error_at(&n, "expected a literal or a property"));
        }
        let right = self.operand()?;
        match (left, right) {
            (Operand::Prop(p), Operand::Lit(l)) => self.comparison(p, op, l),
            (Operand::Lit(l), Operand::Prop(p)) => self.comparison(p, op.mirrored(), l),
            (Operand::Prop(_), Operand::Prop(_)) => Err(FilterError::new(
                "Comparing two properties with each other is not supported.",
            )),
            (Operand::Lit(_), Operand::Lit(_)) => Err(FilterError::new(
                "A comparison needs a property on one side; both sides are literals.",
            )),
        }
    }

    /// An operand with no operator after it: only a Boolean property or literal stands alone.
    fn lone(&mut self, left: Operand, next: Option<&Token>) -> Result<Expr, FilterError> {
        match left {
            Operand::Prop(p) if p.kind == Kind::Bool => Ok(Expr::BoolProp(p)),
            Operand::Lit(Lit::Bool(b)) => Ok(Expr::Const(b)),
            _ => match next {
                Some(t) => Err(self.error_at(t, "expected a comparison operator")),
                None => Err(self.error_end("expected a comparison operator")),
            },
        }
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        let Some(t) = self.next() else {
            return Err(self.error_end("expected a property or a literal"));
        };
        match &t.tok {
            Tok::Str(s) => Ok(Operand::Lit(Lit::Str(s.clone()))),
            Tok::Word(w) => self.word(w, &t),
            _ => Err(self.error_at(&t, "expected a property or a literal")),
        }
    }

    fn word(&self, w: &str, t: &Token) -> Result<Operand, FilterError> {
        let lower = w.to_ascii_lowercase();
        match lower.as_str() {
            "null" => return Ok(Operand::Lit(Lit::Null)),
            "true" => return Ok(Operand::Lit(Lit::Bool(true))),
            "false" => return Ok(Operand::Lit(Lit::Bool(false))),
            _ => {}
        }
        if is_guid(w) {
            return Ok(Operand::Lit(Lit::Guid(w.to_owned())));
        }
        if w.starts_with(|c: char| c.is_ascii_digit()) {
            if w.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Operand::Lit(Lit::Number(w.to_owned())));
            }
            return match DateTime::parse_from_rfc3339(w) {
                Ok(t) => Ok(Operand::Lit(Lit::Time(t.with_timezone(&Utc)))),
                Err(_) => Err(FilterError::new(format!(
                    "Malformed literal '{w}' at position {}: a DateTimeOffset is written \
                     unquoted in RFC 3339 form, e.g. 2024-05-01T00:00:00Z.",
                    t.at
                ))),
            };
        }
        if w.starts_with('-') && w.len() > 1 && w[1..].bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Operand::Lit(Lit::Number(w.to_owned())));
        }
        if is_keyword(w) {
            return Err(self.error_at(t, "expected a property or a literal"));
        }
        if w.contains('/') {
            return Err(FilterError::new(format!(
                "Property paths and lambda operators are not supported: '{w}'."
            )));
        }
        if is_identifier(w) {
            return match find_prop(w) {
                Some(p) if p.kind == Kind::Complex => Err(FilterError::new(format!(
                    "The property '{}' cannot be used in $filter.",
                    p.name
                ))),
                Some(p) => Ok(Operand::Prop(p)),
                None => Err(not_found(w)),
            };
        }
        Err(FilterError::new(format!(
            "Malformed literal or name '{w}' at position {}.",
            t.at
        )))
    }

    fn function(&mut self, name: String, at: &Token) -> Result<Expr, FilterError> {
        let f = match name.to_ascii_lowercase().as_str() {
            "startswith" => StrFn::StartsWith,
            "endswith" => StrFn::EndsWith,
            "contains" => StrFn::Contains,
            _ => {
                return Err(FilterError::new(format!(
                    "An unknown function with name '{name}' was found at position {}.",
                    at.at
                )));
            }
        };
        self.next(); // the name
        self.next(); // '('
        let prop = match self.operand()? {
            Operand::Prop(p) => p,
            Operand::Lit(_) => {
                return Err(FilterError::new(format!(
                    "The first argument of {name} must be a property."
                )));
            }
        };
        match self.next() {
            Some(Token {
                tok: Tok::Comma, ..
            }) => {}
            Some(t) => return Err(self.error_at(&t, "expected ','")),
            None => return Err(self.error_end("expected ','")),
        }
        let arg = match self.operand()? {
            Operand::Lit(Lit::Str(s)) => s,
            _ => {
                return Err(FilterError::new(format!(
                    "The second argument of {name} must be a string literal."
                )));
            }
        };
        self.expect_rparen()?;
        if !matches!(prop.kind, Kind::Text | Kind::Guid | Kind::AlertType) {
            return Err(FilterError::new(format!(
                "The function {name} is not supported on the property '{}'.",
                prop.name
            )));
        }
        if let Some(t) = self.peek()
            && let Tok::Word(w) = &t.tok
            && (CmpOp::from_word(w).is_some() || w.eq_ignore_ascii_case("in"))
        {
            return Err(self.error_at(
                t,
                "a function call is a condition by itself and cannot be compared",
            ));
        }
        Ok(Expr::Func(f, prop, arg))
    }

    fn in_list(&mut self, left: Operand, at: &Token) -> Result<Expr, FilterError> {
        let Operand::Prop(prop) = left else {
            return Err(self.error_at(at, "the left side of 'in' must be a property"));
        };
        match self.next() {
            Some(Token {
                tok: Tok::LParen, ..
            }) => {}
            Some(t) => return Err(self.error_at(&t, "expected '(' after 'in'")),
            None => return Err(self.error_end("expected '(' after 'in'")),
        }
        let mut values = Vec::new();
        loop {
            let lit = match self.operand()? {
                Operand::Lit(l) => l,
                Operand::Prop(p) => {
                    return Err(FilterError::new(format!(
                        "The list after 'in' must hold literals; found the property '{}'.",
                        p.name
                    )));
                }
            };
            values.push(self.check(prop, CmpOp::Eq, lit)?);
            match self.next() {
                Some(Token {
                    tok: Tok::Comma, ..
                }) => continue,
                Some(Token {
                    tok: Tok::RParen, ..
                }) => break,
                Some(t) => return Err(self.error_at(&t, "expected ',' or ')'")),
                None => return Err(self.error_end("expected ',' or ')'")),
            }
        }
        Ok(Expr::In(prop, values))
    }

    fn comparison(&self, prop: Prop, op: CmpOp, lit: Lit) -> Result<Expr, FilterError> {
        let value = self.check(prop, op, lit)?;
        Ok(Expr::Cmp(prop, op, value))
    }

    /// Checks that `lit` can be compared with `prop` by `op`.
    fn check(&self, prop: Prop, op: CmpOp, lit: Lit) -> Result<Value, FilterError> {
        let mismatch = |lit: &Lit, expected: &str| {
            FilterError::new(format!(
                "A binary operator with incompatible types was detected: the property '{}' \
                 is {expected}, and {} is not.",
                prop.name,
                lit.describe()
            ))
        };
        if let Lit::Null = lit {
            if op.is_ordering() {
                return Err(FilterError::new(format!(
                    "null can only be compared with 'eq' or 'ne' (property '{}').",
                    prop.name
                )));
            }
            return Ok(Value::Null);
        }
        match prop.kind {
            Kind::Text | Kind::Guid | Kind::AlertType => match lit {
                Lit::Str(s) | Lit::Guid(s) => Ok(Value::Text(s)),
                l => Err(mismatch(&l, "a string")),
            },
            Kind::Enum(e) => {
                let s = match lit {
                    Lit::Str(s) => s,
                    l => {
                        return Err(mismatch(
                            &l,
                            &format!(
                                "an enum of type {} (write members as 'value')",
                                e.type_name()
                            ),
                        ));
                    }
                };
                if op.is_ordering() {
                    return Err(FilterError::new(format!(
                        "The operator '{}' is not supported on the enum property '{}'; \
                         use eq, ne or in.",
                        op.name(),
                        prop.name
                    )));
                }
                let known = e.members().iter().any(|m| m.eq_ignore_ascii_case(&s))
                    || s.eq_ignore_ascii_case("unknownFutureValue");
                if !known && !self.mode.include_unknown_members {
                    return Err(FilterError::new(format!(
                        "Requested value '{s}' was not found in the enum type '{}'. Known \
                         members: {}.",
                        e.type_name(),
                        e.members().join(", ")
                    )));
                }
                Ok(Value::Text(s))
            }
            Kind::DateTime => match lit {
                Lit::Time(t) => Ok(Value::Time(t)),
                Lit::Str(s) => Err(FilterError::new(format!(
                    "A binary operator with incompatible types was detected: the property '{}' \
                     is a DateTimeOffset; write the literal unquoted ({s}), not as a string.",
                    prop.name
                ))),
                l => Err(mismatch(&l, "a DateTimeOffset")),
            },
            Kind::Bool => match lit {
                Lit::Bool(b) if !op.is_ordering() => Ok(Value::Bool(b)),
                Lit::Bool(_) => Err(FilterError::new(format!(
                    "Booleans can only be compared with 'eq' or 'ne' (property '{}').",
                    prop.name
                ))),
                l => Err(mismatch(&l, "a Boolean")),
            },
            Kind::Complex => Err(FilterError::new(format!(
                "The property '{}' cannot be used in $filter.",
                prop.name
            ))),
        }
    }
}

fn is_keyword(w: &str) -> bool {
    ["and", "or", "not", "in", "eq", "ne", "gt", "ge", "lt", "le"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(w))
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// A property's value on one alert, borrowed from it: evaluating a filter allocates nothing.
enum Actual<'a> {
    Null,
    Text(&'a str),
    Time(DateTime<Utc>),
    Bool(bool),
}

/// An enum value as the request may see it: unknown members are `unknownFutureValue`
/// unless the request opted in.
fn enum_text(s: &str, known: bool, mode: EnumMode) -> &str {
    if known || mode.include_unknown_members {
        s
    } else {
        "unknownFutureValue"
    }
}

fn actual(alert: &Alert, prop: Prop, mode: EnumMode) -> Actual<'_> {
    fn text(v: Option<&str>) -> Actual<'_> {
        v.map_or(Actual::Null, Actual::Text)
    }
    fn time(v: Option<DateTime<Utc>>) -> Actual<'static> {
        v.map_or(Actual::Null, Actual::Time)
    }
    match prop.name {
        "id" => Actual::Text(alert.id.as_str()),
        "displayName" => text(alert.display_name.as_deref()),
        "description" => text(alert.description.as_deref()),
        "alertType" => text(alert.alert_type.as_ref().map(|t| t.as_str())),
        "status" => text(
            alert
                .status
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "severity" => text(
            alert
                .severity
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "confidenceLevel" => text(
            alert
                .confidence_level
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "resolvedReason" => text(
            alert
                .resolved_reason
                .as_ref()
                .map(|v| enum_text(v.as_str(), v.is_known(), mode)),
        ),
        "customerTenantId" => text(alert.customer_tenant_id.as_ref().map(|v| v.as_str())),
        "subscriptionId" => text(alert.subscription_id.as_ref().map(|v| v.as_str())),
        "valueAddedResellerTenantId" => text(
            alert
                .value_added_reseller_tenant_id
                .as_ref()
                .map(|v| v.as_str()),
        ),
        "catalogOfferId" => text(alert.catalog_offer_id.as_deref()),
        "detectedDateTime" => time(alert.detected_date_time),
        "firstObservedDateTime" => time(alert.first_observed_date_time),
        "lastObservedDateTime" => time(alert.last_observed_date_time),
        "resolvedOnDateTime" => time(alert.resolved_on_date_time),
        "resolvedBy" => text(alert.resolved_by.as_deref()),
        "isTest" => alert.is_test.map_or(Actual::Null, Actual::Bool),
        _ => Actual::Null,
    }
}

/// Whether a property's strings compare ignoring (ASCII) case: all but plain text do.
fn folds(kind: Kind) -> bool {
    kind != Kind::Text
}

/// Orders two strings as the property compares them, without lower-casing copies.
fn cmp_text(kind: Kind, a: &str, b: &str) -> Ordering {
    if folds(kind) {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.cmp(b)
    }
}

/// `startswith`, `endswith` and `contains`, as the property compares strings.
fn str_fn(f: StrFn, kind: Kind, s: &str, arg: &str) -> bool {
    let (s, arg) = (s.as_bytes(), arg.as_bytes());
    let eq = |a: &[u8], b: &[u8]| {
        if folds(kind) {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    if arg.len() > s.len() {
        return false;
    }
    match f {
        StrFn::StartsWith => eq(&s[..arg.len()], arg),
        StrFn::EndsWith => eq(&s[s.len() - arg.len()..], arg),
        StrFn::Contains => arg.is_empty() || s.windows(arg.len()).any(|w| eq(w, arg)),
    }
}

fn compare(prop: Prop, op: CmpOp, have: &Actual<'_>, want: &Value) -> bool {
    match (have, want) {
        (Actual::Null, Value::Null) => op == CmpOp::Eq,
        (_, Value::Null) => op == CmpOp::Ne,
        // Absent values equal nothing, differ from everything, order with nothing.
        (Actual::Null, _) => op == CmpOp::Ne,
        (Actual::Text(a), Value::Text(b)) => op.holds(cmp_text(prop.kind, a, b)),
        (Actual::Time(a), Value::Time(b)) => op.holds(a.cmp(b)),
        (Actual::Bool(a), Value::Bool(b)) => op.holds(a.cmp(b)),
        // Type checking rules the rest out; treat as no match.
        _ => false,
    }
}

fn eval(e: &Expr, alert: &Alert, mode: EnumMode) -> bool {
    match e {
        Expr::And(items) => items.iter().all(|i| eval(i, alert, mode)),
        Expr::Or(items) => items.iter().any(|i| eval(i, alert, mode)),
        Expr::Not(inner) => !eval(inner, alert, mode),
        Expr::Cmp(p, op, v) => compare(*p, *op, &actual(alert, *p, mode), v),
        Expr::In(p, values) => {
            let have = actual(alert, *p, mode);
            values.iter().any(|v| compare(*p, CmpOp::Eq, &have, v))
        }
        Expr::Func(f, p, arg) => match actual(alert, *p, mode) {
            Actual::Text(s) => str_fn(*f, p.kind, s, arg),
            _ => false,
        },
        Expr::BoolProp(p) => matches!(actual(alert, *p, mode), Actual::Bool(true)),
        Expr::Const(b) => *b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use partner_alerts::{AlertId, AlertType};
    use proptest::prelude::*;

    fn alert() -> Alert {
        let mut a = Alert::new(AlertId::new("d8b202fc-a216-3404-69ef-bdffa445eff6").unwrap());
        a.display_name = Some("Action Required: it's mining".to_owned());
        a.alert_type = Some(AlertType::NETWORK_CONNECTIONS_TO_CRYPTO_MINING_POOLS);
        a.status = Some(AlertStatus::Active);
        a.severity = Some(Severity::High);
        a.confidence_level = Some(ConfidenceLevel::Medium);
        a.subscription_id = Some("5F6E6521-6e5f-4b0b-80aa-bd44fad7a398".parse().unwrap());
        a.detected_date_time = Some(Utc.with_ymd_and_hms(2024, 1, 23, 16, 3, 33).unwrap());
        a.is_test = Some(false);
        a
    }

    fn yes(f: &str) -> bool {
        Filter::parse(f)
            .unwrap_or_else(|e| panic!("{f}: {e}"))
            .matches(&alert())
    }

    fn bad(f: &str) -> String {
        match Filter::parse(f) {
            Ok(x) => panic!("{f} parsed as {x:?}"),
            Err(e) => e.message().to_owned(),
        }
    }

    #[test]
    fn comparisons() {
        assert!(yes("status eq 'active'"));
        assert!(yes("status eq 'ACTIVE'"));
        assert!(yes("Status EQ 'active'"));
        assert!(!yes("status ne 'active'"));
        assert!(yes("severity ne 'low'"));
        assert!(yes("detectedDateTime ge 2024-01-23T16:03:33Z"));
        assert!(yes("detectedDateTime gt 2024-01-23T16:03:32.5Z"));
        assert!(!yes("detectedDateTime lt 2024-01-23T16:03:33Z"));
        assert!(yes("detectedDateTime le 2024-01-23T17:03:33+01:00"));
        assert!(yes("isTest eq false"));
        assert!(!yes("isTest"));
        assert!(yes("not isTest"));
        assert!(yes("resolvedReason eq null"));
        assert!(!yes("resolvedReason ne null"));
        assert!(yes("resolvedReason ne 'fraud'"));
        assert!(!yes("resolvedOnDateTime lt 2030-01-01T00:00:00Z"));
        assert!(yes(
            "subscriptionId eq 5f6e6521-6e5f-4b0b-80aa-bd44fad7a398"
        ));
        assert!(yes(
            "subscriptionId eq '5f6e6521-6E5F-4b0b-80aa-bd44fad7a398'"
        ));
        assert!(yes("alertType eq 'NetworkConnectionsToCryptoMiningPools'"));
        assert!(yes("displayName eq 'Action Required: it''s mining'"));
        assert!(!yes("displayName eq 'action required: it''s mining'"));
        assert!(yes("displayName gt 'A'"));
        assert!(yes("'active' eq status"));
        assert!(yes("2025-01-01T00:00:00Z gt detectedDateTime"));
    }

    #[test]
    fn logic_and_lists() {
        assert!(yes("status in ('resolved', 'Active')"));
        assert!(!yes("status in ('resolved')"));
        assert!(yes("status eq 'resolved' or severity eq 'high'"));
        assert!(!yes("status eq 'resolved' and severity eq 'high'"));
        assert!(yes("not (status eq 'resolved')"));
        assert!(yes(
            "(status eq 'resolved' or status eq 'active') and (severity eq 'high')"
        ));
        assert!(yes(
            "status eq 'active' and severity eq 'high' and isTest eq false"
        ));
        assert!(yes("not not status eq 'active'"));
        assert!(yes("startswith(displayName, 'Action')"));
        assert!(yes("contains(alertType, 'cryptomining')"));
        assert!(!yes("endswith(displayName, 'x')"));
        assert!(yes("true"));
    }

    #[test]
    fn errors() {
        assert!(bad("colour eq 'red'").contains("colour"));
        assert!(bad("status eq 'escalated'").contains("escalated"));
        assert!(bad("status eq").contains("end"));
        assert!(bad("status 'active'").contains("operator"));
        assert!(bad("status eq 'active").contains("unterminated"));
        assert!(bad("detectedDateTime ge 2024-13-01T00:00:00Z").contains("Malformed"));
        assert!(bad("detectedDateTime ge '2024-01-01T00:00:00Z'").contains("unquoted"));
        assert!(bad("detectedDateTime ge 2024-01-01").contains("Malformed"));
        assert!(bad("isTest eq 'false'").contains("Boolean"));
        assert!(bad("isTest gt false").contains("Boolean"));
        assert!(bad("severity gt 'low'").contains("enum"));
        assert!(bad("frobnicate(status, 'x')").contains("unknown function"));
        assert!(bad("affectedResources/any(r: r/resourceType eq 'x')").contains("not supported"));
        assert!(bad("activityLogs eq null").contains("cannot be used"));
        assert!(bad("status eq 1").contains("incompatible"));
        assert!(bad("status eq status").contains("two properties"));
        assert!(bad("'a' eq 'a'").contains("literals"));
        assert!(bad("").contains("empty"));
        assert!(bad("status eq 'active' status").contains("unexpected"));
        assert!(bad("(status eq 'active'").contains("')'"));
        assert!(bad("status in 'active'").contains("'('"));
        assert!(bad("status in ()").contains("expected"));
        assert!(bad("status eq 'active' and").contains("expected"));
        assert!(bad("status eq 'a' # x").contains("not valid"));
        assert!(bad("startswith(displayName, 'x') eq true").contains("condition"));
        assert!(bad(&"(".repeat(100)).contains("deeper"));
        assert!(bad(&"not ".repeat(100)).contains("deeper"));
    }

    #[test]
    fn unknown_enum_members() {
        let mut a = alert();
        a.status = Some(AlertStatus::from("escalated"));
        let plain = EnumMode::default();
        let opted = EnumMode {
            include_unknown_members: true,
        };
        assert!(
            Filter::parse("status eq 'unknownFutureValue'")
                .unwrap()
                .matches_with(&a, plain)
        );
        assert!(Filter::parse_with("status eq 'escalated'", plain).is_err());
        let f = Filter::parse_with("status eq 'escalated'", opted).unwrap();
        assert!(f.matches_with(&a, opted));
    }

    #[test]
    fn select() {
        let s = Select::parse("status, Severity").unwrap();
        assert_eq!(s.properties(), ["id", "status", "severity"]);
        assert!(Select::parse("status,,severity").is_err());
        assert!(
            Select::parse("colour")
                .unwrap_err()
                .message()
                .contains("colour")
        );
        assert!(Select::parse("*").unwrap().is_all());
        assert_eq!(property_names().count(), 21);
        assert_eq!(canonical_property("ISTEST"), Some("isTest"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics_on_any_string(s in "\\PC{0,80}") {
            let _ = Filter::parse(&s).map(|f| f.matches(&alert()));
            let _ = Select::parse(&s);
        }

        #[test]
        fn never_panics_on_filter_like_strings(
            s in "[ a-zA-Z0-9()',:.+\\-/]{0,60}"
        ) {
            let _ = Filter::parse(&s).map(|f| f.matches(&alert()));
        }

        #[test]
        fn never_panics_on_token_soup(
            words in proptest::collection::vec(
                proptest::sample::select(vec![
                    "status", "severity", "isTest", "detectedDateTime", "alertType", "eq", "ne",
                    "gt", "le", "in", "and", "or", "not", "(", ")", ",", "'active'", "'x''y'",
                    "null", "true", "2024-01-01T00:00:00Z", "5f6e6521-6e5f-4b0b-80aa-bd44fad7a398",
                    "startswith", "42", "'", "$", "/",
                ]),
                0..20,
            )
        ) {
            let s = words.join(" ");
            let _ = Filter::parse(&s).map(|f| f.matches(&alert()));
        }
    }
}
