//! A unit's declarations: its structs (made into MIR record types, which
//! may refer to each other and to themselves through arrays); its
//! functions and externs, each named once and never like a built-in, with
//! the signatures the rounds start from; and the order in which to infer
//! them.

use std::collections::{BTreeSet, HashMap};

use super::checker::UnitFn;
use super::env::Env;
use super::records;
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::ast::*;
use crate::lang::typed::{Builtin, ExternFn, Sig, Type};
use crate::mir::{self, FieldTy, ObjTy, RecordDecl};

/// What the rounds work from.
pub(super) struct Decls<'u> {
    pub fns: Vec<&'u FnDef>,
    pub top: Vec<&'u Stmt>,
    /// The unit's functions and externs by name.
    pub unit_fns: HashMap<String, UnitFn>,
    pub externs: Vec<ExternFn>,
}

pub(super) fn collect<'u>(unit: &'u Unit, env: &dyn Env) -> DiagResult<Decls<'u>> {
    let mut decls = Decls { fns: Vec::new(), top: Vec::new(), unit_fns: HashMap::new(), externs: Vec::new() };
    let mut seen: HashMap<&str, Pos> = HashMap::new();
    for item in &unit.items {
        let header = match item {
            Item::Fn(f) => &f.header,
            Item::Extern(e) => &e.header,
            Item::Struct(_) | Item::ExternStruct(_) | Item::ExternVal(_) => continue,
            Item::Stmt(s) => {
                decls.top.push(s);
                continue;
            }
        };
        let is_fn = matches!(item, Item::Fn(_));
        check_decl_name(&header.name, header.pos, if is_fn { "a function" } else { "a host function" })?;
        if let Some(first) = seen.insert(&header.name, header.pos) {
            let what = if is_fn { "function " } else { "" };
            let how = if is_fn { "defined" } else { "declared" };
            return Err(Diagnostic::new(
                header.pos,
                format!("{what}`{}` is {how} twice in this unit (first at line {})", header.name, first.line),
            ));
        }
        if let Item::Fn(f) = item {
            decls.fns.push(f);
        }
    }
    for f in &decls.fns {
        let params = params(&f.header, true, env)?;
        let annotated = f.header.ret.as_ref().map(|t| records::resolve(t, env)).transpose()?;
        decls.unit_fns.insert(f.header.name.clone(), UnitFn { params, ret: annotated, annotated: annotated.is_some() });
    }
    for item in &unit.items {
        if let Item::Extern(e) = item {
            let sig = extern_sig(&e.header, env)?;
            let unit_fn = UnitFn { params: sig.params.clone(), ret: Some(sig.ret), annotated: true };
            decls.unit_fns.insert(e.header.name.clone(), unit_fn);
            decls.externs.push(ExternFn { name: e.header.name.clone(), sig, line: e.header.pos.line });
        }
    }
    Ok(decls)
}

/// The unit's records, in declaration order, with their lines.
pub(super) fn records(unit: &Unit, env: &dyn Env) -> DiagResult<Vec<(ObjTy, u32)>> {
    let defs: Vec<&StructDef> =
        unit.items.iter().filter_map(|i| if let Item::Struct(s) = i { Some(s) } else { None }).collect();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, d) in defs.iter().enumerate() {
        check_decl_name(&d.name, d.pos, "a struct")?;
        if Type::from_word(&d.name).is_some() {
            return Err(Diagnostic::new(d.pos, format!("`{}` is a built-in type and cannot name a struct", d.name)));
        }
        if let Some(first) = index.insert(&d.name, i) {
            let line = defs[first].pos.line;
            return Err(Diagnostic::new(
                d.pos,
                format!("struct `{}` is declared twice in this unit (first at line {line})", d.name),
            ));
        }
        if d.fields.is_empty() {
            return Err(Diagnostic::new(d.pos, format!("struct `{}` has no fields", d.name)));
        }
    }
    let mut decls = Vec::with_capacity(defs.len());
    for d in &defs {
        let mut fields = Vec::with_capacity(d.fields.len());
        for (name, ty, pos) in &d.fields {
            if fields.iter().any(|(n, _)| n == name) {
                return Err(Diagnostic::new(*pos, format!("struct `{}` has two fields named `{name}`", d.name)));
            }
            fields.push((name.clone(), field_ty(ty, &index, env)?));
        }
        decls.push(RecordDecl { name: d.name.clone(), fields });
    }
    for (i, d) in defs.iter().enumerate() {
        if let Some(path) = contains_itself(&decls, i) {
            return Err(Diagnostic::new(
                d.pos,
                format!(
                    "struct `{}` contains itself ({}): a record can hold itself only inside an array, as in `children: [{}]`",
                    d.name,
                    path.join(" holds "),
                    d.name
                ),
            ));
        }
    }
    let types = mir::records(&decls).map_err(|m| Diagnostic::new(defs.first().map_or(Pos::new(1, 1), |d| d.pos), m))?;
    Ok(types.into_iter().zip(defs.iter().map(|d| d.pos.line)).collect())
}

