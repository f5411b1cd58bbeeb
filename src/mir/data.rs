//! The MIR data structures: typed functions made of basic blocks over
//! mutable, typed locals (not SSA: codegen builds SSA form).
//!
//! Both front ends produce this: the source language's lowering and (with
//! its text form) host compilers. Instructions carry the source line they
//! came from, which runtime error messages report.

use std::fmt;

pub use super::host::{CType, ExternVal, HostField, HostStructDecl, HostTy};
use super::ops::{BinOp, CmpOp, ConvOp, DataOp, HostOp, UnOp};
pub use super::types::{ObjTy, Ty};

/// The name the top-level code of a unit has in MIR and in error messages.
pub const INIT_NAME: &str = "<top-level>";

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

impl Signature {
    /// True when every parameter and the result have a C type, as a host
    /// function or function pointer needs (a managed value has none).
    pub fn is_c_compatible(&self) -> bool {
        !self.params.iter().chain(self.ret.iter()).any(|t| t.is_managed())
    }

    /// True when a host function may have this signature: C types, and
    /// `text`, which it takes as a borrowed `const char *` and returns as
    /// a `const char *` the caller copies at once.
    pub fn is_host_compatible(&self) -> bool {
        !self.params.iter().chain(self.ret.iter()).any(|t| t.is_managed() && *t != Ty::Text)
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

    /// The value a local of type `t` starts with (not for managed types,
    /// whose empty value is not a constant).
    pub fn zero(t: Ty) -> Const {
        match t {
            Ty::F32 => Const::F32(0.0),
            Ty::F64 => Const::F64(0.0),
            other => Const::Int(0, other),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Operand {
    Local(Local),
    Const(Const),
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
    /// An operation on arrays, or `print` (see [`DataOp`]); its operands'
    /// types follow from the array's ([`data_shape`]).
    Data {
        dst: Option<Local>,
        op: DataOp,
        args: Vec<Operand>,
    },
    /// An operation on host memory bound to an `extern val` (see
    /// [`HostOp`]): `name` is the binding (for `xcheck`, the struct).
    Host {
        dst: Option<Local>,
        op: HostOp,
        name: String,
        args: Vec<Operand>,
    },
    /// Adds a reference to the managed value in `value`. Only in
    /// [`Ownership::Explicit`] functions.
    Retain {
        value: Local,
    },
    /// Drops a reference to the managed value in `value`. Only in
    /// [`Ownership::Explicit`] functions.
    Release {
        value: Local,
    },
    /// A point where the running call may be stopped (interruption, the
    /// time and step limits) and one step of the step limit; inserted at
    /// every function entry and loop back edge by `opt::checkpoints`.
    Checkpoint,
    /// `dst` (a bool) is true when the running call counts steps (it has a
    /// step limit): an unrolled function then runs its plain version, so
    /// steps are counted as at every other level.
    CountingSteps {
        dst: Local,
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
    pub ownership: Ownership,
}

/// How a function keeps the reference counts of its managed values.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Ownership {
    /// As front ends and MIR text write functions (docs/mir.md, "Text
    /// values"): every managed local owns its value, and each instruction
    /// implicitly adds and drops the references that keeps true. `retain`
    /// and `release` do not occur.
    #[default]
    Implicit,
    /// What backends compile (made by `ownership::make_explicit`): every
    /// instruction does only what it says (`copy` copies the bits),
    /// `retain`/`release` keep the counts, and at every exit (a return or
    /// a runtime error) the function drops one reference held by each of
    /// `release_at_exit`.
    Explicit { release_at_exit: Vec<Local> },
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
    /// The record types the unit names (the source language's `struct`s;
    /// MIR's `struct T` lines), so later source units can use the names.
    /// A record type needs no declaration to be used: its MIR text spells
    /// it out.
    pub records: Vec<RecordName>,
    /// The host structs the unit declares (`extern struct`), so later
    /// units and `rt_exec_manager_struct_layout` know them.
    pub host_structs: Vec<HostStructDecl>,
    /// The host memory the unit declares (`extern val`), which the host
    /// binds with `rt_exec_manager_bind_struct`.
    pub extern_vals: Vec<ExternVal>,
}

/// A record type a unit names, and the line naming it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordName {
    pub ty: ObjTy,
    pub line: u32,
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

/// The types of a data operation's operands and of its result.
#[derive(Clone, Debug, PartialEq)]
pub struct DataShape {
    pub args: Vec<Ty>,
    pub result: Option<Ty>,
}

/// The shape of `op` on objects of type `obj` (`None` when it does not
/// work on `obj`); `print` takes none. On a record, `aget`, `aset` and
/// `aput` and `atake` name the field by its number, a constant: `keys`
/// holds the constant value of each operand after the first, if it is one.
/// `aget` takes any number of keys (a path).
pub fn data_shape(op: DataOp, obj: Option<Ty>, keys: &[Option<i64>]) -> Option<DataShape> {
    let shape = |args: Vec<Ty>, result: Option<Ty>| Some(DataShape { args, result });
    if op == DataOp::Print {
        return shape(vec![Ty::Text], None);
    }
    let a = obj?;
    if op == DataOp::Get && keys.len() > 1 {
        return get_path(a, keys);
    }
    if op == DataOp::Set && keys.len() > 2 {
        return set_path(a, &keys[..keys.len() - 1]);
    }
    let field = keys.first().copied().flatten();
    let o = a.obj()?;
    if op == DataOp::Own {
        return shape(vec![a], None);
    }
    if let Some(fields) = o.fields() {
        let field_ty = || fields.get(usize::try_from(field?).ok()?).map(|f| f.ty);
        return match op {
            DataOp::Record => shape(fields.iter().map(|f| f.ty).collect(), Some(a)),
            DataOp::Get | DataOp::Take => shape(vec![a, Ty::I64], Some(field_ty()?)),
            DataOp::Set | DataOp::Put => shape(vec![a, Ty::I64, field_ty()?], None),
            _ => None,
        };
    }
    if let Some((k, v)) = o.map_types() {
        return match op {
            DataOp::New => shape(vec![Ty::I64], Some(a)),
            DataOp::Get | DataOp::Take => shape(vec![a, k], Some(v)),
            DataOp::Set | DataOp::Put => shape(vec![a, k, v], None),
            DataOp::Has => shape(vec![a, k], Some(Ty::Bool)),
            DataOp::Del => shape(vec![a, k], None),
            DataOp::Keys => shape(vec![a], Some(Ty::Obj(ObjTy::array(k)))),
            DataOp::Values => shape(vec![a], Some(Ty::Obj(ObjTy::array(v)))),
            _ => None,
        };
    }
    let elem = o.elem()?;
    match op {
        DataOp::New => shape(vec![Ty::I64], Some(a)),
        DataOp::Get | DataOp::Take => shape(vec![a, Ty::I64], Some(elem)),
        DataOp::Set | DataOp::Put => shape(vec![a, Ty::I64, elem], None),
        DataOp::Push => shape(vec![a, elem], None),
        DataOp::Pop => shape(vec![a], Some(elem)),
        DataOp::Slice => shape(vec![a, Ty::I64, Ty::I64], Some(a)),
        DataOp::Repeat => shape(vec![a, Ty::I64], Some(a)),
        DataOp::Record | DataOp::Has | DataOp::Del | DataOp::Keys | DataOp::Values | DataOp::Print | DataOp::Own => {
            None
        }
    }
}

/// `x = aget a, k1, k2, ...`: the part the keys reach one after another
/// (each an index, a field number or a map key), read without making the
/// parts on the way values of their own.
fn get_path(obj: Ty, keys: &[Option<i64>]) -> Option<DataShape> {
    let mut args = vec![obj];
    let mut cur = obj;
    for key in keys {
        let step = data_shape(DataOp::Get, Some(cur), std::slice::from_ref(key))?;
        args.push(step.args[1]);
        cur = step.result?;
    }
    Some(DataShape { args, result: Some(cur) })
}

/// `aset a, k1, ..., kn, v`: written in place through arrays and records
/// (a path through a map goes by `atake` and `aput`).
fn set_path(obj: Ty, keys: &[Option<i64>]) -> Option<DataShape> {
    let is_map = |t: Ty| t.obj().is_some_and(|o| o.map_types().is_some());
    let (last, inner) = keys.split_last()?;
    let mut args = vec![obj];
    let mut cur = obj;
    for key in inner {
        if is_map(cur) {
            return None;
        }
        let step = data_shape(DataOp::Get, Some(cur), std::slice::from_ref(key))?;
        args.push(step.args[1]);
        cur = step.result?;
    }
    if is_map(cur) {
        return None;
    }
    let step = data_shape(DataOp::Set, Some(cur), std::slice::from_ref(last))?;
    args.extend([step.args[1], step.args[2]]);
    Some(DataShape { args, result: None })
}

/// The object a data operation works on: its result's type for `anew` and
/// `rnew`, its first operand's otherwise.
pub fn data_object(op: DataOp, dst: Option<Ty>, first: Option<Ty>) -> Option<Ty> {
    match op {
        DataOp::New | DataOp::Record => dst,
        DataOp::Print => None,
        _ => first,
    }
}
