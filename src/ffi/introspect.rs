//! What a manager holds (functions 16-19, 27 and 37 of c-api.md).

use std::ffi::c_char;

use super::boundary::{ffi_guard, owned_c_string, try_manager, try_out, try_str};
use super::types::*;
use super::values::{read_rt_value, write_result};

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
/// `*result`: RT_TYPE_I64, RT_TYPE_F64, RT_TYPE_BOOL, RT_TYPE_TEXT with
/// `as.text` a new string the caller owns and frees with rt_string_free (a
/// text holding NUL bytes is cut at the first one), or RT_TYPE_ARRAY (and,
/// later, RECORD and MAP) with `as.object` a new rt_object the caller owns.
/// rt_value_free releases either. The value is read whole, also while
/// other threads assign the global.
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

/// Assigns the global `name`, or creates it when there is none (as a
/// `var` of the value's type, which scripts compiled later can read and
/// assign): a host-side config default, game state. Code compiled before
/// sees the new value at its next read; a concurrent reader sees the old
/// value or the new one, whole.
///
/// `name` (an identifier) and `*value` are borrowed: a text or object is
/// copied. An RT_TYPE_I64 is accepted for an f64 global. A created global
/// belongs to no compile unit: it stays when a unit running at the time is
/// rolled back.
/// Returns RT_OK; RT_ERR_SIGNATURE when the global exists with another
/// type or is a `val`; RT_ERR_INVALID_ARGUMENT for NULL, RT_TYPE_VOID, a
/// bad tag, bad UTF-8 or a name that is not an identifier;
/// RT_ERR_RUNTIME `out of memory`; RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_set_global(h: i64, name: *const c_char, value: *const RtValue) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let name = try_str!(name);
        let value = try_out!(value);
        // SAFETY: non-NULL; a readable rt_value by the contract above.
        let value = unsafe { read_rt_value(&*value, "value") }?;
        manager.set_global(name, &value)?;
        Ok(RT_OK)
    })
}
