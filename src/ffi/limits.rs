//! Stopping and bounding what a manager runs (functions 31-35 of c-api.md).

use super::boundary::{ffi_guard, try_manager};
use super::types::*;

/// Stops every call running in the manager when this is called: calls from
/// the host (execute, call, eval), a unit's top-level code, and calls
/// nested in host callbacks each stop at their next function entry or loop
/// iteration and return RT_ERR_INTERRUPTED with `interrupted in f at line
/// N`; a unit whose top-level code is stopped is rolled back. A unit that
/// is compiling when this is called counts as running: its top-level code
/// stops at its first checkpoint. Calls that start after this returns run
/// normally, and a compile still waiting for its turn is not failed.
///
/// Never blocks; callable from any thread. It is not async-signal-safe (the
/// handle is looked up under a lock): a signal handler should wake a thread
/// that calls it, through a pipe or a semaphore, as examples-c/repl.c does
/// for Ctrl-C. Returns RT_OK (also when nothing was running) or
/// RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_interrupt(h: i64) -> i32 {
    ffi_guard!({
        try_manager!(h).interrupt();
        Ok(RT_OK)
    })
}

/// Lets each later outermost call (execute, call, eval, a unit's top-level
/// code; calls nested in its host callbacks share its time) run for
/// `microseconds`, then stops it as rt_exec_manager_interrupt does, with
/// `interrupted: time limit of N ms exceeded in f at line N`. The limit is
/// checked every millisecond. 0 removes the limit (the default). Compiling
/// does not count.
///
/// Returns RT_OK or RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_set_time_limit(h: i64, microseconds: u64) -> i32 {
    ffi_guard!({
        try_manager!(h).set_time_limit(microseconds);
        Ok(RT_OK)
    })
}

/// Lets each later outermost call take `steps` steps (a step: one function
/// entry or one loop iteration in JIT code; host functions take none;
/// nested calls share the budget), then stops it with RT_ERR_INTERRUPTED,
/// `interrupted: step limit of N exceeded in f at line N`. Deterministic:
/// the same program and limit stop at the same place at every optimisation
/// level. Code runs slower under a step limit, since every step is counted.
/// 0 removes the limit (the default).
///
/// Returns RT_OK or RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_set_step_limit(h: i64, steps: u64) -> i32 {
    ffi_guard!({
        try_manager!(h).set_step_limit(steps);
        Ok(RT_OK)
    })
}

/// Sets the most memory the values made by the manager's code (texts
/// today) may hold at once, in bytes. An allocation past it fails the call
/// with RT_ERR_RUNTIME, `out of memory: limit of N bytes in f at line N`;
/// without a limit, an allocation the system refuses is the same error
/// (`out of memory in f at line N`): no input aborts the host. 0 removes
/// the limit (the default). Values the manager holds already count. It
/// applies at once, to calls already running too (every allocation reads
/// it); lowering it below what values hold frees nothing and fails only
/// the allocations that follow.
///
/// Returns RT_OK or RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_set_memory_limit(h: i64, bytes: u64) -> i32 {
    ffi_guard!({
        try_manager!(h).set_memory_limit(bytes);
        Ok(RT_OK)
    })
}

/// Sets the most stack, in bytes, each later outermost call's JIT code may
/// use, counted from where the call starts; past it the call fails with
/// `stack overflow`, as recursion past the thread's stack does. 0 restores
/// the default (what the calling thread has left, less a reserve for
/// runtime and host functions); a limit larger than that is capped by it.
///
/// Returns RT_OK or RT_ERR_INVALID_HANDLE.
#[unsafe(no_mangle)]
pub extern "C" fn rt_exec_manager_set_stack_limit(h: i64, bytes: u64) -> i32 {
    ffi_guard!({
        try_manager!(h).set_stack_limit(bytes);
        Ok(RT_OK)
    })
}

/// Registers `[low, low + size)` as a stack that rtjit may run on besides
/// the threads' own stacks: a coroutine's (`makecontext`/`swapcontext`) or
/// one a VM switches to itself. A call, eval or unit that starts on a
/// registered stack takes its stack limit from these bounds, less a reserve
/// for runtime and host functions (a quarter of the stack, at most
/// 256 KiB), so runaway recursion there is a `stack overflow` error. Code
/// started on a thread's own stack needs no registration; code started on
/// a stack that is neither its thread's nor registered assumes 64 KiB below
/// where it starts. A compile needs 1 MiB of stack: on less it runs on a
/// thread of its own while the caller waits (top-level code still runs on
/// the caller's stack).
///
/// Register a stack before running rtjit code on it, and remove it (`size`
/// 0, the same `low`) before its memory is freed; a registration that
/// overlaps earlier ones replaces them. Process-wide; callable from any
/// thread. `low` is only compared with stack addresses, never read.
///
/// Returns RT_OK, or RT_ERR_INVALID_ARGUMENT for a NULL `low` with a
/// nonzero `size`, or a range past the end of the address space.
#[unsafe(no_mangle)]
pub extern "C" fn rt_register_stack(low: *const std::ffi::c_void, size: usize) -> i32 {
    ffi_guard!({
        crate::register_stack(low as usize, size)?;
        Ok(RT_OK)
    })
}
