//! Malformed MIR text never gets anything but a clean compile error.
//!
//! 1. A hand-written list of malformed blobs, each with the line its error
//!    must name and words saying what was expected.
//! 2. Thousands of blobs made by mutating valid MIR (hand-written programs
//!    and the printed MIR of source programs) with a deterministic PRNG:
//!    each must compile to `Ok`, `Error::Compile` at a `<mir>:LINE:COL:`
//!    position, or `Error::Runtime` (its init code failed) — never
//!    `Error::Internal`, a panic or a crash.
//!
//! The generated blobs run in a child process (this test binary again,
//! test `fuzz_worker`), so a blob that crashes the process or loops forever
//! in its init code is reported by number instead of taking the run down.

mod backend_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rtjit::Signature;
use rtjit::{Error, Manager};

fn manager() -> Manager {
    Manager::new(backend_support::backend()).expect("a manager")
}

// ------------------------------------------------------------ hand-written

/// (what, blob, line the error must name, words the message must contain)
fn malformed() -> Vec<(&'static str, Vec<u8>, u32, &'static str)> {
    let s = |t: &str| t.as_bytes().to_vec();
    vec![
        // Unknown instructions.
        (
            "unknown instruction",
            s("mir 1\nfn f() -> i64 {\n    local x: i64\n    x = frob 1\n    ret 0\n}\n"),
            4,
            "unknown instruction `frob`",
        ),
        (
            "unknown instruction, no result",
            s("mir 1\nfn f() -> i64 {\n    frob 1\n    ret 0\n}\n"),
            3,
            "unknown instruction `frob`",
        ),
        (
            "unknown terminator-like word",
            s("mir 1\nfn f() -> i64 {\n    return 0\n}\n"),
            3,
            "unknown instruction `return`",
        ),
        ("instruction needs a result", s("mir 1\nfn f() -> i64 {\n    add 1, 2\n    ret 0\n}\n"), 3, "needs a result"),
        (
            "terminator with a result",
            s("mir 1\nfn f() -> i64 {\n    local x: i64\n    x = ret 1\n}\n"),
            4,
            "has no result",
        ),
        (
            "store with a result",
            s("mir 1\nfn f(p: ptr) -> i64 {\n    local x: i64\n    x = store p, 0, 1\n    ret 0\n}\n"),
            4,
            "has no result",
        ),
        // Type mismatches.
        (
            "operand types differ",
            s("mir 1\nfn f(a: i64, b: f64) -> i64 {\n    local r: i64\n    r = add a, b\n    ret r\n}\n"),
            4,
            "expected i64, found f64",
        ),
        (
            "result type differs",
            s("mir 1\nfn f(a: i32) -> i64 {\n    local r: i64\n    r = add a, a\n    ret r\n}\n"),
            4,
            "expected i64, found i32",
        ),
        ("returned type", s("mir 1\nfn f(a: f64) -> i64 {\n    ret a\n}\n"), 3, "expected i64, found f64"),
        (
            "branch on an integer",
            s("mir 1\nfn f(a: i64) -> i64 {\n    br a, x, x\nx:\n    ret 0\n}\n"),
            3,
            "expected bool, found i64",
        ),
        (
            "comparison into an integer",
            s("mir 1\nfn f(a: i64) -> i64 {\n    local r: i64\n    r = lt a, 1\n    ret r\n}\n"),
            4,
            "expected bool, found i64",
        ),
        (
            "float op on bool",
            s("mir 1\nfn f(a: bool) -> bool {\n    local r: bool\n    r = sqrt a\n    ret r\n}\n"),
            4,
            "sqrt does not apply to bool",
        ),
        (
            "unsigned compare of floats",
            s("mir 1\nfn f(a: f64) -> bool {\n    local r: bool\n    r = ult a, a\n    ret r\n}\n"),
            4,
            "does not apply to f64",
        ),
        (
            "float constant for an integer",
            s("mir 1\nfn f(a: i64) -> i64 {\n    local r: i64\n    r = add a, 2.5\n    ret r\n}\n"),
            4,
            "a float cannot be a i64 constant",
        ),
        ("constant out of range", s("mir 1\nfn f() -> i8 {\n    ret 300\n}\n"), 3, "300 does not fit in i8"),
        ("missing return value", s("mir 1\nfn f() -> i64 {\n    ret\n}\n"), 3, "must return a i64"),
        ("value from a void function", s("mir 1\nfn f() -> void {\n    ret 1\n}\n"), 3, "returns no value"),
        (
            "gstore of the wrong type",
            s("mir 1\nglobal var g: f64\nfn f() -> void {\n    gstore g, true\n    ret\n}\n"),
            4,
            "global `g`: expected f64, found bool",
        ),
        // Undefined names.
        ("undefined label", s("mir 1\nfn f() -> i64 {\n    jmp nowhere\n}\n"), 3, "undefined label `nowhere`"),
        (
            "undefined label in br",
            s("mir 1\nfn f(c: bool) -> i64 {\n    br c, yes, no\nyes:\n    ret 1\n}\n"),
            3,
            "undefined label `no`",
        ),
        (
            "undefined label in a switch case",
            s("mir 1\nfn f(x: i64) -> i64 {\n    switch x, d, 1: one\nd:\n    ret 0\n}\n"),
            3,
            "undefined label `one`",
        ),
        ("undefined local", s("mir 1\nfn f() -> i64 {\n    ret zz\n}\n"), 3, "undefined local `zz`"),
        (
            "undefined local as result",
            s("mir 1\nfn f() -> i64 {\n    zz = copy 1\n    ret 0\n}\n"),
            3,
            "undefined local `zz`",
        ),
        (
            "undefined function",
            s("mir 1\nfn f() -> i64 {\n    local r: i64\n    r = call nope(1)\n    ret r\n}\n"),
            4,
            "undefined function `nope`",
        ),
        (
            "undefined global",
            s("mir 1\nfn f() -> i64 {\n    local r: i64\n    r = gload nope\n    ret r\n}\n"),
            4,
            "undefined global `nope`",
        ),
        (
            "undefined slot",
            s("mir 1\nfn f() -> i64 {\n    local p: ptr\n    p = addr nope\n    ret 0\n}\n"),
            4,
            "undefined stack slot `nope`",
        ),
        (
            "unregistered extern",
            s("mir 1\nextern fn nothere(i64) -> i64\n"),
            2,
            "`nothere` is not a registered host function",
        ),
        // Argument counts.
        (
            "too few arguments",
            s(
                "mir 1\nfn g(a: i64, b: i64) -> i64 {\n    ret a\n}\nfn f() -> i64 {\n    local r: i64\n    r = call g(1)\n    ret r\n}\n",
            ),
            7,
            "takes 2 arguments, 1 given",
        ),
        (
            "too many arguments",
            s(
                "mir 1\nfn g(a: i64) -> i64 {\n    ret a\n}\nfn f() -> i64 {\n    local r: i64\n    r = call g(1, 2)\n    ret r\n}\n",
            ),
            7,
            "takes 1 argument",
        ),
        (
            "indirect call arguments",
            s(
                "mir 1\nfn f(p: ptr) -> i64 {\n    local r: i64\n    r = call_indirect p(1, 2) as fn(i64) -> i64\n    ret r\n}\n",
            ),
            4,
            "takes 1 argument",
        ),
        (
            "missing operand",
            s("mir 1\nfn f(a: i64) -> i64 {\n    local r: i64\n    r = add a\n    ret r\n}\n"),
            4,
            "expected ',' between operands",
        ),
        (
            "extra operand",
            s("mir 1\nfn f(a: i64) -> i64 {\n    local r: i64\n    r = neg a, a\n    ret r\n}\n"),
            4,
            "expected end of line",
        ),
        // Blocks.
        (
            "block falls off its end",
            s("mir 1\nfn f() -> i64 {\n    local x: i64\na:\n    x = copy 1\nb:\n    ret x\n}\n"),
            6,
            "falls off its end",
        ),
        (
            "last block falls off its end",
            s("mir 1\nfn f() -> i64 {\n    local x: i64\na:\n    x = copy 1\n}\n"),
            4,
            "falls off its end",
        ),
        (
            "entry block falls off its end",
            s("mir 1\nfn f() -> i64 {\n    local x: i64\n    x = copy 1\nb:\n    ret x\n}\n"),
            5,
            "falls off its end",
        ),
        (
            "instruction after a terminator",
            s("mir 1\nfn f() -> i64 {\n    ret 1\n    ret 2\n}\n"),
            4,
            "after the block's terminator",
        ),
        ("empty function", s("mir 1\nfn f() -> i64 {\n}\n"), 2, "has no instructions"),
        (
            "label defined twice",
            s("mir 1\nfn f() -> i64 {\na:\n    jmp a\na:\n    ret 1\n}\n"),
            5,
            "label `a` is defined twice",
        ),
        // Declarations.
        (
            "local declared twice",
            s("mir 1\nfn f() -> i64 {\n    local x: i64\n    local x: f64\n    ret 0\n}\n"),
            4,
            "local `x` is declared twice",
        ),
        (
            "parameter twice",
            s("mir 1\nfn f(a: i64, a: i64) -> i64 {\n    ret a\n}\n"),
            2,
            "parameter `a` appears twice",
        ),
        (
            "function defined twice",
            s("mir 1\nfn f() -> i64 {\n    ret 0\n}\nfn f() -> i64 {\n    ret 1\n}\n"),
            5,
            "function `f` is defined twice",
        ),
        ("unknown type", s("mir 1\nfn f() -> i64 {\n    local x: i65\n    ret 0\n}\n"), 3, "unknown type `i65`"),
        ("unknown result type", s("mir 1\nfn f() -> int {\n    ret 0\n}\n"), 2, "unknown type `int`"),
        ("missing arrow", s("mir 1\nfn f() i64 {\n    ret 0\n}\n"), 2, "expected '->'"),
        ("missing brace", s("mir 1\nfn f() -> i64\n    ret 0\n}\n"), 2, "expected '{' to open the body"),
        ("stray closing brace", s("mir 1\n}\n"), 2, "expected `fn`, `init`, `extern`, `global` or `struct`"),
        (
            "instruction at top level",
            s("mir 1\nx = add 1, 2\n"),
            2,
            "expected `fn`, `init`, `extern`, `global` or `struct`",
        ),
        ("global without kind", s("mir 1\nglobal g: i64\n"), 2, "`var` or `val`"),
        (
            "two init blocks",
            s("mir 1\ninit -> void {\n    ret\n}\ninit -> void {\n    ret\n}\n"),
            5,
            "at most one `init`",
        ),
        (
            "call_indirect without signature",
            s("mir 1\nfn f(p: ptr) -> i64 {\n    local r: i64\n    r = call_indirect p(1)\n    ret r\n}\n"),
            4,
            "`as` and the pointer's signature",
        ),
        (
            "non-constant offset",
            s("mir 1\nfn f(p: ptr, o: i64) -> i64 {\n    local r: i64\n    r = load p, o\n    ret r\n}\n"),
            4,
            "a constant offset",
        ),
        (
            "offset out of range",
            s("mir 1\nfn f(p: ptr) -> i64 {\n    local r: i64\n    r = load p, 4294967296\n    ret r\n}\n"),
            4,
            "offset out of the i32 range",
        ),
        ("bad slot alignment", s("mir 1\nfn f() -> i64 {\n    slot s 8 3\n    ret 0\n}\n"), 3, "slot alignment 3"),
        // Lexical errors.
        ("unexpected character", s("mir 1\nfn f() -> i64 {\n    ret 1 # comment\n}\n"), 3, "unexpected character '#'"),
        ("control character", s("mir 1\nfn f() -> i64 {\n    ret \u{1}1\n}\n"), 3, "unexpected character U+0001"),
        ("invalid number", s("mir 1\nfn f() -> i64 {\n    ret 12abc\n}\n"), 3, "invalid number `12abc`"),
        (
            "unknown escape",
            s("mir 1\nfn f() -> text {\n    local s: text\n    s = copy \"a\\qb\"\n    ret s\n}\n"),
            4,
            "unknown escape",
        ),
        (
            "bad unicode escape",
            s("mir 1\nfn f() -> text {\n    local s: text\n    s = copy \"\\u{110000}\"\n    ret s\n}\n"),
            4,
            "invalid escape",
        ),
        (
            "unterminated text",
            s("mir 1\nfn f() -> text {\n    local s: text\n    s = copy \"abc\n    ret s\n}\n"),
            4,
            "unterminated text literal",
        ),
        ("bad line annotation", s("mir 1\nfn f() -> i64 {\n    ret 1 @x\n}\n"), 3, "a line number after '@'"),
        // Version line.
        ("unsupported version", s("mir 2\nfn f() -> i64 {\n    ret 1\n}\n"), 1, "unsupported MIR version 2"),
        ("version 0", s("mir 0\n"), 1, "unsupported MIR version 0"),
        ("no version number", s("mir\nfn f() -> i64 {\n    ret 1\n}\n"), 1, "the MIR version number"),
        ("float version", s("mir 1.0\n"), 1, "the MIR version number"),
        ("version with extra words", s("mir 1 extra\n"), 1, "expected end of line"),
        ("upper-case magic", s("MIR 1\n"), 1, "version line `mir 1`"),
        ("missing version line", s("fn f() -> i64 {\n    ret 1\n}\n"), 1, "version line `mir 1`"),
        ("blank line before version", s("\nmir 1\n"), 1, "version line `mir 1`"),
        ("comment before version", s("; hello\nmir 1\n"), 1, "version line `mir 1`"),
        ("empty blob", s(""), 1, "version line `mir 1`"),
        ("only whitespace", s("   \n\n"), 1, "version line `mir 1`"),
        // Truncated text.
        ("truncated after the header", s("mir 1\nfn f() -> i64 {\n    ret 1\n"), 4, "not closed with '}'"),
        (
            "truncated inside an instruction",
            s("mir 1\nfn f(a: i64) -> i64 {\n    local r: i64\n    r = add a,"),
            4,
            "an operand",
        ),
        ("truncated inside a header", s("mir 1\nfn f(a: i64"), 2, "',' or ')' in the parameters"),
        (
            "truncated inside a text literal",
            s("mir 1\ninit -> text {\n    local s: text\n    s = copy \"ab"),
            4,
            "unterminated text literal",
        ),
        ("truncated after a label", s("mir 1\nfn f() -> i64 {\nentry:"), 4, "not closed with '}'"),
        ("truncated version line", s("mi"), 1, "version line `mir 1`"),
        // Non-UTF-8 bytes.
        ("invalid UTF-8 in a comment", b"mir 1\nfn f() -> i64 {\n    ret 1 ; \xff\n}\n".to_vec(), 3, "not valid UTF-8"),
        ("invalid UTF-8 at the start", b"\xfe\xffmir 1\n".to_vec(), 1, "not valid UTF-8"),
        (
            "truncated UTF-8 sequence",
            b"mir 1\nfn f() -> text {\n    local s: text\n    s = copy \"caf\xc3\"\n    ret s\n}\n".to_vec(),
            4,
            "not valid UTF-8",
        ),
        (
            "UTF-16 text",
            "mir 1\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
            1,
            "unexpected character U+0000",
        ),
        ("overlong encoding", b"mir 1\n\n\n\xc0\xaf\n".to_vec(), 4, "not valid UTF-8"),
        ("surrogate encoding", b"mir 1\nfn f() -> i64 {\n    ret 1\n}\n\xed\xa0\x80".to_vec(), 5, "not valid UTF-8"),
    ]
}

