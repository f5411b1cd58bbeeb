//! What compiling owns: the function table, the host table and the global
//! cells (addresses that never move), and the compiled modules with the
//! text literals their code refers to.
//!
//! A module stays alive while any of its functions is a current definition
//! (`live`) or a unit whose top-level code is still running may reinstate
//! one (`pins`). After that it is retired, and freed once every call that
//! might still be running it has returned (see `guard`) or, for a call that
//! runs on, has scanned its stack and not found it (see `scan`).

use std::collections::HashMap;
use std::sync::Arc;

use super::cells::{CellId, CellRef, Cells};
use super::guard::CallGuard;
use super::helpers::text::OwnedText;
use crate::abi::Binding;
use crate::backend::CompiledCode;

/// Compiled code and the text literals it points to.
pub struct LoadedModule {
    code: Box<dyn CompiledCode>,
    literals: Vec<OwnedText>,
    live: usize,
    pins: usize,
}

impl LoadedModule {
    pub fn new(code: Box<dyn CompiledCode>, literals: Vec<OwnedText>) -> LoadedModule {
        LoadedModule { code, literals, live: 0, pins: 0 }
    }

    pub fn code(&self) -> &dyn CompiledCode {
        self.code.as_ref()
    }

    /// Frees the code, then drops the literals' references.
    ///
    /// # Safety
    /// No code of the module may be running or be called afterwards.
    pub unsafe fn free(self) {
        // SAFETY: forwarded from the caller.
        unsafe { self.code.free() };
        drop(self.literals);
    }
}

pub type ModuleId = u64;

/// Names to cells of one table, each allocated on first use and never
/// reused for another name.
#[derive(Default)]
pub struct Table {
    pub cells: Cells,
    of: HashMap<String, CellId>,
}

impl Table {
    /// The cell of `name`; the bool is true for a new one (starting at 0).
    pub fn cell(&mut self, name: &str) -> (CellId, bool) {
        if let Some(c) = self.of.get(name) {
            return (*c, false);
        }
        let c = self.cells.alloc(0);
        self.of.insert(name.to_string(), c);
        (c, true)
    }

    pub fn cell_ref(&self, id: CellId) -> CellRef {
        self.cells.cell_ref(id)
    }

    /// Drops the name (a unit that introduced it was undone). Its cell is
    /// not reused: code of the undone unit may still run on other threads.
    pub fn forget(&mut self, name: &str) {
        self.of.remove(name);
    }
}

/// A host function registered with user data, and the data: the two words
/// a call reads through its cell. A registration makes a new one and
/// never changes it, so a call racing a re-registration sees one pair.
#[repr(C)]
pub struct HostBinding {
    pub function: usize,
    pub user_data: usize,
}

#[derive(Default)]
pub struct Store {
    /// MIR functions' code addresses, one cell per function name.
    pub functions: Table,
    /// Host functions' addresses, one cell per registered name.
    pub hosts: Table,
    /// The bindings of host functions registered with user data, which
    /// their cells point to: kept until the manager goes, as compiled code
    /// may still read a replaced one (they are two words each, one per
    /// registration). Boxed: JIT code holds their addresses, which a
    /// growing `Vec` of the bindings themselves would move.
    #[allow(clippy::vec_box)]
    pub host_bindings: Vec<Box<HostBinding>>,
    /// Global variables' values.
    pub globals: Table,
    /// The binding cell of each `extern val` name, made on its first
    /// declaration and kept until the manager goes (code of an undone
    /// unit may still read it).
    pub bindings: HashMap<String, Arc<Binding>>,
    modules: HashMap<ModuleId, LoadedModule>,
    next_id: ModuleId,
    /// Unreachable modules waiting for a generation flip.
    retired: Vec<(ModuleId, LoadedModule)>,
    /// Modules waiting for the calls of generation `.0` to finish.
    draining: Option<(usize, Vec<Retired>)>,
    /// Modules whose generation has drained, waiting for the stack scans of
    /// calls that were converted instead of finishing.
    held: Vec<Retired>,
}

/// A module no table reaches any more.
struct Retired {
    id: ModuleId,
    module: LoadedModule,
    /// The stack scan asked for once it was unreachable: a report of an
    /// older scan cannot tell whether its call runs this module.
    scan: u64,
}

