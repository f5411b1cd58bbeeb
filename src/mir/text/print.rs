//! Module to MIR text that the parser reads back to the same module.

use std::fmt::Write as _;

use super::lex::is_constant_name;
use super::version::VERSION;
use crate::mir::data::*;
use crate::util::escape;

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
        while !used.insert(name.clone()) || is_constant_name(&name) {
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

fn inst_text(k: &InstKind, names: &[String], f: &Function) -> String {
    let n = |l: &Local| names.get(l.0 as usize).cloned().unwrap_or_default();
    let o = |x: &Operand| operand_text(x, names);
    let args = |a: &[Operand]| a.iter().map(o).collect::<Vec<_>>().join(", ");
    match k {
        InstKind::Copy { dst, src } => format!("{} = copy {}", n(dst), o(src)),
        InstKind::TextConst { dst, value } => format!("{} = copy {}", n(dst), escape::quote(value)),
        InstKind::Unary { dst, op, src } => format!("{} = {} {}", n(dst), op.name(), o(src)),
        InstKind::Binary { dst, op, a, b } => format!("{} = {} {}, {}", n(dst), op.name(), o(a), o(b)),
        InstKind::Cmp { dst, op, a, b } => format!("{} = {} {}, {}", n(dst), op.name(), o(a), o(b)),
        InstKind::Convert { dst, op, src } => format!("{} = {} {}", n(dst), op.name(), o(src)),
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
        // Only in prepared functions (passes insert them), which are
        // printed for debugging, never parsed.
        InstKind::Retain { value } => format!("retain {}", n(value)),
        InstKind::Release { value } => format!("release {}", n(value)),
        InstKind::Checkpoint => "checkpoint".to_string(),
        InstKind::CountingSteps { dst } => format!("{} = counting_steps", n(dst)),
    }
}
