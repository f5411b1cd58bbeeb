//! What a manager holds (functions 16-19 and 27 of c-api.md).

use std::ffi::c_char;

use super::boundary::{ffi_guard, owned_c_string, try_manager, try_out, try_str};
use super::types::*;
use super::values::write_result;

/// Returns 1 if the manager has a function named `name`, 0 if not or on
/// error (a bad handle or `name` sets the last error).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_has_function(h: i64, name: *const c_char) -> i32 {
    ffi_guard!(fallback = |_| 0, {
        let manager = try_manager!(h);
        let name = try_str!(name);
        Ok(i32::from(manager.has_function(name)))
    })
}

/// Returns the manager's function names, sorted, one per line, without a
/// trailing newline ("" when there are none).
///
/// The string is new and owned by the caller, who frees it with
/// rt_string_free. NULL on error (RT_ERR_INVALID_HANDLE).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_list_functions(h: i64) -> *mut c_char {
    ffi_guard!({
        let manager = try_manager!(h);
        owned_c_string(manager.function_names().join("\n"))
    })
}

/// Returns the type of function `name`, e.g. `fn(i64, f64) -> f64` or
/// `fn() -> void`.
///
/// The string is new and owned by the caller, who frees it with
/// rt_string_free. NULL on error: RT_ERR_NOT_FOUND,
/// RT_ERR_INVALID_HANDLE, RT_ERR_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_function_signature(h: i64, name: *const c_char) -> *mut c_char {
    ffi_guard!({
        let manager = try_manager!(h);
        let name = try_str!(name);
        owned_c_string(manager.function_signature(name)?.to_string())
    })
}

/// Returns the number of functions in the manager, or -1 for a bad handle.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_function_count(h: i64) -> i64 {
    ffi_guard!(fallback = |_| -1, {
        let manager = try_manager!(h);
        Ok(manager.function_count() as i64)
    })
}

/// Reads the global `name` (a config value, a REPL variable) into
/// `*result`: RT_TYPE_I64, RT_TYPE_F64, RT_TYPE_BOOL, or RT_TYPE_TEXT with
/// `as.text` a new string the caller owns and frees with rt_string_free (a
/// text holding NUL bytes is cut at the first one).
///
/// `result` must not be NULL; on failure `*result` is RT_TYPE_VOID.
/// Returns RT_OK; RT_ERR_NOT_FOUND when there is no such global;
/// RT_ERR_INVALID_HANDLE; RT_ERR_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_get_global(h: i64, name: *const c_char, result: *mut RtValue) -> i32 {
    ffi_guard!(value_out = result, {
        let manager = try_manager!(h);
        let name = try_str!(name);
        let out = try_out!(result);
        let value = manager.global(name)?;
        // SAFETY: non-NULL and writable by the caller's contract.
        unsafe { write_result(out, &value) }?;
        Ok(RT_OK)
    })
}
