//! The data operations: element reads and writes inline (a null check, a
//! bounds check and a load or store; a write first checks that the storage
//! is not shared), everything that allocates through the array helpers.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, Value, types};

use super::function::Translator;
use super::regions::Part;
use super::types::clif_type;
use crate::abi::{self, ErrKind};
use crate::backend::CodegenError;
use crate::backend::lowering::{DataTarget, MirView, Op};
use crate::mir::{self, DataOp, ObjTy, Operand, Ty};

const I64: types::Type = types::I64;

impl Translator<'_, '_> {
    pub(super) fn data(&mut self, i: Op<'_, DataOp>) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let h = self.helpers.array;
        let Some((obj, elem)) = self.data_elsewhere(i)? else { return Ok(()) };
        let ty_addr = self.b.ins().iconst(I64, obj.addr() as i64);
        let vals: Vec<Value> = args.iter().map(|a| self.operand(a)).collect();
        let result = match op {
            DataOp::New => {
                Some(self.helper_checked(h.array_new, &[I64, I64, I64], &[self.ctx, ty_addr, vals[0]], line))
            }
            DataOp::Get => {
                let len = self.known_len(&args[0]);
                let at = self.element_at(vals[0], vals[1], len, elem, line);
                Some(self.b.ins().load(clif_type(elem), self.regions.flags(Part::Slot(elem)), at, 0))
            }
            DataOp::Set | DataOp::Put => {
                let p = self.own_storage(args, ty_addr, line)?;
                let len = self.known_len(&args[0]);
                let at = self.element_at(p, vals[1], len, elem, line);
                self.replace_element(at, 0, elem, vals[2], op == DataOp::Put)?;
                if op == DataOp::Put {
                    self.moved_out(&args[2], elem);
                }
                None
            }
            DataOp::Push => {
                self.push(args, elem, ty_addr, vals[1], line)?;
                None
            }
            DataOp::Pop => {
                let p = self.own_storage(args, ty_addr, line)?;
                Some(self.pop(p, elem, line))
            }
            DataOp::Take => {
                let p = self.own_storage(args, ty_addr, line)?;
                let len = self.known_len(&args[0]);
                let at = self.element_at(p, vals[1], len, elem, line);
                let slot = self.regions.flags(Part::Slot(elem));
                let v = self.b.ins().load(clif_type(elem), slot, at, 0);
                let zero = super::function::zero(&mut self.b, elem);
                self.b.ins().store(slot, zero, at, 0);
                Some(v)
            }
            DataOp::Slice => Some(self.helper_checked(
                h.array_slice,
                &[I64, I64, I64, I64],
                &[self.ctx, vals[0], vals[1], vals[2]],
                line,
            )),
            DataOp::Repeat => {
                Some(self.helper_checked(h.array_repeat, &[I64, I64, I64], &[self.ctx, vals[0], vals[1]], line))
            }
            DataOp::Record
            | DataOp::Has
            | DataOp::Del
            | DataOp::Keys
            | DataOp::Values
            | DataOp::Print
            | DataOp::Own => None,
        };
        self.set_result(dst, result)
    }

    /// Translates the operations that are not on an array (`print`, paths,
    /// `aown`, records, maps); for an array, says its type and element.
    fn data_elsewhere(&mut self, i: Op<'_, DataOp>) -> Result<Option<(ObjTy, Ty)>, CodegenError> {
        let Op { dst, op, args, line } = i;
        if op == DataOp::Own {
            return self.own(args, line).map(|()| None);
        }
        match self.data_target(op, dst, args)? {
            DataTarget::Print => {
                let t = self.operand(&args[0]);
                self.call_helper_void(self.helpers.array.print, &[I64, I64], &[self.ctx, t]);
            }
            DataTarget::GetPath => self.get_path(dst, args, line)?,
            DataTarget::SetPath => self.set_path(args, line)?,
            DataTarget::Record(rec) => self.record(i, rec)?,
            DataTarget::Map { map, key, value } => self.map(i, map, (key, value))?,
            DataTarget::Array { array, elem } => return Ok(Some((array, elem))),
        }
        Ok(None)
    }

    /// Stores a data operation's result, when it has one.
    pub(super) fn set_result(&mut self, dst: Option<mir::Local>, result: Option<Value>) -> Result<(), CodegenError> {
        if let (Some(d), Some(v)) = (dst, result) {
            self.set(d, v);
        }
        Ok(())
    }

