//! What both backends read off prepared MIR before they emit anything:
//! the shape of a function's entry, what a data or host instruction works
//! on, the constants they fold. A decision made here is made once, so the
//! two translations cannot drift apart on it; each backend keeps only how
//! it emits the result.

mod basics;
mod data;
mod entry;
mod host;

pub(crate) use basics::{const_int, invariant, truncate};
pub(crate) use data::{DataTarget, FieldAccess, field_number, field_offset};
pub(crate) use entry::{Entry, EntryPlan};
pub(crate) use host::{FieldRw, HostAccess};

use super::{Callee, CodegenError, Layout};
use crate::abi::{Helpers, ManagedHelpers};
use crate::mir::{self, Operand, Ty};

/// An instruction as the translation of its family takes it: where its
/// result goes, what it does, its operands and its source line.
#[derive(Clone, Copy)]
pub(crate) struct Op<'i, K> {
    pub dst: Option<mir::Local>,
    pub op: K,
    pub args: &'i [Operand],
    pub line: u32,
}

impl<'i, K> Op<'i, K> {
    /// An instruction with a result.
    pub(crate) fn of(dst: mir::Local, op: K, args: &'i [Operand], line: u32) -> Self {
        Op { dst: Some(dst), op, args, line }
    }
}

/// Implements [`MirView`] for a backend's translator, whose fields `f`,
/// `layout` and `helpers` hold the three.
macro_rules! mir_view {
    ($translator:ident) => {
        impl $crate::backend::lowering::MirView for $translator<'_, '_> {
            fn view(&self) -> (&$crate::mir::Function, &dyn $crate::backend::Layout, &$crate::abi::Helpers) {
                (self.f, self.layout, self.helpers)
            }
        }
    };
}
pub(crate) use mir_view;

/// The MIR function a translation is of and the layout it compiles
/// against, with the lookups every translation makes of them.
pub(crate) trait MirView {
    /// The function, the layout and the runtime's helpers.
    fn view(&self) -> (&mir::Function, &dyn Layout, &Helpers);

    fn mir(&self) -> &mir::Function {
        self.view().0
    }

    fn layout(&self) -> &dyn Layout {
        self.view().1
    }

    fn helpers(&self) -> &Helpers {
        self.view().2
    }

    fn invariant(&self, message: impl Into<String>) -> CodegenError {
        invariant(self.mir(), message)
    }

    fn ty_of(&self, op: &Operand) -> Ty {
        self.mir().operand_ty(op).unwrap_or(Ty::I64)
    }

    fn local_ty(&self, l: mir::Local) -> Ty {
        self.mir().local_ty(l).unwrap_or(Ty::I64)
    }

    /// The reference-counting helpers of a managed type.
    fn managed(&self, ty: Ty) -> Result<ManagedHelpers, CodegenError> {
        let helpers = self.helpers().managed(ty).copied();
        helpers.ok_or_else(|| self.invariant(format!("{ty} has no reference-counting helpers")))
    }

    /// What a call by name reaches.
    fn callee(&self, name: &str) -> Result<Callee, CodegenError> {
        self.layout().callee(name).ok_or_else(|| self.invariant(format!("unresolved function `{name}`")))
    }

    /// The address of the text object of a literal.
    fn text_literal(&self, value: &str) -> Result<usize, CodegenError> {
        self.layout()
            .text_literal(value)
            .ok_or_else(|| CodegenError::OutOfMemory(format!("a text literal of {} bytes", value.len())))
    }

    /// The address of the text object of `name`, for an error message.
    fn name_text(&self, name: &str) -> Result<usize, CodegenError> {
        self.layout()
            .text_literal(name)
            .ok_or_else(|| CodegenError::OutOfMemory(format!("the name `{name}` for an error message")))
    }

    /// What a data instruction on record `rec` does (`FieldAccess::of`).
    fn field_access(&self, op: mir::DataOp, rec: mir::ObjTy, args: &[Operand]) -> Result<FieldAccess, CodegenError> {
        FieldAccess::of(self.mir(), op, rec, args)
    }

    /// What a data instruction works on (`DataTarget::of`).
    fn data_target(
        &self,
        op: mir::DataOp,
        dst: Option<mir::Local>,
        args: &[Operand],
    ) -> Result<DataTarget, CodegenError> {
        DataTarget::of(self.mir(), op, dst, args)
    }

    /// What a host instruction reads or writes (`HostAccess::of`).
    fn host_access<'o>(
        &self,
        dst: Option<mir::Local>,
        op: mir::HostOp,
        name: &str,
        args: &'o [Operand],
    ) -> Result<HostAccess<'o>, CodegenError> {
        HostAccess::of(self.mir(), self.layout(), dst, op, name, args)
    }
}
