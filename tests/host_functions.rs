//! Host functions that take and return `text` (c-api.md, "the text rule
//! for host signatures"): an argument is a borrowed, NUL-terminated
//! `const char *`; a result is a `const char *` the library copies as soon
//! as the host function returns. And host functions with user data
//! (c-api 49), which receive it as their first C argument.

mod backend_support;

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};
use std::sync::Mutex;

use rtjit::{Manager, Signature, Value};

fn manager() -> Manager {
    Manager::new(backend_support::backend()).expect("a manager")
}

fn sig(s: &str) -> Signature {
    Signature::parse(s).unwrap()
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// What `log` was given, in order.
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

extern "C" fn log(s: *const c_char) {
    // SAFETY: the library passes a NUL-terminated string, valid during the call.
    let s = unsafe { CStr::from_ptr(s) }.to_str().expect("UTF-8").to_string();
    LOGGED.lock().unwrap().push(s);
}

thread_local! {
    /// The buffer `greet` returns: reused by the next call, as host code
    /// often does, so the library must copy at once.
    static GREETING: RefCell<CString> = RefCell::new(CString::default());
}

extern "C" fn greet(name: *const c_char, times: i64) -> *const c_char {
    // SAFETY: as for `log`.
    let name = unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned();
    let s = format!("hello, {name}{}", "!".repeat(times.clamp(0, 10) as usize));
    GREETING.with(|g| {
        *g.borrow_mut() = CString::new(s).expect("no NUL");
        g.borrow().as_ptr()
    })
}

extern "C" fn nothing() -> *const c_char {
    std::ptr::null()
}

extern "C" fn not_utf8() -> *const c_char {
    c"a\xffb".as_ptr()
}

extern "C" fn byte_length(s: *const c_char) -> i64 {
    // SAFETY: as for `log`.
    unsafe { CStr::from_ptr(s) }.to_bytes().len() as i64
}

fn with_hosts() -> Manager {
    let m = manager();
    m.register_host("log", log as extern "C" fn(*const c_char) as usize, sig("fn(text) -> void")).unwrap();
    let greet_fn = greet as extern "C" fn(*const c_char, i64) -> *const c_char;
    m.register_host("greet", greet_fn as usize, sig("fn(text, i64) -> text")).unwrap();
    m.register_host("nothing", nothing as extern "C" fn() -> *const c_char as usize, sig("fn() -> text")).unwrap();
    m.register_host("not_utf8", not_utf8 as extern "C" fn() -> *const c_char as usize, sig("fn() -> text")).unwrap();
    let length_fn = byte_length as extern "C" fn(*const c_char) -> i64;
    m.register_host("byte_length", length_fn as usize, sig("fn(text) -> i64")).unwrap();
    m
}

const SOURCE: &str = "\
extern fn log(s: text)
extern fn greet(name: text, times: i64) -> text
extern fn nothing() -> text
extern fn not_utf8() -> text
extern fn byte_length(s: text) -> i64

fn shout(name: text) -> text:
    log(\"shouting at \" + name)
    return greet(name, 2) + \" \" + greet(\"you\", 0)

fn lengths() -> i64:
    return byte_length(\"\") * 100 + byte_length(\"héllo\") * 10 + len(nothing())

fn odd() -> text:
    return not_utf8()

fn repeated(n) -> i64:
    var total = 0
    for i in 0..n:
        val g = greet(str(i), 1)
        total += len(g)
    return total
";

#[test]
fn text_goes_to_host_functions_and_comes_back_copied() {
    for level in 0..=3 {
        let m = with_hosts();
        m.set_opt_level(level).unwrap();
        m.compile_source(SOURCE, "host_text").unwrap();
        LOGGED.lock().unwrap().clear();
        // Two results of the same buffer: each was copied before the next call.
        assert_eq!(m.call("shout", &[text("ann")]).unwrap(), text("hello, ann!! hello, you"), "opt {level}");
        assert_eq!(LOGGED.lock().unwrap().as_slice(), ["shouting at ann"], "opt {level}");
        // The empty text is "" (NULL in the library); a NULL result is the
        // empty text; bytes are bytes (é is two).
        assert_eq!(m.call("lengths", &[]).unwrap(), Value::I64(60), "opt {level}");
        assert_eq!(m.call("odd", &[]).unwrap(), text("a\u{fffd}b"), "opt {level}");
    }
}

#[test]
fn text_results_of_host_functions_are_released() {
    let m = with_hosts();
    m.compile_source(SOURCE, "host_text").unwrap();
    // Each result is about 10 bytes plus its header: 10^5 results kept would
    // be several megabytes, far past this limit.
    m.set_memory_limit(512 * 1024);
    let n = 100_000i64;
    let want: i64 = (0..n).map(|i| format!("hello, {i}!").len() as i64).sum();
    assert_eq!(m.call("repeated", &[Value::I64(n)]).unwrap(), Value::I64(want));
    assert_eq!(m.call("repeated", &[Value::I64(n)]).unwrap(), Value::I64(want));
}

#[test]
fn through_mir_and_the_printed_mir() {
    let m = with_hosts();
    m.compile_mir(
        b"mir 1\nextern fn greet(text, i64) -> text\nfn f(s: text) -> text {\n    local r: text\n    r = call greet(s, 3)\n    ret r\n}\n",
        "<mir>",
    )
    .unwrap();
    assert_eq!(m.call("f", &[text("mir")]).unwrap(), text("hello, mir!!!"));
    let printed = rtjit::mir_from_source(SOURCE).unwrap();
    let again = with_hosts();
    again.compile_mir(printed.as_bytes(), "<printed>").unwrap();
    assert_eq!(again.call("shout", &[text("bo")]).unwrap(), text("hello, bo!! hello, you"));
}

#[test]
fn arrays_and_records_still_cannot_cross() {
    let m = manager();
    let e = m.register_host("bad", log as extern "C" fn(*const c_char) as usize, sig("fn([i64]) -> void"));
    assert!(e.is_err());
    let e = m.compile_source("extern fn bad(xs: [i64])\n", "e").unwrap_err().to_string();
    assert!(e.contains("cannot take or return an array, a map or a record"), "{e}");
}

extern "C" fn tagged_a(data: *const i64, x: i64) -> i64 {
    // SAFETY: registered with a pointer to a live i64.
    unsafe { *data * 1000 + 100 + x }
}

extern "C" fn tagged_b(data: *const i64, x: i64) -> i64 {
    // SAFETY: as above.
    unsafe { *data * 1000 + 200 + x }
}

#[test]
fn user_data_comes_first_and_changes_with_its_function() {
    static ONE: i64 = 1;
    static TWO: i64 = 2;
    let m = std::sync::Arc::new(manager());
    let a = tagged_a as extern "C" fn(*const i64, i64) -> i64 as usize;
    let b = tagged_b as extern "C" fn(*const i64, i64) -> i64 as usize;
    m.register_host_with_data("tagged", a, sig("fn(i64) -> i64"), &raw const ONE as usize).unwrap();
    m.compile_source("extern fn tagged(x: i64) -> i64\nfn t(x): tagged(x)\n", "t").unwrap();
    assert_eq!(m.execute("t", &[5]).unwrap(), 1105);
    // Pairs registered together are seen together, also by calls racing
    // the re-registrations: a (ONE, a) or (TWO, b), never ONE with b.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let (m, stop) = (m.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut seen = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = m.execute("t", &[7]).unwrap();
                    assert!(r == 1107 || r == 2207, "a torn pair gave {r}");
                    seen += 1;
                }
                seen
            })
        })
        .collect();
    for k in 0..2000 {
        let (f, data) = if k % 2 == 0 { (b, &raw const TWO) } else { (a, &raw const ONE) };
        m.register_host_with_data("tagged", f, sig("fn(i64) -> i64"), data as usize).unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let calls: i32 = callers.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(calls > 0);
    assert_eq!(m.execute("t", &[0]).unwrap(), 1100, "the last registration is (ONE, a)");
    // Without user data the C signature differs: refused while called.
    let e = m.register_host("tagged", a, sig("fn(i64) -> i64")).unwrap_err().to_string();
    assert!(e.contains("from fn(i64) -> i64 with user data to fn(i64) -> i64"), "{e}");
}

