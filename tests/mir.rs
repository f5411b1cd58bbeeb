//! MIR text programs run through the Rust API (`Manager::compile_mir`):
//! every instruction group, host functions, re-entrant callbacks,
//! `rt_raise_error`, and the source -> MIR round trip.
//!
//! Expected values come from a reference model written in Rust (wrapping
//! integer arithmetic per width, IEEE floats), never from the library.

mod backend_support;

use std::ffi::CString;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use rtjit::Signature;
use rtjit::{Error, Manager, Value};

// ------------------------------------------------------------------ helpers

fn manager() -> Manager {
    Manager::new(backend_support::backend()).expect("a manager")
}

/// Compiles MIR text that must be accepted; returns the init value.
#[track_caller]
fn load(m: &Manager, text: &str) -> Value {
    match m.compile_mir(text.as_bytes(), "<mir>") {
        Ok(v) => v,
        Err(e) => panic!("compile_mir failed: {e:?}\n----\n{text}\n----"),
    }
}

/// Compiles MIR text that must be rejected with a compile error; returns
/// the message.
#[track_caller]
fn compile_error(m: &Manager, text: &str) -> String {
    match m.compile_mir(text.as_bytes(), "<mir>") {
        Err(Error::Compile(msg)) => msg,
        other => panic!("expected Error::Compile, got {other:?}\n----\n{text}\n----"),
    }
}

#[track_caller]
fn call(m: &Manager, name: &str, args: &[Value]) -> Value {
    match m.call(name, args) {
        Ok(v) => v,
        Err(e) => panic!("call {name}({args:?}) failed: {e:?}"),
    }
}

#[track_caller]
fn runtime_error(r: Result<Value, Error>) -> String {
    match r {
        Err(Error::Runtime(msg)) => msg,
        other => panic!("expected Error::Runtime, got {other:?}"),
    }
}

fn i(v: i64) -> Value {
    Value::I64(v)
}

fn f(v: f64) -> Value {
    Value::F64(v)
}

fn t(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn sig(s: &str) -> Signature {
    Signature::parse(s).unwrap_or_else(|e| panic!("signature {s}: {e}"))
}

/// The line of each `fn NAME(` in `text` (1-based), by name.
fn fn_lines(text: &str) -> std::collections::HashMap<String, usize> {
    text.lines()
        .enumerate()
        .filter_map(|(n, l)| l.strip_prefix("fn ").map(|r| (r.split('(').next().unwrap_or("").to_string(), n + 1)))
        .collect()
}

/// The line of `needle` in `text` (1-based), for checking `at line N`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("`{needle}` not in the text")) + 1
}

// ------------------------------------------------- integer reference model

#[derive(Clone, Copy, Debug, PartialEq)]
enum W {
    I8,
    I16,
    I32,
    I64,
}

const WIDTHS: [W; 4] = [W::I8, W::I16, W::I32, W::I64];

impl W {
    fn name(self) -> &'static str {
        match self {
            W::I8 => "i8",
            W::I16 => "i16",
            W::I32 => "i32",
            W::I64 => "i64",
        }
    }
    fn bits(self) -> u32 {
        match self {
            W::I8 => 8,
            W::I16 => 16,
            W::I32 => 32,
            W::I64 => 64,
        }
    }
    /// `v` wrapped to the width, sign-extended.
    fn norm(self, v: i64) -> i64 {
        match self {
            W::I8 => v as i8 as i64,
            W::I16 => v as i16 as i64,
            W::I32 => v as i32 as i64,
            W::I64 => v,
        }
    }
    fn unsigned(self, v: i64) -> u64 {
        match self {
            W::I8 => v as u8 as u64,
            W::I16 => v as u16 as u64,
            W::I32 => v as u32 as u64,
            W::I64 => v as u64,
        }
    }
    fn min(self) -> i64 {
        match self {
            W::I8 => i8::MIN as i64,
            W::I16 => i16::MIN as i64,
            W::I32 => i32::MIN as i64,
            W::I64 => i64::MIN,
        }
    }
    fn max(self) -> i64 {
        match self {
            W::I8 => i8::MAX as i64,
            W::I16 => i16::MAX as i64,
            W::I32 => i32::MAX as i64,
            W::I64 => i64::MAX,
        }
    }
    fn samples(self) -> Vec<i64> {
        let mut v = vec![self.min(), self.min() + 1, -100, -7, -2, -1, 0, 1, 2, 3, 7, 100, self.max() - 1, self.max()];
        v.iter_mut().for_each(|x| *x = self.norm(*x));
        v.dedup();
        v
    }
}

const INT_BINOPS: [&str; 16] =
    ["add", "sub", "mul", "div", "rem", "udiv", "urem", "pow", "and", "or", "xor", "shl", "shr", "ushr", "min", "max"];

/// What `op a, b` gives at width `w`: Ok(value) or Err(runtime error words).
fn int_ref(op: &str, w: W, a: i64, b: i64) -> Result<i64, &'static str> {
    let n = |v: i64| w.norm(v);
    Ok(match op {
        "add" => n(a.wrapping_add(b)),
        "sub" => n(a.wrapping_sub(b)),
        "mul" => n(a.wrapping_mul(b)),
        "div" if b == 0 => return Err("division by zero"),
        "div" => n(a.wrapping_div(b)),
        "rem" if b == 0 => return Err("division by zero"),
        "rem" => n(a.wrapping_rem(b)),
        "udiv" if b == 0 => return Err("division by zero"),
        "udiv" => n((w.unsigned(a) / w.unsigned(b)) as i64),
        "urem" if b == 0 => return Err("division by zero"),
        "urem" => n((w.unsigned(a) % w.unsigned(b)) as i64),
        "pow" if b < 0 => return Err("negative exponent"),
        "pow" => n(a.wrapping_pow(b as u32)),
        "and" => a & b,
        "or" => a | b,
        "xor" => a ^ b,
        "shl" => n(a << b),
        "shr" => a >> b,
        "ushr" => n((w.unsigned(a) >> b) as i64),
        "min" => a.min(b),
        "max" => a.max(b),
        _ => unreachable!("{op}"),
    })
}

fn cmp_ref(op: &str, w: W, a: i64, b: i64) -> bool {
    let (ua, ub) = (w.unsigned(a), w.unsigned(b));
    match op {
        "eq" => a == b,
        "ne" => a != b,
        "lt" => a < b,
        "le" => a <= b,
        "gt" => a > b,
        "ge" => a >= b,
        "ult" => ua < ub,
        "ule" => ua <= ub,
        "ugt" => ua > ub,
        "uge" => ua >= ub,
        _ => unreachable!("{op}"),
    }
}

const CMP_OPS: [&str; 10] = ["eq", "ne", "lt", "le", "gt", "ge", "ult", "ule", "ugt", "uge"];

fn binop_fn(name: &str, op: &str, ty: &str) -> String {
    format!("fn {name}(a: {ty}, b: {ty}) -> {ty} {{\n    local r: {ty}\nentry:\n    r = {op} a, b\n    ret r\n}}\n")
}

// ------------------------------------------------------ integer arithmetic

