//! One MIR function to Cranelift IR.
//!
//! Checked operations (division, integer power) and the stack check branch
//! to a shared cold block that records the error in the execution context
//! and returns; calls are followed by a check of the context, so errors
//! propagate as ordinary returns. No trap instruction is ever emitted.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    self, AbiParam, BlockArg, InstBuilder, MemFlagsData, StackSlotData, StackSlotKind, Value, types,
};
use cranelift_codegen::isa::TargetIsa;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Switch, Variable};

use super::abi::{self, ErrKind, Helpers};
use super::{Callee, CodegenError, Layout, c_signature, clif_signature, clif_type};
use crate::mir::{self, BinOp, CmpOp, Const, ConvOp, InstKind, Operand, Terminator, Ty, UnOp};

pub fn translate(
    func: &mut ir::Function,
    fbc: &mut FunctionBuilderContext,
    f: &mir::Function,
    func_id: u32,
    layout: &dyn Layout,
    helpers: &Helpers,
    isa: &dyn TargetIsa,
) -> Result<(), CodegenError> {
    let mut b = FunctionBuilder::new(func, fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let ctx = b.block_params(entry)[0];
    let params: Vec<Value> = b.block_params(entry)[1..].to_vec();

    let vars: Vec<Variable> = f.locals.iter().map(|l| b.declare_var(clif_type(l.ty))).collect();
    for (i, l) in f.locals.iter().enumerate() {
        let v = match params.get(i) {
            Some(p) => *p,
            None => zero(&mut b, l.ty),
        };
        b.def_var(vars[i], v);
    }
    // Stack slots, zeroed on entry (sizes rounded up to 8 bytes).
    let mut slots = Vec::with_capacity(f.slots.len());
    for slot in &f.slots {
        let size = slot.size.div_ceil(8) * 8;
        let ss = b.create_sized_stack_slot(StackSlotData::new(
            StackSlotKind::ExplicitSlot,
            size,
            slot.align.max(8).trailing_zeros() as u8,
        ));
        let addr = b.ins().stack_addr(types::I64, ss, 0);
        if size <= 64 {
            let z = b.ins().iconst(types::I64, 0);
            for off in (0..size).step_by(8) {
                b.ins().store(MemFlagsData::trusted(), z, addr, off as i32);
            }
        } else {
            let mut sig = ir::Signature::new(isa.default_call_conv());
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
    let text_locals: Vec<usize> =
        f.locals.iter().enumerate().filter(|(_, l)| l.ty == Ty::Text).map(|(i, _)| i).collect();

    let blocks: Vec<ir::Block> = f.blocks.iter().map(|_| b.create_block()).collect();
    let loop_depth = super::loops::depths(f);
    let err_block = b.create_block();
    b.append_block_param(err_block, types::I32);
    b.append_block_param(err_block, types::I32);
    b.set_cold_block(err_block);
    let propagate = b.create_block();
    b.set_cold_block(propagate);

    let mut cx = Cx {
        b,
        ctx,
        vars,
        slots,
        text_locals,
        err_block,
        propagate,
        f,
        layout,
        helpers,
        call_conv: isa.default_call_conv(),
    };
    // A function owns its text parameters like its other text locals.
    for (p, local) in params.iter().zip(&f.locals) {
        if local.ty == Ty::Text {
            cx.retain(*p);
        }
    }

    // Stack check: the limit is in the execution context.
    let sp = cx.b.ins().get_stack_pointer(types::I64);
    let limit = cx.b.ins().load(types::I64, MemFlagsData::trusted(), ctx, abi::CTX_STACK_LIMIT);
    let overflow = cx.b.ins().icmp(IntCC::UnsignedLessThan, sp, limit);
    cx.branch_to_error(overflow, ErrKind::StackOverflow, f.line, blocks[0]);

    for (mb, cb) in f.blocks.iter().zip(&blocks) {
        cx.b.switch_to_block(*cb);
        for inst in &mb.insts {
            cx.inst(inst)?;
        }
        cx.term(&mb.term, &blocks, &loop_depth)?;
    }

    // The error exit: record (kind, line, function) and return zeros.
    cx.b.switch_to_block(err_block);
    let kind = cx.b.block_params(err_block)[0];
    let line = cx.b.block_params(err_block)[1];
    let fid = cx.b.ins().iconst(types::I32, i64::from(func_id as i32));
    cx.b.ins().store(MemFlagsData::trusted(), kind, ctx, abi::CTX_ERR_KIND);
    cx.b.ins().store(MemFlagsData::trusted(), line, ctx, abi::CTX_ERR_LINE);
    cx.b.ins().store(MemFlagsData::trusted(), fid, ctx, abi::CTX_ERR_FUNC);
    cx.release_text_locals();
    cx.return_zero();
    cx.b.switch_to_block(propagate);
    cx.release_text_locals();
    cx.return_zero();

    cx.b.seal_all_blocks();
    cx.b.finalize(isa.frontend_config());
    Ok(())
}

fn zero(b: &mut FunctionBuilder, t: Ty) -> Value {
    match t {
        Ty::F32 => b.ins().f32const(0.0),
        Ty::F64 => b.ins().f64const(0.0),
        other => b.ins().iconst(clif_type(other), 0),
    }
}

struct Cx<'a, 'b> {
    b: FunctionBuilder<'b>,
    ctx: Value,
    vars: Vec<Variable>,
    slots: Vec<ir::StackSlot>,
    /// Indices of the text locals, which hold references.
    text_locals: Vec<usize>,
    err_block: ir::Block,
    propagate: ir::Block,
    f: &'a mir::Function,
    layout: &'a dyn Layout,
    helpers: &'a Helpers,
    call_conv: cranelift_codegen::isa::CallConv,
}

impl Cx<'_, '_> {
    fn return_zero(&mut self) {
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

    /// If `cond` is nonzero, go to the error exit with `kind`; otherwise
    /// continue in `next` (which the caller switches to).
    fn branch_to_error(&mut self, cond: Value, kind: ErrKind, line: u32, next: ir::Block) {
        let k = self.b.ins().iconst(types::I32, kind as i64);
        let l = self.b.ins().iconst(types::I32, i64::from(line as i32));
        self.b.ins().brif(cond, self.err_block, &[BlockArg::Value(k), BlockArg::Value(l)], next, &[]);
    }

    /// Like `branch_to_error`, continuing in a fresh block.
    fn check(&mut self, cond: Value, kind: ErrKind, line: u32) {
        let next = self.b.create_block();
        self.branch_to_error(cond, kind, line, next);
        self.b.switch_to_block(next);
    }

    fn ty_of(&self, op: &Operand) -> Ty {
        self.f.operand_ty(op).unwrap_or(Ty::I64)
    }

    fn operand(&mut self, op: &Operand) -> Value {
        match op {
            Operand::Local(l) => self.b.use_var(self.vars[l.0 as usize]),
            Operand::Const(Const::Int(v, t)) => {
                let t = *t;
                let v = if t == Ty::Bool { i64::from(*v != 0) } else { *v };
                self.b.ins().iconst(clif_type(t), truncate(v, t))
            }
            Operand::Const(Const::F32(v)) => self.b.ins().f32const(*v),
            Operand::Const(Const::F64(v)) => self.b.ins().f64const(*v),
        }
    }

    fn set(&mut self, dst: mir::Local, v: Value) {
        self.b.def_var(self.vars[dst.0 as usize], v);
    }

    fn call_helper(&mut self, addr: usize, params: &[ir::Type], ret: ir::Type, args: &[Value]) -> Value {
        self.call_helper_ret(addr, params, Some(ret), args).unwrap_or(self.ctx)
    }

    fn call_helper_ret(
        &mut self,
        addr: usize,
        params: &[ir::Type],
        ret: Option<ir::Type>,
        args: &[Value],
    ) -> Option<Value> {
        let mut sig = ir::Signature::new(self.call_conv);
        sig.params.extend(params.iter().map(|t| AbiParam::new(*t)));
        sig.returns.extend(ret.map(AbiParam::new));
        let sigref = self.b.import_signature(sig);
        let callee = self.b.ins().iconst(types::I64, addr as i64);
        let call = self.b.ins().call_indirect(sigref, callee, args);
        self.b.inst_results(call).first().copied()
    }

    fn retain(&mut self, text: Value) {
        self.call_helper_ret(self.helpers.text.retain, &[types::I64], None, &[text]);
    }

    fn release(&mut self, text: Value) {
        self.call_helper_ret(self.helpers.text.release, &[types::I64], None, &[text]);
    }

    fn release_text_locals(&mut self) {
        for i in self.text_locals.clone() {
            let v = self.b.use_var(self.vars[i]);
            self.release(v);
        }
    }

    /// Assigns `v` to `dst`. A text local owns its value: a borrowed `v`
    /// gets a reference of its own, and the old value's is dropped.
    fn assign(&mut self, dst: mir::Local, v: Value, owned: bool) {
        if self.f.local_ty(dst) == Some(Ty::Text) {
            if !owned {
                self.retain(v);
            }
            let old = self.b.use_var(self.vars[dst.0 as usize]);
            self.release(old);
        }
        self.b.def_var(self.vars[dst.0 as usize], v);
    }

    /// Branches to the error exit if a runtime helper recorded an error.
    fn check_helper(&mut self, kind: ErrKind, line: u32) {
        let failed = self.b.ins().load(types::I32, MemFlagsData::trusted(), self.ctx, abi::CTX_ERR_KIND);
        self.check(failed, kind, line);
    }

    fn inst(&mut self, inst: &mir::Inst) -> Result<(), CodegenError> {
        let line = inst.line;
        match &inst.kind {
            InstKind::Copy { dst, src } => {
                let v = self.operand(src);
                self.assign(*dst, v, false);
            }
            InstKind::TextConst { dst, value } => {
                let addr = self.layout.text_literal(value);
                let v = self.b.ins().iconst(types::I64, addr as i64);
                self.assign(*dst, v, false);
            }
            InstKind::Unary { dst, op: UnOp::Len, src } => {
                let x = self.operand(src);
                let v = self.call_helper(self.helpers.text.length, &[types::I64], types::I64, &[x]);
                self.set(*dst, v);
            }
            InstKind::Unary { dst, op, src } => {
                let t = self.ty_of(src);
                let x = self.operand(src);
                let ins = self.b.ins();
                let v = match (op, t.is_float()) {
                    (UnOp::Neg, false) => ins.ineg(x),
                    (UnOp::Neg, true) => ins.fneg(x),
                    (UnOp::Not, _) if t == Ty::Bool => ins.bxor_imm_u(x, 1),
                    (UnOp::Not, _) => ins.bnot(x),
                    (UnOp::Abs, false) => ins.iabs(x),
                    (UnOp::Abs, true) => ins.fabs(x),
                    (UnOp::Sqrt, _) => ins.sqrt(x),
                    (UnOp::Floor, _) => ins.floor(x),
                    (UnOp::Ceil, _) => ins.ceil(x),
                    (UnOp::Trunc, _) => ins.trunc(x),
                    // Handled above.
                    (UnOp::Len, _) => x,
                };
                self.set(*dst, v);
            }
            InstKind::Binary { dst, op: BinOp::Add, a, b } if self.ty_of(a) == Ty::Text => {
                let x = self.operand(a);
                let y = self.operand(b);
                let v = self.call_helper(self.helpers.text.concat, &[types::I64, types::I64], types::I64, &[x, y]);
                self.assign(*dst, v, true);
            }
            InstKind::Binary { dst, op, a, b } => {
                let v = self.binary(*op, a, b, line);
                self.set(*dst, v);
            }
            InstKind::Cmp { dst, op, a, b } => {
                let t = self.ty_of(a);
                let x = self.operand(a);
                let y = self.operand(b);
                let v = if t == Ty::Text {
                    self.text_cmp(*op, x, y)
                } else if t.is_float() {
                    let cc = match op {
                        CmpOp::Eq => FloatCC::Equal,
                        CmpOp::Ne => FloatCC::NotEqual,
                        CmpOp::Lt | CmpOp::ULt => FloatCC::LessThan,
                        CmpOp::Le | CmpOp::ULe => FloatCC::LessThanOrEqual,
                        CmpOp::Gt | CmpOp::UGt => FloatCC::GreaterThan,
                        CmpOp::Ge | CmpOp::UGe => FloatCC::GreaterThanOrEqual,
                    };
                    self.b.ins().fcmp(cc, x, y)
                } else {
                    let cc = match op {
                        CmpOp::Eq => IntCC::Equal,
                        CmpOp::Ne => IntCC::NotEqual,
                        CmpOp::Lt => IntCC::SignedLessThan,
                        CmpOp::Le => IntCC::SignedLessThanOrEqual,
                        CmpOp::Gt => IntCC::SignedGreaterThan,
                        CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
                        CmpOp::ULt => IntCC::UnsignedLessThan,
                        CmpOp::ULe => IntCC::UnsignedLessThanOrEqual,
                        CmpOp::UGt => IntCC::UnsignedGreaterThan,
                        CmpOp::UGe => IntCC::UnsignedGreaterThanOrEqual,
                    };
                    self.b.ins().icmp(cc, x, y)
                };
                self.set(*dst, v);
            }
            InstKind::Convert { dst, op: ConvOp::ToText, src } => {
                let from = self.ty_of(src);
                let x = self.operand(src);
                let t = &self.helpers.text;
                let v = match from {
                    Ty::Bool => self.call_helper(t.from_bool, &[types::I8], types::I64, &[x]),
                    Ty::F64 => self.call_helper(t.from_f64, &[types::F64], types::I64, &[x]),
                    Ty::F32 => {
                        let wide = self.b.ins().fpromote(types::F64, x);
                        self.call_helper(t.from_f64, &[types::F64], types::I64, &[wide])
                    }
                    other => {
                        let wide = if other.bits() < 64 { self.b.ins().sextend(types::I64, x) } else { x };
                        self.call_helper(t.from_i64, &[types::I64], types::I64, &[wide])
                    }
                };
                self.assign(*dst, v, true);
            }
            InstKind::Convert { dst, op: ConvOp::Parse, src } => {
                let x = self.operand(src);
                let v = if self.f.local_ty(*dst) == Some(Ty::F64) {
                    self.call_helper(self.helpers.text.parse_f64, &[types::I64, types::I64], types::F64, &[self.ctx, x])
                } else {
                    self.call_helper(self.helpers.text.parse_i64, &[types::I64, types::I64], types::I64, &[self.ctx, x])
                };
                self.check_helper(ErrKind::InvalidNumber, line);
                self.set(*dst, v);
            }
            InstKind::Convert { dst, op, src } => {
                let from = self.ty_of(src);
                let to = self.f.local_ty(*dst).unwrap_or(Ty::I64);
                let x = self.operand(src);
                let v = self.convert(*op, from, to, x);
                self.set(*dst, v);
            }
            InstKind::Select { dst, cond, a, b } => {
                let c = self.operand(cond);
                let x = self.operand(a);
                let y = self.operand(b);
                let v = self.b.ins().select(c, x, y);
                self.assign(*dst, v, false);
            }
            InstKind::Call { dst, callee, args } => {
                let target = self
                    .layout
                    .callee(callee)
                    .ok_or_else(|| CodegenError::Unresolved(format!("function `{callee}`")))?;
                let mut vals = Vec::with_capacity(args.len() + 1);
                let (slot, sigref) = match &target {
                    Callee::Jit { slot, sig } => {
                        vals.push(self.ctx);
                        (*slot, self.b.import_signature(clif_signature(sig, self.call_conv)))
                    }
                    Callee::Host { slot, sig } => (*slot, self.b.import_signature(c_signature(sig, self.call_conv))),
                };
                for a in args {
                    vals.push(self.operand(a));
                }
                let slot_addr = self.b.ins().iconst(types::I64, slot as i64);
                let code = self.b.ins().load(types::I64, MemFlagsData::trusted(), slot_addr, 0);
                let call = self.b.ins().call_indirect(sigref, code, &vals);
                let result = self.b.inst_results(call).first().copied();
                match &target {
                    // An error in the callee: just return (it is recorded).
                    Callee::Jit { .. } => {
                        let failed =
                            self.b.ins().load(types::I32, MemFlagsData::trusted(), self.ctx, abi::CTX_ERR_KIND);
                        let next = self.b.create_block();
                        self.b.ins().brif(failed, self.propagate, &[], next, &[]);
                        self.b.switch_to_block(next);
                    }
                    // `rt_raise_error` in the host: record where.
                    Callee::Host { .. } => self.check_helper(ErrKind::HostError, line),
                }
                match (dst, result) {
                    (Some(d), Some(r)) => self.assign(*d, r, true),
                    // A discarded text result still holds a reference.
                    (None, Some(r)) if target.sig().ret == Some(Ty::Text) => self.release(r),
                    _ => {}
                }
            }
            InstKind::CallIndirect { dst, sig, target, args } => {
                let sigref = self.b.import_signature(c_signature(sig, self.call_conv));
                let code = self.operand(target);
                let vals: Vec<Value> = args.iter().map(|a| self.operand(a)).collect();
                let call = self.b.ins().call_indirect(sigref, code, &vals);
                let result = self.b.inst_results(call).first().copied();
                self.check_helper(ErrKind::HostError, line);
                if let (Some(d), Some(r)) = (dst, result) {
                    self.set(*d, r);
                }
            }
            InstKind::Load { dst, ptr, offset } => {
                let ty = self.f.local_ty(*dst).unwrap_or(Ty::I64);
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
            InstKind::GlobalGet { dst, name } => {
                let (cell, ty) = self
                    .layout
                    .global_cell(name)
                    .ok_or_else(|| CodegenError::Unresolved(format!("global `{name}`")))?;
                let addr = self.b.ins().iconst(types::I64, cell as i64);
                if ty == Ty::Text {
                    let v = self.call_helper(self.helpers.text.global_load, &[types::I64], types::I64, &[addr]);
                    self.assign(*dst, v, true);
                } else {
                    let v = self.b.ins().load(clif_type(ty), MemFlagsData::trusted(), addr, 0);
                    self.set(*dst, v);
                }
            }
            InstKind::GlobalSet { name, src } => {
                let (cell, ty) = self
                    .layout
                    .global_cell(name)
                    .ok_or_else(|| CodegenError::Unresolved(format!("global `{name}`")))?;
                let v = self.operand(src);
                let addr = self.b.ins().iconst(types::I64, cell as i64);
                if ty == Ty::Text {
                    self.call_helper_ret(self.helpers.text.global_store, &[types::I64, types::I64], None, &[addr, v]);
                } else {
                    self.b.ins().store(MemFlagsData::trusted(), v, addr, 0);
                }
            }
        }
        Ok(())
    }

    /// Text comparison: equality by `equal`, order by `compare`'s sign.
    fn text_cmp(&mut self, op: CmpOp, x: Value, y: Value) -> Value {
        let t = self.helpers.text;
        match op {
            CmpOp::Eq | CmpOp::Ne => {
                let eq = self.call_helper(t.equal, &[types::I64, types::I64], types::I8, &[x, y]);
                if op == CmpOp::Eq { eq } else { self.b.ins().bxor_imm_u(eq, 1) }
            }
            _ => {
                let c = self.call_helper(t.compare, &[types::I64, types::I64], types::I32, &[x, y]);
                let cc = match op {
                    CmpOp::Lt | CmpOp::ULt => IntCC::SignedLessThan,
                    CmpOp::Le | CmpOp::ULe => IntCC::SignedLessThanOrEqual,
                    CmpOp::Gt | CmpOp::UGt => IntCC::SignedGreaterThan,
                    _ => IntCC::SignedGreaterThanOrEqual,
                };
                self.b.ins().icmp_imm_s(cc, c, 0)
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: &Operand, b: &Operand, line: u32) -> Value {
        let t = self.ty_of(a);
        if t.is_float() {
            return self.float_binary(op, t, a, b);
        }
        let x = self.operand(a);
        let y = self.operand(b);
        match op {
            BinOp::Add => self.b.ins().iadd(x, y),
            BinOp::Sub => self.b.ins().isub(x, y),
            BinOp::Mul => self.b.ins().imul(x, y),
            BinOp::Div | BinOp::Rem => self.signed_div(op == BinOp::Div, x, y, b, line),
            BinOp::UDiv | BinOp::URem => {
                if !matches!(b, Operand::Const(Const::Int(v, _)) if truncate(*v, t) != 0) {
                    let zero = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
                    self.check(zero, ErrKind::DivisionByZero, line);
                }
                if op == BinOp::UDiv { self.b.ins().udiv(x, y) } else { self.b.ins().urem(x, y) }
            }
            BinOp::Pow => self.int_pow(t, x, y, b, line),
            BinOp::And => self.b.ins().band(x, y),
            BinOp::Or => self.b.ins().bor(x, y),
            BinOp::Xor => self.b.ins().bxor(x, y),
            BinOp::Shl => self.b.ins().ishl(x, y),
            BinOp::Shr => self.b.ins().sshr(x, y),
            BinOp::UShr => self.b.ins().ushr(x, y),
            BinOp::Min => self.b.ins().smin(x, y),
            BinOp::Max => self.b.ins().smax(x, y),
        }
    }

    /// `/` and `%` on signed integers: zero is an error; `MIN / -1` wraps to
    /// MIN and `MIN % -1` is 0 (x86 `idiv` would fault on both).
    fn signed_div(&mut self, div: bool, x: Value, y: Value, b: &Operand, line: u32) -> Value {
        let t = self.ty_of(b);
        if let Operand::Const(Const::Int(v, _)) = b {
            let v = truncate(*v, t);
            if v != 0 && v != -1 && v != truncate(-1, t) {
                return if div { self.b.ins().sdiv(x, y) } else { self.b.ins().srem(x, y) };
            }
        }
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
        self.check(zero, ErrKind::DivisionByZero, line);
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
        let one = self.b.ins().iconst(clif_type(t), 1);
        let safe = self.b.ins().select(minus_one, one, y);
        if div {
            let q = self.b.ins().sdiv(x, safe);
            let neg = self.b.ins().ineg(x);
            self.b.ins().select(minus_one, neg, q)
        } else {
            let r = self.b.ins().srem(x, safe);
            let z = self.b.ins().iconst(clif_type(t), 0);
            self.b.ins().select(minus_one, z, r)
        }
    }

    fn int_pow(&mut self, t: Ty, x: Value, y: Value, b: &Operand, line: u32) -> Value {
        if let Operand::Const(Const::Int(v, _)) = b {
            let v = truncate(*v, t);
            if (0..=4).contains(&v) {
                let mut acc = self.b.ins().iconst(clif_type(t), 1);
                for _ in 0..v {
                    acc = self.b.ins().imul(acc, x);
                }
                return acc;
            }
        }
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, y, 0);
        self.check(negative, ErrKind::NegativeExponent, line);
        let (x64, y64) = if t.bits() < 64 {
            (self.b.ins().sextend(types::I64, x), self.b.ins().sextend(types::I64, y))
        } else {
            (x, y)
        };
        let r = self.call_helper(self.helpers.ipow, &[types::I64, types::I64], types::I64, &[x64, y64]);
        if t.bits() < 64 { self.b.ins().ireduce(clif_type(t), r) } else { r }
    }

    fn float_binary(&mut self, op: BinOp, t: Ty, a: &Operand, b: &Operand) -> Value {
        let x = self.operand(a);
        if op == BinOp::Pow && matches!(b, Operand::Const(Const::F64(v)) if *v == 2.0) {
            return self.b.ins().fmul(x, x);
        }
        let y = self.operand(b);
        match op {
            BinOp::Add => self.b.ins().fadd(x, y),
            BinOp::Sub => self.b.ins().fsub(x, y),
            BinOp::Mul => self.b.ins().fmul(x, y),
            BinOp::Div => self.b.ins().fdiv(x, y),
            BinOp::Min => self.b.ins().fmin(x, y),
            BinOp::Max => self.b.ins().fmax(x, y),
            BinOp::Pow | BinOp::Rem => {
                let addr = if op == BinOp::Pow { self.helpers.fpow } else { self.helpers.fmod };
                let (x, y) = if t == Ty::F32 {
                    (self.b.ins().fpromote(types::F64, x), self.b.ins().fpromote(types::F64, y))
                } else {
                    (x, y)
                };
                let r = self.call_helper(addr, &[types::F64, types::F64], types::F64, &[x, y]);
                if t == Ty::F32 { self.b.ins().fdemote(types::F32, r) } else { r }
            }
            // Validation admits no other operator on floats.
            _ => self.b.ins().fadd(x, y),
        }
    }

    fn convert(&mut self, op: ConvOp, from: Ty, to: Ty, x: Value) -> Value {
        let ct = clif_type(to);
        let widen = |cx: &mut Self, signed: bool, x: Value| {
            if from.bits() < 64 {
                if signed { cx.b.ins().sextend(types::I64, x) } else { cx.b.ins().uextend(types::I64, x) }
            } else {
                x
            }
        };
        match op {
            ConvOp::Sext | ConvOp::Zext if clif_type(from) == ct => x,
            ConvOp::Sext => self.b.ins().sextend(ct, x),
            ConvOp::Zext => self.b.ins().uextend(ct, x),
            ConvOp::Trunc => self.b.ins().ireduce(ct, x),
            ConvOp::SIntToFloat => {
                let w = widen(self, true, x);
                self.b.ins().fcvt_from_sint(ct, w)
            }
            ConvOp::UIntToFloat => {
                let w = widen(self, false, x);
                self.b.ins().fcvt_from_uint(ct, w)
            }
            // Saturate at the target's range: the 64-bit conversion
            // saturates at i64/u64, then narrow targets clamp before
            // keeping their low bits.
            ConvOp::FloatToSInt => {
                let v = self.b.ins().fcvt_to_sint_sat(types::I64, x);
                if to.bits() < 64 {
                    let max = self.b.ins().iconst(types::I64, (1i64 << (to.bits() - 1)) - 1);
                    let min = self.b.ins().iconst(types::I64, -(1i64 << (to.bits() - 1)));
                    let v = self.b.ins().smin(v, max);
                    let v = self.b.ins().smax(v, min);
                    self.b.ins().ireduce(ct, v)
                } else {
                    v
                }
            }
            ConvOp::FloatToUInt => {
                let v = self.b.ins().fcvt_to_uint_sat(types::I64, x);
                if to.bits() < 64 {
                    let max = self.b.ins().iconst(types::I64, (1i64 << to.bits()) - 1);
                    let v = self.b.ins().umin(v, max);
                    self.b.ins().ireduce(ct, v)
                } else {
                    v
                }
            }
            ConvOp::FPromote => self.b.ins().fpromote(ct, x),
            ConvOp::FDemote => self.b.ins().fdemote(ct, x),
            // Handled with the text helpers in `inst`.
            ConvOp::ToText | ConvOp::Parse => x,
            ConvOp::Bitcast if clif_type(from) == ct => x,
            ConvOp::Bitcast => self.b.ins().bitcast(ct, MemFlagsData::new(), x),
        }
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
                match v {
                    Some(v) => {
                        let x = self.operand(v);
                        // The caller gets a reference of its own.
                        if self.ty_of(v) == Ty::Text {
                            self.retain(x);
                        }
                        self.release_text_locals();
                        self.b.ins().return_(&[x]);
                    }
                    None => {
                        self.release_text_locals();
                        self.b.ins().return_(&[]);
                    }
                };
            }
        }
        Ok(())
    }
}

/// `v` wrapped to the width of `t`, sign-extended back to i64.
fn truncate(v: i64, t: Ty) -> i64 {
    match t.bits() {
        8 => v as i8 as i64,
        16 => v as i16 as i64,
        32 => v as i32 as i64,
        _ => v,
    }
}

fn mask(t: Ty) -> u128 {
    match t.bits() {
        64 => u64::MAX as u128,
        bits => (1u128 << bits) - 1,
    }
}
