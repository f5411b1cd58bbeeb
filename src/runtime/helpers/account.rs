//! The running call's budget as the helpers that allocate see it: the
//! account a new object's bytes count in, and recording `out of memory`
//! (or another error) for the JIT code to report.

use super::text::OwnedText;
use crate::abi::{ErrKind, ExecCtx};
use crate::runtime::limits::{Account, Budget};

/// The budget of the running call (none outside one).
///
/// # Safety
/// `ctx` is NULL or the running call's live context.
pub unsafe fn budget<'a>(ctx: *mut ExecCtx) -> Option<&'a mut Budget<'a>> {
    // SAFETY: forwarded from the caller; the budget outlives the call.
    unsafe { ctx.as_ref().and_then(|c| (c.budget as *mut Budget).as_mut()) }
}

/// Records `kind` (the first error wins).
///
/// # Safety
/// As for [`budget`].
pub unsafe fn fail(ctx: *mut ExecCtx, kind: ErrKind) {
    // SAFETY: forwarded from the caller.
    if let Some(c) = unsafe { ctx.as_mut() } {
        if c.err_kind == 0 {
            c.err_kind = kind as u32;
        }
    }
}

/// Records `kind` with `detail`, the text its message shows after the
/// kind's words (the first error wins).
///
/// # Safety
/// As for [`budget`].
pub unsafe fn fail_with(ctx: *mut ExecCtx, kind: ErrKind, detail: &str) {
    // SAFETY: forwarded from the caller.
    let Some(c) = (unsafe { ctx.as_mut() }) else { return };
    if c.err_kind == 0 {
        c.err_kind = kind as u32;
        // The detail's reference goes to whoever runs the call.
        c.err_detail = OwnedText::new(detail).map_or(std::ptr::null_mut(), |t| t.into_raw() as *mut u8);
    }
}

/// Counts `bytes` against `account`; `OutOfMemory` in `ctx` (with the
/// limit, for the message) when refused.
///
/// # Safety
/// As for [`budget`]; `account` is NULL or live.
pub unsafe fn charge(ctx: *mut ExecCtx, account: *const Account, bytes: usize) -> Result<(), ()> {
    // SAFETY: forwarded from the caller.
    let Some(a) = (unsafe { account.as_ref() }) else { return Ok(()) };
    a.take(bytes).map_err(|limit| {
        // SAFETY: as above.
        unsafe {
            if let Some(b) = budget(ctx) {
                b.refused_by = limit;
            }
            fail(ctx, ErrKind::OutOfMemory);
        }
    })
}
