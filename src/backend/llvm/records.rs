//! Records, as in `backend::cranelift::records`: `rnew` (the runtime
//! makes a zero record, JIT code stores the fields), and reads and writes
//! of a field, whose number is a constant: a load or store at a fixed
//! offset. NULL is the zero record: a read gives the field's zero value,
//! a write first gets storage of its own (also when it is shared).

use inkwell::IntPredicate;
use inkwell::values::{BasicValueEnum, IntValue};

use super::function::{Translator, zero};
use crate::abi;
use crate::backend::CodegenError;
use crate::backend::lowering::{FieldAccess, MirView, Op, field_offset};
use crate::mir::{DataOp, ObjTy, Operand, Ty};

impl<'ctx> Translator<'_, 'ctx> {
    pub(super) fn record(&self, i: Op<'_, DataOp>, rec: ObjTy) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let fields = rec.fields().unwrap_or(&[]);
        let result = match self.field_access(op, rec, args)? {
            FieldAccess::New => {
                let p = self.i64(rec.addr() as i64);
                let p = self.helper_checked(self.helpers.array.record_new, &[self.ctx, p], line)?;
                for (k, (f, a)) in fields.iter().zip(args).enumerate() {
                    self.store_new_field(p, k, f.ty, self.operand(a)?)?;
                }
                Some(p.into())
            }
            FieldAccess::Own => {
                self.own_record(&args[0], rec, line)?;
                None
            }
            FieldAccess::Get { k, field } => Some(self.load_field(self.int(&args[0])?, k, field, fields.len())?),
            FieldAccess::Set { k, field, put } => {
                let p = self.own_record(&args[0], rec, line)?;
                self.replace_element(self.at(p, field_offset(k))?, field, self.operand(&args[2])?, put)?;
                if put {
                    self.moved_out(&args[2], field)?;
                }
                None
            }
            FieldAccess::Take { k, field } => {
                let p = self.own_record(&args[0], rec, line)?;
                let v = self.field_value(p, k, field)?;
                self.store_slot(self.at(p, field_offset(k))?, zero(self.cx, field))?;
                Some(v)
            }
        };
        self.set_result(dst, result)
    }

    /// Field `k` of record `p`, the field's zero value for NULL: read from
    /// the zero record in that case (a select, not a branch per read).
    pub(super) fn load_field(
        &self,
        p: IntValue<'ctx>,
        k: usize,
        field: Ty,
        fields: usize,
    ) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        if fields <= abi::ZERO_RECORD_FIELDS {
            let zeros = self.i64(abi::ZERO_RECORD.addr() as i64);
            let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
            let q = self.b.build_select(is_null, zeros, p, "")?.into_int_value();
            return self.field_value(q, k, field);
        }
        let (not_null, done) = (self.block("not_null"), self.block("field"));
        let start = self.here()?;
        let is_null = self.b.build_int_compare(IntPredicate::EQ, p, self.i64(0), "")?;
        self.b.build_conditional_branch(is_null, done, not_null)?;
        self.b.position_at_end(not_null);
        let v = self.field_value(p, k, field)?;
        let loaded = self.here()?;
        self.b.build_unconditional_branch(done)?;
        self.b.position_at_end(done);
        let phi = self.b.build_phi(v.get_type(), "")?;
        phi.add_incoming(&[(&zero(self.cx, field), start), (&v, loaded)]);
        Ok(phi.as_basic_value())
    }

    /// Field `k` of a record that is not NULL.
    pub(super) fn field_value(
        &self,
        p: IntValue<'ctx>,
        k: usize,
        field: Ty,
    ) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        self.load_slot(self.at(p, field_offset(k))?, field)
    }

    /// Stores `v` in field `k` of a new record (whose fields are zero); a
    /// managed value gets a reference.
    fn store_new_field(
        &self,
        p: IntValue<'ctx>,
        k: usize,
        field: Ty,
        v: BasicValueEnum<'ctx>,
    ) -> Result<(), CodegenError> {
        if field.is_managed() {
            let h = *self.helpers.managed(field).ok_or_else(|| self.invariant(format!("{field} is not managed")))?;
            self.helper(h.retain, &[v.into_int_value()], false)?;
        }
        self.store_slot(self.at(p, field_offset(k))?, v)
    }

    /// The record in `rec` (a local) with storage of its own: the runtime
    /// copies it when it is shared and makes one for NULL; stored back.
    pub(super) fn own_record(&self, rec: &Operand, obj: ObjTy, line: u32) -> Result<IntValue<'ctx>, CodegenError> {
        let p = self.int(rec)?;
        let unique = self.helpers.array.record_unique;
        let p = self.own_object(p, unique, obj, line, true, |t, q| t.set_operand(rec, q))?;
        self.set_operand(rec, p)?;
        Ok(p)
    }
}
