//! Builds and runs the C programs in `ffi-tests/` against the library cargo
//! just built (`librtjit.so` in `target/<profile>/`):
//!
//! - `api.c` links the library and covers every function of c-api.md;
//! - `dlopen.c` loads it with `dlopen` and resolves every function with `dlsym`;
//!   `c_dlopen` then checks that the functions `include/rtjit.h` declares, the
//!   library exports and `dlopen.c` resolves are the same set;
//! - `threads.c` checks the thread-safety rules with pthreads;
//! - `hosts.c` covers host functions, `rt_raise_error` and MIR;
//! - `limits.c` covers interruption and the time, step, memory and stack
//!   limits, with pthreads;
//! - `stacks.c` runs code on coroutine stacks (`rt_register_stack`);
//! - `objects.c` covers arrays across the C ABI (36-47).
//!
//! Each program prints one line per check group and exits non-zero on the
//! first failed check (set `FFI_KEEP_GOING=1` to run every check). The
//! binaries go to `target/ffi-tests/<profile>/`.
//!
//! With `RTJIT_FFI_VALGRIND=1` every program runs under valgrind's memcheck
//! (see [`VALGRIND_ARGS`]): an invalid read or write, a use of an
//! uninitialised value or a definite leak fails the test with valgrind's
//! report. The programs then also get `FFI_SLOW=1`, which makes them run
//! fewer iterations of their long loops and skip the checks on timing and
//! resident size that valgrind invalidates (see `ffi-tests/check.h`).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A C program that runs longer than this is killed (a deadlock, most likely).
const TIMEOUT: Duration = Duration::from_secs(600);

/// The same under valgrind, where the programs run 20-50 times slower.
const VALGRIND_TIMEOUT: Duration = Duration::from_secs(1800);

/// The environment variable that makes every program run under valgrind.
const VALGRIND_ENV: &str = "RTJIT_FFI_VALGRIND";

/// valgrind's exit status when it found an error (`--error-exitcode`).
const VALGRIND_ERROR_EXIT: i32 = 99;

/// How the programs run under valgrind:
///
/// - `--smc-check=all-non-file`: rtjit writes machine code at run time into
///   anonymous mappings (cranelift-jit's `MmapMut::map_anon`), and a later
///   manager may get the address of freed code again, so valgrind must notice
///   code that changed under a translation it made. It costs about 2% here.
///   Code in file mappings (the programs and libraries) never changes, so
///   `all`, which checks those too, is only slower (about 25%).
/// - `--leak-check=full --errors-for-leak-kinds=definite`: a definite leak
///   is an error; memory still reachable at exit (thread-locals, caches of
///   the Rust runtime) is not.
/// - `--error-exitcode=99` ([`VALGRIND_ERROR_EXIT`]): tells valgrind's errors
///   from a failed check (exit 1).
/// - `--fair-sched=yes`: valgrind runs one thread at a time; the fair lock
///   hands the CPU round in turn. Without it a thread spinning in JIT code
///   could keep it from the others: `threads.c` (d) once saw its long call
///   end before the other threads had made their first call.
/// - `-q`: nothing but the errors on stderr, so a passing run stays short;
///   `--num-callers=40`: stacks deep enough to reach the C test's frame.
const VALGRIND_ARGS: &[&str] = &[
    "-q",
    "--error-exitcode=99",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite",
    "--smc-check=all-non-file",
    "--fair-sched=yes",
    "--num-callers=40",
];

