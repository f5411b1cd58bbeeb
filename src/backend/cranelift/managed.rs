//! Managed values: `retain` and `release` (the ownership pass decided
//! where), globals (a managed global is read and written through its
//! type's helpers, which lock), and the operations on texts.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};

use super::function::Translator;
use super::types::clif_type;
use crate::abi::ErrKind;
use crate::backend::CodegenError;
use crate::backend::lowering::MirView;
use crate::mir::{self, CmpOp, Operand, Ty};

impl Translator<'_, '_> {
    pub(super) fn retain(&mut self, l: mir::Local) -> Result<(), CodegenError> {
        let h = self.managed(self.local_ty(l))?;
        let v = self.local(l);
        self.call_helper_void(h.retain, &[types::I64], &[v]);
        Ok(())
    }

    pub(super) fn release(&mut self, l: mir::Local) -> Result<(), CodegenError> {
        let v = self.local(l);
        self.release_value(self.local_ty(l), v)
    }

    /// Drops a reference to `v`, a value of the managed type `ty`.
    pub(super) fn release_value(&mut self, ty: Ty, v: Value) -> Result<(), CodegenError> {
        let h = self.managed(ty)?;
        self.call_helper_void(h.release, &[types::I64], &[v]);
        Ok(())
    }

    /// The address of a global's cell, as a value, and its type.
    fn global_cell(&mut self, name: &str) -> Result<(Value, Ty), CodegenError> {
        let (cell, ty) =
            self.layout.global_cell(name).ok_or_else(|| self.invariant(format!("unresolved global `{name}`")))?;
        Ok((self.b.ins().iconst(types::I64, cell as i64), ty))
    }

    pub(super) fn global_get(&mut self, dst: mir::Local, name: &str) -> Result<(), CodegenError> {
        let (addr, ty) = self.global_cell(name)?;
        let v = if ty.is_managed() {
            let h = self.managed(ty)?;
            // A new reference: the ownership pass counts a global read as one.
            self.call_helper(h.global_load, &[types::I64], types::I64, &[addr])
        } else {
            self.b.ins().load(clif_type(ty), MemFlagsData::trusted(), addr, 0)
        };
        self.set(dst, v);
        Ok(())
    }

    pub(super) fn global_set(&mut self, name: &str, src: &Operand) -> Result<(), CodegenError> {
        let (addr, ty) = self.global_cell(name)?;
        let v = self.operand(src);
        if ty.is_managed() {
            let h = self.managed(ty)?;
            self.call_helper_void(h.global_store, &[types::I64, types::I64], &[addr, v]);
        } else {
            self.b.ins().store(MemFlagsData::trusted(), v, addr, 0);
        }
        Ok(())
    }

    /// A new reference to `x + y`.
    pub(super) fn text_concat(&mut self, x: Value, y: Value, line: u32) -> Value {
        let concat = self.helpers.text.concat;
        let v = self.call_helper(concat, &[types::I64, types::I64, types::I64], types::I64, &[self.ctx, x, y]);
        self.check_helper(ErrKind::OutOfMemory, line);
        v
    }

    pub(super) fn text_len(&mut self, x: Value) -> Value {
        let length = self.helpers.text.length;
        self.call_helper(length, &[types::I64], types::I64, &[x])
    }

    /// Text comparison: equality by `equal`, order by `compare`'s sign.
    pub(super) fn text_cmp(&mut self, op: CmpOp, x: Value, y: Value) -> Result<Value, CodegenError> {
        let t = self.helpers.text;
        let pair = [types::I64, types::I64];
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            let eq = self.call_helper(t.equal, &pair, types::I8, &[x, y]);
            return Ok(if op == CmpOp::Eq { eq } else { self.b.ins().bxor_imm_u(eq, 1) });
        }
        let cc = match op {
            CmpOp::Lt => IntCC::SignedLessThan,
            CmpOp::Le => IntCC::SignedLessThanOrEqual,
            CmpOp::Gt => IntCC::SignedGreaterThan,
            CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
            other => return Err(self.invariant(format!("{} of texts", other.name()))),
        };
        let c = self.call_helper(t.compare, &pair, types::I32, &[x, y]);
        Ok(self.b.ins().icmp_imm_s(cc, c, 0))
    }

    /// A new reference to the text of a number or bool.
    pub(super) fn text_of(&mut self, from: Ty, x: Value, line: u32) -> Value {
        let t = self.helpers.text;
        let (helper, param, arg) = match from {
            Ty::Bool => (t.from_bool, types::I8, x),
            Ty::F64 => (t.from_f64, types::F64, x),
            Ty::F32 => (t.from_f64, types::F64, self.b.ins().fpromote(types::F64, x)),
            other if other.bits() < 64 => (t.from_i64, types::I64, self.b.ins().sextend(types::I64, x)),
            _ => (t.from_i64, types::I64, x),
        };
        let v = self.call_helper(helper, &[types::I64, param], types::I64, &[self.ctx, arg]);
        self.check_helper(ErrKind::OutOfMemory, line);
        v
    }

    /// `int(text)` or `float(text)`: a text that is not a number fails.
    pub(super) fn parse_number(&mut self, to: Ty, x: Value, line: u32) -> Value {
        let t = self.helpers.text;
        let (helper, ret) = if to == Ty::F64 { (t.parse_f64, types::F64) } else { (t.parse_i64, types::I64) };
        let v = self.call_helper(helper, &[types::I64, types::I64], ret, &[self.ctx, x]);
        self.check_helper(ErrKind::InvalidNumber, line);
        v
    }
}
