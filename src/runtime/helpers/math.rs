//! Arithmetic JIT code calls instead of inlining (`pow`, float remainder,
//! integer power).

pub extern "C" fn fpow(a: f64, b: f64) -> f64 {
    a.powf(b)
}

pub extern "C" fn fmod(a: f64, b: f64) -> f64 {
    a % b
}

/// Wrapping integer power by squaring; the caller has checked `exp >= 0`.
pub extern "C" fn ipow(mut base: i64, mut exp: i64) -> i64 {
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