#[test]
fn integer_binary_ops_per_width_match_wrapping_arithmetic() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for w in WIDTHS {
        for op in INT_BINOPS {
            text += &binop_fn(&format!("{op}_{}", w.name()), op, w.name());
        }
    }
    load(&m, &text);
    let lines = fn_lines(&text);
    let mut checked = 0;
    for w in WIDTHS {
        let samples = w.samples();
        for op in INT_BINOPS {
            let name = format!("{op}_{}", w.name());
            for &a in &samples {
                for &b in &samples {
                    // Shift amounts outside 0..bits are left to their own test.
                    if matches!(op, "shl" | "shr" | "ushr") && !(0..w.bits() as i64).contains(&b) {
                        continue;
                    }
                    if op == "pow" && b > 100 {
                        continue;
                    }
                    let got = m.call(&name, &[i(a), i(b)]);
                    match int_ref(op, w, a, b) {
                        Ok(v) => assert_eq!(got, Ok(i(v)), "{name}({a}, {b})"),
                        Err(words) => {
                            let msg = runtime_error(got);
                            assert!(
                                msg == format!("{words} in {name} at line {}", lines[&name] + 3),
                                "{name}({a}, {b}): {msg}"
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
        // Shift amounts are used modulo the width (as in Cranelift); only
        // check that large amounts run and give a value of the width.
        for op in ["shl", "shr", "ushr"] {
            let name = format!("{op}_{}", w.name());
            for b in [w.bits() as i64, w.bits() as i64 + 1, -1] {
                match m.call(&name, &[i(5), i(w.norm(b))]) {
                    Ok(Value::I64(v)) => assert_eq!(w.norm(v), v, "{name}(5, {b})"),
                    other => panic!("{name}(5, {b}): {other:?}"),
                }
            }
        }
    }
    assert!(checked > 2000, "{checked}");
}

#[test]
fn integer_unary_ops_per_width() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for w in WIDTHS {
        for op in ["neg", "not", "abs", "copy"] {
            let ty = w.name();
            text += &format!("fn {op}_{ty}(a: {ty}) -> {ty} {{\n    local r: {ty}\n    r = {op} a\n    ret r\n}}\n");
        }
    }
    load(&m, &text);
    for w in WIDTHS {
        for a in w.samples() {
            let name = |op: &str| format!("{op}_{}", w.name());
            assert_eq!(call(&m, &name("neg"), &[i(a)]), i(w.norm(a.wrapping_neg())), "neg {a}");
            assert_eq!(call(&m, &name("not"), &[i(a)]), i(w.norm(!a)), "not {a}");
            assert_eq!(call(&m, &name("abs"), &[i(a)]), i(w.norm(a.wrapping_abs())), "abs {a}");
            assert_eq!(call(&m, &name("copy"), &[i(a)]), i(a), "copy {a}");
        }
        // An argument wider than the type is wrapped to it on the way in.
        assert_eq!(call(&m, &format!("copy_{}", w.name()), &[i(w.max().wrapping_add(1))]), i(w.min()));
    }
}

#[test]
fn integer_comparisons_signed_and_unsigned() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for w in WIDTHS {
        for op in CMP_OPS {
            let ty = w.name();
            text += &format!(
                "fn {op}_{ty}(a: {ty}, b: {ty}) -> bool {{\n    local r: bool\n    r = {op} a, b\n    ret r\n}}\n"
            );
        }
    }
    // Unsigned comparisons and equality also apply to bool.
    for op in ["eq", "ne", "ult", "ule", "ugt", "uge"] {
        text += &format!(
            "fn {op}_bool(a: bool, b: bool) -> bool {{\n    local r: bool\n    r = {op} a, b\n    ret r\n}}\n"
        );
    }
    load(&m, &text);
    for w in WIDTHS {
        let samples = w.samples();
        for op in CMP_OPS {
            let name = format!("{op}_{}", w.name());
            for &a in &samples {
                for &b in &samples {
                    assert_eq!(call(&m, &name, &[i(a), i(b)]), Value::Bool(cmp_ref(op, w, a, b)), "{name}({a}, {b})");
                }
            }
        }
    }
    for op in ["eq", "ne", "ult", "ule", "ugt", "uge"] {
        for a in [false, true] {
            for b in [false, true] {
                let want = cmp_ref(op, W::I8, a as i64, b as i64);
                assert_eq!(call(&m, &format!("{op}_bool"), &[Value::Bool(a), Value::Bool(b)]), Value::Bool(want));
            }
        }
    }
}

#[test]
fn constant_operands_take_the_checked_and_unchecked_paths() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    // Constant divisors: 0 and -1 need the checks, others do not.
    for w in WIDTHS {
        let ty = w.name();
        for (tag, k) in [("z", 0), ("m1", -1), ("p3", 3), ("m3", -3)] {
            for op in ["div", "rem", "udiv", "urem"] {
                text += &format!(
                    "fn {op}_{tag}_{ty}(a: {ty}) -> {ty} {{\n    local r: {ty}\n    r = {op} a, {k}:{ty}\n    ret r\n}}\n"
                );
            }
        }
        for k in 0..=6 {
            text += &format!(
                "fn pow{k}_{ty}(a: {ty}) -> {ty} {{\n    local r: {ty}\n    r = pow a, {k}:{ty}\n    ret r\n}}\n"
            );
        }
        text +=
            &format!("fn powneg_{ty}(a: {ty}) -> {ty} {{\n    local r: {ty}\n    r = pow a, -2:{ty}\n    ret r\n}}\n");
    }
    load(&m, &text);
    let lines = fn_lines(&text);
    for w in WIDTHS {
        let ty = w.name();
        for a in w.samples() {
            for (tag, k) in [("z", 0), ("m1", -1), ("p3", 3), ("m3", -3)] {
                for op in ["div", "rem", "udiv", "urem"] {
                    let name = format!("{op}_{tag}_{ty}");
                    let got = m.call(&name, &[i(a)]);
                    match int_ref(op, w, a, w.norm(k)) {
                        Ok(v) => assert_eq!(got, Ok(i(v)), "{name}({a})"),
                        Err(words) => {
                            let msg = runtime_error(got);
                            assert_eq!(msg, format!("{words} in {name} at line {}", lines[&name] + 2));
                        }
                    }
                }
            }
            for k in 0..=6 {
                let name = format!("pow{k}_{ty}");
                assert_eq!(call(&m, &name, &[i(a)]), i(int_ref("pow", w, a, k).unwrap()), "{name}({a})");
            }
            let msg = runtime_error(m.call(&format!("powneg_{ty}"), &[i(a)]));
            assert_eq!(msg, format!("negative exponent in powneg_{ty} at line {}", lines[&format!("powneg_{ty}")] + 2));
        }
    }
}

#[test]
fn integer_constants_are_typed_by_their_context_and_range_checked() {
    let m = manager();
    load(
        &m,
        "mir 1
fn k8() -> i8 {
    local r: i8
    r = add 200, 100
    ret r
}
fn k16() -> i16 {
    local r: i16
    r = mul 300, 300
    ret r
}
fn hex() -> i64 {
    local r: i64
    r = add 0xff, 0b101
    r = add r, 1_000
    ret r
}
fn umax() -> i64 {
    ret 18446744073709551615
}
fn imin() -> i64 {
    ret -9223372036854775808
}
fn b() -> bool {
    local r: bool
    r = copy 1
    ret r
}
",
    );
    assert_eq!(call(&m, "k8", &[]), i((200i64 + 100) as i8 as i64));
    assert_eq!(call(&m, "k16", &[]), i((300i64 * 300) as i16 as i64));
    assert_eq!(call(&m, "hex", &[]), i(255 + 5 + 1000));
    assert_eq!(call(&m, "umax", &[]), i(-1));
    assert_eq!(call(&m, "imin", &[]), i(i64::MIN));
    assert_eq!(call(&m, "b", &[]), Value::Bool(true));
    let e = compile_error(&m, "mir 1\nfn f() -> i8 {\n    ret 256\n}\n");
    assert!(e.starts_with("<mir>:3:9:") && e.contains("256 does not fit in i8"), "{e}");
    let e = compile_error(&m, "mir 1\nfn f() -> i16 {\n    ret -32769\n}\n");
    assert!(e.starts_with("<mir>:3:9:") && e.contains("does not fit in i16"), "{e}");
    let e = compile_error(&m, "mir 1\nfn f() -> bool {\n    ret 2\n}\n");
    assert!(e.starts_with("<mir>:3:"), "{e}");
    let e = compile_error(&m, "mir 1\nfn f() -> i64 {\n    ret 1.5\n}\n");
    assert!(e.starts_with("<mir>:3:") && e.contains("float"), "{e}");
}

// ------------------------------------------------------------------ floats

fn same_float(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

const F64_SAMPLES: [f64; 12] =
    [0.0, -0.0, 1.5, -2.5, 0.1, 3.0, 1e300, -1e-300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 7.0];

#[test]
fn float_arithmetic_f64_and_f32() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    let ops = ["add", "sub", "mul", "div", "rem", "pow", "min", "max"];
    for ty in ["f64", "f32"] {
        for op in ops {
            text += &binop_fn(&format!("{op}_{ty}"), op, ty);
        }
        for op in ["neg", "abs", "sqrt", "floor", "ceil", "trunc"] {
            text += &format!("fn {op}_{ty}(a: {ty}) -> {ty} {{\n    local r: {ty}\n    r = {op} a\n    ret r\n}}\n");
        }
    }
    load(&m, &text);
    for &a in &F64_SAMPLES {
        for &b in &F64_SAMPLES {
            for op in ops {
                let want = match op {
                    "add" => a + b,
                    "sub" => a - b,
                    "mul" => a * b,
                    "div" => a / b,
                    "rem" => a % b,
                    "pow" => a.powf(b),
                    // NaN propagates (as in the source language's min/max).
                    "min" if a.is_nan() || b.is_nan() => f64::NAN,
                    "max" if a.is_nan() || b.is_nan() => f64::NAN,
                    "min" => a.min(b),
                    _ => a.max(b),
                };
                let got = call(&m, &format!("{op}_f64"), &[f(a), f(b)]);
                let Value::F64(g) = got else { panic!("{op}_f64: {got:?}") };
                let ok =
                    if matches!(op, "min" | "max") { g == want || same_float(g, want) } else { same_float(g, want) };
                assert!(ok, "{op}_f64({a:?}, {b:?}) = {g:?}, expected {want:?}");

                let (a32, b32) = (a as f32, b as f32);
                let want32 = match op {
                    "add" => a32 + b32,
                    "sub" => a32 - b32,
                    "mul" => a32 * b32,
                    "div" => a32 / b32,
                    "rem" => a32 % b32,
                    "pow" => ((a32 as f64).powf(b32 as f64)) as f32,
                    "min" if a32.is_nan() || b32.is_nan() => f32::NAN,
                    "max" if a32.is_nan() || b32.is_nan() => f32::NAN,
                    "min" => a32.min(b32),
                    _ => a32.max(b32),
                } as f64;
                let got = call(&m, &format!("{op}_f32"), &[f(a), f(b)]);
                let Value::F64(g) = got else { panic!("{op}_f32: {got:?}") };
                let ok = if matches!(op, "min" | "max") {
                    g == want32 || same_float(g, want32)
                } else {
                    same_float(g, want32)
                };
                assert!(ok, "{op}_f32({a32:?}, {b32:?}) = {g:?}, expected {want32:?}");
            }
        }
        for op in ["neg", "abs", "sqrt", "floor", "ceil", "trunc"] {
            let r = |x: f64| match op {
                "neg" => -x,
                "abs" => x.abs(),
                "sqrt" => x.sqrt(),
                "floor" => x.floor(),
                "ceil" => x.ceil(),
                _ => x.trunc(),
            };
            let Value::F64(g) = call(&m, &format!("{op}_f64"), &[f(a)]) else { panic!() };
            assert!(same_float(g, r(a)), "{op}_f64({a:?}) = {g:?}");
            let a32 = a as f32;
            let r32 = |x: f32| match op {
                "neg" => -x,
                "abs" => x.abs(),
                "sqrt" => x.sqrt(),
                "floor" => x.floor(),
                "ceil" => x.ceil(),
                _ => x.trunc(),
            };
            let Value::F64(g) = call(&m, &format!("{op}_f32"), &[f(a)]) else { panic!() };
            assert!(same_float(g, r32(a32) as f64), "{op}_f32({a32:?}) = {g:?}");
        }
    }
    // Float division by zero is never an error.
    assert_eq!(call(&m, "div_f64", &[f(1.0), f(0.0)]), f(f64::INFINITY));
    assert_eq!(call(&m, "rem_f64", &[f(-5.5), f(2.0)]), f(-1.5));
}

#[test]
fn float_comparisons_follow_ieee_nan_rules() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for ty in ["f64", "f32"] {
        for op in ["eq", "ne", "lt", "le", "gt", "ge"] {
            text += &format!(
                "fn {op}_{ty}(a: {ty}, b: {ty}) -> bool {{\n    local r: bool\n    r = {op} a, b\n    ret r\n}}\n"
            );
        }
    }
    text += "fn isnan(a: f64) -> bool {\n    local r: bool\n    r = ne a, a\n    ret r\n}\n";
    text += "fn nanconst() -> bool {\n    local r: bool\n    local x: f64\n    x = copy nan\n    r = eq x, nan\n    ret r\n}\n";
    text += "fn infs() -> f64 {\n    local x: f64\n    x = add inf, -inf\n    ret x\n}\n";
    load(&m, &text);
    for &a in &F64_SAMPLES {
        for &b in &F64_SAMPLES {
            for op in ["eq", "ne", "lt", "le", "gt", "ge"] {
                let want = |a: f64, b: f64| match op {
                    "eq" => a == b,
                    "ne" => a != b,
                    "lt" => a < b,
                    "le" => a <= b,
                    "gt" => a > b,
                    _ => a >= b,
                };
                assert_eq!(call(&m, &format!("{op}_f64"), &[f(a), f(b)]), Value::Bool(want(a, b)), "{op} {a} {b}");
                let (a32, b32) = (a as f32 as f64, b as f32 as f64);
                assert_eq!(
                    call(&m, &format!("{op}_f32"), &[f(a), f(b)]),
                    Value::Bool(want(a32, b32)),
                    "{op}32 {a} {b}"
                );
            }
        }
    }
    assert_eq!(call(&m, "isnan", &[f(f64::NAN)]), Value::Bool(true));
    assert_eq!(call(&m, "isnan", &[f(1.0)]), Value::Bool(false));
    assert_eq!(call(&m, "nanconst", &[]), Value::Bool(false));
    let Value::F64(x) = call(&m, "infs", &[]) else { panic!() };
    assert!(x.is_nan());
}

// ------------------------------------------------------------ conversions

fn conv_fn(name: &str, op: &str, from: &str, to: &str) -> String {
    format!("fn {name}(a: {from}) -> {to} {{\n    local r: {to}\nentry:\n    r = {op} a\n    ret r\n}}\n")
}

#[test]
fn integer_width_conversions() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for (fi, from) in WIDTHS.iter().enumerate() {
        for (ti, to) in WIDTHS.iter().enumerate() {
            if ti > fi {
                text += &conv_fn(&format!("sext_{}_{}", from.name(), to.name()), "sext", from.name(), to.name());
                text += &conv_fn(&format!("zext_{}_{}", from.name(), to.name()), "zext", from.name(), to.name());
            }
            if ti < fi {
                text += &conv_fn(&format!("reduce_{}_{}", from.name(), to.name()), "reduce", from.name(), to.name());
            }
        }
    }
    text += &conv_fn("zext_bool_i64", "zext", "bool", "i64");
    text += &conv_fn("zext_bool_i8", "zext", "bool", "i8");
    text += &conv_fn("sext_bool_i32", "sext", "bool", "i32");
    text += &conv_fn("zext_i32_ptr", "zext", "i32", "ptr");
    text += &conv_fn("reduce_ptr_i16", "reduce", "ptr", "i16");
    load(&m, &text);
    for (fi, from) in WIDTHS.iter().enumerate() {
        for (ti, to) in WIDTHS.iter().enumerate() {
            for a in from.samples() {
                if ti > fi {
                    let n = format!("sext_{}_{}", from.name(), to.name());
                    assert_eq!(call(&m, &n, &[i(a)]), i(a), "{n}({a})");
                    let n = format!("zext_{}_{}", from.name(), to.name());
                    assert_eq!(call(&m, &n, &[i(a)]), i(to.norm(from.unsigned(a) as i64)), "{n}({a})");
                }
                if ti < fi {
                    let n = format!("reduce_{}_{}", from.name(), to.name());
                    assert_eq!(call(&m, &n, &[i(a)]), i(to.norm(a)), "{n}({a})");
                }
            }
        }
    }
    assert_eq!(call(&m, "zext_bool_i64", &[Value::Bool(true)]), i(1));
    assert_eq!(call(&m, "zext_bool_i64", &[Value::Bool(false)]), i(0));
    assert_eq!(call(&m, "zext_bool_i8", &[Value::Bool(true)]), i(1));
    assert_eq!(call(&m, "sext_bool_i32", &[Value::Bool(true)]), i(1));
    assert_eq!(call(&m, "zext_i32_ptr", &[i(-1)]), i(u32::MAX as i64));
    assert_eq!(call(&m, "reduce_ptr_i16", &[i(0x12345)]), i(0x2345));
}

#[test]
fn int_float_conversions() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for w in WIDTHS {
        for fl in ["f64", "f32"] {
            let (wn, n) = (w.name(), fl);
            text += &conv_fn(&format!("sitof_{wn}_{n}"), "sitof", wn, n);
            text += &conv_fn(&format!("uitof_{wn}_{n}"), "uitof", wn, n);
        }
    }
    text += &conv_fn("fpromote", "fpromote", "f32", "f64");
    text += &conv_fn("fdemote", "fdemote", "f64", "f32");
    load(&m, &text);
    for w in WIDTHS {
        for a in w.samples() {
            let wn = w.name();
            assert_eq!(call(&m, &format!("sitof_{wn}_f64"), &[i(a)]), f(a as f64), "sitof {wn} {a}");
            assert_eq!(call(&m, &format!("uitof_{wn}_f64"), &[i(a)]), f(w.unsigned(a) as f64), "uitof {wn} {a}");
            assert_eq!(call(&m, &format!("sitof_{wn}_f32"), &[i(a)]), f(a as f32 as f64), "sitof32 {wn} {a}");
            assert_eq!(
                call(&m, &format!("uitof_{wn}_f32"), &[i(a)]),
                f(w.unsigned(a) as f32 as f64),
                "uitof32 {wn} {a}"
            );
        }
    }
    assert_eq!(call(&m, "fpromote", &[f(1.5)]), f(1.5));
    assert_eq!(call(&m, "fdemote", &[f(0.1)]), f(0.1f32 as f64));
    assert_eq!(call(&m, "fdemote", &[f(1e300)]), f(f64::INFINITY));
}

#[test]
fn float_to_int_truncates_toward_zero_and_saturates_in_i64() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    text += &conv_fn("ftosi", "ftosi", "f64", "i64");
    text += &conv_fn("ftoui", "ftoui", "f64", "i64");
    text += &conv_fn("ftosi32", "ftosi", "f32", "i64");
    load(&m, &text);
    for (a, s, u) in [
        (2.9, 2, 2u64),
        (-2.9, -2, 0),
        (0.0, 0, 0),
        (f64::NAN, 0, 0),
        (1e300, i64::MAX, u64::MAX),
        (-1e300, i64::MIN, 0),
        (f64::INFINITY, i64::MAX, u64::MAX),
        (f64::NEG_INFINITY, i64::MIN, 0),
        (1e19, i64::MAX, 10_000_000_000_000_000_000),
    ] {
        assert_eq!(call(&m, "ftosi", &[f(a)]), i(s), "ftosi {a}");
        assert_eq!(call(&m, "ftoui", &[f(a)]), i(u as i64), "ftoui {a}");
    }
    assert_eq!(call(&m, "ftosi32", &[f(-7.75)]), i(-7));
}

/// data.rs: "Float to signed integer, toward zero, saturating". The
/// destination type is narrower than i64 here, so the result must saturate
/// at that type's range (as Rust's `as` does), not wrap.
#[test]
fn float_to_narrow_int_saturates_at_the_destination_width() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for w in [W::I8, W::I16, W::I32] {
        text += &conv_fn(&format!("ftosi_{}", w.name()), "ftosi", "f64", w.name());
        text += &conv_fn(&format!("ftoui_{}", w.name()), "ftoui", "f64", w.name());
    }
    load(&m, &text);
    for w in [W::I8, W::I16, W::I32] {
        for a in [1e10, -1e10, 300.0, -300.0, 70000.0, 5.5, -5.5] {
            let s = (a as i64).clamp(w.min(), w.max());
            let umax = (1i64 << w.bits()) - 1;
            let u = w.norm((a as i64).clamp(0, umax));
            assert_eq!(call(&m, &format!("ftosi_{}", w.name()), &[f(a)]), i(s), "ftosi {} {a}", w.name());
            assert_eq!(call(&m, &format!("ftoui_{}", w.name()), &[f(a)]), i(u), "ftoui {} {a}", w.name());
        }
    }
}

#[test]
fn bitcasts() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    text += &conv_fn("f64_i64", "bitcast", "f64", "i64");
    text += &conv_fn("i64_f64", "bitcast", "i64", "f64");
    text += &conv_fn("f32_i32", "bitcast", "f32", "i32");
    text += &conv_fn("i32_f32", "bitcast", "i32", "f32");
    text += &conv_fn("ptr_i64", "bitcast", "ptr", "i64");
    text += &conv_fn("f64_ptr", "bitcast", "f64", "ptr");
    load(&m, &text);
    assert_eq!(call(&m, "f64_i64", &[f(1.0)]), i(1.0f64.to_bits() as i64));
    assert_eq!(call(&m, "f64_i64", &[f(-0.0)]), i(i64::MIN));
    assert_eq!(call(&m, "i64_f64", &[i(0x4004_0000_0000_0000)]), f(2.5));
    assert_eq!(call(&m, "f32_i32", &[f(1.0)]), i(1.0f32.to_bits() as i32 as i64));
    assert_eq!(call(&m, "i32_f32", &[i(0x4020_0000)]), f(2.5));
    assert_eq!(call(&m, "ptr_i64", &[i(-5)]), i(-5));
    assert_eq!(call(&m, "f64_ptr", &[f(2.0)]), i(2.0f64.to_bits() as i64));
    // Same type, bool and text are refused.
    for (from, to) in [("i64", "i64"), ("bool", "i8"), ("i32", "i64"), ("text", "i64")] {
        let e = compile_error(&m, &format!("mir 1\n{}", conv_fn("bad", "bitcast", from, to)));
        assert!(e.starts_with("<mir>:5:9:") && e.contains("cannot convert"), "{from}->{to}: {e}");
    }
}

