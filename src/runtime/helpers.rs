//! Runtime functions that JIT code calls (by address; see `codegen::abi`).
//! They must not panic: a panic cannot unwind through JIT frames.

use std::sync::LazyLock;

use crate::codegen::Helpers;

extern "C" fn fpow(a: f64, b: f64) -> f64 {
    a.powf(b)
}

extern "C" fn fmod(a: f64, b: f64) -> f64 {
    a % b
}

/// Wrapping integer power by squaring; the caller has checked `exp >= 0`.
extern "C" fn ipow(mut base: i64, mut exp: i64) -> i64 {
    let mut acc: i64 = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = acc.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    acc
}

pub static HELPERS: LazyLock<Helpers> = LazyLock::new(|| Helpers {
    fpow: fpow as extern "C" fn(f64, f64) -> f64 as usize,
    fmod: fmod as extern "C" fn(f64, f64) -> f64 as usize,
    ipow: ipow as extern "C" fn(i64, i64) -> i64 as usize,
});

#[cfg(test)]
mod tests {
    #[test]
    fn ipow_wraps() {
        assert_eq!(super::ipow(2, 10), 1024);
        assert_eq!(super::ipow(3, 0), 1);
        assert_eq!(super::ipow(2, 64), 0);
        assert_eq!(super::ipow(-2, 3), -8);
        assert_eq!(super::ipow(7, 100), 7i64.wrapping_pow(100));
    }
}
