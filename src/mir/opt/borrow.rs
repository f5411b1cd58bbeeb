//! Element locals that borrow their element instead of owning it: the loop
//! variable of `for w in ws` over texts (or arrays, records, maps) costs a
//! retain and a release on every iteration otherwise, two atomic
//! read-modify-writes on the element's header, as much as the loop's work
//! in a word count.
//!
//! After the ownership pass, `w = aget a, i` is
//!
//! ```text
//! t = aget a, i      ; borrowed from a's storage
//! retain t           ; w's own reference
//! release w          ; the old element's
//! w = copy t
//! ```
//!
//! The retain and the release can go, and `w` leave the locals released
//! at exits, when `a`'s storage holds every element `w` ever takes until
//! the function returns: `a` is written once, on no cycle (or is a
//! parameter, never written), is never changed in place or moved out of,
//! and `w` is written only by such element reads of `a`, and is never
//! changed in place, moved or released otherwise. Every other use of `w`
//! borrows it already (a copy, a call argument, a stored element, the
//! returned value take references of their own), so nothing else changes.

use crate::mir::data::*;
use crate::mir::ops::DataOp;

/// Makes the element locals of `f` that can borrow do so.
pub fn run(f: &mut Function) {
    let Ownership::Explicit { release_at_exit } = &f.ownership else { return };
    if release_at_exit.is_empty() {
        return;
    }
    let owners = release_at_exit.clone();
    let mut borrowed = Vec::new();
    for w in candidates(f) {
        let sites = element_reads(f, w);
        let Some(a) = sites.first().map(|s| s.array) else { continue };
        let ok = sites.iter().all(|s| s.array == a)
            && owners.contains(&a)
            && !borrowed.contains(&a)
            && a != w
            && only_element_reads_write(f, w, &sites)
            && holds_its_elements(f, a);
        if ok {
            for s in sites.iter().rev() {
                // The retain of the temporary and the release of `w`.
                f.blocks[s.block].insts.drain(s.at + 1..s.at + 3);
            }
            borrowed.push(w);
        }
    }
    if let Ownership::Explicit { release_at_exit } = &mut f.ownership {
        release_at_exit.retain(|l| !borrowed.contains(l));
    }
}

/// One `t = aget a, i; retain t; release w; w = copy t` at `block`, `at`.
struct ElementRead {
    block: usize,
    at: usize,
    array: Local,
}

/// The owned, non-parameter locals some element read writes.
fn candidates(f: &Function) -> Vec<Local> {
    let Ownership::Explicit { release_at_exit } = &f.ownership else { return Vec::new() };
    let params = f.sig.params.len() as u32;
    let mut found: Vec<Local> = Vec::new();
    for b in &f.blocks {
        for at in 0..b.insts.len() {
            if let Some((w, _)) = element_read(&b.insts, at) {
                if w.0 >= params && release_at_exit.contains(&w) && !found.contains(&w) {
                    found.push(w);
                }
            }
        }
    }
    found
}

/// The element read starting at `insts[at]`, as (`w`, `a`).
fn element_read(insts: &[Inst], at: usize) -> Option<(Local, Local)> {
    let [get, retain, release, copy] = insts.get(at..at + 4)? else { return None };
    let InstKind::Data { dst: Some(t), op: DataOp::Get, args } = &get.kind else { return None };
    let Some(Operand::Local(a)) = args.first() else { return None };
    let InstKind::Retain { value } = retain.kind else { return None };
    let InstKind::Release { value: w } = release.kind else { return None };
    let InstKind::Copy { dst, src: Operand::Local(src) } = copy.kind else { return None };
    (value == *t && src == *t && dst == w && w != *t).then_some((w, *a))
}

fn element_reads(f: &Function, w: Local) -> Vec<ElementRead> {
    let mut sites = Vec::new();
    for (block, b) in f.blocks.iter().enumerate() {
        for at in 0..b.insts.len() {
            if let Some((x, array)) = element_read(&b.insts, at) {
                if x == w {
                    sites.push(ElementRead { block, at, array });
                }
            }
        }
    }
    sites
}

/// Whether the element reads `sites` are all that write, release, move or
/// change `w` in place (retains and borrowing reads are fine).
fn only_element_reads_write(f: &Function, w: Local, sites: &[ElementRead]) -> bool {
    let in_site = |block: usize, i: usize| sites.iter().any(|s| s.block == block && (s.at + 2..s.at + 4).contains(&i));
    f.blocks.iter().enumerate().all(|(block, b)| {
        b.insts.iter().enumerate().all(|(i, inst)| {
            in_site(block, i)
                || (inst.kind.dst() != Some(w)
                    && !matches!(inst.kind, InstKind::Release { value } if value == w)
                    && !changes_or_moves(&b.insts, i, w))
        })
    })
}

/// Whether `a`'s storage keeps every element it ever has until the
/// function returns: written at most once, on no cycle, and never changed
/// in place, moved or released but by that write.
fn holds_its_elements(f: &Function, a: Local) -> bool {
    let is_param = (a.0 as usize) < f.sig.params.len();
    let mut writes = Vec::new();
    let mut releases = 0;
    for (block, b) in f.blocks.iter().enumerate() {
        for (i, inst) in b.insts.iter().enumerate() {
            if inst.kind.dst() == Some(a) {
                writes.push(block);
            }
            if matches!(inst.kind, InstKind::Release { value } if value == a) {
                releases += 1;
            }
            if changes_or_moves(&b.insts, i, a) {
                return false;
            }
        }
    }
    match writes[..] {
        [] => is_param && releases == 0,
        [block] => !is_param && releases == 1 && !on_cycle(f, block),
        _ => false,
    }
}

