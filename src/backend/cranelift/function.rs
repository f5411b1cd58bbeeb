//! One prepared MIR function to Cranelift IR: the prologue, the blocks,
//! the exits. The instructions are translated by family in `arith`,
//! `calls` and `managed`.
//!
//! Checked operations branch to a shared cold block that records the error
//! in the execution context and returns; calls are followed by a check of
//! the context, so errors propagate as ordinary returns. No trap
//! instruction is ever emitted.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    self, AbiParam, BlockArg, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, Value, types,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Switch, Variable};

use super::types::{clif_type, mask};
use crate::abi::{self, ErrKind, Helpers};
use crate::backend::lowering::{Entry, MirView, Op, invariant, truncate};
use crate::backend::{CodegenError, Layout, Request};
use crate::mir::{self, Const, InstKind, Operand, Ownership, Terminator, Ty};

/// Stack slots up to this size are zeroed by inline stores; larger ones
/// by a call to `memset` (eight stores are cheaper than the call).
const INLINE_ZEROING: u32 = 64;

pub(super) fn translate(
    func: &mut ir::Function,
    fbc: &mut FunctionBuilderContext,
    f: &mir::Function,
    func_id: u32,
    request: &Request<'_>,
    isa: &dyn TargetIsa,
    stubs: Stubs,
) -> Result<(), CodegenError> {
    let Ownership::Explicit { release_at_exit } = &f.ownership else {
        return Err(invariant(f, "the function was not prepared (ownership is implicit)"));
    };
    let mut b = FunctionBuilder::new(func, fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let ctx = b.block_params(entry)[0];
    let params: Vec<Value> = b.block_params(entry)[1..].to_vec();
    // Never changes for a context: free to reuse, and to move.
    let fixed = MemFlagsData::trusted().with_readonly().with_can_move();
    let tripwire_at = b.ins().load(types::I64, fixed, ctx, abi::CTX_TRIPWIRE_AT);
    let vars = declare_locals(&mut b, f, &params);
    let slots = stack_slots(&mut b, f, request.helpers, isa.default_call_conv());
    let blocks: Vec<ir::Block> = f.blocks.iter().map(|_| b.create_block()).collect();
    let (err_block, propagate) = error_exits(&mut b);
    let storage = super::tracked::Tracked::new(&mut b, f);
    let regions = super::regions::Regions::new(b.func);
    let mut t = Translator {
        b,
        ctx,
        tripwire_at,
        vars,
        storage,
        regions,
        elements: super::tracked::Known::default(),
        slots,
        release_at_exit,
        err_block,
        propagate,
        func_id,
        checkpoint_stub: stubs.checkpoint,
        cold_call_stubs: stubs.cold_calls,
        f,
        layout: request.layout,
        helpers: request.helpers,
        call_conv: isa.default_call_conv(),
        conditional_in_loop: super::loops::conditional_in_loop(f),
        block: 0,
    };
    let entry = t.entry(&blocks);
    let loop_depth = super::loops::depths(f);
    let mut sealing = Sealing::new(f);
    sealing.seal_unwaited(&mut t.b, &blocks);
    let sole = sole_predecessors(f);
    // What each block knew at its end, kept while a block it alone
    // branches to waits to be translated.
    let mut exits: Vec<Option<super::tracked::Known>> = vec![None; f.blocks.len()];
    for i in Sealing::order(f) {
        let (mb, cb) = (&f.blocks[i], blocks[i]);
        let insts = match (i, entry) {
            // An unrolled function's dispatch: it has no objects to track.
            (0, Entry::Dispatched) => continue,
            (0, Entry::CheckpointDone) => &mb.insts[1..],
            _ => &mb.insts[..],
        };
        let first_inner = t.b.func.dfg.num_blocks();
        t.enter_block(i, cb, sole[i].and_then(|p| exits[p].as_ref()));
        let back_edge = back_edge(insts, &mb.term, &blocks);
        for inst in back_edge.map_or(insts, |(rest, _, _)| rest) {
            t.forget_elements(&inst.kind);
            t.inst(inst)?;
            t.storage.unique.step(&inst.kind);
        }
        if sole.contains(&Some(i)) {
            exits[i] = Some(t.elements.clone());
        }
        t.measure_fixed(i);
        // A switch seals the blocks it makes itself.
        let before_switch = t.b.func.dfg.num_blocks();
        match back_edge {
            Some((_, line, header)) => t.checkpoint_then_jump(line, header),
            None => t.term(&mb.term, &blocks, &loop_depth)?,
        }
        let last_inner =
            if matches!(mb.term, Terminator::Switch { .. }) { before_switch } else { t.b.func.dfg.num_blocks() };
        sealing.translated(&mut t.b, i, first_inner..last_inner, &blocks);
    }
    t.error_exits()?;
    t.b.seal_all_blocks();
    t.b.finalize(isa.frontend_config());
    Ok(())
}

/// The cold blocks a failure goes to: the one that records an error (its
/// kind and line as parameters), and the one that passes on an error
/// already recorded.
fn error_exits(b: &mut FunctionBuilder) -> (ir::Block, ir::Block) {
    let err_block = b.create_block();
    b.append_block_param(err_block, types::I32);
    b.append_block_param(err_block, types::I32);
    b.set_cold_block(err_block);
    let propagate = b.create_block();
    b.set_cold_block(propagate);
    (err_block, propagate)
}

/// A block that ends in `checkpoint; jmp header` (a loop's back edge): its
/// other instructions, the checkpoint's line and the header, for the
/// checkpoint to branch to the header itself.
fn back_edge<'f>(
    insts: &'f [mir::Inst],
    term: &Terminator,
    blocks: &[ir::Block],
) -> Option<(&'f [mir::Inst], u32, ir::Block)> {
    match (insts.split_last(), term) {
        (Some((last, rest)), Terminator::Jump(target)) if last.kind == InstKind::Checkpoint => {
            Some((rest, last.line, blocks[target.0 as usize]))
        }
        _ => None,
    }
}

