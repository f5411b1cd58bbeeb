//! What a unit sees of the manager it is compiled into.

use crate::lang::typed::{Sig, Type};

/// What the unit can see of the manager it is compiled into.
pub trait Env {
    /// A function compiled earlier: its type, or `Err(type as text)` when it
    /// has a type the source language cannot express (a MIR function).
    fn function(&self, name: &str) -> Option<Result<Sig, String>>;
    /// A global defined earlier: its type and whether it is mutable.
    fn global(&self, name: &str) -> Option<(Type, bool)>;
    /// A registered host function: its type, or `Err(type as text)` when
    /// the source language cannot express it.
    fn host(&self, name: &str) -> Option<Result<Sig, String>>;
    /// False when host functions are not known here (printing MIR without
    /// a manager): `extern fn` declarations are then taken as written.
    fn knows_hosts(&self) -> bool {
        true
    }
    /// Every function and global name, for "did you mean" suggestions.
    fn names(&self) -> Vec<String>;
    /// A record type an earlier unit declared (`struct`).
    fn record(&self, _name: &str) -> Option<crate::mir::ObjTy> {
        None
    }
    /// A host struct an earlier unit declared (`extern struct`).
    fn host_struct(&self, _name: &str) -> Option<crate::mir::HostTy> {
        None
    }
    /// An `extern val` an earlier unit declared: its struct and whether it
    /// is an array.
    fn extern_val(&self, _name: &str) -> Option<(crate::mir::HostTy, bool)> {
        None
    }
}

/// An environment with nothing in it (a fresh manager).
pub struct EmptyEnv;

impl Env for EmptyEnv {
    fn function(&self, _: &str) -> Option<Result<Sig, String>> {
        None
    }
    fn global(&self, _: &str) -> Option<(Type, bool)> {
        None
    }
    fn host(&self, _: &str) -> Option<Result<Sig, String>> {
        None
    }
    fn knows_hosts(&self) -> bool {
        false
    }
    fn names(&self) -> Vec<String> {
        Vec::new()
    }
}
