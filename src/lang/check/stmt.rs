//! Statements: declarations, assignments, control flow.

use std::collections::HashMap;

use super::checker::{Checker, Known, UnitGlobal, stack_ok};
use super::decls::check_decl_name;
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::ast::*;
use crate::lang::typed::*;

/// What an assignment writes.
enum Target {
    Local(LocalId),
    Global,
}

impl Checker<'_> {
    pub(super) fn block(&mut self, stmts: &[Stmt], out: &mut Vec<TStmt>, new_scope: bool) -> DiagResult<()> {
        if new_scope {
            self.scopes.push(HashMap::new());
            self.block_depth += 1;
        }
        let result = stmts.iter().try_for_each(|s| self.stmt(s, out));
        if new_scope {
            self.scopes.pop();
            self.block_depth -= 1;
        }
        result
    }

    pub(super) fn stmt(&mut self, s: &Stmt, out: &mut Vec<TStmt>) -> DiagResult<()> {
        stack_ok(s.pos)?;
        let line = s.pos.line;
        let kind = match &s.kind {
            StmtKind::Let { mutable, name, ty, value } => {
                let ty = ty.as_ref().map(|t| super::records::resolve(t, self.env)).transpose()?;
                self.let_stmt(*mutable, name, ty, value, s.pos)?
            }
            StmtKind::Assign { name, op, value } => self.assign(name, *op, value, s.pos)?,
            StmtKind::If { branches, else_body } => self.if_stmt(branches, else_body.as_deref())?,
            StmtKind::While { cond, body } => {
                let c = self.condition(cond, "a `while` condition")?;
                let b = self.loop_body(body, true)?;
                TStmtKind::While(c, b)
            }
            StmtKind::For { var, start, end, inclusive, body } => {
                self.for_stmt(var, start, end, *inclusive, body, s.pos)?
            }
            StmtKind::ForEach { var, iter, body } => self.for_each(var, iter, (body, s.pos), out)?,
            StmtKind::PathAssign { name, steps, op, value } => self.path_assign(name, steps, *op, value, s.pos, out)?,
            StmtKind::Break | StmtKind::Continue => {
                let word = if matches!(s.kind, StmtKind::Break) { "break" } else { "continue" };
                if self.loop_depth == 0 {
                    return Err(Diagnostic::new(s.pos, format!("`{word}` outside of a loop")));
                }
                if matches!(s.kind, StmtKind::Break) { TStmtKind::Break } else { TStmtKind::Continue }
            }
            StmtKind::Return(value) => self.return_stmt(value.as_ref(), s.pos)?,
            StmtKind::Expr(e) => {
                let x = self.expr(e)?;
                if matches!(x.ty, Some(Type::HostArray(_))) {
                    self.value(&x, e.pos)?;
                }
                out.push(TStmt { line, kind: TStmtKind::Expr(x.e) });
                // Host memory is no value for the host to receive.
                self.last_expr_ty = Some(x.ty.filter(|t| t.is_data()));
                return Ok(());
            }
        };
        out.push(TStmt { line, kind });
        self.last_expr_ty = None;
        Ok(())
    }

    /// `val`/`var`: a global at the top level of a unit, else a local.
    fn let_stmt(
        &mut self,
        mutable: bool,
        name: &str,
        ty: Option<Type>,
        value: &Expr,
        pos: Pos,
    ) -> DiagResult<TStmtKind> {
        let x = self.expr_as(value, ty)?;
        self.value(&x, value.pos)?;
        let want = ty.map(Some).unwrap_or(x.ty);
        let e = self.coerce(x, want, value.pos, || format!("the value of `{name}`"))?;
        check_decl_name(name, pos, "a variable")?;
        if !self.in_function && self.block_depth == 0 {
            if let Some(t) = want.filter(|t| !t.is_data()) {
                return Err(Diagnostic::new(
                    pos,
                    format!(
                        "a global cannot hold host memory (`{name}` would be a {t}); name the extern val where it is used"
                    ),
                ));
            }
            self.declare_global(name, want, mutable, pos)?;
            Ok(TStmtKind::SetGlobal(name.to_string(), e))
        } else {
            let id = self.new_local(name, want, mutable);
            Ok(TStmtKind::SetLocal(id, e))
        }
    }

    fn if_stmt(&mut self, branches: &[(Expr, Vec<Stmt>)], else_body: Option<&[Stmt]>) -> DiagResult<TStmtKind> {
        let mut tb = Vec::new();
        for (cond, body) in branches {
            let c = self.condition(cond, "an `if` condition")?;
            let mut b = Vec::new();
            self.block(body, &mut b, true)?;
            tb.push((c, b));
        }
        let eb = match else_body {
            Some(body) => {
                let mut b = Vec::new();
                self.block(body, &mut b, true)?;
                Some(b)
            }
            None => None,
        };
        Ok(TStmtKind::If(tb, eb))
    }

    /// A loop's body; `new_scope` is false when the caller opened the scope
    /// (a `for` loop, whose variable lives in it).
    pub(super) fn loop_body(&mut self, body: &[Stmt], new_scope: bool) -> DiagResult<Vec<TStmt>> {
        self.loop_depth += 1;
        let mut b = Vec::new();
        let r = self.block(body, &mut b, new_scope);
        self.loop_depth -= 1;
        r.map(|_| b)
    }

    fn for_stmt(
        &mut self,
        var: &str,
        start: &Expr,
        end: &Expr,
        inclusive: bool,
        body: &[Stmt],
        pos: Pos,
    ) -> DiagResult<TStmtKind> {
        let sx = self.expr(start)?;
        let start_e = self.coerce(sx, Some(Type::I64), start.pos, || "a range bound".to_string())?;
        let ex = self.expr(end)?;
        let end_e = self.coerce(ex, Some(Type::I64), end.pos, || "a range bound".to_string())?;
        check_decl_name(var, pos, "a loop variable")?;
        self.scopes.push(HashMap::new());
        self.block_depth += 1;
        let end_local = self.hidden_local(Type::I64);
        let var_id = self.new_local(var, Some(Type::I64), false);
        let b = self.loop_body(body, false);
        self.block_depth -= 1;
        self.scopes.pop();
        Ok(TStmtKind::For { var: var_id, end_local, start: start_e, end: end_e, inclusive, body: b? })
    }

    fn return_stmt(&mut self, value: Option<&Expr>, pos: Pos) -> DiagResult<TStmtKind> {
        if !self.in_function {
            return Err(Diagnostic::new(pos, "`return` outside of a function"));
        }
        let Some(v) = value else {
            self.returns.push(Some(Type::Void));
            if let Some(ret) = self.fn_ret {
                if ret != Type::Void && !self.infer {
                    return Err(Diagnostic::new(pos, format!("this function returns {ret}; `return` needs a value")));
                }
            }
            return Ok(TStmtKind::Return(None));
        };
        let x = self.expr_as(v, self.fn_ret)?;
        self.value(&x, v.pos)?;
        if let Some(t) = x.ty.filter(|t| !t.is_data()) {
            return Err(Diagnostic::new(v.pos, format!("a function cannot return host memory (a {t})")));
        }
        self.returns.push(x.ty);
        let want = self.fn_ret;
        let e = self.coerce(x, want, v.pos, || "the returned value".to_string())?;
        Ok(TStmtKind::Return(Some(e)))
    }

    fn declare_global(&mut self, name: &str, ty: Known, mutable: bool, pos: Pos) -> DiagResult<()> {
        let infer = self.infer;
        let globals = self.globals.to_mut();
        let Some(g) = globals.by_name.get_mut(name) else {
            globals.by_name.insert(name.to_string(), UnitGlobal { ty, mutable, line: pos.line });
            globals.order.push(name.to_string());
            return Ok(());
        };
        if g.ty.is_none() {
            g.ty = ty;
        }
        if infer {
            return Ok(());
        }
        if let (Some(old), Some(new)) = (g.ty, ty) {
            if old != new {
                return Err(Diagnostic::new(
                    pos,
                    format!(
                        "global `{name}` was declared as {old} at line {} of this unit; it cannot become {new}",
                        g.line
                    ),
                ));
            }
        }
        if g.mutable != mutable {
            let word = if g.mutable { "var" } else { "val" };
            return Err(Diagnostic::new(
                pos,
                format!("global `{name}` was declared with `{word}` at line {} of this unit", g.line),
            ));
        }
        Ok(())
    }

    fn assign(&mut self, name: &str, op: Option<BinOp>, value: &Expr, pos: Pos) -> DiagResult<TStmtKind> {
        let x = self.expr(value)?;
        self.value(&x, value.pos)?;
        let (target, ty) = self.assign_target(name, op, x.ty, pos)?;
        let line = pos.line;
        let rhs = match op {
            None => x,
            Some(op) => {
                let current = match target {
                    Target::Local(id) => Self::ex(ty, line, TExprKind::Local(id)),
                    Target::Global => Self::ex(ty, line, TExprKind::Global(name.to_string())),
                };
                self.binary(op, current, x, pos)?
            }
        };
        let e = self.coerce(rhs, ty, value.pos, || format!("the value assigned to `{name}`"))?;
        Ok(match target {
            Target::Local(id) => TStmtKind::SetLocal(id, e),
            Target::Global => TStmtKind::SetGlobal(name.to_string(), e),
        })
    }

    /// What `name = ...` writes: a mutable local or global, or a new global
    /// at the top level.
    fn assign_target(
        &mut self,
        name: &str,
        op: Option<BinOp>,
        value_ty: Known,
        pos: Pos,
    ) -> DiagResult<(Target, Known)> {
        if let Some(id) = self.lookup_local(name) {
            if !self.local_mutable[id as usize] {
                return Err(Diagnostic::new(
                    pos,
                    format!("cannot assign to `{name}`: it is immutable (declare it with `var`)"),
                ));
            }
            return Ok((Target::Local(id), self.local_ty(id)));
        }
        if let Some((ty, mutable)) = self.lookup_global(name) {
            if !mutable {
                let hint = if self.in_function { "" } else { " (a new `val` declaration may replace it)" };
                return Err(Diagnostic::new(
                    pos,
                    format!("cannot assign to global `{name}`: it was declared with `val`{hint}"),
                ));
            }
            return Ok((Target::Global, ty));
        }
        if self.in_function {
            let mut err = self.unknown_name(name, pos, "name");
            err.message.push_str(&format!(" (declare a new variable with `var {name} = ...`)"));
            return Err(err);
        }
        if op.is_some() {
            return Err(self.unknown_name(name, pos, "name"));
        }
        check_decl_name(name, pos, "a global")?;
        self.declare_global(name, value_ty, true, pos)?;
        Ok((Target::Global, value_ty))
    }

    pub(super) fn condition(&mut self, cond: &Expr, what: &str) -> DiagResult<TExpr> {
        let x = self.expr(cond)?;
        match x.ty {
            None | Some(Type::Bool) => Ok(x.e),
            Some(t) => {
                Err(Diagnostic::new(cond.pos, format!("{what} must be bool, found {t} (compare it, e.g. `x != 0`)")))
            }
        }
    }
}
