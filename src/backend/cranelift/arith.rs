//! Arithmetic, comparisons and conversions of numbers and bools.
//!
//! Integer division and remainder check for zero and give `MIN / -1` its
//! wrapped value with a select (x86 `idiv` would fault on both); a negative
//! integer exponent is an error.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{InstBuilder, MemFlagsData, Value, types};

use super::function::Translator;
use super::types::clif_type;
use crate::abi::ErrKind;
use crate::backend::CodegenError;
use crate::backend::lowering::{MirView, Op, const_int, truncate};
use crate::mir::{self, BinOp, CmpOp, Const, ConvOp, Operand, Ty, UnOp};

/// Integer powers with a constant exponent up to this are multiplications
/// (`x^2` in formulas); larger ones call the helper.
const MAX_INLINE_POWER: i64 = 4;

impl Translator<'_, '_> {
    pub(super) fn unary(&mut self, dst: mir::Local, op: UnOp, src: &Operand) -> Result<(), CodegenError> {
        let t = self.ty_of(src);
        if op == UnOp::Len {
            let x = self.operand(src);
            let v = if t == Ty::Text { self.text_len(x) } else { self.array_len(x) };
            self.set(dst, v);
            return Ok(());
        }
        let x = self.operand(src);
        let ins = self.b.ins();
        let v = match (op, t.is_float()) {
            (UnOp::Neg, false) => ins.ineg(x),
            (UnOp::Neg, true) => ins.fneg(x),
            (UnOp::Not, _) if t == Ty::Bool => ins.bxor_imm_u(x, 1),
            (UnOp::Not, _) => ins.bnot(x),
            (UnOp::Abs, false) => ins.iabs(x),
            (UnOp::Abs, true) => ins.fabs(x),
            (UnOp::Sqrt, true) => ins.sqrt(x),
            (UnOp::Floor, true) => ins.floor(x),
            (UnOp::Ceil, true) => ins.ceil(x),
            (UnOp::Trunc, true) => ins.trunc(x),
            _ => return Err(self.invariant(format!("{} of a {t}", op.name()))),
        };
        self.set(dst, v);
        Ok(())
    }

    pub(super) fn binary(&mut self, i: Op<'_, BinOp>) -> Result<(), CodegenError> {
        let Op { dst: Some(dst), op, args: [a, b], line } = i else {
            return Err(self.invariant("a binary operation without a result or two operands"));
        };
        let t = self.ty_of(a);
        let v = if t == Ty::Text && op == BinOp::Add {
            let (x, y) = (self.operand(a), self.operand(b));
            self.text_concat(x, y, line)
        } else if t.obj().is_some() && op == BinOp::Add {
            let (x, y) = (self.operand(a), self.operand(b));
            self.array_concat(x, y, line)
        } else if t.is_float() {
            self.float_binary(op, t, a, b)?
        } else {
            self.int_binary(op, t, a, b, line)
        };
        self.set(dst, v);
        Ok(())
    }

    fn int_binary(&mut self, op: BinOp, t: Ty, a: &Operand, b: &Operand, line: u32) -> Value {
        let x = self.operand(a);
        let y = self.operand(b);
        match op {
            BinOp::Add => self.b.ins().iadd(x, y),
            BinOp::Sub => self.b.ins().isub(x, y),
            BinOp::Mul => self.b.ins().imul(x, y),
            BinOp::Div | BinOp::Rem => self.signed_div(op == BinOp::Div, x, y, b, line),
            BinOp::UDiv | BinOp::URem => {
                if const_int(b, t).is_none_or(|v| v == 0) {
                    let zero = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
                    self.check(zero, ErrKind::DivisionByZero, line);
                }
                if op == BinOp::UDiv { self.b.ins().udiv(x, y) } else { self.b.ins().urem(x, y) }
            }
            BinOp::Pow => self.int_pow(t, x, y, b, line),
            BinOp::And => self.b.ins().band(x, y),
            BinOp::Or => self.b.ins().bor(x, y),
            BinOp::Xor => self.b.ins().bxor(x, y),
            BinOp::Shl => self.b.ins().ishl(x, y),
            BinOp::Shr => self.b.ins().sshr(x, y),
            BinOp::UShr => self.b.ins().ushr(x, y),
            BinOp::Min => self.b.ins().smin(x, y),
            BinOp::Max => self.b.ins().smax(x, y),
        }
    }

