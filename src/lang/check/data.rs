//! Arrays in the checker: literals, indexing, slices, `push`/`pop`,
//! assignment to elements and fields (`xs[i].x = v`) and `for x in xs`.

use std::collections::HashMap;

use super::checker::{Checker, Ex, Known, join};
use super::decls::check_decl_name;
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::ast::{BinOp, Expr, ExprKind, PathStep, Stmt};
use crate::lang::typed::*;

fn not_array(pos: Pos, what: &str, t: Type) -> Diagnostic {
    Diagnostic::new(pos, format!("{what} needs an array, found {t}"))
}

impl Checker<'_> {
    /// `e`, where a value of type `want` is expected: an empty `[]` takes
    /// that type (it has no other way to get one).
    pub(super) fn expr_as(&mut self, e: &Expr, want: Known) -> DiagResult<Ex> {
        match (&e.kind, want) {
            (ExprKind::List(items), Some(t @ Type::Array(_))) if items.is_empty() => {
                Ok(Self::ex(Some(t), e.pos.line, TExprKind::List(Vec::new())))
            }
            (ExprKind::MapLit(entries), Some(Type::Map(_))) => self.map_lit(entries, want, e.pos),
            _ => self.expr(e),
        }
    }

    /// `[a, b, c]`: the elements' common type (`i64` widens to `f64`).
    pub(super) fn list(&mut self, items: &[Expr], pos: Pos) -> DiagResult<Ex> {
        if items.is_empty() {
            return Err(Diagnostic::new(pos, "an empty array `[]` needs a declared type, as in `var ys: [f64] = []`"));
        }
        let mut xs = Vec::with_capacity(items.len());
        let mut common: Known = None;
        for item in items {
            let x = self.expr(item)?;
            self.value(&x, item.pos)?;
            if let Some(t) = x.ty {
                common = match common {
                    None => Some(t),
                    Some(c) => Some(join(c, t).ok_or_else(|| {
                        Diagnostic::new(item.pos, format!("an array's elements must have one type, found {c} and {t}"))
                    })?),
                };
            }
            xs.push((x, item.pos));
        }
        let mut es = Vec::with_capacity(xs.len());
        for (x, p) in xs {
            es.push(self.coerce(x, common, p, || "an array element".to_string())?);
        }
        let ty = match common {
            Some(t) => Some(Type::array_of(t).ok_or_else(|| Diagnostic::new(pos, "an array of nothing"))?),
            None => None,
        };
        Ok(Self::ex(ty, pos.line, TExprKind::List(es)))
    }

    /// An `i64` index (or slice bound).
    fn index_value(&mut self, e: &Expr) -> DiagResult<TExpr> {
        let x = self.expr(e)?;
        self.coerce(x, Some(Type::I64), e.pos, || "an index".to_string())
    }

    /// A map key of type `k`.
    fn key_value(&mut self, e: &Expr, k: Type) -> DiagResult<TExpr> {
        let x = self.expr(e)?;
        self.value(&x, e.pos)?;
        self.coerce(x, Some(k), e.pos, || "a map key".to_string())
    }

    /// `base[index]`.
    pub(super) fn index(&mut self, base: &Expr, index: &Expr, pos: Pos) -> DiagResult<Ex> {
        let b = self.expr(base)?;
        if let Some(Type::HostArray(h)) = b.ty {
            return self.host_element(b, h, index, pos);
        }
        if let Some((k, v)) = b.ty.and_then(Type::map_types) {
            let key = self.key_value(index, k)?;
            return Ok(Self::ex(Some(v), pos.line, TExprKind::Index(Box::new(b.e), Box::new(key))));
        }
        let elem = match b.ty {
            Some(t) => Some(t.elem().ok_or_else(|| not_array(pos, "indexing", t))?),
            None => None,
        };
        let i = self.index_value(index)?;
        Ok(Self::ex(elem, pos.line, TExprKind::Index(Box::new(b.e), Box::new(i))))
    }

    /// `base[start..end]` / `base[start..=end]`.
    pub(super) fn slice(&mut self, base: &Expr, start: &Expr, end: &Expr, inclusive: bool, pos: Pos) -> DiagResult<Ex> {
        let b = self.expr(base)?;
        if let Some(t) = b.ty.filter(|t| t.elem().is_none()) {
            return Err(not_array(pos, "a slice", t));
        }
        let s = self.index_value(start)?;
        let mut e = self.index_value(end)?;
        if inclusive {
            let one = TExpr { ty: Type::I64, line: pos.line, kind: TExprKind::Int(1) };
            e = TExpr {
                ty: Type::I64,
                line: pos.line,
                kind: TExprKind::Arith(crate::mir::BinOp::Add, Box::new(e), Box::new(one)),
            };
        }
        Ok(Self::ex(b.ty, pos.line, TExprKind::Slice(Box::new(b.e), Box::new(s), Box::new(e))))
    }

    /// `xs * n`, when `a` is an array (`None` otherwise).
    pub(super) fn repeat(&mut self, op: BinOp, a: &Ex, b: &Ex) -> Option<Type> {
        match (op, a.ty, b.ty) {
            (BinOp::Mul, Some(t @ Type::Array(_)), Some(Type::I64) | None) => Some(t),
            _ => None,
        }
    }

    /// The variable `name` as a place to change in place: a `var` local or
    /// global holding an array.
    fn place(&mut self, name: &str, pos: Pos, what: &str) -> DiagResult<(Place, Known)> {
        let (place, ty, mutable) = if let Some(id) = self.lookup_local(name) {
            (Place::Local(id), self.local_ty(id), self.local_mutable[id as usize])
        } else if let Some((ty, mutable)) = self.lookup_global(name) {
            (Place::Global(name.to_string()), ty, mutable)
        } else if self.env.extern_val(name).is_some() {
            return Err(Diagnostic::new(
                pos,
                format!("cannot {what} `{name}`: it is the host's memory (an extern val), changed only field by field"),
            ));
        } else {
            return Err(self.unknown_name(name, pos, "name"));
        };
        if !mutable {
            return Err(Diagnostic::new(
                pos,
                format!("cannot {what} `{name}`: it is immutable (declare it with `var`)"),
            ));
        }
        if let Some(t) = ty.filter(|t| t.elem().is_none() && t.fields().is_none() && t.map_types().is_none()) {
            return Err(Diagnostic::new(
                pos,
                format!("cannot {what} `{name}`: it is a {t}, not an array, a record or a map"),
            ));
        }
        Ok((place, ty))
    }

    /// `recv.push(x)` and `recv.pop()`, on a `var` holding an array, or
    /// an array inside one (`t.children[i].children.push(x)`).
    pub(super) fn method(&mut self, recv: &Expr, name: &str, args: &[Expr], pos: Pos) -> DiagResult<Ex> {
        let Some((var, steps)) = recv.as_path() else {
            return Err(Diagnostic::new(pos, format!("`.{name}()` needs a variable, as in `xs.{name}(...)`")));
        };
        if matches!(name, "keys" | "values" | "remove") {
            return self.map_method(recv, name, args, pos);
        }
        let line = pos.line;
        let what = if name == "push" { "push to" } else { "pop from" };
        match (name, args) {
            ("push", [_]) | ("pop", []) => {
                let (target, current) = self.target(&var, &steps, recv.pos, what, None)?;
                if let Some(t) = current.ty.filter(|t| t.elem().is_none()) {
                    return Err(not_array(recv.pos, name, t));
                }
                let elem = current.ty.and_then(Type::elem);
                if name == "pop" {
                    return Ok(Self::ex(elem, line, TExprKind::Pop(target)));
                }
                let x = &args[0];
                let v = self.expr_as(x, elem)?;
                self.value(&v, x.pos)?;
                let e = self.coerce(v, elem, x.pos, || "the pushed value".to_string())?;
                Ok(Self::ex(Some(Type::Void), line, TExprKind::Push(target, Box::new(e))))
            }
            ("push" | "pop", _) => {
                let n = if name == "push" { 1 } else { 0 };
                Err(Diagnostic::new(pos, format!("`{name}` takes {n} argument(s) but {} were given", args.len())))
            }
            _ => Err(Diagnostic::new(
                pos,
                format!("unknown method `{name}` (arrays have `push` and `pop`; maps `remove`, `keys` and `values`)"),
            )),
        }
    }

    /// The variable `name` (a `var`) and the steps into it, as a target,
    /// and the target's current value. With `spill`, each index other than
    /// a local is evaluated into a hidden local there (it is used twice by
    /// `op=`, and evaluated before the value).
    pub(super) fn target(
        &mut self,
        name: &str,
        steps: &[PathStep],
        pos: Pos,
        what: &str,
        mut spill: Option<&mut Vec<TStmt>>,
    ) -> DiagResult<(Target, Ex)> {
        let (place, root_ty) = self.place(name, pos, what)?;
        let line = pos.line;
        let read = match &place {
            Place::Local(id) => TExprKind::Local(*id),
            Place::Global(g) => TExprKind::Global(g.clone()),
        };
        let mut current = Self::ex(root_ty, line, read);
        let mut tsteps = Vec::with_capacity(steps.len());
        for step in steps {
            let (ty, kind, tstep) = match step {
                PathStep::Index(index) => {
                    let map = current.ty.and_then(Type::map_types);
                    let elem = match (current.ty, map) {
                        (_, Some((_, v))) => Some(v),
                        (Some(t), None) => Some(t.elem().ok_or_else(|| not_array(index.pos, "indexing", t))?),
                        (None, None) => None,
                    };
                    let key_ty = map.map_or(Type::I64, |(k, _)| k);
                    let mut i = if map.is_some() { self.key_value(index, key_ty)? } else { self.index_value(index)? };
                    // A local's value cannot change while the value is
                    // evaluated (no expression assigns a local), so it
                    // needs no copy, and the map lookup of `m[w] += 1`
                    // finds the key `w in m` tested.
                    let plain_local = matches!(i.kind, TExprKind::Local(_));
                    if let Some(out) = spill.as_deref_mut().filter(|_| !plain_local) {
                        let hidden = self.hidden_local(key_ty);
                        out.push(TStmt { line, kind: TStmtKind::SetLocal(hidden, i) });
                        i = TExpr { ty: key_ty, line, kind: TExprKind::Local(hidden) };
                    }
                    (elem, TExprKind::Index(Box::new(current.e), Box::new(i.clone())), TStep::Index(i))
                }
                PathStep::Field(field, fpos) => match current.ty {
                    Some(t) => {
                        let (k, ty) = super::records::field_of(t, field, *fpos)?;
                        (Some(ty), TExprKind::Field(Box::new(current.e), k), TStep::Field(k))
                    }
                    None => (None, TExprKind::Field(Box::new(current.e), 0), TStep::Field(0)),
                },
            };
            current = Self::ex(ty, line, kind);
            tsteps.push(tstep);
        }
        Ok((Target { place, root: root_ty.unwrap_or(Type::I64), steps: tsteps }, current))
    }

    /// `name[i].x... = value` or `... op= value`. Each index is evaluated
    /// once, in order, into a hidden local, then the value.
    pub(super) fn path_assign(
        &mut self,
        name: &str,
        steps: &[PathStep],
        op: Option<BinOp>,
        value: &Expr,
        pos: Pos,
        out: &mut Vec<TStmt>,
    ) -> DiagResult<TStmtKind> {
        if let Some(root) = self.host_root(name, pos.line) {
            return self.host_assign(out, pos, root, steps, (op, value));
        }
        let (target, current) = self.target(name, steps, pos, "assign to a part of", Some(out))?;
        let want = current.ty;
        let x = self.expr_as(value, want)?;
        self.value(&x, value.pos)?;
        let rhs = match op {
            None => x,
            Some(op) => self.binary(op, current, x, pos)?,
        };
        let e = self.coerce(rhs, want, value.pos, || format!("the value assigned to a part of `{name}`"))?;
        Ok(TStmtKind::SetPath(target, e))
    }

    /// `for var in iter:` over an array, as it was when the loop began.
    pub(super) fn for_each(
        &mut self,
        var: &str,
        iter: &Expr,
        (body, pos): (&[Stmt], Pos),
        out: &mut Vec<TStmt>,
    ) -> DiagResult<TStmtKind> {
        let mut x = self.expr(iter)?;
        if let (Some(Type::HostArray(h)), TExprKind::HostArray(name)) = (x.ty, &x.e.kind) {
            let name = name.clone();
            return self.host_for_each(var, &name, h, (body, pos), out);
        }
        // A map's keys, in insertion order, as they were when the loop began.
        if let Some((k, _)) = x.ty.and_then(Type::map_types) {
            x = Self::ex(Type::array_of(k), x.e.line, TExprKind::MapList(Box::new(x.e), false));
        }
        let array_ty = match x.ty {
            Some(t) if t.elem().is_some() => t,
            Some(t) => {
                return Err(Diagnostic::new(
                    iter.pos,
                    format!("`for` needs a range `a..b`, an array or a map, found {t}"),
                ));
            }
            None => Type::I64,
        };
        check_decl_name(var, pos, "a loop variable")?;
        self.scopes.push(HashMap::new());
        self.block_depth += 1;
        let array = self.hidden_local(array_ty);
        let index = self.hidden_local(Type::I64);
        let len = self.hidden_local(Type::I64);
        let var_id = self.new_local(var, x.ty.and_then(Type::elem), false);
        let b = self.loop_body(body, false);
        self.block_depth -= 1;
        self.scopes.pop();
        Ok(TStmtKind::ForEach { var: var_id, array, index, len, iter: x.e, body: b? })
    }
}
