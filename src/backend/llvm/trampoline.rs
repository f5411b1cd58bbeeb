//! Entry trampolines: `fn(ctx, args: *const u64, result: *mut u64)`, one
//! per function, so the runtime calls any signature without per-call
//! code (`abi::Trampoline`): the same words as Cranelift's trampolines
//! read and write.

use inkwell::AddressSpace;
use inkwell::IntPredicate;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::values::{BasicMetadataValueEnum, FunctionValue};

use super::function::llvm_type;
use super::target::Host;
use crate::backend::CodegenError;
use crate::mir::{Signature, Ty};

pub(super) fn build<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    name: &str,
    callee: FunctionValue<'ctx>,
    sig: &Signature,
    host: &Host,
) -> Result<(), CodegenError> {
    let i64t = cx.i64_type();
    let ptr = cx.ptr_type(AddressSpace::default());
    let func = module.add_function(name, cx.void_type().fn_type(&[i64t.into(), ptr.into(), ptr.into()], false), None);
    host.mark(cx, func);
    let b = cx.create_builder();
    b.position_at_end(cx.append_basic_block(func, "entry"));
    let missing = || CodegenError::Invariant { function: name.into(), message: "a trampoline parameter".into() };
    let ctx = func.get_nth_param(0).ok_or_else(missing)?;
    let args = func.get_nth_param(1).ok_or_else(missing)?.into_pointer_value();
    let result = func.get_nth_param(2).ok_or_else(missing)?.into_pointer_value();
    let mut vals: Vec<BasicMetadataValueEnum<'ctx>> = vec![ctx.into()];
    for (i, t) in sig.params.iter().enumerate() {
        // SAFETY: an in-bounds offset into the caller's argument words
        // (one per parameter); the GEP itself reads nothing.
        let at = unsafe { b.build_in_bounds_gep(i64t, args, &[i64t.const_int(i as u64, false)], "")? };
        let v = match t {
            Ty::Bool => {
                let raw = b.build_load(i64t, at, "")?.into_int_value();
                let set = b.build_int_compare(IntPredicate::NE, raw, i64t.const_zero(), "")?;
                b.build_int_z_extend(set, cx.i8_type(), "")?.into()
            }
            Ty::I8 | Ty::I16 | Ty::I32 => {
                let raw = b.build_load(i64t, at, "")?.into_int_value();
                b.build_int_truncate(raw, llvm_type(cx, *t).into_int_type(), "")?.into()
            }
            _ => b.build_load(llvm_type(cx, *t), at, "")?,
        };
        vals.push(v.into());
    }
    let call = b.build_call(callee, &vals, "")?;
    if let (Some(t), Some(r)) = (sig.ret, call.try_as_basic_value().basic()) {
        let stored = match t {
            Ty::Bool => b.build_int_z_extend(r.into_int_value(), i64t, "")?.into(),
            Ty::I8 | Ty::I16 | Ty::I32 => b.build_int_s_extend(r.into_int_value(), i64t, "")?.into(),
            _ => r,
        };
        b.build_store(result, stored)?;
    }
    b.build_return(None)?;
    Ok(())
}
