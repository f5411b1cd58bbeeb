//! Loop nesting depth of MIR blocks, used to order conditional branches.
//!
//! Cranelift 0.135's optimiser hoists loop-invariant code while it walks the
//! dominator tree, but it forgets a loop once it has visited a block that
//! lies outside it, so a loop body visited after the loop's exit gets no
//! hoisting at all (loop-invariant work then runs in the inner loop). It
//! visits the second target of a `brif` first; codegen therefore puts the
//! target that stays in more loops second.

use crate::mir;

/// For every block, the number of natural loops containing it.
pub(super) fn depths(f: &mir::Function) -> Vec<u32> {
    let mut depth = vec![0u32; f.blocks.len()];
    for lp in mir::loops::natural_loops(f) {
        for (d, inside) in depth.iter_mut().zip(&lp.body) {
            *d += u32::from(*inside);
        }
    }
    depth
}

/// For every block, whether some loop containing it can go round without
/// running it (it dominates none of that loop's back edges): code there,
/// such as a callback on a rare event, runs on some iterations only. All
/// false in a function without floats: its values live across a call in
/// callee-saved registers, and a stub would only cost (about 9 ns a call).
pub(super) fn conditional_in_loop(f: &mir::Function) -> Vec<bool> {
    let mut conditional = vec![false; f.blocks.len()];
    if !f.locals.iter().any(|l| l.ty.is_float()) {
        return conditional;
    }
    let idom = mir::loops::dominators(f);
    for lp in mir::loops::natural_loops(f) {
        for (b, c) in conditional.iter_mut().enumerate() {
            if lp.contains(b) && !lp.latches.iter().all(|l| mir::loops::dominates(&idom, b, *l)) {
                *c = true;
            }
        }
    }
    conditional
}

#[cfg(test)]
mod tests {
    use crate::mir::fixtures::NESTED_LOOPS as NESTED;

    #[test]
    fn nested_loops_have_nested_depths() {
        let f = crate::mir::text::parse(NESTED).unwrap().0.functions.remove(0);
        let d = super::depths(&f);
        let at = |label: &str| d[f.blocks.iter().position(|b| b.label == label).unwrap()];
        assert_eq!((at("entry"), at("done")), (0, 0), "{d:?}");
        assert_eq!((at("outer"), at("outer_body"), at("outer_step")), (1, 1, 1), "{d:?}");
        assert_eq!((at("inner"), at("inner_body")), (2, 2), "{d:?}");
    }
}
