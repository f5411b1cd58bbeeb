//! Stress (issue 8, item 6): eight threads call, redefine, compile,
//! interrupt and flip limits in one manager at once, while a churner
//! creates managers through the C ABI and cleans each one up with a call in
//! flight. Every result is checked against what the docs allow
//! (docs/language.md: "Redefinition and hot reload", "Atomic units", "Units
//! take turns", "Interruption and limits"; README.md: "Handles", "Threads"),
//! and each kind of outcome must happen at least once, so the test cannot
//! pass by exercising nothing.
//!
//! It runs for `RTJIT_STRESS_SECS` seconds (default 3), and longer, up to
//! four times that, until every kind of outcome has been seen. A soak:
//! `RTJIT_STRESS_SECS=60 cargo test --release --test stress -- --nocapture`.
//! It prints a summary line of what happened to stderr, past the harness's
//! capture, so a plain `cargo test` shows it.
//!
//! A deadlocked thread cannot be joined, so the watchdog (the test's own
//! thread) prints what every thread was last doing and exits the process
//! when one makes no progress for `STALL`.

#![warn(clippy::too_many_lines)]

mod backend_support;

use std::ffi::{CStr, CString, c_char, c_void};
use std::fmt::Debug;
use std::io::Write;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicU64};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use rtjit::{Error, Manager, Value};

const STALL: Duration = Duration::from_secs(20);
/// Every wait between two workers is bounded: a lost wake-up is reported,
/// not hung on.
const HANDSHAKE: Duration = Duration::from_secs(10);

/// Version k of `f(x)` returns `x * SCALE + k`, of `tag(s)` returns `s:k`,
/// and its unit sets `last_version = k`.
const SCALE: i64 = 1_000_000;
const MAX_VERSIONS: usize = 1_000_000;

const SETUP: [&str; 5] = [
    "fn f(x): x * 1000000 + 0\nfn tag(s: text) -> text: s + \":0\"\nvar last_version = 0\n",
    // Compiled once: it reaches each later `f` through the function table.
    "fn via(x): f(x)\n",
    "fn spin(n):\n    var i = 0\n    var s = 0\n    while i < n:\n        s = (s + i) % 1000003\n        \
     i += 1\n    return s\n",
    "fn grow(k) -> i64:\n    var s = \"ab\"\n    for i in 0..k:\n        s += s\n    return len(s)\n",
    "fn deep(n) -> i64:\n    if n == 0:\n        return 0\n    return deep(n - 1) + 1\n",
];

/// What `spin(n)` returns (from s = 0): the sum of 0..n, reduced as it goes.
fn spin_value(n: i64) -> i64 {
    n * (n - 1) / 2 % 1_000_003
}

// The limits the disturber flips on the shared manager, as bits of a config.
// A step-limited call runs every checkpoint through the runtime: 50,000
// steps take a few ms even in a debug build, so the limit often wins the
// race with the next interrupt.
const TIME_US: u64 = 2_000;
const STEPS: u64 = 50_000;
const MEMORY: u64 = 64 * 1024;
const STACK: u64 = 32 * 1024;
const TIME: u8 = 1;
const STEP: u8 = 2;
const MEM: u8 = 4;
const STK: u8 = 8;
const CONFIGS: [u8; 6] = [0, TIME, STEP, MEM, STK, TIME | STEP | MEM | STK];

/// opt 2 inlines a few levels of `deep` into each frame (about 8 bytes a
/// level: 4,000 levels fit in `STACK`); 20,000 do not, and fit easily in a
/// worker's 8 MiB. Fewer than `STEPS`: only the stack limit stops it.
const DEEP: i64 = 20_000;

macro_rules! kinds {
    ($($kind:ident: $name:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq)]
        enum Kind { $($kind),* }
        const NAMES: [&str; [$($name),*].len()] = [$($name),*];
    };
}

kinds! {
    Calls: "calls seeing a valid version", Sightings: "versions seen while their unit ran, then undone",
    Kept: "redefinitions kept", UndoneFailed: "undone (top level failed)", UndoneStopped: "undone (stopped)",
    Refused: "refused (compile error)", Unrelated: "unrelated compiles and calls", Finished: "long calls finished",
    Interrupted: "stopped by interrupt", TimeLimit: "by time limit", StepLimit: "by step limit",
    OutOfMemory: "out of memory", StackOverflow: "stack overflow",
    InterruptsSent: "interrupts sent", LimitFlips: "limit flips", ChurnRounds: "managers churned",
    CleanupsInFlight: "cleanups with a call in flight",
    FinishedAfterCleanup: "in-flight calls finished after cleanup", StoppedAfterCleanup: "stopped after cleanup",
    StaleHandle: "stale handles refused", CallbackStale: "stale handles refused inside the in-flight call",
    Pokes: "calls into churned managers from another thread",
}

/// These depend on timing; every other kind must happen in a run.
const OPTIONAL: [Kind; 2] = [Kind::Sightings, Kind::UndoneStopped];

