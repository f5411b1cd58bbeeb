//! A cursor over the tokens of one MIR text line, and the small grammar
//! pieces every kind of line shares (names, types, signatures, `@N`).

use super::lex::{Tok, Token};
use crate::diag::Diagnostic;
use crate::mir::data::{Signature, Ty};
use crate::mir::{FieldTy, RecordDecl};

/// The deepest a type may nest arrays and records (`[[[f64]]]`), so no
/// input can exhaust the parser's stack.
const MAX_TYPE_DEPTH: usize = 64;

pub(super) struct Line<'a> {
    pub toks: &'a [Token],
    pub at: usize,
    pub line: u32,
    /// The column just past the line's last character (where "found end
    /// of line" points).
    pub end_col: u32,
}

impl<'a> Line<'a> {
    pub fn new(toks: &'a [Token], line: u32, text: &str) -> Line<'a> {
        Line { toks, at: 0, line, end_col: text.chars().count() as u32 + 1 }
    }

    pub fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.at).map(|t| &t.tok)
    }

    pub fn peek_at(&self, ahead: usize) -> Option<&'a Tok> {
        self.toks.get(self.at + ahead).map(|t| &t.tok)
    }

    pub fn col(&self) -> u32 {
        self.toks.get(self.at).map_or(self.end_col, |t| t.col)
    }

    pub fn err(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.line, self.col(), message)
    }

    pub fn err_at(&self, col: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.line, col, message)
    }

    pub fn expected(&self, what: &str) -> Diagnostic {
        match self.peek() {
            Some(t) => self.err(format!("expected {what}, found {}", t.describe())),
            None => self.err(format!("expected {what}, found end of line")),
        }
    }

    pub fn next(&mut self) -> Option<&'a Tok> {
        let t = self.peek();
        if t.is_some() {
            self.at += 1;
        }
        t
    }

    pub fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, c: char, what: &str) -> Result<(), Diagnostic> {
        if self.eat(c) { Ok(()) } else { Err(self.expected(what)) }
    }

    pub fn name(&mut self, what: &str) -> Result<(String, u32), Diagnostic> {
        let col = self.col();
        match self.peek() {
            Some(Tok::Name(n)) => {
                self.at += 1;
                Ok((n.clone(), col))
            }
            _ => Err(self.expected(what)),
        }
    }

    pub fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Name(n)) if n == word) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// A type: a name, `[T]` for an array of `T`, `{K: V}` for a map, or
    /// a record written
    /// out, `Point{x: f64, y: f64}` (inside it, a record it is part of is
    /// written by its name alone: `Node{children: [Node]}`).
    pub fn ty(&mut self) -> Result<Ty, Diagnostic> {
        let col = self.col();
        let mut decls = Vec::new();
        let t = self.field_ty(&mut decls, &mut Vec::new(), 0)?;
        let types = crate::mir::records(&decls).map_err(|m| self.err_at(col, m))?;
        Ok(crate::mir::resolve(&t, &types))
    }

    /// A type inside `open` records (their names and indices in `decls`),
    /// `depth` brackets and braces deep.
    fn field_ty(
        &mut self,
        decls: &mut Vec<RecordDecl>,
        open: &mut Vec<(String, usize)>,
        depth: usize,
    ) -> Result<FieldTy, Diagnostic> {
        if depth > MAX_TYPE_DEPTH {
            return Err(self.err(format!("a type nested more than {MAX_TYPE_DEPTH} deep")));
        }
        if self.eat('[') {
            let elem = self.field_ty(decls, open, depth + 1)?;
            self.expect(']', "']' closing the array type")?;
            return Ok(FieldTy::Array(Box::new(elem)));
        }
        if self.eat('{') {
            let col = self.col();
            let (key, _) = self.name("a map's key type (text or i64)")?;
            let key = match Ty::from_name(&key) {
                Some(t @ (Ty::Text | Ty::I64)) => t,
                _ => return Err(self.err_at(col, format!("a map's keys are text or i64, not `{key}`"))),
            };
            self.expect(':', "':' and the map's value type")?;
            let value = self.field_ty(decls, open, depth + 1)?;
            self.expect('}', "'}' closing the map type")?;
            return Ok(FieldTy::Map(key, Box::new(value)));
        }
        let col = self.col();
        let (name, _) = self.name(&format!("a type ({})", Ty::names()))?;
        if let Some(t) = Ty::from_name(&name) {
            return Ok(FieldTy::Ty(t));
        }
        // `P{x: T}` or `P{}`; a `{` that ends the line opens a body.
        let opens_record = self.peek() == Some(&Tok::Punct('{'))
            && matches!(
                (self.peek_at(1), self.peek_at(2)),
                (Some(Tok::Punct('}')), _) | (Some(Tok::Name(_)), Some(Tok::Punct(':')))
            );
        if opens_record && self.eat('{') {
            let index = decls.len();
            decls.push(RecordDecl { name: name.clone(), fields: Vec::new() });
            open.push((name, index));
            let mut fields = Vec::new();
            if !self.eat('}') {
                loop {
                    let (field, _) = self.name("a field name")?;
                    self.expect(':', "':' and the field's type")?;
                    fields.push((field, self.field_ty(decls, open, depth + 1)?));
                    if self.eat('}') {
                        break;
                    }
                    self.expect(',', "',' or '}' after a field")?;
                }
            }
            open.pop();
            decls[index].fields = fields;
            return Ok(FieldTy::Record(index));
        }
        match open.iter().rev().find(|(n, _)| *n == name) {
            Some((_, index)) => Ok(FieldTy::Record(*index)),
            None => Err(self.err_at(
                col,
                format!(
                    "unknown type `{name}` (expected {}, or a record written out, as in `{name}{{x: f64}}`)",
                    Ty::names()
                ),
            )),
        }
    }

    pub fn ret_ty(&mut self) -> Result<Option<Ty>, Diagnostic> {
        if self.peek() != Some(&Tok::Arrow) {
            return Err(self.expected("'->' and a result type (or `-> void`)"));
        }
        self.at += 1;
        if self.keyword("void") { Ok(None) } else { self.ty().map(Some) }
    }

    /// `(T, T) -> R`: the types of a signature after `fn` or an extern's name.
    pub fn sig_after_name(&mut self) -> Result<Signature, Diagnostic> {
        self.expect('(', "'(' and the parameter types")?;
        let mut params = Vec::new();
        if !self.eat(')') {
            loop {
                params.push(self.ty()?);
                if self.eat(')') {
                    break;
                }
                self.expect(',', "',' or ')' in the parameter types")?;
            }
        }
        Ok(Signature { params, ret: self.ret_ty()? })
    }

    /// `fn(T, T) -> R`.
    pub fn signature(&mut self) -> Result<Signature, Diagnostic> {
        if !self.keyword("fn") {
            return Err(self.expected("a signature `fn(...) -> T`"));
        }
        self.sig_after_name()
    }

    pub fn int(&mut self, what: &str) -> Result<i128, Diagnostic> {
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
    pub fn line_attr(&mut self) -> Result<Option<u32>, Diagnostic> {
        if !self.eat('@') {
            return Ok(None);
        }
        let v = self.int("a line number after '@'")?;
        u32::try_from(v).map(Some).map_err(|_| self.err("line number out of range"))
    }

    pub fn end(&self) -> Result<(), Diagnostic> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.expected("end of line")),
        }
    }
}