/// `<mir>:LINE:COL: message` parsed, or None.
fn position(msg: &str) -> Option<(u32, u32, &str)> {
    let rest = msg.strip_prefix("<mir>:")?;
    let (line, rest) = rest.split_once(':')?;
    let (col, rest) = rest.split_once(':')?;
    let message = rest.strip_prefix(' ')?;
    Some((line.parse().ok()?, col.parse().ok()?, message))
}

#[test]
fn malformed_blobs_give_positioned_compile_errors() {
    let mut failures = Vec::new();
    let cases = malformed();
    for (what, blob, line, words) in &cases {
        let m = manager();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.compile_mir(blob, "<mir>")));
        let problem = match r {
            Err(_) => Some("panicked".to_string()),
            Ok(Err(Error::Compile(msg))) => match position(&msg) {
                None => Some(format!("no `<mir>:LINE:COL: ` position: {msg:?}")),
                Some((l, c, text)) => {
                    if l != *line {
                        Some(format!("line {l}, expected line {line}: {msg:?}"))
                    } else if c == 0 {
                        Some(format!("column 0: {msg:?}"))
                    } else if !text.contains(words) {
                        Some(format!("message does not say {words:?}: {msg:?}"))
                    } else if text.contains("``") {
                        Some(format!("message names something empty (``): {msg:?}"))
                    } else {
                        None
                    }
                }
            },
            Ok(other) => Some(format!("expected Error::Compile, got {other:?}")),
        };
        if let Some(p) = problem {
            failures.push(format!("{what}: {p}"));
        }
        // A rejected blob leaves nothing behind.
        assert_eq!(m.function_count(), 0, "{what}");
    }
    // The column of a non-UTF-8 byte is its character position on the line.
    let m = manager();
    let e = m.compile_mir(b"mir 1\nfn f() -> i64 {\n    ret 1 ; \xff\n}\n", "<mir>").unwrap_err();
    assert!(
        matches!(&e, Error::Compile(msg) if msg.starts_with("<mir>:3:13: ") && msg.contains("not valid UTF-8")),
        "{e:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} malformed blobs failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_same_blobs_through_compile_file_name_the_file() {
    let dir = std::env::temp_dir().join(format!("rtjit-mir-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for (k, (what, blob, line, _)) in malformed().into_iter().enumerate() {
        // A file is MIR when its first line is the version line.
        if !blob.starts_with(b"mir ") || blob.starts_with(b"mir 1.0") || what.contains("extra") {
            continue;
        }
        let path = dir.join(format!("case{k}.mir"));
        std::fs::write(&path, &blob).unwrap();
        let p = path.to_str().unwrap();
        let m = manager();
        match m.compile_file(p) {
            Err(Error::Compile(msg)) => {
                let want = format!("{p}:{line}:");
                if !msg.starts_with(&want) {
                    failures.push(format!("{what}: expected {want}..., got {msg:?}"));
                }
            }
            other => failures.push(format!("{what}: {other:?}")),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ------------------------------------------------------------------ seeds

const SEEDS: &[&str] = &[
    // Arithmetic, calls, recursion, a global and straight-line init code.
    "mir 1
; arithmetic and calls
global var total: i64
global val scale: f64
fn sq(x: i64) -> i64 {
    local r: i64
entry:
    r = mul x, x
    ret r
}
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
fn mix(a: i8, b: f64, c: bool) -> f64 {
    local w: i64
    local x: f64
    local y: f32
    w = sext a
    x = sitof w
    x = add x, b
    y = fdemote x
    x = fpromote y
    x = select c, x, -1.5
    ret x @99
}
init -> i64 {
    local a: i64
    local b: i64
    local f: f64
    a = call sq(3)
    b = div a, 3
    b = rem b, 5
    b = pow b, 3
    gstore total, b
    f = call mix(-3:i8, 0.25, true)
    gstore scale, f
    ret a
}
",
    // Text.
    "mir 1
global var name: text
fn greet(s: text) -> text {
    local out: text
    local sep: text
    sep = copy \", \"
    out = copy \"hello\"
    out = add out, sep
    out = add out, s
    ret out
}
fn num(s: text) -> i64 {
    local n: i64
    n = parse s
    ret n
}
init -> text {
    local s: text
    local t: text
    local n: i64
    local b: bool
    s = copy \"h\\u{e9}llo \\\"x\\\" \\u{1F600}\\n\"
    n = len s
    t = str n
    s = add s, t
    b = lt s, t
    t = str b
    s = add s, t
    t = call greet(s)
    gstore name, t
    t = copy \" 42 \"
    n = call num(t)
    ret t
}
",
    // Branches and switches on several widths; no init.
    "mir 1
fn classify(x: i64) -> i64 {
entry:
    switch x, other, 0: zero, 1: one, -5: minus, 1000000000000: big
zero:
    ret 100
one:
    ret 101
minus:
    ret 102
big:
    ret 103
other:
    ret -1
}
fn small(x: i8) -> i64 {
    switch x, d, 1: a, -1: b, 127: c
a:
    ret 1
b:
    ret 2
c:
    ret 3
d:
    ret 0
}
fn many8(x: i8) -> i64 {
    switch x, d, 0: a, 1: a, 2: a, 3: b, -1: b, -2: b, 100: c, 127: c, -128: c
a:
    ret 1
b:
    ret 2
c:
    ret 3
d:
    ret 0
}
fn many16(x: i16) -> i64 {
    switch x, d, 0: a, 1: a, -1: b, 255: b, 256: c, 32767: c, -32768: c
a:
    ret 1
b:
    ret 2
c:
    ret 3
d:
    ret 0
}
fn many32(x: i32) -> i64 {
    switch x, d, 0: a, 1: a, -1: b, 65536: b, 2147483647: c, -2147483648: c
a:
    ret 1
b:
    ret 2
c:
    ret 3
d:
    ret 0
}
fn loop_sum(n: i64) -> i64 {
    local acc: i64
    local k: i64
    local c: bool
    acc = copy 0
    k = copy 0
    jmp head
head:
    c = lt k, n
    br c, body, done
body:
    acc = add acc, k
    k = add k, 1
    jmp head
done:
    ret acc
}
fn bits(a: i32, b: i32) -> i32 {
    local r: i32
    local s: i32
    r = and a, b
    s = or a, b
    r = xor r, s
    s = shl r, 3:i32
    r = ushr s, 1:i32
    s = shr r, 2:i32
    r = udiv s, 3:i32
    s = urem r, 7:i32
    r = min r, s
    r = max r, -4:i32
    r = not r
    r = abs r
    ret r
}
",
    // Memory, slots and indirect calls; no init (never run).
    "mir 1
fn mem(x: i64, p: ptr) -> i64 {
    slot buf 64
    slot big 1000 16
    local q: ptr
    local a: i8
    local b: i16
    local c: i32
    local d: f32
    local e: f64
    local r: i64
    q = addr buf
    store q, 0, x
    store q, 8, 2.5
    store q, 16, 1.5:f32
    store q, 20, -2:i32
    store q, 24, 7:i8
    store q, 26, -300:i16
    a = load q, 24
    b = load q, 26
    c = load q, 20
    d = load q, 16
    e = load q, 8
    r = load q, 0
    q = addr big
    store q, 992, r
    r = call_indirect p(r) as fn(i64) -> i64
    call_indirect p(r) as fn(i64) -> void
    e = call_indirect p(e, d) as fn(f64, f32) -> f64
    r = bitcast e
    ret r
}
",
    // Host functions (registered in every manager) called from init.
    "mir 1
extern fn h_add(i64, i64) -> i64
extern fn h_half(f64) -> f64
extern fn h_note(i64) -> void
extern fn h_flag(bool, i32) -> bool
global var seen: i64
fn twice(x: i64) -> i64 {
    local r: i64
    r = call h_add(x, x)
    ret r
}
init -> f64 {
    local a: i64
    local f: f64
    local b: bool
    a = call twice(21)
    call h_note(a)
    b = call h_flag(true, 7:i32)
    gstore seen, a
    f = sitof a
    f = call h_half(f)
    ret f
}
",
];

const SOURCES: &[&str] = &[
    "fn f(x): x^2 + 2*x + 1\nval y = f(3)\nfn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\nfn g(a, b): a / b\nname = \"abc\" + str(y)\n",
    "val base_rate = 4.5\nvar orders = 0\nfree_above = 10_000\n\
     fn weight_class(grams):\n    if grams <= 500:\n        return 1\n    elif grams <= 2_000:\n        return 2\n    return 3\n\
     fn cost(grams, express: bool) -> f64:\n    orders += 1\n    if grams > free_above:\n        return 0\n    var c = base_rate * weight_class(grams)\n    if express: c *= 1.5\n    return c\n\
     fn gcd(a, b):\n    while b != 0:\n        val t = b\n        b = a % b\n        a = t\n    a\n\
     cost(1200, true)\n",
    "greeting = \"hello\"\nfn greet(name: text): greeting + \", \" + name + \"!\"\n\
     fn shout(s: text) -> text:\n    var out = s\n    for i in 0..3:\n        out += \"!\"\n    return out\n\
     fn p(s: text): int(s) + len(s)\nfn cmp(a: text, b: text): a < b\ngreet(\"w\")\n",
    "fn h(n):\n    if n == 0: return 1\n    return h(n - 1) * 0.5\nfn nan(): 0.0 / 0\nfn isnan(x: f64): x != x\n\
     fn even(n):\n    if n == 0: return true\n    return odd(n - 1)\nfn odd(n):\n    if n == 0: return false\n    return even(n - 1)\n\
     fn mm(a, b: f64): min(a, b) + max(a, b, 10) + floor(b) + sqrt(abs(b))\nval z = mm(2, 3.5)\nx = h(3) + z\n",
    "extern fn h_add(a: i64, b: i64) -> i64\nextern fn h_half(x: f64) -> f64\nvar hits = 0\n\
     fn use(x): h_add(x, 1) * 2\nfn bump(by):\n    if by < 0:\n        return\n    hits += by\nbump(use(3))\nh_half(float(hits))\n",
];

extern "C" fn h_add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}
extern "C" fn h_half(x: f64) -> f64 {
    x * 0.5
}
extern "C" fn h_note(_x: i64) {}
extern "C" fn h_flag(b: bool, k: i32) -> bool {
    b && k > 0
}

fn fuzz_manager() -> Manager {
    let m = manager();
    let reg = |name: &str, addr: usize, sig: &str| m.register_host(name, addr, Signature::parse(sig).unwrap()).unwrap();
    reg("h_add", h_add as extern "C" fn(i64, i64) -> i64 as usize, "fn(i64, i64) -> i64");
    reg("h_half", h_half as extern "C" fn(f64) -> f64 as usize, "fn(f64) -> f64");
    reg("h_note", h_note as extern "C" fn(i64) as usize, "fn(i64) -> void");
    reg("h_flag", h_flag as extern "C" fn(bool, i32) -> bool as usize, "fn(bool, i32) -> bool");
    m
}

#[test]
fn every_seed_is_valid() {
    for seed in all_seeds() {
        let m = fuzz_manager();
        let r = m.compile_mir(seed.as_bytes(), "<mir>");
        assert!(r.is_ok(), "{r:?}\n{seed}");
    }
}

fn all_seeds() -> Vec<String> {
    let mut v: Vec<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    for src in SOURCES {
        v.push(rtjit::mir_from_source(src).unwrap_or_else(|e| panic!("{e:?}\n{src}")));
    }
    v
}

// ------------------------------------------------------------------ mutations

/// xorshift64*: deterministic, no crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const POOL: &[&str] = &[
    // instructions and keywords
    "copy",
    "neg",
    "not",
    "abs",
    "sqrt",
    "floor",
    "ceil",
    "trunc",
    "len",
    "add",
    "sub",
    "mul",
    "div",
    "rem",
    "udiv",
    "urem",
    "pow",
    "and",
    "or",
    "xor",
    "shl",
    "shr",
    "ushr",
    "min",
    "max",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "ult",
    "ule",
    "ugt",
    "uge",
    "sext",
    "zext",
    "reduce",
    "sitof",
    "uitof",
    "ftosi",
    "ftoui",
    "fpromote",
    "fdemote",
    "bitcast",
    "str",
    "parse",
    "select",
    "call",
    "call_indirect",
    "gload",
    "gstore",
    "load",
    "store",
    "addr",
    "jmp",
    "br",
    "switch",
    "ret",
    "local",
    "slot",
    "fn",
    "init",
    "extern",
    "global",
    "var",
    "val",
    "as",
    "void",
    "mir",
    // types
    "i8",
    "i16",
    "i32",
    "i64",
    "f32",
    "f64",
    "ptr",
    "bool",
    "text",
    // names
    "entry",
    "b0",
    "b1",
    "b2",
    "b3",
    "head",
    "done",
    "base",
    "rec",
    "x",
    "r",
    "n",
    "a",
    "t.1",
    "t.2",
    "fib",
    "sq",
    "greet",
    "total",
    "name",
    "h_add",
    "buf",
    "true",
    "false",
    "nan",
    "inf",
    "-inf",
    // numbers
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "127",
    "128",
    "-129",
    "255",
    "256",
    "65536",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "999999999999999999999999999999999999999999",
    "0x7f",
    "0xffffffffffffffff",
    "0b101",
    "1_000",
    "1.5",
    "-0.0",
    "1e308",
    "1e-320",
    "0.1",
    "5:i8",
    "300:i8",
    "1.5:f32",
    "2:bool",
    "1:ptr",
    "7:text",
    "0x1p3",
    "1e",
    "--1",
    "0x",
    "1.5e+3",
    // punctuation and odd text
    "(",
    ")",
    ",",
    ":",
    "=",
    "@",
    "@0",
    "@4294967296",
    "{",
    "}",
    "->",
    ";",
    "\"",
    "\"abc\"",
    "\"\\u{e9}\"",
    "\"\\q\"",
    "\"\\u{d800}\"",
    "é",
    "\t",
    "#",
    "$",
    ".",
    "-",
    "--",
    "",
];

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "-2",
    "3",
    "5",
    "64",
    "100",
    "127",
    "128",
    "-128",
    "-129",
    "255",
    "256",
    "257",
    "383",
    "32767",
    "32768",
    "65535",
    "65536",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "0xffffffffffffffff",
    "1000000000000",
    "1.5",
    "-0.0",
    "0.0",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "100000",
];

/// Spans of tokens in `line`: runs of name/number characters, or one
/// other non-space character.
fn token_spans(line: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let b = line.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'$' | b'-');
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
        } else if word(b[i]) {
            let s = i;
            while i < b.len() && word(b[i]) {
                i += 1;
            }
            spans.push((s, i));
        } else {
            let s = i;
            i += 1;
            while i < b.len() && (b[i] & 0xC0) == 0x80 {
                i += 1;
            }
            spans.push((s, i));
        }
    }
    spans
}