#[test]
fn conversion_type_rules_are_compile_errors() {
    let m = manager();
    for (op, from, to) in [
        ("sext", "i64", "i32"),
        ("zext", "i32", "i32"),
        ("reduce", "i32", "i64"),
        ("reduce", "i32", "i32"),
        ("sitof", "f64", "f64"),
        ("ftosi", "i64", "i64"),
        ("fpromote", "f64", "f64"),
        ("fdemote", "f32", "f32"),
        ("str", "text", "text"),
        ("parse", "text", "i32"),
        ("parse", "i64", "i64"),
        ("sext", "f64", "i64"),
    ] {
        let e = compile_error(&m, &format!("mir 1\n{}", conv_fn("bad", op, from, to)));
        assert!(
            e.starts_with("<mir>:5:9:") && e.contains(&format!("cannot convert {from} to {to} with")),
            "{op} {from}->{to}: {e}"
        );
    }
}

// ---------------------------------------------------------------- text

#[test]
fn text_values_in_mir() {
    let m = manager();
    let text = "mir 1
fn greet(name: text) -> text {
    local s: text
    s = copy \"hello, \"
    s = add s, name
    local bang: text
    bang = copy \"!\"
    s = add s, bang
    ret s
}
fn size(s: text) -> i64 {
    local n: i64
    n = len s
    ret n
}
fn show(x: i64, y: f64, b: bool, z: i8, w: f32) -> text {
    local s: text
    local u: text
    local sep: text
    sep = copy \" \"
    s = str x
    u = str y
    s = add s, sep
    s = add s, u
    u = str b
    s = add s, sep
    s = add s, u
    u = str z
    s = add s, sep
    s = add s, u
    u = str w
    s = add s, sep
    s = add s, u
    ret s
}
fn num(s: text) -> i64 {
    local n: i64
    n = parse s
    ret n
}
fn real(s: text) -> f64 {
    local n: f64
    n = parse s
    ret n
}
fn order(a: text, b: text) -> i64 {
    local c: bool
    local r: i64
    r = copy 0
    c = eq a, b
    br c, same, differ
same:
    ret 0
differ:
    c = lt a, b
    br c, less, more
less:
    ret -1
more:
    ret 1
}
fn escapes() -> text {
    local s: text
    s = copy \"tab\\there \\\"q\\\" caf\\u{e9} \\\\ end\\n\"
    ret s
}
fn pick(c: bool, a: text, b: text) -> text {
    local r: text
    r = select c, a, b
    ret r
}
fn ne_text(a: text, b: text) -> bool {
    local r: bool
    r = ne a, b
    ret r
}
";
    load(&m, text);
    assert_eq!(call(&m, "greet", &[t("world")]), t("hello, world!"));
    assert_eq!(call(&m, "size", &[t("héllo")]), i(6));
    assert_eq!(call(&m, "size", &[t("")]), i(0));
    assert_eq!(call(&m, "show", &[i(-12), f(1.5), Value::Bool(true), i(-3), f(0.25)]), t("-12 1.5 true -3 0.25"));
    assert_eq!(call(&m, "num", &[t(" -42 ")]), i(-42));
    assert_eq!(call(&m, "real", &[t("2.5e-3")]), f(0.0025));
    let line = line_of(text, "n = parse s");
    let msg = runtime_error(m.call("num", &[t("12x")]));
    assert_eq!(msg, format!("invalid number \"12x\" in num at line {line}"));
    assert_eq!(call(&m, "order", &[t("abc"), t("abd")]), i(-1));
    assert_eq!(call(&m, "order", &[t("b"), t("abc")]), i(1));
    assert_eq!(call(&m, "order", &[t("é"), t("é")]), i(0));
    assert_eq!(call(&m, "order", &[t("Z"), t("a")]), i(-1));
    assert_eq!(call(&m, "escapes", &[]), t("tab\there \"q\" café \\ end\n"));
    assert_eq!(call(&m, "pick", &[Value::Bool(true), t("a"), t("b")]), t("a"));
    assert_eq!(call(&m, "pick", &[Value::Bool(false), t("a"), t("b")]), t("b"));
    assert_eq!(call(&m, "ne_text", &[t("a"), t("a")]), Value::Bool(false));
    // Many calls: references are balanced (no crash, no growth visible here).
    for k in 0..2000 {
        assert_eq!(call(&m, "greet", &[t(&k.to_string())]), t(&format!("hello, {k}!")));
    }
}

#[test]
fn text_literals_only_in_copy_and_no_text_in_memory() {
    let m = manager();
    let e = compile_error(&m, "mir 1\nfn f() -> text {\n    local s: text\n    s = add \"a\", \"b\"\n    ret s\n}\n");
    assert!(e.starts_with("<mir>:4:13:") && e.contains("text literal"), "{e}");
    let e = compile_error(
        &m,
        "mir 1\nfn f(s: text) -> void {\n    slot b 8\n    local p: ptr\n    p = addr b\n    store p, 0, s\n    ret\n}\n",
    );
    assert!(e.starts_with("<mir>:6:") && e.contains("text cannot be stored"), "{e}");
    let e = compile_error(
        &m,
        "mir 1\nfn f() -> text {\n    slot b 8\n    local p: ptr\n    local s: text\n    p = addr b\n    s = load p, 0\n    ret s\n}\n",
    );
    assert!(e.starts_with("<mir>:7:") && e.contains("text cannot be loaded"), "{e}");
}

// ---------------------------------------------------------------- select

#[test]
fn select_on_every_kind_of_value() {
    let m = manager();
    load(
        &m,
        "mir 1
fn si(c: bool, a: i64, b: i64) -> i64 {
    local r: i64
    r = select c, a, b
    ret r
}
fn s8(c: bool, a: i8) -> i8 {
    local r: i8
    r = select c, a, -5
    ret r
}
fn sf(c: bool, a: f64, b: f64) -> f64 {
    local r: f64
    r = select c, a, b
    ret r
}
fn sb(c: bool, a: bool, b: bool) -> bool {
    local r: bool
    r = select c, a, b
    ret r
}
fn sc(x: i64) -> i64 {
    local c: bool
    local r: i64
    c = gt x, 10
    r = select c, 1, 2
    ret r
}
",
    );
    assert_eq!(call(&m, "si", &[Value::Bool(true), i(1), i(2)]), i(1));
    assert_eq!(call(&m, "si", &[Value::Bool(false), i(1), i(2)]), i(2));
    assert_eq!(call(&m, "s8", &[Value::Bool(false), i(9)]), i(-5));
    assert_eq!(call(&m, "sf", &[Value::Bool(true), f(0.5), f(2.0)]), f(0.5));
    assert_eq!(call(&m, "sb", &[Value::Bool(false), Value::Bool(false), Value::Bool(true)]), Value::Bool(true));
    assert_eq!(call(&m, "sc", &[i(11)]), i(1));
    assert_eq!(call(&m, "sc", &[i(10)]), i(2));
    let e = compile_error(&m, "mir 1\nfn f(c: i64) -> i64 {\n    local r: i64\n    r = select c, 1, 2\n    ret r\n}\n");
    assert!(e.starts_with("<mir>:4:") && e.contains("select condition"), "{e}");
}

// ---------------------------------------------------------------- memory

const MEM_TYPES: [(&str, &[f64]); 8] = [
    ("i8", &[-128.0, -1.0, 0.0, 127.0]),
    ("i16", &[-32768.0, -2.0, 300.0, 32767.0]),
    ("i32", &[-2147483648.0, -3.0, 70000.0, 2147483647.0]),
    ("i64", &[-9.0e18, -4.0, 5e15, 9.0e18]),
    ("ptr", &[0.0, 4096.0, -1.0, 1e18]),
    ("f32", &[1.5, -0.25, 3.0e38, 0.0]),
    ("f64", &[1.5e300, -2.5, 0.1, -0.0]),
    ("bool", &[0.0, 1.0]),
];

fn to_value(ty: &str, v: f64) -> Value {
    match ty {
        "f32" | "f64" => f(v),
        "bool" => Value::Bool(v != 0.0),
        _ => i(v as i64),
    }
}

fn expected_value(ty: &str, v: f64) -> Value {
    match ty {
        "f32" => f(v as f32 as f64),
        _ => to_value(ty, v),
    }
}

#[test]
fn loads_and_stores_of_each_type_through_a_stack_slot() {
    let m = manager();
    let mut text = String::from("mir 1\n");
    for (ty, _) in MEM_TYPES {
        for off in [0, 3, 8, 56] {
            text += &format!(
                "fn rt_{ty}_{off}(x: {ty}) -> {ty} {{\n    slot buf 64\n    local p: ptr\n    local y: {ty}\n    \
                 p = addr buf\n    store p, {off}, x\n    y = load p, {off}\n    ret y\n}}\n"
            );
        }
    }
    load(&m, &text);
    for (ty, values) in MEM_TYPES {
        for off in [0, 3, 8, 56] {
            for &v in values {
                assert_eq!(
                    call(&m, &format!("rt_{ty}_{off}"), &[to_value(ty, v)]),
                    expected_value(ty, v),
                    "{ty}@{off} {v}"
                );
            }
        }
    }
}

#[test]
fn memory_layout_is_little_endian_bytes_and_slots_start_zeroed() {
    const { assert!(cfg!(target_endian = "little")) };
    let m = manager();
    load(
        &m,
        "mir 1
fn byte(k: ptr) -> i64 {
    slot buf 16
    local p: ptr
    local b: i8
    local r: i64
    p = addr buf
    store p, 0, 0x0102030405060708
    p = add p, k
    b = load p, 0
    r = zext b
    ret r
}
fn halves() -> i64 {
    slot buf 8 4
    local p: ptr
    local lo: i32
    local hi: i32
    local r: i64
    p = addr buf
    store p, 0, 0x7:i32
    store p, 4, -1:i32
    r = load p, 0
    ret r
}
fn fresh(x: i64) -> i64 {
    slot small 24
    slot big 1000 16
    local p: ptr
    local q: ptr
    local a: i64
    local b: i64
    p = addr small
    q = addr big
    a = load p, 16
    b = load q, 992
    a = add a, b
    b = load q, 0
    a = add a, b
    store p, 16, x
    store q, 992, x
    store q, 0, x
    ret a
}
fn two_slots() -> i64 {
    slot a 8
    slot b 8
    local p: ptr
    local q: ptr
    local r: i64
    local s: i64
    p = addr a
    q = addr b
    store p, 0, 11
    store q, 0, 22
    r = load p, 0
    s = load q, 0
    r = mul r, 100
    r = add r, s
    ret r
}
",
    );
    for k in 0..8 {
        assert_eq!(call(&m, "byte", &[i(k)]), i(8 - k), "byte {k}");
    }
    assert_eq!(call(&m, "halves", &[]), i(((-1i64) << 32) | 7));
    // Slots are zeroed on entry, on every call.
    for x in [5, 77, -1] {
        assert_eq!(call(&m, "fresh", &[i(x)]), i(0), "fresh after {x}");
    }
    assert_eq!(call(&m, "two_slots", &[]), i(1122));
}

#[test]
fn slot_declarations_are_checked() {
    let m = manager();
    let body =
        |decl: &str| format!("mir 1\nfn f() -> i64 {{\n    {decl}\n    local p: ptr\n    p = addr s\n    ret 0\n}}\n");
    load(&m, &body("slot s 8 16"));
    load(&m, &body("slot s 0"));
    let e = compile_error(&m, &body("slot s 8 3"));
    assert!(e.starts_with("<mir>:3:") && e.contains("alignment 3"), "{e}");
    let e = compile_error(&m, &body("slot s 8 32"));
    assert!(e.starts_with("<mir>:3:") && e.contains("alignment 32"), "{e}");
    let e = compile_error(&m, &body("slot s 70000"));
    assert!(e.starts_with("<mir>:3:") && e.contains("exceed"), "{e}");
    let e = compile_error(&m, &body("slot s -8"));
    assert!(e.starts_with("<mir>:3:") && e.contains("out of range"), "{e}");
    let e = compile_error(&m, &body("slot t 8"));
    assert!(e.starts_with("<mir>:5:14:") && e.contains("undefined stack slot `s`"), "{e}");
    let e = compile_error(&m, &body("slot s 8\n    slot s 8"));
    assert!(e.starts_with("<mir>:4:") && e.contains("declared twice"), "{e}");
}

static HOST_BUF: [AtomicI64; 8] = [const { AtomicI64::new(0) }; 8];

extern "C" fn host_buffer() -> *mut u8 {
    HOST_BUF.as_ptr() as *mut u8
}

#[test]
fn loads_and_stores_through_host_memory() {
    let m = manager();
    m.register_host("host_buffer", host_buffer as extern "C" fn() -> *mut u8 as usize, sig("fn() -> ptr")).unwrap();
    load(
        &m,
        "mir 1
extern fn host_buffer() -> ptr
fn fill(x: i64) -> i64 {
    local p: ptr
    local v: i64
    p = call host_buffer()
    store p, 0, x
    store p, 8, 2.5
    store p, 16, 1.5:f32
    store p, 20, -2:i32
    store p, 24, 7:i8
    store p, 25, true
    store p, 26, -300:i16
    v = load p, 56
    ret v
}
fn sum(p: ptr, n: ptr) -> i64 {
    local acc: i64
    local k: ptr
    local v: i64
    local c: bool
    local q: ptr
    acc = copy 0
    k = copy 0
    jmp loop
loop:
    c = lt k, n
    br c, body, done
body:
    q = mul k, 8
    q = add p, q
    v = load q, 0
    acc = add acc, v
    k = add k, 1
    jmp loop
done:
    ret acc
}
",
    );
    HOST_BUF[7].store(-99, Ordering::SeqCst);
    assert_eq!(call(&m, "fill", &[i(123456789)]), i(-99));
    let bytes: Vec<u8> = HOST_BUF.iter().flat_map(|a| a.load(Ordering::SeqCst).to_le_bytes()).collect();
    let at = |o: usize, n: usize| -> Vec<u8> { bytes[o..o + n].to_vec() };
    assert_eq!(at(0, 8), 123456789i64.to_le_bytes());
    assert_eq!(at(8, 8), 2.5f64.to_le_bytes());
    assert_eq!(at(16, 4), 1.5f32.to_le_bytes());
    assert_eq!(at(20, 4), (-2i32).to_le_bytes());
    assert_eq!(at(24, 1), [7]);
    assert_eq!(at(25, 1), [1]);
    assert_eq!(at(26, 2), (-300i16).to_le_bytes());
    // A pointer passed in as an argument.
    let data: Vec<i64> = (1..=10).collect();
    assert_eq!(call(&m, "sum", &[i(data.as_ptr() as i64), i(10)]), i(55));
}

