//! Interruption and limits (c-api.md 31-35), through the Rust API: an
//! interrupt from another thread stops an endless loop in top-level code,
//! in a function and in a function called from a host callback; time, step,
//! memory and stack limits stop what passes them, with messages that name
//! the limit, the function and the line; and afterwards the manager runs
//! other code as before. The same through the C ABI, with pthreads, is
//! ffi-tests/limits.c (`c_limits` in tests/ffi.rs).

mod backend_support;

use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rtjit::{Error, Manager, Value};

fn manager() -> Manager {
    Manager::new(backend_support::backend()).expect("Manager::new")
}

fn at_level(level: u8) -> Manager {
    let m = manager();
    m.set_opt_level(level).unwrap();
    m
}

#[track_caller]
fn ok(m: &Manager, src: &str) -> Value {
    m.compile_source(src, "<source>").unwrap_or_else(|e| panic!("{src}\n{e}"))
}

/// A message of an `Interrupted` error.
#[track_caller]
fn interrupted(r: Result<Value, Error>) -> String {
    match r {
        Err(Error::Interrupted(m)) => m,
        other => panic!("expected Interrupted, got {other:?}"),
    }
}

/// Runs `work` on another thread, waits `delay`, interrupts `m`, and returns
/// `work`'s result and the time from the interrupt to its return.
fn interrupt_after(
    m: &'static Manager,
    delay: Duration,
    work: impl FnOnce() -> Result<Value, Error> + Send + 'static,
) -> (Result<Value, Error>, Duration) {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let r = work();
        tx.send(Instant::now()).unwrap();
        r
    });
    thread::sleep(delay);
    let sent = Instant::now();
    m.interrupt();
    let returned = rx.recv_timeout(Duration::from_secs(10)).expect("the call did not stop within 10 s");
    (worker.join().unwrap(), returned.saturating_duration_since(sent))
}

/// A manager that lives for the whole test binary (host callbacks and
/// worker threads reach it through a static).
fn leaked() -> &'static Manager {
    Box::leak(Box::new(manager()))
}

#[test]
fn an_interrupt_stops_an_endless_loop_in_top_level_code_and_undoes_the_unit() {
    let m = leaked();
    ok(m, "fn before(): 1\nkept = 7\n");
    let (r, latency) = interrupt_after(m, Duration::from_millis(50), || {
        m.compile_source("fn added(): 2\nx = 0\nwhile true:\n    x = x + 1\n", "<source>")
    });
    let msg = interrupted(r);
    assert_eq!(msg, "interrupted in top-level code at line 3");
    assert!(latency < Duration::from_millis(10), "stopped {latency:?} after the interrupt");
    // The unit is undone; the manager works, and a new call is not stopped.
    assert!(!m.has_function("added"));
    assert!(matches!(m.global("x"), Err(Error::NotFound(_))));
    assert_eq!(m.global("kept").unwrap(), Value::I64(7));
    assert_eq!(ok(m, "before() + 1"), Value::I64(2));
}

/// An interrupt that arrives while a unit is still compiling stops its
/// top-level code as soon as that starts: the compile is part of the eval
/// the host wants stopped (a watchdog or a first Ctrl-C interrupts once).
#[test]
fn an_interrupt_during_the_compile_stops_the_units_top_level_code() {
    let functions: String = (0..400).map(|i| format!("fn f{i}(x):\n    return x * {i} + x / {}\n", i + 1)).collect();
    let src = format!("{functions}var x = 0\nwhile true:\n    x += 1\n");
    // Long enough a compile that the interrupt surely lands in it.
    let start = Instant::now();
    manager().compile_source(&functions, "<source>").unwrap();
    let compile = start.elapsed();
    assert!(compile > Duration::from_millis(40), "the functions compile in {compile:?}");
    let m = leaked();
    let (r, _) = interrupt_after(m, compile / 8, move || m.compile_source(&src, "<source>"));
    assert_eq!(interrupted(r), "interrupted in top-level code at line 801");
    assert!(!m.has_function("f0"), "the unit is undone");
    assert_eq!(ok(m, "1 + 1"), Value::I64(2), "the next unit runs");
}

#[test]
fn an_interrupt_stops_an_endless_loop_in_a_function() {
    let m = leaked();
    ok(m, "fn spin(n):\n    var i = 0\n    while i >= 0:\n        i = (i + n) % 1000\n    return i\n");
    let (r, latency) = interrupt_after(m, Duration::from_millis(50), || m.call("spin", &[Value::I64(1)]));
    assert_eq!(interrupted(r), "interrupted in spin at line 3");
    assert!(latency < Duration::from_millis(10), "stopped {latency:?} after the interrupt");
    ok(m, "fn quick(): 40 + 2");
    assert_eq!(m.execute("quick", &[]).unwrap(), 42);
}

