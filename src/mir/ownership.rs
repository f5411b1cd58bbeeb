//! Makes the reference counting of managed values explicit, once for every
//! managed type and every backend.
//!
//! MIR as front ends write it ([`Ownership::Implicit`]) keeps the counts
//! implicitly: a managed local owns one reference, an assignment takes a
//! reference to the new value and drops the old one, a function owns its
//! managed parameters, the returned value carries a reference of its own
//! for the caller, and a discarded managed result is dropped. This pass
//! rewrites a function so that every one of those steps is an instruction
//! (`retain`, `release`) and `copy` only copies bits
//! ([`Ownership::Explicit`]). Backends then emit calls for `retain` and
//! `release` and, at every exit, release the locals the function lists;
//! they know nothing else about ownership.
//!
//! The rules the rewrite relies on (the runtime's helpers keep them):
//! an operation that makes a managed value (concatenation, `str`, a call,
//! a global read) returns a new reference; `copy`, `select` and a text
//! literal give a borrowed one; arguments are borrowed; every local starts
//! at zero, the empty value, which releasing ignores.

use super::data::*;
use super::ops::DataOp;

/// Rewrites `f` to [`Ownership::Explicit`]; does nothing to a function
/// that already is. `returns(callee)` is the result type of a function the
/// module calls (validation has checked that every callee exists).
pub fn make_explicit(f: &mut Function, returns: &dyn Fn(&str) -> Option<Ty>) {
    if f.ownership != Ownership::Implicit {
        return;
    }
    let discards_managed = |i: &Inst| matches!(&i.kind, InstKind::Call { dst: None, callee, .. } if returns(callee).is_some_and(Ty::is_managed));
    if !f.locals.iter().any(|l| l.ty.is_managed()) && !f.insts().any(|(_, _, i)| discards_managed(i)) {
        // Nothing to count (the common case for numeric code).
        f.ownership = Ownership::Explicit { release_at_exit: Vec::new() };
        return;
    }
    let owners: Vec<Local> =
        (0..f.locals.len()).filter(|i| f.locals[*i].ty.is_managed()).map(|i| Local(i as u32)).collect();
    let mut rw = Rewriter { locals: &mut f.locals, returns };
    for block in &mut f.blocks {
        let mut insts = Vec::with_capacity(block.insts.len());
        for inst in block.insts.drain(..) {
            rw.inst(inst, &mut insts);
        }
        if let Terminator::Return(Some(Operand::Local(v))) = &block.term {
            if rw.managed(*v) {
                // The caller gets a reference of its own; the exit drops
                // the one the local holds.
                insts.push(Inst { kind: InstKind::Retain { value: *v }, line: block.term_line });
            }
        }
        block.insts = insts;
    }
    retain_parameters(f);
    f.ownership = Ownership::Explicit { release_at_exit: owners };
}

/// A function owns its managed parameters: a new entry block takes a
/// reference to each (the old entry may be a loop header, which must not
/// retain again on every iteration).
fn retain_parameters(f: &mut Function) {
    let params = f.sig.params.len();
    let retains: Vec<Inst> = (0..params)
        .filter(|i| f.locals[*i].ty.is_managed())
        .map(|i| Inst { kind: InstKind::Retain { value: Local(i as u32) }, line: f.line })
        .collect();
    if retains.is_empty() {
        return;
    }
    let shift = |b: BlockId| BlockId(b.0 + 1);
    for block in &mut f.blocks {
        block.term = block.term.map_blocks(shift);
    }
    let entry = Block { label: String::new(), insts: retains, term: Terminator::Jump(BlockId(1)), term_line: f.line };
    f.blocks.insert(0, entry);
}

struct Rewriter<'a> {
    locals: &'a mut Vec<LocalDecl>,
    returns: &'a dyn Fn(&str) -> Option<Ty>,
}

