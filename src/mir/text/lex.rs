//! MIR text lines to tokens.

use crate::diag::Diagnostic;
use crate::util::escape;
use crate::util::names::is_ident_start;

/// Words that are constants in operand position, so no local, parameter
/// or printed name may be one of them.
pub(super) fn is_constant_name(name: &str) -> bool {
    matches!(name, "true" | "false" | "inf" | "nan")
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Name(String),
    Int(i128),
    Float(f64),
    Str(String),
    Punct(char),
    Arrow,
}

impl Tok {
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Name(n) => format!("`{n}`"),
            Tok::Int(v) => format!("`{v}`"),
            Tok::Float(v) => format!("`{v}`"),
            Tok::Str(_) => "a text literal".into(),
            Tok::Punct(c) => format!("'{c}'"),
            Tok::Arrow => "'->'".into(),
        }
    }
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub tok: Tok,
    pub col: u32,
}

/// MIR names may also hold `.` and `$` (as compilers' generated names do).
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')
}

/// Splits one line into tokens; stops at a `;` comment.
pub(super) fn lex_line(text: &str, line: u32) -> Result<Vec<Token>, Diagnostic> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |col: usize, m: String| Diagnostic::at(line, col as u32 + 1, m);
    while i < chars.len() {
        let c = chars[i];
        let col = i as u32 + 1;
        if c == ';' {
            break;
        }
        let tok = if c.is_whitespace() {
            i += 1;
            continue;
        } else if is_ident_start(c) {
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            Tok::Name(chars[start..i].iter().collect())
        } else if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit() || *d == 'i'))
        {
            let start = i;
            i += 1;
            while i < chars.len()
                && (is_name_char(chars[i]) || (matches!(chars[i], '+' | '-') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            number(&word).ok_or_else(|| err(start, format!("invalid number `{word}`")))?
        } else if c == '"' {
            let (s, end) = text_literal(&chars, i).map_err(|(at, m)| err(at, m))?;
            i = end;
            Tok::Str(s)
        } else if c == '-' && chars.get(i + 1) == Some(&'>') {
            i += 2;
            Tok::Arrow
        } else if matches!(c, '(' | ')' | ',' | ':' | '=' | '@' | '{' | '}' | '[' | ']') {
            i += 1;
            Tok::Punct(c)
        } else {
            let shown = if c.is_control() { format!("U+{:04X}", c as u32) } else { format!("'{c}'") };
            return Err(err(i, format!("unexpected character {shown}")));
        };
        out.push(Token { tok, col });
    }
    Ok(out)
}

/// The text literal starting with the quote at `start`: its value and the
/// index after its closing quote, or the index and message of an error.
fn text_literal(chars: &[char], start: usize) -> Result<(String, usize), (usize, String)> {
    let mut i = start + 1;
    let mut s = String::new();
    loop {
        let Some(&ch) = chars.get(i) else {
            return Err((start, escape::EscapeError::End.message()));
        };
        i += 1;
        match ch {
            '"' => return Ok((s, i)),
            '\\' => {
                let backslash = i - 1;
                let mut next = || {
                    let c = chars.get(i).copied();
                    i += 1;
                    c
                };
                let c = escape::decode(&mut next).map_err(|e| match e {
                    escape::EscapeError::End => (start, e.message()),
                    other => (backslash, other.message()),
                })?;
                s.push(c);
            }
            other => s.push(other),
        }
    }
}

fn number(word: &str) -> Option<Tok> {
    let (neg, body) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let clean: String = body.chars().filter(|c| *c != '_').collect();
    let int = if let Some(hex) = clean.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()
    } else if let Some(bin) = clean.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()
    } else if clean.chars().all(|c| c.is_ascii_digit()) {
        clean.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(v) = int {
        return Some(Tok::Int(if neg { -v } else { v }));
    }
    if clean.chars().all(|c| c.is_ascii_digit()) || clean.starts_with("0x") || clean.starts_with("0b") {
        // Too large even for 128 bits.
        return None;
    }
    let f = match clean.as_str() {
        "inf" => f64::INFINITY,
        _ if clean.chars().any(|c| c.is_ascii_alphabetic() && !matches!(c, 'e' | 'E')) => return None,
        _ => clean.parse::<f64>().ok()?,
    };
    Some(Tok::Float(if neg { -f } else { f }))
}
