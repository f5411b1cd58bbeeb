//! One prepared MIR function to LLVM IR: its locals, blocks, terminators
//! and error exits. Instructions are translated by family in `arith`,
//! `calls` and `managed`; the entry and the checkpoints in `entry`.
//!
//! Every MIR local is a stack slot of its own (an `alloca`), which LLVM's
//! `mem2reg` (run at every level) turns into SSA values: the translation
//! needs no SSA construction of its own.
//!
//! A failed check branches to the function's error block, whose two phis
//! take the error kind and line; the block records them in the context,
//! releases what the function owns and returns zeros. A callee's error
//! goes to the propagating block, which only releases and returns. Both
//! branches are weighted cold.

use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::types::{BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FunctionType};
use inkwell::values::{BasicValue, BasicValueEnum, FunctionValue, IntValue, PhiValue, PointerValue};
use inkwell::{AddressSpace, IntPredicate};

use crate::abi::{self, ErrKind, Helpers};
use crate::backend::lowering::{Entry, MirView, Op, invariant, truncate};
use crate::backend::{CodegenError, Layout, Request};
use crate::mir::{self, Const, InstKind, Operand, Ownership, Terminator, Ty};

/// The LLVM type of a MIR type: bools are bytes holding 0 or 1, pointers
/// and managed values 64-bit integers (converted at each memory access).
pub(super) fn llvm_type(cx: &Context, t: Ty) -> BasicTypeEnum<'_> {
    match t {
        Ty::I8 | Ty::Bool => cx.i8_type().into(),
        Ty::I16 => cx.i16_type().into(),
        Ty::I32 => cx.i32_type().into(),
        Ty::I64 | Ty::Ptr | Ty::Text | Ty::Obj(_) => cx.i64_type().into(),
        Ty::F32 => cx.f32_type().into(),
        Ty::F64 => cx.f64_type().into(),
    }
}

/// A function type of these parameters and result.
pub(super) fn fn_type<'ctx>(
    cx: &'ctx Context,
    params: &[BasicTypeEnum<'ctx>],
    ret: Option<BasicTypeEnum<'ctx>>,
) -> FunctionType<'ctx> {
    let params: Vec<BasicMetadataTypeEnum<'ctx>> = params.iter().map(|p| (*p).into()).collect();
    match ret {
        Some(r) => r.fn_type(&params, false),
        None => cx.void_type().fn_type(&params, false),
    }
}

/// The native type of a MIR function: the context, then the parameters.
pub(super) fn jit_fn_type<'ctx>(cx: &'ctx Context, sig: &mir::Signature) -> FunctionType<'ctx> {
    let mut params = vec![cx.i64_type().as_basic_type_enum()];
    params.extend(sig.params.iter().map(|t| llvm_type(cx, *t)));
    fn_type(cx, &params, sig.ret.map(|t| llvm_type(cx, t)))
}

