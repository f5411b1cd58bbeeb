//! Compiling code into a manager (functions 8-10 and 15 of c-api.md).

use std::ffi::c_char;

use super::boundary::{ffi_guard, owned_c_string, try_manager, try_str};
use super::types::*;
use crate::Error;
use crate::{MIR_INPUT, SOURCE_INPUT};

/// Compiles one unit of source code (docs/language.md) into the manager and
/// runs its top-level statements.
///
/// `source` is a NUL-terminated UTF-8 string, borrowed for the call.
/// Returns RT_OK; RT_ERR_COMPILE with a message like
/// `<source>:3:7: expected ':' after condition`; RT_ERR_RUNTIME if the
/// top-level statements fail; RT_ERR_INVALID_HANDLE or
/// RT_ERR_INVALID_ARGUMENT (NULL or bad UTF-8). A unit that fails changes
/// nothing in the manager.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_compile_source(h: i64, source: *const c_char) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let source = try_str!(source);
        manager.compile_source(source, SOURCE_INPUT)?;
        Ok(RT_OK)
    })
}

/// Compiles one MIR text blob (docs/mir.md): `len` bytes at `data`,
/// borrowed for the call, starting with the version line `mir 1`. Its
/// functions, externs and globals join the manager; its `init` block, if
/// any, runs once.
///
/// Returns RT_OK; RT_ERR_COMPILE with a message like
/// `<mir>:12:9: expected i64, found f64` for any malformed, truncated or
/// non-UTF-8 blob or an extern that is not registered (the manager is then
/// unchanged); RT_ERR_RUNTIME if `init` fails (the blob is undone);
/// RT_ERR_INVALID_HANDLE; RT_ERR_INVALID_ARGUMENT (`data` NULL with `len`
/// > 0).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_compile_mir(h: i64, data: *const u8, len: usize) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let bytes: &[u8] = if len == 0 {
            &[]
        } else if data.is_null() {
            return Err(Error::InvalidArgument("`data` is NULL".into()));
        } else {
            // SAFETY: `data` holds `len` readable bytes by the caller's contract.
            unsafe { std::slice::from_raw_parts(data, len) }
        };
        manager.compile_mir(bytes, MIR_INPUT)?;
        Ok(RT_OK)
    })
}

/// Reads the file at `path` (NUL-terminated UTF-8, borrowed) and compiles
/// it: a file whose first line is the MIR version line (`mir 1`) is MIR,
/// anything else is source code. Compile errors name the file:
/// `path:3:7: ...`.
///
/// Returns RT_OK; RT_ERR_IO if the file cannot be read; RT_ERR_COMPILE,
/// RT_ERR_RUNTIME as for rt_exec_manager_compile_source (and
/// rt_exec_manager_compile_mir for a MIR file).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_compile_file(h: i64, path: *const c_char) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let path = try_str!(path);
        manager.compile_file(path)?;
        Ok(RT_OK)
    })
}

/// Compiles a unit like rt_exec_manager_compile_source, runs it, and
/// stores the value of its last top-level statement in `*result` (a REPL):
/// an expression's value; for a declaration or assignment, the value
/// assigned; RT_TYPE_VOID otherwise.
///
/// `result` may be NULL to discard the value. A RT_TYPE_TEXT result is a
/// new string the caller owns and frees with rt_string_free. On failure `*result`
/// is set to RT_TYPE_VOID. Returns the same codes as compile_source.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_eval(h: i64, source: *const c_char, result: *mut RtValue) -> i32 {
    ffi_guard!(value_out = result, {
        let manager = try_manager!(h);
        let source = try_str!(source);
        let value = manager.compile_source(source, SOURCE_INPUT)?;
        // SAFETY: `result` is NULL or writable (see the guard).
        unsafe { super::values::write_result(result, &value) }?;
        Ok(RT_OK)
    })
}

/// Returns the MIR text (docs/mir.md) of a source unit: what the source
/// compiler hands to code generation, which rt_exec_manager_compile_mir
/// compiles to the same behaviour. Needs no manager: `extern fn`
/// declarations are printed as written, not checked against registered
/// host functions.
///
/// `source` is NUL-terminated UTF-8, borrowed. Returns a new string the
/// caller owns and frees with rt_string_free, or NULL with the last error
/// set: RT_ERR_COMPILE (e.g. `<source>:3:7: ...`), RT_ERR_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn rt_mir_from_source(source: *const c_char) -> *mut c_char {
    ffi_guard!({
        let source = try_str!(source);
        owned_c_string(crate::mir_from_source(source)?)
    })
}