// ---------------------------------------------------------------- switch

#[test]
fn switch_picks_the_matching_case_or_the_default() {
    let m = manager();
    load(
        &m,
        "mir 1
fn classify(x: i64) -> i64 {
entry:
    switch x, other, 0: zero, 1: one, -5: minus, 1000000000000: big, 9223372036854775807: top
zero:
    ret 100
one:
    ret 101
minus:
    ret 102
big:
    ret 103
top:
    ret 104
other:
    ret -1
}
fn small(x: i8) -> i64 {
    switch x, d, 1: a, -1: b, 127: c
a:
    ret 1
b:
    ret 2
c:
    ret 3
d:
    ret 0
}
fn only_default(x: i32) -> i64 {
    switch x, d
d:
    ret 7
}
fn shared(x: i64) -> i64 {
    switch x, d, 1: a, 2: a, 3: a
a:
    ret 1
d:
    ret 0
}
",
    );
    for (x, want) in [(0, 100), (1, 101), (-5, 102), (1_000_000_000_000, 103), (i64::MAX, 104), (2, -1), (i64::MIN, -1)]
    {
        assert_eq!(call(&m, "classify", &[i(x)]), i(want), "classify {x}");
    }
    for (x, want) in [(1, 1), (-1, 2), (127, 3), (0, 0), (-128, 0)] {
        assert_eq!(call(&m, "small", &[i(x)]), i(want), "small {x}");
    }
    assert_eq!(call(&m, "only_default", &[i(5)]), i(7));
    for (x, want) in [(1, 1), (2, 1), (3, 1), (4, 0)] {
        assert_eq!(call(&m, "shared", &[i(x)]), i(want));
    }
    let e = compile_error(&m, "mir 1\nfn f(x: i64) -> i64 {\n    switch x, d, 1: d, 1: d\nd:\n    ret 0\n}\n");
    assert!(e.starts_with("<mir>:3:") && e.contains("switch case 1"), "{e}");
    let e = compile_error(&m, "mir 1\nfn f(x: f64) -> i64 {\n    switch x, d\nd:\n    ret 0\n}\n");
    assert!(e.starts_with("<mir>:3:") && e.contains("switch needs an integer"), "{e}");
}

/// Two case values that are the same i8 (255 and -1) must be a compile
/// error (or one of them rejected as out of range), never a panic.
#[test]
fn switch_cases_equal_after_truncation_are_a_compile_error() {
    let m = manager();
    let text = "mir 1\nfn sw(x: i8) -> i64 {\nentry:\n    switch x, d, 255: a, -1: b\na:\n    ret 1\nb:\n    ret 2\nd:\n    ret 0\n}\n";
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.compile_mir(text.as_bytes(), "<mir>")));
    match r {
        Ok(Err(Error::Compile(msg))) => assert!(msg.starts_with("<mir>:4:"), "{msg}"),
        Ok(other) => panic!("expected a compile error at line 4, got {other:?}"),
        Err(p) => panic!(
            "compile_mir panicked: {}",
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        ),
    }
}

// ---------------------------------------------------------------- calls

#[test]
fn calls_in_any_order_recursion_and_void_functions() {
    let m = manager();
    load(
        &m,
        "mir 1
global var hits: i64
fn main(n: i64) -> i64 {
    local r: i64
    r = call later(n, 3)
    call bump(r)
    call bump(1)
    ret r
}
fn later(a: i64, b: i64) -> i64 {
    local r: i64
    r = mul a, 10
    r = add r, b
    ret r
}
fn bump(by: i64) -> void {
    local h: i64
    h = gload hits
    h = add h, by
    gstore hits, h
    ret
}
fn fib(n: i64) -> i64 {
    local c: bool
    local a: i64
    local b: i64
    c = lt n, 2
    br c, base, rec
base:
    ret n
rec:
    a = sub n, 1
    a = call fib(a)
    b = sub n, 2
    b = call fib(b)
    a = add a, b
    ret a
}
fn is_even(n: i64) -> bool {
    local c: bool
    local m: i64
    local r: bool
    c = eq n, 0
    br c, yes, no
yes:
    ret true
no:
    m = sub n, 1
    r = call is_odd(m)
    ret r
}
fn is_odd(n: i64) -> bool {
    local c: bool
    local m: i64
    local r: bool
    c = eq n, 0
    br c, yes, no
yes:
    ret false
no:
    m = sub n, 1
    r = call is_even(m)
    ret r
}
fn mixed(a: i8, b: f64, c: bool, d: f32, e: i32) -> f64 {
    local x: f64
    local y: f64
    local z: f64
    x = sitof a
    y = fpromote d
    x = add x, b
    x = add x, y
    y = sitof e
    x = add x, y
    z = select c, x, 0.0
    ret z
}
fn use_mixed() -> f64 {
    local r: f64
    r = call mixed(-3:i8, 0.5, true, 0.25:f32, 100:i32)
    ret r
}
",
    );
    assert_eq!(call(&m, "main", &[i(4)]), i(43));
    assert_eq!(m.global("hits").unwrap(), i(44));
    assert_eq!(m.execute("main", &[1]).unwrap(), 13);
    assert_eq!(m.global("hits").unwrap(), i(44 + 14));
    assert_eq!(m.execute("fib", &[20]).unwrap(), 6765);
    assert_eq!(m.execute("is_even", &[10]).unwrap(), 1);
    assert_eq!(call(&m, "is_odd", &[i(7)]), Value::Bool(true));
    assert_eq!(call(&m, "bump", &[i(0)]), Value::Void);
    assert_eq!(call(&m, "use_mixed", &[]), f(-3.0 + 0.5 + 0.25 + 100.0));
    assert_eq!(m.function_signature("mixed").unwrap().to_string(), "fn(i8, f64, bool, f32, i32) -> f64");
}

#[test]
fn calls_are_checked_at_compile_time() {
    let m = manager();
    let prog = |body: &str| {
        format!(
            "mir 1\nfn g(a: i64, b: f64) -> i64 {{\n    ret a\n}}\nfn f() -> i64 {{\n    local r: i64\n    {body}\n    ret r\n}}\n"
        )
    };
    load(&m, &prog("r = call g(1, 2.0)"));
    let e = compile_error(&m, &prog("r = call g(1)"));
    assert!(e.starts_with("<mir>:7:") && e.contains("`g` takes 2 arguments, 1 given"), "{e}");
    let e = compile_error(&m, &prog("r = call g(1, 2.0, 3)"));
    assert!(e.starts_with("<mir>:7:") && e.contains("takes 2 arguments, 3 given"), "{e}");
    let e = compile_error(&m, &prog("r = call g(1.5, 2.0)"));
    assert!(e.starts_with("<mir>:7:") && e.contains("float"), "{e}");
    let e = compile_error(&m, &prog("r = call nowhere(1)"));
    assert!(e.starts_with("<mir>:7:") && e.contains("undefined function `nowhere`"), "{e}");
    let e = compile_error(
        &m,
        "mir 1\nfn v() -> void {\n    ret\n}\nfn f() -> i64 {\n    local r: i64\n    r = call v()\n    ret r\n}\n",
    );
    assert!(e.starts_with("<mir>:7:") && e.contains("returns no value"), "{e}");
}

#[test]
fn calls_across_compile_units_and_redefinition() {
    let m = manager();
    load(&m, "mir 1\nfn sq(x: i64) -> i64 {\n    local r: i64\n    r = mul x, x\n    ret r\n}\n");
    load(
        &m,
        "mir 1\nfn sum_sq(a: i64, b: i64) -> i64 {\n    local x: i64\n    local y: i64\n    x = call sq(a)\n    y = call sq(b)\n    x = add x, y\n    ret x\n}\n",
    );
    assert_eq!(m.execute("sum_sq", &[3, 4]).unwrap(), 25);
    // Redefining `sq` in a later unit reaches the earlier caller.
    load(&m, "mir 1\nfn sq(x: i64) -> i64 {\n    local r: i64\n    r = mul x, 2\n    ret r\n}\n");
    assert_eq!(m.execute("sum_sq", &[3, 4]).unwrap(), 14);
    // Source code calls MIR functions and MIR calls source functions.
    m.compile_source("fn triple(x): sum_sq(x, 0) * 3 / 2\n", "<source>").unwrap();
    assert_eq!(m.execute("triple", &[5]).unwrap(), 15);
    load(&m, "mir 1\nfn t2(x: i64) -> i64 {\n    local r: i64\n    r = call triple(x)\n    ret r\n}\n");
    assert_eq!(m.execute("t2", &[2]).unwrap(), 6);
    // Changing the signature of a function others call is refused.
    let e = compile_error(&m, "mir 1\nfn sq(x: f64) -> f64 {\n    ret x\n}\n");
    assert!(e.contains("cannot change the signature of `sq`") && e.contains("`sum_sq` calls it"), "{e}");
    assert!(e.starts_with("<mir>:2:"), "the position is the `fn sq` line: {e}");
}

#[test]
fn unbounded_recursion_is_a_stack_overflow_error_and_the_manager_survives() {
    let m = manager();
    let text =
        "mir 1\nfn down(n: i64) -> i64 {\n    local r: i64\n    r = add n, 1\n    r = call down(r)\n    ret r\n}\n";
    load(&m, text);
    let msg = runtime_error(m.call("down", &[i(0)]));
    assert!(msg.starts_with("stack overflow in down at line "), "{msg}");
    let msg = runtime_error(m.call("down", &[i(0)]));
    assert!(msg.starts_with("stack overflow in down"), "{msg}");
    load(&m, "mir 1\nfn ok() -> i64 {\n    ret 5\n}\n");
    assert_eq!(m.execute("ok", &[]).unwrap(), 5);
}

// ---------------------------------------------------------------- indirect calls

extern "C" fn twice(x: i64) -> i64 {
    x * 2
}

extern "C" fn plus_half(x: f64, y: f64) -> f64 {
    x + y + 0.5
}

static SINK: AtomicI64 = AtomicI64::new(0);

extern "C" fn sink(x: i64) {
    SINK.store(x, Ordering::SeqCst);
}

extern "C" fn raising(x: i64) -> i64 {
    if x < 0 {
        raise("indirect callee refused a negative number");
    }
    x + 1
}

extern "C" fn get_twice() -> usize {
    twice as extern "C" fn(i64) -> i64 as usize
}

unsafe extern "C" {
    /// The C ABI's `rt_raise_error`, exported by the library.
    fn rt_raise_error(message: *const std::ffi::c_char);
}

fn raise(msg: &str) {
    let c = CString::new(msg).unwrap();
    // SAFETY: `c` is a NUL-terminated string that lives for the call.
    unsafe { rt_raise_error(c.as_ptr()) };
}

#[test]
fn indirect_calls_through_c_function_pointers() {
    let m = manager();
    m.register_host("get_twice", get_twice as extern "C" fn() -> usize as usize, sig("fn() -> ptr")).unwrap();
    load(
        &m,
        "mir 1
extern fn get_twice() -> ptr
global var after: i64
fn via_host(x: i64) -> i64 {
    local p: ptr
    local r: i64
    p = call get_twice()
    r = call_indirect p(x) as fn(i64) -> i64
    ret r
}
fn via_arg(p: ptr, x: i64) -> i64 {
    local r: i64
    r = call_indirect p(x) as fn(i64) -> i64
    gstore after, r
    ret r
}
fn floats(p: ptr, a: f64) -> f64 {
    local r: f64
    r = call_indirect p(a, 2.0) as fn(f64, f64) -> f64
    ret r
}
fn void_call(p: ptr, x: i64) -> i64 {
    call_indirect p(x) as fn(i64) -> void
    ret 1
}
fn through_slot(p: ptr, x: i64) -> i64 {
    slot s 8
    local q: ptr
    local f: ptr
    local r: i64
    q = addr s
    store q, 0, p
    f = load q, 0
    r = call_indirect f(x) as fn(i64) -> i64
    ret r
}
",
    );
    let tw = twice as extern "C" fn(i64) -> i64 as usize as i64;
    assert_eq!(call(&m, "via_host", &[i(21)]), i(42));
    assert_eq!(call(&m, "via_arg", &[i(tw), i(-8)]), i(-16));
    assert_eq!(call(&m, "floats", &[i(plus_half as extern "C" fn(f64, f64) -> f64 as usize as i64), f(1.0)]), f(3.5));
    assert_eq!(call(&m, "void_call", &[i(sink as extern "C" fn(i64) as usize as i64), i(77)]), i(1));
    assert_eq!(SINK.load(Ordering::SeqCst), 77);
    assert_eq!(call(&m, "through_slot", &[i(tw), i(5)]), i(10));
    // An indirect callee that raises stops the call; nothing after it runs.
    let rp = raising as extern "C" fn(i64) -> i64 as usize as i64;
    assert_eq!(call(&m, "via_arg", &[i(rp), i(1)]), i(2));
    assert_eq!(m.global("after").unwrap(), i(2));
    assert_eq!(runtime_error(m.call("via_arg", &[i(rp), i(-1)])), "indirect callee refused a negative number");
    assert_eq!(m.global("after").unwrap(), i(2), "the store after the failed call must not run");
    assert_eq!(call(&m, "via_arg", &[i(rp), i(5)]), i(6));
    // Text is not allowed through a function pointer.
    let e = compile_error(
        &m,
        "mir 1\nfn f(p: ptr, s: text) -> i64 {\n    local r: i64\n    r = call_indirect p(s) as fn(text) -> i64\n    ret r\n}\n",
    );
    assert!(e.starts_with("<mir>:4:") && e.contains("cannot pass or return text"), "{e}");
    // The target must be a ptr.
    let e = compile_error(
        &m,
        "mir 1\nfn f(p: i64) -> i64 {\n    local r: i64\n    r = call_indirect p(1) as fn(i64) -> i64\n    ret r\n}\n",
    );
    assert!(e.starts_with("<mir>:4:") && e.contains("call target"), "{e}");
}

// ---------------------------------------------------------------- globals

