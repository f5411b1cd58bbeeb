//! The redefinition rules: a function's signature, or a global's type or
//! `val`/`var` kind, may change only when nothing compiled earlier (and not
//! redefined by the same unit) depends on it; a host function's signature
//! likewise.

use std::collections::BTreeSet;

use crate::diag::{Diagnostic, Pos};
use crate::error::{Error, Result};
use crate::mir::{self, Signature};
use crate::runtime::catalog::Catalog;

/// Where a part of the module is in its input.
pub(super) type At<'a> = &'a dyn Fn(mir::Loc) -> Pos;

/// The first function (by name) not in `except` that calls `name`.
pub fn first_caller<'c>(catalog: &'c Catalog, name: &str, except: &dyn Fn(&str) -> bool) -> Option<&'c str> {
    catalog.users(except, &|e| e.refs.callees.contains(name)).first().copied()
}

pub(super) fn check_redefinitions(module: &mir::Module, catalog: &Catalog, input: &str, at: At) -> Result<()> {
    let redefined: BTreeSet<&str> = module.functions.iter().map(|f| f.name.as_str()).collect();
    let except = |n: &str| redefined.contains(n);
    let refuse = |loc, message: String| Err(Error::compile(input, &Diagnostic::new(at(loc), message)));
    for (i, f) in module.functions.iter().enumerate() {
        let Some(old) = catalog.functions.get(&f.name) else { continue };
        if old.sig == f.sig {
            continue;
        }
        if let Some(caller) = first_caller(catalog, &f.name, &except) {
            return refuse(
                mir::Loc::Function(mir::FnRef::Function(i)),
                format!(
                    "cannot change the signature of `{}` from {} to {}: `{caller}` calls it \
                     (redefine `{caller}` in the same unit, or keep the signature)",
                    f.name, old.sig, f.sig
                ),
            );
        }
    }
    for (i, g) in module.globals.iter().enumerate() {
        let Some(old) = catalog.globals.get(&g.name) else { continue };
        if old.ty == g.ty && old.mutable == g.mutable {
            continue;
        }
        if let Some(user) = catalog.users(&except, &|e| e.refs.globals.contains(&g.name)).first() {
            let kind = |m: bool| if m { "var" } else { "val" };
            return refuse(
                mir::Loc::Global(i),
                format!(
                    "cannot change global `{}` from `{} {}` to `{} {}`: function `{user}` uses it \
                     (redefine `{user}` in the same unit, or keep the declaration)",
                    g.name,
                    kind(old.mutable),
                    old.ty,
                    kind(g.mutable),
                    g.ty
                ),
            );
        }
    }
    Ok(())
}

/// Registering `name` again with `sig`: refused when compiled functions
/// call it with another signature.
pub fn check_host_change(catalog: &Catalog, name: &str, sig: &Signature) -> Result<()> {
    let Some(old) = catalog.hosts.get(name).filter(|old| old.sig != *sig) else { return Ok(()) };
    match first_caller(catalog, name, &|_| false) {
        Some(caller) => Err(Error::Signature(format!(
            "cannot change host function `{name}` from {} to {sig}: `{caller}` calls it",
            old.sig
        ))),
        None => Ok(()),
    }
}
