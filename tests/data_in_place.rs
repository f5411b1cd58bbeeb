//! The cases the in-place optimisations must get right (copy-on-write
//! checks moved before loops, array lengths read once per loop, element
//! pointers kept within a block: `mir::storage`, `mir::opt::loop_storage`,
//! `backend::cranelift::elements`). Each program has an answer that a
//! write through a stale pointer, a skipped copy or a stale length would
//! change; each runs at every level and through its printed MIR.

mod backend_support;
mod data_support;

use data_support::{everywhere, text};
use rtjit::Value;

const PROGRAMS: &str = r##"struct P:
    x: i64
    y: i64

fn aliased(i, j) -> i64:
    var ps = [P(x: 1, y: 1), P(x: 2, y: 2)]
    ps[i].x = 10
    ps[j].x += 5
    ps[i].y = ps[j].x
    return ps[0].x * 100 + ps[0].y

fn kept(n) -> i64:
    var ps = [P(x: 1, y: 1), P(x: 2, y: 2)]
    val first = ps[0]
    for k in 0..n:
        ps[0].x += 1
    return first.x * 1000 + ps[0].x

fn copied_in_loop(n) -> i64:
    var a = [0, 0, 0]
    var b = a
    for k in 0..n:
        a[k % 3] += 1
        if k == 1:
            b = a
    return a[0] * 100 + b[0] * 10 + b[1]

fn pushed_in_loop(n) -> i64:
    var a = [1]
    var t = 0
    for k in 0..n:
        t += a[len(a) - 1]
        a.push(k)
    return t * 100 + len(a)

fn shared_elements(n) -> i64:
    var rows = [[1, 2], [3, 4]]
    val saved = rows[1]
    for k in 0..n:
        rows[1][0] += 1
    return saved[0] * 100 + rows[1][0]

fn counts() -> text:
    val ws = ["a", "b", "a", "c", "a", "b"]
    var m: {text: i64} = {}
    for w in ws:
        if w in m:
            m[w] += 1
        else:
            m[w] = 1
    return str(m)

fn two_keys(a: text, b: text) -> text:
    var m = {"x": 1, "y": 2}
    m[a] = m[b] + 10
    m[b] += 100
    return str(m)

fn kept_map(k: text) -> text:
    var m = {"x": 1}
    val before = m
    m[k] += 5
    return str(before) + str(m)

fn out_of_range(n) -> i64:
    var a = [0, 0]
    for k in 0..n:
        a[k] = k
    return a[1]

fn tested_then_read(k: text) -> i64:
    var m = {"x": 1}
    m["y"] = 2
    if k in m:
        m[k] += 10
        return m[k]
    return m[k]

fn tested_then_set(k: text) -> text:
    var m = {"x": 1}
    m["y"] = 2
    val had = k in m
    m[k] = 7
    m[k] += 1
    if had:
        return "had " + str(m)
    return "new " + str(m)

fn tested_then_changed(k: text, other: text) -> text:
    var m = {"x": 1, "y": 2}
    m["z"] = 3
    if k in m:
        m.remove(other)
        m[k] += 100
    return str(m)

fn tested_then_shared(k: text) -> text:
    var m = {"x": 1}
    m["y"] = 2
    var saved: {text: i64} = {}
    if k in m:
        saved = m
        m[k] += 100
    return str(saved) + str(m)

fn guarded_elements(n) -> i64:
    var a = [3, 0, 5]
    a[1] = 1
    for k in 0..n:
        if a[k % 3] > 0:
            a[k % 3] -= 1
        else:
            a[k % 3] = 10
    return a[0] * 10000 + a[1] * 100 + a[2]

fn fresh_arrays(n) -> text:
    val xs = [1, 2, 3, 4]
    var s = xs[1..3]
    s[0] = 20
    var r = [0] * n
    for k in 0..n:
        r[k] = k * k
    var e = [7] * 0
    e.push(8)
    var g = [[0]] * 3
    g[1][0] = 5
    val m = {"a": 1, "b": 2}
    var ks = m.keys()
    ks[0] = "z"
    return str(xs) + str(s) + str(r) + str(e) + str(g) + str(ks) + str(m) + str(["t", "u"] * 2)

