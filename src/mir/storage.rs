//! What a backend may assume about the storage of an object local, so that
//! element reads and writes in loops cost what they cost in C:
//!
//! - **Unique**: the local's storage has one reference (or, for an array,
//!   none: the empty array), so a write needs no copy-on-write check. A
//!   write, or `aown`, makes its local unique, and so does an operation
//!   that makes a new array (`[x] * n`, a slice, a map's keys); a copy
//!   moves uniqueness to its destination (ownership is explicit: sharing
//!   takes a retain). Only an instruction that may share the storage (a
//!   call argument, a retain, storing it in another object, a global
//!   write) or replace it (a write to the local) ends that. Reads leave it
//!   as it is: no one else can reach storage with one reference.
//! - **Fixed in a loop**: an array whose pointer and length no loop
//!   instruction can change: it is not written as a local, not resized
//!   (`apush`, `apop`), and every element write in the loop finds it
//!   unique. Its length is then read once, at the end of the loop's
//!   preheader (its one entry block, which `opt::loop_storage` makes), and
//!   the loop's bounds checks compare with that.
//!
//! Both are facts about MIR alone, the same for every backend.

use super::data::*;
use super::loops;
use super::ops::{DataOp, UnOp};

/// The set of object locals known to be unique at one point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unique(Vec<bool>);

impl Unique {
    /// The empty set, with room for the locals up to `l`.
    pub fn none(l: Local) -> Unique {
        Unique(vec![false; l.0 as usize + 1])
    }

    pub fn insert(&mut self, l: Local) {
        self.set(l, true);
    }

    pub fn contains(&self, l: Local) -> bool {
        self.0.get(l.0 as usize).copied().unwrap_or(false)
    }

    fn set(&mut self, l: Local, unique: bool) {
        if let Some(x) = self.0.get_mut(l.0 as usize) {
            *x = unique;
        }
    }

    /// The set after `kind` runs.
    pub fn step(&mut self, kind: &InstKind) {
        match kind {
            InstKind::Data { dst, op, args } => {
                args.iter().skip(1).for_each(|a| self.kill(a));
                if let Some(Operand::Local(a)) = args.first() {
                    let named_again = args[1..].contains(&Operand::Local(*a));
                    if op.mutates() && !named_again {
                        self.set(*a, true);
                    } else if !reads_only(*op) {
                        self.set(*a, false);
                    }
                }
                if let Some(d) = dst {
                    self.set(*d, makes_array(*op));
                }
            }
            InstKind::Unary { dst, op: UnOp::Len, .. } => self.set(*dst, false),
            // With ownership explicit, a copy is a move (or a borrow that
            // a retain or a call ends): the storage keeps one reference,
            // now the destination's.
            InstKind::Copy { dst, src: Operand::Local(s) } => {
                let unique = self.contains(*s);
                self.set(*s, false);
                self.set(*dst, unique);
            }
            other => {
                // Any other use may share the storage; a write replaces it.
                let used = std::cell::RefCell::new(Vec::new());
                let _ = other.map_locals(|l| {
                    used.borrow_mut().push(l);
                    l
                });
                used.into_inner().into_iter().for_each(|l| self.set(l, false));
            }
        }
    }

    fn kill(&mut self, o: &Operand) {
        if let Operand::Local(l) = o {
            self.set(*l, false);
        }
    }

    fn meet(&mut self, other: &Unique) {
        for (x, y) in self.0.iter_mut().zip(&other.0) {
            *x &= *y;
        }
    }
}

/// Operations that read their object and keep no reference to it (a slice
/// or repetition is a copy).
fn reads_only(op: DataOp) -> bool {
    matches!(op, DataOp::Get | DataOp::Has | DataOp::Keys | DataOp::Values | DataOp::Slice | DataOp::Repeat)
}

/// Operations whose result is a new array (or NULL, the empty one), which
/// no one else can reach yet: `[x] * n`, a slice, a map's keys or values.
/// (`anew` may make a map, whose NULL a write must replace first.)
fn makes_array(op: DataOp) -> bool {
    matches!(op, DataOp::Repeat | DataOp::Slice | DataOp::Keys | DataOp::Values)
}

