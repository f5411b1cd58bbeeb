//! Expressions: names, operators, calls.

use super::checker::{Checker, Ex, Known, is_numeric, join, stack_ok};
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::lang::typed::*;
use crate::mir;

impl Checker<'_> {
    pub(super) fn expr(&mut self, e: &Expr) -> DiagResult<Ex> {
        stack_ok(e.pos)?;
        let line = e.pos.line;
        Ok(match &e.kind {
            ExprKind::Int(v) => Self::ex(Some(Type::I64), line, TExprKind::Int(*v)),
            ExprKind::Float(v) => Self::ex(Some(Type::F64), line, TExprKind::Float(*v)),
            ExprKind::Bool(b) => Self::ex(Some(Type::Bool), line, TExprKind::Bool(*b)),
            ExprKind::Str(s) => Self::ex(Some(Type::Text), line, TExprKind::Str(s.clone())),
            ExprKind::Name(name) => self.name(name, e.pos)?,
            ExprKind::Unary(UnOp::Neg, inner) => {
                let x = self.expr(inner)?;
                match x.ty {
                    None => Self::ex(None, line, TExprKind::Neg(Box::new(x.e))),
                    Some(t) if is_numeric(t) => Self::ex(Some(t), line, TExprKind::Neg(Box::new(x.e))),
                    Some(t) => return Err(Diagnostic::new(e.pos, format!("unary '-' needs a number, found {t}"))),
                }
            }
            ExprKind::Unary(UnOp::Not, inner) => {
                let x = self.expr(inner)?;
                match x.ty {
                    None | Some(Type::Bool) => Self::ex(Some(Type::Bool), line, TExprKind::Not(Box::new(x.e))),
                    Some(t) => return Err(Diagnostic::new(e.pos, format!("`not` needs a bool, found {t}"))),
                }
            }
            ExprKind::Binary(op, a, b) => {
                let xa = self.expr(a)?;
                let xb = self.expr(b)?;
                self.binary(*op, xa, xb, e.pos)?
            }
            ExprKind::Call { name, args } => self.call(name, args, e.pos)?,
            ExprKind::List(items) => self.list(items, e.pos)?,
            ExprKind::Index(base, index) => self.index(base, index, e.pos)?,
            ExprKind::Slice { base, start, end, inclusive } => self.slice(base, start, end, *inclusive, e.pos)?,
            ExprKind::Method { recv, name, args } => self.method(recv, name, args, e.pos)?,
            ExprKind::Field(base, name) => self.field(base, name, e.pos)?,
            ExprKind::MapLit(entries) => self.map_lit(entries, None, e.pos)?,
            ExprKind::Record { name, fields } => self.record(name, fields, e.pos)?,
        })
    }

    /// A name as a value: a local, else a global.
    fn name(&self, name: &str, pos: Pos) -> DiagResult<Ex> {
        let line = pos.line;
        if let Some(id) = self.lookup_local(name) {
            return Ok(Self::ex(self.local_ty(id), line, TExprKind::Local(id)));
        }
        if let Some((ty, _)) = self.lookup_global(name) {
            return Ok(Self::ex(ty, line, TExprKind::Global(name.to_string())));
        }
        if let Some(x) = self.extern_val(name, line) {
            return Ok(x);
        }
        if self.fns.contains_key(name) || self.env.function(name).is_some() || Builtin::from_name(name).is_some() {
            return Err(Diagnostic::new(pos, format!("`{name}` is a function; call it with `{name}(...)`")));
        }
        Err(self.unknown_name(name, pos, "name"))
    }

    pub(super) fn binary(&mut self, op: BinOp, a: Ex, b: Ex, pos: Pos) -> DiagResult<Ex> {
        self.value(&a, pos)?;
        self.value(&b, pos)?;
        if a.ty == Some(Type::Void) || b.ty == Some(Type::Void) {
            return Err(Diagnostic::new(
                pos,
                format!("operand of '{}' has no value (it calls a function that returns nothing)", op.symbol()),
            ));
        }
        match op {
            BinOp::And | BinOp::Or => self.logic(op, a, b, pos),
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => self.compare(op, a, b, pos),
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem | BinOp::Pow => self.arith(op, a, b, pos),
            BinOp::In => self.membership(a, b, pos),
        }
    }

    fn mismatch(op: BinOp, pos: Pos, ta: Type, tb: Type, need: &str) -> Diagnostic {
        Diagnostic::new(pos, format!("'{}' needs {need}, found {ta} and {tb}", op.symbol()))
    }

    fn logic(&mut self, op: BinOp, a: Ex, b: Ex, pos: Pos) -> DiagResult<Ex> {
        if let (Some(ta), Some(tb)) = (a.ty, b.ty) {
            if ta != Type::Bool || tb != Type::Bool {
                return Err(Self::mismatch(op, pos, ta, tb, "bool operands"));
            }
        }
        let (a, b) = (Box::new(a.e), Box::new(b.e));
        let kind = if op == BinOp::And { TExprKind::And(a, b) } else { TExprKind::Or(a, b) };
        Ok(Self::ex(Some(Type::Bool), pos.line, kind))
    }

    fn compare(&mut self, op: BinOp, a: Ex, b: Ex, pos: Pos) -> DiagResult<Ex> {
        let line = pos.line;
        let cmp = match op {
            BinOp::Eq => mir::CmpOp::Eq,
            BinOp::Ne => mir::CmpOp::Ne,
            BinOp::Lt => mir::CmpOp::Lt,
            BinOp::Le => mir::CmpOp::Le,
            BinOp::Gt => mir::CmpOp::Gt,
            _ => mir::CmpOp::Ge,
        };
        let (Some(ta), Some(tb)) = (a.ty, b.ty) else {
            return Ok(Self::ex(Some(Type::Bool), line, TExprKind::Cmp(cmp, Box::new(a.e), Box::new(b.e))));
        };
        let common = join(ta, tb).ok_or_else(|| Self::mismatch(op, pos, ta, tb, "operands of the same type"))?;
        if !matches!(op, BinOp::Eq | BinOp::Ne)
            && matches!(common, Type::Bool | Type::Array(_) | Type::Record(_) | Type::Map(_) | Type::Host(_))
        {
            return Err(Diagnostic::new(pos, format!("'{}' orders numbers or texts, not {common}", op.symbol())));
        }
        let ea = self.coerce(a, Some(common), pos, String::new)?;
        let eb = self.coerce(b, Some(common), pos, String::new)?;
        Ok(Self::ex(Some(Type::Bool), line, TExprKind::Cmp(cmp, Box::new(ea), Box::new(eb))))
    }

    fn arith(&mut self, op: BinOp, a: Ex, b: Ex, pos: Pos) -> DiagResult<Ex> {
        if let Some(t) = self.repeat(op, &a, &b) {
            let n = self.coerce(b, Some(Type::I64), pos, String::new)?;
            return Ok(Self::ex(Some(t), pos.line, TExprKind::Repeat(Box::new(a.e), Box::new(n))));
        }
        let arith = match op {
            BinOp::Add => mir::BinOp::Add,
            BinOp::Sub => mir::BinOp::Sub,
            BinOp::Mul => mir::BinOp::Mul,
            BinOp::Div => mir::BinOp::Div,
            BinOp::Rem => mir::BinOp::Rem,
            _ => mir::BinOp::Pow,
        };
        let common: Known = match (a.ty, b.ty) {
            (Some(ta), Some(tb)) => Some(match join(ta, tb) {
                Some(t) if is_numeric(t) => t,
                Some(Type::Text) if op == BinOp::Add => Type::Text,
                Some(t @ Type::Array(_)) if op == BinOp::Add => t,
                _ if op == BinOp::Add && (ta == Type::Text || tb == Type::Text) => {
                    let need = "two numbers or two texts (convert with str(...) to concatenate)";
                    return Err(Self::mismatch(op, pos, ta, tb, need));
                }
                _ => return Err(Self::mismatch(op, pos, ta, tb, "numbers")),
            }),
            _ => None,
        };
        let ea = self.coerce(a, common, pos, String::new)?;
        let eb = self.coerce(b, common, pos, String::new)?;
        Ok(Self::ex(common, pos.line, TExprKind::Arith(arith, Box::new(ea), Box::new(eb))))
    }

    fn call(&mut self, name: &str, args: &[Expr], pos: Pos) -> DiagResult<Ex> {
        if let Some(x) = self.host_len(name, args, pos) {
            return Ok(x);
        }
        let mut xs = Vec::with_capacity(args.len());
        for a in args {
            let x = self.expr(a)?;
            self.value(&x, a.pos)?;
            xs.push((x, a.pos));
        }
        if let Some(b) = Builtin::from_name(name) {
            return self.builtin(b, xs, pos);
        }
        let (params, ret): (Vec<Type>, Known) = if let Some(f) = self.fns.get(name) {
            (f.params.clone(), f.ret)
        } else {
            match self.env.function(name) {
                Some(Ok(sig)) => (sig.params, Some(sig.ret)),
                Some(Err(shown)) => {
                    return Err(Diagnostic::new(
                        pos,
                        format!("`{name}` has type {shown}, which source code cannot call"),
                    ));
                }
                None => return Err(self.unknown_name(name, pos, "function")),
            }
        };
        if params.len() != xs.len() {
            return Err(Diagnostic::new(
                pos,
                format!(
                    "`{name}` takes {} argument{} but {} {} given",
                    params.len(),
                    if params.len() == 1 { "" } else { "s" },
                    xs.len(),
                    if xs.len() == 1 { "was" } else { "were" }
                ),
            ));
        }
        let mut targs = Vec::with_capacity(xs.len());
        for (i, ((x, apos), p)) in xs.into_iter().zip(params).enumerate() {
            targs.push(self.coerce(x, Some(p), apos, || format!("argument {} of `{name}`", i + 1))?);
        }
        if ret.is_none() && !self.infer {
            return Err(Diagnostic::new(
                pos,
                format!(
                    "cannot infer the return type of `{name}`: add a return type annotation (`-> T`) to its definition"
                ),
            ));
        }
        Ok(Self::ex(ret, pos.line, TExprKind::Call(name.to_string(), targs)))
    }
}
