//! Calls: to MIR functions and host functions by name (through their
//! table cells, so a redefinition reaches compiled callers), through
//! function pointers, and to runtime helpers (by address).
//!
//! After a MIR callee the context's error kind is checked and an error
//! passed on; after a host function (which may have called
//! `rt_raise_error`, not saying where) the caller records its own
//! function and line.

use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, CallSiteValue, IntValue};

use super::function::{Translator, fn_type, jit_fn_type, llvm_type};
use crate::abi::{self, ErrKind};
use crate::backend::lowering::{MirView, Op};
use crate::backend::{Callee, CodegenError};
use crate::mir::{self, Operand, Signature, Ty};

impl<'ctx> Translator<'_, 'ctx> {
    pub(super) fn call(&self, i: Op<'_, &str>) -> Result<(), CodegenError> {
        let Op { dst, op: callee, args, line } = i;
        let target = self.callee(callee)?;
        let (cell, sig, host) = match &target {
            Callee::Jit { table_cell, sig } => (*table_cell, sig, false),
            Callee::Host { table_cell, sig, .. } => (*table_cell, sig, true),
        };
        let mut vals: Vec<BasicMetadataValueEnum<'ctx>> = Vec::with_capacity(args.len() + 1);
        let mut code = self.load_word(self.i64(cell as i64), 0)?;
        let ty = match target {
            Callee::Jit { .. } => {
                vals.push(self.ctx.into());
                jit_fn_type(self.cx, sig)
            }
            Callee::Host { with_data, .. } => {
                let mut params = vec![];
                if with_data {
                    // The cell holds a binding (function, user data), which
                    // never changes once made.
                    let binding = code;
                    code = self.load_word(binding, 0)?;
                    vals.push(self.load_word(binding, 8)?.into());
                    params.push(self.cx.i64_type().into());
                }
                params.extend(sig.params.iter().map(|t| llvm_type(self.cx, *t)));
                fn_type(self.cx, &params, sig.ret.map(|t| llvm_type(self.cx, t)))
            }
        };
        let first_arg = vals.len();
        for a in args {
            let v = self.operand(a)?;
            let text = host && self.ty_of(a) == Ty::Text;
            vals.push(if text { self.c_string(v.into_int_value())?.into() } else { v.into() });
        }
        let call = self.b.build_indirect_call(ty, self.ptr(code)?, &vals, "")?;
        if host {
            self.extend_c_args(call, &sig.params, first_arg);
            self.check_helper(ErrKind::HostError, line)?;
        } else {
            self.propagate_if_failed()?;
        }
        let result = call.try_as_basic_value().basic();
        let result = match result {
            Some(r) if host && sig.ret == Some(Ty::Text) => {
                Some(self.text_from_c_string(r.into_int_value(), line)?.into())
            }
            r => r,
        };
        if let (Some(d), Some(r)) = (dst, result) {
            self.set(d, r)?;
        }
        Ok(())
    }

    /// Narrow arguments of a C function, extended as C compilers expect
    /// (clang relies on it): signed integers sign-extended, bools
    /// zero-extended.
    fn extend_c_args(&self, call: CallSiteValue<'ctx>, params: &[Ty], first: usize) {
        for (i, t) in params.iter().enumerate() {
            let kind = match t {
                Ty::I8 | Ty::I16 => "signext",
                Ty::Bool => "zeroext",
                _ => continue,
            };
            let attr = self.cx.create_enum_attribute(Attribute::get_named_enum_kind_id(kind), 0);
            call.add_attribute(AttributeLoc::Param((first + i) as u32), attr);
        }
    }

    /// A borrowed text as the `const char *` a host function takes: its
    /// bytes, NUL-terminated where they are, or a static "" for NULL (the
    /// empty text).
    fn c_string(&self, text: IntValue<'ctx>) -> Result<IntValue<'ctx>, CodegenError> {
        let bytes = self.b.build_int_add(text, self.i64(i64::from(abi::TEXT_BYTES)), "")?;
        let empty = self.i64(&raw const abi::EMPTY_C_STRING as i64);
        let is_null = self.b.build_int_compare(inkwell::IntPredicate::EQ, text, self.i64(0), "")?;
        Ok(self.b.build_select(is_null, empty, bytes, "")?.into_int_value())
    }

    /// A host function's `const char *` result as a new text (a copy).
    fn text_from_c_string(&self, s: IntValue<'ctx>, line: u32) -> Result<IntValue<'ctx>, CodegenError> {
        let i64t = self.cx.i64_type().into();
        let t =
            self.call_helper(self.helpers.text.from_c_string, &[i64t, i64t], Some(i64t), &[self.ctx.into(), s.into()])?;
        self.check_recorded(line)?;
        t.map(BasicValueEnum::into_int_value).ok_or_else(|| self.invariant("from_c_string returned nothing"))
    }

    pub(super) fn call_indirect(
        &self,
        dst: Option<mir::Local>,
        sig: &Signature,
        target: &Operand,
        args: &[Operand],
        line: u32,
    ) -> Result<(), CodegenError> {
        let params: Vec<BasicTypeEnum<'ctx>> = sig.params.iter().map(|t| llvm_type(self.cx, *t)).collect();
        let ty = fn_type(self.cx, &params, sig.ret.map(|t| llvm_type(self.cx, t)));
        let code = self.ptr(self.int(target)?)?;
        let vals = args.iter().map(|a| self.operand(a).map(Into::into)).collect::<Result<Vec<_>, _>>()?;
        let call = self.b.build_indirect_call(ty, code, &vals, "")?;
        self.extend_c_args(call, &sig.params, 0);
        self.check_helper(ErrKind::HostError, line)?;
        if let (Some(d), Some(r)) = (dst, call.try_as_basic_value().basic()) {
            self.set(d, r)?;
        }
        Ok(())
    }

    /// Calls the runtime function at `addr`, a C function of these
    /// parameter types returning `ret`. Narrow parameters are
    /// zero-extended, as Rust's `u8`/`u32` (and C's `bool`) callers must.
    pub(super) fn call_helper(
        &self,
        addr: usize,
        params: &[BasicTypeEnum<'ctx>],
        ret: Option<BasicTypeEnum<'ctx>>,
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> Result<Option<BasicValueEnum<'ctx>>, CodegenError> {
        let call =
            self.b.build_indirect_call(fn_type(self.cx, params, ret), self.ptr(self.i64(addr as i64))?, args, "")?;
        for (i, p) in params.iter().enumerate() {
            if matches!(p, BasicTypeEnum::IntType(t) if t.get_bit_width() < 64) {
                let attr = self.cx.create_enum_attribute(Attribute::get_named_enum_kind_id("zeroext"), 0);
                call.add_attribute(AttributeLoc::Param(i as u32), attr);
            }
        }
        Ok(call.try_as_basic_value().basic())
    }

    /// Fails with `kind` at `line` if a helper or host function recorded an
    /// error.
    pub(super) fn check_helper(&self, kind: ErrKind, line: u32) -> Result<(), CodegenError> {
        let failed = self.error_recorded()?;
        self.check(failed, kind, line)
    }

    /// Fails at `line` with the kind a helper recorded, if it recorded one.
    pub(super) fn check_recorded(&self, line: u32) -> Result<(), CodegenError> {
        let kind = self.ctx_load(abi::CTX_ERR_KIND, self.cx.i32_type().into())?.into_int_value();
        let failed = self.b.build_int_compare(inkwell::IntPredicate::NE, kind, self.i32(0), "")?;
        self.check_with(failed, kind, line)
    }
}
