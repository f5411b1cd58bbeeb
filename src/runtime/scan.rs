//! Stack scans: how replaced code is freed while a long call runs.
//!
//! Replaced code is freed once no call that might run it is still running
//! (`guard`). A call that started before a replacement and runs on for
//! hours (a game loop, a server's handler) would keep every later version
//! alive. So when code waits to be freed, the manager asks its running
//! calls to scan their own stacks: at its next checkpoint, a call reads
//! every word between the checkpoint and where the call started and reports
//! which of the waiting modules' code ranges a word falls in. Any frame of
//! JIT code on the stack has such a word — its return address (the frame
//! at the checkpoint itself too: the checkpoint is a call). A module no
//! report found, where every report is newer than the module's retirement,
//! is freed.
//!
//! Why that is enough: after a retirement nothing can newly enter retired
//! code. Calls reach functions through table cells that no longer point
//! there, and JIT code keeps no function address in a register across a
//! checkpoint (a call to the address follows its load from the cell with
//! no checkpoint between). So a call can be in a retired module only
//! through a frame that was on its stack when it scanned. The scan is
//! conservative: a word that only looks like an address into a module keeps
//! that module, which is safe.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use crate::util::{stack, sync, valgrind};

/// A module waiting to be freed: its code ranges, each `[start, end)` with
/// the module's key.
pub type Candidates = Vec<(usize, usize, u64)>;

#[derive(Default)]
pub struct Scans {
    /// The newest scan asked for; calls compare it with the last they
    /// answered at every checkpoint that takes the slow path.
    requested: AtomicU64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The code waiting to be freed as of scan `requested`, sorted.
    candidates: Arc<Candidates>,
    /// The latest report of each call that answered, by report id.
    reports: HashMap<u64, Report>,
    next_id: u64,
}

struct Report {
    /// The scan it answered.
    seq: u64,
    /// The keys of the modules it found words of.
    found: Vec<u64>,
}

impl Scans {
    /// Asks running calls to scan for `candidates` (every module waiting to
    /// be freed); returns the scan's number. The caller wakes the calls
    /// (moves the epoch) so that they reach a checkpoint's slow path.
    pub fn request(&self, mut candidates: Candidates) -> u64 {
        candidates.sort_unstable();
        let mut st = sync::lock(&self.state);
        st.candidates = Arc::new(candidates);
        self.requested.fetch_add(1, SeqCst) + 1
    }

    pub fn requested(&self) -> u64 {
        self.requested.load(SeqCst)
    }

    /// Scans this thread's stack from `from` (a frame below the caller's)
    /// up to `top` (the start of the call) and publishes the result as report `report` (a new one when
    /// `None`); returns the scan answered and the report's id. `None` when
    /// the stack cannot be scanned (the call started on another stack): the
    /// call then stays counted in its generation.
    pub fn answer(&self, report: Option<u64>, from: usize, top: usize) -> Option<(u64, u64)> {
        let (seq, candidates) = {
            let st = sync::lock(&self.state);
            (self.requested.load(SeqCst), Arc::clone(&st.candidates))
        };
        let found = scan_stack(from, top, &candidates)?;
        let mut st = sync::lock(&self.state);
        let id = report.unwrap_or_else(|| {
            st.next_id += 1;
            st.next_id
        });
        st.reports.insert(id, Report { seq, found });
        Some((seq, id))
    }

    /// The call of report `id` has returned.
    pub fn forget(&self, id: u64) {
        sync::lock(&self.state).reports.remove(&id);
    }

    /// For each module (key, and the scan asked for when it was retired):
    /// true when a call that answered may still run it, or has not answered
    /// a scan that far yet.
    pub fn needed(&self, modules: &[(u64, u64)]) -> Vec<bool> {
        let st = sync::lock(&self.state);
        modules.iter().map(|(key, seq)| st.reports.values().any(|r| r.seq < *seq || r.found.contains(key))).collect()
    }
}

/// The keys of the candidates that words on this thread's stack, from
/// `from` up to `top`, fall in; `None` unless both are on the current
/// frame's stack, above it, `from` below `top`.
fn scan_stack(from: usize, top: usize, candidates: &Candidates) -> Option<Vec<u64>> {
    if !(stack::here() <= from && from < top && stack::same_stack(from) && stack::same_stack(top)) {
        return None;
    }
    let mut found = Vec::new();
    if candidates.is_empty() {
        return Some(found);
    }
    let word = std::mem::size_of::<usize>();
    let mut addr = from.next_multiple_of(word);
    // The words are copied a chunk at a time into a buffer of this frame,
    // which memcheck is told holds defined values (`util::valgrind`): other
    // frames' padding is read on purpose, as numbers.
    let mut chunk = [0usize; 64];
    while addr + word <= top {
        let n = ((top - addr) / word).min(chunk.len());
        for (k, slot) in chunk[..n].iter_mut().enumerate() {
            // SAFETY: `[from, top)` is this thread's stack above the current
            // frame, up to one of its callers' (checked above), mapped and
            // readable; words of other frames are only read, as integers.
            *slot = unsafe { std::ptr::read_volatile((addr + k * word) as *const usize) };
        }
        valgrind::make_defined(chunk.as_ptr().cast(), n * word);
        for value in &chunk[..n] {
            let after = candidates.partition_point(|(start, _, _)| start <= value);
            if let Some((_, end, key)) = after.checked_sub(1).map(|i| candidates[i]) {
                if *value < end && !found.contains(&key) {
                    found.push(key);
                }
            }
        }
        addr += n * word;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn scan_from_callee(top: usize, candidates: &Candidates) -> Option<Vec<u64>> {
        scan_stack(stack::here(), top, candidates)
    }

    #[test]
    fn a_scan_finds_addresses_held_by_its_callers_frames() {
        let marker = [0usize; 4];
        let base = marker.as_ptr() as usize;
        let held = std::hint::black_box([base + 0x10_0000, 7]);
        let candidates = vec![(base + 0x10_0000, base + 0x10_0100, 1), (base + 0x20_0000, base + 0x20_0100, 2)];
        // From a callee's frame, up through this one. Candidate 2 may be
        // found too: this frame (in a debug build) holds the bounds the
        // candidates were built from, and a conservative scan keeps what
        // any word points into. The scan that must miss is below.
        let found = scan_from_callee(stack::here() + 4096, &candidates).expect("the scan ran");
        assert!(found.contains(&1), "{found:?}");
        std::hint::black_box(held);
    }

    #[test]
    fn a_module_is_needed_until_every_report_is_newer_and_misses_it() {
        let scans = Scans::default();
        let first = scans.request(vec![]);
        let here = stack::here() + 4096;
        let (seq, id) = scans.answer(None, stack::here(), here).unwrap();
        assert_eq!(seq, first);
        // A range no word on the test's stack falls in.
        let second = scans.request(vec![(0x7eed_0000_0000, 0x7eed_0000_0100, 9)]);
        assert_eq!(scans.needed(&[(9, second)]), vec![true], "the report predates the module");
        let (seq, again) = scans.answer(Some(id), stack::here(), here).unwrap();
        assert_eq!((seq, again), (second, id));
        assert_eq!(scans.needed(&[(9, second)]), vec![false]);
        scans.forget(id);
        assert_eq!(scans.needed(&[(9, second + 5)]), vec![false], "no calls, nothing needed");
    }
}
