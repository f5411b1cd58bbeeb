//! Array values: reference-counted, growable, copied on the first write to
//! shared storage.
//!
//! Records share the representation (see `record`): a header whose `len`
//! and `cap` are the field count, then one 8-byte slot per field.
//!
//! An array is a pointer to an [`RtArray`] header followed by `cap`
//! elements of the element type's size (1 byte for bool and i8, 8 for
//! i64, f64, text and arrays); NULL is the empty array, so zeroed locals
//! and globals are valid. JIT code reads `len` and the elements itself
//! (offsets in `abi`) and calls these functions for what allocates. A
//! function that changes an array takes the caller's reference and returns
//! the reference to use from then on: the same one when the storage was
//! not shared (one reference) and had room, else a new one (the old is
//! dropped). Elements that are managed hold a reference each.

use std::alloc::{Layout, alloc, alloc_zeroed, dealloc, realloc};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};

use super::account::{budget, charge, fail, fail_with};
use super::map;
use super::text::{self, RtText};
use crate::abi::{ARRAY_DATA, ErrKind, ExecCtx};
use crate::mir::{ObjTy, Ty};
use crate::runtime::limits::Account;

#[repr(C)]
pub struct RtArray {
    refs: AtomicUsize,
    /// The account the array's bytes are counted in (NULL: none); the
    /// array holds a reference to it.
    account: *const Account,
    /// The array's type (an [`ObjTy`] address), for freeing its elements.
    ty: usize,
    pub(super) len: usize,
    cap: usize,
}

const HEADER: usize = ARRAY_DATA as usize;
const _: () = assert!(std::mem::size_of::<RtArray>() == HEADER);

fn elem_ty(ty: ObjTy) -> Ty {
    ty.elem().unwrap_or(Ty::I64)
}

/// Bytes of one slot: an array's element size; 8 for every field of a
/// record (a narrower field sits in the low bytes, the rest stay zero).
pub fn slot_size(ty: ObjTy) -> usize {
    if ty.fields().is_some() { 8 } else { elem_size(elem_ty(ty)) }
}

/// Whether a slot of `ty` may hold a managed value.
fn has_managed(ty: ObjTy) -> bool {
    match ty.fields() {
        Some(fields) => fields.iter().any(|f| f.ty.is_managed()),
        None => elem_ty(ty).is_managed(),
    }
}

/// Bytes of one element of type `t`.
pub fn elem_size(t: Ty) -> usize {
    (t.bits() / 8) as usize
}

fn layout(elem: usize, cap: usize) -> Option<Layout> {
    let bytes = HEADER.checked_add(elem.checked_mul(cap)?)?;
    Layout::from_size_align(bytes, 8).ok()
}

/// A new array of type `ty` with room for `cap` elements and length 0,
/// or NULL with `OutOfMemory` recorded.
///
/// # Safety
/// As for [`budget`].
pub(super) unsafe fn make(ctx: *mut ExecCtx, ty: ObjTy, cap: usize) -> *mut RtArray {
    let Some(layout) = layout(slot_size(ty), cap.max(1)) else {
        // SAFETY: forwarded from the caller.
        unsafe { fail(ctx, ErrKind::OutOfMemory) };
        return std::ptr::null_mut();
    };
    // SAFETY: forwarded from the caller.
    let account = unsafe { budget(ctx) }.map_or(std::ptr::null(), |b| Account::share(&b.limits.account));
    // SAFETY: forwarded from the caller; `account` is NULL or live.
    if unsafe { charge(ctx, account, layout.size()) }.is_err() {
        // SAFETY: the reference `share` made, unused.
        unsafe { Account::release(account, 0) };
        return std::ptr::null_mut();
    }
    // A record's fields start as their zero values.
    // SAFETY: a layout of non-zero size.
    let p = unsafe { if ty.fields().is_some() { alloc_zeroed(layout) } else { alloc(layout) } } as *mut RtArray;
    if p.is_null() {
        // SAFETY: the bytes were counted above; forwarded from the caller.
        unsafe {
            Account::release(account, layout.size());
            fail(ctx, ErrKind::OutOfMemory);
        }
        return p;
    }
    let header = RtArray { refs: AtomicUsize::new(1), account, ty: ty.addr(), len: 0, cap: cap.max(1) };
    // SAFETY: a fresh allocation large enough for the header.
    unsafe { p.write(header) };
    p
}

