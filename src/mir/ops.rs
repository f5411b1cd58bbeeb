//! The operation tables: each enum, its MIR text names (mnemonics) and its
//! operand class are written once, in the `named_enum!` invocations below;
//! the parser, the printer, validation and the backends all read them here.

use crate::util::named_enum;

named_enum! {
    /// One-operand operations: `d = neg x`.
    UnOp {
        /// Integer (wrapping) or float negation.
        Neg = "neg",
        /// Boolean not, or bitwise not of an integer.
        Not = "not",
        /// Absolute value (integers wrap: `abs(MIN) == MIN`).
        Abs = "abs",
        Sqrt = "sqrt",
        Floor = "floor",
        Ceil = "ceil",
        /// Round toward zero (floats).
        Trunc = "trunc",
        /// Length of a text in bytes (the result is i64).
        Len = "len",
    }
}

named_enum! {
    /// Two-operand operations on one type: `d = add a, b`.
    BinOp {
        /// Also concatenates two texts.
        Add = "add",
        Sub = "sub",
        Mul = "mul",
        /// Signed integer division (checked: zero is a runtime error, `MIN / -1`
        /// wraps) or float division.
        Div = "div",
        /// Signed remainder with the dividend's sign (checked like `Div`; `% -1`
        /// is 0), or float remainder (`fmod`).
        Rem = "rem",
        UDiv = "udiv",
        URem = "urem",
        /// Integer power (checked: a negative exponent is a runtime error;
        /// wraps on overflow) or float `pow`.
        Pow = "pow",
        And = "and",
        Or = "or",
        Xor = "xor",
        Shl = "shl",
        /// Arithmetic shift right.
        Shr = "shr",
        /// Logical shift right.
        UShr = "ushr",
        Min = "min",
        Max = "max",
    }
}

named_enum! {
    /// Comparisons, with a bool result: `c = lt a, b`.
    CmpOp {
        Eq = "eq",
        Ne = "ne",
        /// Signed (integers) or ordered (floats) comparisons.
        Lt = "lt",
        Le = "le",
        Gt = "gt",
        Ge = "ge",
        ULt = "ult",
        ULe = "ule",
        UGt = "ugt",
        UGe = "uge",
    }
}

named_enum! {
    /// Conversions to the destination's type: `d = sext x`.
    ConvOp {
        /// Sign-extend to a wider integer.
        Sext = "sext",
        /// Zero-extend to a wider integer (also bool to integer).
        Zext = "zext",
        /// Keep the low bits (a narrower integer).
        Reduce = "reduce",
        /// Signed integer to float.
        SIntToFloat = "sitof",
        UIntToFloat = "uitof",
        /// Float to signed integer, toward zero, saturating at the target
        /// type's range; NaN gives 0.
        FloatToSInt = "ftosi",
        FloatToUInt = "ftoui",
        FPromote = "fpromote",
        FDemote = "fdemote",
        /// Reinterpret the bits (same width).
        Bitcast = "bitcast",
        /// Any integer, float or bool as text (`str`).
        ToText = "str",
        /// Text to i64 or f64 (`int`, `float`): a text that is not a number
        /// is a runtime error.
        Parse = "parse",
    }
}

named_enum! {
    /// Operations on arrays, and `print` (docs/mir.md, "Arrays"). The
    /// array is the first operand (for `anew`, the destination); an
    /// operation that changes it (`aset`, `apush`, `apop`, `atake`) takes
    /// a local, which it updates in place: when the local's storage is
    /// shared it first gets a copy of its own (copy on write).
    DataOp {
        /// `a = anew n`: an empty array of `a`'s type with room for `n`.
        New = "anew",
        /// `x = aget a, i`: element `i` (checked: `index out of range`).
        Get = "aget",
        /// `aset a, i, x`: replaces element `i` (checked).
        Set = "aset",
        /// `aput a, i, x`: as `aset`, but moves `x` (a local) in: its
        /// reference goes to the array and `x` is left zero. How a nested
        /// element taken out with `atake` goes back without a copy or a
        /// reference count change.
        Put = "aput",
        /// `apush a, x`: appends (amortised O(1)).
        Push = "apush",
        /// `x = apop a`: removes and returns the last element (checked).
        Pop = "apop",
        /// `x = atake a, i`: moves element `i` out, leaving the element
        /// type's zero value: how a nested element is changed without
        /// copying it (take, change, `aset` back).
        Take = "atake",
        /// `b = aslice a, i, j`: elements `i` up to `j` (exclusive), a new
        /// array (checked: `0 <= i <= j <= len`).
        Slice = "aslice",
        /// `b = arepeat a, n`: `a` repeated `n` times (`n < 0` gives `[]`).
        Repeat = "arepeat",
        /// `r = rnew a, b, ...`: a record of `r`'s type with these fields,
        /// in declaration order.
        Record = "rnew",
        /// `b = mhas m, k`: whether the map has the key.
        Has = "mhas",
        /// `mdel m, k`: removes the key's entry (nothing when it has none).
        Del = "mdel",
        /// `a = mkeys m`: the keys, in insertion order, as an array.
        Keys = "mkeys",
        /// `a = mvalues m`: the values, in insertion order, as an array.
        Values = "mvalues",
        /// `print t`: writes a text and a newline to the manager's print
        /// handler (stdout by default).
        Print = "print",
        /// `aown a`: gives `a` storage of its own, as a write does first
        /// (a copy when it is shared; a new record or map for an empty
        /// one); nothing else changes. `opt::loop_storage` puts one before
        /// a loop that writes `a` on every iteration, so that the loop's
        /// writes need no check.
        Own = "aown",
    }
}

