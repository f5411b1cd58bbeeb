//! The MIR text format, version 1 (docs/mir.md): a parser that turns text
//! into [`Module`] and remembers where everything was, and a printer that
//! turns a module back into text the parser reads.
//!
//! Invariant: the parser never panics, whatever the input; every problem is
//! a [`MirError`] at a line and column.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::data::*;
use super::validate::{FnRef, Loc, MirEnv, MirError, NoEnv};
use crate::lang::lexer::simple_escape;

/// The MIR format version this library reads and writes.
pub(crate) const VERSION: u32 = 1;

/// Where the parts of a parsed module were in the text.
#[derive(Default, Debug)]
pub struct Positions {
    at: HashMap<Loc, (u32, u32)>,
}

impl Positions {
    /// The line and column of `loc` (the closest known position).
    pub fn of(&self, loc: Loc) -> (u32, u32) {
        let fallback = match loc {
            Loc::Inst(r, _, _) | Loc::Term(r, _) | Loc::Block(r, _) | Loc::Slot(r, _) => Some(Loc::Function(r)),
            _ => None,
        };
        self.at.get(&loc).or_else(|| fallback.and_then(|f| self.at.get(&f))).copied().unwrap_or((1, 1))
    }
}

// ---------------------------------------------------------------- lexing

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Int(i128),
    Float(f64),
    Str(String),
    Punct(char),
    Arrow,
}

impl Tok {
    fn describe(&self) -> String {
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
struct Token {
    tok: Tok,
    col: u32,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')
}

/// Splits one line into tokens; stops at a `;` comment.
fn lex_line(text: &str, line: u32) -> Result<Vec<Token>, MirError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |col: usize, m: String| MirError::new(line, col as u32 + 1, m);
    while i < chars.len() {
        let c = chars[i];
        let col = i as u32 + 1;
        if c == ';' {
            break;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if is_name_start(c) {
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            out.push(Token { tok: Tok::Name(chars[start..i].iter().collect()), col });
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit() || *d == 'i')) {
            let start = i;
            i += 1;
            while i < chars.len()
                && (is_name_char(chars[i]) || (matches!(chars[i], '+' | '-') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            out.push(Token { tok: number(&word).ok_or_else(|| err(start, format!("invalid number `{word}`")))?, col });
            continue;
        }
        match c {
            '"' => {
                let start = i;
                i += 1;
                let mut s = String::new();
                loop {
                    let Some(&ch) = chars.get(i) else {
                        return Err(err(start, "unterminated text literal (expected a closing '\"')".into()));
                    };
                    i += 1;
                    match ch {
                        '"' => break,
                        '\\' => {
                            let e = chars.get(i).copied();
                            i += 1;
                            s.push(match (e, e.and_then(simple_escape)) {
                                (_, Some(c)) => c,
                                (Some('u'), _) => {
                                    if chars.get(i) != Some(&'{') {
                                        return Err(err(i, "expected '{' after \\u".into()));
                                    }
                                    let close = chars[i..]
                                        .iter()
                                        .position(|c| *c == '}')
                                        .ok_or_else(|| err(i, "expected '}' to close \\u{...}".into()))?;
                                    let hex: String = chars[i + 1..i + close].iter().collect();
                                    i += close + 1;
                                    u32::from_str_radix(&hex, 16)
                                        .ok()
                                        .filter(|_| (1..=6).contains(&hex.len()))
                                        .and_then(char::from_u32)
                                        .ok_or_else(|| err(start, format!("invalid escape \\u{{{hex}}}")))?
                                }
                                _ => {
                                    return Err(err(
                                        i - 1,
                                        "unknown escape (expected \\n \\t \\r \\\\ \\\" \\0 \\u{XXXX})".into(),
                                    ));
                                }
                            });
                        }
                        other => s.push(other),
                    }
                }
                out.push(Token { tok: Tok::Str(s), col });
            }
            '-' if chars.get(i + 1) == Some(&'>') => {
                out.push(Token { tok: Tok::Arrow, col });
                i += 2;
            }
            '(' | ')' | ',' | ':' | '=' | '@' | '{' | '}' => {
                out.push(Token { tok: Tok::Punct(c), col });
                i += 1;
            }
            other => {
                let shown = if other.is_control() { format!("U+{:04X}", other as u32) } else { format!("'{other}'") };
                return Err(err(i, format!("unexpected character {shown}")));
            }
        }
    }
    Ok(out)
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

// ---------------------------------------------------------------- parsing

/// A cursor over the tokens of one line.
struct Line<'a> {
    toks: &'a [Token],
    at: usize,
    line: u32,
    end_col: u32,
}

impl<'a> Line<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.at).map(|t| &t.tok)
    }

    fn col(&self) -> u32 {
        self.toks.get(self.at).map_or(self.end_col, |t| t.col)
    }

    fn err(&self, message: impl Into<String>) -> MirError {
        MirError::new(self.line, self.col(), message)
    }

    fn expected(&self, what: &str) -> MirError {
        match self.peek() {
            Some(t) => self.err(format!("expected {what}, found {}", t.describe())),
            None => self.err(format!("expected {what}, found end of line")),
        }
    }

    fn next(&mut self) -> Option<&'a Tok> {
        let t = self.toks.get(self.at).map(|t| &t.tok);
        if t.is_some() {
            self.at += 1;
        }
        t
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, what: &str) -> Result<(), MirError> {
        if self.eat(c) { Ok(()) } else { Err(self.expected(what)) }
    }

