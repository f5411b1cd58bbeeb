//! Typed tree to MIR: expressions become three-address instructions over
//! temporaries, control flow becomes basic blocks.
//!
//! The checker has proved the program well formed, so lowering cannot fail
//! on a user's input: an `Err` here is a bug in rtjit, reported as such.

use super::typed::*;
use crate::mir::{self, BlockId, Const, DataOp, INIT_NAME, InstKind, Local, Operand, Terminator, Ty};

mod data;
mod host;

/// A case the checker should have excluded.
type Bug = String;

type Lowered<T> = Result<T, Bug>;

pub fn lower(unit: &TypedUnit) -> Lowered<mir::Module> {
    let mut functions = Vec::with_capacity(unit.functions.len());
    for f in &unit.functions {
        functions.push(lower_fn(f, &f.name)?);
    }
    // A unit of only definitions has no top-level code to compile or run.
    let init = if unit.init.body.is_empty() { None } else { Some(lower_fn(&unit.init, INIT_NAME)?) };
    let mut globals = Vec::with_capacity(unit.globals.len());
    for g in &unit.globals {
        let ty = value_ty(g.ty, g.line)?;
        globals.push(mir::GlobalDecl { name: g.name.clone(), ty, mutable: g.mutable, line: g.line });
    }
    let externs = unit
        .externs
        .iter()
        .map(|e| mir::ExternDecl { name: e.name.clone(), sig: e.sig.to_mir(), line: e.line })
        .collect();
    let records = unit.records.iter().map(|(ty, line)| mir::RecordName { ty: *ty, line: *line }).collect();
    let host_structs =
        unit.host_structs.iter().map(|(ty, line)| mir::HostStructDecl { ty: *ty, line: *line }).collect();
    let extern_vals = unit.extern_vals.clone();
    Ok(mir::Module { functions, init, globals, externs, records, host_structs, extern_vals })
}

/// The MIR type of a value (a void one is a bug: the checker refuses it).
fn value_ty(t: Type, line: u32) -> Lowered<Ty> {
    t.to_mir().ok_or_else(|| format!("a void value at line {line}"))
}

/// A `for` loop's variable and the hidden local holding its end.
#[derive(Clone, Copy)]
struct Range {
    var: Local,
    end: Local,
    inclusive: bool,
}

/// The locals of a `for x in xs` loop: the variable, the array as it was
/// when the loop began, the index and the length.
#[derive(Clone, Copy)]
struct ForEachLocals {
    var: Local,
    array: Local,
    index: Local,
    len: Local,
}

struct PendingBlock {
    insts: Vec<mir::Inst>,
    term: Option<(Terminator, u32)>,
}

struct Lower {
    locals: Vec<mir::LocalDecl>,
    blocks: Vec<PendingBlock>,
    cur: usize,
    /// (continue target, break target) of the enclosing loops.
    loops: Vec<(BlockId, BlockId)>,
    ret: Option<Ty>,
}

fn lower_fn(f: &TFunction, name: &str) -> Lowered<mir::Function> {
    let mut params = Vec::with_capacity(f.sig.params.len());
    for p in &f.sig.params {
        params.push(value_ty(*p, f.line)?);
    }
    let ret = f.sig.ret.to_mir();
    let mut locals = Vec::with_capacity(f.locals.len());
    for l in &f.locals {
        locals.push(mir::LocalDecl { name: l.name.clone(), ty: value_ty(l.ty, f.line)? });
    }
    let mut lw = Lower { locals, blocks: Vec::new(), cur: 0, loops: Vec::new(), ret };
    let entry = lw.new_block();
    lw.cur = entry.0 as usize;
    lw.check_host_params(f);
    lw.stmts(&f.body)?;
    if lw.blocks[lw.cur].term.is_none() {
        // Reached only for void functions and the top level: the checker
        // proves that functions with a value return on every path (this
        // end is then unreachable, e.g. after `while true:`).
        let value = match ret {
            Some(Ty::Text) => {
                let t = lw.temp(Ty::Text);
                lw.emit(InstKind::TextConst { dst: t, value: String::new() }, f.line);
                Some(Operand::Local(t))
            }
            // A fresh local holds the empty array.
            Some(t @ Ty::Obj(_)) => Some(Operand::Local(lw.temp(t))),
            Some(t) => Some(Operand::Const(Const::zero(t))),
            None => None,
        };
        lw.terminate(Terminator::Return(value), f.line);
    }
    Ok(mir::Function {
        name: name.to_string(),
        sig: mir::Signature { params, ret },
        locals: lw.locals,
        slots: Vec::new(),
        blocks: prune(lw.blocks),
        line: f.line,
        ownership: mir::Ownership::Implicit,
    })
}

