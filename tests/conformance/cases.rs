//! The case table. Every case follows /work/shared/spec/language.md; where
//! that page is silent, the expected behaviour is what a Python or Rust user
//! would expect (each such case says so in a comment).
//!
//! Sources that start with a newline are dedented (see `harness.rs`), so
//! line 1 is the first line after the opening quote.

use rtjit::Value::{Bool, F64, I64, Void};

use super::harness::*;

const MAX: i64 = i64::MAX;
const MIN: i64 = i64::MIN;

/// A generated source, for the table.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A one-unit case with a single `Eval` check.
fn ev(name: &'static str, source: &'static str, want: rtjit::Value) -> Case {
    case(name, source, vec![Eval(want)])
}

/// A one-unit case that must be a compile error at `line`.
fn ce(name: &'static str, source: &'static str, line: u32, subs: &'static [&'static str]) -> Case {
    case(name, source, vec![compile_error(line, subs)])
}

pub fn all() -> Vec<Group> {
    vec![
        Group { name: "spec_examples", cases: spec_examples() },
        Group { name: "lexical", cases: lexical() },
        Group { name: "types", cases: types() },
        Group { name: "inference", cases: inference() },
        Group { name: "operators", cases: operators() },
        Group { name: "integers", cases: integers() },
        Group { name: "runtime_errors", cases: runtime_errors() },
        Group { name: "builtins", cases: builtins() },
        Group { name: "statements", cases: statements() },
        Group { name: "globals", cases: globals() },
        Group { name: "eval_values", cases: eval_values() },
        Group { name: "calls", cases: calls() },
        Group { name: "names", cases: names() },
        Group { name: "redefinition", cases: redefinition() },
        Group { name: "atomic_units", cases: atomic_units() },
        Group { name: "text", cases: text() },
    ]
}

// ---------------------------------------------------------------------------
// "These must work verbatim"
// ---------------------------------------------------------------------------

