//! The typed tree: what the checker proves about a unit, and all that the
//! lowering to MIR needs. Every name is resolved (local slot, global, user
//! function or built-in) and every implicit `i64 -> f64` promotion is explicit.

pub use super::types::{Sig, Type};
use crate::mir::{BinOp, CmpOp, ObjTy};

pub type LocalId = u32;

#[derive(Clone, Debug)]
pub struct LocalInfo {
    pub name: String,
    pub ty: Type,
}

crate::util::named_enum! {
    /// The built-in functions; no user function, variable or parameter may
    /// use their names.
    Builtin {
        /// `abs` of the argument's type (i64 wraps: `abs(i64::MIN) == i64::MIN`).
        Abs = "abs",
        /// `min`/`max` of two or more values of the result type.
        Min = "min",
        Max = "max",
        Sqrt = "sqrt",
        Floor = "floor",
        Ceil = "ceil",
        /// `len(text)`: length in bytes.
        Len = "len",
        /// `int(x)` of an f64 (truncating, saturating, NaN gives 0), bool or text.
        Int = "int",
        /// `float(x)` of an i64, bool or text.
        Float = "float",
        /// `str(x)` of any value type.
        Str = "str",
        /// `print(a, b, ...)`: the values' `str`, separated by spaces, and
        /// a newline, to the manager's print handler; void.
        Print = "print",
    }
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
    /// Both operands have the expression's type (i64, f64, or text for
    /// `+`); one of `add sub mul div rem pow`.
    Arith(BinOp, Box<TExpr>, Box<TExpr>),
    /// Both operands have the same type; the result is bool. One of the
    /// signed (ordered) comparisons.
    Cmp(CmpOp, Box<TExpr>, Box<TExpr>),
    And(Box<TExpr>, Box<TExpr>),
    Or(Box<TExpr>, Box<TExpr>),
    /// i64 to f64.
    Promote(Box<TExpr>),
    /// A user function, of this unit or already in the manager.
    Call(String, Vec<TExpr>),
    Builtin(Builtin, Vec<TExpr>),
    /// `[a, b]`: elements of the array type's element type.
    List(Vec<TExpr>),
    /// `xs[i]` (checked).
    Index(Box<TExpr>, Box<TExpr>),
    /// `xs[i..j]`, `j` exclusive (the checker adds 1 for `..=`).
    Slice(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    /// `xs * n`.
    Repeat(Box<TExpr>, Box<TExpr>),
    /// `{k: v, ...}`.
    MapLit(Vec<(TExpr, TExpr)>),
    /// `k in m`: the map, then the key.
    MapHas(Box<TExpr>, Box<TExpr>),
    /// `m.keys()` (false) or `m.values()` (true).
    MapList(Box<TExpr>, bool),
    /// `m.remove(k)`.
    MapRemove(Target, Box<TExpr>),
    /// `p.x`: field number `.1` of a record.
    Field(Box<TExpr>, usize),
    /// `Point(x: a, y: b)`: the fields' values in declaration order.
    Record(Vec<TExpr>),
    /// `xs.push(x)` (void).
    Push(Target, Box<TExpr>),
    /// `xs.pop()`.
    Pop(Target),
    /// A single `extern val`: the reference the host bound.
    HostVal(String),
    /// An array `extern val` as named: only an operand of the host forms
    /// (the checker never lets it be a value).
    HostArray(String),
    /// `xs[i]` of an array `extern val`: a reference to element `i`.
    HostElem(String, Box<TExpr>),
    /// `len(xs)` of an array `extern val`.
    HostLen(String),
    /// The address of an array `extern val`'s first element (a `for`
    /// loop reads it once, when it begins).
    HostBase(String),
    /// Element `.1` from the base address `.0`, unchecked: only a `for`
    /// loop over `0..len` makes one.
    HostAt(Box<TExpr>, Box<TExpr>),
    /// `p.x` of a host reference: field number `.1` of its struct.
    HostField(Box<TExpr>, usize),
}

/// A variable whose array a statement changes in place.
#[derive(Clone, Debug)]
pub enum Place {
    Local(LocalId),
    Global(String),
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
    /// `for var in iter`: the array is evaluated once into `array`, and
    /// `index` and `len` are hidden locals.
    ForEach {
        var: LocalId,
        array: LocalId,
        index: LocalId,
        len: LocalId,
        iter: TExpr,
        body: Vec<TStmt>,
    },
    /// `place[i].x... = value`: the target has at least one step (its
    /// indices are hidden locals' reads).
    SetPath(Target, TExpr),
    /// `p.x = value` of a host reference `p` (field number `.1`).
    SetHostField(TExpr, usize, TExpr),
    Break,
    Continue,
    Return(Option<TExpr>),
    Expr(TExpr),
}

/// What an assignment, `push` or `pop` changes: a variable (a `var`), of
/// type `root`, or a part of it reached by `steps`.
#[derive(Clone, Debug)]
pub struct Target {
    pub place: Place,
    pub root: Type,
    pub steps: Vec<TStep>,
}

/// A step of an assignment's target.
#[derive(Clone, Debug)]
pub enum TStep {
    /// An element of an array, at this index.
    Index(TExpr),
    /// A field of a record, by number.
    Field(usize),
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
    /// The record types the unit declares (`struct`), with their lines.
    pub records: Vec<(ObjTy, u32)>,
    /// The host structs the unit declares (`extern struct`), with lines.
    pub host_structs: Vec<(crate::mir::HostTy, u32)>,
    /// The `extern val`s the unit declares.
    pub extern_vals: Vec<crate::mir::ExternVal>,
}

#[derive(Clone, Debug)]
pub struct ExternFn {
    pub name: String,
    pub sig: Sig,
    pub line: u32,
}