/// True when `RTJIT_FFI_VALGRIND` is set to anything but "" or "0".
fn under_valgrind() -> bool {
    std::env::var_os(VALGRIND_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/<profile>`: the test executable is `target/<profile>/deps/ffi-<hash>`.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let deps = exe.parent().expect("the test executable has a parent directory");
    deps.parent().expect("target/<profile>/deps has a parent").to_path_buf()
}

/// The directory holding `librtjit.so`.
fn lib_dir() -> PathBuf {
    let profile = profile_dir();
    // deps/ first: `cargo test` refreshes the library there, and copies it
    // up to target/<profile>/ only on `cargo build`.
    for dir in [profile.join("deps"), profile.clone()] {
        if dir.join("librtjit.so").is_file() {
            return dir;
        }
    }
    panic!(
        "librtjit.so is neither in {} nor in its deps/ directory; cargo builds it with the tests",
        profile.display()
    );
}

/// `target/ffi-tests/<profile>/`, created if needed.
fn out_dir() -> PathBuf {
    let profile = profile_dir();
    let name = profile.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "debug".into());
    let target = profile.parent().map(Path::to_path_buf).unwrap_or_else(|| crate_dir().join("target"));
    let dir = target.join("ffi-tests").join(name);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// Compiles `ffi-tests/<name>.c` into `target/ffi-tests/<profile>/<name>`.
fn build(name: &str, link_library: bool, extra: &[&str]) -> PathBuf {
    let src = crate_dir().join("ffi-tests").join(format!("{name}.c"));
    let exe = out_dir().join(name);
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let mut cmd = Command::new(&cc);
    // -g: file:line in the stacks of valgrind reports and debuggers.
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g"])
        .arg(format!("-I{}", crate_dir().join("include").display()))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .args(extra);
    if link_library {
        let lib = lib_dir();
        cmd.arg(format!("-L{}", lib.display())).arg("-lrtjit").arg(format!("-Wl,-rpath,{}", lib.display()));
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}`: {e}"));
    if !output.status.success() {
        panic!(
            "compiling {} failed ({}):\n{:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            src.display(),
            output.status,
            cmd,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    exe
}

/// Runs a built program (under valgrind with `RTJIT_FFI_VALGRIND=1`);
/// panics with its output unless it exits with 0, else returns its stdout.
fn run(exe: &Path, args: &[&str]) -> String {
    try_run(exe, args).unwrap_or_else(|failure| panic!("{}", failure.message))
}

/// A program that did not exit with 0.
struct Failure {
    /// What happened, with the program's stdout and stderr.
    message: String,
    /// Its stdout alone.
    stdout: String,
}

/// Runs a built program like [`run`], but returns a failure instead of
/// panicking.
fn try_run(exe: &Path, args: &[&str]) -> Result<String, Failure> {
    let valgrind = under_valgrind();
    let (mut cmd, timeout) = if valgrind {
        let mut cmd = Command::new("valgrind");
        cmd.args(VALGRIND_ARGS).arg(exe).env("FFI_SLOW", "1");
        (cmd, VALGRIND_TIMEOUT)
    } else {
        (Command::new(exe), TIMEOUT)
    };
    // What the programs must find about the LLVM backend (`check_llvm`).
    cmd.env("RTJIT_EXPECT_LLVM", if cfg!(feature = "llvm") { "1" } else { "0" });
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        if valgrind {
            panic!("{VALGRIND_ENV} is set but valgrind cannot be run: {e} (install it: apt-get install valgrind)")
        }
        panic!("cannot run {}: {e}", exe.display())
    });
    // Read both pipes on their own threads so a chatty child never blocks.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));

    let start = Instant::now();
    let status = loop {
        match child.try_wait().expect("waiting for the C program") {
            Some(status) => break Some(status),
            None if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let elapsed = start.elapsed().as_secs_f64();
    let how = if valgrind { " under valgrind" } else { "" };
    let message = match status {
        Some(status) if status.success() => {
            // Shown with `cargo test -- --nocapture`.
            print!("{stdout}");
            eprint!("{stderr}");
            if valgrind {
                println!("{}: no valgrind errors in {elapsed:.1} s", exe.display());
            }
            return Ok(stdout);
        }
        Some(status) if valgrind && status.code() == Some(VALGRIND_ERROR_EXIT) => format!(
            "valgrind found errors in {} (exit {VALGRIND_ERROR_EXIT} after {elapsed:.1} s); its report is in \
             stderr, lines starting with ==<pid>==",
            exe.display()
        ),
        Some(status) => format!("{} exited with {status}{how} after {elapsed:.1} s", exe.display()),
        None => {
            format!("{} did not finish{how} within {} s and was killed (a deadlock?)", exe.display(), timeout.as_secs())
        }
    };
    Err(Failure { message: format!("{message}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"), stdout })
}

/// The names of the functions `header` (C, as cbindgen writes it) declares:
/// in each statement left after removing comments and preprocessor lines,
/// one that ends with `)` and is no typedef, the identifier before its first
/// `(`.
fn declared_functions(header: &str) -> BTreeSet<String> {
    let mut code = String::with_capacity(header.len());
    let mut rest = header;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |end| &after[end + 2..]);
            code.push(' ');
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |end| &after[end..]);
        } else {
            let c = rest.chars().next().expect("rest is not empty");
            code.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let code: String =
        code.lines().filter(|line| !line.trim_start().starts_with('#')).flat_map(|line| [line, "\n"]).collect();
    let mut names = BTreeSet::new();
    for statement in code.split([';', '{', '}']) {
        let statement = statement.trim();
        if !statement.ends_with(')') || statement.starts_with("typedef") {
            continue;
        }
        let Some(open) = statement.find('(') else { continue };
        let before = statement[..open].trim_end();
        let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
        let name = &before[start..];
        if !name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit()) {
            names.insert(name.to_string());
        }
    }
    names
}

