//! Stable 8-byte cells: the function table, the host table and the global
//! variables.
//!
//! JIT code embeds the address of a cell as a constant, so a cell never
//! moves: cells are allocated in fixed-size chunks that live as long as
//! the manager, and a grown table only adds chunks.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

const CHUNK: usize = 256;

/// An index into one [`Cells`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CellId(pub u32);

#[derive(Default)]
// The boxes are the point: a chunk must not move when the Vec grows.
#[allow(clippy::vec_box)]
pub struct Cells {
    chunks: Vec<Box<[AtomicU64; CHUNK]>>,
    len: usize,
}

impl Cells {
    /// A new cell holding `init`.
    pub fn alloc(&mut self, init: u64) -> CellId {
        if self.len == self.chunks.len() * CHUNK {
            self.chunks.push(Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
        }
        let id = CellId(self.len as u32);
        self.len += 1;
        self.get(id).store(init, Ordering::Release);
        id
    }

    pub fn get(&self, id: CellId) -> &AtomicU64 {
        let i = id.0 as usize;
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    /// A reference to the cell that outlives the borrow of `self`.
    pub fn cell_ref(&self, id: CellId) -> CellRef {
        CellRef(NonNull::from(self.get(id)))
    }
}

/// The address of a cell, kept where a borrow of its [`Cells`] cannot be
/// (the catalog, JIT code, undo logs). Valid while the cells live, which
/// is as long as the manager that owns them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellRef(NonNull<AtomicU64>);

// SAFETY: a CellRef is an address; the cell it names is an atomic, which
// any thread may access.
unsafe impl Send for CellRef {}
// SAFETY: as above.
unsafe impl Sync for CellRef {}

impl CellRef {
    /// The cell.
    ///
    /// # Safety
    /// The [`Cells`] this came from must still be alive (in practice: the
    /// manager that owns both must not have been dropped).
    pub unsafe fn get<'a>(self) -> &'a AtomicU64 {
        // SAFETY: forwarded from the caller; cells never move.
        unsafe { self.0.as_ref() }
    }

    /// The address JIT code embeds.
    pub fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }
}