impl Rewriter<'_> {
    fn managed(&self, l: Local) -> bool {
        self.locals.get(l.0 as usize).is_some_and(|d| d.ty.is_managed())
    }

    /// A new local of type `ty` that owns nothing at exits.
    fn temp(&mut self, ty: Ty) -> Local {
        self.locals.push(LocalDecl { name: String::new(), ty });
        Local(self.locals.len() as u32 - 1)
    }

    fn inst(&mut self, inst: Inst, out: &mut Vec<Inst>) {
        let line = inst.line;
        let mut push = |kind| out.push(Inst { kind, line });
        match inst.kind {
            kind @ InstKind::Call { dst: None, .. } => match self.discarded_managed(&kind) {
                // The discarded result still holds a reference.
                Some(ty) => {
                    let t = self.temp(ty);
                    push(kind.with_dst(t));
                    push(InstKind::Release { value: t });
                }
                None => push(kind),
            },
            kind => match kind.dst() {
                Some(dst) if self.managed(dst) => self.assign(kind, dst, &mut push),
                _ => push(kind),
            },
        }
    }

    /// The managed type a call without a destination returns, if it does.
    fn discarded_managed(&self, call: &InstKind) -> Option<Ty> {
        let InstKind::Call { callee, .. } = call else { return None };
        (self.returns)(callee).filter(|t| t.is_managed())
    }

    /// An instruction writing the managed local `dst`: the new value gets a
    /// reference of its own (unless the operation made a new one) and the
    /// old value's is dropped. The new value is computed first, into a
    /// temporary, because the instruction may read `dst` or fail.
    fn assign(&mut self, kind: InstKind, dst: Local, push: &mut impl FnMut(InstKind)) {
        match kind {
            InstKind::Copy { src: Operand::Local(src), .. } => {
                push(InstKind::Retain { value: src });
                push(InstKind::Release { value: dst });
                push(InstKind::Copy { dst, src: Operand::Local(src) });
            }
            // A literal reads nothing and cannot fail.
            InstKind::TextConst { value, .. } => {
                push(InstKind::Release { value: dst });
                push(InstKind::TextConst { dst, value });
                push(InstKind::Retain { value: dst });
            }
            kind => {
                // An element read shares the element with its array.
                let borrowed = matches!(
                    kind,
                    InstKind::Select { .. } | InstKind::Copy { .. } | InstKind::Data { op: DataOp::Get, .. }
                );
                let t = self.temp(self.locals[dst.0 as usize].ty);
                push(kind.with_dst(t));
                if borrowed {
                    push(InstKind::Retain { value: t });
                }
                push(InstKind::Release { value: dst });
                push(InstKind::Copy { dst, src: Operand::Local(t) });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::{NoEnv, validate};

    /// `greet(name)`: a parameter, a literal, a concatenation assigned
    /// over a local that reads itself, a discarded text result, a return.
    const GREET: &str = "mir 1
fn greet(name: text) -> text {
    local s: text
    local t: text
    s = copy \"hello, \"
    s = add s, name
    t = copy s
    call greet(t)
    ret s
}
";

    fn explicit(text: &str) -> Function {
        let (module, _) = crate::mir::text::parse(text).unwrap();
        let mut f = module.functions.into_iter().next().unwrap();
        make_explicit(&mut f, &|_| Some(Ty::Text));
        f
    }

    fn count(f: &Function, pred: impl Fn(&InstKind) -> bool) -> usize {
        f.blocks.iter().flat_map(|b| &b.insts).filter(|i| pred(&i.kind)).count()
    }

    #[test]
    fn every_reference_is_explicit_and_the_result_validates() {
        let f = explicit(GREET);
        let Ownership::Explicit { release_at_exit } = &f.ownership else { panic!("still implicit") };
        // The parameter and the two declared locals own references; the
        // pass's temporaries do not.
        assert_eq!(release_at_exit, &[Local(0), Local(1), Local(2)]);
        // Entry: the parameter; literal, `copy s`, and the returned value.
        assert_eq!(count(&f, |k| matches!(k, InstKind::Retain { .. })), 4);
        // The old values of `s` (twice) and `t`; the discarded result.
        assert_eq!(count(&f, |k| matches!(k, InstKind::Release { .. })), 4);
        // The concatenation reads the old `s` before it is released.
        let b = &f.blocks[1].insts;
        let add = b.iter().position(|i| matches!(i.kind, InstKind::Binary { .. })).unwrap();
        assert!(matches!(b[add].kind, InstKind::Binary { dst, a: Operand::Local(Local(1)), .. } if dst != Local(1)));
        assert!(matches!(b[add + 1].kind, InstKind::Release { value: Local(1) }));
        let module = Module { functions: vec![f], ..Default::default() };
        validate(&module, &NoEnv).unwrap();
    }

    #[test]
    fn functions_without_managed_values_are_unchanged_but_marked() {
        let text = "mir 1\nfn f(x: i64) -> i64 {\n    x = add x, 1\n    ret x\n}\n";
        let (module, _) = crate::mir::text::parse(text).unwrap();
        let before = module.functions[0].blocks.clone();
        let f = explicit(text);
        assert_eq!(f.blocks, before);
        assert_eq!(f.ownership, Ownership::Explicit { release_at_exit: vec![] });
    }
}
