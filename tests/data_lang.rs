//! Arrays in the source language (language.md, "Data: arrays, records,
//! maps"): the section's examples and each construct's errors, at every
//! optimisation level and through the unit's printed MIR.

mod backend_support;

use rtjit::{Error, Manager, Value};

fn manager(level: u8) -> Manager {
    let m = Manager::new(backend_support::backend()).expect("a manager");
    m.set_opt_level(level).unwrap();
    m
}

/// Evaluates `src` (its last expression is the value) at every level,
/// directly and through the MIR it prints to, and returns the value's text.
fn eval_all(src: &str) -> String {
    let mut seen: Option<String> = None;
    for level in 0..=3 {
        let direct = manager(level).compile_source(src, "<source>").unwrap_or_else(|e| panic!("{src}\n{e:?}"));
        let mir = rtjit::mir_from_source(src).unwrap_or_else(|e| panic!("{src}\n{e:?}"));
        let via_mir = manager(level).compile_mir(mir.as_bytes(), "<mir>").unwrap_or_else(|e| panic!("{mir}\n{e:?}"));
        let (a, b) = (shown(&direct), shown(&via_mir));
        assert_eq!(a, b, "source and MIR differ at opt {level}:\n{src}");
        if let Some(s) = &seen {
            assert_eq!(&a, s, "opt {level} differs:\n{src}");
        }
        seen = Some(a);
    }
    seen.unwrap()
}

/// A text as it is, any other value as `str` writes it.
fn shown(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => other.to_string(),
    }
}

fn runtime_error(src: &str) -> String {
    match manager(2).compile_source(src, "<source>") {
        Err(Error::Runtime(m)) => m,
        other => panic!("expected a runtime error, got {other:?}\n{src}"),
    }
}

fn compile_error(src: &str) -> String {
    match manager(0).compile_source(src, "<source>") {
        Err(Error::Compile(m)) => m,
        other => panic!("expected a compile error, got {other:?}\n{src}"),
    }
}

#[test]
fn the_sections_array_examples() {
    let cases = [
        ("val xs = [1, 2, 3]\nxs\n", "[1, 2, 3]"),
        ("val xs = [1, 2, 3]\nxs[0]\n", "1"),
        ("var ys: [f64] = []\nys.push(2.5)\nys\n", "[2.5]"),
        ("var ys: [f64] = [1.0]\nys.push(2.5)\nys.pop()\n", "2.5"),
        ("val xs = [1, 2, 3]\nlen(xs)\n", "3"),
        ("val xs = [1, 2, 3]\nxs + [4]\n", "[1, 2, 3, 4]"),
        ("val xs = [1, 2, 3]\nxs[1..3]\n", "[2, 3]"),
        ("val xs = [1, 2, 3]\nxs[0..=1]\n", "[1, 2]"),
        ("[0.0] * 4\n", "[0.0, 0.0, 0.0, 0.0]"),
        ("val xs = [1, 2, 3]\nxs == [1, 2, 3]\n", "true"),
        ("val xs = [1, 2, 3]\nxs != [1, 2]\n", "true"),
        ("var s = 0\nfor x in [1, 2, 3]:\n    s += x\ns\n", "6"),
        ("[1, 2.5]\n", "[1.0, 2.5]"),
        ("str([\"a\", \"b\"])\n", "[\"a\", \"b\"]"),
        ("[[1], [2, 3]]\n", "[[1], [2, 3]]"),
        ("[true, false] == [true, false]\n", "true"),
    ];
    for (src, want) in cases {
        assert_eq!(eval_all(src), want, "{src}");
    }
}

#[test]
fn value_semantics_and_element_assignment() {
    let cases = [
        // A copy is written, the original is not.
        ("var a = [1, 2]\nvar b = a\nb[0] = 9\nstr(a) + str(b)\n", "[1, 2][9, 2]"),
        ("var a = [1, 2]\na[1] += 5\na\n", "[1, 7]"),
        // A function's parameter is its own copy.
        ("fn f(xs: [i64]) -> i64:\n    xs[0] = 100\n    return xs[0]\nvar a = [1]\nf(a) + a[0]\n", "101"),
        // A loop sees the array as it was when it began.
        ("var a = [1, 2, 3]\nfor x in a:\n    a.push(x)\nlen(a)\n", "6"),
        // Globals: changed in place from a function, read back.
        ("var g = [0, 0]\nfn bump(i):\n    g[i] += 1\n    return 0\nbump(1)\nbump(1)\ng.push(7)\ng\n", "[0, 2, 7]"),
        (
            "fn build(n) -> [i64]:\n    var a: [i64] = []\n    for i in 0..n:\n        a.push(i * i)\n    return a\nbuild(5)\n",
            "[0, 1, 4, 9, 16]",
        ),
        (
            "fn total(xs: [f64]) -> f64:\n    var s = 0.0\n    for x in xs:\n        s += x\n    return s\ntotal([1.5, 2.5])\n",
            "4.0",
        ),
    ];
    for (src, want) in cases {
        assert_eq!(eval_all(src), want, "{src}");
    }
}

