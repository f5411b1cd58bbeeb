//! MIR types and signatures as Cranelift sees them.

use cranelift_codegen::ir::{self, AbiParam};
use cranelift_codegen::isa::CallConv;

use crate::mir::{Signature, Ty};

pub(super) fn clif_type(t: Ty) -> ir::Type {
    match t {
        Ty::I8 | Ty::Bool => ir::types::I8,
        Ty::I16 => ir::types::I16,
        Ty::I32 => ir::types::I32,
        Ty::I64 | Ty::Ptr | Ty::Text | Ty::Obj(_) => ir::types::I64,
        Ty::F32 => ir::types::F32,
        Ty::F64 => ir::types::F64,
    }
}

/// The native signature of a MIR function: the context pointer, then the
/// parameters.
pub(super) fn jit_signature(sig: &Signature, call_conv: CallConv) -> ir::Signature {
    let mut s = ir::Signature::new(call_conv);
    s.params.push(AbiParam::new(ir::types::I64));
    s.params.extend(sig.params.iter().map(|t| AbiParam::new(clif_type(*t))));
    s.returns.extend(sig.ret.map(|r| AbiParam::new(clif_type(r))));
    s
}

/// The native signature of a host function or function pointer (no
/// context parameter).
pub(super) fn c_signature(sig: &Signature, call_conv: CallConv) -> ir::Signature {
    let mut s = ir::Signature::new(call_conv);
    // Narrow arguments are extended as C compilers expect (clang relies on
    // it): signed integers sign-extended, bools zero-extended.
    s.params.extend(sig.params.iter().map(|t| match t {
        Ty::I8 | Ty::I16 => AbiParam::new(clif_type(*t)).sext(),
        Ty::Bool => AbiParam::new(clif_type(*t)).uext(),
        _ => AbiParam::new(clif_type(*t)),
    }));
    s.returns.extend(sig.ret.map(|r| AbiParam::new(clif_type(r))));
    s
}

/// The bits of a value of type `t`, as a switch case sees them.
pub(super) fn mask(t: Ty) -> u128 {
    match t.bits() {
        64 => u64::MAX as u128,
        bits => (1u128 << bits) - 1,
    }
}
