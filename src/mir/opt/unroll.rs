//! Recursion unrolling: a small self-recursive function gets copies of its
//! own body in place of its self-calls, a few levels deep (as C compilers
//! do for `fib`). Each copy saves a call, a frame and the stack and error
//! checks; the remaining self-calls still go through the function table.
//!
//! Only calls of a function to itself are inlined: a call to another
//! function must keep reaching that function's current definition (hot
//! reload), while the copies of a function's own body are replaced along
//! with it.
//!
//! Copies skip their entry checkpoint (a copy's work is bounded; its loops
//! keep theirs), so an unrolled function would count fewer steps than its
//! plain form. It therefore keeps its plain form too, and runs it when the
//! call counts steps (`CountingSteps`): a step limit stops at the same
//! place at every optimisation level, and otherwise the unrolled form
//! runs. The two forms compute the same, so a backend may also run the
//! plain form when the call does not count steps (Cranelift's does, after
//! an entry's slow path, which makes the dispatch cost nothing more than
//! the entry's compare).

use crate::mir::data::*;

/// Functions with more instructions than this are not unrolled: the gain
/// is a call's overhead, which matters only next to a small body (fib's is
/// 12 instructions).
const MAX_TEMPLATE: usize = 48;
/// Unrolling stops before a function grows past this many instructions,
/// which bounds the compile time it adds (tens of microseconds) and keeps
/// the unrolled body within the instruction cache.
const MAX_TOTAL: usize = 800;
/// Levels of self-calls replaced by copies: three levels turn fib's two
/// self-calls into sixteen leaves, past which measured gains stop
/// (docs/benchmarks.md).
const MAX_LEVELS: usize = 3;

fn size(f: &Function) -> usize {
    f.blocks.iter().map(|b| b.insts.len() + 1).sum()
}

fn self_calls(f: &Function) -> Vec<(usize, usize)> {
    f.insts()
        .filter(|(_, _, inst)| matches!(&inst.kind, InstKind::Call { callee, .. } if *callee == f.name))
        .map(|(bi, ii, _)| (bi, ii))
        .collect()
}

/// Unrolls `f`'s self-recursion in place; does nothing to other functions.
pub fn unroll_self_recursion(f: &mut Function) {
    let template = f.clone();
    let template_size = size(&template);
    // Managed locals own references; copies would need their own ownership
    // bookkeeping, which is not worth it for the functions this targets.
    // Stack slots would need a copy per level too; such functions are not
    // what this is for either.
    let managed = template.locals.iter().any(|l| l.ty.is_managed());
    if template_size > MAX_TEMPLATE || managed || !template.slots.is_empty() || self_calls(&template).is_empty() {
        return;
    }
    let copy = without_entry_checkpoint(&template);
    let mut unrolled = false;
    for _ in 0..MAX_LEVELS {
        let sites = self_calls(f);
        if sites.is_empty() || size(f) + sites.len() * template_size > MAX_TOTAL {
            break;
        }
        // Later sites first, so earlier indices stay valid while splitting.
        for (bi, ii) in sites.into_iter().rev() {
            inline_at(f, &copy, bi, ii);
            unrolled = true;
        }
    }
    if unrolled {
        add_plain_version(f, copy);
    }
}

/// The template as copies use it: without the checkpoint that starts it.
fn without_entry_checkpoint(template: &Function) -> Function {
    let mut copy = template.clone();
    if let Some(entry) = copy.blocks.first_mut() {
        if entry.insts.first().is_some_and(|i| i.kind == InstKind::Checkpoint) {
            entry.insts.remove(0);
        }
    }
    copy
}

/// `f` (unrolled) starts with its entry checkpoint and a dispatch: to its
/// plain form `template` (without its entry checkpoint) when the call
/// counts steps, else to the unrolled form (see the module's comment for
/// what a backend may make of it).
fn add_plain_version(f: &mut Function, template: Function) {
    let entry_checkpoint = match f.blocks.first_mut() {
        Some(entry) if entry.insts.first().is_some_and(|i| i.kind == InstKind::Checkpoint) => entry.insts.remove(0),
        _ => Inst { kind: InstKind::Checkpoint, line: f.line },
    };
    let counting = Local(f.locals.len() as u32);
    f.locals.push(LocalDecl { name: String::new(), ty: Ty::Bool });
    let unrolled_blocks = f.blocks.len() as u32;
    let plain_entry = BlockId(1 + unrolled_blocks);
    for b in &mut f.blocks {
        b.term = b.term.map_blocks(|t| BlockId(t.0 + 1));
    }
    let plain = template.blocks.into_iter().map(|b| Block {
        // The unrolled form keeps the labels.
        label: String::new(),
        term: b.term.map_blocks(|t| BlockId(t.0 + 1 + unrolled_blocks)),
        ..b
    });
    f.blocks.extend(plain);
    let dispatch = Block {
        label: String::new(),
        insts: vec![entry_checkpoint, Inst { kind: InstKind::CountingSteps { dst: counting }, line: f.line }],
        term: Terminator::Branch { cond: Operand::Local(counting), then_block: plain_entry, else_block: BlockId(1) },
        term_line: f.line,
    };
    f.blocks.insert(0, dispatch);
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
    let map_op = |op: &Operand| op.map_local(map_local);
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
            None => Operand::Const(Const::zero(decl.ty)),
        };
        caller.insts.push(Inst { kind: InstKind::Copy { dst: Local(local_base + i as u32), src }, line });
    }

    for b in &template.blocks {
        let mut insts: Vec<Inst> =
            b.insts.iter().map(|inst| Inst { kind: inst.kind.map_locals(map_local), line: inst.line }).collect();
        let term = match &b.term {
            // A return of the copy hands its value to the call's result.
            Terminator::Return(v) => {
                if let (Some(d), Some(v)) = (dst, v) {
                    insts.push(Inst { kind: InstKind::Copy { dst: d, src: map_op(v) }, line: b.term_line });
                }
                Terminator::Jump(cont)
            }
            other => other.map(map_block, map_op),
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::fixtures::FIB;

    fn functions(text: &str) -> Vec<Function> {
        crate::mir::text::parse(text).unwrap().0.functions
    }

    #[test]
    fn unrolled_fib_is_valid_and_keeps_self_calls_at_the_leaves() {
        let mut f = functions(FIB).remove(0);
        let before = self_calls(&f).len();
        unroll_self_recursion(&mut f);
        let after = self_calls(&f).len();
        assert_eq!(before, 2);
        assert!(after >= 8, "{after} self-calls left");
        crate::mir::fixtures::assert_valid(f);
    }

    #[test]
    fn large_or_non_recursive_functions_are_left_alone() {
        let text = "mir 1
fn g(n: i64) -> i64 {
    local r: i64
    r = add n, 1
    ret r
}
fn h(n: i64) -> i64 {
    local r: i64
    r = call g(n)
    r = mul r, 2
    ret r
}
";
        for mut f in functions(text) {
            let before = f.clone();
            unroll_self_recursion(&mut f);
            assert_eq!(f, before);
        }
    }
}