fn lines_of(blob: &[u8]) -> Vec<Vec<u8>> {
    blob.split(|c| *c == b'\n').map(|l| l.to_vec()).collect()
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    lines.join(&b'\n')
}

fn mutate(rng: &mut Rng, blob: &[u8]) -> Vec<u8> {
    let mut out = blob.to_vec();
    let n = 1 + rng.below(3);
    for _ in 0..n {
        out = match rng.below(12) {
            0 => {
                // Truncate at a random byte.
                let at = rng.below(out.len() + 1);
                out[..at].to_vec()
            }
            1 => {
                let mut ls = lines_of(&out);
                if !ls.is_empty() {
                    let k = rng.below(ls.len());
                    ls.remove(k);
                }
                join(&ls)
            }
            2 => {
                let mut ls = lines_of(&out);
                if !ls.is_empty() {
                    let k = rng.below(ls.len());
                    let l = ls[k].clone();
                    let to = rng.below(ls.len() + 1);
                    ls.insert(to, l);
                }
                join(&ls)
            }
            3 => {
                let mut ls = lines_of(&out);
                if ls.len() > 1 {
                    let (a, b) = (rng.below(ls.len()), rng.below(ls.len()));
                    ls.swap(a, b);
                }
                join(&ls)
            }
            4..=6 => {
                // Replace a token with one from the pool (or one of the
                // blob's own tokens).
                let mut ls = lines_of(&out);
                if !ls.is_empty() {
                    let k = rng.below(ls.len());
                    let text = String::from_utf8_lossy(&ls[k]).into_owned();
                    let spans = token_spans(&text);
                    if !spans.is_empty() {
                        let (s, e) = *rng.pick(&spans);
                        let replacement = if rng.below(4) == 0 {
                            let other = String::from_utf8_lossy(&ls[rng.below(ls.len())]).into_owned();
                            let os = token_spans(&other);
                            if os.is_empty() {
                                String::new()
                            } else {
                                let (a, b) = *rng.pick(&os);
                                other[a..b].to_string()
                            }
                        } else {
                            rng.pick(POOL).to_string()
                        };
                        ls[k] = format!("{}{}{}", &text[..s], replacement, &text[e..]).into_bytes();
                    }
                }
                join(&ls)
            }
            7 => {
                // Flip bytes, sometimes into invalid UTF-8.
                if !out.is_empty() {
                    for _ in 0..1 + rng.below(3) {
                        let at = rng.below(out.len());
                        out[at] = match rng.below(4) {
                            0 => 0x80 | (rng.next() as u8 & 0x7f),
                            1 => rng.next() as u8,
                            2 => *rng.pick(b"\n{}(),:=@;\"\\ -0"),
                            _ => out[at] ^ (1 << rng.below(8)),
                        };
                    }
                }
                out
            }
            8 => {
                // Insert garbage: pool tokens or raw bytes.
                let at = rng.below(out.len() + 1);
                let mut g: Vec<u8> = Vec::new();
                if rng.below(3) == 0 {
                    for _ in 0..1 + rng.below(8) {
                        g.push(rng.next() as u8);
                    }
                } else {
                    for _ in 0..1 + rng.below(6) {
                        g.extend_from_slice(rng.pick(POOL).as_bytes());
                        g.push(b' ');
                    }
                    if rng.below(2) == 0 {
                        g.push(b'\n');
                    }
                }
                out.splice(at..at, g);
                out
            }
            9 | 10 => {
                // Replace a number with another (case values, constants,
                // offsets, slot sizes, versions).
                let mut ls = lines_of(&out);
                if !ls.is_empty() {
                    let k = rng.below(ls.len());
                    let text = String::from_utf8_lossy(&ls[k]).into_owned();
                    let spans: Vec<(usize, usize)> = token_spans(&text)
                        .into_iter()
                        .filter(|(s, _)| {
                            let b = text.as_bytes();
                            b[*s].is_ascii_digit() || (b[*s] == b'-' && b.get(s + 1).is_some_and(u8::is_ascii_digit))
                        })
                        .collect();
                    if !spans.is_empty() {
                        let (s, e) = *rng.pick(&spans);
                        ls[k] = format!("{}{}{}", &text[..s], rng.pick(NUMBERS), &text[e..]).into_bytes();
                    }
                }
                join(&ls)
            }
            _ => {
                // Delete a random range of bytes.
                if out.is_empty() {
                    out
                } else {
                    let a = rng.below(out.len());
                    let b = (a + 1 + rng.below(20)).min(out.len());
                    out.drain(a..b);
                    out
                }
            }
        };
    }
    out
}

