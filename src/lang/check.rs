//! Name resolution, type checking and return-type inference: syntax tree to
//! typed tree.
//!
//! Return types that are not annotated are inferred by iterating to a fixed
//! point: each round checks every body in *infer* mode, where a call to a
//! function whose type is still unknown has the `Unknown` type, which
//! silences every check it reaches, and a function's type is the join of the
//! known types it returns. A final round checks for real, reporting the
//! first error of the unit by position.

use std::collections::{BTreeSet, HashMap};

use super::ast::*;
use super::error::{LangError, LangResult};
use super::token::Pos;
use super::typed::*;

/// Names of the built-in functions; no user function, variable or
/// parameter may use them.
pub(crate) const BUILTINS: &[&str] = &["abs", "min", "max", "sqrt", "floor", "ceil", "len", "int", "float", "str"];

/// What the unit can see of the manager it is compiled into.
pub trait Env {
    /// A function compiled earlier: its type, or `Err(type as text)` when it
    /// has a type the source language cannot express (a MIR function).
    fn function(&self, name: &str) -> Option<Result<Sig, String>>;
    /// A global defined earlier: its type and whether it is mutable.
    fn global(&self, name: &str) -> Option<(Type, bool)>;
    /// A registered host function: its type, or `Err(type as text)` when
    /// the source language cannot express it.
    fn host(&self, name: &str) -> Option<Result<Sig, String>>;
    /// False when host functions are not known here (printing MIR without
    /// a manager): `extern fn` declarations are then taken as written.
    fn knows_hosts(&self) -> bool {
        true
    }
    /// Every function and global name, for "did you mean" suggestions.
    fn names(&self) -> Vec<String>;
}

/// An environment with nothing in it (a fresh manager).
pub struct EmptyEnv;

impl Env for EmptyEnv {
    fn function(&self, _: &str) -> Option<Result<Sig, String>> {
        None
    }
    fn global(&self, _: &str) -> Option<(Type, bool)> {
        None
    }
    fn host(&self, _: &str) -> Option<Result<Sig, String>> {
        None
    }
    fn knows_hosts(&self) -> bool {
        false
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The checker's view of a type: `None` is "not known yet" (inference only).
type Ty = Option<Type>;

pub fn check(unit: &Unit, env: &dyn Env) -> LangResult<TypedUnit> {
    let mut fns: Vec<&FnDef> = Vec::new();
    let mut externs: Vec<&ExternDecl> = Vec::new();
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    for item in &unit.items {
        match item {
            Item::Fn(f) => {
                check_decl_name(&f.name, f.pos, "a function")?;
                if let Some(first) = seen.insert(&f.name, f.pos) {
                    return Err(LangError::typ(
                        f.pos,
                        format!("function `{}` is defined twice in this unit (first at line {})", f.name, first.line),
                    ));
                }
                fns.push(f);
            }
            Item::Extern(e) => {
                check_decl_name(&e.name, e.pos, "a host function")?;
                if let Some(first) = seen.insert(&e.name, e.pos) {
                    return Err(LangError::typ(
                        e.pos,
                        format!("`{}` is declared twice in this unit (first at line {})", e.name, first.line),
                    ));
                }
                externs.push(e);
            }
            Item::Stmt(_) => {}
        }
    }
    let top: Vec<&Stmt> = unit
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Stmt(s) => Some(s),
            _ => None,
        })
        .collect();

    let mut unit_fns: HashMap<String, UnitFn> = HashMap::new();
    for f in &fns {
        let mut params = Vec::new();
        let mut names = BTreeSet::new();
        for p in &f.params {
            check_decl_name(&p.name, p.pos, "a parameter")?;
            if !names.insert(p.name.as_str()) {
                return Err(LangError::typ(p.pos, format!("parameter `{}` appears twice", p.name)));
            }
            params.push(p.ty.map(type_of).unwrap_or(Type::I64));
        }
        let annotated = f.ret.map(type_of);
        unit_fns.insert(f.name.clone(), UnitFn { params, ret: annotated, annotated: annotated.is_some() });
    }
    let mut typed_externs = Vec::new();
    for e in &externs {
        let sig = extern_sig(e, env)?;
        unit_fns.insert(e.name.clone(), UnitFn { params: sig.params.clone(), ret: Some(sig.ret), annotated: true });
        typed_externs.push(ExternFn { name: e.name.clone(), sig, line: e.pos.line });
    }