/// The address of element `i`.
///
/// # Safety
/// `p` is a live array with `i < cap`.
unsafe fn slot(p: *mut RtArray, i: usize) -> *mut u8 {
    // SAFETY: forwarded from the caller.
    unsafe { (p as *mut u8).add(HEADER + i * slot_size(ObjTy::from_addr((*p).ty))) }
}

/// The bits of element `i` (narrow elements zero-extended).
///
/// # Safety
/// `p` is a live array with `i < len`.
pub unsafe fn read(p: *const RtArray, i: usize) -> u64 {
    // SAFETY: forwarded from the caller; elements are aligned to their size.
    unsafe {
        let at = slot(p as *mut RtArray, i);
        match slot_size(ObjTy::from_addr((*p).ty)) {
            1 => *at as u64,
            2 => *(at as *const u16) as u64,
            4 => *(at as *const u32) as u64,
            _ => *(at as *const u64),
        }
    }
}

/// The bits of slot `i`, or zero (the field's zero value) for NULL, the
/// zero record.
///
/// # Safety
/// `p` is NULL or a live object with `i < len`.
pub unsafe fn read_or_zero(p: *const RtArray, i: usize) -> u64 {
    // SAFETY: forwarded from the caller.
    if p.is_null() { 0 } else { unsafe { read(p, i) } }
}

/// The type of slot `i` of an object of type `ty`.
pub fn slot_ty(ty: ObjTy, i: usize) -> Ty {
    ty.slot_ty(i).unwrap_or(Ty::I64)
}

/// Stores the bits of an element (truncated to its size), taking over the
/// reference a managed element carries.
///
/// # Safety
/// `p` is a live array with `i < cap`.
unsafe fn write(p: *mut RtArray, i: usize, bits: u64) {
    // SAFETY: forwarded from the caller.
    unsafe {
        let at = slot(p, i);
        match slot_size(ObjTy::from_addr((*p).ty)) {
            1 => *at = bits as u8,
            2 => *(at as *mut u16) = bits as u16,
            4 => *(at as *mut u32) = bits as u32,
            _ => *(at as *mut u64) = bits,
        }
    }
}

/// Adds a reference to a managed value of type `t` (nothing for others).
///
/// # Safety
/// `bits` is a value of type `t` the caller holds a reference to.
pub unsafe fn retain_value(t: Ty, bits: u64) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match t {
            Ty::Text => text::retain(bits as *const RtText),
            Ty::Obj(_) => retain(bits as *const RtArray),
            _ => {}
        }
    }
}

/// Drops a reference to a managed value of type `t`.
///
/// # Safety
/// `bits` is a value of type `t` whose reference the caller gives up.
pub unsafe fn release_value(t: Ty, bits: u64) {
    // SAFETY: forwarded from the caller.
    unsafe {
        match t {
            Ty::Text => text::release(bits as *const RtText),
            Ty::Obj(_) => release(bits as *const RtArray),
            _ => {}
        }
    }
}

/// The array's length (0 for NULL).
///
/// # Safety
/// `p` is NULL or a live array.
pub unsafe fn len(p: *const RtArray) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { p.as_ref().map_or(0, |a| a.len) }
}

/// The array's type.
///
/// # Safety
/// `p` is a live array.
unsafe fn ty_of(p: *const RtArray) -> ObjTy {
    // SAFETY: forwarded from the caller; the header holds an ObjTy address.
    unsafe { ObjTy::from_addr((*p).ty) }
}

/// Adds a reference.
///
/// # Safety
/// `p` is NULL or an array the caller holds a reference to.
pub unsafe extern "C" fn retain(p: *const RtArray) {
    // SAFETY: the caller holds a reference, so the array is alive.
    if let Some(a) = unsafe { p.as_ref() } {
        a.refs.fetch_add(1, Ordering::Relaxed);
    }
}

