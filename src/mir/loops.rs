//! The loops of a function: dominators and natural loops, for the passes
//! and backends that move work out of loops.
//!
//! A natural loop is the set of blocks that reach one of its back edges'
//! tails without passing its header, where the header dominates every
//! tail. MIR may come from a host in any shape: a cycle whose entry does
//! not dominate it (irreducible flow) is no natural loop, and the passes
//! leave it alone.

use super::data::Function;

/// One natural loop (all back edges to one header merged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loop {
    pub header: usize,
    /// The tails of its back edges (the blocks that jump to the header from
    /// inside).
    pub latches: Vec<usize>,
    /// `body[b]`: block `b` is in the loop (the header too).
    pub body: Vec<bool>,
}

impl Loop {
    pub fn contains(&self, b: usize) -> bool {
        self.body.get(b).copied().unwrap_or(false)
    }

    /// The header's predecessors outside the loop.
    pub fn entries(&self, preds: &[Vec<usize>]) -> Vec<usize> {
        preds[self.header].iter().copied().filter(|p| !self.contains(*p)).collect()
    }
}

/// Every block's predecessors (targets out of range left out).
pub fn predecessors(f: &Function) -> Vec<Vec<usize>> {
    let succ = f.successor_lists();
    let mut preds = vec![Vec::new(); succ.len()];
    for (b, ss) in succ.iter().enumerate() {
        for s in ss {
            preds[*s].push(b);
        }
    }
    preds
}

/// The blocks reachable from the entry in reverse postorder.
pub fn reverse_postorder(f: &Function) -> Vec<usize> {
    reverse_postorder_of(&f.successor_lists())
}

/// Reverse postorder in which each loop's blocks come before the blocks
/// its exits lead to: the depth-first search takes first the successors
/// that leave loops, so they finish first and come last. Still a reverse
/// postorder (a block after its dominators). A backend translating in
/// this order has seen a loop's back edges before the code after the
/// loop, so Cranelift's SSA builder finds that a local the loop leaves
/// alone has one value at every join after it (with the exit first, the
/// inner loop of a sieve gave every join of the outer loop a block
/// parameter per live local, and the register allocator a move for each).
pub fn loops_first_order(f: &Function) -> Vec<usize> {
    if f.back_edges().is_empty() {
        return reverse_postorder(f);
    }
    let loops = natural_loops(f);
    let shared = |b: usize, s: usize| loops.iter().filter(|l| l.contains(b) && l.contains(s)).count();
    let succ: Vec<Vec<usize>> = f
        .successor_lists()
        .into_iter()
        .enumerate()
        .map(|(b, mut ss)| {
            ss.sort_by_key(|s| shared(b, *s));
            ss
        })
        .collect();
    reverse_postorder_of(&succ)
}

fn reverse_postorder_of(succ: &[Vec<usize>]) -> Vec<usize> {
    let n = succ.len();
    let mut order = Vec::with_capacity(n);
    if n == 0 {
        return order;
    }
    let mut seen = vec![false; n];
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some((b, i)) = stack.pop() {
        if let Some(&s) = succ[b].get(i) {
            stack.push((b, i + 1));
            if !seen[s] {
                seen[s] = true;
                stack.push((s, 0));
            }
        } else {
            order.push(b);
        }
    }
    order.reverse();
    order
}

