//! Builds the C examples in `examples-c/` against the library of this test
//! run (librtjit.so, built by cargo with the tests; see `lib_dir`) and runs
//! them: the demo's key lines, a scripted REPL session checked exactly, the
//! config reader, the hot reloader (its --demo and a real watch), and the
//! plugin host.
//!
//! Needs `make` and a C compiler (`cc`). The build goes to
//! target/examples-c and never runs cargo (the `all` target of the Makefile).

use std::io::{BufRead, BufReader, Write};
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

/// The programs of examples-c/Makefile's BINS list that these tests run.
const PROGRAMS: [&str; 7] = ["demo", "repl", "config", "hot_reload", "plugins", "stats", "game"];

/// Builds the examples once per test run; returns the directory of the programs.
fn built() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let build = build_dir();
        let out = run(make(&build).arg("all"));
        assert_success("make -C examples-c all", &out);
        let log = text(&out.stdout);
        assert!(!log.contains("cargo"), "`make all` must not run cargo:\n{log}");
        for program in PROGRAMS {
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
    assert!(output.lines().any(|l| l == line), "no line {line:?} in the output:\n{output}");
}

fn assert_has_line_starting(output: &str, prefix: &str) {
    assert!(output.lines().any(|l| l.starts_with(prefix)), "no line starting with {prefix:?} in the output:\n{output}");
}

/// The index of the first line at or after line `from` that contains every
/// part of `parts`; panics if there is none.
fn line_index(output: &str, from: usize, parts: &[&str]) -> usize {
    output
        .lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| parts.iter().all(|p| l.contains(p)))
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no line with {parts:?} after line {from} in the output:\n{output}"))
}

/// Checks that lines with these parts come in this order; returns the last index.
fn assert_lines_in_order(output: &str, lines: &[&[&str]]) -> usize {
    let mut at = 0;
    for parts in lines {
        at = line_index(output, at, parts) + 1;
    }
    at - 1
}

/// An empty directory for one test, under target/examples-c/tmp.
fn temp_dir(name: &str) -> PathBuf {
    let dir = build_dir().join("tmp").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).expect("remove an old temp dir");
    }
    std::fs::create_dir_all(&dir).expect("create a temp dir");
    dir
}

