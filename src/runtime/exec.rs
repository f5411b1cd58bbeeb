//! Running JIT code: one execution context per call, and the translation
//! of a recorded error into a message.

use super::helpers::text::{OwnedText, RtText};
use crate::abi::{ErrKind, ExecCtx, INIT_FUNC_ID, Trampoline};
use crate::error::Error;

/// What JIT code recorded when it stopped with an error.
#[derive(Clone, Debug)]
pub struct Fault {
    pub kind: u32,
    pub func: u32,
    pub line: u32,
    /// The text that was not a number, for `invalid number`.
    pub detail: Option<String>,
}

thread_local! {
    /// The context of the innermost call running on this thread, for
    /// `rt_raise_error` from a host function.
    static CURRENT: std::cell::Cell<*mut ExecCtx> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// Called inside a host function: makes the execution running on this
/// thread stop with `message` when the host function returns (as
/// `rt_raise_error`). False when no execution is running here. A second
/// raise in the same call keeps the first message.
pub fn raise_error(message: &str) -> bool {
    let ctx = CURRENT.with(|c| c.get());
    if ctx.is_null() {
        return false;
    }
    // SAFETY: CURRENT points to the context of a call running on this
    // thread (set and reset around the call by `run`).
    unsafe {
        if (*ctx).err_kind == 0 {
            (*ctx).err_kind = ErrKind::HostError as u32;
            (*ctx).err_detail = OwnedText::new(message).into_raw() as *mut u8;
        }
    }
    true
}

/// Calls `entry` with arguments in 8-byte words; returns the result word.
///
/// # Safety
/// `entry` must be a live trampoline whose function takes `args.len()`
/// parameters, and its code must stay alive for the whole call.
pub unsafe fn run(entry: Trampoline, args: &[u64]) -> Result<u64, Fault> {
    let mut ctx = ExecCtx { stack_limit: crate::util::stack::jit_limit(), ..ExecCtx::default() };
    let mut result = 0u64;
    // One pointer serves the call and `raise`; `ctx` is used directly again
    // only after the call.
    let ctx_ptr: *mut ExecCtx = &mut ctx;
    let outer = CURRENT.with(|c| c.replace(ctx_ptr));
    // SAFETY: forwarded from the caller; `ctx`, `args` and `result` outlive the call.
    unsafe { entry(ctx_ptr, args.as_ptr(), &mut result) };
    CURRENT.with(|c| c.set(outer));
    if ctx.err_kind != 0 {
        // These kinds always carry a text (NULL is the empty text).
        let has_detail = [ErrKind::InvalidNumber, ErrKind::HostError].iter().any(|k| ctx.err_kind == *k as u32);
        // SAFETY: the helper stored a text reference it handed to us.
        let detail = has_detail.then(|| unsafe { OwnedText::from_raw(ctx.err_detail as *mut RtText) });
        let detail = detail.map(|t| t.as_str().to_string());
        return Err(Fault { kind: ctx.err_kind, func: ctx.err_func, line: ctx.err_line, detail });
    }
    Ok(result)
}

/// `division by zero in g at line 3`; `name_of` maps a function id to its
/// name. Top-level code is named after its input when that is a file:
/// `division by zero in top-level code of app.conf at line 3`.
pub fn fault_error(fault: Fault, input: Option<&str>, name_of: impl FnOnce(u32) -> Option<String>) -> Error {
    let place = if fault.func == INIT_FUNC_ID {
        match input {
            Some(file) => format!("top-level code of {file}"),
            None => "top-level code".to_string(),
        }
    } else {
        name_of(fault.func).unwrap_or_else(|| format!("function #{}", fault.func))
    };
    if fault.kind == ErrKind::HostError as u32 {
        // The host's message, as it wrote it.
        return Error::Runtime(fault.detail.unwrap_or_default());
    }
    let detail = fault.detail.map(|d| format!(" {d:?}")).unwrap_or_default();
    match ErrKind::from_code(fault.kind) {
        Some(kind) => Error::Runtime(format!("{}{detail} in {place} at line {}", kind.words(), fault.line)),
        None => Error::Internal(format!("unknown runtime error code {} in {place}", fault.kind)),
    }
}