/// Mutations per seed.
const PER_SEED: usize = 5000;

fn generate() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut blobs = Vec::new();
    for seed in all_seeds() {
        for _ in 0..PER_SEED {
            blobs.push(mutate(&mut rng, seed.as_bytes()));
        }
    }
    blobs
}

// ------------------------------------------------------------------ checking one blob

/// Ok("accepted" | "compile" | "runtime") or Err(what was wrong).
fn check_blob(blob: &[u8]) -> Result<&'static str, String> {
    let m = fuzz_manager();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m.compile_mir(blob, "<mir>")));
    let r = match outcome {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return Err(format!("panic: {msg}"));
        }
    };
    match r {
        Ok(_) => {
            // An accepted blob prints to text that parses back and prints
            // the same, and that compiles too.
            let text = std::str::from_utf8(blob).map_err(|_| "accepted non-UTF-8".to_string())?;
            let (module, _) = rtjit::parse_mir(text).map_err(|e| format!("accepted, but parse fails: {e}"))?;
            let printed = rtjit::print_mir(&module);
            let (again, _) =
                rtjit::parse_mir(&printed).map_err(|e| format!("printed text does not parse: {e}\n{printed}"))?;
            let printed_again = rtjit::print_mir(&again);
            if printed_again != printed {
                return Err(format!("print(parse(print(m))) differs:\n{printed}\n----\n{printed_again}"));
            }
            let m2 = fuzz_manager();
            let r2 =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| m2.compile_mir(printed.as_bytes(), "<mir>")));
            match r2 {
                Ok(Ok(_)) | Ok(Err(Error::Runtime(_))) => Ok("accepted"),
                Ok(other) => Err(format!("accepted, but its printed text gives {other:?}\n{printed}")),
                Err(_) => Err(format!("accepted, but its printed text panics\n{printed}")),
            }
        }
        Err(Error::Runtime(_)) => Ok("runtime"),
        Err(Error::Compile(msg)) => {
            let Some((line, col, text)) = position(&msg) else {
                return Err(format!("compile error without a `<mir>:LINE:COL: ` position: {msg:?}"));
            };
            let lines = blob.split(|c| *c == b'\n').count() as u32;
            if line == 0 || col == 0 || line > lines + 1 {
                return Err(format!("position {line}:{col} outside the blob ({lines} lines): {msg:?}"));
            }
            if text.trim().is_empty() {
                return Err(format!("empty message: {msg:?}"));
            }
            if let Err(e) = std::str::from_utf8(blob) {
                // The position of bad UTF-8 is the line of its first bad byte.
                let want = blob[..e.valid_up_to()].iter().filter(|c| **c == b'\n').count() as u32 + 1;
                if line != want || !text.contains("UTF-8") {
                    return Err(format!("invalid UTF-8 on line {want}, error: {msg:?}"));
                }
            }
            Ok("compile")
        }
        Err(other) => Err(format!("not a compile or runtime error: {other:?}")),
    }
}

