//! Tripwires: the word a function entry reads, which is both the running
//! call's stack limit and its interrupt flag (V8's stack guard).
//!
//! A function entry must check the stack and be a checkpoint, and in a
//! call-heavy function (fib) those checks are most of a call's cost. So
//! each call's context holds a word (`abi::ExecCtx::tripwire`) with its
//! stack limit; the entry compares the stack pointer with it and takes its
//! slow path below it. To stop or wake calls, the runtime *trips* every
//! context's word (sets it to [`TRIPPED`]), so the next entry of every call
//! takes the slow path, which checks the real limit, runs the checkpoint
//! and re-arms the word (`helpers::limits`).
//!
//! For a tripper to reach every context without a lock, and without
//! writing to one that is gone, contexts are never freed: they come from
//! chunks that live for the rest of the process, on one list the tripper
//! walks. A call takes a context from its thread's free list and gives it
//! back when it returns; a thread that ends gives its free contexts to the
//! next thread. Tripping an idle context is harmless (it is armed when next
//! used), and starting a call costs one atomic store.

use std::cell::RefCell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering::SeqCst};

use crate::abi::ExecCtx;
pub use crate::abi::TRIPPED;
use crate::util::sync;

/// Contexts a chunk holds: a thread rarely runs more calls at once (host
/// callbacks, coroutines).
const CHUNK: usize = 4;

struct Chunk {
    contexts: [std::cell::UnsafeCell<ExecCtx>; CHUNK],
    next: *const Chunk,
}

// SAFETY: a context is used by one call at a time (it is on no free list
// meanwhile); other threads only touch its `tripwire`, an atomic, through
// a raw pointer. `next` is written once before the chunk is published.
unsafe impl Sync for Chunk {}

/// The newest chunk; each points to the one published before it.
static CHUNKS: AtomicPtr<Chunk> = AtomicPtr::new(std::ptr::null_mut());

/// Contexts of threads that have ended.
static ORPHANS: Mutex<Vec<Free>> = Mutex::new(Vec::new());

/// A context no call uses.
struct Free(*mut ExecCtx);

// SAFETY: a free context belongs to no call; whoever takes it owns it.
unsafe impl Send for Free {}

/// A thread's free contexts, given to [`ORPHANS`] when it ends.
struct FreeList(RefCell<Vec<Free>>);

impl Drop for FreeList {
    fn drop(&mut self) {
        let mine = std::mem::take(self.0.get_mut());
        sync::lock(&ORPHANS).extend(mine);
    }
}

thread_local! {
    static FREE: FreeList = const { FreeList(RefCell::new(Vec::new())) };
}

fn new_chunk() -> Vec<Free> {
    let chunk: &'static mut Chunk = Box::leak(Box::new(Chunk {
        contexts: std::array::from_fn(|_| std::cell::UnsafeCell::new(ExecCtx::default())),
        next: std::ptr::null(),
    }));
    let mut head = CHUNKS.load(SeqCst);
    loop {
        chunk.next = head;
        match CHUNKS.compare_exchange(head, chunk, SeqCst, SeqCst) {
            Ok(_) => break,
            Err(now) => head = now,
        }
    }
    chunk
        .contexts
        .iter()
        .map(|c| {
            let ctx = c.get();
            // SAFETY: a context of the chunk just leaked, which no one else
            // has yet; it stays at this address for the life of the process.
            unsafe { (*ctx).tripwire_at = &raw const (*ctx).tripwire };
            Free(ctx)
        })
        .collect()
}

fn take() -> *mut ExecCtx {
    let popped = FREE.try_with(|f| f.0.borrow_mut().pop()).ok().flatten();
    if let Some(Free(ctx)) = popped {
        return ctx;
    }
    let mut more = {
        let mut orphans = sync::lock(&ORPHANS);
        let n = orphans.len().saturating_sub(CHUNK);
        orphans.split_off(n)
    };
    if more.is_empty() {
        more = new_chunk();
    }
    let ctx = more.pop().map_or(std::ptr::null_mut(), |f| f.0);
    let kept = FREE.try_with(|f| f.0.borrow_mut().append(&mut more));
    if kept.is_err() {
        // The thread is ending; the rest go back for other threads.
        sync::lock(&ORPHANS).append(&mut more);
    }
    ctx
}

/// The context of one call, from the pool; it goes back when dropped.
pub struct Context(*mut ExecCtx);

