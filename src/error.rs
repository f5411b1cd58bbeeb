//! The library's error type. Each stage has its own error (`Diagnostic`
//! for positioned input errors, `mir::Invalid`, `backend::CodegenError`);
//! the runtime turns them into this, and the FFI layer turns this into a
//! status code and a last-error message, once.

use std::fmt;

use crate::diag::Diagnostic;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The handle is 0, was never issued, or was cleaned up.
    InvalidHandle,
    /// A NULL pointer, bad UTF-8, a value out of range.
    InvalidArgument(String),
    /// Syntax, type or MIR validation error, rendered with its position.
    Compile(String),
    /// No function (or global) of that name.
    NotFound(String),
    /// Wrong argument count or types for this call.
    Signature(String),
    /// An error raised while JIT code ran (division by zero, ...).
    Runtime(String),
    /// The call was stopped: the manager was interrupted, or a time or
    /// step limit was reached.
    Interrupted(String),
    /// Not available in this build (the LLVM backend).
    Unsupported(String),
    /// A file could not be read.
    Io(String),
    /// A bug in rtjit: an invariant did not hold or a panic was caught.
    Internal(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidHandle => f.write_str("invalid handle: 0, never issued, or already cleaned up"),
            Error::InvalidArgument(m)
            | Error::Compile(m)
            | Error::NotFound(m)
            | Error::Signature(m)
            | Error::Runtime(m)
            | Error::Interrupted(m)
            | Error::Unsupported(m)
            | Error::Io(m) => f.write_str(m),
            Error::Internal(m) => write!(f, "internal error (please report): {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// A compile error of the input named `input` (`<source>`, a path).
    pub fn compile(input: &str, d: &Diagnostic) -> Error {
        Error::Compile(d.render(input))
    }
}