// ------------------------------------------------------------------ the run

const WORKER_ENV: &str = "RTJIT_MIR_FUZZ_FROM";

/// Runs the generated blobs from the index in RTJIT_MIR_FUZZ_FROM,
/// printing `FUZZ BLOB k` before and `FUZZ <outcome> k` after each. Does
/// nothing in an ordinary test run.
#[test]
fn fuzz_worker() {
    // RTJIT_MIR_FUZZ_SHOW=a..b prints blobs a to b-1.
    if let Ok(v) = std::env::var("RTJIT_MIR_FUZZ_SHOW") {
        let blobs = generate();
        let (a, b) = match v.split_once("..") {
            Some((a, b)) => (a.parse().unwrap_or(0), b.parse().unwrap_or(blobs.len())),
            None => (v.parse().unwrap_or(0), v.parse::<usize>().unwrap_or(0) + 1),
        };
        for (k, blob) in blobs.iter().enumerate().take(b.min(blobs.len())).skip(a) {
            println!("==== blob {k}\n{}", String::from_utf8_lossy(blob));
        }
        return;
    }
    let Some(from) = std::env::var(WORKER_ENV).ok().and_then(|v| v.parse::<usize>().ok()) else { return };
    std::panic::set_hook(Box::new(|_| {}));
    let blobs = generate();
    for (k, blob) in blobs.iter().enumerate().skip(from) {
        println!("FUZZ BLOB {k}");
        match check_blob(blob) {
            Ok(kind) => println!("FUZZ {kind} {k}"),
            Err(why) => println!("FUZZ BAD {k} {}", why.replace('\n', "\\n")),
        }
    }
    println!("FUZZ DONE");
}

