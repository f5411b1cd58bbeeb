//! String escapes, shared by the source language and MIR text: one table
//! for both decoders and for the printer's encoder, so the two syntaxes
//! cannot drift apart.

use std::fmt::Write as _;

/// One-letter escapes and the characters they stand for.
const SIMPLE: [(char, char); 6] = [('n', '\n'), ('t', '\t'), ('r', '\r'), ('\\', '\\'), ('"', '"'), ('0', '\0')];

/// Most hex digits a `\u{...}` escape may have.
const MAX_HEX_DIGITS: usize = 6;

/// Why an escape could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EscapeError {
    /// The text ended (or the line did) right after the backslash.
    End,
    /// `\q`: no such escape.
    Unknown(char),
    /// `\u` not followed by `{`, 1 to 6 hex digits and `}`.
    MalformedUnicode,
    /// `\u{D800}`: the digits are not a Unicode scalar value.
    NotScalar(String),
}

impl EscapeError {
    /// The message both front ends report (`End` is reported by the caller
    /// as an unterminated literal).
    pub fn message(&self) -> String {
        match self {
            EscapeError::End => "unterminated text literal (expected a closing '\"')".to_string(),
            EscapeError::Unknown(c) => {
                let shown = if c.is_control() { format!("U+{:04X}", *c as u32) } else { c.to_string() };
                format!("unknown escape '\\{shown}' (expected one of \\n \\t \\r \\\\ \\\" \\0 \\u{{XXXX}})")
            }
            EscapeError::MalformedUnicode => {
                "invalid escape: \\u needs 1 to 6 hex digits in braces, as in \\u{e9}".to_string()
            }
            EscapeError::NotScalar(hex) => format!("invalid escape \\u{{{hex}}}: not a Unicode scalar value"),
        }
    }
}

/// Decodes one escape. `next` yields the characters after the backslash,
/// one at a time; it is called only as far as the escape reaches.
pub fn decode(mut next: impl FnMut() -> Option<char>) -> Result<char, EscapeError> {
    let c = match next() {
        None | Some('\n') => return Err(EscapeError::End),
        Some(c) => c,
    };
    if let Some((_, decoded)) = SIMPLE.iter().find(|(letter, _)| *letter == c) {
        return Ok(*decoded);
    }
    if c != 'u' {
        return Err(EscapeError::Unknown(c));
    }
    if next() != Some('{') {
        return Err(EscapeError::MalformedUnicode);
    }
    let mut hex = String::new();
    loop {
        match next() {
            Some('}') if !hex.is_empty() => break,
            Some(d) if d.is_ascii_hexdigit() && hex.len() < MAX_HEX_DIGITS => hex.push(d),
            _ => return Err(EscapeError::MalformedUnicode),
        }
    }
    let code = u32::from_str_radix(&hex, 16).map_err(|_| EscapeError::MalformedUnicode)?;
    char::from_u32(code).ok_or(EscapeError::NotScalar(hex))
}

/// `s` as a quoted literal that [`decode`] reads back: the one-letter
/// escapes where they apply, `\u{..}` for other control characters.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match SIMPLE.iter().find(|(_, decoded)| *decoded == c) {
            Some((letter, _)) => {
                out.push('\\');
                out.push(*letter);
            }
            None if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            None => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Result<char, EscapeError> {
        let mut it = s.chars();
        decode(|| it.next())
    }

    #[test]
    fn decodes_every_escape() {
        assert_eq!(dec("n"), Ok('\n'));
        assert_eq!(dec("\""), Ok('"'));
        assert_eq!(dec("u{48}"), Ok('H'));
        assert_eq!(dec("u{10FFFF}"), Ok('\u{10FFFF}'));
        assert_eq!(dec("q"), Err(EscapeError::Unknown('q')));
        assert_eq!(dec(""), Err(EscapeError::End));
        for bad in ["u0048", "u{}", "u{4G}", "u{1000000}", "u{48"] {
            assert_eq!(dec(bad), Err(EscapeError::MalformedUnicode), "{bad}");
        }
        assert_eq!(dec("u{D800}"), Err(EscapeError::NotScalar("D800".into())));
    }

    #[test]
    fn quote_reads_back() {
        let s = "tab\there \"q\" caf\u{e9} \\ end\n\u{7}\0";
        let quoted = quote(s);
        let mut chars = quoted[1..quoted.len() - 1].chars();
        let mut back = String::new();
        while let Some(c) = chars.next() {
            back.push(if c == '\\' { decode(|| chars.next()).unwrap() } else { c });
        }
        assert_eq!(back, s);
    }
}
