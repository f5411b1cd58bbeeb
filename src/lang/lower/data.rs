//! Arrays and records to MIR's data operations (docs/mir.md, "Arrays",
//! "Records"). A change to a global's object reads the global, changes
//! the object (whose storage the global shares, so the first write copies
//! it) and stores it back.

use super::{ForEachLocals, Lower, Lowered, Range};
use crate::lang::typed::*;
use crate::mir::{self, Const, DataOp, InstKind, Local, Operand, Ty};

impl Lower {
    fn data(&mut self, dst: Option<Local>, op: DataOp, args: Vec<Operand>, line: u32) {
        self.emit(InstKind::Data { dst, op, args }, line);
    }

    /// `[a, b, c]`: `anew 3` and a push of each.
    pub(super) fn list(&mut self, ty: Ty, items: &[TExpr], line: u32) -> Lowered<Operand> {
        let a = self.temp(ty);
        let n = Operand::Const(Const::Int(items.len() as i64, Ty::I64));
        self.data(Some(a), DataOp::New, vec![n], line);
        for item in items {
            let v = self.expr(item)?;
            self.data(None, DataOp::Push, vec![Operand::Local(a), v], line);
        }
        Ok(Operand::Local(a))
    }

    /// `xs[i].x[j]...`, a chain of elements and fields, as one `aget` of a
    /// path: the parts on the way are read, never held (a held part would
    /// share its storage, and the next write to it would copy it).
    pub(super) fn path_get(&mut self, e: &TExpr) -> Lowered<Operand> {
        let mut steps = Vec::new();
        let mut root = e;
        loop {
            match &root.kind {
                TExprKind::Index(base, i) => {
                    steps.push(Err(&**i));
                    root = base;
                }
                TExprKind::Field(base, k) => {
                    steps.push(Ok(*k));
                    root = base;
                }
                _ => break,
            }
        }
        let mut args = vec![self.expr(root)?];
        for step in steps.into_iter().rev() {
            args.push(match step {
                Ok(k) => Operand::Const(Const::Int(k as i64, Ty::I64)),
                Err(i) => self.expr(i)?,
            });
        }
        let ty = e.ty.to_mir().ok_or_else(|| format!("a read of void at line {}", e.line))?;
        let t = self.temp(ty);
        self.data(Some(t), DataOp::Get, args, e.line);
        Ok(Operand::Local(t))
    }

    /// `{k: v, ...}`: `anew n` and an `aset` of each entry.
    pub(super) fn map_lit(&mut self, ty: Ty, entries: &[(TExpr, TExpr)], line: u32) -> Lowered<Operand> {
        let m = self.temp(ty);
        let n = Operand::Const(Const::Int(entries.len() as i64, Ty::I64));
        self.data(Some(m), DataOp::New, vec![n], line);
        for (k, v) in entries {
            let (k, v) = (self.expr(k)?, self.expr(v)?);
            self.data(None, DataOp::Set, vec![Operand::Local(m), k, v], line);
        }
        Ok(Operand::Local(m))
    }

    /// `m.remove(k)`.
    pub(super) fn map_remove(&mut self, target: &Target, key: &TExpr, line: u32) -> Lowered<Operand> {
        let keys = self.keys(&target.steps)?;
        let k = self.expr(key)?;
        self.at_path(target, &keys, line, |lw, m, _| {
            lw.data(None, DataOp::Del, vec![Operand::Local(m), k], line);
            Ok(())
        })?;
        Ok(Operand::Const(Const::Int(0, Ty::I64)))
    }

    /// A value-producing data operation into a new temporary of type `ty`.
    pub(super) fn data_value(&mut self, ty: Ty, op: DataOp, args: &[&TExpr], line: u32) -> Lowered<Operand> {
        let mut vals = Vec::with_capacity(args.len());
        for a in args {
            vals.push(self.expr(a)?);
        }
        let t = self.temp(ty);
        self.data(Some(t), op, vals, line);
        Ok(Operand::Local(t))
    }

    /// Runs `change` on the place's object as a local: the local itself,
    /// or a temporary holding the global's object, which is stored back.
    fn change<T>(&mut self, place: &Place, ty: Ty, line: u32, change: impl FnOnce(&mut Self, Local) -> T) -> T {
        match place {
            Place::Local(id) => change(self, Local(*id)),
            Place::Global(name) => {
                let t = self.temp(ty);
                self.emit(InstKind::GlobalGet { dst: t, name: name.clone() }, line);
                let r = change(self, t);
                self.emit(InstKind::GlobalSet { name: name.clone(), src: Operand::Local(t) }, line);
                r
            }
        }
    }

    /// The keys of a target's steps: each index's value, each field's
    /// number.
    fn keys(&mut self, steps: &[TStep]) -> Lowered<Vec<Operand>> {
        let mut keys = Vec::with_capacity(steps.len());
        for step in steps {
            keys.push(match step {
                TStep::Index(i) => self.expr(i)?,
                TStep::Field(k) => Operand::Const(Const::Int(*k as i64, Ty::I64)),
            });
        }
        Ok(keys)
    }

