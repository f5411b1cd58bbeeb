//! How Rust code (the host's side of a call, globals, undo) holds an
//! array: [`Array`], one reference, dropped with it.

use std::fmt;

use super::helpers::array::{self as raw, RtArray};
use super::helpers::format;
use crate::mir::{ObjTy, Ty};

/// An array value held by Rust code: its type and a reference (NULL for
/// the empty array).
pub struct Array {
    ty: ObjTy,
    ptr: *mut RtArray,
}

// SAFETY: an array shared by two references is never written (writes
// first get storage of their own), and its counts are atomic, so a
// reference may move to and be used from any thread.
unsafe impl Send for Array {}
// SAFETY: as above.
unsafe impl Sync for Array {}

impl Array {
    /// Takes over a reference.
    ///
    /// # Safety
    /// `ptr` is NULL or a reference the caller owns to an array of type `ty`.
    pub unsafe fn from_raw(ty: ObjTy, ptr: *mut RtArray) -> Array {
        Array { ty, ptr }
    }

    /// A new reference to the array in a global's cell.
    ///
    /// # Safety
    /// `cell` is a live global cell holding an array of type `ty`.
    pub unsafe fn load_global(ty: ObjTy, cell: &std::sync::atomic::AtomicU64) -> Array {
        // SAFETY: forwarded from the caller; the reference is ours.
        unsafe { Array::from_raw(ty, raw::global_load(cell)) }
    }

    /// The reference, for JIT code; still owned by `self`.
    pub fn as_ptr(&self) -> *const RtArray {
        self.ptr
    }

    /// Gives up ownership: the caller now holds the reference.
    pub fn into_raw(self) -> *mut RtArray {
        let p = self.ptr;
        std::mem::forget(self);
        p
    }

    /// The array's type (`[f64]`).
    pub fn ty(&self) -> Ty {
        Ty::Obj(self.ty)
    }

    pub fn len(&self) -> usize {
        // SAFETY: `self` holds a reference.
        unsafe { raw::len(self.ptr) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Clone for Array {
    fn clone(&self) -> Array {
        // SAFETY: `self` holds a reference, so the array is alive.
        unsafe { raw::retain(self.ptr) };
        Array { ty: self.ty, ptr: self.ptr }
    }
}

impl Drop for Array {
    fn drop(&mut self) {
        // SAFETY: `self` owns this reference.
        unsafe { raw::release(self.ptr) };
    }
}

impl PartialEq for Array {
    fn eq(&self, other: &Array) -> bool {
        // SAFETY: both hold references.
        self.ty == other.ty && unsafe { raw::values_equal(self.ty(), self.ptr as u64, other.ptr as u64) }
    }
}

impl fmt::Display for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        // SAFETY: `self` holds a reference.
        unsafe { format::write_value(&mut s, self.ty(), self.ptr as u64, false) };
        f.write_str(&s)
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}
