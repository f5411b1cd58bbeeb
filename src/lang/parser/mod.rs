//! Tokens to syntax tree: recursive descent with one token of lookahead
//! (two for `name =`).
//!
//! Invariant: the parser never panics and never overflows the stack, whatever
//! the input: recursion is bounded by `MAX_DEPTH`, and every error is a
//! `Diagnostic` at the token that was unexpected.

use super::ast::*;
use super::lexer::lex;
use super::token::{Pos, Tok, Token};
use crate::diag::{DiagResult, Diagnostic};
use crate::util::stack;

mod data;

/// Deepest nesting of expressions and blocks the parser accepts. Keeps the
/// later recursive passes (checker, lowering) well inside a small stack.
pub(crate) const MAX_DEPTH: u32 = 256;

/// `=` (`Some(None)`) or a compound assignment (`Some(Some(op))`).
fn assign_op(t: &Tok) -> Option<Option<BinOp>> {
    match t {
        Tok::Assign => Some(None),
        Tok::PlusAssign => Some(Some(BinOp::Add)),
        Tok::MinusAssign => Some(Some(BinOp::Sub)),
        Tok::StarAssign => Some(Some(BinOp::Mul)),
        Tok::SlashAssign => Some(Some(BinOp::Div)),
        Tok::PercentAssign => Some(Some(BinOp::Rem)),
        _ => None,
    }
}

pub fn parse(source: &str) -> DiagResult<Unit> {
    let tokens = lex(source)?;
    Parser { tokens, at: 0, depth: 0 }.unit()
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: u32,
}

impl Parser {
    fn tok(&self) -> &Tok {
        &self.tokens[self.at.min(self.tokens.len() - 1)].tok
    }

    fn tok_at(&self, ahead: usize) -> &Tok {
        &self.tokens[(self.at + ahead).min(self.tokens.len() - 1)].tok
    }

    fn pos(&self) -> Pos {
        self.tokens[self.at.min(self.tokens.len() - 1)].pos
    }

    fn advance(&mut self) -> Token {
        let t = self.tokens[self.at.min(self.tokens.len() - 1)].clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.tok() == tok {
            self.advance();
            true
        } else {
            false
        }
    }

    fn unexpected(&self, expected: &str) -> Diagnostic {
        let found = self.tok();
        let message = match found {
            Tok::Indent => format!("{expected}, found an unexpected indented block"),
            _ => format!("{expected}, found {found}"),
        };
        Diagnostic::new(self.pos(), message)
    }

    fn expect(&mut self, tok: Tok, expected: &str) -> DiagResult<Token> {
        if *self.tok() == tok { Ok(self.advance()) } else { Err(self.unexpected(expected)) }
    }