#[test]
fn runtime_errors_name_the_function_and_line() {
    let e = runtime_error("val xs = [1, 2, 3]\nxs[3]\n");
    assert_eq!(e, "index out of range: 3 (length 3) in top-level code at line 2");
    let e = runtime_error("fn f():\n    var xs: [i64] = []\n    return xs.pop()\nf()\n");
    assert_eq!(e, "pop from empty array in f at line 3");
    let e = runtime_error("val xs = [1, 2, 3]\nxs[2..5]\n");
    assert!(e.starts_with("index out of range: 5 (length 3)"), "{e}");
}

#[test]
fn compile_errors_say_what_is_wrong() {
    let cases = [
        ("val xs = []\n", "needs a declared type"),
        ("val xs = [1, 2]\nxs.push(3)\n", "immutable"),
        ("val xs = [1, 2]\nxs[0] = 3\n", "immutable"),
        ("var xs = [1, 2]\nxs.push(\"a\")\n", "must be i64"),
        ("val x = 1\nx[0]\n", "needs an array, found i64"),
        ("[1, \"a\"]\n", "one type"),
        ("[1] < [2]\n", "orders numbers or texts"),
        ("var xs = [1]\nxs.shove(1)\n", "unknown method"),
        ("val xs: [i64 = [1]\n", "']'"),
    ];
    for (src, want) in cases {
        let e = compile_error(src);
        assert!(e.contains(want), "{src}: {e}");
    }
}

#[test]
fn an_array_the_host_keeps_outlives_its_manager() {
    let m = manager(2);
    let kept = m.compile_source("val xs = [\"a\", \"b\"] * 3\n[xs, xs[0..2]]\n", "<source>").unwrap();
    let limited = manager(2);
    limited.set_memory_limit(1 << 16);
    let small =
        limited.compile_source("var a: [f64] = []\nfor i in 0..100:\n    a.push(1.0)\na\n", "<source>").unwrap();
    drop(m);
    drop(limited);
    // Both managers are gone; the values still read and free correctly.
    assert_eq!(kept.to_string(), r#"[["a", "b", "a", "b", "a", "b"], ["a", "b"]]"#);
    let Value::Array(a) = &small else { panic!("{small:?}") };
    assert_eq!(a.len(), 100);
}

#[test]
fn threads_reading_and_writing_one_global_array_never_see_a_torn_value() {
    let m = std::sync::Arc::new(manager(2));
    m.compile_source(
        "var g = [0, 0, 0, 0]\n\
         fn bump(i):\n    g[i % 4] += 1\n    g.push(i)\n    if len(g) > 64:\n        g = g[0..4]\n    return 0\n\
         fn check() -> i64:\n    val snapshot = g\n    var s = 0\n    for x in snapshot:\n        s += x\n    \
         return len(snapshot) * 1000000000 + s\n",
        "<source>",
    )
    .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..20_000 {
                    if t % 2 == 0 {
                        m.call("bump", &[Value::I64(i)]).unwrap();
                    } else {
                        let Value::I64(v) = m.call("check", &[]).unwrap() else { panic!("not an i64") };
                        // A whole array every time: 4 to 64 elements, plus
                        // one push from each of the two writers racing
                        // (a lost update is allowed, a torn array is not;
                        // a lost truncation lets it grow further, at most
                        // by every push there is). The sum stays far below
                        // the 10^9 the length is scaled by (10^6 was not
                        // enough: 66 pushes of indexes up to 20,000 pass it).
                        let (n, sum) = (v / 1_000_000_000, v % 1_000_000_000);
                        assert!((4..=4 + 2 * 20_000).contains(&n) && sum >= 0, "{v}");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let Value::Array(g) = m.global("g").unwrap() else { panic!("not an array") };
    assert!(g.len() >= 4);
}
