//! Host data in the checker: `extern struct` (a C layout, `mir::HostTy`)
//! and `extern val` declarations; field reads and writes through a host
//! reference; `enemies[i]`, `len(enemies)` and `for e in enemies` over an
//! array binding. A host reference is not data: no global, array, record
//! or map holds one and no function returns one, so a script reaches the
//! host's memory only through what the host bound while a call runs.

use std::collections::HashMap;

use super::checker::{Checker, Ex};
use super::decls::check_decl_name;
use super::env::Env;
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::ast::{BinOp, Expr, ExprKind, Item, PathStep, Stmt, TypeExpr, Unit};
use crate::lang::typed::*;
use crate::mir::{self, CType, HostTy};

/// The unit's host structs (with their lines) and `extern val`s.
#[derive(Default)]
pub(super) struct HostDecls {
    pub structs: Vec<(HostTy, u32)>,
    pub vals: Vec<mir::ExternVal>,
}

/// The unit's `extern struct` and `extern val` declarations, each once;
/// a val's struct is the unit's or an earlier unit's.
pub(super) fn host_decls(unit: &Unit, env: &dyn Env) -> DiagResult<HostDecls> {
    let mut decls = HostDecls::default();
    for item in &unit.items {
        let Item::ExternStruct(d) = item else { continue };
        check_decl_name(&d.name, d.pos, "an extern struct")?;
        if Type::from_word(&d.name).is_some() || CType::from_name(&d.name).is_some() {
            return Err(Diagnostic::new(d.pos, format!("`{}` is a built-in type and cannot name a struct", d.name)));
        }
        if decls.structs.iter().any(|(t, _)| t.name() == d.name) {
            return Err(Diagnostic::new(d.pos, format!("extern struct `{}` is declared twice in this unit", d.name)));
        }
        let mut fields = Vec::with_capacity(d.fields.len());
        for (name, ty, pos) in &d.fields {
            let c = match ty {
                TypeExpr::Named(word, _) => CType::from_name(word),
                _ => None,
            };
            let c = c.ok_or_else(|| {
                Diagnostic::new(
                    *pos,
                    format!("a field of an extern struct has a C type: one of {} (field `{name}`)", CType::names()),
                )
            })?;
            fields.push((name.clone(), c));
        }
        let ty = HostTy::declare(&d.name, &fields).map_err(|m| Diagnostic::new(d.pos, m))?;
        decls.structs.push((ty, d.pos.line));
    }
    for item in &unit.items {
        let Item::ExternVal(v) = item else { continue };
        check_decl_name(&v.name, v.pos, "an extern val")?;
        if decls.vals.iter().any(|d| d.name == v.name) {
            return Err(Diagnostic::new(v.pos, format!("extern val `{}` is declared twice in this unit", v.name)));
        }
        if env.global(&v.name).is_some() {
            return Err(Diagnostic::new(
                v.pos,
                format!("`{}` is already a global; an extern val needs its own name", v.name),
            ));
        }
        let (of, array) = match &v.ty {
            TypeExpr::Named(s, p) => ((s, *p), false),
            TypeExpr::Array(inner) => match inner.as_ref() {
                TypeExpr::Named(s, p) => ((s, *p), true),
                _ => return Err(not_host_type(v.pos)),
            },
            TypeExpr::Map(..) => return Err(not_host_type(v.pos)),
        };
        let ty = decls.structs.iter().map(|(t, _)| *t).find(|t| t.name() == of.0).or_else(|| env.host_struct(of.0));
        let ty = ty.ok_or_else(|| {
            Diagnostic::new(
                of.1,
                format!("unknown extern struct `{}` (declare it with `extern struct {}:`)", of.0, of.0),
            )
        })?;
        decls.vals.push(mir::ExternVal { name: v.name.clone(), ty, array, line: v.pos.line });
    }
    Ok(decls)
}

fn not_host_type(pos: Pos) -> Diagnostic {
    Diagnostic::new(pos, "an extern val's type is an extern struct `S` or an array of one `[S]`")
}

/// The type of a host struct's field as the language reads it.
pub(super) fn field_type(c: CType) -> Type {
    match c {
        CType::F32 | CType::F64 => Type::F64,
        CType::Bool => Type::Bool,
        _ => Type::I64,
    }
}

/// `h`'s field `name`: its number and type.
fn host_field(h: HostTy, name: &str, pos: Pos) -> DiagResult<(usize, Type)> {
    h.field(name).map(|(k, f)| (k, field_type(f.ty))).ok_or_else(|| {
        let names: Vec<&str> = h.fields().iter().map(|f| f.name.as_str()).collect();
        Diagnostic::new(
            pos,
            format!("extern struct `{}` has no field `{name}` (its fields: {})", h.name(), names.join(", ")),
        )
    })
}

