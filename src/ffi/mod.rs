//! The C ABI: the only module with `extern "C"` exports, raw pointers and
//! handles. Every export follows the pattern in [`boundary`]; the header
//! `include/rtjit.h` is generated from these files by cbindgen, in the
//! order of the modules below (which follows c-api.md).

// The exports take raw pointers from C, where `unsafe fn` means nothing;
// the contract for each pointer is in the function's header comment, and
// each dereference has its own SAFETY note (as in rustls-ffi).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

mod boundary;
mod handles;
mod last_error;
mod values;

mod types;
mod managers;
mod compile;
mod calls;
mod introspect;
mod errors;
mod hosts;
mod host_data;
mod limits;
mod objects;