// ------------------------------------------------------- judging a result

const PENDING: u8 = 0;
const KEPT: u8 = 1;
const UNDONE: u8 = 2;
const REFUSED: u8 = 3;

/// The redefiner's versions of `f`. Only it compiles them, so they are
/// installed in order; it sets `outcome[k]`, then `settled`, then `kept`.
#[derive(Default)]
struct Versions {
    begun: AtomicU64,
    settled: AtomicU64,
    kept: AtomicU64,
    outcome: Vec<AtomicU8>,
}

impl Versions {
    /// Read before a call: what it may no longer see.
    fn before(&self) -> (u64, u64) {
        (self.kept.load(SeqCst), self.settled.load(SeqCst))
    }

    /// Whether a call that began after `before` may see version `k`: one
    /// installed at some moment of the call, so never one older than the
    /// last kept, one that failed to compile, or one whose unit was undone
    /// before the call began ("Atomic units": other calls reach a unit's
    /// functions only while its top level runs). `Ok(true)`: seen in that
    /// window.
    fn check(&self, k: i64, (kept, settled): (u64, u64)) -> Result<bool, String> {
        let begun = self.begun.load(SeqCst);
        let k = u64::try_from(k).map_err(|_| format!("decodes to version {k}"))?;
        if k > begun {
            return Err(format!("version {k} was never compiled (the latest begun is {begun})"));
        }
        if k < kept {
            return Err(format!("version {k} is older than version {kept}, kept before the call began"));
        }
        match self.outcome[k as usize].load(SeqCst) {
            REFUSED => Err(format!("version {k} failed to compile, yet a call saw it")),
            UNDONE if k <= settled => Err(format!("version {k} was undone before the call began, yet it saw it")),
            state => Ok(state == UNDONE),
        }
    }
}

/// The disturber's limits on the shared manager, as a seqlock: a call that
/// sees the same even `seq` before and after ran under `config` throughout.
#[derive(Default)]
struct Limits {
    seq: AtomicU64,
    config: AtomicU8,
}

impl Limits {
    fn set(&self, m: &Manager, config: u8) {
        self.seq.fetch_add(1, SeqCst);
        let on = |bit: u8, v: u64| if config & bit != 0 { v } else { 0 };
        m.set_time_limit(on(TIME, TIME_US));
        m.set_step_limit(on(STEP, STEPS));
        m.set_memory_limit(on(MEM, MEMORY));
        m.set_stack_limit(on(STK, STACK));
        self.config.store(config, SeqCst);
        self.seq.fetch_add(1, SeqCst);
    }
}

/// What a call may run into: where a stop may be reported (functions, or
/// "top-level code", and lines; no lines: any), how many steps it takes
/// unless stopped, whether it makes texts (so may run out of memory while
/// others hold some), and whether it needs more memory or stack than the
/// limits allow.
struct Spec<'a> {
    funcs: &'a [&'a str],
    lines: &'a [u32],
    steps: u64,
    texts: bool,
    over_memory: bool,
    over_stack: bool,
}

const fn spec<'a>(funcs: &'a [&'a str], lines: &'a [u32], steps: u64) -> Spec<'a> {
    Spec { funcs, lines, steps, texts: false, over_memory: false, over_stack: false }
}

/// Which of the documented stops an error is, if it is one at `spec`'s place.
fn classify(e: &Error, spec: &Spec) -> Option<Kind> {
    let (msg, interrupted) = match e {
        Error::Interrupted(m) => (m.as_str(), true),
        Error::Runtime(m) => (m.as_str(), false),
        _ => return None,
    };
    let (head, place) = msg.rsplit_once(" in ")?;
    let (func, line) = place.split_once(" at line ")?;
    let line: u32 = line.parse().ok()?;
    if !spec.funcs.contains(&func) || !(spec.lines.is_empty() || spec.lines.contains(&line)) {
        return None;
    }
    match (interrupted, head) {
        (true, "interrupted") => Some(Kind::Interrupted),
        (true, h) if h == format!("interrupted: time limit of {} ms exceeded", TIME_US / 1000) => Some(Kind::TimeLimit),
        (true, h) if h == format!("interrupted: step limit of {STEPS} exceeded") => Some(Kind::StepLimit),
        // MEMORY is the only memory limit ever set, and the system never
        // refuses a few hundred KiB: every refusal must name the limit.
        (false, h) if h == format!("out of memory: limit of {MEMORY} bytes") => Some(Kind::OutOfMemory),
        (false, "stack overflow") => Some(Kind::StackOverflow),
        _ => None,
    }
}

/// What held while a call ran: the limits (`None`: they changed meanwhile)
/// and whether an interrupt may have reached it.
#[derive(Debug)]
struct Window {
    limits: Option<u8>,
    interrupt_possible: bool,
}

impl Window {
    fn may(&self, bit: u8) -> bool {
        self.limits.is_none_or(|c| c & bit != 0)
    }