impl Checker<'_> {
    /// The `extern val` `name`, as an expression.
    pub(super) fn extern_val(&self, name: &str, line: u32) -> Option<Ex> {
        let (h, array) = self.env.extern_val(name)?;
        Some(if array {
            Self::ex(Some(Type::HostArray(h)), line, TExprKind::HostArray(name.to_string()))
        } else {
            Self::ex(Some(Type::Host(h)), line, TExprKind::HostVal(name.to_string()))
        })
    }

    /// `base.name` of a host reference.
    pub(super) fn host_field_read(&mut self, b: Ex, h: HostTy, name: &str, pos: Pos) -> DiagResult<Ex> {
        let (k, ty) = host_field(h, name, pos)?;
        Ok(Self::ex(Some(ty), pos.line, TExprKind::HostField(Box::new(b.e), k)))
    }

    /// `enemies[i]`: a reference to element `i` (checked when it runs).
    pub(super) fn host_element(&mut self, b: Ex, h: HostTy, index: &Expr, pos: Pos) -> DiagResult<Ex> {
        let TExprKind::HostArray(name) = b.e.kind else {
            return Err(Diagnostic::new(pos, "only an extern val can be indexed as host memory"));
        };
        let x = self.expr(index)?;
        let i = self.coerce(x, Some(Type::I64), index.pos, || "an index".to_string())?;
        Ok(Self::ex(Some(Type::Host(h)), pos.line, TExprKind::HostElem(name, Box::new(i))))
    }

    /// `len(enemies)` of an array binding; `None` for any other call.
    pub(super) fn host_len(&mut self, name: &str, args: &[Expr], pos: Pos) -> Option<Ex> {
        let [Expr { kind: ExprKind::Name(var), .. }] = args else { return None };
        if name != "len" || self.lookup_local(var).is_some() || self.lookup_global(var).is_some() {
            return None;
        }
        let (_, true) = self.env.extern_val(var)? else { return None };
        Some(Self::ex(Some(Type::I64), pos.line, TExprKind::HostLen(var.clone())))
    }

    /// The root of an assignment's target when it is host memory: an
    /// `extern val` or a local holding a host reference.
    pub(super) fn host_root(&self, name: &str, line: u32) -> Option<Ex> {
        if let Some(id) = self.lookup_local(name) {
            let ty = self.local_ty(id);
            return matches!(ty, Some(Type::Host(_))).then(|| Self::ex(ty, line, TExprKind::Local(id)));
        }
        if self.lookup_global(name).is_some() {
            return None;
        }
        self.extern_val(name, line)
    }

    /// `p.x = v`, `p.x op= v`, `enemies[i].x = v`: a store to the host's
    /// memory. The reference is evaluated once, before the value.
    pub(super) fn host_assign(
        &mut self,
        out: &mut Vec<TStmt>,
        pos: Pos,
        root: Ex,
        steps: &[PathStep],
        (op, value): (Option<BinOp>, &Expr),
    ) -> DiagResult<TStmtKind> {
        let line = pos.line;
        let (base, field, fpos) = match (root.ty, steps) {
            (Some(Type::Host(_)), [PathStep::Field(f, fpos)]) => (root, f, *fpos),
            (Some(Type::HostArray(h)), [PathStep::Index(i), PathStep::Field(f, fpos)]) => {
                (self.host_element(root, h, i, pos)?, f, *fpos)
            }
            _ => {
                return Err(Diagnostic::new(
                    pos,
                    "host memory is assigned one field at a time: `p.x = v`, or `xs[i].x = v` for an extern array",
                ));
            }
        };
        let Some(Type::Host(h)) = base.ty else { return Err(Diagnostic::new(pos, "not a host struct")) };
        let (k, want) = host_field(h, field, fpos)?;
        // A local reference is read twice by `op=` as it is; anything else
        // (an `xaddr`) once, into a hidden local.
        let base = match base.e.kind {
            TExprKind::Local(_) => base.e,
            _ if op.is_none() => base.e,
            _ => {
                let hidden = self.hidden_local(Type::Host(h));
                out.push(TStmt { line, kind: TStmtKind::SetLocal(hidden, base.e) });
                TExpr { ty: Type::Host(h), line, kind: TExprKind::Local(hidden) }
            }
        };
        let x = self.expr(value)?;
        self.value(&x, value.pos)?;
        let rhs = match op {
            None => x,
            Some(op) => {
                let current = Self::ex(Some(want), line, TExprKind::HostField(Box::new(base.clone()), k));
                self.binary(op, current, x, pos)?
            }
        };
        let e =
            self.coerce(rhs, Some(want), value.pos, || format!("field `{field}` of extern struct `{}`", h.name()))?;
        Ok(TStmtKind::SetHostField(base, k, e))
    }

    /// `for var in xs` over an array binding: `var` is a reference to each
    /// element in turn of the binding as it was when the loop began (its
    /// address and count are read once, as a loop over an array reads the
    /// array once), so each element costs what it costs in C.
    pub(super) fn host_for_each(
        &mut self,
        var: &str,
        name: &str,
        h: HostTy,
        (body, pos): (&[Stmt], Pos),
        out: &mut Vec<TStmt>,
    ) -> DiagResult<TStmtKind> {
        let line = pos.line;
        check_decl_name(var, pos, "a loop variable")?;
        self.scopes.push(HashMap::new());
        self.block_depth += 1;
        let base = self.hidden_local(Type::Host(h));
        let end_local = self.hidden_local(Type::I64);
        let index = self.hidden_local(Type::I64);
        let var_id = self.new_local(var, Some(Type::Host(h)), false);
        let b = self.loop_body(body, false);
        self.block_depth -= 1;
        self.scopes.pop();
        let local = |id, ty| Box::new(TExpr { ty, line, kind: TExprKind::Local(id) });
        let at = TExprKind::HostAt(local(base, Type::Host(h)), local(index, Type::I64));
        let element = TExpr { ty: Type::Host(h), line, kind: at };
        let mut inner = vec![TStmt { line, kind: TStmtKind::SetLocal(var_id, element) }];
        inner.extend(b?);
        // The base before the count: both come from one reading of the
        // binding as far as this thread is concerned.
        let read_base = TExpr { ty: Type::Host(h), line, kind: TExprKind::HostBase(name.to_string()) };
        out.push(TStmt { line, kind: TStmtKind::SetLocal(base, read_base) });
        Ok(TStmtKind::For {
            var: index,
            end_local,
            start: TExpr { ty: Type::I64, line, kind: TExprKind::Int(0) },
            end: TExpr { ty: Type::I64, line, kind: TExprKind::HostLen(name.to_string()) },
            inclusive: false,
            body: inner,
        })
    }
}
