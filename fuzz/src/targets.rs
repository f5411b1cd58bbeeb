//! The bodies of rtjit's fuzz targets: one copy, included by the fuzz crate
//! (`fuzz/src/lib.rs`, for cargo-fuzz) and by the main crate's
//! `tests/fuzz_smoke.rs` (a bounded run under `cargo test`). It uses only
//! `rtjit` and `std`, so it builds in both.
//!
//! Each body takes arbitrary bytes and panics on a broken promise: an
//! `Error::Internal` / `RT_ERR_INTERNAL`, a status code outside the
//! documented ones, two compile paths that disagree, a printed MIR text
//! that does not read back. A crash, an abort or a hang of the library
//! itself is caught by the fuzzer (or the test) as such. Every manager has
//! a step and a memory limit, so no input runs forever or eats the machine.
//!
//! * [`source`]: the bytes are a source unit; compiled with
//!   `compile_source` at an optimisation level picked from a hash of the
//!   bytes, and through `mir_from_source` + `compile_mir` in a second
//!   manager; both must agree, on the unit and on calls of every function
//!   it defined with a few argument vectors.
//! * [`mir`]: the bytes are MIR text; `parse_mir` / `print_mir` must round
//!   trip, `compile_mir` must fail cleanly or succeed, and an accepted text
//!   must behave the same once printed. Text using raw memory (`load`,
//!   `store`, `call_indirect`) may crash by design (docs/mir.md §7.9), so
//!   it is compiled but never run.
//! * [`capi`]: the bytes are decoded into a sequence of C API calls on a
//!   few manager slots (create, compile good and bad snippets, execute and
//!   call with odd arguments, limits, interrupt, host callbacks that
//!   re-enter or clean up the manager, a second thread, stale handles).

use std::cell::Cell;
use std::ffi::{CStr, CString, c_char, c_void};
use std::ptr;
use std::sync::OnceLock;

use rtjit::{Backend, Error, Manager, Signature, Ty, Value};

#[path = "rng.rs"]
pub mod rng;
use rng::Rng;

// ------------------------------------------------------------------ helpers

/// FNV-1a: picks per-input choices (opt level, argument values) from the
/// bytes themselves, so a run is a function of its input.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

const STEP_LIMIT: u64 = 5_000;
const MEMORY_LIMIT: u64 = 256 << 10;

const INTS: &[i64] = &[0, 1, -1, 2, 3, 7, 10, 20, -7, 100, 1 << 40, i64::MAX, i64::MIN];
const FLOATS: &[f64] = &[0.0, -0.0, 1.0, -1.5, 2.5, 1e300, f64::INFINITY, f64::NEG_INFINITY, f64::NAN];
const TEXTS: &[&str] = &["", "a", "12", " -42 ", "2.5e-3", "héllo", "nan", "x\u{0}y", "12x"];

/// A value for a parameter of type `ty`.
fn arg_for(ty: Ty, rng: &mut Rng) -> Value {
    match ty {
        Ty::F64 | Ty::F32 => {
            if rng.below(4) == 0 {
                Value::I64(*rng.pick(INTS))
            } else {
                Value::F64(*rng.pick(FLOATS))
            }
        }
        Ty::Bool => Value::Bool(rng.below(2) == 1),
        Ty::Text => Value::Text(rng.pick(TEXTS).to_string()),
        _ => Value::I64(*rng.pick(INTS)),
    }
}

/// Equal values, NaN equal to NaN (two compile paths of one program may
/// produce NaNs with other payloads).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::F64(x), Value::F64(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        // Objects by type and text: `==` on them says NaN != NaN, as the
        // language does, but two paths that both give NaN agree.
        (Value::Array(_) | Value::Record(_) | Value::Map(_), _) => {
            a.type_name() == b.type_name() && a.to_string() == b.to_string()
        }
        _ => a == b,
    }
}

fn same_result(a: &Result<Value, Error>, b: &Result<Value, Error>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => same_value(x, y),
        (Err(x), Err(y)) => x == y,
        _ => false,
    }
}

/// The one promise every Rust API call keeps: no internal error.
fn no_internal<T: std::fmt::Debug>(what: &str, r: &Result<T, Error>) {
    if let Err(Error::Internal(m)) = r {
        panic!("{what}: internal error: {m}");
    }
}

// -------------------------------------------------------- host functions

unsafe extern "C" {
    fn rt_raise_error(message: *const c_char);
}

extern "C" fn h_add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

extern "C" fn h_half(x: f64) -> f64 {
    x / 2.0
}

extern "C" fn h_note(_x: i64) {}

extern "C" fn h_flag(b: bool, n: i32) -> bool {
    b ^ (n & 1 == 1)
}

extern "C" fn h_neg(b: bool) -> bool {
    !b
}

/// Fails the running call when `x` is odd.
extern "C" fn h_raise(x: i64) -> i64 {
    if x & 1 == 1 {
        // SAFETY: a NUL-terminated string.
        unsafe { rt_raise_error(c"raised by h_raise".as_ptr()) };
    }
    x
}

/// Registers the host functions the seeds use (MIR externs of
/// tests/mir_fuzz.rs and a few for source).
fn register_hosts(m: &Manager) {
    let reg = |name: &str, addr: usize, sig: &str| {
        let r = m.register_host(name, addr, Signature::parse(sig).expect("a signature"));
        r.expect("registering a host function");
    };
    reg("h_add", h_add as extern "C" fn(i64, i64) -> i64 as usize, "fn(i64, i64) -> i64");
    reg("h_half", h_half as extern "C" fn(f64) -> f64 as usize, "fn(f64) -> f64");
    reg("h_note", h_note as extern "C" fn(i64) as usize, "fn(i64) -> void");
    reg("h_flag", h_flag as extern "C" fn(bool, i32) -> bool as usize, "fn(bool, i32) -> bool");
    reg("h_neg", h_neg as extern "C" fn(bool) -> bool as usize, "fn(bool) -> bool");
    reg("h_raise", h_raise as extern "C" fn(i64) -> i64 as usize, "fn(i64) -> i64");
}

