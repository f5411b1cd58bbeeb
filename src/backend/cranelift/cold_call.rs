//! A call on a cold path that comes back to hot code (copying shared
//! storage before a write, in a loop) goes through a stub that preserves
//! every register, as the checkpoint's slow path does: a plain call there
//! clobbers every caller-saved register, all of the vector registers
//! among them, so the register allocator kept every float live across it
//! on the stack, on the hot path too (n-body: each of its values was
//! stored and reloaded on every iteration).
//!
//! A stub takes the context, two or three words and the helper's address,
//! calls the helper (`fn(ctx, a, b) -> u64` or `fn(ctx, a, b, c) -> u64`),
//! and leaves its result in the context's `cold_result` (Cranelift's
//! register-preserving convention has no return values). Each is compiled
//! once per process (`stubs`).

use std::sync::OnceLock;

use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, types};
use cranelift_codegen::isa::CallConv;

use crate::abi;
use crate::backend::CodegenError;

/// The words a helper called through a stub takes after the context.
pub(super) const ARITIES: [usize; 2] = [2, 3];

/// The signature JIT code calls the stub for helpers of `words` words
/// with: `(ctx, words..., helper)`.
pub(super) fn signature(words: usize) -> ir::Signature {
    let mut sig = ir::Signature::new(CallConv::PreserveAll);
    sig.params.extend(std::iter::repeat_n(AbiParam::new(types::I64), words + 2));
    sig
}

/// The address of the process's stub for helpers of `words` words (2 or
/// 3).
pub(super) fn stub(words: usize) -> Result<usize, CodegenError> {
    static STUBS: [OnceLock<Result<usize, String>>; 2] = [OnceLock::new(), OnceLock::new()];
    let i = ARITIES.iter().position(|w| *w == words).unwrap_or(0);
    let words = ARITIES[i];
    let helper_sig = |conv| {
        let mut sig = ir::Signature::new(conv);
        sig.params.extend(std::iter::repeat_n(AbiParam::new(types::I64), words + 1));
        sig.returns.push(AbiParam::new(types::I64));
        sig
    };
    super::stubs::cached(&STUBS[i], "cold call", || {
        super::stubs::compile(signature(words), helper_sig, |b, params, sigref| {
            let call = b.ins().call_indirect(sigref, params[words + 1], &params[..=words]);
            let result = b.inst_results(call)[0];
            b.ins().store(MemFlagsData::trusted(), result, params[0], abi::CTX_COLD_RESULT);
        })
    })
}
