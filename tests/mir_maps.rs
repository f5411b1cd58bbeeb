//! Maps in MIR (docs/mir.md, "Maps"): `{text: V}` and `{i64: V}` types,
//! anew/aget/aset/atake/aput/mhas/mdel/mkeys/mvalues/len/eq/str, insertion
//! order, copy on write, `key not found`, at every level and through the
//! printed text.

mod backend_support;

use rtjit::{Manager, Value};

const PROGRAM: &str = r#"mir 1
fn ages() -> {text: i64} {
    local m: {text: i64}
    local k: text
    m = anew 4
    k = copy "ann"
    aset m, k, 31
    k = copy "bob"
    aset m, k, 27
    k = copy "cy"
    aset m, k, 5
    k = copy "ann"
    aset m, k, 32
    ret m
}
fn ops() -> text {
    local m: {text: i64}
    local n: {text: i64}
    local k: text
    local t: text
    local u: text
    local b: bool
    local x: i64
    local keys: [text]
    local vals: [i64]
    m = call ages()
    n = copy m
    k = copy "bob"
    mdel n, k
    b = mhas n, k
    t = str b
    b = mhas m, k
    u = str b
    t = add t, u
    aset n, k, 1
    u = str n
    t = add t, u
    u = str m
    t = add t, u
    keys = mkeys n
    u = str keys
    t = add t, u
    vals = mvalues m
    u = str vals
    t = add t, u
    x = len m
    u = str x
    t = add t, u
    b = eq m, n
    u = str b
    t = add t, u
    ret t
}
fn squares(n: i64) -> {i64: [i64]} {
    local m: {i64: [i64]}
    local row: [i64]
    local i: i64
    local c: bool
    local sq: i64
    m = anew 0
    i = copy 0
    jmp head
head:
    c = lt i, n
    br c, body, done
body:
    row = anew 1
    sq = mul i, i
    apush row, sq
    aset m, i, row
    i = add i, 1
    jmp head
done:
    row = atake m, 2
    apush row, 99
    aput m, 2, row
    ret m
}
fn missing() -> i64 {
    local m: {text: i64}
    local k: text
    local x: i64
    m = call ages()
    k = copy "zed"
    x = aget m, k
    ret x
}
"#;

fn check(m: &Manager, label: &str) {
    assert_eq!(m.call("ages", &[]).unwrap().to_string(), r#"{"ann": 32, "bob": 27, "cy": 5}"#, "{label}");
    assert_eq!(
        m.call("ops", &[]).unwrap(),
        Value::Text(
            r#"falsetrue{"ann": 32, "cy": 5, "bob": 1}{"ann": 32, "bob": 27, "cy": 5}["ann", "cy", "bob"][32, 27, 5]3false"#
                .into()
        ),
        "{label}"
    );
    assert_eq!(
        m.call("squares", &[Value::I64(4)]).unwrap().to_string(),
        "{0: [0], 1: [1], 2: [4, 99], 3: [9]}",
        "{label}"
    );
    let e = m.call("missing", &[]).unwrap_err().to_string();
    assert_eq!(e, r#"key not found: "zed" in missing at line 85"#, "{label}");
}

#[test]
fn maps_at_every_level_and_through_printed_mir() {
    for level in 0..=3 {
        let m = Manager::new(backend_support::backend()).unwrap();
        m.set_opt_level(level).unwrap();
        m.compile_mir(PROGRAM.as_bytes(), "<maps>").unwrap();
        check(&m, &format!("opt {level}"));
        let (module, _) = rtjit::parse_mir(PROGRAM).unwrap();
        let printed = rtjit::print_mir(&module);
        let again = Manager::new(backend_support::backend()).unwrap();
        again.set_opt_level(level).unwrap();
        again.compile_mir(printed.as_bytes(), "<printed>").unwrap_or_else(|e| panic!("{e}\n{printed}"));
        check(&again, &format!("printed, opt {level}"));
    }
}

#[test]
fn map_keys_are_text_or_i64() {
    let m = Manager::new(backend_support::backend()).unwrap();
    let e = m.compile_mir(b"mir 1\nfn f(m: {f64: i64}) -> i64 {\n    ret 0\n}\n", "<bad>").unwrap_err();
    assert!(e.to_string().contains("a map's keys are text or i64, not `f64`"), "{e}");
}
