//! Recursion unrolling: a small self-recursive function gets copies of its
//! own body in place of its self-calls, a few levels deep (as C compilers
//! do for `fib`). Each copy saves a call, a frame and the stack and error
//! checks; the remaining self-calls still go through the function table.
//!
//! Only calls of a function to itself are inlined: a call to another
//! function must keep reaching that function's current definition (hot
//! reload), while the copies of a function's own body are replaced along
//! with it.

use super::data::*;

/// Functions with more instructions than this are not unrolled.
const MAX_TEMPLATE: usize = 48;
/// Unrolling stops before a function grows past this many instructions.
const MAX_TOTAL: usize = 800;
/// Levels of self-calls replaced by copies.
const MAX_LEVELS: usize = 3;

fn size(f: &Function) -> usize {
    f.blocks.iter().map(|b| b.insts.len() + 1).sum()
}

fn self_calls(f: &Function) -> Vec<(usize, usize)> {
    let mut sites = Vec::new();
    for (bi, b) in f.blocks.iter().enumerate() {
        for (ii, inst) in b.insts.iter().enumerate() {
            if matches!(&inst.kind, InstKind::Call { callee, .. } if *callee == f.name) {
                sites.push((bi, ii));
            }
        }
    }
    sites
}

/// Unrolls `f`'s self-recursion in place; does nothing to other functions.
pub fn unroll_self_recursion(f: &mut Function) {
    let template = f.clone();
    let template_size = size(&template);
    // Text locals own references; copies would need their own ownership
    // bookkeeping, which is not worth it for the functions this targets.
    // Stack slots would need a copy per level too; such functions are not
    // what this is for either.
    let has_text = template.locals.iter().any(|l| l.ty == Ty::Text);
    if template_size > MAX_TEMPLATE || has_text || !template.slots.is_empty() || self_calls(&template).is_empty() {
        return;
    }
    for _ in 0..MAX_LEVELS {
        let sites = self_calls(f);
        if sites.is_empty() || size(f) + sites.len() * template_size > MAX_TOTAL {
            break;
        }
        // Later sites first, so earlier indices stay valid while splitting.
        for (bi, ii) in sites.into_iter().rev() {
            inline_at(f, &template, bi, ii);
        }
    }
}

/// Replaces the call at `f.blocks[bi].insts[ii]` with a copy of `template`.
fn inline_at(f: &mut Function, template: &Function, bi: usize, ii: usize) {
    let line = f.blocks[bi].insts[ii].line;
    let InstKind::Call { dst, args, .. } = f.blocks[bi].insts[ii].kind.clone() else { return };

    // The copy's locals follow the function's; its blocks follow too, then
    // the continuation (the rest of the calling block).
    let local_base = f.locals.len() as u32;
    f.locals.extend(template.locals.iter().cloned());
    let block_base = f.blocks.len() as u32;
    let cont = BlockId(block_base + template.blocks.len() as u32);
    let map_local = |l: Local| Local(l.0 + local_base);
    let map_op = |op: &Operand| match op {
        Operand::Local(l) => Operand::Local(map_local(*l)),
        c => *c,
    };
    let map_block = |b: BlockId| BlockId(b.0 + block_base);

    // Split the calling block: its tail moves to the continuation.
    let caller = &mut f.blocks[bi];
    let tail: Vec<Inst> = caller.insts.split_off(ii + 1);
    caller.insts.pop();
    let old_term = std::mem::replace(&mut caller.term, Terminator::Jump(map_block(BlockId(0))));
    let old_term_line = std::mem::replace(&mut caller.term_line, line);
    // Parameters take the arguments; every other local of the copy starts
    // at zero, as a function's locals do.
    for (i, decl) in template.locals.iter().enumerate() {
        let src = match args.get(i) {
            Some(a) => *a,
            None => Operand::Const(zero(decl.ty)),
        };
        caller.insts.push(Inst { kind: InstKind::Copy { dst: Local(local_base + i as u32), src }, line });
    }

    for b in &template.blocks {
        let insts =
            b.insts.iter().map(|inst| Inst { kind: map_inst(&inst.kind, &map_local, &map_op), line: inst.line });
        let (term, extra) = match &b.term {
            Terminator::Jump(t) => (Terminator::Jump(map_block(*t)), None),
            Terminator::Branch { cond, then_block, else_block } => (
                Terminator::Branch {
                    cond: map_op(cond),
                    then_block: map_block(*then_block),
                    else_block: map_block(*else_block),
                },
                None,
            ),
            Terminator::Switch { value, cases, default } => (
                Terminator::Switch {
                    value: map_op(value),
                    cases: cases.iter().map(|(k, t)| (*k, map_block(*t))).collect(),
                    default: map_block(*default),
                },
                None,
            ),
            // A return of the copy hands its value to the call's result.
            Terminator::Return(v) => {
                let assign = match (dst, v) {
                    (Some(d), Some(v)) => {
                        Some(Inst { kind: InstKind::Copy { dst: d, src: map_op(v) }, line: b.term_line })
                    }
                    _ => None,
                };
                (Terminator::Jump(cont), assign)
            }
        };
        let mut insts: Vec<Inst> = insts.collect();
        insts.extend(extra);
        f.blocks.push(Block {
            // Copies are unlabelled, so they never clash with a label of
            // the function (the printer names them).
            label: String::new(),
            insts,
            term,
            term_line: b.term_line,
        });
    }
    f.blocks.push(Block { label: String::new(), insts: tail, term: old_term, term_line: old_term_line });
}

