//! The MIR text format, version 1 (docs/mir.md): a parser that turns text
//! into [`Module`] and remembers where everything was, and a printer that
//! turns a module back into text the parser reads.
//!
//! In reading order: `lex` (a line to tokens), `line` (a cursor over one
//! line's tokens), `parse` (each kind of line to raw items), `resolve`
//! (raw items to MIR, once a whole function is read), `print`.
//!
//! Invariant: the parser never panics, whatever the input; every problem is
//! a [`Diagnostic`] at a line and column.

mod host;
mod lex;
mod line;
mod parse;
mod positions;
mod print;
mod resolve;
mod version;

use std::collections::HashMap;

use self::lex::lex_line;
use self::line::Line;
use self::parse::RawFunction;
use super::data::*;
use super::validate::{FnRef, MirEnv, NoEnv};
use crate::diag::Diagnostic;

pub use self::positions::Positions;
pub use self::print::print;
pub use self::version::is_mir_text;

/// Parses MIR text (the whole blob, version line first).
pub fn parse(text: &str) -> Result<(Module, Positions), Diagnostic> {
    parse_with(text, &NoEnv)
}

impl Signature {
    /// Parses `fn(i64, f64, ptr) -> i64` (`-> void` for no result), the
    /// form `Display` prints, with MIR text's signature grammar.
    pub fn parse(text: &str) -> Result<Signature, String> {
        let toks = lex_line(text, 1).map_err(|e| e.message)?;
        let mut l = Line::new(&toks, 1, text);
        let sig = l.signature().and_then(|sig| l.end().map(|_| sig));
        sig.map_err(|e| {
            format!("{} (expected a signature like `fn(i64, f64, ptr) -> i64` or `fn() -> void`)", e.message)
        })
    }
}

/// Parses MIR text; `env` gives the types of functions and globals defined
/// outside the text, so constants passed to or stored in them get the
/// right type without a suffix.
pub fn parse_with(text: &str, env: &dyn MirEnv) -> Result<(Module, Positions), Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, s)| (i as u32 + 1, s));
    version::version_line(lines.next())?;
    let mut module = Module::default();
    let mut pos = Positions::default();
    let mut raw_fns: Vec<RawFunction> = Vec::new();
    let mut current: Option<RawFunction> = None;
    let mut last_line = 1;
    for (n, src) in lines {
        last_line = n;
        let toks = lex_line(src, n)?;
        if toks.is_empty() {
            continue;
        }
        let mut l = Line::new(&toks, n, src);
        match current.as_mut() {
            None => current = parse::top_item(&mut l, &mut module, env, &mut pos)?,
            Some(_) if l.eat('}') => {
                l.end()?;
                raw_fns.extend(current.take());
            }
            Some(f) => parse::body_line(&mut l, f)?,
        }
    }
    if let Some(f) = current {
        return Err(Diagnostic::at(
            last_line + 1,
            1,
            format!("unexpected end of input: `{}` (line {}) is not closed with '}}'", f.name, f.text_line),
        ));
    }
    resolve_functions(raw_fns, &mut module, env, &mut pos)?;
    Ok((module, pos))
}