pub(super) fn translate<'ctx>(
    cx: &'ctx Context,
    module: &Module<'ctx>,
    func: FunctionValue<'ctx>,
    stub: FunctionValue<'ctx>,
    f: &mir::Function,
    func_id: u32,
    request: &Request<'_>,
) -> Result<(), CodegenError> {
    let Ownership::Explicit { release_at_exit } = &f.ownership else {
        return Err(invariant(f, "the function was not prepared (ownership is implicit)"));
    };
    let b = cx.create_builder();
    let entry = cx.append_basic_block(func, "entry");
    b.position_at_end(entry);
    let ctx = func.get_nth_param(0).ok_or_else(|| invariant(f, "no context parameter"))?.into_int_value();
    let mut locals = Vec::with_capacity(f.locals.len());
    for (i, l) in f.locals.iter().enumerate() {
        let ty = llvm_type(cx, l.ty);
        let slot = b.build_alloca(ty, "")?;
        let init = match func.get_nth_param(i as u32 + 1) {
            Some(p) if i < f.sig.params.len() => p,
            _ => zero(cx, l.ty),
        };
        b.build_store(slot, init)?;
        locals.push(slot);
    }
    let mut slots = Vec::with_capacity(f.slots.len());
    for s in &f.slots {
        let size = s.size.div_ceil(8) * 8;
        let ty = cx.i8_type().array_type(size);
        let slot = b.build_alloca(ty, "")?;
        let align = s.align.max(8);
        slot.as_instruction_value().map(|i| i.set_alignment(align));
        b.build_memset(slot, align, cx.i8_type().const_zero(), cx.i64_type().const_int(u64::from(size), false))?;
        slots.push(slot);
    }
    let blocks: Vec<BasicBlock<'ctx>> = f.blocks.iter().map(|mb| cx.append_basic_block(func, &mb.label)).collect();
    let err_block = cx.append_basic_block(func, "error");
    let propagate = cx.append_basic_block(func, "propagate");
    b.position_at_end(err_block);
    let err_kind = b.build_phi(cx.i32_type(), "kind")?;
    let err_line = b.build_phi(cx.i32_type(), "line")?;
    b.position_at_end(entry);
    let mut t = Translator {
        cx,
        module,
        b,
        func,
        ctx,
        tripwire_at: cx.i64_type().const_zero(),
        locals,
        slots,
        err_block,
        err_kind,
        err_line,
        propagate,
        release_at_exit,
        func_id,
        stub,
        f,
        layout: request.layout,
        helpers: request.helpers,
    };
    t.tripwire_at = t.ctx_load(abi::CTX_TRIPWIRE_AT, cx.i64_type().into())?.into_int_value();
    let skip = t.entry(&blocks)?;
    for (i, mb) in f.blocks.iter().enumerate() {
        let insts = match skip {
            Entry::Dispatched if i == 0 => {
                // No branch reaches it (the entry took its place): LLVM
                // drops it, but every block needs a terminator.
                t.b.position_at_end(blocks[i]);
                t.b.build_unreachable()?;
                continue;
            }
            Entry::CheckpointDone if i == 0 => &mb.insts[1..],
            _ => &mb.insts[..],
        };
        t.b.position_at_end(blocks[i]);
        for inst in insts {
            t.inst(inst)?;
        }
        t.term(&mb.term, &blocks)?;
    }
    t.error_exits()
}

pub(super) fn zero<'ctx>(cx: &'ctx Context, t: Ty) -> BasicValueEnum<'ctx> {
    match llvm_type(cx, t) {
        BasicTypeEnum::FloatType(f) => f.const_zero().into(),
        BasicTypeEnum::IntType(i) => i.const_zero().into(),
        other => other.const_zero(),
    }
}

/// The state of one function's translation.
pub(super) struct Translator<'a, 'ctx> {
    pub cx: &'ctx Context,
    pub module: &'a Module<'ctx>,
    pub b: Builder<'ctx>,
    pub func: FunctionValue<'ctx>,
    /// The execution context (`*mut abi::ExecCtx`, as an integer).
    pub ctx: IntValue<'ctx>,
    /// The address of the context's tripwire (`abi::ExecCtx::tripwire_at`).
    pub tripwire_at: IntValue<'ctx>,
    locals: Vec<PointerValue<'ctx>>,
    slots: Vec<PointerValue<'ctx>>,
    err_block: BasicBlock<'ctx>,
    err_kind: PhiValue<'ctx>,
    err_line: PhiValue<'ctx>,
    /// Exits after a callee recorded an error.
    pub propagate: BasicBlock<'ctx>,
    /// Locals whose references every exit drops.
    release_at_exit: &'a [mir::Local],
    pub func_id: u32,
    /// The module's checkpoint stub (`entry::checkpoint_stub`).
    pub stub: FunctionValue<'ctx>,
    pub f: &'a mir::Function,
    pub layout: &'a dyn Layout,
    pub helpers: &'a Helpers,
}