const FIB: &str = "fn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n";

/// Recursion without loops passes only function entries, which check a
/// word of their own (the tripwire) rather than the epoch; unrolled (opt 2)
/// it runs a plain form after a trip.
#[test]
fn an_interrupt_stops_recursion_without_loops_at_every_level() {
    for level in [0, 2] {
        let m: &'static Manager = Box::leak(Box::new(at_level(level)));
        ok(m, FIB);
        let (r, latency) = interrupt_after(m, Duration::from_millis(50), || m.call("fib", &[Value::I64(90)]));
        assert_eq!(interrupted(r), "interrupted in fib at line 1", "opt {level}");
        assert!(latency < Duration::from_millis(10), "opt {level}: stopped {latency:?} after the interrupt");
        assert_eq!(m.execute("fib", &[20]).unwrap(), 6765, "opt {level}: the next call is not stopped");
    }
}

#[test]
fn a_time_limit_stops_recursion_without_loops() {
    let m = at_level(2);
    ok(&m, FIB);
    m.set_time_limit(50_000);
    let start = Instant::now();
    let r = m.call("fib", &[Value::I64(90)]);
    let took = start.elapsed();
    assert_eq!(interrupted(r), "interrupted: time limit of 50 ms exceeded in fib at line 1");
    assert!(took >= Duration::from_millis(50) && took <= Duration::from_millis(100), "stopped after {took:?}");
}

