//! The MIR data structures: typed functions made of basic blocks over
//! mutable, typed locals (not SSA: codegen builds SSA form).
//!
//! Both front ends produce this: the source language's lowering and (with
//! its text form) host compilers. Instructions carry the source line they
//! came from, which runtime error messages report.

use std::fmt;

/// A MIR value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    I8,
    I16,
    I32,
    I64,
    F32,
    F64,
    /// Pointer-sized integer.
    Ptr,
    /// `true`/`false`, stored as one byte holding 0 or 1.
    Bool,
    /// Immutable UTF-8 text, reference-counted by the runtime. A text local
    /// owns its value: codegen adds and drops references on assignment and
    /// at function exit, so MIR never manages them explicitly.
    Text,
}

impl Ty {
    pub fn is_int(self) -> bool {
        matches!(self, Ty::I8 | Ty::I16 | Ty::I32 | Ty::I64 | Ty::Ptr)
    }

    pub fn is_float(self) -> bool {
        matches!(self, Ty::F32 | Ty::F64)
    }

    /// Width in bits.
    pub fn bits(self) -> u32 {
        match self {
            Ty::Bool | Ty::I8 => 8,
            Ty::I16 => 16,
            Ty::I32 | Ty::F32 => 32,
            Ty::I64 | Ty::F64 | Ty::Ptr | Ty::Text => 64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Ty::I8 => "i8",
            Ty::I16 => "i16",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
            Ty::Ptr => "ptr",
            Ty::Bool => "bool",
            Ty::Text => "text",
        }
    }

    pub fn from_name(name: &str) -> Option<Ty> {
        Some(match name {
            "i8" => Ty::I8,
            "i16" => Ty::I16,
            "i32" => Ty::I32,
            "i64" => Ty::I64,
            "f32" => Ty::F32,
            "f64" => Ty::F64,
            "ptr" => Ty::Ptr,
            "bool" => Ty::Bool,
            "text" => Ty::Text,
            _ => return None,
        })
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A function type: `fn(i64, f64) -> f64`, `fn() -> void`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Signature {
    pub params: Vec<Ty>,
    pub ret: Option<Ty>,
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("fn(")?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(p.name())?;
        }
        match self.ret {
            Some(t) => write!(f, ") -> {t}"),
            None => f.write_str(") -> void"),
        }
    }
}

impl UnOp {
    /// The instruction's name in MIR text.
    pub fn mnemonic(self) -> &'static str {
        match self {
            UnOp::Neg => "neg",
            UnOp::Not => "not",
            UnOp::Abs => "abs",
            UnOp::Sqrt => "sqrt",
            UnOp::Floor => "floor",
            UnOp::Ceil => "ceil",
            UnOp::Trunc => "trunc",
            UnOp::Len => "len",
        }
    }
}

impl BinOp {
    /// The instruction's name in MIR text.
    pub fn mnemonic(self) -> &'static str {
        match self {
            BinOp::Add => "add",
            BinOp::Sub => "sub",
            BinOp::Mul => "mul",
            BinOp::Div => "div",
            BinOp::Rem => "rem",
            BinOp::UDiv => "udiv",
            BinOp::URem => "urem",
            BinOp::Pow => "pow",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::Xor => "xor",
            BinOp::Shl => "shl",
            BinOp::Shr => "shr",
            BinOp::UShr => "ushr",
            BinOp::Min => "min",
            BinOp::Max => "max",
        }
    }
}

impl CmpOp {
    /// The instruction's name in MIR text.
    pub fn mnemonic(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::ULt => "ult",
            CmpOp::ULe => "ule",
            CmpOp::UGt => "ugt",
            CmpOp::UGe => "uge",
        }
    }
}

impl ConvOp {
    /// The instruction's name in MIR text.
    pub fn mnemonic(self) -> &'static str {
        match self {
            ConvOp::Sext => "sext",
            ConvOp::Zext => "zext",
            ConvOp::Trunc => "reduce",
            ConvOp::SIntToFloat => "sitof",
            ConvOp::UIntToFloat => "uitof",
            ConvOp::FloatToSInt => "ftosi",
            ConvOp::FloatToUInt => "ftoui",
            ConvOp::FPromote => "fpromote",
            ConvOp::FDemote => "fdemote",
            ConvOp::Bitcast => "bitcast",
            ConvOp::ToText => "str",
            ConvOp::Parse => "parse",
        }
    }
}

