//! The last error, strings and the version (functions 22-26 of c-api.md).

use std::ffi::{CString, c_char};

use super::last_error;

/// Returns this thread's last error message, "" when there is none; never
/// NULL.
///
/// The string is owned by the library and stays valid until this thread's
/// next rt_* call; copy it to keep it. Errors of other threads are not
/// visible here.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_get_last_error() -> *const c_char {
    last_error::message_ptr()
}

/// Clears this thread's last error (code RT_OK, message "").
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_clear_error() {
    last_error::clear();
}

/// Returns this thread's last status code, RT_OK when no call on this
/// thread has failed since the last rt_exec_manager_clear_error. A
/// successful call does not reset it.
#[unsafe(no_mangle)]
pub extern "C" fn rt_last_error_code() -> i32 {
    last_error::code()
}

/// Frees a string returned by this library (list_functions,
/// function_signature, execute_string, text values). NULL is a no-op.
/// Passing any other pointer, or the same string twice, is undefined
/// behaviour.
#[unsafe(no_mangle)]
pub extern "C" fn rt_string_free(s: *mut c_char) {
    if s.is_null() {
        return;
    }
    // SAFETY: by contract `s` came from `CString::into_raw` in this library
    // and is freed once.
    drop(unsafe { CString::from_raw(s) });
}

static VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// Returns the library version, e.g. "0.1.0". The string is static: do not
/// free it.
#[unsafe(no_mangle)]
pub extern "C" fn rt_version() -> *const c_char {
    VERSION.as_ptr().cast()
}
