//! Data instructions: what one works on, and for a record which field.

use super::basics::invariant;
use crate::abi;
use crate::backend::CodegenError;
use crate::mir::{self, Const, DataOp, ObjTy, Operand, Ty};

/// What a data instruction works on.
#[derive(Clone, Copy, Debug)]
pub(crate) enum DataTarget {
    /// `print t`.
    Print,
    /// A get or set through a path of indices, keys and fields.
    GetPath,
    SetPath,
    Record(ObjTy),
    Map {
        map: ObjTy,
        key: Ty,
        value: Ty,
    },
    Array {
        array: ObjTy,
        elem: Ty,
    },
}

impl DataTarget {
    pub(crate) fn of(
        f: &mir::Function,
        op: DataOp,
        dst: Option<mir::Local>,
        args: &[Operand],
    ) -> Result<DataTarget, CodegenError> {
        match op {
            DataOp::Print => return Ok(DataTarget::Print),
            DataOp::Get if args.len() > 2 => return Ok(DataTarget::GetPath),
            DataOp::Set if args.len() > 3 => return Ok(DataTarget::SetPath),
            _ => {}
        }
        // A constructor's type is its result's; anything else's is that
        // of the object it takes first.
        let ty = match (op, dst, args.first()) {
            (DataOp::New | DataOp::Record, Some(d), _) => f.local_ty(d),
            (_, _, Some(a)) => f.operand_ty(a),
            _ => None,
        };
        let bad = || invariant(f, format!("{} of a {}", op.name(), ty.map_or("nothing".into(), |t| t.to_string())));
        let obj = ty.and_then(Ty::obj).ok_or_else(bad)?;
        if obj.fields().is_some() {
            return Ok(DataTarget::Record(obj));
        }
        if let Some((key, value)) = obj.map_types() {
            return Ok(DataTarget::Map { map: obj, key, value });
        }
        let elem = obj.elem().ok_or_else(bad)?;
        Ok(DataTarget::Array { array: obj, elem })
    }
}

/// What a data instruction on a record does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum FieldAccess {
    /// `rnew`: the runtime makes a zero record; JIT code stores the fields.
    New,
    /// `aown`: storage of its own, before writes.
    Own,
    /// A load of field `k` (the field's zero value for the NULL record).
    Get { k: usize, field: Ty },
    /// A store into field `k`; `put` when it moves the value in (no retain).
    Set { k: usize, field: Ty, put: bool },
    /// The value of field `k` moved out, the field left zero.
    Take { k: usize, field: Ty },
}

impl FieldAccess {
    pub(crate) fn of(f: &mir::Function, op: DataOp, rec: ObjTy, args: &[Operand]) -> Result<FieldAccess, CodegenError> {
        match op {
            DataOp::Record => return Ok(FieldAccess::New),
            DataOp::Own => return Ok(FieldAccess::Own),
            _ => {}
        }
        let Some((k, field)) = args.get(1).and_then(|key| field_number(rec, key)) else {
            return Err(invariant(f, format!("{} of a {} without a constant field number", op.name(), rec.name())));
        };
        Ok(match op {
            DataOp::Get => FieldAccess::Get { k, field },
            DataOp::Set | DataOp::Put => FieldAccess::Set { k, field, put: op == DataOp::Put },
            DataOp::Take => FieldAccess::Take { k, field },
            _ => return Err(invariant(f, format!("{} of a record", op.name()))),
        })
    }
}

/// Where field `k` sits in a record.
pub(crate) fn field_offset(k: usize) -> i32 {
    abi::ARRAY_DATA + 8 * k as i32
}

/// The field number of a path or field operand, which is a constant.
pub(crate) fn field_number(rec: ObjTy, key: &Operand) -> Option<(usize, Ty)> {
    let k = match key {
        Operand::Const(Const::Int(k, _)) => usize::try_from(*k).ok()?,
        _ => return None,
    };
    rec.fields()?.get(k).map(|f| (k, f.ty))
}
