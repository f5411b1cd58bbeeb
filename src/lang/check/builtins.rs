//! Calls of the built-in functions, one rule each.

use super::checker::{Checker, Ex, is_numeric};
use crate::diag::{DiagResult, Diagnostic, Pos};
use crate::lang::typed::*;

/// The one argument of a one-argument built-in, or the arity error.
fn single(b: Builtin, xs: Vec<(Ex, Pos)>, pos: Pos) -> DiagResult<(Ex, Pos)> {
    let given = xs.len();
    match (given, xs.into_iter().next()) {
        (1, Some(x)) => Ok(x),
        _ => Err(Diagnostic::new(pos, format!("`{}` takes 1 argument but {given} were given", b.name()))),
    }
}

impl Checker<'_> {
    pub(super) fn builtin(&mut self, b: Builtin, xs: Vec<(Ex, Pos)>, pos: Pos) -> DiagResult<Ex> {
        let line = pos.line;
        let bad = |t: Type, need: &str| Diagnostic::new(pos, format!("`{}` needs {need}, found {t}", b.name()));
        let call = |ty, args| Self::ex(ty, line, TExprKind::Builtin(b, args));
        if let Some((Ex { ty: Some(t @ Type::Host(_)), .. }, _)) =
            xs.first().filter(|_| !matches!(b, Builtin::Print | Builtin::Len))
        {
            return Err(bad(*t, "a value (an extern struct is the host's memory: use its fields)"));
        }
        if let Some((x, _)) =
            xs.iter().find(|(x, _)| matches!(x.ty, Some(Type::Host(_)))).filter(|_| b == Builtin::Print)
        {
            return Err(bad(x.e.ty, "values (an extern struct is the host's memory: print its fields)"));
        }
        match b {
            Builtin::Min | Builtin::Max => self.min_max(b, xs, pos),
            Builtin::Abs => {
                let (x, _) = single(b, xs, pos)?;
                match x.ty {
                    Some(t) if !is_numeric(t) => Err(bad(t, "a number")),
                    ty => Ok(call(ty, vec![x.e])),
                }
            }
            Builtin::Sqrt | Builtin::Floor | Builtin::Ceil => {
                let (x, p) = single(b, xs, pos)?;
                if let Some(t) = x.ty.filter(|t| !is_numeric(*t)) {
                    return Err(bad(t, "a number"));
                }
                let e = self.coerce(x, Some(Type::F64), p, String::new)?;
                Ok(call(Some(Type::F64), vec![e]))
            }
            Builtin::Len => {
                let (x, _) = single(b, xs, pos)?;
                match x.ty {
                    Some(t) if t != Type::Text && t.elem().is_none() && t.map_types().is_none() => {
                        Err(bad(t, "a text, an array or a map"))
                    }
                    _ => Ok(call(Some(Type::I64), vec![x.e])),
                }
            }
            Builtin::Int => {
                let (x, _) = single(b, xs, pos)?;
                if x.ty == Some(Type::I64) { Ok(x) } else { Ok(call(Some(Type::I64), vec![x.e])) }
            }
            Builtin::Float => {
                let (x, p) = single(b, xs, pos)?;
                match x.ty {
                    Some(Type::F64) => Ok(x),
                    Some(Type::I64) => {
                        let e = self.coerce(x, Some(Type::F64), p, String::new)?;
                        Ok(Self::ex(Some(Type::F64), line, e.kind))
                    }
                    _ => Ok(call(Some(Type::F64), vec![x.e])),
                }
            }
            Builtin::Print => Ok(call(Some(Type::Void), xs.into_iter().map(|(x, _)| x.e).collect())),
            Builtin::Str => {
                let (x, _) = single(b, xs, pos)?;
                if x.ty == Some(Type::Text) { Ok(x) } else { Ok(call(Some(Type::Text), vec![x.e])) }
            }
        }
    }

    /// `min`/`max` of two or more numbers, of their common type.
    fn min_max(&mut self, b: Builtin, xs: Vec<(Ex, Pos)>, pos: Pos) -> DiagResult<Ex> {
        if xs.len() < 2 {
            return Err(Diagnostic::new(pos, format!("`{}` takes two or more arguments", b.name())));
        }
        let mut common = Some(Type::I64);
        for (x, _) in &xs {
            match x.ty {
                Some(t) if !is_numeric(t) => {
                    return Err(Diagnostic::new(pos, format!("`{}` needs numbers, found {t}", b.name())));
                }
                Some(Type::F64) if common.is_some() => common = Some(Type::F64),
                None => common = None,
                _ => {}
            }
        }
        let mut args = Vec::new();
        for (x, p) in xs {
            args.push(self.coerce(x, common, p, String::new)?);
        }
        Ok(Self::ex(common, pos.line, TExprKind::Builtin(b, args)))
    }
}