/// For each reachable block that only one block branches to, that block:
/// the successor starts with what its predecessor knew at its end
/// (`elements`), as the predecessor's values dominate it. Unreachable
/// blocks get none (dominance means nothing there).
fn sole_predecessors(f: &mir::Function) -> Vec<Option<usize>> {
    let mut reachable = vec![false; f.blocks.len()];
    mir::loops::reverse_postorder(f).into_iter().for_each(|b| reachable[b] = true);
    let sole = |(s, preds): (usize, Vec<usize>)| {
        let mut from = preds.into_iter().filter(|p| reachable[*p]);
        let first = from.next()?;
        (reachable[s] && first != s && from.all(|p| p == first)).then_some(first)
    };
    mir::loops::predecessors(f).into_iter().enumerate().map(sole).collect()
}

/// The process's stubs a function calls: the checkpoint's as a function
/// the module imports (a call by name, whose address is no value the
/// optimiser could hoist into a register the loop then lacks), the others
/// as each one's signature and address.
pub(super) struct Stubs {
    pub checkpoint: ir::FuncRef,
    pub cold_calls: [(ir::SigRef, usize); 2],
}

/// The order MIR blocks are translated in, and when each Cranelift block is
/// sealed: as soon as every branch to it exists, so that the SSA builder
/// resolves a local that a loop does not change to the value it had before
/// the loop (sealing everything at the end left a block parameter for it at
/// every join inside the loop, and the register allocator a copy per
/// parameter on every iteration).
struct Sealing {
    /// For each MIR block, its predecessors not yet translated.
    waiting: Vec<usize>,
    successors: Vec<Vec<usize>>,
}

impl Sealing {
    fn new(f: &mir::Function) -> Sealing {
        let successors: Vec<Vec<usize>> = f
            .successor_lists()
            .into_iter()
            .map(|mut s| {
                s.sort_unstable();
                s.dedup();
                s
            })
            .collect();
        let mut waiting = vec![0; successors.len()];
        successors.iter().flatten().for_each(|s| waiting[*s] += 1);
        Sealing { waiting, successors }
    }

    /// Reverse postorder (a block after its dominators, a loop's header
    /// before its body, its body before what follows it), then the
    /// unreachable blocks.
    fn order(f: &mir::Function) -> Vec<usize> {
        let mut order = mir::loops::loops_first_order(f);
        let mut seen = vec![false; f.blocks.len()];
        order.iter().for_each(|b| seen[*b] = true);
        order.extend((0..f.blocks.len()).filter(|b| !seen[*b]));
        order
    }

