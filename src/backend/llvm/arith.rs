//! Arithmetic, comparisons and conversions of numbers and bools, with
//! the semantics of `backend::cranelift::arith`.
//!
//! Where LLVM leaves a case undefined, the code defines it first: integer
//! division and remainder check for zero and give `MIN / -1` its wrapped
//! value through a select; shift amounts are taken modulo the width;
//! float-to-integer conversions saturate (`fpto[su]i.sat`).

use inkwell::types::BasicTypeEnum;
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};

use super::function::{Translator, llvm_type};
use crate::abi::ErrKind;
use crate::backend::CodegenError;
use crate::backend::lowering::{MirView, Op, const_int};
use crate::mir::{self, BinOp, CmpOp, Const, ConvOp, Operand, Ty, UnOp};

/// Integer powers with a constant exponent up to this are multiplications
/// (`x^2` in formulas); larger ones call the helper.
const MAX_INLINE_POWER: i64 = 4;

impl<'ctx> Translator<'_, 'ctx> {
    /// Calls the LLVM intrinsic `name` overloaded on `types`.
    pub(super) fn intrinsic(
        &self,
        name: &str,
        types: &[BasicTypeEnum<'ctx>],
        args: &[BasicMetadataValueEnum<'ctx>],
    ) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let missing = || self.invariant(format!("no intrinsic {name}"));
        let decl = inkwell::intrinsics::Intrinsic::find(name)
            .and_then(|i| i.get_declaration(self.module, types))
            .ok_or_else(missing)?;
        self.b.build_call(decl, args, "")?.try_as_basic_value().basic().ok_or_else(missing)
    }

    fn float(&self, op: &Operand) -> Result<FloatValue<'ctx>, CodegenError> {
        match self.operand(op)? {
            BasicValueEnum::FloatValue(v) => Ok(v),
            other => Err(self.invariant(format!("a float operand is a {other:?}"))),
        }
    }

    pub(super) fn unary(&self, dst: mir::Local, op: UnOp, src: &Operand) -> Result<(), CodegenError> {
        let t = self.ty_of(src);
        if op == UnOp::Len {
            let x = self.int(src)?;
            let v = if t == Ty::Text { self.text_len(x)? } else { self.array_len(x)? };
            return self.set(dst, v);
        }
        let ty = llvm_type(self.cx, t);
        let v: BasicValueEnum<'ctx> = if t.is_float() {
            let x = self.float(src)?;
            let name = match op {
                UnOp::Neg => return self.set(dst, self.b.build_float_neg(x, "")?),
                UnOp::Abs => "llvm.fabs",
                UnOp::Sqrt => "llvm.sqrt",
                UnOp::Floor => "llvm.floor",
                UnOp::Ceil => "llvm.ceil",
                UnOp::Trunc => "llvm.trunc",
                UnOp::Not | UnOp::Len => return Err(self.invariant(format!("{} of a {t}", op.name()))),
            };
            self.intrinsic(name, &[ty], &[x.into()])?
        } else {
            let x = self.int(src)?;
            match op {
                UnOp::Neg => self.b.build_int_neg(x, "")?.into(),
                UnOp::Not if t == Ty::Bool => self.b.build_xor(x, x.get_type().const_int(1, false), "")?.into(),
                UnOp::Not => self.b.build_not(x, "")?.into(),
                UnOp::Abs => {
                    let wraps = self.cx.bool_type().const_zero();
                    self.intrinsic("llvm.abs", &[ty], &[x.into(), wraps.into()])?
                }
                _ => return Err(self.invariant(format!("{} of a {t}", op.name()))),
            }
        };
        self.set(dst, v)
    }

    pub(super) fn binary(&self, i: Op<'_, BinOp>) -> Result<(), CodegenError> {
        let Op { dst: Some(dst), op, args: [a, b], line } = i else {
            return Err(self.invariant("a binary operation without a result or two operands"));
        };
        let t = self.ty_of(a);
        let v: BasicValueEnum<'ctx> = if t == Ty::Text && op == BinOp::Add {
            self.text_concat(self.int(a)?, self.int(b)?, line)?.into()
        } else if t.obj().is_some() {
            self.array_concat(self.int(a)?, self.int(b)?, line)?.into()
        } else if t.is_float() {
            self.float_binary(op, t, a, b)?
        } else {
            self.int_binary(op, t, a, b, line)?.into()
        };
        self.set(dst, v)
    }

    fn int_binary(
        &self,
        op: BinOp,
        t: Ty,
        a: &Operand,
        b: &Operand,
        line: u32,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let x = self.int(a)?;
        let y = self.int(b)?;
        let ins = &self.b;
        Ok(match op {
            BinOp::Add => ins.build_int_add(x, y, "")?,
            BinOp::Sub => ins.build_int_sub(x, y, "")?,
            BinOp::Mul => ins.build_int_mul(x, y, "")?,
            BinOp::Div | BinOp::Rem => self.signed_div(op == BinOp::Div, x, y, const_int(b, t), line)?,
            BinOp::UDiv | BinOp::URem => {
                if const_int(b, t).is_none_or(|v| v == 0) {
                    let zero = ins.build_int_compare(IntPredicate::EQ, y, y.get_type().const_zero(), "")?;
                    self.check(zero, ErrKind::DivisionByZero, line)?;
                }
                if op == BinOp::UDiv {
                    self.b.build_int_unsigned_div(x, y, "")?
                } else {
                    self.b.build_int_unsigned_rem(x, y, "")?
                }
            }
            BinOp::Pow => self.int_pow(x, y, const_int(b, t), line)?,
            BinOp::And => ins.build_and(x, y, "")?,
            BinOp::Or => ins.build_or(x, y, "")?,
            BinOp::Xor => ins.build_xor(x, y, "")?,
            BinOp::Shl | BinOp::Shr | BinOp::UShr => {
                // The amount modulo the width, as Cranelift (and x86) take it.
                let y = if y.get_type() == x.get_type() {
                    y
                } else {
                    ins.build_int_truncate_or_bit_cast(y, x.get_type(), "")?
                };
                let bits = u64::from(x.get_type().get_bit_width());
                let y = ins.build_and(y, x.get_type().const_int(bits - 1, false), "")?;
                match op {
                    BinOp::Shl => ins.build_left_shift(x, y, "")?,
                    BinOp::Shr => ins.build_right_shift(x, y, true, "")?,
                    _ => ins.build_right_shift(x, y, false, "")?,
                }
            }
            BinOp::Min | BinOp::Max => {
                let name = if op == BinOp::Min { "llvm.smin" } else { "llvm.smax" };
                self.intrinsic(name, &[x.get_type().into()], &[x.into(), y.into()])?.into_int_value()
            }
        })
    }

    /// `/` and `%` on signed integers: zero is an error; `MIN / -1` wraps to
    /// MIN and `MIN % -1` is 0.
    /// `known`: the divisor, when it is a constant.
    fn signed_div(
        &self,
        div: bool,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
        known: Option<i64>,
        line: u32,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        if let Some(v) = known {
            if v != 0 && v != -1 {
                return Ok(if div {
                    self.b.build_int_signed_div(x, y, "")?
                } else {
                    self.b.build_int_signed_rem(x, y, "")?
                });
            }
        }
        let ty = x.get_type();
        let zero = self.b.build_int_compare(IntPredicate::EQ, y, ty.const_zero(), "")?;
        self.check(zero, ErrKind::DivisionByZero, line)?;
        let minus_one = self.b.build_int_compare(IntPredicate::EQ, y, ty.const_all_ones(), "")?;
        let safe = self.b.build_select(minus_one, ty.const_int(1, false), y, "")?.into_int_value();
        Ok(if div {
            let q = self.b.build_int_signed_div(x, safe, "")?;
            let neg = self.b.build_int_neg(x, "")?;
            self.b.build_select(minus_one, neg, q, "")?.into_int_value()
        } else {
            let r = self.b.build_int_signed_rem(x, safe, "")?;
            self.b.build_select(minus_one, ty.const_zero(), r, "")?.into_int_value()
        })
    }

    /// `known`: the exponent, when it is a constant.
    fn int_pow(
        &self,
        x: IntValue<'ctx>,
        y: IntValue<'ctx>,
        known: Option<i64>,
        line: u32,
    ) -> Result<IntValue<'ctx>, CodegenError> {
        let ty = x.get_type();
        if let Some(v) = known {
            if (0..=MAX_INLINE_POWER).contains(&v) {
                let mut acc = ty.const_int(1, false);
                for _ in 0..v {
                    acc = self.b.build_int_mul(acc, x, "")?;
                }
                return Ok(acc);
            }
        }
        let negative = self.b.build_int_compare(IntPredicate::SLT, y, ty.const_zero(), "")?;
        self.check(negative, ErrKind::NegativeExponent, line)?;
        let i64t = self.cx.i64_type();
        let (x64, y64) = if ty.get_bit_width() < 64 {
            (self.b.build_int_s_extend(x, i64t, "")?, self.b.build_int_s_extend(y, i64t, "")?)
        } else {
            (x, y)
        };
        let r = self.call_helper(
            self.helpers.ipow,
            &[i64t.into(), i64t.into()],
            Some(i64t.into()),
            &[x64.into(), y64.into()],
        )?;
        let r = r.ok_or_else(|| self.invariant("ipow returned nothing"))?.into_int_value();
        Ok(if ty.get_bit_width() < 64 { self.b.build_int_truncate(r, ty, "")? } else { r })
    }

    fn float_binary(&self, op: BinOp, t: Ty, a: &Operand, b: &Operand) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let x = self.float(a)?;
        if op == BinOp::Pow && matches!(b, Operand::Const(Const::F64(v)) if *v == 2.0) {
            return Ok(self.b.build_float_mul(x, x, "")?.into());
        }
        let y = self.float(b)?;
        let ins = &self.b;
        Ok(match op {
            BinOp::Add => ins.build_float_add(x, y, "")?.into(),
            BinOp::Sub => ins.build_float_sub(x, y, "")?.into(),
            BinOp::Mul => ins.build_float_mul(x, y, "")?.into(),
            BinOp::Div => ins.build_float_div(x, y, "")?.into(),
            // NaN if either is, and -0 below +0: Cranelift's fmin/fmax.
            BinOp::Min => self.intrinsic("llvm.minimum", &[x.get_type().into()], &[x.into(), y.into()])?,
            BinOp::Max => self.intrinsic("llvm.maximum", &[x.get_type().into()], &[x.into(), y.into()])?,
            BinOp::Pow | BinOp::Rem => {
                let addr = if op == BinOp::Pow { self.helpers.fpow } else { self.helpers.fmod };
                let f64t = self.cx.f64_type();
                let (x, y) = if t == Ty::F32 {
                    (ins.build_float_ext(x, f64t, "")?, ins.build_float_ext(y, f64t, "")?)
                } else {
                    (x, y)
                };
                let r =
                    self.call_helper(addr, &[f64t.into(), f64t.into()], Some(f64t.into()), &[x.into(), y.into()])?;
                let r = r.ok_or_else(|| self.invariant("a float helper returned nothing"))?.into_float_value();
                if t == Ty::F32 { self.b.build_float_trunc(r, self.cx.f32_type(), "")?.into() } else { r.into() }
            }
            _ => return Err(self.invariant(format!("{} of a {t}", op.name()))),
        })
    }

    pub(super) fn cmp(&self, dst: mir::Local, op: CmpOp, a: &Operand, b: &Operand) -> Result<(), CodegenError> {
        let t = self.ty_of(a);
        let v = if t == Ty::Text {
            self.text_cmp(op, self.int(a)?, self.int(b)?)?
        } else if t.obj().is_some() {
            let eq = self.array_equal(t, self.int(a)?, self.int(b)?)?;
            match op {
                CmpOp::Eq => eq,
                CmpOp::Ne => self.b.build_not(eq, "")?,
                other => return Err(self.invariant(format!("{} of arrays", other.name()))),
            }
        } else if t.is_float() {
            let p = match op {
                CmpOp::Eq => FloatPredicate::OEQ,
                CmpOp::Ne => FloatPredicate::UNE,
                CmpOp::Lt => FloatPredicate::OLT,
                CmpOp::Le => FloatPredicate::OLE,
                CmpOp::Gt => FloatPredicate::OGT,
                CmpOp::Ge => FloatPredicate::OGE,
                CmpOp::ULt | CmpOp::ULe | CmpOp::UGt | CmpOp::UGe => {
                    return Err(self.invariant(format!("{} of a {t}", op.name())));
                }
            };
            self.b.build_float_compare(p, self.float(a)?, self.float(b)?, "")?
        } else {
            self.b.build_int_compare(int_predicate(op), self.int(a)?, self.int(b)?, "")?
        };
        self.set(dst, self.boolean(v)?)
    }

    pub(super) fn convert(&self, dst: mir::Local, op: ConvOp, src: &Operand, line: u32) -> Result<(), CodegenError> {
        let from = self.ty_of(src);
        let to = self.local_ty(dst);
        let v: BasicValueEnum<'ctx> = match op {
            ConvOp::ToText if from.obj().is_some() => self.array_text(from, self.int(src)?, line)?.into(),
            ConvOp::ToText => self.text_of(from, self.operand(src)?, line)?.into(),
            ConvOp::Parse => self.parse_number(to, self.int(src)?, line)?,
            _ => self.numeric_convert(op, from, to, self.operand(src)?)?,
        };
        self.set(dst, v)
    }

    fn numeric_convert(
        &self,
        op: ConvOp,
        from: Ty,
        to: Ty,
        x: BasicValueEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>, CodegenError> {
        let target = llvm_type(self.cx, to);
        if matches!(op, ConvOp::Sext | ConvOp::Zext | ConvOp::Bitcast) && llvm_type(self.cx, from) == target {
            return Ok(x);
        }
        let i64t = self.cx.i64_type();
        let ins = &self.b;
        let int = |v: BasicValueEnum<'ctx>| v.into_int_value();
        Ok(match op {
            ConvOp::Sext => ins.build_int_s_extend(int(x), target.into_int_type(), "")?.into(),
            ConvOp::Zext => ins.build_int_z_extend(int(x), target.into_int_type(), "")?.into(),
            ConvOp::Reduce => ins.build_int_truncate(int(x), target.into_int_type(), "")?.into(),
            ConvOp::SIntToFloat | ConvOp::UIntToFloat => {
                let signed = op == ConvOp::SIntToFloat;
                let w = match (from.bits() < 64, signed) {
                    (true, true) => ins.build_int_s_extend(int(x), i64t, "")?,
                    (true, false) => ins.build_int_z_extend(int(x), i64t, "")?,
                    (false, _) => int(x),
                };
                let ft = target.into_float_type();
                if signed {
                    ins.build_signed_int_to_float(w, ft, "")?.into()
                } else {
                    ins.build_unsigned_int_to_float(w, ft, "")?.into()
                }
            }
            ConvOp::FloatToSInt | ConvOp::FloatToUInt => self.float_to_int(op == ConvOp::FloatToSInt, to, x)?.into(),
            ConvOp::FPromote => ins.build_float_ext(x.into_float_value(), target.into_float_type(), "")?.into(),
            ConvOp::FDemote => ins.build_float_trunc(x.into_float_value(), target.into_float_type(), "")?.into(),
            ConvOp::Bitcast => ins.build_bit_cast(x, target, "")?,
            ConvOp::ToText | ConvOp::Parse => x,
        })
    }

    /// Saturates at the target's range: the 64-bit conversion saturates at
    /// i64/u64 (NaN is 0), then narrow targets clamp before keeping their
    /// low bits.
    fn float_to_int(&self, signed: bool, to: Ty, x: BasicValueEnum<'ctx>) -> Result<IntValue<'ctx>, CodegenError> {
        let i64t = self.cx.i64_type();
        let name = if signed { "llvm.fptosi.sat" } else { "llvm.fptoui.sat" };
        let v = self.intrinsic(name, &[i64t.into(), x.get_type()], &[x.into()])?.into_int_value();
        let bits = to.bits();
        if bits == 64 {
            return Ok(v);
        }
        let v = if signed {
            let max = self.i64((1i64 << (bits - 1)) - 1);
            let min = self.i64(-(1i64 << (bits - 1)));
            let v = self.intrinsic("llvm.smin", &[i64t.into()], &[v.into(), max.into()])?.into_int_value();
            self.intrinsic("llvm.smax", &[i64t.into()], &[v.into(), min.into()])?.into_int_value()
        } else {
            let max = self.i64((1i64 << bits) - 1);
            self.intrinsic("llvm.umin", &[i64t.into()], &[v.into(), max.into()])?.into_int_value()
        };
        Ok(self.b.build_int_truncate(v, llvm_type(self.cx, to).into_int_type(), "")?)
    }
}

pub(super) fn int_predicate(op: CmpOp) -> IntPredicate {
    match op {
        CmpOp::Eq => IntPredicate::EQ,
        CmpOp::Ne => IntPredicate::NE,
        CmpOp::Lt => IntPredicate::SLT,
        CmpOp::Le => IntPredicate::SLE,
        CmpOp::Gt => IntPredicate::SGT,
        CmpOp::Ge => IntPredicate::SGE,
        CmpOp::ULt => IntPredicate::ULT,
        CmpOp::ULe => IntPredicate::ULE,
        CmpOp::UGt => IntPredicate::UGT,
        CmpOp::UGe => IntPredicate::UGE,
    }
}
