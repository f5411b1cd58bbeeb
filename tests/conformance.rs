//! Conformance suite for the source language (docs: /work/shared/spec/language.md).
//!
//! The cases live in a table (`conformance/cases.rs`), the runner in
//! `conformance/harness.rs`. The runner takes the compile path as a closure,
//! so the same table can later be run through another compile path:
//!
//! ```ignore
//! let report = harness::run_groups(&cases::all(), &|m, src| my_other_path(m, src));
//! report.assert_ok("other path");
//! ```
//!
//! One test runs the whole table and reports every failing case at once;
//! the per-group tests run each group on its own, for quicker reading.
//! `conformance_through_mir` runs the whole table a second time, with every
//! unit compiled through its printed MIR text.

mod backend_support;
#[path = "conformance/cases.rs"]
mod cases;
#[path = "conformance/harness.rs"]
mod harness;

use harness::{Report, compile_source, compile_through_mir, run_cases, run_groups};

fn group(name: &str) -> Report {
    let groups = cases::all();
    let g = groups.iter().find(|g| g.name == name).unwrap_or_else(|| panic!("no group {name}"));
    run_cases(&g.cases, &compile_source)
}

#[test]
fn conformance_all() {
    let groups = cases::all();
    let report = run_groups(&groups, &compile_source);
    report.assert_ok("conformance (compile_source)");
}

/// The whole table again through the MIR path: each unit's MIR text, as
/// the manager prints it, compiled with `compile_mir`, must give every
/// value and error the source path gives.
#[test]
fn conformance_through_mir() {
    let groups = cases::all();
    let report = run_groups(&groups, &compile_through_mir);
    report.assert_ok("conformance (source -> MIR text -> compile_mir)");
}

macro_rules! group_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                group($name).assert_ok(concat!("group ", $name));
            }
        )*
        /// Every group has a test of its own.
        #[test]
        fn every_group_has_a_test() {
            let named: &[&str] = &[$($name),*];
            for g in cases::all() {
                assert!(named.contains(&g.name), "group {} has no test", g.name);
            }
        }
    };
}

group_tests! {
    group_spec_examples => "spec_examples",
    group_lexical => "lexical",
    group_types => "types",
    group_inference => "inference",
    group_operators => "operators",
    group_integers => "integers",
    group_runtime_errors => "runtime_errors",
    group_builtins => "builtins",
    group_statements => "statements",
    group_globals => "globals",
    group_eval_values => "eval_values",
    group_calls => "calls",
    group_names => "names",
    group_redefinition => "redefinition",
    group_atomic_units => "atomic_units",
    group_text => "text",
}

/// The runner itself: deliberately wrong expectations must each fail, and
/// right ones pass, so a green suite means something.
#[test]
fn runner_reports_mismatches() {
    use harness::*;
    use rtjit::Value::{I64, Text, Void};
    let t = |s: &str| Text(s.to_string());
    let wrong = vec![
        case("wrong value", "1 + 1", vec![Eval(I64(3))]),
        case("wrong kind of value", "1 + 1", vec![Eval(rtjit::Value::F64(2.0))]),
        case("no compile error", "1 + 1", vec![compile_error(1, &[])]),
        case("compile error on another line", "x = 1\ny = zz\n", vec![compile_error(1, &[])]),
        case("compile error at another column", "y = 1 + zz\n", vec![compile_error_at(1, 8, &[])]),
        case("missing substring", "y = zz\n", vec![compile_error(1, &["nonsense"])]),
        case("forbidden substring", "y = zz\n", vec![compile_error(1, &["!zz"])]),
        case(
            "a line number is not a prefix of a longer one",
            "fn g(a, b):\n    return a / b\n",
            vec![RuntimeError("g", vec![I64(1), I64(0)], &["line 20"])],
        ),
        case("an unexpected compile error", "y = zz\n", vec![Call("y", vec![], Void)]),
        case("an unexpected failure of a later unit", "x = 1", vec![Unit("y = zz"), Global("x", I64(1))]),
        case("a runtime error expected but none", "fn f(): 1\n", vec![RuntimeError("f", vec![], &[])]),
        case("a wrong global", "x = 1", vec![Global("x", I64(2))]),
        case("a global that should not exist", "x = 1", vec![NoGlobal("x")]),
        case("a function that should not exist", "fn f(): 1", vec![NoFunction("f")]),
        case("a wrong execute result", "fn f(): 1", vec![Exec("f", vec![], 2)]),
        case("a wrong API error kind", "fn f(): 1", vec![CallError("f", vec![], ErrKind::NotFound)]),
        case("top-level code should have failed", "x = 1", vec![EvalRuntimeError(&[])]),
        case("a wrong text value", r#""abc""#, vec![Eval(t("abd"))]),
        case("a text cut at NUL is not the whole text", r#""a\0b""#, vec![Eval(t("a"))]),
        case("a text is not an i64", r#""1""#, vec![Eval(I64(1))]),
        case("a wrong text result of a call", "fn f(s: text): s + \"!\"", vec![Call("f", vec![t("a")], t("a"))]),
        case("a wrong text global", "s = \"x\"", vec![Global("s", t("y"))]),
        case(
            "a runtime error message that is only similar",
            "fn f(s: text): int(s)\n",
            vec![RuntimeErrorIs("f", vec![t("12x")], "invalid number \"12x\" in f at line 2")],
        ),
        case("a call that succeeds is no exact runtime error", "fn f(): 1\n", vec![RuntimeErrorIs("f", vec![], "")]),
        case("an exact top-level error that differs", "x = int(\"q\")\n", vec![EvalRuntimeErrorIs("invalid number")]),
        case("a wrong execute error kind", "fn f(s: text): s", vec![ExecError("f", vec![1], ErrKind::NotFound)]),
        case("an execute that succeeds", "fn f(x): x", vec![ExecError("f", vec![1], ErrKind::Signature)]),
        case("a wrong signature", "fn f(s: text): s", vec![Sig("f", "fn(text) -> i64")]),
        case("a signature of no function", "fn f(s: text): s", vec![Sig("g", "fn(text) -> text")]),
    ];
    let n = wrong.len();
    let report = run_cases(&wrong, &compile_source);
    assert_eq!(report.failed_cases, n, "every wrong case must fail:\n{}", report.failures.join("\n"));

    let right = vec![
        case("right value", "1 + 1", vec![Eval(I64(2)), Compiles]),
        case(
            "a line number followed by a non-digit",
            "fn g(a, b):\n    return a / b\n",
            vec![RuntimeError("g", vec![I64(1), I64(0)], &["line 2", "!line 20"])],
        ),
        case("dedented source", "\n    x = 1\n    y = 2\n    ", vec![Eval(I64(2))]),
        case("right text value", r#""a\0b""#, vec![Eval(t("a\0b"))]),
        case(
            "right exact runtime error",
            "fn f(s: text): int(s)\n",
            vec![RuntimeErrorIs("f", vec![t("12x")], "invalid number \"12x\" in f at line 1")],
        ),
        case(
            "right exact top-level error",
            "x = int(\"q\")\n",
            vec![EvalRuntimeErrorIs("invalid number \"q\" in top-level code at line 1")],
        ),
        case("right execute error kind", "fn f(s: text): s", vec![ExecError("f", vec![1], ErrKind::Signature)]),
        case("right signature", "fn f(s: text): s", vec![Sig("f", "fn(text) -> text")]),
    ];
    let report = run_cases(&right, &compile_source);
    assert_eq!(report.failed_cases, 0, "{}", report.failures.join("\n"));
}
