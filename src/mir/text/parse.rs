//! MIR text lines to raw items: the grammar of each line, with names not
//! yet resolved to locals, blocks and slots (that is `resolve`'s job,
//! once the whole function has been read).

use super::lex::Tok;
use super::lex::is_constant_name;
use super::line::Line;
use super::positions::Positions;
use crate::diag::Diagnostic;
use crate::mir::data::*;
use crate::mir::ops::{BinOp, CmpOp, ConvOp, DataOp, HostOp, Op, UnOp};
use crate::mir::validate::{Loc, MirEnv};

/// An operand before its locals and constant types are resolved.
#[derive(Clone, Debug)]
pub(super) enum RawOp {
    Name(String, u32),
    Int(i128, Option<Ty>, u32),
    Float(f64, Option<Ty>, u32),
    Bool(bool),
    Str(String, u32),
}

/// A name and the column it was written at.
pub(super) type Named = (String, u32);

/// An instruction, by kind, with its operands as written.
#[derive(Clone, Debug)]
pub(super) enum RawKind {
    Copy(RawOp),
    Unary(UnOp, RawOp),
    Binary(BinOp, RawOp, RawOp),
    Cmp(CmpOp, RawOp, RawOp),
    Convert(ConvOp, RawOp),
    Select(RawOp, RawOp, RawOp),
    Call {
        callee: String,
        args: Vec<RawOp>,
    },
    CallIndirect {
        target: RawOp,
        args: Vec<RawOp>,
        sig: Signature,
    },
    GlobalGet(String),
    GlobalSet(String, RawOp),
    Load {
        ptr: RawOp,
        offset: i32,
    },
    Store {
        ptr: RawOp,
        offset: i32,
        src: RawOp,
    },
    Addr(Named),
    Data(DataOp, Vec<RawOp>),
    /// `xaddr NAME[, i]`, `xlen NAME`, `xcheck NAME, p`.
    Host(HostOp, Named, Vec<RawOp>),
}

#[derive(Clone, Debug)]
pub(super) enum RawTerm {
    Jump(Named),
    Branch(RawOp, Named, Named),
    Switch { value: RawOp, default: Named, cases: Vec<(i64, Named)> },
    Return(Option<RawOp>),
}

/// Where a line of a body was: the `@N` line it reports, and its own line
/// and column in the text.
#[derive(Clone, Copy, Debug)]
pub(super) struct At {
    pub reported: u32,
    pub line: u32,
    pub col: u32,
}

pub(super) struct RawInst {
    pub dst: Option<Named>,
    pub kind: RawKind,
    pub at: At,
}

pub(super) struct RawBlock {
    pub label: String,
    pub insts: Vec<RawInst>,
    pub term: Option<(RawTerm, At)>,
    pub line: u32,
    pub col: u32,
}

pub(super) struct RawFunction {
    pub name: String,
    pub init: bool,
    pub params: Vec<(String, Ty)>,
    pub ret: Option<Ty>,
    /// The `@N` line, or the header's own line.
    pub line: u32,
    pub text_line: u32,
    pub col: u32,
    pub locals: Vec<(String, Ty, u32, u32)>,
    pub slots: Vec<(String, u32, u32, u32, u32)>,
    pub blocks: Vec<RawBlock>,
}

impl RawFunction {
    pub fn sig(&self) -> Signature {
        Signature { params: self.params.iter().map(|p| p.1).collect(), ret: self.ret }
    }
}

