//! A function's entry (the stack check and the entry checkpoint in one
//! compare, as in `backend::cranelift::entry`) and the loop checkpoints.
//!
//! The entry compares the stack pointer with the context's tripwire,
//! which holds the call's stack limit until the runtime trips it to
//! `abi::TRIPPED`; only below it does it look at the real limit (a stack
//! overflow) and then call the checkpoint. A loop's checkpoint runs in a
//! frame the entry already checked, so it only asks whether the word is
//! tripped: one load (volatile, so LLVM never hoists it out of a loop)
//! and one compare. Its slow path calls the module's checkpoint stub,
//! which saves every register itself (`preserve_allcc`), so the loop's
//! values stay in their registers around the rare call.

use inkwell::AddressSpace;
use inkwell::IntPredicate;
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::basic_block::BasicBlock;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{Linkage, Module};
use inkwell::values::{BasicValue, FunctionValue, IntValue};

use super::function::Translator;
use super::target::Host;
use crate::abi::{self, ErrKind};
use crate::backend::CodegenError;
use crate::backend::lowering::{Entry, EntryPlan, MirView};
use crate::mir;

/// LLVM's number for the `preserve_allcc` calling convention.
const PRESERVE_ALL: u32 = 15;

/// The module's checkpoint stub: `void()` in `preserve_allcc`, calling the
/// runtime's `checkpoint(stack pointer) -> u32` helper. Its own stack
/// pointer is below the return address into the function that called it,
/// where the stack scan (`runtime::scan`) must start.
pub(super) fn checkpoint_stub<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    helper: usize,
    host: &Host,
) -> Result<FunctionValue<'ctx>, CodegenError> {
    let stub =
        module.add_function("rtjit_checkpoint_stub", cx.void_type().fn_type(&[], false), Some(Linkage::Internal));
    stub.set_call_conventions(PRESERVE_ALL);
    host.mark(cx, stub);
    for name in ["noinline", "cold"] {
        stub.add_attribute(
            AttributeLoc::Function,
            cx.create_enum_attribute(Attribute::get_named_enum_kind_id(name), 0),
        );
    }
    let b = cx.create_builder();
    b.position_at_end(cx.append_basic_block(stub, "entry"));
    let sp = stack_pointer(cx, module, &b)?;
    let ty = cx.i32_type().fn_type(&[cx.i64_type().into()], false);
    let callee =
        b.build_int_to_ptr(cx.i64_type().const_int(helper as u64, false), cx.ptr_type(AddressSpace::default()), "")?;
    b.build_indirect_call(ty, callee, &[sp.into()], "")?;
    b.build_return(None)?;
    Ok(stub)
}

/// The stack pointer where `b` is, as an integer.
fn stack_pointer<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    b: &inkwell::builder::Builder<'ctx>,
) -> Result<IntValue<'ctx>, CodegenError> {
    let missing = || CodegenError::Invariant { function: "<entry>".into(), message: "no llvm.stacksave".into() };
    let ptr = cx.ptr_type(AddressSpace::default());
    let save = Intrinsic::find("llvm.stacksave").ok_or_else(missing)?;
    let decl = save.get_declaration(module, &[ptr.into()]).ok_or_else(missing)?;
    let sp = b.build_call(decl, &[], "sp")?.try_as_basic_value().basic().ok_or_else(missing)?;
    Ok(b.build_ptr_to_int(sp.into_pointer_value(), cx.i64_type(), "")?)
}