    // Inference rounds, callees first so a chain of calls settles in one
    // round. Each round that changes something moves a function or global
    // up the lattice unknown < i64 < f64, so the rounds are bounded.
    let order = callees_first(&fns);
    let max_rounds = 3 * (fns.len() + top.len()) + 4;
    let mut globals_known: Vec<(String, Ty)> = Vec::new();
    for _ in 0..max_rounds {
        let mut changed = false;
        let mut cx = Checker::new(env, &unit_fns, true);
        let _ = cx.check_init(&top);
        let round_globals: Vec<(String, Ty)> =
            cx.unit_globals_order.iter().map(|n| (n.clone(), cx.unit_globals[n].ty)).collect();
        if round_globals != globals_known {
            globals_known = round_globals;
            changed = true;
        }
        let unit_globals = cx.unit_globals.clone();
        let globals_order = cx.unit_globals_order.clone();
        for f in &order {
            if unit_fns[&f.name].annotated {
                continue;
            }
            let mut cx = Checker::new(env, &unit_fns, true);
            cx.unit_globals = unit_globals.clone();
            cx.unit_globals_order = globals_order.clone();
            if let Ok(inferred) = cx.infer_fn(f) {
                let entry = unit_fns.get_mut(&f.name).expect("every unit function has an entry");
                let merged = match (entry.ret, inferred) {
                    (None, t) => t,
                    (Some(old), Some(new)) => Some(join(old, new).unwrap_or(old)),
                    (old, None) => old,
                };
                if merged != entry.ret {
                    entry.ret = merged;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    // Final round: every error is real; report the first by position.
    let mut first_error: Option<LangError> = None;
    let mut keep = |e: LangError| {
        if first_error.as_ref().is_none_or(|f| (e.pos.line, e.pos.col) < (f.pos.line, f.pos.col)) {
            first_error = Some(e);
        }
    };
    let mut cx = Checker::new(env, &unit_fns, false);
    let init = cx.check_init(&top);
    let unit_globals = cx.unit_globals.clone();
    let order = cx.unit_globals_order.clone();
    let init = match init {
        Ok(init) => Some(init),
        Err(e) => {
            keep(e);
            None
        }
    };
    let mut functions = Vec::new();
    for f in &fns {
        let mut cx = Checker::new(env, &unit_fns, false);
        cx.unit_globals = unit_globals.clone();
        cx.unit_globals_order = order.clone();
        match cx.final_fn(f) {
            Ok(tf) => functions.push(tf),
            Err(e) => keep(e),
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let init = init.ok_or_else(|| LangError::typ(Pos::default(), "internal error: top level not checked"))?;
    let globals = order
        .iter()
        .map(|n| {
            let g = &unit_globals[n];
            GlobalDecl { name: n.clone(), ty: g.ty.unwrap_or(Type::I64), mutable: g.mutable, line: g.line }
        })
        .collect();
    Ok(TypedUnit { functions, init, globals, externs: typed_externs })
}

/// The type of an `extern fn`, checked against the registered host function.
fn extern_sig(e: &ExternDecl, env: &dyn Env) -> LangResult<Sig> {
    let mut params = Vec::new();
    let mut names = BTreeSet::new();
    for p in &e.params {
        if !names.insert(p.name.as_str()) {
            return Err(LangError::typ(p.pos, format!("parameter `{}` appears twice", p.name)));
        }
        params.push(p.ty.map(type_of).unwrap_or(Type::I64));
    }
    let sig = Sig { params, ret: e.ret.map(type_of).unwrap_or(Type::Void) };
    if sig.params.iter().chain(std::iter::once(&sig.ret)).any(|t| *t == Type::Text) {
        return Err(LangError::typ(e.pos, format!("host function `{}` cannot take or return text", e.name)));
    }
    if !env.knows_hosts() {
        return Ok(sig);
    }
    match env.host(&e.name) {
        None => Err(LangError::typ(
            e.pos,
            format!(
                "`{}` is not a registered host function (register it with rt_exec_manager_register_function before compiling)",
                e.name
            ),
        )),
        Some(Err(shown)) => Err(LangError::typ(
            e.pos,
            format!("host function `{}` is registered as {shown}, which source code cannot call", e.name),
        )),
        Some(Ok(registered)) if registered != sig => Err(LangError::typ(
            e.pos,
            format!("extern fn `{}` is declared {sig} but registered as {registered}", e.name),
        )),
        Some(Ok(_)) => Ok(sig),
    }
}

/// The unit's functions ordered so that callees come before their callers
/// (cycles in any order), by an iterative depth-first search.
fn callees_first<'a>(fns: &[&'a FnDef]) -> Vec<&'a FnDef> {
    let index: HashMap<&str, usize> = fns.iter().enumerate().map(|(i, f)| (f.name.as_str(), i)).collect();
    let calls: Vec<Vec<usize>> = fns
        .iter()
        .map(|f| {
            let mut names = Vec::new();
            collect_calls(&f.body, &mut names);
            names.iter().filter_map(|n| index.get(n.as_str()).copied()).collect()
        })
        .collect();
    let mut state = vec![0u8; fns.len()]; // 0 new, 1 open, 2 done
    let mut order = Vec::with_capacity(fns.len());
    for root in 0..fns.len() {
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.pop() {
            if next == 0 {
                if state[node] != 0 {
                    continue;
                }
                state[node] = 1;
            }
            if let Some(&callee) = calls[node].get(next) {
                stack.push((node, next + 1));
                if state[callee] == 0 {
                    stack.push((callee, 0));
                }
            } else {
                state[node] = 2;
                order.push(fns[node]);
            }
        }
    }
    order
}

fn collect_calls(stmts: &[Stmt], out: &mut Vec<String>) {
    fn expr(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Call { name, args } => {
                out.push(name.clone());
                args.iter().for_each(|a| expr(a, out));
            }
            ExprKind::Unary(_, x) => expr(x, out),
            ExprKind::Binary(_, a, b) => {
                expr(a, out);
                expr(b, out);
            }
            _ => {}
        }
    }
    for s in stmts {
        match &s.kind {
            StmtKind::Let { value, .. } | StmtKind::Assign { value, .. } => expr(value, out),
            StmtKind::If { branches, else_body } => {
                for (c, b) in branches {
                    expr(c, out);
                    collect_calls(b, out);
                }
                if let Some(b) = else_body {
                    collect_calls(b, out);
                }
            }
            StmtKind::While { cond, body } => {
                expr(cond, out);
                collect_calls(body, out);
            }
            StmtKind::For { start, end, body, .. } => {
                expr(start, out);
                expr(end, out);
                collect_calls(body, out);
            }
            StmtKind::Return(Some(e)) | StmtKind::Expr(e) => expr(e, out),
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue => {}
        }
    }
}

fn type_of(t: TypeName) -> Type {
    match t {
        TypeName::I64 => Type::I64,
        TypeName::F64 => Type::F64,
        TypeName::Bool => Type::Bool,
        TypeName::Text => Type::Text,
    }
}

fn check_decl_name(name: &str, pos: Pos, what: &str) -> LangResult<()> {
    if BUILTINS.contains(&name) {
        return Err(LangError::typ(
            pos,
            format!("`{name}` is a built-in function and cannot be used as the name of {what}"),
        ));
    }
    Ok(())
}

/// The common type of two results (`i64` widens to `f64`).
fn join(a: Type, b: Type) -> Option<Type> {
    match (a, b) {
        _ if a == b => Some(a),
        (Type::I64, Type::F64) | (Type::F64, Type::I64) => Some(Type::F64),
        _ => None,
    }
}

fn is_numeric(t: Type) -> bool {
    matches!(t, Type::I64 | Type::F64)
}

/// Levenshtein distance, for suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = if name.chars().count() <= 3 { 1 } else { 2 };
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_string())
}

