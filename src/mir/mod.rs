//! MIR: the typed, non-SSA intermediate representation both front ends
//! produce and codegen consumes. `data` holds the structures, `validate`
//! checks a module before codegen may see it, `inline` unrolls small
//! self-recursive functions (an optimisation at level 2 and above).

pub mod data;
pub mod inline;
pub mod text;
pub mod validate;

pub use data::*;
pub use validate::{FnRef, Invalid, Loc, MirEnv, MirError, NoEnv, validate};