named_enum! {
    /// Operations on host memory bound to an `extern val` (docs/mir.md,
    /// "Host data"). Each names a binding, or for `xcheck` a host struct.
    HostOp {
        /// `p = xaddr NAME`: the address the host bound `NAME` to (for an
        /// array, its first element's, which may be one past the end of an
        /// empty one); `p = xaddr NAME, i`: element `i` of an array binding
        /// (checked: `index out of range`). Unbound: `unbound extern NAME`.
        Addr = "xaddr",
        /// `n = xlen NAME`: an array binding's element count.
        Len = "xlen",
        /// `xcheck NAME, p`: `p` (a `ptr` to a host struct `NAME` the host
        /// passed) is not NULL (else `null pointer for extern struct NAME`).
        Check = "xcheck",
        /// `x = xget S, p, K`: field number `K` (a constant) of the host
        /// struct `S` at `p`, as its C type's MIR type (`u8` as `i8`).
        Get = "xget",
        /// `xset S, p, K, v`: stores `v` in field `K` of the struct at `p`.
        Set = "xset",
    }
}

impl HostOp {
    /// Whether the instruction has a result.
    pub fn has_result(self) -> bool {
        !matches!(self, HostOp::Check | HostOp::Set)
    }
}

impl DataOp {
    /// Whether the instruction has a result.
    pub fn has_result(self) -> bool {
        !matches!(self, DataOp::Set | DataOp::Put | DataOp::Push | DataOp::Del | DataOp::Print | DataOp::Own)
    }

    /// What it works on, for messages.
    pub fn works_on(self) -> &'static str {
        match self {
            DataOp::Get | DataOp::Set | DataOp::Put | DataOp::Take | DataOp::Own => "an array, a record or a map",
            DataOp::New => "an array or a map",
            DataOp::Record => "a record",
            DataOp::Has | DataOp::Del | DataOp::Keys | DataOp::Values => "a map",
            _ => "an array",
        }
    }

    /// Whether it changes the array in its first operand (a local).
    pub fn mutates(self) -> bool {
        matches!(
            self,
            DataOp::Set | DataOp::Put | DataOp::Push | DataOp::Pop | DataOp::Take | DataOp::Del | DataOp::Own
        )
    }
}

/// An operation of one of the tables, as the text names it: which table it
/// is in decides how many operands it takes (one for unary operations and
/// conversions, two for the others).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Unary(UnOp),
    Binary(BinOp),
    Cmp(CmpOp),
    Convert(ConvOp),
}

impl Op {
    pub fn from_name(text: &str) -> Option<Op> {
        UnOp::from_name(text)
            .map(Op::Unary)
            .or_else(|| BinOp::from_name(text).map(Op::Binary))
            .or_else(|| CmpOp::from_name(text).map(Op::Cmp))
            .or_else(|| ConvOp::from_name(text).map(Op::Convert))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mnemonic_names_exactly_one_operation() {
        let all: Vec<(&str, Op)> = (UnOp::ALL.iter().map(|o| (o.name(), Op::Unary(*o))))
            .chain(BinOp::ALL.iter().map(|o| (o.name(), Op::Binary(*o))))
            .chain(CmpOp::ALL.iter().map(|o| (o.name(), Op::Cmp(*o))))
            .chain(ConvOp::ALL.iter().map(|o| (o.name(), Op::Convert(*o))))
            .collect();
        assert_eq!(all.len(), 46);
        for (name, op) in &all {
            assert_eq!(Op::from_name(name), Some(*op), "{name}");
        }
    }
}