impl Store {
    /// The binding cell of the `extern val` `name`.
    pub fn binding(&mut self, name: &str) -> Arc<Binding> {
        self.bindings.entry(name.to_string()).or_default().clone()
    }

    /// Keeps a module whose `live` functions are being installed, pinned
    /// until its unit has finished.
    pub fn add(&mut self, mut module: LoadedModule, live: usize) -> ModuleId {
        let id = self.next_id;
        self.next_id += 1;
        module.live = live;
        module.pins = 1;
        self.modules.insert(id, module);
        id
    }

    /// One of the module's functions stopped being a current definition.
    pub fn replaced(&mut self, id: ModuleId) {
        if let Some(c) = self.modules.get_mut(&id) {
            c.live = c.live.saturating_sub(1);
        }
    }

    /// One of the module's functions became current again (rollback).
    pub fn reinstated(&mut self, id: ModuleId) {
        if let Some(c) = self.modules.get_mut(&id) {
            c.live += 1;
        }
    }

    pub fn pin(&mut self, id: ModuleId) {
        if let Some(c) = self.modules.get_mut(&id) {
            c.pins += 1;
        }
    }

    /// Drops a pin and retires the module if nothing needs it any more.
    pub fn unpin(&mut self, id: ModuleId) {
        let Some(c) = self.modules.get_mut(&id) else { return };
        c.pins = c.pins.saturating_sub(1);
        if c.live == 0 && c.pins == 0 {
            if let Some(module) = self.modules.remove(&id) {
                self.retired.push((id, module));
            }
        }
    }

    /// Frees what no running call can reach; starts the next grace period.
    /// True when running calls must be woken to answer a stack scan.
    pub fn reclaim(&mut self, guard: &CallGuard) -> bool {
        if let Some((generation, _)) = &self.draining {
            if guard.drained(*generation) {
                let (_, drained) = self.draining.take().unwrap_or_default();
                self.held.extend(drained);
            }
        }
        if !self.held.is_empty() {
            let asked: Vec<(ModuleId, u64)> = self.held.iter().map(|r| (r.id, r.scan)).collect();
            let needed = guard.scans.needed(&asked);
            let mut needed = needed.into_iter();
            let (kept, free): (Vec<Retired>, Vec<Retired>) =
                std::mem::take(&mut self.held).into_iter().partition(|_| needed.next().unwrap_or(true));
            self.held = kept;
            for retired in free {
                // SAFETY: retired before a generation flip whose older
                // calls have all returned or been converted, and the stack
                // scan of every converted call, made after the retirement,
                // did not find it (`scan`): no call can be running it or
                // find it again.
                unsafe { retired.module.free() };
            }
        }
        if self.draining.is_some() || self.retired.is_empty() {
            return false;
        }
        let generation = guard.flip();
        let newly = std::mem::take(&mut self.retired);
        let ranges = |id: ModuleId, m: &LoadedModule| {
            m.code.code_ranges().iter().map(move |(start, end)| (*start, *end, id)).collect::<Vec<_>>()
        };
        let mut candidates: Vec<(usize, usize, u64)> = newly.iter().flat_map(|(id, m)| ranges(*id, m)).collect();
        candidates.extend(self.held.iter().flat_map(|r| ranges(r.id, &r.module)));
        let scan = guard.scans.request(candidates);
        self.draining =
            Some((generation, newly.into_iter().map(|(id, module)| Retired { id, module, scan }).collect()));
        true
    }

    /// Modules alive, retired or draining (for tests and statistics).
    pub fn module_count(&self) -> usize {
        self.modules.len() + self.retired.len() + self.draining.as_ref().map_or(0, |(_, v)| v.len()) + self.held.len()
    }

    /// Frees everything.
    ///
    /// # Safety
    /// No code of the store may be running or be called afterwards.
    pub unsafe fn free_all(&mut self) {
        let draining = self.draining.take().map(|(_, v)| v).unwrap_or_default();
        let retired = draining.into_iter().chain(self.held.drain(..)).map(|r| r.module);
        let all = self.modules.drain().map(|(_, c)| c).chain(self.retired.drain(..).map(|(_, m)| m)).chain(retired);
        for module in all.collect::<Vec<_>>() {
            // SAFETY: forwarded from the caller.
            unsafe { module.free() };
        }
    }
}
