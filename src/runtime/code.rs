//! What compiling owns: the function table and global cells (addresses
//! that never move), and the compiled modules with the text literals their
//! code refers to.
//!
//! A module stays alive while any of its functions is a current definition
//! (`live`) or a unit whose top-level code is still running may reinstate
//! one (`pins`). After that it is retired, and freed once every call that
//! might still be running it has returned (see `guard`).

use std::collections::HashMap;

use super::guard::CallGuard;
use super::slots::Slots;
use super::text;
use crate::codegen::CompiledModule;

/// A compiled module and the text literals its code points to.
pub struct Code {
    module: CompiledModule,
    literals: Vec<usize>,
    live: usize,
    pins: usize,
}

impl Code {
    pub fn new(module: CompiledModule, literals: Vec<usize>) -> Code {
        Code { module, literals, live: 0, pins: 0 }
    }

    pub fn module(&self) -> &CompiledModule {
        &self.module
    }

    /// Frees the code and drops the literals' references.
    ///
    /// # Safety
    /// No code of the module may be running or be called afterwards.
    pub unsafe fn free(self) {
        // SAFETY: forwarded from the caller.
        unsafe { self.module.free() };
        for l in self.literals {
            text::release(l as *const text::RtText);
        }
    }
}

pub type ModuleId = u64;

#[derive(Default)]
pub struct Store {
    pub table: Slots,
    pub slot_of: HashMap<String, u32>,
    pub cells: Slots,
    pub cell_of: HashMap<String, u32>,
    /// Host functions' addresses, one slot per registered name.
    pub host_table: Slots,
    pub host_slot_of: HashMap<String, u32>,
    modules: HashMap<ModuleId, Code>,
    next_id: ModuleId,
    /// Unreachable modules waiting for a generation flip.
    retired: Vec<Code>,
    /// Modules waiting for the calls of generation `.0` to finish.
    draining: Option<(usize, Vec<Code>)>,
}

impl Store {
    /// The function-table slot for `name` (allocated on first use, never
    /// reused for another name). The bool is true for a new slot.
    pub fn slot(&mut self, name: &str) -> (u32, bool) {
        if let Some(s) = self.slot_of.get(name) {
            return (*s, false);
        }
        let s = self.table.alloc(0);
        self.slot_of.insert(name.to_string(), s);
        (s, true)
    }

    /// The host-table slot for `name`.
    pub fn host_slot(&mut self, name: &str) -> u32 {
        if let Some(s) = self.host_slot_of.get(name) {
            return *s;
        }
        let s = self.host_table.alloc(0);
        self.host_slot_of.insert(name.to_string(), s);
        s
    }

    /// The cell for global `name` (allocated zeroed on first use).
    pub fn cell(&mut self, name: &str) -> u32 {
        if let Some(c) = self.cell_of.get(name) {
            return *c;
        }
        let c = self.cells.alloc(0);
        self.cell_of.insert(name.to_string(), c);
        c
    }

    /// Keeps a module whose `live` functions are being installed, pinned
    /// until its unit has finished.
    pub fn add(&mut self, mut code: Code, live: usize) -> ModuleId {
        let id = self.next_id;
        self.next_id += 1;
        code.live = live;
        code.pins = 1;
        self.modules.insert(id, code);
        id
    }

    /// One of the module's functions stopped being a current definition.
    pub fn unlive(&mut self, id: ModuleId) {
        if let Some(c) = self.modules.get_mut(&id) {
            c.live = c.live.saturating_sub(1);
        }
    }

    /// One of the module's functions became current again (rollback).
    pub fn relive(&mut self, id: ModuleId) {
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
            if let Some(code) = self.modules.remove(&id) {
                self.retired.push(code);
            }
        }
    }

    /// Frees what no running call can reach; starts the next grace period.
    pub fn reclaim(&mut self, guard: &CallGuard) {
        if let Some((generation, _)) = &self.draining {
            if guard.drained(*generation) {
                if let Some((_, codes)) = self.draining.take() {
                    for code in codes {
                        // SAFETY: retired before a generation flip whose
                        // older calls have all returned, so no call can be
                        // running it or find it again.
                        unsafe { code.free() };
                    }
                }
            }
        }
        if self.draining.is_none() && !self.retired.is_empty() {
            let generation = guard.flip();
            self.draining = Some((generation, std::mem::take(&mut self.retired)));
        }
    }

    /// Modules alive, retired or draining (for tests and statistics).
    pub fn module_count(&self) -> usize {
        self.modules.len() + self.retired.len() + self.draining.as_ref().map_or(0, |(_, v)| v.len())
    }

    /// Frees everything.
    ///
    /// # Safety
    /// No code of the store may be running or be called afterwards.
    pub unsafe fn free_all(&mut self) {
        let draining = self.draining.take().map(|(_, v)| v).unwrap_or_default();
        let all = self.modules.drain().map(|(_, c)| c).chain(self.retired.drain(..)).chain(draining);
        for code in all.collect::<Vec<_>>() {
            // SAFETY: forwarded from the caller.
            unsafe { code.free() };
        }
    }
}