    fn name(&mut self, what: &str) -> Result<(String, u32), MirError> {
        let col = self.col();
        match self.peek() {
            Some(Tok::Name(n)) => {
                self.at += 1;
                Ok((n.clone(), col))
            }
            _ => Err(self.expected(what)),
        }
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn ty(&mut self) -> Result<Ty, MirError> {
        let col = self.col();
        let (name, _) = self.name("a type (i8 i16 i32 i64 f32 f64 ptr bool text)")?;
        Ty::from_name(&name).ok_or_else(|| {
            MirError::new(
                self.line,
                col,
                format!("unknown type `{name}` (expected i8 i16 i32 i64 f32 f64 ptr bool text)"),
            )
        })
    }

    fn ret_ty(&mut self) -> Result<Option<Ty>, MirError> {
        if self.peek() != Some(&Tok::Arrow) {
            return Err(self.expected("'->' and a result type (or `-> void`)"));
        }
        self.at += 1;
        if self.keyword("void") { Ok(None) } else { self.ty().map(Some) }
    }

    fn int(&mut self, what: &str) -> Result<i128, MirError> {
        match self.peek() {
            Some(Tok::Int(v)) => {
                let v = *v;
                self.at += 1;
                Ok(v)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// An optional `@N` source line.
    fn line_attr(&mut self) -> Result<Option<u32>, MirError> {
        if !self.eat('@') {
            return Ok(None);
        }
        let v = self.int("a line number after '@'")?;
        u32::try_from(v).map(Some).map_err(|_| self.err("line number out of range"))
    }

    fn end(&self) -> Result<(), MirError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.expected("end of line")),
        }
    }
}

/// An operand before its locals and constant types are resolved.
#[derive(Clone, Debug)]
enum RawOp {
    Name(String, u32),
    Int(i128, Option<Ty>, u32),
    Float(f64, Option<Ty>, u32),
    Bool(bool),
    Str(String, u32),
}

fn raw_operand(l: &mut Line) -> Result<RawOp, MirError> {
    let col = l.col();
    let op = match l.next() {
        Some(Tok::Name(n)) => match n.as_str() {
            "true" => return Ok(RawOp::Bool(true)),
            "false" => return Ok(RawOp::Bool(false)),
            "inf" => RawOp::Float(f64::INFINITY, None, col),
            "nan" => RawOp::Float(f64::NAN, None, col),
            _ => return Ok(RawOp::Name(n.clone(), col)),
        },
        Some(Tok::Int(v)) => RawOp::Int(*v, None, col),
        Some(Tok::Float(v)) => RawOp::Float(*v, None, col),
        Some(Tok::Str(s)) => return Ok(RawOp::Str(s.clone(), col)),
        _ => {
            l.at = l.at.saturating_sub(1);
            return Err(l.expected("an operand (a local, a number, true/false)"));
        }
    };
    // An optional `:type` suffix on a number.
    if l.eat(':') {
        let t = l.ty()?;
        return Ok(match op {
            RawOp::Int(v, _, c) => RawOp::Int(v, Some(t), c),
            RawOp::Float(v, _, c) => RawOp::Float(v, Some(t), c),
            other => other,
        });
    }
    Ok(op)
}

fn operands(l: &mut Line, n: usize) -> Result<Vec<RawOp>, MirError> {
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        if i > 0 {
            l.expect(',', "',' between operands")?;
        }
        v.push(raw_operand(l)?);
    }
    Ok(v)
}

fn call_args(l: &mut Line) -> Result<Vec<RawOp>, MirError> {
    l.expect('(', "'(' and the arguments")?;
    let mut v = Vec::new();
    if l.eat(')') {
        return Ok(v);
    }
    loop {
        v.push(raw_operand(l)?);
        if l.eat(')') {
            return Ok(v);
        }
        l.expect(',', "',' or ')' in the arguments")?;
    }
}

fn signature(l: &mut Line) -> Result<Signature, MirError> {
    if !l.keyword("fn") {
        return Err(l.expected("a signature `fn(...) -> T`"));
    }
    l.expect('(', "'(' and the parameter types")?;
    let mut params = Vec::new();
    if !l.eat(')') {
        loop {
            params.push(l.ty()?);
            if l.eat(')') {
                break;
            }
            l.expect(',', "',' or ')' in the parameter types")?;
        }
    }
    Ok(Signature { params, ret: l.ret_ty()? })
}

#[derive(Clone, Debug)]
enum RawInst {
    Op { dst: Option<(String, u32)>, op: String, op_col: u32, args: Vec<RawOp>, extra: Extra },
    Term { op: String, args: Vec<RawOp>, labels: Vec<(String, u32)>, cases: Vec<(i64, String, u32)> },
}

#[derive(Clone, Debug, Default)]
enum Extra {
    #[default]
    None,
    Callee(String),
    Sig(Signature),
    Offset(i32),
    Slot(String, u32),
}

struct RawBlock {
    label: String,
    insts: Vec<(RawInst, u32, u32, u32)>, // inst, reported line, text line, col
    term: Option<(RawInst, u32, u32, u32)>,
    line: u32,
    col: u32,
}

struct RawFunction {
    name: String,
    params: Vec<(String, Ty)>,
    ret: Option<Ty>,
    line: u32,
    text_line: u32,
    col: u32,
    locals: Vec<(String, Ty, u32, u32)>,
    slots: Vec<(String, u32, u32, u32, u32)>,
    blocks: Vec<RawBlock>,
}

const TERMINATORS: &[&str] = &["jmp", "br", "switch", "ret"];

/// Parses MIR text (the whole blob, version line first).
pub fn parse(text: &str) -> Result<(Module, Positions), MirError> {
    parse_with(text, &NoEnv)
}

