//! Raw items to MIR: names become locals, blocks and slots, and constants
//! get their types (from a suffix, or from where they are used).

use std::collections::HashMap;

use super::parse::{At, Named, RawFunction, RawKind, RawOp, RawTerm, check_local_name};
use super::positions::Positions;
use crate::diag::Diagnostic;
use crate::mir::data::*;
use crate::mir::ops::HostOp;
use crate::mir::validate::{FnRef, Loc, MirEnv};

/// The types of the names an instruction may refer to.
pub(super) struct Types<'a> {
    pub sigs: &'a HashMap<String, Signature>,
    pub globals: &'a HashMap<String, Ty>,
    /// The module's host structs.
    pub host_structs: &'a HashMap<String, HostTy>,
    pub env: &'a dyn MirEnv,
}

/// The types a host operation's operands have (for constants without a
/// suffix): `xset`'s value has its field's type.
fn host_operand_types(op: HostOp, name: &str, args: &[RawOp], types: &Types) -> Vec<Ty> {
    match op {
        HostOp::Check => vec![Ty::Ptr],
        HostOp::Addr | HostOp::Len => vec![Ty::I64],
        HostOp::Get | HostOp::Set => {
            let s = types.host_structs.get(name).copied().or_else(|| types.env.host_struct(name));
            let field = match args.get(1) {
                Some(RawOp::Int(k, _, _)) => s.and_then(|s| s.field_at(i64::try_from(*k).ok()?)),
                _ => None,
            };
            let mut want = vec![Ty::Ptr, Ty::I64];
            want.extend(field.map(|f| f.ty.mir_ty()));
            want
        }
    }
}

impl Types<'_> {
    fn params(&self, callee: &str) -> Vec<Ty> {
        match self.sigs.get(callee) {
            Some(sig) => sig.params.clone(),
            None => self.env.function(callee).map(|s| s.params).unwrap_or_default(),
        }
    }

    fn global(&self, name: &str) -> Option<Ty> {
        self.globals.get(name).copied().or_else(|| self.env.global(name))
    }
}

/// One function's names while its body is resolved.
struct Scope<'a> {
    locals: HashMap<&'a str, Local>,
    types: Vec<Ty>,
    slots: HashMap<&'a str, u32>,
    labels: HashMap<&'a str, BlockId>,
    /// The text line being resolved, for errors.
    line: u32,
}

impl Scope<'_> {
    fn err(&self, col: u32, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.line, col, message)
    }

    fn local(&self, name: &str, col: u32) -> Result<Local, Diagnostic> {
        self.locals
            .get(name)
            .copied()
            .ok_or_else(|| self.err(col, format!("undefined local `{name}` (declare it with `local {name}: T`)")))
    }

    fn label(&self, (name, col): &Named) -> Result<BlockId, Diagnostic> {
        self.labels.get(name.as_str()).copied().ok_or_else(|| self.err(*col, format!("undefined label `{name}`")))
    }

    fn ty_of(&self, op: &RawOp) -> Option<Ty> {
        match op {
            RawOp::Name(n, _) => self.locals.get(n.as_str()).map(|l| self.types[l.0 as usize]),
            RawOp::Int(_, t, _) | RawOp::Float(_, t, _) => *t,
            RawOp::Bool(_) => Some(Ty::Bool),
            RawOp::Str(..) => Some(Ty::Text),
        }
    }

    /// The type shared by the operands of an operation: a local's, else a
    /// suffixed constant's, else `fallback`.
    fn shared(&self, ops: &[&RawOp], fallback: Option<Ty>) -> Option<Ty> {
        ops.iter().find_map(|o| self.ty_of(o)).or(fallback)
    }

    /// The operand, with an unsuffixed number typed `want` (or i64/f64).
    fn operand(&self, op: &RawOp, want: Option<Ty>) -> Result<Operand, Diagnostic> {
        Ok(match op {
            RawOp::Name(n, c) => Operand::Local(self.local(n, *c)?),
            RawOp::Bool(b) => Operand::Const(Const::Int(i64::from(*b), Ty::Bool)),
            RawOp::Str(_, c) => {
                return Err(self.err(*c, "a text literal can only be copied into a local: `s = copy \"...\"`"));
            }
            RawOp::Int(v, t, c) => Operand::Const(self.int(*v, t.or(want).unwrap_or(Ty::I64), t.is_none(), *c)?),
            RawOp::Float(v, t, c) => match t.or(want).unwrap_or(Ty::F64) {
                Ty::F32 => Operand::Const(Const::F32(*v as f32)),
                Ty::F64 => Operand::Const(Const::F64(*v)),
                other => return Err(self.err(*c, format!("a float cannot be a {other} constant"))),
            },
        })
    }

    /// An integer literal as a constant of `ty`; `inferred` when the type
    /// came from the context rather than a suffix (then floats convert).
    fn int(&self, v: i128, ty: Ty, inferred: bool, col: u32) -> Result<Const, Diagnostic> {
        Ok(match ty {
            Ty::F64 if inferred => Const::F64(v as f64),
            Ty::F32 if inferred => Const::F32(v as f32),
            t if t.is_int() => {
                let bits = t.bits();
                let fits = if bits == 64 {
                    v >= i64::MIN as i128 && v <= u64::MAX as i128
                } else {
                    v >= -(1i128 << (bits - 1)) && v < (1i128 << bits)
                };
                if !fits {
                    return Err(self.err(col, format!("{v} does not fit in {t}")));
                }
                Const::Int(v as i64, t)
            }
            Ty::Bool if v == 0 || v == 1 => Const::Int(v as i64, Ty::Bool),
            other => return Err(self.err(col, format!("an integer cannot be a {other} constant"))),
        })
    }

    fn args(&self, args: &[RawOp], params: &[Ty]) -> Result<Vec<Operand>, Diagnostic> {
        args.iter().enumerate().map(|(i, a)| self.operand(a, params.get(i).copied())).collect()
    }
}

