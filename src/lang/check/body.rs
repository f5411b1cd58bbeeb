//! Whole bodies: the top level (the unit's init code, whose last statement
//! is the unit's value) and functions, in infer mode and for real.

use super::checker::{Checker, Ex, Known, UnitFn, join, stack_ok};
use crate::diag::{DiagResult, Diagnostic};
use crate::lang::ast::*;
use crate::lang::typed::*;

impl Checker<'_> {
    pub(super) fn check_init(&mut self, top: &[&Stmt]) -> DiagResult<TFunction> {
        self.in_function = false;
        let mut body = Vec::new();
        let last_index = top.len().checked_sub(1);
        let mut result_ty = Type::Void;
        for (i, s) in top.iter().enumerate() {
            stack_ok(s.pos)?;
            let before = body.len();
            self.stmt(s, &mut body)?;
            if Some(i) == last_index {
                result_ty = self.make_result(&mut body, before);
            }
        }
        Ok(TFunction {
            name: String::new(),
            line: top.first().map(|s| s.pos.line).unwrap_or(1),
            sig: Sig { params: Vec::new(), ret: result_ty },
            locals: std::mem::take(&mut self.locals),
            body,
        })
    }

    /// Turns the last top-level statement into the unit's value.
    fn make_result(&mut self, body: &mut Vec<TStmt>, from: usize) -> Type {
        if body.len() <= from {
            return Type::Void;
        }
        let Some(last) = body.last() else { return Type::Void };
        let line = last.line;
        // An assignment stays and its target is read back; an expression
        // statement is itself the value.
        let read_back = match &last.kind {
            TStmtKind::Expr(e) if e.ty != Type::Void => None,
            TStmtKind::SetGlobal(name, e) => Some(TExpr { ty: e.ty, line, kind: TExprKind::Global(name.clone()) }),
            TStmtKind::SetLocal(id, e) => Some(TExpr { ty: e.ty, line, kind: TExprKind::Local(*id) }),
            _ => return Type::Void,
        };
        let value = match read_back {
            Some(v) => v,
            None => match body.pop().map(|s| s.kind) {
                Some(TStmtKind::Expr(e)) => e,
                _ => return Type::Void,
            },
        };
        // A global's stored type may be wider than the assigned value's.
        let ty = match &value.kind {
            TExprKind::Global(name) => self.globals.by_name.get(name).and_then(|g| g.ty).unwrap_or(value.ty),
            _ => value.ty,
        };
        let value = TExpr { ty, ..value };
        body.push(TStmt { line, kind: TStmtKind::Return(Some(value)) });
        ty
    }

    fn enter_fn(&mut self, f: &FnDef, info: &UnitFn, ret: Known) {
        self.in_function = true;
        self.fn_ret = ret;
        for (p, ty) in f.header.params.iter().zip(&info.params) {
            self.new_local(&p.name, Some(*ty), true);
        }
    }

    /// Infer mode: the join of the known types this body returns.
    pub(super) fn infer_fn(&mut self, f: &FnDef, info: &UnitFn) -> DiagResult<Known> {
        self.enter_fn(f, info, None);
        let mut body = Vec::new();
        self.block(&f.body, &mut body, false)?;
        let trailing = self.last_expr_ty.take();
        Ok(self.result_type(trailing))
    }

    /// Combines the collected returns and the trailing expression's type.
    /// `trailing` is `None` when the body does not end in an expression
    /// statement, `Some(None)` when its type is not known yet.
    fn result_type(&self, trailing: Option<Known>) -> Known {
        let bare = self.returns.contains(&Some(Type::Void));
        let mut values: Vec<Known> = self.returns.iter().copied().filter(|r| *r != Some(Type::Void)).collect();
        match trailing {
            Some(Some(Type::Void)) | None => {}
            Some(t) => values.push(t),
        }
        if bare && !values.is_empty() {
            // The final check reports the conflict.
            return values.iter().flatten().copied().next();
        }
        if values.is_empty() {
            return Some(Type::Void);
        }
        let mut known = values.iter().flatten().copied();
        let first = known.next()?;
        Some(known.fold(first, |acc, t| join(acc, t).unwrap_or(acc)))
    }

    pub(super) fn final_fn(&mut self, f: &FnDef, info: &UnitFn) -> DiagResult<TFunction> {
        let h = &f.header;
        self.enter_fn(f, info, info.ret);
        let mut body = Vec::new();
        self.block(&f.body, &mut body, false)?;
        let Some(ret) = info.ret else {
            return Err(Diagnostic::new(
                h.pos,
                format!("cannot infer the return type of `{}`: add a return type annotation (`-> T`)", h.name),
            ));
        };
        let bare = self.returns.contains(&Some(Type::Void));
        let valued = self.returns.iter().any(|r| *r != Some(Type::Void));
        let trailing_value = matches!(self.last_expr_ty, Some(Some(t)) if t != Type::Void);
        if bare && (valued || trailing_value) {
            let how = if valued { "" } else { " (its body ends in an expression, which is its return value)" };
            return Err(Diagnostic::new(
                h.pos,
                format!("`{}` returns a value in one place and nothing in another{how}", h.name),
            ));
        }
        if ret != Type::Void {
            self.return_trailing_value(f, ret, &mut body)?;
            if !always_returns(&body) {
                return Err(Diagnostic::new(
                    h.pos,
                    format!("`{}` may reach the end of its body without returning a value (it returns {ret})", h.name),
                ));
            }
        }
        Ok(TFunction {
            name: h.name.clone(),
            line: h.pos.line,
            sig: Sig { params: info.params.clone(), ret },
            locals: std::mem::take(&mut self.locals),
            body,
        })
    }

    /// A trailing expression statement is the function's return value.
    fn return_trailing_value(&mut self, f: &FnDef, ret: Type, body: &mut Vec<TStmt>) -> DiagResult<()> {
        if !matches!(body.last(), Some(TStmt { kind: TStmtKind::Expr(_), .. })) {
            return Ok(());
        }
        let Some(TStmt { kind: TStmtKind::Expr(e), line }) = body.pop() else { return Ok(()) };
        let pos = f.body.last().map(|s| s.pos).unwrap_or(f.header.pos);
        let x = Ex { ty: Some(e.ty), e };
        let e = self.coerce(x, Some(ret), pos, || format!("the value returned by `{}`", f.header.name))?;
        body.push(TStmt { line, kind: TStmtKind::Return(Some(e)) });
        Ok(())
    }
}

/// True when control can never fall off the end of `body`.
fn always_returns(body: &[TStmt]) -> bool {
    body.iter().any(|s| match &s.kind {
        TStmtKind::Return(_) => true,
        TStmtKind::If(branches, Some(else_body)) => {
            branches.iter().all(|(_, b)| always_returns(b)) && always_returns(else_body)
        }
        TStmtKind::While(cond, body) => matches!(cond.kind, TExprKind::Bool(true)) && !breaks(body),
        _ => false,
    })
}

/// True when `body` holds a `break` of the loop it belongs to.
fn breaks(body: &[TStmt]) -> bool {
    body.iter().any(|s| match &s.kind {
        TStmtKind::Break => true,
        TStmtKind::If(branches, else_body) => {
            branches.iter().any(|(_, b)| breaks(b)) || else_body.as_deref().is_some_and(breaks)
        }
        _ => false,
    })
}