/// Parses MIR text; `env` gives the types of functions and globals defined
/// outside the text, so constants passed to or stored in them get the
/// right type without a suffix.
pub fn parse_with(text: &str, env: &dyn MirEnv) -> Result<(Module, Positions), MirError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, s)| (i as u32 + 1, s));
    let version_err = |line: u32| MirError::new(line, 1, format!("expected the version line `mir {VERSION}` first"));
    let (n, first) = lines.next().ok_or_else(|| version_err(1))?;
    let toks = lex_line(first, n)?;
    let mut l = Line { toks: &toks, at: 0, line: n, end_col: first.chars().count() as u32 + 1 };
    if !l.keyword("mir") {
        return Err(version_err(n));
    }
    let version_col = l.col();
    let digits = matches!(l.toks.get(1), Some(Token { tok: Tok::Int(_), .. }))
        && first.split_whitespace().nth(1).is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()));
    let v = l.int("the MIR version number")?;
    if !digits {
        return Err(MirError::new(n, version_col, "the version is a decimal number: `mir 1`"));
    }
    if v != VERSION as i128 {
        return Err(MirError::new(
            n,
            version_col,
            format!("unsupported MIR version {v} (this rtjit reads version {VERSION})"),
        ));
    }
    l.end()?;

    let mut module = Module::default();
    let mut pos = Positions::default();
    let mut raw_fns: Vec<(RawFunction, bool)> = Vec::new();
    let mut current: Option<(RawFunction, bool)> = None;
    let mut last_line = n;
    for (n, src) in lines {
        last_line = n;
        let toks = lex_line(src, n)?;
        if toks.is_empty() {
            continue;
        }
        let mut l = Line { toks: &toks, at: 0, line: n, end_col: src.chars().count() as u32 + 1 };
        match current.as_mut() {
            None => {
                if let Some(f) = top_item(&mut l, &mut module, &mut pos)? {
                    current = Some(f);
                }
            }
            Some((f, _)) => {
                if l.eat('}') {
                    l.end()?;
                    if let Some(done) = current.take() {
                        raw_fns.push(done);
                    }
                } else {
                    body_line(&mut l, f)?;
                }
            }
        }
    }
    if let Some((f, _)) = current {
        return Err(MirError::new(
            last_line + 1,
            1,
            format!("unexpected end of input: `{}` (line {}) is not closed with '}}'", f.name, f.text_line),
        ));
    }
    // Functions first, so calls can name any function of the module.
    let sigs: HashMap<String, Signature> = raw_fns
        .iter()
        .filter(|(_, init)| !init)
        .map(|(f, _)| (f.name.clone(), Signature { params: f.params.iter().map(|p| p.1).collect(), ret: f.ret }))
        .chain(module.externs.iter().map(|e| (e.name.clone(), e.sig.clone())))
        .collect();
    let globals: HashMap<String, Ty> = module.globals.iter().map(|g| (g.name.clone(), g.ty)).collect();
    for (raw, init) in raw_fns {
        let r = if init { FnRef::Init } else { FnRef::Function(module.functions.len()) };
        if init && module.init.is_some() {
            return Err(MirError::new(raw.text_line, raw.col, "a module has at most one `init` block"));
        }
        let types = Types { sigs: &sigs, globals: &globals, env };
        let f = resolve(raw, r, &types, &mut pos)?;
        if init {
            module.init = Some(f);
        } else {
            module.functions.push(f);
        }
    }
    Ok((module, pos))
}

/// A line outside any function: `extern`, `global`, `fn` or `init`.
fn top_item(l: &mut Line, module: &mut Module, pos: &mut Positions) -> Result<Option<(RawFunction, bool)>, MirError> {
    let col = l.col();
    let (word, _) = l.name("`fn`, `init`, `extern` or `global`")?;
    match word.as_str() {
        "extern" => {
            if !l.keyword("fn") {
                return Err(l.expected("`fn` after `extern`"));
            }
            let (name, _) = l.name("the host function's name")?;
            l.at -= 1;
            l.toks = &l.toks[l.at..];
            l.at = 0;
            // Reuse the signature parser: `name(...)` reads like `fn(...)`.
            let mut sig_line = Line { toks: l.toks, at: 1, line: l.line, end_col: l.end_col };
            sig_line.expect('(', "'(' and the parameter types")?;
            let mut params = Vec::new();
            if !sig_line.eat(')') {
                loop {
                    params.push(sig_line.ty()?);
                    if sig_line.eat(')') {
                        break;
                    }
                    sig_line.expect(',', "',' or ')' in the parameter types")?;
                }
            }
            let ret = sig_line.ret_ty()?;
            let line = sig_line.line_attr()?.unwrap_or(l.line);
            sig_line.end()?;
            pos.at.insert(Loc::Extern(module.externs.len()), (l.line, col));
            module.externs.push(ExternDecl { name, sig: Signature { params, ret }, line });
            Ok(None)
        }
        "global" => {
            let mutable = if l.keyword("var") {
                true
            } else if l.keyword("val") {
                false
            } else {
                return Err(l.expected("`var` or `val` after `global`"));
            };
            let (name, _) = l.name("the global's name")?;
            l.expect(':', "':' and the global's type")?;
            let ty = l.ty()?;
            let line = l.line_attr()?.unwrap_or(l.line);
            l.end()?;
            pos.at.insert(Loc::Global(module.globals.len()), (l.line, col));
            module.globals.push(GlobalDecl { name, ty, mutable, line });
            Ok(None)
        }
        "fn" | "init" => {
            let init = word == "init";
            let (name, params) = if init {
                (crate::lang::lower::INIT_NAME.to_string(), Vec::new())
            } else {
                let (name, _) = l.name("the function's name")?;
                l.expect('(', "'(' and the parameters")?;
                let mut params = Vec::new();
                if !l.eat(')') {
                    loop {
                        let (p, _) = l.name("a parameter name")?;
                        l.expect(':', "':' and the parameter's type")?;
                        params.push((p, l.ty()?));
                        if l.eat(')') {
                            break;
                        }
                        l.expect(',', "',' or ')' in the parameters")?;
                    }
                }
                (name, params)
            };
            let ret = l.ret_ty()?;
            let line = l.line_attr()?.unwrap_or(l.line);
            l.expect('{', "'{' to open the body")?;
            l.end()?;
            let raw = RawFunction {
                name,
                params,
                ret,
                line,
                text_line: l.line,
                col,
                locals: Vec::new(),
                slots: Vec::new(),
                blocks: Vec::new(),
            };
            Ok(Some((raw, init)))
        }
        other => {
            Err(MirError::new(l.line, col, format!("expected `fn`, `init`, `extern` or `global`, found `{other}`")))
        }
    }
}

