//! Running JIT code: one execution context per call, and the translation
//! of a recorded error into a message.

use super::guard::{Link, LongCall, Running};
use super::helpers::text::{OwnedText, RtText};
use super::limits::{Budget, InterruptMark, Limits};
use super::tripwire::{Context, TRIPPED};
use crate::abi::{ErrKind, ExecCtx, INIT_FUNC_ID, Trampoline};
use crate::error::Error;
use crate::util::stack;
use std::sync::atomic::Ordering::SeqCst;

/// What JIT code recorded when it stopped with an error.
#[derive(Clone, Debug)]
pub struct Fault {
    pub kind: u32,
    pub func: u32,
    pub line: u32,
    /// The text that was not a number, for `invalid number`.
    pub detail: Option<String>,
    /// The limit the call ran into, for its message.
    pub limit: Option<u64>,
}

thread_local! {
    /// The context of the innermost call running on this thread, for
    /// `rt_raise_error` from a host function and for checkpoints.
    static CURRENT: std::cell::Cell<*mut ExecCtx> = const { std::cell::Cell::new(std::ptr::null_mut()) };
}

/// The context of the innermost call running on this thread (NULL when
/// none is): JIT code's checkpoint finds its call's context here.
pub fn current() -> *mut ExecCtx {
    CURRENT.with(|c| c.get())
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
            (*ctx).err_detail = OwnedText::new(message).map_or(std::ptr::null_mut(), OwnedText::into_raw) as *mut u8;
        }
    }
    true
}

/// Calls `entry` with arguments in 8-byte words, under `limits` (the
/// manager's), counting interrupts from `since` (or from now); returns the
/// result word. A call made while another call of
/// the same manager runs on this thread (from a host callback) shares that
/// call's budget.
///
/// # Safety
/// `entry` must be a live trampoline whose function takes `args.len()`
/// parameters, and its code must stay alive for the whole call.
pub unsafe fn run(
    entry: Trampoline,
    args: &[u64],
    running: &Running<'_>,
    limits: &Limits,
    since: Option<InterruptMark>,
) -> Result<u64, Fault> {
    let outer = CURRENT.with(|c| c.get());
    // SAFETY: CURRENT is NULL or the live context of a call running on this
    // thread, whose budget is live while it runs.
    let shared = unsafe { outer.as_ref() }
        .map(|o| o.budget as *mut Budget)
        .filter(|b| !b.is_null() && std::ptr::eq(unsafe { (**b).limits }, limits));
    let mut own = None;
    let budget: *mut Budget = match shared {
        Some(b) => b,
        None => own.insert(Budget::start(limits, since, LongCall::new(running.guard(), stack::here()))),
    };
    let mut link = Link::unlinked();
    // SAFETY: as below; `link` lives on this frame until `leave`.
    unsafe { (*budget).long.enter(running, &mut link) };
    // Armed before the deadline is read, which then sees any stop a trip
    // from now on would announce.
    let context = Context::take(stack_limit(limits));
    let ctx_ptr = context.as_ptr();
    // SAFETY: the context is this call's; `budget` is `own` or the outer
    // call's, both live until we return. The context's fields are reached
    // through the pointer (other threads write its tripwire).
    unsafe {
        (*ctx_ptr).budget = budget as *mut u8;
        (*ctx_ptr).epoch_deadline = (*budget).deadline();
        if (*ctx_ptr).epoch_deadline == 0 {
            // Stopped before it started, or counting steps: every entry checks.
            (*ctx_ptr).tripwire.store(TRIPPED, SeqCst);
        }
    }
    let mut result = 0u64;
    CURRENT.with(|c| c.set(ctx_ptr));
    // SAFETY: forwarded from the caller; the context, `args` and `result`
    // outlive the call.
    unsafe { entry(ctx_ptr, args.as_ptr(), &mut result) };
    CURRENT.with(|c| c.set(outer));
    // SAFETY: as above.
    unsafe { (*budget).long.leave(&link) };
    // SAFETY: as above.
    let (stopped, site) = unsafe { ((*budget).stopped, (*budget).stop_site) };
    // SAFETY: as above; the call has returned.
    unsafe {
        if (*ctx_ptr).err_kind == 0 && own.is_some() {
            // A call nested in this one (through a host callback) was stopped,
            // and this one returned before its next checkpoint: it stops too.
            if let Some((kind, _)) = stopped {
                ((*ctx_ptr).err_kind, (*ctx_ptr).err_func, (*ctx_ptr).err_line) = (kind as u32, site.0, site.1);
            }
        }
    }
    // SAFETY: as above; a shared reference allows the word's writers.
    let ctx = unsafe { &*ctx_ptr };
    if ctx.err_kind != 0 {
        // SAFETY: as above.
        let refused_by = unsafe { std::mem::take(&mut (*budget).refused_by) };
        return Err(fault(ctx, stopped.map(|(_, limit)| limit), refused_by));
    }
    Ok(result)
}

