//! Host data, as in `backend::cranelift::host`: `xaddr`, `xlen` and
//! `xcheck` load the binding's two words (address, 0 while unbound, and
//! element count) at each access, so a rebinding is seen at once;
//! `xget`/`xset` are a load or store at a field's offset.

use inkwell::IntPredicate;
use inkwell::values::{BasicValue, IntValue};

use super::function::{Translator, llvm_type};
use crate::abi::{self, ErrKind};
use crate::backend::CodegenError;
use crate::backend::lowering::{FieldRw, HostAccess, MirView, Op};
use crate::mir::HostOp;

impl<'ctx> Translator<'_, 'ctx> {
    pub(super) fn host(&self, i: Op<'_, HostOp>, name: &str) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let (dst, cell, len, index) = match self.host_access(dst, op, name, args)? {
            HostAccess::Check { ptr } => return self.fail_if_null(self.int(ptr)?, ErrKind::NullHost, name, line),
            HostAccess::Field { field, offset, ptr, rw, .. } => {
                // Unaligned: the host laid the struct out.
                let at = self.at(self.int(ptr)?, offset)?;
                return match rw {
                    FieldRw::Load(d) => {
                        let v = self.b.build_load(llvm_type(self.cx, field.ty.mir_ty()), at, "")?;
                        if let Some(i) = v.as_instruction_value() {
                            i.set_alignment(1).map_err(|e| self.invariant(e.to_string()))?;
                        }
                        self.set(d, v)
                    }
                    FieldRw::Store(value) => {
                        let st = self.b.build_store(at, self.operand(value)?)?;
                        st.set_alignment(1).map_err(|e| self.invariant(e.to_string()))
                    }
                };
            }
            HostAccess::Binding { dst, cell, len, index } => (dst, cell, len, index),
        };
        let at = self.i64(cell.addr as i64);
        // Loaded again after any call, which may have rebound it.
        let base = self.load_word(at, abi::BINDING_ADDR)?;
        self.fail_if_null(base, ErrKind::Unbound, name, line)?;
        let result = match (len, index) {
            (true, _) => self.load_word(at, abi::BINDING_COUNT)?,
            (false, None) => base,
            (false, Some(index)) => {
                let i = self.int(index)?;
                let count = self.load_word(at, abi::BINDING_COUNT)?;
                let (fail, inside) = (self.block("out_of_range"), self.block("in_range"));
                let outside = self.b.build_int_compare(IntPredicate::UGE, i, count, "")?;
                self.branch_cold(outside, fail, inside)?;
                self.b.position_at_end(fail);
                self.index_error(i, count, line)?;
                self.b.position_at_end(inside);
                let offset = self.b.build_int_mul(i, self.i64(i64::from(cell.elem_size)), "")?;
                self.b.build_int_add(base, offset, "")?
            }
        };
        self.set(dst, result)
    }

    /// Goes to the error exit with `kind` and the text `name` as its
    /// detail when `p` is 0.
    fn fail_if_null(&self, p: IntValue<'ctx>, kind: ErrKind, name: &str, line: u32) -> Result<(), CodegenError> {
        let text = self.name_text(name)?;
        let (fail, ok) = (self.block("null"), self.block("not_null"));
        let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
        self.branch_cold(is_null, fail, ok)?;
        self.b.position_at_end(fail);
        self.helper(self.helpers.extern_error, &[self.ctx, self.i64(kind as i64), self.i64(text as i64)], true)?;
        self.fail(kind, line)?;
        self.b.position_at_end(ok);
        Ok(())
    }
}
