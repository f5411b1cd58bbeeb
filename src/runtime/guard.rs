//! Knowing when replaced code can no longer be running.
//!
//! Every call into a manager's code (from the host, or a unit's top-level
//! code) is counted while it runs. Counters come in two generations, as in
//! sleepable RCU: to free code that a redefinition made unreachable, the
//! manager flips the generation — calls starting after the flip can only
//! find the new code — and frees the old code once the previous
//! generation's counter has drained to zero. Nothing blocks: the manager
//! checks for drained generations whenever it compiles.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

#[derive(Default)]
pub struct CallGuard {
    generation: AtomicUsize,
    active: [AtomicUsize; 2],
}

/// A call in progress; it stops counting when dropped.
pub struct Running<'a> {
    guard: &'a CallGuard,
    index: usize,
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
                return Running { guard: self, index };
            }
            self.active[index].fetch_sub(1, SeqCst);
        }
    }

    /// Starts a new generation; returns the old one, whose calls must all
    /// finish before code retired before the flip may be freed.
    pub fn flip(&self) -> usize {
        self.generation.fetch_add(1, SeqCst) & 1
    }

    /// True when no call of generation `index` is running.
    pub fn drained(&self, index: usize) -> bool {
        self.active[index].load(SeqCst) == 0
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.guard.active[self.index].fetch_sub(1, SeqCst);
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
}