/// The locals (parameters first) and stack slots of a function.
fn declarations<'a>(raw: &'a RawFunction, r: FnRef, pos: &mut Positions) -> Result<Scope<'a>, Diagnostic> {
    let mut decls = Vec::new();
    let mut locals: HashMap<&str, Local> = HashMap::new();
    let named = raw.params.iter().map(|(n, t)| (n, t, raw.text_line, raw.col, true));
    let declared = raw.locals.iter().map(|(n, t, line, col)| (n, t, *line, *col, false));
    for (name, ty, line, col, param) in named.chain(declared) {
        check_local_name(name, if param { "a parameter" } else { "a local" }, line, col)?;
        if locals.insert(name.as_str(), Local(decls.len() as u32)).is_some() {
            let what = if param {
                format!("parameter `{name}` appears twice")
            } else {
                format!("local `{name}` is declared twice")
            };
            return Err(Diagnostic::at(line, col, what));
        }
        decls.push(*ty);
    }
    let mut slots = HashMap::new();
    for (i, (name, _, _, line, col)) in raw.slots.iter().enumerate() {
        if slots.insert(name.as_str(), i as u32).is_some() {
            return Err(Diagnostic::at(*line, *col, format!("slot `{name}` is declared twice")));
        }
        pos.insert(Loc::Slot(r, i), *line, *col);
    }
    let labels = raw.blocks.iter().enumerate().map(|(i, b)| (b.label.as_str(), BlockId(i as u32))).collect();
    Ok(Scope { locals, types: decls, slots, labels, line: 0 })
}

pub(super) fn function(raw: RawFunction, r: FnRef, types: &Types, pos: &mut Positions) -> Result<Function, Diagnostic> {
    pos.insert(Loc::Function(r), raw.text_line, raw.col);
    let mut scope = declarations(&raw, r, pos)?;
    if raw.blocks.is_empty() {
        return Err(Diagnostic::at(raw.text_line, raw.col, format!("`{}` has no instructions", raw.name)));
    }
    let mut blocks = Vec::with_capacity(raw.blocks.len());
    for (bi, b) in raw.blocks.iter().enumerate() {
        let Some((term, term_at)) = &b.term else {
            let label = if b.label.is_empty() { "(entry)" } else { &b.label };
            return Err(Diagnostic::at(
                b.line,
                b.col,
                format!("block `{label}` falls off its end: it needs jmp, br, switch or ret"),
            ));
        };
        let mut insts = Vec::with_capacity(b.insts.len());
        for (ii, raw_inst) in b.insts.iter().enumerate() {
            scope.line = raw_inst.at.line;
            pos.insert(Loc::Inst(r, bi, ii), raw_inst.at.line, raw_inst.at.col);
            let kind = instruction(&raw_inst.kind, raw_inst.dst.as_ref(), raw_inst.at, &scope, types)?;
            insts.push(Inst { kind, line: raw_inst.at.reported });
        }
        scope.line = term_at.line;
        pos.insert(Loc::Term(r, bi), term_at.line, term_at.col);
        pos.insert(Loc::Block(r, bi), b.line, b.col);
        let term = terminator(term, &scope, raw.ret)?;
        blocks.push(Block { label: b.label.clone(), insts, term, term_line: term_at.reported });
    }
    let locals = raw
        .params
        .iter()
        .map(|(n, t)| (n, t))
        .chain(raw.locals.iter().map(|(n, t, _, _)| (n, t)))
        .map(|(name, ty)| LocalDecl { name: name.clone(), ty: *ty })
        .collect();
    let slots =
        raw.slots.iter().map(|(name, size, align, _, _)| StackSlot { name: name.clone(), size: *size, align: *align });
    Ok(Function {
        sig: raw.sig(),
        name: raw.name,
        locals,
        slots: slots.collect(),
        blocks,
        line: raw.line,
        ownership: Ownership::Implicit,
    })
}

