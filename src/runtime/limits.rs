//! Stopping and bounding what a manager runs: interruption, and the time,
//! step, memory and stack limits (c-api.md, 31-35).
//!
//! The model is wasmtime's epochs, with V8's stack guard as the check.
//! One process-wide counter, the epoch, moves when a manager is
//! interrupted and, once a millisecond, while a call with a time limit
//! runs; every move trips every context's tripwire (`tripwire`). A
//! checkpoint in JIT code (every function entry and loop back edge,
//! `mir::opt::checkpoints`) compares the stack pointer with the tripwire:
//! one load and a compare. Only after a trip does JIT code call
//! [`checkpoint`], which finds out whether this call must stop (its
//! manager was interrupted, its time is up) and re-arms the word. A call
//! with a step limit gets deadline 0 and keeps its word tripped, so every
//! checkpoint counts: slower, but exact, and the same at every
//! optimisation level.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::guard::LongCall;
use super::tripwire;
use crate::abi::ErrKind;
use crate::util::sync;

/// Registers `[low, low + size)` as a stack code may run on (a coroutine's),
/// so calls starting on it take their stack limit from its bounds; size 0
/// removes the registration starting at `low` (c-api 55).
pub fn register_stack(low: usize, size: usize) -> crate::error::Result<()> {
    crate::util::stack::register(low, size).map_err(|_| {
        crate::error::Error::InvalidArgument(format!(
            "cannot register a stack of {size} bytes at {low:#x}: NULL or past the end of memory"
        ))
    })
}

/// The process's epoch.
pub static EPOCH: AtomicU64 = AtomicU64::new(0);

/// How long a tick of the time-limit clock is.
const TICK: Duration = Duration::from_millis(1);

/// Where `print` writes: a host's handler, given each line without its
/// newline.
pub type PrintHandler = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// A manager's limits, as its host set them; its interrupt count; the
/// memory its values hold; and its print handler, the other per-manager
/// setting runtime helpers need during a call (they reach a manager only
/// through the call's budget, which points here).
#[derive(Default)]
pub struct Limits {
    /// Microseconds an outermost call may run (0: no limit).
    pub time_us: AtomicU64,
    /// Steps an outermost call may take (0: no limit).
    pub steps: AtomicU64,
    /// Bytes of stack an outermost call's JIT code may use (0: what the
    /// thread has, less the reserve).
    pub stack: AtomicU64,
    /// How often the manager has been interrupted.
    interrupts: AtomicU64,
    /// The memory the manager's values hold, and its limit.
    pub account: std::sync::Arc<Account>,
    /// `print`'s handler; stdout when `None`.
    pub print: std::sync::RwLock<Option<PrintHandler>>,
}

impl Limits {
    /// Stops every call running in the manager at its next checkpoint.
    /// Lock-free: two atomic additions and a store per thread's tripwire.
    pub fn interrupt(&self) {
        self.interrupts.fetch_add(1, SeqCst);
        EPOCH.fetch_add(1, SeqCst);
        tripwire::trip_all();
    }

    /// Makes every running call take its next checkpoint's slow path
    /// (where it answers stack scans) without stopping it.
    pub fn wake() {
        EPOCH.fetch_add(1, SeqCst);
        tripwire::trip_all();
    }

    /// The interrupt count now.
    pub fn mark(&self) -> InterruptMark {
        InterruptMark(self.interrupts.load(SeqCst))
    }

    /// Takes `bytes` from the memory limit; when that would pass it, takes
    /// nothing and gives the limit that refused (the host may change it
    /// meanwhile, and the message names this one).
    pub fn take_memory(&self, bytes: usize) -> Result<(), u64> {
        self.account.take(bytes)
    }
}

/// The bytes a manager's values hold, and its memory limit. Shared (an
/// `Arc`) by the manager and by every value its code made, so a value that
/// outlives the manager (an array the host keeps) still gives its bytes
/// back to a live counter.
#[derive(Default)]
pub struct Account {
    /// Bytes the values may hold at once (0: no limit).
    pub limit: AtomicU64,
    /// Bytes they hold now.
    pub used: AtomicUsize,
}

impl Account {
    /// Takes `bytes`; when that would pass the limit, takes nothing and
    /// gives the limit that refused.
    pub fn take(&self, bytes: usize) -> Result<(), u64> {
        let limit = self.limit.load(SeqCst);
        let before = self.used.fetch_add(bytes, SeqCst);
        if limit != 0 && before.saturating_add(bytes) as u64 > limit {
            self.used.fetch_sub(bytes, SeqCst);
            return Err(limit);
        }
        Ok(())
    }

    pub fn give(&self, bytes: usize) {
        self.used.fetch_sub(bytes, SeqCst);
    }

    /// A reference to the account for a value to keep in its header.
    pub fn share(this: &std::sync::Arc<Account>) -> *const Account {
        std::sync::Arc::into_raw(std::sync::Arc::clone(this))
    }