/// Drops a reference; the last one frees the array and drops its
/// elements' references.
///
/// # Safety
/// `p` is NULL or an array the caller holds a reference to, which it gives
/// up.
pub unsafe extern "C" fn release(p: *const RtArray) {
    // SAFETY: the caller gives up its reference; after the last one
    // nothing else reaches the array.
    unsafe {
        let Some(a) = p.as_ref() else { return };
        if a.refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        let ty = ty_of(p);
        if let Some((k, v)) = ty.map_types() {
            map::free(p as *mut map::RtMap, |key, value| {
                release_value(k, key);
                release_value(v, value);
            });
            return;
        }
        if has_managed(ty) {
            for i in 0..a.len {
                release_value(slot_ty(ty, i), read(p, i));
            }
        }
        if let Some(layout) = layout(slot_size(ty), a.cap) {
            Account::release(a.account, layout.size());
            dealloc(p as *mut u8, layout);
        }
    }
}

/// Gives each element of `q` from `from` on a reference of its own, when
/// they are managed (they were copied bit for bit from another array).
///
/// # Safety
/// `q` is a live array.
unsafe fn retain_elements(q: *mut RtArray, from: usize) {
    // SAFETY: forwarded from the caller; `from..len` are its elements.
    unsafe {
        let ty = ty_of(q);
        if has_managed(ty) {
            for i in from..(*q).len {
                retain_value(slot_ty(ty, i), read(q, i));
            }
        }
    }
}

/// A copy of `len` elements of `p` from `from` into a new array of room
/// `cap`, each managed element with a reference of its own.
///
/// # Safety
/// `p` is a live array with `from + len <= p.len`; as for [`budget`].
unsafe fn copy_range(ctx: *mut ExecCtx, p: *const RtArray, from: usize, len: usize, cap: usize) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let ty = ty_of(p);
        let q = make(ctx, ty, cap.max(len));
        if q.is_null() {
            return q;
        }
        let size = slot_size(ty);
        std::ptr::copy_nonoverlapping(slot(p as *mut RtArray, from), slot(q, 0), len * size);
        (*q).len = len;
        retain_elements(q, 0);
        q
    }
}

/// The caller's array with storage of its own and room for `extra` more
/// elements: `p` itself when it already has both, else a copy or a grown
/// block (the old reference is given up). NULL with `OutOfMemory` recorded
/// when refused (the caller's reference is then still `p`'s). `ty` is the
/// array's type, for a NULL (empty) `p`.
///
/// # Safety
/// `p` is NULL or an array the caller holds a reference to; as for
/// [`budget`]; `ty` is an array type's address.
pub(super) unsafe fn array_reserve(ctx: *mut ExecCtx, ty: usize, p: *mut RtArray, extra: u64) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let Some(a) = p.as_ref() else { return make(ctx, ObjTy::from_addr(ty), (extra as usize).max(4)) };
        let need = a.len.saturating_add(extra as usize);
        let unique = a.refs.load(Ordering::Acquire) == 1;
        if unique && need <= a.cap {
            return p;
        }
        let cap = if need <= a.cap { a.cap } else { need.max(a.cap.saturating_mul(2)) };
        if !unique {
            let q = copy_range(ctx, p, 0, a.len, cap);
            if !q.is_null() {
                release(p);
            }
            return q;
        }
        let size = slot_size(ty_of(p));
        let (Some(old), Some(new)) = (layout(size, a.cap), layout(size, cap)) else {
            fail(ctx, ErrKind::OutOfMemory);
            return std::ptr::null_mut();
        };
        // The array's own account pays for its growth.
        let grown = new.size() - old.size();
        if charge(ctx, a.account, grown).is_err() {
            return std::ptr::null_mut();
        }
        let account = a.account;
        let q = realloc(p as *mut u8, old, new.size()) as *mut RtArray;
        if q.is_null() {
            if let Some(acc) = account.as_ref() {
                acc.give(grown);
            }
            fail(ctx, ErrKind::OutOfMemory);
            return q;
        }
        (*q).cap = cap;
        q
    }
}

/// `a = anew n`: an empty array with room for `n` (NULL, the empty array,
/// for `n <= 0`).
///
/// # Safety
/// As for [`array_reserve`].
pub unsafe extern "C" fn array_new(ctx: *mut ExecCtx, ty: usize, cap: i64) -> *mut RtArray {
    if cap <= 0 {
        return std::ptr::null_mut();
    }
    // SAFETY: forwarded from the caller.
    unsafe { make(ctx, ObjTy::from_addr(ty), cap as usize) }
}

