//! Builds the C examples in `examples-c/` against the library of this test
//! run (librtjit.so, built by cargo with the tests; see `lib_dir`) and runs
//! them: the demo's key lines, and a scripted REPL session checked exactly.
//!
//! Needs `make` and a C compiler (`cc`). The build goes to
//! target/examples-c and never runs cargo (the `all` target of the Makefile).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// The library name on this platform.
const LIB_FILE: &str = if cfg!(target_os = "macos") { "librtjit.dylib" } else { "librtjit.so" };

fn crate_dir() -> PathBuf {
    PathBuf::from(CRATE_DIR)
}

fn examples_dir() -> PathBuf {
    crate_dir().join("examples-c")
}

/// The directory of the library this test run was built with.
///
/// The test runs from target/<profile>/deps/. `cargo test` builds the cdylib
/// there, next to the test, but copies it up to target/<profile>/ only on
/// `cargo build`: target/<profile>/librtjit.so may be missing or stale, so
/// deps/ comes first and target/<profile>/ is the fallback.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the test executable's directory");
    let profile = deps.parent().unwrap_or(deps);
    [deps, profile]
        .into_iter()
        .find(|dir| dir.join(LIB_FILE).is_file())
        .unwrap_or_else(|| {
            panic!(
                "{LIB_FILE} is in neither {} nor {}: cargo builds it (crate-type cdylib) with the tests",
                deps.display(),
                profile.display()
            )
        })
        .to_path_buf()
}

fn build_dir() -> PathBuf {
    crate_dir().join("target").join("examples-c")
}

/// A `make -C examples-c` command with the variables every run here uses,
/// isolated from any make this test itself was started by.
fn make(build: &Path) -> Command {
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(examples_dir())
        .arg(format!("RTJIT_LIB_DIR={}", lib_dir().display()))
        .arg(format!("BUILD={}", build.display()))
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .current_dir(crate_dir());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}--- stderr\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Builds the examples once per test run; returns the directory of the programs.
fn built() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let build = build_dir();
        let out = run(make(&build).arg("all"));
        assert_success("make -C examples-c all", &out);
        let log = text(&out.stdout);
        assert!(!log.contains("cargo"), "`make all` must not run cargo:\n{log}");
        for program in ["demo", "repl"] {
            assert!(build.join(program).is_file(), "make did not build {program} in {}", build.display());
        }
        build
    })
}

fn demo() -> PathBuf {
    built().join("demo")
}

fn repl() -> PathBuf {
    built().join("repl")
}

/// Runs the demo and returns its output, checking it succeeded quietly.
fn run_demo(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert_success("the demo", &out);
    assert_eq!(text(&out.stderr), "", "the demo wrote to stderr");
    text(&out.stdout)
}

fn assert_has_line(output: &str, line: &str) {
    assert!(output.lines().any(|l| l == line), "no line {line:?} in the demo output:\n{output}");
}

fn assert_has_line_starting(output: &str, prefix: &str) {
    assert!(
        output.lines().any(|l| l.starts_with(prefix)),
        "no line starting with {prefix:?} in the demo output:\n{output}"
    );
}

#[test]
fn demo_shows_the_seed_use_cases() {
    let out = run_demo(Command::new(demo()).arg(examples_dir().join("scripts")));

    // (a) the formula
    assert_has_line(&out, "  type:   fn(i64) -> i64");
    for (x, y) in [(0, 1), (1, 4), (2, 9), (3, 16), (4, 25), (5, 36)] {
        assert_has_line(&out, &format!("  f({x}) = {y}"));
    }
    // (b) the config values, typed
    assert_has_line(&out, "  eval returned true (bool), the value of the last line");
    assert_has_line(&out, "  timeout = 1800 (i64)");
    assert_has_line(&out, "  retries = 3 (i64)");
    assert_has_line(&out, "  ratio = 0.75 (f64)");
    assert_has_line(&out, "  verbose = true (bool)");
    assert_has_line(&out, "  port is not set (RT_ERR_NOT_FOUND): using the default 8080");
    // (c) the file
    assert_has_line(&out, "  fib(30) = 832040");
    // (d) the errors
    assert_has_line_starting(&out, "  compile error (RT_ERR_COMPILE): <source>:2:20: unknown name `heigth`");
    assert_has_line(&out, "  area defined after the failed compile: no");
    assert_has_line(&out, "  runtime error (RT_ERR_RUNTIME): division by zero in per_item at line 2");
    assert_has_line(&out, "  the manager still works: per_item(10, 4) = 2");
    assert_has_line(&out, "  after rt_exec_manager_clear_error: code 0, message \"\"");
}

