//! The runtime functions JIT code calls by address (the `abi::Helpers`
//! table): arithmetic in `math`, texts in `text`, the checkpoint in
//! `limits`; and in `table`, what the function table holds for a function
//! whose unit was undone.
//!
//! Architecture invariant: these and the C exports of `ffi` are the only
//! `extern "C"` functions; every one that takes a pointer is `unsafe`, and
//! none panics, since a panic cannot unwind through JIT frames
//! (tests/architecture.rs).

mod limits;
mod math;
mod table;
pub mod text;

pub use table::undone_function_addr;

use std::sync::LazyLock;

use crate::abi::{Helpers, ManagedHelpers, TextHelpers};
use crate::runtime::limits::EPOCH;

/// `Table { field: path::field, ... }` with every function's address.
macro_rules! addresses {
    ($table:ident from $module:ident { $($field:ident),* $(,)? }) => {
        $table { $($field: $module::$field as *const () as usize),* }
    };
}

pub static HELPERS: LazyLock<Helpers> = LazyLock::new(|| Helpers {
    fpow: math::fpow as *const () as usize,
    fmod: math::fmod as *const () as usize,
    ipow: math::ipow as *const () as usize,
    memset: libc::memset as *const () as usize,
    epoch: &EPOCH as *const _ as usize,
    checkpoint: limits::checkpoint as *const () as usize,
    text_refs: addresses!(ManagedHelpers from text { retain, release, global_load, global_store }),
    text: addresses!(TextHelpers from text {
        concat, equal, compare, length, from_i64, from_f64, from_bool, parse_i64, parse_f64,
    }),
});
