//! The `$filter` parser: tokens to a type-checked expression, with bounded nesting.

use chrono::{DateTime, Utc};

use super::error::FilterError;
use super::expr::{CmpOp, EnumMode, Expr, StrFn, Value};
use super::lexer::{Tok, Token, is_guid, is_identifier};
use super::props::{Kind, Prop, find_prop, not_found};

/// The deepest nesting of parentheses and `not` accepted.
const MAX_DEPTH: usize = 64;
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

pub(super) struct Parser<'a> {
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
    pub(super) depth: usize,
    pub(super) input: &'a str,
    pub(super) mode: EnumMode,
}

fn word_is(t: &Token, kw: &str) -> bool {
    matches!(&t.tok, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    pub(super) fn error_at(&self, t: &Token, what: &str) -> FilterError {
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

    pub(super) fn or(&mut self) -> Result<Expr, FilterError> {
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
