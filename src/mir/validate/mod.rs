//! MIR validation: everything the backends rely on is checked here, so no
//! module reaches a code generator (or its verifier) with invalid IR.
//!
//! Errors say *where* as a [`Loc`] (function, block, instruction), which
//! the caller turns into a position: a line of the MIR text for MIR input,
//! or the source line for MIR lowered from source.

use std::collections::{HashMap, HashSet};

use super::data::*;
use super::ops::{BinOp, CmpOp, ConvOp, UnOp};

mod data;
mod host;

/// Largest total size of a function's stack slots, in bytes. Keeps every
/// frame well inside the stack reserve the prologue's stack check leaves.
pub const MAX_FRAME_SLOTS: u32 = 64 * 1024;

/// A function of a module: one of `functions`, or the init code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FnRef {
    Function(usize),
    Init,
}

/// Where in a module something is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loc {
    Global(usize),
    Extern(usize),
    HostStruct(usize),
    ExternVal(usize),
    Function(FnRef),
    Slot(FnRef, usize),
    /// A block's label.
    Block(FnRef, usize),
    Inst(FnRef, usize, usize),
    Term(FnRef, usize),
}

/// A validation error at a location of the module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub loc: Loc,
    pub message: String,
}

impl Module {
    pub fn function(&self, r: FnRef) -> Option<&Function> {
        match r {
            FnRef::Function(i) => self.functions.get(i),
            FnRef::Init => self.init.as_ref(),
        }
    }

    /// The line the module's own data gives for a location (the source line
    /// for MIR lowered from source).
    pub fn line_of(&self, loc: Loc) -> u32 {
        let f = |r| self.function(r);
        match loc {
            Loc::Global(i) => self.globals.get(i).map_or(0, |g| g.line),
            Loc::Extern(i) => self.externs.get(i).map_or(0, |e| e.line),
            Loc::HostStruct(i) => self.host_structs.get(i).map_or(0, |h| h.line),
            Loc::ExternVal(i) => self.extern_vals.get(i).map_or(0, |v| v.line),
            Loc::Function(r) | Loc::Slot(r, _) => f(r).map_or(0, |f| f.line),
            Loc::Inst(r, b, i) => f(r).and_then(|f| f.blocks.get(b)?.insts.get(i)).map_or(0, |i| i.line),
            Loc::Term(r, b) | Loc::Block(r, b) => f(r).and_then(|f| f.blocks.get(b)).map_or(0, |b| b.term_line),
        }
    }
}

/// What a module can refer to outside itself.
pub trait MirEnv {
    fn function(&self, name: &str) -> Option<Signature>;
    fn global(&self, name: &str) -> Option<Ty>;
    /// False for a global declared `val` (only the init code of a module
    /// that declares it may store to it).
    fn global_mutable(&self, _name: &str) -> bool {
        true
    }
    /// Whether [`MirEnv::host`] knows the registered host functions (a
    /// manager does; printing MIR without one does not).
    fn knows_hosts(&self) -> bool {
        false
    }
    /// The signature a host function is registered with.
    fn host(&self, _name: &str) -> Option<Signature> {
        None
    }
    /// A host struct an earlier unit declared (`extern struct`).
    fn host_struct(&self, _name: &str) -> Option<HostTy> {
        None
    }
    /// An `extern val` an earlier unit declared: its struct, and whether
    /// it is an array.
    fn extern_val(&self, _name: &str) -> Option<(HostTy, bool)> {
        None
    }
}

pub struct NoEnv;

impl MirEnv for NoEnv {
    fn function(&self, _: &str) -> Option<Signature> {
        None
    }
    fn global(&self, _: &str) -> Option<Ty> {
        None
    }
}

/// The rule for an `extern fn` declaration, for MIR and source alike: the
/// host function must be registered, with exactly the declared signature.
pub fn extern_error(name: &str, declared: &Signature, registered: Option<&Signature>) -> Option<String> {
    match registered {
        None => Some(format!(
            "`{name}` is not a registered host function \
             (register it with rt_exec_manager_register_function before compiling)"
        )),
        Some(r) if r != declared => Some(format!("extern `{name}` is declared {declared} but registered as {r}")),
        Some(_) => None,
    }
}

/// The message for a host function whose type has no C form.
pub fn host_type_error(name: &str) -> String {
    format!("host function `{name}` cannot take or return an array, a map or a record")
}

