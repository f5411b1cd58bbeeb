//! The state `storage` and `elements` work with while one function is
//! translated: the facts `mir::storage` found, the block being translated,
//! the locals known unique at the instruction being translated, the
//! variables holding the lengths of arrays fixed in a loop, and the
//! element pointers the current MIR block has reached.

use cranelift_codegen::ir::{Value, types};
use cranelift_frontend::{FunctionBuilder, Variable};

use crate::mir::storage::{StorageFacts, Unique};
use crate::mir::{self, Local};

/// The facts of one function, and where translation is in it.
pub(super) struct Tracked {
    facts: StorageFacts,
    /// The block being translated.
    block: usize,
    /// The locals known unique before the instruction being translated.
    pub unique: Unique,
    /// The variable holding each measured array's length.
    lengths: Vec<Option<Variable>>,
}

impl Tracked {
    pub fn new(b: &mut FunctionBuilder, f: &mir::Function) -> Tracked {
        let facts = StorageFacts::of(f);
        let mut lengths = vec![None; f.locals.len()];
        for i in 0..f.blocks.len() {
            for a in facts.measured_in(i) {
                lengths[a.0 as usize].get_or_insert_with(|| b.declare_var(types::I64));
            }
        }
        let unique = facts.unique_at(0);
        Tracked { facts, block: 0, unique, lengths }
    }

    /// Translation goes on in block `b`.
    pub fn enter(&mut self, b: usize) {
        self.block = b;
        self.unique = self.facts.unique_at(b);
    }

    /// Whether array `a` is fixed in a loop around the current block.
    pub fn is_fixed(&self, a: Local) -> bool {
        self.facts.is_fixed(self.block, a)
    }

    /// The variable holding array `a`'s length where it is fixed.
    pub fn length_var(&self, a: Local) -> Option<Variable> {
        self.lengths.get(a.0 as usize).copied().flatten()
    }

    /// The arrays block `b` measures at its end, with their variables.
    pub fn measured_in(&self, b: usize) -> Vec<(Local, Variable)> {
        self.facts.measured_in(b).iter().filter_map(|a| Some((*a, self.length_var(*a)?))).collect()
    }
}

/// What the current MIR block knows of its element pointers (see
/// `elements`).
#[derive(Default, Clone)]
pub(super) struct Known {
    pub list: Vec<Element>,
    /// `(c, l)`: local `c` holds a copy of local `l`'s value.
    pub copies: Vec<(Local, Local)>,
    pub map_slots: Vec<MapSlot>,
}

/// Where the value for key `key` (the local first holding it) of the map
/// in local `map`, whose storage was its own, is: at address `at`, which
/// is NULL when a `k in m` found no entry, unless `found`.
#[derive(Clone, Copy)]
pub(super) struct MapSlot {
    pub map: Local,
    pub key: Local,
    pub at: Value,
    pub found: bool,
}

impl Known {
    pub fn clear(&mut self) {
        self.list.clear();
        self.copies.clear();
        self.map_slots.clear();
    }
}

/// Element `index` of the array in local `array`: its pointer, and whether
/// that storage is known to be the element's own (so also not NULL). The
/// index is the local first holding its value in the block, so a copy of
/// it (which compound assignments make) finds the entry too.
#[derive(Clone, Copy)]
pub(super) struct Element {
    pub array: Local,
    pub index: Local,
    pub ptr: Value,
    /// The address of the slot holding it.
    pub slot: Value,
    pub owned: bool,
}
