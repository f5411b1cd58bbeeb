//! MIR validation: everything codegen relies on is checked here, so no
//! module reaches Cranelift (or its verifier) with invalid IR.

use std::collections::{HashMap, HashSet};
use std::fmt;

use super::data::*;

/// A validation (or, with the text form, parse) error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MirError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl MirError {
    pub fn new(line: u32, message: impl Into<String>) -> Self {
        MirError { line, col: 1, message: message.into() }
    }

    pub fn render(&self, input: &str) -> String {
        format!("{input}:{}:{}: {}", self.line, self.col, self.message)
    }
}

impl fmt::Display for MirError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("<mir>"))
    }
}

impl std::error::Error for MirError {}

/// What a module can refer to outside itself.
pub trait MirEnv {
    fn function(&self, name: &str) -> Option<Signature>;
    fn global(&self, name: &str) -> Option<Ty>;
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

pub fn validate(module: &Module, env: &dyn MirEnv) -> Result<(), MirError> {
    let mut sigs: HashMap<&str, &Signature> = HashMap::new();
    for f in &module.functions {
        if f.name.is_empty() {
            return Err(MirError::new(f.line, "a function needs a name"));
        }
        if sigs.insert(&f.name, &f.sig).is_some() {
            return Err(MirError::new(f.line, format!("function `{}` is defined twice", f.name)));
        }
    }
    let mut globals: HashMap<&str, Ty> = HashMap::new();
    for g in &module.globals {
        if globals.insert(&g.name, g.ty).is_some() {
            return Err(MirError::new(0, format!("global `{}` is declared twice", g.name)));
        }
    }
    let cx = Cx { sigs, globals, env };
    for f in module.functions.iter().chain(module.init.iter()) {
        cx.function(f)?;
    }
    Ok(())
}

struct Cx<'a> {
    sigs: HashMap<&'a str, &'a Signature>,
    globals: HashMap<&'a str, Ty>,
    env: &'a dyn MirEnv,
}

