//! The word-count and n-body benchmarks of docs/benchmarks.md ("Records
//! and maps"), rtjit against the same programs compiled by rustc -O (LLVM,
//! as clang -O2 would); examples/data_peers.c runs them in C -O2 and
//! LuaJIT:
//!
//! ```text
//! cargo run --release --example data_bench
//! gcc -O2 -o /tmp/data_peers examples/data_peers.c -lluajit-5.1 -lm && /tmp/data_peers
//! ```
//!
//! `words`: a `{text: i64}` count of 10^6 words (10,007 distinct), built
//! from a `[text]` made beforehand; `nbody`: the benchmarks game's n-body,
//! five bodies as records in an array, 10^7 steps of `advance` (the energy
//! is checked against the known value). Each figure is the best of several
//! runs, in ms.

// The benchmarks game's constants, digit for digit as published (the same
// in the script, the C and the Lua versions).
#![allow(clippy::excessive_precision)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use rtjit::{Backend, Manager, Value};

const WORDS: i64 = 1_000_000;
const STEPS: i64 = 10_000_000;

const SOURCE: &str = "\
fn words(n) -> [text]:
    var ws: [text] = []
    for i in 0..n:
        ws.push(\"w\" + str((i * 7919) % 10007))
    return ws

fn count(ws: [text]) -> {text: i64}:
    var m: {text: i64} = {}
    for w in ws:
        if w in m:
            m[w] += 1
        else:
            m[w] = 1
    return m

struct Body:
    x: f64
    y: f64
    z: f64
    vx: f64
    vy: f64
    vz: f64
    mass: f64

fn body(x: f64, y: f64, z: f64, vx: f64, vy: f64, vz: f64, mass: f64) -> Body:
    val days = 365.24
    val solar = 4.0 * 3.141592653589793 * 3.141592653589793
    return Body(x: x, y: y, z: z, vx: vx * days, vy: vy * days, vz: vz * days, mass: mass * solar)

fn system() -> [Body]:
    var bs = [body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        body(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
             1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05, 9.54791938424326609e-04),
        body(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
             -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05, 2.85885980666130812e-04),
        body(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
             2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05, 4.36624404335156298e-05),
        body(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
             2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05, 5.15138902046611451e-05)]
    var px = 0.0
    var py = 0.0
    var pz = 0.0
    for b in bs:
        px += b.vx * b.mass
        py += b.vy * b.mass
        pz += b.vz * b.mass
    val solar = bs[0].mass
    bs[0].vx = -px / solar
    bs[0].vy = -py / solar
    bs[0].vz = -pz / solar
    return bs

fn advance(bodies: [Body], steps) -> [Body]:
    var bs = bodies
    val n = len(bs)
    val dt = 0.01
    for s in 0..steps:
        for i in 0..n:
            for j in (i + 1)..n:
                val dx = bs[i].x - bs[j].x
                val dy = bs[i].y - bs[j].y
                val dz = bs[i].z - bs[j].z
                val d2 = dx * dx + dy * dy + dz * dz
                val mag = dt / (d2 * sqrt(d2))
                val mj = bs[j].mass * mag
                bs[i].vx -= dx * mj
                bs[i].vy -= dy * mj
                bs[i].vz -= dz * mj
                val mi = bs[i].mass * mag
                bs[j].vx += dx * mi
                bs[j].vy += dy * mi
                bs[j].vz += dz * mi
        for i in 0..n:
            bs[i].x += dt * bs[i].vx
            bs[i].y += dt * bs[i].vy
            bs[i].z += dt * bs[i].vz
    return bs

fn energy(bs: [Body]) -> f64:
    var e = 0.0
    val n = len(bs)
    for i in 0..n:
        val b = bs[i]
        e += 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)
        for j in (i + 1)..n:
            val dx = b.x - bs[j].x
            val dy = b.y - bs[j].y
            val dz = b.z - bs[j].z
            e -= b.mass * bs[j].mass / sqrt(dx * dx + dy * dy + dz * dz)
    return e
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

#[derive(Clone, Copy)]
struct Body {
    x: f64,
    y: f64,
    z: f64,
    vx: f64,
    vy: f64,
    vz: f64,
    mass: f64,
}

