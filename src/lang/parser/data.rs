//! The syntax of data: array literals, indexing and slicing, method calls
//! (`xs.push(x)`), and element assignment (`xs[i] = x`).

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
                    let (name, _) = self.ident("expected a method name after '.'")?;
                    self.expect(Tok::LParen, "expected '(' after the method name")?;
                    let args = self.call_args()?;
                    ExprKind::Method { recv: Box::new(e), name, args }
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

    /// A statement that parsed as an expression and is followed by an
    /// assignment: `name[i] = v` becomes an element assignment; any other
    /// target is an error.
    pub(super) fn element_assignment(&mut self, kind: StmtKind) -> DiagResult<StmtKind> {
        let Some(op) = assign_op(self.tok()) else { return Ok(kind) };
        let target_error = || Diagnostic::new(self.pos(), "only a name or an element `name[i]` can be assigned to");
        let StmtKind::Expr(Expr { kind: ExprKind::Index(base, index), .. }) = kind else {
            return Err(target_error());
        };
        let ExprKind::Name(name) = base.kind else { return Err(target_error()) };
        self.advance();
        let value = self.expr()?;
        Ok(StmtKind::IndexAssign { name, index: *index, op, value })
    }
}
