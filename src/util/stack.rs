//! The bounds of the stack the current code runs on, and running work on a
//! stack of known size.
//!
//! JIT code checks its stack pointer against a limit derived from these
//! bounds (runaway recursion becomes an error, not a SIGSEGV), and the
//! recursive compiler passes check them before descending.
//!
//! The bounds are found per call from where the stack pointer is, because
//! a host may run code on stacks that are not its thread's (a VM's
//! coroutines, `makecontext`/`swapcontext`, its own stack switching):
//!
//! 1. inside the thread's own stack (from `pthread_getattr_np`, computed
//!    once per thread): that stack;
//! 2. inside a stack the host registered ([`register`], c-api 55): that one;
//! 3. anywhere else: an unknown stack, assumed to have [`UNKNOWN_SIZE`]
//!    bytes below the current frame, so code on it gets a `stack overflow`
//!    error early rather than running off its end.

use std::cell::Cell;
use std::sync::RwLock;

use super::sync;

/// Bytes kept free below the JIT code's limit, for the runtime helpers and
/// host functions JIT code calls, and for anything those call in turn.
pub(crate) const RESERVED: usize = 256 * 1024;

/// Usable stack assumed below the current frame on a stack whose bounds
/// are not known (not the thread's, not registered).
pub const UNKNOWN_SIZE: usize = 64 * 1024;

/// Stack a compile needs free to run on the calling thread (the front end's
/// deepest input and Cranelift's passes, with room to spare even in a debug
/// build: measured 0.1 MiB for the backend in release, 0.3 MiB in debug).
pub const COMPILE_NEEDS: usize = 1024 * 1024;

/// The stack of the thread a compile moves to when the caller's stack has
/// less than [`COMPILE_NEEDS`] left.
pub const COMPILE_THREAD_SIZE: usize = 16 * 1024 * 1024;

thread_local! {
    /// This thread's own stack: (lowest usable address, highest address);
    /// (0, 0) until computed, (1, 0) when it cannot be known.
    static THREAD_BOUNDS: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Stacks hosts registered, as (lowest, highest) address ranges that do not
/// overlap.
static REGISTERED: RwLock<Vec<(usize, usize)>> = RwLock::new(Vec::new());

#[inline(always)]
fn current_sp() -> usize {
    let marker = 0u8;
    std::ptr::addr_of!(marker) as usize
}

/// The bounds of the stack the current frame is on (see the module docs).
fn bounds() -> (usize, usize) {
    let sp = current_sp();
    if let Some((low, high)) = thread_bounds() {
        if low <= sp && sp <= high {
            return (low, high);
        }
    }
    registered_at(sp).unwrap_or((sp.saturating_sub(UNKNOWN_SIZE), sp))
}

/// This thread's own stack, when the system says.
fn thread_bounds() -> Option<(usize, usize)> {
    let cached = THREAD_BOUNDS.with(Cell::get);
    let known = if cached == (0, 0) {
        let computed = query_thread_bounds().unwrap_or((1, 0));
        THREAD_BOUNDS.with(|cell| cell.set(computed));
        computed
    } else {
        cached
    };
    (known.0 <= known.1).then_some(known)
}

fn registered_at(sp: usize) -> Option<(usize, usize)> {
    let stacks = sync::read(&REGISTERED);
    if stacks.is_empty() {
        return None;
    }
    stacks.iter().copied().find(|(low, high)| *low <= sp && sp <= *high)
}

/// Why [`register`] refused a stack.
#[derive(Debug, PartialEq, Eq)]
pub enum RegisterError {
    /// A NULL start with a size, or a range past the end of memory.
    InvalidRange,
}

/// Registers `[low, low + size)` as a stack code may run on; a size of 0
/// removes the registration that starts at `low` (none: nothing happens).
/// A new stack replaces registrations it overlaps (the memory of a freed
/// coroutine stack may be reused for another).
pub fn register(low: usize, size: usize) -> Result<(), RegisterError> {
    let mut stacks = sync::write(&REGISTERED);
    if size == 0 {
        stacks.retain(|(l, _)| *l != low);
        return Ok(());
    }
    let high = low.checked_add(size).filter(|_| low != 0).ok_or(RegisterError::InvalidRange)?;
    stacks.retain(|(l, h)| *h <= low || *l >= high);
    stacks.push((low, high));
    Ok(())
}

#[cfg(target_os = "linux")]
fn query_thread_bounds() -> Option<(usize, usize)> {
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
        let high = (addr as usize).checked_add(size)?;
        // A main thread with an unlimited stack rlimit reports a huge size;
        // never trust more than 1 GiB.
        let mut low = (addr as usize).max(high.saturating_sub(1 << 30));
        // Guard pages may sit inside the reported range; stay clear of them.
        low += (size / 16).min(64 * 1024);
        Some((low, high))
    }
}