impl<'ctx> Translator<'_, 'ctx> {
    /// Emits the function's entry, which goes on to `blocks`; says what it
    /// did of the first MIR block.
    pub(super) fn entry(&mut self, blocks: &[BasicBlock<'ctx>]) -> Result<Entry, CodegenError> {
        let Some(&block0) = blocks.first() else { return Err(self.invariant("the function has no blocks")) };
        let sp = stack_pointer(self.cx, self.module, &self.b)?;
        let EntryPlan::Fused { line, fast, slow, done } = EntryPlan::of(self.f) else {
            self.stack_check(sp, block0)?;
            return Ok(Entry::Untouched);
        };
        // Read on every call: the runtime writes it at any time.
        let word = self.volatile_load(self.at(self.ctx, abi::CTX_TRIPWIRE)?)?;
        let below = self.b.build_int_compare(IntPredicate::ULT, sp, word, "")?;
        let cold = self.block("entry_slow");
        self.branch_cold(below, cold, blocks[fast.0 as usize])?;
        self.b.position_at_end(cold);
        let checkpoint = self.block("entry_checkpoint");
        self.stack_check(sp, checkpoint)?;
        self.b.position_at_end(checkpoint);
        self.checkpoint_slow_path(line, blocks[slow.0 as usize])?;
        Ok(done)
    }

    /// Goes on to `body` unless `sp` is below the stack limit; then it
    /// records a stack overflow and returns, releasing nothing (the
    /// function holds no references yet).
    fn stack_check(&self, sp: IntValue<'ctx>, body: BasicBlock<'ctx>) -> Result<(), CodegenError> {
        let limit = self.ctx_load(abi::CTX_STACK_LIMIT, self.cx.i64_type().into())?.into_int_value();
        let below = self.b.build_int_compare(IntPredicate::ULT, sp, limit, "")?;
        let fail = self.block("stack_overflow");
        self.branch_cold(below, fail, body)?;
        self.b.position_at_end(fail);
        self.record_error(self.i32(ErrKind::StackOverflow as i64), self.i32(i64::from(self.f.line as i32)))?;
        self.return_zero()
    }

    fn volatile_load(&self, p: inkwell::values::PointerValue<'ctx>) -> Result<IntValue<'ctx>, CodegenError> {
        let v = self.b.build_load(self.cx.i64_type(), p, "")?;
        if let Some(i) = v.as_instruction_value() {
            i.set_volatile(true).map_err(|e| self.invariant(e.to_string()))?;
        }
        Ok(v.into_int_value())
    }

    /// A checkpoint inside the function (a loop's back edge).
    pub(super) fn checkpoint(&self, line: u32) -> Result<(), CodegenError> {
        let word = self.volatile_load(self.ptr(self.tripwire_at)?)?;
        let tripped = self.b.build_int_compare(IntPredicate::EQ, word, self.i64(abi::TRIPPED as i64), "")?;
        let slow = self.block("checkpoint");
        let next = self.block("go_on");
        self.branch_cold(tripped, slow, next)?;
        self.b.position_at_end(slow);
        self.checkpoint_slow_path(line, next)?;
        self.b.position_at_end(next);
        Ok(())
    }

    /// Leaves the site (function id, line) in the context, calls the stub,
    /// then stops the function if the call must stop, or goes on to `next`.
    fn checkpoint_slow_path(&self, line: u32, next: BasicBlock<'ctx>) -> Result<(), CodegenError> {
        let site = ((u64::from(self.func_id) << 32) | u64::from(line)) as i64;
        self.ctx_store(abi::CTX_COLD_RESULT, self.i64(site))?;
        let call = self.b.build_call(self.stub, &[], "")?;
        call.set_call_convention(PRESERVE_ALL);
        let stopped = self.error_recorded()?;
        self.b.build_conditional_branch(stopped, self.propagate, next)?;
        Ok(())
    }

    /// `dst = counting_steps`: the call has a step limit (deadline 0).
    pub(super) fn counting_steps(&self, dst: mir::Local) -> Result<(), CodegenError> {
        let deadline = self.ctx_load(abi::CTX_EPOCH_DEADLINE, self.cx.i64_type().into())?.into_int_value();
        let counting = self.b.build_int_compare(IntPredicate::EQ, deadline, self.i64(0), "")?;
        self.set(dst, self.boolean(counting)?)
    }
}