#[test]
fn globals_in_mir_and_shared_with_source() {
    let m = manager();
    let v = load(
        &m,
        "mir 1
global var counter: i64
global var ratio: f64
global var flag: bool
global var label: text
global val fixed: i64
init -> i64 {
    local s: text
    gstore counter, 5
    gstore ratio, 0.5
    gstore flag, true
    s = copy \"mir\"
    gstore label, s
    gstore fixed, 9
    ret 5
}
fn next() -> i64 {
    local c: i64
    c = gload counter
    c = add c, 1
    gstore counter, c
    ret c
}
fn describe() -> text {
    local s: text
    s = gload label
    ret s
}
",
    );
    assert_eq!(v, i(5));
    assert_eq!(m.global("counter").unwrap(), i(5));
    assert_eq!(m.global("ratio").unwrap(), f(0.5));
    assert_eq!(m.global("flag").unwrap(), Value::Bool(true));
    assert_eq!(m.global("label").unwrap(), t("mir"));
    assert_eq!(m.global("fixed").unwrap(), i(9));
    assert_eq!(m.execute("next", &[]).unwrap(), 6);
    // Source code sees the MIR globals and their kinds.
    assert_eq!(m.compile_source("counter + 100", "<source>").unwrap(), i(106));
    assert_eq!(m.compile_source("counter += 10\ncounter", "<source>").unwrap(), i(16));
    assert_eq!(m.execute("next", &[]).unwrap(), 17);
    assert_eq!(m.compile_source("label + \"!\"", "<source>").unwrap(), t("mir!"));
    assert_eq!(m.compile_source("ratio * 4", "<source>").unwrap(), f(2.0));
    let e = m.compile_source("fixed = 3", "<source>").unwrap_err();
    assert!(matches!(&e, Error::Compile(msg) if msg.contains("declared with `val`")), "{e:?}");
    // MIR reads and writes globals that source code declared, without
    // declaring them itself.
    m.compile_source("var total = 1.5\nname = \"src\"\n", "<source>").unwrap();
    load(
        &m,
        "mir 1\nfn grow() -> f64 {\n    local x: f64\n    x = gload total\n    x = mul x, 2.0\n    gstore total, x\n    ret x\n}\n\
         fn name_len() -> i64 {\n    local s: text\n    local n: i64\n    s = gload name\n    n = len s\n    ret n\n}\n",
    );
    assert_eq!(call(&m, "grow", &[]), f(3.0));
    assert_eq!(m.compile_source("total", "<source>").unwrap(), f(3.0));
    assert_eq!(call(&m, "name_len", &[]), i(3));
    assert_eq!(call(&m, "describe", &[]), t("mir"));
    // Type errors and undefined globals.
    let e = compile_error(&m, "mir 1\nfn f() -> i64 {\n    local x: i64\n    x = gload total\n    ret x\n}\n");
    assert!(e.starts_with("<mir>:4:") && e.contains("global `total`: expected f64, found i64"), "{e}");
    let e = compile_error(&m, "mir 1\nfn f() -> i64 {\n    local x: i64\n    x = gload nothing\n    ret x\n}\n");
    assert!(e.starts_with("<mir>:4:") && e.contains("undefined global `nothing`"), "{e}");
    let e = compile_error(&m, "mir 1\nglobal var g: i64\nglobal var g: f64\n");
    assert!(e.starts_with("<mir>:3:") && e.contains("declared twice"), "{e}");
}

/// A `val` global is immutable: source code cannot assign it, and MIR
/// `gstore` to it should be refused the same way.
#[test]
fn gstore_to_an_immutable_global_is_refused() {
    let m = manager();
    m.compile_source("val limit = 5\n", "<source>").unwrap();
    let r = m.compile_mir(b"mir 1\ninit -> void {\n    gstore limit, 6\n    ret\n}\n", "<mir>");
    assert!(matches!(&r, Err(Error::Compile(msg)) if msg.starts_with("<mir>:3:")), "{r:?}");
    assert_eq!(m.global("limit").unwrap(), i(5));
}

/// A global of a narrow integer type reads back with its sign.
#[test]
fn narrow_integer_globals_read_back_sign_extended() {
    let m = manager();
    load(
        &m,
        "mir 1\nglobal var g8: i8\nglobal var g16: i16\nglobal var g32: i32\n\
         init -> void {\n    gstore g8, -1:i8\n    gstore g16, -2:i16\n    gstore g32, -3:i32\n    ret\n}\n\
         fn get8() -> i8 {\n    local x: i8\n    x = gload g8\n    ret x\n}\n",
    );
    assert_eq!(call(&m, "get8", &[]), i(-1));
    assert_eq!(m.global("g8").unwrap(), i(-1));
    assert_eq!(m.global("g16").unwrap(), i(-2));
    assert_eq!(m.global("g32").unwrap(), i(-3));
}

// ---------------------------------------------------------------- init

#[test]
fn init_blocks_give_the_unit_value() {
    let m = manager();
    assert_eq!(load(&m, "mir 1\ninit -> i64 {\n    ret 42\n}\n"), i(42));
    assert_eq!(load(&m, "mir 1\ninit -> f64 {\n    ret 2.5\n}\n"), f(2.5));
    assert_eq!(load(&m, "mir 1\ninit -> bool {\n    ret true\n}\n"), Value::Bool(true));
    assert_eq!(load(&m, "mir 1\ninit -> i8 {\n    ret -7:i8\n}\n"), i(-7));
    assert_eq!(load(&m, "mir 1\ninit -> f32 {\n    ret 0.5:f32\n}\n"), f(0.5));
    assert_eq!(load(&m, "mir 1\ninit -> text {\n    local s: text\n    s = copy \"hi\"\n    ret s\n}\n"), t("hi"));
    assert_eq!(load(&m, "mir 1\ninit -> void {\n    ret\n}\n"), Value::Void);
    assert_eq!(load(&m, "mir 1\nfn f() -> i64 {\n    ret 1\n}\n"), Value::Void);
    assert_eq!(load(&m, "mir 1\n"), Value::Void);
    assert_eq!(load(&m, "mir 1\n; just a comment\n\n"), Value::Void);
    // Init code calls functions of its own unit.
    assert_eq!(
        load(
            &m,
            "mir 1\ninit -> i64 {\n    local r: i64\n    r = call helper(4)\n    ret r\n}\nfn helper(x: i64) -> i64 {\n    local r: i64\n    r = mul x, x\n    ret r\n}\n"
        ),
        i(16)
    );
    let e = compile_error(&m, "mir 1\ninit -> void {\n    ret\n}\ninit -> void {\n    ret\n}\n");
    assert!(e.starts_with("<mir>:5:") && e.contains("at most one `init`"), "{e}");
}

#[test]
fn a_failing_init_undoes_the_whole_blob() {
    let m = manager();
    load(
        &m,
        "mir 1\nglobal var keep: i64\nfn f() -> i64 {\n    ret 1\n}\ninit -> void {\n    gstore keep, 10\n    ret\n}\n",
    );
    let text = "mir 1
global var keep: i64
global var fresh: i64
fn f() -> i64 {
    ret 2
}
fn g() -> i64 {
    ret 3
}
init -> i64 {
    local z: i64
    local r: i64
    gstore keep, 20
    gstore fresh, 1
    z = copy 0
    r = div 5, z
    ret r
}
";
    let msg = runtime_error(m.compile_mir(text.as_bytes(), "<mir>"));
    assert_eq!(msg, format!("division by zero in top-level code at line {}", line_of(text, "r = div 5, z")));
    assert_eq!(m.execute("f", &[]).unwrap(), 1);
    assert!(!m.has_function("g"));
    assert_eq!(m.global("keep").unwrap(), i(10));
    assert!(matches!(m.global("fresh"), Err(Error::NotFound(_))));
    assert_eq!(m.function_names(), vec!["f".to_string()]);
}

// ---------------------------------------------------------------- @N lines

#[test]
fn line_annotations_show_up_in_runtime_errors() {
    let m = manager();
    let text = "mir 1
fn d(a: i64, b: i64) -> i64 @10 {
    local r: i64
    r = div a, b @77
    ret r @78
}
fn e(a: i64, b: i64) -> i64 {
    local r: i64
    r = rem a, b
    ret r
}
fn p(a: i64, b: i64) -> i64 {
    local r: i64
    r = pow a, b @0
    ret r
}
fn outer(b: i64) -> i64 @200 {
    local r: i64
    r = call d(1, b) @201
    ret r
}
";
    load(&m, text);
    assert_eq!(runtime_error(m.call("d", &[i(1), i(0)])), "division by zero in d at line 77");
    assert_eq!(
        runtime_error(m.call("e", &[i(1), i(0)])),
        format!("division by zero in e at line {}", line_of(text, "r = rem"))
    );
    let msg = runtime_error(m.call("p", &[i(2), i(-1)]));
    assert!(msg.starts_with("negative exponent in p"), "{msg}");
    // The error names the function and line where it happened.
    assert_eq!(runtime_error(m.call("outer", &[i(0)])), "division by zero in d at line 77");
    let v = m.compile_mir(
        b"mir 1\ninit -> i64 {\n    local z: i64\n    local r: i64\n    r = div 1, z @5000\n    ret r\n}\n",
        "<mir>",
    );
    assert_eq!(runtime_error(v), "division by zero in top-level code at line 5000");
    // Parse errors and a bad `@`.
    let e = compile_error(&m, "mir 1\nfn f() -> i64 {\n    ret 1 @x\n}\n");
    assert!(e.starts_with("<mir>:3:12:") && e.contains("line number after '@'"), "{e}");
    let e = compile_error(&m, "mir 1\nfn f() -> i64 {\n    ret 1 @-3\n}\n");
    assert!(e.starts_with("<mir>:3:"), "{e}");
}

// ---------------------------------------------------------------- MIR files

#[test]
fn compile_file_reads_mir_files_and_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("rtjit-mir-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.mir");
    std::fs::write(&good, "mir 1\nfn from_file(x: i64) -> i64 {\n    local r: i64\n    r = add x, 1\n    ret r\n}\ninit -> i64 {\n    ret 7\n}\n").unwrap();
    let bad = dir.join("bad.mir");
    std::fs::write(&bad, "mir 1\nfn f() -> i64 {\n    x = frob 1\n    ret 0\n}\n").unwrap();
    let boom = dir.join("boom.mir");
    std::fs::write(&boom, "mir 1\ninit -> i64 {\n    local z: i64\n    local r: i64\n    r = div 1, z\n    ret r\n}\n")
        .unwrap();
    let bom = dir.join("bom.mir");
    std::fs::write(&bom, "\u{feff}mir 1\nfn bom_fn() -> i64 {\n    ret 3\n}\n").unwrap();
    let m = manager();
    assert_eq!(m.compile_file(good.to_str().unwrap()).unwrap(), i(7));
    assert_eq!(m.execute("from_file", &[1]).unwrap(), 2);
    let p = bad.to_str().unwrap();
    match m.compile_file(p) {
        Err(Error::Compile(msg)) => assert!(msg.starts_with(&format!("{p}:3:")), "{msg}"),
        other => panic!("{other:?}"),
    }
    let p = boom.to_str().unwrap();
    assert_eq!(runtime_error(m.compile_file(p)), format!("division by zero in top-level code of {p} at line 5"));
    assert_eq!(m.compile_file(bom.to_str().unwrap()).unwrap(), Value::Void);
    assert_eq!(m.execute("bom_fn", &[]).unwrap(), 3);
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------- host functions

extern "C" fn h_const() -> i64 {
    42
}
extern "C" fn h_digits(a: i64, b: i64, c: i64) -> i64 {
    a * 100 + b * 10 + c
}
extern "C" fn h_hyp(x: f64, y: f64) -> f64 {
    (x * x + y * y).sqrt()
}
extern "C" fn h_mixed(a: i32, p: *const u8, flag: bool) -> i32 {
    // SAFETY: the MIR caller passes 4 readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(p, 4) };
    let sum: i32 = bytes.iter().map(|b| *b as i32).sum();
    if flag { a + sum } else { a - sum }
}
extern "C" fn h_narrow(a: i8, b: i16) -> i16 {
    (a as i16).wrapping_mul(1000).wrapping_add(b)
}
extern "C" fn h_f32(x: f32, y: f64) -> f32 {
    x * 0.5 + y as f32
}
static H_VOID: AtomicI64 = AtomicI64::new(0);
extern "C" fn h_void(x: i64) {
    H_VOID.fetch_add(x, Ordering::SeqCst);
}
extern "C" fn h_not(b: bool) -> bool {
    !b
}
#[allow(clippy::too_many_arguments)]
extern "C" fn h_many(
    a1: i64,
    a2: i64,
    a3: i64,
    a4: i64,
    a5: i64,
    a6: i64,
    a7: i64,
    a8: i64,
    f1: f64,
    f2: f64,
    f3: f64,
    f4: f64,
    f5: f64,
    f6: f64,
    f7: f64,
    f8: f64,
    f9: f64,
    a9: i64,
) -> f64 {
    let ints = [a1, a2, a3, a4, a5, a6, a7, a8, a9];
    let floats = [f1, f2, f3, f4, f5, f6, f7, f8, f9];
    let mut acc = 0.0;
    for (k, v) in ints.iter().enumerate() {
        acc += (*v as f64) * 10f64.powi(k as i32);
    }
    for (k, v) in floats.iter().enumerate() {
        acc += v * 0.1f64.powi(k as i32 + 1);
    }
    acc
}

fn register_shapes(m: &Manager) {
    m.register_host("h_const", h_const as extern "C" fn() -> i64 as usize, sig("fn() -> i64")).unwrap();
    m.register_host(
        "h_digits",
        h_digits as extern "C" fn(i64, i64, i64) -> i64 as usize,
        sig("fn(i64, i64, i64) -> i64"),
    )
    .unwrap();
    m.register_host("h_hyp", h_hyp as extern "C" fn(f64, f64) -> f64 as usize, sig("fn(f64, f64) -> f64")).unwrap();
    m.register_host(
        "h_mixed",
        h_mixed as extern "C" fn(i32, *const u8, bool) -> i32 as usize,
        sig("fn(i32, ptr, bool) -> i32"),
    )
    .unwrap();
    m.register_host("h_narrow", h_narrow as extern "C" fn(i8, i16) -> i16 as usize, sig("fn(i8, i16) -> i16")).unwrap();
    m.register_host("h_f32", h_f32 as extern "C" fn(f32, f64) -> f32 as usize, sig("fn(f32, f64) -> f32")).unwrap();
    m.register_host("h_void", h_void as extern "C" fn(i64) as usize, sig("fn(i64) -> void")).unwrap();
    m.register_host("h_not", h_not as extern "C" fn(bool) -> bool as usize, sig("fn(bool) -> bool")).unwrap();
    #[allow(clippy::type_complexity)]
    let many: extern "C" fn(
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        f64,
        i64,
    ) -> f64 = h_many;
    m.register_host(
        "h_many",
        many as usize,
        sig("fn(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64, f64, i64) -> f64"),
    )
    .unwrap();
}

