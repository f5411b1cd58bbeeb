//! What calls look up: every current function and global of a manager,
//! and how the compilers see them.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use super::code::ModuleId;
use crate::codegen::Trampoline;
use crate::error::Error;
use crate::lang::{self, Sig, Type};
use crate::mir::{self, Signature, Ty};

/// A function the manager can call.
#[derive(Clone)]
pub struct FuncEntry {
    pub sig: Signature,
    pub slot: u32,
    pub entry: Trampoline,
    pub code: usize,
    pub module: ModuleId,
    /// Functions this one calls and globals it uses (for redefinition checks).
    pub callees: BTreeSet<String>,
    pub globals_used: BTreeSet<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GlobalEntry {
    pub ty: Ty,
    pub mutable: bool,
    /// Address of the global's cell (stable for the manager's life).
    pub cell: usize,
}

/// A host function registered with `rt_exec_manager_register_function`.
#[derive(Clone, Debug, PartialEq)]
pub struct HostEntry {
    pub sig: Signature,
    /// Its slot in the host table (JIT code calls through it).
    pub slot: u32,
}

#[derive(Default)]
pub struct Catalog {
    // Every call looks its function up by name: FxHash is several times
    // faster than SipHash on short keys (names come from the host's code).
    pub functions: FxHashMap<String, FuncEntry>,
    pub globals: FxHashMap<String, GlobalEntry>,
    pub hosts: FxHashMap<String, HostEntry>,
    /// Function-table slot to function name, for error messages.
    pub slot_names: Vec<String>,
}

impl Catalog {
    pub fn function(&self, name: &str) -> Result<&FuncEntry, Error> {
        self.functions.get(name).ok_or_else(|| {
            let hint = hint(name, self.functions.keys());
            Error::NotFound(format!("no function named `{name}`{hint}"))
        })
    }

    pub fn global(&self, name: &str) -> Result<&GlobalEntry, Error> {
        self.globals.get(name).ok_or_else(|| {
            let hint = hint(name, self.globals.keys());
            Error::NotFound(format!("no global named `{name}`{hint}"))
        })
    }
}

fn hint<'a>(name: &str, names: impl Iterator<Item = &'a String>) -> String {
    lang::suggest(name, names.map(|s| s.as_str())).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
}

/// The source-language type of a MIR type, when it has one.
pub fn lang_type(t: Ty) -> Option<Type> {
    match t {
        Ty::I64 => Some(Type::I64),
        Ty::F64 => Some(Type::F64),
        Ty::Bool => Some(Type::Bool),
        Ty::Text => Some(Type::Text),
        _ => None,
    }
}

fn lang_sig(sig: &Signature) -> Result<Sig, String> {
    let params: Option<Vec<Type>> = sig.params.iter().map(|t| lang_type(*t)).collect();
    let ret = match sig.ret {
        None => Some(Type::Void),
        Some(t) => lang_type(t),
    };
    match (params, ret) {
        (Some(params), Some(ret)) => Ok(Sig { params, ret }),
        _ => Err(sig.to_string()),
    }
}

/// The catalog as the compilers' environment.
pub struct CatalogEnv<'a>(pub &'a Catalog);

impl lang::Env for CatalogEnv<'_> {
    fn function(&self, name: &str) -> Option<Result<Sig, String>> {
        self.0.functions.get(name).map(|f| lang_sig(&f.sig))
    }
    fn global(&self, name: &str) -> Option<(Type, bool)> {
        let g = self.0.globals.get(name)?;
        Some((lang_type(g.ty)?, g.mutable))
    }
    fn host(&self, name: &str) -> Option<Result<Sig, String>> {
        self.0.hosts.get(name).map(|h| lang_sig(&h.sig))
    }
    fn names(&self) -> Vec<String> {
        self.0.functions.keys().chain(self.0.globals.keys()).cloned().collect()
    }
}

impl mir::MirEnv for CatalogEnv<'_> {
    fn function(&self, name: &str) -> Option<Signature> {
        self.0.functions.get(name).map(|f| f.sig.clone())
    }
    fn global(&self, name: &str) -> Option<Ty> {
        self.0.globals.get(name).map(|g| g.ty)
    }
    fn global_mutable(&self, name: &str) -> bool {
        self.0.globals.get(name).is_none_or(|g| g.mutable)
    }
}
