//! Record values: an [`RtArray`] whose slots are the fields, 8 bytes each,
//! in declaration order (`len` and `cap` are the field count), so records
//! share the arrays' reference counts, copy on write, freeing, equality
//! and formatting. NULL is the zero record: every field its type's zero
//! value (a record global before its first assignment).

use super::array::{self, RtArray};
use crate::abi::ExecCtx;
use crate::mir::ObjTy;

/// `r = rnew ...`: a new record of type `ty` with every field zero (JIT
/// code then stores the fields), or NULL with `OutOfMemory` recorded.
///
/// # Safety
/// As for [`array::make`]; `ty` is a record type's address.
pub unsafe extern "C" fn record_new(ctx: *mut ExecCtx, ty: usize) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let ty = ObjTy::from_addr(ty);
        let n = ty.fields().map_or(0, <[_]>::len);
        let p = array::make(ctx, ty, n);
        if !p.is_null() {
            (*p).len = n;
        }
        p
    }
}

/// A record with storage of its own for a field write: `p` itself when it
/// is not shared, else a copy (a new zero record for NULL); `p` with the
/// error in the context when memory is refused.
///
/// # Safety
/// As for [`array::array_reserve`]; `ty` is a record type's address.
pub unsafe extern "C" fn record_unique(ctx: *mut ExecCtx, ty: usize, p: *mut RtArray) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    let q = unsafe { if p.is_null() { record_new(ctx, ty) } else { array::array_reserve(ctx, ty, p, 0) } };
    if q.is_null() { p } else { q }
}
