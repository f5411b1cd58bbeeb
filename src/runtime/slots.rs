//! Stable 8-byte cells: the function table and the global variables.
//!
//! JIT code embeds the address of a cell as a constant, so a cell never
//! moves: cells are allocated in fixed-size chunks that live as long as
//! the manager, and a grown table only adds chunks.

use std::sync::atomic::{AtomicU64, Ordering};

const CHUNK: usize = 256;

#[derive(Default)]
// The boxes are the point: a chunk must not move when the Vec grows.
#[allow(clippy::vec_box)]
pub struct Slots {
    chunks: Vec<Box<[AtomicU64; CHUNK]>>,
    len: usize,
}

impl Slots {
    /// A new cell holding `init`.
    pub fn alloc(&mut self, init: u64) -> u32 {
        if self.len == self.chunks.len() * CHUNK {
            self.chunks.push(Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
        }
        let index = self.len;
        self.len += 1;
        self.cell(index as u32).store(init, Ordering::Release);
        index as u32
    }

    pub fn cell(&self, index: u32) -> &AtomicU64 {
        let i = index as usize;
        &self.chunks[i / CHUNK][i % CHUNK]
    }

    /// The cell's address, valid for as long as `self` lives.
    pub fn addr(&self, index: u32) -> usize {
        self.cell(index) as *const AtomicU64 as usize
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
