//! Stopping and bounding what a manager runs (functions 31-35 of c-api.md).

use super::boundary::{ffi_guard, try_manager};
use super::types::*;

/// Stops every call running in the manager when this is called: calls from
/// the host (execute, call, eval), a unit's top-level code, and calls
/// nested in host callbacks each stop at their next function entry or loop
/// iteration and return RT_ERR_INTERRUPTED with `interrupted in f at line
/// N`; a unit whose top-level code is stopped is rolled back. Calls that
/// start after this returns run normally, and a compile waiting for its
/// turn is not failed.
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
/// the limit (the default). Values the manager holds already count.
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