/// Drops blocks no path from the entry reaches and renumbers the rest.
fn prune(blocks: Vec<PendingBlock>) -> Vec<mir::Block> {
    let successors: Vec<Vec<BlockId>> =
        blocks.iter().map(|b| b.term.as_ref().map(|(t, _)| t.successors()).unwrap_or_default()).collect();
    let reachable = mir::reachable(&successors);
    let mut new_index = vec![0u32; blocks.len()];
    let mut n = 0;
    for (i, r) in reachable.iter().enumerate() {
        if *r {
            new_index[i] = n;
            n += 1;
        }
    }
    let remap = |b: BlockId| BlockId(new_index[b.0 as usize]);
    blocks
        .into_iter()
        .zip(reachable)
        .filter(|(_, r)| *r)
        .enumerate()
        .map(|(i, (b, _))| {
            let (term, term_line) = b.term.unwrap_or((Terminator::Return(None), 0));
            mir::Block { label: format!("b{i}"), insts: b.insts, term: term.map_blocks(remap), term_line }
        })
        .collect()
}

impl Lower {
    fn new_block(&mut self) -> BlockId {
        self.blocks.push(PendingBlock { insts: Vec::new(), term: None });
        BlockId(self.blocks.len() as u32 - 1)
    }

    fn switch_to(&mut self, b: BlockId) {
        self.cur = b.0 as usize;
    }

    fn temp(&mut self, ty: Ty) -> Local {
        self.locals.push(mir::LocalDecl { name: String::new(), ty });
        Local(self.locals.len() as u32 - 1)
    }

    fn emit(&mut self, kind: InstKind, line: u32) {
        self.blocks[self.cur].insts.push(mir::Inst { kind, line });
    }

    /// Ends the current block; code that follows (after `return`, `break`)
    /// goes to a fresh block that `prune` removes.
    fn terminate(&mut self, term: Terminator, line: u32) {
        if self.blocks[self.cur].term.is_none() {
            self.blocks[self.cur].term = Some((term, line));
        }
        let dead = self.new_block();
        self.switch_to(dead);
    }

    fn jump_if_open(&mut self, target: BlockId, line: u32) {
        if self.blocks[self.cur].term.is_none() {
            self.blocks[self.cur].term = Some((Terminator::Jump(target), line));
        }
    }