    fn allows(&self, stop: Kind, spec: &Spec) -> bool {
        match stop {
            Kind::Interrupted => self.interrupt_possible,
            Kind::TimeLimit => self.may(TIME),
            Kind::StepLimit => spec.steps > STEPS && self.may(STEP),
            Kind::OutOfMemory => spec.texts && self.may(MEM),
            _ => spec.over_stack && self.may(STK),
        }
    }

    fn requires_stop(&self, spec: &Spec) -> bool {
        self.limits.is_some_and(|c| {
            (spec.steps > STEPS && c & STEP != 0)
                || (spec.over_memory && c & MEM != 0)
                || (spec.over_stack && c & STK != 0)
        })
    }
}

// ------------------------------------------------------------ shared state

/// One worker's progress, read by the watchdog.
#[derive(Default)]
struct Worker {
    name: &'static str,
    ops: AtomicU64,
    doing: Mutex<&'static str>,
    exited: AtomicBool,
}

/// A call for the churn caller to make in a manager the churner is about
/// to clean up; `plan` says how it must end.
#[derive(Clone, Copy, Debug)]
struct Job {
    h: i64,
    round: u64,
    n: i64,
    plan: u64,
}

const FINISH: u64 = 0;
const INTERRUPT: u64 = 1;
const TIMED: u64 = 2;

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    workers: Vec<Worker>,
    versions: Versions,
    limits: Limits,
    /// Interrupts of the manager begun and finished (around `interrupt()`).
    irq_begun: AtomicU64,
    irq_done: AtomicU64,
    counts: [AtomicU64; NAMES.len()],
    failures: Mutex<Vec<String>>,
    /// The current churned manager and its round, for callers elsewhere.
    churn_pub: Mutex<(i64, u64)>,
    job: Mutex<Option<Job>>,
    job_done: AtomicU64,
}

/// The shared manager, and the state of the workers around it.
static M: OnceLock<Manager> = OnceLock::new();
static SHARED: OnceLock<Shared> = OnceLock::new();
/// The current churned manager, and the handshake between the call in
/// flight in it (in `mark`, on the churn caller's thread) and the churner.
static CHURN_HANDLE: AtomicI64 = AtomicI64::new(0);
static IN_FLIGHT: AtomicU64 = AtomicU64::new(0);
static CLEANED: AtomicU64 = AtomicU64::new(0);

fn m() -> &'static Manager {
    M.get().expect("set up before the workers start")
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn wait_until(cond: impl Fn() -> bool) -> bool {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > HANDSHAKE {
            return false;
        }
        thread::sleep(Duration::from_micros(50));
    }
    true
}

