//! Calling compiled functions (functions 11-14 of c-api.md).

use std::ffi::c_char;

use super::boundary::{ffi_guard, str_arg, try_manager, try_str};
use super::types::*;
use super::values::{c_text, from_rt_value, write_result};
use crate::Error;

/// More arguments than any call accepts; guards against a garbage count.
const MAX_ARGS: usize = 1 << 16;

/// # Safety
/// `ptr` is NULL (only when `n` is 0) or points to `n` readable `T`s.
unsafe fn array_arg<'a, T>(ptr: *const T, n: usize, name: &str) -> Result<&'a [T], Error> {
    if n == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Error::InvalidArgument(format!("`{name}` is NULL but the count is {n}")));
    }
    if n > MAX_ARGS {
        return Err(Error::Signature(format!("{n} arguments are more than any function takes")));
    }
    // SAFETY: non-NULL and `n` elements long by the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

/// Each of the `n` arguments at `ptr`, converted by `convert(arg, index)`.
///
/// # Safety
/// As for [`array_arg`], and `convert` may be called on every element
/// (its own pointers, if any, meet its contract).
unsafe fn each_arg<'a, T, U>(
    ptr: *const T,
    n: usize,
    convert: impl Fn(&'a T, usize) -> Result<U, Error>,
) -> Result<Vec<U>, Error>
where
    T: 'a,
{
    // SAFETY: forwarded from the caller.
    let raw: &'a [T] = unsafe { array_arg(ptr, n, "args") }?;
    raw.iter().enumerate().map(|(i, a)| convert(a, i)).collect()
}

/// Calls the function `name` with `nargs` integer (or bool: 0/1)
/// arguments from `args`, and stores its integer or bool result in
/// `*result` (0 for a function that returns nothing).
///
/// `name` is NUL-terminated UTF-8; `args` may be NULL when `nargs` is 0;
/// `result` may be NULL to discard the value; all are borrowed for the call.
/// Returns RT_OK; RT_ERR_NOT_FOUND; RT_ERR_SIGNATURE for a wrong argument
/// count or a function taking or returning f64 or text (use
/// rt_exec_manager_call); RT_ERR_RUNTIME for an error in the function
/// (e.g. `division by zero in g at line 3`); RT_ERR_INVALID_HANDLE;
/// RT_ERR_INVALID_ARGUMENT. `*result` is left unchanged on failure.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_execute(
    h: i64,
    name: *const c_char,
    args: *const i64,
    nargs: usize,
    result: *mut i64,
) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let name = try_str!(name);
        // SAFETY: `args` holds `nargs` integers by the caller's contract.
        let args = unsafe { array_arg(args, nargs, "args") }?;
        let value = manager.execute(name, args)?;
        if !result.is_null() {
            // SAFETY: non-NULL, writable by the caller's contract.
            unsafe { result.write(value) };
        }
        Ok(RT_OK)
    })
}

/// Calls a function whose parameters and result are text, with `nargs`
/// NUL-terminated UTF-8 strings from `args` (borrowed for the call).
///
/// Returns the result as a new string the caller owns and frees with
/// rt_string_free (a text holding NUL bytes is cut at the first one), or
/// NULL on error with the last error set: RT_ERR_NOT_FOUND;
/// RT_ERR_SIGNATURE if the function does not take only text parameters and
/// return text, or for a wrong count; RT_ERR_RUNTIME;
/// RT_ERR_INVALID_HANDLE; RT_ERR_INVALID_ARGUMENT (NULL or bad UTF-8).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_execute_string(
    h: i64,
    name: *const c_char,
    args: *const *const c_char,
    nargs: usize,
) -> *mut c_char {
    ffi_guard!({
        let manager = try_manager!(h);
        let name = try_str!(name);
        // SAFETY: `args` holds `nargs` pointers, each NULL or a
        // NUL-terminated string, by the caller's contract.
        let texts = unsafe { each_arg(args, nargs, |a, i| str_arg(*a, &format!("args[{i}]"))) }?;
        Ok(c_text(&manager.call_text(name, &texts)?))
    })
}

/// Calls the zero-argument function `name` and discards its value.
///
/// Returns RT_OK; RT_ERR_NOT_FOUND; RT_ERR_SIGNATURE if the function takes
/// parameters; RT_ERR_RUNTIME; RT_ERR_INVALID_HANDLE;
/// RT_ERR_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_execute_void(h: i64, name: *const c_char) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let name = try_str!(name);
        manager.call(name, &[])?;
        Ok(RT_OK)
    })
}

/// A typed call: `nargs` values from `args` (an i64 is accepted where the
/// function takes f64), result in `*result`.
///
/// `args` may be NULL when `nargs` is 0; an RT_TYPE_TEXT argument's
/// `as.text` is a NUL-terminated UTF-8 string and an RT_TYPE_ARRAY
/// argument's `as.object` an rt_object, both borrowed for the call (the
/// function works on its own copy: the caller's object never changes).
/// `result` may be NULL to discard the value; an RT_TYPE_TEXT result's
/// `as.text` is a new string the caller owns and frees with
/// rt_string_free, an RT_TYPE_ARRAY result's `as.object` a new rt_object
/// the caller owns; rt_value_free releases either. On failure `*result`
/// is RT_TYPE_VOID. Returns RT_OK;
/// RT_ERR_NOT_FOUND; RT_ERR_SIGNATURE (count or types); RT_ERR_RUNTIME;
/// RT_ERR_INVALID_HANDLE; RT_ERR_INVALID_ARGUMENT (NULL, bad type tag).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_call(
    h: i64,
    name: *const c_char,
    args: *const RtValue,
    nargs: usize,
    result: *mut RtValue,
) -> i32 {
    ffi_guard!(value_out = result, {
        let manager = try_manager!(h);
        let name = try_str!(name);
        // SAFETY: `args` holds `nargs` readable rt_values by the caller's
        // contract.
        let values = unsafe { each_arg(args, nargs, |v, i| from_rt_value(v, i + 1)) }?;
        let value = manager.call(name, &values)?;
        // SAFETY: `result` is NULL or writable (see the guard).
        unsafe { write_result(result, &value) }?;
        Ok(RT_OK)
    })
}
