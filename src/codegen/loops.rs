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
pub fn depths(f: &mir::Function) -> Vec<u32> {
    let n = f.blocks.len();
    let succ: Vec<Vec<usize>> = f
        .blocks
        .iter()
        .map(|b| b.term.successors().into_iter().map(|s| s.0 as usize).filter(|s| *s < n).collect())
        .collect();
    let mut preds = vec![Vec::new(); n];
    for (b, ss) in succ.iter().enumerate() {
        for s in ss {
            preds[*s].push(b);
        }
    }
    // Iterative DFS: an edge to a block still on the stack is a back edge.
    let mut state = vec![0u8; n]; // 0 unvisited, 1 on the stack, 2 done
    let mut back_edges = Vec::new();
    let mut stack = vec![(0usize, 0usize)];
    if n > 0 {
        state[0] = 1;
    }
    while let Some((b, i)) = stack.pop() {
        if let Some(&s) = succ[b].get(i) {
            stack.push((b, i + 1));
            match state[s] {
                0 => {
                    state[s] = 1;
                    stack.push((s, 0));
                }
                1 => back_edges.push((b, s)),
                _ => {}
            }
        } else {
            state[b] = 2;
        }
    }
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
    use crate::lang;

    #[test]
    fn nested_loops_have_nested_depths() {
        let src = "fn f(n):\n    var s = 0\n    var i = 0\n    while i < n:\n        var j = 0\n        while j < n:\n            s += j\n            j += 1\n        i += 1\n    return s\n";
        let typed = lang::check(&lang::parse(src).unwrap(), &lang::EmptyEnv).unwrap();
        let f = lang::lower(&typed).unwrap().functions.remove(0);
        let d = super::depths(&f);
        assert_eq!(d[0], 0, "the entry is in no loop");
        assert_eq!(*d.iter().max().unwrap(), 2, "{d:?}");
        // The function's return is outside both loops.
        let ret = f.blocks.iter().position(|b| matches!(b.term, crate::mir::Terminator::Return(_))).unwrap();
        assert_eq!(d[ret], 0, "{d:?}");
    }
}
