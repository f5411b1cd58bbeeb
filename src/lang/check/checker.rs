//! The state of checking one body (a function's, or the top level's), and
//! the rules every construct shares: scopes, name lookup, coercion.

use std::borrow::Cow;
use std::collections::HashMap;

use super::env::Env;
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::typed::*;
use crate::util::names;

/// A type as the checker knows it: `None` is "not known yet" (inference only).
pub(super) type Known = Option<Type>;

/// A function or extern of the unit, as the rounds know it so far.
#[derive(Clone, Debug)]
pub(super) struct UnitFn {
    pub params: Vec<Type>,
    pub ret: Known,
    pub annotated: bool,
}

#[derive(Clone, Debug)]
pub(super) struct UnitGlobal {
    pub ty: Known,
    pub mutable: bool,
    pub line: u32,
}

/// The globals the unit's top level declares, in declaration order. The
/// top level fills it; function bodies only read it (borrowed).
#[derive(Clone, Debug, Default)]
pub(super) struct GlobalTable {
    pub by_name: HashMap<String, UnitGlobal>,
    pub order: Vec<String>,
}

impl GlobalTable {
    pub fn types(&self) -> Vec<(String, Known)> {
        self.order.iter().map(|n| (n.clone(), self.by_name[n].ty)).collect()
    }

    pub fn declarations(&self) -> Vec<GlobalDecl> {
        self.order
            .iter()
            .map(|n| {
                let g = &self.by_name[n];
                GlobalDecl { name: n.clone(), ty: g.ty.unwrap_or(Type::I64), mutable: g.mutable, line: g.line }
            })
            .collect()
    }
}

/// A typed expression while checking; its `ty` is `None` only in infer mode.
pub(super) struct Ex {
    pub ty: Known,
    pub e: TExpr,
}

pub(super) struct Checker<'a> {
    pub env: &'a dyn Env,
    pub fns: &'a HashMap<String, UnitFn>,
    /// Infer mode: unknown types silence the checks they reach.
    pub infer: bool,
    pub globals: Cow<'a, GlobalTable>,
    // Per body:
    pub in_function: bool,
    pub fn_ret: Known,
    pub locals: Vec<LocalInfo>,
    pub local_mutable: Vec<bool>,
    /// Infer mode: locals declared from a value whose type is not known
    /// yet; they read as unknown and take any assignment, as the value
    /// they came from would.
    pub local_unknown: Vec<bool>,
    pub scopes: Vec<HashMap<String, LocalId>>,
    pub loop_depth: u32,
    pub block_depth: u32,
    pub returns: Vec<Known>,
    /// The type of the last statement checked, when it was an expression
    /// statement (the body's trailing expression, once the body is done).
    pub last_expr_ty: Option<Known>,
}

impl<'a> Checker<'a> {
    pub fn new(env: &'a dyn Env, fns: &'a HashMap<String, UnitFn>, infer: bool, globals: Cow<'a, GlobalTable>) -> Self {
        Checker {
            env,
            fns,
            infer,
            globals,
            in_function: false,
            fn_ret: None,
            locals: Vec::new(),
            local_mutable: Vec::new(),
            local_unknown: Vec::new(),
            scopes: vec![HashMap::new()],
            loop_depth: 0,
            block_depth: 0,
            returns: Vec::new(),
            last_expr_ty: None,
        }
    }

    pub fn into_globals(self) -> GlobalTable {
        self.globals.into_owned()
    }