    /// Calls a runtime helper that returns a word, and fails with what it
    /// recorded, if anything.
    pub(super) fn helper_checked(&mut self, addr: usize, params: &[ir::Type], args: &[Value], line: u32) -> Value {
        let v = self.call_helper(addr, params, I64, args);
        self.check_recorded(line);
        v
    }

    /// Goes to the error exit, keeping the kind a helper recorded, when
    /// there is one.
    pub(super) fn check_recorded(&mut self, line: u32) {
        let kind = self.b.ins().load(types::I32, MemFlagsData::trusted(), self.ctx, abi::CTX_ERR_KIND);
        let l = self.b.ins().iconst(types::I32, i64::from(line as i32));
        let next = self.b.create_block();
        let err = self.err_block();
        self.b.ins().brif(kind, err, &[BlockArg::Value(kind), BlockArg::Value(l)], next, &[]);
        self.b.switch_to_block(next);
    }

    fn set_array(&mut self, args: &[Operand], p: Value) -> Result<(), CodegenError> {
        match args[0] {
            Operand::Local(l) => {
                self.set(l, p);
                Ok(())
            }
            Operand::Const(_) => Err(self.invariant("a data operation changes a constant")),
        }
    }

    /// The array in `args[0]` with storage of its own (a copy, made by the
    /// helper, only when it is shared), stored back in its local; no check
    /// when it is known to be its own.
    pub(super) fn own_storage(&mut self, args: &[Operand], ty_addr: Value, line: u32) -> Result<Value, CodegenError> {
        let p = self.operand(&args[0]);
        if self.known_unique(&args[0]) {
            return Ok(p);
        }
        let shared = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        let not_null = self.b.create_block();
        self.b.ins().brif(p, not_null, &[], done, &[BlockArg::Value(p)]);
        self.b.switch_to_block(not_null);
        let refs = self.b.ins().load(I64, self.regions.flags(Part::Header), p, abi::ARRAY_REFS);
        let one = self.b.ins().icmp_imm_s(IntCC::Equal, refs, 1);
        self.b.ins().brif(one, done, &[BlockArg::Value(p)], shared, &[]);
        self.b.set_cold_block(shared);
        self.b.switch_to_block(shared);
        let unique = self.helpers.array.array_unique;
        let q = self.cold_call(unique, &[ty_addr, p]);
        self.set_array(args, q)?;
        self.check_recorded(line);
        self.b.ins().jump(done, &[BlockArg::Value(q)]);
        self.b.switch_to_block(done);
        let p = self.b.block_params(done)[0];
        self.set_array(args, p)?;
        Ok(p)
    }

    /// The address of element `i` of array `p`, after checking that `p` is
    /// not empty (NULL) and `i` is below its length: `len`, when it is
    /// known (0 for NULL), else loaded.
    pub(super) fn element_at(&mut self, p: Value, i: Value, len: Option<Value>, elem: Ty, line: u32) -> Value {
        let out = self.b.create_block();
        self.b.append_block_param(out, I64);
        self.b.set_cold_block(out);
        let len = match len {
            Some(len) => len,
            None => {
                let not_null = self.b.create_block();
                let zero = self.b.ins().iconst(I64, 0);
                self.b.ins().brif(p, not_null, &[], out, &[BlockArg::Value(zero)]);
                self.b.switch_to_block(not_null);
                self.b.ins().load(I64, self.regions.flags(Part::Header), p, abi::ARRAY_LEN)
            }
        };
        let outside = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, i, len);
        let inside = self.b.create_block();
        self.b.ins().brif(outside, out, &[BlockArg::Value(len)], inside, &[]);

        self.b.switch_to_block(out);
        let len = self.b.block_params(out)[0];
        // Through the register-preserving stub: the values the exit still
        // needs stay where the hot path keeps them.
        let index_error = self.helpers.array.index_error;
        self.cold_call(index_error, &[i, len]);
        self.jump_to_error_exit(ErrKind::IndexOutOfRange, line);

