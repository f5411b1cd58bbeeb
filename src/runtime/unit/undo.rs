//! What a committed unit changed, so its failure can be undone: the
//! functions it replaced or added and the globals it declared, and the
//! value before its top-level code ran of every global it may change
//! (`reach`).

use std::sync::atomic::Ordering;

use crate::mir::{HostTy, ObjTy};
use crate::runtime::catalog::{Catalog, ExternEntry, FuncEntry, GlobalEntry};
use crate::runtime::cells::{CellId, CellRef};
use crate::runtime::globals::{self, Saved};
use crate::runtime::helpers;
use crate::runtime::store::{ModuleId, Store};

/// A function the unit replaced or added.
pub(super) struct Replaced {
    pub name: String,
    pub id: CellId,
    pub old: Option<FuncEntry>,
    pub old_addr: u64,
    pub new_addr: usize,
}

/// A global's value before the unit ran.
pub(super) struct SavedValue {
    pub name: String,
    pub cell: CellRef,
    pub value: Saved,
}

#[derive(Default)]
pub(super) struct Undo {
    pub functions: Vec<Replaced>,
    pub globals: Vec<(String, Option<GlobalEntry>)>,
    pub values: Vec<SavedValue>,
    /// The record names the unit declared, and what they named before.
    pub records: Vec<(String, Option<ObjTy>)>,
    /// The host structs and `extern val`s the unit declared, and what
    /// their names held before (a binding's cell stays in the store).
    pub host_structs: Vec<(String, Option<HostTy>)>,
    pub extern_vals: Vec<(String, Option<ExternEntry>)>,
}

/// A unit that has run its top-level code successfully but whose undo is
/// kept because it is nested in a unit still running.
pub struct Finished {
    pub(super) undo: Undo,
    pub(super) pinned: Vec<ModuleId>,
    pub(super) module: Option<ModuleId>,
}

impl Finished {
    /// The unit stays: its modules are no longer pinned for a rollback.
    pub(super) fn keep(self, store: &mut Store) {
        self.pinned.iter().for_each(|id| store.unpin(*id));
    }

    /// Undoes the unit. Functions a later unit replaced meanwhile are left
    /// as that unit made them.
    pub(super) fn roll_back(self, store: &mut Store, catalog: &mut Catalog) {
        for r in self.undo.functions.into_iter().rev() {
            if catalog.functions.get(&r.name).is_none_or(|f| f.addr != r.new_addr) {
                continue;
            }
            if let Some(id) = self.module {
                store.replaced(id);
            }
            match r.old {
                Some(entry) => {
                    store.functions.cells.get(r.id).store(r.old_addr, Ordering::Release);
                    store.reinstated(entry.module);
                    catalog.functions.insert(r.name, entry);
                }
                None => {
                    // Code of the undone unit may still run on other threads
                    // and call the function: it gets an error, not address 0.
                    store.functions.cells.get(r.id).store(helpers::undone_function_addr(), Ordering::Release);
                    catalog.functions.remove(&r.name);
                    store.functions.forget(&r.name);
                    if let Some(name) = catalog.names_by_id.get_mut(r.id.0 as usize) {
                        *name = String::new();
                    }
                }
            }
        }
        // Values first, while the catalog still says what each cell holds.
        for saved in self.undo.values {
            let now = catalog.globals.get(&saved.name).map(|g| g.ty);
            // SAFETY: the cell is the manager's, which is alive; `now` is
            // the type the catalog says it holds.
            unsafe { globals::replace(saved.cell.get(), saved.value, now) };
        }
        for (name, old) in self.undo.globals.into_iter().rev() {
            match old {
                Some(entry) => {
                    catalog.globals.insert(name, entry);
                }
                None => {
                    if let Some(g) = catalog.globals.remove(&name) {
                        // SAFETY: as above.
                        unsafe { globals::clear(g.cell.get(), Some(g.ty)) };
                    }
                    store.globals.forget(&name);
                }
            }
        }
        for (name, old) in self.undo.records.into_iter().rev() {
            match old {
                Some(t) => catalog.records.insert(name, t),
                None => catalog.records.remove(&name),
            };
        }
        for (name, old) in self.undo.host_structs.into_iter().rev() {
            match old {
                Some(t) => catalog.host_structs.insert(name, t),
                None => catalog.host_structs.remove(&name),
            };
        }
        for (name, old) in self.undo.extern_vals.into_iter().rev() {
            match old {
                Some(e) => catalog.extern_vals.insert(name, e),
                None => catalog.extern_vals.remove(&name),
            };
        }
        self.pinned.iter().for_each(|id| store.unpin(*id));
    }
}
