//! Loop nesting depth of MIR blocks, used to order conditional branches.
//!
//! Cranelift 0.135's optimiser hoists loop-invariant code while it walks the
//! dominator tree, but it forgets a loop once it has visited a block that
//! lies outside it, so a loop body visited after the loop's exit gets no
//! hoisting at all (loop-invariant work then runs in the inner loop). It
//! visits the second target of a `brif` first; codegen therefore puts the
//! target that stays in more loops second.

use crate::mir;

/// For every block, the number of natural loops containing it (loops found
/// from the back edges of a depth-first walk from the entry).
pub(super) fn depths(f: &mir::Function) -> Vec<u32> {
    let succ = f.successor_lists();
    let n = succ.len();
    let mut preds = vec![Vec::new(); n];
    for (b, ss) in succ.iter().enumerate() {
        for s in ss {
            preds[*s].push(b);
        }
    }
    let back_edges = f.back_edges();
    // Each back edge tail -> head closes a loop: the blocks that reach the
    // tail without passing through the head.
    let mut depth = vec![0u32; n];
    for (tail, head) in back_edges {
        let mut in_loop = vec![false; n];
        in_loop[head] = true;
        let mut work = vec![tail];
        while let Some(b) = work.pop() {
            if !in_loop[b] {
                in_loop[b] = true;
                work.extend(preds[b].iter().copied());
            }
        }
        for (d, inside) in depth.iter_mut().zip(in_loop) {
            *d += u32::from(inside);
        }
    }
    depth
}

#[cfg(test)]
mod tests {
    const NESTED: &str = "mir 1
fn f(n: i64) -> i64 {
    local s: i64
    local i: i64
    local j: i64
    local c: bool
entry:
    s = copy 0
    i = copy 0
    jmp outer
outer:
    c = lt i, n
    br c, outer_body, done
outer_body:
    j = copy 0
    jmp inner
inner:
    c = lt j, n
    br c, inner_body, outer_step
inner_body:
    s = add s, j
    j = add j, 1
    jmp inner
outer_step:
    i = add i, 1
    jmp outer
done:
    ret s
}
";

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