/// A field's type as written, over the unit's records (`index`) and the
/// manager's.
fn field_ty(t: &TypeExpr, index: &HashMap<&str, usize>, env: &dyn Env) -> DiagResult<FieldTy> {
    match t {
        TypeExpr::Array(e) => Ok(FieldTy::Array(Box::new(field_ty(e, index, env)?))),
        TypeExpr::Map(k, v, pos) => match records::resolve(k, env)?.to_mir() {
            Some(key @ (mir::Ty::Text | mir::Ty::I64)) => Ok(FieldTy::Map(key, Box::new(field_ty(v, index, env)?))),
            _ => Err(Diagnostic::new(*pos, "a map's keys are text or i64")),
        },
        TypeExpr::Named(name, pos) => {
            if let Some(i) = index.get(name.as_str()) {
                return Ok(FieldTy::Record(*i));
            }
            match Type::from_word(name).or_else(|| env.record(name).map(Type::Record)).and_then(Type::to_mir) {
                Some(t) => Ok(FieldTy::Ty(t)),
                None => Err(records::unknown_type(name, *pos)),
            }
        }
    }
}

/// The chain of records by which record `i` holds itself directly (not
/// through an array), if it does.
fn contains_itself(decls: &[RecordDecl], i: usize) -> Option<Vec<String>> {
    let mut stack = vec![(i, vec![decls[i].name.clone()])];
    let mut seen = vec![false; decls.len()];
    while let Some((at, path)) = stack.pop() {
        for (_, ft) in &decls[at].fields {
            let FieldTy::Record(j) = ft else { continue };
            let mut next = path.clone();
            next.push(decls[*j].name.clone());
            if *j == i {
                return Some(next);
            }
            if !std::mem::replace(&mut seen[*j], true) {
                stack.push((*j, next));
            }
        }
    }
    None
}

/// The parameter types (i64 where none is written), each name once.
fn params(header: &FnHeader, check_names: bool, env: &dyn Env) -> DiagResult<Vec<Type>> {
    let mut types = Vec::new();
    let mut names = BTreeSet::new();
    for p in &header.params {
        if check_names {
            check_decl_name(&p.name, p.pos, "a parameter")?;
        }
        if !names.insert(p.name.as_str()) {
            return Err(Diagnostic::new(p.pos, format!("parameter `{}` appears twice", p.name)));
        }
        types.push(p.ty.as_ref().map_or(Ok(Type::I64), |t| records::resolve(t, env))?);
    }
    Ok(types)
}

/// The type of an `extern fn`, checked against the registered host function.
fn extern_sig(e: &FnHeader, env: &dyn Env) -> DiagResult<Sig> {
    let ret = e.ret.as_ref().map_or(Ok(Type::Void), |t| records::resolve(t, env))?;
    let sig = Sig { params: params(e, false, env)?, ret };
    if !sig.to_mir().is_host_compatible() {
        return Err(Diagnostic::new(e.pos, mir::host_type_error(&e.name)));
    }
    if !env.knows_hosts() {
        return Ok(sig);
    }
    let registered = match env.host(&e.name) {
        Some(Err(shown)) => {
            return Err(Diagnostic::new(
                e.pos,
                format!("host function `{}` is registered as {shown}, which source code cannot call", e.name),
            ));
        }
        Some(Ok(registered)) => Some(registered.to_mir()),
        None => None,
    };
    match mir::extern_error(&e.name, &sig.to_mir(), registered.as_ref()) {
        Some(message) => Err(Diagnostic::new(e.pos, message)),
        None => Ok(sig),
    }
}

pub(super) fn check_decl_name(name: &str, pos: Pos, what: &str) -> DiagResult<()> {
    if Builtin::from_name(name).is_some() {
        return Err(Diagnostic::new(
            pos,
            format!("`{name}` is a built-in function and cannot be used as the name of {what}"),
        ));
    }
    Ok(())
}

/// The unit's functions ordered so that callees come before their callers
/// (cycles in any order), by an iterative depth-first search.
pub(super) fn callees_first<'a>(fns: &[&'a FnDef]) -> Vec<&'a FnDef> {
    let index: HashMap<&str, usize> = fns.iter().enumerate().map(|(i, f)| (f.header.name.as_str(), i)).collect();
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
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                expr(a, out);
                expr(b, out);
            }
            ExprKind::List(items) => items.iter().for_each(|x| expr(x, out)),
            ExprKind::Slice { base, start, end, .. } => [base, start, end].iter().for_each(|x| expr(x, out)),
            ExprKind::Method { recv, args, .. } => {
                expr(recv, out);
                args.iter().for_each(|x| expr(x, out));
            }
            ExprKind::Field(base, _) => expr(base, out),
            ExprKind::Record { fields, .. } => fields.iter().for_each(|(_, _, x)| expr(x, out)),
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
            StmtKind::ForEach { iter, body, .. } => {
                expr(iter, out);
                collect_calls(body, out);
            }
            StmtKind::PathAssign { steps, value, .. } => {
                for step in steps {
                    if let PathStep::Index(i) = step {
                        expr(i, out);
                    }
                }
                expr(value, out);
            }
            StmtKind::Return(Some(e)) | StmtKind::Expr(e) => expr(e, out),
            StmtKind::Return(None) | StmtKind::Break | StmtKind::Continue => {}
        }
    }
}
