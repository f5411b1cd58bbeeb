//! The checkpoint JIT code calls once the epoch has reached its deadline,
//! or at a function entry once its tripwire was tripped (see
//! `runtime::limits` and `runtime::tripwire`).

use crate::runtime::limits::Budget;
use crate::runtime::{exec, tripwire};
use std::sync::atomic::Ordering::SeqCst;

/// Nonzero when the call running on this thread must stop (the error is
/// recorded in its context); otherwise the context has its next deadline,
/// and the call has answered any stack scan its manager asked for
/// (`runtime::scan`). The checkpoint's site is in the context's
/// `cold_result`.
///
/// # Safety
/// JIT code of a call that `exec::run` runs on this thread calls it, from
/// the checkpoint stub: the thread's current context is that call's, and
/// its `budget` points to that call's live `Budget`.
pub unsafe extern "C" fn checkpoint(stub_sp: usize) -> u32 {
    let ctx = exec::current();
    if ctx.is_null() {
        // Only code `exec::run` runs reaches a checkpoint; should anything
        // else ever, it runs on rather than read through NULL.
        return 0;
    }
    // SAFETY: forwarded from the caller (exec::run sets both up). The
    // context is reached through the pointer, field by field: other threads
    // write its tripwire.
    let (word, budget) = unsafe { (&(*ctx).tripwire, &mut *((*ctx).budget as *mut Budget)) };
    // SAFETY: as above.
    let site = unsafe { (*ctx).cold_result };
    let (func, line) = ((site >> 32) as u32, site as u32);
    // Re-armed before the check, which then sees any stop a trip from now
    // on would announce (`runtime::tripwire`).
    // SAFETY: as above.
    tripwire::rearm(word, unsafe { (*ctx).stack_limit });
    match budget.check(func, line) {
        Ok(deadline) => {
            // SAFETY: as above.
            unsafe { (*ctx).epoch_deadline = deadline };
            if deadline == 0 {
                // Counting steps: every entry is a step.
                word.store(tripwire::TRIPPED, SeqCst);
            }
            budget.long.answer_if_asked(stub_sp);
            0
        }
        Err(kind) => {
            // SAFETY: as above.
            unsafe { ((*ctx).err_kind, (*ctx).err_func, (*ctx).err_line) = (kind as u32, func, line) };
            1
        }
    }
}