#[test]
fn host_functions_of_every_signature_shape_from_mir() {
    let m = manager();
    register_shapes(&m);
    load(
        &m,
        "mir 1
extern fn h_const() -> i64
extern fn h_digits(i64, i64, i64) -> i64
extern fn h_hyp(f64, f64) -> f64
extern fn h_mixed(i32, ptr, bool) -> i32
extern fn h_narrow(i8, i16) -> i16
extern fn h_f32(f32, f64) -> f32
extern fn h_void(i64) -> void
extern fn h_not(bool) -> bool
extern fn h_many(i64, i64, i64, i64, i64, i64, i64, i64, f64, f64, f64, f64, f64, f64, f64, f64, f64, i64) -> f64
fn c0() -> i64 {
    local r: i64
    r = call h_const()
    ret r
}
fn c1(a: i64, b: i64, c: i64) -> i64 {
    local r: i64
    r = call h_digits(a, b, c)
    ret r
}
fn c2(x: f64) -> f64 {
    local r: f64
    r = call h_hyp(x, 4.0)
    ret r
}
fn c3(a: i32, flag: bool) -> i32 {
    slot s 8
    local p: ptr
    local r: i32
    p = addr s
    store p, 0, 0x04030201:i32
    r = call h_mixed(a, p, flag)
    ret r
}
fn c4(big: i64, b: i16) -> i16 {
    local a: i8
    local r: i16
    a = reduce big
    r = call h_narrow(a, b)
    ret r
}
fn c5(x: f32) -> f32 {
    local r: f32
    r = call h_f32(x, 1.0)
    ret r
}
fn c6(x: i64) -> void {
    call h_void(x)
    call h_void(x)
    ret
}
fn c7(b: bool) -> bool {
    local r: bool
    r = call h_not(b)
    ret r
}
fn c8(b: i64) -> bool {
    local c: bool
    local r: bool
    c = gt b, 0
    r = call h_not(c)
    ret r
}
fn c9() -> f64 {
    local r: f64
    r = call h_many(1, 2, 3, 4, 5, 6, 7, 8, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9)
    ret r
}
fn c10() -> i64 {
    local r: i64
    r = call h_const()
    call h_const()
    ret r
}
",
    );
    assert_eq!(call(&m, "c0", &[]), i(42));
    assert_eq!(call(&m, "c1", &[i(1), i(2), i(3)]), i(123));
    assert_eq!(call(&m, "c2", &[f(3.0)]), f(5.0));
    assert_eq!(call(&m, "c3", &[i(100), Value::Bool(true)]), i(110));
    assert_eq!(call(&m, "c3", &[i(100), Value::Bool(false)]), i(90));
    // The i8 argument comes from `reduce` of a wider value: the host must
    // see only the low 8 bits, sign-extended as C expects.
    assert_eq!(call(&m, "c4", &[i(0x1_05), i(7)]), i(5007));
    assert_eq!(call(&m, "c4", &[i(0x7f_ff), i(-2)]), i(-1002));
    assert_eq!(call(&m, "c5", &[f(3.0)]), f(2.5));
    H_VOID.store(0, Ordering::SeqCst);
    assert_eq!(call(&m, "c6", &[i(21)]), Value::Void);
    assert_eq!(H_VOID.load(Ordering::SeqCst), 42);
    assert_eq!(call(&m, "c7", &[Value::Bool(true)]), Value::Bool(false));
    assert_eq!(call(&m, "c7", &[Value::Bool(false)]), Value::Bool(true));
    assert_eq!(call(&m, "c8", &[i(5)]), Value::Bool(false));
    assert_eq!(call(&m, "c8", &[i(-5)]), Value::Bool(true));
    let want = h_many(1, 2, 3, 4, 5, 6, 7, 8, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9);
    assert_eq!(call(&m, "c9", &[]), f(want));
    assert_eq!(call(&m, "c10", &[]), i(42));
}

/// Registered as `fn(i8, i16, bool) -> i64` but reads its arguments as
/// 32-bit registers, as clang-compiled C code does: narrow arguments must
/// arrive extended to 32 bits (i8/i16 sign-extended, bool zero-extended).
extern "C" fn wide_reader(a: i32, b: i32, c: i32) -> i64 {
    (a as i64) * 1_000_000 + (b as i64) * 10 + c as i64
}

#[test]
fn narrow_arguments_reach_c_extended_to_32_bits() {
    let m = manager();
    let addr = wide_reader as extern "C" fn(i32, i32, i32) -> i64 as usize;
    m.register_host("wide_reader", addr, sig("fn(i8, i16, bool) -> i64")).unwrap();
    load(
        &m,
        "mir 1
extern fn wide_reader(i8, i16, bool) -> i64
fn direct(x: i64, y: i64, z: i64) -> i64 {
    local a: i8
    local b: i16
    local c: bool
    local r: i64
    a = reduce x
    b = reduce y
    c = ne z, 0
    r = call wide_reader(a, b, c)
    ret r
}
fn indirect(p: ptr, x: i64, y: i64) -> i64 {
    local a: i8
    local b: i16
    local r: i64
    a = reduce x
    b = reduce y
    r = call_indirect p(a, b, true) as fn(i8, i16, bool) -> i64
    ret r
}
",
    );
    // 0x1FF reduces to the i8 -1 and 0x1_8000 to the i16 -32768.
    let want = -1_000_000 + (-32768) * 10 + 1;
    assert_eq!(call(&m, "direct", &[i(0x1FF), i(0x1_8000), i(5)]), i(want));
    assert_eq!(call(&m, "direct", &[i(0x17F), i(0x7FFF), i(0)]), i(127 * 1_000_000 + 32767 * 10));
    assert_eq!(call(&m, "indirect", &[i(addr as i64), i(0x1FF), i(0x1_8000)]), i(want));
}

#[test]
fn host_functions_from_source_extern_fn() {
    let m = manager();
    register_shapes(&m);
    m.compile_source(
        "extern fn h_const() -> i64\nextern fn h_digits(a: i64, b: i64, c: i64) -> i64\n\
         extern fn h_hyp(x: f64, y: f64) -> f64\nextern fn h_void(x: i64)\nextern fn h_not(b: bool) -> bool\n\
         fn s0(): h_const() + 1\nfn s1(x): h_digits(x, x + 1, x + 2)\nfn s2(x) -> f64: h_hyp(x, 4)\n\
         fn s3(x):\n    h_void(x)\n    h_void(1)\nfn s4(x): h_not(x > 0)\n",
        "<source>",
    )
    .unwrap();
    assert_eq!(m.execute("s0", &[]).unwrap(), 43);
    assert_eq!(m.execute("s1", &[4]).unwrap(), 456);
    assert_eq!(call(&m, "s2", &[i(3)]), f(5.0));
    H_VOID.store(0, Ordering::SeqCst);
    m.execute("s3", &[10]).unwrap();
    assert_eq!(H_VOID.load(Ordering::SeqCst), 11);
    assert_eq!(call(&m, "s4", &[i(1)]), Value::Bool(false));
    // Host functions with types source code has no word for.
    let e = m.compile_source("extern fn h_narrow(a: i64, b: i64) -> i64\n", "<source>").unwrap_err();
    assert!(matches!(&e, Error::Compile(msg) if msg.contains("h_narrow")), "{e:?}");
}

#[test]
fn extern_declarations_must_match_registered_host_functions() {
    let m = manager();
    register_shapes(&m);
    let text = "mir 1\n\nextern fn not_registered(i64) -> i64\nfn f() -> i64 {\n    ret 0\n}\n";
    let e = compile_error(&m, text);
    assert!(e.contains("`not_registered` is not a registered host function"), "{e}");
    assert!(e.starts_with("<mir>:3:"), "the position is the extern line: {e}");
    let e = compile_error(&m, "mir 1\nextern fn h_digits(i64, i64) -> i64\n");
    assert!(
        e.starts_with("<mir>:2:")
            && e.contains("declared fn(i64, i64) -> i64 but registered as fn(i64, i64, i64) -> i64"),
        "{e}"
    );
    let e = compile_error(&m, "mir 1\nextern fn h_const() -> f64\n");
    assert!(e.starts_with("<mir>:2:") && e.contains("registered as fn() -> i64"), "{e}");
    let e = compile_error(&m, "mir 1\nextern fn h_const([i64]) -> i64\n");
    assert!(e.starts_with("<mir>:2:") && e.contains("cannot take or return an array, a map or a record"), "{e}");
    let e = compile_error(&m, "mir 1\nextern fn h_const() -> i64\nextern fn h_const() -> i64\n");
    assert!(e.starts_with("<mir>:3:") && e.contains("declared twice"), "{e}");
    // A call to a registered host function that the blob does not declare.
    let e = compile_error(&m, "mir 1\nfn f() -> i64 {\n    local r: i64\n    r = call h_const()\n    ret r\n}\n");
    assert!(e.starts_with("<mir>:4:") && e.contains("undefined function `h_const`"), "{e}");
    // Nothing of a rejected blob stays.
    assert_eq!(m.function_count(), 0);
}

/// The position of a unit-level error (an unregistered extern, a signature
/// change others depend on) is its line in the MIR text, even when the
/// declaration carries an `@N` source-line annotation (as printed MIR
/// always does).
#[test]
fn unit_level_errors_point_at_the_text_line_not_the_annotation() {
    let m = manager();
    let e = compile_error(&m, "mir 1\n\n\nextern fn nothere(i64) -> i64 @77\n");
    assert!(e.starts_with("<mir>:4:"), "{e}");
    let mir = rtjit::mir_from_source("\n\nextern fn nothere(x: i64) -> i64\n").unwrap();
    let line = line_of(&mir, "extern fn nothere");
    let e = compile_error(&m, &mir);
    assert!(e.starts_with(&format!("<mir>:{line}:")), "line {line} of\n{mir}\n{e}");
    load(
        &m,
        "mir 1\nfn sq(x: i64) -> i64 @50 {\n    ret x\n}\nfn user() -> i64 {\n    local r: i64\n    r = call sq(2)\n    ret r\n}\n",
    );
    let e = compile_error(&m, "mir 1\n\nfn sq(x: f64) -> f64 @90 {\n    ret x\n}\n");
    assert!(e.contains("cannot change the signature of `sq`"), "{e}");
    assert!(e.starts_with("<mir>:3:"), "{e}");
    load(&m, "mir 1\nglobal var gv: i64 @40\nfn reads() -> i64 {\n    local r: i64\n    r = gload gv\n    ret r\n}\n");
    let e = compile_error(&m, "mir 1\n\n\nglobal var gv: f64 @41\n");
    assert!(e.contains("cannot change global `gv`"), "{e}");
    assert!(e.starts_with("<mir>:4:"), "{e}");
}

static REG_VERSION: AtomicI64 = AtomicI64::new(0);
extern "C" fn version_a() -> i64 {
    REG_VERSION.fetch_add(1, Ordering::SeqCst);
    1
}
extern "C" fn version_b() -> i64 {
    2
}
extern "C" fn version_f(x: f64) -> i64 {
    x as i64
}

#[test]
fn re_registering_a_host_function_reaches_compiled_callers() {
    let m = manager();
    m.register_host("ver", version_a as extern "C" fn() -> i64 as usize, sig("fn() -> i64")).unwrap();
    load(
        &m,
        "mir 1\nextern fn ver() -> i64\nfn which() -> i64 {\n    local r: i64\n    r = call ver()\n    ret r\n}\n",
    );
    m.compile_source("extern fn ver() -> i64\nfn which_src(): ver() * 10\n", "<source>").unwrap();
    assert_eq!(m.execute("which", &[]).unwrap(), 1);
    assert_eq!(m.execute("which_src", &[]).unwrap(), 10);
    m.register_host("ver", version_b as extern "C" fn() -> i64 as usize, sig("fn() -> i64")).unwrap();
    assert_eq!(m.execute("which", &[]).unwrap(), 2);
    assert_eq!(m.execute("which_src", &[]).unwrap(), 20);
    m.register_host("ver", version_a as extern "C" fn() -> i64 as usize, sig("fn() -> i64")).unwrap();
    assert_eq!(m.execute("which", &[]).unwrap(), 1);
    // Another signature while compiled code calls it: refused, old one kept.
    let e = m.register_host("ver", version_f as extern "C" fn(f64) -> i64 as usize, sig("fn(f64) -> i64")).unwrap_err();
    assert!(matches!(&e, Error::Signature(msg) if msg.contains("`which") && msg.contains("calls it")), "{e:?}");
    assert_eq!(m.execute("which", &[]).unwrap(), 1);
    // Registration argument checks.
    for bad in ["", "1abc", "a-b", "a b", "é"] {
        let e = m.register_host(bad, version_b as extern "C" fn() -> i64 as usize, sig("fn() -> i64")).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument(_)), "{bad:?}: {e:?}");
    }
    let e = m.register_host("z", 0, sig("fn() -> i64")).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    let e = m.register_host("z", version_b as extern "C" fn() -> i64 as usize, sig("fn([i64]) -> i64")).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument(_)), "{e:?}");
    for bad in ["fn(i64 -> i64", "(i64) -> i64", "fn(i64)", "fn(i65) -> i64", "fn(i64) -> void8", "fn(,) -> i64"] {
        assert!(Signature::parse(bad).is_err(), "{bad}");
    }
}

// ---------------------------------------------------------------- rt_raise_error

static RAISE_CALLS: AtomicI64 = AtomicI64::new(0);

extern "C" fn checked_sqrt(x: f64) -> f64 {
    RAISE_CALLS.fetch_add(1, Ordering::SeqCst);
    if x < 0.0 {
        raise("checked_sqrt: negative input");
        // The value returned after a raise is ignored.
        return 123.0;
    }
    x.sqrt()
}

extern "C" fn raise_twice() -> i64 {
    raise("first message");
    raise("second message");
    0
}

extern "C" fn raise_void() {
    raise("void host failed: ünïcödé ✓");
}

