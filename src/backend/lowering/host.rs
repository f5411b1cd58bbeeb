//! Host data instructions: which binding or struct field one reaches.

use super::basics::invariant;
use crate::backend::{CodegenError, ExternCell, Layout};
use crate::mir::{self, Const, HostField, HostOp, HostTy, Operand};

/// What a host instruction reads or writes.
pub(crate) enum HostAccess<'o> {
    /// `xcheck p`: a null-host error when `p` is 0.
    Check { ptr: &'o Operand },
    /// `xaddr`/`xlen`: the binding's address (an unbound error while it is
    /// 0), then into `dst` its element count (`len`), the address itself,
    /// or the address of element `index`, checked against the count.
    /// Loaded at each access, so a rebinding is seen at once.
    Binding { dst: mir::Local, cell: ExternCell, len: bool, index: Option<&'o Operand> },
    /// `xget`/`xset`: a load or store at a field's offset.
    Field { ty: HostTy, k: usize, field: &'static HostField, offset: i32, ptr: &'o Operand, rw: FieldRw<'o> },
}

/// The direction of a field access.
pub(crate) enum FieldRw<'o> {
    Load(mir::Local),
    Store(&'o Operand),
}

impl<'o> HostAccess<'o> {
    pub(crate) fn of(
        f: &mir::Function,
        layout: &dyn Layout,
        dst: Option<mir::Local>,
        op: HostOp,
        name: &str,
        args: &'o [Operand],
    ) -> Result<HostAccess<'o>, CodegenError> {
        let bad = |m: String| invariant(f, m);
        match op {
            HostOp::Check => {
                let ptr = args.first().ok_or_else(|| bad("xcheck without operand".into()))?;
                Ok(HostAccess::Check { ptr })
            }
            HostOp::Get | HostOp::Set => field(f, layout, dst, name, args),
            HostOp::Addr | HostOp::Len => {
                let cell = layout.extern_cell(name).ok_or_else(|| bad(format!("no binding `{name}`")))?;
                let dst = dst.ok_or_else(|| bad(format!("{} without a result", op.name())))?;
                Ok(HostAccess::Binding { dst, cell, len: op == HostOp::Len, index: args.first() })
            }
        }
    }
}

fn field<'o>(
    f: &mir::Function,
    layout: &dyn Layout,
    dst: Option<mir::Local>,
    name: &str,
    args: &'o [Operand],
) -> Result<HostAccess<'o>, CodegenError> {
    let ty = layout.host_struct(name).ok_or_else(|| invariant(f, format!("no host struct `{name}`")))?;
    let (Some(ptr), Some(Operand::Const(Const::Int(k, _)))) = (args.first(), args.get(1)) else {
        return Err(invariant(f, "a host field without its pointer and number"));
    };
    let field = ty.field_at(*k).ok_or_else(|| invariant(f, format!("no field {k} in `{name}`")))?;
    let offset = i32::try_from(field.offset).map_err(|_| invariant(f, "a host field offset past i32"))?;
    let rw = match (dst, args.get(2)) {
        (Some(d), None) => FieldRw::Load(d),
        (None, Some(value)) => FieldRw::Store(value),
        _ => return Err(invariant(f, "xget without a result or xset without a value")),
    };
    let k = usize::try_from(*k).unwrap_or(usize::MAX);
    Ok(HostAccess::Field { ty, k, field, offset, ptr, rw })
}
