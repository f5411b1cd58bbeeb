//! Module to MIR text that the parser reads back to the same module.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::lex::is_constant_name;
use super::version::VERSION;
use crate::mir::data::*;
use crate::util::escape;

/// The module as MIR text that [`parse`] reads back to the same module
/// (local names may be made unique; every line carries its `@N` line).
pub fn print(module: &Module) -> String {
    let mut out = format!("mir {VERSION}\n");
    for r in &module.records {
        let _ = writeln!(out, "struct {} @{}", r.ty.mir_name(), r.line);
    }
    for h in &module.host_structs {
        let _ = writeln!(out, "extern struct {} {{ {} }} @{}", h.ty.name(), h.ty.field_list(), h.line);
    }
    for v in &module.extern_vals {
        let _ = writeln!(out, "extern val {}: {} @{}", v.name, v.type_text(), v.line);
    }
    for e in &module.externs {
        let params: Vec<&str> = e.sig.params.iter().map(|t| t.mir_name()).collect();
        let _ = writeln!(out, "extern fn {}({}) -> {} @{}", e.name, params.join(", "), ret_name(e.sig.ret), e.line);
    }
    for g in &module.globals {
        let kind = if g.mutable { "var" } else { "val" };
        let _ = writeln!(out, "global {kind} {}: {} @{}", g.name, g.ty.mir_name(), g.line);
    }
    let names = Known::of(module);
    for f in &module.functions {
        out.push('\n');
        print_function(&mut out, f, false, &names);
    }
    if let Some(f) = &module.init {
        out.push('\n');
        print_function(&mut out, f, true, &names);
    }
    out
}

/// The module's signatures and global types: what the parser types an
/// unsuffixed number with in a call's arguments and a `gstore`.
struct Known<'a> {
    params: HashMap<&'a str, &'a [Ty]>,
    globals: HashMap<&'a str, Ty>,
}

impl<'a> Known<'a> {
    fn of(module: &'a Module) -> Self {
        let functions = module.functions.iter().map(|f| (f.name.as_str(), f.sig.params.as_slice()));
        let externs = module.externs.iter().map(|e| (e.name.as_str(), e.sig.params.as_slice()));
        Known {
            params: functions.chain(externs).collect(),
            globals: module.globals.iter().map(|g| (g.name.as_str(), g.ty)).collect(),
        }
    }
}

fn ret_name(t: Option<Ty>) -> &'static str {
    t.map_or("void", |t| t.mir_name())
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

fn print_function(out: &mut String, f: &Function, init: bool, known: &Known) {
    let names = local_names(f);
    let np = f.sig.params.len();
    if init {
        let _ = writeln!(out, "init -> {} @{} {{", ret_name(f.sig.ret), f.line);
    } else {
        let params: Vec<String> = (0..np).map(|i| format!("{}: {}", names[i], f.locals[i].ty.mir_name())).collect();
        let _ = writeln!(out, "fn {}({}) -> {} @{} {{", f.name, params.join(", "), ret_name(f.sig.ret), f.line);
    }
    for (i, l) in f.locals.iter().enumerate().skip(np) {
        let _ = writeln!(out, "    local {}: {}", names[i], l.ty.mir_name());
    }
    for s in &f.slots {
        let _ = writeln!(out, "    slot {} {} {}", s.name, s.size, s.align);
    }
    let labels = block_labels(f);
    let label = |b: BlockId| -> String { labels[b.0 as usize].clone() };
    let ops = Operands { names: &names, f };
    let op = |o: &Operand, want: Option<Ty>| ops.one(o, want);
    for (bi, b) in f.blocks.iter().enumerate() {
        let _ = writeln!(out, "{}:", label(BlockId(bi as u32)));
        for i in &b.insts {
            let _ = writeln!(out, "    {} @{}", inst_text(&i.kind, &ops, known), i.line);
        }
        let t = match &b.term {
            Terminator::Jump(t) => format!("jmp {}", label(*t)),
            Terminator::Branch { cond, then_block, else_block } => {
                format!("br {}, {}, {}", op(cond, Some(Ty::Bool)), label(*then_block), label(*else_block))
            }
            Terminator::Switch { value, cases, default } => {
                let mut s = format!("switch {}, {}", op(value, None), label(*default));
                for (k, t) in cases {
                    let _ = write!(s, ", {k}: {}", label(*t));
                }
                s
            }
            Terminator::Return(None) => "ret".to_string(),
            Terminator::Return(Some(v)) => format!("ret {}", op(v, f.sig.ret)),
        };
        let _ = writeln!(out, "    {t} @{}", b.term_line);
    }
    out.push_str("}\n");
}

