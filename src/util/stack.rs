//! The bounds of the current thread's stack.
//!
//! JIT code checks its stack pointer against a limit derived from these
//! bounds (runaway recursion becomes an error, not a SIGSEGV), and the
//! recursive compiler passes check them before descending.
//!
//! The bounds come from `pthread_getattr_np`, which for the main thread reads
//! `/proc/self/maps`; they are computed once per thread and cached.

use std::cell::Cell;

/// Bytes kept free below the JIT code's limit, for the runtime helpers and
/// host functions JIT code calls, and for anything those call in turn.
pub(crate) const RESERVED: usize = 256 * 1024;

/// Assumed usable stack below the current frame when the real bounds cannot
/// be read.
const FALLBACK_SIZE: usize = 512 * 1024;

thread_local! {
    /// (lowest usable address, highest address); (0, 0) until computed.
    static BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

#[inline(always)]
fn current_sp() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// Lowest usable and highest address of this thread's stack (it grows down).
fn bounds() -> (usize, usize) {
    BOUNDS.with(|cell| {
        let cached = cell.get();
        if cached.0 != 0 {
            return cached;
        }
        let computed = query_bounds().unwrap_or_else(|| {
            let sp = current_sp();
            (sp.saturating_sub(FALLBACK_SIZE), sp)
        });
        cell.set(computed);
        computed
    })
}

#[cfg(target_os = "linux")]
fn query_bounds() -> Option<(usize, usize)> {
    // SAFETY: `attr` is initialised by pthread_getattr_np before it is read and
    // destroyed exactly once; the out-pointers point to live locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 || addr.is_null() {
            return None;
        }
        let mut low = addr as usize;
        let high = low.saturating_add(size);
        let sp = current_sp();
        if sp < low || sp > high {
            return None;
        }
        // A main thread with an unlimited stack rlimit reports a huge size;
        // never trust more than 1 GiB below the current frame.
        low = low.max(sp.saturating_sub(1 << 30));
        // Guard pages may sit inside the reported range; stay clear of them.
        low += (size / 16).min(64 * 1024);
        Some((low, high))
    }
}

#[cfg(not(target_os = "linux"))]
fn query_bounds() -> Option<(usize, usize)> {
    None
}

/// The limit JIT code compares its stack pointer against: the low bound plus
/// a reserve for helpers (a quarter of the stack on very small stacks).
pub fn jit_limit() -> usize {
    let (low, high) = bounds();
    low + RESERVED.min((high - low) / 4)
}

/// Stack a recursive compiler pass (parser, checker) wants free before it
/// descends one more level: far more than one level's frames need, even in
/// a debug build, so a pass refuses input long before a small host thread's
/// stack (or a REPL's) could overflow.
pub const PASS_STACK_RESERVE: usize = 64 * 1024;

/// The address `bytes` below the current frame (for a stack limit a call
/// sets for itself).
pub fn below_here(bytes: usize) -> usize {
    current_sp().saturating_sub(bytes)
}

/// True when at least `bytes` of stack remain below the current frame.
pub fn has_room(bytes: usize) -> bool {
    current_sp().saturating_sub(bounds().0) >= bytes
}

/// True when a recursive compiler pass may descend one more level.
pub fn pass_may_descend() -> bool {
    has_room(PASS_STACK_RESERVE)
}