    pub fn new_local(&mut self, name: &str, ty: Known, mutable: bool) -> LocalId {
        let id = self.locals.len() as LocalId;
        self.locals.push(LocalInfo { name: name.to_string(), ty: ty.unwrap_or(Type::I64) });
        self.local_mutable.push(mutable);
        self.local_unknown.push(ty.is_none());
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), id);
        }
        id
    }

    pub fn hidden_local(&mut self, ty: Type) -> LocalId {
        let id = self.locals.len() as LocalId;
        self.locals.push(LocalInfo { name: String::new(), ty });
        self.local_mutable.push(false);
        self.local_unknown.push(false);
        id
    }

    /// A local's type; `None` only in infer mode.
    pub fn local_ty(&self, id: LocalId) -> Known {
        let i = id as usize;
        (!self.local_unknown[i]).then_some(self.locals[i].ty)
    }

    pub fn lookup_local(&self, name: &str) -> Option<LocalId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    pub fn lookup_global(&self, name: &str) -> Option<(Known, bool)> {
        if let Some(g) = self.globals.by_name.get(name) {
            return Some((g.ty, g.mutable));
        }
        self.env.global(name).map(|(t, m)| (Some(t), m))
    }

    pub fn unknown_name(&self, name: &str, pos: Pos, what: &str) -> Diagnostic {
        let mut candidates: Vec<String> = self.env.names();
        candidates.extend(self.globals.by_name.keys().cloned());
        candidates.extend(self.fns.keys().cloned());
        candidates.extend(self.scopes.iter().flat_map(|s| s.keys().cloned()));
        candidates.extend(Builtin::ALL.iter().map(|b| b.name().to_string()));
        let hint = names::hint(name, candidates.iter().map(|s| s.as_str()));
        Diagnostic::new(pos, format!("unknown {what} `{name}`{hint}"))
    }

    pub fn ex(ty: Known, line: u32, kind: TExprKind) -> Ex {
        Ex { ty, e: TExpr { ty: ty.unwrap_or(Type::I64), line, kind } }
    }

    /// Converts `x` to `want`, promoting i64 to f64.
    pub fn coerce(&self, x: Ex, want: Known, pos: Pos, what: impl FnOnce() -> String) -> DiagResult<TExpr> {
        match (x.ty, want) {
            (None, _) | (_, None) => Ok(x.e),
            (Some(have), Some(want)) if have == want => Ok(x.e),
            (Some(Type::I64), Some(Type::F64)) => {
                let line = x.e.line;
                Ok(TExpr { ty: Type::F64, line, kind: TExprKind::Promote(Box::new(x.e)) })
            }
            (Some(Type::Void), Some(want)) => {
                Err(Diagnostic::new(pos, format!("{} must be {want}, but this expression has no value", what())))
            }
            (Some(have), Some(want)) if have.name() == want.name() => Err(Diagnostic::new(
                pos,
                format!(
                    "{} must be {want}, found another {have} (struct `{have}` was declared again with other fields: \
                     {} then {})",
                    what(),
                    have.to_mir().map_or("", |t| t.mir_name()),
                    want.to_mir().map_or("", |t| t.mir_name())
                ),
            )),
            (Some(have), Some(want)) => Err(Diagnostic::new(pos, format!("{} must be {want}, found {have}", what()))),
        }
    }

    pub fn value(&self, x: &Ex, pos: Pos) -> DiagResult<()> {
        if let Some(Type::HostArray(h)) = x.ty {
            return Err(Diagnostic::new(
                pos,
                format!(
                    "an extern array `[{}]` is the host's memory, not a value: \
                     index it (`xs[i]`), take `len(xs)` or loop `for x in xs`",
                    h.name()
                ),
            ));
        }
        if x.ty == Some(Type::Void) {
            return Err(Diagnostic::new(
                pos,
                "this expression has no value (it calls a function that returns nothing)",
            ));
        }
        Ok(())
    }
}

/// Refuses to descend further when the thread's stack is running out.
pub(super) fn stack_ok(pos: Pos) -> DiagResult<()> {
    if crate::util::stack::pass_may_descend() {
        Ok(())
    } else {
        Err(Diagnostic::new(pos, "program nested too deeply to compile on this thread's stack"))
    }
}

/// The common type of two results (`i64` widens to `f64`).
pub(super) fn join(a: Type, b: Type) -> Option<Type> {
    match (a, b) {
        _ if a == b => Some(a),
        (Type::I64, Type::F64) | (Type::F64, Type::I64) => Some(Type::F64),
        _ => None,
    }
}

pub(super) fn is_numeric(t: Type) -> bool {
    matches!(t, Type::I64 | Type::F64)
}