    /// Seals the blocks no MIR block branches to (the entry's targets,
    /// which the prologue already did).
    fn seal_unwaited(&self, b: &mut FunctionBuilder, blocks: &[ir::Block]) {
        for (i, w) in self.waiting.iter().enumerate() {
            if *w == 0 {
                b.seal_block(blocks[i]);
            }
        }
    }

    /// MIR block `b` is translated, into its own block and the blocks
    /// `inner` (which only its code branches to): those are complete, and
    /// so is each successor whose last predecessor it was.
    fn translated(
        &mut self,
        b: &mut FunctionBuilder,
        mir_block: usize,
        inner: std::ops::Range<usize>,
        blocks: &[ir::Block],
    ) {
        for block in inner_order(b.func, blocks[mir_block], inner) {
            b.seal_block(block);
        }
        for s in &self.successors[mir_block] {
            self.waiting[*s] -= 1;
            if self.waiting[*s] == 0 {
                b.seal_block(blocks[*s]);
            }
        }
    }
}

/// The blocks `inner` in the order to seal them: each after the blocks
/// that branch to it (reverse postorder from `start`, the MIR block's own
/// block), so the SSA builder finds a local's value in a sealed
/// predecessor instead of making a parameter for it; then any left over.
fn inner_order(func: &ir::Function, start: ir::Block, inner: std::ops::Range<usize>) -> Vec<ir::Block> {
    let is_inner = |x: ir::Block| inner.contains(&(x.as_u32() as usize));
    let successors = |x: ir::Block| -> Vec<ir::Block> {
        let Some(last) = func.layout.last_inst(x) else { return Vec::new() };
        let dfg = &func.dfg;
        let dests = dfg.insts[last].branch_destination(&dfg.jump_tables, &dfg.exception_tables);
        dests.iter().map(|d| d.block(&dfg.value_lists)).filter(|d| is_inner(*d)).collect()
    };
    let mut seen = std::collections::HashSet::new();
    let mut post = Vec::new();
    let mut stack = vec![(start, successors(start), 0usize)];
    seen.insert(start);
    while let Some((x, succ, i)) = stack.pop() {
        if let Some(&next) = succ.get(i) {
            stack.push((x, succ, i + 1));
            if seen.insert(next) {
                stack.push((next, successors(next), 0));
            }
        } else if x != start {
            post.push(x);
        }
    }
    post.reverse();
    let rest = inner.map(|i| ir::Block::from_u32(i as u32)).filter(|x| !seen.contains(x));
    post.into_iter().chain(rest.collect::<Vec<_>>()).collect()
}

/// How [`Translator::entry`] took the function's first MIR block.
/// A variable per local: parameters start with their values, every other
/// local with zero (for a managed type, the empty value).
fn declare_locals(b: &mut FunctionBuilder, f: &mir::Function, params: &[Value]) -> Vec<Variable> {
    let vars: Vec<Variable> = f.locals.iter().map(|l| b.declare_var(clif_type(l.ty))).collect();
    for (i, l) in f.locals.iter().enumerate() {
        let v = match params.get(i) {
            Some(p) => *p,
            None => zero(b, l.ty),
        };
        b.def_var(vars[i], v);
    }
    vars
}

/// The function's stack slots, zeroed on entry (sizes rounded up to 8).
fn stack_slots(
    b: &mut FunctionBuilder,
    f: &mir::Function,
    helpers: &Helpers,
    call_conv: CallConv,
) -> Vec<ir::StackSlot> {
    let mut slots = Vec::with_capacity(f.slots.len());
    for slot in &f.slots {
        let size = slot.size.div_ceil(8) * 8;
        let align = slot.align.max(8).trailing_zeros() as u8;
        let ss = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, size, align));
        let addr = b.ins().stack_addr(types::I64, ss, 0);
        if size <= INLINE_ZEROING {
            let z = b.ins().iconst(types::I64, 0);
            for off in (0..size).step_by(8) {
                b.ins().store(MemFlagsData::trusted(), z, addr, off as i32);
            }
        } else {
            let mut sig = ir::Signature::new(call_conv);
            sig.params.extend([AbiParam::new(types::I64), AbiParam::new(types::I32), AbiParam::new(types::I64)]);
            sig.returns.push(AbiParam::new(types::I64));
            let sigref = b.import_signature(sig);
            let memset = b.ins().iconst(types::I64, helpers.memset as i64);
            let zero = b.ins().iconst(types::I32, 0);
            let len = b.ins().iconst(types::I64, i64::from(size));
            b.ins().call_indirect(sigref, memset, &[addr, zero, len]);
        }
        slots.push(ss);
    }
    slots
}

