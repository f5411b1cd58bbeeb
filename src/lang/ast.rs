//! The syntax tree of one compile unit, as the parser builds it (untyped).

use super::token::Pos;

#[derive(Clone, Debug)]
pub struct Unit {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub enum Item {
    Fn(FnDef),
    Extern(ExternDecl),
    Struct(StructDef),
    /// `extern struct Name:`: a host C struct (its fields' types are C's).
    ExternStruct(StructDef),
    /// `extern val name: T` or `extern val name: [T]`.
    ExternVal(ExternVal),
    Stmt(Stmt),
}

/// `extern val name: T`: host memory the host binds (`T` an extern struct,
/// or `[T]`).
#[derive(Clone, Debug)]
pub struct ExternVal {
    pub name: String,
    pub pos: Pos,
    pub ty: TypeExpr,
}

/// A type as written: a name (`f64`, `Point`), or `[T]`. The checker
/// resolves names (a record may be declared later in the unit).
#[derive(Clone, Debug, PartialEq)]
pub enum TypeExpr {
    Named(String, Pos),
    Array(Box<TypeExpr>),
    /// `{K: V}`: a map (the checker accepts `text` and `i64` keys).
    Map(Box<TypeExpr>, Box<TypeExpr>, Pos),
}

/// `struct Name:` and its fields, one `name: T` per line.
#[derive(Clone, Debug)]
pub struct StructDef {
    pub name: String,
    pub pos: Pos,
    pub fields: Vec<(String, TypeExpr, Pos)>,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    /// `None` when not written (`i64`).
    pub ty: Option<TypeExpr>,
    pub pos: Pos,
}

/// `fn name(x: T, ...) -> R`, as a definition and an extern declaration
/// both begin.
#[derive(Clone, Debug)]
pub struct FnHeader {
    pub name: String,
    pub pos: Pos,
    pub params: Vec<Param>,
    /// `None` when not written (inferred for a definition, void for an extern).
    pub ret: Option<TypeExpr>,
}

#[derive(Clone, Debug)]
pub struct FnDef {
    pub header: FnHeader,
    pub body: Vec<Stmt>,
}

/// `extern fn name(x: i64) -> i64`: a host function the unit calls.
#[derive(Clone, Debug)]
pub struct ExternDecl {
    pub header: FnHeader,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum StmtKind {
    /// `val name[: T] = value` (mutable: false) or `var ...` (mutable: true)
    Let {
        mutable: bool,
        name: String,
        ty: Option<TypeExpr>,
        value: Expr,
    },
    /// `name = value`, or `name op= value` when `op` is set.
    Assign {
        name: String,
        op: Option<BinOp>,
        value: Expr,
    },
    If {
        branches: Vec<(Expr, Vec<Stmt>)>,
        else_body: Option<Vec<Stmt>>,
    },
    While {
        cond: Expr,
        body: Vec<Stmt>,
    },
    For {
        var: String,
        start: Expr,
        end: Expr,
        inclusive: bool,
        body: Vec<Stmt>,
    },
    /// `for var in array:`.
    ForEach {
        var: String,
        iter: Expr,
        body: Vec<Stmt>,
    },
    /// `name[i].x[j] = value` (any chain of elements and fields of a
    /// variable), or `... op= value`.
    PathAssign {
        name: String,
        steps: Vec<PathStep>,
        op: Option<BinOp>,
        value: Expr,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    Expr(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `k in m`: whether the map has the key.
    In,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Pow => "^",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::In => "in",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Name(String),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// `[a, b, c]` (`[]` needs a declared type).
    List(Vec<Expr>),
    /// `{k: v, ...}` (`{}` needs a declared type).
    MapLit(Vec<(Expr, Expr)>),
    /// `base[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `base[start..end]` or `base[start..=end]`.
    Slice {
        base: Box<Expr>,
        start: Box<Expr>,
        end: Box<Expr>,
        inclusive: bool,
    },
    /// `base.name`: a record's field.
    Field(Box<Expr>, String),
    /// `Name(a: x, b: y)`: a record, every field by name.
    Record {
        name: String,
        fields: Vec<(String, Pos, Expr)>,
    },
    /// `recv.name(args)`: `xs.push(x)`, `xs.pop()`.
    Method {
        recv: Box<Expr>,
        name: String,
        args: Vec<Expr>,
    },
}

/// One step of an assignment's target: an element or a field.
#[derive(Clone, Debug)]
pub enum PathStep {
    Index(Expr),
    Field(String, Pos),
}

impl Expr {
    /// `name[i].x...` as its variable and steps (a copy), when this is a
    /// chain of elements and fields of a variable.
    pub fn as_path(&self) -> Option<(String, Vec<PathStep>)> {
        let mut steps = Vec::new();
        let mut e = self;
        loop {
            match &e.kind {
                ExprKind::Index(base, index) => {
                    steps.push(PathStep::Index((**index).clone()));
                    e = base;
                }
                ExprKind::Field(base, field) => {
                    steps.push(PathStep::Field(field.clone(), e.pos));
                    e = base;
                }
                ExprKind::Name(name) => {
                    steps.reverse();
                    return Some((name.clone(), steps));
                }
                _ => return None,
            }
        }
    }
}
