//! Records in the checker: type names as written, resolved against the
//! unit's `struct`s (declared in `decls`) and the records of earlier
//! units; field reads; construction by field name.

use std::collections::HashMap;

use super::checker::{Checker, Ex};
use super::env::Env;
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::ast::{Expr, TypeExpr};
use crate::lang::typed::*;
use crate::mir::{self, ObjTy};

/// The manager's environment with the unit's own records in front (they
/// shadow an earlier unit's of the same name: a redeclaration).
pub(super) struct UnitEnv<'a> {
    pub inner: &'a dyn Env,
    pub records: HashMap<String, ObjTy>,
    pub host_structs: HashMap<String, mir::HostTy>,
    pub extern_vals: HashMap<String, (mir::HostTy, bool)>,
}

impl Env for UnitEnv<'_> {
    fn function(&self, name: &str) -> Option<Result<Sig, String>> {
        self.inner.function(name)
    }
    fn global(&self, name: &str) -> Option<(Type, bool)> {
        self.inner.global(name)
    }
    fn host(&self, name: &str) -> Option<Result<Sig, String>> {
        self.inner.host(name)
    }
    fn knows_hosts(&self) -> bool {
        self.inner.knows_hosts()
    }
    fn names(&self) -> Vec<String> {
        self.inner.names()
    }
    fn record(&self, name: &str) -> Option<ObjTy> {
        self.records.get(name).copied().or_else(|| self.inner.record(name))
    }
    fn host_struct(&self, name: &str) -> Option<mir::HostTy> {
        self.host_structs.get(name).copied().or_else(|| self.inner.host_struct(name))
    }
    fn extern_val(&self, name: &str) -> Option<(mir::HostTy, bool)> {
        self.extern_vals.get(name).copied().or_else(|| self.inner.extern_val(name))
    }
}

pub(super) fn unknown_type(name: &str, pos: Pos) -> Diagnostic {
    Diagnostic::new(pos, format!("unknown type `{name}` (expected i64, f64, bool, text, [T] or a struct's name)"))
}

/// A type as written, resolved.
pub(super) fn resolve(t: &TypeExpr, env: &dyn Env) -> DiagResult<Type> {
    match t {
        TypeExpr::Named(name, pos) => {
            let record = || env.record(name).map(Type::Record);
            let host = || env.host_struct(name).map(Type::Host);
            Type::from_word(name).or_else(record).or_else(host).ok_or_else(|| unknown_type(name, *pos))
        }
        TypeExpr::Array(e) => {
            let elem = resolve(e, env)?;
            if let Type::Host(h) = elem {
                return Err(Diagnostic::new(
                    Pos::new(1, 1),
                    format!("`[{}]` is host memory: only `extern val xs: [{}]` has that type", h.name(), h.name()),
                ));
            }
            Type::array_of(elem).ok_or_else(|| Diagnostic::new(Pos::new(1, 1), "an array of nothing"))
        }
        TypeExpr::Map(k, v, pos) => {
            let (key, value) = (resolve(k, env)?, resolve(v, env)?);
            Type::map_of(key, value).ok_or_else(|| {
                Diagnostic::new(*pos, format!("a map's keys are text or i64, not {key} (as in `{{text: {value}}}`)"))
            })
        }
    }
}

impl Checker<'_> {
    /// `base.name`.
    pub(super) fn field(&mut self, base: &Expr, name: &str, pos: Pos) -> DiagResult<Ex> {
        let b = self.expr(base)?;
        let Some(t) = b.ty else { return Ok(Self::ex(None, pos.line, TExprKind::Field(Box::new(b.e), 0))) };
        if let Type::Host(h) = t {
            return self.host_field_read(b, h, name, pos);
        }
        let (k, ty) = field_of(t, name, pos)?;
        Ok(Self::ex(Some(ty), pos.line, TExprKind::Field(Box::new(b.e), k)))
    }

    /// `Name(a: x, ...)`: every field once, by name; the values are
    /// evaluated in the order the struct declares its fields.
    pub(super) fn record(&mut self, name: &str, given: &[(String, Pos, Expr)], pos: Pos) -> DiagResult<Ex> {
        let Some(o) = self.env.record(name) else {
            return Err(Diagnostic::new(pos, format!("unknown struct `{name}` (declare it with `struct {name}:`)")));
        };
        let t = Type::Record(o);
        let fields = t
            .fields()
            .ok_or_else(|| Diagnostic::new(pos, format!("struct `{name}` has fields the language cannot name")))?;
        for (i, (g, gpos, _)) in given.iter().enumerate() {
            if !fields.iter().any(|(f, _)| f == g) {
                return Err(Diagnostic::new(
                    *gpos,
                    format!("struct `{name}` has no field `{g}`{}", field_list(&fields)),
                ));
            }
            if given[..i].iter().any(|(e, _, _)| e == g) {
                return Err(Diagnostic::new(*gpos, format!("field `{g}` is given twice")));
            }
        }
        let mut values = Vec::with_capacity(fields.len());
        for (f, fty) in &fields {
            let Some((_, vpos, v)) = given.iter().find(|(g, _, _)| g == f) else {
                return Err(Diagnostic::new(
                    pos,
                    format!("`{name}(...)` is missing field `{f}`: every field is given, by name"),
                ));
            };
            let x = self.expr_as(v, Some(*fty))?;
            self.value(&x, *vpos)?;
            values.push(self.coerce(x, Some(*fty), *vpos, || format!("field `{f}` of `{name}`"))?);
        }
        Ok(Self::ex(Some(t), pos.line, TExprKind::Record(values)))
    }
}

/// Field `name` of a value of type `t`: its number and type.
pub(super) fn field_of(t: Type, name: &str, pos: Pos) -> DiagResult<(usize, Type)> {
    let Some(fields) = t.fields() else {
        let hint = if t.elem().is_some() { " (arrays have `len(xs)`, `xs.push(x)` and `xs.pop()`)" } else { "" };
        return Err(Diagnostic::new(pos, format!("a {t} has no field `{name}`{hint}")));
    };
    fields
        .iter()
        .position(|(f, _)| *f == name)
        .map(|k| (k, fields[k].1))
        .ok_or_else(|| Diagnostic::new(pos, format!("a {t} has no field `{name}`{}", field_list(&fields))))
}

fn field_list(fields: &[(&str, Type)]) -> String {
    let names: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
    format!(" (its fields: {})", names.join(", "))
}