    /// Gives `bytes` back and drops the value's reference (NULL: a value
    /// counted nowhere).
    ///
    /// # Safety
    /// `account` is NULL or came from [`Account::share`], once.
    pub unsafe fn release(account: *const Account, bytes: usize) {
        if account.is_null() {
            return;
        }
        // SAFETY: forwarded from the caller: one reference, given up here.
        let a = unsafe { std::sync::Arc::from_raw(account) };
        a.give(bytes);
    }
}

/// The interrupt count at a moment: a call started with it stops at once
/// if the manager was interrupted since. A unit's top-level code starts
/// from when its compile got its turn, so an interrupt that arrives while
/// the unit compiles stops that code.
#[derive(Clone, Copy, Debug)]
pub struct InterruptMark(u64);

/// What one outermost call may still use, and its stack scans (they are
/// answered at the same checkpoints). Calls nested in it through host
/// callbacks into the same manager share it.
pub struct Budget<'a> {
    pub limits: &'a Limits,
    pub long: LongCall<'a>,
    interrupts_at_start: u64,
    /// When the time is up, and the limit for the message.
    time: Option<(Instant, u64)>,
    /// Steps left, and the limit for the message.
    steps: Option<(u64, u64)>,
    /// Why the call stopped, with the limit for the message.
    pub stopped: Option<(ErrKind, u64)>,
    /// Where it stopped: function id and line.
    pub stop_site: (u32, u32),
    /// The memory limit that last refused an allocation (0: none), for the
    /// `out of memory` message.
    pub refused_by: u64,
}

impl<'a> Budget<'a> {
    /// A budget for a call starting now; interrupts count from `since`, or
    /// from now.
    pub fn start(limits: &'a Limits, since: Option<InterruptMark>, long: LongCall<'a>) -> Budget<'a> {
        let time_us = limits.time_us.load(SeqCst);
        let steps = limits.steps.load(SeqCst);
        let time = (time_us > 0).then(|| {
            Ticker::start();
            (Instant::now() + Duration::from_micros(time_us), time_us)
        });
        Budget {
            limits,
            long,
            interrupts_at_start: since.unwrap_or_else(|| limits.mark()).0,
            time,
            steps: (steps > 0).then_some((steps, steps)),
            stopped: None,
            stop_site: (0, 0),
            refused_by: 0,
        }
    }

    /// The deadline a context starts with.
    /// A call interrupted before it started (its unit was compiling) stops
    /// at its first checkpoint.
    pub fn deadline(&self) -> u64 {
        let interrupted = self.limits.interrupts.load(SeqCst) != self.interrupts_at_start;
        if self.steps.is_some() || interrupted { 0 } else { EPOCH.load(SeqCst).saturating_add(1) }
    }

    /// A checkpoint of function `func` at `line` was reached: the next
    /// deadline, or why the call stops (also kept in `stopped`, for the
    /// message and for the outermost call, which stops too when a call
    /// nested in it through a host callback did).
    pub fn check(&mut self, func: u32, line: u32) -> Result<u64, ErrKind> {
        self.checked().map_err(|stop| {
            self.stopped = Some(stop);
            self.stop_site = (func, line);
            stop.0
        })
    }

    fn checked(&mut self) -> Result<u64, (ErrKind, u64)> {
        if let Some((left, limit)) = &mut self.steps {
            if *left == 0 {
                return Err((ErrKind::StepLimit, *limit));
            }
            *left -= 1;
        }
        if self.limits.interrupts.load(SeqCst) != self.interrupts_at_start {
            return Err((ErrKind::Interrupted, 0));
        }
        if let Some((deadline, limit)) = self.time {
            if Instant::now() >= deadline {
                return Err((ErrKind::TimeLimit, limit));
            }
        }
        Ok(self.deadline())
    }
}

impl Drop for Budget<'_> {
    fn drop(&mut self) {
        if self.time.is_some() {
            Ticker::stop();
        }
    }
}

/// The thread that advances the epoch once a tick while any call with a
/// time limit runs (and sleeps otherwise).
struct Ticker {
    timed_calls: Mutex<usize>,
    wake: Condvar,
}

static TICKER: OnceLock<Ticker> = OnceLock::new();

impl Ticker {
    fn start() {
        let ticker = TICKER.get_or_init(|| {
            let spawned = std::thread::Builder::new().name("rtjit-ticker".into()).spawn(Ticker::run);
            // Without the thread, time limits are still checked wherever the
            // epoch moves for another reason; spawning fails only when the
            // system is out of threads.
            drop(spawned);
            Ticker { timed_calls: Mutex::new(0), wake: Condvar::new() }
        });
        let mut n = sync::lock(&ticker.timed_calls);
        *n += 1;
        ticker.wake.notify_one();
    }

    fn stop() {
        if let Some(ticker) = TICKER.get() {
            let mut n = sync::lock(&ticker.timed_calls);
            *n = n.saturating_sub(1);
        }
    }

    fn run() {
        let ticker = loop {
            // The OnceLock is set just after the spawn returns.
            match TICKER.get() {
                Some(t) => break t,
                None => std::thread::sleep(TICK),
            }
        };
        loop {
            let mut n = sync::lock(&ticker.timed_calls);
            while *n == 0 {
                n = sync::wait(&ticker.wake, n);
            }
            drop(n);
            std::thread::sleep(TICK);
            Limits::wake();
        }
    }
}