fn body_line(l: &mut Line, f: &mut RawFunction) -> Result<(), MirError> {
    let col = l.col();
    // A label: `name:` alone on its line.
    if let (Some(Tok::Name(name)), Some(Tok::Punct(':')), None) =
        (l.toks.first().map(|t| &t.tok), l.toks.get(1).map(|t| &t.tok), l.toks.get(2))
    {
        if let Some(b) = f.blocks.last() {
            if b.term.is_none() {
                return Err(MirError::new(
                    l.line,
                    col,
                    format!(
                        "block `{}` (line {}) falls off its end: it needs jmp, br, switch or ret before the next label",
                        if b.label.is_empty() { "(entry)" } else { &b.label },
                        b.line
                    ),
                ));
            }
        }
        f.blocks.push(RawBlock { label: name.clone(), insts: Vec::new(), term: None, line: l.line, col });
        return Ok(());
    }
    if l.keyword("local") {
        let (name, c) = l.name("the local's name")?;
        l.expect(':', "':' and the local's type")?;
        let ty = l.ty()?;
        l.end()?;
        f.locals.push((name, ty, l.line, c));
        return Ok(());
    }
    if l.keyword("slot") {
        let (name, c) = l.name("the slot's name")?;
        let size = l.int("the slot's size in bytes")?;
        let align = if l.peek().is_some() { l.int("the slot's alignment")? } else { 8 };
        l.end()?;
        let size = u32::try_from(size).map_err(|_| MirError::new(l.line, c, "slot size out of range"))?;
        let align = u32::try_from(align).map_err(|_| MirError::new(l.line, c, "slot alignment out of range"))?;
        f.slots.push((name, size, align, l.line, c));
        return Ok(());
    }
    // An instruction or terminator, in a block (an implicit first block
    // if the body starts without a label).
    if f.blocks.is_empty() {
        f.blocks.push(RawBlock { label: String::new(), insts: Vec::new(), term: None, line: l.line, col });
    }
    let block = f.blocks.last_mut().ok_or_else(|| l.err("no block"))?;
    if block.term.is_some() {
        return Err(l.err("an instruction after the block's terminator (start a new block with a label)"));
    }
    let dst = if matches!(l.toks.get(1).map(|t| &t.tok), Some(Tok::Punct('='))) {
        let d = l.name("a local")?;
        l.expect('=', "'='")?;
        Some(d)
    } else {
        None
    };
    let op_col = l.col();
    let (op, _) = l.name("an instruction")?;
    let inst = if TERMINATORS.contains(&op.as_str()) {
        if dst.is_some() {
            return Err(MirError::new(l.line, op_col, format!("`{op}` has no result")));
        }
        term(l, op)?
    } else {
        inst(l, dst, op, op_col)?
    };
    let line = l.line_attr()?.unwrap_or(l.line);
    l.end()?;
    let entry = (inst, line, l.line, op_col);
    if matches!(entry.0, RawInst::Term { .. }) {
        block.term = Some(entry);
    } else {
        block.insts.push(entry);
    }
    Ok(())
}

fn term(l: &mut Line, op: String) -> Result<RawInst, MirError> {
    let mut labels = Vec::new();
    let mut args = Vec::new();
    let mut cases = Vec::new();
    match op.as_str() {
        "jmp" => labels.push(l.name("a label")?),
        "br" => {
            args.push(raw_operand(l)?);
            l.expect(',', "',' and the label taken when true")?;
            labels.push(l.name("a label")?);
            l.expect(',', "',' and the label taken when false")?;
            labels.push(l.name("a label")?);
        }
        "switch" => {
            args.push(raw_operand(l)?);
            l.expect(',', "',' and the default label")?;
            labels.push(l.name("the default label")?);
            while l.eat(',') {
                let k = l.int("a case value")?;
                let k = i64::try_from(k)
                    .or_else(|_| u64::try_from(k).map(|u| u as i64))
                    .map_err(|_| l.err("case value out of range"))?;
                l.expect(':', "':' and the case's label")?;
                let (lab, c) = l.name("the case's label")?;
                cases.push((k, lab, c));
            }
        }
        _ => {
            if l.peek().is_some() && l.peek() != Some(&Tok::Punct('@')) {
                args.push(raw_operand(l)?);
            }
        }
    }
    Ok(RawInst::Term { op, args, labels, cases })
}

const UNARY: &[&str] = &["neg", "not", "abs", "sqrt", "floor", "ceil", "trunc", "len"];
const BINARY: &[&str] =
    &["add", "sub", "mul", "div", "rem", "udiv", "urem", "pow", "and", "or", "xor", "shl", "shr", "ushr", "min", "max"];
const COMPARE: &[&str] = &["eq", "ne", "lt", "le", "gt", "ge", "ult", "ule", "ugt", "uge"];
const CONVERT: &[&str] =
    &["sext", "zext", "reduce", "sitof", "uitof", "ftosi", "ftoui", "fpromote", "fdemote", "bitcast", "str", "parse"];

fn inst(l: &mut Line, dst: Option<(String, u32)>, op: String, op_col: u32) -> Result<RawInst, MirError> {
    let needs_dst = |l: &Line| -> Result<(), MirError> {
        if dst.is_none() {
            return Err(MirError::new(l.line, op_col, format!("`{op}` needs a result: write `x = {op} ...`")));
        }
        Ok(())
    };
    let mut extra = Extra::None;
    let args = match op.as_str() {
        "copy" => {
            needs_dst(l)?;
            operands(l, 1)?
        }
        o if UNARY.contains(&o) || CONVERT.contains(&o) => {
            needs_dst(l)?;
            operands(l, 1)?
        }
        o if BINARY.contains(&o) || COMPARE.contains(&o) => {
            needs_dst(l)?;
            operands(l, 2)?
        }
        "select" => {
            needs_dst(l)?;
            operands(l, 3)?
        }
        "call" => {
            let (name, _) = l.name("the called function's name")?;
            extra = Extra::Callee(name);
            call_args(l)?
        }
        "call_indirect" => {
            let target = raw_operand(l)?;
            let mut args = vec![target];
            args.extend(call_args(l)?);
            if !l.keyword("as") {
                return Err(l.expected("`as` and the pointer's signature"));
            }
            extra = Extra::Sig(signature(l)?);
            args
        }
        "gload" => {
            needs_dst(l)?;
            let (name, _) = l.name("a global's name")?;
            extra = Extra::Callee(name);
            Vec::new()
        }
        "gstore" => {
            let (name, _) = l.name("a global's name")?;
            extra = Extra::Callee(name);
            l.expect(',', "',' and the value")?;
            vec![raw_operand(l)?]
        }
        "load" | "store" => {
            if op == "load" {
                needs_dst(l)?;
            }
            let p = raw_operand(l)?;
            l.expect(',', "',' and a constant offset")?;
            let off = l.int("a constant offset")?;
            extra = Extra::Offset(i32::try_from(off).map_err(|_| l.err("offset out of the i32 range"))?);
            let mut args = vec![p];
            if op == "store" {
                l.expect(',', "',' and the value to store")?;
                args.push(raw_operand(l)?);
            }
            args
        }
        "addr" => {
            needs_dst(l)?;
            let (slot, c) = l.name("a stack slot's name")?;
            extra = Extra::Slot(slot, c);
            Vec::new()
        }
        _ => return Err(MirError::new(l.line, op_col, format!("unknown instruction `{op}` (see docs/mir.md)"))),
    };
    if dst.is_some() && matches!(op.as_str(), "gstore" | "store") {
        return Err(MirError::new(l.line, op_col, format!("`{op}` has no result")));
    }
    Ok(RawInst::Op { dst, op, op_col, args, extra })
}

