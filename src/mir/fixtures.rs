//! MIR text the unit tests of several passes share.

/// `fib`, by hand.
pub const FIB: &str = "mir 1
; fib, by hand
fn fib(n: i64) -> i64 {
    local c: bool
    local a: i64
    local b: i64
entry:
    c = lt n, 2
    br c, base, rec
base:
    ret n
rec:
    a = sub n, 1
    a = call fib(a)
    b = sub n, 2
    b = call fib(b)
    a = add a, b
    ret a
}
";

/// The first function of a MIR text.
pub fn function(text: &str) -> crate::mir::Function {
    crate::mir::text::parse(text).unwrap().0.functions.remove(0)
}

/// The index of the block labelled `label`.
pub fn block(f: &crate::mir::Function, label: &str) -> usize {
    f.blocks.iter().position(|b| b.label == label).unwrap()
}

/// Two loops, one inside the other.
pub const NESTED_LOOPS: &str = "mir 1
fn f(n: i64) -> i64 {
    local s: i64
    local i: i64
    local j: i64
    local c: bool
entry:
    s = copy 0
    i = copy 0
    jmp outer
outer:
    c = lt i, n
    br c, outer_body, done
outer_body:
    j = copy 0
    jmp inner
inner:
    c = lt j, n
    br c, inner_body, outer_step
inner_body:
    s = add s, j
    j = add j, 1
    jmp inner
outer_step:
    i = add i, 1
    jmp outer
done:
    ret s
}
";

/// Panics unless `f`, alone in a module, is valid MIR.
pub fn assert_valid(f: crate::mir::Function) {
    let module = crate::mir::Module { functions: vec![f], ..Default::default() };
    crate::mir::validate(&module, &crate::mir::NoEnv).unwrap();
}