impl Context {
    /// A context for a call with stack limit `stack_limit`, with its word
    /// armed, otherwise as `ExecCtx::default()`. Before the caller looks at
    /// what a trip would have told it (the interrupt count, the epoch): a
    /// trip from then on is not lost.
    pub fn take(stack_limit: usize) -> Context {
        let ctx = take();
        // SAFETY: a context taken from the pool belongs to this call alone.
        // Its fields are written through the pointer, one by one, as no
        // reference to the whole may exist while trippers write the word.
        unsafe {
            ((*ctx).err_kind, (*ctx).err_func, (*ctx).err_line, (*ctx).reserved) = (0, 0, 0, 0);
            (*ctx).err_detail = std::ptr::null_mut();
            (*ctx).epoch_deadline = u64::MAX;
            (*ctx).budget = std::ptr::null_mut();
            (*ctx).stack_limit = stack_limit;
            (*ctx).tripwire.swap(stack_limit, SeqCst);
        }
        Context(ctx)
    }

    pub fn as_ptr(&self) -> *mut ExecCtx {
        self.0
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        let ctx = self.0;
        if FREE.try_with(|f| f.0.borrow_mut().push(Free(ctx))).is_err() {
            sync::lock(&ORPHANS).push(Free(ctx));
        }
    }
}

/// Arms `word` with `limit` again (at a checkpoint's slow path), before the
/// caller looks at the interrupt count and the epoch.
pub fn rearm(word: &AtomicUsize, limit: usize) {
    word.swap(limit, SeqCst);
}

/// Trips every context's word: the next function entry of every call takes
/// the slow path. Lock-free; callable from any thread.
pub fn trip_all() {
    let mut chunk = CHUNKS.load(SeqCst);
    // SAFETY: chunks are leaked and never freed.
    while let Some(c) = unsafe { chunk.as_ref() } {
        for ctx in &c.contexts {
            // SAFETY: only the atomic word is touched, through a raw
            // pointer: the call using the context writes the rest.
            unsafe { (*std::ptr::addr_of!((*ctx.get()).tripwire)).store(TRIPPED, SeqCst) };
        }
        chunk = c.next as *mut Chunk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    fn word(c: &Context) -> usize {
        // SAFETY: the context is live; only its atomic is read.
        unsafe { (*c.as_ptr()).tripwire.load(SeqCst) }
    }

    #[test]
    fn a_trip_reaches_the_contexts_of_every_thread_and_a_new_call_is_armed() {
        let here = Context::take(100);
        assert_eq!(word(&here), 100);
        let (tx, rx) = std::sync::mpsc::channel();
        let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
        let other = std::thread::spawn(move || {
            let there = Context::take(200);
            tx.send(()).unwrap();
            go_rx.recv().unwrap();
            word(&there)
        });
        rx.recv().unwrap();
        trip_all();
        assert_eq!(word(&here), TRIPPED);
        go_tx.send(()).unwrap();
        assert_eq!(other.join().unwrap(), TRIPPED);
        drop(here);
        assert_eq!(word(&Context::take(300)), 300, "a context is armed again when taken");
    }

    #[test]
    fn contexts_are_reused_by_calls_and_by_threads_run_in_turn() {
        let before = chunks();
        for _ in 0..1000 {
            let a = Context::take(1);
            let b = Context::take(2);
            assert_ne!(a.as_ptr(), b.as_ptr());
        }
        for _ in 0..50 {
            std::thread::spawn(|| drop(Context::take(1))).join().unwrap();
        }
        // Other tests' threads may hold a few chunks meanwhile.
        assert!(chunks() - before <= 12, "{} new chunks", chunks() - before);
    }

    #[test]
    fn calls_start_and_end_safely_while_trippers_run() {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let trippers: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(SeqCst) {
                        trip_all();
                    }
                })
            })
            .collect();
        for i in 1..100_000usize {
            let c = Context::take(i);
            assert!(matches!(word(&c), v if v == i || v == TRIPPED));
        }
        stop.store(true, SeqCst);
        trippers.into_iter().for_each(|t| t.join().unwrap());
    }

    fn chunks() -> usize {
        let mut n = 0;
        let mut chunk = CHUNKS.load(SeqCst);
        // SAFETY: as in `trip_all`.
        while let Some(c) = unsafe { chunk.as_ref() } {
            n += 1;
            chunk = c.next as *mut Chunk;
        }
        n
    }
}
