//! How Rust code (the host's side of a call, globals, undo) holds an
//! array or a record: [`Object`], one reference, dropped with it.

use std::fmt;

use super::helpers::array::{self as raw, RtArray};
use super::helpers::{format, map};
use crate::error::Error;
use crate::mir::{ObjTy, Ty};

/// An array or record value held by Rust code: its type and a reference
/// (NULL for the empty array and the zero record).
pub struct Object {
    ty: ObjTy,
    ptr: *mut RtArray,
}

// SAFETY: an array shared by two references is never written (writes
// first get storage of their own), and its counts are atomic, so a
// reference may move to and be used from any thread.
unsafe impl Send for Object {}
// SAFETY: as above.
unsafe impl Sync for Object {}

impl Object {
    /// Takes over a reference.
    ///
    /// # Safety
    /// `ptr` is NULL or a reference the caller owns to an array of type `ty`.
    pub unsafe fn from_raw(ty: ObjTy, ptr: *mut RtArray) -> Object {
        Object { ty, ptr }
    }

    /// A new reference to an array someone else holds one to.
    ///
    /// # Safety
    /// `ptr` is NULL or a live array of type `ty`.
    pub unsafe fn from_borrowed(ty: ObjTy, ptr: *const RtArray) -> Object {
        // SAFETY: forwarded from the caller; the new reference is ours.
        unsafe {
            raw::retain(ptr);
            Object::from_raw(ty, ptr as *mut RtArray)
        }
    }

    /// The empty array of type `ty` (which is an array type).
    pub fn empty(ty: ObjTy) -> Object {
        Object { ty, ptr: std::ptr::null_mut() }
    }

    /// A new array of `T` elements copied from `xs`, counted in no
    /// manager's account (it is the host's).
    pub fn from_slice<T: Element>(xs: &[T]) -> Result<Object, Error> {
        let ty = ObjTy::array(T::TY);
        // SAFETY: `xs` holds `len` elements of the array's unmanaged type.
        let ptr = unsafe { raw::from_elements(ty, xs.as_ptr() as *const u8, xs.len()) };
        if ptr.is_null() && !xs.is_empty() {
            return Err(out_of_memory());
        }
        Ok(Object { ty, ptr })
    }

    /// Copies the first `min(out.len(), len)` elements into `out` and
    /// returns how many; `None` when the elements are not `T`s.
    pub fn read_into<T: Element>(&self, out: &mut [T]) -> Option<usize> {
        if self.ty.elem() != Some(T::TY) {
            return None;
        }
        let n = out.len().min(self.len());
        // SAFETY: the array holds at least `n` elements of type T, and
        // `out` has room for `n`; the two never overlap (`out` is the
        // caller's).
        unsafe { std::ptr::copy_nonoverlapping(raw::elements(self.ptr) as *const T, out.as_mut_ptr(), n) };
        Some(n)
    }

    /// The element type (of an array).
    pub fn elem(&self) -> Ty {
        self.ty.elem().unwrap_or(Ty::I64)
    }

    /// The object type.
    pub fn obj_ty(&self) -> ObjTy {
        self.ty
    }

    /// Whether this is a record.
    pub fn is_record(&self) -> bool {
        self.ty.fields().is_some()
    }

    /// Whether this is a map.
    pub fn is_map(&self) -> bool {
        self.ty.map_types().is_some()
    }

    /// A map's entry `i` in insertion order, its key's and value's bits
    /// (borrowed); `None` past the end or for another object.
    pub fn entry_bits(&self, i: usize) -> Option<(u64, u64)> {
        // SAFETY: `self` holds a reference to a map.
        self.is_map().then(|| unsafe { map::entry(self.ptr as *const map::RtMap, i) })?
    }

    /// The bits of a map's value for `key` (borrowed).
    ///
    /// # Safety
    /// `key` is a live value of the map's key type.
    pub unsafe fn lookup_bits(&self, key: u64) -> Option<u64> {
        // SAFETY: `self` holds a reference to a map; forwarded.
        self.is_map().then(|| unsafe { map::get(self.ptr as *const map::RtMap, key) })?
    }

    /// The bits of element `i` (borrowed: the array keeps a managed
    /// element's reference); `None` past the end.
    pub fn element_bits(&self, i: usize) -> Option<u64> {
        if self.is_map() {
            return None;
        }
        // SAFETY: `i` is an element of the object `self` holds (or a field
        // of the zero record, NULL).
        (i < self.len()).then(|| unsafe { raw::read_or_zero(self.ptr, i) })
    }

    /// Appends the element `bits`; storage shared with other references
    /// is copied first.
    ///
    /// # Safety
    /// `bits` is a live value of the element type (a managed one is
    /// borrowed: the array takes a reference of its own).
    pub unsafe fn push_bits(&mut self, bits: u64) -> Result<(), Error> {
        if self.ty.elem().is_none() {
            return Err(Error::Signature(format!("cannot push onto a {}", self.ty.name())));
        }
        let before = self.len();
        // SAFETY: `self` owns its reference, which the push takes and
        // replaces by the one it returns; forwarded from the caller.
        self.ptr = unsafe { raw::array_push(std::ptr::null_mut(), self.ty.addr(), self.ptr, bits) };
        if self.len() == before {
            return Err(out_of_memory());
        }
        Ok(())
    }

    /// A new reference to the array in a global's cell.
    ///
    /// # Safety
    /// `cell` is a live global cell holding an array of type `ty`.
    pub unsafe fn load_global(ty: ObjTy, cell: &std::sync::atomic::AtomicU64) -> Object {
        // SAFETY: forwarded from the caller; the reference is ours.
        unsafe { Object::from_raw(ty, raw::global_load(cell)) }
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

    /// An array's elements, a record's fields, a map's entries.
    pub fn len(&self) -> usize {
        match self.ty.fields() {
            Some(fields) => fields.len(),
            // SAFETY: `self` holds a reference to a map.
            None if self.is_map() => unsafe { map::len(self.ptr as *const map::RtMap) },
            // SAFETY: `self` holds a reference.
            None => unsafe { raw::len(self.ptr) },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An element type whose values the host copies in and out in bulk.
pub trait Element: Copy {
    const TY: Ty;
}

impl Element for f64 {
    const TY: Ty = Ty::F64;
}

impl Element for i64 {
    const TY: Ty = Ty::I64;
}

pub(super) fn out_of_memory() -> Error {
    Error::Runtime("out of memory".into())
}

impl Clone for Object {
    fn clone(&self) -> Object {
        // SAFETY: `self` holds a reference, so the array is alive.
        unsafe { raw::retain(self.ptr) };
        Object { ty: self.ty, ptr: self.ptr }
    }
}

impl Drop for Object {
    fn drop(&mut self) {
        // SAFETY: `self` owns this reference.
        unsafe { raw::release(self.ptr) };
    }
}

impl PartialEq for Object {
    fn eq(&self, other: &Object) -> bool {
        // SAFETY: both hold references.
        self.ty == other.ty && unsafe { raw::values_equal(self.ty(), self.ptr as u64, other.ptr as u64) }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        // SAFETY: `self` holds a reference.
        unsafe { format::write_value(&mut s, self.ty(), self.ptr as u64, false) };
        f.write_str(&s)
    }
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}
