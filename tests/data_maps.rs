//! Maps in the source language (language.md, "Data: arrays, records,
//! maps"): `{text: T}` and `{i64: T}`, literals, get and set, `in`,
//! `remove`, `keys`, `values`, `for k in m`, insertion order, value
//! semantics, nesting with arrays and records, `str`, `==` and the
//! `key not found` error, at every opt level and through printed MIR.

mod backend_support;
mod data_support;

use data_support::{everywhere, manager, text};
use rtjit::Value;

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

#[test]
fn a_rolled_back_unit_restores_map_globals_and_a_map_past_the_limit_is_an_error() {
    let m = manager(2);
    m.compile_source("var seen = {\"a\": 1}\nvar ids: {i64: text} = {}\n", "<a>").unwrap();
    let e = m.compile_source("seen[\"b\"] = 2\nseen.remove(\"a\")\nids[3] = \"x\"\nboom = 1 / 0\n", "<b>").unwrap_err();
    assert!(e.to_string().contains("division by zero"), "{e}");
    assert_eq!(m.global("seen").unwrap().to_string(), r#"{"a": 1}"#);
    assert_eq!(m.global("ids").unwrap().to_string(), "{}");
    // A map that grows past the memory limit stops the call, and the
    // manager goes on.
    m.set_memory_limit(1 << 20);
    m.compile_source(
        "fn grow(n):\n    var m: {i64: i64} = {}\n    for i in 0..n:\n        m[i] = i\n    return len(m)\n",
        "<c>",
    )
    .unwrap();
    let e = m.call("grow", &[Value::I64(10_000_000)]).unwrap_err().to_string();
    assert!(e.starts_with("out of memory: limit of 1048576 bytes in grow at line 4"), "{e}");
    assert_eq!(m.call("grow", &[Value::I64(1000)]).unwrap(), Value::I64(1000));
}

#[test]
fn threads_read_and_write_one_map_global_and_see_it_whole() {
    let m = std::sync::Arc::new(manager(2));
    m.compile_source(
        "var m: {text: i64} = {}\nfn bump(k: text):\n    if k in m:\n        m[k] += 1\n    else:\n        m[k] = 1\nfn total() -> i64:\n    val seen = m\n    var t = 0\n    for k in seen:\n        t += seen[k]\n    return t\n",
        "<t>",
    )
    .unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let m = std::sync::Arc::clone(&m);
            std::thread::spawn(move || {
                for i in 0..500 {
                    m.call("bump", &[Value::Text(format!("k{}", (i + t) % 7))]).unwrap();
                    let Value::I64(total) = m.call("total", &[]).unwrap() else { panic!("total is not an i64") };
                    assert!(total >= 1);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    // Writes from different threads may replace each other (no lock in the
    // language), but every value read is a whole map. (`total` reads the
    // global once: a second read may see a map from which another thread's
    // write dropped a key the first one had.)
    let Value::I64(total) = m.call("total", &[]).unwrap() else { panic!() };
    assert!((1..=2000).contains(&total), "{total}");
}