fn zero(t: Ty) -> Const {
    match t {
        Ty::F32 => Const::F32(0.0),
        Ty::F64 => Const::F64(0.0),
        other => Const::Int(0, other),
    }
}

fn map_inst(kind: &InstKind, l: &impl Fn(Local) -> Local, o: &impl Fn(&Operand) -> Operand) -> InstKind {
    match kind {
        InstKind::Copy { dst, src } => InstKind::Copy { dst: l(*dst), src: o(src) },
        InstKind::Unary { dst, op, src } => InstKind::Unary { dst: l(*dst), op: *op, src: o(src) },
        InstKind::Binary { dst, op, a, b } => InstKind::Binary { dst: l(*dst), op: *op, a: o(a), b: o(b) },
        InstKind::Cmp { dst, op, a, b } => InstKind::Cmp { dst: l(*dst), op: *op, a: o(a), b: o(b) },
        InstKind::Convert { dst, op, src } => InstKind::Convert { dst: l(*dst), op: *op, src: o(src) },
        InstKind::Select { dst, cond, a, b } => InstKind::Select { dst: l(*dst), cond: o(cond), a: o(a), b: o(b) },
        InstKind::Call { dst, callee, args } => {
            InstKind::Call { dst: dst.map(l), callee: callee.clone(), args: args.iter().map(o).collect() }
        }
        InstKind::GlobalGet { dst, name } => InstKind::GlobalGet { dst: l(*dst), name: name.clone() },
        InstKind::GlobalSet { name, src } => InstKind::GlobalSet { name: name.clone(), src: o(src) },
        InstKind::TextConst { dst, value } => InstKind::TextConst { dst: l(*dst), value: value.clone() },
        InstKind::CallIndirect { dst, sig, target, args } => InstKind::CallIndirect {
            dst: dst.map(l),
            sig: sig.clone(),
            target: o(target),
            args: args.iter().map(o).collect(),
        },
        InstKind::Load { dst, ptr, offset } => InstKind::Load { dst: l(*dst), ptr: o(ptr), offset: *offset },
        InstKind::Store { ptr, offset, src } => InstKind::Store { ptr: o(ptr), offset: *offset, src: o(src) },
        // Functions with stack slots are not unrolled.
        InstKind::SlotAddr { dst, slot } => InstKind::SlotAddr { dst: l(*dst), slot: *slot },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang;

    fn fib_mir() -> Function {
        let src = "fn fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n";
        let unit = lang::parse(src).unwrap();
        let typed = lang::check(&unit, &lang::EmptyEnv).unwrap();
        lang::lower(&typed).unwrap().functions.remove(0)
    }

    #[test]
    fn unrolled_fib_is_valid_and_keeps_self_calls_at_the_leaves() {
        let mut f = fib_mir();
        let before = self_calls(&f).len();
        unroll_self_recursion(&mut f);
        let after = self_calls(&f).len();
        assert_eq!(before, 2);
        assert!(after >= 8, "{after} self-calls left");
        let module = Module { functions: vec![f], ..Default::default() };
        crate::mir::validate(&module, &crate::mir::NoEnv).unwrap();
    }

    #[test]
    fn large_or_non_recursive_functions_are_left_alone() {
        let src = "fn g(n): n + 1\nfn h(n): g(n) * 2\n";
        let typed = lang::check(&lang::parse(src).unwrap(), &lang::EmptyEnv).unwrap();
        for mut f in lang::lower(&typed).unwrap().functions {
            let before = f.clone();
            unroll_self_recursion(&mut f);
            assert_eq!(f, before);
        }
    }
}
