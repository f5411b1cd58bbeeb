//! The runtime functions JIT code calls by address (the `abi::Helpers`
//! table): arithmetic in `math`, texts in `text`, the checkpoint in
//! `limits`; and in `table`, what the function table holds for a function
//! whose unit was undone.
//!
//! Architecture invariant: these and the C exports of `ffi` are the only
//! `extern "C"` functions; every one that takes a pointer is `unsafe`, and
//! none panics, since a panic cannot unwind through JIT frames
//! (tests/architecture.rs).

mod account;
pub mod array;
pub mod map;
pub mod map_ops;
pub mod record;
pub mod format;
mod host;
mod limits;
mod math;
mod table;
pub mod text;

pub use table::undone_function_addr;

use std::sync::LazyLock;

use crate::abi::{ArrayHelpers, Helpers, ManagedHelpers, MapHelpers, TextHelpers};

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
    checkpoint: limits::checkpoint as *const () as usize,
    extern_error: host::extern_error as *const () as usize,
    text_refs: addresses!(ManagedHelpers from text { retain, release, global_load, global_store }),
    text: addresses!(TextHelpers from text {
        concat, equal, compare, length, from_i64, from_f64, from_bool, parse_i64, parse_f64, from_c_string,
    }),
    array_refs: addresses!(ManagedHelpers from array { retain, release, global_load, global_store }),
    array: ArrayHelpers {
        array_new: array::array_new as *const () as usize,
        record_new: record::record_new as *const () as usize,
        record_unique: record::record_unique as *const () as usize,
        array_unique: array::array_unique as *const () as usize,
        array_push: array::array_push as *const () as usize,
        index_error: array::index_error as *const () as usize,
        array_slice: array::array_slice as *const () as usize,
        array_concat: array::array_concat as *const () as usize,
        array_repeat: array::array_repeat as *const () as usize,
        array_equal: array::array_equal as *const () as usize,
        obj_to_text: format::obj_to_text as *const () as usize,
        print: format::print as *const () as usize,
    },
    map: MapHelpers {
        map_new: map_ops::map_new as *const () as usize,
        map_unique: map_ops::map_unique as *const () as usize,
        map_get: map_ops::map_get as *const () as usize,
        map_has: map_ops::map_has as *const () as usize,
        map_set: map_ops::map_set as *const () as usize,
        map_take: map_ops::map_take as *const () as usize,
        map_del: map_ops::map_del as *const () as usize,
        map_list: map_ops::map_list as *const () as usize,
        map_slot: map_ops::map_slot as *const () as usize,
        map_find: map_ops::map_find as *const () as usize,
    },
});