/// Every interrupt trips the entries of every running call, of any
/// manager: the others take their slow path and go on, with the same
/// results.
#[test]
fn interrupting_one_manager_leaves_another_managers_calls_running_and_right() {
    let busy: &'static Manager = leaked();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let interrupter = {
        let stop = stop.clone();
        thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                busy.interrupt();
                n += 1;
            }
            n
        })
    };
    for level in 0..=3 {
        let m = at_level(level);
        ok(&m, FIB);
        for _ in 0..3 {
            assert_eq!(m.execute("fib", &[25]).unwrap(), 75025, "opt {level}");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(interrupter.join().unwrap() > 100, "the other manager was interrupted meanwhile");
}

static CALLBACK_MANAGER: OnceLock<&'static Manager> = OnceLock::new();

/// A host function that calls back into the manager: `spin()` never
/// returns unless interrupted.
extern "C" fn call_spin() -> i64 {
    let m = CALLBACK_MANAGER.get().expect("set before the call");
    m.execute("spin", &[]).unwrap_or(-1)
}

#[test]
fn an_interrupt_stops_a_call_nested_in_a_host_callback_and_then_the_outer_call() {
    let m = leaked();
    CALLBACK_MANAGER.set(m).ok();
    m.register_host(
        "call_spin",
        call_spin as extern "C" fn() -> i64 as usize,
        rtjit::Signature::parse("fn() -> i64").unwrap(),
    )
    .unwrap();
    ok(
        m,
        "extern fn call_spin() -> i64\nfn spin():\n    var x = 0\n    while true:\n        x = 1\n    return x\nfn outer():\n    return call_spin() * 10\n",
    );
    let (r, latency) = interrupt_after(m, Duration::from_millis(50), || m.call("outer", &[]));
    // The nested call stops (the host function gets -1), and so does the
    // outer call, although it passes no checkpoint after the host function
    // returns: the message says where the program was stopped.
    assert_eq!(interrupted(r), "interrupted in spin at line 4");
    assert!(latency < Duration::from_millis(10), "stopped {latency:?} after the interrupt");
    assert_eq!(ok(m, "fn five(): 5\nfive()"), Value::I64(5));
}

#[test]
fn a_time_limit_stops_an_endless_loop_after_about_that_long() {
    let m = manager();
    ok(&m, "fn forever():\n    var i = 0\n    while true:\n        i += 1\n");
    m.set_time_limit(50_000);
    let start = Instant::now();
    let r = m.call("forever", &[]);
    let took = start.elapsed();
    assert_eq!(interrupted(r), "interrupted: time limit of 50 ms exceeded in forever at line 3");
    assert!(took >= Duration::from_millis(50) && took <= Duration::from_millis(100), "stopped after {took:?}");
    // Each call has the limit afresh; 0 removes it.
    ok(&m, "fn short(): 3");
    assert_eq!(m.execute("short", &[]).unwrap(), 3);
    m.set_time_limit(0);
    ok(&m, "fn count(n):\n    var i = 0\n    while i < n:\n        i += 1\n    return i\n");
    assert_eq!(m.execute("count", &[1_000_000]).unwrap(), 1_000_000);
}

#[test]
fn a_step_limit_stops_at_the_same_function_and_line_at_every_level() {
    let src = "fn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n\
               fn walk(n):\n    var total = 0\n    for i in 0..n:\n        total += fib(i % 12)\n    return total\n";
    let mut stops = Vec::new();
    for level in 0..=3 {
        let m = at_level(level);
        ok(&m, src);
        m.set_step_limit(100_000);
        let msg = interrupted(m.call("walk", &[Value::I64(1_000_000)]));
        assert!(msg.starts_with("interrupted: step limit of 100000 exceeded in "), "{msg}");
        stops.push(msg);
        // Enough steps: the same call completes.
        m.set_step_limit(0);
        assert_eq!(m.execute("walk", &[10]).unwrap(), (0..10).map(fib).sum::<i64>());
    }
    assert!(stops.iter().all(|s| *s == stops[0]), "stops differ by level: {stops:?}");
}

fn fib(n: i64) -> i64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[test]
fn a_step_limit_counts_entries_and_iterations_exactly() {
    let m = manager();
    // `loop(n)`: one entry plus n back edges.
    ok(&m, "fn spin(n):\n    var i = 0\n    while i < n:\n        i += 1\n    return i\n");
    m.set_step_limit(11);
    assert_eq!(m.execute("spin", &[10]).unwrap(), 10, "1 entry + 10 iterations = 11 steps");
    let msg = interrupted(m.call("spin", &[Value::I64(11)]));
    assert_eq!(msg, "interrupted: step limit of 11 exceeded in spin at line 3");
}

const DOUBLING: &str = "var s = \"ab\"\nwhile true:\n    s += s\n";

#[test]
fn a_memory_limit_stops_the_doubling_string() {
    let m = manager();
    m.set_memory_limit(1 << 20);
    let err = m.compile_source(DOUBLING, "<source>").unwrap_err();
    assert_eq!(err, Error::Runtime("out of memory: limit of 1048576 bytes in top-level code at line 3".into()));
    // The unit is undone and its texts freed: the same manager runs the next
    // unit, with the whole limit free again.
    assert_eq!(ok(&m, "var t = \"x\"\nfor i in 0..19:\n    t += t\nlen(t)"), Value::I64(1 << 19));
}

/// The message names the limit that refused the allocation, even when the
/// host changes the limit while the call unwinds (it once re-read it).
#[test]
fn an_out_of_memory_message_names_the_limit_that_refused() {
    let m = std::sync::Arc::new(manager());
    ok(&m, "fn grow(n):\n    var s = \"ab\"\n    for i in 0..n:\n        s += s\n    return len(s)\n");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (m, stop) = (m.clone(), stop.clone());
        thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                m.set_memory_limit(64 * 1024);
                thread::yield_now();
                m.set_memory_limit(0);
                thread::yield_now();
            }
        })
    };
    let (mut fit, mut refused) = (0, 0);
    for _ in 0..3_000 {
        match m.execute("grow", &[16]) {
            Ok(v) => {
                assert_eq!(v, 1 << 17);
                fit += 1;
            }
            Err(e) => {
                assert_eq!(e, Error::Runtime("out of memory: limit of 65536 bytes in grow at line 4".into()));
                refused += 1;
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
    assert!(refused > 0, "the limit never refused ({fit} calls fit)");
}

#[test]
fn a_stack_limit_bounds_recursion_and_zero_restores_the_default() {
    let m = manager();
    ok(&m, "fn deep(n):\n    if n == 0:\n        return 0\n    return deep(n - 1) + 1\n");
    assert_eq!(m.execute("deep", &[10_000]).unwrap(), 10_000);
    m.set_stack_limit(16 * 1024);
    let err = m.execute("deep", &[10_000]).unwrap_err();
    assert!(matches!(&err, Error::Runtime(msg) if msg.starts_with("stack overflow in deep at line")), "{err:?}");
    assert_eq!(m.execute("deep", &[10]).unwrap(), 10, "shallow recursion fits");
    // Larger than the thread has: capped, never a crash.
    m.set_stack_limit(u64::MAX);
    assert!(m.execute("deep", &[100_000_000]).is_err());
    m.set_stack_limit(0);
    assert_eq!(m.execute("deep", &[10_000]).unwrap(), 10_000);
}

/// Run in a child process with its address space limited (`prlimit --as`):
/// the doubling string without a memory limit must end in `out of memory`,
/// not an abort.
#[test]
#[ignore = "run by without_a_limit_running_out_of_memory_is_an_error_not_an_abort, in a child process"]
fn doubling_string_under_ulimit() {
    let m = manager();
    let err = m.compile_source(DOUBLING, "<source>").unwrap_err();
    assert_eq!(err, Error::Runtime("out of memory in top-level code at line 3".into()));
    assert_eq!(ok(&m, "len(\"still here\")"), Value::I64(10));
    println!("child: recovered");
}

/// A source too big for the memory the system gives (24 MB of functions
/// against a 2 GiB address space) is refused before compiling, as `out of
/// memory`: running out halfway through the compiler's tables would abort.
#[test]
#[ignore = "run by without_a_limit_running_out_of_memory_is_an_error_not_an_abort, in a child process"]
fn huge_source_under_ulimit() {
    let m = manager();
    let one = "fn f(x: i64, y: i64) -> i64:\n    var s = x * 3 + y\n    if s > 100:\n        s = s / 3\n    return s\n";
    let src: String = (0..200_000).map(|i| one.replacen("fn f", &format!("fn f{i}"), 1)).collect();
    let err = m.compile_source(&src, "big.rt").unwrap_err();
    assert!(matches!(&err, Error::Runtime(msg) if msg.starts_with("out of memory: compiling big.rt")), "{err:?}");
    assert_eq!(ok(&m, "len(\"still here\")"), Value::I64(10));
    println!("child: recovered");
}

/// Runs the ignored test `name` of this binary in a child process limited
/// to a 2 GiB address space; it must print `child: recovered`.
fn run_under_ulimit(name: &str) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("prlimit")
        .arg(format!("--as={}", 2u64 << 30))
        .arg(&exe)
        .args(["--exact", name, "--include-ignored", "--nocapture", "--test-threads=1"])
        .output()
        .expect("prlimit (util-linux) runs the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("child: recovered"),
        "{name}: {:?}\n{stdout}\n{stderr}",
        out.status
    );
}

#[test]
fn without_a_limit_running_out_of_memory_is_an_error_not_an_abort() {
    run_under_ulimit("doubling_string_under_ulimit");
    run_under_ulimit("huge_source_under_ulimit");
}

/// Compiling on a thread with a small stack (a host's worker thread, a
/// coroutine) never overflows it: at 92 KiB Cranelift's passes once did, at
/// opt 2 and 3, and a program nested 200 levels deep needs more than
/// 512 KiB to parse. Such a compile moves to a thread of its own; top-level
/// code still runs on the calling thread, whose stack bounds its recursion.
#[test]
fn compiling_on_a_small_stack_never_overflows() {
    let mut src = String::from("fn big(n) -> i64:\n    var s = 0\n");
    for i in 0..2000 {
        src.push_str(&format!("    if n > {i}:\n        s += n * {i} + s / {}\n", i + 1));
    }
    src.push_str("    return s\nfn down(n):\n    if n == 0:\n        return 0\n    return down(n - 1) + 1\n");
    src.push_str(&format!("nested = {}1{}\n", "(".repeat(200), ")".repeat(200)));
    src.push_str("here = down(100)\n");
    for kib in [64, 92, 128, 256] {
        for level in 0..=3 {
            let src = src.clone();
            let small = thread::Builder::new().stack_size(kib * 1024).spawn(move || {
                let m = at_level(level);
                let compiled = m.compile_source(&src, "<source>").map(|_| ());
                let deep = m.compile_source("too_deep = down(100000000)\n", "<source>");
                (compiled, m.execute("big", &[3]), m.global("nested"), m.global("here"), deep)
            });
            let (compiled, big, nested, here, deep) = small.unwrap().join().expect("no crash");
            assert_eq!(compiled, Ok(()), "{kib} KiB, opt {level}");
            assert_eq!((big, nested, here), (Ok(10), Ok(Value::I64(1)), Ok(Value::I64(100))), "{kib} KiB, opt {level}");
            assert!(matches!(&deep, Err(Error::Runtime(m)) if m.starts_with("stack overflow in down")), "{deep:?}");
        }
    }
}

/// A text records the manager's byte counter to give its bytes back when
/// freed; a `Manager` moved after its code made texts (into a `Box`, here)
/// once kept an old address, and the bytes freed later went elsewhere, so
/// its memory limit refused a call that allocates almost nothing.
#[test]
fn a_manager_moved_after_its_code_made_texts_counts_its_memory_right() {
    let src = "var s = \"\"\nfn grow(n):\n    for i in 0..n:\n        s = s + \"0123456789012345678901234567890123456789012345678901234567890123\"\n\
               fn reset():\n    s = \"\"\nfn small() -> text: str(1) + \"abcdefgh\"\n";
    let moved = {
        let m = manager();
        ok(&m, src);
        m.call("grow", &[Value::I64(4000)]).unwrap();
        Box::new(m)
    };
    moved.call("reset", &[]).unwrap();
    moved.set_memory_limit(64 * 1024);
    assert_eq!(moved.call("small", &[]).unwrap(), Value::Text("1abcdefgh".into()));
}
