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