fn terminator(t: &RawTerm, s: &Scope, ret: Option<Ty>) -> Result<Terminator, Diagnostic> {
    Ok(match t {
        RawTerm::Jump(label) => Terminator::Jump(s.label(label)?),
        RawTerm::Branch(cond, t, e) => Terminator::Branch {
            cond: s.operand(cond, Some(Ty::Bool))?,
            then_block: s.label(t)?,
            else_block: s.label(e)?,
        },
        RawTerm::Switch { value, default, cases } => {
            let value = s.operand(value, None)?;
            let mut out = Vec::with_capacity(cases.len());
            for (k, label) in cases {
                out.push((*k, s.label(label)?));
            }
            Terminator::Switch { value, cases: out, default: s.label(default)? }
        }
        RawTerm::Return(v) => Terminator::Return(match v {
            Some(a) => Some(s.operand(a, ret)?),
            None => None,
        }),
    })
}

fn instruction(kind: &RawKind, dst: Option<&Named>, at: At, s: &Scope, types: &Types) -> Result<InstKind, Diagnostic> {
    let dst_local = dst.map(|(name, col)| s.local(name, *col)).transpose()?;
    let dst_ty = dst_local.map(|l| s.types[l.0 as usize]);
    let d = || dst_local.ok_or_else(|| s.err(at.col, "this instruction needs a result"));
    Ok(match kind {
        RawKind::Copy(RawOp::Str(text, _)) => InstKind::TextConst { dst: d()?, value: text.clone() },
        RawKind::Copy(src) => InstKind::Copy { dst: d()?, src: s.operand(src, dst_ty)? },
        RawKind::Unary(op, src) => {
            let want = if *op == crate::mir::UnOp::Len { Some(Ty::Text) } else { dst_ty };
            InstKind::Unary { dst: d()?, op: *op, src: s.operand(src, want)? }
        }
        RawKind::Binary(op, a, b) => {
            let t = s.shared(&[a, b], dst_ty);
            InstKind::Binary { dst: d()?, op: *op, a: s.operand(a, t)?, b: s.operand(b, t)? }
        }
        RawKind::Cmp(op, a, b) => {
            let t = s.shared(&[a, b], None);
            InstKind::Cmp { dst: d()?, op: *op, a: s.operand(a, t)?, b: s.operand(b, t)? }
        }
        RawKind::Convert(op, src) => InstKind::Convert { dst: d()?, op: *op, src: s.operand(src, None)? },
        RawKind::Select(cond, a, b) => {
            let t = s.shared(&[a, b], dst_ty);
            InstKind::Select {
                dst: d()?,
                cond: s.operand(cond, Some(Ty::Bool))?,
                a: s.operand(a, t)?,
                b: s.operand(b, t)?,
            }
        }
        RawKind::Call { callee, args } => {
            InstKind::Call { dst: dst_local, callee: callee.clone(), args: s.args(args, &types.params(callee))? }
        }
        RawKind::CallIndirect { target, args, sig } => InstKind::CallIndirect {
            dst: dst_local,
            sig: sig.clone(),
            target: s.operand(target, Some(Ty::Ptr))?,
            args: s.args(args, &sig.params)?,
        },
        RawKind::GlobalGet(name) => InstKind::GlobalGet { dst: d()?, name: name.clone() },
        RawKind::GlobalSet(name, src) => {
            InstKind::GlobalSet { name: name.clone(), src: s.operand(src, types.global(name))? }
        }
        RawKind::Load { ptr, offset } => {
            InstKind::Load { dst: d()?, ptr: s.operand(ptr, Some(Ty::Ptr))?, offset: *offset }
        }
        RawKind::Store { ptr, offset, src } => {
            InstKind::Store { ptr: s.operand(ptr, Some(Ty::Ptr))?, offset: *offset, src: s.operand(src, None)? }
        }
        RawKind::Data(op, args) => {
            let first = match args.first() {
                Some(RawOp::Name(name, col)) => Some(s.types[s.local(name, *col)?.0 as usize]),
                _ => None,
            };
            let keys: Vec<Option<i64>> = args
                .iter()
                .skip(1)
                .map(|a| match a {
                    RawOp::Int(v, _, _) => i64::try_from(*v).ok(),
                    _ => None,
                })
                .collect();
            let want = data_shape(*op, data_object(*op, dst_ty, first), &keys).map(|sh| sh.args).unwrap_or_default();
            let args: Result<Vec<_>, _> =
                args.iter().enumerate().map(|(i, a)| s.operand(a, want.get(i).copied())).collect();
            InstKind::Data { dst: dst_local, op: *op, args: args? }
        }
        RawKind::Host(op, (name, _), args) => {
            let want = host_operand_types(*op, name, args, types);
            let args: Result<Vec<_>, _> =
                args.iter().enumerate().map(|(i, a)| s.operand(a, want.get(i).copied())).collect();
            InstKind::Host { dst: dst_local, op: *op, name: name.clone(), args: args? }
        }
        RawKind::Addr((name, col)) => {
            let slot = s.slots.get(name.as_str()).copied().ok_or_else(|| {
                s.err(*col, format!("undefined stack slot `{name}` (declare it with `slot {name} SIZE`)"))
            })?;
            InstKind::SlotAddr { dst: d()?, slot }
        }
    })
}
