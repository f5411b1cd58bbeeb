//! Tokens produced by the lexer, with the position they start at.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    /// An integer literal's magnitude. Decimal literals above `i64::MAX` are
    /// kept so that `-9223372036854775808` can be written; the parser checks
    /// the range. `hex` marks `0x`/`0b` literals, which may use all 64 bits.
    Int {
        value: u64,
        bit_pattern: bool,
    },
    Float(f64),
    Str(String),
    // keywords
    Fn,
    Extern,
    Val,
    Var,
    If,
    Elif,
    Else,
    While,
    For,
    In,
    Return,
    Break,
    Continue,
    And,
    Or,
    Not,
    True,
    False,
    // punctuation
    LParen,
    RParen,
    Comma,
    Colon,
    Arrow,
    Assign,
    PlusAssign,
    MinusAssign,
    StarAssign,
    SlashAssign,
    PercentAssign,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    DotDot,
    DotDotEq,
    // layout
    Newline,
    Indent,
    Dedent,
    Eof,
}

impl Tok {
    pub fn keyword(word: &str) -> Option<Tok> {
        Some(match word {
            "fn" => Tok::Fn,
            "extern" => Tok::Extern,
            "val" => Tok::Val,
            "var" => Tok::Var,
            "if" => Tok::If,
            "elif" => Tok::Elif,
            "else" => Tok::Else,
            "while" => Tok::While,
            "for" => Tok::For,
            "in" => Tok::In,
            "return" => Tok::Return,
            "break" => Tok::Break,
            "continue" => Tok::Continue,
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "true" => Tok::True,
            "false" => Tok::False,
            _ => return None,
        })
    }
}

/// How a token is named in "expected X, found Y" messages.
impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Tok::Ident(name) => return write!(f, "name `{name}`"),
            Tok::Int { .. } => "integer literal",
            Tok::Float(_) => "float literal",
            Tok::Str(_) => "string literal",
            Tok::Fn => "`fn`",
            Tok::Extern => "`extern`",
            Tok::Val => "`val`",
            Tok::Var => "`var`",
            Tok::If => "`if`",
            Tok::Elif => "`elif`",
            Tok::Else => "`else`",
            Tok::While => "`while`",
            Tok::For => "`for`",
            Tok::In => "`in`",
            Tok::Return => "`return`",
            Tok::Break => "`break`",
            Tok::Continue => "`continue`",
            Tok::And => "`and`",
            Tok::Or => "`or`",
            Tok::Not => "`not`",
            Tok::True => "`true`",
            Tok::False => "`false`",
            Tok::LParen => "'('",
            Tok::RParen => "')'",
            Tok::Comma => "','",
            Tok::Colon => "':'",
            Tok::Arrow => "'->'",
            Tok::Assign => "'='",
            Tok::PlusAssign => "'+='",
            Tok::MinusAssign => "'-='",
            Tok::StarAssign => "'*='",
            Tok::SlashAssign => "'/='",
            Tok::PercentAssign => "'%='",
            Tok::EqEq => "'=='",
            Tok::NotEq => "'!='",
            Tok::Lt => "'<'",
            Tok::Le => "'<='",
            Tok::Gt => "'>'",
            Tok::Ge => "'>='",
            Tok::Plus => "'+'",
            Tok::Minus => "'-'",
            Tok::Star => "'*'",
            Tok::Slash => "'/'",
            Tok::Percent => "'%'",
            Tok::Caret => "'^'",
            Tok::DotDot => "'..'",
            Tok::DotDotEq => "'..='",
            Tok::Newline => "end of line",
            Tok::Indent => "an indented block",
            Tok::Dedent => "end of block",
            Tok::Eof => "end of input",
        };
        f.write_str(s)
    }
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}
