//! Compile units of one manager take turns: a unit holds its turn from
//! before it compiles until its top-level code has run and the unit is kept
//! or undone, so no other unit can build on what may still be undone. A
//! unit compiled by that same code (a host callback compiling into the
//! manager) nests inside the turn and shares its fate: if the outer unit
//! fails, the nested ones are undone too.

use std::sync::{Condvar, Mutex};

use super::undo::Finished;
use crate::util::sync;

#[derive(Default)]
pub struct UnitTurns {
    state: Mutex<TurnState>,
    free: Condvar,
}

#[derive(Default)]
struct TurnState {
    /// The owning thread, as [`thread_key`].
    owner: Option<usize>,
    /// One frame per unit of the owner in progress (innermost last): the
    /// nested units that finished inside it, whose fate it decides.
    frames: Vec<Vec<Finished>>,
}

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

impl UnitTurns {
    /// Waits for the turn, unless this thread holds it already (a nested
    /// unit).
    pub fn begin(&self) -> Turn<'_> {
        let me = thread_key();
        let mut st = sync::lock(&self.state);
        while st.owner.is_some_and(|o| o != me) {
            st = sync::wait(&self.free, st);
        }
        st.owner = Some(me);
        st.frames.push(Vec::new());
        Turn { turns: self }
    }
}

impl Turn<'_> {
    /// The nested units that finished inside this unit.
    pub fn take_nested(&self) -> Vec<Finished> {
        sync::lock(&self.turns.state).frames.last_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Hands finished units to the enclosing unit; gives them back if there
    /// is none.
    pub fn defer(&self, units: Vec<Finished>) -> Result<(), Vec<Finished>> {
        let mut st = sync::lock(&self.turns.state);
        let n = st.frames.len();
        if n < 2 {
            return Err(units);
        }
        st.frames[n - 2].extend(units);
        Ok(())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut st = sync::lock(&self.turns.state);
        st.frames.pop();
        if st.frames.is_empty() {
            st.owner = None;
            drop(st);
            self.turns.free.notify_one();
        }
    }
}