/// A function's operands as text. The parser gives an unsuffixed number
/// the type its place expects (`resolve.rs`), so an `i64` or `f64`
/// constant is printed bare only where that is its own type; elsewhere it
/// keeps its suffix (only invalid modules have such constants).
struct Operands<'a> {
    names: &'a [String],
    f: &'a Function,
}

impl Operands<'_> {
    fn text(&self, o: &Operand, suffixed: bool) -> String {
        match o {
            Operand::Local(l) => self.names.get(l.0 as usize).cloned().unwrap_or_else(|| format!("t.{}", l.0)),
            Operand::Const(Const::Int(v, Ty::Bool)) => (if *v != 0 { "true" } else { "false" }).to_string(),
            Operand::Const(Const::Int(v, Ty::I64)) if !suffixed => v.to_string(),
            Operand::Const(Const::Int(v, t)) => format!("{v}:{t}"),
            Operand::Const(Const::F64(v)) if !suffixed => float_text(*v),
            Operand::Const(Const::F64(v)) => format!("{}:f64", float_text(*v)),
            Operand::Const(Const::F32(v)) => format!("{}:f32", float_text(f64::from(*v))),
        }
    }

    /// The type the operand shows in the text, whatever its place.
    fn shown_type(&self, o: &Operand) -> Option<Ty> {
        match o {
            Operand::Local(l) => self.f.locals.get(l.0 as usize).map(|d| d.ty),
            Operand::Const(Const::Int(_, Ty::I64) | Const::F64(_)) => None,
            Operand::Const(Const::Int(_, t)) => Some(*t),
            Operand::Const(Const::F32(_)) => Some(Ty::F32),
        }
    }

    /// Whether the parser reads the operand printed bare, where `want` is
    /// expected, back as itself.
    fn bare_reads_back(o: &Operand, want: Option<Ty>) -> bool {
        match o {
            Operand::Const(Const::Int(_, Ty::I64)) => want.is_none_or(|t| t == Ty::I64),
            Operand::Const(Const::F64(_)) => want.is_none_or(|t| t == Ty::F64),
            _ => true,
        }
    }

    fn one(&self, o: &Operand, want: Option<Ty>) -> String {
        self.text(o, !Self::bare_reads_back(o, want))
    }

    /// Two operands that share a type: the first one the text shows, else
    /// `fallback`. When a bare constant would not read back, both are
    /// suffixed (then the first gives the type, and each constant its own).
    fn pair(&self, a: &Operand, b: &Operand, fallback: Option<Ty>) -> String {
        let want = self.shown_type(a).or(self.shown_type(b)).or(fallback);
        let suffixed = !(Self::bare_reads_back(a, want) && Self::bare_reads_back(b, want));
        format!("{}, {}", self.text(a, suffixed), self.text(b, suffixed))
    }

    fn local_type(&self, l: &Local) -> Option<Ty> {
        self.f.locals.get(l.0 as usize).map(|d| d.ty)
    }

    fn operand_type(&self, o: &Operand) -> Option<Ty> {
        self.f.operand_ty(o)
    }

    fn args(&self, args: &[Operand], params: &[Ty]) -> String {
        let each = args.iter().enumerate().map(|(i, a)| self.one(a, params.get(i).copied()));
        each.collect::<Vec<_>>().join(", ")
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

fn inst_text(k: &InstKind, ops: &Operands, known: &Known) -> String {
    let n = |l: &Local| ops.names.get(l.0 as usize).cloned().unwrap_or_default();
    let o = |x: &Operand, want: Option<Ty>| ops.one(x, want);
    let ptr = Some(Ty::Ptr);
    match k {
        InstKind::Copy { dst, src } => format!("{} = copy {}", n(dst), o(src, ops.local_type(dst))),
        InstKind::TextConst { dst, value } => format!("{} = copy {}", n(dst), escape::quote(value)),
        InstKind::Unary { dst, op, src } => {
            let want = if *op == crate::mir::UnOp::Len { Some(Ty::Text) } else { ops.local_type(dst) };
            format!("{} = {} {}", n(dst), op.name(), o(src, want))
        }
        InstKind::Binary { dst, op, a, b } => {
            format!("{} = {} {}", n(dst), op.name(), ops.pair(a, b, ops.local_type(dst)))
        }
        InstKind::Cmp { dst, op, a, b } => format!("{} = {} {}", n(dst), op.name(), ops.pair(a, b, None)),
        InstKind::Convert { dst, op, src } => format!("{} = {} {}", n(dst), op.name(), o(src, None)),
        InstKind::Select { dst, cond, a, b } => {
            let (c, ab) = (o(cond, Some(Ty::Bool)), ops.pair(a, b, ops.local_type(dst)));
            format!("{} = select {c}, {ab}", n(dst))
        }
        InstKind::Call { dst, callee, args: a } => {
            let args = ops.args(a, known.params.get(callee.as_str()).copied().unwrap_or_default());
            match dst {
                Some(d) => format!("{} = call {callee}({args})", n(d)),
                None => format!("call {callee}({args})"),
            }
        }
        InstKind::CallIndirect { dst, sig, target, args: a } => {
            let call = format!("call_indirect {}({}) as {sig}", o(target, ptr), ops.args(a, &sig.params));
            match dst {
                Some(d) => format!("{} = {call}", n(d)),
                None => call,
            }
        }
        InstKind::Data { dst, op, args } => {
            let first = args.first().and_then(|a| ops.operand_type(a));
            let object = data_object(*op, dst.and_then(|d| ops.local_type(&d)), first);
            let keys: Vec<Option<i64>> = args
                .iter()
                .skip(1)
                .map(|a| match a {
                    Operand::Const(Const::Int(v, _)) => Some(*v),
                    _ => None,
                })
                .collect();
            let want = data_shape(*op, object, &keys).map(|s| s.args).unwrap_or_default();
            let text = format!("{} {}", op.name(), ops.args(args, &want));
            match dst {
                Some(d) => format!("{} = {text}", n(d)),
                None => text,
            }
        }
        InstKind::Host { dst, op, name, args } => {
            // An `xset` value is shown with its suffix unless a bare
            // constant reads back (the printer knows no struct's fields).
            let want = |i: usize| match op {
                crate::mir::HostOp::Check => Some(Ty::Ptr),
                crate::mir::HostOp::Get | crate::mir::HostOp::Set if i == 0 => Some(Ty::Ptr),
                _ if i < 2 => Some(Ty::I64),
                _ => None,
            };
            let args: String = args.iter().enumerate().map(|(i, a)| format!(", {}", o(a, want(i)))).collect();
            let text = format!("{} {name}{args}", op.name());
            match dst {
                Some(d) => format!("{} = {text}", n(d)),
                None => text,
            }
        }
        InstKind::Load { dst, ptr: p, offset } => format!("{} = load {}, {offset}", n(dst), o(p, ptr)),
        InstKind::Store { ptr: p, offset, src } => format!("store {}, {offset}, {}", o(p, ptr), o(src, None)),
        InstKind::SlotAddr { dst, slot } => {
            let name = ops.f.slots.get(*slot as usize).map_or("?", |s| s.name.as_str());
            format!("{} = addr {name}", n(dst))
        }
        InstKind::GlobalGet { dst, name } => format!("{} = gload {name}", n(dst)),
        InstKind::GlobalSet { name, src } => {
            format!("gstore {name}, {}", o(src, known.globals.get(name.as_str()).copied()))
        }
        // Only in prepared functions (passes insert them), which are
        // printed for debugging, never parsed.
        InstKind::Retain { value } => format!("retain {}", n(value)),
        InstKind::Release { value } => format!("release {}", n(value)),
        InstKind::Checkpoint => "checkpoint".to_string(),
        InstKind::CountingSteps { dst } => format!("{} = counting_steps", n(dst)),
    }
}