#[test]
fn rt_raise_error_stops_the_call_with_exactly_that_message() {
    let m = manager();
    m.register_host("checked_sqrt", checked_sqrt as extern "C" fn(f64) -> f64 as usize, sig("fn(f64) -> f64")).unwrap();
    m.register_host("raise_twice", raise_twice as extern "C" fn() -> i64 as usize, sig("fn() -> i64")).unwrap();
    m.register_host("raise_void", raise_void as extern "C" fn() as usize, sig("fn() -> void")).unwrap();
    load(
        &m,
        "mir 1
extern fn checked_sqrt(f64) -> f64
extern fn raise_twice() -> i64
extern fn raise_void() -> void
global var after: i64
fn root(x: f64) -> f64 {
    local r: f64
    r = call checked_sqrt(x)
    gstore after, 1
    ret r
}
fn deeper(x: f64) -> f64 {
    local r: f64
    r = call root(x)
    r = add r, 1.0
    ret r
}
fn twice() -> i64 {
    local r: i64
    r = call raise_twice()
    ret r
}
fn v() -> i64 {
    call raise_void()
    ret 5
}
",
    );
    assert_eq!(call(&m, "root", &[f(16.0)]), f(4.0));
    m.compile_source("after = 0", "<source>").unwrap();
    assert_eq!(m.call("root", &[f(-1.0)]), Err(Error::Runtime("checked_sqrt: negative input".into())));
    assert_eq!(m.global("after").unwrap(), i(0), "the code after the raising call must not run");
    assert_eq!(m.call("deeper", &[f(-4.0)]), Err(Error::Runtime("checked_sqrt: negative input".into())));
    assert_eq!(m.call("twice", &[]), Err(Error::Runtime("first message".into())));
    assert_eq!(m.execute("v", &[]), Err(Error::Runtime("void host failed: ünïcödé ✓".into())));
    // The manager keeps working.
    assert_eq!(call(&m, "deeper", &[f(9.0)]), f(4.0));
    assert_eq!(m.execute("v", &[]), Err(Error::Runtime("void host failed: ünïcödé ✓".into())));
    // From source code too.
    m.compile_source("extern fn checked_sqrt(x: f64) -> f64\nfn s(x) -> f64: checked_sqrt(x) * 2\n", "<source>")
        .unwrap();
    assert_eq!(call(&m, "s", &[i(9)]), f(6.0));
    assert_eq!(m.call("s", &[i(-9)]), Err(Error::Runtime("checked_sqrt: negative input".into())));
    // Raised in init code: the blob is undone and the message is exact.
    let r = m.compile_mir(
        b"mir 1\nextern fn checked_sqrt(f64) -> f64\nfn newfn() -> i64 {\n    ret 1\n}\ninit -> f64 {\n    local r: f64\n    r = call checked_sqrt(-2.0)\n    ret r\n}\n",
        "<mir>",
    );
    assert_eq!(r, Err(Error::Runtime("checked_sqrt: negative input".into())));
    assert!(!m.has_function("newfn"));
    // Outside any call, raising does nothing harmful.
    raise("nobody is listening");
    assert_eq!(call(&m, "root", &[f(1.0)]), f(1.0));
}

// ---------------------------------------------------------------- re-entrancy

static SAME: AtomicUsize = AtomicUsize::new(0);
static OTHER: AtomicUsize = AtomicUsize::new(0);

fn same() -> &'static Manager {
    // SAFETY: set by the test to a manager that outlives every call.
    unsafe { &*(SAME.load(Ordering::SeqCst) as *const Manager) }
}
fn other() -> &'static Manager {
    // SAFETY: as above.
    unsafe { &*(OTHER.load(Ordering::SeqCst) as *const Manager) }
}

/// Calls back into the same manager: `inner(x)` there, plus `inner(x)` in
/// the other manager; an inner error is returned as -1000.
extern "C" fn reenter(x: i64) -> i64 {
    let a = match same().execute("inner", &[x]) {
        Ok(v) => v,
        Err(Error::Runtime(_)) => -1000,
        Err(e) => panic!("unexpected {e:?}"),
    };
    let b = other().execute("inner", &[x]).unwrap_or(-2000);
    a + b
}

/// Compiles into the same manager while JIT code of that manager runs.
extern "C" fn compile_inside(x: i64) -> i64 {
    let src = format!("fn made_inside(): {x} * 2\n");
    if same().compile_source(&src, "<source>").is_err() {
        return -1;
    }
    let mir = format!("mir 1\nfn made_inside_mir() -> i64 {{\n    ret {x}\n}}\n");
    if same().compile_mir(mir.as_bytes(), "<mir>").is_err() {
        return -2;
    }
    same().execute("made_inside", &[]).unwrap_or(-3) + same().execute("made_inside_mir", &[]).unwrap_or(-4)
}

/// Calls `inner` (which raises in the same manager), and then raises its
/// own message if asked to.
extern "C" fn nested_raise(mode: i64) -> i64 {
    let inner = same().execute("inner_raises", &[mode]);
    let code = match &inner {
        Err(Error::Runtime(msg)) if msg == "inner raised" => 10,
        Ok(v) => *v,
        Err(_) => 99,
    };
    if mode == 2 {
        raise("outer raised");
    }
    code
}

extern "C" fn inner_host(mode: i64) -> i64 {
    if mode >= 1 {
        raise("inner raised");
    }
    7
}

#[test]
fn host_functions_call_back_into_the_same_and_another_manager() {
    let m = Box::new(manager());
    let o = Box::new(manager());
    SAME.store(&*m as *const Manager as usize, Ordering::SeqCst);
    OTHER.store(&*o as *const Manager as usize, Ordering::SeqCst);
    m.register_host("reenter", reenter as extern "C" fn(i64) -> i64 as usize, sig("fn(i64) -> i64")).unwrap();
    m.register_host("compile_inside", compile_inside as extern "C" fn(i64) -> i64 as usize, sig("fn(i64) -> i64"))
        .unwrap();
    m.register_host("nested_raise", nested_raise as extern "C" fn(i64) -> i64 as usize, sig("fn(i64) -> i64")).unwrap();
    m.register_host("inner_host", inner_host as extern "C" fn(i64) -> i64 as usize, sig("fn(i64) -> i64")).unwrap();
    load(
        &m,
        "mir 1
extern fn reenter(i64) -> i64
extern fn compile_inside(i64) -> i64
extern fn nested_raise(i64) -> i64
extern fn inner_host(i64) -> i64
fn inner(x: i64) -> i64 {
    local r: i64
    r = div 100, x
    ret r
}
fn outer(x: i64) -> i64 {
    local r: i64
    r = call reenter(x)
    r = add r, 1
    ret r
}
fn builder(x: i64) -> i64 {
    local r: i64
    r = call compile_inside(x)
    ret r
}
fn inner_raises(mode: i64) -> i64 {
    local r: i64
    r = call inner_host(mode)
    ret r
}
fn nest(mode: i64) -> i64 {
    local r: i64
    r = call nested_raise(mode)
    r = add r, 1000
    ret r
}
",
    );
    load(&o, "mir 1\nfn inner(x: i64) -> i64 {\n    local r: i64\n    r = mul x, 3\n    ret r\n}\n");
    assert_eq!(m.execute("outer", &[5]).unwrap(), 20 + 15 + 1);
    // The inner call fails (division by zero); the outer one carries on.
    assert_eq!(m.execute("outer", &[0]).unwrap(), -1000 + 1);
    // Recursion through the host: outer -> reenter -> (source) -> outer ...
    m.compile_source("extern fn reenter(x: i64) -> i64\nfn via_source(x): reenter(x) * 2\n", "<source>").unwrap();
    assert_eq!(m.execute("via_source", &[10]).unwrap(), (10 + 30) * 2);
    // Compiling into the manager from inside one of its calls.
    assert_eq!(m.execute("builder", &[21]).unwrap(), 42 + 21);
    assert_eq!(m.execute("made_inside", &[]).unwrap(), 42);
    // Init code that calls back in (the unit is being installed).
    assert_eq!(
        load(
            &m,
            "mir 1\nextern fn reenter(i64) -> i64\ninit -> i64 {\n    local r: i64\n    r = call reenter(4)\n    ret r\n}\n"
        ),
        i(25 + 12)
    );
    // Nested raise: only the inner execution stops.
    assert_eq!(m.execute("nest", &[0]).unwrap(), 1007);
    assert_eq!(m.execute("nest", &[1]).unwrap(), 1010);
    assert_eq!(m.execute("nest", &[2]), Err(Error::Runtime("outer raised".into())));
    assert_eq!(m.execute("nest", &[1]).unwrap(), 1010);
    // The managers keep working.
    assert_eq!(o.execute("inner", &[2]).unwrap(), 6);
    assert_eq!(m.execute("inner", &[4]).unwrap(), 25);
    drop(m);
    drop(o);
    SAME.store(0, Ordering::SeqCst);
    OTHER.store(0, Ordering::SeqCst);
}

static NESTED: AtomicUsize = AtomicUsize::new(0);

/// Compiles a unit into the manager whose init code is running.
extern "C" fn nested_compile(x: i64) -> i64 {
    // SAFETY: set by the test to a manager that outlives every call.
    let m = unsafe { &*(NESTED.load(Ordering::SeqCst) as *const Manager) };
    match m.compile_source(&format!("fn nested_fn(): {x}\n"), "<source>") {
        Ok(_) => 1,
        Err(_) => -1,
    }
}

#[test]
fn a_unit_compiled_from_init_code_shares_its_fate() {
    let m = Box::new(manager());
    NESTED.store(&*m as *const Manager as usize, Ordering::SeqCst);
    m.register_host("nested_compile", nested_compile as extern "C" fn(i64) -> i64 as usize, sig("fn(i64) -> i64"))
        .unwrap();
    let ok = "mir 1\nextern fn nested_compile(i64) -> i64\ninit -> i64 {\n    local r: i64\n    r = call nested_compile(5)\n    ret r\n}\n";
    assert_eq!(load(&m, ok), i(1));
    assert_eq!(m.execute("nested_fn", &[]).unwrap(), 5);
    let failing = "mir 1\nextern fn nested_compile(i64) -> i64\nfn outer_fn() -> i64 {\n    ret 1\n}\n\
                   init -> i64 {\n    local r: i64\n    local z: i64\n    r = call nested_compile(6)\n    r = div r, z\n    ret r\n}\n";
    let msg = runtime_error(m.compile_mir(failing.as_bytes(), "<mir>"));
    assert_eq!(msg, format!("division by zero in top-level code at line {}", line_of(failing, "r = div r, z")));
    // The nested unit is undone with its outer unit.
    assert_eq!(m.execute("nested_fn", &[]).unwrap(), 5);
    assert!(!m.has_function("outer_fn"));
    drop(m);
    NESTED.store(0, Ordering::SeqCst);
}

#[test]
fn unsuffixed_constants_take_the_types_of_earlier_units() {
    let m = manager();
    load(
        &m,
        "mir 1\nfn half(x: f64) -> f64 {\n    local r: f64\n    r = mul x, 0.5\n    ret r\n}\nfn narrow(x: i8) -> i8 {\n    ret x\n}\n",
    );
    m.compile_source("var total = 1.5\n", "<source>").unwrap();
    load(
        &m,
        "mir 1\nfn use_half() -> f64 {\n    local r: f64\n    r = call half(3)\n    ret r\n}\n\
         fn use_narrow() -> i8 {\n    local r: i8\n    r = call narrow(200)\n    ret r\n}\n\
         init -> void {\n    gstore total, 4\n    ret\n}\n",
    );
    assert_eq!(call(&m, "use_half", &[]), f(1.5));
    assert_eq!(call(&m, "use_narrow", &[]), i(200i64 as i8 as i64));
    assert_eq!(m.global("total").unwrap(), f(4.0));
    let e = compile_error(&m, "mir 1\nfn bad() -> i8 {\n    local r: i8\n    r = call narrow(300)\n    ret r\n}\n");
    assert!(e.starts_with("<mir>:4:") && e.contains("300 does not fit in i8"), "{e}");
}

static RELOAD: AtomicUsize = AtomicUsize::new(0);
static RELOADS: AtomicI64 = AtomicI64::new(0);

/// Redefines the function that is calling it, several times over, and
/// runs the new definitions, all while the old code is still on the stack.
extern "C" fn redefine_caller(x: i64) -> i64 {
    // SAFETY: set by the test to a manager that outlives every call.
    let m = unsafe { &*(RELOAD.load(Ordering::SeqCst) as *const Manager) };
    for k in 0..20 {
        let n = RELOADS.fetch_add(1, Ordering::SeqCst);
        let text = format!(
            "mir 1\nextern fn redefine_caller(i64) -> i64\nfn hot(x: i64) -> i64 {{\n    local r: i64\n    local c: bool\n    \
             c = lt x, 0\n    br c, again, done\nagain:\n    r = call redefine_caller(x)\n    ret r\ndone:\n    \
             r = add x, {n}\n    ret r\n}}\n"
        );
        if m.compile_mir(text.as_bytes(), "<mir>").is_err() {
            return -1;
        }
        if m.execute("hot", &[k]).unwrap_or(-1) != k + n {
            return -2;
        }
    }
    x * 10
}

#[test]
fn a_running_function_may_be_redefined_from_a_host_callback() {
    let m = Box::new(manager());
    RELOAD.store(&*m as *const Manager as usize, Ordering::SeqCst);
    m.register_host("redefine_caller", redefine_caller as extern "C" fn(i64) -> i64 as usize, sig("fn(i64) -> i64"))
        .unwrap();
    load(
        &m,
        "mir 1\nextern fn redefine_caller(i64) -> i64\nfn hot(x: i64) -> i64 {\n    local r: i64\n    local big: text\n    \
         big = copy \"a text the old code owns\"\n    r = call redefine_caller(x)\n    r = add r, 1\n    local n: i64\n    \
         n = len big\n    r = add r, n\n    ret r\n}\n",
    );
    // The first `hot` keeps running its own (replaced) code after the call.
    assert_eq!(m.execute("hot", &[-3]).unwrap(), -30 + 1 + 24);
    // The latest definition is in place; from it, a negative argument
    // reaches the host again, which redefines it further.
    let last = RELOADS.load(Ordering::SeqCst) - 1;
    assert_eq!(m.execute("hot", &[2]).unwrap(), 2 + last);
    assert_eq!(m.execute("hot", &[-1]).unwrap(), -10);
    // Code replaced while calls ran is freed by later compiles (a grace
    // period takes two), once no call can still be running it.
    load(&m, "mir 1\nfn unrelated() -> i64 {\n    ret 0\n}\n");
    load(&m, "mir 1\nfn unrelated() -> i64 {\n    ret 1\n}\n");
    load(&m, "mir 1\nfn unrelated() -> i64 {\n    ret 2\n}\n");
    assert!(m.code_modules() < 10, "replaced code is freed: {} modules", m.code_modules());
    drop(m);
    RELOAD.store(0, Ordering::SeqCst);
}

// ---------------------------------------------------------------- round trip

struct Program {
    source: &'static str,
    calls: &'static [(&'static str, &'static [Arg])],
}

