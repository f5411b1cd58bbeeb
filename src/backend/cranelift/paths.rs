//! Paths through nested arrays and records: `aget a, k1, k2, ...` reads
//! each part in turn and holds none of them; `aset a, k1, ..., kn, v`
//! writes in place, each part on the way first made the storage of its
//! own (a load and a compare when it is; a copy by the runtime, stored
//! back in its slot, when it is shared). Maps on a path are read by
//! lookup; a write through a map goes by `atake`/`aput` instead.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{BlockArg, InstBuilder, Value, types};

use super::function::Translator;
use super::regions::Part;
use super::types::clif_type;
use crate::abi;
use crate::backend::CodegenError;
use crate::backend::lowering::MirView;
use crate::backend::lowering::{field_number, field_offset};
use crate::mir::{self, ObjTy, Operand, Ty};

const I64: types::Type = types::I64;

impl Translator<'_, '_> {
    /// `x = aget a, k1, k2, ...`: each step is the part's own read (a
    /// checked element load, a field load, a map lookup), and no part on
    /// the way is retained: the result is borrowed from `a`, as one step's.
    pub(super) fn get_path(
        &mut self,
        dst: Option<mir::Local>,
        args: &[Operand],
        line: u32,
    ) -> Result<(), CodegenError> {
        let mut cur = self.ty_of(&args[0]);
        let mut v = self.operand(&args[0]);
        let mut len = self.known_len(&args[0]);
        let mut start = 1;
        let mut non_null = false;
        if let Some(e) = self.known_element(&args[0], &args[1]) {
            cur = cur.obj().and_then(|o| o.elem()).ok_or_else(|| self.invariant("a remembered element"))?;
            (v, non_null, start) = (e.ptr, e.owned, 2);
        }
        for (n, key) in args.iter().enumerate().skip(start) {
            let obj = cur.obj().ok_or_else(|| self.invariant(format!("a path through a {cur}")))?;
            let (next, value) = if let Some(fields) = obj.fields() {
                let Some((k, f)) = field_number(obj, key) else {
                    return Err(self.invariant(format!("a path into a {} without a field number", obj.name())));
                };
                let value = if std::mem::take(&mut non_null) {
                    self.field_value(v, k, f)
                } else {
                    self.load_field(v, k, f, fields.len())
                };
                (f, value)
            } else if let Some((kt, vt)) = obj.map_types() {
                let ty = self.b.ins().iconst(I64, obj.addr() as i64);
                let k = self.operand(key);
                let k = self.element_bits(k, kt);
                let get = self.helpers.map.map_get;
                let bits = self.helper_checked(get, &[I64, I64, I64, I64], &[self.ctx, ty, v, k], line);
                (vt, self.word_to_value(bits, vt))
            } else {
                let elem = obj.elem().ok_or_else(|| self.invariant(format!("a path through a {cur}")))?;
                let i = self.operand(key);
                let at = self.element_at(v, i, len, elem, line);
                let value = self.b.ins().load(clif_type(elem), self.regions.flags(Part::Slot(elem)), at, 0);
                if n == 1 && elem.obj().is_some() && args.len() > 2 {
                    self.remember_element(&args[0], key, value, at, false);
                }
                (elem, value)
            };
            cur = next;
            v = value;
            len = None;
        }
        self.set_result(dst, Some(v))
    }

