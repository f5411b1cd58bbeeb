//! The typed tree: what the checker proves about a unit, and all that the
//! lowering to MIR needs. Every name is resolved (local slot, global, user
//! function or built-in) and every implicit `i64 -> f64` promotion is explicit.

use std::fmt;

/// A value type of the source language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    I64,
    F64,
    Bool,
    Text,
    /// No value: the result of a function that returns nothing.
    Void,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::I64 => "i64",
            Type::F64 => "f64",
            Type::Bool => "bool",
            Type::Text => "text",
            Type::Void => "void",
        })
    }
}

/// A function's type as the source language sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sig {
    pub params: Vec<Type>,
    pub ret: Type,
}

impl fmt::Display for Sig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fn(")?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        write!(f, ") -> {}", self.ret)
    }
}

pub type LocalId = u32;

#[derive(Clone, Debug)]
pub struct LocalInfo {
    pub name: String,
    pub ty: Type,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    /// `abs` of the argument's type (i64 wraps: `abs(i64::MIN) == i64::MIN`).
    Abs,
    /// `min`/`max` of two or more values of the result type.
    Min,
    Max,
    Sqrt,
    Floor,
    Ceil,
    /// `len(text)`: length in bytes.
    Len,
    /// `int(x)` of an f64 (truncating, saturating, NaN gives 0), bool or text.
    Int,
    /// `float(x)` of an i64, bool or text.
    Float,
    /// `str(x)` of any value type.
    Str,
}

#[derive(Clone, Debug)]
pub struct TExpr {
    pub ty: Type,
    pub line: u32,
    pub kind: TExprKind,
}

#[derive(Clone, Debug)]
pub enum TExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Local(LocalId),
    Global(String),
    /// `-x` on i64 (wrapping) or f64.
    Neg(Box<TExpr>),
    Not(Box<TExpr>),
    /// Both operands have the expression's type (i64, f64, or text for `+`).
    Arith(ArithOp, Box<TExpr>, Box<TExpr>),
    /// Both operands have the same type; the result is bool.
    Cmp(CmpOp, Box<TExpr>, Box<TExpr>),
    And(Box<TExpr>, Box<TExpr>),
    Or(Box<TExpr>, Box<TExpr>),
    /// i64 to f64.
    Promote(Box<TExpr>),
    /// A user function, of this unit or already in the manager.
    Call(String, Vec<TExpr>),
    Builtin(Builtin, Vec<TExpr>),
}

#[derive(Clone, Debug)]
pub struct TStmt {
    pub line: u32,
    pub kind: TStmtKind,
}

#[derive(Clone, Debug)]
pub enum TStmtKind {
    SetLocal(LocalId, TExpr),
    SetGlobal(String, TExpr),
    If(Vec<(TExpr, Vec<TStmt>)>, Option<Vec<TStmt>>),
    While(TExpr, Vec<TStmt>),
    /// `for var in start..end` (or `..=` when inclusive); `end` is evaluated
    /// once, into the hidden local `end_local`.
    For {
        var: LocalId,
        end_local: LocalId,
        start: TExpr,
        end: TExpr,
        inclusive: bool,
        body: Vec<TStmt>,
    },
    Break,
    Continue,
    Return(Option<TExpr>),
    Expr(TExpr),
}

#[derive(Clone, Debug)]
pub struct TFunction {
    pub name: String,
    pub line: u32,
    pub sig: Sig,
    /// The first `sig.params.len()` locals are the parameters.
    pub locals: Vec<LocalInfo>,
    pub body: Vec<TStmt>,
}

/// A global that a unit declares (or redeclares).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalDecl {
    pub name: String,
    pub ty: Type,
    pub mutable: bool,
    pub line: u32,
}

#[derive(Clone, Debug)]
pub struct TypedUnit {
    pub functions: Vec<TFunction>,
    /// The top-level statements, as a function of no parameters whose return
    /// type is the unit's value (`eval`).
    pub init: TFunction,
    pub globals: Vec<GlobalDecl>,
    /// Host functions the unit declares with `extern fn`.
    pub externs: Vec<ExternFn>,
}

#[derive(Clone, Debug)]
pub struct ExternFn {
    pub name: String,
    pub sig: Sig,
    pub line: u32,
}