// ---------------------------------------------------------------- resolving

/// The types of the names an instruction may refer to.
struct Types<'a> {
    sigs: &'a HashMap<String, Signature>,
    globals: &'a HashMap<String, Ty>,
    env: &'a dyn MirEnv,
}

impl Types<'_> {
    fn params(&self, callee: &str) -> Vec<Ty> {
        match self.sigs.get(callee) {
            Some(sig) => sig.params.clone(),
            None => self.env.function(callee).map(|s| s.params).unwrap_or_default(),
        }
    }

    fn global(&self, name: &str) -> Option<Ty> {
        self.globals.get(name).copied().or_else(|| self.env.global(name))
    }
}

struct Scope<'a> {
    locals: HashMap<&'a str, Local>,
    types: Vec<Ty>,
    line: u32,
}

impl Scope<'_> {
    fn local(&self, name: &str, col: u32) -> Result<Local, MirError> {
        self.locals.get(name).copied().ok_or_else(|| {
            MirError::new(self.line, col, format!("undefined local `{name}` (declare it with `local {name}: T`)"))
        })
    }

    fn ty_of(&self, op: &RawOp) -> Option<Ty> {
        match op {
            RawOp::Name(n, _) => self.locals.get(n.as_str()).map(|l| self.types[l.0 as usize]),
            RawOp::Int(_, t, _) | RawOp::Float(_, t, _) => *t,
            RawOp::Bool(_) => Some(Ty::Bool),
            RawOp::Str(..) => Some(Ty::Text),
        }
    }

    /// The operand, with an unsuffixed number typed `want` (or i64/f64).
    fn operand(&self, op: &RawOp, want: Option<Ty>) -> Result<Operand, MirError> {
        let err = |col: u32, m: String| MirError::new(self.line, col, m);
        Ok(match op {
            RawOp::Name(n, c) => Operand::Local(self.local(n, *c)?),
            RawOp::Bool(b) => Operand::Const(Const::Int(i64::from(*b), Ty::Bool)),
            RawOp::Str(_, c) => {
                return Err(err(*c, "a text literal can only be copied into a local: `s = copy \"...\"`".into()));
            }
            RawOp::Int(v, t, c) => {
                let ty = t.or(want).unwrap_or(Ty::I64);
                match ty {
                    Ty::F64 if t.is_none() => Operand::Const(Const::F64(*v as f64)),
                    Ty::F32 if t.is_none() => Operand::Const(Const::F32(*v as f32)),
                    t if t.is_int() => {
                        let bits = t.bits();
                        let fits = if bits == 64 {
                            *v >= i64::MIN as i128 && *v <= u64::MAX as i128
                        } else {
                            *v >= -(1i128 << (bits - 1)) && *v < (1i128 << bits)
                        };
                        if !fits {
                            return Err(err(*c, format!("{v} does not fit in {t}")));
                        }
                        Operand::Const(Const::Int(*v as i64, t))
                    }
                    Ty::Bool if *v == 0 || *v == 1 => Operand::Const(Const::Int(*v as i64, Ty::Bool)),
                    other => return Err(err(*c, format!("an integer cannot be a {other} constant"))),
                }
            }
            RawOp::Float(v, t, c) => match t.or(want).unwrap_or(Ty::F64) {
                Ty::F32 => Operand::Const(Const::F32(*v as f32)),
                Ty::F64 => Operand::Const(Const::F64(*v)),
                other => return Err(err(*c, format!("a float cannot be a {other} constant"))),
            },
        })
    }
}

fn resolve(raw: RawFunction, r: FnRef, types: &Types, pos: &mut Positions) -> Result<Function, MirError> {
    pos.at.insert(Loc::Function(r), (raw.text_line, raw.col));
    let mut decls: Vec<LocalDecl> = Vec::new();
    let mut locals: HashMap<&str, Local> = HashMap::new();
    for (name, ty) in &raw.params {
        if matches!(name.as_str(), "true" | "false" | "inf" | "nan") {
            return Err(MirError::new(
                raw.text_line,
                raw.col,
                format!("`{name}` is a constant and cannot name a parameter"),
            ));
        }
        if locals.insert(name.as_str(), Local(decls.len() as u32)).is_some() {
            return Err(MirError::new(raw.text_line, raw.col, format!("parameter `{name}` appears twice")));
        }
        decls.push(LocalDecl { name: name.clone(), ty: *ty });
    }
    for (name, ty, line, col) in &raw.locals {
        if matches!(name.as_str(), "true" | "false" | "inf" | "nan") {
            return Err(MirError::new(*line, *col, format!("`{name}` is a constant and cannot name a local")));
        }
        if locals.insert(name.as_str(), Local(decls.len() as u32)).is_some() {
            return Err(MirError::new(*line, *col, format!("local `{name}` is declared twice")));
        }
        decls.push(LocalDecl { name: name.clone(), ty: *ty });
    }
    let mut slot_ids: HashMap<&str, u32> = HashMap::new();
    let mut slots = Vec::new();
    for (i, (name, size, align, line, col)) in raw.slots.iter().enumerate() {
        if slot_ids.insert(name.as_str(), i as u32).is_some() {
            return Err(MirError::new(*line, *col, format!("slot `{name}` is declared twice")));
        }
        pos.at.insert(Loc::Slot(r, i), (*line, *col));
        slots.push(StackSlot { name: name.clone(), size: *size, align: *align });
    }
    let labels: HashMap<&str, BlockId> =
        raw.blocks.iter().enumerate().map(|(i, b)| (b.label.as_str(), BlockId(i as u32))).collect();
    let ret = raw.ret;
    let mut scope = Scope { locals, types: decls.iter().map(|d| d.ty).collect(), line: 0 };
    let mut blocks = Vec::with_capacity(raw.blocks.len());
    if raw.blocks.is_empty() {
        return Err(MirError::new(raw.text_line, raw.col, format!("`{}` has no instructions", raw.name)));
    }
    for (bi, b) in raw.blocks.iter().enumerate() {
        let Some((term_raw, term_line, term_text_line, term_col)) = &b.term else {
            return Err(MirError::new(
                b.line,
                b.col,
                format!(
                    "block `{}` falls off its end: it needs jmp, br, switch or ret",
                    if b.label.is_empty() { "(entry)" } else { &b.label }
                ),
            ));
        };
        let mut insts = Vec::with_capacity(b.insts.len());
        for (ii, (raw_inst, line, text_line, col)) in b.insts.iter().enumerate() {
            scope.line = *text_line;
            pos.at.insert(Loc::Inst(r, bi, ii), (*text_line, *col));
            let kind = resolve_inst(raw_inst, &scope, types, &slot_ids)?;
            insts.push(Inst { kind, line: *line });
        }
        scope.line = *term_text_line;
        pos.at.insert(Loc::Term(r, bi), (*term_text_line, *term_col));
        pos.at.insert(Loc::Block(r, bi), (b.line, b.col));
        let term = resolve_term(term_raw, &scope, &labels, ret)?;
        blocks.push(Block { label: b.label.clone(), insts, term, term_line: *term_line });
    }
    Ok(Function {
        name: raw.name,
        sig: Signature { params: raw.params.iter().map(|p| p.1).collect(), ret },
        locals: decls,
        slots,
        blocks,
        line: raw.line,
    })
}