impl Signature {
    /// Parses `fn(i64, f64, ptr) -> i64` (`-> void` for no result), the
    /// form `Display` prints. Whitespace is free.
    pub fn parse(text: &str) -> Result<Signature, String> {
        let expected = "expected a signature like `fn(i64, f64, ptr) -> i64` or `fn() -> void`";
        let rest = text.trim().strip_prefix("fn").ok_or_else(|| format!("{expected}: missing `fn`"))?;
        let rest = rest.trim_start().strip_prefix('(').ok_or_else(|| format!("{expected}: missing '('"))?;
        let close = rest.find(')').ok_or_else(|| format!("{expected}: missing ')'"))?;
        let (inside, after) = (&rest[..close], &rest[close + 1..]);
        let mut params = Vec::new();
        if !inside.trim().is_empty() {
            for word in inside.split(',') {
                let w = word.trim();
                params.push(Ty::from_name(w).ok_or_else(|| format!("unknown type `{w}` in the signature"))?);
            }
        }
        let ret = after.trim().strip_prefix("->").ok_or_else(|| format!("{expected}: missing `->`"))?.trim();
        let ret = match ret {
            "void" => None,
            w => Some(Ty::from_name(w).ok_or_else(|| format!("unknown result type `{w}` in the signature"))?),
        };
        Ok(Signature { params, ret })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Local(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Const {
    /// An integer of the given integer type (or `Bool`, 0/1); the value is
    /// truncated to the type's width.
    Int(i64, Ty),
    F32(f32),
    F64(f64),
}

impl Const {
    pub fn ty(self) -> Ty {
        match self {
            Const::Int(_, t) => t,
            Const::F32(_) => Ty::F32,
            Const::F64(_) => Ty::F64,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    Local(Local),
    Const(Const),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// Integer (wrapping) or float negation.
    Neg,
    /// Boolean not, or bitwise not of an integer.
    Not,
    /// Absolute value (integers wrap: `abs(MIN) == MIN`).
    Abs,
    Sqrt,
    Floor,
    Ceil,
    /// Round toward zero (floats).
    Trunc,
    /// Length of a text in bytes (the result is i64).
    Len,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// Also concatenates two texts.
    Add,
    Sub,
    Mul,
    /// Signed integer division (checked: zero is a runtime error, `MIN / -1`
    /// wraps) or float division.
    Div,
    /// Signed remainder with the dividend's sign (checked like `Div`; `% -1`
    /// is 0), or float remainder (`fmod`).
    Rem,
    UDiv,
    URem,
    /// Integer power (checked: a negative exponent is a runtime error;
    /// wraps on overflow) or float `pow`.
    Pow,
    And,
    Or,
    Xor,
    Shl,
    /// Arithmetic shift right.
    Shr,
    /// Logical shift right.
    UShr,
    Min,
    Max,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    /// Signed (integers) or ordered (floats) comparisons.
    Lt,
    Le,
    Gt,
    Ge,
    ULt,
    ULe,
    UGt,
    UGe,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvOp {
    /// Sign-extend to a wider integer.
    Sext,
    /// Zero-extend to a wider integer (also bool to integer).
    Zext,
    /// Keep the low bits (narrower integer).
    Trunc,
    /// Signed integer to float.
    SIntToFloat,
    UIntToFloat,
    /// Float to signed integer, toward zero, saturating at the target
    /// type's range; NaN gives 0.
    FloatToSInt,
    FloatToUInt,
    FPromote,
    FDemote,
    /// Reinterpret the bits (same width).
    Bitcast,
    /// Any integer, float or bool as text (`str`).
    ToText,
    /// Text to i64 or f64 (`int`, `float`): a text that is not a number is
    /// a runtime error.
    Parse,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InstKind {
    Copy {
        dst: Local,
        src: Operand,
    },
    Unary {
        dst: Local,
        op: UnOp,
        src: Operand,
    },
    Binary {
        dst: Local,
        op: BinOp,
        a: Operand,
        b: Operand,
    },
    Cmp {
        dst: Local,
        op: CmpOp,
        a: Operand,
        b: Operand,
    },
    Convert {
        dst: Local,
        op: ConvOp,
        src: Operand,
    },
    Select {
        dst: Local,
        cond: Operand,
        a: Operand,
        b: Operand,
    },
    /// Call a function by name: a MIR function (this module or the
    /// manager) or a host function the module declares `extern`.
    Call {
        dst: Option<Local>,
        callee: String,
        args: Vec<Operand>,
    },
    /// Call a C-ABI function pointer with the given signature (no text).
    CallIndirect {
        dst: Option<Local>,
        sig: Signature,
        target: Operand,
        args: Vec<Operand>,
    },
    /// Load a value of `dst`'s type from `ptr + offset` (unchecked, like C).
    Load {
        dst: Local,
        ptr: Operand,
        offset: i32,
    },
    /// Store `src` at `ptr + offset` (unchecked, like C).
    Store {
        ptr: Operand,
        offset: i32,
        src: Operand,
    },
    /// The address of one of the function's stack slots.
    SlotAddr {
        dst: Local,
        slot: u32,
    },
    GlobalGet {
        dst: Local,
        name: String,
    },
    GlobalSet {
        name: String,
        src: Operand,
    },
    /// A text literal.
    TextConst {
        dst: Local,
        value: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inst {
    pub kind: InstKind,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Terminator {
    Jump(BlockId),
    Branch {
        cond: Operand,
        then_block: BlockId,
        else_block: BlockId,
    },
    /// Multi-way branch on an integer: the first case equal to the value, or
    /// `default`.
    Switch {
        value: Operand,
        cases: Vec<(i64, BlockId)>,
        default: BlockId,
    },
    Return(Option<Operand>),
}

impl Terminator {
    /// The blocks control may go to next.
    pub fn successors(&self) -> Vec<BlockId> {
        match self {
            Terminator::Jump(b) => vec![*b],
            Terminator::Branch { then_block, else_block, .. } => vec![*then_block, *else_block],
            Terminator::Switch { cases, default, .. } => {
                cases.iter().map(|(_, b)| *b).chain(std::iter::once(*default)).collect()
            }
            Terminator::Return(_) => vec![],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub label: String,
    pub insts: Vec<Inst>,
    pub term: Terminator,
    pub term_line: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LocalDecl {
    pub name: String,
    pub ty: Ty,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    pub sig: Signature,
    /// The first `sig.params.len()` locals are the parameters, in order.
    pub locals: Vec<LocalDecl>,
    /// Stack memory whose address the function can take (small arrays).
    pub slots: Vec<StackSlot>,
    /// The first block is the entry.
    pub blocks: Vec<Block>,
    pub line: u32,
}

/// `size` bytes of the function's frame, aligned to `align` (a power of
/// two up to 16); zeroed on entry.
#[derive(Clone, Debug, PartialEq)]
pub struct StackSlot {
    pub name: String,
    pub size: u32,
    pub align: u32,
}

/// A host function a module calls (registered with the manager).
#[derive(Clone, Debug, PartialEq)]
pub struct ExternDecl {
    pub name: String,
    pub sig: Signature,
    pub line: u32,
}

/// A global variable a module declares; it lives in the manager.
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalDecl {
    pub name: String,
    pub ty: Ty,
    pub mutable: bool,
    pub line: u32,
}

/// One compile unit.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Module {
    pub functions: Vec<Function>,
    /// Top-level code, run once after the unit is installed; its return
    /// value is the unit's value (`eval`).
    pub init: Option<Function>,
    pub globals: Vec<GlobalDecl>,
    pub externs: Vec<ExternDecl>,
}

impl Function {
    pub fn local_ty(&self, l: Local) -> Option<Ty> {
        self.locals.get(l.0 as usize).map(|d| d.ty)
    }

    pub fn operand_ty(&self, op: &Operand) -> Option<Ty> {
        match op {
            Operand::Local(l) => self.local_ty(*l),
            Operand::Const(c) => Some(c.ty()),
        }
    }
}