    fn stmts(&mut self, stmts: &[TStmt]) -> Lowered<()> {
        for s in stmts {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &TStmt) -> Lowered<()> {
        let line = s.line;
        match &s.kind {
            TStmtKind::SetLocal(id, e) => {
                let v = self.expr(e)?;
                self.set_local(Local(*id), v, line);
            }
            TStmtKind::SetGlobal(name, e) => {
                let v = self.expr(e)?;
                self.emit(InstKind::GlobalSet { name: name.clone(), src: v }, line);
            }
            TStmtKind::SetHostField(base, k, e) => self.set_host_field(base, *k, e, line)?,
            TStmtKind::If(branches, else_body) => self.if_stmt(branches, else_body.as_deref(), line)?,
            TStmtKind::While(cond, body) => self.while_stmt(cond, body, line)?,
            TStmtKind::For { var, end_local, start, end, inclusive, body } => {
                let range = Range { var: Local(*var), end: Local(*end_local), inclusive: *inclusive };
                self.for_stmt(range, start, end, body, line)?
            }
            TStmtKind::ForEach { var, array, index, len, iter, body } => {
                let l =
                    ForEachLocals { var: Local(*var), array: Local(*array), index: Local(*index), len: Local(*len) };
                self.for_each(l, iter, body, line)?
            }
            TStmtKind::SetPath(target, value) => self.set_path(target, value, line)?,
            TStmtKind::Break | TStmtKind::Continue => {
                let (cont, exit) =
                    *self.loops.last().ok_or_else(|| format!("a jump outside of a loop at line {line}"))?;
                let target = if matches!(s.kind, TStmtKind::Break) { exit } else { cont };
                self.terminate(Terminator::Jump(target), line);
            }
            TStmtKind::Return(value) => {
                let v = match value {
                    Some(e) => Some(self.expr(e)?),
                    None => None,
                };
                // A void function's `return` carries no value.
                let v = if self.ret.is_some() { v } else { None };
                self.terminate(Terminator::Return(v), line);
            }
            TStmtKind::Expr(e) => self.expr_effect(e)?,
        }
        Ok(())
    }

    /// Ends the current block with a branch on `cond`.
    fn branch(&mut self, cond: Operand, then_block: BlockId, else_block: BlockId, line: u32) {
        self.blocks[self.cur].term = Some((Terminator::Branch { cond, then_block, else_block }, line));
    }

    fn if_stmt(&mut self, branches: &[(TExpr, Vec<TStmt>)], else_body: Option<&[TStmt]>, line: u32) -> Lowered<()> {
        let end = self.new_block();
        for (cond, body) in branches {
            let c = self.expr(cond)?;
            let then_b = self.new_block();
            let next = self.new_block();
            self.branch(c, then_b, next, cond.line);
            self.switch_to(then_b);
            self.stmts(body)?;
            self.jump_if_open(end, line);
            self.switch_to(next);
        }
        if let Some(body) = else_body {
            self.stmts(body)?;
        }
        self.jump_if_open(end, line);
        self.switch_to(end);
        Ok(())
    }

    fn while_stmt(&mut self, cond: &TExpr, body: &[TStmt], line: u32) -> Lowered<()> {
        let header = self.new_block();
        let body_b = self.new_block();
        let exit = self.new_block();
        self.jump_if_open(header, line);
        self.switch_to(header);
        let c = self.expr(cond)?;
        self.branch(c, body_b, exit, line);
        self.switch_to(body_b);
        self.loop_body(body, header, exit)?;
        self.jump_if_open(header, line);
        self.switch_to(exit);
        Ok(())
    }

    /// A loop body, where `continue` goes to `cont` and `break` to `exit`.
    fn loop_body(&mut self, body: &[TStmt], cont: BlockId, exit: BlockId) -> Lowered<()> {
        self.loops.push((cont, exit));
        let r = self.stmts(body);
        self.loops.pop();
        r
    }

    fn for_stmt(&mut self, range: Range, start: &TExpr, end: &TExpr, body: &[TStmt], line: u32) -> Lowered<()> {
        let s0 = self.expr(start)?;
        self.emit(InstKind::Copy { dst: range.var, src: s0 }, line);
        let e0 = self.expr(end)?;
        self.emit(InstKind::Copy { dst: range.end, src: e0 }, line);
        self.counting_loop(range, |_| {}, body, line)
    }

    /// The loop of `for` over a range: `range.var` counts up to
    /// `range.end`; `enter` runs at the start of every iteration.
    fn counting_loop(&mut self, range: Range, enter: impl FnOnce(&mut Self), body: &[TStmt], line: u32) -> Lowered<()> {
        let header = self.new_block();
        let body_b = self.new_block();
        let step = self.new_block();
        let exit = self.new_block();
        self.jump_if_open(header, line);
        self.switch_to(header);
        let op = if range.inclusive { mir::CmpOp::Le } else { mir::CmpOp::Lt };
        let c = self.compare(op, range.var, range.end, line);
        self.branch(c, body_b, exit, line);
        self.switch_to(body_b);
        enter(self);
        self.loop_body(body, step, exit)?;
        self.jump_if_open(step, line);
        self.switch_to(step);
        if range.inclusive {
            // Stop at `end` itself, so `..= i64::MAX` does not wrap around.
            let last = self.compare(mir::CmpOp::Eq, range.var, range.end, line);
            let incr = self.new_block();
            self.branch(last, exit, incr, line);
            self.switch_to(incr);
        }
        let one = Operand::Const(Const::Int(1, Ty::I64));
        self.emit(InstKind::Binary { dst: range.var, op: mir::BinOp::Add, a: Operand::Local(range.var), b: one }, line);
        self.jump_if_open(header, line);
        self.switch_to(exit);
        Ok(())
    }

    /// `a op b` on two locals, into a new bool temporary.
    fn compare(&mut self, op: mir::CmpOp, a: Local, b: Local, line: u32) -> Operand {
        let c = self.temp(Ty::Bool);
        self.emit(InstKind::Cmp { dst: c, op, a: Operand::Local(a), b: Operand::Local(b) }, line);
        Operand::Local(c)
    }

    /// Lowers an expression evaluated only for its effects (its value, if
    /// any, is discarded).
    fn expr_effect(&mut self, e: &TExpr) -> Lowered<()> {
        if let TExprKind::Call(name, args) = &e.kind {
            let args = self.operands(args)?;
            let dst = e.ty.to_mir().map(|t| self.temp(t));
            self.emit(InstKind::Call { dst, callee: name.clone(), args }, e.line);
            return Ok(());
        }
        self.expr(e).map(|_| ())
    }

    fn operands(&mut self, es: &[TExpr]) -> Lowered<Vec<Operand>> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    /// Emits `kind(t)` for a new temporary `t` of type `ty`; returns `t`.
    /// `x = v`. When `v` is the temporary the instruction just before made,
    /// that instruction writes `x` instead: a managed value then has one
    /// reference (`x`'s) rather than a second one held by the temporary
    /// until the function returns, and its storage is its own (writes to
    /// it need no copy).
    fn set_local(&mut self, x: Local, v: Operand, line: u32) {
        if let Operand::Local(t) = v {
            let is_temp = self.locals[t.0 as usize].name.is_empty();
            let insts = &mut self.blocks[self.cur].insts;
            if let Some(last) = insts.last_mut().filter(|i| is_temp && i.kind.dst() == Some(t)) {
                last.kind = last.kind.clone().with_dst(x);
                return;
            }
        }
        self.emit(InstKind::Copy { dst: x, src: v }, line);
    }

    fn emit_temp(&mut self, ty: Ty, line: u32, kind: impl FnOnce(Local) -> InstKind) -> Operand {
        let t = self.temp(ty);
        self.emit(kind(t), line);
        Operand::Local(t)
    }

    fn expr(&mut self, e: &TExpr) -> Lowered<Operand> {
        let line = e.line;
        Ok(match &e.kind {
            TExprKind::Int(v) => Operand::Const(Const::Int(*v, Ty::I64)),
            TExprKind::Float(v) => Operand::Const(Const::F64(*v)),
            TExprKind::Bool(b) => Operand::Const(Const::Int(i64::from(*b), Ty::Bool)),
            TExprKind::Str(value) => {
                self.emit_temp(Ty::Text, line, |dst| InstKind::TextConst { dst, value: value.clone() })
            }
            TExprKind::Local(id) => Operand::Local(Local(*id)),
            TExprKind::Global(name) => {
                self.emit_temp(value_ty(e.ty, line)?, line, |dst| InstKind::GlobalGet { dst, name: name.clone() })
            }
            TExprKind::Neg(x) | TExprKind::Not(x) => {
                let op = if matches!(e.kind, TExprKind::Neg(_)) { mir::UnOp::Neg } else { mir::UnOp::Not };
                let src = self.expr(x)?;
                self.emit_temp(value_ty(e.ty, line)?, line, |dst| InstKind::Unary { dst, op, src })
            }
            TExprKind::Arith(op, a, b) => {
                let ty = value_ty(e.ty, line)?;
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                self.emit_temp(ty, line, |dst| InstKind::Binary { dst, op: *op, a, b })
            }
            TExprKind::Cmp(op, a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                self.emit_temp(Ty::Bool, line, |dst| InstKind::Cmp { dst, op: *op, a, b })
            }
            TExprKind::And(a, b) => self.short_circuit(true, a, b, line)?,
            TExprKind::Or(a, b) => self.short_circuit(false, a, b, line)?,
            TExprKind::Promote(x) => {
                let src = self.expr(x)?;
                self.emit_temp(Ty::F64, line, |dst| InstKind::Convert { dst, op: mir::ConvOp::SIntToFloat, src })
            }
            TExprKind::Call(name, args) => {
                let args = self.operands(args)?;
                let ty = value_ty(e.ty, line)?;
                self.emit_temp(ty, line, |dst| InstKind::Call { dst: Some(dst), callee: name.clone(), args })
            }
            TExprKind::Builtin(b, args) => self.builtin(*b, args, e.ty, line)?,
            TExprKind::List(items) => self.list(value_ty(e.ty, line)?, items, line)?,
            TExprKind::Index(..) => self.path_get(e)?,
            TExprKind::Slice(a, i, j) => self.data_value(value_ty(e.ty, line)?, DataOp::Slice, &[a, i, j], line)?,
            TExprKind::Repeat(a, n) => self.data_value(value_ty(e.ty, line)?, DataOp::Repeat, &[a, n], line)?,
            TExprKind::Push(target, x) => self.push(target, x, line)?,
            TExprKind::Pop(target) => self.pop(target, e.ty, line)?,
            TExprKind::Field(..) => self.path_get(e)?,
            TExprKind::HostVal(_)
            | TExprKind::HostArray(_)
            | TExprKind::HostElem(..)
            | TExprKind::HostLen(_)
            | TExprKind::HostBase(_)
            | TExprKind::HostAt(..)
            | TExprKind::HostField(..) => self.host_expr(e)?,
            TExprKind::MapLit(entries) => self.map_lit(value_ty(e.ty, line)?, entries, line)?,
            TExprKind::MapHas(m, k) => self.data_value(Ty::Bool, DataOp::Has, &[m, k], line)?,
            TExprKind::MapList(m, values) => {
                let op = if *values { DataOp::Values } else { DataOp::Keys };
                self.data_value(value_ty(e.ty, line)?, op, &[m], line)?
            }
            TExprKind::MapRemove(target, k) => self.map_remove(target, k, line)?,
            TExprKind::Record(fields) => {
                let ty = value_ty(e.ty, line)?;
                let args = self.operands(fields)?;
                self.emit_temp(ty, line, |dst| InstKind::Data { dst: Some(dst), op: DataOp::Record, args })
            }
        })
    }

    /// `a and b` (`and` true) or `a or b`: `b` is evaluated only when `a`
    /// does not decide.
    fn short_circuit(&mut self, and: bool, a: &TExpr, b: &TExpr, line: u32) -> Lowered<Operand> {
        let t = self.temp(Ty::Bool);
        let va = self.expr(a)?;
        self.emit(InstKind::Copy { dst: t, src: va }, line);
        let rhs = self.new_block();
        let end = self.new_block();
        let (then_block, else_block) = if and { (rhs, end) } else { (end, rhs) };
        self.branch(Operand::Local(t), then_block, else_block, line);
        self.switch_to(rhs);
        let vb = self.expr(b)?;
        self.emit(InstKind::Copy { dst: t, src: vb }, line);
        self.jump_if_open(end, line);
        self.switch_to(end);
        Ok(Operand::Local(t))
    }

    /// `print(a, b)`: `str` of each, joined by spaces, one `print`. The
    /// operand returned stands for no value (the checker allows none).
    fn print(&mut self, args: &[TExpr], line: u32) -> Lowered<Operand> {
        let line_text = self.temp(Ty::Text);
        self.emit(InstKind::TextConst { dst: line_text, value: String::new() }, line);
        for (i, a) in args.iter().enumerate() {
            let v = self.expr(a)?;
            let part = match a.ty {
                Type::Text => v,
                _ => self.emit_temp(Ty::Text, line, |dst| InstKind::Convert { dst, op: mir::ConvOp::ToText, src: v }),
            };
            if i > 0 {
                let space = self.temp(Ty::Text);
                self.emit(InstKind::TextConst { dst: space, value: " ".to_string() }, line);
                let (a, b) = (Operand::Local(line_text), Operand::Local(space));
                self.emit(InstKind::Binary { dst: line_text, op: mir::BinOp::Add, a, b }, line);
            }
            let (a, b) = (Operand::Local(line_text), part);
            self.emit(InstKind::Binary { dst: line_text, op: mir::BinOp::Add, a, b }, line);
        }
        let args = vec![Operand::Local(line_text)];
        self.emit(InstKind::Data { dst: None, op: mir::DataOp::Print, args }, line);
        Ok(Operand::Const(Const::Int(0, Ty::I64)))
    }

    fn builtin(&mut self, b: Builtin, args: &[TExpr], ty: Type, line: u32) -> Lowered<Operand> {
        if b == Builtin::Print {
            return self.print(args, line);
        }
        let result_ty = value_ty(ty, line)?;
        let arg_ty = args.first().map(|a| a.ty).unwrap_or(Type::Void);
        let mut vals = self.operands(args)?.into_iter();
        let first = vals.next().ok_or_else(|| format!("a call of {} without arguments at line {line}", b.name()))?;
        let unary = |lw: &mut Self, op: mir::UnOp, src: Operand| {
            lw.emit_temp(result_ty, line, |dst| InstKind::Unary { dst, op, src })
        };
        let convert = |lw: &mut Self, op: mir::ConvOp, src: Operand, to: Ty| {
            lw.emit_temp(to, line, |dst| InstKind::Convert { dst, op, src })
        };
        Ok(match b {
            Builtin::Abs => unary(self, mir::UnOp::Abs, first),
            Builtin::Sqrt => unary(self, mir::UnOp::Sqrt, first),
            Builtin::Floor => unary(self, mir::UnOp::Floor, first),
            Builtin::Ceil => unary(self, mir::UnOp::Ceil, first),
            Builtin::Min | Builtin::Max => {
                let op = if b == Builtin::Min { mir::BinOp::Min } else { mir::BinOp::Max };
                let mut acc = first;
                for b in vals {
                    acc = self.emit_temp(result_ty, line, |dst| InstKind::Binary { dst, op, a: acc, b });
                }
                acc
            }
            Builtin::Int => match arg_ty {
                Type::F64 => convert(self, mir::ConvOp::FloatToSInt, first, Ty::I64),
                Type::Bool => convert(self, mir::ConvOp::Zext, first, Ty::I64),
                Type::Text => convert(self, mir::ConvOp::Parse, first, Ty::I64),
                _ => first,
            },
            Builtin::Float => match arg_ty {
                Type::Bool => {
                    let i = convert(self, mir::ConvOp::Zext, first, Ty::I64);
                    convert(self, mir::ConvOp::SIntToFloat, i, Ty::F64)
                }
                Type::I64 => convert(self, mir::ConvOp::SIntToFloat, first, Ty::F64),
                Type::Text => convert(self, mir::ConvOp::Parse, first, Ty::F64),
                _ => first,
            },
            Builtin::Str => match arg_ty {
                Type::Text => first,
                _ => convert(self, mir::ConvOp::ToText, first, Ty::Text),
            },
            // Lowered by `print` above.
            Builtin::Print => first,
            Builtin::Len => {
                self.emit_temp(Ty::I64, line, |dst| InstKind::Unary { dst, op: mir::UnOp::Len, src: first })
            }
        })
    }
}
