//! Checkpoints (`mir::InstKind::Checkpoint`): where a running call may be
//! stopped. A function's entry checkpoint is part of its prologue
//! (`entry`); this is the one on loop back edges, and the slow path both
//! share.
//!
//! The hot path is a load and a compare: the stack pointer against the
//! tripwire in the execution context, which the runtime trips for every
//! reason a call may have to stop (as at a function entry). The cold path calls the runtime's
//! checkpoint helper through a stub of this module that preserves every
//! register: a plain call there would make the register allocator spill the
//! loop's values around it, on the hot path too (measured: +20% on a tight
//! integer loop, +38% on mandelbrot). The stub returns nothing; a stop is
//! recorded in the context's error kind, which the caller then reads.
//!
//! The stub is compiled once per process (`stubs`).

use std::sync::OnceLock;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, types};
use cranelift_codegen::isa::CallConv;

use super::function::Translator;
use crate::abi;
use crate::backend::CodegenError;

/// The signature JIT code calls the stub with: no arguments. The running
/// call's context is the thread's current one, which the helper finds
/// itself, and the checkpoint's site (function id and line, one word) is
/// in the context's `cold_result`: an argument register, even on the cold
/// path alone, made the register allocator keep the loop's values out of
/// it, and move one out and back on every iteration of a sieve's inner
/// loop.
pub(super) fn stub_signature() -> ir::Signature {
    ir::Signature::new(CallConv::PreserveAll)
}

/// The name modules import the stub by (`JITBuilder::symbol`).
pub(super) const STUB_SYMBOL: &str = "rtjit_checkpoint_stub";

/// The site word a checkpoint leaves for the stub.
fn site(func_id: u32, line: u32) -> i64 {
    ((u64::from(func_id) << 32) | u64::from(line)) as i64
}

/// The address of the process's checkpoint stub, which calls `helper` (a
/// C function `(stub's stack pointer) -> u32`; the same for every module)
/// and preserves all registers.
///
/// The stack pointer it passes is where the call's stack scan starts
/// (`runtime::scan`): above the helper's frames, whose unused slots would
/// only add stale words.
pub(super) fn stub(helper: usize) -> Result<usize, CodegenError> {
    static STUB: OnceLock<Result<usize, String>> = OnceLock::new();
    let helper_sig = |conv| {
        let mut sig = ir::Signature::new(conv);
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::I32));
        sig
    };
    super::stubs::cached(&STUB, "checkpoint", || {
        super::stubs::compile(stub_signature(), helper_sig, |b, _, sigref| {
            let sp = b.ins().get_stack_pointer(types::I64);
            let callee = b.ins().iconst(types::I64, helper as i64);
            b.ins().call_indirect(sigref, callee, &[sp]);
        })
    })
}

impl Translator<'_, '_> {
    pub(super) fn checkpoint(&mut self, line: u32) {
        let next = self.b.create_block();
        let slow = self.checkpoint_fast_path(next);
        self.b.switch_to_block(slow);
        self.checkpoint_slow_path(line, next);
        self.b.switch_to_block(next);
    }

    /// A checkpoint followed by a jump to `target` (a loop's back edge): the
    /// hot path branches to `target` itself, and the slow path comes back
    /// there through a cold block of its own. Rejoining a block before the
    /// jump instead made both edges critical, and the register allocator's
    /// moves for the cold one sat in the hot code, which jumped over them
    /// on every iteration.
    pub(super) fn checkpoint_then_jump(&mut self, line: u32, target: ir::Block) {
        let slow = self.checkpoint_fast_path(target);
        self.b.switch_to_block(slow);
        let resume = self.b.create_block();
        self.b.set_cold_block(resume);
        self.checkpoint_slow_path(line, resume);
        self.b.switch_to_block(resume);
        self.b.ins().jump(target, &[]);
    }

    /// Compares the stack pointer with the context's tripwire (as a
    /// function entry does) and goes on to `next` while it is not below;
    /// returns the (cold) block taken once the word is tripped. The entry
    /// checked the stack pointer against the limit in this frame, so only
    /// a trip (`runtime::tripwire`: an interrupt, a time-limit tick, a
    /// stack-scan request, a step limit) takes it.
    fn checkpoint_fast_path(&mut self, next: ir::Block) -> ir::Block {
        let flags = MemFlagsData::trusted();
        // A plain load is enough: the slow path's call, on a path into
        // every later checkpoint, keeps the optimiser from reusing a read.
        let word = self.b.ins().load(types::I64, flags, self.tripwire_at, 0);
        let sp = self.b.ins().get_stack_pointer(types::I64);
        let due = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, word);
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(due, slow, &[], next, &[]);
        slow
    }

    /// Calls the stub, then stops the function if the call must stop, or
    /// goes on to `next`.
    pub(super) fn checkpoint_slow_path(&mut self, line: u32, next: ir::Block) {
        let at = self.b.ins().iconst(types::I64, site(self.func_id, line));
        self.b.ins().store(MemFlagsData::trusted(), at, self.ctx, abi::CTX_COLD_RESULT);
        self.b.ins().call(self.checkpoint_stub, &[]);
        let stopped = self.b.ins().load(types::I32, MemFlagsData::trusted(), self.ctx, abi::CTX_ERR_KIND);
        self.b.ins().brif(stopped, self.propagate, &[], next, &[]);
    }

    /// `dst = counting_steps`: the call has a step limit (deadline 0).
    pub(super) fn counting_steps(&mut self, dst: crate::mir::Local) {
        let deadline = self.b.ins().load(types::I64, MemFlagsData::trusted(), self.ctx, abi::CTX_EPOCH_DEADLINE);
        let counting = self.b.ins().icmp_imm_s(IntCC::Equal, deadline, 0);
        self.set(dst, counting);
    }
}
