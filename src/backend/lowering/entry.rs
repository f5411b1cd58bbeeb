//! The shape of a function's entry. A function whose first block starts
//! with a checkpoint no branch returns to fuses that checkpoint with the
//! stack check: one compare of the stack pointer against the tripwire word
//! (`abi::CTX_TRIPWIRE`, which the runtime raises above any stack to stop
//! a call) on the fast path, both checks on the slow one.

use crate::mir::{self, InstKind, Operand, Terminator};

/// How the entry took the function's first MIR block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Entry {
    /// Not at all: translate it in full.
    Untouched,
    /// Its first instruction, the entry checkpoint, is done.
    CheckpointDone,
    /// All of it (the dispatch of an unrolled function): skip it.
    Dispatched,
}

/// What the entry emits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum EntryPlan {
    /// A stack check, then block 0 in full.
    StackCheck,
    /// The fused check: the fast path goes to block `fast`; the slow path
    /// checks the stack, runs the checkpoint at `line`, then goes to
    /// block `slow`.
    Fused { line: u32, fast: mir::BlockId, slow: mir::BlockId, done: Entry },
}

impl EntryPlan {
    pub(crate) fn of(f: &mir::Function) -> EntryPlan {
        let Some(first) = f.blocks.first() else { return EntryPlan::StackCheck };
        // A first block some branch returns to must keep its checkpoint.
        let fusable = first.insts.first().is_some_and(|i| i.kind == InstKind::Checkpoint)
            && !f.blocks.iter().any(|b| b.term.successors().iter().any(|t| t.0 == 0));
        if !fusable {
            return EntryPlan::StackCheck;
        }
        let line = first.insts[0].line;
        // Both forms of an unrolled function's dispatch compute the same; a
        // call that counts steps always finds its word tripped, so the fast
        // path takes the unrolled form and the slow path the plain one.
        match step_dispatch(first) {
            None => {
                EntryPlan::Fused { line, fast: mir::BlockId(0), slow: mir::BlockId(0), done: Entry::CheckpointDone }
            }
            Some((plain, other)) => EntryPlan::Fused { line, fast: other, slow: plain, done: Entry::Dispatched },
        }
    }
}

/// The dispatch of an unrolled function (`mir::opt::unroll`): `checkpoint;
/// counting = counting_steps; br counting, plain, other`.
fn step_dispatch(block: &mir::Block) -> Option<(mir::BlockId, mir::BlockId)> {
    let [checkpoint, counting] = block.insts.as_slice() else { return None };
    let (InstKind::Checkpoint, InstKind::CountingSteps { dst }) = (&checkpoint.kind, &counting.kind) else {
        return None;
    };
    match block.term {
        Terminator::Branch { cond: Operand::Local(c), then_block, else_block } if c == *dst => {
            Some((then_block, else_block))
        }
        _ => None,
    }
}
