//! Runtime functions that JIT code calls (by address; see `codegen::abi`).
//! They must not panic: a panic cannot unwind through JIT frames.

use std::sync::LazyLock;

use super::text;
use crate::codegen::Helpers;
use crate::codegen::abi::TextHelpers;

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
    memset: libc::memset as *const () as usize,
    text: TextHelpers {
        retain: text::retain as *const () as usize,
        release: text::release as *const () as usize,
        concat: text::concat as *const () as usize,
        equal: text::equal as *const () as usize,
        compare: text::compare as *const () as usize,
        length: text::length as *const () as usize,
        from_i64: text::from_i64 as *const () as usize,
        from_f64: text::from_f64 as *const () as usize,
        from_bool: text::from_bool as *const () as usize,
        parse_i64: text::parse_i64 as *const () as usize,
        parse_f64: text::parse_f64 as *const () as usize,
        global_load: text::global_load as *const () as usize,
        global_store: text::global_store as *const () as usize,
    },
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