#[test]
fn demo_finds_its_scripts_from_the_root_and_from_examples_c() {
    for cwd in [crate_dir(), examples_dir()] {
        let out = run_demo(Command::new(demo()).current_dir(&cwd));
        assert_has_line(&out, "  fib(30) = 832040");
    }
}

#[test]
fn demo_fails_cleanly_without_its_scripts() {
    let out = run(Command::new(demo()).arg(build_dir().join("no-such-dir")));
    assert_eq!(out.status.code(), Some(1), "stdout:\n{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("cannot find fib.rt"), "stderr:\n{}", text(&out.stderr));
}

/// Feeds `input` to the REPL through a pipe (so no prompts) and returns stdout.
fn repl_session(input: &str) -> String {
    let mut child = Command::new(repl())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the REPL");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write the session");
    let out = child.wait_with_output().expect("wait for the REPL");
    assert_success("the REPL", &out);
    assert_eq!(text(&out.stderr), "", "the REPL wrote to stderr");
    text(&out.stdout)
}

#[test]
fn repl_scripted_session() {
    let input = "\
x = 40
x + 2
fn sign(n):
    if n < 0:
        return -1
    elif n == 0:
        return 0
    return 1

sign(-x)
sign(0)
fn broken(a):
    return a +

x = x / 0
fn ratio(a, b):
    return a / b
ratio(x, 0)
ratio(x, 8)
x
sign(x) + x
half = x / 16.0
0.1 + 0.2
half > 2
:functions
for i in 1..=3:
    x += i
x
:quit
x
";
    let expected = "\
40
42
-1
0
error: <source>:2:15: expected an expression, found end of line
error: division by zero in top-level code at line 1
error: division by zero in ratio at line 2
5
40
41
2.5
0.30000000000000004
true
ratio: fn(i64, i64) -> i64
sign: fn(i64) -> i64
46
";
    let out = repl_session(input);
    assert_eq!(out, expected, "\n--- got\n{out}--- expected\n{expected}");
}

#[test]
fn repl_runs_a_pending_block_at_end_of_input() {
    let out =
        repl_session("fn twice(n):\n    return 2 * n\n\ntwice(21)\nvar total = 0\nfor i in 0..4:\n    total += i");
    assert_eq!(out, "42\n0\n");
    let out = repl_session("if true:\n    1\nelse:\n    2\n");
    assert_eq!(out, "");
}

#[test]
fn repl_prints_floats_in_their_shortest_exact_form() {
    let input = "100.0\n1e9\n1e16\n1e-5\n0.0001\n-0.0\n1.0 / 3.0\n1.7976931348623157e308\n5e-324\n-2^63\n1 == 1\n";
    let expected = "100.0\n1000000000.0\n1e+16\n1e-05\n0.0001\n-0.0\n0.3333333333333333\n\
                    1.7976931348623157e+308\n5e-324\n-9223372036854775808\ntrue\n";
    assert_eq!(repl_session(input), expected);
}

#[test]
fn makefile_builds_the_library_only_for_demo_and_repl() {
    // Dry runs: print the commands without building anything.
    let build = build_dir().join("dry-run");
    let all = text(&run(make(&build).args(["-n", "all"])).stdout);
    assert!(!all.contains("cargo"), "`make all` runs cargo:\n{all}");
    for goal in ["demo", "repl"] {
        let log = text(&run(make(&build).args(["-n", goal])).stdout);
        let cargo = log
            .find("cargo build --release")
            .unwrap_or_else(|| panic!("`make {goal}` does not build the library:\n{log}"));
        let cc = log
            .find(&format!("-o {}/{goal} {goal}.c", build.display()))
            .unwrap_or_else(|| panic!("`make {goal}` does not build {goal}:\n{log}"));
        assert!(cargo < cc, "`make {goal}` links before building the library:\n{log}");
    }
}