impl Shared {
    fn new() -> Shared {
        let m = Manager::new(backend_support::backend()).expect("Manager::new");
        for src in SETUP {
            m.compile_source(src, "<source>").unwrap_or_else(|e| panic!("{src}\n{e}"));
        }
        assert!(M.set(m).is_ok(), "one run per process");
        let worker = |&(name, _): &(&'static str, Role)| Worker { name, ..Worker::default() };
        let outcome = (0..MAX_VERSIONS).map(|k| AtomicU8::new(if k == 0 { KEPT } else { PENDING })).collect();
        let versions = Versions { outcome, ..Versions::default() };
        Shared { workers: ROLES.iter().map(worker).collect(), versions, ..Shared::default() }
    }

    fn stopped(&self) -> bool {
        self.stop.load(SeqCst)
    }

    fn progress(&self, me: usize, doing: &'static str) {
        *lock(&self.workers[me].doing) = doing;
        self.workers[me].ops.fetch_add(1, SeqCst);
    }

    fn count(&self, kind: Kind) {
        self.counts[kind as usize].fetch_add(1, SeqCst);
    }

    fn fail(&self, me: usize, what: String) {
        let mut failures = lock(&self.failures);
        if failures.len() < 50 {
            failures.push(format!("{}: {what}", self.workers[me].name));
        }
    }

    /// Runs a call into the shared manager: `Ok(Some(value))`, `Ok(None)`
    /// for a stop that the window of the call allows (counted), or the
    /// error, for the caller to judge.
    fn attempt<T: Debug>(
        &self,
        me: usize,
        spec: &Spec,
        call: impl FnOnce() -> rtjit::Result<T>,
    ) -> Result<Option<T>, Error> {
        let (seq, config) = (self.limits.seq.load(SeqCst), self.limits.config.load(SeqCst));
        let done = self.irq_done.load(SeqCst);
        let r = call();
        // An interrupt that stopped the call was begun after `done` was read.
        let w = Window {
            limits: (seq % 2 == 0 && self.limits.seq.load(SeqCst) == seq).then_some(config),
            interrupt_possible: self.irq_begun.load(SeqCst) > done,
        };
        match r {
            Ok(v) => {
                if w.requires_stop(spec) {
                    self.fail(me, format!("{:?} returned {v:?} under limits {w:?}", spec.funcs));
                }
                Ok(Some(v))
            }
            Err(e) => match classify(&e, spec) {
                Some(stop) if w.allows(stop, spec) => {
                    self.count(stop);
                    Ok(None)
                }
                _ => Err(e),
            },
        }
    }

    /// A value, or nothing after a stop; any other error is a failure.
    fn value<T: Debug>(&self, me: usize, what: &str, r: Result<Option<T>, Error>) -> Option<T> {
        r.unwrap_or_else(|e| {
            self.fail(me, format!("{what}: {e:?}, not a way this call may end"));
            None
        })
    }
}

// ------------------------------------------------------------------- roles

type Role = fn(&'static Shared, usize);

const ROLES: [(&str, Role); 8] = [
    ("caller-0", caller),
    ("caller-1", caller),
    ("redefiner", redefiner),
    ("compiler", compiler),
    ("spinner", spinner),
    ("disturber", disturber),
    ("churner", churner),
    ("churn-caller", churn_caller),
];
const CHURNER: usize = 6;
const CHURN_CALLER: usize = 7;

/// xorshift: the test needs variety, not quality, and no dependency.
struct Rng(u64);

impl Rng {
    fn new(me: usize) -> Rng {
        let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Rng((me as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(clock.subsec_nanos()) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const F: Spec = spec(&["f"], &[1], 1);
const VIA: Spec = spec(&["via", "f"], &[1], 2);
const TAG: Spec = Spec { texts: true, ..spec(&["tag"], &[2], 1) };
const CALLS: [&str; 6] = ["execute f", "execute via", "call f", "call_text tag", "read last_version", "poke"];

/// Calls `f`, `via` (compiled once) and `tag`, and reads `last_version`:
/// each shows a version the call may see. caller-1 also calls into churned
/// managers through handles that may be cleaned up meanwhile.
fn caller(sh: &'static Shared, me: usize) {
    let mut rng = Rng::new(me);
    let int = |v: Value| if let Value::I64(k) = v { k } else { i64::MIN };
    while !sh.stopped() {
        let x = rng.below(1000) as i64;
        let before = sh.versions.before();
        let op = rng.below(if me == 1 { 6 } else { 5 }) as usize;
        sh.progress(me, CALLS[op]);
        // f(x) and via(x) return `x * SCALE + k`; garbage decodes to no version.
        let k_of = |v: i64| v.wrapping_sub(x * SCALE);
        let seen = match op {
            0 => sh.value(me, CALLS[op], sh.attempt(me, &F, || m().execute("f", &[x]))).map(k_of),
            1 => sh.value(me, CALLS[op], sh.attempt(me, &VIA, || m().execute("via", &[x]))).map(k_of),
            2 => sh.value(me, CALLS[op], sh.attempt(me, &F, || m().call("f", &[Value::I64(x)]))).map(|v| k_of(int(v))),
            3 => sh
                .value(me, CALLS[op], sh.attempt(me, &TAG, || m().call_text("tag", &["t"])))
                .map(|s| s.strip_prefix("t:").and_then(|k| k.parse().ok()).unwrap_or(i64::MIN)),
            4 => Some(m().global("last_version").map_or(i64::MIN, int)),
            _ => {
                poke(sh, me, x);
                None
            }
        };
        match seen.map(|k| sh.versions.check(k, before)) {
            Some(Ok(in_window)) => {
                sh.count(Kind::Calls);
                if in_window {
                    sh.count(Kind::Sightings);
                }
            }
            Some(Err(e)) => sh.fail(me, format!("{}: {e}", CALLS[op])),
            None => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Plan {
    Keep,
    Fail,
    Refuse,
}

fn unit_of(k: u64, plan: Plan) -> String {
    let mut s = format!("fn f(x): x * {SCALE} + {k}\nfn tag(s: text) -> text: s + \":{k}\"\nlast_version = {k}\n");
    match plan {
        Plan::Keep => {}
        // The loop holds open the window in which calls see version k.
        Plan::Fail => s.push_str("var w = 0\nwhile w < 2000:\n    w += 1\nboom = 1 / (w - 2000)\n"),
        Plan::Refuse if k % 2 == 0 => s.push_str("fn broken(: 1\n"),
        Plan::Refuse => s.push_str("val bad: i64 = \"text\"\n"),
    }
    s
}

/// Redefines `f` and `tag`: kept, undone at run time (division by zero,
/// or stopped by the disturber), or refused at compile time.
fn redefiner(sh: &'static Shared, me: usize) {
    let mut rng = Rng::new(me);
    let v = &sh.versions;
    let spec = spec(&["top-level code"], &[], 2_002);
    for k in 1..MAX_VERSIONS as u64 {
        if sh.stopped() {
            break;
        }
        let plan = [Plan::Keep, Plan::Keep, Plan::Keep, Plan::Fail, Plan::Fail, Plan::Refuse][rng.below(6) as usize];
        sh.progress(me, "compile a version of f");
        v.outcome[k as usize].store(if plan == Plan::Refuse { REFUSED } else { PENDING }, SeqCst);
        v.begun.store(k, SeqCst);
        let r = sh.attempt(me, &spec, || m().compile_source(&unit_of(k, plan), "<source>"));
        let (outcome, kind) = match (plan, &r) {
            (Plan::Keep, Ok(Some(_))) => (KEPT, Some(Kind::Kept)),
            (Plan::Fail, Err(Error::Runtime(m))) if m == "division by zero in top-level code at line 7" => {
                (UNDONE, Some(Kind::UndoneFailed))
            }
            (Plan::Keep | Plan::Fail, Ok(None)) => (UNDONE, Some(Kind::UndoneStopped)),
            (Plan::Refuse, Err(Error::Compile(_))) => (REFUSED, Some(Kind::Refused)),
            (_, Ok(Some(_))) => (KEPT, None),
            _ => (UNDONE, None),
        };
        match kind {
            Some(kind) => sh.count(kind),
            None => sh.fail(me, format!("version {k} ({plan:?}) ended {r:?}")),
        }
        v.outcome[k as usize].store(outcome, SeqCst);
        v.settled.store(k, SeqCst);
        if outcome == KEPT {
            v.kept.store(k, SeqCst);
        }
        // Only this thread writes `last_version`: settled, it holds the
        // last kept version, and an undone unit leaves no `boom`.
        let want = Value::I64(v.kept.load(SeqCst) as i64);
        let (global, boom) = (m().global("last_version"), m().global("boom"));
        if global.as_ref() != Ok(&want) || !matches!(boom, Err(Error::NotFound(_))) {
            sh.fail(me, format!("after version {k} ({plan:?}): last_version {global:?}, want {want:?}; boom {boom:?}"));
        }
    }
}

/// Compiles, refuses and calls units unrelated to `f` in the same manager:
/// they take turns with the redefiner's. Only this thread defines `u*`, so
/// it knows what each must return.
fn compiler(sh: &'static Shared, me: usize) {
    let mut rng = Rng::new(me);
    let mut defined: [Option<i64>; 8] = [None; 8];
    while !sh.stopped() {
        let slot = rng.below(8) as usize;
        let add = rng.below(1000) as i64;
        let name = format!("u{slot}");
        let funcs = ["top-level code", name.as_str()];
        let spec = spec(&funcs, &[], 2);
        let compile = |src: &str| sh.value(me, src, sh.attempt(me, &spec, || m().compile_source(src, "<source>")));
        let ok = match rng.below(4) {
            0 => {
                sh.progress(me, "compile a helper");
                let r = compile(&format!("fn {name}(x): x + {add}\n{name}(1)\n"));
                if r.is_some() {
                    defined[slot] = Some(add);
                }
                r.is_none_or(|v| v == Value::I64(add + 1))
            }
            1 => {
                sh.progress(me, "compile a broken unit");
                let r = m().compile_source(&format!("fn {name}(x): x + {add}\nfn nope(: 1\n"), "<source>");
                matches!(r, Err(Error::Compile(_))) && !m().has_function("nope")
            }
            2 => {
                sh.progress(me, "call a helper");
                match defined[slot] {
                    // Never defined, or only by units that were undone or refused.
                    None => !m().has_function(&name),
                    Some(a) => {
                        let r = sh.attempt(me, &spec, || m().execute(&name, &[5]));
                        sh.value(me, &name, r).is_none_or(|v| v == 5 + a)
                    }
                }
            }
            _ => {
                sh.progress(me, "eval");
                compile(&format!("var c{slot} = {add}\nc{slot} * 2\n")).is_none_or(|v| v == Value::I64(2 * add))
            }
        };
        if ok {
            sh.count(Kind::Unrelated);
        } else {
            sh.fail(me, format!("a unit or call of {name} went wrong (defined: {defined:?})"));
        }
    }
}

/// Long calls for the disturber to stop: a loop (interrupts, time and step
/// limits), a doubling text (memory limit), a deep recursion (stack limit).
fn spinner(sh: &'static Shared, me: usize) {
    let mut rng = Rng::new(me);
    const GROW: Spec = Spec { texts: true, over_memory: true, ..spec(&["grow"], &[1, 3, 4], 17) };
    const RECURSE: Spec = Spec { over_stack: true, ..spec(&["deep"], &[1], DEEP as u64 + 1) };
    while !sh.stopped() {
        let n = 1_000 + rng.below(1_500_000) as i64;
        let spin = spec(&["spin"], &[1, 4], n as u64 + 1);
        let (name, arg, want, spec) = match rng.below(3) {
            0 => ("spin", n, spin_value(n), &spin),
            1 => ("grow", 16, 1 << 17, &GROW),
            _ => ("deep", DEEP, DEEP, &RECURSE),
        };
        sh.progress(me, name);
        match sh.value(me, name, sh.attempt(me, spec, || m().execute(name, &[arg]))) {
            Some(v) if v == want => sh.count(Kind::Finished),
            Some(v) => sh.fail(me, format!("{name}({arg}) returned {v}, not {want}")),
            None => {}
        }
    }
}

/// Interrupts the shared manager at random moments and flips its limits.
fn disturber(sh: &'static Shared, me: usize) {
    let mut rng = Rng::new(me);
    let mut flipped = Instant::now();
    let mut config = 0;
    // An interrupt sent while a unit compiles stops its top-level code;
    // LLVM compiles a unit 5-10 times slower than Cranelift (11 ms against
    // 0.4 at opt 2, release build), so on it interrupts come ten times less
    // often, leaving units the same chance to run to the end.
    let pause = if backend_support::backend() == rtjit::Backend::Llvm { 120_000 } else { 12_000 };
    while !sh.stopped() {
        sh.progress(me, "sleep");
        thread::sleep(Duration::from_micros(rng.below(pause)));
        sh.progress(me, "interrupt");
        sh.irq_begun.fetch_add(1, SeqCst);
        m().interrupt();
        sh.irq_done.fetch_add(1, SeqCst);
        sh.count(Kind::InterruptsSent);
        if flipped.elapsed() > Duration::from_millis(25) {
            sh.progress(me, "set limits");
            config += 1;
            sh.limits.set(m(), CONFIGS[config % CONFIGS.len()]);
            sh.count(Kind::LimitFlips);
            flipped = Instant::now();
        }
    }
    sh.limits.set(m(), 0);
}

// ------------------------------------------------------------- the C ABI

const RT_OK: i32 = 0;
const RT_ERR_INVALID_HANDLE: i32 = 1;
const RT_ERR_INTERRUPTED: i32 = 7;

unsafe extern "C" {
    safe fn rt_exec_manager_create() -> i64;
    safe fn rt_exec_manager_cleanup(h: i64) -> i32;
    safe fn rt_exec_manager_is_valid(h: i64) -> i32;
    fn rt_exec_manager_compile_source(h: i64, source: *const c_char) -> i32;
    fn rt_exec_manager_execute(h: i64, name: *const c_char, args: *const i64, n: usize, result: *mut i64) -> i32;
    safe fn rt_exec_manager_interrupt(h: i64) -> i32;
    safe fn rt_exec_manager_set_time_limit(h: i64, microseconds: u64) -> i32;
    fn rt_exec_manager_register_function(h: i64, name: *const c_char, f: *mut c_void, sig: *const c_char) -> i32;
    fn rt_exec_manager_get_last_error() -> *const c_char;
    safe fn rt_exec_manager_clear_error();
}

fn c_compile(h: i64, src: &str) -> i32 {
    let src = CString::new(src).unwrap();
    // SAFETY: a NUL-terminated string that outlives the call.
    unsafe { rt_exec_manager_compile_source(h, src.as_ptr()) }
}

fn c_execute(h: i64, name: &CStr, args: &[i64]) -> (i32, i64) {
    let mut out = i64::MIN;
    // SAFETY: `name` is NUL-terminated, `args` holds `args.len()` values,
    // and `out` is writable; all outlive the call.
    let rc = unsafe { rt_exec_manager_execute(h, name.as_ptr(), args.as_ptr(), args.len(), &mut out) };
    (rc, out)
}

/// This thread's last error, cleared: the next failure sets it anew.
fn c_last_error() -> String {
    // SAFETY: never NULL, valid until this thread's next rt_* call.
    let msg = unsafe { CStr::from_ptr(rt_exec_manager_get_last_error()) }.to_string_lossy().into_owned();
    rt_exec_manager_clear_error();
    msg
}

/// Whether a stop reported through the C ABI is `want` at `spec`'s place.
fn c_stopped(msg: &str, spec: &Spec, want: &[Kind]) -> bool {
    classify(&Error::Interrupted(msg.to_string()), spec).is_some_and(|k| want.contains(&k))
}

/// The host function the in-flight call enters first: it tells the
/// churner the call is running, waits until the manager is cleaned up, and
/// calls back into it through the now stale handle.
extern "C" fn mark(round: i64) -> i64 {
    let sh = SHARED.get().expect("set before any call");
    IN_FLIGHT.store(round as u64, SeqCst);
    if !wait_until(|| CLEANED.load(SeqCst) >= round as u64) {
        sh.fail(CHURN_CALLER, format!("round {round}: the manager was not cleaned up within {HANDSHAKE:?}"));
        return 0;
    }
    match c_execute(CHURN_HANDLE.load(SeqCst), c"f", &[1]) {
        (RT_ERR_INVALID_HANDLE, _) => sh.count(Kind::CallbackStale),
        other => sh.fail(CHURN_CALLER, format!("round {round}: a call through the cleaned-up handle gave {other:?}")),
    }
    c_last_error();
    0
}

/// A churned manager's unit: `f` tells rounds apart, `spin` calls `mark`.
fn churn_unit(code: i64) -> String {
    format!(
        "extern fn mark(x: i64) -> i64\nfn f(x): x * 1000 + {code}\nfn spin(n, tag):\n    var s = mark(tag)\n    \
         var i = 0\n    while i < n:\n        s = (s + i) % 1000003\n        i += 1\n    return s\n"
    )
}

/// Creates managers through the C ABI, has the churn caller start a call
/// in each, and cleans each up while that call runs.
fn churner(sh: &'static Shared, me: usize) {
    let mut rng = Rng::new(me);
    let mut round = 0;
    while !sh.stopped() {
        round += 1;
        churn_round(sh, me, round, rng.below(3));
    }
}

fn churn_round(sh: &'static Shared, me: usize, round: u64, plan: u64) {
    sh.progress(me, "create a manager");
    let code = (round % 500) as i64 * 2;
    let h = rt_exec_manager_create();
    let host = mark as extern "C" fn(i64) -> i64 as *mut c_void;
    // SAFETY: NUL-terminated strings; `mark` stays callable for the whole process.
    let registered =
        unsafe { rt_exec_manager_register_function(h, c"mark".as_ptr(), host, c"fn(i64) -> i64".as_ptr()) };
    if h <= 0 || registered != RT_OK || c_compile(h, &churn_unit(code)) != RT_OK {
        sh.fail(me, format!("round {round}: setting up manager {h}: {}", c_last_error()));
        rt_exec_manager_cleanup(h);
        return;
    }
    CHURN_HANDLE.store(h, SeqCst);
    *lock(&sh.churn_pub) = (h, round);
    if plan == TIMED {
        rt_exec_manager_set_time_limit(h, TIME_US);
    }
    let n = if plan == FINISH { 200_000 } else { 200_000_000 };
    *lock(&sh.job) = Some(Job { h, round, n, plan });
    sh.progress(me, "wait for the call to start");
    let in_flight = wait_until(|| IN_FLIGHT.load(SeqCst) == round);
    sh.progress(me, "redefine f with a call in flight");
    let redefined = c_compile(h, &format!("fn f(x): x * 1000 + {}\n", code + 1));
    let interrupted = if plan == INTERRUPT { rt_exec_manager_interrupt(h) } else { RT_OK };
    sh.progress(me, "clean up with a call in flight");
    let cleaned = rt_exec_manager_cleanup(h);
    CLEANED.store(round, SeqCst);
    if (redefined, interrupted, cleaned) != (RT_OK, RT_OK, RT_OK) {
        sh.fail(me, format!("round {round}: redefine {redefined}, interrupt {interrupted}, cleanup {cleaned}"));
    }
    // Every function refuses a cleaned-up handle (1); is_valid says 0.
    let stale = [
        rt_exec_manager_is_valid(h) + 1,
        rt_exec_manager_cleanup(h),
        rt_exec_manager_interrupt(h),
        c_compile(h, "fn g(): 1\n"),
        c_execute(h, c"f", &[1]).0,
    ];
    c_last_error();
    match stale {
        [1, 1, 1, 1, 1] => sh.count(Kind::StaleHandle),
        _ => sh.fail(me, format!("round {round}: the cleaned-up handle {h} gave {stale:?}")),
    }
    sh.count(Kind::ChurnRounds);
    if in_flight {
        sh.count(Kind::CleanupsInFlight);
    }
    sh.progress(me, "wait for the in-flight call to return");
    while sh.job_done.load(SeqCst) != round && !sh.workers[CHURN_CALLER].exited.load(SeqCst) {
        thread::sleep(Duration::from_micros(50));
    }
}

/// Makes the churner's calls: each ends as its plan says, although its
/// manager is cleaned up while it runs.
fn churn_caller(sh: &'static Shared, me: usize) {
    const SPIN: Spec = spec(&["spin"], &[3, 6], 0);
    while !(sh.stopped() && sh.workers[CHURNER].exited.load(SeqCst)) {
        sh.progress(me, "wait for a churned manager");
        let Some(job) = lock(&sh.job).take() else {
            thread::sleep(Duration::from_micros(50));
            continue;
        };
        sh.progress(me, "spin in a manager being cleaned up");
        let (rc, out) = c_execute(job.h, c"spin", &[job.n, job.round as i64]);
        let msg = if rc == RT_OK { String::new() } else { c_last_error() };
        match (rc, job.plan) {
            (RT_OK, FINISH) if out == spin_value(job.n) => sh.count(Kind::FinishedAfterCleanup),
            (RT_ERR_INTERRUPTED, INTERRUPT) if c_stopped(&msg, &SPIN, &[Kind::Interrupted]) => {
                sh.count(Kind::StoppedAfterCleanup)
            }
            (RT_ERR_INTERRUPTED, TIMED) if c_stopped(&msg, &SPIN, &[Kind::TimeLimit]) => {
                sh.count(Kind::StoppedAfterCleanup)
            }
            // The churner gave up waiting and cleaned up before the call began.
            (RT_ERR_INVALID_HANDLE, _) if IN_FLIGHT.load(SeqCst) != job.round => {}
            _ => sh.fail(me, format!("{job:?} ended with {rc} ({out}): {msg}")),
        }
        sh.job_done.store(job.round, SeqCst);
    }
}

/// caller-1's calls into the current churned manager: the right round's
/// `f`, or a refused stale handle, never another manager's.
fn poke(sh: &Shared, me: usize, x: i64) {
    const CHURN_F: Spec = spec(&["f"], &[1, 2], 1);
    let (h, round) = *lock(&sh.churn_pub);
    let (rc, out) = c_execute(h, c"f", &[x]);
    let msg = if rc == RT_OK { String::new() } else { c_last_error() };
    let code = (round % 500) as i64 * 2;
    let ok = match rc {
        RT_OK => out == x * 1000 + code || out == x * 1000 + code + 1,
        RT_ERR_INVALID_HANDLE => true,
        // The churner may interrupt, or time-limit, its manager meanwhile.
        RT_ERR_INTERRUPTED => c_stopped(&msg, &CHURN_F, &[Kind::Interrupted, Kind::TimeLimit]),
        _ => false,
    };
    if ok {
        sh.count(Kind::Pokes);
    } else {
        sh.fail(me, format!("f({x}) in the manager of round {round} (handle {h}) gave {rc} ({out}): {msg}"));
    }
}

// ---------------------------------------------------------------- the test

/// Straight to stderr: the test harness captures `eprintln!`, and would
/// drop what the watchdog says before it exits.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn summary(sh: &Shared, took: Duration) -> String {
    let counts: Vec<String> =
        NAMES.iter().zip(&sh.counts).map(|(name, n)| format!("{} {name}", n.load(SeqCst))).collect();
    format!("stress: {:.1} s, 8 threads: {}", took.as_secs_f64(), counts.join(", "))
}

fn missing(sh: &Shared) -> Vec<&'static str> {
    let optional: Vec<usize> = OPTIONAL.iter().map(|k| *k as usize).collect();
    (0..NAMES.len()).filter(|i| !optional.contains(i) && sh.counts[*i].load(SeqCst) == 0).map(|i| NAMES[i]).collect()
}

/// Stops the workers once the run is long enough and every kind has been
/// seen; exits the process if one of them hangs.
fn watch(sh: &Shared, run: Duration) {
    let start = Instant::now();
    let mut last: Vec<(u64, Instant)> = sh.workers.iter().map(|w| (w.ops.load(SeqCst), start)).collect();
    let exited = |w: &Worker| w.exited.load(SeqCst);
    loop {
        thread::sleep(Duration::from_millis(20));
        let (now, elapsed) = (Instant::now(), start.elapsed());
        // A worker that ended early panicked: the others stop too.
        if (elapsed >= run && (missing(sh).is_empty() || elapsed >= run * 4)) || sh.workers.iter().any(exited) {
            sh.stop.store(true, SeqCst);
        }
        if sh.workers.iter().all(exited) {
            return;
        }
        for (w, (ops, at)) in sh.workers.iter().zip(&mut last) {
            let now_ops = w.ops.load(SeqCst);
            if now_ops != *ops || exited(w) {
                (*ops, *at) = (now_ops, now);
            }
        }
        if let Some(i) = last.iter().position(|(_, at)| now - *at > STALL) {
            let mut report =
                format!("stress: HANG: {} made no progress for {STALL:?}; every thread:\n", sh.workers[i].name);
            for (w, (ops, at)) in sh.workers.iter().zip(&last) {
                let doing = w.doing.try_lock().map_or("<locked>", |d| *d);
                let state = if exited(w) { "exited" } else { "running" };
                let ago = (now - *at).as_secs_f64();
                report +=
                    &format!("  {:<13} {state}, {ops} ops, last progress {ago:.1} s ago, doing: {doing}\n", w.name);
            }
            say(&format!("{report}{}", summary(sh, elapsed)));
            std::process::exit(101);
        }
    }
}

/// Marks a worker as gone however it ends (a panic included).
struct Exit(&'static Worker);

impl Drop for Exit {
    fn drop(&mut self) {
        self.0.exited.store(true, SeqCst);
    }
}

#[test]
fn eight_threads_call_redefine_compile_interrupt_limit_and_clean_up_at_once() {
    let secs: f64 = std::env::var("RTJIT_STRESS_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let sh: &'static Shared = SHARED.get_or_init(Shared::new);
    let start = Instant::now();
    let spawn = |(i, &(name, role)): (usize, &(&str, Role))| {
        let worker = move || {
            let _exit = Exit(&sh.workers[i]);
            role(sh, i);
        };
        thread::Builder::new().name(name.into()).stack_size(8 << 20).spawn(worker).expect("spawn a worker")
    };
    let threads: Vec<_> = ROLES.iter().enumerate().map(spawn).collect();
    watch(sh, Duration::from_secs_f64(secs));
    for (t, (name, _)) in threads.into_iter().zip(ROLES) {
        if t.join().is_err() {
            lock(&sh.failures).push(format!("{name} panicked"));
        }
    }
    say(&summary(sh, start.elapsed()));
    let failures = lock(&sh.failures);
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert!(missing(sh).is_empty(), "never happened: {:?}", missing(sh));
}