fn label(labels: &HashMap<&str, BlockId>, name: &str, line: u32, col: u32) -> Result<BlockId, MirError> {
    labels.get(name).copied().ok_or_else(|| MirError::new(line, col, format!("undefined label `{name}`")))
}

fn resolve_term(
    t: &RawInst,
    s: &Scope,
    labels: &HashMap<&str, BlockId>,
    ret: Option<Ty>,
) -> Result<Terminator, MirError> {
    let RawInst::Term { op, args, labels: targets, cases } = t else {
        return Err(MirError::new(s.line, 1, "expected a terminator"));
    };
    let lab = |i: usize| -> Result<BlockId, MirError> {
        let (name, col) = &targets[i];
        label(labels, name, s.line, *col)
    };
    Ok(match op.as_str() {
        "jmp" => Terminator::Jump(lab(0)?),
        "br" => {
            Terminator::Branch { cond: s.operand(&args[0], Some(Ty::Bool))?, then_block: lab(0)?, else_block: lab(1)? }
        }
        "switch" => {
            let value = s.operand(&args[0], None)?;
            let mut out = Vec::with_capacity(cases.len());
            for (k, name, col) in cases {
                out.push((*k, label(labels, name, s.line, *col)?));
            }
            Terminator::Switch { value, cases: out, default: lab(0)? }
        }
        _ => Terminator::Return(match args.first() {
            Some(a) => Some(s.operand(a, ret)?),
            None => None,
        }),
    })
}

fn resolve_inst(i: &RawInst, s: &Scope, types: &Types, slots: &HashMap<&str, u32>) -> Result<InstKind, MirError> {
    let RawInst::Op { dst, op, op_col, args, extra } = i else {
        return Err(MirError::new(s.line, 1, "expected an instruction"));
    };
    let dst_local = match dst {
        Some((name, col)) => Some(s.local(name, *col)?),
        None => None,
    };
    let dst_ty = dst_local.map(|l| s.types[l.0 as usize]);
    let d = || dst_local.ok_or_else(|| MirError::new(s.line, *op_col, format!("`{op}` needs a result")));
    // The type shared by the operands of an operation: a local's, else a
    // suffixed constant's, else the result's.
    let shared = |ops: &[RawOp], fallback: Option<Ty>| ops.iter().find_map(|o| s.ty_of(o)).or(fallback);
    let kind = match op.as_str() {
        "copy" => {
            if let RawOp::Str(text, _) = &args[0] {
                InstKind::TextConst { dst: d()?, value: text.clone() }
            } else {
                InstKind::Copy { dst: d()?, src: s.operand(&args[0], dst_ty)? }
            }
        }
        o if UNARY.contains(&o) => {
            let op = match o {
                "neg" => UnOp::Neg,
                "not" => UnOp::Not,
                "abs" => UnOp::Abs,
                "sqrt" => UnOp::Sqrt,
                "floor" => UnOp::Floor,
                "ceil" => UnOp::Ceil,
                "trunc" => UnOp::Trunc,
                _ => UnOp::Len,
            };
            let want = if op == UnOp::Len { Some(Ty::Text) } else { dst_ty };
            InstKind::Unary { dst: d()?, op, src: s.operand(&args[0], want)? }
        }
        o if BINARY.contains(&o) => {
            let op = match o {
                "add" => BinOp::Add,
                "sub" => BinOp::Sub,
                "mul" => BinOp::Mul,
                "div" => BinOp::Div,
                "rem" => BinOp::Rem,
                "udiv" => BinOp::UDiv,
                "urem" => BinOp::URem,
                "pow" => BinOp::Pow,
                "and" => BinOp::And,
                "or" => BinOp::Or,
                "xor" => BinOp::Xor,
                "shl" => BinOp::Shl,
                "shr" => BinOp::Shr,
                "ushr" => BinOp::UShr,
                "min" => BinOp::Min,
                _ => BinOp::Max,
            };
            let t = shared(args, dst_ty);
            InstKind::Binary { dst: d()?, op, a: s.operand(&args[0], t)?, b: s.operand(&args[1], t)? }
        }
        o if COMPARE.contains(&o) => {
            let op = match o {
                "eq" => CmpOp::Eq,
                "ne" => CmpOp::Ne,
                "lt" => CmpOp::Lt,
                "le" => CmpOp::Le,
                "gt" => CmpOp::Gt,
                "ge" => CmpOp::Ge,
                "ult" => CmpOp::ULt,
                "ule" => CmpOp::ULe,
                "ugt" => CmpOp::UGt,
                _ => CmpOp::UGe,
            };
            let t = shared(args, None);
            InstKind::Cmp { dst: d()?, op, a: s.operand(&args[0], t)?, b: s.operand(&args[1], t)? }
        }
        o if CONVERT.contains(&o) => {
            let op = match o {
                "sext" => ConvOp::Sext,
                "zext" => ConvOp::Zext,
                "reduce" => ConvOp::Trunc,
                "sitof" => ConvOp::SIntToFloat,
                "uitof" => ConvOp::UIntToFloat,
                "ftosi" => ConvOp::FloatToSInt,
                "ftoui" => ConvOp::FloatToUInt,
                "fpromote" => ConvOp::FPromote,
                "fdemote" => ConvOp::FDemote,
                "bitcast" => ConvOp::Bitcast,
                "str" => ConvOp::ToText,
                _ => ConvOp::Parse,
            };
            InstKind::Convert { dst: d()?, op, src: s.operand(&args[0], None)? }
        }
        "select" => {
            let t = shared(&args[1..], dst_ty);
            InstKind::Select {
                dst: d()?,
                cond: s.operand(&args[0], Some(Ty::Bool))?,
                a: s.operand(&args[1], t)?,
                b: s.operand(&args[2], t)?,
            }
        }
        "call" => {
            let Extra::Callee(callee) = extra else {
                return Err(MirError::new(s.line, *op_col, "call without a callee"));
            };
            let params = types.params(callee);
            let mut ops = Vec::with_capacity(args.len());
            for (i, a) in args.iter().enumerate() {
                ops.push(s.operand(a, params.get(i).copied())?);
            }
            InstKind::Call { dst: dst_local, callee: callee.clone(), args: ops }
        }
        "call_indirect" => {
            let Extra::Sig(sig) = extra else {
                return Err(MirError::new(s.line, *op_col, "call_indirect without a signature"));
            };
            let target = s.operand(&args[0], Some(Ty::Ptr))?;
            let mut ops = Vec::with_capacity(args.len());
            for (i, a) in args[1..].iter().enumerate() {
                ops.push(s.operand(a, sig.params.get(i).copied())?);
            }
            InstKind::CallIndirect { dst: dst_local, sig: sig.clone(), target, args: ops }
        }
        "gload" => {
            let Extra::Callee(name) = extra else {
                return Err(MirError::new(s.line, *op_col, "gload without a global"));
            };
            InstKind::GlobalGet { dst: d()?, name: name.clone() }
        }
        "gstore" => {
            let Extra::Callee(name) = extra else {
                return Err(MirError::new(s.line, *op_col, "gstore without a global"));
            };
            InstKind::GlobalSet { name: name.clone(), src: s.operand(&args[0], types.global(name))? }
        }
        "load" => {
            let Extra::Offset(offset) = extra else {
                return Err(MirError::new(s.line, *op_col, "load without an offset"));
            };
            InstKind::Load { dst: d()?, ptr: s.operand(&args[0], Some(Ty::Ptr))?, offset: *offset }
        }
        "store" => {
            let Extra::Offset(offset) = extra else {
                return Err(MirError::new(s.line, *op_col, "store without an offset"));
            };
            InstKind::Store {
                ptr: s.operand(&args[0], Some(Ty::Ptr))?,
                offset: *offset,
                src: s.operand(&args[1], None)?,
            }
        }
        "addr" => {
            let Extra::Slot(name, col) = extra else {
                return Err(MirError::new(s.line, *op_col, "addr without a slot"));
            };
            let slot = slots.get(name.as_str()).copied().ok_or_else(|| {
                MirError::new(
                    s.line,
                    *col,
                    format!("undefined stack slot `{name}` (declare it with `slot {name} SIZE`)"),
                )
            })?;
            InstKind::SlotAddr { dst: d()?, slot }
        }
        other => return Err(MirError::new(s.line, *op_col, format!("unknown instruction `{other}`"))),
    };
    Ok(kind)
}