fn limited_manager(level: u8) -> Manager {
    let m = Manager::new(Backend::Cranelift).expect("a manager");
    m.set_opt_level(level).expect("an opt level");
    m.set_step_limit(STEP_LIMIT);
    m.set_memory_limit(MEMORY_LIMIT);
    register_hosts(&m);
    m
}

/// Calls up to `max_fns` functions of `a` with a few argument vectors each;
/// when `b` holds the same program compiled another way, it gets the same
/// calls and must give the same results.
fn exercise(a: &Manager, b: Option<&Manager>, seed: u64, max_fns: usize) {
    let names = a.function_names();
    if let Some(b) = b {
        assert_eq!(names, b.function_names(), "the two compile paths define different functions");
    }
    let mut rng = Rng(seed);
    for name in names.iter().take(max_fns) {
        let sig = a.function_signature(name);
        no_internal("function_signature", &sig);
        let Ok(sig) = sig else { continue };
        for _ in 0..2 {
            let args: Vec<Value> = sig.params.iter().map(|&t| arg_for(t, &mut rng)).collect();
            let ra = a.call(name, &args);
            no_internal(&format!("call {name}{args:?}"), &ra);
            if let Some(b) = b {
                let rb = b.call(name, &args);
                no_internal(&format!("call {name}{args:?} (second path)"), &rb);
                assert!(same_result(&ra, &rb), "call {name}{args:?}: {ra:?} on one path, {rb:?} on the other");
            }
        }
        // The integer entry point, with arguments of any type (a signature
        // error for non-integer functions).
        let ints: Vec<i64> = (0..sig.params.len() + rng.below(2)).map(|_| *rng.pick(INTS)).collect();
        let ra = a.execute(name, &ints);
        no_internal(&format!("execute {name}{ints:?}"), &ra);
        if let Some(b) = b {
            let rb = b.execute(name, &ints);
            assert_eq!(ra, rb, "execute {name}{ints:?} differs between the two paths");
        }
    }
    // A name that is not there, and one that is close to one that is.
    let r = a.call("no_such_function", &[]);
    assert!(matches!(r, Err(Error::NotFound(_))), "call of a missing function: {r:?}");
}

// ------------------------------------------------------------ target: source

/// Arbitrary bytes as a source unit.
pub fn source(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let h = fnv(data);
    let level = (h % 4) as u8;
    let a = limited_manager(level);
    let ra = a.compile_source(&text, "<source>");
    no_internal("compile_source", &ra);
    if let Err(Error::Compile(m)) = &ra {
        assert!(m.starts_with("<source>:"), "a compile error without its position: {m}");
    }
    let mir = rtjit::mir_from_source(&text);
    no_internal("mir_from_source", &mir);
    let compiled = !matches!(ra, Err(Error::Compile(_)));
    if let (true, Err(e)) = (compiled, &mir) {
        panic!("compile_source accepted the unit but mir_from_source says {e:?}");
    }
    // The second manager is made before anything runs in it and is never
    // moved afterwards: texts made by a manager's code point back into it
    // (see docs/reliability.md, finding 1).
    let b = limited_manager(level);
    let mut second = None;
    if let Ok(mir) = &mir {
        // The printed MIR reads back and prints the same.
        let (module, _) = rtjit::parse_mir(mir).unwrap_or_else(|e| panic!("printed MIR does not parse: {e}\n{mir}"));
        let again = rtjit::print_mir(&module);
        assert_eq!(&again, mir, "print(parse(mir_from_source(s))) differs from mir_from_source(s)");
        // The same unit through MIR, at the same level, behaves the same.
        let rb = b.compile_mir(mir.as_bytes(), "<mir>");
        no_internal("compile_mir of printed MIR", &rb);
        if compiled {
            assert!(same_result(&ra, &rb), "unit: compile_source gave {ra:?}, its MIR gave {rb:?}\n{mir}");
            second = Some(&b);
        }
    }
    if ra.is_ok() {
        exercise(&a, second, h, 6);
    }
}

// --------------------------------------------------------------- target: mir

/// Does MIR text use an instruction that reads or writes raw memory or
/// calls an address (allowed to crash, docs/mir.md §7.9)?
fn uses_raw_memory(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| matches!(w, "load" | "store" | "call_indirect"))
}

/// Arbitrary bytes as MIR text.
pub fn mir(data: &[u8]) {
    // Whatever parses prints to text that parses again, to the same module
    // (valid or not: docs/reliability.md, finding 3).
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((module, _)) = rtjit::parse_mir(text) {
            let printed = rtjit::print_mir(&module);
            let (again, _) = rtjit::parse_mir(&printed)
                .unwrap_or_else(|e| panic!("printed MIR does not parse: {e}\n{printed}\n(from)\n{text}"));
            assert_eq!(rtjit::print_mir(&again), printed, "print(parse(print(m))) differs from print(m)");
        }
    }
    let lossy = String::from_utf8_lossy(data);
    let raw = uses_raw_memory(&lossy);
    // Init code runs at compile time: text with raw memory access and an
    // init block is only parsed.
    if raw && lossy.contains("init") {
        return;
    }
    let h = fnv(data);
    let level = (h % 4) as u8;
    let a = limited_manager(level);
    let ra = a.compile_mir(data, "<mir>");
    no_internal("compile_mir", &ra);
    match &ra {
        Err(Error::Compile(m)) => {
            assert!(m.starts_with("<mir>:"), "a compile error without its position: {m}");
            return;
        }
        Err(Error::Runtime(_) | Error::Interrupted(_)) | Ok(_) => {}
        Err(e) => panic!("compile_mir failed with an unexpected kind of error: {e:?}"),
    }
    // Accepted text parses, and its printed form compiles to the same.
    let text = std::str::from_utf8(data).expect("compile_mir accepted text that is not UTF-8");
    let (module, _) = rtjit::parse_mir(text).unwrap_or_else(|e| panic!("accepted, but parse_mir fails: {e}"));
    let printed = rtjit::print_mir(&module);
    let b = limited_manager(level);
    let rb = b.compile_mir(printed.as_bytes(), "<mir>");
    no_internal("compile_mir of printed MIR", &rb);
    assert!(same_result(&ra, &rb), "compile_mir gave {ra:?}, of its printed text {rb:?}\n{printed}");
    if ra.is_ok() && !raw {
        exercise(&a, Some(&b), h, 6);
    }
}

