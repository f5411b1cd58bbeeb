//! Calls: to MIR functions and host functions by name (through their
//! table cells), through function pointers, and to runtime helpers.
//!
//! After a call that may fail, the context's error kind is checked: a MIR
//! callee that failed has recorded its error, so the caller just exits; a
//! host function that called `rt_raise_error` has not said where, so the
//! caller records its own function and line.

use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, Value, types};

use super::function::Translator;
use super::types::{c_signature, jit_signature};
use crate::abi::{self, ErrKind};
use crate::backend::lowering::{MirView, Op};
use crate::backend::{Callee, CodegenError};
use crate::mir::{self, Operand, Signature};

impl Translator<'_, '_> {
    pub(super) fn call(&mut self, i: Op<'_, &str>) -> Result<(), CodegenError> {
        let Op { dst, op: callee, args, line } = i;
        let target = self.callee(callee)?;
        let mut vals = Vec::with_capacity(args.len() + 1);
        let (cell, sigref) = match &target {
            Callee::Jit { table_cell, sig } => {
                vals.push(self.ctx);
                (*table_cell, self.b.import_signature(jit_signature(sig, self.call_conv)))
            }
            Callee::Host { table_cell, sig, with_data } => {
                let mut c_sig = c_signature(sig, self.call_conv);
                if *with_data {
                    c_sig.params.insert(0, AbiParam::new(types::I64));
                }
                (*table_cell, self.b.import_signature(c_sig))
            }
        };
        let host = matches!(target, Callee::Host { .. });
        for a in args {
            let v = self.operand(a);
            let text = host && self.ty_of(a) == mir::Ty::Text;
            vals.push(if text { self.c_string(v) } else { v });
        }
        let cell_addr = self.b.ins().iconst(types::I64, cell as i64);
        let mut code = self.b.ins().load(types::I64, MemFlagsData::trusted(), cell_addr, 0);
        if let Callee::Host { with_data: true, .. } = target {
            // The cell holds a binding (function, user data) that never
            // changes once made: the pair is read whole.
            let binding = code;
            let fixed = MemFlagsData::trusted().with_readonly();
            code = self.b.ins().load(types::I64, fixed, binding, 0);
            let user_data = self.b.ins().load(types::I64, fixed, binding, 8);
            vals.insert(0, user_data);
        }
        let result = if host && self.conditional_in_loop.get(self.block).copied().unwrap_or(false) {
            self.preserving_host_call(sigref, code, &vals)?
        } else {
            let call = self.b.ins().call_indirect(sigref, code, &vals);
            self.b.inst_results(call).first().copied()
        };
        match &target {
            Callee::Jit { .. } => {
                let failed = self.error_kind();
                let next = self.b.create_block();
                self.b.ins().brif(failed, self.propagate, &[], next, &[]);
                self.b.switch_to_block(next);
            }
            Callee::Host { .. } => self.check_helper(ErrKind::HostError, line),
        }
        let result = match (&target, result) {
            (Callee::Host { sig, .. }, Some(r)) if sig.ret == Some(mir::Ty::Text) => {
                Some(self.text_from_c_string(r, line))
            }
            (_, r) => r,
        };
        if let (Some(d), Some(r)) = (dst, result) {
            self.set(d, r);
        }
        Ok(())
    }

    /// A host call through the register-preserving stub of its signature
    /// (see `cold_call`): the loop's values stay in their registers.
    fn preserving_host_call(
        &mut self,
        sigref: ir::SigRef,
        code: Value,
        vals: &[Value],
    ) -> Result<Option<Value>, CodegenError> {
        let host = self.b.func.dfg.signatures[sigref].clone();
        let stub = super::cold_call::host_stub(&host)?;
        let stub_sig = self.b.import_signature(super::cold_call::host_signature(&host));
        let stub = self.b.ins().iconst(types::I64, stub as i64);
        let mut args = vec![self.ctx, code];
        args.extend_from_slice(vals);
        self.b.ins().call_indirect(stub_sig, stub, &args);
        Ok(host
            .returns
            .first()
            .map(|r| self.b.ins().load(r.value_type, MemFlagsData::trusted(), self.ctx, abi::CTX_COLD_RESULT)))
    }

    /// A borrowed text as the `const char *` a host function takes: its
    /// bytes, NUL-terminated where they are (`runtime::helpers::text`), or
    /// a static "" for NULL, the empty text.
    fn c_string(&mut self, text: Value) -> Value {
        let bytes = self.b.ins().iadd_imm_s(text, i64::from(abi::TEXT_BYTES));
        let empty = self.b.ins().iconst(types::I64, &raw const abi::EMPTY_C_STRING as i64);
        self.b.ins().select(text, bytes, empty)
    }

    /// A host function's `const char *` result as a new text (a copy).
    fn text_from_c_string(&mut self, s: Value, line: u32) -> Value {
        let params = [types::I64, types::I64];
        let t = self.call_helper(self.helpers.text.from_c_string, &params, types::I64, &[self.ctx, s]);
        self.check_recorded(line);
        t
    }

    pub(super) fn call_indirect(
        &mut self,
        dst: Option<mir::Local>,
        sig: &Signature,
        target: &Operand,
        args: &[Operand],
        line: u32,
    ) {
        let sigref = self.b.import_signature(c_signature(sig, self.call_conv));
        let code = self.operand(target);
        let vals: Vec<Value> = args.iter().map(|a| self.operand(a)).collect();
        let call = self.b.ins().call_indirect(sigref, code, &vals);
        let result = self.b.inst_results(call).first().copied();
        self.check_helper(ErrKind::HostError, line);
        if let (Some(d), Some(r)) = (dst, result) {
            self.set(d, r);
        }
    }

    /// Calls the runtime function at `addr`, a C function of the given
    /// parameter types returning `ret`.
    pub(super) fn call_helper(&mut self, addr: usize, params: &[ir::Type], ret: ir::Type, args: &[Value]) -> Value {
        let call = self.emit_helper_call(addr, params, Some(ret), args);
        self.b.inst_results(call)[0]
    }

    /// Calls the runtime function at `addr`, which returns nothing.
    pub(super) fn call_helper_void(&mut self, addr: usize, params: &[ir::Type], args: &[Value]) {
        self.emit_helper_call(addr, params, None, args);
    }

    fn emit_helper_call(
        &mut self,
        addr: usize,
        params: &[ir::Type],
        ret: Option<ir::Type>,
        args: &[Value],
    ) -> ir::Inst {
        let mut sig = ir::Signature::new(self.call_conv);
        // Narrow parameters are zero-extended, as Rust's `u8`/`u32` (and C's
        // `bool`) callers must: the helper may test the whole register.
        sig.params.extend(
            params
                .iter()
                .map(|t| if t.is_int() && t.bits() < 64 { AbiParam::new(*t).uext() } else { AbiParam::new(*t) }),
        );
        sig.returns.extend(ret.map(AbiParam::new));
        let sigref = self.b.import_signature(sig);
        let callee = self.b.ins().iconst(types::I64, addr as i64);
        self.b.ins().call_indirect(sigref, callee, args)
    }

    /// The context's error kind (0: no error).
    fn error_kind(&mut self) -> Value {
        self.b.ins().load(types::I32, MemFlagsData::trusted(), self.ctx, abi::CTX_ERR_KIND)
    }

    /// Fails with `kind` at `line` if a helper or host function recorded an
    /// error.
    pub(super) fn check_helper(&mut self, kind: ErrKind, line: u32) {
        let failed = self.error_kind();
        self.check(failed, kind, line);
    }
}