impl Cx<'_> {
    fn function(&self, f: &Function) -> Result<(), MirError> {
        if f.locals.len() < f.sig.params.len() {
            return Err(MirError::new(f.line, format!("`{}` declares fewer locals than parameters", f.name)));
        }
        for (i, p) in f.sig.params.iter().enumerate() {
            if f.locals[i].ty != *p {
                return Err(MirError::new(
                    f.line,
                    format!("parameter {} of `{}` is {} but its local is {}", i + 1, f.name, p, f.locals[i].ty),
                ));
            }
        }
        if f.blocks.is_empty() {
            return Err(MirError::new(f.line, format!("`{}` has no blocks", f.name)));
        }
        let mut labels = HashSet::new();
        for b in &f.blocks {
            if !b.label.is_empty() && !labels.insert(b.label.as_str()) {
                return Err(MirError::new(b.term_line, format!("label `{}` is defined twice", b.label)));
            }
        }
        for b in &f.blocks {
            for inst in &b.insts {
                self.inst(f, inst).map_err(|m| MirError::new(inst.line, m))?;
            }
            self.term(f, b).map_err(|m| MirError::new(b.term_line, m))?;
        }
        Ok(())
    }

    fn local(&self, f: &Function, l: Local) -> Result<Ty, String> {
        f.local_ty(l).ok_or_else(|| format!("undefined local %{}", l.0))
    }

    fn operand(&self, f: &Function, op: &Operand) -> Result<Ty, String> {
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

    fn same(&self, what: &str, a: Ty, b: Ty) -> Result<(), String> {
        if a != b {
            return Err(format!("{what}: expected {a}, found {b}"));
        }
        Ok(())
    }

    fn block(&self, f: &Function, id: BlockId) -> Result<(), String> {
        if (id.0 as usize) < f.blocks.len() { Ok(()) } else { Err(format!("undefined block #{}", id.0)) }
    }

    fn inst(&self, f: &Function, inst: &Inst) -> Result<(), String> {
        match &inst.kind {
            InstKind::Copy { dst, src } => {
                let d = self.local(f, *dst)?;
                let s = self.operand(f, src)?;
                self.same("copy", d, s)
            }
            InstKind::Unary { dst, op: UnOp::Len, src } => {
                let d = self.local(f, *dst)?;
                let s = self.operand(f, src)?;
                self.same("len operand", Ty::Text, s)?;
                self.same("len result", Ty::I64, d)
            }
            InstKind::TextConst { dst, .. } => {
                let d = self.local(f, *dst)?;
                self.same("text literal", d, Ty::Text)
            }
            InstKind::Unary { dst, op, src } => {
                let d = self.local(f, *dst)?;
                let s = self.operand(f, src)?;
                self.same("unary operand", d, s)?;
                let ok = match op {
                    UnOp::Neg | UnOp::Abs => s.is_int() || s.is_float(),
                    UnOp::Not => s.is_int() || s == Ty::Bool,
                    UnOp::Sqrt | UnOp::Floor | UnOp::Ceil | UnOp::Trunc => s.is_float(),
                    UnOp::Len => false,
                };
                if !ok {
                    return Err(format!("{op:?} does not apply to {s}").to_lowercase());
                }
                Ok(())
            }
            InstKind::Binary { dst, op, a, b } => {
                let d = self.local(f, *dst)?;
                let ta = self.operand(f, a)?;
                let tb = self.operand(f, b)?;
                self.same("second operand", ta, tb)?;
                self.same("result", d, ta)?;
                let ok = match op {
                    BinOp::Add => ta.is_int() || ta.is_float() || ta == Ty::Text,
                    BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem | BinOp::Pow | BinOp::Min | BinOp::Max => {
                        ta.is_int() || ta.is_float()
                    }
                    BinOp::UDiv | BinOp::URem | BinOp::Shl | BinOp::Shr | BinOp::UShr => ta.is_int(),
                    BinOp::And | BinOp::Or | BinOp::Xor => ta.is_int() || ta == Ty::Bool,
                };
                if !ok {
                    return Err(format!("{} does not apply to {ta}", format!("{op:?}").to_lowercase()));
                }
                Ok(())
            }
            InstKind::Cmp { dst, op, a, b } => {
                let d = self.local(f, *dst)?;
                self.same("comparison result", Ty::Bool, d)?;
                let ta = self.operand(f, a)?;
                let tb = self.operand(f, b)?;
                self.same("second operand", ta, tb)?;
                let ok = match op {
                    CmpOp::Eq | CmpOp::Ne => true,
                    CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => ta.is_int() || ta.is_float() || ta == Ty::Text,
                    CmpOp::ULt | CmpOp::ULe | CmpOp::UGt | CmpOp::UGe => ta.is_int() || ta == Ty::Bool,
                };
                if !ok {
                    return Err(format!("{} does not apply to {ta}", format!("{op:?}").to_lowercase()));
                }
                Ok(())
            }
            InstKind::Convert { dst, op, src } => {
                let d = self.local(f, *dst)?;
                let s = self.operand(f, src)?;
                let int_or_bool = |t: Ty| t.is_int() || t == Ty::Bool;
                let ok = match op {
                    ConvOp::Sext | ConvOp::Zext => int_or_bool(s) && d.is_int() && d.bits() >= s.bits() && d != s,
                    ConvOp::Trunc => s.is_int() && (d.is_int() || d == Ty::Bool) && d.bits() <= s.bits() && d != s,
                    ConvOp::SIntToFloat | ConvOp::UIntToFloat => s.is_int() && d.is_float(),
                    ConvOp::FloatToSInt | ConvOp::FloatToUInt => s.is_float() && d.is_int(),
                    ConvOp::FPromote => s == Ty::F32 && d == Ty::F64,
                    ConvOp::FDemote => s == Ty::F64 && d == Ty::F32,
                    ConvOp::Bitcast => {
                        s.bits() == d.bits() && s != d && ![s, d].iter().any(|t| matches!(t, Ty::Bool | Ty::Text))
                    }
                    ConvOp::ToText => d == Ty::Text && (s.is_int() || s.is_float() || s == Ty::Bool),
                    ConvOp::Parse => s == Ty::Text && matches!(d, Ty::I64 | Ty::F64),
                };
                if !ok {
                    return Err(format!("cannot convert {s} to {d} with {}", format!("{op:?}").to_lowercase()));
                }
                Ok(())
            }
            InstKind::Select { dst, cond, a, b } => {
                let c = self.operand(f, cond)?;
                self.same("select condition", Ty::Bool, c)?;
                let d = self.local(f, *dst)?;
                let ta = self.operand(f, a)?;
                let tb = self.operand(f, b)?;
                self.same("select operand", ta, tb)?;
                self.same("select result", d, ta)
            }
            InstKind::Call { dst, callee, args } => {
                let sig = match self.sigs.get(callee.as_str()) {
                    Some(s) => (*s).clone(),
                    None => {
                        self.env.function(callee).ok_or_else(|| format!("call to undefined function `{callee}`"))?
                    }
                };
                if sig.params.len() != args.len() {
                    return Err(format!("`{callee}` takes {} arguments, {} given", sig.params.len(), args.len()));
                }
                for (i, (p, a)) in sig.params.iter().zip(args).enumerate() {
                    let ta = self.operand(f, a)?;
                    self.same(&format!("argument {} of `{callee}`", i + 1), *p, ta)?;
                }
                if let Some(d) = dst {
                    let td = self.local(f, *d)?;
                    match sig.ret {
                        Some(r) => self.same(&format!("result of `{callee}`"), td, r)?,
                        None => return Err(format!("`{callee}` returns no value")),
                    }
                }
                Ok(())
            }
            InstKind::GlobalGet { dst, name } => {
                let d = self.local(f, *dst)?;
                let g = self.global(name)?;
                self.same(&format!("global `{name}`"), g, d)
            }
            InstKind::GlobalSet { name, src } => {
                let s = self.operand(f, src)?;
                let g = self.global(name)?;
                self.same(&format!("global `{name}`"), g, s)
            }
        }
    }

    fn global(&self, name: &str) -> Result<Ty, String> {
        self.globals
            .get(name)
            .copied()
            .or_else(|| self.env.global(name))
            .ok_or_else(|| format!("undefined global `{name}`"))
    }

    fn term(&self, f: &Function, b: &Block) -> Result<(), String> {
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
                let mut seen = HashSet::new();
                for (k, t) in cases {
                    if !seen.insert(*k) {
                        return Err(format!("switch case {k} appears twice"));
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
            blocks: vec![Block {
                label: "entry".into(),
                insts: insts.into_iter().map(|kind| Inst { kind, line: 7 }).collect(),
                term,
                term_line: 8,
            }],
            line: 1,
        }
    }

    fn check(f: Function) -> Result<(), MirError> {
        validate(&Module { functions: vec![f], init: None, globals: vec![] }, &NoEnv)
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
        assert_eq!(e.line, 7);
        assert!(e.message.contains("expected i64, found f64"), "{e}");

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
        assert!(check(bad_return).unwrap_err().message.contains("must return a f64"));
    }
}
