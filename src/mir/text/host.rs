//! The two host-data lines: `extern struct NAME { f: T, ... }` and
//! `extern val NAME: S` / `extern val NAME: [S]` (docs/mir.md, "Host
//! data"). A struct is laid out from its fields; an `extern val` names a
//! struct declared on an earlier line or by an earlier unit.

use super::line::Line;
use super::positions::Positions;
use crate::diag::Diagnostic;
use crate::mir::data::*;
use crate::mir::validate::{Loc, MirEnv};

/// `extern struct NAME { f: T, ... } [@N]`, after `extern struct`.
pub(super) fn extern_struct(
    l: &mut Line,
    module: &mut Module,
    pos: &mut Positions,
    col: u32,
) -> Result<(), Diagnostic> {
    let (name, _) = l.name("the host struct's name")?;
    l.expect('{', "'{' and the fields")?;
    let mut fields = Vec::new();
    if !l.eat('}') {
        loop {
            let (field, _) = l.name("a field name")?;
            l.expect(':', "':' and the field's type")?;
            let tcol = l.col();
            let (word, _) = l.name("a field type")?;
            let ty = CType::from_name(&word).ok_or_else(|| {
                l.err_at(tcol, format!("unknown host field type `{word}` (expected one of {})", CType::names()))
            })?;
            fields.push((field, ty));
            if l.eat('}') {
                break;
            }
            l.expect(',', "',' or '}' in the fields")?;
        }
    }
    let ty = HostTy::declare(&name, &fields).map_err(|m| l.err_at(col, m))?;
    let line = l.line_attr()?.unwrap_or(l.line);
    l.end()?;
    if module.host_structs.iter().any(|s| s.ty.name() == name) {
        return Err(l.err_at(col, format!("extern struct `{name}` is declared twice")));
    }
    pos.insert(Loc::HostStruct(module.host_structs.len()), l.line, col);
    module.host_structs.push(HostStructDecl { ty, line });
    Ok(())
}

/// `extern val NAME: S [@N]` or `extern val NAME: [S] [@N]`, after
/// `extern val`.
pub(super) fn extern_val(
    l: &mut Line,
    module: &mut Module,
    env: &dyn MirEnv,
    pos: &mut Positions,
    col: u32,
) -> Result<(), Diagnostic> {
    let (name, _) = l.name("the binding's name")?;
    l.expect(':', "':' and the host struct (or `[S]`)")?;
    let array = l.eat('[');
    let scol = l.col();
    let (of, _) = l.name("a host struct's name")?;
    if array {
        l.expect(']', "']' after the struct's name")?;
    }
    let ty = module
        .host_structs
        .iter()
        .map(|s| s.ty)
        .find(|t| t.name() == of)
        .or_else(|| env.host_struct(&of))
        .ok_or_else(|| {
            l.err_at(scol, format!("unknown host struct `{of}` (declare it with `extern struct {of} {{...}}` above)"))
        })?;
    let line = l.line_attr()?.unwrap_or(l.line);
    l.end()?;
    pos.insert(Loc::ExternVal(module.extern_vals.len()), l.line, col);
    module.extern_vals.push(ExternVal { name, ty, array, line });
    Ok(())
}
