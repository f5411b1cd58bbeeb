//! The source language front end, in pipeline order: `lexer` (text to
//! tokens), `parser` (tokens to `ast`), `check` (names and types, to the
//! `typed` tree), `lower` (typed tree to MIR); `types` maps the language's
//! types to MIR's and back.
//!
//! Architecture invariant: `lang` imports only `mir` (and the shared
//! `util` and `diag`), never `backend` or `runtime` (tests/architecture.rs).

mod ast;
mod check;
mod lexer;
mod lower;
mod parser;
mod token;
mod typed;
mod types;

pub use check::{EmptyEnv, Env};
pub use types::{Sig, Type};

use crate::diag::Diagnostic;
use crate::mir;

/// Why a source unit did not become MIR.
#[derive(Debug)]
pub enum SourceError {
    /// The program is not valid: where and why.
    Invalid(Diagnostic),
    /// Lowering met a case the checker should have excluded: a bug.
    Internal(String),
}

/// Parses, checks and lowers a source unit; `env` is what it can see of
/// the manager it is compiled into.
pub fn to_mir(source: &str, env: &dyn Env) -> Result<mir::Module, SourceError> {
    let unit = parser::parse(source).map_err(SourceError::Invalid)?;
    let typed = check::check(&unit, env).map_err(SourceError::Invalid)?;
    lower::lower(&typed).map_err(|bug| SourceError::Internal(format!("lowering source to MIR: {bug}")))
}