// -------------------------------------------------------------- target: capi

const RT_OK: i32 = 0;
const RT_ERR_INVALID_HANDLE: i32 = 1;
const RT_ERR_INTERNAL: i32 = 10;
const RT_TYPE_TEXT: i32 = 4;
const RT_TYPE_ARRAY: i32 = 5;

#[repr(C)]
#[derive(Clone, Copy)]
union RtValueAs {
    i64: i64,
    f64: f64,
    boolean: i32,
    text: *const c_char,
    object: *mut c_void,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct RtValue {
    ty: i32,
    as_: RtValueAs,
}

impl RtValue {
    fn void() -> RtValue {
        RtValue { ty: 0, as_: RtValueAs { i64: 0 } }
    }
}

unsafe extern "C" {
    fn rt_set_jit_backend(backend: i32) -> i32;
    fn rt_get_jit_backend() -> i32;
    fn rt_exec_manager_create() -> i64;
    fn rt_exec_manager_create_with_backend(backend: i32) -> i64;
    fn rt_exec_manager_cleanup(h: i64) -> i32;
    fn rt_exec_manager_is_valid(h: i64) -> i32;
    fn rt_exec_manager_get_backend(h: i64) -> i32;
    fn rt_exec_manager_set_opt_level(h: i64, level: i32) -> i32;
    fn rt_exec_manager_get_opt_level(h: i64) -> i32;
    fn rt_exec_manager_compile_source(h: i64, source: *const c_char) -> i32;
    fn rt_exec_manager_compile_mir(h: i64, data: *const u8, len: usize) -> i32;
    fn rt_exec_manager_compile_file(h: i64, path: *const c_char) -> i32;
    fn rt_exec_manager_eval(h: i64, source: *const c_char, result: *mut RtValue) -> i32;
    fn rt_mir_from_source(source: *const c_char) -> *mut c_char;
    fn rt_exec_manager_execute(h: i64, name: *const c_char, args: *const i64, nargs: usize, result: *mut i64) -> i32;
    fn rt_exec_manager_execute_string(
        h: i64,
        name: *const c_char,
        args: *const *const c_char,
        nargs: usize,
    ) -> *mut c_char;
    fn rt_exec_manager_execute_void(h: i64, name: *const c_char) -> i32;
    fn rt_exec_manager_call(
        h: i64,
        name: *const c_char,
        args: *const RtValue,
        nargs: usize,
        result: *mut RtValue,
    ) -> i32;
    fn rt_exec_manager_has_function(h: i64, name: *const c_char) -> i32;
    fn rt_exec_manager_list_functions(h: i64) -> *mut c_char;
    fn rt_exec_manager_function_signature(h: i64, name: *const c_char) -> *mut c_char;
    fn rt_exec_manager_function_count(h: i64) -> i64;
    fn rt_exec_manager_get_global(h: i64, name: *const c_char, result: *mut RtValue) -> i32;
    fn rt_exec_manager_set_global(h: i64, name: *const c_char, value: *const RtValue) -> i32;
    fn rt_value_free(v: *mut RtValue);
    fn rt_value_to_json(v: *const RtValue) -> *mut c_char;
    fn rt_array_from_i64(data: *const i64, n: usize) -> *mut c_void;
    fn rt_array_from_f64(data: *const f64, n: usize) -> *mut c_void;
    fn rt_object_len(o: *const c_void) -> i64;
    fn rt_object_free(o: *mut c_void);
    fn rt_exec_manager_get_last_error() -> *const c_char;
    fn rt_exec_manager_clear_error();
    fn rt_last_error_code() -> i32;
    fn rt_string_free(s: *mut c_char);
    fn rt_version() -> *const c_char;
    fn rt_exec_manager_register_function(
        h: i64,
        name: *const c_char,
        fn_ptr: *mut c_void,
        signature: *const c_char,
    ) -> i32;
    fn rt_exec_manager_interrupt(h: i64) -> i32;
    fn rt_exec_manager_set_time_limit(h: i64, microseconds: u64) -> i32;
    fn rt_exec_manager_set_step_limit(h: i64, steps: u64) -> i32;
    fn rt_exec_manager_set_memory_limit(h: i64, bytes: u64) -> i32;
    fn rt_exec_manager_set_stack_limit(h: i64, bytes: u64) -> i32;
}

/// This thread's last error message, checked to be a UTF-8 C string.
fn last_error() -> String {
    // SAFETY: never NULL by contract (checked), NUL-terminated, valid until
    // this thread's next rt_* call; copied at once.
    let p = unsafe { rt_exec_manager_get_last_error() };
    assert!(!p.is_null(), "rt_exec_manager_get_last_error returned NULL");
    // SAFETY: as above.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().unwrap_or_else(|_| panic!("the last error is not UTF-8: {s:?}")).to_string()
}

/// Checks a status code a call returned: a documented code, never
/// RT_ERR_INTERNAL, and on failure this thread's last error says the same.
fn status(what: &str, code: i32) -> i32 {
    assert!((0..=10).contains(&code), "{what}: undocumented status {code}");
    // SAFETY: no arguments.
    let last = unsafe { rt_last_error_code() };
    assert!(code != RT_ERR_INTERNAL, "{what}: RT_ERR_INTERNAL: {}", last_error());
    if code != RT_OK {
        assert_eq!(last, code, "{what} returned {code} but the last error code is {last}: {}", last_error());
        assert!(!last_error().is_empty(), "{what} failed with {code} and an empty message");
    }
    code
}

/// Checks a returned string: NULL only with a (non-internal) error set;
/// otherwise UTF-8, then freed.
fn owned_string(what: &str, p: *mut c_char) -> Option<String> {
    // SAFETY: no arguments.
    let last = unsafe { rt_last_error_code() };
    if p.is_null() {
        assert!(last != RT_OK, "{what} returned NULL without setting an error");
        assert!(last != RT_ERR_INTERNAL, "{what}: RT_ERR_INTERNAL: {}", last_error());
        return None;
    }
    // SAFETY: a new NUL-terminated string this library returned; freed once.
    let s = unsafe { CStr::from_ptr(p) }.to_str().map(str::to_string);
    // SAFETY: as above.
    unsafe { rt_string_free(p) };
    Some(s.unwrap_or_else(|_| panic!("{what} returned a string that is not UTF-8")))
}

/// Frees the text or object of an rt_value the library filled in (an
/// object after reading its length and JSON).
fn release(what: &str, v: &RtValue) {
    if v.ty == RT_TYPE_TEXT {
        // SAFETY: the library set `text` for RT_TYPE_TEXT.
        let p = unsafe { v.as_.text } as *mut c_char;
        owned_string(what, p).unwrap_or_else(|| panic!("{what}: a text value holding NULL"));
    } else if (5..=7).contains(&v.ty) {
        // SAFETY: the library set `object` to an rt_object it made, which
        // is ours to read and free once.
        unsafe {
            assert!(!v.as_.object.is_null(), "{what}: an object value holding NULL");
            assert!(rt_object_len(v.as_.object) >= 0, "{what}: an object without a length");
            owned_string(what, rt_value_to_json(v)).unwrap_or_else(|| panic!("{what}: an object without JSON"));
            let mut owned = *v;
            rt_value_free(&mut owned);
            assert_eq!(owned.ty, 0, "{what}: rt_value_free left a type tag");
        }
    } else {
        assert!((0..=4).contains(&v.ty), "{what}: a value with type tag {}", v.ty);
    }
}

/// A new array for an argument or a global (NULL now and then, which the
/// library must refuse); freed by the caller with `rt_object_free`.
fn array_arg(b: &mut Bytes) -> *mut c_void {
    let n = (b.u8() % 6) as usize;
    // SAFETY: `n` readable elements (the constants are longer than 6).
    unsafe {
        match b.u8() % 8 {
            0 => ptr::null_mut(),
            1..=4 => rt_array_from_i64(INTS.as_ptr(), n),
            _ => rt_array_from_f64(FLOATS.as_ptr(), n),
        }
    }
}

// The manager a host callback runs in, set by the harness around calls.
thread_local! {
    static CURRENT: Cell<i64> = const { Cell::new(0) };
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// A host function that re-enters the manager it is called from: calls,
/// nested compiles, a failing eval, recursion through JIT code, a compile
/// of MIR, and cleaning up the very manager that is running it.
extern "C" fn h_reenter(x: i64) -> i64 {
    let depth = DEPTH.with(Cell::get);
    if depth >= 4 {
        return -2;
    }
    DEPTH.with(|d| d.set(depth + 1));
    let h = CURRENT.with(Cell::get);
    let mut out = 0;
    // SAFETY: every pointer is a NUL-terminated string or a local.
    let code = unsafe {
        match x.rem_euclid(7) {
            0 => rt_exec_manager_execute(h, c"f".as_ptr(), &x, 1, &mut out),
            1 => rt_exec_manager_compile_source(h, c"fn f(x): x + 2\nfn added(): 5".as_ptr()),
            2 => rt_exec_manager_eval(h, c"1 / 0".as_ptr(), ptr::null_mut()),
            3 => {
                let arg = x / 7;
                rt_exec_manager_execute(h, c"re".as_ptr(), &arg, 1, &mut out)
            }
            4 => rt_exec_manager_cleanup(h),
            5 => {
                let m = b"mir 1\nfn mirf(x: i64) -> i64 {\n    x = add x, 1\n    ret x\n}\n";
                rt_exec_manager_compile_mir(h, m.as_ptr(), m.len())
            }
            _ => rt_exec_manager_interrupt(h),
        }
    };
    status("a call from a host function", code);
    DEPTH.with(|d| d.set(depth));
    if code == RT_OK { out } else { -1 }
}

/// A host function returning 0 with no parameters: safe to register with
/// any signature on x86-64 (arguments are ignored, the result registers
/// hold a value of some kind).
extern "C" fn h_zero() -> i64 {
    0
}

const SOURCES: &[&str] = &[
    "fn f(x): x^2 + 2*x + 1",
    "fn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n",
    "timeout = 30 * 60",
    "fn d(a, b): a / b\nfn m(a, b): a % b\nfn p(a, b): a ^ b\n",
    "fn spin():\n    var i = 0\n    while true:\n        i += 1\n",
    "fn grow(n) -> text:\n    var s = \"ab\"\n    for i in 0..n:\n        s = s + s\n    s\n",
    "fn greet(a: text, b: text) -> text: a + \", \" + b",
    "fn t(x: f64, b: bool) -> f64:\n    if b: return x * 2\n    return -x\n",
    "fn r(n) -> i64: r(n + 1)",
    "extern fn h_add(a, b) -> i64\nfn use_h(x): h_add(x, 1)\n",
    "extern fn h_raise(x) -> i64\nfn use_r(x): h_raise(x) + 1\n",
    "extern fn h_reenter(x) -> i64\nfn re(x): h_reenter(x)\n",
    "extern fn h_reenter(x) -> i64\nval top = h_reenter(1)\n",
    "extern fn h_reenter(x) -> i64\nval top = h_reenter(4)\n",
    "extern fn h_reenter(x) -> i64\nfn re(x): h_reenter(x)\nval top2 = re(2) + 1 / 0\n",
    "val k = 1 / 0",
    "fn f(x): x +",
    "var g = 1.5\nfn getg(): g\nfn setg(x: f64):\n    g = x\n",
    "fn f(x: f64): x",
    "fn g(x): f(x) * 10",
    "fn v():\n    return\n",
    "s = str(3.5) + \"x\"",
    "fn pi(s: text): int(s)\nfn pf(s: text): float(s)\nfn ln(s: text): len(s)\n",
    "",
    "fn f(x):\n\treturn x\n",
    "var n = 0\nwhile true:\n    n += 1\n",
    "fn fact(n) -> i64:\n    if n <= 1: return 1\n    return n * fact(n - 1)\n",
    "fn mix(a, b: f64, c: bool, d: text) -> text: str(a) + str(b) + str(c) + d",
    "fn b(x): x > 3 and x < 10 or not (x == 0)",
    "x = 1\nif true:\n    val x = 5\n    y = x\nx\n",
    "fn big():\n    var s = \"x\"\n    while true:\n        s = s + s\n",
    "extern fn nothere(x) -> i64",
    "extern fn h_add(a) -> i64",
    "fn abs(x): x",
    "fn f(x): x + 1\nfn f(x): x + 2\n",
    "fn asum(xs: [i64]) -> i64:\n    var s = 0\n    for x in xs:\n        s += x\n    return s\n",
    "fn adbl(xs: [f64]) -> [f64]:\n    var ys = xs\n    ys.push(1.0)\n    ys[0] = 2.0\n    return ys\n",
    "arr = [1, 2, 3]\nfn aget(i) -> i64: arr[i]\n",
];

const MIRS: &[&[u8]] = &[
    b"mir 1\nfn add1(x: i64) -> i64 {\n    x = add x, 1\n    ret x\n}\n",
    b"mir 1\nfn f() -> i64 {\n    local x: i64\n    x = frob 1\n    ret 0\n}\n",
    b"mir 1\nfn f(a: i64, b: f64) -> i64 {\n    local r: i64\n    r = add a, b\n    ret r\n}\n",
    b"mir 1\n",
    b"",
    b"mir 2\n",
    b"mir 1\nfn f(x: i64) -> i64 {\n",
    b"mir 1\n\xff\xfe\n",
    b"mir 1\nextern fn h_reenter(i64) -> i64\ninit -> i64 {\n    local r: i64\n    r = call h_reenter(1)\n    ret r\n}\n",
];

/// Source snippet `i`, C string (cached).
fn source_snippet(i: usize) -> &'static CStr {
    static ALL: OnceLock<Vec<CString>> = OnceLock::new();
    let all = ALL.get_or_init(|| SOURCES.iter().map(|s| CString::new(*s).expect("no NUL")).collect());
    &all[i % all.len()]
}

/// MIR blob `i`: the hand-written ones, then the printed MIR of each
/// source snippet that compiles (cached).
fn mir_snippet(i: usize) -> &'static [u8] {
    static ALL: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let mut v: Vec<Vec<u8>> = MIRS.iter().map(|m| m.to_vec()).collect();
        v.extend(SOURCES.iter().filter_map(|s| rtjit::mir_from_source(s).ok()).map(String::into_bytes));
        v
    });
    &all[i % all.len()]
}

