//! A checked `$filter` expression: comparison operators, literals after type checking,
//! string functions, and the enum mode a filter is checked and evaluated under.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::props::Prop;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub(super) fn from_word(w: &str) -> Option<CmpOp> {
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
    pub(super) fn mirrored(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            o => o,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }

    pub(super) fn is_ordering(self) -> bool {
        !matches!(self, CmpOp::Eq | CmpOp::Ne)
    }

    pub(super) fn holds(self, o: Ordering) -> bool {
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
pub(super) enum Value {
    Null,
    Text(String),
    Time(DateTime<Utc>),
    Bool(bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StrFn {
    StartsWith,
    EndsWith,
    Contains,
}

/// A checked filter expression.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Cmp(Prop, CmpOp, Value),
    In(Prop, Vec<Value>),
    Func(StrFn, Prop, String),
    BoolProp(Prop),
    Const(bool),
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
