//! Maps in the checker: literals, `k in m`, `m.remove(k)`, `m.keys()`,
//! `m.values()` (indexing, entry assignment and `for k in m` share the
//! arrays' code in `data`).

use super::checker::{Checker, Ex, Known, join};
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::ast::Expr;
use crate::lang::typed::*;

fn not_map(pos: Pos, what: &str, t: Type) -> Diagnostic {
    Diagnostic::new(pos, format!("{what} needs a map, found {t}"))
}

impl Checker<'_> {
    /// `{k: v, ...}`: the keys' common type and the values' (`i64` widens
    /// to `f64`); `want` types an empty `{}`.
    pub(super) fn map_lit(&mut self, entries: &[(Expr, Expr)], want: Known, pos: Pos) -> DiagResult<Ex> {
        let declared = want.and_then(Type::map_types);
        if entries.is_empty() {
            return match declared {
                Some(_) => Ok(Self::ex(want, pos.line, TExprKind::MapLit(Vec::new()))),
                None => Err(Diagnostic::new(
                    pos,
                    "an empty map `{}` needs a declared type, as in `var m: {text: i64} = {}`",
                )),
            };
        }
        let mut checked = Vec::with_capacity(entries.len());
        let (mut kt, mut vt): (Known, Known) = declared.map_or((None, None), |(k, v)| (Some(k), Some(v)));
        for (k, v) in entries {
            let kx = self.expr(k)?;
            self.value(&kx, k.pos)?;
            let vx = self.expr_as(v, vt)?;
            self.value(&vx, v.pos)?;
            kt = common(kt, kx.ty, k.pos, "keys")?;
            vt = common(vt, vx.ty, v.pos, "values")?;
            checked.push(((kx, k.pos), (vx, v.pos)));
        }
        let mut out = Vec::with_capacity(checked.len());
        for ((kx, kp), (vx, vp)) in checked {
            let k = self.coerce(kx, kt, kp, || "a map key".to_string())?;
            let v = self.coerce(vx, vt, vp, || "a map value".to_string())?;
            out.push((k, v));
        }
        let ty = match (kt, vt) {
            (Some(k), Some(v)) => Some(
                Type::map_of(k, v)
                    .ok_or_else(|| Diagnostic::new(pos, format!("a map's keys are text or i64, not {k}")))?,
            ),
            _ => None,
        };
        Ok(Self::ex(ty, pos.line, TExprKind::MapLit(out)))
    }

    /// `k in m`.
    pub(super) fn membership(&mut self, key: Ex, map: Ex, pos: Pos) -> DiagResult<Ex> {
        let kt = match map.ty {
            Some(t) => Some(t.map_types().ok_or_else(|| not_map(pos, "`in`", t))?.0),
            None => None,
        };
        let k = self.coerce(key, kt, pos, || "the key of `in`".to_string())?;
        Ok(Self::ex(Some(Type::Bool), pos.line, TExprKind::MapHas(Box::new(map.e), Box::new(k))))
    }

    /// `m.keys()` and `m.values()` (any map), `m.remove(k)` (a `var`).
    pub(super) fn map_method(&mut self, recv: &Expr, name: &str, args: &[Expr], pos: Pos) -> DiagResult<Ex> {
        let line = pos.line;
        match (name, args) {
            ("keys" | "values", []) => {
                let m = self.expr(recv)?;
                let ty = match m.ty {
                    Some(t) => {
                        let (k, v) = t.map_types().ok_or_else(|| not_map(recv.pos, &format!("`.{name}()`"), t))?;
                        Type::array_of(if name == "keys" { k } else { v })
                    }
                    None => None,
                };
                Ok(Self::ex(ty, line, TExprKind::MapList(Box::new(m.e), name == "values")))
            }
            ("remove", [k]) => {
                let Some((var, steps)) = recv.as_path() else {
                    return Err(Diagnostic::new(pos, "`.remove()` needs a variable, as in `m.remove(k)`"));
                };
                let (target, current) = self.target(&var, &steps, recv.pos, "remove from", None)?;
                let kt = match current.ty {
                    Some(t) => Some(t.map_types().ok_or_else(|| not_map(recv.pos, "`.remove()`", t))?.0),
                    None => None,
                };
                let kx = self.expr(k)?;
                self.value(&kx, k.pos)?;
                let key = self.coerce(kx, kt, k.pos, || "the key to remove".to_string())?;
                Ok(Self::ex(Some(Type::Void), line, TExprKind::MapRemove(target, Box::new(key))))
            }
            _ => {
                let n = if name == "remove" { 1 } else { 0 };
                Err(Diagnostic::new(pos, format!("`{name}` takes {n} argument(s) but {} were given", args.len())))
            }
        }
    }
}

/// The common type of a map literal's keys or values so far.
fn common(so_far: Known, next: Known, pos: Pos, what: &str) -> DiagResult<Known> {
    match (so_far, next) {
        (Some(a), Some(b)) => join(a, b)
            .map(Some)
            .ok_or_else(|| Diagnostic::new(pos, format!("a map's {what} must have one type, found {a} and {b}"))),
        (a, b) => Ok(a.or(b)),
    }
}
