//! Knowing when replaced code can no longer be running.
//!
//! Every call into a manager's code (from the host, or a unit's top-level
//! code) is counted while it runs. Counters come in two generations, as in
//! sleepable RCU: to free code that a redefinition made unreachable, the
//! manager flips the generation — calls starting after the flip can only
//! find the new code — and frees the old code once the previous
//! generation's counter has drained to zero. Nothing blocks: the manager
//! checks for drained generations whenever it compiles.
//!
//! A call that runs long would keep its generation from draining, and so
//! every later version of replaced code alive. Such a call is asked to
//! scan its own stack at its next checkpoint (`scan`); once it has
//! reported what it found, it is *converted*: it leaves its generation's
//! count, and its report alone says which code it may still be running.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

use super::scan::Scans;

#[derive(Default)]
pub struct CallGuard {
    generation: AtomicUsize,
    active: [AtomicUsize; 2],
    /// The stack scans of calls that run while code waits to be freed.
    pub scans: Scans,
}

/// A call in progress; it stops counting when dropped.
pub struct Running<'a> {
    guard: &'a CallGuard,
    index: usize,
    /// Accounted by its stack scan's report instead of its generation.
    converted: Cell<bool>,
}

impl CallGuard {
    /// Counts a call that may now look up and run code.
    pub fn enter(&self) -> Running<'_> {
        loop {
            let index = self.generation.load(SeqCst) & 1;
            self.active[index].fetch_add(1, SeqCst);
            // A flip between the load and the increment would leave this
            // call counted in the old generation although it reads the new
            // code; count it again in the current one.
            if self.generation.load(SeqCst) & 1 == index {
                return Running { guard: self, index, converted: Cell::new(false) };
            }
            self.active[index].fetch_sub(1, SeqCst);
        }
    }

    /// Starts a new generation; returns the old one, whose calls must all
    /// finish before code retired before the flip may be freed.
    pub fn flip(&self) -> usize {
        self.generation.fetch_add(1, SeqCst) & 1
    }

    /// True when no call of generation `index` is running (converted calls
    /// aside).
    pub fn drained(&self, index: usize) -> bool {
        self.active[index].load(SeqCst) == 0
    }
}

impl Running<'_> {
    pub fn guard(&self) -> &CallGuard {
        self.guard
    }

    /// Stops counting the call in its generation. Only after its stack
    /// scan's report is published: from then on the report says what code
    /// it may run.
    pub fn convert(&self) {
        if !self.converted.replace(true) {
            self.guard.active[self.index].fetch_sub(1, SeqCst);
        }
    }
}

/// One of the calls of a [`LongCall`], on the call's stack.
pub struct Link<'a> {
    running: *const Running<'a>,
    outer: *const Link<'a>,
}

/// The stack scans of an outermost call and the calls nested in it through
/// host callbacks (which share its budget): one report for all of them,
/// made at a checkpoint of whichever runs JIT code at the time.
pub struct LongCall<'a> {
    guard: &'a CallGuard,
    /// An address on the stack above all of the calls' JIT frames.
    top: usize,
    /// The innermost of the calls.
    innermost: *const Link<'a>,
    answered: u64,
    report: Option<u64>,
}

impl<'a> LongCall<'a> {
    /// For an outermost call whose JIT code runs below `top`.
    pub fn new(guard: &'a CallGuard, top: usize) -> LongCall<'a> {
        LongCall { guard, top, innermost: std::ptr::null(), answered: guard.scans.requested(), report: None }
    }

    /// `running` (one of the calls) starts running its code; `link` lives
    /// on the stack until the matching [`LongCall::leave`].
    pub fn enter(&mut self, running: &Running<'a>, link: &mut Link<'a>) {
        *link = Link { running, outer: self.innermost };
        self.innermost = link;
    }

    /// The innermost call has returned.
    pub fn leave(&mut self, link: &Link<'a>) {
        self.innermost = link.outer;
    }

    /// At a checkpoint whose stub's frame is at `from`: if a scan was asked
    /// for since the last answer, scans the stack from there, publishes the
    /// report, and converts the calls.
    pub fn answer_if_asked(&mut self, from: usize) {
        if self.guard.scans.requested() == self.answered {
            return;
        }
        let Some((seq, id)) = self.guard.scans.answer(self.report, from, self.top) else { return };

        (self.answered, self.report) = (seq, Some(id));
        let mut link = self.innermost;
        // SAFETY: the links are the live calls of this group, innermost
        // first, each on the stack of a call that has not returned.
        while let Some(l) = unsafe { link.as_ref() } {
            // SAFETY: as above; a link's `running` outlives it.
            unsafe { (*l.running).convert() };
            link = l.outer;
        }
    }
}

impl Link<'_> {
    pub fn unlinked() -> Self {
        Link { running: std::ptr::null(), outer: std::ptr::null() }
    }
}

impl Drop for LongCall<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.report {
            self.guard.scans.forget(id);
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if !self.converted.get() {
            self.guard.active[self.index].fetch_sub(1, SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generation_drains_when_its_calls_end() {
        let g = CallGuard::default();
        let before = g.enter();
        let old = g.flip();
        assert!(!g.drained(old));
        let after = g.enter();
        assert_ne!(after.index, old);
        drop(before);
        assert!(g.drained(old));
        drop(after);
    }

    #[test]
    fn a_converted_call_leaves_its_generation_once() {
        let g = CallGuard::default();
        let long = g.enter();
        let other = g.enter();
        let old = g.flip();
        long.convert();
        long.convert();
        assert!(!g.drained(old), "the other call still counts");
        drop(other);
        assert!(g.drained(old));
        drop(long);
        assert!(g.drained(old), "a converted call does not count down again");
        assert_eq!(g.active[old].load(SeqCst), 0);
    }
}