/// Files compile_file may read (never a device or a FIFO that would
/// block): missing, a directory, a source file, a MIR file, bad UTF-8.
fn file_path(i: usize) -> &'static CStr {
    static ALL: OnceLock<Vec<CString>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rtjit-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let files: [(&str, &[u8]); 3] = [
            ("a.rt", b"fn from_file(x): x * 3\nval loaded = 1\n"),
            ("b.mir", b"mir 1\nfn from_mir(x: i64) -> i64 {\n    ret x\n}\n"),
            ("c.rt", b"fn f(x): x\n\xff\n"),
        ];
        let mut v = vec![CString::new("/nonexistent/rtjit/x.rt").unwrap(), CString::new("/").unwrap()];
        for (name, body) in files {
            let p = dir.join(name);
            let _ = std::fs::write(&p, body);
            v.push(CString::new(p.to_string_lossy().into_owned()).unwrap());
        }
        v
    });
    &all[i % all.len()]
}

const NAMES: &[&CStr] = &[
    c"f",
    c"fib",
    c"d",
    c"m",
    c"p",
    c"spin",
    c"grow",
    c"greet",
    c"t",
    c"r",
    c"use_h",
    c"use_r",
    c"re",
    c"getg",
    c"setg",
    c"g",
    c"v",
    c"pi",
    c"pf",
    c"ln",
    c"fact",
    c"mix",
    c"b",
    c"add1",
    c"mirf",
    c"added",
    c"from_file",
    c"from_mir",
    c"timeout",
    c"top",
    c"s",
    c"x",
    c"y",
    c"loaded",
    c"asum",
    c"adbl",
    c"arr",
    c"aget",
    c"nope",
    c"fi",
    c"",
    c"f\xff",
];