/// Whether `kind` reads or writes an element of `a` (checking its bounds).
fn accesses_elements(kind: &InstKind, a: Local) -> bool {
    matches!(kind, InstKind::Data { op: DataOp::Get | DataOp::Set | DataOp::Put | DataOp::Take, args, .. }
        if args.first() == Some(&Operand::Local(a)))
}

/// Whether `kind` leaves the pointer and length of array `a` as they are,
/// given the locals known unique before it.
fn keeps_fixed(kind: &InstKind, a: Local, unique: &Unique) -> bool {
    if kind.dst() == Some(a) || matches!(kind, InstKind::Release { value } if *value == a) {
        return false;
    }
    match kind {
        InstKind::Data { op, args, .. } if args.first() == Some(&Operand::Local(a)) => match op {
            DataOp::Push | DataOp::Pop => false,
            op if op.mutates() => unique.contains(a),
            _ => true,
        },
        _ => true,
    }
}

/// The facts of one function.
#[derive(Clone, Debug)]
pub struct StorageFacts {
    /// The locals known unique where each block starts.
    unique_in: Vec<Unique>,
    /// For each block, the arrays fixed in a loop containing it.
    fixed: Vec<Vec<Local>>,
    /// For each block, the arrays whose length it reads at its end, for the
    /// loop it is the preheader of.
    measure: Vec<Vec<Local>>,
}

impl StorageFacts {
    pub fn of(f: &Function) -> StorageFacts {
        let n = f.blocks.len();
        if !has_objects(f) {
            // Nothing to know: no dataflow, no loops to find.
            return StorageFacts { unique_in: vec![Unique(Vec::new()); n], fixed: Vec::new(), measure: Vec::new() };
        }
        let unique_in = unique_in(f);
        let mut facts = StorageFacts { unique_in, fixed: vec![Vec::new(); n], measure: vec![Vec::new(); n] };
        let preds = loops::predecessors(f);
        // Outermost first: an array fixed in a loop is fixed in the loops
        // it contains, measured once before the outermost.
        for lp in loops::natural_loops(f).iter().rev() {
            let Some(pre) = preheader(f, lp, &preds) else { continue };
            for a in facts.fixed_arrays(f, lp) {
                if !facts.fixed[lp.header].contains(&a) {
                    facts.measure[pre].push(a);
                    (0..n).filter(|b| lp.contains(*b)).for_each(|b| facts.fixed[b].push(a));
                }
            }
        }
        facts
    }

    /// The locals known unique where block `b` starts.
    pub fn unique_at(&self, b: usize) -> Unique {
        self.unique_in[b].clone()
    }

    /// Whether array `a` is fixed in a loop containing block `b`.
    pub fn is_fixed(&self, b: usize, a: Local) -> bool {
        self.fixed.get(b).is_some_and(|f| f.contains(&a))
    }

    /// The arrays whose length block `b` reads at its end.
    pub fn measured_in(&self, b: usize) -> &[Local] {
        self.measure.get(b).map_or(&[], Vec::as_slice)
    }

    fn fixed_arrays(&self, f: &Function, lp: &loops::Loop) -> Vec<Local> {
        let arrays = (0..f.locals.len() as u32)
            .map(Local)
            .filter(|l| f.local_ty(*l).and_then(Ty::obj).is_some_and(|o| o.elem().is_some()));
        let in_loop = || (0..f.blocks.len()).filter(|b| lp.contains(*b));
        let accessed = |a: Local| in_loop().any(|b| f.blocks[b].insts.iter().any(|i| accesses_elements(&i.kind, a)));
        arrays
            .filter(|a| accessed(*a))
            .filter(|a| {
                in_loop().all(|b| {
                    let mut unique = self.unique_at(b);
                    f.blocks[b].insts.iter().all(|inst| {
                        let keeps = keeps_fixed(&inst.kind, *a, &unique);
                        unique.step(&inst.kind);
                        keeps
                    })
                })
            })
            .collect()
    }
}

/// Whether `f` has an object local (array, record or map) at all.
pub fn has_objects(f: &Function) -> bool {
    f.locals.iter().any(|l| l.ty.obj().is_some())
}

/// The loop's preheader: its only entry, a block that only jumps to the
/// header.
pub fn preheader(f: &Function, lp: &loops::Loop, preds: &[Vec<usize>]) -> Option<usize> {
    match lp.entries(preds)[..] {
        [p] if f.blocks[p].term == Terminator::Jump(BlockId(lp.header as u32)) => Some(p),
        _ => None,
    }
}

