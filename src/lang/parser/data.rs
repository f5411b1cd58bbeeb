//! The syntax of data: array literals, indexing and slicing, method calls
//! (`xs.push(x)`), fields (`p.x`), records (`Point(x: 1.0, y: 2.0)`,
//! `struct`), and assignment to elements and fields (`xs[i].x = v`).

use super::{Parser, assign_op};
use crate::diag::{DiagResult, Diagnostic};
use crate::lang::ast::*;
use crate::lang::token::Tok;

impl Parser {
    /// `[a, b, c]` after its '[' (a trailing comma is allowed).
    pub(super) fn list_literal(&mut self) -> DiagResult<ExprKind> {
        self.advance();
        let mut items = Vec::new();
        while !self.eat(&Tok::RBracket) {
            items.push(self.expr()?);
            if !self.eat(&Tok::Comma) {
                self.expect(Tok::RBracket, "expected ',' or ']' in the array literal")?;
                break;
            }
        }
        Ok(ExprKind::List(items))
    }

    /// `{k: v, ...}` after its '{' (a trailing comma is allowed).
    pub(super) fn map_literal(&mut self) -> DiagResult<ExprKind> {
        self.advance();
        let mut entries = Vec::new();
        while !self.eat(&Tok::RBrace) {
            let key = self.expr()?;
            self.expect(Tok::Colon, "expected ':' and the value after a map key")?;
            entries.push((key, self.expr()?));
            if !self.eat(&Tok::Comma) {
                self.expect(Tok::RBrace, "expected ',' or '}' in the map literal")?;
                break;
            }
        }
        Ok(ExprKind::MapLit(entries))
    }

    /// `e[i]`, `e[a..b]`, `e.name(args)`, any number of them, in a loop
    /// (each one's operands are parsed with the depth limit).
    pub(super) fn postfix(&mut self, mut e: Expr) -> DiagResult<Expr> {
        // Like a chain of binary operators, the height counts toward the
        // depth limit, since later passes recurse through it.
        let mut levels = 0;
        loop {
            let pos = self.pos();
            let kind = match self.tok() {
                Tok::LBracket => {
                    self.advance();
                    let index = self.expr()?;
                    let kind = match self.tok() {
                        Tok::DotDot | Tok::DotDotEq => {
                            let inclusive = *self.tok() == Tok::DotDotEq;
                            self.advance();
                            let end = self.expr()?;
                            let (base, start, end) = (Box::new(e), Box::new(index), Box::new(end));
                            ExprKind::Slice { base, start, end, inclusive }
                        }
                        _ => ExprKind::Index(Box::new(e), Box::new(index)),
                    };
                    self.expect(Tok::RBracket, "expected ']' after the index")?;
                    kind
                }
                Tok::Dot => {
                    self.advance();
                    let (name, _) = self.ident("expected a field or method name after '.'")?;
                    if self.eat(&Tok::LParen) {
                        let args = self.call_args()?;
                        ExprKind::Method { recv: Box::new(e), name, args }
                    } else {
                        ExprKind::Field(Box::new(e), name)
                    }
                }
                _ => {
                    self.depth -= levels;
                    return Ok(e);
                }
            };
            self.enter()?;
            levels += 1;
            e = Expr { kind, pos };
        }
    }

    /// The arguments after '(' up to and including ')'.
    pub(super) fn call_args(&mut self) -> DiagResult<Vec<Expr>> {
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                args.push(self.expr()?);
                if self.eat(&Tok::Comma) {
                    continue;
                }
                self.expect(Tok::RParen, "expected ',' or ')' in the argument list")?;
                break;
            }
        }
        Ok(args)
    }

    /// `name: value, ...` after a record's '(' up to and including ')'.
    pub(super) fn record_fields(&mut self) -> DiagResult<Vec<(String, crate::diag::Pos, Expr)>> {
        let mut fields = Vec::new();
        while !self.eat(&Tok::RParen) {
            let (name, pos) = self.ident("expected a field name, as in `Point(x: 1.0, y: 2.0)`")?;
            self.expect(Tok::Colon, "expected ':' and the field's value")?;
            fields.push((name, pos, self.expr()?));
            if !self.eat(&Tok::Comma) {
                self.expect(Tok::RParen, "expected ',' or ')' after a field")?;
                break;
            }
        }
        Ok(fields)
    }

    /// `struct Name:` and an indented block of `field: T` lines.
    pub(super) fn struct_def(&mut self) -> DiagResult<StructDef> {
        let pos = self.advance().pos;
        let (name, _) = self.ident("expected the struct's name after `struct`")?;
        self.expect(Tok::Colon, "expected ':' after the struct's name")?;
        self.expect(Tok::Newline, "expected the fields on the next lines, indented, one `name: T` per line")?;
        if !self.eat(&Tok::Indent) {
            return Err(self.unexpected("expected the struct's fields, indented, one `name: T` per line"));
        }
        let mut fields = Vec::new();
        self.indented_lines(|p| {
            let (field, fpos) = p.ident("expected a field `name: T`")?;
            p.expect(Tok::Colon, "expected ':' and the field's type")?;
            let ty = p.type_name()?;
            fields.push((field, ty, fpos));
            p.end_of_line("after a field")
        })?;
        Ok(StructDef { name, pos, fields })
    }

    /// A statement that parsed as an expression and is followed by an
    /// assignment: a chain of elements and fields of a variable
    /// (`xs[i] = v`, `p.x += 1.0`, `g[i][j].y = v`); any other target is
    /// an error.
    pub(super) fn element_assignment(&mut self, kind: StmtKind) -> DiagResult<StmtKind> {
        let Some(op) = assign_op(self.tok()) else { return Ok(kind) };
        let target_error = || {
            Diagnostic::new(
                self.pos(),
                "only a name, an element `name[i]` or a field `name.x` (or a chain of them) can be assigned to",
            )
        };
        let StmtKind::Expr(target) = kind else { return Err(target_error()) };
        let Some((name, steps)) = target.as_path().filter(|(_, steps)| !steps.is_empty()) else {
            return Err(target_error());
        };
        self.advance();
        let value = self.expr()?;
        Ok(StmtKind::PathAssign { name, steps, op, value })
    }
}
