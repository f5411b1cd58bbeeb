//! Managed values: `retain` and `release` (the ownership pass decided
//! where), globals (a managed global is read and written through its
//! type's helpers, which lock), and the operations on texts, all calls to
//! the runtime's helpers as in `backend::cranelift::managed`.

use inkwell::IntPredicate;
use inkwell::values::{BasicValueEnum, IntValue};

use super::function::{Translator, llvm_type};
use crate::abi::ErrKind;
use crate::backend::CodegenError;
use crate::backend::lowering::MirView;
use crate::mir::{self, CmpOp, Operand, Ty};

impl<'ctx> Translator<'_, 'ctx> {
    fn word(&self) -> inkwell::types::BasicTypeEnum<'ctx> {
        self.cx.i64_type().into()
    }

    pub(super) fn retain(&self, l: mir::Local) -> Result<(), CodegenError> {
        let h = self.managed(self.local_ty(l))?;
        let v = self.local(l)?;
        self.call_helper(h.retain, &[self.word()], None, &[v.into()])?;
        Ok(())
    }

    /// Drops a reference to `v`, a value of the managed type `ty`.
    pub(super) fn release_value(&self, ty: Ty, v: IntValue<'ctx>) -> Result<(), CodegenError> {
        let h = self.managed(ty)?;
        self.call_helper(h.release, &[self.word()], None, &[v.into()])?;
        Ok(())
    }

    fn global_cell(&self, name: &str) -> Result<(IntValue<'ctx>, Ty), CodegenError> {
        let (cell, ty) =
            self.layout.global_cell(name).ok_or_else(|| self.invariant(format!("unresolved global `{name}`")))?;
        Ok((self.i64(cell as i64), ty))
    }

    pub(super) fn global_get(&self, dst: mir::Local, name: &str) -> Result<(), CodegenError> {
        let (addr, ty) = self.global_cell(name)?;
        let v = if ty.is_managed() {
            // A new reference: the ownership pass counts a global read as one.
            let h = self.managed(ty)?;
            self.returned(self.call_helper(h.global_load, &[self.word()], Some(self.word()), &[addr.into()])?)?
        } else {
            self.b.build_load(llvm_type(self.cx, ty), self.ptr(addr)?, "")?
        };
        self.set(dst, v)
    }

    pub(super) fn global_set(&self, name: &str, src: &Operand) -> Result<(), CodegenError> {
        let (addr, ty) = self.global_cell(name)?;
        let v = self.operand(src)?;
        if ty.is_managed() {
            let h = self.managed(ty)?;
            self.call_helper(h.global_store, &[self.word(), self.word()], None, &[addr.into(), v.into()])?;
        } else {
            self.b.build_store(self.ptr(addr)?, v)?;
        }
        Ok(())
    }

    /// A helper's result, which it must have.
    fn returned(&self, v: Option<BasicValueEnum<'ctx>>) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        v.ok_or_else(|| self.invariant("a helper returned nothing"))
    }

    /// A new reference to `x + y`.
    pub(super) fn text_concat(
        &self,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
        line: u32,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let w = self.word();
        let v =
            self.call_helper(self.helpers.text.concat, &[w, w, w], Some(w), &[self.ctx.into(), x.into(), y.into()])?;
        self.check_helper(ErrKind::OutOfMemory, line)?;
        Ok(self.returned(v)?.into_int_value())
    }

    pub(super) fn text_len(&self, x: IntValue<'ctx>) -> Result<IntValue<'ctx>, CodegenError> {
        let w = self.word();
        Ok(self.returned(self.call_helper(self.helpers.text.length, &[w], Some(w), &[x.into()])?)?.into_int_value())
    }

    /// Text comparison (an i1): equality by `equal`, order by `compare`'s
    /// sign.
    pub(super) fn text_cmp(
        &self,
        op: CmpOp,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let t = self.helpers.text;
        let w = self.word();
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            let eq = self.call_helper(t.equal, &[w, w], Some(self.cx.i8_type().into()), &[x.into(), y.into()])?;
            let eq = self.returned(eq)?.into_int_value();
            let p = if op == CmpOp::Eq { IntPredicate::NE } else { IntPredicate::EQ };
            return Ok(self.b.build_int_compare(p, eq, self.cx.i8_type().const_zero(), "")?);
        }
        let p = match op {
            CmpOp::Lt => IntPredicate::SLT,
            CmpOp::Le => IntPredicate::SLE,
            CmpOp::Gt => IntPredicate::SGT,
            CmpOp::Ge => IntPredicate::SGE,
            other => return Err(self.invariant(format!("{} of texts", other.name()))),
        };
        let c = self.call_helper(t.compare, &[w, w], Some(self.cx.i32_type().into()), &[x.into(), y.into()])?;
        Ok(self.b.build_int_compare(p, self.returned(c)?.into_int_value(), self.i32(0), "")?)
    }

    /// A new reference to the text of a number or bool.
    pub(super) fn text_of(&self, from: Ty, x: BasicValueEnum<'ctx>, line: u32) -> Result<IntValue<'ctx>, CodegenError> {
        let t = self.helpers.text;
        let (helper, param, arg): (usize, inkwell::types::BasicTypeEnum<'ctx>, BasicValueEnum<'ctx>) = match from {
            Ty::Bool => (t.from_bool, self.cx.i8_type().into(), x),
            Ty::F64 => (t.from_f64, self.cx.f64_type().into(), x),
            Ty::F32 => (
                t.from_f64,
                self.cx.f64_type().into(),
                self.b.build_float_ext(x.into_float_value(), self.cx.f64_type(), "")?.into(),
            ),
            other if other.bits() < 64 => {
                (t.from_i64, self.word(), self.b.build_int_s_extend(x.into_int_value(), self.cx.i64_type(), "")?.into())
            }
            _ => (t.from_i64, self.word(), x),
        };
        let v = self.call_helper(helper, &[self.word(), param], Some(self.word()), &[self.ctx.into(), arg.into()])?;
        self.check_helper(ErrKind::OutOfMemory, line)?;
        Ok(self.returned(v)?.into_int_value())
    }

    /// `int(text)` or `float(text)`: a text that is not a number fails.
    pub(super) fn parse_number(
        &self,
        to: Ty,
        x: IntValue<'ctx>,
        line: u32,
    ) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let t = self.helpers.text;
        let (helper, ret) =
            if to == Ty::F64 { (t.parse_f64, self.cx.f64_type().into()) } else { (t.parse_i64, self.word()) };
        let v = self.call_helper(helper, &[self.word(), self.word()], Some(ret), &[self.ctx.into(), x.into()])?;
        self.check_helper(ErrKind::InvalidNumber, line)?;
        self.returned(v)
    }
}
