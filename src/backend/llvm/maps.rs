//! Maps, as in `backend::cranelift::maps`: every operation is a call of
//! the runtime (hashing the key is the work); a write first gets storage
//! of its own (`map_unique`, stored back in the map's local). Cranelift's
//! translation also reuses the slot a `k in m` found for a following
//! `m[k]`; this one looks the key up each time.

use inkwell::types::BasicTypeEnum;
use inkwell::values::BasicValueEnum;

use super::function::Translator;
use crate::backend::CodegenError;
use crate::backend::lowering::{MirView, Op};
use crate::mir::{DataOp, ObjTy, Operand, Ty};

impl<'ctx> Translator<'_, 'ctx> {
    pub(super) fn map(&self, i: Op<'_, DataOp>, map: ObjTy, (key_ty, value_ty): (Ty, Ty)) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let h = self.helpers.map;
        let ty = self.i64(map.addr() as i64);
        let key = || self.element_bits(self.operand(&args[1])?, key_ty);
        let (w, byte): (BasicTypeEnum<'ctx>, BasicTypeEnum<'ctx>) =
            (self.cx.i64_type().into(), self.cx.i8_type().into());
        let result: Option<BasicValueEnum<'ctx>> = match op {
            DataOp::New => Some(self.helper_checked(h.map_new, &[self.ctx, ty, self.int(&args[0])?], line)?.into()),
            DataOp::Get => {
                let bits = self.helper_checked(h.map_get, &[self.ctx, ty, self.int(&args[0])?, key()?], line)?;
                Some(self.word_to_value(bits, value_ty)?)
            }
            DataOp::Has => {
                let args = [self.int(&args[0])?.into(), key()?.into()];
                self.call_helper(h.map_has, &[w, w], Some(byte), &args)?
            }
            DataOp::Keys | DataOp::Values => {
                let which = self.cx.i8_type().const_int(u64::from(op == DataOp::Values), false);
                let args = [self.ctx.into(), ty.into(), self.int(&args[0])?.into(), which.into()];
                let list = self.call_helper(h.map_list, &[w, w, w, byte], Some(w), &args)?;
                self.check_recorded(line)?;
                list
            }
            DataOp::Own => {
                self.own_map(&args[0], map, line)?;
                None
            }
            DataOp::Set | DataOp::Put | DataOp::Take | DataOp::Del => {
                let p = self.own_map(&args[0], map, line)?;
                let k = key()?;
                match op {
                    DataOp::Take => {
                        let bits = self.helper_checked(h.map_take, &[self.ctx, ty, p, k], line)?;
                        Some(self.word_to_value(bits, value_ty)?)
                    }
                    DataOp::Del => {
                        self.helper(h.map_del, &[ty, p, k], false)?;
                        None
                    }
                    _ => {
                        let v = self.element_bits(self.operand(&args[2])?, value_ty)?;
                        let moved = self.cx.i8_type().const_int(u64::from(op == DataOp::Put), false);
                        let vals = [self.ctx.into(), ty.into(), p.into(), k.into(), v.into(), moved.into()];
                        self.call_helper(h.map_set, &[w, w, w, w, w, byte], None, &vals)?;
                        self.check_recorded(line)?;
                        if op == DataOp::Put {
                            self.moved_out(&args[2], value_ty)?;
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
    fn own_map(&self, m: &Operand, obj: ObjTy, line: u32) -> Result<inkwell::values::IntValue<'ctx>, CodegenError> {
        let p = self.int(m)?;
        let p = self.own_object(p, self.helpers.map.map_unique, obj, line, true, |t, q| t.set_operand(m, q))?;
        self.set_operand(m, p)?;
        Ok(p)
    }
}
