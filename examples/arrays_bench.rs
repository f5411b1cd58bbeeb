//! The array benchmarks of docs/benchmarks.md ("Arrays"), rtjit against
//! the same loops compiled by rustc (LLVM, as clang -O2 would):
//!
//! ```text
//! cargo run --release --example arrays_bench
//! gcc -O2 -o /tmp/arrays_luajit examples/arrays_luajit.c -lluajit-5.1 && /tmp/arrays_luajit
//! ```
//!
//! Each figure is the best of several runs, in ms. `sum`: the sum of a
//! 10^7-element `[f64]` passed in; `sieve`: the primes below 10^7 in a
//! `[bool]` made by `[true] * n`, as the Rust one is by `vec![true; n]`
//! (until 2026-12-03 it was filled by `push`, which is shown on its own).

use std::hint::black_box;
use std::time::Instant;

use rtjit::{Backend, Manager, Value};

const N: i64 = 10_000_000;

const SOURCE: &str = "\
fn build(n) -> [f64]:
    var xs: [f64] = []
    for i in 0..n:
        xs.push(float(i))
    return xs

fn total(xs: [f64]) -> f64:
    var s = 0.0
    for x in xs:
        s += x
    return s

fn fill(n) -> i64:
    var f: [bool] = []
    for i in 0..n:
        f.push(true)
    return len(f)

fn sieve(n) -> i64:
    var f = [true] * n
    var k = 0
    for i in 2..n:
        if f[i]:
            k += 1
            var j = i * i
            while j < n:
                f[j] = false
                j += i
    return k
";

fn best(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::MAX, f64::min)
}

fn native_sieve(n: usize) -> i64 {
    let mut f = vec![true; n];
    let mut k = 0;
    for i in 2..n {
        if f[i] {
            k += 1;
            let mut j = i * i;
            while j < n {
                f[j] = false;
                j += i;
            }
        }
    }
    k
}

fn main() {
    let m = Manager::new(Backend::Cranelift).expect("a manager");
    m.set_opt_level(2).unwrap();
    m.compile_source(SOURCE, "arrays_bench").unwrap();
    let xs = m.call("build", &[Value::I64(N)]).unwrap();
    let want = (N * (N - 1) / 2) as f64;
    let sum = best(5, || assert_eq!(m.call("total", std::slice::from_ref(&xs)).unwrap(), Value::F64(want)));
    let native: Vec<f64> = (0..N).map(|i| i as f64).collect();
    let native_sum = best(5, || assert_eq!(black_box(&native).iter().sum::<f64>(), want));
    let sieve = best(3, || assert_eq!(m.call("sieve", &[Value::I64(N)]).unwrap(), Value::I64(664_579)));
    let native_sieve = best(3, || assert_eq!(native_sieve(black_box(N as usize)), 664_579));
    let fill = best(3, || assert_eq!(m.call("fill", &[Value::I64(N)]).unwrap(), Value::I64(N)));
    println!("| benchmark | rtjit | native (rustc -O) | ratio |");
    println!("|---|---:|---:|---:|");
    println!("| sum of a 10^7 [f64] (for x in xs) | {sum:.1} | {native_sum:.1} | {:.2}x |", sum / native_sum);
    println!("| sieve to 10^7 in a [bool] | {sieve:.1} | {native_sieve:.1} | {:.2}x |", sieve / native_sieve);
    println!("| (fill 10^7 with push, not part of the sieve) | {fill:.1} | | |");
}