    fn ident(&mut self, expected: &str) -> DiagResult<(String, Pos)> {
        match self.tok().clone() {
            Tok::Ident(name) => {
                let pos = self.advance().pos;
                Ok((name, pos))
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    fn enter(&mut self) -> DiagResult<()> {
        self.depth += 1;
        // The depth limit keeps later passes cheap; the stack check keeps a
        // host thread with a small stack (or a debug build's big frames) safe.
        if self.depth > MAX_DEPTH || !stack::pass_may_descend() {
            return Err(Diagnostic::new(
                self.pos(),
                format!(
                    "nesting too deep (more than {MAX_DEPTH} levels of expressions or blocks, \
                     or more than this thread's stack can hold)"
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn unit(mut self) -> DiagResult<Unit> {
        let mut items = Vec::new();
        loop {
            match self.tok() {
                Tok::Eof => break,
                Tok::Newline => {
                    self.advance();
                }
                Tok::Fn => items.push(Item::Fn(self.fn_def()?)),
                Tok::Extern => items.push(self.extern_item()?),
                Tok::Struct => items.push(Item::Struct(self.struct_def()?)),
                _ => items.push(Item::Stmt(self.stmt()?)),
            }
        }
        Ok(Unit { items })
    }

    fn params(&mut self) -> DiagResult<Vec<Param>> {
        self.expect(Tok::LParen, "expected '(' after the function name")?;
        let mut params = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                let (name, pos) = self.ident("expected a parameter name")?;
                let ty = if self.eat(&Tok::Colon) { Some(self.type_name()?) } else { None };
                params.push(Param { name, ty, pos });
                if self.eat(&Tok::Comma) {
                    continue;
                }
                self.expect(Tok::RParen, "expected ',' or ')' after a parameter")?;
                break;
            }
        }
        Ok(params)
    }

    /// A type: a word, or `[T]` (nesting read in a loop: no recursion);
    /// the checker resolves the word.
    fn type_name(&mut self) -> DiagResult<TypeExpr> {
        let mut depth = 0;
        while self.eat(&Tok::LBracket) {
            depth += 1;
        }
        let mut t = match self.tok().clone() {
            Tok::Ident(word) => TypeExpr::Named(word, self.advance().pos),
            Tok::LBrace => {
                let pos = self.advance().pos;
                self.enter()?;
                let key = self.type_name();
                self.leave();
                let key = key?;
                self.expect(Tok::Colon, "expected ':' and the map's value type, as in `{text: i64}`")?;
                self.enter()?;
                let value = self.type_name();
                self.leave();
                let value = value?;
                self.expect(Tok::RBrace, "expected '}' to close the map type")?;
                TypeExpr::Map(Box::new(key), Box::new(value), pos)
            }
            _ => return Err(self.unexpected("expected a type (i64, f64, bool, text, [T], {K: V} or a struct's name)")),
        };
        for _ in 0..depth {
            self.expect(Tok::RBracket, "expected ']' to close the array type")?;
            t = TypeExpr::Array(Box::new(t));
        }
        Ok(t)
    }

    fn ret_type(&mut self) -> DiagResult<Option<TypeExpr>> {
        if self.eat(&Tok::Arrow) { Ok(Some(self.type_name()?)) } else { Ok(None) }
    }

    /// The name, parameters and result type after `fn`; `pos` is where
    /// the item starts.
    fn header(&mut self, pos: Pos, expected_name: &str) -> DiagResult<FnHeader> {
        let (name, _) = self.ident(expected_name)?;
        let params = self.params()?;
        let ret = self.ret_type()?;
        Ok(FnHeader { name, pos, params, ret })
    }

    fn fn_def(&mut self) -> DiagResult<FnDef> {
        let pos = self.advance().pos;
        let header = self.header(pos, "expected a function name after `fn`")?;
        self.expect(Tok::Colon, "expected ':' before the function body")?;
        let body = self.block()?;
        Ok(FnDef { header, body })
    }

    /// `extern fn ...`, `extern struct ...` or `extern val ...`.
    fn extern_item(&mut self) -> DiagResult<Item> {
        match self.tok_at(1) {
            Tok::Struct => {
                self.advance();
                Ok(Item::ExternStruct(self.struct_def()?))
            }
            Tok::Val => {
                let pos = self.advance().pos;
                self.advance();
                let (name, _) = self.ident("expected the name after `extern val`")?;
                self.expect(Tok::Colon, "expected ':' and the extern struct's name (or `[T]`) after the name")?;
                let ty = self.type_name()?;
                self.end_of_line("after an extern val declaration")?;
                Ok(Item::ExternVal(ExternVal { name, pos, ty }))
            }
            _ => Ok(Item::Extern(self.extern_decl()?)),
        }
    }

    fn extern_decl(&mut self) -> DiagResult<ExternDecl> {
        let pos = self.advance().pos;
        self.expect(Tok::Fn, "expected `fn`, `struct` or `val` after `extern`")?;
        let header = self.header(pos, "expected a function name after `extern fn`")?;
        self.end_of_line("after an extern declaration")?;
        Ok(ExternDecl { header })
    }

    fn end_of_line(&mut self, context: &str) -> DiagResult<()> {
        match self.tok() {
            Tok::Newline => {
                self.advance();
                Ok(())
            }
            Tok::Eof | Tok::Dedent => Ok(()),
            _ => Err(self.unexpected(&format!("expected end of line {context}"))),
        }
    }

    /// After a `:`: either an indented block on the next lines, or one simple
    /// statement on the same line.
    fn block(&mut self) -> DiagResult<Vec<Stmt>> {
        self.enter()?;
        let result = self.block_inner();
        self.leave();
        result
    }

    /// The lines of an indented block (after its Indent), each read by
    /// `line`, up to and including the Dedent; blank lines are skipped.
    fn indented_lines(&mut self, mut line: impl FnMut(&mut Self) -> DiagResult<()>) -> DiagResult<()> {
        loop {
            match self.tok() {
                Tok::Dedent => {
                    self.advance();
                    return Ok(());
                }
                Tok::Eof => return Ok(()),
                Tok::Newline => {
                    self.advance();
                }
                _ => line(self)?,
            }
        }
    }

    fn block_inner(&mut self) -> DiagResult<Vec<Stmt>> {
        if self.eat(&Tok::Newline) {
            if *self.tok() != Tok::Indent {
                return Err(self.unexpected("expected an indented block after ':'"));
            }
            self.advance();
            let mut body = Vec::new();
            self.indented_lines(|p| {
                match p.tok() {
                    Tok::Fn | Tok::Extern => {
                        return Err(Diagnostic::new(
                            p.pos(),
                            "functions can only be defined at the top level of a unit",
                        ));
                    }
                    Tok::Struct => {
                        return Err(Diagnostic::new(
                            p.pos(),
                            "a struct can only be declared at the top level of a unit",
                        ));
                    }
                    _ => body.push(p.stmt()?),
                }
                Ok(())
            })?;
            Ok(body)
        } else {
            match self.tok() {
                Tok::If | Tok::While | Tok::For | Tok::Fn | Tok::Extern => Err(Diagnostic::new(
                    self.pos(),
                    "a block on the same line as its ':' holds one simple statement; put this on a new, indented line",
                )),
                Tok::Eof | Tok::Dedent => Err(self.unexpected("expected a statement or an indented block after ':'")),
                _ => {
                    let stmt = self.simple_stmt()?;
                    self.end_of_line("after the statement")?;
                    Ok(vec![stmt])
                }
            }
        }
    }

    fn stmt(&mut self) -> DiagResult<Stmt> {
        let pos = self.pos();
        match self.tok() {
            Tok::If => self.if_stmt(),
            Tok::While => {
                self.advance();
                let cond = self.expr()?;
                self.expect(Tok::Colon, "expected ':' after the loop condition")?;
                let body = self.block()?;
                Ok(Stmt { kind: StmtKind::While { cond, body }, pos })
            }
            Tok::For => self.for_stmt(),
            Tok::Elif | Tok::Else => Err(Diagnostic::new(pos, format!("{} without a matching `if`", self.tok()))),
            Tok::Indent => Err(Diagnostic::new(pos, "unexpected indentation (no block was opened with ':')")),
            _ => {
                let stmt = self.simple_stmt()?;
                self.end_of_line("after the statement")?;
                Ok(stmt)
            }
        }
    }

    fn if_stmt(&mut self) -> DiagResult<Stmt> {
        let pos = self.advance().pos;
        let mut branches = Vec::new();
        let cond = self.expr()?;
        self.expect(Tok::Colon, "expected ':' after condition")?;
        branches.push((cond, self.block()?));
        let mut else_body = None;
        loop {
            match self.tok() {
                Tok::Elif => {
                    self.advance();
                    let cond = self.expr()?;
                    self.expect(Tok::Colon, "expected ':' after condition")?;
                    branches.push((cond, self.block()?));
                }
                Tok::Else => {
                    self.advance();
                    self.expect(Tok::Colon, "expected ':' after `else`")?;
                    else_body = Some(self.block()?);
                    break;
                }
                _ => break,
            }
        }
        Ok(Stmt { kind: StmtKind::If { branches, else_body }, pos })
    }

    fn for_stmt(&mut self) -> DiagResult<Stmt> {
        let pos = self.advance().pos;
        let (var, _) = self.ident("expected a loop variable after `for`")?;
        self.expect(Tok::In, "expected `in` after the loop variable")?;
        let start = self.expr()?;
        let inclusive = match self.tok() {
            Tok::DotDot => false,
            Tok::DotDotEq => true,
            Tok::Colon => {
                self.advance();
                let body = self.block()?;
                return Ok(Stmt { kind: StmtKind::ForEach { var, iter: start, body }, pos });
            }
            _ => return Err(self.unexpected("expected '..' or '..=' in the range, or ':' after the array")),
        };
        self.advance();
        let end = self.expr()?;
        self.expect(Tok::Colon, "expected ':' after the range")?;
        let body = self.block()?;
        Ok(Stmt { kind: StmtKind::For { var, start, end, inclusive, body }, pos })
    }

    fn simple_stmt(&mut self) -> DiagResult<Stmt> {
        let pos = self.pos();
        let kind = match self.tok().clone() {
            Tok::Val | Tok::Var => {
                let mutable = *self.tok() == Tok::Var;
                self.advance();
                let (name, _) = self.ident("expected a name after `val`/`var`")?;
                let ty = if self.eat(&Tok::Colon) { Some(self.type_name()?) } else { None };
                self.expect(Tok::Assign, "expected '=' and a value in the declaration")?;
                let value = self.expr()?;
                StmtKind::Let { mutable, name, ty, value }
            }
            Tok::Return => {
                self.advance();
                match self.tok() {
                    Tok::Newline | Tok::Eof | Tok::Dedent => StmtKind::Return(None),
                    _ => StmtKind::Return(Some(self.expr()?)),
                }
            }
            Tok::Break => {
                self.advance();
                StmtKind::Break
            }
            Tok::Continue => {
                self.advance();
                StmtKind::Continue
            }
            Tok::Ident(name) => {
                let op = assign_op(self.tok_at(1));
                match op {
                    Some(op) => {
                        self.advance();
                        self.advance();
                        let value = self.expr()?;
                        StmtKind::Assign { name, op, value }
                    }
                    None => StmtKind::Expr(self.expr()?),
                }
            }
            _ => StmtKind::Expr(self.expr()?),
        };
        let kind = self.element_assignment(kind)?;
        Ok(Stmt { kind, pos })
    }

    fn expr(&mut self) -> DiagResult<Expr> {
        self.enter()?;
        let result = self.or_expr();
        self.leave();
        result
    }

    fn binary_chain(
        &mut self,
        next: fn(&mut Self) -> DiagResult<Expr>,
        op_of: fn(&Tok) -> Option<BinOp>,
    ) -> DiagResult<Expr> {
        let mut lhs = next(self)?;
        // A chain `a + b + c ...` builds a left-deep tree; its height counts
        // against the depth limit like nesting does, since later passes recurse.
        let mut height = 0;
        while let Some(op) = op_of(self.tok()) {
            let pos = self.advance().pos;
            self.enter()?;
            height += 1;
            let rhs = next(self)?;
            lhs = Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), pos };
        }
        self.depth -= height;
        Ok(lhs)
    }

    fn or_expr(&mut self) -> DiagResult<Expr> {
        self.binary_chain(Self::and_expr, |t| (*t == Tok::Or).then_some(BinOp::Or))
    }

    fn and_expr(&mut self) -> DiagResult<Expr> {
        self.binary_chain(Self::not_expr, |t| (*t == Tok::And).then_some(BinOp::And))
    }

    fn not_expr(&mut self) -> DiagResult<Expr> {
        if *self.tok() == Tok::Not {
            let pos = self.advance().pos;
            self.enter()?;
            let operand = self.not_expr();
            self.leave();
            return Ok(Expr { kind: ExprKind::Unary(UnOp::Not, Box::new(operand?)), pos });
        }
        self.cmp_expr()
    }

    fn cmp_expr(&mut self) -> DiagResult<Expr> {
        fn cmp_op(t: &Tok) -> Option<BinOp> {
            Some(match t {
                Tok::EqEq => BinOp::Eq,
                Tok::NotEq => BinOp::Ne,
                Tok::Lt => BinOp::Lt,
                Tok::Le => BinOp::Le,
                Tok::Gt => BinOp::Gt,
                Tok::Ge => BinOp::Ge,
                Tok::In => BinOp::In,
                _ => return None,
            })
        }
        let lhs = self.add_expr()?;
        let Some(op) = cmp_op(self.tok()) else { return Ok(lhs) };
        let pos = self.advance().pos;
        let rhs = self.add_expr()?;
        if cmp_op(self.tok()).is_some() {
            return Err(Diagnostic::new(self.pos(), "comparisons cannot be chained (write `a < b and b < c`)"));
        }
        Ok(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), pos })
    }

    fn add_expr(&mut self) -> DiagResult<Expr> {
        self.binary_chain(Self::mul_expr, |t| match t {
            Tok::Plus => Some(BinOp::Add),
            Tok::Minus => Some(BinOp::Sub),
            _ => None,
        })
    }

    fn mul_expr(&mut self) -> DiagResult<Expr> {
        self.binary_chain(Self::unary, |t| match t {
            Tok::Star => Some(BinOp::Mul),
            Tok::Slash => Some(BinOp::Div),
            Tok::Percent => Some(BinOp::Rem),
            _ => None,
        })
    }

    fn unary(&mut self) -> DiagResult<Expr> {
        if *self.tok() != Tok::Minus {
            return self.power();
        }
        let pos = self.advance().pos;
        // `-9223372036854775808` is i64::MIN although its magnitude is not an i64.
        if let Tok::Int { value, bit_pattern: false } = *self.tok() {
            if value == 1u64 << 63 && *self.tok_at(1) != Tok::Caret {
                self.advance();
                return Ok(Expr { kind: ExprKind::Int(i64::MIN), pos });
            }
        }
        self.enter()?;
        let operand = self.unary();
        self.leave();
        Ok(Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(operand?)), pos })
    }

