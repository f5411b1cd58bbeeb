//! Typed tree to MIR: expressions become three-address instructions over
//! temporaries, control flow becomes basic blocks.

use super::error::{LangError, LangResult};
use super::token::Pos;
use super::typed::*;
use crate::mir::{self, BlockId, Const, InstKind, Local, Operand, Terminator, Ty};

/// The name the top-level code of a unit has in MIR and in error messages.
pub(crate) const INIT_NAME: &str = "<top-level>";

pub fn lower(unit: &TypedUnit) -> LangResult<mir::Module> {
    let mut functions = Vec::with_capacity(unit.functions.len());
    for f in &unit.functions {
        functions.push(lower_fn(f, &f.name)?);
    }
    // A unit of only definitions has no top-level code to compile or run.
    let init = if unit.init.body.is_empty() { None } else { Some(lower_fn(&unit.init, INIT_NAME)?) };
    let mut globals = Vec::with_capacity(unit.globals.len());
    for g in &unit.globals {
        let ty = mir_ty(g.ty).ok_or_else(|| LangError::typ(at(g.line), "a global needs a value"))?;
        globals.push(mir::GlobalDecl { name: g.name.clone(), ty, mutable: g.mutable, line: g.line });
    }
    let externs = unit
        .externs
        .iter()
        .map(|e| {
            let params = e.sig.params.iter().filter_map(|t| mir_ty(*t)).collect();
            mir::ExternDecl {
                name: e.name.clone(),
                sig: mir::Signature { params, ret: mir_ty(e.sig.ret) },
                line: e.line,
            }
        })
        .collect();
    Ok(mir::Module { functions, init, globals, externs })
}

fn at(line: u32) -> Pos {
    Pos { line, col: 1 }
}

/// The MIR type of a source type; `None` for void.
pub fn mir_ty(t: Type) -> Option<Ty> {
    Some(match t {
        Type::I64 => Ty::I64,
        Type::F64 => Ty::F64,
        Type::Bool => Ty::Bool,
        Type::Void => return None,
        Type::Text => Ty::Text,
    })
}

fn value_ty(t: Type, line: u32) -> LangResult<Ty> {
    mir_ty(t).ok_or_else(|| LangError::typ(at(line), "this expression has no value"))
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

fn lower_fn(f: &TFunction, name: &str) -> LangResult<mir::Function> {
    let mut params = Vec::with_capacity(f.sig.params.len());
    for p in &f.sig.params {
        params.push(value_ty(*p, f.line)?);
    }
    let ret = mir_ty(f.sig.ret);
    let mut locals = Vec::with_capacity(f.locals.len());
    for l in &f.locals {
        locals.push(mir::LocalDecl { name: l.name.clone(), ty: value_ty(l.ty, f.line)? });
    }
    let mut lw = Lower { locals, blocks: Vec::new(), cur: 0, loops: Vec::new(), ret };
    let entry = lw.new_block();
    lw.cur = entry.0 as usize;
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
            Some(t) => Some(Operand::Const(zero(t))),
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
    })
}

fn zero(t: Ty) -> Const {
    match t {
        Ty::F32 => Const::F32(0.0),
        Ty::F64 => Const::F64(0.0),
        other => Const::Int(0, other),
    }
}

