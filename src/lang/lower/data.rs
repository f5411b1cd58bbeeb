//! Arrays to MIR's data operations (docs/mir.md, "Arrays"). A change to a
//! global's array reads the global, changes the array (whose storage the
//! global shares, so the first write copies it) and stores it back.

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

    /// Runs `change` on the place's array as a local: the local itself, or
    /// a temporary holding the global's array, which is stored back.
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

    /// The MIR type of the array at a place.
    fn place_ty(&self, place: &Place, global_ty: Ty) -> Ty {
        match place {
            Place::Local(id) => self.locals[*id as usize].ty,
            Place::Global(_) => global_ty,
        }
    }

    /// `xs.push(x)`.
    pub(super) fn push(&mut self, place: &Place, value: &TExpr, line: u32) -> Lowered<Operand> {
        let v = self.expr(value)?;
        let ty = self.array_of(value.ty, line)?;
        let ty = self.place_ty(place, ty);
        self.change(place, ty, line, |lw, a| lw.data(None, DataOp::Push, vec![Operand::Local(a), v], line));
        Ok(Operand::Const(Const::Int(0, Ty::I64)))
    }

    /// `xs.pop()`, of an array of `elem`.
    pub(super) fn pop(&mut self, place: &Place, elem: Type, line: u32) -> Lowered<Operand> {
        let elem_ty = elem.to_mir().ok_or_else(|| format!("a pop of void at line {line}"))?;
        let ty = self.array_of(elem, line)?;
        let ty = self.place_ty(place, ty);
        let x = self.temp(elem_ty);
        self.change(place, ty, line, |lw, a| lw.data(Some(x), DataOp::Pop, vec![Operand::Local(a)], line));
        Ok(Operand::Local(x))
    }

    /// `place[index] = value`: both evaluated first.
    pub(super) fn set_element(&mut self, place: &Place, index: &TExpr, value: &TExpr, line: u32) -> Lowered<()> {
        let i = self.expr(index)?;
        let v = self.expr(value)?;
        let ty = self.array_of(value.ty, line)?;
        let ty = self.place_ty(place, ty);
        self.change(place, ty, line, |lw, a| lw.data(None, DataOp::Set, vec![Operand::Local(a), i, v], line));
        Ok(())
    }

    /// The MIR type `[elem]`.
    fn array_of(&self, elem: Type, line: u32) -> Lowered<Ty> {
        Type::array_of(elem).and_then(Type::to_mir).ok_or_else(|| format!("an array of void at line {line}"))
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
