//! The passes between a validated module and code generation: checkpoints
//! (where a call may be stopped), the optimisations of the level, and the
//! ownership pass every backend needs (before the loop storage pass, which
//! works on the explicit references, as does the pass that lets element
//! locals borrow).
//!
//! Each pass's output is validated again, in every build (validation costs
//! a fraction of code generation): a pass that breaks MIR is reported as a
//! bug naming the pass, never compiled into wrong code.

mod borrow;
mod checkpoints;
mod loop_storage;
mod unroll;

use std::collections::HashMap;

use super::data::{Module, Signature, Ty};
use super::ownership;
use super::validate::{Invalid, MirEnv, validate};

/// A pass produced invalid MIR: a bug in rtjit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassError {
    pub pass: &'static str,
    pub invalid: Invalid,
}

/// Runs the passes of `level` (0 to 3) on a module that validation has
/// accepted against `env`; returns it in the form backends compile.
pub fn for_codegen(mut module: Module, level: u8, env: &dyn MirEnv) -> Result<Module, PassError> {
    module.functions.iter_mut().chain(module.init.iter_mut()).for_each(checkpoints::insert);
    check(&module, env, "checkpoints")?;
    if level >= 2 {
        module.functions.iter_mut().for_each(unroll::unroll_self_recursion);
        check(&module, env, "recursion unrolling")?;
    }
    let sigs: HashMap<String, Signature> = module
        .functions
        .iter()
        .map(|f| (f.name.clone(), f.sig.clone()))
        .chain(module.externs.iter().map(|e| (e.name.clone(), e.sig.clone())))
        .collect();
    let returns = |callee: &str| -> Option<Ty> {
        sigs.get(callee).map_or_else(|| env.function(callee).and_then(|s| s.ret), |s| s.ret)
    };
    for f in module.functions.iter_mut().chain(module.init.iter_mut()) {
        ownership::make_explicit(f, &returns);
    }
    check(&module, env, "ownership")?;
    if level >= 1 {
        module.functions.iter_mut().chain(module.init.iter_mut()).for_each(borrow::run);
        check(&module, env, "borrowed elements")?;
        module.functions.iter_mut().chain(module.init.iter_mut()).for_each(loop_storage::run);
        check(&module, env, "loop storage")?;
    }
    Ok(module)
}

fn check(module: &Module, env: &dyn MirEnv, pass: &'static str) -> Result<(), PassError> {
    validate(module, env).map_err(|invalid| PassError { pass, invalid })
}
