//! Host data to MIR: a binding's address is `xaddr` (checked there), a
//! field is an `xget`/`xset` of its C type, narrowed or widened to the
//! language's `i64`/`f64`/`bool` with a conversion; a function checks a
//! host reference it is given once, on entry (`xcheck`).

use super::{Lower, Lowered, value_ty};
use crate::lang::typed::*;
use crate::mir::{BinOp, CType, Const, ConvOp, HostOp, HostTy, InstKind, Local, Operand, Ty};

impl Lower {
    /// An expression of one of the host forms.
    pub(super) fn host_expr(&mut self, e: &TExpr) -> Lowered<Operand> {
        let line = e.line;
        let host = |op, name: &str, args| {
            let name = name.to_string();
            move |dst| InstKind::Host { dst: Some(dst), op, name, args }
        };
        Ok(match &e.kind {
            TExprKind::HostVal(name) => self.emit_temp(Ty::Ptr, line, host(HostOp::Addr, name, vec![])),
            TExprKind::HostElem(name, index) => {
                let i = self.expr(index)?;
                self.emit_temp(Ty::Ptr, line, host(HostOp::Addr, name, vec![i]))
            }
            TExprKind::HostLen(name) => self.emit_temp(Ty::I64, line, host(HostOp::Len, name, vec![])),
            TExprKind::HostBase(name) => self.emit_temp(Ty::Ptr, line, host(HostOp::Addr, name, vec![])),
            TExprKind::HostAt(base, index) => {
                let Type::Host(h) = base.ty else { return Err(format!("an element of {} at line {line}", base.ty)) };
                let (b, i) = (self.expr(base)?, self.expr(index)?);
                let i = self.emit_temp(Ty::Ptr, line, |dst| InstKind::Convert { dst, op: ConvOp::Bitcast, src: i });
                let size = Operand::Const(Const::Int(i64::from(h.size()), Ty::Ptr));
                let offset =
                    self.emit_temp(Ty::Ptr, line, |dst| InstKind::Binary { dst, op: BinOp::Mul, a: i, b: size });
                self.emit_temp(Ty::Ptr, line, |dst| InstKind::Binary { dst, op: BinOp::Add, a: b, b: offset })
            }
            TExprKind::HostField(base, k) => {
                let (h, p) = self.host_base(base)?;
                let f = &h.fields()[*k];
                let raw = self.temp(f.ty.mir_ty());
                let args = vec![p, field_number(*k)];
                self.emit(InstKind::Host { dst: Some(raw), op: HostOp::Get, name: h.name().to_string(), args }, line);
                match widen(f.ty) {
                    None => Operand::Local(raw),
                    Some(op) => {
                        let to = value_ty(e.ty, line)?;
                        self.emit_temp(to, line, |dst| InstKind::Convert { dst, op, src: Operand::Local(raw) })
                    }
                }
            }
            TExprKind::HostArray(name) => return Err(format!("the extern array `{name}` as a value at line {line}")),
            _ => return Err(format!("not a host expression at line {line}")),
        })
    }

    /// `base.k = value` in the host's memory.
    pub(super) fn set_host_field(&mut self, base: &TExpr, k: usize, value: &TExpr, line: u32) -> Lowered<()> {
        let (h, p) = self.host_base(base)?;
        let f = &h.fields()[k];
        let v = self.expr(value)?;
        let v = match narrow(f.ty) {
            None => v,
            Some(op) => self.emit_temp(f.ty.mir_ty(), line, |dst| InstKind::Convert { dst, op, src: v }),
        };
        let args = vec![p, field_number(k), v];
        self.emit(InstKind::Host { dst: None, op: HostOp::Set, name: h.name().to_string(), args }, line);
        Ok(())
    }

    /// Refuses a NULL host reference a caller passed for a parameter.
    pub(super) fn check_host_params(&mut self, f: &TFunction) {
        for (i, t) in f.sig.params.iter().enumerate() {
            if let Type::Host(h) = t {
                let args = vec![Operand::Local(Local(i as u32))];
                self.emit(InstKind::Host { dst: None, op: HostOp::Check, name: h.name().to_string(), args }, f.line);
            }
        }
    }

    fn host_base(&mut self, base: &TExpr) -> Lowered<(HostTy, Operand)> {
        let Type::Host(h) = base.ty else { return Err(format!("a field of {} as host memory", base.ty)) };
        Ok((h, self.expr(base)?))
    }
}

/// A field's number as `xget`/`xset` take it (below `MAX_HOST_FIELDS`).
fn field_number(k: usize) -> Operand {
    Operand::Const(Const::Int(k as i64, Ty::I64))
}

/// The conversion from a field's C type to the language's type.
fn widen(c: CType) -> Option<ConvOp> {
    match c {
        CType::I8 | CType::I16 | CType::I32 => Some(ConvOp::Sext),
        CType::U8 | CType::U16 | CType::U32 => Some(ConvOp::Zext),
        CType::F32 => Some(ConvOp::FPromote),
        CType::I64 | CType::F64 | CType::Bool => None,
    }
}

/// The conversion from the language's type to a field's C type: integers
/// keep their low bits (wrap), `f64` rounds to `f32`.
fn narrow(c: CType) -> Option<ConvOp> {
    match c {
        CType::I8 | CType::I16 | CType::I32 | CType::U8 | CType::U16 | CType::U32 => Some(ConvOp::Reduce),
        CType::F32 => Some(ConvOp::FDemote),
        CType::I64 | CType::F64 | CType::Bool => None,
    }
}
