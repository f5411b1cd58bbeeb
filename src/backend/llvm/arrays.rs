//! The data operations on arrays, as in `backend::cranelift::arrays`:
//! element reads and writes inline (a null check, a bounds check and a
//! load or store; a write first checks that the storage is not shared),
//! everything that allocates through the array helpers. Records, maps,
//! paths and `print` are dispatched from here to their modules.
//!
//! Cranelift's translation also carries what `mir::storage` proved
//! (storage known to be unique, lengths fixed in a loop) to drop checks;
//! this one checks every time and leaves redundant loads and compares to
//! LLVM's GVN and LICM.

use inkwell::IntPredicate;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicValue, BasicValueEnum, IntValue, PointerValue};

use super::function::{Translator, llvm_type, zero};
use crate::abi::{self, ErrKind};
use crate::backend::CodegenError;
use crate::backend::lowering::{DataTarget, MirView, Op};
use crate::mir::{self, DataOp, ObjTy, Operand, Ty};

impl<'ctx> Translator<'_, 'ctx> {
    pub(super) fn data(&self, i: Op<'_, DataOp>) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let (obj, elem) = match self.data_target(op, dst, args)? {
            DataTarget::Print => {
                let t = self.int(&args[0])?;
                self.helper(self.helpers.array.print, &[self.ctx, t], false)?;
                return Ok(());
            }
            DataTarget::GetPath => return self.get_path(dst, args, line),
            DataTarget::SetPath => return self.set_path(args, line),
            DataTarget::Record(rec) => return self.record(i, rec),
            DataTarget::Map { map, key, value } => return self.map(i, map, (key, value)),
            DataTarget::Array { array, elem } => (array, elem),
        };
        let h = self.helpers.array;
        let ty_addr = self.i64(obj.addr() as i64);
        let result: Option<BasicValueEnum<'ctx>> = match op {
            DataOp::New => {
                Some(self.helper_checked(h.array_new, &[self.ctx, ty_addr, self.int(&args[0])?], line)?.into())
            }
            DataOp::Get => {
                let at = self.element_at(self.int(&args[0])?, self.int(&args[1])?, elem, line)?;
                Some(self.load_slot(at, elem)?)
            }
            DataOp::Set | DataOp::Put => {
                let p = self.own_storage(&args[0], obj, line)?;
                let at = self.element_at(p, self.int(&args[1])?, elem, line)?;
                self.replace_element(at, elem, self.operand(&args[2])?, op == DataOp::Put)?;
                if op == DataOp::Put {
                    self.moved_out(&args[2], elem)?;
                }
                None
            }
            DataOp::Push => {
                self.push(&args[0], obj, elem, self.operand(&args[1])?, line)?;
                None
            }
            DataOp::Pop => {
                let p = self.own_storage(&args[0], obj, line)?;
                Some(self.pop(p, elem, line)?)
            }
            DataOp::Take => {
                let p = self.own_storage(&args[0], obj, line)?;
                let at = self.element_at(p, self.int(&args[1])?, elem, line)?;
                let v = self.load_slot(at, elem)?;
                self.store_slot(at, zero(self.cx, elem))?;
                Some(v)
            }
            DataOp::Own => {
                self.own_storage(&args[0], obj, line)?;
                None
            }
            DataOp::Slice => {
                let (p, i, j) = (self.int(&args[0])?, self.int(&args[1])?, self.int(&args[2])?);
                Some(self.helper_checked(h.array_slice, &[self.ctx, p, i, j], line)?.into())
            }
            DataOp::Repeat => {
                let (p, n) = (self.int(&args[0])?, self.int(&args[1])?);
                Some(self.helper_checked(h.array_repeat, &[self.ctx, p, n], line)?.into())
            }
            _ => return Err(self.invariant(format!("{} of an array", op.name()))),
        };
        self.set_result(dst, result)
    }

    pub(super) fn set_result(
        &self,
        dst: Option<mir::Local>,
        v: Option<BasicValueEnum<'ctx>>,
    ) -> Result<(), CodegenError> {
        match (dst, v) {
            (Some(d), Some(v)) => self.set(d, v),
            _ => Ok(()),
        }
    }

    /// Calls a helper taking and (when `returns`) returning words.
    pub(super) fn helper(
        &self,
        addr: usize,
        args: &[IntValue<'ctx>],
        returns: bool,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let w = self.cx.i64_type().into();
        let params = vec![w; args.len()];
        let vals: Vec<_> = args.iter().map(|a| (*a).into()).collect();
        let r = self.call_helper(addr, &params, returns.then_some(w), &vals)?;
        Ok(r.map_or(self.i64(0), BasicValueEnum::into_int_value))
    }

    /// [`Self::helper`] returning a word, then failing with what it
    /// recorded, if anything.
    pub(super) fn helper_checked(
        &self,
        addr: usize,
        args: &[IntValue<'ctx>],
        line: u32,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let v = self.helper(addr, args, true)?;
        self.check_recorded(line)?;
        Ok(v)
    }

    /// A local's value replaced (a write gave it storage of its own).
    pub(super) fn set_operand(&self, o: &Operand, v: IntValue<'ctx>) -> Result<(), CodegenError> {
        match o {
            Operand::Local(l) => self.set(*l, v),
            Operand::Const(_) => Err(self.invariant("a data operation changes a constant")),
        }
    }

    /// The array in `a` with storage of its own (a copy, made by the
    /// helper, only when it is shared), stored back in its local.
    fn own_storage(&self, a: &Operand, obj: ObjTy, line: u32) -> Result<IntValue<'ctx>, CodegenError> {
        let p = self.int(a)?;
        let unique = self.helpers.array.array_unique;
        // NULL (the empty array) needs no storage of its own: writes check
        // bounds and push allocates.
        let p = self.own_object(p, unique, obj, line, false, |t, q| t.set_operand(a, q))?;
        self.set_operand(a, p)?;
        Ok(p)
    }

    /// `p` when it has one reference (a load and a compare), else what the
    /// runtime's `unique` makes of it, which `keep` stores where `p` came
    /// from. NULL goes to the runtime too when `null_too` (a record or map
    /// then gets one of its own), else stays as it is.
    pub(super) fn own_object(
        &self,
        p: IntValue<'ctx>,
        unique: usize,
        obj: ObjTy,
        line: u32,
        null_too: bool,
        keep: impl FnOnce(&Self, IntValue<'ctx>) -> Result<(), CodegenError>,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let (not_null, slow, done) = (self.block("not_null"), self.block("shared"), self.block("own"));
        let start = self.here()?;
        let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
        if null_too {
            self.branch_cold(is_null, slow, not_null)?;
        } else {
            self.b.build_conditional_branch(is_null, done, not_null)?;
        }
        self.b.position_at_end(not_null);
        let refs = self.load_word(p, abi::ARRAY_REFS)?;
        let shared = self.b.build_int_compare(IntPredicate::NE, refs, self.i64(1), "")?;
        self.branch_cold(shared, slow, done)?;
        self.b.position_at_end(slow);
        let q = self.helper(unique, &[self.ctx, self.i64(obj.addr() as i64), p], true)?;
        keep(self, q)?;
        self.check_recorded(line)?;
        let slow_end = self.here()?;
        self.b.build_unconditional_branch(done)?;
        self.b.position_at_end(done);
        let phi = self.b.build_phi(self.cx.i64_type(), "")?;
        phi.add_incoming(&[(&p, not_null), (&q, slow_end)]);
        if !null_too {
            phi.add_incoming(&[(&p, start)]);
        }
        Ok(phi.as_basic_value().into_int_value())
    }

    /// The address of element `i` of array `p`, after checking that `p` is
    /// not empty (NULL) and `i` is below its length.
    pub(super) fn element_at(
        &self,
        p: IntValue<'ctx>,
        i: IntValue<'ctx>,
        elem: Ty,
        line: u32,
    ) -> Result<PointerValue<'ctx>, CodegenError> {
        let (not_null, out, inside) = (self.block("not_null"), self.block("out_of_range"), self.block("in_range"));
        let start = self.here()?;
        let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
        self.branch_cold(is_null, out, not_null)?;
        self.b.position_at_end(not_null);
        let len = self.load_word(p, abi::ARRAY_LEN)?;
        let outside = self.b.build_int_compare(IntPredicate::UGE, i, len, "")?;
        self.branch_cold(outside, out, inside)?;
        self.b.position_at_end(out);
        let phi = self.b.build_phi(self.cx.i64_type(), "len")?;
        phi.add_incoming(&[(&self.i64(0), start), (&len, not_null)]);
        self.index_error(i, phi.as_basic_value().into_int_value(), line)?;
        self.b.position_at_end(inside);
        self.element_ptr(p, i, elem)
    }

    /// Records `index out of range` (with the index and length) and goes
    /// to the error exit; ends the current block.
    pub(super) fn index_error(&self, i: IntValue<'ctx>, len: IntValue<'ctx>, line: u32) -> Result<(), CodegenError> {
        self.helper(self.helpers.array.index_error, &[self.ctx, i, len], true)?;
        self.fail(ErrKind::IndexOutOfRange, line)
    }

    /// The address of element `i` of `p` (unchecked).
    fn element_ptr(&self, p: IntValue<'ctx>, i: IntValue<'ctx>, elem: Ty) -> Result<PointerValue<'ctx>, CodegenError> {
        let size = i64::from(elem.bits() / 8);
        let offset = if size == 1 { i } else { self.b.build_int_mul(i, self.i64(size), "")? };
        let at = self.b.build_int_add(p, offset, "")?;
        self.at(at, abi::ARRAY_DATA)
    }

    /// A value of type `t` at `at` (an element or field).
    pub(super) fn load_slot(&self, at: PointerValue<'ctx>, t: Ty) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let v = self.b.build_load(llvm_type(self.cx, t), at, "")?;
        if let Some(i) = v.as_instruction_value() {
            i.set_alignment(t.bits().div_ceil(8).max(1)).map_err(|e| self.invariant(e.to_string()))?;
        }
        Ok(v)
    }

    pub(super) fn store_slot(&self, at: PointerValue<'ctx>, v: BasicValueEnum<'ctx>) -> Result<(), CodegenError> {
        let bytes = match v.get_type() {
            BasicTypeEnum::IntType(t) => t.get_bit_width().div_ceil(8),
            BasicTypeEnum::FloatType(t) if t == self.cx.f32_type() => 4,
            _ => 8,
        };
        let st = self.b.build_store(at, v)?;
        st.set_alignment(bytes).map_err(|e| self.invariant(e.to_string()))
    }

    /// A word of the object at `p`.
    pub(super) fn load_word(&self, p: IntValue<'ctx>, offset: i32) -> Result<IntValue<'ctx>, CodegenError> {
        Ok(self.load_slot(self.at(p, offset)?, Ty::I64)?.into_int_value())
    }

    /// Stores `v` at `at` and drops the old value's reference; a managed
    /// `v` gets a reference of its own unless it is `moved` in.
    pub(super) fn replace_element(
        &self,
        at: PointerValue<'ctx>,
        elem: Ty,
        v: BasicValueEnum<'ctx>,
        moved: bool,
    ) -> Result<(), CodegenError> {
        if !elem.is_managed() {
            return self.store_slot(at, v);
        }
        let h = *self.helpers.managed(elem).ok_or_else(|| self.invariant(format!("{elem} is not managed")))?;
        if !moved {
            self.helper(h.retain, &[v.into_int_value()], false)?;
        }
        let old = self.load_slot(at, elem)?.into_int_value();
        self.store_slot(at, v)?;
        // Usually zero (atake left it so): no call then.
        let (release, done) = (self.block("release_old"), self.block("replaced"));
        let some = self.b.build_int_compare(IntPredicate::NE, old, self.i64(0), "")?;
        self.b.build_conditional_branch(some, release, done)?;
        self.b.position_at_end(release);
        self.helper(h.release, &[old], false)?;
        self.b.build_unconditional_branch(done)?;
        self.b.position_at_end(done);
        Ok(())
    }

    /// The local `x` of an `aput` gave its reference away: it now holds
    /// its type's zero value.
    pub(super) fn moved_out(&self, x: &Operand, t: Ty) -> Result<(), CodegenError> {
        match (x, t.is_managed()) {
            (Operand::Local(l), true) => self.set(*l, zero(self.cx, t)),
            _ => Ok(()),
        }
    }

    /// `apush`: a scalar element is stored inline when the storage is the
    /// array's own and has room, else the helper grows or copies it.
    fn push(&self, a: &Operand, obj: ObjTy, elem: Ty, x: BasicValueEnum<'ctx>, line: u32) -> Result<(), CodegenError> {
        let p = self.int(a)?;
        let (slow, done) = (self.block("push_slow"), self.block("pushed"));
        if !elem.is_managed() {
            let (has_storage, own, has_room) =
                (self.block("push_storage"), self.block("push_own"), self.block("push_room"));
            let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
            self.branch_cold(is_null, slow, has_storage)?;
            self.b.position_at_end(has_storage);
            let refs = self.load_word(p, abi::ARRAY_REFS)?;
            let shared = self.b.build_int_compare(IntPredicate::NE, refs, self.i64(1), "")?;
            self.branch_cold(shared, slow, own)?;
            self.b.position_at_end(own);
            let len = self.load_word(p, abi::ARRAY_LEN)?;
            let cap = self.load_word(p, abi::ARRAY_CAP)?;
            let full = self.b.build_int_compare(IntPredicate::UGE, len, cap, "")?;
            self.branch_cold(full, slow, has_room)?;
            self.b.position_at_end(has_room);
            self.store_slot(self.element_ptr(p, len, elem)?, x)?;
            let longer = self.b.build_int_add(len, self.i64(1), "")?;
            self.store_slot(self.at(p, abi::ARRAY_LEN)?, longer.into())?;
            self.b.build_unconditional_branch(done)?;
        } else {
            self.b.build_unconditional_branch(slow)?;
        }
        self.b.position_at_end(slow);
        let bits = self.element_bits(x, elem)?;
        let ty_addr = self.i64(obj.addr() as i64);
        let q = self.helper(self.helpers.array.array_push, &[self.ctx, ty_addr, p, bits], true)?;
        self.set_operand(a, q)?;
        self.check_recorded(line)?;
        self.b.build_unconditional_branch(done)?;
        self.b.position_at_end(done);
        Ok(())
    }

    /// Removes the last element of `p` (whose storage is its own) and
    /// gives it, with its reference, as the result.
    fn pop(&self, p: IntValue<'ctx>, elem: Ty, line: u32) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let (not_null, empty, some) = (self.block("not_null"), self.block("pop_empty"), self.block("pop"));
        let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
        self.branch_cold(is_null, empty, not_null)?;
        self.b.position_at_end(not_null);
        let len = self.load_word(p, abi::ARRAY_LEN)?;
        let none = self.b.build_int_compare(IntPredicate::EQ, len, self.i64(0), "")?;
        self.branch_cold(none, empty, some)?;
        self.b.position_at_end(empty);
        self.fail(ErrKind::PopEmpty, line)?;
        self.b.position_at_end(some);
        let last = self.b.build_int_sub(len, self.i64(1), "")?;
        self.store_slot(self.at(p, abi::ARRAY_LEN)?, last.into())?;
        self.load_slot(self.element_ptr(p, last, elem)?, elem)
    }

    /// A value of type `t` from the word a helper returned.
    pub(super) fn word_to_value(&self, bits: IntValue<'ctx>, t: Ty) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        Ok(match t {
            Ty::F64 => self.b.build_bit_cast(bits, self.cx.f64_type(), "")?,
            Ty::F32 => {
                let low = self.b.build_int_truncate(bits, self.cx.i32_type(), "")?;
                self.b.build_bit_cast(low, self.cx.f32_type(), "")?
            }
            t if t.bits() < 64 => self.b.build_int_truncate(bits, llvm_type(self.cx, t).into_int_type(), "")?.into(),
            _ => bits.into(),
        })
    }

    /// A value's bits in a word, as the helpers take an element.
    pub(super) fn element_bits(&self, v: BasicValueEnum<'ctx>, t: Ty) -> Result<IntValue<'ctx>, CodegenError> {
        let w = self.cx.i64_type();
        Ok(match t {
            Ty::F64 => self.b.build_bit_cast(v, w, "")?.into_int_value(),
            Ty::F32 => {
                let bits = self.b.build_bit_cast(v, self.cx.i32_type(), "")?.into_int_value();
                self.b.build_int_z_extend(bits, w, "")?
            }
            t if t.bits() < 64 => self.b.build_int_z_extend(v.into_int_value(), w, "")?,
            _ => v.into_int_value(),
        })
    }

    /// The length of array `p` (0 for NULL, the empty array).
    pub(super) fn array_len(&self, p: IntValue<'ctx>) -> Result<IntValue<'ctx>, CodegenError> {
        let (not_null, done) = (self.block("not_null"), self.block("len"));
        let start = self.here()?;
        let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
        self.b.build_conditional_branch(is_null, done, not_null)?;
        self.b.position_at_end(not_null);
        let len = self.load_word(p, abi::ARRAY_LEN)?;
        self.b.build_unconditional_branch(done)?;
        self.b.position_at_end(done);
        let phi = self.b.build_phi(self.cx.i64_type(), "")?;
        phi.add_incoming(&[(&self.i64(0), start), (&len, not_null)]);
        Ok(phi.as_basic_value().into_int_value())
    }

    /// `a + b` of two arrays: a new array.
    pub(super) fn array_concat(
        &self,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
        line: u32,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        self.helper_checked(self.helpers.array.array_concat, &[self.ctx, x, y], line)
    }

    /// `a == b` of two arrays, records or maps of type `t` (an i1).
    pub(super) fn array_equal(
        &self,
        t: Ty,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let obj = t.obj().ok_or_else(|| self.invariant(format!("array comparison of a {t}")))?;
        let w = self.cx.i64_type().into();
        let args = [self.i64(obj.addr() as i64).into(), x.into(), y.into()];
        let eq = self.call_helper(self.helpers.array.array_equal, &[w, w, w], Some(self.cx.i8_type().into()), &args)?;
        let eq = eq.ok_or_else(|| self.invariant("array_equal returned nothing"))?.into_int_value();
        Ok(self.b.build_int_compare(IntPredicate::NE, eq, self.cx.i8_type().const_zero(), "")?)
    }

    /// `str` of an object of type `t`: a new text.
    pub(super) fn array_text(&self, t: Ty, x: IntValue<'ctx>, line: u32) -> Result<IntValue<'ctx>, CodegenError> {
        let obj = t.obj().ok_or_else(|| self.invariant(format!("str of a {t}")))?;
        self.helper_checked(self.helpers.array.obj_to_text, &[self.ctx, self.i64(obj.addr() as i64), x], line)
    }
}
