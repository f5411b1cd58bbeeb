//! Entry trampolines: `fn(ctx, args: *const u64, result: *mut u64)`, one per
//! function, so the runtime can call any signature without per-call codegen.

use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, types};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

use super::types::clif_type;
use crate::mir::{Signature, Ty};

pub(super) fn signature(call_conv: CallConv) -> ir::Signature {
    let mut s = ir::Signature::new(call_conv);
    s.params.extend([AbiParam::new(types::I64); 3]);
    s
}

pub(super) fn translate(
    func: &mut ir::Function,
    fbc: &mut FunctionBuilderContext,
    sig: &Signature,
    callee: ir::FuncRef,
    isa: &dyn TargetIsa,
) {
    let mut b = FunctionBuilder::new(func, fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let (ctx, args, result) = {
        let p = b.block_params(entry);
        (p[0], p[1], p[2])
    };
    let flags = MemFlagsData::trusted();
    let mut vals = vec![ctx];
    for (i, t) in sig.params.iter().enumerate() {
        let off = (i * 8) as i32;
        let v = match t {
            Ty::F64 | Ty::F32 | Ty::I64 | Ty::Ptr | Ty::Text | Ty::Obj(_) => {
                b.ins().load(clif_type(*t), flags, args, off)
            }
            Ty::Bool => {
                let raw = b.ins().load(types::I64, flags, args, off);
                b.ins().icmp_imm_s(ir::condcodes::IntCC::NotEqual, raw, 0)
            }
            Ty::I8 | Ty::I16 | Ty::I32 => {
                let raw = b.ins().load(types::I64, flags, args, off);
                b.ins().ireduce(clif_type(*t), raw)
            }
        };
        vals.push(v);
    }
    let call = b.ins().call(callee, &vals);
    if let Some(t) = sig.ret {
        let r = b.inst_results(call)[0];
        let stored = match t {
            Ty::F64 | Ty::F32 | Ty::I64 | Ty::Ptr | Ty::Text | Ty::Obj(_) => r,
            Ty::Bool => b.ins().uextend(types::I64, r),
            Ty::I8 | Ty::I16 | Ty::I32 => b.ins().sextend(types::I64, r),
        };
        b.ins().store(flags, stored, result, 0);
    }
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
}
