//! The version line that starts MIR text.

use super::lex::{Tok, lex_line};
use super::line::Line;
use crate::diag::Diagnostic;

/// The MIR format version this library reads and writes.
pub(super) const VERSION: u32 = 1;

/// The first word of MIR text: a file whose first line is `mir <N>` holds
/// MIR, anything else is source.
pub(super) const MAGIC: &str = "mir";

/// True when `text` starts with the MIR version line (`mir <n>`).
pub fn is_mir_text(text: &str) -> bool {
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    let mut words = first.split_whitespace();
    words.next() == Some(MAGIC) && words.next().is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
}

/// `mir 1`, the first line.
pub(super) fn version_line(first: Option<(u32, &str)>) -> Result<(), Diagnostic> {
    let version_err = |line: u32| Diagnostic::at(line, 1, format!("expected the version line `mir {VERSION}` first"));
    let (n, first) = first.ok_or_else(|| version_err(1))?;
    let toks = lex_line(first, n)?;
    let mut l = Line::new(&toks, n, first);
    if !l.keyword(MAGIC) {
        return Err(version_err(n));
    }
    let version_col = l.col();
    let digits = matches!(l.peek(), Some(Tok::Int(_)))
        && first.split_whitespace().nth(1).is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()));
    let v = l.int("the MIR version number")?;
    if !digits {
        return Err(Diagnostic::at(n, version_col, "the version is a decimal number: `mir 1`"));
    }
    if v != VERSION as i128 {
        return Err(Diagnostic::at(
            n,
            version_col,
            format!("unsupported MIR version {v} (this rtjit reads version {VERSION})"),
        ));
    }
    l.end()
}