pub(super) fn zero(b: &mut FunctionBuilder, t: Ty) -> Value {
    match t {
        Ty::F32 => b.ins().f32const(0.0),
        Ty::F64 => b.ins().f64const(0.0),
        other => b.ins().iconst(clif_type(other), 0),
    }
}

crate::backend::lowering::mir_view!(Translator);

/// The state of one function's translation.
pub(super) struct Translator<'a, 'b> {
    pub b: FunctionBuilder<'b>,
    /// The execution context (`*mut abi::ExecCtx`).
    pub ctx: Value,
    vars: Vec<Variable>,
    /// What is known about the objects' storage where translation is.
    pub storage: super::tracked::Tracked,
    /// The alias regions of object memory.
    pub regions: super::regions::Regions,
    /// The element pointers the current MIR block has reached.
    pub elements: super::tracked::Known,
    pub slots: Vec<ir::StackSlot>,
    /// Locals whose references every exit drops.
    release_at_exit: &'a [mir::Local],
    /// Records (kind, line) and this function as the error, then exits.
    err_block: ir::Block,
    /// Exits after a callee recorded an error.
    pub propagate: ir::Block,
    pub func_id: u32,
    /// The checkpoint stub's signature here, and its address (see
    /// `checkpoint`).
    pub checkpoint_stub: ir::FuncRef,
    /// The address of the context's tripwire (`abi::ExecCtx::tripwire_at`).
    pub tripwire_at: Value,
    /// The same for the register-preserving stubs of cold calls (helpers
    /// of two words, of three).
    pub cold_call_stubs: [(ir::SigRef, usize); 2],
    pub f: &'a mir::Function,
    pub layout: &'a dyn Layout,
    pub helpers: &'a Helpers,
    pub call_conv: CallConv,
    /// `loops::conditional_in_loop` of the function: where a host call
    /// goes through a register-preserving stub.
    pub conditional_in_loop: Vec<bool>,
    /// The MIR block being translated.
    pub block: usize,
}

impl Translator<'_, '_> {
    /// Starts translating MIR block `i` into `cb`, knowing what its sole
    /// predecessor knew at its end, if it has one that was translated.
    fn enter_block(&mut self, i: usize, cb: ir::Block, known: Option<&super::tracked::Known>) {
        self.b.switch_to_block(cb);
        self.block = i;
        self.storage.enter(i);
        match known {
            Some(known) => self.elements.clone_from(known),
            None => self.elements.clear(),
        }
    }

    pub fn operand(&mut self, op: &Operand) -> Value {
        match op {
            Operand::Local(l) => self.b.use_var(self.vars[l.0 as usize]),
            Operand::Const(Const::Int(v, t)) => {
                let v = if *t == Ty::Bool { i64::from(*v != 0) } else { *v };
                self.b.ins().iconst(clif_type(*t), truncate(v, *t))
            }
            Operand::Const(Const::F32(v)) => self.b.ins().f32const(*v),
            Operand::Const(Const::F64(v)) => self.b.ins().f64const(*v),
        }
    }

    pub fn local(&mut self, l: mir::Local) -> Value {
        self.b.use_var(self.vars[l.0 as usize])
    }

    pub fn set(&mut self, dst: mir::Local, v: Value) {
        self.b.def_var(self.vars[dst.0 as usize], v);
    }

    /// The error exit: its parameters are the kind and the line.
    pub fn err_block(&self) -> ir::Block {
        self.err_block
    }