// ---------------------------------------------------------------- printing

/// The module as MIR text that [`parse`] reads back to the same module
/// (local names may be made unique; every line carries its `@N` line).
pub fn print(module: &Module) -> String {
    let mut out = format!("mir {VERSION}\n");
    for e in &module.externs {
        let params: Vec<&str> = e.sig.params.iter().map(|t| t.name()).collect();
        let _ = writeln!(out, "extern fn {}({}) -> {} @{}", e.name, params.join(", "), ret_name(e.sig.ret), e.line);
    }
    for g in &module.globals {
        let kind = if g.mutable { "var" } else { "val" };
        let _ = writeln!(out, "global {kind} {}: {} @{}", g.name, g.ty, g.line);
    }
    for f in &module.functions {
        out.push('\n');
        print_function(&mut out, f, false);
    }
    if let Some(f) = &module.init {
        out.push('\n');
        print_function(&mut out, f, true);
    }
    out
}

fn ret_name(t: Option<Ty>) -> &'static str {
    t.map_or("void", |t| t.name())
}

/// A unique label for every block: its own, or `bN` for an unlabelled
/// one (made unique against the others).
fn block_labels(f: &Function) -> Vec<String> {
    let mut used: std::collections::HashSet<String> =
        f.blocks.iter().map(|b| b.label.clone()).filter(|l| !l.is_empty()).collect();
    f.blocks
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if !b.label.is_empty() {
                return b.label.clone();
            }
            let mut name = format!("b{i}");
            let mut k = 1;
            while used.contains(&name) {
                name = format!("b{i}.{k}");
                k += 1;
            }
            used.insert(name.clone());
            name
        })
        .collect()
}

/// Unique printable names for a function's locals.
fn local_names(f: &Function) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    let mut names = Vec::with_capacity(f.locals.len());
    for (i, l) in f.locals.iter().enumerate() {
        let base = if l.name.is_empty() { format!("t.{i}") } else { l.name.clone() };
        let mut name = base.clone();
        let mut k = 1;
        while !used.insert(name.clone()) || matches!(name.as_str(), "true" | "false" | "inf" | "nan") {
            name = format!("{base}.{k}");
            k += 1;
        }
        names.push(name);
    }
    names
}