/// Drops blocks no path from the entry reaches and renumbers the rest.
fn prune(blocks: Vec<PendingBlock>) -> Vec<mir::Block> {
    let mut reachable = vec![false; blocks.len()];
    let mut stack = vec![0usize];
    while let Some(b) = stack.pop() {
        if reachable[b] {
            continue;
        }
        reachable[b] = true;
        if let Some((t, _)) = &blocks[b].term {
            stack.extend(t.successors().into_iter().map(|s| s.0 as usize));
        }
    }
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
            let term = match term {
                Terminator::Jump(t) => Terminator::Jump(remap(t)),
                Terminator::Branch { cond, then_block, else_block } => {
                    Terminator::Branch { cond, then_block: remap(then_block), else_block: remap(else_block) }
                }
                Terminator::Switch { value, cases, default } => Terminator::Switch {
                    value,
                    cases: cases.into_iter().map(|(k, t)| (k, remap(t))).collect(),
                    default: remap(default),
                },
                r @ Terminator::Return(_) => r,
            };
            mir::Block { label: format!("b{i}"), insts: b.insts, term, term_line }
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

    fn stmts(&mut self, stmts: &[TStmt]) -> LangResult<()> {
        for s in stmts {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &TStmt) -> LangResult<()> {
        let line = s.line;
        match &s.kind {
            TStmtKind::SetLocal(id, e) => {
                let v = self.expr(e)?;
                self.emit(InstKind::Copy { dst: Local(*id), src: v }, line);
            }
            TStmtKind::SetGlobal(name, e) => {
                let v = self.expr(e)?;
                self.emit(InstKind::GlobalSet { name: name.clone(), src: v }, line);
            }
            TStmtKind::If(branches, else_body) => {
                let end = self.new_block();
                for (cond, body) in branches {
                    let c = self.expr(cond)?;
                    let then_b = self.new_block();
                    let next = self.new_block();
                    self.blocks[self.cur].term =
                        Some((Terminator::Branch { cond: c, then_block: then_b, else_block: next }, cond.line));
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
            }
            TStmtKind::While(cond, body) => {
                let header = self.new_block();
                let body_b = self.new_block();
                let exit = self.new_block();
                self.jump_if_open(header, line);
                self.switch_to(header);
                let c = self.expr(cond)?;
                self.blocks[self.cur].term =
                    Some((Terminator::Branch { cond: c, then_block: body_b, else_block: exit }, line));
                self.switch_to(body_b);
                self.loops.push((header, exit));
                let r = self.stmts(body);
                self.loops.pop();
                r?;
                self.jump_if_open(header, line);
                self.switch_to(exit);
            }
            TStmtKind::For { var, end_local, start, end, inclusive, body } => {
                let (var, end_local) = (Local(*var), Local(*end_local));
                let s0 = self.expr(start)?;
                self.emit(InstKind::Copy { dst: var, src: s0 }, line);
                let e0 = self.expr(end)?;
                self.emit(InstKind::Copy { dst: end_local, src: e0 }, line);
                let header = self.new_block();
                let body_b = self.new_block();
                let step = self.new_block();
                let exit = self.new_block();
                self.jump_if_open(header, line);
                self.switch_to(header);
                let c = self.temp(Ty::Bool);
                let op = if *inclusive { mir::CmpOp::Le } else { mir::CmpOp::Lt };
                self.emit(InstKind::Cmp { dst: c, op, a: Operand::Local(var), b: Operand::Local(end_local) }, line);
                self.blocks[self.cur].term =
                    Some((Terminator::Branch { cond: Operand::Local(c), then_block: body_b, else_block: exit }, line));
                self.switch_to(body_b);
                self.loops.push((step, exit));
                let r = self.stmts(body);
                self.loops.pop();
                r?;
                self.jump_if_open(step, line);
                self.switch_to(step);
                if *inclusive {
                    // Stop at `end` itself, so `..= i64::MAX` does not wrap around.
                    let last = self.temp(Ty::Bool);
                    self.emit(
                        InstKind::Cmp {
                            dst: last,
                            op: mir::CmpOp::Eq,
                            a: Operand::Local(var),
                            b: Operand::Local(end_local),
                        },
                        line,
                    );
                    let incr = self.new_block();
                    self.blocks[self.cur].term = Some((
                        Terminator::Branch { cond: Operand::Local(last), then_block: exit, else_block: incr },
                        line,
                    ));
                    self.switch_to(incr);
                }
                self.emit(
                    InstKind::Binary {
                        dst: var,
                        op: mir::BinOp::Add,
                        a: Operand::Local(var),
                        b: Operand::Const(Const::Int(1, Ty::I64)),
                    },
                    line,
                );
                self.jump_if_open(header, line);
                self.switch_to(exit);
            }
            TStmtKind::Break => {
                let (_, exit) =
                    *self.loops.last().ok_or_else(|| LangError::typ(at(line), "`break` outside of a loop"))?;
                self.terminate(Terminator::Jump(exit), line);
            }
            TStmtKind::Continue => {
                let (cont, _) =
                    *self.loops.last().ok_or_else(|| LangError::typ(at(line), "`continue` outside of a loop"))?;
                self.terminate(Terminator::Jump(cont), line);
            }
            TStmtKind::Return(value) => {
                let v = match value {
                    Some(e) => Some(self.expr(e)?),
                    None => None,
                };
                let v = match (v, self.ret) {
                    (v, Some(_)) => v,
                    // A void function's `return` carries no value.
                    (_, None) => None,
                };
                self.terminate(Terminator::Return(v), line);
            }
            TStmtKind::Expr(e) => {
                self.expr_effect(e)?;
            }
        }
        Ok(())
    }

    /// Lowers an expression evaluated only for its effects (its value, if
    /// any, is discarded).
    fn expr_effect(&mut self, e: &TExpr) -> LangResult<()> {
        if let TExprKind::Call(name, args) = &e.kind {
            let args = self.operands(args)?;
            let dst = mir_ty(e.ty).map(|t| self.temp(t));
            self.emit(InstKind::Call { dst, callee: name.clone(), args }, e.line);
            return Ok(());
        }
        self.expr(e).map(|_| ())
    }

    fn operands(&mut self, es: &[TExpr]) -> LangResult<Vec<Operand>> {
        es.iter().map(|e| self.expr(e)).collect()
    }

    fn expr(&mut self, e: &TExpr) -> LangResult<Operand> {
        let line = e.line;
        Ok(match &e.kind {
            TExprKind::Int(v) => Operand::Const(Const::Int(*v, Ty::I64)),
            TExprKind::Float(v) => Operand::Const(Const::F64(*v)),
            TExprKind::Bool(b) => Operand::Const(Const::Int(i64::from(*b), Ty::Bool)),
            TExprKind::Str(value) => {
                let t = self.temp(Ty::Text);
                self.emit(InstKind::TextConst { dst: t, value: value.clone() }, line);
                Operand::Local(t)
            }
            TExprKind::Local(id) => Operand::Local(Local(*id)),
            TExprKind::Global(name) => {
                let t = self.temp(value_ty(e.ty, line)?);
                self.emit(InstKind::GlobalGet { dst: t, name: name.clone() }, line);
                Operand::Local(t)
            }
            TExprKind::Neg(x) | TExprKind::Not(x) => {
                let op = if matches!(e.kind, TExprKind::Neg(_)) { mir::UnOp::Neg } else { mir::UnOp::Not };
                let v = self.expr(x)?;
                let t = self.temp(value_ty(e.ty, line)?);
                self.emit(InstKind::Unary { dst: t, op, src: v }, line);
                Operand::Local(t)
            }
            TExprKind::Arith(op, a, b) => {
                let ty = value_ty(e.ty, line)?;
                let va = self.expr(a)?;
                let vb = self.expr(b)?;
                let op = match op {
                    ArithOp::Add => mir::BinOp::Add,
                    ArithOp::Sub => mir::BinOp::Sub,
                    ArithOp::Mul => mir::BinOp::Mul,
                    ArithOp::Div => mir::BinOp::Div,
                    ArithOp::Rem => mir::BinOp::Rem,
                    ArithOp::Pow => mir::BinOp::Pow,
                };
                let t = self.temp(ty);
                self.emit(InstKind::Binary { dst: t, op, a: va, b: vb }, line);
                Operand::Local(t)
            }
            TExprKind::Cmp(op, a, b) => {
                value_ty(a.ty, line)?;
                let va = self.expr(a)?;
                let vb = self.expr(b)?;
                let op = match op {
                    CmpOp::Eq => mir::CmpOp::Eq,
                    CmpOp::Ne => mir::CmpOp::Ne,
                    CmpOp::Lt => mir::CmpOp::Lt,
                    CmpOp::Le => mir::CmpOp::Le,
                    CmpOp::Gt => mir::CmpOp::Gt,
                    CmpOp::Ge => mir::CmpOp::Ge,
                };
                let t = self.temp(Ty::Bool);
                self.emit(InstKind::Cmp { dst: t, op, a: va, b: vb }, line);
                Operand::Local(t)
            }
            TExprKind::And(a, b) | TExprKind::Or(a, b) => {
                let is_and = matches!(e.kind, TExprKind::And(..));
                let t = self.temp(Ty::Bool);
                let va = self.expr(a)?;
                self.emit(InstKind::Copy { dst: t, src: va }, line);
                let rhs = self.new_block();
                let end = self.new_block();
                let (then_block, else_block) = if is_and { (rhs, end) } else { (end, rhs) };
                self.blocks[self.cur].term =
                    Some((Terminator::Branch { cond: Operand::Local(t), then_block, else_block }, line));
                self.switch_to(rhs);
                let vb = self.expr(b)?;
                self.emit(InstKind::Copy { dst: t, src: vb }, line);
                self.jump_if_open(end, line);
                self.switch_to(end);
                Operand::Local(t)
            }
            TExprKind::Promote(x) => {
                let v = self.expr(x)?;
                let t = self.temp(Ty::F64);
                self.emit(InstKind::Convert { dst: t, op: mir::ConvOp::SIntToFloat, src: v }, line);
                Operand::Local(t)
            }
            TExprKind::Call(name, args) => {
                let args = self.operands(args)?;
                let t = self.temp(value_ty(e.ty, line)?);
                self.emit(InstKind::Call { dst: Some(t), callee: name.clone(), args }, line);
                Operand::Local(t)
            }
            TExprKind::Builtin(b, args) => self.builtin(*b, args, e.ty, line)?,
        })
    }

    fn builtin(&mut self, b: Builtin, args: &[TExpr], ty: Type, line: u32) -> LangResult<Operand> {
        let result_ty = value_ty(ty, line)?;
        let arg_ty = args.first().map(|a| a.ty).unwrap_or(Type::Void);
        let mut vals = self.operands(args)?.into_iter();
        let first = vals.next().ok_or_else(|| LangError::typ(at(line), "built-in call without arguments"))?;
        let unary = |lw: &mut Self, op: mir::UnOp, src: Operand| {
            let t = lw.temp(result_ty);
            lw.emit(InstKind::Unary { dst: t, op, src }, line);
            Operand::Local(t)
        };
        let convert = |lw: &mut Self, op: mir::ConvOp, src: Operand, to: Ty| {
            let t = lw.temp(to);
            lw.emit(InstKind::Convert { dst: t, op, src }, line);
            Operand::Local(t)
        };
        Ok(match b {
            Builtin::Abs => unary(self, mir::UnOp::Abs, first),
            Builtin::Sqrt => unary(self, mir::UnOp::Sqrt, first),
            Builtin::Floor => unary(self, mir::UnOp::Floor, first),
            Builtin::Ceil => unary(self, mir::UnOp::Ceil, first),
            Builtin::Min | Builtin::Max => {
                let op = if b == Builtin::Min { mir::BinOp::Min } else { mir::BinOp::Max };
                let mut acc = first;
                for v in vals {
                    let t = self.temp(result_ty);
                    self.emit(InstKind::Binary { dst: t, op, a: acc, b: v }, line);
                    acc = Operand::Local(t);
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
            Builtin::Len => {
                let t = self.temp(Ty::I64);
                self.emit(InstKind::Unary { dst: t, op: mir::UnOp::Len, src: first }, line);
                Operand::Local(t)
            }
        })
    }
}
