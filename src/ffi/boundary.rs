//! The one pattern every exported function follows (as in rustls-ffi):
//!
//! ```ignore
//! #[unsafe(no_mangle)]
//! pub extern "C" fn rt_example(h: i64, name: *const c_char) -> i32 {
//!     ffi_guard!({
//!         let manager = try_manager!(h);
//!         let name = try_str!(name);
//!         manager.do_something(name)?;
//!         Ok(RT_OK)
//!     })
//! }
//! ```
//!
//! `ffi_guard!` runs the body under `catch_unwind`; an `Err` or a caught
//! panic sets this thread's last error and returns the fallback for the
//! return type ([`Fallback`]) or the one given with `fallback = ...`.
//! `ffi_guard!(value_out = result, ...)` first sets an `rt_value`
//! out-parameter to RT_TYPE_VOID.
//! The `try_*` macros check one argument each and return an `Err` naming it.

use std::any::Any;
use std::ffi::{CStr, CString, c_char};

use super::types::RtValue;
use crate::Error;

/// What a function returns when it fails, by return type.
pub trait Fallback {
    fn fallback(err: &Error) -> Self;
}

/// Status-code functions return the error's status.
impl Fallback for i32 {
    fn fallback(err: &Error) -> i32 {
        err.status()
    }
}

/// Functions returning a new string return NULL.
impl Fallback for *mut c_char {
    fn fallback(_: &Error) -> *mut c_char {
        std::ptr::null_mut()
    }
}

impl Fallback for () {
    fn fallback(_: &Error) {}
}

pub fn panic_message(payload: Box<dyn Any + Send>) -> Error {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with no message".to_string());
    Error::Internal(format!("panic caught at the C boundary: {text}"))
}

macro_rules! ffi_guard {
    (fallback = $fallback:expr, $body:block) => {{
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(
            || -> ::std::result::Result<_, $crate::Error> { $body },
        ));
        match outcome {
            Ok(Ok(value)) => value,
            Ok(Err(err)) => {
                $crate::ffi::last_error::set(&err);
                #[allow(clippy::redundant_closure_call)]
                ($fallback)(&err)
            }
            Err(payload) => {
                let err = $crate::ffi::boundary::panic_message(payload);
                $crate::ffi::last_error::set(&err);
                #[allow(clippy::redundant_closure_call)]
                ($fallback)(&err)
            }
        }
    }};
    // A function with an `rt_value` out-parameter: it reads RT_TYPE_VOID
    // unless the body stores a value, so a failed call leaves no stale value.
    (value_out = $out:ident, $body:block) => {
        ffi_guard!({
            // SAFETY: `$out` is NULL or writable storage for an rt_value, by
            // the contract each such function documents.
            unsafe { $crate::ffi::boundary::write_value($out, $crate::ffi::types::RtValue::void()) };
            $body
        })
    };
    ($body:block) => {
        ffi_guard!(fallback = $crate::ffi::boundary::Fallback::fallback, $body)
    };
}

/// A `*const c_char` argument as `&str`: NULL and bad UTF-8 are
/// `RT_ERR_INVALID_ARGUMENT` naming the parameter.
macro_rules! try_str {
    ($ptr:ident) => {
        // SAFETY: the C caller passes NULL or a NUL-terminated string that
        // stays valid for the duration of the call (documented on every
        // function).
        unsafe { $crate::ffi::boundary::str_arg($ptr, stringify!($ptr)) }?
    };
}

/// A handle argument as `Arc<Manager>`: `RT_ERR_INVALID_HANDLE` if stale.
macro_rules! try_manager {
    ($h:expr) => {
        $crate::ffi::handles::get($h)?
    };
}

/// A non-NULL out-pointer, or `RT_ERR_INVALID_ARGUMENT` naming it.
macro_rules! try_out {
    ($ptr:ident) => {
        if $ptr.is_null() {
            return Err($crate::Error::InvalidArgument(format!("`{}` is NULL", stringify!($ptr))));
        } else {
            $ptr
        }
    };
}

pub(crate) use {ffi_guard, try_manager, try_out, try_str};

/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        return Err(Error::InvalidArgument(format!("`{name}` is NULL")));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|e| {
        Error::InvalidArgument(format!("`{name}` is not valid UTF-8 (invalid byte at offset {})", e.valid_up_to()))
    })
}

/// A new C string the caller owns (freed with `rt_string_free`). Interior
/// NULs cannot occur in what the library returns; they would be an
/// internal error.
pub fn owned_c_string(s: String) -> Result<*mut c_char, Error> {
    CString::new(s).map(CString::into_raw).map_err(|_| Error::Internal("a returned string contained a NUL byte".into()))
}

/// Stores `v` through `out` unless `out` is NULL.
///
/// # Safety
/// `out` is NULL or points to writable storage for an rt_value.
pub unsafe fn write_value(out: *mut RtValue, v: RtValue) {
    if !out.is_null() {
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { out.write(v) };
    }
}