    /// `aset a, k1, ..., kn, v` over arrays and records.
    pub(super) fn set_path(&mut self, args: &[Operand], line: u32) -> Result<(), CodegenError> {
        let (value, keys) = args[1..].split_last().ok_or_else(|| self.invariant("aset without a value"))?;
        let root = self.ty_of(&args[0]).obj().ok_or_else(|| self.invariant("aset of a path into a scalar"))?;
        let ty_addr = self.b.ins().iconst(I64, root.addr() as i64);
        if !self.known_unique(&args[0]) {
            self.forget_owned_elements(&args[0]);
        }
        let mut cur = if root.fields().is_some() {
            self.own_record(&args[0], ty_addr, line)?
        } else {
            self.own_storage(args, ty_addr, line)?
        };
        let mut obj = root;
        let mut len = self.known_len(&args[0]);
        let (last, path) = keys.split_last().ok_or_else(|| self.invariant("aset without a key"))?;
        let mut path = path.iter();
        if let Some(e) = self.known_element(&args[0], &args[1]) {
            // Checked and loaded already; owned already, or made so here.
            let part = obj.elem().and_then(|t| t.obj()).ok_or_else(|| self.invariant("a remembered element"))?;
            cur = if e.owned {
                e.ptr
            } else {
                self.forget_shared_elements(&args[0]);
                let q = self.own_in_slot(e.ptr, part, e.slot, 0, line);
                self.remember_element(&args[0], &args[1], q, e.slot, true);
                q
            };
            (obj, len) = (part, None);
            path.next();
        }
        for (n, key) in path.enumerate() {
            let (slot, offset, part) = self.slot_of(cur, obj, key, len.take(), line)?;
            let part = part.obj().ok_or_else(|| self.invariant("a path through a scalar"))?;
            let child = self.b.ins().load(I64, self.regions.flags(Part::Slot(Ty::Obj(part))), slot, offset);
            if n == 0 && obj.elem().is_some() {
                self.forget_shared_elements(&args[0]);
            }
            cur = self.own_in_slot(child, part, slot, offset, line);
            if n == 0 && obj.elem().is_some() && obj == root && offset == 0 {
                self.remember_element(&args[0], key, cur, slot, true);
            }
            obj = part;
        }
        let (slot, offset, t) = self.slot_of(cur, obj, last, len, line)?;
        let v = self.operand(value);
        self.replace_element(slot, offset, t, v, false)
    }

    /// The address (and offset) of the slot `key` names in the object `p`
    /// of type `obj`, and the slot's type: an element (null and bounds
    /// checked, against `len` when it is known) or a field (a record on a
    /// write path is never NULL).
    fn slot_of(
        &mut self,
        p: Value,
        obj: ObjTy,
        key: &Operand,
        len: Option<Value>,
        line: u32,
    ) -> Result<(Value, i32, Ty), CodegenError> {
        if obj.fields().is_some() {
            let Some((k, t)) = field_number(obj, key) else {
                return Err(self.invariant(format!("a path into a {} without a field number", obj.name())));
            };
            return Ok((p, field_offset(k), t));
        }
        let elem = obj.elem().ok_or_else(|| self.invariant(format!("an in-place path through a {}", obj.name())))?;
        let i = self.operand(key);
        Ok((self.element_at(p, i, len, elem, line), 0, elem))
    }

    /// The part `p` (of type `obj`, in the slot at `slot + offset`) with
    /// storage of its own: `p` when it has one reference, else the
    /// runtime's copy (a new zero record for NULL), stored in the slot.
    fn own_in_slot(&mut self, p: Value, obj: ObjTy, slot: Value, offset: i32, line: u32) -> Value {
        let h = self.helpers.array;
        let unique = if obj.fields().is_some() { h.record_unique } else { h.array_unique };
        let ty_addr = self.b.ins().iconst(I64, obj.addr() as i64);
        // The slot's reference went to the copy (or the same part).
        self.own_object(p, unique, ty_addr, line, |t, q| {
            let flags = t.regions.flags(Part::Slot(Ty::Obj(obj)));
            t.b.ins().store(flags, q, slot, offset);
        })
    }

    /// `p` when it is not NULL and has one reference (a load and a
    /// compare), else what the runtime's `unique` makes of it, which
    /// `keep` stores where `p` came from.
    pub(super) fn own_object(
        &mut self,
        p: Value,
        unique: usize,
        ty_addr: Value,
        line: u32,
        keep: impl FnOnce(&mut Self, Value),
    ) -> Value {
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        self.b.set_cold_block(slow);
        let not_null = self.b.create_block();
        self.b.ins().brif(p, not_null, &[], slow, &[]);
        self.b.switch_to_block(not_null);
        let refs = self.b.ins().load(I64, self.regions.flags(Part::Header), p, abi::ARRAY_REFS);
        let one = self.b.ins().icmp_imm_s(IntCC::Equal, refs, 1);
        self.b.ins().brif(one, done, &[BlockArg::Value(p)], slow, &[]);
        self.b.switch_to_block(slow);
        let q = self.cold_call(unique, &[ty_addr, p]);
        keep(self, q);
        self.check_recorded(line);
        self.b.ins().jump(done, &[BlockArg::Value(q)]);
        self.b.switch_to_block(done);
        self.b.block_params(done)[0]
    }
}