const STRINGS: &[&CStr] = &[c"", c"a", c"12", c"-3", c"2.5", c"\xc3\xa9", c"\xff\xfe", c"nan", c" 7 "];

/// Reads decisions from the fuzzer's bytes (zeros when they run out).
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn left(&self) -> bool {
        self.pos < self.data.len()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.u8() as usize % items.len()]
    }

    /// A run of the remaining bytes (up to 255, length from one byte).
    fn blob(&mut self) -> &[u8] {
        let n = self.u8() as usize;
        let start = self.pos.min(self.data.len());
        let end = (start + n).min(self.data.len());
        self.pos = end;
        &self.data[start..end]
    }
}

/// One manager slot of the harness and what it knows of the limits set on
/// it (a manager always has a bounded step or time limit, so nothing hangs).
#[derive(Clone, Copy, Default)]
struct Slot {
    h: i64,
    steps_bounded: bool,
    time_bounded: bool,
}

struct Harness {
    slots: [Slot; 3],
    stale: Vec<i64>,
}

impl Harness {
    /// A handle to use: a live slot, a stale one, or garbage.
    fn handle(&mut self, b: &mut Bytes) -> (usize, i64) {
        let k = b.u8();
        let slot = (k % 3) as usize;
        let h = match k / 3 % 16 {
            0..=12 => self.slots[slot].h,
            13 => self.stale.get(slot).copied().unwrap_or(0),
            14 => self.slots[slot].h ^ (1 << 32),
            _ => b.pick(&[0, -1, 1, 2, i64::MAX, i64::MIN, 0x1_0000_0001]),
        };
        (slot, h)
    }