    /// `/` and `%` on signed integers: zero is an error; `MIN / -1` wraps to
    /// MIN and `MIN % -1` is 0.
    fn signed_div(&mut self, div: bool, x: Value, y: Value, b: &Operand, line: u32) -> Value {
        let t = self.ty_of(b);
        if let Some(v) = const_int(b, t) {
            if v != 0 && v != -1 && v != truncate(-1, t) {
                return if div { self.b.ins().sdiv(x, y) } else { self.b.ins().srem(x, y) };
            }
        }
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, y, 0);
        self.check(zero, ErrKind::DivisionByZero, line);
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, y, -1);
        let one = self.b.ins().iconst(clif_type(t), 1);
        let safe = self.b.ins().select(minus_one, one, y);
        if div {
            let q = self.b.ins().sdiv(x, safe);
            let neg = self.b.ins().ineg(x);
            self.b.ins().select(minus_one, neg, q)
        } else {
            let r = self.b.ins().srem(x, safe);
            let z = self.b.ins().iconst(clif_type(t), 0);
            self.b.ins().select(minus_one, z, r)
        }
    }

    fn int_pow(&mut self, t: Ty, x: Value, y: Value, b: &Operand, line: u32) -> Value {
        if let Some(v) = const_int(b, t) {
            if (0..=MAX_INLINE_POWER).contains(&v) {
                let mut acc = self.b.ins().iconst(clif_type(t), 1);
                for _ in 0..v {
                    acc = self.b.ins().imul(acc, x);
                }
                return acc;
            }
        }
        let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, y, 0);
        self.check(negative, ErrKind::NegativeExponent, line);
        let (x64, y64) = if t.bits() < 64 {
            (self.b.ins().sextend(types::I64, x), self.b.ins().sextend(types::I64, y))
        } else {
            (x, y)
        };
        let r = self.call_helper(self.helpers.ipow, &[types::I64, types::I64], types::I64, &[x64, y64]);
        if t.bits() < 64 { self.b.ins().ireduce(clif_type(t), r) } else { r }
    }

    fn float_binary(&mut self, op: BinOp, t: Ty, a: &Operand, b: &Operand) -> Result<Value, CodegenError> {
        let x = self.operand(a);
        if op == BinOp::Pow && matches!(b, Operand::Const(Const::F64(v)) if *v == 2.0) {
            return Ok(self.b.ins().fmul(x, x));
        }
        let y = self.operand(b);
        Ok(match op {
            BinOp::Add => self.b.ins().fadd(x, y),
            BinOp::Sub => self.b.ins().fsub(x, y),
            BinOp::Mul => self.b.ins().fmul(x, y),
            BinOp::Div => self.b.ins().fdiv(x, y),
            BinOp::Min => self.b.ins().fmin(x, y),
            BinOp::Max => self.b.ins().fmax(x, y),
            BinOp::Pow | BinOp::Rem => {
                let addr = if op == BinOp::Pow { self.helpers.fpow } else { self.helpers.fmod };
                let (x, y) = if t == Ty::F32 {
                    (self.b.ins().fpromote(types::F64, x), self.b.ins().fpromote(types::F64, y))
                } else {
                    (x, y)
                };
                let r = self.call_helper(addr, &[types::F64, types::F64], types::F64, &[x, y]);
                if t == Ty::F32 { self.b.ins().fdemote(types::F32, r) } else { r }
            }
            _ => return Err(self.invariant(format!("{} of a {t}", op.name()))),
        })
    }

    pub(super) fn cmp(&mut self, dst: mir::Local, op: CmpOp, a: &Operand, b: &Operand) -> Result<(), CodegenError> {
        let t = self.ty_of(a);
        let x = self.operand(a);
        let y = self.operand(b);
        let v = if t == Ty::Text {
            self.text_cmp(op, x, y)?
        } else if t.obj().is_some() {
            let eq = self.array_equal(t, x, y)?;
            match op {
                CmpOp::Eq => eq,
                CmpOp::Ne => self.b.ins().bxor_imm_u(eq, 1),
                other => return Err(self.invariant(format!("{} of arrays", other.name()))),
            }
        } else if t.is_float() {
            let cc = match op {
                CmpOp::Eq => FloatCC::Equal,
                CmpOp::Ne => FloatCC::NotEqual,
                CmpOp::Lt => FloatCC::LessThan,
                CmpOp::Le => FloatCC::LessThanOrEqual,
                CmpOp::Gt => FloatCC::GreaterThan,
                CmpOp::Ge => FloatCC::GreaterThanOrEqual,
                CmpOp::ULt | CmpOp::ULe | CmpOp::UGt | CmpOp::UGe => {
                    return Err(self.invariant(format!("{} of a {t}", op.name())));
                }
            };
            self.b.ins().fcmp(cc, x, y)
        } else {
            self.b.ins().icmp(int_cc(op), x, y)
        };
        self.set(dst, v);
        Ok(())
    }

    pub(super) fn convert(
        &mut self,
        dst: mir::Local,
        op: ConvOp,
        src: &Operand,
        line: u32,
    ) -> Result<(), CodegenError> {
        let from = self.ty_of(src);
        let to = self.local_ty(dst);
        let x = self.operand(src);
        let v = match op {
            ConvOp::ToText if from.obj().is_some() => self.array_text(from, x, line)?,
            ConvOp::ToText => self.text_of(from, x, line),
            ConvOp::Parse => self.parse_number(to, x, line),
            _ => self.numeric_convert(op, from, to, x),
        };
        self.set(dst, v);
        Ok(())
    }

    fn numeric_convert(&mut self, op: ConvOp, from: Ty, to: Ty, x: Value) -> Value {
        let ct = clif_type(to);
        let widen = |cx: &mut Self, signed: bool, x: Value| match (from.bits() < 64, signed) {
            (true, true) => cx.b.ins().sextend(types::I64, x),
            (true, false) => cx.b.ins().uextend(types::I64, x),
            (false, _) => x,
        };
        match op {
            ConvOp::Sext | ConvOp::Zext | ConvOp::Bitcast if clif_type(from) == ct => x,
            ConvOp::Sext => self.b.ins().sextend(ct, x),
            ConvOp::Zext => self.b.ins().uextend(ct, x),
            ConvOp::Reduce => self.b.ins().ireduce(ct, x),
            ConvOp::SIntToFloat => {
                let w = widen(self, true, x);
                self.b.ins().fcvt_from_sint(ct, w)
            }
            ConvOp::UIntToFloat => {
                let w = widen(self, false, x);
                self.b.ins().fcvt_from_uint(ct, w)
            }
            ConvOp::FloatToSInt => self.float_to_int(true, to, x),
            ConvOp::FloatToUInt => self.float_to_int(false, to, x),
            ConvOp::FPromote => self.b.ins().fpromote(ct, x),
            ConvOp::FDemote => self.b.ins().fdemote(ct, x),
            ConvOp::Bitcast => self.b.ins().bitcast(ct, MemFlagsData::new(), x),
            // Converted by `convert` with the text helpers.
            ConvOp::ToText | ConvOp::Parse => x,
        }
    }

    /// Saturates at the target's range: the 64-bit conversion saturates at
    /// i64/u64, then narrow targets clamp before keeping their low bits.
    fn float_to_int(&mut self, signed: bool, to: Ty, x: Value) -> Value {
        let ct = clif_type(to);
        let bits = to.bits();
        if signed {
            let v = self.b.ins().fcvt_to_sint_sat(types::I64, x);
            if bits == 64 {
                return v;
            }
            let max = self.b.ins().iconst(types::I64, (1i64 << (bits - 1)) - 1);
            let min = self.b.ins().iconst(types::I64, -(1i64 << (bits - 1)));
            let v = self.b.ins().smin(v, max);
            let v = self.b.ins().smax(v, min);
            self.b.ins().ireduce(ct, v)
        } else {
            let v = self.b.ins().fcvt_to_uint_sat(types::I64, x);
            if bits == 64 {
                return v;
            }
            let max = self.b.ins().iconst(types::I64, (1i64 << bits) - 1);
            let v = self.b.ins().umin(v, max);
            self.b.ins().ireduce(ct, v)
        }
    }
}

pub(super) fn int_cc(op: CmpOp) -> IntCC {
    match op {
        CmpOp::Eq => IntCC::Equal,
        CmpOp::Ne => IntCC::NotEqual,
        CmpOp::Lt => IntCC::SignedLessThan,
        CmpOp::Le => IntCC::SignedLessThanOrEqual,
        CmpOp::Gt => IntCC::SignedGreaterThan,
        CmpOp::Ge => IntCC::SignedGreaterThanOrEqual,
        CmpOp::ULt => IntCC::UnsignedLessThan,
        CmpOp::ULe => IntCC::UnsignedLessThanOrEqual,
        CmpOp::UGt => IntCC::UnsignedGreaterThan,
        CmpOp::UGe => IntCC::UnsignedGreaterThanOrEqual,
    }
}