/// A blob whose init code makes no progress for this long is taken to loop
/// forever (legitimate MIR: there is no interruption yet).
const HANG: Duration = Duration::from_secs(5);

#[test]
fn generated_blobs_are_accepted_or_clean_errors() {
    if std::env::var_os(WORKER_ENV).is_some() {
        return;
    }
    let started = Instant::now();
    let blobs = generate();
    let total = blobs.len();
    let exe = std::env::current_exe().expect("the test executable");
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut bad: Vec<String> = Vec::new();
    let mut from = 0;
    while from < total {
        let mut child = Command::new(&exe)
            .args(["--exact", "fuzz_worker", "--nocapture", "--test-threads", "1", "-q"])
            .env(WORKER_ENV, from.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running the fuzz worker");
        let (tx, rx) = mpsc::channel::<String>();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        let mut current: Option<usize> = None;
        let mut done = false;
        loop {
            match rx.recv_timeout(HANG) {
                Ok(line) => {
                    let mut words = line.splitn(4, ' ');
                    if words.next() != Some("FUZZ") {
                        continue;
                    }
                    match (words.next(), words.next().and_then(|k| k.parse::<usize>().ok())) {
                        (Some("BLOB"), Some(k)) => current = Some(k),
                        (Some("DONE"), _) => done = true,
                        (Some("BAD"), Some(k)) => {
                            *counts.entry("bad").or_default() += 1;
                            let why = words.next().unwrap_or("");
                            bad.push(format!("blob {k}: {why}\n    blob: {:?}", String::from_utf8_lossy(&blobs[k])));
                            current = None;
                        }
                        (Some(kind), Some(_)) => {
                            let key = match kind {
                                "accepted" => "accepted",
                                "compile" => "compile error",
                                "runtime" => "runtime error",
                                _ => "other",
                            };
                            *counts.entry(key).or_default() += 1;
                            current = None;
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let k = current.expect("a hang outside any blob");
                    *counts.entry("hang (killed)").or_default() += 1;
                    eprintln!("blob {k} made no progress for {} s (an endless loop in its init code?)", HANG.as_secs());
                    from = k + 1;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().expect("waiting for the fuzz worker");
                    let stderr = err_reader.join().unwrap_or_default();
                    if done {
                        from = total;
                    } else {
                        let k = current
                            .unwrap_or_else(|| panic!("the fuzz worker died outside a blob: {status}\n{stderr}"));
                        *counts.entry("CRASH").or_default() += 1;
                        let tail: String =
                            stderr.chars().rev().take(2000).collect::<Vec<_>>().into_iter().rev().collect();
                        bad.push(format!(
                            "blob {k}: the process died ({status})\n    blob: {:?}\n    stderr: {tail}",
                            String::from_utf8_lossy(&blobs[k])
                        ));
                        from = k + 1;
                    }
                    break;
                }
            }
        }
    }
    let accepted = counts.get("accepted").copied().unwrap_or(0);
    println!(
        "{total} generated MIR blobs in {:.1} s: {accepted} accepted; {counts:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(total >= 40_000, "{total}");
    assert!(accepted > 0, "no mutated blob was accepted: the mutations are too destructive");
    // One example per kind of problem (the first line of its description).
    let mut kinds = std::collections::BTreeMap::<String, (usize, String)>::new();
    for b in &bad {
        let why = b.split_once(": ").map_or(b.as_str(), |(_, why)| why).lines().next().unwrap_or("");
        let key: String = why.chars().filter(|c| !c.is_ascii_digit()).take(60).collect();
        let e = kinds.entry(key).or_insert((0, b.clone()));
        e.0 += 1;
    }
    let report: Vec<String> = kinds
        .values()
        .map(|(n, example)| format!("{n} blob(s) like:\n{}", example.chars().take(1500).collect::<String>()))
        .collect();
    assert!(bad.is_empty(), "{} of {total} blobs were not handled cleanly:\n{}", bad.len(), report.join("\n\n"));
}