/// A new array of type `ty` (with unmanaged elements) holding a copy of
/// the `n` elements at `data`, counted in no account (the host's own
/// array). NULL for `n == 0` (the empty array) or when memory is refused.
///
/// # Safety
/// `data` points to `n` readable elements of `ty`'s element type, which is
/// not managed.
pub unsafe fn from_elements(ty: ObjTy, data: *const u8, n: usize) -> *mut RtArray {
    debug_assert!(!elem_ty(ty).is_managed());
    if n == 0 {
        return std::ptr::null_mut();
    }
    // SAFETY: no context: the array is counted nowhere; forwarded from the
    // caller, and a fresh array has room for `n`.
    unsafe {
        let q = make(std::ptr::null_mut(), ty, n);
        if !q.is_null() {
            std::ptr::copy_nonoverlapping(data, slot(q, 0), n * elem_size(elem_ty(ty)));
            (*q).len = n;
        }
        q
    }
}

/// The address of the first element (dangling for an empty array).
///
/// # Safety
/// `p` is NULL or a live array.
pub unsafe fn elements(p: *const RtArray) -> *const u8 {
    if p.is_null() {
        return std::ptr::NonNull::<u64>::dangling().as_ptr() as *const u8;
    }
    // SAFETY: forwarded from the caller; element 0 is within the block.
    unsafe { slot(p as *mut RtArray, 0) }
}

/// `apush a, x`: the array to use from now on, with `x` appended (a
/// managed `x` is borrowed: the array takes a reference of its own).
///
/// # Safety
/// As for [`array_reserve`]; `x` is a value of the element type.
pub unsafe extern "C" fn array_push(ctx: *mut ExecCtx, ty: usize, p: *mut RtArray, x: u64) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let q = array_reserve(ctx, ty, p, 1);
        if q.is_null() {
            return p;
        }
        retain_value(elem_ty(ObjTy::from_addr(ty)), x);
        write(q, (*q).len, x);
        (*q).len += 1;
        q
    }
}

/// Storage of its own for a write: `array_reserve` with no extra room.
///
/// # Safety
/// As for [`array_reserve`].
pub unsafe extern "C" fn array_unique(ctx: *mut ExecCtx, ty: usize, p: *mut RtArray) -> *mut RtArray {
    if p.is_null() {
        return p;
    }
    // SAFETY: forwarded from the caller.
    let q = unsafe { array_reserve(ctx, ty, p, 0) };
    if q.is_null() { p } else { q }
}

/// Records `index out of range: i (length n)`; returns 0 (JIT code calls
/// it through the cold call stub, which passes a result on).
///
/// # Safety
/// `ctx` is the running call's live context.
pub unsafe extern "C" fn index_error(ctx: *mut ExecCtx, i: i64, len: i64) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe { fail_with(ctx, ErrKind::IndexOutOfRange, &format!("{i} (length {len})")) };
    0
}

/// `b = aslice a, i, j`: a new array of elements `i..j`; `i..j` outside
/// `0..=len` (or `i > j`) is `index out of range`.
///
/// # Safety
/// `p` is NULL or a borrowed array; as for [`budget`].
pub unsafe extern "C" fn array_slice(ctx: *mut ExecCtx, p: *const RtArray, i: i64, j: i64) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let n = len(p) as i64;
        if i < 0 || i > n {
            index_error(ctx, i, n);
            return std::ptr::null_mut();
        }
        if j < i || j > n {
            index_error(ctx, j, n);
            return std::ptr::null_mut();
        }
        if i == j {
            return std::ptr::null_mut();
        }
        copy_range(ctx, p, i as usize, (j - i) as usize, (j - i) as usize)
    }
}

/// `c = add a, b`: a new array, `a`'s elements then `b`'s.
///
/// # Safety
/// `a` and `b` are NULL or borrowed arrays of one type; as for [`budget`].
pub unsafe extern "C" fn array_concat(ctx: *mut ExecCtx, a: *const RtArray, b: *const RtArray) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let (na, nb) = (len(a), len(b));
        if na == 0 || nb == 0 {
            // One side is empty: the result is the other one, shared.
            let shared = if nb == 0 { a } else { b };
            retain(shared);
            return shared as *mut RtArray;
        }
        let q = copy_range(ctx, a, 0, na, na + nb);
        if q.is_null() {
            return q;
        }
        let size = elem_size(elem_ty(ty_of(a)));
        std::ptr::copy_nonoverlapping(slot(b as *mut RtArray, 0), slot(q, na), nb * size);
        (*q).len = na + nb;
        retain_elements(q, na);
        q
    }
}