/// Whether `insts[i]` changes `l`'s storage in place (`aset l, ...`,
/// `apush`, ...), moves it (`aput x, i, l`), or copies it out without a
/// retain (a move: the ownership pass puts the retain right before a copy,
/// or before the release of the destination that precedes it).
fn changes_or_moves(insts: &[Inst], i: usize, l: Local) -> bool {
    let retained_at = |j: Option<usize>| {
        j.and_then(|j| insts.get(j)).is_some_and(|x| matches!(x.kind, InstKind::Retain { value } if value == l))
    };
    match &insts[i].kind {
        InstKind::Data { op, args, .. } => {
            let named = |o: &Operand| *o == Operand::Local(l);
            (op.mutates() && args.first().is_some_and(named)) || (*op == DataOp::Put && args.iter().any(named))
        }
        InstKind::Copy { src: Operand::Local(s), dst } if *s == l && *dst != l => {
            !retained_at(i.checked_sub(1)) && !retained_at(i.checked_sub(2))
        }
        _ => false,
    }
}

/// Whether block `b` can run more than once in one call.
fn on_cycle(f: &Function, b: usize) -> bool {
    let succs = f.successor_lists();
    let mut seen = vec![false; f.blocks.len()];
    let mut stack: Vec<usize> = succs[b].clone();
    while let Some(x) = stack.pop() {
        if x == b {
            return true;
        }
        if !std::mem::replace(&mut seen[x], true) {
            stack.extend(&succs[x]);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::fixtures::function as parse;
    use crate::mir::ownership::make_explicit;

    /// A word count's loop, as the source language lowers it.
    const COUNT: &str = "mir 1
fn f(a: [text]) -> i64 {
    local xs: [text]
    local w: text
    local i: i64
    local n: i64
    local c: bool
    local m: {text: i64}
entry:
    m = anew 0
    xs = copy a
    n = len xs
    i = copy 0
    jmp head
head:
    c = lt i, n
    br c, body, done
body:
    w = aget xs, i
    aset m, w, i
    i = add i, 1
    jmp head
done:
    n = len m
    ret n
}
";

    fn explicit_then_run(text: &str) -> Function {
        let mut f = parse(text);
        make_explicit(&mut f, &|_| None);
        run(&mut f);
        crate::mir::fixtures::assert_valid(f.clone());
        f
    }

    /// Whether `w` (local 2) still owns its element: released at exits,
    /// and a release of it in the loop.
    fn owns_w(f: &Function) -> bool {
        let Ownership::Explicit { release_at_exit } = &f.ownership else { panic!("implicit") };
        let released = f.insts().any(|(_, _, i)| matches!(i.kind, InstKind::Release { value: Local(2) }));
        assert_eq!(released, release_at_exit.contains(&Local(2)), "both or neither");
        released
    }

    fn retains(f: &Function) -> usize {
        f.insts().filter(|(_, _, i)| matches!(i.kind, InstKind::Retain { .. })).count()
    }

    #[test]
    fn the_loop_variable_of_an_array_only_read_borrows() {
        let before = {
            let mut f = parse(COUNT);
            make_explicit(&mut f, &|_| None);
            retains(&f)
        };
        let f = explicit_then_run(COUNT);
        assert!(!owns_w(&f));
        assert_eq!(retains(&f), before - 1, "the element's retain is gone");
    }

    #[test]
    fn an_array_changed_replaced_or_moved_keeps_its_elements_owned() {
        let changed = [
            // Changed in place: a push may free nothing, but a set or a pop
            // drops the element `w` holds.
            ("    i = add i, 1\n", "    aset xs, 0, w\n    i = add i, 1\n"),
            ("    i = add i, 1\n", "    w = apop xs\n    i = add i, 1\n"),
            // Written again in the loop: the old storage may go.
            ("    i = add i, 1\n", "    xs = copy a\n    i = add i, 1\n"),
        ];
        for (from, to) in changed {
            let f = explicit_then_run(&COUNT.replace(from, to));
            assert!(owns_w(&f), "{to}");
        }
    }

    #[test]
    fn a_loop_variable_written_changed_or_moved_otherwise_owns() {
        let list = COUNT.replace("[text]", "[[i64]]").replace("local w: text", "local w: [i64]");
        let list = list.replace("{text: i64}", "{i64: i64}").replace("aset m, w, i", "aset m, i, i");
        assert!(!owns_w(&explicit_then_run(&list)), "the [[i64]] form borrows too");
        let others = [
            (COUNT.to_string(), "    aset m, w, i\n", "    w = add w, w\n"),
            (list.clone(), "    aset m, i, i\n", "    apush w, 1\n"),
            (
                list.replace("local c: bool", "local c: bool\n    local ys: [[i64]]"),
                "    aset m, i, i\n",
                "    ys = anew 1\n    apush ys, w\n    aput ys, 0, w\n",
            ),
        ];
        for (text, from, to) in others {
            let f = explicit_then_run(&text.replace(from, to));
            assert!(owns_w(&f), "{to}");
        }
    }
}