/// The symbols the shared library `lib` exports (its defined dynamic
/// symbols), read with `nm -D --defined-only` (`$NM` if set).
fn exported_symbols(lib: &Path) -> BTreeSet<String> {
    let nm = std::env::var("NM").unwrap_or_else(|_| "nm".to_string());
    let output = Command::new(&nm)
        .args(["-D", "--defined-only", "--format=posix"])
        .arg(lib)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{nm}` (binutils) to list the exports of {}: {e}", lib.display()));
    if !output.status.success() {
        panic!(
            "`{nm} -D --defined-only {}` failed ({}):\n{}",
            lib.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // POSIX format: `name type value size`; a versioned name is `name@@VERSION`.
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(|name| name.split('@').next().unwrap_or(name).to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

/// The line on which `dlopen.c` lists the functions it resolved.
const RESOLVED_PREFIX: &str = "dlopen: resolved with dlsym:";

/// The names `dlopen.c` printed on its `dlopen: resolved with dlsym: ...`
/// line, `None` without that line.
fn resolved_by_dlopen(stdout: &str) -> Option<BTreeSet<String>> {
    let line = stdout.lines().find_map(|line| line.strip_prefix(RESOLVED_PREFIX))?;
    Some(line.split_whitespace().map(str::to_string).collect())
}

/// `Err` naming every function that one of the three lists has and another
/// lacks.
fn compare_function_lists(
    header: &BTreeSet<String>,
    exports: &BTreeSet<String>,
    dlopen: &BTreeSet<String>,
) -> Result<(), String> {
    let lists = [
        (header, "declared in include/rtjit.h"),
        (exports, "exported by librtjit.so (nm -D --defined-only)"),
        (dlopen, "resolved with dlsym by ffi-tests/dlopen.c (its SYMBOLS table)"),
    ];
    let mut problems = Vec::new();
    for (i, (has, has_what)) in lists.iter().enumerate() {
        for (j, (lacks, lacks_what)) in lists.iter().enumerate() {
            if i == j {
                continue;
            }
            let missing: Vec<&str> = has.difference(lacks).map(String::as_str).collect();
            if !missing.is_empty() {
                problems.push(format!("  {has_what} but not {lacks_what}:\n    {}", missing.join("\n    ")));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the C ABI's function lists disagree (a new export must be declared in the header, and \
             resolved and called in ffi-tests/dlopen.c):\n{}",
            problems.join("\n")
        ))
    }
}

#[test]
fn c_api() {
    let exe = build("api", true, &[]);
    run(&exe, &[]);
}

/// `dlopen.c`, and then: the functions the header declares, the library
/// exports and `dlopen.c` resolves are one set, so an export that dlopen.c
/// (or the header) lacks fails here.
#[test]
fn c_dlopen() {
    let exe = build("dlopen", false, &["-ldl"]);
    let lib = lib_dir().join("librtjit.so");
    // dlopen.c prints its list before it calls anything, so the lists are
    // compared even when a function it forgot to resolve crashed it.
    let (stdout, failure) = match try_run(&exe, &[lib.to_str().expect("a UTF-8 library path")]) {
        Ok(stdout) => (stdout, None),
        Err(failure) => (failure.stdout.clone(), Some(failure.message)),
    };

    let header_path = crate_dir().join("include").join("rtjit.h");
    let header =
        std::fs::read_to_string(&header_path).unwrap_or_else(|e| panic!("cannot read {}: {e}", header_path.display()));
    let declared = declared_functions(&header);
    let exported = exported_symbols(&lib);
    let lists = match resolved_by_dlopen(&stdout) {
        Some(resolved) => compare_function_lists(&declared, &exported, &resolved),
        // dlopen failed before its list: compare the header and the exports.
        None if failure.is_some() => compare_function_lists(&declared, &exported, &declared),
        None => Err(format!(
            "dlopen printed no `{RESOLVED_PREFIX} ...` line (ffi-tests/dlopen.c prints it); its stdout:\n{stdout}"
        )),
    };
    match (lists, failure) {
        (Ok(()), None) => {}
        (Err(lists), None) => panic!("{lists}"),
        (Ok(()), Some(failure)) => panic!("{failure}"),
        (Err(lists), Some(failure)) => panic!("{lists}\n\nand then {failure}"),
    }
}

/// The header parser finds declarations however cbindgen wraps them, and
/// skips macros, comments, typedefs and struct members.
#[test]
fn header_parser_finds_every_declaration() {
    let header = r#"
/* not_a_call(x); */
#define RT_MAX(a, b) ((a) > (b) ? (a) : (b))
typedef struct rt_value { int32_t type; union rt_value_as as; } rt_value;
typedef int32_t (*rt_callback)(int64_t h);
#ifdef __cplusplus
extern "C" {
#endif // __cplusplus
/**
 * Docs that mention rt_other(h) and end with a paren (like this)
 */
int32_t rt_plain(int64_t h);
char *rt_pointer(const char *source);
const char *rt_const_pointer(void);
void rt_void(void);
int32_t rt_wrapped(int64_t h,
                   const char *name,
                   struct rt_value *result);
#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus
"#;
    let expected: BTreeSet<String> =
        ["rt_plain", "rt_pointer", "rt_const_pointer", "rt_void", "rt_wrapped"].map(String::from).into();
    assert_eq!(declared_functions(header), expected);
}

/// Each kind of disagreement between the three lists is reported by name.
#[test]
fn function_list_check_names_every_missing_function() {
    let set = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>();
    let all = set(&["rt_a", "rt_b", "rt_c"]);
    assert_eq!(compare_function_lists(&all, &all, &all), Ok(()));

    let message = compare_function_lists(&all, &all, &set(&["rt_a", "rt_b"])).unwrap_err();
    assert!(message.contains("not resolved with dlsym by ffi-tests/dlopen.c") && message.contains("rt_c"), "{message}");

    let message = compare_function_lists(&set(&["rt_a", "rt_b"]), &all, &all).unwrap_err();
    assert!(message.contains("exported by librtjit.so (nm -D --defined-only) but not declared in"), "{message}");
    assert!(message.contains("rt_c"), "{message}");

    let message = compare_function_lists(&all, &set(&["rt_b", "rt_c"]), &all).unwrap_err();
    assert!(message.contains("declared in include/rtjit.h but not exported") && message.contains("rt_a"), "{message}");
}

#[test]
fn c_threads() {
    let exe = build("threads", true, &["-pthread"]);
    run(&exe, &[]);
}

/// `limits.c`: rt_exec_manager_interrupt from another thread (top-level
/// code, a function, a function called from a host callback), the time,
/// step, memory and stack limits (functions 31-35 of c-api.md).
///
/// Its bounds on wall-clock time (an interrupt stops its call within 10 ms,
/// a 50 ms time limit within 100 ms) hold natively. Under valgrind
/// (`RTJIT_FFI_VALGRIND=1`), which runs one thread at a time and JIT code
/// 20-50 times slower, the program sees `FFI_SLOW=1` and relaxes them to
/// 100 ms (1 s when a compile waits for the stopped unit's turn, since it
/// often runs first there) and 500 ms (a time limit still may not stop a
/// call early), and skips its address-space check (`RLIMIT_AS` in a child
/// process), since valgrind itself needs more address space than that limit
/// leaves.
#[test]
fn c_limits() {
    let exe = build("limits", true, &["-pthread"]);
    run(&exe, &[]);
}

/// `hosts.c`: host functions, rt_raise_error, compile_mir, MIR files and
/// rt_mir_from_source through the C ABI (functions 28-30 of c-api.md).
#[test]
fn c_hosts() {
    let exe = build("hosts", true, &["-pthread", "-lm"]);
    run(&exe, &[]);
}

/// `objects.c`: arrays built, read, passed, returned and kept in globals
/// by the host, and freed (functions 36-47 of c-api.md), with a flat
/// resident size over 100,000 rounds of calls that return arrays.
#[test]
fn c_objects() {
    let exe = build("objects", true, &["-lm"]);
    run(&exe, &[]);
}

/// `stacks.c`: code on coroutine stacks (makecontext/swapcontext),
/// registered with rt_register_stack or not (c-api 35 and 55).
#[test]
fn c_stacks() {
    let exe = build("stacks", true, &["-pthread"]);
    run(&exe, &[]);
}
