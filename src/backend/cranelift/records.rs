//! Records: `rnew` (the runtime makes a zero record, JIT code stores the
//! fields), and `aget`/`aset`/`atake` of a field, whose number is a
//! constant: a load or store at a fixed offset, with no bounds check. NULL
//! is the zero record: a read gives the field's zero value, a write first
//! gets storage of its own (as for arrays, also when it is shared).

use cranelift_codegen::ir::{BlockArg, InstBuilder, Value, types};

use super::function::Translator;
use super::regions::Part;
use super::types::clif_type;
use crate::abi;
use crate::backend::CodegenError;
use crate::backend::lowering::{FieldAccess, MirView, Op, field_offset};
use crate::mir::{DataOp, ObjTy, Operand, Ty};

const I64: types::Type = types::I64;

impl Translator<'_, '_> {
    pub(super) fn record(&mut self, i: Op<'_, DataOp>, rec: ObjTy) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let fields = rec.fields().unwrap_or(&[]);
        let ty_addr = self.b.ins().iconst(I64, rec.addr() as i64);
        let result = match self.field_access(op, rec, args)? {
            FieldAccess::New => {
                let new = self.helpers.array.record_new;
                let p = self.call_helper(new, &[I64, I64], I64, &[self.ctx, ty_addr]);
                self.check_recorded(line);
                for (k, (f, a)) in fields.iter().zip(args).enumerate() {
                    let v = self.operand(a);
                    self.store_new_field(p, k, f.ty, v)?;
                }
                Some(p)
            }
            FieldAccess::Own => return self.own(args, line),
            FieldAccess::Get { k, field } => {
                let p = self.operand(&args[0]);
                Some(self.load_field(p, k, field, fields.len()))
            }
            FieldAccess::Set { k, field, put } => {
                let p = self.own_record(&args[0], ty_addr, line)?;
                let v = self.operand(&args[2]);
                self.replace_element(p, field_offset(k), field, v, put)?;
                if put {
                    self.moved_out(&args[2], field);
                }
                None
            }
            FieldAccess::Take { k, field } => {
                let p = self.own_record(&args[0], ty_addr, line)?;
                let v = self.field_value(p, k, field);
                let zero = super::function::zero(&mut self.b, field);
                self.b.ins().store(self.regions.flags(Part::Slot(field)), zero, p, field_offset(k));
                Some(v)
            }
        };
        self.set_result(dst, result)
    }

    /// Field `k` of record `p`, the field's zero value for NULL: read from
    /// the zero record in that case (a select, which the optimiser shares
    /// between the reads of one record, instead of a branch per read).
    pub(super) fn load_field(&mut self, p: Value, k: usize, field: Ty, fields: usize) -> Value {
        if fields <= abi::ZERO_RECORD_FIELDS {
            let zero = self.b.ins().iconst(I64, abi::ZERO_RECORD.addr() as i64);
            let q = self.b.ins().select(p, p, zero);
            return self.field_value(q, k, field);
        }
        let not_null = self.b.create_block();
        let done = self.b.create_block();
        self.b.append_block_param(done, clif_type(field));
        let zero = super::function::zero(&mut self.b, field);
        self.b.ins().brif(p, not_null, &[], done, &[BlockArg::Value(zero)]);
        self.b.switch_to_block(not_null);
        let v = self.field_value(p, k, field);
        self.b.ins().jump(done, &[BlockArg::Value(v)]);
        self.b.switch_to_block(done);
        self.b.block_params(done)[0]
    }

    /// Field `k` of a record that is not NULL.
    pub(super) fn field_value(&mut self, p: Value, k: usize, field: Ty) -> Value {
        self.b.ins().load(clif_type(field), self.regions.flags(Part::Slot(field)), p, field_offset(k))
    }

    /// Stores `v` in field `k` of a new record (whose fields are zero); a
    /// managed value gets a reference.
    fn store_new_field(&mut self, p: Value, k: usize, field: Ty, v: Value) -> Result<(), CodegenError> {
        if field.is_managed() {
            let h = self.managed(field)?;
            self.call_helper_void(h.retain, &[I64], &[v]);
        }
        self.b.ins().store(self.regions.flags(Part::Slot(field)), v, p, field_offset(k));
        Ok(())
    }

    /// The record in `rec` (a local) with storage of its own: the runtime
    /// copies it when it is shared and makes one for NULL; stored back.
    pub(super) fn own_record(&mut self, rec: &Operand, ty_addr: Value, line: u32) -> Result<Value, CodegenError> {
        let Operand::Local(l) = *rec else { return Err(self.invariant("a field write to a constant")) };
        let p = self.operand(rec);
        if self.known_unique(rec) {
            return Ok(p);
        }
        let unique = self.helpers.array.record_unique;
        let p = self.own_object(p, unique, ty_addr, line, |t, q| t.set(l, q));
        self.set(l, p);
        Ok(p)
    }
}