fn print_function(out: &mut String, f: &Function, init: bool) {
    let names = local_names(f);
    let np = f.sig.params.len();
    if init {
        let _ = writeln!(out, "init -> {} @{} {{", ret_name(f.sig.ret), f.line);
    } else {
        let params: Vec<String> = (0..np).map(|i| format!("{}: {}", names[i], f.locals[i].ty)).collect();
        let _ = writeln!(out, "fn {}({}) -> {} @{} {{", f.name, params.join(", "), ret_name(f.sig.ret), f.line);
    }
    for (i, l) in f.locals.iter().enumerate().skip(np) {
        let _ = writeln!(out, "    local {}: {}", names[i], l.ty);
    }
    for s in &f.slots {
        let _ = writeln!(out, "    slot {} {} {}", s.name, s.size, s.align);
    }
    let labels = block_labels(f);
    let label = |b: BlockId| -> String { labels[b.0 as usize].clone() };
    let op = |o: &Operand| operand_text(o, &names);
    for (bi, b) in f.blocks.iter().enumerate() {
        let _ = writeln!(out, "{}:", label(BlockId(bi as u32)));
        for i in &b.insts {
            let _ = writeln!(out, "    {} @{}", inst_text(&i.kind, &names, f), i.line);
        }
        let t = match &b.term {
            Terminator::Jump(t) => format!("jmp {}", label(*t)),
            Terminator::Branch { cond, then_block, else_block } => {
                format!("br {}, {}, {}", op(cond), label(*then_block), label(*else_block))
            }
            Terminator::Switch { value, cases, default } => {
                let mut s = format!("switch {}, {}", op(value), label(*default));
                for (k, t) in cases {
                    let _ = write!(s, ", {k}: {}", label(*t));
                }
                s
            }
            Terminator::Return(None) => "ret".to_string(),
            Terminator::Return(Some(v)) => format!("ret {}", op(v)),
        };
        let _ = writeln!(out, "    {t} @{}", b.term_line);
    }
    out.push_str("}\n");
}

fn operand_text(o: &Operand, names: &[String]) -> String {
    match o {
        Operand::Local(l) => names.get(l.0 as usize).cloned().unwrap_or_else(|| format!("t.{}", l.0)),
        Operand::Const(Const::Int(v, Ty::Bool)) => (if *v != 0 { "true" } else { "false" }).to_string(),
        Operand::Const(Const::Int(v, Ty::I64)) => v.to_string(),
        Operand::Const(Const::Int(v, t)) => format!("{v}:{t}"),
        Operand::Const(Const::F64(v)) => float_text(*v),
        Operand::Const(Const::F32(v)) => format!("{}:f32", float_text(f64::from(*v))),
    }
}

fn float_text(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        (if v > 0.0 { "inf" } else { "-inf" }).into()
    } else {
        format!("{v:?}")
    }
}

pub fn text_literal(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn inst_text(k: &InstKind, names: &[String], f: &Function) -> String {
    let n = |l: &Local| names.get(l.0 as usize).cloned().unwrap_or_default();
    let o = |x: &Operand| operand_text(x, names);
    let args = |a: &[Operand]| a.iter().map(o).collect::<Vec<_>>().join(", ");
    match k {
        InstKind::Copy { dst, src } => format!("{} = copy {}", n(dst), o(src)),
        InstKind::TextConst { dst, value } => format!("{} = copy {}", n(dst), text_literal(value)),
        InstKind::Unary { dst, op, src } => format!("{} = {} {}", n(dst), op.mnemonic(), o(src)),
        InstKind::Binary { dst, op, a, b } => format!("{} = {} {}, {}", n(dst), op.mnemonic(), o(a), o(b)),
        InstKind::Cmp { dst, op, a, b } => format!("{} = {} {}, {}", n(dst), op.mnemonic(), o(a), o(b)),
        InstKind::Convert { dst, op, src } => format!("{} = {} {}", n(dst), op.mnemonic(), o(src)),
        InstKind::Select { dst, cond, a, b } => format!("{} = select {}, {}, {}", n(dst), o(cond), o(a), o(b)),
        InstKind::Call { dst, callee, args: a } => match dst {
            Some(d) => format!("{} = call {callee}({})", n(d), args(a)),
            None => format!("call {callee}({})", args(a)),
        },
        InstKind::CallIndirect { dst, sig, target, args: a } => {
            let call = format!("call_indirect {}({}) as {sig}", o(target), args(a));
            match dst {
                Some(d) => format!("{} = {call}", n(d)),
                None => call,
            }
        }
        InstKind::Load { dst, ptr, offset } => format!("{} = load {}, {offset}", n(dst), o(ptr)),
        InstKind::Store { ptr, offset, src } => format!("store {}, {offset}, {}", o(ptr), o(src)),
        InstKind::SlotAddr { dst, slot } => {
            let name = f.slots.get(*slot as usize).map_or("?", |s| s.name.as_str());
            format!("{} = addr {name}", n(dst))
        }
        InstKind::GlobalGet { dst, name } => format!("{} = gload {name}", n(dst)),
        InstKind::GlobalSet { name, src } => format!("gstore {name}, {}", o(src)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIB: &str = "mir 1
; fib, by hand
fn fib(n: i64) -> i64 {
    local c: bool
    local a: i64
    local b: i64
entry:
    c = lt n, 2
    br c, base, rec
base:
    ret n
rec:
    a = sub n, 1
    a = call fib(a)
    b = sub n, 2
    b = call fib(b)
    a = add a, b
    ret a
}
";

    #[test]
    fn parses_and_prints_back() {
        let (m, _) = parse(FIB).unwrap();
        crate::mir::validate(&m, &crate::mir::NoEnv).unwrap();
        let printed = print(&m);
        let (again, _) = parse(&printed).unwrap();
        assert_eq!(m, again, "{printed}");
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("mir 2\n").unwrap_err();
        assert!(e.message.contains("unsupported MIR version 2"), "{e}");
        let e = parse("fn f() -> void {\n}").unwrap_err();
        assert_eq!((e.line, e.col), (1, 1));
        let e = parse("mir 1\nfn f() -> i64 {\nentry:\n    x = frob 1\n    ret 0\n}\n").unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = parse("mir 1\nfn f() -> i64 {\na:\n    jmp b\n").unwrap_err();
        assert!(e.message.contains("not closed"), "{e}");
        let e = parse("mir 1\nfn f() -> i64 {\na:\n    local x: i64\nb:\n    ret 1\n}\n").unwrap_err();
        assert!(e.message.contains("falls off its end"), "{e}");
        let e = parse("mir 1\nfn f() -> i64 {\n    ret 300:i8\n}\n").unwrap_err();
        assert!(e.message.contains("does not fit in i8"), "{e}");
    }

    #[test]
    fn never_panics_on_prefixes_of_valid_text() {
        for end in 0..FIB.len() {
            if FIB.is_char_boundary(end) {
                let _ = parse(&FIB[..end]);
            }
        }
    }
}
