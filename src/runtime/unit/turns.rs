//! Compile units of one manager take turns: a unit holds its turn from
//! before it compiles until its top-level code has run and the unit is kept
//! or undone, so no other unit can build on what may still be undone. A
//! unit compiled by that same code (a host callback compiling into the
//! manager) nests inside the turn and shares its fate: if the outer unit
//! fails, the nested ones are undone too.
//!
//! Who holds and who waits for which manager's turn is kept in one
//! process-wide table, so a wait that would close a cycle (top-level code
//! on two threads, each compiling into the other's manager through a host
//! function) is refused with an error instead of waiting forever.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};

use super::undo::Finished;
use crate::error::{Error, Result};
use crate::util::sync;

#[derive(Default)]
pub struct UnitTurns {
    /// One frame per unit of the owner in progress (innermost last): the
    /// nested units that finished inside it, whose fate it decides. Only
    /// the owner touches it.
    frames: Mutex<Vec<Vec<Finished>>>,
    /// Signalled when the turn is given back; waited on with [`HOLDERS`].
    free: Condvar,
}

/// Turns held and awaited, by every manager of the process.
#[derive(Default)]
struct Holders {
    /// The thread (as [`thread_key`]) holding each manager's turn (by the
    /// address of its `UnitTurns`).
    owner: HashMap<usize, usize>,
    /// The turn each waiting thread waits for.
    waits_for: HashMap<usize, usize>,
}

static HOLDERS: Mutex<Option<Holders>> = Mutex::new(None);

/// This thread's turn to compile a unit; ends when dropped.
pub struct Turn<'a> {
    turns: &'a UnitTurns,
}

/// A number that tells the running threads apart: the address of a
/// thread-local. (`std::thread::current()` would allocate a handle that
/// leak checkers report.)
fn thread_key() -> usize {
    thread_local! {
        static KEY: u8 = const { 0 };
    }
    KEY.with(|k| k as *const u8 as usize)
}

impl Holders {
    /// True when `thread` waits, directly or through the threads it waits
    /// for, for a turn that `me` holds.
    fn waits_on(&self, mut thread: usize, me: usize) -> bool {
        // Each thread waits for at most one turn, so the chain is a path;
        // it has at most one step per waiting thread.
        for _ in 0..=self.waits_for.len() {
            let Some(owner) = self.waits_for.get(&thread).and_then(|t| self.owner.get(t)) else {
                return false;
            };
            if *owner == me {
                return true;
            }
            thread = *owner;
        }
        false
    }
}

impl UnitTurns {
    fn key(&self) -> usize {
        self as *const UnitTurns as usize
    }

    /// Waits for the turn, unless this thread holds it already (a nested
    /// unit). Refuses when the holder waits, directly or not, for a turn
    /// this thread holds: neither could ever go on.
    pub fn begin(&self) -> Result<Turn<'_>> {
        let (me, key) = (thread_key(), self.key());
        let mut guard = sync::lock(&HOLDERS);
        loop {
            let holders = guard.get_or_insert_with(Holders::default);
            match holders.owner.get(&key) {
                None => {
                    holders.owner.insert(key, me);
                    break;
                }
                Some(owner) if *owner == me => break,
                Some(owner) if holders.waits_on(*owner, me) => {
                    return Err(Error::Runtime(DEADLOCK.into()));
                }
                Some(_) => {
                    holders.waits_for.insert(me, key);
                    guard = sync::wait(&self.free, guard);
                    if let Some(holders) = guard.as_mut() {
                        holders.waits_for.remove(&me);
                    }
                }
            }
        }
        drop(guard);
        sync::lock(&self.frames).push(Vec::new());
        Ok(Turn { turns: self })
    }
}

const DEADLOCK: &str = "cannot compile into this manager: its turn is held by a unit whose thread waits, \
                        directly or through other threads, for a turn this thread holds (top-level code \
                        on two threads compiling into each other's managers); waiting would never end";

impl Turn<'_> {
    /// The nested units that finished inside this unit.
    pub fn take_nested(&self) -> Vec<Finished> {
        sync::lock(&self.turns.frames).last_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Hands finished units to the enclosing unit; gives them back if there
    /// is none.
    pub fn defer(&self, units: Vec<Finished>) -> std::result::Result<(), Vec<Finished>> {
        let mut frames = sync::lock(&self.turns.frames);
        let n = frames.len();
        if n < 2 {
            return Err(units);
        }
        frames[n - 2].extend(units);
        Ok(())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut frames = sync::lock(&self.turns.frames);
        frames.pop();
        if frames.is_empty() {
            drop(frames);
            if let Some(holders) = sync::lock(&HOLDERS).as_mut() {
                holders.owner.remove(&self.turns.key());
            }
            self.turns.free.notify_one();
        }
    }
}