// A host function called only on some iterations of a loop goes through a
// register-preserving stub of its signature (backend::cranelift::cold_call):
// arguments, results, narrow types, text, user data and errors arrive as
// they do through a plain call.

extern "C" fn halve(x: f64, n: i64) -> f64 {
    x / 2.0 + n as f64
}
extern "C" fn narrow(a: i8, b: bool, c: i32) -> i32 {
    i32::from(a) * 100 + i32::from(b) * 10 + c
}
extern "C" fn refuse_at(data: *const i64, i: i64) -> i64 {
    // SAFETY: registered with the address of a static i64.
    if i == unsafe { *data } {
        rtjit::raise_error("refused");
    }
    i
}
static REFUSE_AT: i64 = 77;

const RARE_CALLS: &str = "\
extern fn halve(x: f64, n: i64) -> f64
extern fn byte_length(s: text) -> i64
extern fn greet(name: text, times: i64) -> text
extern fn refuse_at(i: i64) -> i64
fn mixed(n: i64, every: i64) -> f64:
    var total = 0.0
    var lengths = 0
    var last = \"\"
    var i = 0
    while i < n:
        val x = 0.5 * i
        total += x
        if i % every == 0:
            total += halve(total, i)
            lengths += byte_length(last)
            last = greet(\"ab\", i % 3)
        i += 1
    return total + lengths + len(last)
fn refusing(n: i64) -> i64:
    var s = 0
    for i in 0..n:
        if i % 2 == 1:
            s += refuse_at(i)
    return s
";

#[test]
fn conditional_host_calls_in_loops_behave_as_plain_calls() {
    let m = with_hosts();
    m.register_host("halve", halve as extern "C" fn(f64, i64) -> f64 as usize, sig("fn(f64, i64) -> f64")).unwrap();
    m.register_host_with_data(
        "refuse_at",
        refuse_at as extern "C" fn(*const i64, i64) -> i64 as usize,
        sig("fn(i64) -> i64"),
        &REFUSE_AT as *const i64 as usize,
    )
    .unwrap();
    m.compile_source(RARE_CALLS, "<source>").unwrap();
    // The same arithmetic in Rust, with the host functions' results.
    let expect = |n: i64, every: i64| {
        let (mut total, mut lengths, mut last) = (0.0f64, 0i64, String::new());
        for i in 0..n {
            total += 0.5 * i as f64;
            if i % every == 0 {
                total += halve(total, i);
                lengths += last.len() as i64;
                last = format!("hello, ab{}", "!".repeat((i % 3) as usize));
            }
        }
        total + lengths as f64 + last.len() as f64
    };
    for (n, every) in [(10, 1), (1000, 7), (5000, 1000)] {
        let got = m.call("mixed", &[Value::I64(n), Value::I64(every)]).unwrap();
        assert_eq!(got, Value::F64(expect(n, every)), "mixed({n}, {every})");
    }
    assert_eq!(m.call("refusing", &[Value::I64(50)]).unwrap(), Value::I64(625));
    let err = m.call("refusing", &[Value::I64(100)]).unwrap_err();
    assert_eq!(err.to_string(), "refused");
    // Narrow arguments are extended as C expects through the stub too.
    m.register_host("narrow", narrow as extern "C" fn(i8, bool, i32) -> i32 as usize, sig("fn(i8, bool, i32) -> i32"))
        .unwrap();
    let mir = "mir 1\nextern fn narrow(i8, bool, i32) -> i32\nfn f(n: i64) -> i64 {\n    local i: i64\n    local c: bool\n    \
               local r: i32\n    local s: i64\n    local w: i64\nentry:\n    jmp head\nhead:\n    c = lt i, n\n    br c, body, done\n\
               body:\n    c = eq i, 3\n    br c, call, step\ncall:\n    r = call narrow(-2:i8, true, 7:i32)\n    w = sext r\n    \
               s = add s, w\n    jmp step\nstep:\n    i = add i, 1\n    jmp head\ndone:\n    ret s\n}\n";
    m.compile_mir(mir.as_bytes(), "<mir>").unwrap();
    assert_eq!(m.execute("f", &[10]).unwrap(), -200 + 10 + 7);
}
