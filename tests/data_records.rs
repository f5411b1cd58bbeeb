//! Records in the source language (language.md, "Data: arrays, records,
//! maps"): `struct`, construction by field name, field reads and
//! assignment (also nested and through arrays), value semantics, `str`,
//! `==`, a record holding an array of itself, records across units and
//! the redefinition rule, at every opt level and through printed MIR.

mod backend_support;
mod data_support;

use data_support::{everywhere, manager, text};
use rtjit::Value;

const POINTS: &str = r#"
struct Point:
    x: f64
    y: f64

struct Line:
    a: Point
    b: Point
    name: text

fn length2(l: Line) -> f64:
    val dx = l.b.x - l.a.x
    val dy = l.b.y - l.a.y
    return dx * dx + dy * dy

fn moved() -> text:
    val p = Point(x: 1.0, y: 2.0)
    var q = p
    q.x = 3.0
    q.y += 0.5
    return str(p) + " " + str(q)

fn nested() -> text:
    var l = Line(name: "l", a: Point(x: 0.0, y: 0.0), b: Point(y: 4, x: 3.0))
    val before = l
    l.b.x += 10.0
    l.a = Point(x: -1.0, y: -1.0)
    return str(before) + " " + str(l) + " " + str(length2(before))

fn in_arrays(n) -> text:
    var ps: [Point] = []
    for i in 0..n:
        ps.push(Point(x: i, y: 0.0))
    for i in 0..n:
        ps[i].y = ps[i].x * 2.0
        ps[i].x += 1.0
    var total = 0.0
    for p in ps:
        total += p.x + p.y
    return str(total) + " " + str(ps[n - 1])

fn same() -> text:
    val a = Point(x: 1.0, y: 2.0)
    val b = Point(x: 1.0, y: 2.0)
    val c = Point(x: 1.0, y: 2.5)
    return str(a == b) + str(a != c) + str(a == c)

origin = Point(x: 0.0, y: 0.0)
fn shift(dx: f64):
    origin.x += dx
"#;

#[test]
fn records_read_write_nest_and_compare() {
    everywhere(POINTS, |m, label| {
        let call = |f: &str, args: &[Value]| m.call(f, args).unwrap_or_else(|e| panic!("{label}: {f}: {e}"));
        assert_eq!(call("moved", &[]), text("Point(x: 1.0, y: 2.0) Point(x: 3.0, y: 2.5)"), "{label}");
        assert_eq!(
            call("nested", &[]),
            text(
                r#"Line(a: Point(x: 0.0, y: 0.0), b: Point(x: 3.0, y: 4.0), name: "l") Line(a: Point(x: -1.0, y: -1.0), b: Point(x: 13.0, y: 4.0), name: "l") 25.0"#
            ),
            "{label}"
        );
        assert_eq!(call("in_arrays", &[Value::I64(4)]), text("22.0 Point(x: 4.0, y: 6.0)"), "{label}");
        assert_eq!(call("same", &[]), text("truetruefalse"), "{label}");
        call("shift", &[Value::F64(2.5)]);
        call("shift", &[Value::F64(1.0)]);
        assert_eq!(m.global("origin").unwrap().to_string(), "Point(x: 3.5, y: 0.0)", "{label}");
    });
}

const TREE: &str = r#"
struct Node:
    value: i64
    children: [Node]

fn leaf(v) -> Node: Node(value: v, children: [])

fn tree() -> Node:
    var root = Node(value: 1, children: [leaf(2), leaf(3)])
    root.children[1].children.push(leaf(4))
    root.children[0].value = 20
    return root

fn sum(n: Node) -> i64:
    var s = n.value
    for c in n.children:
        s += sum(c)
    return s
"#;

#[test]
fn a_record_holds_an_array_of_itself() {
    everywhere(TREE, |m, label| {
        let t = m.call("tree", &[]).unwrap();
        assert_eq!(
            t.to_string(),
            "Node(value: 1, children: [Node(value: 20, children: []), Node(value: 3, children: [Node(value: 4, children: [])])])",
            "{label}"
        );
        assert_eq!(m.call("sum", &[t]).unwrap(), Value::I64(28), "{label}");
    });
}

/// The compile error of `source` in a fresh manager.
fn compile_error(source: &str) -> String {
    manager(2).compile_source(source, "<test>").unwrap_err().to_string()
}

