//! The source language front end, in pipeline order: `lexer` (text to
//! tokens), `parser` (tokens to `ast`), `check` (names and types, to the
//! `typed` tree), `lower` (typed tree to MIR).

pub mod ast;
pub mod check;
pub mod error;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod token;
pub mod typed;

pub use check::{EmptyEnv, Env, check, suggest};
pub use error::{LangError, LangErrorKind, LangResult};
pub use lower::lower;
pub use parser::parse;
pub use typed::{Sig, Type};