    fn keep_bounded(&mut self, slot: usize, h: i64) {
        let s = &mut self.slots[slot];
        if s.h == h && !s.steps_bounded && !s.time_bounded {
            // SAFETY: plain values.
            unsafe { rt_exec_manager_set_step_limit(h, 10_000) };
            s.steps_bounded = true;
        }
    }

    fn create(&mut self, slot: usize, h: i64) {
        if h == 0 {
            return;
        }
        let old = self.slots[slot].h;
        if old != 0 {
            // SAFETY: plain value.
            unsafe { rt_exec_manager_cleanup(old) };
            self.stale.push(old);
        }
        // SAFETY: plain values.
        unsafe {
            status("set_step_limit", rt_exec_manager_set_step_limit(h, 10_000));
            status("set_memory_limit", rt_exec_manager_set_memory_limit(h, 256 << 10));
        }
        self.slots[slot] = Slot { h, steps_bounded: true, time_bounded: false };
        self.register(h, 0);
    }

    /// Registers the host functions, each with its real signature.
    fn register(&self, h: i64, which: u8) {
        let hosts: [(&CStr, *mut c_void, &CStr); 4] = [
            (c"h_add", h_add as extern "C" fn(i64, i64) -> i64 as *mut c_void, c"fn(i64, i64) -> i64"),
            (c"h_raise", h_raise as extern "C" fn(i64) -> i64 as *mut c_void, c"fn(i64) -> i64"),
            (c"h_reenter", h_reenter as extern "C" fn(i64) -> i64 as *mut c_void, c"fn(i64) -> i64"),
            (c"h_half", h_half as extern "C" fn(f64) -> f64 as *mut c_void, c"fn(f64) -> f64"),
        ];
        for (i, (name, f, sig)) in hosts.iter().enumerate() {
            if which == 0 || which as usize == i + 1 {
                // SAFETY: NUL-terminated strings and a function of that type.
                let code = unsafe { rt_exec_manager_register_function(h, name.as_ptr(), *f, sig.as_ptr()) };
                status("register_function", code);
            }
        }
    }