/// Each reachable block's immediate dominator (the entry's is itself;
/// unreachable blocks have `None`), by Cooper, Harvey and Kennedy's
/// iteration over reverse postorder.
pub fn dominators(f: &Function) -> Vec<Option<usize>> {
    let rpo = reverse_postorder(f);
    let preds = predecessors(f);
    let mut index = vec![usize::MAX; f.blocks.len()];
    for (i, b) in rpo.iter().enumerate() {
        index[*b] = i;
    }
    let mut idom: Vec<Option<usize>> = vec![None; f.blocks.len()];
    let Some(&entry) = rpo.first() else { return idom };
    idom[entry] = Some(entry);
    let intersect = |idom: &[Option<usize>], mut a: usize, mut b: usize| {
        while a != b {
            while index[a] > index[b] {
                a = idom[a].unwrap_or(entry);
            }
            while index[b] > index[a] {
                b = idom[b].unwrap_or(entry);
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &b in rpo.iter().skip(1) {
            let mut new = None;
            for &p in &preds[b] {
                if idom[p].is_some() {
                    new = Some(new.map_or(p, |n| intersect(&idom, p, n)));
                }
            }
            if new.is_some() && new != idom[b] {
                idom[b] = new;
                changed = true;
            }
        }
    }
    idom
}

/// Whether `a` dominates `b`, given the immediate dominators.
pub fn dominates(idom: &[Option<usize>], a: usize, mut b: usize) -> bool {
    loop {
        if a == b {
            return true;
        }
        match idom[b] {
            Some(up) if up != b => b = up,
            _ => return false,
        }
    }
}

/// The natural loops of `f`, innermost first (a loop comes before every
/// loop containing it).
pub fn natural_loops(f: &Function) -> Vec<Loop> {
    let idom = dominators(f);
    let preds = predecessors(f);
    let n = f.blocks.len();
    let mut loops: Vec<Loop> = Vec::new();
    for (tail, head) in f.back_edges() {
        if !dominates(&idom, head, tail) {
            continue;
        }
        let lp = match loops.iter_mut().position(|l| l.header == head) {
            Some(i) => &mut loops[i],
            None => {
                let mut body = vec![false; n];
                body[head] = true;
                loops.push(Loop { header: head, latches: Vec::new(), body });
                loops.last_mut().expect("just pushed")
            }
        };
        lp.latches.push(tail);
        let mut work = vec![tail];
        while let Some(b) = work.pop() {
            if !lp.body[b] {
                lp.body[b] = true;
                work.extend(preds[b].iter().copied());
            }
        }
    }
    loops.sort_by_key(|l| l.body.iter().filter(|x| **x).count());
    loops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::fixtures::{NESTED_LOOPS as NESTED, block as at, function as parse};

    #[test]
    fn a_loops_body_comes_before_what_follows_it() {
        let f = parse(NESTED);
        let order = loops_first_order(&f);
        let pos = |name: &str| order.iter().position(|b| *b == at(&f, name)).expect("reachable");
        // Plain reverse postorder takes `outer_step` (the inner loop's exit)
        // before `inner_body`; this order has the inner loop first.
        assert!(pos("inner_body") < pos("outer_step"), "{order:?}");
        assert!(pos("outer_step") < pos("done"), "{order:?}");
        assert_eq!(order.len(), f.blocks.len());
        // Still a reverse postorder: every block after its dominator.
        let idom = dominators(&f);
        for (b, d) in idom.iter().enumerate() {
            if let Some(d) = d.filter(|d| *d != b) {
                assert!(order.iter().position(|x| *x == d) < order.iter().position(|x| *x == b), "{order:?}");
            }
        }
    }

    #[test]
    fn nested_loops_come_innermost_first() {
        let f = parse(NESTED);
        let loops = natural_loops(&f);
        assert_eq!(loops.len(), 2, "{loops:?}");
        assert_eq!(loops[0].header, at(&f, "inner"));
        assert_eq!(loops[0].latches, vec![at(&f, "inner_body")]);
        assert!(loops[0].contains(at(&f, "inner_body")) && !loops[0].contains(at(&f, "outer_step")));
        assert_eq!(loops[1].header, at(&f, "outer"));
        assert!(loops[1].contains(at(&f, "inner_body")) && loops[1].contains(at(&f, "outer_step")));
        assert!(!loops[1].contains(at(&f, "done")) && !loops[1].contains(at(&f, "entry")));
        let preds = predecessors(&f);
        assert_eq!(loops[0].entries(&preds), vec![at(&f, "outer_body")]);
    }

    #[test]
    fn dominators_of_a_diamond() {
        let f = parse(
            "mir 1
fn f(c: bool) -> i64 {
    local x: i64
entry:
    br c, a, b
a:
    x = copy 1
    jmp join
b:
    x = copy 2
    jmp join
join:
    ret x
}
",
        );
        let idom = dominators(&f);
        assert_eq!(idom[at(&f, "join")], Some(0));
        assert!(dominates(&idom, 0, at(&f, "a")));
        assert!(!dominates(&idom, at(&f, "a"), at(&f, "join")));
    }

    #[test]
    fn a_cycle_entered_twice_is_no_natural_loop() {
        // `a` and `b` form a cycle with two entries: neither dominates the
        // other.
        let f = parse(
            "mir 1
fn f(c: bool) -> i64 {
entry:
    br c, a, b
a:
    br c, b, done
b:
    br c, a, done
done:
    ret 0
}
",
        );
        assert!(natural_loops(&f).is_empty());
    }
}
