//! The data operations' rules: operand types follow from the object's
//! ([`data_shape`]); a record's field is a constant number; an operation
//! that changes its object changes a local.

use super::{Check, Checker};
use crate::mir::data::*;
use crate::mir::ops::DataOp;

impl Checker<'_> {
    pub(super) fn data(&self, f: &Function, dst: Option<Local>, op: DataOp, args: &[Operand]) -> Check {
        let dst_ty = match (op, dst) {
            (DataOp::New | DataOp::Record, None) => return Err(format!("{} needs a result", op.name())),
            (_, Some(d)) => Some(self.local(f, d)?),
            (_, None) => None,
        };
        let first = match args.first() {
            Some(a) => Some(self.operand(f, a)?),
            None if op == DataOp::New || op == DataOp::Record => None,
            None => return Err(format!("{} needs an object operand", op.name())),
        };
        let object = data_object(op, dst_ty, first);
        let keys = self.keys(op, object, args)?;
        let shape = data_shape(op, object, &keys).ok_or_else(|| {
            let found = object.map_or("nothing".to_string(), |t| format!("a {}", t.mir_name()));
            format!("{} works on {}, not {found}", op.name(), op.works_on())
        })?;
        if args.len() != shape.args.len() {
            return Err(format!("{} takes {} operands, found {}", op.name(), shape.args.len(), args.len()));
        }
        for (i, (a, want)) in args.iter().zip(&shape.args).enumerate() {
            let t = self.operand(f, a)?;
            self.same(&format!("{} operand {}", op.name(), i + 1), *want, t)?;
        }
        if op.mutates() && !matches!(args[0], Operand::Local(_)) {
            return Err(format!("{} changes its object, which must be a local", op.name()));
        }
        if op == DataOp::Put && !matches!(args[2], Operand::Local(_)) {
            return Err("aput moves its value, which must be a local".to_string());
        }
        if op == DataOp::Put && args[0] == args[2] {
            return Err("aput moves a local into itself".to_string());
        }
        self.result(f, op.name(), dst, shape.result)
    }
}

impl Checker<'_> {
    /// The constant value of each operand after the first; a record's field
    /// (along a path, for `aget`) must be one, below its field count.
    fn keys(&self, op: DataOp, object: Option<Ty>, args: &[Operand]) -> Result<Vec<Option<i64>>, String> {
        let keys: Vec<Option<i64>> = args
            .iter()
            .skip(1)
            .map(|a| match a {
                Operand::Const(Const::Int(k, _)) => Some(*k),
                _ => None,
            })
            .collect();
        if !matches!(op, DataOp::Get | DataOp::Set | DataOp::Put | DataOp::Take) {
            return Ok(keys);
        }
        let steps = match op {
            DataOp::Get => keys.len(),
            // `aset a, k1, ..., kn, v`: the last operand is the value.
            DataOp::Set => keys.len().saturating_sub(1).max(1),
            _ => keys.len().min(1),
        };
        let mut cur = object;
        for (i, key) in keys.iter().take(steps).enumerate() {
            let Some(o) = cur.and_then(Ty::obj) else { break };
            if let Some(fields) = o.fields() {
                match key {
                    Some(k) if usize::try_from(*k).is_ok_and(|k| k < fields.len()) => {}
                    Some(k) => {
                        return Err(format!(
                            "{} of field {k} of a {}, which has {} field(s)",
                            op.name(),
                            o.name(),
                            fields.len()
                        ));
                    }
                    None => return Err(format!("{} of a record takes the field's number as a constant", op.name())),
                }
            }
            cur = data_shape(DataOp::Get, cur, &keys[i..=i]).and_then(|s| s.result);
        }
        Ok(keys)
    }
}