    fn op(&mut self, b: &mut Bytes) {
        let op = b.u8() % 25;
        let (slot, h) = self.handle(b);
        CURRENT.with(|c| c.set(h));
        // SAFETY: no arguments.
        unsafe { rt_exec_manager_clear_error() };
        // SAFETY (for every call below): each pointer is NULL where the
        // contract allows it, or a NUL-terminated string / array of the
        // count given that outlives the call.
        unsafe {
            match op {
                0 => {
                    let nh = rt_exec_manager_create();
                    assert!(nh != 0 || rt_last_error_code() != RT_OK, "create returned 0 without an error");
                    self.create(slot, nh);
                }
                1 => {
                    let backend = b.pick(&[0, 1, 2, 3, -1, i32::MAX]);
                    let nh = rt_exec_manager_create_with_backend(backend);
                    if nh == 0 {
                        status("create_with_backend", rt_last_error_code());
                    }
                    self.create(slot, nh);
                }
                2 => {
                    let code = status("cleanup", rt_exec_manager_cleanup(h));
                    if code == RT_OK {
                        self.stale.push(h);
                        if self.slots[slot].h == h {
                            self.slots[slot] = Slot::default();
                        }
                    }
                }
                3 => {
                    let k = b.u8() as usize;
                    let code = if k == 255 {
                        rt_exec_manager_compile_source(h, ptr::null())
                    } else if k >= 200 {
                        let mut text = b.blob().to_vec();
                        text.retain(|&c| c != 0);
                        let text = CString::new(text).unwrap();
                        rt_exec_manager_compile_source(h, text.as_ptr())
                    } else {
                        rt_exec_manager_compile_source(h, source_snippet(k).as_ptr())
                    };
                    status("compile_source", code);
                }
                4 => {
                    let k = b.u8() as usize;
                    let code = match k {
                        255 => rt_exec_manager_compile_mir(h, ptr::null(), b.u8() as usize),
                        254 => rt_exec_manager_compile_mir(h, ptr::null(), 0),
                        200.. => {
                            let blob = b.blob().to_vec();
                            let raw = uses_raw_memory(&String::from_utf8_lossy(&blob));
                            if raw {
                                return;
                            }
                            rt_exec_manager_compile_mir(h, blob.as_ptr(), blob.len())
                        }
                        _ => {
                            let m = mir_snippet(k);
                            // Sometimes only a prefix: a truncated blob.
                            let len = if b.u8() < 40 { m.len() / 2 } else { m.len() };
                            rt_exec_manager_compile_mir(h, m.as_ptr(), len)
                        }
                    };
                    status("compile_mir", code);
                }
                5 => {
                    let path = file_path(b.u8() as usize);
                    status("compile_file", rt_exec_manager_compile_file(h, path.as_ptr()));
                }
                6 => {
                    let src = if b.u8() < 128 {
                        source_snippet(b.u8() as usize).to_owned()
                    } else {
                        let expr = b.pick(&["1 + 2", "timeout", "f(3)", "str(1.5)", "fib(20)", "grow(3)", "x", "1/0"]);
                        CString::new(expr).unwrap()
                    };
                    let mut v = RtValue::void();
                    let with_result = b.u8() & 1 == 0;
                    let out = if with_result { &mut v as *mut RtValue } else { ptr::null_mut() };
                    let code = status("eval", rt_exec_manager_eval(h, src.as_ptr(), out));
                    if code != RT_OK {
                        assert_eq!(v.ty, 0, "eval failed but left a value");
                    }
                    release("eval", &v);
                }
                7 => {
                    let name = b.pick(NAMES);
                    let n = b.u8() % 5;
                    let args: Vec<i64> = (0..n).map(|_| b.pick(INTS)).collect();
                    let mut out: i64 = 0x5a5a;
                    let args_ptr = if b.u8() < 20 { ptr::null() } else { args.as_ptr() };
                    let out_ptr = if b.u8() < 20 { ptr::null_mut() } else { &mut out as *mut i64 };
                    let code =
                        status("execute", rt_exec_manager_execute(h, name.as_ptr(), args_ptr, args.len(), out_ptr));
                    if code != RT_OK {
                        assert_eq!(out, 0x5a5a, "execute failed but wrote a result");
                    }
                }
                8 => {
                    let name = b.pick(NAMES);
                    let n = b.u8() % 4;
                    let mut args: Vec<*const c_char> = (0..n).map(|_| b.pick(STRINGS).as_ptr()).collect();
                    if b.u8() < 20 && !args.is_empty() {
                        args[0] = ptr::null();
                    }
                    let p = rt_exec_manager_execute_string(h, name.as_ptr(), args.as_ptr(), args.len());
                    owned_string("execute_string", p);
                }
                9 => {
                    status("execute_void", rt_exec_manager_execute_void(h, b.pick(NAMES).as_ptr()));
                }
                10 => {
                    let name = b.pick(NAMES);
                    let n = b.u8() % 5;
                    let args: Vec<RtValue> = (0..n)
                        .map(|_| {
                            let ty = b.pick(&[0, 1, 1, 2, 2, 3, 4, 4, 5, 5, 8, -1]);
                            let as_ = match ty {
                                RT_TYPE_ARRAY => RtValueAs { object: array_arg(b) },
                                2 => RtValueAs { f64: b.pick(FLOATS) },
                                3 => RtValueAs { boolean: b.pick(&[0, 1, 2, -1]) },
                                4 => {
                                    if b.u8() < 20 {
                                        RtValueAs { text: ptr::null() }
                                    } else {
                                        RtValueAs { text: b.pick(STRINGS).as_ptr() }
                                    }
                                }
                                _ => RtValueAs { i64: b.pick(INTS) },
                            };
                            RtValue { ty, as_ }
                        })
                        .collect();
                    let mut v = RtValue::void();
                    let out = if b.u8() < 20 { ptr::null_mut() } else { &mut v as *mut RtValue };
                    let code = status("call", rt_exec_manager_call(h, name.as_ptr(), args.as_ptr(), args.len(), out));
                    if code != RT_OK {
                        assert_eq!(v.ty, 0, "call failed but left a value");
                    }
                    release("call", &v);
                    for a in args.iter().filter(|a| a.ty == RT_TYPE_ARRAY) {
                        rt_object_free(a.as_.object);
                    }
                }
                11 => {
                    let r = rt_exec_manager_has_function(h, b.pick(NAMES).as_ptr());
                    assert!(r == 0 || r == 1, "has_function returned {r}");
                    status("has_function", rt_last_error_code());
                }
                12 => {
                    owned_string("list_functions", rt_exec_manager_list_functions(h));
                    let n = rt_exec_manager_function_count(h);
                    assert!(n >= -1, "function_count returned {n}");
                }
                13 => {
                    owned_string("function_signature", rt_exec_manager_function_signature(h, b.pick(NAMES).as_ptr()));
                }
                14 => {
                    let mut v = RtValue::void();
                    let code = status("get_global", rt_exec_manager_get_global(h, b.pick(NAMES).as_ptr(), &mut v));
                    if code != RT_OK {
                        assert_eq!(v.ty, 0, "get_global failed but left a value");
                    }
                    release("get_global", &v);
                }
                15 => {
                    let level = b.pick(&[0, 1, 2, 3, 4, -1, i32::MAX, i32::MIN]);
                    status("set_opt_level", rt_exec_manager_set_opt_level(h, level));
                    let l = rt_exec_manager_get_opt_level(h);
                    assert!((-1..=3).contains(&l), "get_opt_level returned {l}");
                }
                16 => {
                    let v = b.pick(&[0, 1, 2, 10, 1000, 100_000, u64::MAX]);
                    status("set_step_limit", rt_exec_manager_set_step_limit(h, v));
                    if self.slots[slot].h == h && h != 0 {
                        let bounded = v != 0 && v <= 1_000_000;
                        self.slots[slot].steps_bounded = bounded;
                        if !bounded && !self.slots[slot].time_bounded {
                            status("set_time_limit", rt_exec_manager_set_time_limit(h, 20_000));
                            self.slots[slot].time_bounded = true;
                        }
                    }
                }
                17 => {
                    let v = b.pick(&[0, 1, 1000, 20_000, u64::MAX, u64::MAX / 1000]);
                    status("set_time_limit", rt_exec_manager_set_time_limit(h, v));
                    if self.slots[slot].h == h && h != 0 {
                        self.slots[slot].time_bounded = v != 0 && v <= 20_000;
                        self.keep_bounded(slot, h);
                    }
                }
                18 => {
                    let v = b.pick(&[1, 16, 1024, 64 << 10, 256 << 10]);
                    status("set_memory_limit", rt_exec_manager_set_memory_limit(h, v));
                }
                19 => {
                    let v = b.pick(&[0, 1, 1000, 64 << 10, 1 << 20, u64::MAX]);
                    status("set_stack_limit", rt_exec_manager_set_stack_limit(h, v));
                }
                20 => {
                    status("interrupt", rt_exec_manager_interrupt(h));
                }
                21 => {
                    let k = b.u8();
                    if k < 128 {
                        self.register(h, k % 5);
                    } else {
                        // Odd names and signatures, with a function that is
                        // safe to call as any of them.
                        let name = b.pick(&[c"h_zero", c"h_add", c"", c"1x", c"abs", c"fn", c"h\xff"]);
                        let sig = b.pick(&[
                            c"fn(i64) -> i64",
                            c"fn(i64, i64) -> i64",
                            c"fn() -> void",
                            c"fn(text) -> i64",
                            c"fn(i8, i16, i32, f32, ptr, bool) -> bool",
                            c"fn(i64) ->",
                            c"fn(",
                            c"",
                            c"fn(i64)->i64 junk",
                            c"fn(\xff) -> i64",
                        ]);
                        let f =
                            if b.u8() < 20 { ptr::null_mut() } else { h_zero as extern "C" fn() -> i64 as *mut c_void };
                        let name_ptr = if b.u8() < 10 { ptr::null() } else { name.as_ptr() };
                        status("register_function", rt_exec_manager_register_function(h, name_ptr, f, sig.as_ptr()));
                    }
                }
                22 => {
                    let k = b.u8() as usize;
                    let p = if k == 255 {
                        rt_mir_from_source(ptr::null())
                    } else {
                        rt_mir_from_source(source_snippet(k).as_ptr())
                    };
                    owned_string("mir_from_source", p);
                }
                23 => {
                    let name = b.pick(NAMES);
                    let (ty, as_) = match b.u8() % 5 {
                        0 => (1, RtValueAs { i64: b.pick(INTS) }),
                        1 => (2, RtValueAs { f64: b.pick(FLOATS) }),
                        2 => (RT_TYPE_TEXT, RtValueAs { text: b.pick(STRINGS).as_ptr() }),
                        3 => (b.pick(&[0, 3, 6, 7, 9]), RtValueAs { i64: 0 }),
                        _ => (RT_TYPE_ARRAY, RtValueAs { object: array_arg(b) }),
                    };
                    let value = RtValue { ty, as_ };
                    status("set_global", rt_exec_manager_set_global(h, name.as_ptr(), &value));
                    if ty == RT_TYPE_ARRAY {
                        rt_object_free(value.as_.object);
                    }
                    let mut v = RtValue::void();
                    status("get_global", rt_exec_manager_get_global(h, name.as_ptr(), &mut v));
                    release("get_global after set_global", &v);
                }
                _ => self.misc(b, slot, h),
            }
        }
        self.keep_bounded(slot, h);
    }