#[cfg(not(target_os = "linux"))]
fn query_thread_bounds() -> Option<(usize, usize)> {
    None
}

/// The limit JIT code starting here compares its stack pointer against:
/// the low bound of this stack plus a reserve for helpers (a quarter of the
/// stack on small stacks).
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

/// The address of the current frame (about).
#[inline(always)]
pub fn here() -> usize {
    current_sp()
}

/// True when `addr` lies on the stack the current frame is on (within
/// bounds that are known, not assumed).
pub fn same_stack(addr: usize) -> bool {
    let sp = current_sp();
    let on = |(low, high): (usize, usize)| low <= sp && sp <= high && low <= addr && addr <= high;
    thread_bounds().is_some_and(on) || registered_at(sp).is_some_and(on)
}

/// Bytes of stack left below the current frame.
pub fn room() -> usize {
    current_sp().saturating_sub(bounds().0)
}

/// True when at least `bytes` of stack remain below the current frame.
pub fn has_room(bytes: usize) -> bool {
    room() >= bytes
}

/// True when a recursive compiler pass may descend one more level.
pub fn pass_may_descend() -> bool {
    has_room(PASS_STACK_RESERVE)
}

/// Runs `work` here when at least `needed` bytes of stack are left, else
/// on a new thread with a `size`-byte stack while this one waits; an error
/// when that thread cannot be started. A panic in `work` is resumed here.
pub fn with_room<T: Send>(needed: usize, size: usize, work: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    if has_room(needed) {
        return Ok(work());
    }
    std::thread::scope(|scope| {
        let thread =
            std::thread::Builder::new().name("rtjit-compile".into()).stack_size(size).spawn_scoped(scope, work)?;
        Ok(thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_stacks_replace_what_they_overlap() {
        let base = 0x7000_0000_0000usize;
        register(base, 0x1000).unwrap();
        register(base + 0x2000, 0x1000).unwrap();
        assert_eq!(registered_at(base + 0x800), Some((base, base + 0x1000)));
        register(base + 0x800, 0x1000).unwrap();
        assert_eq!(registered_at(base + 0x100), None, "the overlapped stack is gone");
        assert_eq!(registered_at(base + 0x2800), Some((base + 0x2000, base + 0x3000)));
        register(base + 0x800, 0).unwrap();
        register(base + 0x2000, 0).unwrap();
        assert_eq!(registered_at(base + 0x900), None);
        assert_eq!(register(0, 16), Err(RegisterError::InvalidRange));
        assert_eq!(register(usize::MAX - 8, 16), Err(RegisterError::InvalidRange));
    }

    #[test]
    fn a_small_stack_moves_the_work() {
        let moved = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let small = std::thread::current().id();
                with_room(COMPILE_NEEDS, COMPILE_THREAD_SIZE, move || std::thread::current().id() != small)
            })
            .unwrap()
            .join()
            .unwrap()
            .unwrap();
        assert!(moved);
        let here = std::thread::current().id();
        let stays = with_room(1024, COMPILE_THREAD_SIZE, move || std::thread::current().id() == here).unwrap();
        assert!(stays);
    }
}
