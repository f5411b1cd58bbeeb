//! The error type of the source-language front end (lexer, parser, checker).

use super::token::Pos;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LangErrorKind {
    /// The text is not a program of the language (lexer and parser).
    Syntax,
    /// The program is well formed but its names or types do not fit.
    Type,
}

/// A compile error at a position of one source text. The input's name
/// (`<source>` or a file path) is added when it is rendered, by the caller
/// that knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LangError {
    pub kind: LangErrorKind,
    pub pos: Pos,
    pub message: String,
}

impl LangError {
    pub fn syntax(pos: Pos, message: impl Into<String>) -> Self {
        LangError { kind: LangErrorKind::Syntax, pos, message: message.into() }
    }

    pub fn typ(pos: Pos, message: impl Into<String>) -> Self {
        LangError { kind: LangErrorKind::Type, pos, message: message.into() }
    }

    /// `<input>:LINE:COL: message`
    pub fn render(&self, input: &str) -> String {
        format!("{input}:{}:{}: {}", self.pos.line, self.pos.col, self.message)
    }
}

impl fmt::Display for LangError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("<source>"))
    }
}

impl std::error::Error for LangError {}

pub type LangResult<T> = Result<T, LangError>;