    /// Process-wide settings, handle queries, and a call on a second
    /// thread racing an interrupt, a compile or a cleanup.
    fn misc(&mut self, b: &mut Bytes, slot: usize, h: i64) {
        // SAFETY: plain values and NUL-terminated strings.
        unsafe {
            match b.u8() % 6 {
                0 => {
                    let backend = b.pick(&[0, 1, 2, 3, -5]);
                    status("set_jit_backend", rt_set_jit_backend(backend));
                    let got = rt_get_jit_backend();
                    let llvm = rtjit::Backend::Llvm.is_built_in();
                    assert!(got == 0 || got == 1 || (llvm && got == 2), "get_jit_backend returned {got}");
                }
                1 => {
                    let v = rt_exec_manager_is_valid(h);
                    assert!(v == 0 || v == 1);
                    let be = rt_exec_manager_get_backend(h);
                    let built = be == 1 || (be == 2 && rtjit::Backend::Llvm.is_built_in());
                    assert!(built || (be == 3 && rt_last_error_code() == RT_ERR_INVALID_HANDLE), "get_backend: {be}");
                    assert_eq!(v == 1, built, "is_valid and get_backend disagree");
                }
                2 => {
                    let v = rt_version();
                    assert!(!v.is_null());
                    let _ = last_error();
                }
                3 => {
                    rt_raise_error(if b.u8() < 128 { c"outside".as_ptr() } else { ptr::null() });
                    status("rt_raise_error outside a host function", rt_last_error_code());
                }
                _ => self.race(b, slot, h),
            }
        }
    }

    fn race(&mut self, b: &mut Bytes, slot: usize, h: i64) {
        let name = b.pick(&[c"spin", c"fib", c"grow", c"re", c"fact", c"f"]);
        let arg = b.pick(&[3i64, 25, 40, 1000]);
        let what = b.u8() % 4;
        let pause = b.u8() as u64 * 4;
        let worker = std::thread::spawn(move || {
            CURRENT.with(|c| c.set(h));
            let mut out = 0;
            // SAFETY: a NUL-terminated name and locals.
            let code = unsafe { rt_exec_manager_execute(h, name.as_ptr(), &arg, 1, &mut out) };
            status("execute on a second thread", code);
        });
        std::thread::sleep(std::time::Duration::from_micros(pause));
        // SAFETY: plain values and NUL-terminated strings.
        unsafe {
            match what {
                0 => {
                    status("interrupt while a call runs", rt_exec_manager_interrupt(h));
                }
                1 => {
                    let code = status("cleanup while a call runs", rt_exec_manager_cleanup(h));
                    if code == RT_OK {
                        self.stale.push(h);
                        if self.slots[slot].h == h {
                            self.slots[slot] = Slot::default();
                        }
                    }
                }
                2 => {
                    status("compile while a call runs", rt_exec_manager_compile_source(h, source_snippet(1).as_ptr()));
                }
                _ => {
                    let mut v = RtValue::void();
                    status("get_global while a call runs", rt_exec_manager_get_global(h, c"timeout".as_ptr(), &mut v));
                    release("get_global", &v);
                }
            }
        }
        worker.join().expect("the second thread");
    }
}

/// Arbitrary bytes as a sequence of C API calls.
pub fn capi(data: &[u8]) {
    let mut b = Bytes { data, pos: 0 };
    let mut hs = Harness { slots: [Slot::default(); 3], stale: Vec::new() };
    // Every slot starts with a manager, so short inputs do something.
    for slot in 0..3 {
        // SAFETY: no arguments.
        let h = unsafe { rt_exec_manager_create() };
        hs.create(slot, h);
    }
    let mut ops = 0;
    while b.left() && ops < 48 {
        hs.op(&mut b);
        ops += 1;
    }
    for s in hs.slots {
        if s.h != 0 {
            // SAFETY: plain value.
            unsafe { rt_exec_manager_cleanup(s.h) };
        }
    }
    // SAFETY: plain value.
    unsafe { rt_set_jit_backend(0) };
    CURRENT.with(|c| c.set(0));
}
