//! What calls look up: every current function and global of a manager,
//! and the registered host functions.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::cells::{CellId, CellRef};
use super::store::ModuleId;
use crate::abi::{Binding, Trampoline};
use crate::error::Error;
use crate::mir::{HostTy, ObjTy, References, Signature, Ty};
use crate::util::names;

/// A function the manager can call.
#[derive(Clone)]
pub struct FuncEntry {
    pub sig: Signature,
    /// Its function-table cell; the index is the id its errors report.
    pub id: CellId,
    pub entry: Trampoline,
    /// Its native code.
    pub addr: usize,
    pub module: ModuleId,
    /// What it calls and uses (for the redefinition rules).
    pub refs: References,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GlobalEntry {
    pub ty: Ty,
    pub mutable: bool,
    pub cell: CellRef,
}

/// A registered host function.
#[derive(Clone, Debug, PartialEq)]
pub struct HostEntry {
    pub sig: Signature,
    /// Its host-table cell, which JIT code calls through: the function's
    /// address, or with user data the address of its
    /// [`HostBinding`](super::store::HostBinding).
    pub cell: CellId,
    /// Registered with user data (c-api 49): the function takes it first.
    pub with_data: bool,
}

/// An `extern val`: the struct it is bound to, whether it is an array,
/// and the cell JIT code reads the binding from.
#[derive(Clone, Debug)]
pub struct ExternEntry {
    pub ty: HostTy,
    pub array: bool,
    pub cell: Arc<Binding>,
}

#[derive(Default)]
pub struct Catalog {
    // Every call looks its function up by name: FxHash is several times
    // faster than SipHash on short keys (names come from the host's code).
    pub functions: FxHashMap<String, FuncEntry>,
    pub globals: FxHashMap<String, GlobalEntry>,
    pub hosts: FxHashMap<String, HostEntry>,
    /// The record types units named (`struct`), by name.
    pub records: FxHashMap<String, ObjTy>,
    /// The host structs units declared (`extern struct`), by name.
    pub host_structs: FxHashMap<String, HostTy>,
    /// The `extern val`s units declared, by name.
    pub extern_vals: FxHashMap<String, ExternEntry>,
    /// Function id to function name, for error messages.
    pub names_by_id: Vec<String>,
}

impl Catalog {
    pub fn function(&self, name: &str) -> Result<&FuncEntry, Error> {
        self.functions.get(name).ok_or_else(|| {
            let hint = names::hint(name, self.functions.keys().map(String::as_str));
            Error::NotFound(format!("no function named `{name}`{hint}"))
        })
    }

    /// The host struct `name` a unit declared.
    pub fn host_struct(&self, name: &str) -> Option<HostTy> {
        self.host_structs.get(name).copied()
    }

    /// The `extern val` `name`: its struct and whether it is an array.
    pub fn extern_val(&self, name: &str) -> Option<(HostTy, bool)> {
        self.extern_vals.get(name).map(|e| (e.ty, e.array))
    }

    pub fn global(&self, name: &str) -> Result<&GlobalEntry, Error> {
        self.globals.get(name).ok_or_else(|| {
            let hint = names::hint(name, self.globals.keys().map(String::as_str));
            Error::NotFound(format!("no global named `{name}`{hint}"))
        })
    }

    /// The functions not in `except` that `uses` says depend on something,
    /// sorted (for the redefinition rules' messages).
    pub fn users(&self, except: &dyn Fn(&str) -> bool, uses: &dyn Fn(&FuncEntry) -> bool) -> Vec<&str> {
        let mut v: Vec<&str> =
            self.functions.iter().filter(|(n, e)| !except(n) && uses(e)).map(|(n, _)| n.as_str()).collect();
        v.sort_unstable();
        v
    }
}
