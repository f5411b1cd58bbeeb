//! The table-driven runner of the conformance suite.
//!
//! A [`Case`] is a program (one or more compile units) and a list of
//! [`Check`]s. The runner is parameterised by the *compile path*: a closure
//! `Fn(&Manager, &str) -> Result<Value, Error>` that compiles one unit into a
//! manager and runs its top-level code. `compile_source` is the first such
//! path; a second one (another front end, the C API, a file) can run the very
//! same table by passing another closure to [`run_cases`].
//!
//! Rules of the table:
//!
//! * Each case runs in a fresh `Manager`.
//! * `source` is the first unit. If it starts with a newline, that newline is
//!   dropped and the common indentation (spaces) of its lines is removed, so
//!   sources can be written as indented raw strings and line 1 is the first
//!   line after the opening quote. Otherwise the text is used verbatim (use
//!   that for tabs, `\r\n` and other exact byte sequences).
//! * Checks run in order. `Eval`, `Compiles`, `CompileError` and
//!   `EvalRuntimeError` look at the result of the most recent unit;
//!   `Unit(src)` compiles another unit into the same manager (same rule for
//!   its text). If a unit fails and no check looks at that failure, the case
//!   fails with the unit's error and its remaining checks are skipped up to
//!   the next `Unit`.
//! * Substrings: a substring that ends in a digit must not be followed by
//!   another digit (`"line 3"` does not match `line 30`); a substring that
//!   starts with `!` must NOT occur.

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};

use rtjit::{Error, Manager, Value};

/// The input name compile errors of source text carry.
pub const INPUT: &str = "<source>";

/// Which kind of [`Error`] an API call must fail with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrKind {
    Compile,
    Runtime,
    NotFound,
    Signature,
}

