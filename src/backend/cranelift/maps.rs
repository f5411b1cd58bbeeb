//! Maps: every operation is a call of the runtime (hashing the key is the
//! work); a write first gets storage of its own (`map_unique`, stored back
//! in the map's local), as for arrays.

use cranelift_codegen::ir::{InstBuilder, Value, types};

use super::function::Translator;
use crate::backend::CodegenError;
use crate::mir::{self, DataOp, ObjTy, Operand};

const I64: types::Type = types::I64;

impl Translator<'_, '_> {
    pub(super) fn map(
        &mut self,
        dst: Option<mir::Local>,
        op: DataOp,
        map: ObjTy,
        args: &[Operand],
        line: u32,
    ) -> Result<(), CodegenError> {
        let h = self.helpers.map;
        let Some((key_ty, value_ty)) = map.map_types() else {
            return Err(self.invariant(format!("{} of a {} as a map", op.name(), map.name())));
        };
        let ty = self.b.ins().iconst(I64, map.addr() as i64);
        let vals: Vec<Value> = args.iter().map(|a| self.operand(a)).collect();
        let key = |t: &mut Self| t.element_bits(vals[1], key_ty);
        let result = match op {
            DataOp::New => Some(self.helper_checked(h.map_new, &[I64, I64, I64], &[self.ctx, ty, vals[0]], line)),
            DataOp::Get => {
                let k = key(self);
                let bits = self.helper_checked(h.map_get, &[I64, I64, I64, I64], &[self.ctx, ty, vals[0], k], line);
                Some(self.word_to_value(bits, value_ty))
            }
            DataOp::Has => {
                let k = key(self);
                Some(self.call_helper(h.map_has, &[I64, I64], types::I8, &[vals[0], k]))
            }
            DataOp::Keys | DataOp::Values => {
                let which = self.b.ins().iconst(types::I8, i64::from(op == DataOp::Values));
                Some(self.helper_checked(
                    h.map_list,
                    &[I64, I64, I64, types::I8],
                    &[self.ctx, ty, vals[0], which],
                    line,
                ))
            }
            DataOp::Set | DataOp::Put | DataOp::Take | DataOp::Del => {
                let p = self.own_map(&args[0], ty, line)?;
                let k = key(self);
                match op {
                    DataOp::Take => {
                        let bits = self.helper_checked(h.map_take, &[I64, I64, I64, I64], &[self.ctx, ty, p, k], line);
                        Some(self.word_to_value(bits, value_ty))
                    }
                    DataOp::Del => {
                        self.call_helper_void(h.map_del, &[I64, I64, I64], &[ty, p, k]);
                        None
                    }
                    _ => {
                        let v = self.element_bits(vals[2], value_ty);
                        let moved = self.b.ins().iconst(types::I8, i64::from(op == DataOp::Put));
                        let params = [I64, I64, I64, I64, I64, types::I8];
                        self.call_helper_void(h.map_set, &params, &[self.ctx, ty, p, k, v, moved]);
                        self.check_recorded(line);
                        if op == DataOp::Put {
                            self.moved_out(&args[2], value_ty);
                        }
                        None
                    }
                }
            }
            _ => return Err(self.invariant(format!("{} of a map", op.name()))),
        };
        self.set_result(dst, result)
    }

    /// The map in `m` (a local) with storage of its own, stored back: a
    /// load and a compare when it is the map's own, else the runtime's copy
    /// (or a new map for NULL, the empty one).
    pub(super) fn own_map(&mut self, m: &Operand, ty: Value, line: u32) -> Result<Value, CodegenError> {
        let Operand::Local(l) = *m else { return Err(self.invariant("a map write to a constant")) };
        let p = self.operand(m);
        if self.known_unique(m) {
            return Ok(p);
        }
        let unique = self.helpers.map.map_unique;
        Ok(self.own_object(p, unique, ty, line, |t, q| t.set(l, q)))
    }
}
