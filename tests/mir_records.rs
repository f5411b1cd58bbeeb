//! Records in MIR (docs/mir.md, "Records"): record types written out,
//! `rnew`, field reads and writes by number, `atake`/`aput` of a nested
//! object, copy on write, managed
//! fields, a record holding an array of itself, equality and `str`, at
//! every optimisation level and through the printed text.

mod backend_support;

use rtjit::{Manager, Value};

const PROGRAM: &str = r#"mir 1
global var origin: Point{x: f64, y: f64}

fn make(x: f64, y: f64) -> Point{x: f64, y: f64} {
    local p: Point{x: f64, y: f64}
    p = rnew x, y
    ret p
}
fn norm1(p: Point{x: f64, y: f64}) -> f64 {
    local a: f64
    local b: f64
    a = aget p, 0
    b = aget p, 1
    a = add a, b
    ret a
}
fn cow() -> text {
    local p: Point{x: f64, y: f64}
    local q: Point{x: f64, y: f64}
    local t: text
    local u: text
    p = call make(1.0, 2.0)
    q = copy p
    aset q, 0, 3.0
    t = str p
    u = str q
    t = add t, u
    ret t
}
fn zero() -> text {
    local p: Point{x: f64, y: f64}
    local t: text
    local u: text
    p = gload origin
    t = str p
    aset p, 1, 5.0
    gstore origin, p
    p = gload origin
    u = str p
    t = add t, u
    ret t
}
fn people() -> text {
    local ann: Person{name: text, age: i64, tags: [text], boss: bool}
    local bob: Person{name: text, age: i64, tags: [text], boss: bool}
    local tags: [text]
    local e: bool
    local t: text
    local u: text
    local s: text
    tags = anew 1
    s = copy "x"
    apush tags, s
    s = copy "ann"
    ann = rnew s, 31, tags, true
    bob = copy ann
    s = copy "bob"
    aset bob, 0, s
    e = eq ann, bob
    t = str e
    e = ne ann, bob
    u = str e
    t = add t, u
    u = str bob
    t = add t, u
    ret t
}
fn tree() -> text {
    local leaf: Node{v: i64, kids: [Node]}
    local root: Node{v: i64, kids: [Node]}
    local kids: [Node{v: i64, kids: [Node]}]
    local none: [Node{v: i64, kids: [Node]}]
    local t: text
    local u: text
    none = anew 0
    leaf = rnew 2, none
    kids = anew 2
    apush kids, leaf
    apush kids, leaf
    root = rnew 1, kids
    kids = atake root, 1
    leaf = atake kids, 0
    aset leaf, 0, 7
    aput kids, 0, leaf
    aput root, 1, kids
    t = str root
    u = str kids
    t = add t, u
    u = str leaf
    t = add t, u
    ret t
}
"#;

fn manager(level: u8) -> Manager {
    let m = Manager::new(backend_support::backend()).expect("a manager");
    m.set_opt_level(level).unwrap();
    m
}

fn check(m: &Manager, label: &str) {
    assert_eq!(
        m.call("norm1", &[m.call("make", &[Value::F64(1.5), Value::F64(2.0)]).unwrap()]).unwrap(),
        Value::F64(3.5),
        "{label}"
    );
    let text = |f: &str| m.call(f, &[]).unwrap();
    assert_eq!(text("cow"), Value::Text("Point(x: 1.0, y: 2.0)Point(x: 3.0, y: 2.0)".into()), "{label}");
    assert_eq!(text("zero"), Value::Text("Point(x: 0.0, y: 0.0)Point(x: 0.0, y: 5.0)".into()), "{label}");
    assert_eq!(
        text("people"),
        Value::Text(r#"falsetruePerson(name: "bob", age: 31, tags: ["x"], boss: true)"#.into()),
        "{label}"
    );
    assert_eq!(
        text("tree"),
        Value::Text("Node(v: 1, kids: [Node(v: 7, kids: []), Node(v: 2, kids: [])])[]Node(v: 0, kids: [])".into()),
        "{label}"
    );
}

#[test]
fn records_at_every_level_and_through_printed_mir() {
    for level in 0..=3 {
        let m = manager(level);
        m.compile_mir(PROGRAM.as_bytes(), "<records>").unwrap();
        check(&m, &format!("opt {level}"));
        let (module, _) = rtjit::parse_mir(PROGRAM).unwrap();
        let printed = rtjit::print_mir(&module);
        let again = manager(level);
        again.compile_mir(printed.as_bytes(), "<printed>").unwrap_or_else(|e| panic!("{e}\n{printed}"));
        check(&again, &format!("printed, opt {level}"));
    }
}

#[test]
fn field_numbers_are_checked_when_the_mir_is_validated() {
    let m = manager(2);
    let bad = |body: &str| {
        let text = format!("mir 1\nfn f(p: P{{a: i64}}) -> i64 {{\n    local x: i64\n{body}\n    ret x\n}}\n");
        m.compile_mir(text.as_bytes(), "<bad>").unwrap_err().to_string()
    };
    assert!(bad("    x = aget p, 1").contains("field 1 of a P, which has 1 field(s)"), "{}", bad("    x = aget p, 1"));
    assert!(bad("    x = aget p, x").contains("constant"));
    assert!(bad("    x = len p").contains("len of a P{a: i64}"));
    let dup = m.compile_mir(b"mir 1\nfn f(p: P{a: i64, a: f64}) -> i64 {\n    ret 0\n}\n", "<dup>").unwrap_err();
    assert!(dup.to_string().contains("two fields named `a`"), "{dup}");
    let unknown = m.compile_mir(b"mir 1\nfn f(p: Q) -> i64 {\n    ret 0\n}\n", "<unknown>").unwrap_err();
    assert!(unknown.to_string().contains("unknown type `Q`"), "{unknown}");
}