/// An operation's type rule: `ok`, or the error naming it and the type.
fn applies(ok: bool, op: &str, ty: Ty) -> Check {
    if ok { Ok(()) } else { Err(format!("{op} does not apply to {ty}")) }
}

fn invalid(loc: Loc, message: impl Into<String>) -> Invalid {
    Invalid { loc, message: message.into() }
}

pub fn validate(module: &Module, env: &dyn MirEnv) -> Result<(), Invalid> {
    let mut cx = Checker {
        sigs: HashMap::new(),
        globals: HashMap::new(),
        host_structs: HashMap::new(),
        extern_vals: HashMap::new(),
        env,
        init: false,
    };
    cx.declarations(module)?;
    cx.host_declarations(module)?;
    for (i, f) in module.functions.iter().enumerate() {
        cx.function(FnRef::Function(i), f)?;
    }
    cx.init = true;
    if let Some(f) = &module.init {
        if !f.sig.params.is_empty() {
            return Err(invalid(Loc::Function(FnRef::Init), "top-level code takes no parameters"));
        }
        cx.function(FnRef::Init, f)?;
    }
    if env.knows_hosts() {
        for (i, e) in module.externs.iter().enumerate() {
            if let Some(m) = extern_error(&e.name, &e.sig, env.host(&e.name).as_ref()) {
                return Err(invalid(Loc::Extern(i), m));
            }
        }
    }
    Ok(())
}

pub(super) struct Checker<'a> {
    /// Signatures of the module's functions and externs.
    sigs: HashMap<&'a str, &'a Signature>,
    /// The module's own globals: type and mutability.
    globals: HashMap<&'a str, (Ty, bool)>,
    /// The module's own host structs and `extern val`s.
    host_structs: HashMap<&'a str, HostTy>,
    extern_vals: HashMap<&'a str, (HostTy, bool)>,
    env: &'a dyn MirEnv,
    /// True while checking the module's init code.
    init: bool,
}

pub(super) type Check = Result<(), String>;

impl<'a> Checker<'a> {
    /// The module's names: each defined once, externs with C types.
    fn declarations(&mut self, module: &'a Module) -> Result<(), Invalid> {
        for (i, f) in module.functions.iter().enumerate() {
            let loc = Loc::Function(FnRef::Function(i));
            if f.name.is_empty() {
                return Err(invalid(loc, "a function needs a name"));
            }
            if self.sigs.insert(&f.name, &f.sig).is_some() {
                return Err(invalid(loc, format!("function `{}` is defined twice", f.name)));
            }
        }
        for (i, e) in module.externs.iter().enumerate() {
            let loc = Loc::Extern(i);
            if self.sigs.insert(&e.name, &e.sig).is_some() {
                return Err(invalid(loc, format!("`{}` is declared twice (as a function or extern)", e.name)));
            }
            if !e.sig.is_host_compatible() {
                return Err(invalid(loc, host_type_error(&e.name)));
            }
        }
        for (i, g) in module.globals.iter().enumerate() {
            if self.globals.insert(&g.name, (g.ty, g.mutable)).is_some() {
                return Err(invalid(Loc::Global(i), format!("global `{}` is declared twice", g.name)));
            }
        }
        Ok(())
    }

    fn function(&self, r: FnRef, f: &Function) -> Result<(), Invalid> {
        let at = Loc::Function(r);
        if f.locals.len() < f.sig.params.len() {
            return Err(invalid(at, format!("`{}` declares fewer locals than parameters", f.name)));
        }
        for (i, p) in f.sig.params.iter().enumerate() {
            if f.locals[i].ty != *p {
                return Err(invalid(
                    at,
                    format!("parameter {} of `{}` is {} but its local is {}", i + 1, f.name, p, f.locals[i].ty),
                ));
            }
        }
        self.slots(r, f)?;
        if let Ownership::Explicit { release_at_exit } = &f.ownership {
            for l in release_at_exit {
                if !f.local_ty(*l).is_some_and(Ty::is_managed) {
                    return Err(invalid(at, format!("%{} is released at exit but holds no managed value", l.0)));
                }
            }
        }
        if f.blocks.is_empty() {
            return Err(invalid(at, format!("`{}` has no blocks", f.name)));
        }
        let mut labels = HashSet::new();
        for (bi, b) in f.blocks.iter().enumerate() {
            if !b.label.is_empty() && !labels.insert(b.label.as_str()) {
                return Err(invalid(Loc::Block(r, bi), format!("label `{}` is defined twice", b.label)));
            }
        }
        for (bi, b) in f.blocks.iter().enumerate() {
            for (ii, inst) in b.insts.iter().enumerate() {
                self.inst(f, inst).map_err(|m| invalid(Loc::Inst(r, bi, ii), m))?;
            }
            self.term(f, b).map_err(|m| invalid(Loc::Term(r, bi), m))?;
        }
        Ok(())
    }

