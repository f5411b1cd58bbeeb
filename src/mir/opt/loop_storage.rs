//! Loop preheaders, and the copy-on-write check of a loop's writes moved
//! in front of the loop.
//!
//! Every natural loop gets a preheader: a block of its own that is the
//! loop's only entry and jumps to its header, where work done once per
//! loop goes (`mir::storage` reads array lengths there). Then, innermost
//! loop first, an object local the loop writes on every iteration, and
//! never shares or replaces, gets `aown` in the preheader: the loop's
//! writes then find it unique (`mir::storage`) and compile to a plain
//! store. Each `aown` the inner loops had moves out with it.
//!
//! The one difference it makes: when such a local's storage is shared as
//! the loop begins, its copy is made before the first iteration instead of
//! at the first write, also when the loop then runs no iteration (which is
//! also where an out-of-memory error would report its line: the loop's).

use crate::mir::data::*;
use crate::mir::loops::{self, Loop};
use crate::mir::ops::DataOp;
use crate::mir::storage;

/// Gives `f`'s loops preheaders, and moves the checks of their writes
/// before them.
pub fn run(f: &mut Function) {
    // Numeric code, the common case, has nothing to own.
    if !storage::has_objects(f) {
        return;
    }
    add_preheaders(f);
    let preds = loops::predecessors(f);
    for lp in loops::natural_loops(f) {
        let Some(pre) = storage::preheader(f, &lp, &preds) else { continue };
        for a in owned_every_iteration(f, &lp, &preds) {
            for b in (0..f.blocks.len()).filter(|b| lp.contains(*b)) {
                f.blocks[b].insts.retain(|i| !is_own(&i.kind, a));
            }
            let line = f.blocks[lp.header].term_line;
            let own = InstKind::Data { dst: None, op: DataOp::Own, args: vec![Operand::Local(a)] };
            f.blocks[pre].insts.push(Inst { kind: own, line });
        }
    }
}

fn is_own(kind: &InstKind, a: Local) -> bool {
    matches!(kind, InstKind::Data { op: DataOp::Own, args, .. } if args[..] == [Operand::Local(a)])
}

/// Redirects the entries of every loop (but one headed by the function's
/// entry, which has no entry edge to redirect) to a new block that jumps to
/// its header, unless it has one such entry already.
fn add_preheaders(f: &mut Function) {
    let preds = loops::predecessors(f);
    let headers: Vec<(usize, Vec<usize>)> = loops::natural_loops(f)
        .iter()
        .filter(|lp| lp.header != 0 && storage::preheader(f, lp, &preds).is_none())
        .map(|lp| (lp.header, lp.entries(&preds)))
        .collect();
    for (header, entries) in headers {
        let pre = BlockId(f.blocks.len() as u32);
        let head = BlockId(header as u32);
        let line = f.blocks[header].term_line;
        for e in entries {
            f.blocks[e].term = f.blocks[e].term.map_blocks(|b| if b == head { pre } else { b });
        }
        f.blocks.push(Block { label: String::new(), insts: Vec::new(), term: Terminator::Jump(head), term_line: line });
    }
}

