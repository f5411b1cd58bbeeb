//! Builds and runs the C programs in `ffi-tests/` against the library cargo
//! just built (`librtjit.so` in `target/<profile>/`):
//!
//! - `api.c` links the library and covers every function of c-api.md;
//! - `dlopen.c` loads it with `dlopen` and resolves every function with `dlsym`;
//! - `threads.c` checks the thread-safety rules with pthreads.
//!
//! Each program prints one line per check group and exits non-zero on the
//! first failed check (set `FFI_KEEP_GOING=1` to run every check). The
//! binaries go to `target/ffi-tests/<profile>/`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A C program that runs longer than this is killed (a deadlock, most likely).
const TIMEOUT: Duration = Duration::from_secs(600);

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
    cmd.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1"])
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

/// Runs a built program; panics with its output unless it exits with 0.
fn run(exe: &Path, args: &[&str]) {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", exe.display()));
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
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    match status {
        Some(status) if status.success() => {
            // Shown with `cargo test -- --nocapture`.
            print!("{stdout}");
            eprint!("{stderr}");
        }
        Some(status) => panic!(
            "{} exited with {status} after {:.1} s\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            exe.display(),
            start.elapsed().as_secs_f64()
        ),
        None => panic!(
            "{} did not finish within {} s and was killed (a deadlock?)\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            exe.display(),
            TIMEOUT.as_secs()
        ),
    }
}

#[test]
fn c_api() {
    let exe = build("api", true, &[]);
    run(&exe, &[]);
}

#[test]
fn c_dlopen() {
    let exe = build("dlopen", false, &["-ldl"]);
    let lib = lib_dir().join("librtjit.so");
    run(&exe, &[lib.to_str().expect("a UTF-8 library path")]);
}

#[test]
fn c_threads() {
    let exe = build("threads", true, &["-pthread"]);
    run(&exe, &[]);
}

/// `hosts.c`: host functions, rt_raise_error, compile_mir, MIR files and
/// rt_mir_from_source through the C ABI (functions 28-30 of c-api.md).
#[test]
fn c_hosts() {
    let exe = build("hosts", true, &["-pthread", "-lm"]);
    run(&exe, &[]);
}
