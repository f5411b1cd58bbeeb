//! Checkpoints (`mir::InstKind::Checkpoint`): where a running call may be
//! stopped. A function's entry checkpoint is part of its prologue
//! (`entry`); this is the one on loop back edges, and the slow path both
//! share.
//!
//! The hot path is two loads and a compare: the process's epoch against
//! the deadline in the execution context. The cold path calls the runtime's
//! checkpoint helper through a stub of this module that preserves every
//! register: a plain call there would make the register allocator spill the
//! loop's values around it, on the hot path too (measured: +20% on a tight
//! integer loop, +38% on mandelbrot). The stub returns nothing; a stop is
//! recorded in the context's error kind, which the caller then reads.
//!
//! The stub is compiled once per process, into a module of its own that is
//! never freed (a few dozen bytes): compiling it into every module cost
//! each compile about a third of a one-line unit's time.

use std::sync::OnceLock;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, AbiParam, InstBuilder, MemFlagsData, types};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Module as _, default_libcall_names};

use super::function::Translator;
use crate::abi;
use crate::backend::{CodegenError, OptLevel};

/// `(ctx, function id, line)`, as the stub and the helper take them.
fn params() -> [AbiParam; 3] {
    [AbiParam::new(types::I64), AbiParam::new(types::I32), AbiParam::new(types::I32)]
}

/// The signature JIT code calls the stub with.
pub(super) fn stub_signature() -> ir::Signature {
    let mut sig = ir::Signature::new(CallConv::PreserveAll);
    sig.params.extend(params());
    sig
}

/// The address of the process's checkpoint stub, which calls `helper` (a
/// C function `(ctx, u32, u32, stub's stack pointer) -> u32`; the same for
/// every module) and preserves all registers.
pub(super) fn stub(helper: usize) -> Result<usize, CodegenError> {
    static STUB: OnceLock<Result<usize, String>> = OnceLock::new();
    STUB.get_or_init(|| build_stub(helper))
        .clone()
        .map_err(|message| CodegenError::Invariant { function: "<checkpoint stub>".into(), message })
}

/// The stack pointer it passes is where the call's stack scan starts
/// (`runtime::scan`): above the helper's frames, whose unused slots would
/// only add stale words.
fn build_stub(helper: usize) -> Result<usize, String> {
    let isa = super::isa::isa_for(OptLevel::DEFAULT).map_err(|e| e.to_string())?;
    let mut jit = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let sig = stub_signature();
    let id = jit.declare_anonymous_function(&sig).map_err(|e| e.to_string())?;
    let mut ctx = jit.make_context();
    let mut fbc = FunctionBuilderContext::new();
    ctx.func.signature = sig;
    let mut helper_sig = ir::Signature::new(jit.isa().default_call_conv());
    helper_sig.params.extend(params());
    helper_sig.params.push(AbiParam::new(types::I64));
    helper_sig.returns.push(AbiParam::new(types::I32));
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let mut args = b.block_params(entry).to_vec();
    args.push(b.ins().get_stack_pointer(types::I64));
    let sigref = b.import_signature(helper_sig);
    let callee = b.ins().iconst(types::I64, helper as i64);
    b.ins().call_indirect(sigref, callee, &args);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(jit.isa().frontend_config());
    jit.define_function(id, &mut ctx).map_err(|e| e.to_string())?;
    jit.finalize_definitions().map_err(|e| e.to_string())?;
    let addr = jit.get_finalized_function(id) as usize;
    // Dropping a JITModule keeps its code (only `free_memory` frees it):
    // the stub stays for the life of the process.
    drop(jit);
    Ok(addr)
}

impl Translator<'_, '_> {
    pub(super) fn checkpoint(&mut self, line: u32) {
        let next = self.b.create_block();
        let slow = self.checkpoint_fast_path(next);
        self.b.switch_to_block(slow);
        self.checkpoint_slow_path(line, next);
        self.b.switch_to_block(next);
    }

    /// Compares the epoch with the deadline and goes on to `next` while it
    /// is below; returns the (cold) block taken once it has reached it.
    fn checkpoint_fast_path(&mut self, next: ir::Block) -> ir::Block {
        let flags = MemFlagsData::trusted();
        let epoch_addr = self.b.ins().iconst(types::I64, self.helpers.epoch as i64);
        // A plain load is enough: the slow path's call, on a path into
        // every later checkpoint, keeps the optimiser from reusing a read.
        let epoch = self.b.ins().load(types::I64, flags, epoch_addr, 0);
        let deadline = self.b.ins().load(types::I64, flags, self.ctx, abi::CTX_EPOCH_DEADLINE);
        let due = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, epoch, deadline);
        let slow = self.b.create_block();
        self.b.set_cold_block(slow);
        self.b.ins().brif(due, slow, &[], next, &[]);
        slow
    }

    /// Calls the stub, then stops the function if the call must stop, or
    /// goes on to `next`.
    pub(super) fn checkpoint_slow_path(&mut self, line: u32, next: ir::Block) {
        let fid = self.b.ins().iconst(types::I32, i64::from(self.func_id as i32));
        let l = self.b.ins().iconst(types::I32, i64::from(line as i32));
        let (sig, addr) = self.checkpoint_stub;
        let stub = self.b.ins().iconst(types::I64, addr as i64);
        self.b.ins().call_indirect(sig, stub, &[self.ctx, fid, l]);
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
