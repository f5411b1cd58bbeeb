//! Source text to tokens, with Python-style layout tokens.
//!
//! Indentation is turned into `Indent`/`Dedent` tokens here so the parser
//! sees a bracketed block structure. Inside parentheses line breaks and
//! indentation are ignored (implicit line joining), so long calls and
//! expressions may span lines.

use super::token::{Pos, Tok, Token};
use crate::diag::{DiagResult, Diagnostic};
use crate::util::escape::{self, EscapeError};
use crate::util::names::{is_ident_char, is_ident_start};

const UNTERMINATED: &str = "unterminated string literal (expected a closing '\"')";

pub fn lex(source: &str) -> DiagResult<Vec<Token>> {
    Lexer::new(source).run()
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u32,
    col: u32,
    indents: Vec<u32>,
    /// Where each open '(' is, innermost last.
    parens: Vec<(Pos, char)>,
    /// True when the next character starts a physical line outside parentheses.
    line_start: bool,
    tokens: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str) -> Self {
        // A byte-order mark, as some editors write, is not part of the text.
        let source = source.strip_prefix('\u{feff}').unwrap_or(source);
        Lexer {
            chars: source.chars().peekable(),
            line: 1,
            col: 1,
            indents: vec![0],
            parens: Vec::new(),
            line_start: true,
            tokens: Vec::new(),
        }
    }

    fn pos(&self) -> Pos {
        Pos { line: self.line, col: self.col }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.chars.clone();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn push(&mut self, tok: Tok, pos: Pos) {
        self.tokens.push(Token { tok, pos });
    }

    fn at_line_start(&self) -> bool {
        matches!(self.tokens.last().map(|t| &t.tok), None | Some(Tok::Newline | Tok::Indent | Tok::Dedent))
    }

    fn run(mut self) -> DiagResult<Vec<Token>> {
        loop {
            if self.line_start {
                self.line_start = false;
                if !self.layout()? {
                    break;
                }
            }
            let Some(c) = self.peek() else { break };
            let pos = self.pos();
            match c {
                ' ' | '\r' => {
                    self.bump();
                }
                '\t' => {
                    // Tabs between tokens are harmless; in indentation they
                    // are rejected by `layout`.
                    self.bump();
                }
                '#' => self.skip_comment(),
                '\n' => {
                    self.bump();
                    if self.parens.is_empty() {
                        if !self.at_line_start() {
                            self.push(Tok::Newline, pos);
                        }
                        self.line_start = true;
                    }
                }
                '"' => self.string()?,
                '0'..='9' => self.number()?,
                c if is_ident_start(c) => self.ident(),
                _ => self.punct()?,
            }
        }
        let end = self.pos();
        if let Some((open, c)) = self.parens.last() {
            let close = match c {
                '[' => ']',
                '{' => '}',
                _ => ')',
            };
            return Err(Diagnostic::new(*open, format!("this '{c}' is never closed (expected a matching '{close}')")));
        }
        if !self.at_line_start() {
            self.push(Tok::Newline, end);
        }
        while self.indents.len() > 1 {
            self.indents.pop();
            self.push(Tok::Dedent, end);
        }
        self.push(Tok::Eof, end);
        Ok(self.tokens)
    }

    /// Handles the indentation of a new line. Returns false at end of input.
    fn layout(&mut self) -> DiagResult<bool> {
        loop {
            let mut width = 0u32;
            let mut tab_at = None;
            while let Some(c) = self.peek() {
                match c {
                    ' ' => width += 1,
                    '\t' => {
                        tab_at.get_or_insert(self.pos());
                        width += 1;
                    }
                    '\r' => {}
                    _ => break,
                }
                self.bump();
            }
            match self.peek() {
                None => return Ok(false),
                Some('\n') => {
                    self.bump();
                    continue;
                }
                Some('#') => {
                    self.skip_comment();
                    continue;
                }
                Some(_) => {}
            }
            if let Some(pos) = tab_at {
                return Err(Diagnostic::new(
                    pos,
                    format!("tab in indentation at line {}; indent with spaces", pos.line),
                ));
            }
            let pos = self.pos();
            let current = *self.indents.last().unwrap_or(&0);
            if width > current {
                self.indents.push(width);
                self.push(Tok::Indent, pos);
            } else if width < current {
                while *self.indents.last().unwrap_or(&0) > width {
                    self.indents.pop();
                    self.push(Tok::Dedent, pos);
                }
                if *self.indents.last().unwrap_or(&0) != width {
                    return Err(Diagnostic::new(
                        pos,
                        format!(
                            "inconsistent indentation at line {}: this line dedents to a level no block opened",
                            pos.line
                        ),
                    ));
                }
            }
            return Ok(true);
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn ident(&mut self) {
        let pos = self.pos();
        let mut word = String::new();
        while let Some(c) = self.peek() {
            if !is_ident_char(c) {
                break;
            }
            word.push(c);
            self.bump();
        }
        let tok = Tok::keyword(&word).unwrap_or(Tok::Ident(word));
        self.push(tok, pos);
    }

    fn digits(&mut self, radix: u32, out: &mut String) {
        while let Some(c) = self.peek() {
            if c == '_' {
                self.bump();
            } else if c.is_digit(radix) {
                out.push(c);
                self.bump();
            } else {
                break;
            }
        }
    }

    fn number(&mut self) -> DiagResult<()> {
        let pos = self.pos();
        let mut text = String::new();
        if self.peek() == Some('0') && matches!(self.peek2(), Some('x' | 'X' | 'b' | 'B')) {
            self.bump();
            let radix = match self.bump() {
                Some('x' | 'X') => 16,
                _ => 2,
            };
            self.digits(radix, &mut text);
            if text.is_empty() {
                let what = if radix == 16 { "hexadecimal" } else { "binary" };
                return Err(Diagnostic::new(pos, format!("expected {what} digits after the prefix")));
            }
            self.no_ident_after(pos)?;
            let value = u64::from_str_radix(&text, radix)
                .map_err(|_| Diagnostic::new(pos, "integer literal does not fit in 64 bits"))?;
            self.push(Tok::Int { value, bit_pattern: true }, pos);
            return Ok(());
        }
        self.digits(10, &mut text);
        let mut is_float = false;
        if self.peek() == Some('.') && self.peek2().is_some_and(|c| c.is_ascii_digit()) {
            is_float = true;
            self.bump();
            text.push('.');
            self.digits(10, &mut text);
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let mut ahead = self.chars.clone();
            ahead.next();
            let mut sign = None;
            if let Some(c @ ('+' | '-')) = ahead.peek().copied() {
                sign = Some(c);
                ahead.next();
            }
            if ahead.peek().is_some_and(|c| c.is_ascii_digit()) {
                is_float = true;
                self.bump();
                text.push('e');
                if let Some(s) = sign {
                    self.bump();
                    text.push(s);
                }
                self.digits(10, &mut text);
            }
        }
        self.no_ident_after(pos)?;
        if is_float {
            let value: f64 =
                text.parse().map_err(|_| Diagnostic::new(pos, format!("invalid float literal `{text}`")))?;
            self.push(Tok::Float(value), pos);
        } else {
            let value: u64 =
                text.parse().map_err(|_| Diagnostic::new(pos, "integer literal does not fit in 64 bits"))?;
            self.push(Tok::Int { value, bit_pattern: false }, pos);
        }
        Ok(())
    }

    fn no_ident_after(&mut self, start: Pos) -> DiagResult<()> {
        match self.peek() {
            Some(c) if is_ident_char(c) => {
                Err(Diagnostic::new(start, format!("invalid character '{c}' in number literal")))
            }
            _ => Ok(()),
        }
    }

    fn string(&mut self) -> DiagResult<()> {
        let pos = self.pos();
        self.bump();
        let mut value = String::new();
        loop {
            let here = self.pos();
            match self.bump() {
                None | Some('\n') => return Err(Diagnostic::new(pos, UNTERMINATED)),
                Some('"') => break,
                Some('\\') => match escape::decode(|| self.bump()) {
                    Ok(c) => value.push(c),
                    Err(EscapeError::End) => return Err(Diagnostic::new(pos, UNTERMINATED)),
                    Err(e) => return Err(Diagnostic::new(here, e.message())),
                },
                Some(c) => value.push(c),
            }
        }
        self.push(Tok::Str(value), pos);
        Ok(())
    }

    /// An opening bracket (remembered: lines join inside brackets) or a
    /// closing one, which must match the last one open.
    fn bracket(&mut self, c: char, pos: Pos) -> DiagResult<Tok> {
        let (open, tok) = match c {
            '(' => return Ok(self.opened(pos, c, Tok::LParen)),
            '[' => return Ok(self.opened(pos, c, Tok::LBracket)),
            '{' => return Ok(self.opened(pos, c, Tok::LBrace)),
            ')' => ('(', Tok::RParen),
            ']' => ('[', Tok::RBracket),
            _ => ('{', Tok::RBrace),
        };
        match self.parens.pop() {
            Some((_, o)) if o == open => Ok(tok),
            Some((at, o)) => Err(Diagnostic::new(pos, format!("'{c}' does not match the '{o}' at line {}", at.line))),
            None => Err(Diagnostic::new(pos, format!("unmatched '{c}'"))),
        }
    }

    fn opened(&mut self, pos: Pos, c: char, tok: Tok) -> Tok {
        self.parens.push((pos, c));
        tok
    }

    fn punct(&mut self) -> DiagResult<()> {
        let pos = self.pos();
        let c = self.bump().unwrap_or('\0');
        let next = self.peek();
        let two = |lexer: &mut Self, tok: Tok| {
            lexer.bump();
            tok
        };
        let tok = match (c, next) {
            ('(' | '[' | '{' | ')' | ']' | '}', _) => self.bracket(c, pos)?,
            ('.', Some(n)) if is_ident_start(n) => Tok::Dot,
            (',', _) => Tok::Comma,
            (':', _) => Tok::Colon,
            ('-', Some('>')) => two(self, Tok::Arrow),
            ('-', Some('=')) => two(self, Tok::MinusAssign),
            ('-', _) => Tok::Minus,
            ('+', Some('=')) => two(self, Tok::PlusAssign),
            ('+', _) => Tok::Plus,
            ('*', Some('=')) => two(self, Tok::StarAssign),
            ('*', _) => Tok::Star,
            ('/', Some('=')) => two(self, Tok::SlashAssign),
            ('/', _) => Tok::Slash,
            ('%', Some('=')) => two(self, Tok::PercentAssign),
            ('%', _) => Tok::Percent,
            ('^', _) => Tok::Caret,
            ('=', Some('=')) => two(self, Tok::EqEq),
            ('=', _) => Tok::Assign,
            ('!', Some('=')) => two(self, Tok::NotEq),
            ('<', Some('=')) => two(self, Tok::Le),
            ('<', _) => Tok::Lt,
            ('>', Some('=')) => two(self, Tok::Ge),
            ('>', _) => Tok::Gt,
            ('.', Some('.')) => {
                self.bump();
                if self.peek() == Some('=') {
                    self.bump();
                    Tok::DotDotEq
                } else {
                    Tok::DotDot
                }
            }
            ('.', Some(d)) if d.is_ascii_digit() => {
                return Err(Diagnostic::new(pos, "a float literal needs a digit before '.' (write 0.5, not .5)"));
            }
            ('!', _) => return Err(Diagnostic::new(pos, "unexpected character '!' (use `not` for negation)")),
            ('&', Some('&')) => return Err(Diagnostic::new(pos, "unexpected '&&' (use `and`)")),
            ('|', Some('|')) => return Err(Diagnostic::new(pos, "unexpected '||' (use `or`)")),
            (other, _) => {
                let shown = if other.is_control() { format!("U+{:04X}", other as u32) } else { format!("'{other}'") };
                return Err(Diagnostic::new(pos, format!("unexpected character {shown}")));
            }
        };
        self.push(tok, pos);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            toks("1_000_000 0xff 0b101 1.5 1e9 2.5e-3"),
            vec![
                Tok::Int { value: 1_000_000, bit_pattern: false },
                Tok::Int { value: 255, bit_pattern: true },
                Tok::Int { value: 5, bit_pattern: true },
                Tok::Float(1.5),
                Tok::Float(1e9),
                Tok::Float(2.5e-3),
                Tok::Newline,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn range_is_not_a_float() {
        assert_eq!(
            toks("1..10"),
            vec![
                Tok::Int { value: 1, bit_pattern: false },
                Tok::DotDot,
                Tok::Int { value: 10, bit_pattern: false },
                Tok::Newline,
                Tok::Eof
            ]
        );
        assert!(lex(".5").is_err());
    }

    #[test]
    fn layout_tokens() {
        let t = toks("if x:\n    y\n\n    # c\nz\n");
        assert_eq!(
            t,
            vec![
                Tok::If,
                Tok::Ident("x".into()),
                Tok::Colon,
                Tok::Newline,
                Tok::Indent,
                Tok::Ident("y".into()),
                Tok::Newline,
                Tok::Dedent,
                Tok::Ident("z".into()),
                Tok::Newline,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn parens_join_lines() {
        let t = toks("f(1,\n      2)\n");
        assert!(!t[..t.len() - 2].contains(&Tok::Newline));
    }

    #[test]
    fn tab_and_bad_dedent_name_the_line() {
        let e = lex("if x:\n\ty\n").unwrap_err();
        assert!(e.message.contains("tab") && e.message.contains("line 2"), "{e}");
        let e = lex("if x:\n    y\n  z\n").unwrap_err();
        assert!(e.message.contains("line 3"), "{e}");
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(toks(r#""a\n\t\"\u{48}""#)[0], Tok::Str("a\n\t\"H".into()));
        assert!(lex("\"abc").is_err());
        assert!(lex(r#""\q""#).is_err());
        assert!(lex(r#""\u{110000}""#).is_err());
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for src in ["\u{0}", "0x", "0b2", "1e", "1e+", "\"\\u{", "((", ")", "é", "1.e5", "9999999999999999999999"] {
            let _ = lex(src);
        }
    }
}
