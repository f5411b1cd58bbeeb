//! rtjit: a JIT execution library with a C ABI.
//!
//! The pipeline, one module per stage, each importing only the stages
//! before it: `lang` (source text to MIR), `mir` (the IR, its validation,
//! passes and text form), `backend` (prepared MIR to native code, behind
//! one trait; Cranelift), `runtime` (execution managers: compile units,
//! calls, globals) and `ffi` (the C ABI: the only place with exports,
//! handles and status codes). `abi` is the contract between generated code
//! and the runtime; `util` and `diag` serve every stage. See
//! ARCHITECTURE.md.
//!
//! The modules are private: the Rust API is the list below (the C API is
//! `include/rtjit.h`).

// A function past 80 lines (clippy.toml) is a sign to split it by concept.
#![warn(clippy::too_many_lines)]

mod abi;
mod backend;
mod diag;
mod error;
mod ffi;
mod lang;
mod mir;
mod runtime;
mod util;

pub use backend::Backend;
pub use error::{Error, Result};
pub use mir::text::{Positions as MirPositions, parse as parse_mir, print as print_mir};
pub use mir::{Module as MirModule, ObjTy, Signature, Ty};
pub use runtime::{
    Element, MIR_INPUT, Manager, Object, PrintHandler, SOURCE_INPUT, Value, mir_from_source, raise_error,
    register_stack, to_json,
};
