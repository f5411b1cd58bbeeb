//! The checkpoint JIT code calls once the epoch has reached its deadline
//! (see `runtime::limits`).

use crate::abi::ExecCtx;
use crate::runtime::limits::Budget;

/// Nonzero when the call must stop (the error is recorded in `ctx`);
/// otherwise the context has its next deadline, and the call has answered
/// any stack scan its manager asked for (`runtime::scan`).
///
/// # Safety
/// `ctx` is the live context of the running call, whose `budget` points to
/// that call's live `Budget`.
pub unsafe extern "C" fn checkpoint(ctx: *mut ExecCtx, func: u32, line: u32, stub_sp: usize) -> u32 {
    // SAFETY: forwarded from the caller (exec::run sets both up).
    let (ctx, budget) = unsafe { (&mut *ctx, &mut *((*ctx).budget as *mut Budget)) };
    match budget.check(func, line) {
        Ok(deadline) => {
            ctx.epoch_deadline = deadline;
            budget.long.answer_if_asked(stub_sp);
            0
        }
        Err(kind) => {
            ctx.err_kind = kind as u32;
            ctx.err_func = func;
            ctx.err_line = line;
            1
        }
    }
}
