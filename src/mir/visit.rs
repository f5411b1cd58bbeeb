//! Walking and rewriting MIR: the successors of a block, renumbering
//! blocks and locals, and the names a function refers to. Passes (lowering,
//! unrolling, the ownership pass) and the runtime use these instead of
//! matching on every instruction themselves.

use std::collections::BTreeSet;

use super::data::*;

impl Operand {
    /// The operand with its local (if it is one) passed through `f`.
    pub fn map_local(&self, f: impl Fn(Local) -> Local) -> Operand {
        match self {
            Operand::Local(l) => Operand::Local(f(*l)),
            c => *c,
        }
    }
}

impl Terminator {
    /// The blocks control may go to next.
    pub fn successors(&self) -> Vec<BlockId> {
        match self {
            Terminator::Jump(b) => vec![*b],
            Terminator::Branch { then_block, else_block, .. } => vec![*then_block, *else_block],
            Terminator::Switch { cases, default, .. } => {
                cases.iter().map(|(_, b)| *b).chain(std::iter::once(*default)).collect()
            }
            Terminator::Return(_) => vec![],
        }
    }

    /// The terminator with every block target passed through `f` and every
    /// operand through `op`.
    pub fn map(&self, f: impl Fn(BlockId) -> BlockId, op: impl Fn(&Operand) -> Operand) -> Terminator {
        match self {
            Terminator::Jump(t) => Terminator::Jump(f(*t)),
            Terminator::Branch { cond, then_block, else_block } => {
                Terminator::Branch { cond: op(cond), then_block: f(*then_block), else_block: f(*else_block) }
            }
            Terminator::Switch { value, cases, default } => Terminator::Switch {
                value: op(value),
                cases: cases.iter().map(|(k, t)| (*k, f(*t))).collect(),
                default: f(*default),
            },
            Terminator::Return(v) => Terminator::Return(v.as_ref().map(op)),
        }
    }

    /// The terminator with every block target passed through `f`.
    pub fn map_blocks(&self, f: impl Fn(BlockId) -> BlockId) -> Terminator {
        self.map(f, |o| *o)
    }
}

/// Matches `$kind` (an `InstKind`, `&InstKind` or `&mut InstKind`) by where
/// its destination is: `$plain` for the variants with a `dst: Local`, with
/// it bound to `$d`; `$optional` for calls (`dst: Option<Local>`, bound to
/// `$o`); `$none` for the rest. The one list of which instruction writes what.
macro_rules! by_destination {
    ($kind:expr, $d:ident => $plain:expr, $o:ident => $optional:expr, _ => $none:expr) => {
        match $kind {
            InstKind::Copy { dst: $d, .. }
            | InstKind::Unary { dst: $d, .. }
            | InstKind::Binary { dst: $d, .. }
            | InstKind::Cmp { dst: $d, .. }
            | InstKind::Convert { dst: $d, .. }
            | InstKind::Select { dst: $d, .. }
            | InstKind::Load { dst: $d, .. }
            | InstKind::SlotAddr { dst: $d, .. }
            | InstKind::GlobalGet { dst: $d, .. }
            | InstKind::TextConst { dst: $d, .. }
            | InstKind::CountingSteps { dst: $d } => $plain,
            InstKind::Call { dst: $o, .. }
            | InstKind::CallIndirect { dst: $o, .. }
            | InstKind::Data { dst: $o, .. }
            | InstKind::Host { dst: $o, .. } => $optional,
            InstKind::Store { .. }
            | InstKind::GlobalSet { .. }
            | InstKind::Retain { .. }
            | InstKind::Release { .. }
            | InstKind::Checkpoint => $none,
        }
    };
}

impl InstKind {
    /// The local the instruction writes, if any.
    pub fn dst(&self) -> Option<Local> {
        by_destination!(self, d => Some(*d), o => *o, _ => None)
    }

    /// The instruction writing `to` instead of its destination (operands
    /// are unchanged).
    pub fn with_dst(mut self, to: Local) -> InstKind {
        by_destination!(&mut self, d => *d = to, o => *o = Some(to), _ => {});
        self
    }