#[derive(Clone, Debug)]
struct UnitFn {
    params: Vec<Type>,
    ret: Ty,
    annotated: bool,
}

#[derive(Clone, Debug)]
struct UnitGlobal {
    ty: Ty,
    mutable: bool,
    line: u32,
}

/// A typed expression while checking; its `ty` is `None` only in infer mode.
struct Ex {
    ty: Ty,
    e: TExpr,
}

struct Checker<'a> {
    env: &'a dyn Env,
    fns: &'a HashMap<String, UnitFn>,
    infer: bool,
    unit_globals: HashMap<String, UnitGlobal>,
    unit_globals_order: Vec<String>,
    // Per body:
    in_function: bool,
    fn_ret: Ty,
    locals: Vec<LocalInfo>,
    local_mutable: Vec<bool>,
    scopes: Vec<HashMap<String, LocalId>>,
    loop_depth: u32,
    block_depth: u32,
    returns: Vec<Ty>,
    /// The type of the last statement checked, when it was an expression
    /// statement (the body's trailing expression, once the body is done).
    last_expr_ty: Option<Ty>,
}

impl<'a> Checker<'a> {
    fn new(env: &'a dyn Env, fns: &'a HashMap<String, UnitFn>, infer: bool) -> Self {
        Checker {
            env,
            fns,
            infer,
            unit_globals: HashMap::new(),
            unit_globals_order: Vec::new(),
            in_function: false,
            fn_ret: None,
            locals: Vec::new(),
            local_mutable: Vec::new(),
            scopes: vec![HashMap::new()],
            loop_depth: 0,
            block_depth: 0,
            returns: Vec::new(),
            last_expr_ty: None,
        }
    }