fn native_system() -> Vec<Body> {
    let days = 365.24;
    let solar = 4.0 * std::f64::consts::PI * std::f64::consts::PI;
    let b = |x, y, z, vx: f64, vy: f64, vz: f64, m: f64| Body {
        x,
        y,
        z,
        vx: vx * days,
        vy: vy * days,
        vz: vz * days,
        mass: m * solar,
    };
    let mut bs = vec![
        b(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        b(
            4.84143144246472090e+00,
            -1.16032004402742839e+00,
            -1.03622044471123109e-01,
            1.66007664274403694e-03,
            7.69901118419740425e-03,
            -6.90460016972063023e-05,
            9.54791938424326609e-04,
        ),
        b(
            8.34336671824457987e+00,
            4.12479856412430479e+00,
            -4.03523417114321381e-01,
            -2.76742510726862411e-03,
            4.99852801234917238e-03,
            2.30417297573763929e-05,
            2.85885980666130812e-04,
        ),
        b(
            1.28943695621391310e+01,
            -1.51111514016986312e+01,
            -2.23307578892655734e-01,
            2.96460137564761618e-03,
            2.37847173959480950e-03,
            -2.96589568540237556e-05,
            4.36624404335156298e-05,
        ),
        b(
            1.53796971148509165e+01,
            -2.59193146099879641e+01,
            1.79258772950371181e-01,
            2.68067772490389322e-03,
            1.62824170038242295e-03,
            -9.51592254519715870e-05,
            5.15138902046611451e-05,
        ),
    ];
    let (mut px, mut py, mut pz) = (0.0, 0.0, 0.0);
    for b in &bs {
        px += b.vx * b.mass;
        py += b.vy * b.mass;
        pz += b.vz * b.mass;
    }
    let solar = bs[0].mass;
    bs[0].vx = -px / solar;
    bs[0].vy = -py / solar;
    bs[0].vz = -pz / solar;
    bs
}

fn native_advance(bs: &mut [Body], steps: i64) {
    let dt = 0.01;
    let n = bs.len();
    for _ in 0..steps {
        for i in 0..n {
            for j in i + 1..n {
                let (dx, dy, dz) = (bs[i].x - bs[j].x, bs[i].y - bs[j].y, bs[i].z - bs[j].z);
                let d2 = dx * dx + dy * dy + dz * dz;
                let mag = dt / (d2 * d2.sqrt());
                let mj = bs[j].mass * mag;
                bs[i].vx -= dx * mj;
                bs[i].vy -= dy * mj;
                bs[i].vz -= dz * mj;
                let mi = bs[i].mass * mag;
                bs[j].vx += dx * mi;
                bs[j].vy += dy * mi;
                bs[j].vz += dz * mi;
            }
        }
        for b in bs.iter_mut() {
            b.x += dt * b.vx;
            b.y += dt * b.vy;
            b.z += dt * b.vz;
        }
    }
}

fn native_energy(bs: &[Body]) -> f64 {
    let mut e = 0.0;
    for (i, b) in bs.iter().enumerate() {
        e += 0.5 * b.mass * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz);
        for c in &bs[i + 1..] {
            let (dx, dy, dz) = (b.x - c.x, b.y - c.y, b.z - c.z);
            e -= b.mass * c.mass / (dx * dx + dy * dy + dz * dz).sqrt();
        }
    }
    e
}

fn f64_of(v: Value) -> f64 {
    match v {
        Value::F64(x) => x,
        other => panic!("not a float: {other:?}"),
    }
}

fn main() {
    let m = Manager::new(Backend::Cranelift).expect("a manager");
    m.set_opt_level(2).unwrap();
    m.compile_source(SOURCE, "data_bench").unwrap();

    let ws = m.call("words", &[Value::I64(WORDS)]).unwrap();
    let mut counted = Value::Void;
    let words = best(5, || counted = m.call("count", std::slice::from_ref(&ws)).unwrap());
    let Value::Map(map) = &counted else { panic!("count returned {counted:?}") };
    assert_eq!(map.len(), 10_007);
    let native_ws: Vec<String> = (0..WORDS).map(|i| format!("w{}", (i * 7919) % 10007)).collect();
    let native_words = best(5, || {
        let mut m: HashMap<&str, i64> = HashMap::new();
        for w in black_box(&native_ws) {
            *m.entry(w.as_str()).or_insert(0) += 1;
        }
        assert_eq!(m.len(), 10_007);
    });

    let system = m.call("system", &[]).unwrap();
    let e0 = f64_of(m.call("energy", std::slice::from_ref(&system)).unwrap());
    let mut after = Value::Void;
    let nbody = best(3, || after = m.call("advance", &[system.clone(), Value::I64(STEPS)]).unwrap());
    let e1 = f64_of(m.call("energy", &[after]).unwrap());
    let mut native_bodies = native_system();
    assert!((native_energy(&native_bodies) - e0).abs() < 1e-12);
    let native_nbody = best(3, || {
        let mut bs = native_system();
        native_advance(black_box(&mut bs), STEPS);
        native_bodies = bs;
    });
    let native_e1 = native_energy(&native_bodies);
    assert!((native_e1 - e1).abs() < 1e-9, "energies differ: rtjit {e1:.9}, native {native_e1:.9}");
    println!("n-body energy: {e0:.9} before, {e1:.9} after {STEPS} steps");
    println!("| benchmark | rtjit | native (rustc -O) | ratio |");
    println!("|---|---:|---:|---:|");
    println!(
        "| word count of 10^6 words in a {{text: i64}} | {words:.1} | {native_words:.1} | {:.2}x |",
        words / native_words
    );
    println!(
        "| n-body, 5 records in an array, 10^7 steps | {nbody:.1} | {native_nbody:.1} | {:.2}x |",
        nbody / native_nbody
    );
}