impl<'ctx> Translator<'_, 'ctx> {
    pub fn i64(&self, v: i64) -> IntValue<'ctx> {
        self.cx.i64_type().const_int(v as u64, true)
    }

    pub fn i32(&self, v: i64) -> IntValue<'ctx> {
        self.cx.i32_type().const_int(v as u64, true)
    }

    pub fn operand(&self, op: &Operand) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        Ok(match op {
            Operand::Local(l) => self.local(*l)?,
            Operand::Const(Const::Int(v, t)) => {
                let v = if *t == Ty::Bool { i64::from(*v != 0) } else { truncate(*v, *t) };
                llvm_type(self.cx, *t).into_int_type().const_int(v as u64, true).into()
            }
            Operand::Const(Const::F32(v)) => self.cx.f32_type().const_float(f64::from(*v)).into(),
            Operand::Const(Const::F64(v)) => self.cx.f64_type().const_float(*v).into(),
        })
    }

    /// An integer (or bool, or pointer) operand.
    pub fn int(&self, op: &Operand) -> Result<IntValue<'ctx>, CodegenError> {
        match self.operand(op)? {
            BasicValueEnum::IntValue(v) => Ok(v),
            other => Err(self.invariant(format!("an integer operand is a {other:?}"))),
        }
    }

    pub fn local(&self, l: mir::Local) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let slot = *self.locals.get(l.0 as usize).ok_or_else(|| self.invariant(format!("no local {}", l.0)))?;
        Ok(self.b.build_load(llvm_type(self.cx, self.local_ty(l)), slot, "")?)
    }

    pub fn set(&self, dst: mir::Local, v: impl BasicValue<'ctx>) -> Result<(), CodegenError> {
        let slot = *self.locals.get(dst.0 as usize).ok_or_else(|| self.invariant(format!("no local {}", dst.0)))?;
        self.b.build_store(slot, v)?;
        Ok(())
    }

    /// `addr` (an integer) as a pointer.
    pub fn ptr(&self, addr: IntValue<'ctx>) -> Result<PointerValue<'ctx>, CodegenError> {
        Ok(self.b.build_int_to_ptr(addr, self.cx.ptr_type(AddressSpace::default()), "")?)
    }

    /// The address `base + offset`, as a pointer.
    pub fn at(&self, base: IntValue<'ctx>, offset: i32) -> Result<PointerValue<'ctx>, CodegenError> {
        let addr = if offset == 0 { base } else { self.b.build_int_add(base, self.i64(i64::from(offset)), "")? };
        self.ptr(addr)
    }

    /// A word of the context.
    pub fn ctx_load(&self, offset: i32, ty: BasicTypeEnum<'ctx>) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let p = self.at(self.ctx, offset)?;
        Ok(self.b.build_load(ty, p, "")?)
    }

    pub fn ctx_store(&self, offset: i32, v: impl BasicValue<'ctx>) -> Result<(), CodegenError> {
        let p = self.at(self.ctx, offset)?;
        self.b.build_store(p, v)?;
        Ok(())
    }

    /// A new block, after the current one.
    pub fn block(&self, name: &str) -> BasicBlock<'ctx> {
        self.cx.append_basic_block(self.func, name)
    }

    /// Branches to `cold` if `cond` holds, else to `hot`, telling LLVM which
    /// is rare.
    pub fn branch_cold(
        &self,
        cond: IntValue<'ctx>,
        cold: BasicBlock<'ctx>,
        hot: BasicBlock<'ctx>,
    ) -> Result<(), CodegenError> {
        let br = self.b.build_conditional_branch(cond, cold, hot)?;
        let weights = self.cx.metadata_node(&[
            self.cx.metadata_string("branch_weights").into(),
            self.cx.i32_type().const_int(1, false).into(),
            self.cx.i32_type().const_int(2000, false).into(),
        ]);
        br.set_metadata(weights, self.cx.get_kind_id("prof")).map_err(|e| self.invariant(e.to_string()))
    }

    /// If `cond` (an i1) holds, fail with `kind` at `line`; otherwise go on
    /// in a fresh block.
    pub fn check(&self, cond: IntValue<'ctx>, kind: ErrKind, line: u32) -> Result<(), CodegenError> {
        self.check_with(cond, self.i32(kind as i64), line)
    }

    /// [`Translator::check`] with the kind as a value.
    pub fn check_with(&self, cond: IntValue<'ctx>, kind: IntValue<'ctx>, line: u32) -> Result<(), CodegenError> {
        let here = self.b.get_insert_block().ok_or_else(|| self.invariant("no current block"))?;
        let next = self.block("ok");
        self.err_kind.add_incoming(&[(&kind, here)]);
        self.err_line.add_incoming(&[(&self.i32(i64::from(line as i32)), here)]);
        self.branch_cold(cond, self.err_block, next)?;
        self.b.position_at_end(next);
        Ok(())
    }

    /// The block being built.
    pub fn here(&self) -> Result<BasicBlock<'ctx>, CodegenError> {
        self.b.get_insert_block().ok_or_else(|| self.invariant("no current block"))
    }

    /// Ends the current block with a branch to the error exit, which
    /// records `kind` at `line` (a helper may have recorded its detail).
    pub fn fail(&self, kind: ErrKind, line: u32) -> Result<(), CodegenError> {
        let here = self.here()?;
        self.err_kind.add_incoming(&[(&self.i32(kind as i64), here)]);
        self.err_line.add_incoming(&[(&self.i32(i64::from(line as i32)), here)]);
        self.b.build_unconditional_branch(self.err_block)?;
        Ok(())
    }

    /// Goes to the propagating exit if the context holds an error.
    pub fn propagate_if_failed(&self) -> Result<(), CodegenError> {
        let failed = self.error_recorded()?;
        let next = self.block("ok");
        self.branch_cold(failed, self.propagate, next)?;
        self.b.position_at_end(next);
        Ok(())
    }

    /// Whether the context's error kind is set (an i1).
    pub fn error_recorded(&self) -> Result<IntValue<'ctx>, CodegenError> {
        let kind = self.ctx_load(abi::CTX_ERR_KIND, self.cx.i32_type().into())?.into_int_value();
        Ok(self.b.build_int_compare(IntPredicate::NE, kind, self.i32(0), "")?)
    }

    pub fn record_error(&self, kind: IntValue<'ctx>, line: IntValue<'ctx>) -> Result<(), CodegenError> {
        self.ctx_store(abi::CTX_ERR_KIND, kind)?;
        self.ctx_store(abi::CTX_ERR_LINE, line)?;
        self.ctx_store(abi::CTX_ERR_FUNC, self.i32(i64::from(self.func_id as i32)))
    }

    pub fn return_zero(&self) -> Result<(), CodegenError> {
        match self.f.sig.ret {
            Some(t) => self.b.build_return(Some(&zero(self.cx, t)))?,
            None => self.b.build_return(None)?,
        };
        Ok(())
    }

    /// Drops the reference each local of `release_at_exit` holds.
    fn release_owned(&self) -> Result<(), CodegenError> {
        for l in self.release_at_exit {
            let v = self.local(*l)?.into_int_value();
            self.release_value(self.local_ty(*l), v)?;
        }
        Ok(())
    }

    /// The two cold exits, or none where nothing branches to them.
    fn error_exits(&self) -> Result<(), CodegenError> {
        if self.err_block.get_first_use().is_some() {
            self.b.position_at_end(self.err_block);
            self.record_error(
                self.err_kind.as_basic_value().into_int_value(),
                self.err_line.as_basic_value().into_int_value(),
            )?;
            self.release_owned()?;
            self.return_zero()?;
        } else {
            // SAFETY: nothing branches to the block, and no value of it is used.
            unsafe { self.err_block.delete() }.map_err(|()| self.invariant("could not drop the error block"))?;
        }
        if self.propagate.get_first_use().is_some() {
            self.b.position_at_end(self.propagate);
            self.release_owned()?;
            self.return_zero()?;
        } else {
            // SAFETY: as above.
            unsafe { self.propagate.delete() }.map_err(|()| self.invariant("could not drop the exit block"))?;
        }
        Ok(())
    }

    fn inst(&self, inst: &mir::Inst) -> Result<(), CodegenError> {
        let line = inst.line;
        match &inst.kind {
            InstKind::Copy { dst, src } => self.set(*dst, self.operand(src)?)?,
            InstKind::TextConst { dst, value } => self.set(*dst, self.i64(self.text_literal(value)? as i64))?,
            InstKind::Select { dst, cond, a, b } => {
                let c = self.truth(self.int(cond)?)?;
                let v = self.b.build_select(c, self.operand(a)?, self.operand(b)?, "")?;
                self.set(*dst, v)?;
            }
            InstKind::Unary { dst, op, src } => self.unary(*dst, *op, src)?,
            InstKind::Binary { dst, op, a, b } => self.binary(Op::of(*dst, *op, &[*a, *b], line))?,
            InstKind::Cmp { dst, op, a, b } => self.cmp(*dst, *op, a, b)?,
            InstKind::Convert { dst, op, src } => self.convert(*dst, *op, src, line)?,
            InstKind::Call { dst, callee, args } => self.call(Op { dst: *dst, op: callee, args, line })?,
            InstKind::CallIndirect { dst, sig, target, args } => self.call_indirect(*dst, sig, target, args, line)?,
            InstKind::Load { dst, ptr, offset } => {
                let p = self.at(self.int(ptr)?, *offset)?;
                let v = self.b.build_load(llvm_type(self.cx, self.local_ty(*dst)), p, "")?;
                // Unchecked, like C, but not assumed aligned.
                v.as_instruction_value().map(|i| i.set_alignment(1));
                self.set(*dst, v)?;
            }
            InstKind::Store { ptr, offset, src } => {
                let p = self.at(self.int(ptr)?, *offset)?;
                let st = self.b.build_store(p, self.operand(src)?)?;
                st.set_alignment(1).map_err(|e| self.invariant(e.to_string()))?;
            }
            InstKind::SlotAddr { dst, slot } => {
                let s = *self.slots.get(*slot as usize).ok_or_else(|| self.invariant(format!("no slot {slot}")))?;
                self.set(*dst, self.b.build_ptr_to_int(s, self.cx.i64_type(), "")?)?;
            }
            InstKind::GlobalGet { dst, name } => self.global_get(*dst, name)?,
            InstKind::GlobalSet { name, src } => self.global_set(name, src)?,
            InstKind::Retain { value } => self.retain(*value)?,
            InstKind::Release { value } => {
                let v = self.local(*value)?.into_int_value();
                self.release_value(self.local_ty(*value), v)?;
            }
            InstKind::Checkpoint => self.checkpoint(line)?,
            InstKind::CountingSteps { dst } => self.counting_steps(*dst)?,
            InstKind::Data { dst, op, args } => self.data(Op { dst: *dst, op: *op, args, line })?,
            InstKind::Host { dst, op, name, args } => self.host(Op { dst: *dst, op: *op, args, line }, name)?,
        }
        Ok(())
    }

    /// A bool (a byte) as an i1.
    pub fn truth(&self, v: IntValue<'ctx>) -> Result<IntValue<'ctx>, CodegenError> {
        if v.get_type().get_bit_width() == 1 {
            return Ok(v);
        }
        Ok(self.b.build_int_compare(IntPredicate::NE, v, v.get_type().const_zero(), "")?)
    }

    /// An i1 as a bool (a byte).
    pub fn boolean(&self, v: IntValue<'ctx>) -> Result<IntValue<'ctx>, CodegenError> {
        Ok(self.b.build_int_z_extend(v, self.cx.i8_type(), "")?)
    }

    fn term(&self, t: &Terminator, blocks: &[BasicBlock<'ctx>]) -> Result<(), CodegenError> {
        let target =
            |b: &mir::BlockId| blocks.get(b.0 as usize).copied().ok_or_else(|| self.invariant("no such block"));
        match t {
            Terminator::Jump(to) => {
                self.b.build_unconditional_branch(target(to)?)?;
            }
            Terminator::Branch { cond, then_block, else_block } => {
                let c = self.truth(self.int(cond)?)?;
                self.b.build_conditional_branch(c, target(then_block)?, target(else_block)?)?;
            }
            Terminator::Switch { value, cases, default } => {
                let v = self.int(value)?;
                let ty = self.ty_of(value);
                let mut seen = std::collections::HashSet::new();
                let mut arms = Vec::with_capacity(cases.len());
                // The first case of a value wins; LLVM takes each value once.
                for (k, to) in cases {
                    let k = truncate(*k, ty);
                    if seen.insert(k) {
                        arms.push((v.get_type().const_int(k as u64, true), target(to)?));
                    }
                }
                self.b.build_switch(v, target(default)?, &arms)?;
            }
            Terminator::Return(v) => {
                let value = v.as_ref().map(|v| self.operand(v)).transpose()?;
                self.release_owned()?;
                match value {
                    Some(v) => self.b.build_return(Some(&v))?,
                    None => self.b.build_return(None)?,
                };
            }
        }
        Ok(())
    }
}

crate::backend::lowering::mir_view!(Translator);
