//! The element pointers a MIR block has already reached: `bs[i].x` and
//! then `bs[i].y` in one block load the pointer to record `bs[i]` (and
//! check `i` against the length) once, and after a write through
//! `bs[i]` has given that record storage of its own, later writes through
//! it need neither the bounds check nor the copy-on-write check, nor reads
//! the null check. Cranelift cannot do this itself: it does not keep a
//! load across blocks inside a loop that stores anything, and every check
//! ends a block.
//!
//! An entry holds while nothing can change what it says. It is dropped
//! when its array's local is written; an element write to the
//! array drops the entries it might replace; and every instruction that
//! might share or replace storage (a call, a retain or release of an
//! object, a write that is not a path write, a push or pop) drops them all. A block that
//! only one block branches to starts with what that block knew at its end
//! (its values dominate the block: `if w in m: m[w] += 1` looks `w` up
//! once); any other block starts knowing nothing.

use cranelift_codegen::ir::Value;

use super::function::Translator;
use super::tracked::{Element, MapSlot};
use crate::backend::lowering::MirView;
use crate::mir::{self, DataOp, InstKind, Local, Operand};

impl Translator<'_, '_> {
    /// The entry for element `index` of `array`, if any.
    pub(super) fn known_element(&self, array: &Operand, index: &Operand) -> Option<Element> {
        let (Operand::Local(a), Operand::Local(i)) = (*array, *index) else { return None };
        let i = self.copy_of(i);
        self.elements.list.iter().find(|e| e.array == a && e.index == i).copied()
    }

    /// Where the value for key `key` of map `map` is, when a read found it.
    pub(super) fn known_map_slot(&self, map: &Operand, key: &Operand) -> Option<Value> {
        self.known_map_find(map, key).filter(|s| s.found).map(|s| s.at)
    }

    /// What a read or a `k in m` learnt of where the value for `key` of
    /// `map` is.
    pub(super) fn known_map_find(&self, map: &Operand, key: &Operand) -> Option<MapSlot> {
        let (Operand::Local(m), Operand::Local(k)) = (*map, *key) else { return None };
        let k = self.copy_of(k);
        self.elements.map_slots.iter().find(|s| s.map == m && s.key == k).copied()
    }

    /// The value for `key` of `map` is at `at` (NULL for none unless
    /// `found`).
    pub(super) fn remember_map_slot(&mut self, map: &Operand, key: &Operand, at: Value, found: bool) {
        let (Operand::Local(m), Operand::Local(k)) = (*map, *key) else { return };
        let k = self.copy_of(k);
        self.elements.map_slots.retain(|s| !(s.map == m && s.key == k));
        self.elements.map_slots.push(MapSlot { map: m, key: k, at, found });
    }

    /// The local whose value `l` copies in this block (itself if none).
    fn copy_of(&self, l: Local) -> Local {
        self.elements.copies.iter().find(|(c, _)| *c == l).map_or(l, |(_, of)| *of)
    }

    /// Element `index` of `array` is `ptr`, held in `slot` (its own storage
    /// when `owned`).
    pub(super) fn remember_element(&mut self, array: &Operand, index: &Operand, ptr: Value, slot: Value, owned: bool) {
        let (Operand::Local(a), Operand::Local(i)) = (*array, *index) else { return };
        let i = self.copy_of(i);
        self.elements.list.retain(|e| !(e.array == a && e.index == i));
        self.elements.list.push(Element { array: a, index: i, ptr, slot, owned });
    }

    /// A write through element `index` of `array` is about to replace its
    /// pointer if it is shared: another index may name the same element,
    /// so entries of `array` whose element is not known to be its own go
    /// (an owned one is not copied, so its pointer stays).
    pub(super) fn forget_shared_elements(&mut self, array: &Operand) {
        if let Operand::Local(a) = *array {
            self.elements.list.retain(|e| e.array != a || e.owned);
        }
    }

    /// The root `array` of a write may be copied (when it is not known
    /// unique): its elements then gain a reference each, so none is known
    /// to be its own any more.
    pub(super) fn forget_owned_elements(&mut self, array: &Operand) {
        if let Operand::Local(a) = *array {
            self.elements.list.retain(|e| e.array != a);
        }
    }

    /// Drops what `kind` may make untrue, before it is translated.
    pub(super) fn forget_elements(&mut self, kind: &InstKind) {
        let keeps = match kind {
            InstKind::Copy { .. }
            | InstKind::Unary { .. }
            | InstKind::Binary { .. }
            | InstKind::Cmp { .. }
            | InstKind::Convert { .. }
            | InstKind::Select { .. }
            | InstKind::TextConst { .. }
            | InstKind::GlobalGet { .. }
            | InstKind::SlotAddr { .. }
            | InstKind::Checkpoint
            | InstKind::CountingSteps { .. }
            // Host memory is no object's storage.
            | InstKind::Host { .. } => true,
            // A text holds no element storage, and a local's reference to
            // one cannot be what keeps an array's element alive.
            InstKind::Retain { value } | InstKind::Release { value } => self.local_ty(*value) == mir::Ty::Text,
            // A read keeps everything; a path write keeps its entries up
            // to date itself (`set_path`).
            InstKind::Data { op: DataOp::Get, .. } => true,
            InstKind::Data { op: DataOp::Set, args, .. } if args.len() > 3 => true,
            // A write to a map entry a read found changes no other entry
            // (`map` takes that path only while the map is unique).
            InstKind::Data { op: DataOp::Set | DataOp::Put, args, .. } => {
                self.known_map_slot(&args[0], &args[1]).is_some() && self.known_unique(&args[0])
            }
            _ => false,
        };
        if !keeps {
            self.elements.clear();
            return;
        }
        if let Some(d) = kind.dst() {
            let known = &mut self.elements;
            known.list.retain(|e| e.array != d && e.index != d);
            known.map_slots.retain(|s| s.map != d && s.key != d);
            known.copies.retain(|(c, of)| *c != d && *of != d);
            if let InstKind::Copy { src: Operand::Local(s), .. } = kind {
                let of = self.copy_of(*s);
                self.elements.copies.push((d, of));
            }
        }
    }
}
