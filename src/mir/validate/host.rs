//! The host-data rules: each host struct and `extern val` is declared once
//! per module (a redeclaration against an earlier unit is the runtime's
//! rule), and `xaddr`/`xlen`/`xcheck` name a binding or struct that exists
//! and have the operands its kind takes.

use super::{Check, Checker, Invalid, Loc, invalid};
use crate::mir::data::*;
use crate::mir::ops::HostOp;

impl<'a> Checker<'a> {
    pub(super) fn host_declarations(&mut self, module: &'a Module) -> Result<(), Invalid> {
        for (i, h) in module.host_structs.iter().enumerate() {
            if self.host_structs.insert(h.ty.name(), h.ty).is_some() {
                return Err(invalid(Loc::HostStruct(i), format!("extern struct `{}` is declared twice", h.ty.name())));
            }
        }
        for (i, v) in module.extern_vals.iter().enumerate() {
            if self.extern_vals.insert(&v.name, (v.ty, v.array)).is_some() {
                return Err(invalid(Loc::ExternVal(i), format!("extern val `{}` is declared twice", v.name)));
            }
        }
        Ok(())
    }

    fn extern_val(&self, name: &str) -> Option<(HostTy, bool)> {
        self.extern_vals.get(name).copied().or_else(|| self.env.extern_val(name))
    }

    fn host_struct(&self, name: &str) -> Result<HostTy, String> {
        self.host_structs
            .get(name)
            .copied()
            .or_else(|| self.env.host_struct(name))
            .ok_or_else(|| format!("undefined host struct `{name}`"))
    }

    pub(super) fn host(&self, f: &Function, dst: Option<Local>, op: HostOp, name: &str, args: &[Operand]) -> Check {
        let (result, operands) = match op {
            HostOp::Check => {
                self.host_struct(name)?;
                (None, vec![Ty::Ptr])
            }
            HostOp::Get | HostOp::Set => {
                let s = self.host_struct(name)?;
                let k = match args.get(1) {
                    Some(Operand::Const(Const::Int(k, _))) => *k,
                    _ => return Err(format!("{} names the field by its number, a constant", op.name())),
                };
                let field = s.field_at(k).ok_or_else(|| {
                    format!("{} of field {k} of `{name}`, which has {} field(s)", op.name(), s.fields().len())
                })?;
                let t = field.ty.mir_ty();
                if op == HostOp::Get { (Some(t), vec![Ty::Ptr, Ty::I64]) } else { (None, vec![Ty::Ptr, Ty::I64, t]) }
            }
            HostOp::Addr | HostOp::Len => {
                let (_, array) = self.extern_val(name).ok_or_else(|| format!("undefined extern val `{name}`"))?;
                match (op, array) {
                    (HostOp::Len, false) => return Err(format!("xlen needs an array binding; `{name}` is one struct")),
                    (HostOp::Len, true) => (Some(Ty::I64), vec![]),
                    // An array's base address, or element `i`'s.
                    (_, true) if args.is_empty() => (Some(Ty::Ptr), vec![]),
                    (_, true) => (Some(Ty::Ptr), vec![Ty::I64]),
                    (_, false) => (Some(Ty::Ptr), vec![]),
                }
            }
        };
        if args.len() != operands.len() {
            let what = if op == HostOp::Addr { format!(" for `{name}`") } else { String::new() };
            return Err(format!("{} takes {} operand(s){what}, found {}", op.name(), operands.len(), args.len()));
        }
        for (a, want) in args.iter().zip(&operands) {
            let t = self.operand(f, a)?;
            self.same(&format!("{} operand", op.name()), *want, t)?;
        }
        self.result(f, op.name(), dst, result)
    }
}
