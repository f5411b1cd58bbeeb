//! The map operations JIT code calls (every one is a call: hashing a key
//! is the work, not the call), keeping the reference counts `map` leaves
//! to them: a map holds a reference to each key and value. A write first
//! gets storage of its own (`map_unique`: a copy when it is shared), so a
//! map shared by two values is never changed.

use super::account::fail_with;
use super::array::{self, RtArray, release, release_value, retain_value};
use super::map::{self, Inserted, RtMap};
use super::text;
use crate::abi::{ErrKind, ExecCtx};
use crate::mir::{ObjTy, Ty};
use crate::util::escape;

/// The key and value types of the map type at `ty`.
///
/// # Safety
/// `ty` is a map type's address.
unsafe fn types(ty: usize) -> (Ty, Ty) {
    // SAFETY: forwarded from the caller.
    unsafe { ObjTy::from_addr(ty) }.map_types().unwrap_or((Ty::I64, Ty::I64))
}

/// `m = anew n` of a map type: an empty map with room for `n` (NULL, the
/// empty map, for `n <= 0`).
///
/// # Safety
/// `ctx` is the running call's context (or NULL); `ty` a map type's address.
pub unsafe extern "C" fn map_new(ctx: *mut ExecCtx, ty: usize, cap: i64) -> *mut RtMap {
    if cap <= 0 {
        return std::ptr::null_mut();
    }
    // SAFETY: forwarded from the caller.
    unsafe { map::new(ctx, ObjTy::from_addr(ty), cap as usize) }
}

/// The map to write to from now on: `p` itself when its storage is its
/// own, else a copy (the caller's reference to the shared one is given
/// up), or a new map for NULL; `p` with `OutOfMemory` recorded when
/// refused.
///
/// # Safety
/// As for [`map_new`]; `p` is NULL or a map the caller holds a reference to.
pub unsafe extern "C" fn map_unique(ctx: *mut ExecCtx, ty: usize, p: *mut RtMap) -> *mut RtMap {
    // SAFETY: forwarded from the caller.
    unsafe {
        if p.is_null() {
            let q = map::new(ctx, ObjTy::from_addr(ty), 4);
            return if q.is_null() { p } else { q };
        }
        if map::is_unique(p) {
            return p;
        }
        let (kt, vt) = types(ty);
        let q = map::new(ctx, ObjTy::from_addr(ty), map::len(p));
        if q.is_null() {
            return p;
        }
        for i in 0..map::len(p) {
            let Some((k, v)) = map::entry(p, i) else { break };
            // Room was reserved for every entry: this insert cannot fail.
            if map::insert(ctx, q, k, v).is_err() {
                release(q as *const RtArray);
                return p;
            }
            retain_value(kt, k);
            retain_value(vt, v);
        }
        release(p as *const RtArray);
        q
    }
}

/// Records `key not found: "zed"` (or `: 3`).
///
/// # Safety
/// `ctx` is the running call's live context; `key` a key of type `kt`.
unsafe fn key_error(ctx: *mut ExecCtx, kt: Ty, key: u64) {
    let shown = match kt {
        // SAFETY: forwarded from the caller.
        Ty::Text => escape::quote(unsafe { text::text_str(key as *const text::RtText) }),
        _ => (key as i64).to_string(),
    };
    // SAFETY: forwarded from the caller.
    unsafe { fail_with(ctx, ErrKind::KeyNotFound, &shown) };
}

/// `v = aget m, k`: the value for `k` (borrowed); `key not found` (and 0)
/// when the map lacks it.
///
/// # Safety
/// As for [`map_unique`]; `key` is a live key.
pub unsafe extern "C" fn map_get(ctx: *mut ExecCtx, ty: usize, p: *const RtMap, key: u64) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe {
        match map::get(p, key) {
            Some(v) => v,
            None => {
                key_error(ctx, types(ty).0, key);
                0
            }
        }
    }
}

/// `x = aget m, k` on a map whose storage is the caller's own: the address
/// of the value, which JIT code reads, and where a write to the same key
/// that follows stores (one lookup for `m[k] += v`); NULL with `key not
/// found` recorded when the map lacks it.
///
/// # Safety
/// As for [`map_set`].
pub unsafe extern "C" fn map_slot(ctx: *mut ExecCtx, ty: usize, p: *mut RtMap, key: u64) -> *mut u64 {
    // SAFETY: forwarded from the caller.
    unsafe {
        match map::slot(p, key) {
            Some(at) => at,
            None => {
                key_error(ctx, types(ty).0, key);
                std::ptr::null_mut()
            }
        }
    }
}

