//! Which globals a unit may change before it is kept or undone, so that
//! its commit saves (for an undo) only those: the cost of a unit is then
//! that of what it uses, not of every global the manager holds.
//!
//! A unit changes its own globals (declaring one of another type clears
//! it), and its top-level code may change any global that it or a function
//! it reaches writes. A host function or a call through a pointer may do
//! anything (call back into the manager, compile a nested unit), so a unit
//! whose top-level code reaches one saves every global.

use std::collections::{HashMap, HashSet};

use crate::mir::{self, References};
use crate::runtime::catalog::Catalog;

/// The globals `module` may change, or `None` for any of them.
pub(super) fn globals_changed(module: &mir::Module, catalog: &Catalog) -> Option<HashSet<String>> {
    let mut changed: HashSet<String> = module.globals.iter().map(|g| g.name.clone()).collect();
    let Some(init) = &module.init else { return Some(changed) };
    let own: HashMap<&str, References> = module.functions.iter().map(|f| (f.name.as_str(), f.references())).collect();
    let init_refs = init.references();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut pending: Vec<&References> = vec![&init_refs];
    while let Some(refs) = pending.pop() {
        if refs.calls_pointers {
            return None;
        }
        changed.extend(refs.globals.iter().cloned());
        for callee in &refs.callees {
            if !seen.insert(callee) {
                continue;
            }
            if let Some(r) = own.get(callee.as_str()) {
                pending.push(r);
            } else if let Some(entry) = catalog.functions.get(callee.as_str()) {
                pending.push(&entry.refs);
            } else {
                // A host function.
                return None;
            }
        }
    }
    Some(changed)
}
