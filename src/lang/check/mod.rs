//! Name resolution, type checking and return-type inference: syntax tree to
//! typed tree.
//!
//! Return types that are not annotated are inferred by iterating to a fixed
//! point: each round checks every body in *infer* mode, where a call to a
//! function whose type is still unknown has the `Unknown` type, which
//! silences every check it reaches, and a function's type is the join of the
//! known types it returns. A final round checks for real, reporting the
//! first error of the unit by position.
//!
//! In reading order: `env` (what a unit sees of its manager), `decls` (the unit's names and signatures), this file
//! (the rounds), `checker` (the state of one body and the rules every
//! construct shares), `body` (a function's or the top level's whole body),
//! `stmt`, `expr`, `builtins`; `data` (arrays) and `records` (structs).

mod body;
mod builtins;
mod checker;
mod data;
mod decls;
mod env;
mod expr;
mod host;
mod maps;
mod records;
mod stmt;

use std::borrow::Cow;
use std::collections::HashMap;

pub use self::env::{EmptyEnv, Env};

use self::checker::{Checker, GlobalTable, Known, UnitFn, join};
use self::decls::Decls;
use super::ast::*;
use super::typed::*;
use crate::diag::DiagResult;

pub fn check(unit: &Unit, env: &dyn Env) -> DiagResult<TypedUnit> {
    let records = decls::records(unit, env)?;
    let by_name = records.iter().map(|(t, _)| (t.name().to_string(), *t)).collect();
    let hosts = host::host_decls(unit, env)?;
    let env = &records::UnitEnv {
        inner: env,
        records: by_name,
        host_structs: hosts.structs.iter().map(|(t, _)| (t.name().to_string(), *t)).collect(),
        extern_vals: hosts.vals.iter().map(|v| (v.name.clone(), (v.ty, v.array))).collect(),
    };
    let mut decls = decls::collect(unit, env)?;
    let mut unit_fns = std::mem::take(&mut decls.unit_fns);
    infer_returns(&decls, &mut unit_fns, env);
    let mut typed = final_round(decls, &unit_fns, env)?;
    typed.records = records;
    typed.host_structs = hosts.structs;
    typed.extern_vals = hosts.vals;
    Ok(typed)
}

/// Inference rounds, callees first so a chain of calls settles in one
/// round. Each round that changes something moves a function or global
/// up the lattice unknown < i64 < f64, so the rounds are bounded.
fn infer_returns(decls: &Decls, unit_fns: &mut HashMap<String, UnitFn>, env: &dyn Env) {
    let order = decls::callees_first(&decls.fns);
    let max_rounds = 3 * (decls.fns.len() + decls.top.len()) + 4;
    let mut globals_known: Vec<(String, Known)> = Vec::new();
    for _ in 0..max_rounds {
        let mut cx = Checker::new(env, unit_fns, true, Cow::Owned(GlobalTable::default()));
        let _ = cx.check_init(&decls.top);
        let globals = cx.into_globals();
        let mut changed = globals.types() != globals_known;
        globals_known = globals.types();
        for f in &order {
            if unit_fns[&f.header.name].annotated {
                continue;
            }
            let info = &unit_fns[&f.header.name];
            let inferred = Checker::new(env, unit_fns, true, Cow::Borrowed(&globals)).infer_fn(f, info);
            let Ok(inferred) = inferred else { continue };
            let Some(entry) = unit_fns.get_mut(&f.header.name) else { continue };
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
        if !changed {
            break;
        }
    }
}

/// The final round: every error is real; the first by position is reported.
fn final_round(decls: Decls, unit_fns: &HashMap<String, UnitFn>, env: &dyn Env) -> DiagResult<TypedUnit> {
    let mut cx = Checker::new(env, unit_fns, false, Cow::Owned(GlobalTable::default()));
    let init = cx.check_init(&decls.top);
    let globals = cx.into_globals();
    let functions: Vec<DiagResult<TFunction>> = decls
        .fns
        .iter()
        .map(|f| Checker::new(env, unit_fns, false, Cow::Borrowed(&globals)).final_fn(f, &unit_fns[&f.header.name]))
        .collect();
    let errors = init.as_ref().err().into_iter().chain(functions.iter().filter_map(|r| r.as_ref().err()));
    if let Some(first) = errors.min_by_key(|e| e.pos) {
        return Err(first.clone());
    }
    let init = init?;
    let functions = functions.into_iter().collect::<DiagResult<Vec<_>>>()?;
    Ok(TypedUnit {
        functions,
        init,
        globals: globals.declarations(),
        externs: decls.externs,
        records: Vec::new(),
        host_structs: Vec::new(),
        extern_vals: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::DiagResult;
    use crate::lang::parser::parse;
    use crate::util::names::suggest;

    fn check_src(src: &str) -> DiagResult<TypedUnit> {
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

    /// A local holding a self-call's value is as unknown as the call while
    /// the rounds infer (it once became i64, so `v = true` failed the round
    /// and left `f` unknown): the other returns decide.
    #[test]
    fn infers_through_a_recursive_value_held_in_a_local() {
        let held = "fn f(d, p: bool):\n    if d <= 0: return p\n    var v = f(d - 1, p)\n    v = true\n    return v\n";
        assert_eq!(ret_of(held, "f"), Type::Bool);
        let text = "fn g(d):\n    if d <= 0: return \"x\"\n    var t = g(d - 1)\n    t += \"y\"\n    return t\n";
        assert_eq!(ret_of(text, "g"), Type::Text);
        // Still checked for real: the local has the call's type.
        let e =
            check_src("fn h(d, p: bool):\n    if d <= 0: return p\n    var v = h(d - 1, p)\n    v = 3\n    return v\n")
                .unwrap_err();
        assert!(e.message.contains("must be bool, found i64"), "{e}");
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