/// The forward dataflow of [`Unique`]: a local is unique where a block
/// starts when it is at the end of every predecessor (nothing is at the
/// entry).
fn unique_in(f: &Function) -> Vec<Unique> {
    let n = f.blocks.len();
    let none = Unique(vec![false; f.locals.len()]);
    let all = Unique(vec![true; f.locals.len()]);
    let preds = loops::predecessors(f);
    let order = loops::reverse_postorder(f);
    let mut out: Vec<Unique> = vec![all; n];
    let mut ins: Vec<Unique> = vec![none.clone(); n];
    let mut changed = true;
    while changed {
        changed = false;
        for &b in &order {
            let mut u = if b == 0 { none.clone() } else { Unique(vec![true; f.locals.len()]) };
            for p in &preds[b] {
                u.meet(&out[*p]);
            }
            ins[b] = u.clone();
            f.blocks[b].insts.iter().for_each(|i| u.step(&i.kind));
            if u != out[b] {
                out[b] = u;
                changed = true;
            }
        }
    }
    ins
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::fixtures::{block as at, function as parse};

    const FILL: &str = "mir 1
fn f(a: [i64], n: i64) -> i64 {
    local xs: [i64]
    local i: i64
    local c: bool
    local ys: [i64]
entry:
    xs = copy a
    i = copy 0
    aown xs
    jmp head
head:
    c = lt i, n
    br c, body, done
body:
    aset xs, i, i
    i = add i, 1
    jmp head
done:
    ys = copy xs
    aset xs, 0, 1
    ret 0
}
";

    #[test]
    fn a_write_or_aown_makes_unique_and_a_copy_ends_it() {
        let f = parse(FILL);
        let facts = StorageFacts::of(&f);
        let xs = Local(2);
        assert!(!facts.unique_at(0).contains(xs));
        assert!(facts.unique_at(at(&f, "head")).contains(xs));
        assert!(facts.unique_at(at(&f, "done")).contains(xs));
        let mut u = facts.unique_at(at(&f, "done"));
        u.step(&f.blocks[at(&f, "done")].insts[0].kind);
        assert!(!u.contains(xs), "ys = copy xs shares the storage");
        u.step(&f.blocks[at(&f, "done")].insts[1].kind);
        assert!(u.contains(xs), "the write made it unique again");
    }

    #[test]
    fn an_array_written_in_place_is_fixed_in_its_loop() {
        let f = parse(FILL);
        let facts = StorageFacts::of(&f);
        let xs = Local(2);
        assert_eq!(facts.measured_in(0), &[xs]);
        assert!(facts.is_fixed(at(&f, "body"), xs) && facts.is_fixed(at(&f, "head"), xs));
        assert!(!facts.is_fixed(at(&f, "done"), xs));
    }

    #[test]
    fn a_push_or_an_unchecked_write_unfixes() {
        let pushes = FILL.replace("    aset xs, i, i\n", "    apush xs, i\n");
        let f = parse(&pushes);
        assert!(StorageFacts::of(&f).measured_in(0).is_empty());
        // Without the `aown`, the first write in the loop may copy.
        let unowned = FILL.replace("    aown xs\n", "");
        let f = parse(&unowned);
        let facts = StorageFacts::of(&f);
        assert!(facts.measured_in(0).is_empty());
        assert!(!facts.unique_at(at(&f, "head")).contains(Local(2)));
        assert!(!facts.is_fixed(at(&f, "body"), Local(2)));
    }

    #[test]
    fn a_call_with_the_array_ends_uniqueness_in_the_loop() {
        let calls = FILL
            .replace("    i = add i, 1\n", "    i = add i, 1\n    c = call g(xs)\n")
            .replace("fn f(", "fn g(x: [i64]) -> bool {\nentry:\n    ret 1\n}\nfn f(");
        let m = crate::mir::text::parse(&calls).unwrap().0;
        let f = &m.functions[1];
        let facts = StorageFacts::of(f);
        assert!(!facts.unique_at(at(f, "head")).contains(Local(2)));
        assert!(facts.measured_in(0).is_empty());
    }
}
