//! The small facts of MIR every part of lowering uses.

use crate::backend::CodegenError;
use crate::mir::{self, Const, Operand, Ty};

/// An invariant of prepared MIR that `f` breaks (the validator let it by).
pub(crate) fn invariant(f: &mir::Function, message: impl Into<String>) -> CodegenError {
    CodegenError::Invariant { function: f.name.clone(), message: message.into() }
}

/// `v` wrapped to the width of `t`, sign-extended back to i64.
pub(crate) fn truncate(v: i64, t: Ty) -> i64 {
    match t.bits() {
        8 => v as i8 as i64,
        16 => v as i16 as i64,
        32 => v as i32 as i64,
        _ => v,
    }
}

/// The value of an integer constant operand of type `t`, wrapped to `t`.
pub(crate) fn const_int(op: &Operand, t: Ty) -> Option<i64> {
    match op {
        Operand::Const(Const::Int(v, _)) => Some(truncate(*v, t)),
        _ => None,
    }
}