    /// The instruction with every local (written or read) passed through `l`.
    pub fn map_locals(&self, l: impl Fn(Local) -> Local) -> InstKind {
        let o = |x: &Operand| x.map_local(&l);
        match self {
            InstKind::Copy { dst, src } => InstKind::Copy { dst: l(*dst), src: o(src) },
            InstKind::Unary { dst, op, src } => InstKind::Unary { dst: l(*dst), op: *op, src: o(src) },
            InstKind::Binary { dst, op, a, b } => InstKind::Binary { dst: l(*dst), op: *op, a: o(a), b: o(b) },
            InstKind::Cmp { dst, op, a, b } => InstKind::Cmp { dst: l(*dst), op: *op, a: o(a), b: o(b) },
            InstKind::Convert { dst, op, src } => InstKind::Convert { dst: l(*dst), op: *op, src: o(src) },
            InstKind::Select { dst, cond, a, b } => InstKind::Select { dst: l(*dst), cond: o(cond), a: o(a), b: o(b) },
            InstKind::Call { dst, callee, args } => {
                InstKind::Call { dst: dst.map(&l), callee: callee.clone(), args: args.iter().map(o).collect() }
            }
            InstKind::CallIndirect { dst, sig, target, args } => InstKind::CallIndirect {
                dst: dst.map(&l),
                sig: sig.clone(),
                target: o(target),
                args: args.iter().map(o).collect(),
            },
            InstKind::Data { dst, op, args } => {
                InstKind::Data { dst: dst.map(&l), op: *op, args: args.iter().map(o).collect() }
            }
            InstKind::Host { dst, op, name, args } => {
                InstKind::Host { dst: dst.map(&l), op: *op, name: name.clone(), args: args.iter().map(o).collect() }
            }
            InstKind::Load { dst, ptr, offset } => InstKind::Load { dst: l(*dst), ptr: o(ptr), offset: *offset },
            InstKind::Store { ptr, offset, src } => InstKind::Store { ptr: o(ptr), offset: *offset, src: o(src) },
            InstKind::SlotAddr { dst, slot } => InstKind::SlotAddr { dst: l(*dst), slot: *slot },
            InstKind::GlobalGet { dst, name } => InstKind::GlobalGet { dst: l(*dst), name: name.clone() },
            InstKind::GlobalSet { name, src } => InstKind::GlobalSet { name: name.clone(), src: o(src) },
            InstKind::TextConst { dst, value } => InstKind::TextConst { dst: l(*dst), value: value.clone() },
            InstKind::Retain { value } => InstKind::Retain { value: l(*value) },
            InstKind::Release { value } => InstKind::Release { value: l(*value) },
            InstKind::Checkpoint => InstKind::Checkpoint,
            InstKind::CountingSteps { dst } => InstKind::CountingSteps { dst: l(*dst) },
        }
    }
}

/// The names a function refers to outside itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct References {
    /// Functions it calls by name (MIR functions and host functions).
    pub callees: BTreeSet<String>,
    /// Globals it reads or writes.
    pub globals: BTreeSet<String>,
    /// True when it calls through a function pointer (code that may do
    /// anything).
    pub calls_pointers: bool,
}

impl Function {
    /// Every instruction with its (block, index) position.
    pub fn insts(&self) -> impl Iterator<Item = (usize, usize, &Inst)> {
        self.blocks.iter().enumerate().flat_map(|(bi, b)| b.insts.iter().enumerate().map(move |(ii, i)| (bi, ii, i)))
    }

    pub fn references(&self) -> References {
        let mut refs = References::default();
        for (_, _, inst) in self.insts() {
            match &inst.kind {
                InstKind::Call { callee, .. } => {
                    refs.callees.insert(callee.clone());
                }
                InstKind::GlobalGet { name, .. } | InstKind::GlobalSet { name, .. } => {
                    refs.globals.insert(name.clone());
                }
                InstKind::CallIndirect { .. } => refs.calls_pointers = true,
                _ => {}
            }
        }
        refs
    }
}

impl Function {
    /// Each block's successors (targets out of range left out).
    pub fn successor_lists(&self) -> Vec<Vec<usize>> {
        let n = self.blocks.len();
        self.blocks
            .iter()
            .map(|b| b.term.successors().into_iter().map(|s| s.0 as usize).filter(|s| *s < n).collect())
            .collect()
    }

    /// The back edges `(tail, head)` of a depth-first walk from the entry:
    /// every cycle of the control flow graph contains at least one.
    pub fn back_edges(&self) -> Vec<(usize, usize)> {
        let succ = self.successor_lists();
        let n = succ.len();
        // Iterative DFS: an edge to a block still on the stack is a back edge.
        let mut state = vec![0u8; n]; // 0 unvisited, 1 on the stack, 2 done
        let mut back_edges = Vec::new();
        let mut stack = vec![(0usize, 0usize)];
        if n == 0 {
            return back_edges;
        }
        state[0] = 1;
        while let Some((b, i)) = stack.pop() {
            if let Some(&s) = succ[b].get(i) {
                stack.push((b, i + 1));
                match state[s] {
                    0 => {
                        state[s] = 1;
                        stack.push((s, 0));
                    }
                    1 => back_edges.push((b, s)),
                    _ => {}
                }
            } else {
                state[b] = 2;
            }
        }
        back_edges
    }
}

/// The blocks reachable from block 0, given each block's successors
/// (targets out of range are ignored).
pub fn reachable(successors: &[Vec<BlockId>]) -> Vec<bool> {
    let mut seen = vec![false; successors.len()];
    let mut work = vec![0usize];
    while let Some(b) = work.pop() {
        if b >= seen.len() || seen[b] {
            continue;
        }
        seen[b] = true;
        work.extend(successors[b].iter().map(|s| s.0 as usize));
    }
    seen
}
