//! What the function table holds for a function whose unit was undone.
//!
//! Code of the undone unit may still be running on other threads (it was
//! reachable once the unit committed) and may call the function through
//! its table cell. The cell then holds this stand-in: it records an error
//! and returns zero, as any failing MIR function does, so the caller
//! returns in turn. One stand-in serves every signature: JIT functions take
//! the context first and return at most one value in a register, which the
//! caller ignores once the context records an error.

use crate::abi::{ErrKind, ExecCtx};

/// The id an error reports for a function that is gone.
pub const UNDONE_FUNC_ID: u32 = u32::MAX - 1;

/// # Safety
/// `ctx` is the running call's live context (JIT code passes it first).
unsafe extern "C" fn undone_function(ctx: *mut ExecCtx) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe {
        if (*ctx).err_kind == 0 {
            (*ctx).err_kind = ErrKind::Undone as u32;
            (*ctx).err_func = UNDONE_FUNC_ID;
            (*ctx).err_line = 0;
        }
    }
    0
}

/// The stand-in's address, for a table cell.
pub fn undone_function_addr() -> u64 {
    undone_function as *const () as u64
}
