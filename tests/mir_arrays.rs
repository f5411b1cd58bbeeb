//! Arrays in MIR (docs/mir.md, "Arrays"): every data operation, copy on
//! write, the checked errors, managed elements and the memory limit, at
//! every optimisation level. The functions return scalars or `str` of an
//! array, so the expected values are plain Rust values.

mod backend_support;

use rtjit::{Error, Manager, Value};

/// `sum(n)`: builds [0, 1, ..., n-1] with apush and adds it up with aget;
/// `cow()`: a copy written to leaves the original as it was; `ops()`:
/// slice, repeat, concat, pop, take, equality, nesting, text elements.
const PROGRAM: &str = r#"mir 1
fn build(n: i64) -> [i64] {
    local a: [i64]
    local i: i64
    local c: bool
    a = anew 0
    i = copy 0
    jmp head
head:
    c = lt i, n
    br c, body, done
body:
    apush a, i
    i = add i, 1
    jmp head
done:
    ret a
}
fn sum(n: i64) -> i64 {
    local a: [i64]
    local i: i64
    local s: i64
    local x: i64
    local len: i64
    local c: bool
    a = call build(n)
    len = len a
    i = copy 0
    s = copy 0
    jmp head
head:
    c = lt i, len
    br c, body, done
body:
    x = aget a, i
    s = add s, x
    i = add i, 1
    jmp head
done:
    ret s
}
fn cow() -> text {
    local a: [f64]
    local b: [f64]
    local t: text
    local u: text
    a = anew 2
    apush a, 1.5
    apush a, 2.5
    b = copy a
    aset b, 0, 9.0
    t = str a
    u = str b
    t = add t, u
    ret t
}
fn ops() -> text {
    local a: [i64]
    local b: [i64]
    local c: [i64]
    local x: i64
    local e: bool
    local t: text
    local g: [[text]]
    local row: [text]
    local s: text
    a = call build(5)
    b = aslice a, 1, 4
    c = arepeat b, 2
    c = add c, a
    x = apop c
    apush c, x
    x = atake c, 0
    aset c, 0, 7
    e = eq b, b
    t = str c
    g = anew 1
    row = anew 2
    s = copy "a"
    apush row, s
    s = copy "b\"c"
    apush row, s
    apush g, row
    apush g, row
    row = atake g, 1
    s = copy "z"
    apush row, s
    aset g, 1, row
    s = str g
    t = add t, s
    ret t
}
fn at(n: i64, i: i64) -> i64 {
    local a: [i64]
    local x: i64
    a = call build(n)
    x = aget a, i
    ret x
}
fn pop_empty() -> i64 {
    local a: [i64]
    local x: i64
    x = apop a
    ret x
}
fn grow(n: i64) -> i64 {
    local a: [f64]
    local i: i64
    local c: bool
    i = copy 0
    jmp head
head:
    c = lt i, n
    br c, body, done
body:
    apush a, 0.5
    i = add i, 1
    jmp head
done:
    i = len a
    ret i
}
fn shout() -> void {
    local t: text
    t = copy "printed by MIR"
    print t
    ret
}
"#;

fn manager(level: u8) -> Manager {
    let m = Manager::new(backend_support::backend()).expect("a manager");
    m.set_opt_level(level).unwrap();
    m.compile_mir(PROGRAM.as_bytes(), "<mir>").unwrap_or_else(|e| panic!("{e:?}"));
    m
}

fn runtime_error(r: Result<Value, Error>) -> String {
    match r {
        Err(Error::Runtime(msg)) => msg,
        other => panic!("expected a runtime error, got {other:?}"),
    }
}

#[test]
fn every_data_operation_at_every_level() {
    for level in 0..=3 {
        let m = manager(level);
        let n = 10_000i64;
        assert_eq!(m.call("sum", &[Value::I64(n)]).unwrap(), Value::I64(n * (n - 1) / 2), "opt {level}");
        assert_eq!(m.call("sum", &[Value::I64(0)]).unwrap(), Value::I64(0));
        assert_eq!(m.call("cow", &[]).unwrap(), Value::Text("[1.5, 2.5][9.0, 2.5]".into()), "opt {level}");
        // b = [1, 2, 3]; c = b*2 + a = [1,2,3,1,2,3,0,1,2,3,4]; pop/push
        // keep it; take then set element 0 to 7.
        let want = r#"[7, 2, 3, 1, 2, 3, 0, 1, 2, 3, 4][["a", "b\"c"], ["a", "b\"c", "z"]]"#;
        assert_eq!(m.call("ops", &[]).unwrap(), Value::Text(want.into()), "opt {level}");
        assert_eq!(m.call("at", &[Value::I64(3), Value::I64(2)]).unwrap(), Value::I64(2));
        m.call("shout", &[]).unwrap();
    }
}