pub(super) fn operand(l: &mut Line) -> Result<RawOp, Diagnostic> {
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

/// `a, b`: the second of two comma-separated operands, after the first.
fn then_operand(l: &mut Line) -> Result<RawOp, Diagnostic> {
    l.expect(',', "',' between operands")?;
    operand(l)
}

/// `, a, b, ...`: the operands after the first (none when no comma follows).
fn more_operands(l: &mut Line) -> Result<Vec<RawOp>, Diagnostic> {
    let mut args = Vec::new();
    while l.eat(',') {
        args.push(operand(l)?);
    }
    Ok(args)
}

fn call_args(l: &mut Line) -> Result<Vec<RawOp>, Diagnostic> {
    l.expect('(', "'(' and the arguments")?;
    let mut v = Vec::new();
    if l.eat(')') {
        return Ok(v);
    }
    loop {
        v.push(operand(l)?);
        if l.eat(')') {
            return Ok(v);
        }
        l.expect(',', "',' or ')' in the arguments")?;
    }
}

/// A line outside any function: `extern` and `global` go into `module`;
/// `fn` and `init` open a function, which is returned.
pub(super) fn top_item(
    l: &mut Line,
    module: &mut Module,
    env: &dyn MirEnv,
    pos: &mut Positions,
) -> Result<Option<RawFunction>, Diagnostic> {
    let col = l.col();
    let (word, _) = l.name("`fn`, `init`, `extern`, `global` or `struct`")?;
    match word.as_str() {
        "struct" => {
            let ty = l.ty()?;
            let record = ty.obj().filter(|o| o.fields().is_some()).ok_or_else(|| {
                l.err_at(
                    col,
                    format!("`struct` names a record type, as in `struct P{{x: f64}}`, not {}", ty.mir_name()),
                )
            })?;
            let line = l.line_attr()?.unwrap_or(l.line);
            l.end()?;
            module.records.push(RecordName { ty: record, line });
            Ok(None)
        }
        "extern" if l.keyword("struct") => {
            super::host::extern_struct(l, module, pos, col)?;
            Ok(None)
        }
        "extern" if l.keyword("val") => {
            super::host::extern_val(l, module, env, pos, col)?;
            Ok(None)
        }
        "extern" => {
            if !l.keyword("fn") {
                return Err(l.expected("`fn`, `struct` or `val` after `extern`"));
            }
            let (name, _) = l.name("the host function's name")?;
            let sig = l.sig_after_name()?;
            let line = l.line_attr()?.unwrap_or(l.line);
            l.end()?;
            pos.insert(Loc::Extern(module.externs.len()), l.line, col);
            module.externs.push(ExternDecl { name, sig, line });
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
            pos.insert(Loc::Global(module.globals.len()), l.line, col);
            module.globals.push(GlobalDecl { name, ty, mutable, line });
            Ok(None)
        }
        "fn" | "init" => function_header(l, word == "init", col).map(Some),
        other => Err(l.err_at(col, format!("expected `fn`, `init`, `extern`, `global` or `struct`, found `{other}`"))),
    }
}

/// `fn name(p: T, ...) -> R @N {` or `init -> R @N {`.
fn function_header(l: &mut Line, init: bool, col: u32) -> Result<RawFunction, Diagnostic> {
    let (name, params) = if init {
        (INIT_NAME.to_string(), Vec::new())
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
    Ok(RawFunction {
        name,
        init,
        params,
        ret,
        line,
        text_line: l.line,
        col,
        locals: Vec::new(),
        slots: Vec::new(),
        blocks: Vec::new(),
    })
}

/// A line inside a function: a label, `local`, `slot`, an instruction or
/// a terminator.
pub(super) fn body_line(l: &mut Line, f: &mut RawFunction) -> Result<(), Diagnostic> {
    let col = l.col();
    // A label: `name:` alone on its line.
    if let (Some(Tok::Name(name)), Some(Tok::Punct(':')), None) = (l.peek(), l.peek_at(1), l.peek_at(2)) {
        if let Some(b) = f.blocks.last().filter(|b| b.term.is_none()) {
            return Err(l.err_at(
                col,
                format!(
                    "block `{}` (line {}) falls off its end: it needs jmp, br, switch or ret before the next label",
                    if b.label.is_empty() { "(entry)" } else { &b.label },
                    b.line
                ),
            ));
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
        return slot_line(l, f);
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
    let dst = if l.peek_at(1) == Some(&Tok::Punct('=')) {
        let d = l.name("a local")?;
        l.expect('=', "'='")?;
        Some(d)
    } else {
        None
    };
    let op_col = l.col();
    let (op, _) = l.name("an instruction")?;
    let term = match op.as_str() {
        "jmp" | "br" | "switch" | "ret" => {
            if dst.is_some() {
                return Err(l.err_at(op_col, format!("`{op}` has no result")));
            }
            Some(terminator(l, &op)?)
        }
        _ => None,
    };
    let kind = if term.is_none() { Some(instruction(l, dst.is_some(), &op, op_col)?) } else { None };
    let reported = l.line_attr()?.unwrap_or(l.line);
    l.end()?;
    let at = At { reported, line: l.line, col: op_col };
    match (term, kind) {
        (Some(t), _) => block.term = Some((t, at)),
        (None, Some(kind)) => block.insts.push(RawInst { dst, kind, at }),
        (None, None) => return Err(l.err_at(op_col, "expected an instruction")),
    }
    Ok(())
}

/// `slot name SIZE [ALIGN]`.
fn slot_line(l: &mut Line, f: &mut RawFunction) -> Result<(), Diagnostic> {
    let (name, c) = l.name("the slot's name")?;
    let size = l.int("the slot's size in bytes")?;
    let align = if l.peek().is_some() { l.int("the slot's alignment")? } else { 8 };
    l.end()?;
    let size = u32::try_from(size).map_err(|_| l.err_at(c, "slot size out of range"))?;
    let align = u32::try_from(align).map_err(|_| l.err_at(c, "slot alignment out of range"))?;
    f.slots.push((name, size, align, l.line, c));
    Ok(())
}

fn terminator(l: &mut Line, op: &str) -> Result<RawTerm, Diagnostic> {
    Ok(match op {
        "jmp" => RawTerm::Jump(l.name("a label")?),
        "br" => {
            let cond = operand(l)?;
            l.expect(',', "',' and the label taken when true")?;
            let then_label = l.name("a label")?;
            l.expect(',', "',' and the label taken when false")?;
            RawTerm::Branch(cond, then_label, l.name("a label")?)
        }
        "switch" => {
            let value = operand(l)?;
            l.expect(',', "',' and the default label")?;
            let default = l.name("the default label")?;
            let mut cases = Vec::new();
            while l.eat(',') {
                let k = l.int("a case value")?;
                let k = i64::try_from(k)
                    .or_else(|_| u64::try_from(k).map(|u| u as i64))
                    .map_err(|_| l.err("case value out of range"))?;
                l.expect(':', "':' and the case's label")?;
                cases.push((k, l.name("the case's label")?));
            }
            RawTerm::Switch { value, default, cases }
        }
        _ => {
            let value = if l.peek().is_some() && l.peek() != Some(&Tok::Punct('@')) { Some(operand(l)?) } else { None };
            RawTerm::Return(value)
        }
    })
}

/// The instruction `op` and its operands; `has_dst` says whether a
/// `x =` came before it.
fn instruction(l: &mut Line, has_dst: bool, op: &str, op_col: u32) -> Result<RawKind, Diagnostic> {
    let line = l.line;
    let needs_dst = || -> Result<(), Diagnostic> {
        if !has_dst {
            return Err(Diagnostic::at(line, op_col, format!("`{op}` needs a result: write `x = {op} ...`")));
        }
        Ok(())
    };
    let no_dst = || -> Result<(), Diagnostic> {
        if has_dst {
            return Err(Diagnostic::at(line, op_col, format!("`{op}` has no result")));
        }
        Ok(())
    };
    if let Some(table_op) = Op::from_name(op) {
        needs_dst()?;
        return table_instruction(l, table_op);
    }
    let dst_rule = |has_result: bool| if has_result { needs_dst() } else { no_dst() };
    if let Some(data_op) = DataOp::from_name(op) {
        dst_rule(data_op.has_result())?;
        let mut args = vec![operand(l)?];
        args.extend(more_operands(l)?);
        return Ok(RawKind::Data(data_op, args));
    }
    if let Some(host_op) = HostOp::from_name(op) {
        dst_rule(host_op.has_result())?;
        let name = l.name("a binding's name (for `xcheck`, a host struct's)")?;
        return Ok(RawKind::Host(host_op, name, more_operands(l)?));
    }
    Ok(match op {
        "copy" => {
            needs_dst()?;
            RawKind::Copy(operand(l)?)
        }
        "select" => {
            needs_dst()?;
            let cond = operand(l)?;
            let a = then_operand(l)?;
            RawKind::Select(cond, a, then_operand(l)?)
        }
        "call" => {
            let (callee, _) = l.name("the called function's name")?;
            RawKind::Call { callee, args: call_args(l)? }
        }
        "call_indirect" => {
            let target = operand(l)?;
            let args = call_args(l)?;
            if !l.keyword("as") {
                return Err(l.expected("`as` and the pointer's signature"));
            }
            RawKind::CallIndirect { target, args, sig: l.signature()? }
        }
        "gload" => {
            needs_dst()?;
            RawKind::GlobalGet(l.name("a global's name")?.0)
        }
        "gstore" => {
            let (name, _) = l.name("a global's name")?;
            l.expect(',', "',' and the value")?;
            let src = operand(l)?;
            no_dst()?;
            RawKind::GlobalSet(name, src)
        }
        "load" | "store" => memory(l, op == "load", &needs_dst, &no_dst)?,
        "addr" => {
            needs_dst()?;
            RawKind::Addr(l.name("a stack slot's name")?)
        }
        _ => return Err(l.err_at(op_col, format!("unknown instruction `{op}` (see docs/mir.md)"))),
    })
}

fn table_instruction(l: &mut Line, op: Op) -> Result<RawKind, Diagnostic> {
    let a = operand(l)?;
    Ok(match op {
        Op::Unary(u) => RawKind::Unary(u, a),
        Op::Convert(c) => RawKind::Convert(c, a),
        Op::Binary(b) => RawKind::Binary(b, a, then_operand(l)?),
        Op::Cmp(c) => RawKind::Cmp(c, a, then_operand(l)?),
    })
}

/// `d = load p, OFFSET` or `store p, OFFSET, v`.
fn memory(
    l: &mut Line,
    load: bool,
    needs_dst: &dyn Fn() -> Result<(), Diagnostic>,
    no_dst: &dyn Fn() -> Result<(), Diagnostic>,
) -> Result<RawKind, Diagnostic> {
    if load {
        needs_dst()?;
    }
    let ptr = operand(l)?;
    l.expect(',', "',' and a constant offset")?;
    let off = l.int("a constant offset")?;
    let offset = i32::try_from(off).map_err(|_| l.err("offset out of the i32 range"))?;
    if load {
        return Ok(RawKind::Load { ptr, offset });
    }
    l.expect(',', "',' and the value to store")?;
    let src = operand(l)?;
    no_dst()?;
    Ok(RawKind::Store { ptr, offset, src })
}

/// Names that are constants cannot name a parameter or a local.
pub(super) fn check_local_name(name: &str, what: &str, line: u32, col: u32) -> Result<(), Diagnostic> {
    if is_constant_name(name) {
        return Err(Diagnostic::at(line, col, format!("`{name}` is a constant and cannot name {what}")));
    }
    Ok(())
}