/// The object locals `lp` changes on every path through an iteration and
/// never shares or replaces: owning them once before the loop is owning
/// them at every write.
fn owned_every_iteration(f: &Function, lp: &Loop, preds: &[Vec<usize>]) -> Vec<Local> {
    let in_loop: Vec<usize> = (0..f.blocks.len()).filter(|b| lp.contains(*b)).collect();
    let objects = (0..f.locals.len() as u32).map(Local).filter(|l| f.local_ty(*l).and_then(Ty::obj).is_some());
    objects
        .filter(|a| {
            let mut written = false;
            for b in &in_loop {
                for inst in &f.blocks[*b].insts {
                    match effect(&inst.kind, *a) {
                        Effect::Shares => return false,
                        Effect::Owns => written = true,
                        Effect::None => {}
                    }
                }
            }
            written && owned_at_latches(f, lp, &in_loop, preds, *a)
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    None,
    /// Makes the local's storage its own (a write).
    Owns,
    /// May share or replace it.
    Shares,
}

fn effect(kind: &InstKind, a: Local) -> Effect {
    let mut before = storage::Unique::none(a);
    let mut after = before.clone();
    after.step(kind);
    before.insert(a);
    let mut from_unique = before;
    from_unique.step(kind);
    match (after.contains(a), from_unique.contains(a)) {
        (true, _) => Effect::Owns,
        (false, false) => Effect::Shares,
        (false, true) => Effect::None,
    }
}

/// Whether every path from the header to a latch passes an instruction
/// that owns `a` (a must-pass dataflow over the loop's blocks).
fn owned_at_latches(f: &Function, lp: &Loop, in_loop: &[usize], preds: &[Vec<usize>], a: Local) -> bool {
    let owns = |b: usize| f.blocks[b].insts.iter().any(|i| effect(&i.kind, a) == Effect::Owns);
    let mut out: Vec<bool> = (0..f.blocks.len()).map(|b| lp.contains(b)).collect();
    let mut changed = true;
    while changed {
        changed = false;
        for &b in in_loop {
            let before = b != lp.header && preds[b].iter().filter(|p| lp.contains(**p)).all(|p| out[*p]);
            let now = before || owns(b);
            if now != out[b] {
                out[b] = now;
                changed = true;
            }
        }
    }
    lp.latches.iter().all(|t| out[*t])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::fixtures::{block as at, function as parse};
    use crate::mir::storage::StorageFacts;

    const NESTED: &str = "mir 1
fn f(a: [bool], n: i64) -> i64 {
    local xs: [bool]
    local i: i64
    local j: i64
    local c: bool
    local k: i64
entry:
    xs = copy a
    i = copy 0
    k = copy 0
    jmp outer
outer:
    c = lt i, n
    br c, test, done
test:
    c = aget xs, i
    i = add i, 1
    br c, start, outer
start:
    k = add k, 1
    j = copy i
    jmp inner
inner:
    c = lt j, n
    br c, body, outer
body:
    aset xs, j, 0
    j = add j, i
    jmp inner
done:
    ret k
}
";

    fn owns(f: &Function) -> Vec<(String, usize)> {
        let mut found = Vec::new();
        for (bi, _, inst) in f.insts() {
            if matches!(inst.kind, InstKind::Data { op: DataOp::Own, .. }) {
                found.push((f.blocks[bi].label.clone(), bi));
            }
        }
        found
    }

    #[test]
    fn the_check_of_an_inner_loop_moves_to_its_preheader() {
        let mut f = parse(NESTED);
        run(&mut f);
        // The sieve's shape: the outer loop writes only on some iterations,
        // so the check stays in front of the inner loop.
        let found = owns(&f);
        assert_eq!(found.len(), 1, "{found:?}");
        // `start` is the inner loop's one entry and only jumps to it: the
        // preheader is there already.
        assert_eq!(found[0].1, at(&f, "start"));
        assert_eq!(f.blocks.len(), 7, "no block was added");
        let facts = StorageFacts::of(&f);
        assert!(facts.unique_at(at(&f, "body")).contains(Local(2)));
        assert!(facts.is_fixed(at(&f, "body"), Local(2)));
        assert!(!facts.is_fixed(at(&f, "test"), Local(2)));
        crate::mir::fixtures::assert_valid(f);
    }

    #[test]
    fn a_loop_writing_on_every_iteration_takes_the_inner_check() {
        // Without the test, every outer iteration enters the inner loop.
        let every = NESTED.replace("    br c, start, outer\n", "    jmp start\n");
        let mut f = parse(&every);
        run(&mut f);
        let found = owns(&f);
        assert_eq!(found.len(), 1, "{found:?}");
        let outer = at(&f, "outer");
        assert_eq!(f.blocks[found[0].1].term, Terminator::Jump(BlockId(outer as u32)));
        assert!(StorageFacts::of(&f).is_fixed(at(&f, "test"), Local(2)));
    }

    #[test]
    fn a_loop_that_shares_its_array_keeps_its_checks() {
        let shares = NESTED.replace("    j = add j, i\n", "    j = add j, i\n    xs = copy a\n");
        let mut f = parse(&shares);
        run(&mut f);
        assert!(owns(&f).is_empty());
    }
}