/// Resolves every function once all are read, so calls can name any
/// function of the module.
fn resolve_functions(
    raw_fns: Vec<RawFunction>,
    module: &mut Module,
    env: &dyn MirEnv,
    pos: &mut Positions,
) -> Result<(), Diagnostic> {
    let sigs: HashMap<String, Signature> = raw_fns
        .iter()
        .filter(|f| !f.init)
        .map(|f| (f.name.clone(), f.sig()))
        .chain(module.externs.iter().map(|e| (e.name.clone(), e.sig.clone())))
        .collect();
    let globals: HashMap<String, Ty> = module.globals.iter().map(|g| (g.name.clone(), g.ty)).collect();
    let host_structs: HashMap<String, HostTy> =
        module.host_structs.iter().map(|h| (h.ty.name().to_string(), h.ty)).collect();
    let types = resolve::Types { sigs: &sigs, globals: &globals, host_structs: &host_structs, env };
    for raw in raw_fns {
        let r = if raw.init { FnRef::Init } else { FnRef::Function(module.functions.len()) };
        if raw.init && module.init.is_some() {
            return Err(Diagnostic::at(raw.text_line, raw.col, "a module has at most one `init` block"));
        }
        let init = raw.init;
        let f = resolve::function(raw, r, &types, pos)?;
        if init {
            module.init = Some(f);
        } else {
            module.functions.push(f);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::fixtures::FIB;

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
        assert_eq!((e.pos.line, e.pos.col), (1, 1));
        let e = parse("mir 1\nfn f() -> i64 {\nentry:\n    x = frob 1\n    ret 0\n}\n").unwrap_err();
        assert_eq!(e.pos.line, 4, "{e}");
        let e = parse("mir 1\nfn f() -> i64 {\na:\n    jmp b\n").unwrap_err();
        assert!(e.message.contains("not closed"), "{e}");
        let e = parse("mir 1\nfn f() -> i64 {\na:\n    local x: i64\nb:\n    ret 1\n}\n").unwrap_err();
        assert!(e.message.contains("falls off its end"), "{e}");
        let e = parse("mir 1\nfn f() -> i64 {\n    ret 300:i8\n}\n").unwrap_err();
        assert!(e.message.contains("does not fit in i8"), "{e}");
    }

    #[test]
    fn signatures_parse_with_the_text_parser() {
        let sig = Signature::parse(" fn( i64,f64 , ptr ) ->i64 ").unwrap();
        assert_eq!(sig.to_string(), "fn(i64, f64, ptr) -> i64");
        assert_eq!(Signature::parse("fn() -> void").unwrap().to_string(), "fn() -> void");
        assert!(Signature::parse("fn(i64) -> i64 extra").is_err());
        assert!(Signature::parse("fn(text2) -> i64").unwrap_err().contains("unknown type `text2`"));
    }

    const HOST: &str = "mir 1\nextern struct P { x: f64, n: u8, b: bool } @1\nextern val p: P @2\nextern val ps: [P] @3\n\
                        fn f(q: ptr) -> i64 {\n    local a: ptr\n    local n: i64\n    local b: i8\nentry:\n    \
                        xcheck P, q\n    a = xaddr p\n    a = xaddr ps, 2\n    a = xaddr ps\n    n = xlen ps\n    \
                        b = xget P, a, 1\n    xset P, a, 1, 7\n    xset P, q, 0, 2.5\n    ret n\n}\n";

    #[test]
    fn host_lines_parse_print_and_validate() {
        let (m, _) = parse(HOST).unwrap();
        crate::mir::validate(&m, &crate::mir::NoEnv).unwrap();
        assert_eq!(m.host_structs[0].ty.size(), 16);
        let (again, _) = parse(&print(&m)).unwrap();
        assert_eq!(m, again);
    }

    #[test]
    fn host_errors_have_positions_and_prefixes_never_panic() {
        for (text, words) in [
            ("extern struct P { }", "at least one field"),
            ("extern struct P { x: text }", "unknown host field type `text`"),
            ("extern struct P { x: i8, x: i8 }", "two fields named `x`"),
            ("extern val p: Q", "unknown host struct `Q`"),
            ("extern thing", "`fn`, `struct` or `val` after `extern`"),
        ] {
            let e = parse(&format!("mir 1\n{text}\n")).unwrap_err();
            assert_eq!(e.pos.line, 2, "{text}: {e}");
            assert!(e.message.contains(words), "{text}: {e}");
        }
        for (from, to, words) in [
            ("xlen ps", "xlen p", "xlen needs an array binding"),
            ("a = xaddr ps\n", "a = xaddr nope\n", "undefined extern val `nope`"),
            ("xget P, a, 1", "xget P, a, 3", "xget of field 3 of `P`, which has 3 field(s)"),
            ("xget P, a, 1", "xget P, a, n", "names the field by its number, a constant"),
            ("xset P, q, 0, 2.5", "xset P, q, 0, n", "expected f64, found i64"),
        ] {
            let (m, _) = parse(&HOST.replace(from, to)).unwrap();
            let e = crate::mir::validate(&m, &crate::mir::NoEnv).unwrap_err();
            assert!(e.message.contains(words), "{to}: {}", e.message);
        }
        for end in 0..HOST.len() {
            let _ = parse(&HOST[..end]);
        }
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