/// Runs an example program that must succeed without writing to stderr.
fn run_quietly(what: &str, cmd: &mut Command) -> String {
    let out = run(cmd);
    assert_success(what, &out);
    assert_eq!(text(&out.stderr), "", "{what} wrote to stderr");
    text(&out.stdout)
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
\"a\" + \"b\"
int(\"12x\")
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
\"ab\"
error: invalid number \"12x\" in top-level code at line 1
ratio: fn(i64, i64) -> i64
sign: fn(i64) -> i64
46
";
    let out = repl_session(input);
    assert_eq!(out, expected, "\n--- got\n{out}--- expected\n{expected}");
}

#[test]
fn repl_prints_text_values_quoted() {
    let input = r#"name = "web"
greeting = "say \"hi\"\t" + name + str(1) + "\u{e9}"
len(greeting)
greeting < "say"
float("2.5") * 2
"line 1\nline 2"
"bell\u{7}"
str(0.1 + 0.2)
float("x")
"#;
    let expected = r#""web"
"say \"hi\"\tweb1é"
15
false
5.0
"line 1\nline 2"
"bell\u{7}"
"0.30000000000000004"
error: invalid number "x" in top-level code at line 1
"#;
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

/// Starts the REPL on a pipe; `steps` are (input to write, then how long to
/// wait, then whether to send SIGINT). Returns the exit status and stdout.
fn repl_with_sigint(steps: &[(&str, u64, bool)]) -> (Output, String) {
    let mut child = Command::new(repl())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the REPL");
    let mut stdin = child.stdin.take().expect("stdin");
    for (input, wait_ms, sigint) in steps {
        stdin.write_all(input.as_bytes()).expect("write to the REPL");
        stdin.flush().expect("flush");
        std::thread::sleep(std::time::Duration::from_millis(*wait_ms));
        if *sigint {
            let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().expect("kill -INT");
            assert!(status.success());
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    drop(stdin);
    let out = child.wait_with_output().expect("wait for the REPL");
    let stdout = text(&out.stdout);
    (out, stdout)
}

#[test]
fn repl_ctrl_c_stops_the_running_entry_and_the_session_goes_on() {
    let (out, stdout) = repl_with_sigint(&[
        ("var x = 0\n", 100, false),
        ("while true:\n    x += 1\n\n", 300, true),
        ("fn quick(): 40 + 2\nquick()\n", 100, false),
    ]);
    assert_success("the REPL after Ctrl-C", &out);
    assert_eq!(stdout, "0\nerror: interrupted in top-level code at line 1\n42\n", "stdout");
}

#[test]
fn repl_ctrl_c_at_the_prompt_drops_the_line_being_typed() {
    let (out, stdout) = repl_with_sigint(&[
        ("1 +", 200, true),
        ("5\n", 100, false),
        ("fn f(x):\n    return x\n", 200, true),
        ("f\n7\n", 100, false),
    ]);
    assert_success("the REPL after Ctrl-C at the prompt", &out);
    assert_eq!(stdout, "5\nerror: <source>:1:1: unknown name `f`\n7\n", "stdout");
}

#[test]
fn repl_prints_floats_in_their_shortest_exact_form() {
    let input = "100.0\n1e9\n1e16\n1e-5\n0.0001\n-0.0\n1.0 / 3.0\n1.7976931348623157e308\n5e-324\n-2^63\n1 == 1\n";
    let expected = "100.0\n1000000000.0\n1e+16\n1e-05\n0.0001\n-0.0\n0.3333333333333333\n\
                    1.7976931348623157e+308\n5e-324\n-9223372036854775808\ntrue\n";
    assert_eq!(repl_session(input), expected);
}

#[test]
fn makefile_builds_the_library_only_for_the_run_targets() {
    // Dry runs: print the commands without building anything.
    let build = build_dir().join("dry-run");
    let all = text(&run(make(&build).args(["-n", "all"])).stdout);
    assert!(!all.contains("cargo"), "`make all` runs cargo:\n{all}");
    for program in PROGRAMS {
        assert!(
            all.contains(&format!("-o {}/{program} {program}.c", build.display())),
            "`make all` does not build {program}:\n{all}"
        );
    }
    // (goal, program, how the goal runs it)
    let goals = [
        ("demo", "demo", "demo scripts"),
        ("repl", "repl", "repl"),
        ("config", "config", "config scripts/app.conf"),
        ("hot-reload", "hot_reload", "hot_reload --demo scripts/reload.rt"),
        ("plugins", "plugins", "plugins plugins"),
        ("game", "game", "game --demo scripts/game.rt"),
    ];
    for (goal, program, command) in goals {
        let log = text(&run(make(&build).args(["-n", goal])).stdout);
        let cargo = log
            .find("cargo build --release")
            .unwrap_or_else(|| panic!("`make {goal}` does not build the library:\n{log}"));
        let cc = log
            .find(&format!("-o {}/{program} {program}.c", build.display()))
            .unwrap_or_else(|| panic!("`make {goal}` does not build {program}:\n{log}"));
        assert!(cargo < cc, "`make {goal}` links before building the library:\n{log}");
        let runs = log
            .lines()
            .position(|l| l == format!("{}/{command}", build.display()))
            .unwrap_or_else(|| panic!("`make {goal}` does not run `{command}`:\n{log}"));
        assert!(log.lines().position(|l| l.contains("cc ") && l.contains(&format!("{program}.c"))) < Some(runs));
    }
    // `make demo` still runs only the demo.
    let log = text(&run(make(&build).args(["-n", "demo"])).stdout);
    for program in ["config", "hot_reload", "plugins"] {
        assert!(
            !log.lines().any(|l| l.starts_with(&format!("{}/{program}", build.display()))),
            "`make demo` runs {program}:\n{log}"
        );
    }
}

// ---- config ---------------------------------------------------------------

fn config() -> PathBuf {
    built().join("config")
}

#[test]
fn config_reads_typed_settings_with_defaults_and_shows_an_error() {
    let out = run_quietly("config", Command::new(config()).arg("scripts/app.conf").current_dir(examples_dir()));

    assert_has_line(&out, "== scripts/app.conf ==");
    // text, i64, f64 and bool settings, computed ones included
    assert_has_line(&out, "  name = \"web-1\" (text)");
    assert_has_line(&out, "  log_level = \"info\" (text)");
    assert_has_line(&out, "  port = 8080 (i64)");
    assert_has_line(&out, "  timeout = 1800 (i64)");
    assert_has_line(&out, "  max_body = 8388608 (i64)");
    assert_has_line(&out, "  sample_rate = 0.25 (f64)");
    assert_has_line(&out, "  debug = false (bool)");
    assert_has_line(&out, "  url = \"http://example.internal:8080/\" (text)");
    // settings the file leaves out (RT_ERR_NOT_FOUND): the host's defaults
    assert_has_line(&out, "  workers = 4 (i64, default: not in the config)");
    assert_has_line(&out, "  motd = \"welcome\" (text, default: not in the config)");
    // data: an array of text copied element by element, a map read by key
    assert_has_line(&out, "  servers = [\"10.0.0.1:8080\", \"10.0.0.2:8080\", \"10.0.0.3:9090\"] ([text])");
    assert_has_line(&out, "  limits[\"requests_per_minute\"] = 600 (i64)");
    assert_has_line(&out, "  limits[\"max_connections\"] = 200 (i64)");
    assert_has_line(&out, "  limits[\"burst\"] = 50 (i64)");
    assert_has_line(&out, "  limits[\"queue_size\"] = 128 (i64, default: not in the map)");
    assert!(!out.contains("the host does not know"), "app.conf has no unknown limits:\n{out}");
    // the host's typed copy, used after the manager call returned the strings
    assert_has_line(&out, "  web-1 listens on example.internal:8080 (http://example.internal:8080/) with 4 workers");
    assert_has_line(&out, "  requests time out after 30 min, bodies up to 8 MiB, 25% traced");
    assert_has_line(&out, "  it forwards to 3 servers: 10.0.0.1:8080, 10.0.0.2:8080, 10.0.0.3:9090");
    assert_has_line(&out, "  at most 600 requests per minute (bursts of 50), 200 connections, 128 queued");
    // the broken config: file:line:col, and a reload that changes nothing
    assert_has_line(&out, "== a config with a mistake: scripts/broken.conf ==");
    assert_has_line(
        &out,
        "  error: scripts/broken.conf:7:30: '+' needs two numbers or two texts \
         (convert with str(...) to concatenate), found text and i64",
    );
    assert_has_line(&out, "  the loaded config is unchanged: name = \"web-1\"");
}

#[test]
fn config_finds_its_file_from_the_root_and_from_examples_c() {
    for (cwd, shown) in [(crate_dir(), "examples-c/scripts/app.conf"), (examples_dir(), "scripts/app.conf")] {
        let out = run_quietly("config", Command::new(config()).current_dir(&cwd));
        assert_has_line(&out, &format!("== {shown} =="));
        assert_has_line(&out, "  name = \"web-1\" (text)");
    }
}

#[test]
fn config_rejects_a_value_of_the_wrong_type() {
    let dir = temp_dir("config-wrong-type");
    let file = dir.join("app.conf");
    std::fs::write(
        &file,
        "name = \"db-1\"\nport = \"5432\"\nsample_rate = 1\ndebug = 1 > 0\nworkers = [8]\n\
         servers = [5432, 5433]\nlimits = {\"burst\": 1.5}\n",
    )
    .unwrap();
    let out = run_quietly("config", Command::new(config()).arg(&file));
    assert_has_line(&out, "  name = \"db-1\" (text)");
    assert_has_line(&out, "  port = 80 (i64, default: the config sets it to the text \"5432\")");
    assert_has_line(&out, "  sample_rate = 1.0 (f64)");
    assert_has_line(&out, "  debug = true (bool)");
    assert_has_line(&out, "  url = \"\" (text, default: not in the config)");
    // an object where the host wants a scalar, or one of another type: its type and JSON
    assert_has_line(&out, "  workers = 4 (i64, default: the config sets it to the [i64] [8])");
    assert_has_line(&out, "  servers = [] ([text], default: the config sets it to the [i64] [5432,5433])");
    assert_has_line(
        &out,
        "  limits = {} ({text: i64}, default: the config sets it to the {text: f64} {\"burst\":1.5})",
    );
    assert_has_line(&out, "  limits[\"requests_per_minute\"] = 60 (i64, default)");
    assert_has_line(&out, "  limits[\"burst\"] = 10 (i64, default)");
    assert_has_line(&out, "  it forwards to no servers");
    assert_has_line(&out, "  at most 60 requests per minute (bursts of 10), 100 connections, 128 queued");
    assert_has_line(&out, "  (no broken.conf next to the config: nothing to show)");

    std::fs::write(&file, "servers = \"10.0.0.9:80\"\n").unwrap();
    let out = run_quietly("config", Command::new(config()).arg(&file));
    assert_has_line(&out, "  servers = [] ([text], default: the config sets it to the text \"10.0.0.9:80\")");
    assert_has_line(&out, "  limits = {} ({text: i64}, default: not in the config)");
    assert_has_line(&out, "  limits[\"max_connections\"] = 100 (i64, default)");
}

#[test]
fn config_reads_the_limits_it_knows_and_reports_the_others() {
    let dir = temp_dir("config-limits");
    let file = dir.join("app.conf");
    std::fs::write(
        &file,
        "servers = [\"db:5432\"]\nlimits = {\"burst\": 5, \"max_queue\": 9}\nlimits[\"max_connections\"] = 2 * 8\n",
    )
    .unwrap();
    let out = run_quietly("config", Command::new(config()).arg(&file));
    assert_has_line(&out, "  servers = [\"db:5432\"] ([text])");
    assert_has_line(&out, "  limits[\"requests_per_minute\"] = 60 (i64, default: not in the map)");
    assert_has_line(&out, "  limits[\"max_connections\"] = 16 (i64)");
    assert_has_line(&out, "  limits[\"burst\"] = 5 (i64)");
    assert_has_line(&out, "  limits[\"queue_size\"] = 128 (i64, default: not in the map)");
    assert_has_line(
        &out,
        "  limits: 1 entry the host does not know, ignored: {\"burst\":5,\"max_queue\":9,\"max_connections\":16}",
    );
    assert_has_line(&out, "  it forwards to 1 server: db:5432");
    assert_has_line(&out, "  at most 60 requests per minute (bursts of 5), 16 connections, 128 queued");

    // an empty list and an empty map, declared with their types
    std::fs::write(&file, "var servers: [text] = []\nvar limits: {text: i64} = {}\n").unwrap();
    let out = run_quietly("config", Command::new(config()).arg(&file));
    assert_has_line(&out, "  servers = [] ([text])");
    assert_has_line(&out, "  limits[\"burst\"] = 10 (i64, default: not in the map)");
    assert_has_line(&out, "  it forwards to no servers");
}

#[test]
fn config_fails_cleanly_on_a_broken_or_missing_file() {
    let out = run(Command::new(config()).arg("scripts/broken.conf").current_dir(examples_dir()));
    assert_eq!(out.status.code(), Some(1), "stdout:\n{}", text(&out.stdout));
    assert_eq!(
        text(&out.stderr),
        "config: cannot load scripts/broken.conf: scripts/broken.conf:7:30: '+' needs two numbers or two \
         texts (convert with str(...) to concatenate), found text and i64\n"
    );

    let out = run(Command::new(config()).arg(build_dir().join("no-such.conf")));
    assert_eq!(out.status.code(), Some(1), "stdout:\n{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("cannot read"), "stderr:\n{}", text(&out.stderr));
}

// ---- game -------------------------------------------------------------------

/// game.c: the script updates 10,000 C structs in place and ends in the
/// state the same update in C reaches; an edit of the script is picked up
/// while the loop runs, a broken one refused.
#[test]
fn game_demo_agrees_with_c_and_reloads_the_script() {
    let tmp = temp_dir("game-demo");
    let out = run_quietly(
        "game --demo",
        Command::new(built().join("game"))
            .args(["--demo", "--frames", "120"])
            .arg(examples_dir().join("scripts/game.rt"))
            .env("TMPDIR", &tmp),
    );
    assert_lines_in_order(
        &out,
        &[
            &["layout of Entity (40 bytes, align 8) matches the C struct"],
            &["script and C agree: 10000 entities bit-identical after 120 frames"],
            &["  script ", " µs"],
            &["  C ", " µs"],
            &["script / C: "],
            &["reloaded ", "version() = 2"],
            &["reload failed, the old code keeps running: ", "game.rt:"],
            &["1 reload, 1 refused"],
        ],
    );
    assert_eq!(std::fs::read_dir(&tmp).unwrap().count(), 0, "the demo's copy is left in {}", tmp.display());
}

// ---- hot_reload -------------------------------------------------------------

fn hot_reload() -> PathBuf {
    built().join("hot_reload")
}

/// A copy of scripts/reload.rt in a new temp dir.
fn reload_script_copy(test: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(test);
    let script = dir.join("reload.rt");
    std::fs::copy(examples_dir().join("scripts/reload.rt"), &script).expect("copy reload.rt");
    (dir, script)
}

#[test]
fn hot_reload_demo_picks_up_new_code_and_keeps_it_on_errors() {
    let (dir, script) = reload_script_copy("hot-reload-demo");
    let original = std::fs::read(&script).unwrap();
    // The demo's own copy goes to TMPDIR: here, to check it is removed.
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();

    let out =
        run_quietly("hot_reload --demo", Command::new(hot_reload()).arg("--demo").arg(&script).env("TMPDIR", &tmp));

    let failed = "  reload failed, the old code keeps running: ";
    assert_lines_in_order(
        &out,
        &[
            &["watching ", &tmp.display().to_string(), "a copy of"],
            &["loaded: shade is fn(i64) -> i64"],
            &["compiled once: fn frame(t): t * 10 + shade(t)"],
            // the first shade: t % 4
            &["  frame(1..5) = 11 22 33 40 51   (shade: t % 4)"],
            // edit 1: frame, compiled once, calls the new shade
            &["edit 1: "],
            &["  reloaded "],
            &["  frame(1..5) = 11 24 39 56 75   (shade: t * t)"],
            // edit 2: a compile error naming file:line:col; the old code runs
            &["edit 2: "],
            &[failed, "/reload.rt:2:21: expected an expression, found end of line"],
            &["  frame(1..5) = 11 24 39 56 75   (shade: t * t)"],
            // edit 3: a signature change frame cannot follow, refused
            &["edit 3: "],
            &[
                failed,
                "/reload.rt:2:1: cannot change the signature of `shade` from fn(i64) -> i64 to fn(f64) -> f64: \
                 `frame` calls it",
            ],
            &["  frame(1..5) = 11 24 39 56 75   (shade: t * t)"],
            // edit 4: the unit's top-level code fails: the unit is undone
            &["edit 4: "],
            &[failed, "division by zero in top-level code of ", "/reload.rt at line 3"],
            &["  frame(1..5) = 11 24 39 56 75   (shade: t * t)"],
            // edit 5: new code again
            &["edit 5: "],
            &["  reloaded "],
            &["  frame(1..5) = 109 118 127 136 145   (shade: 100 - t)"],
            &["2 reloads, 3 refused"],
        ],
    );
    // The script given is only read; the demo's copy and its folder are gone.
    assert_eq!(std::fs::read(&script).unwrap(), original, "the demo changed {}", script.display());
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(left.is_empty(), "the demo left {left:?} behind");
}

#[test]
fn hot_reload_watches_a_file_edited_by_someone_else() {
    let (dir, script) = reload_script_copy("hot-reload-watch");
    let mut child = Command::new(hot_reload())
        .args(["--seconds", "4"])
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start hot_reload");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut log = String::new();
    let mut read_until = |wanted: &str, log: &mut String| loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("hot_reload ended before printing {wanted:?}:\n{log}"))
            .expect("read hot_reload's output");
        log.push_str(&line);
        log.push('\n');
        if line == wanted {
            break;
        }
    };

    read_until("  frame(1..5) = 11 22 33 40 51   (shade: t % 4)", &mut log);
    read_until(&format!("watching; edit and save {} to reload it (for a limited time)", script.display()), &mut log);
    // Save a new version the way editors do: write a new file, rename it over.
    let new = dir.join("reload.rt.new");
    std::fs::write(&new, "fn shade(t): 7\nfn shade_name() -> text: \"seven\"\n").unwrap();
    std::fs::rename(&new, &script).unwrap();
    read_until(&format!("  reloaded {}", script.display()), &mut log);
    read_until("  frame(1..5) = 17 27 37 47 57   (shade: seven)", &mut log);
    read_until("1 reload, 0 refused", &mut log);

    let out = child.wait_with_output().expect("wait for hot_reload");
    assert_success("hot_reload --seconds 4", &out);
    assert_eq!(text(&out.stderr), "", "hot_reload wrote to stderr:\n{log}");
}

#[test]
fn hot_reload_refuses_a_script_that_does_not_load() {
    let dir = temp_dir("hot-reload-broken");
    let script = dir.join("reload.rt");
    std::fs::write(&script, "fn shade(t): t +\n").unwrap();
    let out = run(Command::new(hot_reload()).arg("--demo").arg(&script).env("TMPDIR", &dir));
    assert_eq!(out.status.code(), Some(1), "stdout:\n{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("hot_reload: cannot load "), "stderr:\n{stderr}");
    assert!(stderr.contains("/reload.rt:1:17: expected an expression, found end of line"), "stderr:\n{stderr}");
    // Only the script itself is left: the demo removed its copy.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

    let out = run(Command::new(hot_reload()).arg("--bogus"));
    assert_eq!(out.status.code(), Some(2));
}

// ---- plugins ------------------------------------------------------------------

fn plugins() -> PathBuf {
    built().join("plugins")
}

#[test]
fn plugins_run_each_plugin_of_the_folder_and_report_the_broken_one() {
    let out = run_quietly("plugins", Command::new(plugins()).arg("plugins").current_dir(examples_dir()));
    let expected = "\
loading 5 plugins from plugins/, each into its own manager
  banner.rt: loaded (frames the input)
  broken.rt: failed to load: plugins/broken.rt:8:16: '+' needs two numbers or two texts (convert with str(...) to concatenate), found text and i64
  numbered.rt: loaded (numbers the input, as a list)
  repeat.rt: loaded (repeats the input 3 times)
  stats.rt: loaded (measures the input)

calling plugin_main(\"hello, world\")
  banner.rt: \"*** hello, world ***\"
  numbered.rt: [\"1. hello, world\", \"2. hello, world\", \"3. hello, world\"] (3 results)
  repeat.rt: \"hello, world | hello, world | hello, world\"
  stats.rt: \"12 bytes (long)\"

4 of 5 plugins ran, 1 failed
";
    assert!(out.ends_with(expected), "--- got\n{out}--- expected to end with\n{expected}");

    // From the repository root, with the default folder and another input.
    let out = run_quietly("plugins", Command::new(plugins()).args(["examples-c/plugins", ""]).current_dir(crate_dir()));
    assert_has_line(&out, "  banner.rt: \"*** (nothing) ***\"");
    assert_has_line(&out, "  stats.rt: \"0 bytes (empty)\"");
    assert_has_line(&out, "  repeat.rt: \" |  | \"");
    assert_has_line(&out, "  numbered.rt: [\"1. \", \"2. \", \"3. \"] (3 results)");
    let out = run_quietly("plugins", Command::new(plugins()).current_dir(crate_dir()));
    assert_has_line(&out, "loading 5 plugins from examples-c/plugins/, each into its own manager");
}

#[test]
fn plugins_on_an_empty_folder() {
    let dir = temp_dir("plugins-empty");
    std::fs::write(dir.join("notes.txt"), "not a plugin").unwrap();
    std::fs::write(dir.join(".hidden.rt"), "not a plugin either").unwrap();
    let out = run_quietly("plugins", Command::new(plugins()).arg(&dir));
    assert_has_line(&out, &format!("no plugins (.rt files) in {}", dir.display()));

    let out = run(Command::new(plugins()).arg(dir.join("no-such-folder")));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read"), "stderr:\n{}", text(&out.stderr));
}

#[test]
fn plugins_without_the_entry_function_or_failing_are_reported() {
    let dir = temp_dir("plugins-bad");
    std::fs::write(dir.join("a_double.rt"), "fn plugin_main(input: text) -> text: str(int(input) * 2)\n").unwrap();
    std::fs::write(dir.join("b_no_entry.rt"), "fn helper(x): x\nfn other() -> text: \"\"\n").unwrap();
    std::fs::write(dir.join("c_wrong.rt"), "fn plugin_main(n): n * 2\n").unwrap();
    std::fs::write(dir.join("d_top_level.rt"), "val k = 1 / 0\nfn plugin_main(input: text) -> text: input\n").unwrap();

    let run_with = |input: &str| run_quietly("plugins", Command::new(plugins()).arg(&dir).arg(input));
    let out = run_with("21");
    for line in [
        "  a_double.rt: loaded",
        "  b_no_entry.rt: skipped: no function plugin_main (it defines helper, other)",
        "  c_wrong.rt: skipped: plugin_main is fn(i64) -> i64, not fn(text) -> text or fn(text) -> [text]",
        "  a_double.rt: \"42\"",
        "1 of 4 plugins ran, 3 failed",
    ] {
        assert_has_line(&out, line);
    }
    let top_level =
        format!("  d_top_level.rt: failed to load: division by zero in top-level code of {}", dir.display());
    assert!(
        out.lines().any(|l| l.starts_with(&top_level) && l.ends_with("d_top_level.rt at line 1")),
        "no line {top_level}...d_top_level.rt at line 1 in the output:\n{out}"
    );
    // A runtime error in one plugin's entry function is reported too.
    let out = run_with("21x");
    assert_has_line(&out, "  a_double.rt: error: invalid number \"21x\" in plugin_main at line 1");
    assert_has_line(&out, "0 of 4 plugins ran, 4 failed");
}

// ---- bytecode_vm ----------------------------------------------------------------

fn bytecode_vm() -> PathBuf {
    let program = built().join("bytecode_vm");
    assert!(program.is_file(), "make all did not build {}", program.display());
    program
}

/// What follows `prefix` up to the next space, on the first line starting with `prefix`.
fn word_after<'a>(output: &'a str, prefix: &str) -> &'a str {
    let line = output
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in the output:\n{output}"));
    line[prefix.len()..].split(' ').next().unwrap_or("")
}

#[test]
fn bytecode_vm_tiers_up_after_10_calls_and_bails_out_correctly() {
    // Timings are printed but never checked here (docs/benchmarks.md has them).
    let out = run_quietly("bytecode_vm --quick", Command::new(bytecode_vm()).args(["--quick", "--runs", "2"]));

    // The workload: both tiers give the same result (the value is the one a
    // plain model of the bytecode program computes) and leave the same matrix.
    assert_eq!(word_after(&out, "interpreter only: result "), "6023975677", "{out}");
    assert_eq!(word_after(&out, "with tier-up:     result "), "6023975677", "{out}");
    assert_has_line(&out, "results equal: yes (result equal, matrix after the run equal)");
    assert_has_line_starting(&out, "speedup with tier-up: ");
    // Each hot function is interpreted 10 times; its next call compiles it.
    for function in ["sum_row", "fib", "step"] {
        assert_has_line_starting(&out, &format!("  tier-up: {function} after 10 calls -> native (1 function, "));
    }
    let calls = out.lines().find(|l| l.starts_with("calls from C and the interpreter:")).expect("the calls line");
    for part in [" fib 10 interpreted + ", " step 10 interpreted + 4 native;", " run 1 interpreted + 0 native;"] {
        assert!(calls.contains(part), "no {part:?} in {calls:?}");
    }
    assert!(calls.ends_with(" bail-outs: 0"), "{calls}");

    // Every opcode, natively, against the interpreter, on edge values.
    assert_has_line(
        &out,
        "opcodes(x, y) natively for the 81 pairs of 0, 1, -1, 2, 7, -7, 1000003, INT64_MAX, INT64_MIN: \
         81 of 81 equal to the interpreter's",
    );

    // Deoptimisation: a guard fails in native code two frames deep; the
    // interpreter resumes both frames (bump's earlier writes are kept, not
    // redone: 30050, not what a re-run from the start would give) and the
    // native code is used again afterwards. A division by zero bails out
    // too, and the interpreter reports it.
    assert_lines_in_order(
        &out,
        &[
            &["== bail-out (deoptimisation) =="],
            &["bump_and_sum(arr, 60) 12 times on a 100-element array: last result 21514, every call equal"],
            &["  tier-up: bump_and_sum after 10 calls -> native with its callees bump, sum_to (3 functions, "],
            &["bump_and_sum(arr, 130): "],
            &["  bail-out: native `bump` failed its bounds guard at pc 8 (aget: index 100, array length 100)"],
            &["  resumed in the interpreter (2 frames rebuilt): bump at pc 8 (aget), \
                 bump_and_sum after its call of bump at pc 2"],
            &["  result 30050, interpreter only: 30050; equal in both tiers (results and arrays); \
                 array length 130 and 130"],
            &["bump_and_sum(arr, 130) again: native, no bail-out (the array has grown): result 38435, \
                 equal in both tiers"],
            &["avg(arr, 50) 11 times: 345, every call equal in both tiers"],
            &["  tier-up: avg after 10 calls -> native (1 function, "],
            &["  bail-out: native `avg` failed its zero-divisor guard at pc 4 (div)"],
            &["  resumed in the interpreter (1 frame rebuilt): avg at pc 4 (div)"],
            &["  error with tier-up: division by zero in avg at pc 4"],
            &["  error, interpreter only: division by zero in avg at pc 4"],
            &["bail-outs handled: 2 (3 interpreter frames rebuilt); every result equal to the interpreter's: yes"],
        ],
    );
    assert!(!out.contains("MISMATCH"), "{out}");
    assert_eq!(out.lines().last(), Some("all results equal"), "{out}");
}

#[test]
fn bytecode_vm_prints_the_mir_it_compiles() {
    let out = run_quietly("bytecode_vm --mir", Command::new(bytecode_vm()).args(["--quick", "--runs", "1", "--mir"]));
    assert_lines_in_order(
        &out,
        &[
            &["---- MIR of the tier-up of `fib` ----"],
            &["mir 1"],
            &["extern fn vm_deopt(ptr, i64, i64, i64) -> ptr"],
            &["fn bc_fib(ctx: ptr, l0: i64) -> i64 {"],
            &["    s0 = call bc_fib(ctx, s0)"],
            &["    t = load ctx, 0"],
            &["B9:"],
            &["    fr = call vm_deopt(ctx, 0, 9, 0)"],
            &["    store fr, 0, l0"],
        ],
    );
    // One unit for a hot function and its callees that are not native yet.
    let unit = &out[out.find("---- MIR of the tier-up of `bump_and_sum` ----").expect("bump_and_sum's MIR")..];
    let unit = &unit[..unit.find("\n----\n").expect("the end of the MIR")];
    for f in ["fn bc_bump_and_sum(ctx: ptr, l0: i64, l1: i64) -> i64 {", "fn bc_bump(", "fn bc_sum_to("] {
        assert!(unit.contains(f), "no {f:?} in\n{unit}");
    }
    assert_eq!(out.lines().last(), Some("all results equal"));
}

#[test]
fn bytecode_vm_rejects_bad_usage() {
    let out = run(Command::new(bytecode_vm()).arg("--bogus"));
    assert_eq!(out.status.code(), Some(2), "stdout:\n{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "usage: bytecode_vm [--quick] [--runs N] [--mir]\n");
}

#[test]
fn makefile_vm_target_builds_the_library_and_runs_bytecode_vm() {
    // Dry runs: print the commands without building anything.
    let build = build_dir().join("dry-run-vm");
    let all = text(&run(make(&build).args(["-n", "all"])).stdout);
    let compile = format!("-o {}/bytecode_vm bytecode_vm.c", build.display());
    assert!(all.contains(&compile), "`make all` does not build bytecode_vm:\n{all}");
    assert!(!all.contains("cargo"), "`make all` runs cargo:\n{all}");

    let goals: [(&[&str], &str); 2] =
        [(&["-n", "vm"], "bytecode_vm"), (&["-n", "vm", "ARGS=--mir"], "bytecode_vm --mir")];
    for (args, command) in goals {
        let log = text(&run(make(&build).args(args)).stdout);
        let cargo =
            log.find("cargo build --release").unwrap_or_else(|| panic!("`make vm` does not build the library:\n{log}"));
        let cc = log.find(&compile).unwrap_or_else(|| panic!("`make vm` does not build bytecode_vm:\n{log}"));
        assert!(cargo < cc, "`make vm` links before building the library:\n{log}");
        let runs = log
            .lines()
            .position(|l| l.trim_end() == format!("{}/{command}", build.display()))
            .unwrap_or_else(|| panic!("`make {}` does not run `{command}`:\n{log}", args[1..].join(" ")));
        assert!(log.lines().position(|l| l.contains(&compile)) < Some(runs), "{log}");
    }
}

/// `stats`: a C array of doubles to `fn summary(xs: [f64]) -> Stats`, the
/// record printed by field and as JSON, and an array back from the script.
#[test]
fn stats_passes_a_c_array_and_prints_the_record_it_gets() {
    let out = run_quietly("stats", Command::new(built().join("stats")).arg("1000"));
    assert_has_line_starting(&out, "1000 doubles copied in ");
    assert_has_line(&out, "summary(xs): a Stats record");
    assert_has_line(&out, "  count 1000  mean 11.872831  stddev 0.823341  min 10.000000  max 13.512791");
    assert_has_line_starting(&out, "  as JSON: {\"count\":1000,\"mean\":11.87283076099395");
    assert_has_line(&out, "summary(normalized(xs)): a Stats record");
    assert!(out.contains("stddev 1.000000  min -2.274672  max 1.991836"), "{out}");
    assert_has_line(&out, "the host's array still starts with 10.000000 (data[0] = 10.000000)");
}