/// The stack limit of a call starting here: what the thread has left, less
/// the reserve, or less when the manager's stack limit is smaller.
fn stack_limit(limits: &Limits) -> usize {
    let thread = crate::util::stack::jit_limit();
    match limits.stack.load(std::sync::atomic::Ordering::Relaxed) {
        0 => thread,
        bytes => crate::util::stack::below_here(bytes as usize).max(thread),
    }
}

/// What the context recorded, with the limit the call ran into.
/// `refused_by` is the memory limit that refused an allocation (0: the
/// system did).
fn fault(ctx: &ExecCtx, limit: Option<u64>, refused_by: u64) -> Fault {
    // These kinds always carry a text (NULL is the empty text).
    let has_detail = [
        ErrKind::InvalidNumber,
        ErrKind::HostError,
        ErrKind::IndexOutOfRange,
        ErrKind::KeyNotFound,
        ErrKind::Unbound,
        ErrKind::NullHost,
    ]
    .iter()
    .any(|k| ctx.err_kind == *k as u32);
    // SAFETY: the helper stored a text reference it handed to us.
    let detail = has_detail.then(|| unsafe { OwnedText::from_raw(ctx.err_detail as *mut RtText) });
    let limit = match ErrKind::from_code(ctx.err_kind) {
        Some(ErrKind::OutOfMemory) => Some(refused_by).filter(|m| *m > 0),
        _ => limit,
    };
    Fault {
        kind: ctx.err_kind,
        func: ctx.err_func,
        line: ctx.err_line,
        detail: detail.map(|t| t.as_str().to_string()),
        limit,
    }
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
    let at = format!("in {place} at line {}", fault.line);
    let Some(kind) = ErrKind::from_code(fault.kind) else {
        return Error::Internal(format!("unknown runtime error code {} {at}", fault.kind));
    };
    match (kind, fault.limit) {
        // The host's message, as it wrote it.
        (ErrKind::HostError, _) => Error::Runtime(fault.detail.unwrap_or_default()),
        (ErrKind::Interrupted, _) => Error::Interrupted(format!("interrupted {at}")),
        (ErrKind::TimeLimit, Some(us)) => {
            Error::Interrupted(format!("interrupted: time limit of {} ms exceeded {at}", us as f64 / 1000.0))
        }
        (ErrKind::StepLimit, Some(n)) => Error::Interrupted(format!("interrupted: step limit of {n} exceeded {at}")),
        (ErrKind::OutOfMemory, Some(bytes)) => Error::Runtime(format!("out of memory: limit of {bytes} bytes {at}")),
        (ErrKind::Undone, _) => Error::Runtime(kind.words().to_string()),
        (ErrKind::Unbound | ErrKind::NullHost, _) => {
            Error::Runtime(format!("{} {} {at}", kind.words(), fault.detail.unwrap_or_default()))
        }
        (ErrKind::IndexOutOfRange | ErrKind::KeyNotFound, _) => {
            Error::Runtime(format!("{}: {} {at}", kind.words(), fault.detail.unwrap_or_default()))
        }
        _ => {
            let detail = fault.detail.map(|d| format!(" {d:?}")).unwrap_or_default();
            Error::Runtime(format!("{}{detail} {at}", kind.words()))
        }
    }
}
