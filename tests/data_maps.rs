//! Maps in the source language (language.md, "Data: arrays, records,
//! maps"): `{text: T}` and `{i64: T}`, literals, get and set, `in`,
//! `remove`, `keys`, `values`, `for k in m`, insertion order, value
//! semantics, nesting with arrays and records, `str`, `==` and the
//! `key not found` error, at every opt level and through printed MIR.

use rtjit::{Backend, Manager, Value};

fn manager(level: u8) -> Manager {
    let m = Manager::new(Backend::Cranelift).expect("a manager");
    m.set_opt_level(level).unwrap();
    m
}

fn everywhere(source: &str, check: impl Fn(&Manager, &str)) {
    for level in 0..=3 {
        let m = manager(level);
        m.compile_source(source, "<test>").unwrap_or_else(|e| panic!("opt {level}: {e}"));
        check(&m, &format!("opt {level}"));
        let mir = rtjit::mir_from_source(source).unwrap();
        let again = manager(level);
        again.compile_mir(mir.as_bytes(), "<mir>").unwrap_or_else(|e| panic!("{e}\n{mir}"));
        check(&again, &format!("MIR, opt {level}"));
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

const AGES: &str = r#"
fn ages() -> text:
    var ages = {"ann": 31}
    ages["bob"] = 27
    ages["cy"] = 5
    ages["ann"] += 1
    val before = ages
    ages.remove("bob")
    ages["bob"] = 28
    var out = str(ages["ann"]) + " " + str("bob" in ages) + str("zed" in ages) + " " + str(len(ages))
    for k in ages:
        out += " " + k
    return out + " " + str(ages.keys()) + str(ages.values()) + " " + str(before) + " " + str(ages)

fn squares(n) -> {i64: [i64]}:
    var m: {i64: [i64]} = {}
    for i in 0..n:
        m[i] = [i * i]
    m[2].push(99)
    return m

struct Player:
    name: text
    scores: {text: i64}

fn players() -> text:
    var ps = [Player(name: "ann", scores: {}), Player(name: "bob", scores: {"x": 1})]
    ps[0].scores["level1"] = 10
    ps[1].scores["x"] += 4
    ps[1].scores.remove("nope")
    return str(ps)

fn same() -> text:
    val a = {"x": 1, "y": 2}
    val b = {"y": 2, "x": 1}
    return str(a == b) + str(a != {"x": 1})

fn missing(k: text) -> i64:
    val m = {"ann": 1}
    return m[k]

counts = {"start": 0}
fn count(w: text):
    if w in counts:
        counts[w] += 1
    else:
        counts[w] = 1
"#;

#[test]
fn maps_keep_insertion_order_and_are_values() {
    everywhere(AGES, |m, label| {
        let call = |f: &str, args: &[Value]| m.call(f, args).unwrap_or_else(|e| panic!("{label}: {f}: {e}"));
        assert_eq!(
            call("ages", &[]),
            text(
                r#"32 truefalse 3 ann cy bob ["ann", "cy", "bob"][32, 5, 28] {"ann": 32, "bob": 27, "cy": 5} {"ann": 32, "cy": 5, "bob": 28}"#
            ),
            "{label}"
        );
        assert_eq!(call("squares", &[Value::I64(4)]).to_string(), "{0: [0], 1: [1], 2: [4, 99], 3: [9]}", "{label}");
        assert_eq!(
            call("players", &[]),
            text(r#"[Player(name: "ann", scores: {"level1": 10}), Player(name: "bob", scores: {"x": 5})]"#),
            "{label}"
        );
        assert_eq!(call("same", &[]), text("truetrue"), "{label}");
        let e = m.call("missing", &[text("zed")]).unwrap_err().to_string();
        assert_eq!(e, r#"key not found: "zed" in missing at line 40"#, "{label}");
        for w in ["a", "b", "a"] {
            call("count", &[text(w)]);
        }
        assert_eq!(m.global("counts").unwrap().to_string(), r#"{"start": 0, "a": 2, "b": 1}"#, "{label}");
    });
}

#[test]
fn map_mistakes_are_compile_errors() {
    let m = manager(2);
    let error = |src: &str| m.compile_source(src, "<t>").unwrap_err().to_string();
    assert!(error("val m = {}\n").contains("needs a declared type"));
    assert!(error("val m = {1.5: 2}\n").contains("keys are text or i64"));
    assert!(error("val m = {\"a\": 1, 2: 3}\n").contains("keys must have one type"));
    assert!(error("val m = {\"a\": 1}\nval x = m[1]\n").contains("a map key"));
    assert!(error("val m = {\"a\": 1}\nm[\"b\"] = 2\n").contains("immutable"));
    assert!(error("val b = 1 in 2\n").contains("`in` needs a map"));
    assert!(error("fn f(m: {f64: i64}): 1\n").contains("keys are text or i64"));
}
