//! A function's entry: the stack check, and the entry checkpoint, in one
//! compare.
//!
//! In a call-heavy function these checks are most of a call's overhead
//! (fib(35) runs 30 million of them). So the entry compares the stack
//! pointer with one word of the context, its tripwire
//! (`abi::ExecCtx::tripwire`), which holds the call's stack limit until the
//! runtime trips it to stop or wake calls. Only below it does the entry look further: at the real
//! stack limit (a stack overflow), then at the checkpoint (whose helper
//! re-arms the word).
//!
//! An unrolled function (`mir::opt::unroll`) starts with `checkpoint;
//! c = counting_steps; br c, plain, unrolled`, whose two forms compute the
//! same (`counting_steps` is internal: MIR text cannot write it). A call
//! with a step limit always finds its word tripped, so the fast path goes
//! straight to the unrolled form and the slow path to the plain one: the
//! plain form also runs once after a trip, and the entry tests nothing
//! more than a plain function's.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};

use super::function::Translator;
use crate::abi::{self, ErrKind};
use crate::backend::lowering::{Entry, EntryPlan};

impl Translator<'_, '_> {
    /// Emits the function's entry, which goes on to `blocks`; says what it
    /// did of the first MIR block.
    pub(super) fn entry(&mut self, blocks: &[ir::Block]) -> Entry {
        let EntryPlan::Fused { line, fast, slow, done } = EntryPlan::of(self.f) else {
            self.stack_check(blocks[0]);
            return Entry::Untouched;
        };
        let sp = self.b.ins().get_stack_pointer(types::I64);
        // The word is not `readonly`: the runtime writes it at any time.
        let cold = self.unless_sp_below(sp, abi::CTX_TRIPWIRE, blocks[fast.0 as usize]);
        self.b.switch_to_block(cold);
        let checkpoint = self.b.create_block();
        self.b.set_cold_block(checkpoint);
        self.stack_check_at(sp, checkpoint);
        self.b.switch_to_block(checkpoint);
        self.checkpoint_slow_path(line, blocks[slow.0 as usize]);
        done
    }

    /// Goes on to `body` unless `sp` is below the word at `offset` in the
    /// context; returns the (cold) block taken when it is.
    fn unless_sp_below(&mut self, sp: ir::Value, offset: i32, body: ir::Block) -> ir::Block {
        let bound = self.b.ins().load(types::I64, MemFlagsData::trusted(), self.ctx, offset);
        let below = self.b.ins().icmp(IntCC::UnsignedLessThan, sp, bound);
        let cold = self.b.create_block();
        self.b.set_cold_block(cold);
        self.b.ins().brif(below, cold, &[], body, &[]);
        cold
    }

    /// The stack check alone, for a function without an entry checkpoint.
    fn stack_check(&mut self, body: ir::Block) {
        let sp = self.b.ins().get_stack_pointer(types::I64);
        self.stack_check_at(sp, body);
    }

    /// Goes on to `body` unless `sp` is below the stack limit in the
    /// context. It exits without releasing anything, since the function
    /// holds no references yet.
    fn stack_check_at(&mut self, sp: ir::Value, body: ir::Block) {
        let fail = self.unless_sp_below(sp, abi::CTX_STACK_LIMIT, body);
        self.b.switch_to_block(fail);
        let kind = self.b.ins().iconst(types::I32, ErrKind::StackOverflow as i64);
        let line = self.b.ins().iconst(types::I32, i64::from(self.f.line as i32));
        self.record_error(kind, line);
        self.return_zero();
    }
}
