//! Backends and the manager life cycle (functions 1-7, 20, 21 of c-api.md).

use std::sync::atomic::{AtomicI32, Ordering};

use super::boundary::{ffi_guard, try_manager};
use super::handles;
use super::types::*;
use crate::Error;
use crate::{Backend, Manager};

static DEFAULT_BACKEND: AtomicI32 = AtomicI32::new(RT_BACKEND_AUTO);

fn resolve_backend(backend: i32) -> Result<Backend, Error> {
    let kind = match backend {
        RT_BACKEND_AUTO | RT_BACKEND_CRANELIFT => Backend::Cranelift,
        RT_BACKEND_LLVM => Backend::Llvm,
        other => {
            return Err(Error::InvalidArgument(format!(
                "unknown backend {other} (expected RT_BACKEND_AUTO, RT_BACKEND_CRANELIFT or RT_BACKEND_LLVM)"
            )));
        }
    };
    if !kind.is_built_in() {
        return Err(Error::Unsupported(format!(
            "the {kind} backend is not built into this library (use RT_BACKEND_CRANELIFT or RT_BACKEND_AUTO)"
        )));
    }
    Ok(kind)
}

/// Sets the process-wide default backend for managers created later with
/// rt_exec_manager_create.
///
/// `backend` is RT_BACKEND_AUTO (Cranelift), RT_BACKEND_CRANELIFT or
/// RT_BACKEND_LLVM. Returns RT_OK; RT_ERR_UNSUPPORTED for RT_BACKEND_LLVM
/// when the library was built without the `llvm` feature;
/// RT_ERR_INVALID_ARGUMENT for any other value. On failure the default is
/// unchanged. Existing managers are not affected.
#[unsafe(no_mangle)]
pub extern "C" fn rt_set_jit_backend(backend: i32) -> i32 {
    ffi_guard!({
        resolve_backend(backend)?;
        DEFAULT_BACKEND.store(backend, Ordering::Relaxed);
        Ok(RT_OK)
    })
}

/// Returns the process-wide default backend as last set with
/// rt_set_jit_backend (RT_BACKEND_AUTO until then). Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn rt_get_jit_backend() -> i32 {
    DEFAULT_BACKEND.load(Ordering::Relaxed)
}

fn create(backend: i32) -> Result<i64, Error> {
    let backend = resolve_backend(backend)?;
    Ok(handles::insert(Manager::new(backend)?))
}

/// Creates an execution manager with the default backend and optimisation
/// level 2.
///
/// Returns a handle (> 0) that the caller owns and releases with
/// rt_exec_manager_cleanup; 0 on failure, with the last error set.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_create() -> i64 {
    ffi_guard!(fallback = |_| 0, { create(DEFAULT_BACKEND.load(Ordering::Relaxed)) })
}

/// Creates an execution manager with the given backend (RT_BACKEND_AUTO,
/// RT_BACKEND_CRANELIFT or RT_BACKEND_LLVM) and optimisation level 2.
///
/// Returns a handle (> 0) that the caller owns and releases with
/// rt_exec_manager_cleanup; 0 on failure: RT_ERR_UNSUPPORTED for
/// RT_BACKEND_LLVM in a library built without the `llvm` feature,
/// RT_ERR_INVALID_ARGUMENT for an unknown backend.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_create_with_backend(backend: i32) -> i64 {
    ffi_guard!(fallback = |_| 0, { create(backend) })
}

/// Frees everything the manager owns: compiled code, functions, globals.
///
/// The handle is invalid afterwards (a second cleanup returns
/// RT_ERR_INVALID_HANDLE). Calls running in the manager on other threads
/// finish first: the memory is released when the last of them returns.
/// Returns RT_OK or RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_cleanup(h: i64) -> i32 {
    ffi_guard!({
        drop(handles::remove(h)?);
        Ok(RT_OK)
    })
}

/// Returns 1 if `h` is a live manager handle, 0 otherwise. Sets no error.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_is_valid(h: i64) -> i32 {
    ffi_guard!(fallback = |_| 0, { Ok(i32::from(handles::get(h).is_ok())) })
}

/// Returns the backend the manager uses (RT_BACKEND_AUTO resolved, so
/// RT_BACKEND_CRANELIFT), or RT_BACKEND_UNKNOWN for a bad handle (with
/// RT_ERR_INVALID_HANDLE as the last error).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_get_backend(h: i64) -> i32 {
    ffi_guard!(fallback = |_| RT_BACKEND_UNKNOWN, {
        let manager = try_manager!(h);
        Ok(match manager.backend() {
            Backend::Cranelift => RT_BACKEND_CRANELIFT,
            Backend::Llvm => RT_BACKEND_LLVM,
        })
    })
}

/// Sets the optimisation level for later compiles in this manager:
/// 0 (fastest compile, no optimisation), 1, 2 (default) or 3; see
/// docs/language.md for what each does. Code already compiled is kept.
///
/// Returns RT_OK, RT_ERR_INVALID_HANDLE, or RT_ERR_INVALID_ARGUMENT for a
/// level outside 0..3 (the level is then unchanged).
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_set_opt_level(h: i64, level: i32) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let level = u8::try_from(level)
            .map_err(|_| Error::InvalidArgument(format!("optimisation level {level} is out of range (0 to 3)")))?;
        manager.set_opt_level(level)?;
        Ok(RT_OK)
    })
}

/// Returns the manager's optimisation level (0..3), or -1 for a bad handle.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_get_opt_level(h: i64) -> i32 {
    ffi_guard!(fallback = |_| -1, {
        let manager = try_manager!(h);
        Ok(i32::from(manager.opt_level()))
    })
}
