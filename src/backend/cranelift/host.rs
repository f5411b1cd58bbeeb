//! Host data: `xaddr`, `xlen` and `xcheck`. A binding is two words in a
//! cell the runtime owns (the address the host bound, 0 while unbound,
//! and the element count); JIT code loads them at each access, so a
//! rebinding between calls (or by a host function during one) is seen at
//! once. `xget`/`xset` are a load or store at a field's offset.

use cranelift_codegen::ir::{BlockArg, InstBuilder, Value, condcodes::IntCC, types};

use super::function::Translator;
use super::types::clif_type;
use crate::abi::{self, ErrKind};
use crate::backend::CodegenError;
use crate::backend::lowering::{FieldRw, HostAccess, MirView, Op};
use crate::mir::HostOp;

const I64: types::Type = types::I64;

impl Translator<'_, '_> {
    pub(super) fn host(&mut self, i: Op<'_, HostOp>, name: &str) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let (dst, cell, len, index) = match self.host_access(dst, op, name, args)? {
            HostAccess::Check { ptr } => {
                let p = self.operand(ptr);
                return self.fail_if_null(p, ErrKind::NullHost, name, line);
            }
            HostAccess::Field { ty, k, field, offset, ptr, rw } => {
                let flags = self.regions.host_field(self.b.func, ty, k);
                let p = self.operand(ptr);
                match rw {
                    FieldRw::Load(d) => {
                        let v = self.b.ins().load(clif_type(field.ty.mir_ty()), flags, p, offset);
                        self.set(d, v);
                    }
                    FieldRw::Store(value) => {
                        let v = self.operand(value);
                        self.b.ins().store(flags, v, p, offset);
                    }
                }
                return Ok(());
            }
            HostAccess::Binding { dst, cell, len, index } => (dst, cell, len, index),
        };
        let flags = self.regions.binding();
        let at = self.b.ins().iconst(I64, cell.addr as i64);
        let base = self.b.ins().load(I64, flags, at, abi::BINDING_ADDR);
        self.fail_if_null(base, ErrKind::Unbound, name, line)?;
        let result = match (len, index) {
            (true, _) => self.b.ins().load(I64, flags, at, abi::BINDING_COUNT),
            (false, None) => base,
            (false, Some(index)) => {
                let i = self.operand(index);
                let count = self.b.ins().load(I64, flags, at, abi::BINDING_COUNT);
                self.check_index(i, count, line);
                let offset = self.b.ins().imul_imm_s(i, i64::from(cell.elem_size));
                self.b.ins().iadd(base, offset)
            }
        };
        self.set(dst, result);
        Ok(())
    }

    /// Goes to the error exit with `kind` and the text `name` as its
    /// detail when `p` is 0.
    fn fail_if_null(&mut self, p: Value, kind: ErrKind, name: &str, line: u32) -> Result<(), CodegenError> {
        let text = self.name_text(name)?;
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        let ok = self.b.create_block();
        self.b.ins().brif(p, ok, &[], fail, &[]);
        self.b.switch_to_block(fail);
        let k = self.b.ins().iconst(I64, kind as i64);
        let t = self.b.ins().iconst(I64, text as i64);
        let helper = self.helpers.extern_error;
        self.cold_call(helper, &[k, t]);
        self.jump_to_error_exit(kind, line);
        self.b.switch_to_block(ok);
        Ok(())
    }

    /// `index out of range` unless `0 <= i < count`.
    fn check_index(&mut self, i: Value, count: Value, line: u32) {
        let outside = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, i, count);
        let fail = self.b.create_block();
        self.b.set_cold_block(fail);
        let inside = self.b.create_block();
        self.b.ins().brif(outside, fail, &[], inside, &[]);
        self.b.switch_to_block(fail);
        let index_error = self.helpers.array.index_error;
        self.cold_call(index_error, &[i, count]);
        self.jump_to_error_exit(ErrKind::IndexOutOfRange, line);
        self.b.switch_to_block(inside);
    }

    /// Ends the current block with a jump to the error exit, which records
    /// `kind` at `line` (a helper may have recorded its detail first).
    pub(super) fn jump_to_error_exit(&mut self, kind: ErrKind, line: u32) {
        let kind = self.b.ins().iconst(types::I32, kind as i64);
        let l = self.b.ins().iconst(types::I32, i64::from(line as i32));
        let err = self.err_block();
        self.b.ins().jump(err, &[BlockArg::Value(kind), BlockArg::Value(l)]);
    }
}