impl ErrKind {
    fn of(e: &Error) -> Option<ErrKind> {
        Some(match e {
            Error::Compile(_) => ErrKind::Compile,
            Error::Runtime(_) => ErrKind::Runtime,
            Error::NotFound(_) => ErrKind::NotFound,
            Error::Signature(_) => ErrKind::Signature,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub enum Check {
    /// The most recent unit compiled, its top-level code ran, and the unit's
    /// value is this.
    Eval(Value),
    /// The most recent unit compiled and ran (any value).
    Compiles,
    /// The most recent unit failed with `Error::Compile`; the message starts
    /// with `<source>:LINE:COL:` (LINE/COL checked when given) and contains
    /// every substring.
    CompileError { line: Option<u32>, col: Option<u32>, subs: &'static [&'static str] },
    /// The most recent unit compiled but its top-level code failed with
    /// `Error::Runtime` whose message contains every substring.
    EvalRuntimeError(&'static [&'static str]),
    /// `manager.call(f, args)` returns this value.
    Call(&'static str, Vec<Value>, Value),
    /// `manager.execute(f, args)` returns this integer.
    Exec(&'static str, Vec<i64>, i64),
    /// `manager.call(f, args)` fails with `Error::Runtime` containing every substring.
    RuntimeError(&'static str, Vec<Value>, &'static [&'static str]),
    /// `manager.execute(f, args)` fails with `Error::Runtime` containing every substring.
    ExecRuntimeError(&'static str, Vec<i64>, &'static [&'static str]),
    /// `manager.call(f, args)` fails with this kind of error.
    CallError(&'static str, Vec<Value>, ErrKind),
    /// `manager.call(f, args)` fails with `Error::Runtime` whose message is
    /// exactly this (e.g. `invalid number "12x" in f at line 3`).
    RuntimeErrorIs(&'static str, Vec<Value>, &'static str),
    /// The most recent unit compiled but its top-level code failed with
    /// `Error::Runtime` whose message is exactly this.
    EvalRuntimeErrorIs(&'static str),
    /// `manager.execute(f, args)` fails with this kind of error.
    ExecError(&'static str, Vec<i64>, ErrKind),
    /// `manager.function_signature(f)` renders as this (`fn(text) -> text`).
    Sig(&'static str, &'static str),
    /// `manager.global(name)` returns this value.
    Global(&'static str, Value),
    /// `manager.global(name)` is `Error::NotFound`.
    NoGlobal(&'static str),
    /// The manager has no function of this name.
    NoFunction(&'static str),
    /// Compile another unit into the same manager.
    Unit(&'static str),
}

pub use Check::*;

/// `CompileError` on a given line.
pub fn compile_error(line: u32, subs: &'static [&'static str]) -> Check {
    CompileError { line: Some(line), col: None, subs }
}

/// `CompileError` on a given line and column.
pub fn compile_error_at(line: u32, col: u32, subs: &'static [&'static str]) -> Check {
    CompileError { line: Some(line), col: Some(col), subs }
}

/// `CompileError` on any line (the position is still required to be there).
pub fn compile_error_anywhere(subs: &'static [&'static str]) -> Check {
    CompileError { line: None, col: None, subs }
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: &'static str,
    pub source: &'static str,
    pub checks: Vec<Check>,
}

pub fn case(name: &'static str, source: &'static str, checks: Vec<Check>) -> Case {
    Case { name, source, checks }
}

/// A named group of cases.
pub struct Group {
    pub name: &'static str,
    pub cases: Vec<Case>,
}

/// The outcome of running a table.
#[derive(Default, Debug)]
pub struct Report {
    pub cases: usize,
    pub checks: usize,
    pub failed_cases: usize,
    pub failures: Vec<String>,
}

impl Report {
    pub fn merge(&mut self, other: Report) {
        self.cases += other.cases;
        self.checks += other.checks;
        self.failed_cases += other.failed_cases;
        self.failures.extend(other.failures);
    }

    /// Panics with every failure when any case failed.
    pub fn assert_ok(&self, what: &str) {
        if self.failures.is_empty() {
            eprintln!("{what}: {} cases, {} checks, all passed", self.cases, self.checks);
            return;
        }
        let mut text = String::new();
        for f in &self.failures {
            text.push_str(f);
            text.push('\n');
        }
        panic!("{text}\n{what}: {} of {} cases failed ({} checks in all)", self.failed_cases, self.cases, self.checks);
    }
}

/// The first compile path: `Manager::compile_source` with input `<source>`.
pub fn compile_source(m: &Manager, src: &str) -> Result<Value, Error> {
    m.compile_source(src, INPUT)
}

/// The input name of errors found when the printed MIR is compiled.
pub const MIR_INPUT: &str = "<mir>";

/// The second compile path: the unit's MIR text (as the manager prints it
/// for this source) compiled with `Manager::compile_mir`. Source errors come
/// from the first step, with their source positions; errors found when the
/// MIR is installed (a refused redefinition, say) are at positions of the
/// MIR text, so `CompileError` checks only their message there.
pub fn compile_through_mir(m: &Manager, src: &str) -> Result<Value, Error> {
    let text = m.source_to_mir_text(src, INPUT)?;
    m.compile_mir(text.as_bytes(), MIR_INPUT)
}

/// The text a table source stands for (see the module documentation).
pub fn unit_text(src: &str) -> String {
    let Some(body) = src.strip_prefix('\n') else { return src.to_string() };
    let indent = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        let strip = (line.len() - line.trim_start_matches(' ').len()).min(indent);
        out.push_str(&line[strip..]);
    }
    // A raw string usually ends with the closing quote's indentation.
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    out
}

fn numbered(src: &str) -> String {
    const MAX_LINES: usize = 60;
    const MAX_LINE: usize = 160;
    let mut s = String::new();
    let total = src.split('\n').count();
    for (i, line) in src.split('\n').enumerate() {
        if i == MAX_LINES {
            let _ = writeln!(s, "    ... ({} more lines)", total - MAX_LINES);
            break;
        }
        let count = line.chars().count();
        let line: String = if count > MAX_LINE {
            format!("{}... ({} more characters)", line.chars().take(MAX_LINE).collect::<String>(), count - MAX_LINE)
        } else {
            line.to_string()
        };
        let _ = writeln!(s, "    {:>3} | {}", i + 1, line.replace('\t', "\\t").replace('\r', "\\r"));
    }
    s
}

/// Does `hay` contain `needle` (with the digit rule of the module docs)?
fn contains(hay: &str, needle: &str) -> bool {
    let ends_in_digit = needle.chars().last().is_some_and(|c| c.is_ascii_digit());
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let end = from + i + needle.len();
        if !ends_in_digit || !hay[end..].starts_with(|c: char| c.is_ascii_digit()) {
            return true;
        }
        from += i + 1;
    }
    false
}

/// The substrings of `subs` that `msg` violates, as text; empty when all fit.
fn missing(msg: &str, subs: &[&str]) -> Vec<String> {
    let mut v = Vec::new();
    for s in subs {
        match s.strip_prefix('!') {
            Some(not) => {
                if contains(msg, not) {
                    v.push(format!("must not contain {not:?}"));
                }
            }
            None => {
                if !contains(msg, s) {
                    v.push(format!("must contain {s:?}"));
                }
            }
        }
    }
    v
}

/// Values are equal; floats compare by value, and NaN equals NaN; texts
/// compare byte for byte (NUL bytes included, so nothing is cut short).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::F64(x), Value::F64(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Text(x), Value::Text(y)) => x.as_bytes() == y.as_bytes(),
        _ => a == b,
    }
}

/// A value for a failure message; a text also shows its length in bytes,
/// which makes invisible differences (NUL, trailing spaces) readable.
fn show(v: &Result<Value, Error>) -> String {
    match v {
        Ok(Value::Text(s)) => format!("Ok(Text({s:?}), {} bytes)", s.len()),
        other => format!("{other:?}"),
    }
}

fn show_want(v: &Value) -> String {
    match v {
        Value::Text(s) => format!("Text({s:?}) ({} bytes)", s.len()),
        other => format!("{other:?}"),
    }
}

fn show_args<T: std::fmt::Debug>(args: &[T]) -> String {
    args.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>().join(", ")
}

/// Parses `<source>:LINE:COL: ` at the start of a compile error message.
/// The position of a compile error; `(0, 0)` for a position in the MIR
/// text of the second compile path (not comparable with source lines).
fn position(msg: &str) -> Option<(u32, u32)> {
    if let Some(rest) = msg.strip_prefix(MIR_INPUT).and_then(|r| r.strip_prefix(':')) {
        let mut parts = rest.splitn(3, ':');
        let ok = parts.next()?.parse::<u32>().is_ok() && parts.next()?.parse::<u32>().is_ok();
        return ok.then_some((0, 0));
    }
    let rest = msg.strip_prefix(INPUT)?.strip_prefix(':')?;
    let (line, rest) = rest.split_once(':')?;
    let (col, rest) = rest.split_once(':')?;
    if !rest.starts_with(' ') {
        return None;
    }
    Some((line.parse().ok()?, col.parse().ok()?))
}

struct UnitState {
    index: usize,
    result: Result<Value, Error>,
    inspected: bool,
}

/// Runs one case; returns the number of checks and the mismatches.
fn run_case(case: &Case, compile: &dyn Fn(&Manager, &str) -> Result<Value, Error>) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let m = match Manager::new(crate::backend_support::backend()) {
        Ok(m) => m,
        Err(e) => return (case.checks.len(), vec![format!("Manager::new failed: {e:?}")]),
    };
    let mut units = vec![unit_text(case.source)];
    let mut unit = UnitState { index: 1, result: compile(&m, &units[0]), inspected: false };
    let mut skipping = false;
    let mut checks = 0;
    for (n, check) in case.checks.iter().enumerate() {
        let n = n + 1;
        if let Unit(src) = check {
            if !unit.inspected && unit.result.is_err() && !skipping {
                problems.push(format!("unit {} failed unexpectedly: {:?}", unit.index, unit.result));
            }
            let text = unit_text(src);
            unit = UnitState { index: unit.index + 1, result: compile(&m, &text), inspected: false };
            units.push(text);
            skipping = false;
            continue;
        }
        checks += 1;
        let looks_at_unit =
            matches!(check, Eval(_) | Compiles | CompileError { .. } | EvalRuntimeError(_) | EvalRuntimeErrorIs(_));
        if looks_at_unit {
            unit.inspected = true;
        } else if unit.result.is_err() && !unit.inspected {
            if !skipping {
                problems.push(format!(
                    "unit {} failed unexpectedly (its remaining checks are skipped): {:?}",
                    unit.index, unit.result
                ));
                skipping = true;
            }
            continue;
        }
        if skipping {
            continue;
        }
        let u = unit.index;
        let problem: Option<String> = match check {
            Unit(_) => None,
            Eval(want) => match &unit.result {
                Ok(v) if same(v, want) => None,
                got => Some(format!("check {n}: unit {u} should evaluate to {}, got {}", show_want(want), show(got))),
            },
            Compiles => match &unit.result {
                Ok(_) => None,
                got => Some(format!("check {n}: unit {u} should compile and run, got {got:?}")),
            },
            CompileError { line, col, subs } => match &unit.result {
                Err(Error::Compile(msg)) => {
                    let mut why = missing(msg, subs);
                    match position(msg) {
                        None => why.push(format!("must start with \"{INPUT}:LINE:COL: \"")),
                        Some((0, 0)) => {}
                        Some((l, c)) => {
                            if let Some(want) = line {
                                if *want != l {
                                    why.push(format!("must be at line {want}"));
                                }
                            }
                            if let Some(want) = col {
                                if *want != c {
                                    why.push(format!("must be at column {want}"));
                                }
                            }
                        }
                    }
                    (!why.is_empty())
                        .then(|| format!("check {n}: compile error of unit {u} {}; got: {msg}", why.join(", ")))
                }
                got => Some(format!(
                    "check {n}: unit {u} should be a compile error{} containing {subs:?}, got {got:?}",
                    line.map(|l| format!(" at line {l}")).unwrap_or_default()
                )),
            },
            EvalRuntimeError(subs) => match &unit.result {
                Err(Error::Runtime(msg)) => {
                    let why = missing(msg, subs);
                    (!why.is_empty()).then(|| {
                        format!("check {n}: runtime error of unit {u}'s top-level code {}; got: {msg}", why.join(", "))
                    })
                }
                got => Some(format!(
                    "check {n}: unit {u}'s top-level code should fail at run time with {subs:?}, got {got:?}"
                )),
            },
            Call(f, args, want) => match m.call(f, args) {
                Ok(v) if same(&v, want) => None,
                got => Some(format!(
                    "check {n}: {f}({}) should be {}, got {}",
                    show_args(args),
                    show_want(want),
                    show(&got)
                )),
            },
            Exec(f, args, want) => match m.execute(f, args) {
                Ok(v) if v == *want => None,
                got => Some(format!("check {n}: execute {f}({}) should be {want}, got {got:?}", show_args(args))),
            },
            RuntimeError(f, args, subs) => match m.call(f, args) {
                Err(Error::Runtime(msg)) => {
                    let why = missing(&msg, subs);
                    (!why.is_empty()).then(|| {
                        format!("check {n}: runtime error of {f}({}) {}; got: {msg}", show_args(args), why.join(", "))
                    })
                }
                got => Some(format!(
                    "check {n}: {f}({}) should fail at run time with {subs:?}, got {got:?}",
                    show_args(args)
                )),
            },
            ExecRuntimeError(f, args, subs) => match m.execute(f, args) {
                Err(Error::Runtime(msg)) => {
                    let why = missing(&msg, subs);
                    (!why.is_empty()).then(|| {
                        format!(
                            "check {n}: runtime error of execute {f}({}) {}; got: {msg}",
                            show_args(args),
                            why.join(", ")
                        )
                    })
                }
                got => Some(format!(
                    "check {n}: execute {f}({}) should fail at run time with {subs:?}, got {got:?}",
                    show_args(args)
                )),
            },
            CallError(f, args, kind) => match m.call(f, args) {
                Err(e) if ErrKind::of(&e) == Some(*kind) => None,
                got => Some(format!("check {n}: {f}({}) should fail with {kind:?}, got {got:?}", show_args(args))),
            },
            RuntimeErrorIs(f, args, want) => match m.call(f, args) {
                Err(Error::Runtime(msg)) if msg == *want => None,
                got => Some(format!(
                    "check {n}: {f}({}) should fail at run time with exactly {want:?}, got {got:?}",
                    show_args(args)
                )),
            },
            EvalRuntimeErrorIs(want) => match &unit.result {
                Err(Error::Runtime(msg)) if msg == want => None,
                got => Some(format!(
                    "check {n}: unit {u}'s top-level code should fail at run time with exactly {want:?}, got {got:?}"
                )),
            },
            ExecError(f, args, kind) => match m.execute(f, args) {
                Err(e) if ErrKind::of(&e) == Some(*kind) => None,
                got => {
                    Some(format!("check {n}: execute {f}({}) should fail with {kind:?}, got {got:?}", show_args(args)))
                }
            },
            Sig(f, want) => match m.function_signature(f) {
                Ok(sig) if sig.to_string() == *want => None,
                got => Some(format!(
                    "check {n}: the signature of `{f}` should be {want:?}, got {:?}",
                    got.map(|s| s.to_string())
                )),
            },
            Global(name, want) => match m.global(name) {
                Ok(v) if same(&v, want) => None,
                got => Some(format!("check {n}: global `{name}` should be {}, got {}", show_want(want), show(&got))),
            },
            NoGlobal(name) => match m.global(name) {
                Err(Error::NotFound(_)) => None,
                got => Some(format!("check {n}: there should be no global `{name}`, got {got:?}")),
            },
            NoFunction(name) => {
                (m.has_function(name)).then(|| format!("check {n}: there should be no function `{name}`"))
            }
        };
        problems.extend(problem);
    }
    if !unit.inspected && unit.result.is_err() && !skipping {
        problems.push(format!("unit {} failed unexpectedly: {:?}", unit.index, unit.result));
    }
    if problems.is_empty() {
        return (checks, problems);
    }
    let mut text = format!("---- case `{}` FAILED\n", case.name);
    for (i, u) in units.iter().enumerate() {
        let _ = writeln!(text, "  unit {}:\n{}", i + 1, numbered(u));
    }
    for p in &problems {
        let _ = writeln!(text, "  {p}");
    }
    (checks, vec![text])
}

/// Runs every case of `cases` through `compile`; never stops at the first
/// failure.
pub fn run_cases(cases: &[Case], compile: &dyn Fn(&Manager, &str) -> Result<Value, Error>) -> Report {
    let mut report = Report::default();
    // CONFORMANCE_TRACE=1 names each case before it runs (to find a case
    // that hangs or crashes the process).
    let trace = std::env::var_os("CONFORMANCE_TRACE").is_some_and(|v| !v.is_empty() && v != "0");
    for case in cases {
        report.cases += 1;
        if trace {
            eprintln!("conformance: running case `{}`", case.name);
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| run_case(case, compile)));
        let (checks, failures) = match outcome {
            Ok(r) => r,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                (case.checks.len(), vec![format!("---- case `{}` PANICKED: {what}", case.name)])
            }
        };
        report.checks += checks;
        if !failures.is_empty() {
            report.failed_cases += 1;
        }
        report.failures.extend(failures);
    }
    report
}

/// Runs every group; case names must be unique across the table.
pub fn run_groups(groups: &[Group], compile: &dyn Fn(&Manager, &str) -> Result<Value, Error>) -> Report {
    let mut names = std::collections::HashSet::new();
    for g in groups {
        for c in &g.cases {
            assert!(names.insert(c.name), "case name `{}` is used twice", c.name);
        }
    }
    let mut report = Report::default();
    for g in groups {
        report.merge(run_cases(&g.cases, compile));
    }
    report
}