    /// `primary ['^' exponent]`, where the exponent may carry unary minus
    /// signs and is itself a power: `2^3^2 == 2^(3^2)`, `2.0^-1 == 0.5`.
    fn power(&mut self) -> DiagResult<Expr> {
        let base = self.primary()?;
        let base = self.postfix(base)?;
        if *self.tok() != Tok::Caret {
            return Ok(base);
        }
        let pos = self.advance().pos;
        self.enter()?;
        let exponent = self.exponent();
        self.leave();
        Ok(Expr { kind: ExprKind::Binary(BinOp::Pow, Box::new(base), Box::new(exponent?)), pos })
    }

    fn exponent(&mut self) -> DiagResult<Expr> {
        if *self.tok() == Tok::Minus {
            return self.unary_in_exponent();
        }
        self.power()
    }

    fn unary_in_exponent(&mut self) -> DiagResult<Expr> {
        let pos = self.advance().pos;
        self.enter()?;
        let operand = self.exponent();
        self.leave();
        Ok(Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(operand?)), pos })
    }

    fn primary(&mut self) -> DiagResult<Expr> {
        let pos = self.pos();
        let kind = match self.tok().clone() {
            Tok::Int { value, bit_pattern } => {
                if !bit_pattern && value > i64::MAX as u64 {
                    return Err(Diagnostic::new(pos, format!("integer literal {value} is out of range for i64")));
                }
                self.advance();
                ExprKind::Int(value as i64)
            }
            Tok::Float(v) => {
                self.advance();
                ExprKind::Float(v)
            }
            Tok::Str(s) => {
                self.advance();
                ExprKind::Str(s)
            }
            Tok::True => {
                self.advance();
                ExprKind::Bool(true)
            }
            Tok::False => {
                self.advance();
                ExprKind::Bool(false)
            }
            Tok::Ident(name) => {
                self.advance();
                if *self.tok() == Tok::LParen {
                    self.advance();
                    if matches!(self.tok(), Tok::Ident(_)) && *self.tok_at(1) == Tok::Colon {
                        ExprKind::Record { name, fields: self.record_fields()? }
                    } else {
                        ExprKind::Call { name, args: self.call_args()? }
                    }
                } else {
                    ExprKind::Name(name)
                }
            }
            Tok::LParen => {
                self.advance();
                let inner = self.expr()?;
                self.expect(Tok::RParen, "expected ')' to close '('")?;
                return Ok(inner);
            }
            Tok::LBracket => self.list_literal()?,
            Tok::LBrace => self.map_literal()?,
            _ => return Err(self.unexpected("expected an expression")),
        };
        Ok(Expr { kind, pos })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr_of(src: &str) -> Expr {
        let unit = parse(src).unwrap();
        match unit.items.into_iter().next() {
            Some(Item::Stmt(Stmt { kind: StmtKind::Expr(e), .. })) => e,
            other => panic!("not an expression statement: {other:?}"),
        }
    }

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Int(v) => v.to_string(),
            ExprKind::Float(v) => format!("{v:?}"),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Name(n) => n.clone(),
            ExprKind::Unary(UnOp::Neg, x) => format!("(-{})", show(x)),
            ExprKind::Unary(UnOp::Not, x) => format!("(not {})", show(x)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", show(a), op.symbol(), show(b)),
            ExprKind::Call { name, args } => {
                format!("{name}({})", args.iter().map(show).collect::<Vec<_>>().join(", "))
            }
            ExprKind::List(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", ")),
            ExprKind::Index(a, i) => format!("{}[{}]", show(a), show(i)),
            ExprKind::Slice { base, start, end, inclusive } => {
                format!("{}[{}{}{}]", show(base), show(start), if *inclusive { "..=" } else { ".." }, show(end))
            }
            ExprKind::Method { recv, name, args } => {
                format!("{}.{name}({})", show(recv), args.iter().map(show).collect::<Vec<_>>().join(", "))
            }
            ExprKind::Field(base, name) => format!("{}.{name}", show(base)),
            ExprKind::MapLit(entries) => {
                let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{}: {}", show(k), show(v))).collect();
                format!("{{{}}}", entries.join(", "))
            }
            ExprKind::Record { name, fields } => {
                let fields: Vec<String> = fields.iter().map(|(f, _, v)| format!("{f}: {}", show(v))).collect();
                format!("{name}({})", fields.join(", "))
            }
        }
    }

    #[test]
    fn precedence() {
        assert_eq!(show(&expr_of("-2^2")), "(-(2 ^ 2))");
        assert_eq!(show(&expr_of("2^3^2")), "(2 ^ (3 ^ 2))");
        assert_eq!(show(&expr_of("2.0^-1")), "(2.0 ^ (-1))");
        assert_eq!(show(&expr_of("x^2 + 2*x + 1")), "(((x ^ 2) + (2 * x)) + 1)");
        assert_eq!(show(&expr_of("not a == b or c and d")), "((not (a == b)) or (c and d))");
        assert_eq!(show(&expr_of("-9223372036854775808")), "-9223372036854775808");
        assert_eq!(show(&expr_of("f(1, g(2))")), "f(1, g(2))");
        assert_eq!(show(&expr_of("-xs[i]^2")), "(-(xs[i] ^ 2))");
        assert_eq!(show(&expr_of("[1, [2]][0][1..=2] + ys.pop()")), "([1, [2]][0][1..=2] + ys.pop())");
    }

    #[test]
    fn chained_comparison_is_an_error() {
        let e = parse("a < b < c").unwrap_err();
        assert!(e.message.contains("chained"), "{e}");
    }

    #[test]
    fn inline_and_block_bodies() {
        let unit = parse("fn f(x): x^2 + 2*x + 1\nfn g(n):\n    if n < 2: return n\n    else: return 0\n").unwrap();
        assert_eq!(unit.items.len(), 2);
    }

    #[test]
    fn error_positions() {
        let e = parse("fn f(x):\n    if x\n        return 1\n").unwrap_err();
        assert_eq!((e.pos.line, e.pos.col), (2, 9));
        assert!(e.message.contains("expected ':' after condition"), "{e}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let src = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&src).unwrap_err().message.contains("nesting too deep"));
        let src = format!("{}1", "-".repeat(100_000));
        assert!(parse(&src).is_err());
        let src = format!("{}1", "not ".repeat(100_000));
        assert!(parse(&src).is_err());
        let src = format!("1{}", "^1".repeat(100_000));
        assert!(parse(&src).is_err());
        let src = format!("1{}", "+1".repeat(100_000));
        assert!(parse(&src).is_err());
        let src = format!("1{}", "+1".repeat(200));
        assert!(parse(&src).is_ok());
    }

    #[test]
    fn literal_range() {
        assert!(parse("9223372036854775808").is_err());
        assert!(parse("0xFFFFFFFFFFFFFFFF").is_ok());
    }
}
