//! Paths through nested arrays and records, as in
//! `backend::cranelift::paths`: `aget a, k1, k2, ...` reads each part in
//! turn and holds none of them; `aset a, k1, ..., kn, v` writes in place,
//! each part on the way first made the storage of its own (a load and a
//! compare when it is; a copy by the runtime, stored back in its slot,
//! when it is shared). Maps on a path are read by lookup; a write through
//! a map goes by `atake`/`aput` instead.

use inkwell::values::{BasicValueEnum, IntValue, PointerValue};

use super::function::Translator;
use crate::backend::CodegenError;
use crate::backend::lowering::{MirView, field_number, field_offset};
use crate::mir::{self, ObjTy, Operand, Ty};

impl<'ctx> Translator<'_, 'ctx> {
    /// `x = aget a, k1, k2, ...`: the result is borrowed from `a`.
    pub(super) fn get_path(&self, dst: Option<mir::Local>, args: &[Operand], line: u32) -> Result<(), CodegenError> {
        let mut cur = self.ty_of(&args[0]);
        let mut v: BasicValueEnum<'ctx> = self.operand(&args[0])?;
        for key in &args[1..] {
            let obj = cur.obj().ok_or_else(|| self.invariant(format!("a path through a {cur}")))?;
            let p = v.into_int_value();
            (cur, v) = if let Some(fields) = obj.fields() {
                let Some((k, f)) = field_number(obj, key) else {
                    return Err(self.invariant(format!("a path into a {} without a field number", obj.name())));
                };
                (f, self.load_field(p, k, f, fields.len())?)
            } else if let Some((kt, vt)) = obj.map_types() {
                let k = self.element_bits(self.operand(key)?, kt)?;
                let ty = self.i64(obj.addr() as i64);
                let bits = self.helper_checked(self.helpers.map.map_get, &[self.ctx, ty, p, k], line)?;
                (vt, self.word_to_value(bits, vt)?)
            } else {
                let elem = obj.elem().ok_or_else(|| self.invariant(format!("a path through a {cur}")))?;
                let at = self.element_at(p, self.int(key)?, elem, line)?;
                (elem, self.load_slot(at, elem)?)
            };
        }
        self.set_result(dst, Some(v))
    }

    /// `aset a, k1, ..., kn, v` over arrays and records.
    pub(super) fn set_path(&self, args: &[Operand], line: u32) -> Result<(), CodegenError> {
        let (value, keys) = args[1..].split_last().ok_or_else(|| self.invariant("aset without a value"))?;
        let root = self.ty_of(&args[0]).obj().ok_or_else(|| self.invariant("aset of a path into a scalar"))?;
        let mut cur = if root.fields().is_some() {
            self.own_record(&args[0], root, line)?
        } else {
            let p = self.int(&args[0])?;
            let p = self
                .own_object(p, self.helpers.array.array_unique, root, line, false, |t, q| t.set_operand(&args[0], q))?;
            self.set_operand(&args[0], p)?;
            p
        };
        let mut obj = root;
        let (last, path) = keys.split_last().ok_or_else(|| self.invariant("aset without a key"))?;
        for key in path {
            let (slot, part) = self.slot_of(cur, obj, key, line)?;
            let part = part.obj().ok_or_else(|| self.invariant("a path through a scalar"))?;
            let child = self.load_slot(slot, Ty::Obj(part))?.into_int_value();
            cur = self.own_in_slot(child, part, slot, line)?;
            obj = part;
        }
        let (slot, t) = self.slot_of(cur, obj, last, line)?;
        self.replace_element(slot, t, self.operand(value)?, false)
    }

    /// The address of the slot `key` names in the object `p` of type
    /// `obj`, and the slot's type: an element (null and bounds checked) or
    /// a field (a record on a write path is never NULL).
    fn slot_of(
        &self,
        p: IntValue<'ctx>,
        obj: ObjTy,
        key: &Operand,
        line: u32,
    ) -> Result<(PointerValue<'ctx>, Ty), CodegenError> {
        if obj.fields().is_some() {
            let Some((k, t)) = field_number(obj, key) else {
                return Err(self.invariant(format!("a path into a {} without a field number", obj.name())));
            };
            return Ok((self.at(p, field_offset(k))?, t));
        }
        let elem = obj.elem().ok_or_else(|| self.invariant(format!("an in-place path through a {}", obj.name())))?;
        Ok((self.element_at(p, self.int(key)?, elem, line)?, elem))
    }

    /// The part `p` (of type `obj`, in the slot at `slot`) with storage of
    /// its own: `p` when it has one reference, else the runtime's copy (a
    /// new zero record for NULL), stored in the slot.
    fn own_in_slot(
        &self,
        p: IntValue<'ctx>,
        obj: ObjTy,
        slot: PointerValue<'ctx>,
        line: u32,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let h = self.helpers.array;
        let unique = if obj.fields().is_some() { h.record_unique } else { h.array_unique };
        // The slot's reference went to the copy (or the same part).
        self.own_object(p, unique, obj, line, true, |t, q| t.store_slot(slot, q.into()))
    }
}