#[test]
fn record_mistakes_are_compile_errors_that_say_what_to_write() {
    let p = "struct P:\n    x: f64\n    y: f64\n";
    let cases: &[(&str, &str)] = &[
        ("val q = P(x: 1.0)", "missing field `y`"),
        ("val q = P(x: 1.0, y: 2.0, z: 3.0)", "struct `P` has no field `z` (its fields: x, y)"),
        ("val q = P(x: 1.0, x: 2.0, y: 1.0)", "field `x` is given twice"),
        ("val q = P(x: \"a\", y: 2.0)", "field `x` of `P`"),
        ("val q = P(1.0, 2.0)", "P"),
        ("val q = P(x: 1.0, y: 2.0)\nval r = q.z", "a P has no field `z`"),
        ("val q = P(x: 1.0, y: 2.0)\nq.x = 2.0", "immutable"),
        ("val n = 3\nval m = n.x", "a i64 has no field `x`"),
        ("val q = Q(a: 1)", "unknown struct `Q`"),
        ("fn f(q: Q): 1", "unknown type `Q`"),
        ("val q = P(x: 1.0, y: 2.0)\nval b = q < q", "P"),
    ];
    for (body, want) in cases {
        let e = compile_error(&format!("{p}{body}\n"));
        assert!(e.contains(want), "{body}: {e}");
    }
    assert!(
        compile_error("struct A:\n    b: B\nstruct B:\n    a: A\n").contains("contains itself (A holds B holds A)")
    );
    assert!(compile_error("struct A:\n    a: A\n").contains("only inside an array"));
    assert!(compile_error("struct A:\n    x: i64\n    x: f64\n").contains("two fields named `x`"));
    assert!(compile_error("struct A:\n    x: i64\nstruct A:\n    y: i64\n").contains("declared twice"));
    assert!(compile_error("struct f64:\n    x: i64\n").contains("built-in type"));
    assert!(compile_error("fn f():\n    struct A:\n        x: i64\n").contains("top level"));
}

#[test]
fn records_live_across_units_and_a_changed_struct_names_its_users() {
    let m = manager(2);
    m.compile_source("struct P:\n    x: f64\n    y: f64\nfn mk(x: f64) -> P: P(x: x, y: 0.0)\n", "<a>").unwrap();
    // A later unit uses the struct by name; the same fields again are the same type.
    m.compile_source("fn sx(p: P) -> f64: p.x\nkept = mk(2.5)\n", "<b>").unwrap();
    assert_eq!(m.call("sx", &[m.global("kept").unwrap()]).unwrap(), Value::F64(2.5));
    m.compile_source("struct P:\n    x: f64\n    y: f64\n", "<same>").unwrap();
    assert_eq!(m.call("sx", &[m.call("mk", &[Value::F64(1.0)]).unwrap()]).unwrap(), Value::F64(1.0));
    // Other fields: refused while functions and globals use the old type.
    let e = m.compile_source("struct P:\n    x: f64\n", "<changed>").unwrap_err().to_string();
    assert!(e.contains("cannot change the fields of struct `P`"), "{e}");
    assert!(e.contains("function `mk`, function `sx`, global `kept`"), "{e}");
    // Redefining the users in the same unit is allowed.
    m.compile_source(
        "struct P:\n    x: f64\nfn mk(x: f64) -> P: P(x: x)\nfn sx(p: P) -> f64: p.x * 2.0\nvar kept = mk(4.0)\n",
        "<all>",
    )
    .unwrap();
    assert_eq!(m.call("sx", &[m.global("kept").unwrap()]).unwrap(), Value::F64(8.0));
    // Assigning an old value to a global of the new type says why it fails.
    m.compile_source("struct R:\n    a: i64\nfn old() -> R: R(a: 1)\n", "<r1>").unwrap();
    let e = m.compile_source("struct R:\n    b: i64\nfn old() -> R: R(b: 2)\nr = R(b: 3)\n", "<r2>");
    assert!(e.is_ok(), "{e:?}");
    // A unit that fails at runtime takes its struct back.
    let e = m.compile_source("struct Q:\n    a: i64\nq = Q(a: 1 / 0)\n", "<undone>").unwrap_err();
    assert!(e.to_string().contains("division by zero"), "{e}");
    let e = m.compile_source("val q = Q(a: 1)\n", "<after>").unwrap_err().to_string();
    assert!(e.contains("unknown struct `Q`"), "{e}");
}

#[test]
fn a_rolled_back_unit_restores_record_and_array_globals() {
    let m = manager(2);
    m.compile_source("struct P:\n    x: i64\np = P(x: 1)\nxs = [1, 2]\n", "<a>").unwrap();
    let e = m.compile_source("p.x = 5\nxs.push(3)\nboom = 1 / 0\n", "<b>").unwrap_err();
    assert!(e.to_string().contains("division by zero"));
    assert_eq!(m.global("p").unwrap().to_string(), "P(x: 1)");
    assert_eq!(m.global("xs").unwrap().to_string(), "[1, 2]");
}