    fn new_local(&mut self, name: &str, ty: Ty, mutable: bool) -> LocalId {
        let id = self.locals.len() as LocalId;
        self.locals.push(LocalInfo { name: name.to_string(), ty: ty.unwrap_or(Type::I64) });
        self.local_mutable.push(mutable);
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name.to_string(), id);
        }
        id
    }

    fn hidden_local(&mut self, ty: Type) -> LocalId {
        let id = self.locals.len() as LocalId;
        self.locals.push(LocalInfo { name: String::new(), ty });
        self.local_mutable.push(false);
        id
    }

    fn lookup_local(&self, name: &str) -> Option<LocalId> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    fn lookup_global(&self, name: &str) -> Option<(Ty, bool)> {
        if let Some(g) = self.unit_globals.get(name) {
            return Some((g.ty, g.mutable));
        }
        self.env.global(name).map(|(t, m)| (Some(t), m))
    }

    fn unknown_name(&self, name: &str, pos: Pos, what: &str) -> LangError {
        let mut candidates: Vec<String> = self.env.names();
        candidates.extend(self.unit_globals.keys().cloned());
        candidates.extend(self.fns.keys().cloned());
        candidates.extend(self.scopes.iter().flat_map(|s| s.keys().cloned()));
        candidates.extend(BUILTINS.iter().map(|s| s.to_string()));
        let hint = suggest(name, candidates.iter().map(|s| s.as_str()))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        LangError::typ(pos, format!("unknown {what} `{name}`{hint}"))
    }

    fn ex(ty: Ty, line: u32, kind: TExprKind) -> Ex {
        Ex { ty, e: TExpr { ty: ty.unwrap_or(Type::I64), line, kind } }
    }

    /// Converts `x` to `want`, promoting i64 to f64.
    fn coerce(&self, x: Ex, want: Ty, pos: Pos, what: impl FnOnce() -> String) -> LangResult<TExpr> {
        match (x.ty, want) {
            (None, _) | (_, None) => Ok(x.e),
            (Some(have), Some(want)) if have == want => Ok(x.e),
            (Some(Type::I64), Some(Type::F64)) => {
                let line = x.e.line;
                Ok(TExpr { ty: Type::F64, line, kind: TExprKind::Promote(Box::new(x.e)) })
            }
            (Some(Type::Void), Some(want)) => {
                Err(LangError::typ(pos, format!("{} must be {want}, but this expression has no value", what())))
            }
            (Some(have), Some(want)) => Err(LangError::typ(pos, format!("{} must be {want}, found {have}", what()))),
        }
    }

    fn value(&self, x: &Ex, pos: Pos) -> LangResult<()> {
        if x.ty == Some(Type::Void) {
            return Err(LangError::typ(pos, "this expression has no value (it calls a function that returns nothing)"));
        }
        Ok(())
    }

    // ---- bodies ----

    fn check_init(&mut self, top: &[&Stmt]) -> LangResult<TFunction> {
        self.in_function = false;
        let mut body = Vec::new();
        let last_index = top.len().checked_sub(1);
        let mut result_ty = Type::Void;
        for (i, s) in top.iter().enumerate() {
            if !stack_ok() {
                return Err(too_deep(s.pos));
            }
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
        let Some(last) = body.last() else { return Type::Void };
        if body.len() <= from {
            return Type::Void;
        }
        let line = last.line;
        let value = match &last.kind {
            TStmtKind::Expr(e) if e.ty != Type::Void => {
                let TStmtKind::Expr(e) = body.pop().map(|s| s.kind).unwrap_or(TStmtKind::Break) else {
                    return Type::Void;
                };
                e
            }
            TStmtKind::SetGlobal(name, e) => TExpr { ty: e.ty, line, kind: TExprKind::Global(name.clone()) },
            TStmtKind::SetLocal(id, e) => TExpr { ty: e.ty, line, kind: TExprKind::Local(*id) },
            _ => return Type::Void,
        };
        // A global's stored type may be wider than the assigned value's.
        let ty = match &value.kind {
            TExprKind::Global(name) => self.unit_globals.get(name).and_then(|g| g.ty).unwrap_or(value.ty),
            _ => value.ty,
        };
        let value = TExpr { ty, ..value };
        body.push(TStmt { line, kind: TStmtKind::Return(Some(value)) });
        ty
    }

    fn enter_fn(&mut self, f: &FnDef, ret: Ty) {
        self.in_function = true;
        self.fn_ret = ret;
        let sig = &self.fns[&f.name];
        let params = sig.params.clone();
        for (p, ty) in f.params.iter().zip(params) {
            self.new_local(&p.name, Some(ty), true);
        }
    }

    /// Infer mode: the join of the known types this body returns.
    fn infer_fn(&mut self, f: &FnDef) -> LangResult<Ty> {
        self.enter_fn(f, None);
        let mut body = Vec::new();
        self.block(&f.body, &mut body, false)?;
        let trailing = self.last_expr_ty.take();
        Ok(self.result_type(trailing))
    }

    /// Combines the collected returns and the trailing expression's type.
    /// `trailing` is `None` when the body does not end in an expression
    /// statement, `Some(None)` when its type is not known yet.
    fn result_type(&self, trailing: Option<Ty>) -> Ty {
        let bare = self.returns.contains(&Some(Type::Void));
        let mut values: Vec<Ty> = self.returns.iter().copied().filter(|r| *r != Some(Type::Void)).collect();
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

    fn final_fn(&mut self, f: &FnDef) -> LangResult<TFunction> {
        let info = &self.fns[&f.name];
        let ret = info.ret;
        let params = info.params.clone();
        self.enter_fn(f, ret);
        let mut body = Vec::new();
        self.block(&f.body, &mut body, false)?;
        let ret = match ret {
            Some(t) => t,
            None => {
                return Err(LangError::typ(
                    f.pos,
                    format!("cannot infer the return type of `{}`: add a return type annotation (`-> T`)", f.name),
                ));
            }
        };
        let bare = self.returns.contains(&Some(Type::Void));
        let valued = self.returns.iter().any(|r| *r != Some(Type::Void));
        let trailing_value = matches!(self.last_expr_ty, Some(Some(t)) if t != Type::Void);
        if bare && (valued || trailing_value) {
            let how = if valued { "" } else { " (its body ends in an expression, which is its return value)" };
            return Err(LangError::typ(
                f.pos,
                format!("`{}` returns a value in one place and nothing in another{how}", f.name),
            ));
        }
        if ret != Type::Void {
            // A trailing expression statement is the return value.
            if let Some(TStmt { kind: TStmtKind::Expr(_), .. }) = body.last() {
                let Some(TStmt { kind: TStmtKind::Expr(e), line }) = body.pop() else { unreachable!("just matched") };
                let pos = f.body.last().map(|s| s.pos).unwrap_or(f.pos);
                let x = Ex { ty: Some(e.ty), e };
                let e = self.coerce(x, Some(ret), pos, || format!("the value returned by `{}`", f.name))?;
                body.push(TStmt { line, kind: TStmtKind::Return(Some(e)) });
            }
            if !always_returns(&body) {
                return Err(LangError::typ(
                    f.pos,
                    format!("`{}` may reach the end of its body without returning a value (it returns {ret})", f.name),
                ));
            }
        }
        Ok(TFunction {
            name: f.name.clone(),
            line: f.pos.line,
            sig: Sig { params, ret },
            locals: std::mem::take(&mut self.locals),
            body,
        })
    }

    fn block(&mut self, stmts: &[Stmt], out: &mut Vec<TStmt>, new_scope: bool) -> LangResult<()> {
        if new_scope {
            self.scopes.push(HashMap::new());
            self.block_depth += 1;
        }
        let mut result = Ok(());
        for s in stmts {
            result = self.stmt(s, out);
            if result.is_err() {
                break;
            }
        }
        if new_scope {
            self.scopes.pop();
            self.block_depth -= 1;
        }
        result
    }

    fn stmt(&mut self, s: &Stmt, out: &mut Vec<TStmt>) -> LangResult<()> {
        if !stack_ok() {
            return Err(too_deep(s.pos));
        }
        let line = s.pos.line;
        let kind = match &s.kind {
            StmtKind::Let { mutable, name, ty, value } => {
                let x = self.expr(value)?;
                self.value(&x, value.pos)?;
                let want = ty.map(type_of).map(Some).unwrap_or(x.ty);
                let e = self.coerce(x, want, value.pos, || format!("the value of `{name}`"))?;
                check_decl_name(name, s.pos, "a variable")?;
                if !self.in_function && self.block_depth == 0 {
                    self.declare_global(name, want, *mutable, s.pos)?;
                    TStmtKind::SetGlobal(name.clone(), e)
                } else {
                    let id = self.new_local(name, want, *mutable);
                    TStmtKind::SetLocal(id, e)
                }
            }
            StmtKind::Assign { name, op, value } => self.assign(name, *op, value, s.pos)?,
            StmtKind::If { branches, else_body } => {
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
                TStmtKind::If(tb, eb)
            }
            StmtKind::While { cond, body } => {
                let c = self.condition(cond, "a `while` condition")?;
                self.loop_depth += 1;
                let mut b = Vec::new();
                let r = self.block(body, &mut b, true);
                self.loop_depth -= 1;
                r?;
                TStmtKind::While(c, b)
            }
            StmtKind::For { var, start, end, inclusive, body } => {
                let sx = self.expr(start)?;
                let start_e = self.coerce(sx, Some(Type::I64), start.pos, || "a range bound".to_string())?;
                let ex = self.expr(end)?;
                let end_e = self.coerce(ex, Some(Type::I64), end.pos, || "a range bound".to_string())?;
                check_decl_name(var, s.pos, "a loop variable")?;
                self.scopes.push(HashMap::new());
                self.block_depth += 1;
                let end_local = self.hidden_local(Type::I64);
                let var_id = self.new_local(var, Some(Type::I64), false);
                self.loop_depth += 1;
                let mut b = Vec::new();
                let r = self.block(body, &mut b, false);
                self.loop_depth -= 1;
                self.block_depth -= 1;
                self.scopes.pop();
                r?;
                TStmtKind::For { var: var_id, end_local, start: start_e, end: end_e, inclusive: *inclusive, body: b }
            }
            StmtKind::Break | StmtKind::Continue => {
                let word = if matches!(s.kind, StmtKind::Break) { "break" } else { "continue" };
                if self.loop_depth == 0 {
                    return Err(LangError::typ(s.pos, format!("`{word}` outside of a loop")));
                }
                if matches!(s.kind, StmtKind::Break) { TStmtKind::Break } else { TStmtKind::Continue }
            }
            StmtKind::Return(value) => {
                if !self.in_function {
                    return Err(LangError::typ(s.pos, "`return` outside of a function"));
                }
                match value {
                    None => {
                        self.returns.push(Some(Type::Void));
                        if let Some(ret) = self.fn_ret {
                            if ret != Type::Void && !self.infer {
                                return Err(LangError::typ(
                                    s.pos,
                                    format!("this function returns {ret}; `return` needs a value"),
                                ));
                            }
                        }
                        TStmtKind::Return(None)
                    }
                    Some(v) => {
                        let x = self.expr(v)?;
                        self.value(&x, v.pos)?;
                        self.returns.push(x.ty);
                        let want = self.fn_ret;
                        let e = self.coerce(x, want, v.pos, || "the returned value".to_string())?;
                        TStmtKind::Return(Some(e))
                    }
                }
            }
            StmtKind::Expr(e) => {
                let x = self.expr(e)?;
                out.push(TStmt { line, kind: TStmtKind::Expr(x.e) });
                self.last_expr_ty = Some(x.ty);
                return Ok(());
            }
        };
        out.push(TStmt { line, kind });
        self.last_expr_ty = None;
        Ok(())
    }

    fn declare_global(&mut self, name: &str, ty: Ty, mutable: bool, pos: Pos) -> LangResult<()> {
        if let Some(g) = self.unit_globals.get_mut(name) {
            if g.ty.is_none() {
                g.ty = ty;
            }
            if !self.infer {
                if let (Some(old), Some(new)) = (g.ty, ty) {
                    if old != new {
                        return Err(LangError::typ(
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
                    return Err(LangError::typ(
                        pos,
                        format!("global `{name}` was declared with `{word}` at line {} of this unit", g.line),
                    ));
                }
            }
            return Ok(());
        }
        self.unit_globals.insert(name.to_string(), UnitGlobal { ty, mutable, line: pos.line });
        self.unit_globals_order.push(name.to_string());
        Ok(())
    }

    fn assign(&mut self, name: &str, op: Option<BinOp>, value: &Expr, pos: Pos) -> LangResult<TStmtKind> {
        let x = self.expr(value)?;
        self.value(&x, value.pos)?;
        enum Target {
            Local(LocalId),
            Global,
        }
        let (target, ty) = if let Some(id) = self.lookup_local(name) {
            if !self.local_mutable[id as usize] {
                return Err(LangError::typ(
                    pos,
                    format!("cannot assign to `{name}`: it is immutable (declare it with `var`)"),
                ));
            }
            (Target::Local(id), Some(self.locals[id as usize].ty))
        } else if let Some((ty, mutable)) = self.lookup_global(name) {
            if !mutable {
                let hint = if self.in_function { "" } else { " (a new `val` declaration may replace it)" };
                return Err(LangError::typ(
                    pos,
                    format!("cannot assign to global `{name}`: it was declared with `val`{hint}"),
                ));
            }
            (Target::Global, ty)
        } else if !self.in_function {
            if op.is_some() {
                return Err(self.unknown_name(name, pos, "name"));
            }
            check_decl_name(name, pos, "a global")?;
            self.declare_global(name, x.ty, true, pos)?;
            (Target::Global, x.ty)
        } else {
            let mut err = self.unknown_name(name, pos, "name");
            err.message.push_str(&format!(" (declare a new variable with `var {name} = ...`)"));
            return Err(err);
        };
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

    fn condition(&mut self, cond: &Expr, what: &str) -> LangResult<TExpr> {
        let x = self.expr(cond)?;
        match x.ty {
            None | Some(Type::Bool) => Ok(x.e),
            Some(t) => {
                Err(LangError::typ(cond.pos, format!("{what} must be bool, found {t} (compare it, e.g. `x != 0`)")))
            }
        }
    }

    // ---- expressions ----

    fn expr(&mut self, e: &Expr) -> LangResult<Ex> {
        if !stack_ok() {
            return Err(too_deep(e.pos));
        }
        let line = e.pos.line;
        Ok(match &e.kind {
            ExprKind::Int(v) => Self::ex(Some(Type::I64), line, TExprKind::Int(*v)),
            ExprKind::Float(v) => Self::ex(Some(Type::F64), line, TExprKind::Float(*v)),
            ExprKind::Bool(b) => Self::ex(Some(Type::Bool), line, TExprKind::Bool(*b)),
            ExprKind::Str(s) => Self::ex(Some(Type::Text), line, TExprKind::Str(s.clone())),
            ExprKind::Name(name) => {
                if let Some(id) = self.lookup_local(name) {
                    Self::ex(Some(self.locals[id as usize].ty), line, TExprKind::Local(id))
                } else if let Some((ty, _)) = self.lookup_global(name) {
                    Self::ex(ty, line, TExprKind::Global(name.clone()))
                } else if self.fns.contains_key(name)
                    || self.env.function(name).is_some()
                    || BUILTINS.contains(&name.as_str())
                {
                    return Err(LangError::typ(e.pos, format!("`{name}` is a function; call it with `{name}(...)`")));
                } else {
                    return Err(self.unknown_name(name, e.pos, "name"));
                }
            }
            ExprKind::Unary(UnOp::Neg, inner) => {
                let x = self.expr(inner)?;
                match x.ty {
                    None => Self::ex(None, line, TExprKind::Neg(Box::new(x.e))),
                    Some(t) if is_numeric(t) => Self::ex(Some(t), line, TExprKind::Neg(Box::new(x.e))),
                    Some(t) => return Err(LangError::typ(e.pos, format!("unary '-' needs a number, found {t}"))),
                }
            }
            ExprKind::Unary(UnOp::Not, inner) => {
                let x = self.expr(inner)?;
                match x.ty {
                    None | Some(Type::Bool) => Self::ex(Some(Type::Bool), line, TExprKind::Not(Box::new(x.e))),
                    Some(t) => return Err(LangError::typ(e.pos, format!("`not` needs a bool, found {t}"))),
                }
            }
            ExprKind::Binary(op, a, b) => {
                let xa = self.expr(a)?;
                let xb = self.expr(b)?;
                self.binary(*op, xa, xb, e.pos)?
            }
            ExprKind::Call { name, args } => self.call(name, args, e.pos)?,
        })
    }

    fn binary(&mut self, op: BinOp, a: Ex, b: Ex, pos: Pos) -> LangResult<Ex> {
        let line = pos.line;
        if a.ty == Some(Type::Void) || b.ty == Some(Type::Void) {
            return Err(LangError::typ(
                pos,
                format!("operand of '{}' has no value (it calls a function that returns nothing)", op.symbol()),
            ));
        }
        let mismatch = |ta: Type, tb: Type, need: &str| {
            LangError::typ(pos, format!("'{}' needs {need}, found {ta} and {tb}", op.symbol()))
        };
        match op {
            BinOp::And | BinOp::Or => {
                if let (Some(ta), Some(tb)) = (a.ty, b.ty) {
                    if ta != Type::Bool || tb != Type::Bool {
                        return Err(mismatch(ta, tb, "bool operands"));
                    }
                }
                let kind = if op == BinOp::And {
                    TExprKind::And(Box::new(a.e), Box::new(b.e))
                } else {
                    TExprKind::Or(Box::new(a.e), Box::new(b.e))
                };
                Ok(Self::ex(Some(Type::Bool), line, kind))
            }
            _ if op.is_comparison() => {
                let cmp = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let (ta, tb) = match (a.ty, b.ty) {
                    (Some(ta), Some(tb)) => (ta, tb),
                    _ => {
                        return Ok(Self::ex(Some(Type::Bool), line, TExprKind::Cmp(cmp, Box::new(a.e), Box::new(b.e))));
                    }
                };
                let common = join(ta, tb).ok_or_else(|| mismatch(ta, tb, "operands of the same type"))?;
                if !matches!(op, BinOp::Eq | BinOp::Ne) && common == Type::Bool {
                    return Err(LangError::typ(pos, format!("'{}' orders numbers or texts, not bool", op.symbol())));
                }
                let ea = self.coerce(a, Some(common), pos, String::new)?;
                let eb = self.coerce(b, Some(common), pos, String::new)?;
                Ok(Self::ex(Some(Type::Bool), line, TExprKind::Cmp(cmp, Box::new(ea), Box::new(eb))))
            }
            _ => {
                let arith = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    BinOp::Div => ArithOp::Div,
                    BinOp::Rem => ArithOp::Rem,
                    _ => ArithOp::Pow,
                };
                let common = match (a.ty, b.ty) {
                    (Some(ta), Some(tb)) => {
                        let ok = match join(ta, tb) {
                            Some(t) if is_numeric(t) => Some(t),
                            Some(Type::Text) if op == BinOp::Add => Some(Type::Text),
                            _ => None,
                        };
                        match ok {
                            Some(t) => Some(t),
                            None if op == BinOp::Add && (ta == Type::Text || tb == Type::Text) => {
                                return Err(mismatch(
                                    ta,
                                    tb,
                                    "two numbers or two texts (convert with str(...) to concatenate)",
                                ));
                            }
                            None => return Err(mismatch(ta, tb, "numbers")),
                        }
                    }
                    _ => None,
                };
                let ea = self.coerce(a, common, pos, String::new)?;
                let eb = self.coerce(b, common, pos, String::new)?;
                Ok(Self::ex(common, line, TExprKind::Arith(arith, Box::new(ea), Box::new(eb))))
            }
        }
    }

    fn call(&mut self, name: &str, args: &[Expr], pos: Pos) -> LangResult<Ex> {
        let line = pos.line;
        let mut xs = Vec::with_capacity(args.len());
        for a in args {
            let x = self.expr(a)?;
            self.value(&x, a.pos)?;
            xs.push((x, a.pos));
        }
        if BUILTINS.contains(&name) {
            return self.builtin(name, xs, pos);
        }
        let (params, ret): (Vec<Type>, Ty) = if let Some(f) = self.fns.get(name) {
            (f.params.clone(), f.ret)
        } else {
            match self.env.function(name) {
                Some(Ok(sig)) => (sig.params, Some(sig.ret)),
                Some(Err(shown)) => {
                    return Err(LangError::typ(
                        pos,
                        format!("`{name}` has type {shown}, which source code cannot call"),
                    ));
                }
                None => return Err(self.unknown_name(name, pos, "function")),
            }
        };
        if params.len() != xs.len() {
            return Err(LangError::typ(
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
            return Err(LangError::typ(
                pos,
                format!(
                    "cannot infer the return type of `{name}`: add a return type annotation (`-> T`) to its definition"
                ),
            ));
        }
        Ok(Self::ex(ret, line, TExprKind::Call(name.to_string(), targs)))
    }

    fn builtin(&mut self, name: &str, xs: Vec<(Ex, Pos)>, pos: Pos) -> LangResult<Ex> {
        let line = pos.line;
        let arity = |n: usize| -> LangResult<()> {
            if xs.len() != n {
                return Err(LangError::typ(
                    pos,
                    format!("`{name}` takes {n} argument{} but {} were given", if n == 1 { "" } else { "s" }, xs.len()),
                ));
            }
            Ok(())
        };
        let bad = |t: Type, need: &str| LangError::typ(pos, format!("`{name}` needs {need}, found {t}"));
        let b = match name {
            "abs" => Builtin::Abs,
            "min" => Builtin::Min,
            "max" => Builtin::Max,
            "sqrt" => Builtin::Sqrt,
            "floor" => Builtin::Floor,
            "ceil" => Builtin::Ceil,
            "len" => Builtin::Len,
            "int" => Builtin::Int,
            "float" => Builtin::Float,
            _ => Builtin::Str,
        };
        match b {
            Builtin::Abs => {
                arity(1)?;
                let (x, _) = xs.into_iter().next().expect("arity checked");
                match x.ty {
                    Some(t) if !is_numeric(t) => Err(bad(t, "a number")),
                    ty => Ok(Self::ex(ty, line, TExprKind::Builtin(b, vec![x.e]))),
                }
            }
            Builtin::Min | Builtin::Max => {
                if xs.len() < 2 {
                    return Err(LangError::typ(pos, format!("`{name}` takes two or more arguments")));
                }
                let mut common = Some(Type::I64);
                for (x, _) in &xs {
                    match x.ty {
                        Some(t) if !is_numeric(t) => return Err(bad(t, "numbers")),
                        Some(Type::F64) if common.is_some() => common = Some(Type::F64),
                        None => common = None,
                        _ => {}
                    }
                }
                let mut args = Vec::new();
                for (x, p) in xs {
                    args.push(self.coerce(x, common, p, String::new)?);
                }
                Ok(Self::ex(common, line, TExprKind::Builtin(b, args)))
            }
            Builtin::Sqrt | Builtin::Floor | Builtin::Ceil => {
                arity(1)?;
                let (x, p) = xs.into_iter().next().expect("arity checked");
                if let Some(t) = x.ty {
                    if !is_numeric(t) {
                        return Err(bad(t, "a number"));
                    }
                }
                let e = self.coerce(x, Some(Type::F64), p, String::new)?;
                Ok(Self::ex(Some(Type::F64), line, TExprKind::Builtin(b, vec![e])))
            }
            Builtin::Len => {
                arity(1)?;
                let (x, _) = xs.into_iter().next().expect("arity checked");
                match x.ty {
                    Some(t) if t != Type::Text => Err(bad(t, "a text")),
                    _ => Ok(Self::ex(Some(Type::I64), line, TExprKind::Builtin(b, vec![x.e]))),
                }
            }
            Builtin::Int => {
                arity(1)?;
                let (x, _) = xs.into_iter().next().expect("arity checked");
                match x.ty {
                    Some(Type::I64) => Ok(x),
                    _ => Ok(Self::ex(Some(Type::I64), line, TExprKind::Builtin(b, vec![x.e]))),
                }
            }
            Builtin::Float => {
                arity(1)?;
                let (x, p) = xs.into_iter().next().expect("arity checked");
                match x.ty {
                    Some(Type::F64) => Ok(x),
                    Some(Type::I64) => {
                        let e = self.coerce(x, Some(Type::F64), p, String::new)?;
                        Ok(Self::ex(Some(Type::F64), line, e.kind))
                    }
                    _ => Ok(Self::ex(Some(Type::F64), line, TExprKind::Builtin(b, vec![x.e]))),
                }
            }
            Builtin::Str => {
                arity(1)?;
                let (x, _) = xs.into_iter().next().expect("arity checked");
                match x.ty {
                    Some(Type::Text) => Ok(x),
                    _ => Ok(Self::ex(Some(Type::Text), line, TExprKind::Builtin(b, vec![x.e]))),
                }
            }
        }
    }
}

/// True when control can never fall off the end of `body`.
pub fn always_returns(body: &[TStmt]) -> bool {
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

fn stack_ok() -> bool {
    crate::stack::has_room(64 * 1024)
}

fn too_deep(pos: Pos) -> LangError {
    LangError::typ(pos, "program nested too deeply to compile on this thread's stack")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::parse;

    fn check_src(src: &str) -> LangResult<TypedUnit> {
        check(&parse(src)?, &EmptyEnv)
    }

    fn ret_of(src: &str, name: &str) -> Type {
        let unit = check_src(src).unwrap();
        unit.functions.iter().find(|f| f.name == name).unwrap().sig.ret
    }

    #[test]
    fn infers_recursive_and_mutually_recursive_returns() {
        let fib = "fn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n";
        assert_eq!(ret_of(fib, "fib"), Type::I64);
        let even_odd = "fn even(n):\n    if n == 0: return true\n    return odd(n - 1)\nfn odd(n):\n    if n == 0: return false\n    return even(n - 1)\n";
        assert_eq!(ret_of(even_odd, "odd"), Type::Bool);
        // i64 and f64 returns join to f64, also through recursion.
        let halve = "fn h(n):\n    if n == 0: return 1\n    return h(n - 1) * 0.5\n";
        assert_eq!(ret_of(halve, "h"), Type::F64);
    }

    #[test]
    fn uninferable_recursion_asks_for_an_annotation() {
        let e = check_src("fn r(n): r(n + 1) + 1").unwrap_err();
        assert!(e.message.contains("return type"), "{e}");
    }

    #[test]
    fn no_implicit_conversions_but_promotion() {
        assert!(check_src("if 1:\n    2\n").unwrap_err().message.contains("must be bool"));
        assert!(check_src("val x = 1 + 2.5").is_ok());
        assert!(check_src("fn f(x: f64): x\nval y = f(3)").is_ok());
        let e = check_src("var x = 1\nx = 2.5").unwrap_err();
        assert!(e.message.contains("must be i64, found f64"), "{e}");
    }

    #[test]
    fn reports_the_first_error_by_position() {
        let e = check_src("fn a(): b()\nfn c(): undefined_thing\n").unwrap_err();
        assert_eq!(e.pos.line, 1, "{e}");
    }

    #[test]
    fn suggestions() {
        let e = check_src("fn fib(n): n\nval x = fibb(3)").unwrap_err();
        assert!(e.message.contains("did you mean `fib`"), "{e}");
        assert_eq!(suggest("totally_different", ["fib"]), None);
    }

    #[test]
    fn must_return_on_every_path() {
        let e = check_src("fn f(x):\n    if x > 0:\n        return 1\n").unwrap_err();
        assert!(e.message.contains("without returning"), "{e}");
        assert!(check_src("fn f(x):\n    if x > 0:\n        return 1\n    else:\n        return 2\n").is_ok());
    }

    #[test]
    fn top_level_globals_and_function_locals() {
        let unit = check_src("timeout = 30 * 60\nfn f(): timeout + 1\n").unwrap();
        assert_eq!(unit.globals.len(), 1);
        assert_eq!(unit.init.sig.ret, Type::I64);
        let e = check_src("fn f():\n    y = 3\n").unwrap_err();
        assert!(e.message.contains("unknown name `y`"), "{e}");
    }
}