/// `b = mhas m, k` on a map whose storage is the caller's own: the address
/// of the value, as [`map_slot`], or NULL when the map lacks `k` (not an
/// error: the test's answer). A `m[k]` the test guards reads it without a
/// second lookup.
///
/// # Safety
/// As for [`map_set`].
pub unsafe extern "C" fn map_find(p: *mut RtMap, key: u64) -> *mut u64 {
    // SAFETY: forwarded from the caller.
    unsafe { map::slot(p, key) }.unwrap_or(std::ptr::null_mut())
}

/// `b = mhas m, k`: 1 when the map has `k`.
///
/// # Safety
/// As for [`map_get`].
pub unsafe extern "C" fn map_has(p: *const RtMap, key: u64) -> u8 {
    // SAFETY: forwarded from the caller.
    u8::from(unsafe { map::get(p, key) }.is_some())
}

/// `aset m, k, v` (`moved` 0: `v` is borrowed) or `aput m, k, v` (`moved`
/// 1: the map takes `v`'s reference): inserts or replaces the entry. `p`
/// is the caller's map with storage of its own (see [`map_unique`]).
///
/// # Safety
/// As for [`map_get`]; `p` is a map whose storage is its own; `value` a
/// live value of the value type.
pub unsafe extern "C" fn map_set(ctx: *mut ExecCtx, ty: usize, p: *mut RtMap, key: u64, value: u64, moved: u8) {
    // SAFETY: forwarded from the caller.
    unsafe {
        let (kt, vt) = types(ty);
        if moved == 0 {
            retain_value(vt, value);
        }
        match map::insert(ctx, p, key, value) {
            Ok(Inserted::New) => retain_value(kt, key),
            Ok(Inserted::Replaced(old)) => release_value(vt, old),
            // The value's reference is ours, and goes nowhere.
            Err(()) => release_value(vt, value),
        }
    }
}

/// `v = atake m, k`: moves the value for `k` out (its reference goes to
/// the caller), leaving the value type's zero value; `key not found` when
/// the map lacks it.
///
/// # Safety
/// As for [`map_set`].
pub unsafe extern "C" fn map_take(ctx: *mut ExecCtx, ty: usize, p: *mut RtMap, key: u64) -> u64 {
    // SAFETY: forwarded from the caller.
    unsafe {
        let Some(v) = map::get(p, key) else {
            key_error(ctx, types(ty).0, key);
            return 0;
        };
        // The map keeps its key; the zero value holds no reference.
        let _ = map::insert(ctx, p, key, 0);
        v
    }
}

/// `mdel m, k`: removes the entry for `k` (nothing when there is none).
///
/// # Safety
/// As for [`map_set`].
pub unsafe extern "C" fn map_del(ty: usize, p: *mut RtMap, key: u64) {
    // SAFETY: forwarded from the caller.
    unsafe {
        let (kt, vt) = types(ty);
        if let Some((k, v)) = map::remove(p, key) {
            release_value(kt, k);
            release_value(vt, v);
        }
    }
}

/// `a = mkeys m` (`values` 0) or `a = mvalues m` (1): a new array of the
/// keys or values in insertion order.
///
/// # Safety
/// As for [`map_get`].
pub unsafe extern "C" fn map_list(ctx: *mut ExecCtx, ty: usize, p: *const RtMap, values: u8) -> *mut RtArray {
    // SAFETY: forwarded from the caller.
    unsafe {
        let (kt, vt) = types(ty);
        let elem = if values == 0 { kt } else { vt };
        let array_ty = ObjTy::array(elem).addr();
        let n = map::len(p);
        let mut a = array::array_new(ctx, array_ty, n as i64);
        for i in 0..n {
            let Some((k, v)) = map::entry(p, i) else { break };
            let before = array::len(a);
            a = array::array_push(ctx, array_ty, a, if values == 0 { k } else { v });
            if array::len(a) == before {
                break;
            }
        }
        a
    }
}