    fn slots(&self, r: FnRef, f: &Function) -> Result<(), Invalid> {
        let mut frame: u32 = 0;
        for (i, s) in f.slots.iter().enumerate() {
            let loc = Loc::Slot(r, i);
            if !(s.align.is_power_of_two() && s.align <= 16) {
                return Err(invalid(loc, format!("slot alignment {} is not 1, 2, 4, 8 or 16", s.align)));
            }
            frame = frame.saturating_add(s.size).saturating_add(s.align);
            if frame > MAX_FRAME_SLOTS {
                return Err(invalid(loc, format!("the stack slots of `{}` exceed {} bytes", f.name, MAX_FRAME_SLOTS)));
            }
        }
        Ok(())
    }

    pub(super) fn local(&self, f: &Function, l: Local) -> Result<Ty, String> {
        f.local_ty(l).ok_or_else(|| format!("undefined local %{}", l.0))
    }

    pub(super) fn operand(&self, f: &Function, op: &Operand) -> Result<Ty, String> {
        match op {
            Operand::Local(l) => self.local(f, *l),
            Operand::Const(c) => {
                if let Const::Int(_, t) = c {
                    if !(t.is_int() || *t == Ty::Bool) {
                        return Err(format!("an integer constant cannot have type {t}"));
                    }
                }
                Ok(c.ty())
            }
        }
    }

    pub(super) fn same(&self, what: &str, expected: Ty, found: Ty) -> Check {
        if expected != found {
            // Two records of one name differ in their fields: show them.
            let (e, f) = if expected.name() == found.name() {
                (expected.mir_name(), found.mir_name())
            } else {
                (expected.name(), found.name())
            };
            return Err(format!("{what}: expected {e}, found {f}"));
        }
        Ok(())
    }

