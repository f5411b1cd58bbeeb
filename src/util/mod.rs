//! Small facts more than one stage needs: string escapes, names, the
//! thread's stack, lock handling, enums named in a text syntax, a
//! valgrind client request. This module imports nothing else from
//! the crate, so every stage may use it.

pub mod escape;
mod named_enum;
pub mod names;
pub mod stack;
pub mod sync;
pub mod valgrind;

pub(crate) use named_enum::named_enum;
