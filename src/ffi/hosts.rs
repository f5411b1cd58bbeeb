//! Host functions: C functions JIT code calls (functions 28-29 of c-api.md).

use std::ffi::{CStr, c_char, c_void};

use super::boundary::{ffi_guard, try_manager, try_str};
use super::types::*;
use crate::Error;
use crate::Signature;

/// Registers `fn_ptr` as the host function `name`, which MIR declares with
/// `extern fn name(...)` and source code with `extern fn name(x: i64) -> i64`,
/// and then calls like any function.
///
/// `signature` gives its C type in MIR types, e.g. `fn(i64, f64, ptr) -> i64`
/// or `fn(text) -> void`: i8 i16 i32 i64 map to the C integer types of that
/// width, f32/f64 to float/double, ptr to a pointer, bool to a C `bool`
/// (0/1 in one byte). A `text` argument is a `const char *`: NUL-terminated
/// UTF-8, borrowed for the call (copy it to keep it; a text holding a NUL
/// byte reads as ending there; the empty text is ""). A `text` result is a
/// `const char *` the library copies as soon as the function returns, so
/// a static or reused buffer is fine (NULL is the empty text; bytes that
/// are not UTF-8 become U+FFFD). Arrays, maps and records cannot cross.
/// Source code can call host functions whose types are i64, f64, bool and
/// text.
///
/// `name` and `signature` are NUL-terminated UTF-8, borrowed; `fn_ptr` must
/// stay callable until the manager is cleaned up. Registering a name again
/// replaces the function: compiled callers reach the new one. Register
/// before compiling the units that declare it: a unit declaring an
/// unregistered extern is a compile error naming it.
///
/// The host function may call back into rt_exec_manager_* (this manager or
/// another) and may report failure with rt_raise_error.
///
/// Returns RT_OK; RT_ERR_INVALID_ARGUMENT (NULL, bad UTF-8, a name that is
/// not an identifier, a malformed signature or one with an array, map or
/// record);
/// RT_ERR_SIGNATURE when the name is registered with another signature and
/// compiled functions call it; RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_register_function(
    h: i64,
    name: *const c_char,
    fn_ptr: *mut c_void,
    signature: *const c_char,
) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let (name, sig) = host_signature(try_str!(name), fn_ptr, try_str!(signature))?;
        manager.register_host(name, fn_ptr as usize, sig)?;
        Ok(RT_OK)
    })
}

/// As rt_exec_manager_register_function, for a host function that also
/// receives `user_data` as its first C argument (a `void *`), before the
/// arguments `signature` lists (which are only the ones scripts pass):
/// registered with "fn(text) -> void", the function is
/// `void f(void *user_data, const char *s)`.
///
/// `user_data` is passed as given, never read or freed by the library;
/// it may be NULL. Registering the name again replaces the function and
/// the data together (a call running at that moment sees one pair or the
/// other, never a mix). Changing whether a host function takes user data
/// is a signature change: RT_ERR_SIGNATURE while compiled functions call
/// it.
///
/// Returns as rt_exec_manager_register_function.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_register_function_with_data(
    h: i64,
    name: *const c_char,
    fn_ptr: *mut c_void,
    signature: *const c_char,
    user_data: *mut c_void,
) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let (name, sig) = host_signature(try_str!(name), fn_ptr, try_str!(signature))?;
        manager.register_host_with_data(name, fn_ptr as usize, sig, user_data as usize)?;
        Ok(RT_OK)
    })
}

/// The checks both registrations make of their arguments.
fn host_signature<'a>(name: &'a str, fn_ptr: *mut c_void, signature: &str) -> Result<(&'a str, Signature), Error> {
    if fn_ptr.is_null() {
        return Err(Error::InvalidArgument("`fn_ptr` is NULL".into()));
    }
    let sig = Signature::parse(signature)
        .map_err(|e| Error::InvalidArgument(format!("signature `{signature}` of `{name}`: {e}")))?;
    Ok((name, sig))
}

/// Called inside a host function to report failure: when the host function
/// returns, the running execution stops and the call that started it
/// returns RT_ERR_RUNTIME with `message` (NUL-terminated UTF-8, copied;
/// invalid UTF-8 is replaced, NULL gives a generic message). A second call
/// in the same host function keeps the first message.
///
/// Called outside a host function (no execution running on this thread),
/// it only sets this thread's last error to RT_ERR_INVALID_ARGUMENT.
#[unsafe(no_mangle)]
pub extern "C" fn rt_raise_error(message: *const c_char) {
    ffi_guard!({
        let text = if message.is_null() {
            "error raised by a host function".to_string()
        } else {
            // SAFETY: non-NULL and NUL-terminated by the caller's contract.
            unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
        };
        if !crate::raise_error(&text) {
            return Err(Error::InvalidArgument(
                "rt_raise_error was called outside a host function (no execution is running on this thread)".into(),
            ));
        }
        Ok(())
    })
}

/// The C print handler a host set, with its user data.
struct CPrint {
    handler: extern "C" fn(*mut c_void, *const c_char, usize),
    user_data: *mut c_void,
}

// SAFETY: the host promises (in the header) that its handler may be
// called from any thread that runs the manager's code, with its user data.
unsafe impl Send for CPrint {}
// SAFETY: as above.
unsafe impl Sync for CPrint {}

impl CPrint {
    fn emit(&self, line: &str) {
        (self.handler)(self.user_data, line.as_ptr() as *const c_char, line.len());
    }
}

/// Sends what `print` writes to `handler` instead of stdout (c-api 50):
/// each call gets one line without its newline, as `len` bytes of UTF-8 at
/// `text` (not NUL-terminated; valid only during the call), and
/// `user_data` as given. The handler runs on the thread that runs the
/// code, possibly on several threads at once, and must not unwind. NULL
/// `handler` restores stdout.
///
/// Returns RT_OK or RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_set_print(
    h: i64,
    handler: Option<extern "C" fn(*mut c_void, *const c_char, usize)>,
    user_data: *mut c_void,
) -> i32 {
    ffi_guard!({
        let manager = try_manager!(h);
        let sink = handler.map(|handler| {
            let c = CPrint { handler, user_data };
            std::sync::Arc::new(move |line: &str| c.emit(line)) as crate::PrintHandler
        });
        manager.set_print(sink);
        Ok(RT_OK)
    })
}