    /// Runs `change` on the object the first `keys` lead to from the
    /// target's variable: each inner object is taken out (`atake`, so it
    /// is not shared and changes in place) and moved back afterwards
    /// (`aput`): no copy, no reference count traffic.
    fn at_path<T>(
        &mut self,
        target: &Target,
        keys: &[Operand],
        line: u32,
        change: impl FnOnce(&mut Self, Local, Ty) -> Lowered<T>,
    ) -> Lowered<T> {
        let ty = target.root.to_mir().ok_or_else(|| format!("a change to void at line {line}"))?;
        self.change(&target.place, ty, line, |lw, root| {
            let mut objects = vec![(root, ty)];
            for key in keys {
                let (outer, outer_ty) = objects[objects.len() - 1];
                let inner_ty =
                    slot_ty(outer_ty, key).ok_or_else(|| format!("a path into a {outer_ty} at line {line}"))?;
                let inner = lw.temp(inner_ty);
                lw.data(Some(inner), DataOp::Take, vec![Operand::Local(outer), *key], line);
                objects.push((inner, inner_ty));
            }
            let (last, last_ty) = objects[objects.len() - 1];
            let r = change(lw, last, last_ty)?;
            for (j, key) in keys.iter().enumerate().rev() {
                let (outer, inner) = (objects[j].0, objects[j + 1].0);
                lw.data(None, DataOp::Put, vec![Operand::Local(outer), *key, Operand::Local(inner)], line);
            }
            Ok(r)
        })
    }

    /// `xs.push(x)`.
    pub(super) fn push(&mut self, target: &Target, value: &TExpr, line: u32) -> Lowered<Operand> {
        let keys = self.keys(&target.steps)?;
        let v = self.expr(value)?;
        self.at_path(target, &keys, line, |lw, a, _| {
            lw.data(None, DataOp::Push, vec![Operand::Local(a), v], line);
            Ok(())
        })?;
        Ok(Operand::Const(Const::Int(0, Ty::I64)))
    }

    /// `xs.pop()`, of an array of `elem`.
    pub(super) fn pop(&mut self, target: &Target, elem: Type, line: u32) -> Lowered<Operand> {
        let elem_ty = elem.to_mir().ok_or_else(|| format!("a pop of void at line {line}"))?;
        let keys = self.keys(&target.steps)?;
        let x = self.temp(elem_ty);
        self.at_path(target, &keys, line, |lw, a, _| {
            lw.data(Some(x), DataOp::Pop, vec![Operand::Local(a)], line);
            Ok(())
        })?;
        Ok(Operand::Local(x))
    }

    /// `target = value`: the value is evaluated first (the indices are
    /// hidden locals already), then the last step is set on the object the
    /// others lead to.
    pub(super) fn set_path(&mut self, target: &Target, value: &TExpr, line: u32) -> Lowered<()> {
        let v = self.expr(value)?;
        let keys = self.keys(&target.steps)?;
        let (last, path) = keys.split_last().ok_or_else(|| format!("an assignment with no steps at line {line}"))?;
        let root = target.root.to_mir().ok_or_else(|| format!("a change to void at line {line}"))?;
        if !path.is_empty() && in_place(root, path) {
            // One `aset` of the whole path: each part is written in place.
            return self.change(&target.place, root, line, |lw, obj| {
                let mut args = vec![Operand::Local(obj)];
                args.extend(keys.iter().copied());
                args.push(v);
                lw.data(None, DataOp::Set, args, line);
                Ok(())
            });
        }
        self.at_path(target, path, line, |lw, obj, _| {
            lw.data(None, DataOp::Set, vec![Operand::Local(obj), *last, v], line);
            Ok(())
        })
    }

    /// `for var in iter`: over a copy of the array taken when the loop
    /// begins, by index.
    pub(super) fn for_each(&mut self, l: ForEachLocals, iter: &TExpr, body: &[TStmt], line: u32) -> Lowered<()> {
        let a = self.expr(iter)?;
        self.emit(InstKind::Copy { dst: l.array, src: a }, line);
        let arr = Operand::Local(l.array);
        self.emit(InstKind::Unary { dst: l.len, op: mir::UnOp::Len, src: arr }, line);
        self.emit(InstKind::Copy { dst: l.index, src: Operand::Const(Const::Int(0, Ty::I64)) }, line);
        let range = Range { var: l.index, end: l.len, inclusive: false };
        let element = |lw: &mut Self| lw.data(Some(l.var), DataOp::Get, vec![arr, Operand::Local(l.index)], line);
        self.counting_loop(range, element, body, line)?;
        Ok(())
    }
}

/// The type of the slot `key` names in an object of type `t`.
fn slot_ty(t: Ty, key: &Operand) -> Option<Ty> {
    let o = t.obj()?;
    if let Some((_, v)) = o.map_types() {
        return Some(v);
    }
    match (o.fields(), key) {
        (Some(_), Operand::Const(Const::Int(k, _))) => o.slot_ty(usize::try_from(*k).ok()?),
        (Some(_), _) => None,
        (None, _) => o.elem(),
    }
}

/// Whether a write through `path` from an object of type `t` can be done
/// in place: no map is on the way (a map's value has no fixed slot).
fn in_place(t: Ty, path: &[Operand]) -> bool {
    let mut cur = t;
    for key in path {
        let Some(o) = cur.obj() else { return false };
        if o.map_types().is_some() {
            return false;
        }
        match slot_ty(cur, key) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    cur.obj().is_some_and(|o| o.map_types().is_none())
}