    /// An instruction's destination against the result its operation has.
    pub(super) fn result(&self, f: &Function, op: &str, dst: Option<Local>, result: Option<Ty>) -> Check {
        match (dst, result) {
            (Some(d), Some(r)) => {
                let t = self.local(f, d)?;
                self.same(&format!("{op} result"), r, t)
            }
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!("{op} has no result")),
            (None, Some(_)) => Err(format!("{op} needs a result")),
        }
    }

    fn block(&self, f: &Function, id: BlockId) -> Check {
        if (id.0 as usize) < f.blocks.len() { Ok(()) } else { Err(format!("undefined block #{}", id.0)) }
    }

    fn inst(&self, f: &Function, inst: &Inst) -> Check {
        match &inst.kind {
            InstKind::Copy { dst, src } => {
                let d = self.local(f, *dst)?;
                let s = self.operand(f, src)?;
                self.same("copy", d, s)
            }
            InstKind::TextConst { dst, .. } => {
                let d = self.local(f, *dst)?;
                self.same("text literal", d, Ty::Text)
            }
            InstKind::Unary { dst, op, src } => self.unary(f, *dst, *op, src),
            InstKind::Binary { dst, op, a, b } => self.binary(f, *dst, *op, a, b),
            InstKind::Cmp { dst, op, a, b } => self.cmp(f, *dst, *op, a, b),
            InstKind::Convert { dst, op, src } => self.convert(f, *dst, *op, src),
            InstKind::Select { dst, cond, a, b } => {
                let c = self.operand(f, cond)?;
                self.same("select condition", Ty::Bool, c)?;
                let d = self.local(f, *dst)?;
                let ta = self.operand(f, a)?;
                let tb = self.operand(f, b)?;
                self.same("select operand", ta, tb)?;
                self.same("select result", d, ta)
            }
            InstKind::Call { dst, callee, args } => self.call(f, *dst, callee, args),
            InstKind::CallIndirect { dst, sig, target, args } => {
                let t = self.operand(f, target)?;
                self.same("call target", Ty::Ptr, t)?;
                if !sig.is_c_compatible() {
                    return Err("an indirect call cannot pass or return text".to_string());
                }
                self.args(f, "the function pointer", sig, args, *dst)
            }
            InstKind::Load { .. } | InstKind::Store { .. } | InstKind::SlotAddr { .. } => self.memory(f, &inst.kind),
            InstKind::GlobalGet { dst, name } => {
                let d = self.local(f, *dst)?;
                let g = self.global(name)?;
                self.same(&format!("global `{name}`"), g, d)
            }
            InstKind::GlobalSet { name, src } => self.global_set(f, name, src),
            InstKind::Data { dst, op, args } => self.data(f, *dst, *op, args),
            InstKind::Host { dst, op, name, args } => self.host(f, *dst, *op, name, args),
            InstKind::Checkpoint => Ok(()),
            InstKind::CountingSteps { dst } => {
                let d = self.local(f, *dst)?;
                self.same("counting_steps", Ty::Bool, d)
            }
            InstKind::Retain { value } | InstKind::Release { value } => {
                if f.ownership == Ownership::Implicit {
                    return Err("retain and release appear only once ownership is explicit".to_string());
                }
                let t = self.local(f, *value)?;
                if !t.is_managed() {
                    return Err(format!("retain or release of a {t}, which is not reference-counted"));
                }
                Ok(())
            }
        }
    }

    fn unary(&self, f: &Function, dst: Local, op: UnOp, src: &Operand) -> Check {
        let d = self.local(f, dst)?;
        let s = self.operand(f, src)?;
        if op == UnOp::Len {
            if !(s == Ty::Text || s.obj().is_some_and(|o| o.elem().is_some() || o.map_types().is_some())) {
                return Err(format!("len of a {} (expected text, an array or a map)", s.mir_name()));
            }
            return self.same("len result", Ty::I64, d);
        }
        self.same("unary operand", d, s)?;
        let ok = match op {
            UnOp::Neg | UnOp::Abs => s.is_int() || s.is_float(),
            UnOp::Not => s.is_int() || s == Ty::Bool,
            UnOp::Sqrt | UnOp::Floor | UnOp::Ceil | UnOp::Trunc => s.is_float(),
            UnOp::Len => false,
        };
        if !ok {
            return Err(format!("{} does not apply to {s}", op.name()));
        }
        Ok(())
    }

    /// The type two operands share.
    fn pair(&self, f: &Function, a: &Operand, b: &Operand) -> Result<Ty, String> {
        let ta = self.operand(f, a)?;
        let tb = self.operand(f, b)?;
        self.same("second operand", ta, tb)?;
        Ok(ta)
    }

    fn binary(&self, f: &Function, dst: Local, op: BinOp, a: &Operand, b: &Operand) -> Check {
        let d = self.local(f, dst)?;
        let ta = self.pair(f, a, b)?;
        self.same("result", d, ta)?;
        let ok = match op {
            BinOp::Add => ta.is_int() || ta.is_float() || ta == Ty::Text || ta.obj().and_then(|o| o.elem()).is_some(),
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem | BinOp::Pow | BinOp::Min | BinOp::Max => {
                ta.is_int() || ta.is_float()
            }
            BinOp::UDiv | BinOp::URem | BinOp::Shl | BinOp::Shr | BinOp::UShr => ta.is_int(),
            BinOp::And | BinOp::Or | BinOp::Xor => ta.is_int() || ta == Ty::Bool,
        };
        applies(ok, op.name(), ta)
    }

    fn cmp(&self, f: &Function, dst: Local, op: CmpOp, a: &Operand, b: &Operand) -> Check {
        let d = self.local(f, dst)?;
        self.same("comparison result", Ty::Bool, d)?;
        let ta = self.pair(f, a, b)?;
        let ok = match op {
            CmpOp::Eq | CmpOp::Ne => true,
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => ta.is_int() || ta.is_float() || ta == Ty::Text,
            CmpOp::ULt | CmpOp::ULe | CmpOp::UGt | CmpOp::UGe => ta.is_int() || ta == Ty::Bool,
        };
        applies(ok, op.name(), ta)
    }

    fn convert(&self, f: &Function, dst: Local, op: ConvOp, src: &Operand) -> Check {
        let d = self.local(f, dst)?;
        let s = self.operand(f, src)?;
        let int_or_bool = |t: Ty| t.is_int() || t == Ty::Bool;
        let ok = match op {
            // Widening only (bool zero-extends to any integer).
            ConvOp::Sext | ConvOp::Zext => {
                int_or_bool(s) && d.is_int() && (d.bits() > s.bits() || (s == Ty::Bool && op == ConvOp::Zext))
            }
            ConvOp::Reduce => s.is_int() && d.is_int() && d.bits() < s.bits(),
            ConvOp::SIntToFloat | ConvOp::UIntToFloat => s.is_int() && d.is_float(),
            ConvOp::FloatToSInt | ConvOp::FloatToUInt => s.is_float() && d.is_int(),
            ConvOp::FPromote => s == Ty::F32 && d == Ty::F64,
            ConvOp::FDemote => s == Ty::F64 && d == Ty::F32,
            ConvOp::Bitcast => {
                s.bits() == d.bits() && s != d && ![s, d].iter().any(|t| *t == Ty::Bool || t.is_managed())
            }
            // Any value but a text, which already is one.
            ConvOp::ToText => d == Ty::Text && s != Ty::Text,
            ConvOp::Parse => s == Ty::Text && matches!(d, Ty::I64 | Ty::F64),
        };
        if !ok {
            return Err(format!("cannot convert {s} to {d} with {}", op.name()));
        }
        Ok(())
    }

    fn call(&self, f: &Function, dst: Option<Local>, callee: &str, args: &[Operand]) -> Check {
        let sig = match self.sigs.get(callee) {
            Some(s) => (*s).clone(),
            None => self.env.function(callee).ok_or_else(|| format!("call to undefined function `{callee}`"))?,
        };
        self.args(f, callee, &sig, args, dst)
    }

    fn args(&self, f: &Function, callee: &str, sig: &Signature, args: &[Operand], dst: Option<Local>) -> Check {
        if sig.params.len() != args.len() {
            let n = sig.params.len();
            return Err(format!(
                "`{callee}` takes {n} argument{}, {} given",
                if n == 1 { "" } else { "s" },
                args.len()
            ));
        }
        for (i, (p, a)) in sig.params.iter().zip(args).enumerate() {
            let ta = self.operand(f, a)?;
            self.same(&format!("argument {} of `{callee}`", i + 1), *p, ta)?;
        }
        if let Some(d) = dst {
            let td = self.local(f, d)?;
            match sig.ret {
                Some(r) => self.same(&format!("result of `{callee}`"), td, r)?,
                None => return Err(format!("`{callee}` returns no value")),
            }
        }
        Ok(())
    }

    fn memory(&self, f: &Function, kind: &InstKind) -> Check {
        match kind {
            InstKind::Load { dst, ptr, .. } => {
                let p = self.operand(f, ptr)?;
                self.same("load address", Ty::Ptr, p)?;
                if self.local(f, *dst)?.is_managed() {
                    return Err("text cannot be loaded from memory (texts live in locals and globals)".to_string());
                }
                Ok(())
            }
            InstKind::Store { ptr, src, .. } => {
                let p = self.operand(f, ptr)?;
                self.same("store address", Ty::Ptr, p)?;
                if self.operand(f, src)?.is_managed() {
                    return Err("text cannot be stored to memory (texts live in locals and globals)".to_string());
                }
                Ok(())
            }
            InstKind::SlotAddr { dst, slot } => {
                if f.slots.get(*slot as usize).is_none() {
                    return Err(format!("undefined stack slot #{slot}"));
                }
                let d = self.local(f, *dst)?;
                self.same("slot address", Ty::Ptr, d)
            }
            _ => Ok(()),
        }
    }

    fn global_set(&self, f: &Function, name: &str, src: &Operand) -> Check {
        let s = self.operand(f, src)?;
        let g = self.global(name)?;
        self.same(&format!("global `{name}`"), g, s)?;
        let mutable = match self.globals.get(name) {
            Some((_, m)) => *m || self.init,
            None => self.env.global_mutable(name),
        };
        if !mutable {
            return Err(format!("global `{name}` is declared `val`: only its module's init code may store to it"));
        }
        Ok(())
    }

    fn global(&self, name: &str) -> Result<Ty, String> {
        self.globals
            .get(name)
            .map(|(t, _)| *t)
            .or_else(|| self.env.global(name))
            .ok_or_else(|| format!("undefined global `{name}`"))
    }

    fn term(&self, f: &Function, b: &Block) -> Check {
        match &b.term {
            Terminator::Jump(t) => self.block(f, *t),
            Terminator::Branch { cond, then_block, else_block } => {
                let c = self.operand(f, cond)?;
                self.same("branch condition", Ty::Bool, c)?;
                self.block(f, *then_block)?;
                self.block(f, *else_block)
            }
            Terminator::Switch { value, cases, default } => {
                let v = self.operand(f, value)?;
                if !v.is_int() {
                    return Err(format!("switch needs an integer, found {v}"));
                }
                // Cases are compared at the value's width: in an i8 switch,
                // 255 and -1 are the same case.
                let width = |k: i64| if v.bits() == 64 { k } else { k & ((1i64 << v.bits()) - 1) };
                let mut seen = HashMap::new();
                for (k, t) in cases {
                    if let Some(first) = seen.insert(width(*k), *k) {
                        return Err(format!("switch case {k} is the same {v} value as case {first}"));
                    }
                    self.block(f, *t)?;
                }
                self.block(f, *default)
            }
            Terminator::Return(value) => match (value, f.sig.ret) {
                (None, None) => Ok(()),
                (Some(v), Some(r)) => {
                    let t = self.operand(f, v)?;
                    self.same("returned value", r, t)
                }
                (None, Some(r)) => Err(format!("`{}` must return a {r}", f.name)),
                (Some(_), None) => Err(format!("`{}` returns no value", f.name)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn func(locals: Vec<Ty>, insts: Vec<InstKind>, term: Terminator, ret: Option<Ty>) -> Function {
        Function {
            name: "f".into(),
            sig: Signature { params: vec![], ret },
            locals: locals.into_iter().map(|ty| LocalDecl { name: String::new(), ty }).collect(),
            slots: vec![],
            blocks: vec![Block {
                label: "entry".into(),
                insts: insts.into_iter().map(|kind| Inst { kind, line: 7 }).collect(),
                term,
                term_line: 8,
            }],
            line: 1,
            ownership: Ownership::Implicit,
        }
    }

    fn check(f: Function) -> Result<(), Invalid> {
        validate(&Module { functions: vec![f], ..Default::default() }, &NoEnv)
    }

    #[test]
    fn accepts_a_well_typed_function() {
        let f = func(
            vec![Ty::I64, Ty::I64],
            vec![InstKind::Binary {
                dst: Local(1),
                op: BinOp::Add,
                a: Operand::Local(Local(0)),
                b: Operand::Const(Const::Int(1, Ty::I64)),
            }],
            Terminator::Return(Some(Operand::Local(Local(1)))),
            Some(Ty::I64),
        );
        check(f).unwrap();
    }

    #[test]
    fn rejects_type_mismatches_and_undefined_names() {
        let mixed = func(
            vec![Ty::I64],
            vec![InstKind::Binary {
                dst: Local(0),
                op: BinOp::Add,
                a: Operand::Local(Local(0)),
                b: Operand::Const(Const::F64(1.0)),
            }],
            Terminator::Return(None),
            None,
        );
        let e = check(mixed).unwrap_err();
        assert_eq!(e.loc, Loc::Inst(FnRef::Function(0), 0, 0));
        assert!(e.message.contains("expected i64, found f64"), "{e:?}");

        let undefined = func(vec![], vec![], Terminator::Jump(BlockId(3)), None);
        assert!(check(undefined).unwrap_err().message.contains("undefined block"));

        let call = func(
            vec![],
            vec![InstKind::Call { dst: None, callee: "nope".into(), args: vec![] }],
            Terminator::Return(None),
            None,
        );
        assert!(check(call).unwrap_err().message.contains("undefined function `nope`"));

        let bad_return = func(vec![], vec![], Terminator::Return(None), Some(Ty::F64));
        let e = check(bad_return).unwrap_err();
        assert_eq!(e.loc, Loc::Term(FnRef::Function(0), 0));
        assert!(e.message.contains("must return a f64"));
    }

    #[test]
    fn memory_and_slots() {
        let mut f = func(
            vec![Ty::Ptr, Ty::I32],
            vec![
                InstKind::SlotAddr { dst: Local(0), slot: 0 },
                InstKind::Store {
                    ptr: Operand::Local(Local(0)),
                    offset: 4,
                    src: Operand::Const(Const::Int(7, Ty::I32)),
                },
                InstKind::Load { dst: Local(1), ptr: Operand::Local(Local(0)), offset: 4 },
            ],
            Terminator::Return(None),
            None,
        );
        f.slots.push(StackSlot { name: "buf".into(), size: 16, align: 8 });
        check(f.clone()).unwrap();
        f.slots[0].size = MAX_FRAME_SLOTS + 1;
        assert!(check(f).unwrap_err().message.contains("exceed"));
    }
}
