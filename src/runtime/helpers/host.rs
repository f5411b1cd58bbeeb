//! The error of an `extern val` read before the host bound it, or of a
//! NULL host struct passed in: JIT code checks, and calls this only to
//! record which name it was.

use super::account::fail_with;
use super::text::{RtText, text_str};
use crate::abi::{ErrKind, ExecCtx};

/// Records `kind` (`Unbound` or `NullHost`; anything else is recorded as
/// `Unbound`) with `name` as its detail; returns 0 (JIT code calls it
/// through the cold call stub, which passes a result on).
///
/// # Safety
/// `ctx` is the running call's live context; `name` is a live text.
pub unsafe extern "C" fn extern_error(ctx: *mut ExecCtx, kind: u64, name: *const RtText) -> u64 {
    let kind = if kind == ErrKind::NullHost as u64 { ErrKind::NullHost } else { ErrKind::Unbound };
    // SAFETY: forwarded from the caller.
    unsafe { fail_with(ctx, kind, text_str(name)) };
    0
}
