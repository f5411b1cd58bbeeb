//! A call on a cold path that comes back to hot code (copying shared
//! storage before a write, in a loop) goes through a stub that preserves
//! every register, as the checkpoint's slow path does: a plain call there
//! clobbers every caller-saved register, all of the vector registers
//! among them, so the register allocator kept every float live across it
//! on the stack, on the hot path too (n-body: each of its values was
//! stored and reloaded on every iteration).
//!
//! A host function called where a loop runs only on some iterations (a
//! callback on a rare event) goes through such a stub too, one per C
//! signature: there the call's clobbers, not its cost, are what the loop
//! pays for on every iteration.
//!
//! A stub takes the context, two or three words and the helper's address,
//! calls the helper (`fn(ctx, a, b) -> u64` or `fn(ctx, a, b, c) -> u64`),
//! and leaves its result in the context's `cold_result` (Cranelift's
//! register-preserving convention has no return values). Each is compiled
//! once per process (`stubs`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, types};
use cranelift_codegen::isa::CallConv;

use crate::abi;
use crate::backend::CodegenError;

/// The signature of the stub for host functions of C signature `host`:
/// `(ctx, code, args...)`, register-preserving; the result goes to the
/// context's `cold_result`.
pub(super) fn host_signature(host: &ir::Signature) -> ir::Signature {
    let mut sig = ir::Signature::new(CallConv::PreserveAll);
    sig.params.extend([AbiParam::new(types::I64), AbiParam::new(types::I64)]);
    sig.params.extend(host.params.iter().copied());
    sig
}

/// The address of the process's stub for host functions of C signature
/// `host` (one per signature, compiled on first use and kept).
pub(super) fn host_stub(host: &ir::Signature) -> Result<usize, CodegenError> {
    static STUBS: OnceLock<Mutex<HashMap<String, usize>>> = OnceLock::new();
    let key = host.to_string();
    let stubs = STUBS.get_or_init(Default::default);
    if let Some(addr) = crate::util::sync::lock(stubs).get(&key) {
        return Ok(*addr);
    }
    let returns = !host.returns.is_empty();
    let addr = super::stubs::compile(
        host_signature(host),
        |_| host.clone(),
        |b, params, sigref| {
            let call = b.ins().call_indirect(sigref, params[1], &params[2..]);
            if returns {
                let result = b.inst_results(call)[0];
                b.ins().store(MemFlagsData::trusted(), result, params[0], abi::CTX_COLD_RESULT);
            }
        },
    )
    .map_err(|message| CodegenError::Invariant { function: "<host call stub>".into(), message })?;
    // Two threads compiling the same stub at once keep the first; the
    // other's few bytes stay unused.
    Ok(*crate::util::sync::lock(stubs).entry(key).or_insert(addr))
}

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
