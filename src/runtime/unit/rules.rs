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
    check_host_data(module, catalog).map_err(|(loc, m)| Error::compile(input, &Diagnostic::new(at(loc), m)))?;
    check_records(module, catalog, &except)
        .map_err(|(line, m)| Error::compile(input, &Diagnostic::new(Pos::new(line, 1), m)))
}

/// A host struct or `extern val` declared again must be declared as it
/// was: it describes the host's memory, which compiled code and the
/// host's bindings rely on, and which does not change while the host runs.
fn check_host_data(module: &mir::Module, catalog: &Catalog) -> std::result::Result<(), (mir::Loc, String)> {
    for (i, h) in module.host_structs.iter().enumerate() {
        let Some(old) = catalog.host_structs.get(h.ty.name()).filter(|old| **old != h.ty) else { continue };
        return Err((
            mir::Loc::HostStruct(i),
            format!(
                "extern struct `{}` is already declared with fields {{ {} }}; a host struct keeps its layout \
                 for the life of the manager",
                h.ty.name(),
                old.field_list()
            ),
        ));
    }
    for (i, v) in module.extern_vals.iter().enumerate() {
        let Some(old) = catalog.extern_vals.get(&v.name) else { continue };
        if old.ty != v.ty || old.array != v.array {
            let was = mir::ExternVal { name: v.name.clone(), ty: old.ty, array: old.array, line: 0 };
            return Err((
                mir::Loc::ExternVal(i),
                format!(
                    "extern val `{}` is already declared as {}; a binding keeps its type for the life of the manager",
                    v.name,
                    was.type_text()
                ),
            ));
        }
    }
    Ok(())
}

/// A record name declared again with other fields: refused while a
/// function not redefined by the unit takes or returns the old type, or a
/// global holds it (even inside an array or another record). A function
/// that uses it only in its body keeps the old type, whose values stay
/// valid, until it is redefined.
fn check_records(
    module: &mir::Module,
    catalog: &Catalog,
    except: &dyn Fn(&str) -> bool,
) -> std::result::Result<(), (u32, String)> {
    let redeclared: BTreeSet<&str> = module.globals.iter().map(|g| g.name.as_str()).collect();
    for mir::RecordName { ty: r, line } in &module.records {
        let Some(old) = catalog.records.get(r.name()).filter(|old| **old != *r) else { continue };
        let mentions = |t: &mir::Ty| mir::mentions(*t, *old);
        let mut users: Vec<String> = catalog
            .users(except, &|e| e.sig.params.iter().chain(e.sig.ret.iter()).any(mentions))
            .into_iter()
            .map(|f| format!("function `{f}`"))
            .collect();
        let mut globals: Vec<&str> = catalog
            .globals
            .iter()
            .filter(|(n, g)| !redeclared.contains(n.as_str()) && mentions(&g.ty))
            .map(|(n, _)| n.as_str())
            .collect();
        globals.sort_unstable();
        users.extend(globals.into_iter().map(|g| format!("global `{g}`")));
        if !users.is_empty() {
            return Err((
                *line,
                format!(
                    "cannot change the fields of struct `{}` from {} to {}: {} use(s) it \
                 (redefine them in the same unit, or keep the fields)",
                    r.name(),
                    old.mir_name(),
                    r.mir_name(),
                    users.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Registering `name` again with `sig`: refused when compiled functions
/// call it with another signature.
pub fn check_host_change(catalog: &Catalog, name: &str, sig: &Signature, with_data: bool) -> Result<()> {
    let Some(old) = catalog.hosts.get(name).filter(|old| old.sig != *sig || old.with_data != with_data) else {
        return Ok(());
    };
    let shown = |sig: &Signature, data: bool| if data { format!("{sig} with user data") } else { sig.to_string() };
    match first_caller(catalog, name, &|_| false) {
        Some(caller) => Err(Error::Signature(format!(
            "cannot change host function `{name}` from {} to {}: `{caller}` calls it",
            shown(&old.sig, old.with_data),
            shown(sig, with_data)
        ))),
        None => Ok(()),
    }
}
