//! Maps: every operation is a call of the runtime (hashing the key is the
//! work); a write first gets storage of its own (`map_unique`, stored back
//! in the map's local), as for arrays.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{BlockArg, InstBuilder, Value, types};

use super::function::Translator;
use super::regions::Part;
use crate::backend::CodegenError;
use crate::backend::lowering::{MirView, Op};
use crate::mir::{self, DataOp, ObjTy, Operand, Ty};

const I64: types::Type = types::I64;

impl Translator<'_, '_> {
    pub(super) fn map(
        &mut self,
        i: Op<'_, DataOp>,
        map: ObjTy,
        (key_ty, value_ty): (Ty, Ty),
    ) -> Result<(), CodegenError> {
        let Op { dst, op, args, line } = i;
        let h = self.helpers.map;
        let ty = self.b.ins().iconst(I64, map.addr() as i64);
        let vals: Vec<Value> = args.iter().map(|a| self.operand(a)).collect();
        let key = |t: &mut Self| t.element_bits(vals[1], key_ty);
        let result = match op {
            DataOp::New => Some(self.helper_checked(h.map_new, &[I64, I64, I64], &[self.ctx, ty, vals[0]], line)),
            DataOp::Get if self.known_unique(&args[0]) && matches!(args[1], Operand::Local(_)) => {
                let k = key(self);
                let at = self.value_slot(&args[..2], ty, vals[0], k, line);
                self.remember_map_slot(&args[0], &args[1], at, true);
                let bits = self.b.ins().load(I64, self.regions.flags(Part::Slot(value_ty)), at, 0);
                Some(self.word_to_value(bits, value_ty))
            }
            DataOp::Has if self.known_map_slot(&args[0], &args[1]).is_some() => Some(self.b.ins().iconst(types::I8, 1)),
            DataOp::Has if self.known_unique(&args[0]) && matches!(args[1], Operand::Local(_)) => {
                let k = key(self);
                let at = self.call_helper(h.map_find, &[I64, I64], I64, &[vals[0], k]);
                self.remember_map_slot(&args[0], &args[1], at, false);
                Some(self.b.ins().icmp_imm_u(IntCC::NotEqual, at, 0))
            }
            DataOp::Set | DataOp::Put
                if self.known_unique(&args[0]) && self.known_map_slot(&args[0], &args[1]).is_some() =>
            {
                let at = self.known_map_slot(&args[0], &args[1]).ok_or_else(|| self.invariant("a map slot"))?;
                self.store_in_map_slot(at, value_ty, vals[2], op == DataOp::Put)?;
                if op == DataOp::Put {
                    self.moved_out(&args[2], value_ty);
                }
                None
            }
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

    /// The address of the value for key `k` in the unique map `p`: the one
    /// a `k in m` on the way here found (`map_find`) when it found one,
    /// else `map_slot`'s, which records `key not found`.
    fn value_slot(&mut self, map_key: &[Operand], ty: Value, p: Value, k: Value, line: u32) -> Value {
        let params = [I64, I64, I64, I64];
        let Some(found) = self.known_map_find(&map_key[0], &map_key[1]) else {
            return self.helper_checked(self.helpers.map.map_slot, &params, &[self.ctx, ty, p, k], line);
        };
        if found.found {
            return found.at;
        }
        let (slow, join) = (self.b.create_block(), self.b.create_block());
        self.b.append_block_param(join, I64);
        self.b.set_cold_block(slow);
        self.b.ins().brif(found.at, join, &[BlockArg::Value(found.at)], slow, &[]);
        self.b.switch_to_block(slow);
        let at = self.helper_checked(self.helpers.map.map_slot, &params, &[self.ctx, ty, p, k], line);
        self.b.ins().jump(join, &[BlockArg::Value(at)]);
        self.b.switch_to_block(join);
        self.b.block_params(join)[0]
    }

    /// Replaces the value at `at`, a map entry's (a whole word: the map
    /// keeps every value as 64 bits, zero-extended).
    fn store_in_map_slot(&mut self, at: Value, value_ty: mir::Ty, v: Value, moved: bool) -> Result<(), CodegenError> {
        if value_ty.is_managed() {
            return self.replace_element(at, 0, value_ty, v, moved);
        }
        let bits = self.element_bits(v, value_ty);
        self.b.ins().store(self.regions.flags(Part::Slot(value_ty)), bits, at, 0);
        Ok(())
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
