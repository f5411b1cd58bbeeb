//! A bounded run of each fuzz target's body (fuzz/src/targets.rs, the very
//! code cargo-fuzz runs) without libFuzzer: every seed of
//! `fuzz/seeds/<target>/` (written by `fuzz/make_seeds.py` from the test
//! suites), then mutants of them made by a fixed-seed PRNG. A body panics
//! on a broken promise (an internal error, two compile paths that
//! disagree, ...); each panic is reported with the input that caused it.
//!
//! `RTJIT_FUZZ_SMOKE_MUTANTS` sets the number of mutants per target
//! (default 1500) and `RTJIT_FUZZ_SMOKE_SEED` the PRNG seed.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use targets::rng::Rng;

/// Words worth inserting: keywords and punctuation of both languages.
const WORDS: &[&str] = &[
    "fn ",
    "val ",
    "var ",
    "if ",
    "elif ",
    "else:",
    "while ",
    "for ",
    " in ",
    "return ",
    "break",
    "continue",
    " and ",
    " or ",
    "not ",
    "true",
    "false",
    "..",
    "..=",
    ":",
    "\n    ",
    "\n",
    "(",
    ")",
    ",",
    "-> ",
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    " ^ ",
    " == ",
    " < ",
    "\"",
    "str(",
    "len(",
    "int(",
    "float(",
    "0",
    "-1",
    "9223372036854775807",
    "1.5",
    "0.0",
    "extern fn ",
    "add ",
    "sub ",
    "div ",
    "rem ",
    "call ",
    "jmp ",
    "br ",
    "ret ",
    "local ",
    "init ",
    "global ",
    "i64",
    "f64",
    "bool",
    "text",
    "i8",
    "ptr",
    "gload ",
    "gstore ",
    "@",
    "{",
    "}",
    "\t",
    "[",
    "]",
    "struct ",
    ".push(",
    ".pop()",
    ".remove(",
    ".keys()",
    ".x",
    ": [i64]",
    ": {text: i64}",
    "aget ",
    "aset ",
    "atake ",
    "aput ",
    "anew ",
    "rnew ",
    "mhas ",
    "mdel ",
    "[i64]",
    "P{x: f64}",
    "{text: i64}",
];

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(7) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => v.insert(at, rng.next() as u8),
            2 if !v.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(v.len());
                v.drain(at.min(end)..end);
            }
            3 => {
                let w = WORDS[rng.below(WORDS.len())].as_bytes();
                v.splice(at..at, w.iter().copied());
            }
            4 if !v.is_empty() => {
                // Duplicate a run (deeper nesting, repeated statements).
                let start = rng.below(v.len());
                let end = (start + 1 + rng.below(32)).min(v.len());
                let run = v[start..end].to_vec();
                v.splice(at..at, run);
            }
            5 if !other.is_empty() => {
                // Splice: a prefix of this with a suffix of another seed.
                let cut = rng.below(other.len());
                v.truncate(at);
                v.extend_from_slice(&other[cut..]);
            }
            _ if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = rng.next() as u8;
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds").join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (run python3 fuzz/make_seeds.py)", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    paths.sort();
    paths.iter().map(|p| std::fs::read(p).expect("a seed")).collect()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Runs `body` on every seed and on the mutants; fails listing the inputs
/// that panicked (as Rust byte strings, ready to paste into a test).
fn smoke(target: &str, body: fn(&[u8])) {
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "no seeds for {target}");
    let mutants = env_u64("RTJIT_FUZZ_SMOKE_MUTANTS", 1500) as usize;
    let mut rng = Rng(env_u64("RTJIT_FUZZ_SMOKE_SEED", 0x5eed) ^ target.len() as u64);
    let mut inputs = seeds.clone();
    for _ in 0..mutants {
        let a = &seeds[rng.below(seeds.len())];
        let b = &seeds[rng.below(seeds.len())];
        inputs.push(mutate(&mut rng, a, b));
    }
    let mut failures = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| body(input))) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("input {i}: b\"{}\"\n  {msg}", input.escape_ascii()));
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: {} of {} inputs broke a promise:\n{}",
        failures.len(),
        inputs.len(),
        failures.iter().take(10).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn source_target_smoke() {
    smoke("source", targets::source);
}

#[test]
fn mir_target_smoke() {
    smoke("mir", targets::mir);
}

#[test]
fn capi_target_smoke() {
    smoke("capi", targets::capi);
}
