//! rtjit: a JIT execution library with a C ABI.
//!
//! The pipeline, one module per stage: [`lang`] (source text to typed MIR),
//! [`mir`] (the IR and its validation), [`codegen`] (MIR to native code with
//! Cranelift), [`runtime`] (execution managers, calls, globals) and [`ffi`]
//! (the C ABI: the only place with `extern "C"` exports, raw pointers and
//! handles). See ARCHITECTURE.md.

pub mod codegen;
pub mod error;
pub mod ffi;
pub mod lang;
pub mod mir;
pub mod runtime;
mod stack;

pub use error::{Error, Result};
pub use runtime::{Backend, Manager, Value};
