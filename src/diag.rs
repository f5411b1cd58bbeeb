//! A problem at a position of an input text: what the source front end,
//! the MIR text parser and a unit's install checks report, and the one
//! place that renders it as `input:line:col: message`.
//!
//! The input's name (`<source>`, `<mir>`, a file path) is not part of a
//! diagnostic: the stage that finds the problem does not know it; the
//! runtime, which does, renders the message once.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub pos: Pos,
    pub message: String,
}

impl Diagnostic {
    pub fn new(pos: Pos, message: impl Into<String>) -> Diagnostic {
        Diagnostic { pos, message: message.into() }
    }

    pub fn at(line: u32, col: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Pos::new(line, col), message)
    }

    /// `input:LINE:COL: message`
    pub fn render(&self, input: &str) -> String {
        format!("{input}:{}:{}: {}", self.pos.line, self.pos.col, self.message)
    }
}

/// `LINE:COL: message` (a caller that knows the input uses [`Diagnostic::render`]).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.pos.line, self.pos.col, self.message)
    }
}

impl std::error::Error for Diagnostic {}

pub type DiagResult<T> = Result<T, Diagnostic>;