#[derive(Clone, Copy, Debug)]
enum Arg {
    I(i64),
    F(f64),
    B(bool),
    T(&'static str),
}

impl Arg {
    fn value(self) -> Value {
        match self {
            Arg::I(v) => Value::I64(v),
            Arg::F(v) => Value::F64(v),
            Arg::B(v) => Value::Bool(v),
            Arg::T(s) => Value::Text(s.to_string()),
        }
    }
}

use Arg::{B, F, I, T};

const PROGRAMS: &[Program] = &[
    Program { source: "fn f(x): x^2 + 2*x + 1\nf(5)\n", calls: &[("f", &[I(5)]), ("f", &[I(-3_000_000_000)])] },
    Program {
        source: "fn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nfib(15)\n",
        calls: &[("fib", &[I(20)]), ("fib", &[I(1)])],
    },
    Program {
        source: "val base_rate = 4.5\nvar orders = 0\nfree_above = 10_000\n\
                 fn weight_class(grams):\n    if grams <= 500:\n        return 1\n    elif grams <= 2_000:\n        return 2\n    return 3\n\
                 fn cost(grams, express: bool) -> f64:\n    orders += 1\n    if grams > free_above:\n        return 0\n    var c = base_rate * weight_class(grams)\n    if express: c *= 1.5\n    return c\n\
                 fn gcd(a, b):\n    while b != 0:\n        val t = b\n        b = a % b\n        a = t\n    a\n\
                 fn sum_to(n):\n    var s = 0\n    for i in 1..=n:\n        s += i\n    s\n\
                 cost(1200, true)\n",
        calls: &[
            ("cost", &[I(300), B(false)]),
            ("cost", &[I(20_000), B(true)]),
            ("gcd", &[I(12), I(18)]),
            ("gcd", &[I(7), I(0)]),
            ("sum_to", &[I(100)]),
            ("weight_class", &[I(1500)]),
        ],
    },
    Program {
        source: "fn d(a, b): a / b\nfn m(a, b): a % b\nfn p(a, b): a ^ b\nfn nd(a: f64, b: f64): a / b\n",
        calls: &[
            ("d", &[I(7), I(-2)]),
            ("d", &[I(1), I(0)]),
            ("d", &[I(i64::MIN), I(-1)]),
            ("m", &[I(-7), I(3)]),
            ("m", &[I(5), I(0)]),
            ("p", &[I(2), I(63)]),
            ("p", &[I(2), I(-1)]),
            ("nd", &[F(1.0), F(0.0)]),
            ("nd", &[F(0.0), F(0.0)]),
        ],
    },
    Program { source: "x = 1\ny = x / (x - 1)\n", calls: &[] },
    Program {
        source: "var g = 3\nfn bump(by):\n    if by < 0:\n        return\n    g += by\nbump(4)\ng\n",
        calls: &[("bump", &[I(2)]), ("bump", &[I(-1)])],
    },
    Program {
        source: "greeting = \"hello\"\nfn greet(name: text): greeting + \", \" + name + \"!\"\n\
                 fn shout(s: text) -> text:\n    var out = s\n    for i in 0..3:\n        out += \"!\"\n    return out\n\
                 fn p(s: text): int(s)\nfn q(s: text): float(s)\nfn cmp(a: text, b: text): a < b\nfn n(x): len(str(x)) + len(\"héllo\")\n\
                 fn conv(x: f64): str(x) + \"/\" + str(int(x)) + \"/\" + str(x > 1)\n\
                 greet(\"world\")\n",
        calls: &[
            ("greet", &[T("you")]),
            ("shout", &[T("hey")]),
            ("p", &[T(" 42 ")]),
            ("p", &[T("12x")]),
            ("q", &[T("2.5e-3")]),
            ("q", &[T("nope")]),
            ("cmp", &[T("Z"), T("a")]),
            ("n", &[I(-12345)]),
            ("conv", &[F(2.75)]),
            ("conv", &[F(1e300)]),
        ],
    },
    Program {
        source: "fn h(n):\n    if n == 0: return 1\n    return h(n - 1) * 0.5\nfn nan(): 0.0 / 0\nfn isnan(x: f64): x != x\n\
                 fn mm(a, b: f64): min(a, b) + max(a, b, 10)\nfn r(x: f64): floor(x) + ceil(x) + sqrt(abs(x))\nh(3)\n",
        calls: &[
            ("h", &[I(4)]),
            ("nan", &[]),
            ("isnan", &[F(f64::NAN)]),
            ("isnan", &[F(1.0)]),
            ("mm", &[I(3), F(2.5)]),
            ("mm", &[I(3), F(f64::NAN)]),
            ("r", &[F(-2.5)]),
        ],
    },
    Program {
        source: "fn even(n):\n    if n == 0: return true\n    return odd(n - 1)\nfn odd(n):\n    if n == 0: return false\n    return even(n - 1)\n\
                 fn both(a: bool, b: bool): (a and not b) or (b and not a)\n",
        calls: &[("even", &[I(10)]), ("odd", &[I(7)]), ("both", &[B(true), B(false)]), ("both", &[B(true), B(true)])],
    },
    Program {
        source: "fn loops(n):\n    var s = 0\n    var i = 0\n    while true:\n        i += 1\n        if i > n: break\n        if i % 3 == 0: continue\n        s += i\n    for k in 9223372036854775805..=9223372036854775807:\n        s += 1\n    for k in 5..=4:\n        s += 1000\n    s\n",
        calls: &[("loops", &[I(10)]), ("loops", &[I(0)])],
    },
    Program { source: "fn r(n) -> i64: r(n + 1) + 1\n", calls: &[("r", &[I(0)])] },
    Program {
        source: "fn f(x):\n    var y = x\n    if x > 0:\n        var y = 100\n        y += 1\n    return y\nfn g(x):\n    val y = 1\n    val y = y + 1.5\n    return y * x\n\
                 val limit = 100\nvar hits = 0\nfn count(x):\n    hits += 1\n    x < limit\ncount(5)\n",
        calls: &[("f", &[I(5)]), ("g", &[I(2)]), ("count", &[I(500)])],
    },
    Program {
        source: "fn wrap(): 9223372036854775807 + 1\nfn neg(): -(-9223372036854775807 - 1)\nfn big(): int(1e300) + int(-2.9)\n\
                 fn hx(): 0xFFFFFFFFFFFFFFFF + 0b1010\nfn sat(x: f64): int(x)\n",
        calls: &[
            ("wrap", &[]),
            ("neg", &[]),
            ("big", &[]),
            ("hx", &[]),
            ("sat", &[F(f64::NAN)]),
            ("sat", &[F(-1e300)]),
        ],
    },
    Program {
        source: "extern fn rt_host_add(a: i64, b: i64) -> i64\nextern fn rt_host_scale(x: f64) -> f64\n\
                 fn use_host(x): rt_host_add(x, 1) * 2\nfn use_f(x: f64) -> f64: rt_host_scale(x) + 1\nuse_host(20)\n",
        calls: &[("use_host", &[I(4)]), ("use_host", &[I(-1)]), ("use_f", &[F(2.0)])],
    },
    Program { source: "name = \"a\"\nname = name + \"b\"\nboom = int(name)\n", calls: &[] },
    Program { source: "fn nothing():\n    val x = 1\nnothing()\n", calls: &[("nothing", &[])] },
];

extern "C" fn rt_host_add(a: i64, b: i64) -> i64 {
    if a < 0 {
        raise("rt_host_add: negative");
    }
    a + b
}
extern "C" fn rt_host_scale(x: f64) -> f64 {
    x * 3.0
}

fn round_trip_manager() -> Manager {
    let m = manager();
    m.register_host("rt_host_add", rt_host_add as extern "C" fn(i64, i64) -> i64 as usize, sig("fn(i64, i64) -> i64"))
        .unwrap();
    m.register_host("rt_host_scale", rt_host_scale as extern "C" fn(f64) -> f64 as usize, sig("fn(f64) -> f64"))
        .unwrap();
    m
}

fn same_value(a: &Result<Value, Error>, b: &Result<Value, Error>) -> bool {
    match (a, b) {
        (Ok(Value::F64(x)), Ok(Value::F64(y))) => same_float(*x, *y),
        _ => a == b,
    }
}

#[test]
fn mir_from_source_round_trips_to_the_same_behaviour() {
    for p in PROGRAMS {
        let text = rtjit::mir_from_source(p.source).unwrap_or_else(|e| panic!("{e:?}\n{}", p.source));
        assert!(text.starts_with("mir 1\n"), "{text}");
        let by_source = round_trip_manager();
        let by_mir = round_trip_manager();
        let a = by_source.compile_source(p.source, "<source>");
        let b = by_mir.compile_mir(text.as_bytes(), "<mir>");
        assert!(same_value(&a, &b), "unit value differs: {a:?} vs {b:?}\n{}\n{text}", p.source);
        if a.is_err() {
            // Both undone: nothing is left.
            assert_eq!(by_mir.function_count(), 0, "{}", p.source);
            continue;
        }
        assert_eq!(by_source.function_names(), by_mir.function_names(), "{}", p.source);
        for name in by_source.function_names() {
            assert_eq!(by_source.function_signature(&name), by_mir.function_signature(&name), "{name}");
        }
        for (name, args) in p.calls {
            let args: Vec<Value> = args.iter().map(|a| a.value()).collect();
            let a = by_source.call(name, &args);
            let b = by_mir.call(name, &args);
            assert!(same_value(&a, &b), "{name}({args:?}): source {a:?}, MIR {b:?}\n{}\n{text}", p.source);
        }
        // The globals the printed MIR declares have the same values.
        for line in text.lines().filter(|l| l.starts_with("global ")) {
            let name = line.split_whitespace().nth(2).unwrap().trim_end_matches(':');
            let a = by_source.global(name);
            let b = by_mir.global(name);
            assert!(same_value(&a, &b), "global {name}: {a:?} vs {b:?}");
        }
        // The printed text parses back to a module that prints the same.
        let (module, _) = rtjit::parse_mir(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(rtjit::print_mir(&module), text);
    }
}

#[test]
fn mir_from_source_reports_source_errors() {
    match rtjit::mir_from_source("fn f(x): x +\n") {
        Err(Error::Compile(msg)) => assert!(msg.starts_with("<source>:1:"), "{msg}"),
        other => panic!("{other:?}"),
    }
    match rtjit::mir_from_source("val x: i64 = 2.5\n") {
        Err(Error::Compile(msg)) => assert!(msg.starts_with("<source>:1:"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // Extern declarations are printed as written (no manager to check).
    let text = rtjit::mir_from_source("extern fn anything(x: i64, y: f64) -> bool\n").unwrap();
    assert!(text.contains("extern fn anything(i64, f64) -> bool"), "{text}");
    assert_eq!(rtjit::mir_from_source("").unwrap(), "mir 1\n");
}

// ---------------------------------------------------------------- printer and unrolling

/// A self-recursive function is unrolled at opt level 2; the copies get
/// labels of their own (`<label>.iN`, `contN`). A user label that happens
/// to have that form must not make compile_mir panic (in debug builds a
/// `debug_assert` re-validates the unrolled MIR and finds the label twice).
#[test]
fn user_labels_do_not_collide_with_unrolled_copies() {
    let fib = "mir 1\nfn fib(n: i64) -> i64 {\n    local c: bool\n    local a: i64\n    local b: i64\nentry:\n    c = lt n, 2\n    br c, LABEL, rec\nLABEL:\n    ret n\nrec:\n    a = sub n, 1\n    a = call fib(a)\n    b = sub n, 2\n    b = call fib(b)\n    a = add a, b\n    ret a\n}\n";
    for label in ["base", "cont6", "entry.i3", "rec.i5"] {
        let m = manager();
        let text = fib.replace("LABEL", label);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.compile_mir(text.as_bytes(), "<mir>")));
        match r {
            Ok(Ok(_)) => assert_eq!(m.execute("fib", &[20]).unwrap(), 6765, "label {label}"),
            Ok(Err(e)) => panic!("label {label}: {e:?}"),
            Err(p) => panic!(
                "label {label}: compile_mir panicked: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        }
    }
}

/// `text::print` gives an unlabelled entry block the name `b0`; a module
/// that also has a block labelled `b0` must still print to text that
/// compiles and behaves the same.
#[test]
fn printed_mir_keeps_block_labels_distinct() {
    let text = "mir 1\nfn f() -> i64 {\n    jmp b0\nb0:\n    ret 1\n}\n";
    let (module, _) = rtjit::parse_mir(text).unwrap();
    let printed = rtjit::print_mir(&module);
    let m = manager();
    load(&m, &printed);
    assert_eq!(m.execute("f", &[]).unwrap(), 1);
}

/// A constant whose type is not the one its place expects (a module
/// validation refuses) still prints as itself: the parser types a bare
/// number by its place, so such a constant keeps its suffix (found by the
/// `mir` fuzz target, docs/reliability.md finding 3). Valid modules print
/// as before, without suffixes.
#[test]
fn printed_mir_keeps_a_constant_its_place_would_retype() {
    let cases = [
        ("    local s: i32\n    s = add a, 3:i64\n    ret s\n", "add a, 3:i64 @"),
        ("    local s: f32\n    s = copy 2.5:f64\n    ret s\n", "copy 2.5:f64 @"),
        ("    local s: i32\n    s = add 3:i64, 4\n    ret s\n", "add 3:i64, 4:i64 @"),
    ];
    for (body, shown) in cases {
        let text = format!("mir 1\nfn f(a: i32) -> i32 {{\n{body}}}\n");
        let (module, _) = rtjit::parse_mir(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let printed = rtjit::print_mir(&module);
        assert!(printed.contains(shown), "{printed}");
        let (again, _) = rtjit::parse_mir(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
        assert_eq!(rtjit::print_mir(&again), printed);
    }
    let valid = "mir 1\nfn g(a: i32, x: f64) -> f64 {\n    local s: i32\n    local y: f64\n    s = add a, 3\n    y = mul x, 2\n    ret y\n}\n";
    let (module, _) = rtjit::parse_mir(valid).unwrap();
    let printed = rtjit::print_mir(&module);
    assert!(printed.contains("s = add a, 3:i32") && printed.contains("y = mul x, 2.0"), "{printed}");
}

extern "C" fn raise_with_id(id: i64, round: i64) -> i64 {
    if round % 3 == 0 {
        raise(&format!("thread {id} round {round}"));
    }
    id * 1000 + round
}

/// rt_raise_error reaches the execution of the thread that called it, with
/// several threads raising at once.
#[test]
fn raises_on_several_threads_stay_with_their_own_calls() {
    let m = manager();
    m.register_host(
        "raise_with_id",
        raise_with_id as extern "C" fn(i64, i64) -> i64 as usize,
        sig("fn(i64, i64) -> i64"),
    )
    .unwrap();
    load(
        &m,
        "mir 1\nextern fn raise_with_id(i64, i64) -> i64\nfn work(id: i64, round: i64) -> i64 {\n    local r: i64\n    \
         r = call raise_with_id(id, round)\n    ret r\n}\n",
    );
    std::thread::scope(|s| {
        for id in 0..4i64 {
            let m = &m;
            s.spawn(move || {
                for round in 0..300i64 {
                    let r = m.execute("work", &[id, round]);
                    if round % 3 == 0 {
                        assert_eq!(r, Err(Error::Runtime(format!("thread {id} round {round}"))));
                    } else {
                        assert_eq!(r, Ok(id * 1000 + round));
                    }
                }
            });
        }
    });
}