        self.b.switch_to_block(inside);
        let size = i64::from(elem.bits() / 8);
        let offset = if size == 1 { i } else { self.b.ins().imul_imm_s(i, size) };
        let base = self.b.ins().iadd(p, offset);
        self.b.ins().iadd_imm_s(base, i64::from(abi::ARRAY_DATA))
    }

    /// Stores `v` at `at + offset` and drops the old value's reference;
    /// a managed `v` gets a reference of its own unless it is `moved` in
    /// (its local then gives up its reference: see [`Self::moved_out`]).
    pub(super) fn replace_element(
        &mut self,
        at: Value,
        offset: i32,
        elem: Ty,
        v: Value,
        moved: bool,
    ) -> Result<(), CodegenError> {
        let flags = self.regions.flags(Part::Slot(elem));
        if !elem.is_managed() {
            self.b.ins().store(flags, v, at, offset);
            return Ok(());
        }
        let h = *self.helpers.managed(elem).ok_or_else(|| self.invariant(format!("{elem} is not managed")))?;
        if !moved {
            self.call_helper_void(h.retain, &[I64], &[v]);
        }
        let old = self.b.ins().load(I64, flags, at, offset);
        self.b.ins().store(flags, v, at, offset);
        // Usually zero (atake left it so): no call then.
        let release = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().brif(old, release, &[], done, &[]);
        self.b.switch_to_block(release);
        self.call_helper_void(h.release, &[I64], &[old]);
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// The local `x` of an `aput` gave its reference away: it now holds
    /// its type's zero value.
    pub(super) fn moved_out(&mut self, x: &Operand, t: Ty) {
        if let (Operand::Local(l), true) = (x, t.is_managed()) {
            let zero = super::function::zero(&mut self.b, t);
            self.set(*l, zero);
        }
    }

    /// `apush`: a scalar element is stored inline when the storage is the
    /// array's own (known, or one reference) and has room (one block of compares), else the helper
    /// grows or copies the array.
    fn push(&mut self, args: &[Operand], elem: Ty, ty_addr: Value, x: Value, line: u32) -> Result<(), CodegenError> {
        let p = self.operand(&args[0]);
        let slow = self.b.create_block();
        let done = self.b.create_block();
        self.b.set_cold_block(slow);
        if !elem.is_managed() {
            let flags = self.regions.flags(Part::Header);
            let (has_storage, own, has_room) = (self.b.create_block(), self.b.create_block(), self.b.create_block());
            self.b.ins().brif(p, has_storage, &[], slow, &[]);
            self.b.switch_to_block(has_storage);
            if self.known_unique(&args[0]) {
                self.b.ins().jump(own, &[]);
            } else {
                let refs = self.b.ins().load(I64, flags, p, abi::ARRAY_REFS);
                let one = self.b.ins().icmp_imm_s(IntCC::Equal, refs, 1);
                self.b.ins().brif(one, own, &[], slow, &[]);
            }
            self.b.switch_to_block(own);
            let len = self.b.ins().load(I64, flags, p, abi::ARRAY_LEN);
            let cap = self.b.ins().load(I64, flags, p, abi::ARRAY_CAP);
            let room = self.b.ins().icmp(IntCC::UnsignedLessThan, len, cap);
            self.b.ins().brif(room, has_room, &[], slow, &[]);
            self.b.switch_to_block(has_room);
            let size = i64::from(elem.bits() / 8);
            let offset = if size == 1 { len } else { self.b.ins().imul_imm_s(len, size) };
            let at = self.b.ins().iadd(p, offset);
            self.b.ins().store(self.regions.flags(Part::Slot(elem)), x, at, abi::ARRAY_DATA);
            let longer = self.b.ins().iadd_imm_s(len, 1);
            self.b.ins().store(flags, longer, p, abi::ARRAY_LEN);
            self.b.ins().jump(done, &[]);
        } else {
            self.b.ins().jump(slow, &[]);
        }
        self.b.switch_to_block(slow);
        let bits = self.element_bits(x, elem);
        let push = self.helpers.array.array_push;
        let q = self.cold_call(push, &[ty_addr, p, bits]);
        self.check_recorded(line);
        self.set_array(args, q)?;
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// Removes the last element of `p` (whose storage is its own) and
    /// gives it, with its reference, as the result.
    fn pop(&mut self, p: Value, elem: Ty, line: u32) -> Value {
        let empty = self.b.create_block();
        self.b.set_cold_block(empty);
        let not_null = self.b.create_block();
        self.b.ins().brif(p, not_null, &[], empty, &[]);
        self.b.switch_to_block(not_null);
        let len = self.b.ins().load(I64, self.regions.flags(Part::Header), p, abi::ARRAY_LEN);
        let some = self.b.create_block();
        self.b.ins().brif(len, some, &[], empty, &[]);

        self.b.switch_to_block(empty);
        let kind = self.b.ins().iconst(types::I32, ErrKind::PopEmpty as i64);
        let l = self.b.ins().iconst(types::I32, i64::from(line as i32));
        let err = self.err_block();
        self.b.ins().jump(err, &[BlockArg::Value(kind), BlockArg::Value(l)]);

        self.b.switch_to_block(some);
        let last = self.b.ins().iadd_imm_s(len, -1);
        self.b.ins().store(self.regions.flags(Part::Header), last, p, abi::ARRAY_LEN);
        let size = i64::from(elem.bits() / 8);
        let offset = if size == 1 { last } else { self.b.ins().imul_imm_s(last, size) };
        let base = self.b.ins().iadd(p, offset);
        self.b.ins().load(clif_type(elem), self.regions.flags(Part::Slot(elem)), base, abi::ARRAY_DATA)
    }

    /// A value of type `t` from the i64 word a helper returned.
    pub(super) fn word_to_value(&mut self, bits: Value, t: Ty) -> Value {
        match t {
            Ty::F64 => self.b.ins().bitcast(types::F64, MemFlagsData::new(), bits),
            Ty::F32 => {
                let low = self.b.ins().ireduce(types::I32, bits);
                self.b.ins().bitcast(types::F32, MemFlagsData::new(), low)
            }
            t if t.bits() < 64 => self.b.ins().ireduce(clif_type(t), bits),
            _ => bits,
        }
    }

    /// A value's bits in an i64, as the helpers take an element.
    pub(super) fn element_bits(&mut self, v: Value, t: Ty) -> Value {
        match t {
            Ty::F64 => self.b.ins().bitcast(I64, MemFlagsData::new(), v),
            Ty::F32 => {
                let bits = self.b.ins().bitcast(types::I32, MemFlagsData::new(), v);
                self.b.ins().uextend(I64, bits)
            }
            t if t.bits() < 64 => self.b.ins().uextend(I64, v),
            _ => v,
        }
    }

    /// `helper(ctx, words...)` (two or three words) through the
    /// register-preserving stub (`cold_call`): for a slow path that goes
    /// back to hot code.
    pub(super) fn cold_call(&mut self, helper: usize, words: &[Value]) -> Value {
        let (sig, stub) = self.cold_call_stubs[usize::from(words.len() == 3)];
        let stub = self.b.ins().iconst(I64, stub as i64);
        let helper = self.b.ins().iconst(I64, helper as i64);
        let mut args = vec![self.ctx];
        args.extend_from_slice(words);
        args.push(helper);
        self.b.ins().call_indirect(sig, stub, &args);
        self.b.ins().load(I64, MemFlagsData::trusted(), self.ctx, abi::CTX_COLD_RESULT)
    }

    /// The length of array `p` (0 for NULL, the empty array).
    pub(super) fn array_len(&mut self, p: Value) -> Value {
        let not_null = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, I64);
        let zero = self.b.ins().iconst(I64, 0);
        self.b.ins().brif(p, not_null, &[], done, &[BlockArg::Value(zero)]);
        self.b.switch_to_block(not_null);
        let len = self.b.ins().load(I64, self.regions.flags(Part::Header), p, abi::ARRAY_LEN);
        self.b.ins().jump(done, &[BlockArg::Value(len)]);
        self.b.switch_to_block(done);
        self.b.block_params(done)[0]
    }

    /// `a + b` of two arrays: a new array.
    pub(super) fn array_concat(&mut self, x: Value, y: Value, line: u32) -> Value {
        let concat = self.helpers.array.array_concat;
        self.helper_checked(concat, &[I64, I64, I64], &[self.ctx, x, y], line)
    }

    /// `a == b` of two arrays of type `t` (element by element).
    pub(super) fn array_equal(&mut self, t: Ty, x: Value, y: Value) -> Result<Value, CodegenError> {
        let obj = t.obj().ok_or_else(|| self.invariant(format!("array comparison of a {t}")))?;
        let ty_addr = self.b.ins().iconst(I64, obj.addr() as i64);
        let equal = self.helpers.array.array_equal;
        Ok(self.call_helper(equal, &[I64, I64, I64], types::I8, &[ty_addr, x, y]))
    }

    /// `str` of an array of type `t`: a new text.
    pub(super) fn array_text(&mut self, t: Ty, x: Value, line: u32) -> Result<Value, CodegenError> {
        let obj = t.obj().ok_or_else(|| self.invariant(format!("str of a {t}")))?;
        let ty_addr = self.b.ins().iconst(I64, obj.addr() as i64);
        let to_text = self.helpers.array.obj_to_text;
        Ok(self.helper_checked(to_text, &[I64, I64, I64], &[self.ctx, ty_addr, x], line))
    }
}
