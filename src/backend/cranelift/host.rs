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
use crate::mir::{self, Const, HostOp, Operand};

const I64: types::Type = types::I64;

impl Translator<'_, '_> {
    pub(super) fn host(
        &mut self,
        dst: Option<mir::Local>,
        op: HostOp,
        name: &str,
        args: &[Operand],
        line: u32,
    ) -> Result<(), CodegenError> {
        match op {
            HostOp::Check => {
                let p =
                    args.first().map(|a| self.operand(a)).ok_or_else(|| self.invariant("xcheck without operand"))?;
                return self.fail_if_null(p, ErrKind::NullHost, name, line);
            }
            HostOp::Get | HostOp::Set => return self.host_field(dst, name, args),
            HostOp::Addr | HostOp::Len => {}
        }
        let cell = self.layout.extern_cell(name).ok_or_else(|| self.invariant(format!("no binding `{name}`")))?;
        let flags = self.regions.binding();
        let at = self.b.ins().iconst(I64, cell.addr as i64);
        let base = self.b.ins().load(I64, flags, at, abi::BINDING_ADDR);
        self.fail_if_null(base, ErrKind::Unbound, name, line)?;
        let result = match (op, args.first()) {
            (HostOp::Len, _) => self.b.ins().load(I64, flags, at, abi::BINDING_COUNT),
            (_, None) => base,
            (_, Some(index)) => {
                let i = self.operand(index);
                let count = self.b.ins().load(I64, flags, at, abi::BINDING_COUNT);
                self.check_index(i, count, line);
                let offset = self.b.ins().imul_imm_s(i, i64::from(cell.elem_size));
                self.b.ins().iadd(base, offset)
            }
        };
        let d = dst.ok_or_else(|| self.invariant(format!("{} without a result", op.name())))?;
        self.set(d, result);
        Ok(())
    }

    /// `xget S, p, K` and `xset S, p, K, v`: a load or store at the field's
    /// offset, in the field's alias region.
    fn host_field(&mut self, dst: Option<mir::Local>, name: &str, args: &[Operand]) -> Result<(), CodegenError> {
        let ty = self.layout.host_struct(name).ok_or_else(|| self.invariant(format!("no host struct `{name}`")))?;
        let (Some(p), Some(Operand::Const(Const::Int(k, _)))) = (args.first(), args.get(1)) else {
            return Err(self.invariant("a host field without its pointer and number"));
        };
        let field = ty.field_at(*k).ok_or_else(|| self.invariant(format!("no field {k} in `{name}`")))?;
        let k = usize::try_from(*k).unwrap_or(usize::MAX);
        let flags = self.regions.host_field(self.b.func, ty, k);
        let p = self.operand(p);
        let offset = i32::try_from(field.offset).map_err(|_| self.invariant("a host field offset past i32"))?;
        match (dst, args.get(2)) {
            (Some(d), None) => {
                let v = self.b.ins().load(clif_type(field.ty.mir_ty()), flags, p, offset);
                self.set(d, v);
            }
            (None, Some(value)) => {
                let v = self.operand(value);
                self.b.ins().store(flags, v, p, offset);
            }
            _ => return Err(self.invariant("xget without a result or xset without a value")),
        }
        Ok(())
    }

    /// Goes to the error exit with `kind` and the text `name` as its
    /// detail when `p` is 0.
    fn fail_if_null(&mut self, p: Value, kind: ErrKind, name: &str, line: u32) -> Result<(), CodegenError> {
        let text = self
            .layout
            .text_literal(name)
            .ok_or_else(|| CodegenError::OutOfMemory(format!("the name `{name}` for an error message")))?;
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