fn moved(n) -> i64:
    var a = [1, 2, 3]
    val keep = a
    var b = a
    b = [5] * n
    for k in 0..n:
        b[k] += k
    return keep[0] * 1000 + a[0] * 100 + b[n - 1]

fn float_over_releases(n) -> f64:
    var ys = [0.5] * n
    var names = ["a", "b"]
    var s = 0.0
    for y in ys:
        s += y
        names.push("c")
    return s + float(len(names))

gi = 0
fn bump() -> i64:
    gi += 1
    return 100

fn global_index() -> i64:
    var a = [0, 0, 0]
    gi = 1
    a[gi] += bump()
    return a[0] * 10000 + a[1] * 100 + a[2] + gi * 1000000
"##;

#[test]
fn in_place_writes_keep_value_semantics() {
    everywhere(PROGRAMS, |m, label| {
        let call = |f: &str, args: &[Value]| m.call(f, args).unwrap_or_else(|e| panic!("{label}: {f}: {e}"));
        // i == j: the second write sees the first.
        assert_eq!(call("aliased", &[Value::I64(0), Value::I64(0)]), Value::I64(15 * 100 + 15), "{label}");
        assert_eq!(call("aliased", &[Value::I64(0), Value::I64(1)]), Value::I64(10 * 100 + 7), "{label}");
        // A record read out before the loop keeps its value.
        assert_eq!(call("kept", &[Value::I64(4)]), Value::I64(1000 + 5), "{label}");
        assert_eq!(call("kept", &[Value::I64(0)]), Value::I64(1000 + 1), "{label}");
        // `b = a` inside the loop shares the storage again: the next
        // write must copy.
        assert_eq!(call("copied_in_loop", &[Value::I64(4)]), Value::I64(2 * 100 + 10 + 1), "{label}");
        // A loop that pushes reads the length it has now (1, then 0, 1).
        assert_eq!(call("pushed_in_loop", &[Value::I64(3)]), Value::I64(2 * 100 + 4), "{label}");
        assert_eq!(call("shared_elements", &[Value::I64(2)]), Value::I64(3 * 100 + 5), "{label}");
        assert_eq!(call("out_of_range", &[Value::I64(2)]), Value::I64(1), "{label}");
        // One lookup for `m[k] += v`: the same entry, other keys, inserts.
        assert_eq!(call("counts", &[]), text(r#"{"a": 3, "b": 2, "c": 1}"#), "{label}");
        assert_eq!(call("two_keys", &[text("x"), text("x")]), text(r#"{"x": 111, "y": 2}"#), "{label}");
        assert_eq!(call("two_keys", &[text("x"), text("y")]), text(r#"{"x": 12, "y": 102}"#), "{label}");
        assert_eq!(call("two_keys", &[text("z"), text("y")]), text(r#"{"x": 1, "y": 102, "z": 12}"#), "{label}");
        assert_eq!(call("kept_map", &[text("x")]), text(r#"{"x": 1}{"x": 6}"#), "{label}");
        let e = m.call("kept_map", &[text("q")]).unwrap_err().to_string();
        assert!(e.contains("key not found"), "{label}: {e}");
        // A `k in m` that found the key lends its entry to the `m[k]` it
        // guards; one that did not leaves `m[k]` to report the missing key,
        // and an assignment to insert it.
        assert_eq!(call("tested_then_read", &[text("y")]), Value::I64(12), "{label}");
        let e = m.call("tested_then_read", &[text("q")]).unwrap_err().to_string();
        assert!(e.contains(r#"key not found: "q" in tested_then_read at line 77"#), "{label}: {e}");
        assert_eq!(call("tested_then_set", &[text("x")]), text(r#"had {"x": 8, "y": 2}"#), "{label}");
        assert_eq!(call("tested_then_set", &[text("q")]), text(r#"new {"x": 1, "y": 2, "q": 8}"#), "{label}");
        // A removal or a sharing between the test and the write.
        assert_eq!(call("tested_then_changed", &[text("z"), text("x")]), text(r#"{"y": 2, "z": 103}"#), "{label}");
        let e = m.call("tested_then_changed", &[text("x"), text("x")]).unwrap_err().to_string();
        assert!(e.contains("key not found"), "{label}: {e}");
        assert_eq!(call("tested_then_shared", &[text("y")]), text(r#"{"x": 1, "y": 2}{"x": 1, "y": 102}"#), "{label}");
        // Elements a test read, written in the branch it guards: k = 0..6
        // takes a[0] 3 -> 2 -> 1, a[1] 1 -> 0 -> 10, a[2] 5 -> 4 -> 3.
        assert_eq!(call("guarded_elements", &[Value::I64(6)]), Value::I64(10000 + 1000 + 3), "{label}");
        // `[x] * n`, a slice and a map's keys are new arrays: written in
        // place, their sources keep their values.
        assert_eq!(
            call("fresh_arrays", &[Value::I64(3)]),
            text(r#"[1, 2, 3, 4][20, 3][0, 1, 4][8][[0], [5], [0]]["z", "b"]{"a": 1, "b": 2}["t", "u", "t", "u"]"#),
            "{label}"
        );
        assert_eq!(call("moved", &[Value::I64(4)]), Value::I64(1000 + 100 + 8), "{label}");
        // A float result kept over the releases at the function's exit.
        assert_eq!(call("float_over_releases", &[Value::I64(5)]), Value::F64(2.5 + 7.0), "{label}");
        // A global index is read once, before the value changes it.
        assert_eq!(call("global_index", &[]), Value::I64(2_000_000 + 100 * 100), "{label}");
        let e = m.call("out_of_range", &[Value::I64(3)]).unwrap_err().to_string();
        assert!(e.contains("index out of range") && e.contains("2 (length 2)"), "{label}: {e}");
    });
}

/// Loop variables that borrow their element from the array the loop walks
/// (`mir::opt::borrow`), and the ones that must not: each answer changes
/// if a borrowed element is freed early or released twice, and the
/// texts are made at run time, so they are freed when their last
/// reference goes.
const LOOP_VARIABLES: &str = r##"fn words(n) -> [text]:
    var ws: [text] = []
    for i in 0..n:
        ws.push("w" + str(i % 3))
    return ws

fn last_word(n) -> text:
    var last = ""
    for w in words(n):
        last = w
    return last + last

fn found(n) -> text:
    for w in words(n):
        if w == "w1":
            return w
    return "none"

fn counted(n) -> text:
    var m: {text: i64} = {}
    for w in words(n):
        if w in m:
            m[w] += 1
        else:
            m[w] = 1
    return str(m) + str(m.keys())

fn pushed_while_walked(n) -> text:
    var ws = words(n)
    var out = ""
    for w in ws:
        ws.push(w + "!")
        out = out + w
    return out + str(len(ws)) + ws[len(ws) - 1]

fn replaced_after(n) -> text:
    var ws = words(n)
    var seen = ""
    for w in ws:
        seen = seen + w
    ws = ["x"]
    return seen + ws[0]

fn rows(n) -> i64:
    var rs: [[i64]] = []
    for i in 0..n:
        rs.push([i] * (i + 1))
    var t = 0
    for r in rs:
        for x in r:
            t += x
        rs[0] = [100]
    return t * 1000 + rs[0][0]
"##;

#[test]
fn loop_variables_borrow_only_what_stays_alive() {
    everywhere(LOOP_VARIABLES, |m, label| {
        let call = |f: &str, args: &[Value]| m.call(f, args).unwrap_or_else(|e| panic!("{label}: {f}: {e}"));
        assert_eq!(call("last_word", &[Value::I64(5)]), text("w1w1"), "{label}");
        assert_eq!(call("last_word", &[Value::I64(0)]), text(""), "{label}");
        assert_eq!(call("found", &[Value::I64(4)]), text("w1"), "{label}");
        assert_eq!(call("found", &[Value::I64(1)]), text("none"), "{label}");
        assert_eq!(
            call("counted", &[Value::I64(7)]),
            text(r#"{"w0": 3, "w1": 2, "w2": 2}["w0", "w1", "w2"]"#),
            "{label}"
        );
        // The loop walks the array as it was when the loop began.
        assert_eq!(call("pushed_while_walked", &[Value::I64(3)]), text("w0w1w26w2!"), "{label}");
        assert_eq!(call("replaced_after", &[Value::I64(2)]), text("w0w1x"), "{label}");
        // 0 + 1*2 + 2*3 + 3*4; the outer array is written in its loop.
        assert_eq!(call("rows", &[Value::I64(4)]), Value::I64(20 * 1000 + 100), "{label}");
    });
}