    /// If `cond` is nonzero, go to the error exit with `kind`; otherwise
    /// continue in `next` (which the caller switches to).
    fn branch_to_error(&mut self, cond: Value, kind: ErrKind, line: u32, next: ir::Block) {
        let k = self.b.ins().iconst(types::I32, kind as i64);
        let l = self.b.ins().iconst(types::I32, i64::from(line as i32));
        self.b.ins().brif(cond, self.err_block, &[BlockArg::Value(k), BlockArg::Value(l)], next, &[]);
    }

    /// If `cond` is nonzero, fail with `kind`; continues in a fresh block.
    pub fn check(&mut self, cond: Value, kind: ErrKind, line: u32) {
        let next = self.b.create_block();
        self.branch_to_error(cond, kind, line, next);
        self.b.switch_to_block(next);
    }

    pub(super) fn record_error(&mut self, kind: Value, line: Value) {
        let fid = self.b.ins().iconst(types::I32, i64::from(self.func_id as i32));
        let flags = MemFlagsData::trusted();
        self.b.ins().store(flags, kind, self.ctx, abi::CTX_ERR_KIND);
        self.b.ins().store(flags, line, self.ctx, abi::CTX_ERR_LINE);
        self.b.ins().store(flags, fid, self.ctx, abi::CTX_ERR_FUNC);
    }

    /// The two cold exits: a failed check records the error; both drop the
    /// function's references and return zeros.
    fn error_exits(&mut self) -> Result<(), CodegenError> {
        self.b.switch_to_block(self.err_block);
        let kind = self.b.block_params(self.err_block)[0];
        let line = self.b.block_params(self.err_block)[1];
        self.record_error(kind, line);
        self.release_owned()?;
        self.return_zero();
        self.b.switch_to_block(self.propagate);
        self.release_owned()?;
        self.return_zero();
        Ok(())
    }

    pub(super) fn return_zero(&mut self) {
        match self.f.sig.ret {
            Some(t) => {
                let z = zero(&mut self.b, t);
                self.b.ins().return_(&[z]);
            }
            None => {
                self.b.ins().return_(&[]);
            }
        }
    }