#[test]
fn bounds_and_empty_arrays_are_runtime_errors_and_the_manager_goes_on() {
    for level in [0, 3] {
        let m = manager(level);
        let msg = runtime_error(m.call("at", &[Value::I64(3), Value::I64(3)]));
        assert!(msg.starts_with("index out of range: 3 (length 3) in at at line"), "{msg}");
        let msg = runtime_error(m.call("at", &[Value::I64(3), Value::I64(-1)]));
        assert!(msg.starts_with("index out of range: -1 (length 3)"), "{msg}");
        let msg = runtime_error(m.call("at", &[Value::I64(0), Value::I64(0)]));
        assert!(msg.starts_with("index out of range: 0 (length 0)"), "{msg}");
        let msg = runtime_error(m.call("pop_empty", &[]));
        assert!(msg.starts_with("pop from empty array in pop_empty at line"), "{msg}");
        assert_eq!(m.call("sum", &[Value::I64(4)]).unwrap(), Value::I64(6));
    }
}

#[test]
fn array_memory_counts_against_the_limit_and_is_given_back() {
    let m = manager(2);
    m.set_memory_limit(1 << 20);
    let msg = runtime_error(m.call("grow", &[Value::I64(1 << 20)]));
    assert!(msg.starts_with("out of memory: limit of 1048576 bytes in grow at line"), "{msg}");
    // Everything the failed call held was freed: the next one fits again.
    for _ in 0..100 {
        assert_eq!(m.call("grow", &[Value::I64(60_000)]).unwrap(), Value::I64(60_000));
    }
}

#[test]
fn malformed_data_operations_are_compile_errors() {
    let m = Manager::new(backend_support::backend()).unwrap();
    let cases = [
        ("fn f() -> i64 {\n    local x: i64\n    x = aget x, 0\n    ret x\n}\n", "aget works on an array"),
        ("fn f() -> i64 {\n    local a: [i64]\n    local x: f64\n    x = aget a, 0\n    ret 0\n}\n", "aget result"),
        ("fn f() -> i64 {\n    local a: [i64]\n    apush a, 1.5\n    ret 0\n}\n", "a float cannot be a i64 constant"),
        ("fn f() -> i64 {\n    local a: [i64]\n    local x: i64\n    x = apush a, 1\n    ret 0\n}\n", "has no result"),
        ("fn f() -> i64 {\n    local a: [i64\n    ret 0\n}\n", "']' closing the array type"),
    ];
    for (body, want) in cases {
        let text = format!("mir 1\n{body}");
        match m.compile_mir(text.as_bytes(), "<mir>") {
            Err(Error::Compile(msg)) => assert!(msg.contains(want), "{want}: {msg}"),
            other => panic!("{want}: expected a compile error, got {other:?}"),
        }
    }
}

#[test]
fn arrays_cross_the_rust_api_and_live_in_globals_that_a_failed_unit_restores() {
    let m = manager(2);
    let a = m.call("build", &[Value::I64(4)]).unwrap();
    assert_eq!(a.to_string(), "[0, 1, 2, 3]");
    assert_eq!(a.type_name(), "[i64]");
    let total = "mir 1\nfn total(a: [i64]) -> i64 {\n    local x: i64\n    local n: i64\n    n = len a\n    x = aget a, 3\n    aset a, 3, 100\n    x = add x, n\n    ret x\n}\n";
    m.compile_mir(total.as_bytes(), "<mir>").unwrap();
    // The callee's write copies: the host's array is unchanged.
    assert_eq!(m.call("total", std::slice::from_ref(&a)).unwrap(), Value::I64(7));
    assert_eq!(a.to_string(), "[0, 1, 2, 3]");
    let msg = runtime_error(m.call("total", &[Value::I64(1)]).map_err(|e| match e {
        Error::Signature(s) => Error::Runtime(s),
        other => other,
    }));
    assert!(msg.contains("must be [i64]"), "{msg}");

    let global = "mir 1\nglobal var g: [i64]\ninit -> i64 {\n    local a: [i64]\n    a = call build(3)\n    gstore g, a\n    ret 0\n}\n";
    m.compile_mir(global.as_bytes(), "<mir>").unwrap();
    assert_eq!(m.global("g").unwrap().to_string(), "[0, 1, 2]");
    // A unit that replaces the global, then fails, is undone: the old array is back.
    let failing = "mir 1\ninit -> i64 {\n    local a: [i64]\n    local x: i64\n    a = call build(9)\n    gstore g, a\n    x = aget a, 9\n    ret x\n}\n";
    let msg = runtime_error(m.compile_mir(failing.as_bytes(), "<mir>"));
    assert!(msg.starts_with("index out of range: 9 (length 9)"), "{msg}");
    assert_eq!(m.global("g").unwrap().to_string(), "[0, 1, 2]");
}
