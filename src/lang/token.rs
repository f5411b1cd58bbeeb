//! Tokens produced by the lexer, with the position they start at.

use std::fmt;

pub use crate::diag::Pos;

/// Declares [`Tok`] with its keywords and punctuation, each written once
/// with its text.
macro_rules! tokens {
    (
        keywords { $($kw:ident = $word:literal,)* }
        punctuation { $($punct:ident = $text:literal,)* }
    ) => {
        #[derive(Clone, Debug, PartialEq)]
        pub enum Tok {
            Ident(String),
            /// An integer literal's magnitude. Decimal literals above
            /// `i64::MAX` are kept so that `-9223372036854775808` can be
            /// written; the parser checks the range. `bit_pattern` marks
            /// `0x`/`0b` literals, which may use all 64 bits.
            Int { value: u64, bit_pattern: bool },
            Float(f64),
            Str(String),
            $($kw,)*
            $($punct,)*
            // Layout.
            Newline,
            Indent,
            Dedent,
            Eof,
        }

        impl Tok {
            pub fn keyword(word: &str) -> Option<Tok> {
                match word {
                    $($word => Some(Tok::$kw),)*
                    _ => None,
                }
            }

            /// How a token is named in "expected X, found Y" messages.
            fn describe(&self) -> String {
                match self {
                    Tok::Ident(name) => format!("name `{name}`"),
                    Tok::Int { .. } => "integer literal".into(),
                    Tok::Float(_) => "float literal".into(),
                    Tok::Str(_) => "string literal".into(),
                    $(Tok::$kw => concat!("`", $word, "`").into(),)*
                    $(Tok::$punct => concat!("'", $text, "'").into(),)*
                    Tok::Newline => "end of line".into(),
                    Tok::Indent => "an indented block".into(),
                    Tok::Dedent => "end of block".into(),
                    Tok::Eof => "end of input".into(),
                }
            }
        }
    };
}

tokens! {
    keywords {
        Fn = "fn",
        Extern = "extern",
        Struct = "struct",
        Val = "val",
        Var = "var",
        If = "if",
        Elif = "elif",
        Else = "else",
        While = "while",
        For = "for",
        In = "in",
        Return = "return",
        Break = "break",
        Continue = "continue",
        And = "and",
        Or = "or",
        Not = "not",
        True = "true",
        False = "false",
    }
    punctuation {
        LParen = "(",
        RParen = ")",
        LBracket = "[",
        RBracket = "]",
        LBrace = "{",
        RBrace = "}",
        Dot = ".",
        Comma = ",",
        Colon = ":",
        Arrow = "->",
        Assign = "=",
        PlusAssign = "+=",
        MinusAssign = "-=",
        StarAssign = "*=",
        SlashAssign = "/=",
        PercentAssign = "%=",
        EqEq = "==",
        NotEq = "!=",
        Lt = "<",
        Le = "<=",
        Gt = ">",
        Ge = ">=",
        Plus = "+",
        Minus = "-",
        Star = "*",
        Slash = "/",
        Percent = "%",
        Caret = "^",
        DotDot = "..",
        DotDotEq = "..=",
    }
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}