fn spec_examples() -> Vec<Case> {
    vec![
        case(
            "spec: f(5) == 36, an inline body is the return value",
            "fn f(x): x^2 + 2*x + 1          # f(5) == 36; an inline body is the return value\n",
            vec![
                Eval(Void),
                Call("f", vec![I64(5)], I64(36)),
                Call("f", vec![I64(0)], I64(1)),
                Call("f", vec![I64(-1)], I64(0)),
                Call("f", vec![I64(-3)], I64(4)),
                Exec("f", vec![5], 36),
            ],
        ),
        case(
            "spec: timeout = 30 * 60 evaluates to 1800 and declares the global",
            "timeout = 30 * 60               # eval of this line returns 1800;\n",
            vec![
                Eval(I64(1800)),
                Global("timeout", I64(1800)),
                Unit("timeout"),
                Eval(I64(1800)),
                Unit("timeout = timeout * 2"),
                Eval(I64(3600)),
                Global("timeout", I64(3600)),
            ],
        ),
        case(
            "spec: fib",
            "
            fn fib(n):
                if n < 2:
                    return n
                return fib(n - 1) + fib(n - 2)
            ",
            vec![
                Eval(Void),
                Call("fib", vec![I64(0)], I64(0)),
                Call("fib", vec![I64(1)], I64(1)),
                Call("fib", vec![I64(2)], I64(1)),
                Call("fib", vec![I64(10)], I64(55)),
                Call("fib", vec![I64(20)], I64(6765)),
                Exec("fib", vec![25], 75025),
                Unit("fib(15)"),
                Eval(I64(610)),
            ],
        ),
        case(
            "spec: the whole example block as one unit",
            "fn f(x): x^2 + 2*x + 1          # f(5) == 36; an inline body is the return value

timeout = 30 * 60               # eval of this line returns 1800;
                                # afterwards global `timeout` == 1800

fn fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
",
            vec![
                // The last top-level statement is the assignment.
                Eval(I64(1800)),
                Global("timeout", I64(1800)),
                Call("f", vec![I64(5)], I64(36)),
                Call("fib", vec![I64(10)], I64(55)),
            ],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Lexical rules
// ---------------------------------------------------------------------------

fn lexical() -> Vec<Case> {
    vec![
        case(
            "comments and blank lines at top level",
            "
            # a comment line

            x = 1   # a trailing comment
                # an indented comment line is ignored too

            # another
            ",
            vec![Eval(I64(1)), Global("x", I64(1))],
        ),
        ev("a unit of only comments evaluates to void", "# nothing here\n   # nor here\n", Void),
        ev("an empty unit evaluates to void", "", Void),
        ev("a unit of blank lines evaluates to void", "   \n\n  \n", Void),
        ev("no newline at the end of the unit", "x = 1\ny = x + 1", I64(2)),
        case(
            "blank and comment lines inside blocks, at any indentation",
            "
            fn g(x):

                # comment at the block's indentation
              # comment at a shallower indentation
                        # and at a deeper one
                if x > 0:

                    return 1
            # comment at column 1 inside the function

                return 2
            ",
            vec![Call("g", vec![I64(1)], I64(1)), Call("g", vec![I64(-1)], I64(2))],
        ),
        case(
            "indentation of 1 space",
            "fn f(x):\n if x > 0:\n  return 1\n return 0\n",
            vec![Call("f", vec![I64(5)], I64(1)), Call("f", vec![I64(-5)], I64(0))],
        ),
        case(
            "indentation of 2 spaces",
            "fn f(x):\n  if x > 0:\n    return 1\n  return 0\n",
            vec![Call("f", vec![I64(5)], I64(1)), Call("f", vec![I64(-5)], I64(0))],
        ),
        case(
            "indentation of 3 spaces",
            "fn f(x):\n   if x > 0:\n      return 1\n   return 0\n",
            vec![Call("f", vec![I64(5)], I64(1)), Call("f", vec![I64(-5)], I64(0))],
        ),
        case(
            "indentation of 8 spaces",
            "fn f(x):\n        if x > 0:\n                return 1\n        return 0\n",
            vec![Call("f", vec![I64(5)], I64(1)), Call("f", vec![I64(-5)], I64(0))],
        ),
        case(
            "nested blocks may each use their own width",
            "
            fn f(x):
              var s = 0
              for i in 0..x:
                      if i % 2 == 0:
                       s += i
              return s
            fn g(x):
                 return x * 2
            ",
            vec![Call("f", vec![I64(5)], I64(6)), Call("g", vec![I64(4)], I64(8))],
        ),
        case(
            "a tab in indentation is a compile error naming the line",
            "fn f(x):\n\treturn x\n",
            vec![compile_error(2, &["tab"]), NoFunction("f")],
        ),
        case(
            "a tab after spaces in indentation is a compile error naming the line",
            "fn f(x):\n    if x > 0:\n    \treturn 1\n    return 0\n",
            vec![compile_error(3, &["tab"])],
        ),
        case(
            "a tab in indentation further down names its line",
            "x = 1\n\nfn f(a):\n    val b = a\n\tb + 1\n",
            vec![compile_error(5, &["tab"]), NoGlobal("x")],
        ),
        ev("a tab between tokens is harmless", "x =\t1 +\t2\n", I64(3)),
        // Inside parentheses a line break is not the end of a statement, so
        // the next line's leading whitespace is not indentation (as in Python).
        ev("a tab at the start of a continuation line inside parentheses", "x = (1 +\n\t2)\n", I64(3)),
        case(
            "a blank line holding a tab is ignored",
            "fn f(x):\n\t\n    return x\n",
            vec![Call("f", vec![I64(3)], I64(3))],
        ),
        // "Comment lines are ignored": also when indented with a tab.
        ev("a tab-indented comment line is ignored", "\t# comment\nx = 1\n", I64(1)),
        case(
            "a dedent to a level never opened is a compile error naming the line",
            "
            fn f(x):
                if x > 0:
                    return 1
              return 0
            ",
            vec![compile_error(4, &["dent"]), NoFunction("f")],
        ),
        case(
            "a dedent to a level never opened, further down",
            "
            fn f(x):
                var s = 0
                for i in 0..x:
                        s += i
                      s += 1
                return s
            ",
            vec![compile_error(5, &["dent"])],
        ),
        ce("an unexpected indent is a compile error", "x = 1\n    y = 2\n", 2, &[]),
        ce("a block must be indented", "fn f(x):\nreturn x\n", 2, &[]),
        // Integer literals.
        ev("decimal literal", "1234567890", I64(1234567890)),
        ev("hex literal", "0xff", I64(255)),
        ev("hex literal, upper-case digits", "0xFF", I64(255)),
        ev("binary literal", "0b1010", I64(10)),
        ev("underscore separators", "1_000_000", I64(1_000_000)),
        ev("underscores in hex and binary", "0xFFFF_FFFF + 0b1111_0000", I64(0xFFFF_FFFF + 0b1111_0000)),
        ev("largest hex literal that is an i64", "0x7fff_ffff_ffff_ffff", I64(MAX)),
        ev("mixed literal forms", "0xff + 0b11 + 1_000", I64(1258)),
        ev("i64::MAX as a literal", "9223372036854775807", I64(MAX)),
        ev("i64::MIN as a negated literal", "-9223372036854775808", I64(MIN)),
        ce("a decimal literal too large for i64", "9223372036854775808", 1, &[]),
        ce("a literal too large for 64 bits names its line", "x = 1\ny = 99999999999999999999\n", 2, &[]),
        ce("hex prefix without digits", "0x", 1, &[]),
        ce("a non-binary digit in a binary literal", "0b102", 1, &[]),
        ce("letters after a number", "12abc", 1, &[]),
        // Float literals.
        ev("float literal 1.5", "1.5", F64(1.5)),
        ev("float literal 1e9 is f64", "1e9", F64(1e9)),
        ev("float literal 2.5e-3", "2.5e-3", F64(2.5e-3)),
        ev("float literal 1.5e3", "1.5e3", F64(1500.0)),
        ev("float literal 1e+2", "1e+2", F64(100.0)),
        ev("float literal 3.0 is f64", "3.0", F64(3.0)),
        ev("float literal 0.5", "0.5", F64(0.5)),
        ev("float literal with underscores", "1_000.25", F64(1000.25)),
        ce(".5 is not a float", ".5", 1, &[]),
        case(".5 is reported at its column", "x = .5\n", vec![compile_error_at(1, 5, &[])]),
        ce(".5 is not a float, in an assignment on line 2", "x = 1\ny = .25\n", 2, &[]),
        case(
            "a range 1..5 is not a float",
            "
            var s = 0
            for i in 1..5:
                s += i
            s
            ",
            vec![Eval(I64(10))],
        ),
        // Identifiers.
        case(
            "identifiers with underscores and digits",
            "_x1 = 5\nAbc_9 = _x1 + 1\n",
            vec![Eval(I64(6)), Global("_x1", I64(5)), Global("Abc_9", I64(6))],
        ),
        ev("identifiers are case-sensitive", "a = 1\nA = 2\na * 10 + A\n", I64(12)),
        ce("a keyword is not a variable name", "val while = 1\n", 1, &[]),
        ce("true is not assignable", "true = 1\n", 1, &[]),
        // Not in language.md; as in Python, line breaks inside parentheses
        // do not end a statement.
        case(
            "line breaks inside parentheses join lines",
            "
            fn add3(a, b, c): a + b + c
            total = add3(1,
                         2,
                            3)
            x = (1 +
              2)
            total + x
            ",
            vec![Eval(I64(9)), Global("total", I64(6))],
        ),
        // Where an unclosed '(' is reported is not pinned (see the report).
        case("an unclosed parenthesis is a compile error", "x = (1 + 2\n", vec![compile_error_anywhere(&["("])]),
        ce("a line ending in an operator does not continue outside parentheses", "x = 1 +\n  2\n", 1, &["expected"]),
        case(
            "comments after ':' and after inline blocks",
            "
            fn f(x):  # a comment after the colon
                if x > 0:   # another
                    return 1  # and another
                # a comment between if and else
            # one at column 1
                else: return 2 # after an inline block
            ",
            vec![Call("f", vec![I64(1)], I64(1)), Call("f", vec![I64(-1)], I64(2))],
        ),
        case(
            "a whitespace-only line inside a block",
            "fn f(x):\n    val y = x\n            \n\n    return y\n",
            vec![Call("f", vec![I64(3)], I64(3))],
        ),
        case(
            "a block at the very end of the input without a newline",
            "fn f(x):\n    if x > 0:\n        return x\n    return 0",
            vec![Call("f", vec![I64(3)], I64(3))],
        ),
        ce("a block cannot be empty", "fn f():\n    # nothing\nx = 1\n", 3, &["expected"]),
        ce("identifiers are ASCII", "\u{e9} = 1\n", 1, &[]),
        ce("`in` is a keyword", "val in = 1\n", 1, &[]),
        ce("`extern` is a keyword", "extern = 1\n", 1, &[]),
        ce("a literal too large for 64 bits", "0x1_0000_0000_0000_0000\n", 1, &[]),
        ev("100 levels of parentheses", leak(format!("{}1{}", "(".repeat(100), ")".repeat(100))), I64(1)),
        // Not in language.md: absurd nesting is a compile error, not a crash.
        case(
            "100000 levels of parentheses are a compile error, not a crash",
            leak(format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000))),
            vec![compile_error_anywhere(&[])],
        ),
        ev("a unit of 5000 statements", leak(format!("var x = 0\n{}", "x += 1\n".repeat(5000))), I64(5000)),
        // Not in language.md; CRLF line endings work, as in Python.
        case(
            "CRLF line endings",
            "fn f(x):\r\n    return x + 1\r\n\r\ny = f(1)\r\n",
            vec![Eval(I64(2)), Call("f", vec![I64(41)], I64(42))],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Types and promotion
// ---------------------------------------------------------------------------

fn types() -> Vec<Case> {
    vec![
        ev("i64 + f64 is f64", "1 + 2.5", F64(3.5)),
        ev("f64 + i64 is f64", "2.5 + 1", F64(3.5)),
        ev("i64 * f64", "3 * 0.5", F64(1.5)),
        ev("i64 / f64 does not truncate", "7 / 2.0", F64(3.5)),
        ev("i64 - f64", "10 - 0.5", F64(9.5)),
        ev("i64 % f64", "7 % 2.5", F64(2.0)),
        // `%` keeps the sign of the dividend on f64 too (as in Rust).
        ev("f64 % has the sign of the dividend", "-7.5 % 2", F64(-1.5)),
        ev("comparison i64 < f64", "1 < 1.5", Bool(true)),
        ev("comparison i64 == f64", "2 == 2.0", Bool(true)),
        ev("comparison f64 != i64", "3.0 != 3", Bool(false)),
        ev("comparison i64 >= f64", "2 >= 2.5", Bool(false)),
        case(
            "an i64 argument is promoted to an f64 parameter",
            "fn half(x: f64): x / 2\n",
            vec![
                Call("half", vec![I64(3)], F64(1.5)),
                Call("half", vec![F64(3.0)], F64(1.5)),
                Unit("half(5)"),
                Eval(F64(2.5)),
            ],
        ),
        case(
            "f64 and i64 parameters together",
            "fn area(w: f64, h): w * h\n",
            vec![Call("area", vec![F64(2.5), I64(4)], F64(10.0)), Call("area", vec![I64(2), I64(4)], F64(8.0))],
        ),
        ev("an i64 built-in argument is promoted: sqrt(16)", "sqrt(16)", F64(4.0)),
        ev("an i64 built-in argument is promoted: floor(7)", "floor(7)", F64(7.0)),
        case("an annotated f64 variable takes an i64", "val y: f64 = 3\n", vec![Eval(F64(3.0)), Global("y", F64(3.0))]),
        case("an f64 global assigned an i64", "var r = 1.5\nr = 2\n", vec![Eval(F64(2.0)), Global("r", F64(2.0))]),
        case(
            "an f64 local accumulates i64 values",
            "
            fn g():
                var acc: f64 = 0
                for i in 1..=4:
                    acc += i
                return acc
            ",
            vec![Call("g", vec![], F64(10.0))],
        ),
        case(
            "an i64 returned from an f64 function is promoted",
            "
            fn one() -> f64: 1
            fn pick(c: bool) -> f64:
                if c: return 1
                return 2.5
            ",
            vec![
                Call("one", vec![], F64(1.0)),
                Call("pick", vec![Bool(true)], F64(1.0)),
                Call("pick", vec![Bool(false)], F64(2.5)),
            ],
        ),
        // Never f64 to i64.
        ce("f64 is not converted to an i64 variable", "val n: i64 = 2.5\n", 1, &["f64"]),
        ce("f64 is not assigned to an i64 global", "var n = 1\nn = 2.5\n", 2, &["f64"]),
        ce("f64 is not added into an i64 variable", "var n = 1\nn += 0.5\n", 2, &["f64"]),
        ce("f64 is not passed to an i64 parameter", "fn k(x): x\ny = k(2.5)\n", 2, &["f64"]),
        ce("f64 is not returned as i64 (inline body)", "fn r() -> i64: 2.5\n", 1, &["f64"]),
        ce("f64 is not returned as i64 (return)", "fn r() -> i64:\n    return 1.5\n", 2, &["f64"]),
        ce("an f64 range bound is an error", "fn f():\n    for i in 0..2.5:\n        continue\n", 2, &["f64"]),
        case(
            "the API does not pass an f64 to an i64 parameter",
            "fn k(x): x\n",
            vec![CallError("k", vec![F64(2.5)], ErrKind::Signature), Call("k", vec![I64(2)], I64(2))],
        ),
        // No other implicit conversion.
        ce("`if 1:` is a type error", "if 1: x = 2\n", 1, &["bool"]),
        ce("`while n:` on an i64 is a type error", "fn f(n):\n    while n: n -= 1\n    return n\n", 2, &["bool"]),
        ce("\"a\" + 1 is a type error", "\"a\" + 1\n", 1, &[]),
        ce("bool + i64 is a type error", "true + 1\n", 1, &["bool"]),
        ce("i64 == bool is a type error", "1 == true\n", 1, &[]),
        ce("f64 == bool is a type error", "x = 1.5 == false\n", 1, &[]),
        ce("`not` on an i64 is a type error", "not 1\n", 1, &[]),
        ce("`and` on an i64 is a type error", "1 and true\n", 1, &[]),
        ce("`or` on an i64 is a type error", "true or 0\n", 1, &[]),
        ce("unary minus on a bool is a type error", "-true\n", 1, &[]),
        ce("an i64 is not a bool variable", "val b: bool = 1\n", 1, &[]),
        ce("a bool is not an i64 variable", "val n: i64 = true\n", 1, &[]),
        ce("an i64 is not passed to a bool parameter", "fn neg(b: bool): not b\nneg(1)\n", 2, &[]),
        ce("ordering bools is a type error", "true < false\n", 1, &[]),
        ce("there is no bool() conversion", "bool(1)\n", 1, &["bool"]),
        ce("an unknown type name", "fn f(x: int): x\n", 1, &["int"]),
        ce("an unknown type name in a declaration", "val x: float = 1\n", 1, &["float"]),
        case(
            "bool parameters compare with ==",
            "fn same(a: bool, b: bool): a == b\nfn annotated(x) -> bool: x > 0\n",
            vec![
                Call("same", vec![Bool(true), Bool(true)], Bool(true)),
                Call("same", vec![Bool(true), Bool(false)], Bool(false)),
                Call("same", vec![Bool(false), Bool(false)], Bool(true)),
                Call("annotated", vec![I64(2)], Bool(true)),
            ],
        ),
        ev("val annotated bool", "val ok: bool = 1 < 2\n", Bool(true)),
        case(
            "the API does not pass a bool to an i64 parameter or an i64 to a bool one",
            "fn k(x): x\nfn neg(b: bool): not b\n",
            vec![
                CallError("k", vec![Bool(true)], ErrKind::Signature),
                CallError("neg", vec![I64(1)], ErrKind::Signature),
            ],
        ),
        // Bool values.
        ev("bool == bool", "true == true", Bool(true)),
        ev("bool != bool", "false != true", Bool(true)),
        case(
            "bool parameters and results",
            "fn neg(b: bool): not b\nfn pos(x): x > 0\n",
            vec![
                Call("neg", vec![Bool(true)], Bool(false)),
                Call("neg", vec![Bool(false)], Bool(true)),
                Exec("neg", vec![1], 0),
                Exec("neg", vec![0], 1),
                Call("pos", vec![I64(3)], Bool(true)),
                Exec("pos", vec![-3], 0),
                Exec("pos", vec![3], 1),
            ],
        ),
        // Void.
        case(
            "a function with no value returns void (0 through execute)",
            "
            var hits = 0
            fn touch():
                hits += 1
            ",
            vec![Call("touch", vec![], Void), Exec("touch", vec![], 0), Global("hits", I64(2))],
        ),
        ce("a void call has no value", "fn v():\n    return\nx = v()\n", 3, &[]),
        ce("a void call is not an operand", "fn v():\n    return\ny = 1\ny = v() + 1\n", 4, &[]),
        // As in Rust: a function that returns a value must do so on every
        // path, and cannot also `return` without one.
        case(
            "returning a value in one place and nothing in another is an error",
            "fn m(x):\n    if x > 0: return 1\n    return\n",
            vec![compile_error_anywhere(&[]), NoFunction("m")],
        ),
        case(
            "a function may not fall off the end when it returns a value",
            "fn m(x):\n    if x > 0:\n        return 1\n",
            vec![compile_error_anywhere(&[]), NoFunction("m")],
        ),
        case(
            "if/else that both return is a complete body",
            "fn m(x):\n    if x > 0:\n        return 1\n    else:\n        return 2\n",
            vec![Call("m", vec![I64(1)], I64(1)), Call("m", vec![I64(0)], I64(2))],
        ),
        case(
            "`while true` with a return inside is a complete body",
            "
            fn first_square_above(n):
                var i = 0
                while true:
                    if i * i > n: return i
                    i += 1
            ",
            vec![Call("first_square_above", vec![I64(10)], I64(4))],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Return type inference
// ---------------------------------------------------------------------------

fn inference() -> Vec<Case> {
    vec![
        case(
            "an unannotated recursive factorial",
            "
            fn fact(n):
                if n <= 1: return 1
                return n * fact(n - 1)
            ",
            vec![Call("fact", vec![I64(20)], I64(2432902008176640000)), Call("fact", vec![I64(0)], I64(1))],
        ),
        case(
            "the recursive call may come before the base case",
            "fn g(n):\n    if n > 0: return g(n - 1) + 1\n    return 0\n",
            vec![Call("g", vec![I64(5)], I64(5))],
        ),
        case(
            "a function whose type depends only on itself needs a return type",
            "fn spin(n): return spin(n + 1)\n",
            vec![compile_error_anywhere(&["return type"]), NoFunction("spin")],
        ),
        case(
            "a block-bodied function whose type depends only on itself needs a return type",
            "fn spin(n):\n    return spin(n + 1)\n",
            vec![compile_error_anywhere(&["return type"])],
        ),
        case(
            "an inline body whose type depends only on itself needs a return type",
            "fn forever(n): forever(n - 1) + 1\n",
            vec![compile_error_anywhere(&["return type"])],
        ),
        case(
            "mutual recursion with no base type needs a return type",
            "fn ping(n): pong(n)\nfn pong(n): ping(n)\n",
            vec![compile_error_anywhere(&["return type"]), NoFunction("ping"), NoFunction("pong")],
        ),
        case(
            "an annotated function that only recurses compiles",
            "fn spin(n) -> i64:\n    return spin(n + 1)\n",
            vec![Eval(Void)],
        ),
        case(
            "mutual recursion with base cases is inferred",
            "
            fn is_even(n):
                if n == 0: return true
                return is_odd(n - 1)
            fn is_odd(n):
                if n == 0: return false
                return is_even(n - 1)
            ",
            vec![
                Call("is_even", vec![I64(10)], Bool(true)),
                Call("is_even", vec![I64(7)], Bool(false)),
                Call("is_odd", vec![I64(7)], Bool(true)),
            ],
        ),
        case(
            "a recursive function inferred as f64",
            "fn h(n):\n    if n == 0: return 1.5\n    return h(n - 1) * 2\n",
            vec![Call("h", vec![I64(2)], F64(6.0))],
        ),
        case(
            "a recursive function whose type widens to f64",
            "fn h(n):\n    if n == 0: return 1\n    return h(n - 1) * 1.5\n",
            vec![Call("h", vec![I64(2)], F64(2.25))],
        ),
        // Not recursive, so language.md requires the types to be inferred,
        // however long the chain of callers defined before their callees.
        case(
            "a long chain of calls to functions defined later is inferred",
            leak((0..100).map(|i| format!("fn f{i}(x): f{}(x) + 1\n", i + 1)).collect::<String>() + "fn f100(x): x\n"),
            vec![Eval(Void), Call("f0", vec![I64(0)], I64(100)), Call("f50", vec![I64(1)], I64(51))],
        ),
        case(
            "a long chain of calls to functions defined earlier is inferred",
            leak(
                "fn f0(x): x\n".to_string()
                    + &(1..=300).map(|i| format!("fn f{i}(x): f{}(x) + 1\n", i - 1)).collect::<String>(),
            ),
            vec![Eval(Void), Call("f300", vec![I64(0)], I64(300))],
        ),
        case(
            "a global's type flows into a function defined before it",
            "fn g(): k\nk = 2.5\n",
            vec![Call("g", vec![], F64(2.5))],
        ),
        case(
            "a function's type flows into a global declared before it",
            "y = h()\nfn h(): 1.5\n",
            vec![Eval(F64(1.5)), Global("y", F64(1.5))],
        ),
        // The body ends in an expression, which language.md says is the
        // return value; a bare `return` elsewhere returns nothing. As in Rust
        // (and like "returns a value in one place and nothing in another"),
        // that is a compile error, not a silently void function.
        case(
            "a bare return and a trailing expression value conflict",
            "fn f(x):\n    if x < 0: return\n    x + 1\n",
            vec![compile_error_anywhere(&[]), NoFunction("f")],
        ),
        case(
            "returns of i64 and f64 join to f64",
            "fn mix(c: bool):\n    if c: return 1\n    return 2.5\n",
            vec![Call("mix", vec![Bool(true)], F64(1.0)), Call("mix", vec![Bool(false)], F64(2.5))],
        ),
        case(
            "a type inferred through a function defined later",
            "fn a(x): b(x) * 2\nfn b(x): x + 0.5\n",
            vec![Call("a", vec![I64(1)], F64(3.0))],
        ),
        case(
            "a comparison body is inferred as bool",
            "fn is_pos(x): x > 0\n",
            vec![Call("is_pos", vec![I64(1)], Bool(true)), Call("is_pos", vec![I64(0)], Bool(false))],
        ),
        case(
            "returns and a trailing expression together",
            "fn clamp0(x):\n    if x < 0: return 0\n    x\n",
            vec![Call("clamp0", vec![I64(-5)], I64(0)), Call("clamp0", vec![I64(7)], I64(7))],
        ),
        case(
            "a body without a value is inferred as void",
            "fn noop(x):\n    val y = x\n",
            vec![Call("noop", vec![I64(1)], Void), Exec("noop", vec![1], 0)],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Operators: precedence, associativity, short-circuit
// ---------------------------------------------------------------------------

fn operators() -> Vec<Case> {
    let cmp_src = "
        fn lt(a, b): a < b
        fn le(a, b): a <= b
        fn gt(a, b): a > b
        fn ge(a, b): a >= b
        fn eq(a, b): a == b
        fn ne(a, b): a != b
        ";
    let mut cmp = Vec::new();
    for (f, want) in [
        ("lt", [true, false, false]),
        ("le", [true, true, false]),
        ("gt", [false, false, true]),
        ("ge", [false, true, true]),
        ("eq", [false, true, false]),
        ("ne", [true, false, true]),
    ] {
        for (a, w) in [1, 2, 3].into_iter().zip(want) {
            cmp.push(Call(f, vec![I64(a), I64(2)], Bool(w)));
        }
    }
    let fcmp_src = "
        fn flt(a: f64, b: f64): a < b
        fn fle(a: f64, b: f64): a <= b
        fn feq(a: f64, b: f64): a == b
        ";
    let fcmp = vec![
        Call("flt", vec![F64(1.5), F64(2.0)], Bool(true)),
        Call("flt", vec![F64(2.0), F64(2.0)], Bool(false)),
        Call("fle", vec![F64(2.0), I64(2)], Bool(true)),
        Call("feq", vec![F64(-0.0), F64(0.0)], Bool(true)),
        Call("feq", vec![F64(0.1), F64(0.2)], Bool(false)),
    ];
    vec![
        ev("-2^2 == -4", "-2^2", I64(-4)),
        ev("2^3^2 == 512", "2^3^2", I64(512)),
        ev("2.0^-1 == 0.5", "2.0^-1", F64(0.5)),
        ev("(-2)^2 == 4", "(-2)^2", I64(4)),
        ev("-2^3 == -8", "-2^3", I64(-8)),
        ev("- 3 ^ 2 == -9", "- 3 ^ 2", I64(-9)),
        ev("unary minus and ^ on a variable", "x = 3\n-x^2\n", I64(-9)),
        ev("2*3^2 == 18", "2*3^2", I64(18)),
        ev("2.0^3^2 == 512.0", "2.0^3^2", F64(512.0)),
        ev("2^-2.0 == 0.25", "2^-2.0", F64(0.25)),
        ev("4.0^0.5 == 2.0", "4.0^0.5", F64(2.0)),
        ev("2^0.5 is pow", "2^0.5", F64(2f64.powf(0.5))),
        ev("1 + 2 * 3 == 7", "1 + 2 * 3", I64(7)),
        ev("(1 + 2) * 3 == 9", "(1 + 2) * 3", I64(9)),
        ev("- is left-associative", "10 - 3 - 2", I64(5)),
        ev("/ is left-associative", "100 / 10 / 5", I64(2)),
        ev("* and % share a level, left to right", "2 * 3 % 4", I64(2)),
        ev("% then *", "7 % 4 * 2", I64(6)),
        ev("a negative operand", "7 - -3", I64(10)),
        ev("double negation", "- -3", I64(3)),
        ev("unary minus on f64", "-1.5", F64(-1.5)),
        ev("comparison binds looser than +", "1 + 2 == 3", Bool(true)),
        ev("comparison binds looser than *", "2 * 3 > 5", Bool(true)),
        ev("not binds looser than ==", "not 1 == 2", Bool(true)),
        ev("not binds tighter than and", "not true and false", Bool(false)),
        ev("and binds tighter than or (1)", "true or false and false", Bool(true)),
        ev("and binds tighter than or (2)", "false and false or true", Bool(true)),
        ev("not not", "not not true", Bool(true)),
        ev("not binds looser than + and ==", "not 1 + 1 == 2", Bool(false)),
        ev("comparisons joined with and", "1 < 2 and 2 < 3", Bool(true)),
        ev("-2.0^-2 == -0.25", "-2.0^-2", F64(-0.25)),
        ev("2.0^-1^2 == 0.5 (the exponent is -(1^2))", "2.0^-1^2", F64(0.5)),
        ce("a < b < c is a compile error", "1 < 2 < 3\n", 1, &[]),
        ce("a == b == c is a compile error", "x = 1 == 1 == 1\n", 1, &[]),
        ce("a < b == c is a compile error", "1 < 2 == true\n", 1, &[]),
        ev("a parenthesised comparison may be compared", "(1 < 2) == true", Bool(true)),
        case("every comparison operator on i64", cmp_src, cmp),
        case("comparisons on f64", fcmp_src, fcmp),
        case(
            "arithmetic operators on runtime values",
            "
            fn add(a, b): a + b
            fn sub(a, b): a - b
            fn mul(a, b): a * b
            fn div(a, b): a / b
            fn rem(a, b): a % b
            fn pow(a, b): a ^ b
            fn fdiv(a: f64, b: f64): a / b
            fn fpow(a: f64, b: f64): a ^ b
            ",
            vec![
                Call("add", vec![I64(40), I64(2)], I64(42)),
                Call("sub", vec![I64(40), I64(2)], I64(38)),
                Call("mul", vec![I64(-6), I64(7)], I64(-42)),
                Call("div", vec![I64(85), I64(2)], I64(42)),
                Call("rem", vec![I64(85), I64(2)], I64(1)),
                Call("pow", vec![I64(3), I64(4)], I64(81)),
                Call("fdiv", vec![I64(1), I64(4)], F64(0.25)),
                Call("fpow", vec![F64(2.0), F64(-2.0)], F64(0.25)),
            ],
        ),
        // Short-circuit.
        ev("false and ... does not evaluate its right side", "false and (1 / 0 == 0)", Bool(false)),
        ev("true or ... does not evaluate its right side", "true or (1 / 0 == 0)", Bool(true)),
        case(
            "true and ... evaluates its right side",
            "true and (1 / 0 == 0)\n",
            vec![EvalRuntimeError(&["division by zero"])],
        ),
        case(
            "false or ... evaluates its right side",
            "false or (1 / 0 == 0)\n",
            vec![EvalRuntimeError(&["division by zero"])],
        ),
        case(
            "short-circuit skips calls",
            "
            var calls = 0
            fn hit() -> bool:
                calls += 1
                return true
            r1 = false and hit()
            r2 = true or hit()
            r3 = true and hit()
            r4 = false or hit()
            calls
            ",
            vec![Eval(I64(2)), Global("r1", Bool(false)), Global("r2", Bool(true)), Global("r3", Bool(true))],
        ),
        case(
            "short-circuit guards a division at run time",
            "fn safe(a, b): b != 0 and a / b > 0\n",
            vec![Call("safe", vec![I64(1), I64(0)], Bool(false)), Call("safe", vec![I64(4), I64(2)], Bool(true))],
        ),
        // f64 is IEEE-754: division by zero gives an infinity or NaN (as in Rust).
        ev("f64 division by zero is infinity", "1.0 / 0.0", F64(f64::INFINITY)),
        ev("f64 division by an i64 zero is infinity", "-1.0 / 0", F64(f64::NEG_INFINITY)),
        ev("0.0 / 0.0 is NaN", "0.0 / 0.0", F64(f64::NAN)),
        ev("0.1 + 0.2 != 0.3 (IEEE doubles)", "0.1 + 0.2 == 0.3", Bool(false)),
    ]
}

// ---------------------------------------------------------------------------
// Integer semantics
// ---------------------------------------------------------------------------

fn integers() -> Vec<Case> {
    let funcs = "
        fn add(a, b): a + b
        fn sub(a, b): a - b
        fn mul(a, b): a * b
        fn div(a, b): a / b
        fn rem(a, b): a % b
        fn neg(a): -a
        fn pow(a, b): a ^ b
        ";
    vec![
        ev("i64::MAX + 1 wraps", "9223372036854775807 + 1", I64(MIN)),
        ev("i64::MIN - 1 wraps", "-9223372036854775808 - 1", I64(MAX)),
        ev("i64::MAX * 2 wraps", "9223372036854775807 * 2", I64(-2)),
        ev("-i64::MIN wraps", "-(-9223372036854775808)", I64(MIN)),
        ev("7 / 2 == 3", "7 / 2", I64(3)),
        ev("-7 / 2 == -3 (toward zero)", "-7 / 2", I64(-3)),
        ev("7 / -2 == -3 (toward zero)", "7 / -2", I64(-3)),
        ev("-7 / -2 == 3", "-7 / -2", I64(3)),
        ev("7 % 3 == 1", "7 % 3", I64(1)),
        ev("-7 % 3 == -1 (sign of the dividend)", "-7 % 3", I64(-1)),
        ev("7 % -3 == 1 (sign of the dividend)", "7 % -3", I64(1)),
        ev("-7 % -3 == -1", "-7 % -3", I64(-1)),
        ev("i64::MIN / -1 == i64::MIN", "-9223372036854775808 / -1", I64(MIN)),
        ev("i64::MIN % -1 == 0", "-9223372036854775808 % -1", I64(0)),
        ev("2^10", "2^10", I64(1024)),
        ev("2^0 == 1", "2^0", I64(1)),
        ev("0^0 == 1", "0^0", I64(1)),
        ev("(-2)^3 == -8", "(-2)^3", I64(-8)),
        ev("10^18 is exact", "10^18", I64(1_000_000_000_000_000_000)),
        ev("3^39 is exact (not rounded through f64)", "3^39", I64(4052555153018976267)),
        ev("2^62", "2^62", I64(1 << 62)),
        ev("2^63 wraps to i64::MIN", "2^63", I64(MIN)),
        ev("2^64 wraps to 0", "2^64", I64(0)),
        ev("3^40 wraps", "3^40", I64(3i64.wrapping_pow(40))),
        ev("(-2)^63 == i64::MIN", "(-2)^63", I64(MIN)),
        ev("(-1)^1000001 == -1", "(-1)^1000001", I64(-1)),
        ev("2 ^ -1.0 is pow, not an error", "2 ^ -1.0", F64(0.5)),
        case(
            "integer semantics on runtime values",
            funcs,
            vec![
                Call("add", vec![I64(MAX), I64(1)], I64(MIN)),
                Call("sub", vec![I64(MIN), I64(1)], I64(MAX)),
                Call("mul", vec![I64(MAX), I64(MAX)], I64(1)),
                Call("mul", vec![I64(1 << 40), I64(1 << 40)], I64(0)),
                Call("neg", vec![I64(MIN)], I64(MIN)),
                Call("div", vec![I64(-7), I64(2)], I64(-3)),
                Call("div", vec![I64(7), I64(-2)], I64(-3)),
                Call("div", vec![I64(MIN), I64(-1)], I64(MIN)),
                Call("rem", vec![I64(-7), I64(3)], I64(-1)),
                Call("rem", vec![I64(7), I64(-3)], I64(1)),
                Call("rem", vec![I64(MIN), I64(-1)], I64(0)),
                Call("rem", vec![I64(MIN), I64(MAX)], I64(-1)),
                Call("pow", vec![I64(3), I64(39)], I64(4052555153018976267)),
                Call("pow", vec![I64(2), I64(63)], I64(MIN)),
                Call("pow", vec![I64(7), I64(100)], I64(7i64.wrapping_pow(100))),
                Call("pow", vec![I64(-1), I64(MAX)], I64(-1)),
                Call("pow", vec![I64(0), I64(0)], I64(1)),
                Exec("div", vec![MIN, -1], MIN),
                Exec("rem", vec![MIN, -1], 0),
            ],
        ),
        case(
            "a negative integer exponent is a runtime error",
            "
            fn power(base, e):
                var r = 0
                r = base ^ e
                return r
            ",
            vec![
                RuntimeError("power", vec![I64(2), I64(-1)], &["negative exponent", "power", "line 3"]),
                RuntimeError("power", vec![I64(1), I64(MIN)], &["negative exponent"]),
                Call("power", vec![I64(2), I64(3)], I64(8)),
                ExecRuntimeError("power", vec![0, -1], &["negative exponent", "power", "line 3"]),
            ],
        ),
        case(
            "a negative integer exponent at top level is a runtime error",
            "x = 1\ny = 2 ^ -1\n",
            vec![EvalRuntimeError(&["negative exponent", "line 2"]), NoGlobal("x"), NoGlobal("y")],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Runtime errors: division by zero, stack overflow
// ---------------------------------------------------------------------------

fn runtime_errors() -> Vec<Case> {
    vec![
        case(
            "division by zero names the function and the line",
            "
            fn g(a, b):
                val q = a + 1
                return a / b
            ",
            vec![
                RuntimeError("g", vec![I64(1), I64(0)], &["division by zero", "g", "line 3"]),
                Call("g", vec![I64(6), I64(3)], I64(2)),
                ExecRuntimeError("g", vec![MIN, 0], &["division by zero", "g", "line 3"]),
                Exec("g", vec![6, 3], 2),
            ],
        ),
        case(
            "remainder by zero names the function and the line",
            "
            fn h(a, b):
                # a comment line counts as a line

                var r = 0
                r = a % b
                return r
            ",
            vec![
                RuntimeError("h", vec![I64(7), I64(0)], &["division by zero", "h", "line 5"]),
                RuntimeError("h", vec![I64(MIN), I64(0)], &["division by zero", "h", "line 5"]),
                Call("h", vec![I64(7), I64(4)], I64(3)),
            ],
        ),
        case(
            "/= and %= by zero are runtime errors",
            "
            fn shrink(x, d):
                var v = x
                v /= d
                return v
            fn wrap(x, d):
                var v = x
                v %= d
                return v
            ",
            vec![
                RuntimeError("shrink", vec![I64(8), I64(0)], &["division by zero", "shrink", "line 3"]),
                RuntimeError("wrap", vec![I64(8), I64(0)], &["division by zero", "wrap", "line 7"]),
                Call("shrink", vec![I64(8), I64(2)], I64(4)),
                Call("wrap", vec![I64(8), I64(3)], I64(2)),
            ],
        ),
        case(
            "division by zero in an inline body is on the fn's line",
            "x = 1\nfn d(a, b): a / b\n",
            vec![RuntimeError("d", vec![I64(5), I64(0)], &["division by zero", "d", "line 2"])],
        ),
        case(
            "division by zero in a callee names the callee",
            "
            fn inner(a, b):
                return a / b
            fn outer(a):
                val t = inner(a, 0)
                return t + 1
            ",
            vec![
                RuntimeError("outer", vec![I64(1)], &["division by zero", "inner", "line 2"]),
                Call("inner", vec![I64(4), I64(2)], I64(2)),
            ],
        ),
        case(
            "division by zero in a loop",
            "
            fn f(n):
                var s = 0
                for i in 0..n:
                    s += 100 / (3 - i)
                return s
            ",
            vec![
                Call("f", vec![I64(3)], I64(33 + 50 + 100)),
                RuntimeError("f", vec![I64(5)], &["division by zero", "f", "line 4"]),
            ],
        ),
        case(
            "division by zero in conditions, range bounds and arguments names the line",
            "
            fn w(d):
                var n = 0
                while 10 / d > n:
                    n += 1
                return n
            fn c(d):
                if d > 100:
                    return 1
                elif 10 % d == 0:
                    return 2
                return 3
            fn r(d):
                var s = 0
                for i in 0..10 / d:
                    s += i
                return s
            fn a(d):
                return max(1,
                    10 / d)
            ",
            vec![
                RuntimeError("w", vec![I64(0)], &["division by zero", "w", "line 3"]),
                Call("w", vec![I64(2)], I64(5)),
                RuntimeError("c", vec![I64(0)], &["division by zero", "c", "line 9"]),
                Call("c", vec![I64(5)], I64(2)),
                RuntimeError("r", vec![I64(0)], &["division by zero", "r", "line 14"]),
                Call("r", vec![I64(5)], I64(1)),
                RuntimeError("a", vec![I64(0)], &["division by zero", "a", "line 19"]),
            ],
        ),
        case(
            "division by zero in a top-level loop names the line",
            "var s = 0\nvar d = 0\nfor i in 0..3:\n    s += i / d\n",
            vec![EvalRuntimeError(&["division by zero", "line 4"]), NoGlobal("s"), NoGlobal("d")],
        ),
        case(
            "division by zero in a function called from top-level code",
            "fn inv(x):\n    return 100 / x\ny = inv(4)\nz = inv(0)\n",
            vec![EvalRuntimeError(&["division by zero", "inv", "line 2"]), NoGlobal("y"), NoFunction("inv")],
        ),
        case(
            "a constant division by zero is a runtime error, not a compile error",
            "fn never(): 1 / 0\nfn never2(): 2 ^ -1\n",
            vec![
                Eval(Void),
                RuntimeError("never", vec![], &["division by zero", "never", "line 1"]),
                RuntimeError("never2", vec![], &["negative exponent", "never2", "line 2"]),
            ],
        ),
        case(
            "division by zero at top level names the line",
            "x = 1\nzero = 0\ny = x / zero\n",
            vec![EvalRuntimeError(&["division by zero", "line 3"]), NoGlobal("x"), NoGlobal("y")],
        ),
        case(
            "runaway recursion is a stack overflow, and the manager still works",
            "
            fn down(n) -> i64:
                return down(n + 1) + 1
            fn ok(): 42
            ",
            vec![
                RuntimeError("down", vec![I64(0)], &["stack overflow", "down", "line"]),
                Call("ok", vec![], I64(42)),
                RuntimeError("down", vec![I64(0)], &["stack overflow"]),
                ExecRuntimeError("down", vec![0], &["stack overflow"]),
                Exec("ok", vec![], 42),
                Unit("ok() + 1"),
                Eval(I64(43)),
            ],
        ),
        case(
            "runaway recursion of an inferred function",
            "
            fn deep(n):
                if n == 0: return 0
                return deep(n + 1) + 1
            ",
            vec![RuntimeError("deep", vec![I64(1)], &["stack overflow", "deep"]), Call("deep", vec![I64(0)], I64(0))],
        ),
        case(
            "runaway mutual recursion",
            "fn ping(n) -> i64: pong(n + 1)\nfn pong(n) -> i64: ping(n + 1)\n",
            vec![RuntimeError("ping", vec![I64(0)], &["stack overflow"])],
        ),
        case(
            "deep but finite recursion works",
            "fn sum_to(n):\n    if n == 0: return 0\n    return n + sum_to(n - 1)\n",
            vec![Call("sum_to", vec![I64(5000)], I64(12502500))],
        ),
        case(
            "runaway recursion in top-level code",
            "fn r(n) -> i64: r(n + 1)\nx = r(0)\n",
            vec![EvalRuntimeError(&["stack overflow"]), NoFunction("r"), NoGlobal("x"), Unit("y = 5"), Eval(I64(5))],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Built-in functions
// ---------------------------------------------------------------------------

fn builtins() -> Vec<Case> {
    vec![
        ev("abs(-5)", "abs(-5)", I64(5)),
        ev("abs(5)", "abs(5)", I64(5)),
        ev("abs(0)", "abs(0)", I64(0)),
        ev("abs(-2.5) is f64", "abs(-2.5)", F64(2.5)),
        // Wrapping, like i64::wrapping_abs.
        ev("abs(i64::MIN) wraps", "abs(-9223372036854775808)", I64(MIN)),
        ev("min(3, 7)", "min(3, 7)", I64(3)),
        ev("max(3, 7)", "max(3, 7)", I64(7)),
        ev("max(-1, -2)", "max(-1, -2)", I64(-1)),
        ev("min(2, 1.5) promotes", "min(2, 1.5)", F64(1.5)),
        ev("max(2, 1.5) promotes", "max(2, 1.5)", F64(2.0)),
        ev("max(1.5, 2.5)", "max(1.5, 2.5)", F64(2.5)),
        // As in Python: min and max take two or more arguments.
        ev("min of three", "min(5, 3, 9)", I64(3)),
        ev("max of four", "max(5, 3, 9, -1)", I64(9)),
        ev("sqrt(16.0)", "sqrt(16.0)", F64(4.0)),
        ev("sqrt(2)", "sqrt(2)", F64(2f64.sqrt())),
        ev("floor(2.7) is f64", "floor(2.7)", F64(2.0)),
        ev("floor(-2.5)", "floor(-2.5)", F64(-3.0)),
        ev("ceil(2.1)", "ceil(2.1)", F64(3.0)),
        ev("ceil(-2.9)", "ceil(-2.9)", F64(-2.0)),
        ev("ceil(5) promotes", "ceil(5)", F64(5.0)),
        ev("int(2.9) truncates", "int(2.9)", I64(2)),
        ev("int(-2.9) truncates toward zero", "int(-2.9)", I64(-2)),
        ev("int(7)", "int(7)", I64(7)),
        ev("int(floor(-2.5))", "int(floor(-2.5))", I64(-3)),
        // As in Rust (`true as i64`) and Python (`int(True)`).
        ev("int(true) == 1", "int(true)", I64(1)),
        ev("int(false) == 0", "int(false)", I64(0)),
        // Out of range saturates, as Rust's `f64 as i64`.
        ev("int(1e20) saturates", "int(1e20)", I64(MAX)),
        ev("int(-1e20) saturates", "int(-1e20)", I64(MIN)),
        ev("float(3)", "float(3)", F64(3.0)),
        ev("float(-7)", "float(-7)", F64(-7.0)),
        ev("float(2.5)", "float(2.5)", F64(2.5)),
        ev("float(true) == 1.0", "float(true)", F64(1.0)),
        ev("float(int(2.7))", "float(int(2.7))", F64(2.0)),
        case("int(...) is an i64", "val q = int(2.5)\n", vec![Eval(I64(2)), Global("q", I64(2))]),
        case(
            "built-ins on runtime values",
            "
            fn hyp(a: f64, b: f64): sqrt(a*a + b*b)
            fn lo(a, b): min(a, b)
            fn hi3(a, b, c): max(a, b, c)
            fn mag(x): abs(x)
            fn fmag(x: f64): abs(x)
            fn trunc(x: f64): int(x)
            fn fl(x: f64): floor(x)
            fn ce(x: f64): ceil(x)
            fn fl_i(x): float(x)
            ",
            vec![
                Call("hyp", vec![I64(3), I64(4)], F64(5.0)),
                Call("lo", vec![I64(4), I64(-4)], I64(-4)),
                Call("hi3", vec![I64(4), I64(9), I64(-4)], I64(9)),
                Call("mag", vec![I64(-9)], I64(9)),
                Call("mag", vec![I64(MIN)], I64(MIN)),
                Call("fmag", vec![F64(-0.5)], F64(0.5)),
                Call("trunc", vec![F64(-3.99)], I64(-3)),
                Call("trunc", vec![F64(1e300)], I64(MAX)),
                Call("fl", vec![F64(-0.5)], F64(-1.0)),
                Call("ce", vec![F64(-0.5)], F64(-0.0)),
                Call("fl_i", vec![I64(MAX)], F64(MAX as f64)),
            ],
        ),
        ce("abs(true) is a type error", "abs(true)\n", 1, &["abs"]),
        ce("sqrt(true) is a type error", "sqrt(true)\n", 1, &["sqrt"]),
        ce("floor(false) is a type error", "floor(false)\n", 1, &["floor"]),
        ce("ceil(true) is a type error", "ceil(true)\n", 1, &["ceil"]),
        ce("max(true, 1) is a type error", "max(true, 1)\n", 1, &["max"]),
        ce("min with one argument is an error", "min(1)\n", 1, &["min"]),
        ce("abs with two arguments is an error", "abs(1, 2)\n", 1, &["abs"]),
        ce("sqrt with no argument is an error", "sqrt()\n", 1, &["sqrt"]),
        ce("int with no argument is an error", "int()\n", 1, &["int"]),
        ce("float with two arguments is an error", "float(1, 2)\n", 1, &["float"]),
        ce("sqrt is f64, not i64", "val n: i64 = sqrt(4)\n", 1, &["f64"]),
        ce("floor is f64, not i64", "val n: i64 = floor(2.5)\n", 1, &["f64"]),
        ce("a built-in is not a value", "x = abs\n", 1, &["abs"]),
    ]
}

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

fn statements() -> Vec<Case> {
    vec![
        case(
            "val and var in a function",
            "
            fn f():
                val a = 2
                var b = 3
                b = b + a
                return b
            ",
            vec![Call("f", vec![], I64(5))],
        ),
        ce(
            "assigning a val local is a compile error",
            "fn f():\n    val limit = 1\n    limit = 2\n    return limit\n",
            3,
            &["limit"],
        ),
        ce(
            "+= on a val local is a compile error",
            "fn f():\n    val limit = 1\n    limit += 2\n    return limit\n",
            3,
            &["limit"],
        ),
        ce("assigning a val global is a compile error", "val limit = 1\nlimit = 2\n", 2, &["limit"]),
        ce("+= on a val global is a compile error", "val limit = 1\nlimit += 1\n", 2, &["limit"]),
        // As in Rust: the loop variable of a `for` is not assignable.
        ce("the for variable is immutable", "fn f():\n    for i in 0..3:\n        i = 5\n    return 0\n", 3, &[]),
        // As in Python: parameters are ordinary (mutable) local variables.
        case(
            "parameters may be assigned",
            "
            fn total(n):
                var s = 0
                while n > 0:
                    s += n
                    n -= 1
                return s
            ",
            vec![Call("total", vec![I64(4)], I64(10))],
        ),
        ev("+=, -=, *=, /=, %= in sequence", "var x = 10\nx += 5\nx -= 3\nx *= 2\nx /= 4\nx %= 4\nx\n", I64(2)),
        ev("+= evaluates to the value assigned", "var a = 7\na += 1\n", I64(8)),
        ev("-= evaluates to the value assigned", "var a = 7\na -= 10\n", I64(-3)),
        ev("*= evaluates to the value assigned", "var a = 7\na *= 3\n", I64(21)),
        ev("/= truncates", "var a = -7\na /= 2\n", I64(-3)),
        ev("%= has the sign of the dividend", "var a = -7\na %= 3\n", I64(-1)),
        ev("*= on f64", "var f = 1.5\nf *= 2\n", F64(3.0)),
        ev("+= of an i64 on f64", "var f = 1.5\nf += 1\n", F64(2.5)),
        ev("/= on f64", "var f = 7.5\nf /= 2\n", F64(3.75)),
        ev("%= on f64", "var f = 7.5\nf %= 2\n", F64(1.5)),
        ce("+= on an unknown name at top level is an error", "count += 1\n", 1, &["count"]),
        ce("+= on an unknown name in a function is an error", "fn f():\n    count += 1\n", 2, &["count"]),
        case(
            "if / elif / else",
            "
            fn sign(x):
                if x < 0:
                    return -1
                elif x == 0:
                    return 0
                else:
                    return 1
            ",
            vec![
                Call("sign", vec![I64(-5)], I64(-1)),
                Call("sign", vec![I64(0)], I64(0)),
                Call("sign", vec![I64(7)], I64(1)),
            ],
        ),
        case(
            "a chain of elifs picks the first true branch",
            "
            fn grade(score):
                if score >= 90:
                    return 4
                elif score >= 80:
                    return 3
                elif score >= 70:
                    return 2
                elif score >= 60:
                    return 1
                else:
                    return 0
            ",
            vec![
                Call("grade", vec![I64(95)], I64(4)),
                Call("grade", vec![I64(90)], I64(4)),
                Call("grade", vec![I64(85)], I64(3)),
                Call("grade", vec![I64(75)], I64(2)),
                Call("grade", vec![I64(65)], I64(1)),
                Call("grade", vec![I64(10)], I64(0)),
            ],
        ),
        case(
            "if / elif without else falls through",
            "
            fn f(x):
                var r = 0
                if x > 10:
                    r = 1
                elif x > 5:
                    r = 2
                return r
            ",
            vec![Call("f", vec![I64(11)], I64(1)), Call("f", vec![I64(6)], I64(2)), Call("f", vec![I64(0)], I64(0))],
        ),
        case(
            "nested ifs",
            "
            fn q(x, y):
                if x > 0:
                    if y > 0:
                        return 1
                    else:
                        return 4
                else:
                    if y > 0:
                        return 2
                    return 3
            ",
            vec![
                Call("q", vec![I64(1), I64(1)], I64(1)),
                Call("q", vec![I64(-1), I64(1)], I64(2)),
                Call("q", vec![I64(-1), I64(-1)], I64(3)),
                Call("q", vec![I64(1), I64(-1)], I64(4)),
            ],
        ),
        ev("if at top level", "x = 5\nif x > 3:\n    x = 10\nx\n", I64(10)),
        ev(
            "while loop",
            "
            var s = 0
            var i = 1
            while i <= 100:
                s += i
                i += 1
            s
            ",
            I64(5050),
        ),
        ev("a while loop whose condition is false never runs", "var n = 0\nwhile false:\n    n = 1\nn\n", I64(0)),
        ev("for a..b excludes b", "var s = 0\nfor i in 0..5:\n    s += i\ns\n", I64(10)),
        ev("for a..=b includes b", "var s = 0\nfor i in 0..=5:\n    s += i\ns\n", I64(15)),
        ev("an empty range 5..0", "var c = 0\nfor i in 5..0:\n    c += 1\nc\n", I64(0)),
        ev("an empty range 3..3", "var c = 0\nfor i in 3..3:\n    c += 1\nc\n", I64(0)),
        ev("3..=3 runs once", "var c = 0\nfor i in 3..=3:\n    c += i\nc\n", I64(3)),
        ev("a range over negative numbers", "var s = 0\nfor i in -3..3:\n    s += i\ns\n", I64(-3)),
        ev("range bounds are expressions", "var s = 0\nval n = 3\nfor i in n - 1..n * 2:\n    s += i\ns\n", I64(14)),
        ev(
            "an inclusive range up to i64::MAX ends",
            "var c = 0\nfor i in 9223372036854775805..=9223372036854775807:\n    c += 1\nc\n",
            I64(3),
        ),
        ev(
            "a range from i64::MIN",
            "var c = 0\nfor i in -9223372036854775808..-9223372036854775806:\n    c += 1\nc\n",
            I64(2),
        ),
        // As in Python's range(): the bounds are evaluated once.
        case(
            "the range end is evaluated once",
            "
            fn f():
                var n = 3
                var c = 0
                for i in 0..n:
                    n = 10
                    c += 1
                return c
            ",
            vec![Call("f", vec![], I64(3))],
        ),
        case(
            "break and continue",
            "
            fn f():
                var s = 0
                for i in 0..10:
                    if i == 5: break
                    if i % 2 == 0: continue
                    s += i
                return s
            ",
            vec![Call("f", vec![], I64(4))],
        ),
        case(
            "break leaves the innermost loop only",
            "
            fn f():
                var c = 0
                for i in 0..3:
                    for j in 0..10:
                        if j == 2: break
                        c += 1
                return c
            ",
            vec![Call("f", vec![], I64(6))],
        ),
        case(
            "continue in a for loop still advances",
            "
            fn f():
                var c = 0
                for i in 0..10:
                    if i < 8: continue
                    c += 1
                return c
            ",
            vec![Call("f", vec![], I64(2))],
        ),
        case(
            "continue and break in while loops",
            "
            fn f():
                var i = 0
                var s = 0
                while true:
                    i += 1
                    if i > 10: break
                    if i % 3 != 0: continue
                    s += i
                return s
            ",
            vec![Call("f", vec![], I64(18))],
        ),
        ce("break outside a loop", "break\n", 1, &["break"]),
        ce("continue outside a loop", "continue\n", 1, &["continue"]),
        ce("break in an if outside a loop", "fn f(x):\n    if x > 0:\n        break\n    return x\n", 3, &["break"]),
        case(
            "return from nested loops",
            "
            fn find(target):
                for i in 0..10:
                    for j in 0..10:
                        if i * j == target: return i * 100 + j
                return -1
            ",
            vec![Call("find", vec![I64(12)], I64(206)), Call("find", vec![I64(1000)], I64(-1))],
        ),
        ce("return at top level is a compile error", "x = 1\nreturn x\n", 2, &["return"]),
        case(
            "a bare return in a void function",
            "
            var last = 0
            fn setl(x):
                if x < 0: return
                last = x
            ",
            vec![
                Call("setl", vec![I64(5)], Void),
                Global("last", I64(5)),
                Call("setl", vec![I64(-1)], Void),
                Global("last", I64(5)),
                Exec("setl", vec![7], 0),
                Global("last", I64(7)),
            ],
        ),
        case(
            "inline blocks on the line of ':'",
            "
            fn clamp(x, lo, hi):
                if x < lo: return lo
                elif x > hi: return hi
                else: return x
            fn count_to(n):
                var i = 0
                while i < n: i += 1
                return i
            fn sum_range(n):
                var s = 0
                for i in 0..n: s += i
                return s
            ",
            vec![
                Call("clamp", vec![I64(-5), I64(0), I64(10)], I64(0)),
                Call("clamp", vec![I64(50), I64(0), I64(10)], I64(10)),
                Call("clamp", vec![I64(5), I64(0), I64(10)], I64(5)),
                Call("count_to", vec![I64(7)], I64(7)),
                Call("sum_range", vec![I64(5)], I64(10)),
            ],
        ),
        ev("an inline for block at top level", "var t = 0\nfor i in 1..=3: t += i\nt\n", I64(6)),
        // As in Python: an assignment at top level inside a block still
        // declares a global.
        case("an inline if block at top level declares a global", "if true: y = 7\n", vec![Global("y", I64(7))]),
        ce(
            "an inline block holds a simple statement only",
            "fn f(x):\n    if x > 0: while x > 0: x -= 1\n    return x\n",
            2,
            &[],
        ),
        case(
            "a body ending in an expression returns it",
            "
            fn f(x):
                val y = x * 2
                y + 1
            fn g(n):
                var s = 0
                for i in 0..n:
                    s += i
                s * 10
            ",
            vec![Call("f", vec![I64(3)], I64(7)), Call("g", vec![I64(4)], I64(60))],
        ),
        case(
            "expression statements in a body run for their effects",
            "
            var n = 0
            fn bump() -> i64:
                n += 1
                return n
            fn twice():
                bump()
                bump()
                return n
            ",
            vec![Call("twice", vec![], I64(2)), Call("twice", vec![], I64(4)), Global("n", I64(4))],
        ),
        case(
            "a body ending in a call returns the call's value",
            "
            var n = 0
            fn bump() -> i64:
                n += 1
                return n
            fn twice():
                bump()
                bump()
            ",
            vec![Call("twice", vec![], I64(2)), Call("twice", vec![], I64(4))],
        ),
        // As in Rust: a variable declared in a block ends with the block.
        ce(
            "a variable declared in a block is not visible after it",
            "fn f(x):\n    if x > 0:\n        val inner = 1\n    return inner\n",
            4,
            &["inner"],
        ),
        // Redeclaring a name: as in Rust (and Python) the new binding wins;
        // as in Rust, a declaration in an inner block ends with the block.
        case(
            "a local may be redeclared",
            "fn f():\n    val a = 1\n    val a = a + 2\n    return a\n",
            vec![Call("f", vec![], I64(3))],
        ),
        case(
            "a declaration in an inner block shadows until the block ends",
            "fn f():\n    val a = 1\n    if true:\n        val a = 2\n    return a\n",
            vec![Call("f", vec![], I64(1))],
        ),
        ce("else without if", "else: x = 1\n", 1, &[]),
        ce(
            "elif after else",
            "fn f(x):\n    if x > 0: return 1\n    else: return 2\n    elif x < 0: return 3\n",
            4,
            &[],
        ),
        case(
            "a missing ':' is reported where it was expected",
            "fn f(x):\n    if x\n        return 1\n",
            vec![compile_error_at(2, 9, &[":", "expected"])],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Globals
// ---------------------------------------------------------------------------

fn globals() -> Vec<Case> {
    vec![
        case(
            "name = expr, val and var declare globals",
            "a = 1\nval b = 2.5\nvar c = true\n",
            vec![Eval(Bool(true)), Global("a", I64(1)), Global("b", F64(2.5)), Global("c", Bool(true))],
        ),
        case(
            "globals of every type",
            "ratio = 0.5\nflag = 1 < 2\ncount = -3\n",
            vec![Global("ratio", F64(0.5)), Global("flag", Bool(true)), Global("count", I64(-3))],
        ),
        case(
            "a function reads a global declared earlier in the unit",
            "scale = 3\nfn sc(x): x * scale\n",
            vec![Call("sc", vec![I64(2)], I64(6))],
        ),
        // As in Python: a module-level name is looked up when the function runs.
        case(
            "a function reads a global declared later in the unit",
            "fn sc(x): x * scale\nscale = 3\n",
            vec![Call("sc", vec![I64(2)], I64(6))],
        ),
        case(
            "a function assigns a var global",
            "
            var count = 0
            fn inc():
                count += 1
                return count
            ",
            vec![
                Call("inc", vec![], I64(1)),
                Call("inc", vec![], I64(2)),
                Global("count", I64(2)),
                Unit("count"),
                Eval(I64(2)),
            ],
        ),
        case(
            "a function assigns a global declared with name = expr",
            "n = 1\nfn setn(v):\n    n = v\n",
            vec![Call("setn", vec![I64(5)], Void), Global("n", I64(5))],
        ),
        case(
            "a function adds an i64 to an f64 global",
            "var total = 0.0\nfn add(x):\n    total += x\n",
            vec![Call("add", vec![I64(2)], Void), Call("add", vec![I64(3)], Void), Global("total", F64(5.0))],
        ),
        case(
            "a function toggles a bool global",
            "var on = false\nfn toggle():\n    on = not on\n    return on\n",
            vec![Call("toggle", vec![], Bool(true)), Call("toggle", vec![], Bool(false)), Global("on", Bool(false))],
        ),
        ce("a function cannot assign a val global", "val lim = 5\nfn f():\n    lim = 6\n", 3, &["lim"]),
        case(
            "assigning an undeclared name inside a function is a compile error",
            "fn f():\n    undeclared_thing = 5\n",
            vec![compile_error(2, &["undeclared_thing"]), NoFunction("f"), NoGlobal("undeclared_thing")],
        ),
        ce(
            "a typo in a function's assignment suggests the global",
            "var total = 0\nfn add(x):\n    totl = total + x\n",
            3,
            &["did you mean", "total"],
        ),
        case(
            "globals persist across compile units",
            "counter = 5",
            vec![
                Eval(I64(5)),
                Unit("counter = counter + 1"),
                Eval(I64(6)),
                Global("counter", I64(6)),
                Unit("fn get(): counter"),
                Call("get", vec![], I64(6)),
                Unit("counter += 10"),
                Eval(I64(16)),
                Call("get", vec![], I64(16)),
            ],
        ),
        case(
            "a function sees a global's new value from a later unit",
            "rate = 2",
            vec![
                Unit("fn price(x): x * rate"),
                Call("price", vec![I64(10)], I64(20)),
                Unit("rate = 3"),
                Call("price", vec![I64(10)], I64(30)),
                Unit("price(5)"),
                Eval(I64(15)),
            ],
        ),
        case(
            "a later unit cannot assign an f64 to an i64 global",
            "x = 1",
            vec![Unit("x = 2.5"), compile_error(1, &["f64"]), Global("x", I64(1))],
        ),
        // As in a Python REPL: a new declaration may rebind a name that no
        // function uses, even with a new type.
        case(
            "a later unit may redeclare an unused global with a new type",
            "x = 1",
            vec![Unit("var x = 2.5"), Eval(F64(2.5)), Global("x", F64(2.5))],
        ),
        case(
            "a later unit may redeclare a val global",
            "val k = 1",
            vec![Unit("val k = 2"), Eval(I64(2)), Global("k", I64(2))],
        ),
        case(
            "a later unit cannot assign a val global from a function",
            "val lim = 5",
            vec![Unit("fn f():\n    lim = 6\n"), compile_error(2, &["lim"]), NoFunction("f")],
        ),
        case(
            "top-level statements run once, in order",
            "
            var log = 0
            fn push(d):
                log = log * 10 + d
            push(1)
            push(2)
            push(3)
            log
            ",
            vec![Eval(I64(123)), Unit("log"), Eval(I64(123)), Unit("push(4)"), Eval(Void), Global("log", I64(1234))],
        ),
        ce("top-level code cannot read a global before it is declared", "y = x + 1\nx = 5\n", 1, &["x"]),
        case(
            "a parameter shadows a global",
            "x = 100\nfn f(x): x + 1\n",
            vec![Call("f", vec![I64(1)], I64(2)), Global("x", I64(100))],
        ),
        case(
            "a local shadows a global",
            "n = 100\nfn f():\n    var n = 1\n    n += 1\n    return n\n",
            vec![Call("f", vec![], I64(2)), Global("n", I64(100))],
        ),
        case(
            "a global initialised by a call",
            "fn sq(x): x * x\narea = sq(4)\n",
            vec![Eval(I64(16)), Global("area", I64(16))],
        ),
        case("no such global", "x = 1", vec![NoGlobal("y")]),
        case(
            "a function of a later unit assigns a global of an earlier one",
            "var hits = 0",
            vec![
                Unit("fn hit():\n    hits += 1\n"),
                Call("hit", vec![], Void),
                Call("hit", vec![], Void),
                Global("hits", I64(2)),
            ],
        ),
        case(
            "top-level statements and functions interleaved",
            "x = 1\nfn f(): x\ny = f() + 1\nfn g(): y\n",
            vec![Eval(I64(2)), Call("g", vec![], I64(2)), Call("f", vec![], I64(1))],
        ),
    ]
}

// ---------------------------------------------------------------------------
// The value of a unit
// ---------------------------------------------------------------------------

fn eval_values() -> Vec<Case> {
    vec![
        ev("an i64 expression", "1 + 2", I64(3)),
        ev("an f64 expression", "2.5 * 2", F64(5.0)),
        ev("a bool expression", "1 < 2", Bool(true)),
        ev("a val declaration gives the value", "val a = 4", I64(4)),
        ev("a var declaration gives the value", "var b = 2.5", F64(2.5)),
        ev("an annotated declaration gives the converted value", "val d: f64 = 3", F64(3.0)),
        ev("an assignment gives the value", "var c = 1\nc = 9", I64(9)),
        ev("a compound assignment gives the new value", "var c = 1\nc += 4", I64(5)),
        ev("assigning an i64 to an f64 global gives an f64", "var w = 1.5\nw = 2", F64(2.0)),
        case(
            "assigning an i64 to an f64 global of an earlier unit gives an f64",
            "var w = 1.5",
            vec![Unit("w = 2"), Eval(F64(2.0)), Unit("w += 1"), Eval(F64(3.0))],
        ),
        ev("a bool global assignment", "flag = 3 > 2", Bool(true)),
        ev("an if statement last gives void", "var x = 1\nif x > 0:\n    x = 2\n", Void),
        ev("a while statement last gives void", "var x = 1\nwhile x < 3:\n    x += 1\n", Void),
        ev("a for statement last gives void", "var x = 1\nfor i in 0..3:\n    x += i\n", Void),
        ev("a unit of only fn definitions gives void", "fn a(x): x\nfn b(x): a(x)\n", Void),
        ev("fn definitions then an expression", "fn sq(x): x * x\nsq(9)\n", I64(81)),
        ev("an expression then a fn definition gives the expression", "1 + 1\nfn f(): 1\n", I64(2)),
        ev("a call of a void function gives void", "fn v():\n    return\nv()\n", Void),
        case(
            "units of a session evaluate one by one",
            "1 + 1",
            vec![
                Eval(I64(2)),
                Unit("x = 5"),
                Eval(I64(5)),
                Unit("x * 2"),
                Eval(I64(10)),
                Unit("fn twice(v): v * 2"),
                Eval(Void),
                Unit("twice(x) + 0.5"),
                Eval(F64(10.5)),
            ],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------

fn calls() -> Vec<Case> {
    vec![
        case(
            "calling a function defined earlier in the manager",
            "fn sq(x): x * x",
            vec![Unit("fn quad(x): sq(sq(x))"), Call("quad", vec![I64(2)], I64(16)), Unit("sq(7)"), Eval(I64(49))],
        ),
        case(
            "calling a function defined later in the same unit",
            "fn a(x): b(x) + 1\nfn b(x): x * 10\n",
            vec![Call("a", vec![I64(2)], I64(21))],
        ),
        case(
            "top-level code calls a function defined later in the unit",
            "r = later(3)\nfn later(x): x + 1\n",
            vec![Eval(I64(4)), Global("r", I64(4))],
        ),
        case(
            "a function with no parameters",
            "fn k(): 42\n",
            vec![Call("k", vec![], I64(42)), Exec("k", vec![], 42), Unit("k() + k()"), Eval(I64(84))],
        ),
        case(
            "a function with eight parameters",
            "fn s8(a, b, c, d, e, f, g, h): a + 2*b + 3*c + 4*d + 5*e + 6*f + 7*g + 8*h\n",
            vec![
                Call("s8", (1..=8).map(I64).collect(), I64(204)),
                Exec("s8", (1..=8).collect(), 204),
                Unit("s8(1, 2, 3, 4, 5, 6, 7, 8)"),
                Eval(I64(204)),
            ],
        ),
        case(
            "mixed i64 and f64 parameters",
            "fn mixp(a, b: f64, c, d: f64): a + b + c + d\n",
            vec![
                Call("mixp", vec![I64(1), F64(2.5), I64(3), F64(0.5)], F64(7.0)),
                Unit("mixp(1, 2, 3, 4)"),
                Eval(F64(10.0)),
            ],
        ),
        case(
            "a function with twenty parameters",
            leak(format!(
                "fn s20({}): {}\n",
                (1..=20).map(|i| format!("a{i}")).collect::<Vec<_>>().join(", "),
                (1..=20).map(|i| format!("{i}*a{i}")).collect::<Vec<_>>().join(" + ")
            )),
            vec![
                Call("s20", (1..=20).map(I64).collect(), I64(2870)),
                Exec("s20", (1..=20).collect(), 2870),
                Unit("s20(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)"),
                Eval(I64(210)),
            ],
        ),
        case(
            "a function with twelve f64 parameters",
            leak(format!(
                "fn f12({}): {}\n",
                (1..=12).map(|i| format!("a{i}: f64")).collect::<Vec<_>>().join(", "),
                (1..=12).map(|i| format!("{i}*a{i}")).collect::<Vec<_>>().join(" + ")
            )),
            vec![
                Call("f12", (1..=12).map(|i| F64(i as f64)).collect(), F64(650.0)),
                Unit("f12(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0.5)"),
                Eval(F64(72.0)),
            ],
        ),
        ev("nested calls as arguments", "fn inc(x): x + 1\ninc(inc(inc(0)))\n", I64(3)),
        ev("calls as built-in arguments", "fn inc(x): x + 1\nmax(inc(1), inc(5))\n", I64(6)),
        ce("too few arguments", "fn two(a, b): a + b\ntwo(1)\n", 2, &["two"]),
        ce("too many arguments", "fn two(a, b): a + b\ntwo(1, 2, 3)\n", 2, &["two"]),
        case(
            "the API checks arity, names and types",
            "fn two(a, b): a + b\n",
            vec![
                CallError("two", vec![I64(1)], ErrKind::Signature),
                CallError("two", vec![I64(1), I64(2), I64(3)], ErrKind::Signature),
                CallError("three", vec![], ErrKind::NotFound),
                Call("two", vec![I64(1), I64(2)], I64(3)),
            ],
        ),
        ce("calling a variable", "x = 5\ny = x(3)\n", 2, &["x"]),
        ce("a function is not a value", "fn f(x): x\ny = f + 1\n", 2, &["f"]),
        // As in Rust: one unit may not define the same function twice.
        ce("a function defined twice in one unit", "fn dup(x): x\nfn dup(x): x + 1\n", 2, &["dup"]),
        ce("a parameter named twice", "fn f(a, a): a\n", 1, &["a"]),
        case(
            "recursion with an f64 parameter",
            "
            fn halve(x: f64, n) -> f64:
                if n == 0: return x
                return halve(x / 2, n - 1)
            ",
            vec![Call("halve", vec![I64(8), I64(3)], F64(1.0))],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Names: suggestions, built-in and keyword names
// ---------------------------------------------------------------------------

fn names() -> Vec<Case> {
    let mut v = vec![
        ce(
            "an unknown function suggests a close match",
            "fn square(x): x * x\ny = squar(3)\n",
            2,
            &["did you mean", "square"],
        ),
        ce("an unknown local suggests a close match", "fn f(count): cout + 1\n", 1, &["did you mean", "count"]),
        case("an unknown name is reported at its column", "y = 1 + zz\n", vec![compile_error_at(1, 9, &["zz"])]),
        ce(
            "an unknown global of the same unit suggests a close match",
            "velocity = 3\nv2 = velocty * 2\n",
            2,
            &["did you mean", "velocity"],
        ),
        case(
            "an unknown name suggests a global of an earlier unit",
            "timeout = 5",
            vec![Unit("timout + 1"), compile_error(1, &["did you mean", "timeout"])],
        ),
        case(
            "an unknown name suggests a function of an earlier unit",
            "fn compute(x): x",
            vec![Unit("y = compte(1)"), compile_error(1, &["did you mean", "compute"])],
        ),
        ce("an unknown function suggests a built-in", "y = sqr(4.0)\n", 1, &["did you mean", "sqrt"]),
        ce("no suggestion when nothing is close", "fn f(x): zzzzzz + 1\n", 1, &["zzzzzz", "!did you mean"]),
        ce("a keyword is not a function name", "fn while(x): x\n", 1, &[]),
        ce("true is not a function name", "fn true(): 1\n", 1, &[]),
        ce("a keyword is not a parameter name", "fn f(if): 1\n", 1, &[]),
    ];
    for kw in [
        "fn", "extern", "val", "var", "if", "elif", "else", "while", "for", "in", "return", "break", "continue", "and",
        "or", "not", "true", "false",
    ] {
        v.push(case(
            leak(format!("keyword `{kw}` is not a variable name")),
            leak(format!("val {kw} = 1\n")),
            vec![compile_error(1, &[])],
        ));
        v.push(case(
            leak(format!("keyword `{kw}` is not a function name")),
            leak(format!("fn {kw}(x): x\n")),
            vec![compile_error(1, &[])],
        ));
    }
    for (name, src) in [
        ("abs is a built-in, not a user function name", "fn abs(x): x\n"),
        ("min is a built-in, not a user function name", "fn min(a, b): a\n"),
        ("max is a built-in, not a user function name", "fn max(a, b): a\n"),
        ("sqrt is a built-in, not a user function name", "fn sqrt(x: f64): x\n"),
        ("floor is a built-in, not a user function name", "fn floor(x: f64): x\n"),
        ("ceil is a built-in, not a user function name", "fn ceil(x: f64): x\n"),
        ("len is a built-in, not a user function name", "fn len(x): x\n"),
        ("int is a built-in, not a user function name", "fn int(x): x\n"),
        ("float is a built-in, not a user function name", "fn float(x): x\n"),
        ("str is a built-in, not a user function name", "fn str(x): x\n"),
    ] {
        let builtin: &'static str = &src[3..src.find('(').unwrap()];
        let subs: &'static [&'static str] = Box::leak(Box::new([builtin]));
        v.push(case(name, src, vec![compile_error(1, subs), NoFunction(builtin)]));
    }
    v
}

// ---------------------------------------------------------------------------
// Redefinition (hot reload)
// ---------------------------------------------------------------------------

fn redefinition() -> Vec<Case> {
    let base = "fn base(x): x + 1\nfn user(x): base(x) * 10\n";
    vec![
        case(
            "a redefinition with the same signature reaches earlier callers",
            base,
            vec![
                Call("user", vec![I64(1)], I64(20)),
                Unit("fn base(x): x + 2"),
                Eval(Void),
                Call("user", vec![I64(1)], I64(30)),
                Call("base", vec![I64(1)], I64(3)),
                Unit("user(2)"),
                Eval(I64(40)),
            ],
        ),
        case(
            "a chain of callers reaches the new code",
            "fn a(x): x + 1",
            vec![
                Unit("fn b(x): a(x) * 2"),
                Unit("fn c(x): b(x) + 1"),
                Call("c", vec![I64(0)], I64(3)),
                Unit("fn a(x): x + 10"),
                Call("c", vec![I64(0)], I64(21)),
                Exec("c", vec![0], 21),
            ],
        ),
        case(
            "changing a parameter type of a called function is an error naming both",
            base,
            vec![
                Unit("fn base(x: f64): x"),
                compile_error(1, &["base", "user"]),
                Call("user", vec![I64(1)], I64(20)),
                Call("base", vec![I64(1)], I64(2)),
            ],
        ),
        case(
            "changing the return type of a called function is an error naming both",
            base,
            vec![Unit("fn base(x) -> f64: x"), compile_error(1, &["base", "user"]), Call("base", vec![I64(1)], I64(2))],
        ),
        case(
            "changing the arity of a called function is an error naming both",
            base,
            vec![
                Unit("fn base(x, y): x + y"),
                compile_error(1, &["base", "user"]),
                Call("user", vec![I64(1)], I64(20)),
            ],
        ),
        case(
            "an inferred return type that changes is an error naming both",
            "fn value_of(): 1\nfn show(): value_of() + 1\n",
            vec![Unit("fn value_of(): 1.5"), compile_error(1, &["value_of", "show"]), Call("show", vec![], I64(2))],
        ),
        case(
            "a signature may change together with its callers in one unit",
            base,
            vec![
                Unit("fn base(x: f64): x * 2\nfn user(x: f64): base(x) + 1\n"),
                Eval(Void),
                Call("user", vec![F64(1.5)], F64(4.0)),
                Call("base", vec![I64(2)], F64(4.0)),
            ],
        ),
        case(
            "a function may change its signature once its callers stop calling it",
            base,
            vec![
                Unit("fn user(x): x * 2"),
                Unit("fn base(x: f64): x"),
                Eval(Void),
                Call("base", vec![F64(0.5)], F64(0.5)),
                Call("user", vec![I64(4)], I64(8)),
            ],
        ),
        case(
            "top-level code of the redefining unit runs the new code",
            "fn k(): 1",
            vec![Unit("fn k(): 2\nv = k()\n"), Eval(I64(2)), Global("v", I64(2))],
        ),
        case(
            "a function nobody calls may change its signature",
            "fn lone(x): x",
            vec![Unit("fn lone(x: f64, y: f64): x + y"), Eval(Void), Call("lone", vec![F64(1.5), I64(2)], F64(3.5))],
        ),
        case(
            "a recursive function may change its own signature",
            "fn fib(n):\n    if n < 2: return n\n    return fib(n - 1) + fib(n - 2)\n",
            vec![
                Unit("fn fib(n: f64) -> f64:\n    if n < 2: return n\n    return fib(n - 1) + fib(n - 2)\n"),
                Eval(Void),
                Call("fib", vec![F64(10.0)], F64(55.0)),
            ],
        ),
        case(
            "changing the type of a global a function uses is an error naming both",
            "var g = 1\nfn useg(): g\n",
            vec![
                Unit("val g = 2.5"),
                compile_error(1, &["g", "useg"]),
                Global("g", I64(1)),
                Call("useg", vec![], I64(1)),
            ],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Atomic units
// ---------------------------------------------------------------------------

fn atomic_units() -> Vec<Case> {
    let before = "fn keep(x): x + 1\nkept = 5\n";
    vec![
        case(
            "a unit with a compile error leaves functions and globals as before",
            before,
            vec![
                Unit("fn keep(x): x + 100\nkept = 6\nfresh = 1\nfn broken(): undefined_name\n"),
                compile_error(4, &["undefined_name"]),
                Call("keep", vec![I64(1)], I64(2)),
                Global("kept", I64(5)),
                NoGlobal("fresh"),
                NoFunction("broken"),
            ],
        ),
        case(
            "a unit whose top-level code fails leaves functions and globals as before",
            before,
            vec![
                Unit("fn keep(x): x + 100\nfn added(): 1\nkept = 7\nnewglob = 1\nvar zero = 0\nboom = 1 / zero\n"),
                EvalRuntimeError(&["division by zero", "line 6"]),
                Call("keep", vec![I64(1)], I64(2)),
                Global("kept", I64(5)),
                NoGlobal("newglob"),
                NoGlobal("zero"),
                NoGlobal("boom"),
                NoFunction("added"),
            ],
        ),
        case(
            "a failed unit restores globals that its calls changed",
            "var total = 1\nfn bump():\n    total += 1\n",
            vec![
                Unit("bump()\nbump()\nvar zero = 0\nx = 1 / zero\n"),
                EvalRuntimeError(&["division by zero"]),
                Global("total", I64(1)),
                NoGlobal("x"),
                Unit("bump()\ntotal"),
                Eval(I64(2)),
            ],
        ),
        case(
            "callers keep reaching the old code after a failed redefinition",
            "fn base(x): x + 1\nfn user(x): base(x) * 10\n",
            vec![
                Unit("fn base(x): x + 2\nfn bad(): nope\n"),
                compile_error_anywhere(&["nope"]),
                Call("user", vec![I64(1)], I64(20)),
                Unit("fn base(x): x + 3\nval zero = 0\nval q = 1 / zero\n"),
                EvalRuntimeError(&["division by zero"]),
                Call("user", vec![I64(1)], I64(20)),
                Call("base", vec![I64(1)], I64(2)),
            ],
        ),
        case(
            "a failed unit keeps a global's old type and value",
            "x = 1",
            vec![
                Unit("var x = 2.5\nfn bad(): nope\n"),
                compile_error(2, &["nope"]),
                Global("x", I64(1)),
                Unit("x = x + 1"),
                Eval(I64(2)),
            ],
        ),
        case(
            "a unit that fails at run time keeps a global's old type and value",
            "x = 1",
            vec![
                Unit("var x = 2.5\nvar zero = 0\ny = 1 / zero\n"),
                EvalRuntimeError(&["division by zero", "line 3"]),
                Global("x", I64(1)),
                Unit("x + 1"),
                Eval(I64(2)),
            ],
        ),
        case(
            "a unit that fails at run time keeps a global's old value",
            "x = 1",
            vec![
                Unit("x = 5\nvar zero = 0\ny = 1 / zero\n"),
                EvalRuntimeError(&["division by zero"]),
                Global("x", I64(1)),
            ],
        ),
        case(
            "names of a unit that failed at run time can be reused with other types",
            "a = 1",
            vec![
                Unit("newg = 1.5\nfn nf() -> f64: newg\nfn user(): nf() + 1\nvar zero = 0\ny = 1 / zero\n"),
                EvalRuntimeError(&["division by zero"]),
                NoFunction("nf"),
                NoFunction("user"),
                NoGlobal("newg"),
                Unit("newg = true\nfn nf(): 7\n"),
                Eval(Bool(true)),
                Global("newg", Bool(true)),
                Call("nf", vec![], I64(7)),
            ],
        ),
        case(
            "a corrected unit compiles after a failed one",
            "fn f(x): x +\n",
            vec![
                compile_error(1, &[]),
                NoFunction("f"),
                Unit("fn f(x): x + 1\n"),
                Eval(Void),
                Call("f", vec![I64(1)], I64(2)),
            ],
        ),
        case(
            "the spec example unit is unaffected by a later failure",
            "timeout = 30 * 60",
            vec![
                Unit("timeout = 1\nfn g(): undefined_fn()\n"),
                compile_error(2, &["undefined_fn"]),
                Global("timeout", I64(1800)),
            ],
        ),
    ]
}

// ---------------------------------------------------------------------------
// Text: literals and escapes, `+`, comparisons, len, str, int/float of a
// text, text parameters, results, locals and globals
// ---------------------------------------------------------------------------

/// A text value.
fn t(s: &str) -> rtjit::Value {
    rtjit::Value::Text(s.to_string())
}

fn text() -> Vec<Case> {
    let mut v = text_literals();
    v.extend(text_operators());
    v.extend(text_len_and_str());
    v.extend(text_parsing());
    v.extend(text_functions());
    v.extend(text_globals());
    v.extend(text_type_errors());
    v.extend(text_eval_values());
    v
}

fn text_literals() -> Vec<Case> {
    vec![
        ev("a string literal is a text value", r#""hello""#, t("hello")),
        ev("the empty string literal", r#""""#, t("")),
        ev("escape \\n", r#""a\nb""#, t("a\nb")),
        ev("escape \\t", r#""a\tb""#, t("a\tb")),
        ev("escape \\r", r#""a\rb""#, t("a\rb")),
        ev("escape \\\\", r#""a\\b""#, t("a\\b")),
        ev("escape \\\"", r#""say \"hi\"""#, t("say \"hi\"")),
        ev("escape \\0", r#""a\0b""#, t("a\0b")),
        ev("escape \\u{48} is H", r#""\u{48}i""#, t("Hi")),
        ev("escape \\u{e9} (two UTF-8 bytes)", r#""caf\u{e9}""#, t("café")),
        ev("escape \\u{20AC} (three UTF-8 bytes)", r#""\u{20AC}""#, t("€")),
        ev("escape \\u{1F600} (four UTF-8 bytes)", r#""\u{1F600}""#, t("😀")),
        ev("escape \\u{10FFFF}, the largest scalar value", r#""\u{10FFFF}""#, t("\u{10FFFF}")),
        ev("escape \\u{0} is NUL", r#""\u{0}""#, t("\0")),
        ev("escape \\u with upper- and lower-case hex", r#""\u{4a}\u{4A}""#, t("JJ")),
        ev("every escape in one literal", r#""\n\t\r\\\"\0\u{48}""#, t("\n\t\r\\\"\0H")),
        ev("an escaped backslash before n is not a newline", r#""\\n""#, t("\\n")),
        ev("UTF-8 written directly in a literal", r#""héllo wörld €😀""#, t("héllo wörld €😀")),
        ev("# inside a string is not a comment", r#""a # b"  # a real comment"#, t("a # b")),
        ev("a tab written directly in a literal is kept", "\"a\tb\"", t("a\tb")),
        ev("spaces in a literal are kept", r#""  two  spaces  ""#, t("  two  spaces  ")),
        ev("keywords and digits inside a literal are just text", r#""fn if 12 0x1 true""#, t("fn if 12 0x1 true")),
        ce("an unknown escape is a compile error", r#"x = "a\qb""#, 1, &["escape"]),
        ce("an unterminated string is a compile error", "x = \"abc\n", 1, &[]),
        ce("a line break inside a string is a compile error", "x = \"ab\ncd\"\n", 1, &[]),
        ce("\\u{110000} is not a Unicode scalar value", r#"x = "\u{110000}""#, 1, &[]),
        ce("\\u{D800} (a surrogate) is not a Unicode scalar value", r#"x = "\u{D800}""#, 1, &[]),
        ce("\\u{} without digits is an error", r#"x = "\u{}""#, 1, &[]),
        ce("\\u with seven hex digits is an error", r#"x = "\u{1000000}""#, 1, &[]),
        ce("\\u without braces is an error", r#"x = "\u0048""#, 1, &[]),
        ce("\\u with a non-hex digit is an error", r#"x = "\u{4G}""#, 1, &[]),
        case(
            "a bad escape on a later line names that line",
            r#"
            fn f(): "fine"
            fn g(): "bad \x escape"
            "#,
            vec![compile_error(2, &["escape"]), NoFunction("f"), NoFunction("g")],
        ),
        case(
            "a literal in a function body",
            r#"
            fn greeting(): "hello, world"
            fn empty(): ""
            "#,
            vec![
                Call("greeting", vec![], t("hello, world")),
                Call("empty", vec![], t("")),
                Sig("greeting", "fn() -> text"),
                Sig("empty", "fn() -> text"),
            ],
        ),
        case(
            "the same literal returned many times stays intact",
            r#"
            fn lit(): "constant"
            fn many():
                var n = 0
                for i in 0..1000:
                    if lit() == "constant":
                        n += 1
                return n
            "#,
            vec![Call("many", vec![], I64(1000)), Call("many", vec![], I64(1000)), Call("lit", vec![], t("constant"))],
        ),
    ]
}

fn text_operators() -> Vec<Case> {
    vec![
        // Concatenation.
        ev("+ concatenates two texts", r#""ab" + "cd""#, t("abcd")),
        ev("+ with the empty text on the right", r#""ab" + """#, t("ab")),
        ev("+ with the empty text on the left", r#""" + "ab""#, t("ab")),
        ev("+ of two empty texts", r#""" + """#, t("")),
        ev("+ chains left to right", r#""a" + "b" + "c" + "d""#, t("abcd")),
        ev("+ with parentheses", r#""a" + ("b" + "c")"#, t("abc")),
        ev("+ keeps multi-byte characters", r#""é" + "😀" + "€""#, t("é😀€")),
        ev("+ keeps NUL bytes", r#""a\0" + "\0b""#, t("a\0\0b")),
        ev("+ with str() of a number", r#""n = " + str(5)"#, t("n = 5")),
        case(
            "+= on a text variable",
            r#"
            fn f(s: text) -> text:
                var r = s
                r += "!"
                r += ""
                r += "?"
                return r
            "#,
            vec![Call("f", vec![t("hi")], t("hi!?")), Call("f", vec![t("")], t("!?"))],
        ),
        case(
            "+= on a text global at top level",
            r#"
            s = "a"
            s += "b"
            "#,
            vec![Eval(t("ab")), Global("s", t("ab"))],
        ),
        // Comparisons.
        ev("== on equal texts", r#""abc" == "abc""#, Bool(true)),
        ev("== on different texts", r#""abc" == "abd""#, Bool(false)),
        ev("== on texts of different length", r#""ab" == "abc""#, Bool(false)),
        ev("== compares contents, not identity", r#""ab" == "a" + "b""#, Bool(true)),
        ev("== of two empty texts", r#""" == """#, Bool(true)),
        ev("== of the empty text and \"\" + \"\"", r#""" == "" + """#, Bool(true)),
        ev("!= on different texts", r#""a" != "b""#, Bool(true)),
        ev("!= on equal texts", r#""a" != "a""#, Bool(false)),
        ev("== sees bytes after a NUL", r#""a\0b" == "a\0c""#, Bool(false)),
        ev("!= sees bytes after a NUL", r#""a\0b" != "a""#, Bool(true)),
        ev("< is bytewise: abc < abd", r#""abc" < "abd""#, Bool(true)),
        ev("< is bytewise: upper case sorts before lower case", r#""B" < "a""#, Bool(true)),
        ev("< is bytewise: Z < a", r#""Z" < "a""#, Bool(true)),
        ev("< a prefix sorts first", r#""ab" < "abc""#, Bool(true)),
        ev("< the empty text sorts first", r#""" < "a""#, Bool(true)),
        ev("< is false on equal texts", r#""abc" < "abc""#, Bool(false)),
        ev("< digits compare as bytes, not numbers", r#""10" < "9""#, Bool(true)),
        ev("< sees bytes after a NUL", r#""a\0b" < "a\0c""#, Bool(true)),
        ev("<= on equal texts", r#""abc" <= "abc""#, Bool(true)),
        ev("<= on a greater text", r#""b" <= "a""#, Bool(false)),
        ev("> bytewise", r#""b" > "abc""#, Bool(true)),
        ev("> is false on equal texts", r#""x" > "x""#, Bool(false)),
        ev(">= on equal texts", r#""x" >= "x""#, Bool(true)),
        ev(">= on a smaller text", r#""a" >= "b""#, Bool(false)),
        ev("> multi-byte UTF-8 sorts after ASCII", r#""é" > "z""#, Bool(true)),
        ev("< orders multi-byte characters by their bytes", r#""é" < "€""#, Bool(true)),
        ev("comparisons combine with and/or/not", r#""a" < "b" and not ("b" < "a") or false"#, Bool(true)),
        case(
            "every comparison operator on texts from parameters",
            "
            fn lt(a: text, b: text): a < b
            fn le(a: text, b: text): a <= b
            fn gt(a: text, b: text): a > b
            fn ge(a: text, b: text): a >= b
            fn eq(a: text, b: text): a == b
            fn ne(a: text, b: text): a != b
            ",
            vec![
                Call("lt", vec![t("apple"), t("banana")], Bool(true)),
                Call("lt", vec![t("banana"), t("apple")], Bool(false)),
                Call("lt", vec![t(""), t("")], Bool(false)),
                Call("le", vec![t("apple"), t("apple")], Bool(true)),
                Call("le", vec![t("b"), t("a")], Bool(false)),
                Call("gt", vec![t("b"), t("a")], Bool(true)),
                Call("gt", vec![t("a"), t("a")], Bool(false)),
                Call("ge", vec![t("a"), t("a")], Bool(true)),
                Call("ge", vec![t(""), t("a")], Bool(false)),
                Call("eq", vec![t("x\0y"), t("x\0y")], Bool(true)),
                Call("eq", vec![t("x\0y"), t("x\0z")], Bool(false)),
                Call("eq", vec![t(""), t("")], Bool(true)),
                Call("ne", vec![t("x"), t("X")], Bool(true)),
                Call("ne", vec![t("é"), t("é")], Bool(false)),
                Sig("lt", "fn(text, text) -> bool"),
            ],
        ),
        ce("text comparisons do not chain", r#"x = "a" < "b" < "c""#, 1, &["chain"]),
        // Text in conditions, through comparisons.
        case(
            "text comparisons in if / elif conditions",
            r#"
            fn classify(s: text):
                if s == "":
                    return "empty"
                elif s < "m":
                    return "early"
                elif s == "zzz":
                    return "last"
                else:
                    return "late"
            "#,
            vec![
                Call("classify", vec![t("")], t("empty")),
                Call("classify", vec![t("apple")], t("early")),
                Call("classify", vec![t("melon")], t("late")),
                Call("classify", vec![t("zzz")], t("last")),
                Call("classify", vec![t("Zebra")], t("early")),
            ],
        ),
        case(
            "text comparisons in while conditions",
            r#"
            fn pad(s: text, n) -> text:
                var r = s
                while len(r) < n:
                    r = r + "."
                return r
            fn count_until(s: text):
                var acc = ""
                var n = 0
                while acc != s and n < 100:
                    acc += "a"
                    n += 1
                return n
            fn upto(limit: text) -> text:
                var s = "a"
                while s + "a" <= limit:
                    s += "a"
                return s
            "#,
            vec![
                Call("pad", vec![t("ab"), I64(5)], t("ab...")),
                Call("pad", vec![t("abcdef"), I64(3)], t("abcdef")),
                Call("count_until", vec![t("aaaa")], I64(4)),
                Call("count_until", vec![t("")], I64(0)),
                Call("count_until", vec![t("b")], I64(100)),
                Call("upto", vec![t("aaa")], t("aaa")),
                Call("upto", vec![t("a")], t("a")),
            ],
        ),
        case(
            "a text comparison in top-level control flow",
            r#"
            mode = "fast"
            speed = 0
            if mode == "slow":
                speed = 1
            elif mode == "fast":
                speed = 10
            var s = ""
            while s != "xxx":
                s += "x"
            speed + len(s)
            "#,
            vec![Eval(I64(13)), Global("speed", I64(10))],
        ),
        case(
            "a bool variable from a text comparison",
            r#"
            fn check(s: text) -> bool:
                val b = s == "yes"
                return b or s == "y"
            "#,
            vec![
                Call("check", vec![t("yes")], Bool(true)),
                Call("check", vec![t("y")], Bool(true)),
                Call("check", vec![t("no")], Bool(false)),
            ],
        ),
    ]
}

fn text_len_and_str() -> Vec<Case> {
    vec![
        ev("len of the empty text", r#"len("")"#, I64(0)),
        ev("len of ASCII", r#"len("abc")"#, I64(3)),
        ev("len counts bytes: é is 2", r#"len("é")"#, I64(2)),
        ev("len counts bytes: héllo is 6", r#"len("héllo")"#, I64(6)),
        ev("len counts bytes: € is 3", r#"len("€")"#, I64(3)),
        ev("len counts bytes: 😀 is 4", r#"len("😀")"#, I64(4)),
        ev("len counts bytes of escapes: \\u{1F600} is 4", r#"len("\u{1F600}")"#, I64(4)),
        ev("len counts an escape as its character", r#"len("\n\t\r\\\"")"#, I64(5)),
        ev("len counts NUL bytes", r#"len("a\0b")"#, I64(3)),
        ev("len of \\u{48}", r#"len("\u{48}")"#, I64(1)),
        ev("len of a concatenation", r#"len("ab" + "cdé")"#, I64(6)),
        ev("len of str of a number", "len(str(-123))", I64(4)),
        case(
            "len of a text parameter",
            "fn n(s: text): len(s)\n",
            vec![
                Call("n", vec![t("")], I64(0)),
                Call("n", vec![t("hello")], I64(5)),
                Call("n", vec![t("日本語")], I64(9)),
                Call("n", vec![t("a\0b\0")], I64(4)),
                Sig("n", "fn(text) -> i64"),
            ],
        ),
        ce("len of an i64 is a type error", "len(5)\n", 1, &["text", "i64"]),
        ce("len of a bool is a type error", "len(true)\n", 1, &["text", "bool"]),
        ce("len takes one argument", r#"len("a", "b")"#, 1, &["len"]),
        // str of each type.
        ev("str of 0", "str(0)", t("0")),
        ev("str of a positive i64", "str(42)", t("42")),
        ev("str of a negative i64", "str(-5)", t("-5")),
        ev("str of i64::MAX", "str(9223372036854775807)", t("9223372036854775807")),
        ev("str of i64::MIN", "str(-9223372036854775808)", t("-9223372036854775808")),
        ev("str of a hex literal is decimal", "str(0xff)", t("255")),
        ev("str of true", "str(true)", t("true")),
        ev("str of false", "str(false)", t("false")),
        ev("str of a comparison", "str(1 < 2)", t("true")),
        ev("str of 1.0 keeps the .0", "str(1.0)", t("1.0")),
        ev("str of 0.1 is the shortest round-trip text", "str(0.1)", t("0.1")),
        ev("str of 1e16", "str(1e16)", t("1e16")),
        ev("str of NaN", "str(0.0 / 0)", t("NaN")),
        ev("str of inf", "str(1.0 / 0)", t("inf")),
        ev("str of -inf", "str(-1.0 / 0)", t("-inf")),
        ev("str of 2.5", "str(2.5)", t("2.5")),
        ev("str of -2.5", "str(-2.5)", t("-2.5")),
        ev("str of 0.0", "str(0.0)", t("0.0")),
        // Shortest round-trip: the digits of the nearest double, no more.
        ev("str of 0.1 + 0.2", "str(0.1 + 0.2)", t("0.30000000000000004")),
        ev("str of 0.3", "str(0.3)", t("0.3")),
        ev("str of 100.0", "str(100.0)", t("100.0")),
        ev("str of an i64 promoted to f64", "str(float(3))", t("3.0")),
        ev("str of a text is that text", r#"str("abc")"#, t("abc")),
        ev("str of a text keeps NUL bytes", r#"len(str("a\0b"))"#, I64(3)),
        case(
            "str of f64 reads back as the same number",
            "fn rt(x: f64) -> bool: float(str(x)) == x\n",
            vec![
                Call("rt", vec![F64(0.1)], Bool(true)),
                Call("rt", vec![F64(1.0 / 3.0)], Bool(true)),
                Call("rt", vec![F64(2.0 / 3.0)], Bool(true)),
                Call("rt", vec![F64(1e16)], Bool(true)),
                Call("rt", vec![F64(1e-300)], Bool(true)),
                Call("rt", vec![F64(5e-324)], Bool(true)),
                Call("rt", vec![F64(f64::MAX)], Bool(true)),
                Call("rt", vec![F64(f64::MIN_POSITIVE)], Bool(true)),
                Call("rt", vec![F64(-123456.789)], Bool(true)),
                Call("rt", vec![F64(9007199254740993.0)], Bool(true)),
                Call("rt", vec![F64(1e21)], Bool(true)),
                Call("rt", vec![F64(f64::INFINITY)], Bool(true)),
                Call("rt", vec![F64(f64::NEG_INFINITY)], Bool(true)),
            ],
        ),
        case(
            "str of NaN reads back as NaN",
            "fn nan_rt() -> bool:\n    val y = float(str(0.0 / 0))\n    return y != y\n",
            vec![Call("nan_rt", vec![], Bool(true))],
        ),
        case(
            "str of parameters of each type",
            "
            fn si(x): str(x)
            fn sf(x: f64): str(x)
            fn sb(b: bool): str(b)
            fn st(s: text): str(s)
            ",
            vec![
                Call("si", vec![I64(-7)], t("-7")),
                Call("si", vec![I64(MIN)], t("-9223372036854775808")),
                Call("sf", vec![F64(1.0)], t("1.0")),
                Call("sf", vec![F64(0.1)], t("0.1")),
                Call("sf", vec![F64(1e16)], t("1e16")),
                Call("sf", vec![F64(f64::NAN)], t("NaN")),
                Call("sf", vec![F64(f64::INFINITY)], t("inf")),
                Call("sf", vec![I64(2)], t("2.0")),
                Call("sb", vec![Bool(true)], t("true")),
                Call("sb", vec![Bool(false)], t("false")),
                Call("st", vec![t("same")], t("same")),
                Sig("si", "fn(i64) -> text"),
                Sig("sf", "fn(f64) -> text"),
                Sig("sb", "fn(bool) -> text"),
                Sig("st", "fn(text) -> text"),
            ],
        ),
        ce("str of a void call is a compile error", "fn v():\n    return\nx = str(v())\n", 3, &[]),
        ce("str takes one argument", "str(1, 2)\n", 1, &["str"]),
        ce("str without an argument", "str()\n", 1, &["str"]),
    ]
}

fn text_parsing() -> Vec<Case> {
    vec![
        ev("int of a decimal text", r#"int("42")"#, I64(42)),
        ev("int ignores surrounding spaces", r#"int("  42  ")"#, I64(42)),
        ev("int ignores tabs and line breaks around the number", r#"int("\t42\r\n")"#, I64(42)),
        ev("int of a negative number", r#"int("-17")"#, I64(-17)),
        ev("int of an explicit plus sign", r#"int("+17")"#, I64(17)),
        ev("int of -0", r#"int("-0")"#, I64(0)),
        ev("int of leading zeros", r#"int("007")"#, I64(7)),
        ev("int of i64::MAX", r#"int("9223372036854775807")"#, I64(MAX)),
        ev("int of i64::MIN", r#"int("-9223372036854775808")"#, I64(MIN)),
        ev("int of a sign and spaces around it", r#"int(" -5 ")"#, I64(-5)),
        ev("float of 1e3", r#"float("1e3")"#, F64(1000.0)),
        ev("float of 1E3", r#"float("1E3")"#, F64(1000.0)),
        ev("float of 2.5e-3", r#"float("2.5e-3")"#, F64(0.0025)),
        ev("float of 1.5e+2", r#"float("1.5e+2")"#, F64(150.0)),
        ev("float of a decimal", r#"float("3.25")"#, F64(3.25)),
        ev("float of an integer text", r#"float("12")"#, F64(12.0)),
        ev("float of a negative number", r#"float("-2.5")"#, F64(-2.5)),
        ev("float of an explicit plus sign", r#"float("+3.5")"#, F64(3.5)),
        ev("float ignores surrounding whitespace", r#"float(" \t1.5\n ")"#, F64(1.5)),
        ev("float of 0.1 is the double nearest 0.1", r#"float("0.1") == 0.1"#, Bool(true)),
        ev("float of inf (what str gives back)", r#"float("inf")"#, F64(f64::INFINITY)),
        ev("float of -inf", r#"float("-inf")"#, F64(f64::NEG_INFINITY)),
        ev("float of NaN (what str gives back)", r#"float("NaN")"#, F64(f64::NAN)),
        // docs/language.md: `inf`, `nan` (any case).
        ev("float of INF in upper case", r#"float("INF")"#, F64(f64::INFINITY)),
        ev("float of Inf in mixed case with whitespace", r#"float(" Inf ")"#, F64(f64::INFINITY)),
        ev("float of nan in lower case", r#"float("nan")"#, F64(f64::NAN)),
        ev("float of -NAN is a NaN", r#"float("-NAN")"#, F64(f64::NAN)),
        ev("int of str of an i64 is that i64", "int(str(-9223372036854775808))", I64(MIN)),
        // Bad text: a runtime error naming the text, the function and the line.
        case(
            "int of bad text at top level: the exact message",
            r#"x = int("12x")"#,
            vec![EvalRuntimeErrorIs("invalid number \"12x\" in top-level code at line 1"), NoGlobal("x")],
        ),
        case(
            "float of bad text at top level: the exact message",
            "\n            val ok = 1\n            y = float(\"x\")\n            ",
            vec![EvalRuntimeErrorIs("invalid number \"x\" in top-level code at line 2"), NoGlobal("ok"), NoGlobal("y")],
        ),
        case(
            "int of bad text in a function: the exact message names the function and line",
            r#"
            fn parse(s: text):
                val trimmed = s
                return int(trimmed)
            "#,
            vec![
                Call("parse", vec![t("12")], I64(12)),
                RuntimeErrorIs("parse", vec![t("12x")], "invalid number \"12x\" in parse at line 3"),
                RuntimeErrorIs("parse", vec![t("abc")], "invalid number \"abc\" in parse at line 3"),
                // the manager is still usable
                Call("parse", vec![t(" 7 ")], I64(7)),
            ],
        ),
        case(
            "float of bad text in a function: the exact message names the function and line",
            r#"
            fn pf(s: text) -> f64:
                var x = 0.0
                x = float(s)
                return x
            "#,
            vec![
                Call("pf", vec![t("1e3")], F64(1000.0)),
                RuntimeErrorIs("pf", vec![t("x")], "invalid number \"x\" in pf at line 3"),
                RuntimeErrorIs("pf", vec![t("1.5.2")], "invalid number \"1.5.2\" in pf at line 3"),
                Call("pf", vec![t("-0.5")], F64(-0.5)),
            ],
        ),
        case(
            "the error names the function that parsed, not its caller",
            r#"
            fn inner(s: text):
                return int(s)
            fn outer(s: text):
                return inner(s) + 1
            top = outer("5")
            "#,
            vec![
                Global("top", I64(6)),
                RuntimeErrorIs("outer", vec![t("five")], "invalid number \"five\" in inner at line 2"),
                ExecError("outer", vec![5], ErrKind::Signature),
            ],
        ),
        case(
            "int of the empty text is an error that quotes it",
            "fn p(s: text): int(s)\n",
            vec![RuntimeErrorIs("p", vec![t("")], "invalid number \"\" in p at line 1")],
        ),
        case(
            "float of the empty text is an error that quotes it",
            "fn p(s: text): float(s)\n",
            vec![RuntimeErrorIs("p", vec![t("")], "invalid number \"\" in p at line 1")],
        ),
        case(
            "the quoted text in the message is escaped",
            "fn p(s: text): int(s)\n",
            vec![
                RuntimeErrorIs("p", vec![t("a\"b")], "invalid number \"a\\\"b\" in p at line 1"),
                RuntimeErrorIs("p", vec![t("1\n2")], "invalid number \"1\\n2\" in p at line 1"),
                RuntimeErrorIs("p", vec![t("é!")], "invalid number \"é!\" in p at line 1"),
            ],
        ),
        case(
            "int of bad texts: each is an invalid number",
            "fn p(s: text): int(s)\n",
            vec![
                RuntimeError("p", vec![t(" ")], &["invalid number", "in p at line 1"]),
                RuntimeError("p", vec![t("1.5")], &["invalid number", "\"1.5\""]),
                RuntimeError("p", vec![t("1e3")], &["invalid number", "\"1e3\""]),
                RuntimeError("p", vec![t("+")], &["invalid number", "\"+\""]),
                RuntimeError("p", vec![t("-")], &["invalid number", "\"-\""]),
                RuntimeError("p", vec![t("- 5")], &["invalid number", "\"- 5\""]),
                RuntimeError("p", vec![t("1 2")], &["invalid number", "\"1 2\""]),
                RuntimeError("p", vec![t("1_000")], &["invalid number", "\"1_000\""]),
                RuntimeError("p", vec![t("0x10")], &["invalid number", "\"0x10\""]),
                RuntimeError("p", vec![t("9223372036854775808")], &["invalid number", "\"9223372036854775808\""]),
                RuntimeError("p", vec![t("--1")], &["invalid number", "\"--1\""]),
                RuntimeError("p", vec![t("true")], &["invalid number", "\"true\""]),
                Call("p", vec![t("1")], I64(1)),
            ],
        ),
        case(
            "float of bad texts: each is an invalid number",
            "fn p(s: text): float(s)\n",
            vec![
                RuntimeError("p", vec![t(" ")], &["invalid number", "in p at line 1"]),
                RuntimeError("p", vec![t("1e")], &["invalid number", "\"1e\""]),
                RuntimeError("p", vec![t("1,5")], &["invalid number", "\"1,5\""]),
                RuntimeError("p", vec![t("--1")], &["invalid number", "\"--1\""]),
                RuntimeError("p", vec![t("1.5.2")], &["invalid number", "\"1.5.2\""]),
                RuntimeError("p", vec![t("abc")], &["invalid number", "\"abc\""]),
                Call("p", vec![t("2")], F64(2.0)),
            ],
        ),
        case(
            "a parse error in top-level code undoes the unit",
            r#"
            fn keep(): 1
            count = 5
            "#,
            vec![
                Unit("fn gone(): 2\ncount = 6\nname = \"n\"\nbad = int(\"6a\")\n"),
                EvalRuntimeErrorIs("invalid number \"6a\" in top-level code at line 4"),
                NoFunction("gone"),
                NoGlobal("name"),
                NoGlobal("bad"),
                Global("count", I64(5)),
                Call("keep", vec![], I64(1)),
            ],
        ),
        ce("int of text keeps int's arity rule", r#"int("1", "2")"#, 1, &["int"]),
        case(
            "int and float of text give i64 and f64",
            "fn pi(s: text): int(s)\nfn pfl(s: text): float(s)\n",
            vec![Sig("pi", "fn(text) -> i64"), Sig("pfl", "fn(text) -> f64")],
        ),
    ]
}

fn text_functions() -> Vec<Case> {
    vec![
        case(
            "a text parameter and a text result",
            r#"
            fn greet(name: text) -> text: "Hello, " + name + "!"
            "#,
            vec![
                Call("greet", vec![t("Ann")], t("Hello, Ann!")),
                Call("greet", vec![t("")], t("Hello, !")),
                Call("greet", vec![t("wörld")], t("Hello, wörld!")),
                Sig("greet", "fn(text) -> text"),
                Unit(r#"greet("Bob")"#),
                Eval(t("Hello, Bob!")),
            ],
        ),
        case(
            "several text parameters mixed with other types",
            r#"
            fn mix(a, s: text, x: f64, b: bool, u: text) -> text:
                if b:
                    return s + str(a) + u + str(x)
                return u + s
            "#,
            vec![
                Call("mix", vec![I64(1), t("s"), F64(0.5), Bool(true), t("u")], t("s1u0.5")),
                Call("mix", vec![I64(1), t("s"), F64(0.5), Bool(false), t("u")], t("us")),
                Sig("mix", "fn(i64, text, f64, bool, text) -> text"),
            ],
        ),
        case(
            "the text return type is inferred",
            r#"
            fn pick(n):
                if n > 0:
                    return "positive"
                return "other"
            fn passthrough(s: text): s
            "#,
            vec![
                Sig("pick", "fn(i64) -> text"),
                Sig("passthrough", "fn(text) -> text"),
                Call("pick", vec![I64(1)], t("positive")),
                Call("pick", vec![I64(-1)], t("other")),
                Call("passthrough", vec![t("x\0y")], t("x\0y")),
            ],
        ),
        case(
            "text locals: val, var, annotation, shadowing, block scope",
            r#"
            fn f(s: text) -> text:
                val a = s + "1"
                var b: text = a
                b = b + "2"
                if len(b) > 0:
                    val a = "inner"
                    b = b + a
                val b2 = b
                val b = len(b2)
                return str(b) + ":" + b2
            "#,
            vec![Call("f", vec![t("x")], t("8:x12inner"))],
        ),
        case(
            "a text parameter may be reassigned without affecting the caller",
            r#"
            fn change(s: text) -> text:
                s = s + "!"
                s += "!"
                return s
            fn caller() -> text:
                val orig = "o"
                val changed = change(orig)
                return orig + changed
            "#,
            vec![Call("change", vec![t("a")], t("a!!")), Call("caller", vec![], t("oo!!"))],
        ),
        case(
            "building a text in a for loop",
            r#"
            fn digits(n) -> text:
                var s = ""
                for i in 0..n:
                    s += str(i)
                return s
            "#,
            vec![
                Call("digits", vec![I64(0)], t("")),
                Call("digits", vec![I64(5)], t("01234")),
                Call("digits", vec![I64(12)], t("01234567891011")),
            ],
        ),
        case(
            "texts with break, continue and early return inside loops",
            r#"
            fn first_long(limit) -> text:
                var s = ""
                var i = 0
                while i < 1000:
                    i += 1
                    val piece = str(i)
                    if i % 2 == 0:
                        continue
                    s += piece
                    if len(s) >= limit:
                        return s
                return "never"
            fn until_x(s: text) -> text:
                var out = ""
                var i = 0
                while i < 10:
                    val c = str(i)
                    if c == "4":
                        break
                    out += c
                    i += 1
                return out + s
            "#,
            vec![
                Call("first_long", vec![I64(3)], t("135")),
                Call("first_long", vec![I64(6)], t("1357911")),
                Call("until_x", vec![t("x")], t("0123x")),
            ],
        ),
        case(
            "a text function that ends in `while true:` returns on every path",
            r#"
            fn wt() -> text:
                while true:
                    return "x"
            fn grow(limit) -> text:
                var s = ""
                while true:
                    s += "ab"
                    if len(s) >= limit:
                        return s
            fn inferred(n):
                while true:
                    if n > 0:
                        return "pos"
                    return "non-pos"
            "#,
            vec![
                Call("wt", vec![], t("x")),
                Call("grow", vec![I64(5)], t("ababab")),
                Call("inferred", vec![I64(1)], t("pos")),
                Sig("inferred", "fn(i64) -> text"),
            ],
        ),
        case(
            "a recursive text function",
            r#"
            fn rep(s: text, n) -> text:
                if n <= 0:
                    return ""
                return s + rep(s, n - 1)
            fn rev(s: text, n) -> text:
                if n == 0:
                    return s
                return rev(str(n) + s, n - 1)
            "#,
            vec![
                Call("rep", vec![t("ab"), I64(0)], t("")),
                Call("rep", vec![t("ab"), I64(3)], t("ababab")),
                Call("rep", vec![t("é"), I64(4)], t("éééé")),
                Call("rev", vec![t(""), I64(5)], t("12345")),
                Unit("len(rep(\"xyz\", 1000))"),
                Eval(I64(3000)),
            ],
        ),
        case(
            "texts through mutual recursion",
            r#"
            fn ping(n) -> text:
                if n == 0: return "."
                return "i" + pong(n - 1)
            fn pong(n) -> text:
                if n == 0: return "!"
                return "o" + ping(n - 1)
            "#,
            vec![Call("ping", vec![I64(4)], t("ioio.")), Call("ping", vec![I64(3)], t("ioi!"))],
        ),
        case(
            "a discarded text result and a text result used twice",
            r#"
            var calls = 0
            fn make() -> text:
                calls += 1
                return "m" + str(calls)
            fn use_it() -> text:
                make()
                make()
                val x = make()
                return x + x
            "#,
            vec![Call("use_it", vec![], t("m3m3")), Global("calls", I64(3)), Call("use_it", vec![], t("m6m6"))],
        ),
        case(
            "a runtime error while texts are held leaves later calls working",
            r#"
            fn risky(s: text, d) -> text:
                val a = s + "a"
                val b = a + str(10 / d)
                return b
            "#,
            vec![
                RuntimeError("risky", vec![t("x"), I64(0)], &["division by zero", "risky", "line 3"]),
                Call("risky", vec![t("x"), I64(5)], t("xa2")),
                RuntimeError("risky", vec![t("y"), I64(0)], &["division by zero"]),
                Call("risky", vec![t("y"), I64(2)], t("ya5")),
            ],
        ),
        case(
            "a large text built by doubling",
            r#"
            fn big(n) -> text:
                var s = "x"
                for i in 0..n:
                    s = s + s
                return s
            fn biglen(n): len(big(n))
            fn same_big(n) -> bool: big(n) == big(n) and not (big(n) < big(n))
            "#,
            vec![
                Call("biglen", vec![I64(0)], I64(1)),
                Call("biglen", vec![I64(20)], I64(1 << 20)),
                Call("same_big", vec![I64(16)], Bool(true)),
            ],
        ),
        case(
            "runaway recursion holding texts is a stack overflow, not a crash",
            r#"
            fn r(s: text) -> text: s + r(s)
            fn ok(s: text) -> text: s + s
            "#,
            vec![
                RuntimeError("r", vec![t("abc")], &["stack overflow", "in r", "line 1"]),
                Call("ok", vec![t("ab")], t("abab")),
                RuntimeError("r", vec![t("")], &["stack overflow"]),
                Call("ok", vec![t("c")], t("cc")),
            ],
        ),
        case(
            "the API checks text argument types",
            r#"
            fn greet(name: text) -> text: "hi " + name
            fn add(a, b): a + b
            fn n(s: text): len(s)
            "#,
            vec![
                CallError("greet", vec![I64(1)], ErrKind::Signature),
                CallError("greet", vec![Bool(true)], ErrKind::Signature),
                CallError("greet", vec![F64(1.0)], ErrKind::Signature),
                CallError("greet", vec![], ErrKind::Signature),
                CallError("greet", vec![t("a"), t("b")], ErrKind::Signature),
                CallError("add", vec![t("1"), I64(2)], ErrKind::Signature),
                // execute passes integers only: text functions are refused
                ExecError("greet", vec![1], ErrKind::Signature),
                ExecError("n", vec![1], ErrKind::Signature),
                Call("greet", vec![t("you")], t("hi you")),
                Call("add", vec![I64(1), I64(2)], I64(3)),
            ],
        ),
        case(
            "a text function redefined: callers compiled earlier reach the new code",
            r#"
            fn tag(): "v1"
            fn show() -> text: "[" + tag() + "]"
            "#,
            vec![
                Call("show", vec![], t("[v1]")),
                Unit("fn tag(): \"v2\"\n"),
                Call("show", vec![], t("[v2]")),
                Unit("fn tag(): \"v3\" + \"!\"\n"),
                Call("show", vec![], t("[v3!]")),
            ],
        ),
        case(
            "changing a text function's signature under a caller is an error naming both",
            r#"
            fn tag(s: text) -> text: s
            fn show() -> text: tag("x")
            "#,
            vec![
                Unit("fn tag(n) -> text: str(n)\n"),
                compile_error(1, &["tag", "show", "signature"]),
                Call("show", vec![], t("x")),
                Sig("tag", "fn(text) -> text"),
                Unit("fn tag(n) -> text: str(n)\nfn show() -> text: tag(7)\n"),
                Eval(Void),
                Call("show", vec![], t("7")),
            ],
        ),
    ]
}

fn text_globals() -> Vec<Case> {
    vec![
        case("a text global declared at top level", r#"name = "Ann""#, vec![Eval(t("Ann")), Global("name", t("Ann"))]),
        case(
            "val / var text globals with annotations",
            r#"
            val a: text = "x"
            var b: text = a + "y"
            b
            "#,
            vec![Eval(t("xy")), Global("a", t("x")), Global("b", t("xy"))],
        ),
        case(
            "text globals persist across units",
            r#"greeting = "hi""#,
            vec![
                Eval(t("hi")),
                Unit(r#"greeting = greeting + "!""#),
                Eval(t("hi!")),
                Unit("fn get(): greeting\n"),
                Call("get", vec![], t("hi!")),
                Unit(r#"greeting += "?""#),
                Eval(t("hi!?")),
                Global("greeting", t("hi!?")),
                Call("get", vec![], t("hi!?")),
                Unit("greeting"),
                Eval(t("hi!?")),
            ],
        ),
        case(
            "a global text assigned in a function keeps its value across calls",
            r#"
            var log = ""
            fn push(s: text):
                log = log + s + ";"
            fn last() -> text: log
            "#,
            vec![
                Global("log", t("")),
                Call("push", vec![t("a")], Void),
                Call("push", vec![t("bc")], Void),
                Global("log", t("a;bc;")),
                Call("last", vec![], t("a;bc;")),
                Unit("push(\"d\")\nlog"),
                Eval(t("a;bc;d;")),
                Call("push", vec![t("")], Void),
                Global("log", t("a;bc;d;;")),
            ],
        ),
        case(
            "a literal stored in a global outlives the code that stored it",
            r#"
            var msg = ""
            fn set(): msg = "from the first set"
            fn lit(): "a literal of the first lit"
            set()
            kept = lit()
            "#,
            vec![
                Global("msg", t("from the first set")),
                Global("kept", t("a literal of the first lit")),
                Unit("fn set(): msg = \"second\"\nfn lit(): \"second lit\"\n"),
                Unit("fn set(): msg = \"third\"\nfn lit(): \"third lit\"\n"),
                Unit("fn set(): msg = \"fourth\"\nfn lit(): \"fourth lit\"\n"),
                Unit("fn set(): msg = \"fifth\"\nfn lit(): \"fifth lit\"\n"),
                Global("msg", t("from the first set")),
                Global("kept", t("a literal of the first lit")),
                Unit("x = 1"),
                Unit("y = 2"),
                Global("msg", t("from the first set")),
                Global("kept", t("a literal of the first lit")),
                Call("set", vec![], Void),
                Global("msg", t("fifth")),
                Call("lit", vec![], t("fifth lit")),
            ],
        ),
        case(
            "a literal assigned by top-level code outlives that code",
            r#"s = "top-level literal""#,
            vec![
                Unit("fn g(): s\n"),
                Unit("u = 1"),
                Unit("w = 2"),
                Global("s", t("top-level literal")),
                Call("g", vec![], t("top-level literal")),
            ],
        ),
        case(
            "a local keeps the text a global held when it was read",
            r#"
            var g = "old"
            fn swap() -> text:
                val a = g
                g = "new"
                return a + ">" + g
            fn swap_back() -> text:
                val before = g
                g = before + "!"
                g = g + "?"
                return before
            "#,
            vec![
                Call("swap", vec![], t("old>new")),
                Global("g", t("new")),
                Call("swap_back", vec![], t("new")),
                Global("g", t("new!?")),
                Call("swap_back", vec![], t("new!?")),
                Global("g", t("new!?!?")),
            ],
        ),
        case(
            "text in top-level loops and blocks",
            r#"
            var out = ""
            for i in 0..5:
                val piece = str(i * i)
                if piece == "4":
                    continue
                out += piece + ","
            var j = 0
            while out != "" and j < 3:
                j += 1
            if true:
                val out = "shadow"
                note = out + "!"
            int("  " + str(j) + "  ") + len(out)
            "#,
            vec![Eval(I64(12)), Global("out", t("0,1,9,16,")), Global("note", t("shadow!")), Global("j", I64(3))],
        ),
        case(
            "int and float of text globals",
            r#"
            port_text = "8080"
            ratio_text = " 0.75 "
            port = int(port_text) + 1
            ratio = float(ratio_text) * 2
            "#,
            vec![Eval(F64(1.5)), Global("port", I64(8081)), Global("ratio", F64(1.5))],
        ),
        case(
            "a text global read by a function before it is assigned is the empty text",
            r#"
            fn getb(): b
            val r = getb()
            b = "set"
            r + "|" + getb()
            "#,
            vec![Eval(t("|set")), Global("r", t(""))],
        ),
        case(
            "a text global declared in a block that never runs holds the empty text",
            r#"
            if false:
                c = "never"
            c
            "#,
            vec![Eval(t("")), Global("c", t(""))],
        ),
        case(
            "a val text global redeclared with the same kind and type",
            r#"val k = "one""#,
            vec![
                Unit("fn getk(): k\n"),
                Call("getk", vec![], t("one")),
                Unit(r#"val k = "two""#),
                Eval(t("two")),
                Call("getk", vec![], t("two")),
                Unit(r#"k = "three""#),
                compile_error(1, &["val"]),
                Global("k", t("two")),
            ],
        ),
        case(
            "a global changing between i64 and text",
            "n = 1",
            vec![
                Unit(r#"n = "one""#),
                compile_error(1, &["text"]),
                Global("n", I64(1)),
                Unit("fn getn(): n\n"),
                Unit(r#"var n = "one""#),
                compile_error(1, &["n", "getn"]),
                Global("n", I64(1)),
                Unit("fn getn(): n\nvar n = \"one\"\n"),
                Eval(t("one")),
                Global("n", t("one")),
                Call("getn", vec![], t("one")),
                Sig("getn", "fn() -> text"),
                Unit("fn getn(): n\nvar n = 5\n"),
                Global("n", I64(5)),
                Call("getn", vec![], I64(5)),
            ],
        ),
        case(
            "a failed unit leaves text globals as they were",
            r#"
            var s = "keep"
            var n = 1
            fn sets(v: text): s = v
            "#,
            vec![
                Unit("s = \"changed\"\nsets(\"again\")\nt2 = \"new\"\nn = 1 / (n - 1)\n"),
                EvalRuntimeError(&["division by zero", "top-level code", "line 4"]),
                Global("s", t("keep")),
                Global("n", I64(1)),
                NoGlobal("t2"),
                Unit("s = \"changed\"\nfn broken(): nope\n"),
                compile_error(2, &["nope"]),
                Global("s", t("keep")),
                Unit("s + \"!\""),
                Eval(t("keep!")),
            ],
        ),
    ]
}

fn text_type_errors() -> Vec<Case> {
    vec![
        ce("\"a\" + 1 is a type error that names both types", r#""a" + 1"#, 1, &["text", "i64"]),
        ce("1 + \"a\" is a type error", r#"1 + "a""#, 1, &["i64", "text"]),
        ce("\"a\" + 1.5 is a type error", r#"x = "a" + 1.5"#, 1, &["text", "f64"]),
        ce("\"a\" + true is a type error", r#"x = "a" + true"#, 1, &["text", "bool"]),
        ce("\"a\" + 1 hints at str()", r#"x = "a" + 1"#, 1, &["str("]),
        ce("`if \"a\":` is a type error", "if \"a\": x = 1\n", 1, &["bool", "text"]),
        ce("`while s:` on a text is a type error", "fn f(s: text):\n    while s: s = \"\"\n", 2, &["bool", "text"]),
        ce("`elif \"a\":` is a type error", "if false: x = 1\nelif \"a\": x = 2\n", 2, &["bool", "text"]),
        ce("`not` on a text is a type error", r#"not "a""#, 1, &["text"]),
        ce("`and` on a text is a type error", r#""a" and true"#, 1, &["text"]),
        ce("`or` on a text is a type error", r#"false or "a""#, 1, &["text"]),
        ce("text - text is a type error", r#""ab" - "b""#, 1, &["text"]),
        ce("text * i64 is a type error", r#""ab" * 2"#, 1, &["text"]),
        ce("text / text is a type error", r#""a" / "b""#, 1, &["text"]),
        ce("text % text is a type error", r#""a" % "b""#, 1, &["text"]),
        ce("text ^ i64 is a type error", r#""a" ^ 2"#, 1, &["text"]),
        ce("unary minus on a text is a type error", r#"-"a""#, 1, &["text"]),
        ce("text == i64 is a type error", r#""1" == 1"#, 1, &["text", "i64"]),
        ce("text != bool is a type error", r#"x = "true" != true"#, 1, &["text", "bool"]),
        ce("text < i64 is a type error", r#""a" < 1"#, 1, &["text", "i64"]),
        ce("f64 >= text is a type error", r#"1.5 >= "a""#, 1, &["f64", "text"]),
        ce("abs of a text is a type error", r#"abs("a")"#, 1, &["text"]),
        ce("sqrt of a text is a type error", r#"sqrt("4")"#, 1, &["text"]),
        ce("min of texts is a type error", r#"min("a", "b")"#, 1, &["text"]),
        ce(
            "a text range bound is a type error",
            "fn f():\n    for i in \"a\"..\"b\":\n        continue\n",
            2,
            &["text"],
        ),
        ce("a text is not passed to an i64 parameter", "fn k(x): x\ny = k(\"1\")\n", 2, &["text"]),
        ce("an i64 is not passed to a text parameter", "fn k(s: text): s\ny = k(1)\n", 2, &["i64"]),
        ce("a text is not returned as i64", "fn r() -> i64: \"1\"\n", 1, &["text"]),
        ce("an i64 is not returned as text", "fn r() -> text: 1\n", 1, &["i64"]),
        ce(
            "mixing text and i64 returns is a type error",
            "fn r(x):\n    if x > 0:\n        return \"a\"\n    return 1\n",
            4,
            &[],
        ),
        ce("an i64 is not a text variable", "val s: text = 5\n", 1, &["text"]),
        ce("a text is not an i64 variable", "val n: i64 = \"5\"\n", 1, &["text"]),
        ce("an i64 is not assigned to a text variable", "fn f():\n    var s = \"a\"\n    s = 1\n", 3, &["text", "i64"]),
        ce("+= of an i64 onto a text is a type error", "fn f():\n    var s = \"a\"\n    s += 1\n", 3, &[]),
        ce("-= on a text is a type error", "fn f():\n    var s = \"a\"\n    s -= \"a\"\n", 3, &["text"]),
        ce("an i64 is not assigned to a text global", "s = \"a\"\ns = 2\n", 2, &["text"]),
        ce("a text is not assigned to an i64 global", "n = 1\nn = \"2\"\n", 2, &["text"]),
        ce("a text value is not called", "s = \"a\"\ns()\n", 2, &[]),
    ]
}

fn text_eval_values() -> Vec<Case> {
    vec![
        ev("the value of a text expression", r#""a" + "b""#, t("ab")),
        ev("the value of a val text declaration", r#"val s = "v""#, t("v")),
        ev("the value of a var text declaration", r#"var s: text = "w""#, t("w")),
        ev("the value of a text assignment", r#"s = "x""#, t("x")),
        ev("the value of a compound text assignment", "s = \"x\"\ns += \"y\"\n", t("xy")),
        ev("the value of str()", "str(12) + str(0.5)", t("120.5")),
        ev("the value of a call of a text function", "fn f() -> text: \"r\"\nf()\n", t("r")),
        ev("a text value keeps NUL bytes in the Rust API", r#""a\0b\0""#, t("a\0b\0")),
        ev("a unit whose last statement is a text global", "s = \"x\"\nn = 1\ns\n", t("x")),
        ev("a text value after function definitions", "\"last\"\nfn g(): 1\n", t("last")),
        ev(
            "a long text value",
            r#"val s = "0123456789" + "0123456789" + "0123456789""#,
            t("012345678901234567890123456789"),
        ),
        case(
            "text values across a REPL session",
            r#"var s = """#,
            vec![
                Eval(t("")),
                Unit(r#"s = s + "a""#),
                Eval(t("a")),
                Unit(r#"s += "é""#),
                Eval(t("aé")),
                Unit("len(s)"),
                Eval(I64(3)),
                Unit("s == \"aé\""),
                Eval(Bool(true)),
                Unit("str(len(s)) + s"),
                Eval(t("3aé")),
            ],
        ),
    ]
}