/// `b = arepeat a, n`: `a`'s elements `n` times (none for `n <= 0`).
///
/// # Safety
/// As for [`array_slice`].
pub unsafe extern "C" fn array_repeat(ctx: *mut ExecCtx, p: *const RtArray, n: i64) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let one = len(p);
        if n <= 0 || one == 0 {
            return std::ptr::null_mut();
        }
        let Some(total) = one.checked_mul(n as usize) else {
            fail(ctx, ErrKind::OutOfMemory);
            return std::ptr::null_mut();
        };
        let q = copy_range(ctx, p, 0, one, total);
        if q.is_null() {
            return q;
        }
        // Doubling the part already written: log2(n) copies, not n (a
        // copy per element of `[true] * n` cost a call of memcpy each).
        let size = elem_size(elem_ty(ty_of(p)));
        let mut filled = one;
        while filled < total {
            let more = filled.min(total - filled);
            std::ptr::copy_nonoverlapping(slot(q, 0), slot(q, filled), more * size);
            filled += more;
        }
        (*q).len = total;
        retain_elements(q, one);
        q
    }
}

/// Element-by-element equality of two arrays of type `ty`.
///
/// # Safety
/// `a` and `b` are NULL or borrowed arrays of type `ty` (an address).
pub unsafe extern "C" fn array_equal(ty: usize, a: *const RtArray, b: *const RtArray) -> u8 {
    // SAFETY: forwarded from the caller.
    u8::from(unsafe { values_equal(Ty::Obj(ObjTy::from_addr(ty)), a as u64, b as u64) })
}

/// Equality of two values of type `t` (floats as `==` compares them).
///
/// # Safety
/// `x` and `y` are borrowed values of type `t`.
pub unsafe fn values_equal(t: Ty, x: u64, y: u64) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe {
        match t {
            Ty::F64 => f64::from_bits(x) == f64::from_bits(y),
            Ty::F32 => f32::from_bits(x as u32) == f32::from_bits(y as u32),
            Ty::Text => text::equal(x as *const RtText, y as *const RtText) != 0,
            Ty::Obj(o) if o.map_types().is_some() => {
                // The same entries, in any order (as Python compares dicts).
                let (a, b) = (x as *const map::RtMap, y as *const map::RtMap);
                let value = o.map_types().map_or(Ty::I64, |(_, v)| v);
                map::len(a) == map::len(b)
                    && (0..map::len(a)).all(|i| {
                        map::entry(a, i)
                            .is_some_and(|(k, va)| map::get(b, k).is_some_and(|vb| values_equal(value, va, vb)))
                    })
            }
            Ty::Obj(o) => {
                let (a, b) = (x as *const RtArray, y as *const RtArray);
                match o.fields() {
                    Some(fields) => {
                        (0..fields.len()).all(|i| values_equal(fields[i].ty, read_or_zero(a, i), read_or_zero(b, i)))
                    }
                    None => {
                        let elem = elem_ty(o);
                        len(a) == len(b) && (0..len(a)).all(|i| values_equal(elem, read(a, i), read(b, i)))
                    }
                }
            }
            _ => x == y,
        }
    }
}

/// A new reference to the array in a global's cell.
///
/// # Safety
/// `cell` is a live global cell holding NULL or an array reference.
pub unsafe extern "C" fn global_load(cell: *const AtomicU64) -> *mut RtArray {
    // SAFETY: forwarded from the caller; the cell holds an array.
    unsafe { text::load_cell(cell, |raw| retain(raw as *const RtArray)) as *mut RtArray }
}

/// Stores a new reference to `p` in the cell and drops the old one.
///
/// # Safety
/// As for [`global_load`]; `p` is NULL or a borrowed array.
pub unsafe extern "C" fn global_store(cell: *const AtomicU64, p: *const RtArray) {
    // SAFETY: forwarded from the caller; the old reference is ours once
    // it is out of the cell.
    unsafe {
        retain(p);
        release(text::store_cell(cell, p as u64) as *const RtArray);
    }
}