    /// Drops the reference each local of `release_at_exit` holds.
    /// Releases what the function owns, keeping the value it returns in a
    /// stack slot of its own over the calls. Left to itself the register
    /// allocator spilled the value where it is computed, in the loop: no
    /// SysV register keeps a float across a call (a float sum stored and
    /// reloaded every iteration ran 2.5x slower than without releases),
    /// and a sieve's prime count was stored and reloaded on every outer
    /// iteration.
    fn across_releases(&mut self, value: Option<Value>) -> Result<Option<Value>, CodegenError> {
        let Some(v) = value.filter(|_| !self.release_at_exit.is_empty()) else {
            self.release_owned()?;
            return Ok(value);
        };
        let ty = self.b.func.dfg.value_type(v);
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, ty.bytes(), 3));
        self.b.ins().stack_store(types::I64, v, slot, 0);
        self.release_owned()?;
        Ok(Some(self.b.ins().stack_load(types::I64, ty, slot, 0)))
    }

    /// Each owned value goes through a stack slot to its release: were the
    /// value itself the call's argument, the register allocator would
    /// prefer to keep it in the argument register everywhere, and move it
    /// out and back around every other use of that register, in loops too
    /// (a sieve's array pointer, spilled and reloaded on every inner
    /// iteration, 1.6-1.9x rustc).
    fn release_owned(&mut self) -> Result<(), CodegenError> {
        let n = self.release_at_exit.len() as u32;
        if n == 0 {
            return Ok(());
        }
        let slot = self.b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8 * n, 3));
        for (i, l) in self.release_at_exit.iter().enumerate() {
            let v = self.local(*l);
            self.b.ins().stack_store(types::I64, v, slot, 8 * i as i32);
        }
        for (i, l) in self.release_at_exit.iter().enumerate() {
            let v = self.b.ins().stack_load(types::I64, types::I64, slot, 8 * i as i32);
            self.release_value(self.local_ty(*l), v)?;
        }
        Ok(())
    }

    fn text_const(&mut self, dst: mir::Local, value: &str) -> Result<(), CodegenError> {
        let addr = self.text_literal(value)?;
        let v = self.b.ins().iconst(types::I64, addr as i64);
        self.set(dst, v);
        Ok(())
    }

    fn inst(&mut self, inst: &mir::Inst) -> Result<(), CodegenError> {
        let line = inst.line;
        match &inst.kind {
            InstKind::Copy { dst, src } => {
                let v = self.operand(src);
                self.set(*dst, v);
            }
            InstKind::TextConst { dst, value } => self.text_const(*dst, value)?,
            InstKind::Unary { dst, op, src } => self.unary(*dst, *op, src)?,
            InstKind::Binary { dst, op, a, b } => self.binary(Op::of(*dst, *op, &[*a, *b], line))?,
            InstKind::Cmp { dst, op, a, b } => self.cmp(*dst, *op, a, b)?,
            InstKind::Convert { dst, op, src } => self.convert(*dst, *op, src, line)?,
            InstKind::Select { dst, cond, a, b } => {
                let c = self.operand(cond);
                let x = self.operand(a);
                let y = self.operand(b);
                let v = self.b.ins().select(c, x, y);
                self.set(*dst, v);
            }
            InstKind::Call { dst, callee, args } => self.call(Op { dst: *dst, op: callee, args, line })?,
            InstKind::CallIndirect { dst, sig, target, args } => self.call_indirect(*dst, sig, target, args, line),
            InstKind::Load { dst, ptr, offset } => {
                let ty = self.local_ty(*dst);
                let p = self.operand(ptr);
                let v = self.b.ins().load(clif_type(ty), MemFlagsData::new(), p, *offset);
                self.set(*dst, v);
            }
            InstKind::Store { ptr, offset, src } => {
                let p = self.operand(ptr);
                let v = self.operand(src);
                self.b.ins().store(MemFlagsData::new(), v, p, *offset);
            }
            InstKind::SlotAddr { dst, slot } => {
                let v = self.b.ins().stack_addr(types::I64, self.slots[*slot as usize], 0);
                self.set(*dst, v);
            }
            InstKind::GlobalGet { dst, name } => self.global_get(*dst, name)?,
            InstKind::GlobalSet { name, src } => self.global_set(name, src)?,
            InstKind::Data { dst, op, args } => self.data(Op { dst: *dst, op: *op, args, line })?,
            InstKind::Host { dst, op, name, args } => self.host(Op { dst: *dst, op: *op, args, line }, name)?,
            InstKind::Retain { value } => self.retain(*value)?,
            InstKind::Release { value } => self.release(*value)?,
            InstKind::Checkpoint => self.checkpoint(line),
            InstKind::CountingSteps { dst } => self.counting_steps(*dst),
        }
        Ok(())
    }

    fn term(&mut self, t: &Terminator, blocks: &[ir::Block], loop_depth: &[u32]) -> Result<(), CodegenError> {
        match t {
            Terminator::Jump(target) => {
                self.b.ins().jump(blocks[target.0 as usize], &[]);
            }
            Terminator::Branch { cond, then_block, else_block } => {
                let c = self.operand(cond);
                let (t, e) = (then_block.0 as usize, else_block.0 as usize);
                // The target in more loops goes second (see `loops`).
                if loop_depth.get(t) > loop_depth.get(e) {
                    let not_c = self.b.ins().icmp_imm_s(IntCC::Equal, c, 0);
                    self.b.ins().brif(not_c, blocks[e], &[], blocks[t], &[]);
                } else {
                    self.b.ins().brif(c, blocks[t], &[], blocks[e], &[]);
                }
            }
            Terminator::Switch { value, cases, default } => {
                let t = self.ty_of(value);
                let v = self.operand(value);
                let mut sw = Switch::new();
                for (k, target) in cases {
                    sw.set_entry(truncate(*k, t) as u64 as u128 & mask(t), blocks[target.0 as usize]);
                }
                sw.emit(&mut self.b, v, blocks[default.0 as usize]);
            }
            Terminator::Return(v) => {
                let value = v.as_ref().map(|v| self.operand(v));
                let value = self.across_releases(value)?;
                self.b.ins().return_(value.as_slice());
            }
        }
        Ok(())
    }
}
