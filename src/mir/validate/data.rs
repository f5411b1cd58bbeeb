//! The data operations' rules: operand types follow from the array's
//! ([`data_shape`]), and an operation that changes its array changes a
//! local.

use super::{Check, Checker};
use crate::mir::data::*;
use crate::mir::ops::DataOp;

impl Checker<'_> {
    pub(super) fn data(&self, f: &Function, dst: Option<Local>, op: DataOp, args: &[Operand]) -> Check {
        let array = match (op, args.first()) {
            (DataOp::Print, _) => None,
            (DataOp::New, _) => Some(self.local(f, dst.ok_or("anew needs a result")?)?),
            (_, Some(a)) => Some(self.operand(f, a)?),
            (_, None) => return Err(format!("{} needs an array operand", op.name())),
        };
        let shape = data_shape(op, array).ok_or_else(|| {
            let found = array.map_or("nothing".to_string(), |t| format!("a {t}"));
            format!("{} works on an array, not {found}", op.name())
        })?;
        if args.len() != shape.args.len() {
            return Err(format!("{} takes {} operands, found {}", op.name(), shape.args.len(), args.len()));
        }
        for (i, (a, want)) in args.iter().zip(&shape.args).enumerate() {
            let t = self.operand(f, a)?;
            self.same(&format!("{} operand {}", op.name(), i + 1), *want, t)?;
        }
        if op.mutates() && !matches!(args[0], Operand::Local(_)) {
            return Err(format!("{} changes its array, which must be a local", op.name()));
        }
        match (dst, shape.result) {
            (Some(d), Some(r)) => {
                let t = self.local(f, d)?;
                self.same(&format!("{} result", op.name()), r, t)
            }
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!("{} has no result", op.name())),
            (None, Some(_)) => Err(format!("{} needs a result", op.name())),
        }
    }
}
