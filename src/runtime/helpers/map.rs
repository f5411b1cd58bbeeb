//! Map values' storage: an insertion-ordered hash table (`indexmap`, the
//! standard crate for it; Python's dicts keep the same order) from `text`
//! or `i64` keys to values, all held as 8-byte words. This file knows no
//! reference counts: the operations in `map_ops` keep them, and freeing
//! hands each entry to the caller.
//!
//! A map is a pointer to an [`RtMap`], whose first words are an array's
//! (`refs`, `account`, `ty`), so the shared reference counting works on
//! it; NULL is the empty map. Every allocation is fallible: the table
//! grows by `try_reserve` (counted against the map's account first), so
//! no input aborts the process. FxHash, as elsewhere in rtjit: a script
//! can choose keys that collide, which costs it time the time and step
//! limits bound, never memory safety.

use std::alloc::{Layout, alloc, dealloc};
use std::hash::{Hash, Hasher};
use std::sync::atomic::AtomicUsize;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use super::account::{budget, charge, fail};
use super::text::{self, RtText};
use crate::abi::{ErrKind, ExecCtx};
use crate::mir::{ObjTy, Ty};
use crate::runtime::limits::Account;

/// A key: an `i64`'s bits, or a text reference with its hash (the text's
/// cached one, never 0; 0 for an `i64`). The entry keeps the hash next to
/// the reference, so a probe that meets another text with the same 7-bit
/// tag rejects it without reading that text.
#[derive(Clone, Copy)]
pub struct Key {
    pub bits: u64,
    hash: u64,
}

impl Key {
    /// # Safety
    /// A text key is a live text: the map holds a reference to each of its
    /// keys, and a lookup key is borrowed for the lookup.
    unsafe fn new(key_ty: Ty, bits: u64) -> Key {
        // SAFETY: forwarded from the caller.
        let hash = if key_ty == Ty::Text { unsafe { text::hash(bits as *const RtText) } } else { 0 };
        Key { bits, hash }
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(if self.hash != 0 { self.hash } else { self.bits });
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.hash == other.hash
            && (self.bits == other.bits
                // SAFETY: a key with a hash is a live text (see `new`).
                || (self.hash != 0 && unsafe { text::same(self.bits as *const RtText, other.bits as *const RtText) }))
    }
}

impl Eq for Key {}

type Table = IndexMap<Key, u64, FxBuildHasher>;

#[repr(C)]
pub struct RtMap {
    refs: AtomicUsize,
    account: *const Account,
    ty: usize,
    /// The number of entries, where an array keeps its length (so `len`
    /// is one load for both); kept equal to `entries.len()`.
    len: usize,
    /// Bytes counted in the account for the table.
    charged: usize,
    entries: Table,
}

/// What one entry is taken to cost in the account: the entry (hash, key,
/// value) and its slot in the index.
const ENTRY_BYTES: usize = 40;

fn table_bytes(t: &Table) -> usize {
    t.capacity().saturating_mul(ENTRY_BYTES)
}

/// A new empty map of type `ty` with room for `cap` entries, or NULL with
/// `OutOfMemory` recorded.
///
/// # Safety
/// `ctx` is NULL or the running call's live context.
pub unsafe fn new(ctx: *mut ExecCtx, ty: ObjTy, cap: usize) -> *mut RtMap {
    let mut entries = Table::with_hasher(FxBuildHasher);
    if entries.try_reserve(cap).is_err() {
        // SAFETY: forwarded from the caller.
        unsafe { fail(ctx, ErrKind::OutOfMemory) };
        return std::ptr::null_mut();
    }
    let bytes = size_of::<RtMap>() + table_bytes(&entries);
    // SAFETY: forwarded from the caller.
    let account = unsafe { budget(ctx) }.map_or(std::ptr::null(), |b| Account::share(&b.limits.account));
    // SAFETY: forwarded from the caller; `account` is NULL or live.
    if unsafe { charge(ctx, account, bytes) }.is_err() {
        // SAFETY: the reference `share` made, unused.
        unsafe { Account::release(account, 0) };
        return std::ptr::null_mut();
    }
    // SAFETY: RtMap has a non-zero size.
    let p = unsafe { alloc(Layout::new::<RtMap>()) } as *mut RtMap;
    if p.is_null() {
        // SAFETY: the bytes were counted above; forwarded from the caller.
        unsafe {
            Account::release(account, bytes);
            fail(ctx, ErrKind::OutOfMemory);
        }
        return p;
    }
    let map = RtMap { refs: AtomicUsize::new(1), account, ty: ty.addr(), len: 0, charged: bytes, entries };
    // SAFETY: a fresh allocation for an RtMap.
    unsafe { p.write(map) };
    p
}

/// The map's type.
///
/// # Safety
/// `p` is a live map.
unsafe fn ty_of(p: *const RtMap) -> ObjTy {
    // SAFETY: forwarded from the caller; the header holds an ObjTy address.
    unsafe { ObjTy::from_addr((*p).ty) }
}

/// The key type of a map type.
pub fn key_ty(ty: ObjTy) -> Ty {
    ty.map_types().map_or(Ty::I64, |(k, _)| k)
}

/// The number of entries (0 for NULL).
///
/// # Safety
/// `p` is NULL or a live map.
pub unsafe fn len(p: *const RtMap) -> usize {
    // SAFETY: forwarded from the caller.
    unsafe { p.as_ref().map_or(0, |m| m.entries.len()) }
}

/// The value for `key` (borrowed), if the map has it.
///
/// # Safety
/// `p` is NULL or a live map; `key` is a live key of its key type.
pub unsafe fn get(p: *const RtMap, key: u64) -> Option<u64> {
    // SAFETY: forwarded from the caller.
    let m = unsafe { p.as_ref() }?;
    // SAFETY: as above.
    let k = unsafe { Key::new(key_ty(ty_of(p)), key) };
    m.entries.get(&k).copied()
}

/// The address of the value for `key`: valid until the map is next
/// changed other than through it.
///
/// # Safety
/// `p` is NULL or a live map whose storage is the caller's own.
pub unsafe fn slot(p: *mut RtMap, key: u64) -> Option<*mut u64> {
    if p.is_null() {
        return None;
    }
    // SAFETY: forwarded from the caller (not NULL).
    let k = unsafe { Key::new(key_ty(ty_of(p)), key) };
    // SAFETY: as above; no other reference to the map exists.
    let m = unsafe { &mut *p };
    m.entries.get_mut(&k).map(|v| v as *mut u64)
}

/// Entry `i` in insertion order: its key and value (borrowed).
///
/// # Safety
/// `p` is NULL or a live map.
pub unsafe fn entry(p: *const RtMap, i: usize) -> Option<(u64, u64)> {
    // SAFETY: forwarded from the caller.
    let m = unsafe { p.as_ref() }?;
    m.entries.get_index(i).map(|(k, v)| (k.bits, *v))
}

/// What an insertion did with the key and the value it replaced.
pub enum Inserted {
    /// A new entry: the map keeps the caller's key.
    New,
    /// The key was there: the map keeps its own key and hands back the
    /// old value.
    Replaced(u64),
}

/// Inserts or replaces the entry for `key`; a new entry goes last, a
/// replaced one keeps its place. `Err` with `OutOfMemory` recorded when
/// the table cannot grow.
///
/// # Safety
/// `p` is a live map whose storage is its own; `key` a live key; as for
/// [`new`].
pub unsafe fn insert(ctx: *mut ExecCtx, p: *mut RtMap, key: u64, value: u64) -> Result<Inserted, ()> {
    // SAFETY: forwarded from the caller.
    let (m, k) = unsafe { (&mut *p, Key::new(key_ty(ty_of(p)), key)) };
    if let Some(v) = m.entries.get_mut(&k) {
        return Ok(Inserted::Replaced(std::mem::replace(v, value)));
    }
    if m.entries.len() == m.entries.capacity() {
        let before = table_bytes(&m.entries);
        if m.entries.try_reserve(m.entries.len().max(4)).is_err() {
            // SAFETY: forwarded from the caller.
            unsafe { fail(ctx, ErrKind::OutOfMemory) };
            return Err(());
        }
        let grown = table_bytes(&m.entries).saturating_sub(before);
        // SAFETY: forwarded from the caller; the map's account is live.
        if unsafe { charge(ctx, m.account, grown) }.is_err() {
            m.entries.shrink_to(m.entries.len());
            return Err(());
        }
        m.charged += grown;
    }
    m.entries.insert(k, value);
    m.len = m.entries.len();
    Ok(Inserted::New)
}

/// Removes the entry for `key`, keeping the others' order; gives its key
/// and value (their references are the caller's now).
///
/// # Safety
/// As for [`insert`].
pub unsafe fn remove(p: *mut RtMap, key: u64) -> Option<(u64, u64)> {
    // SAFETY: forwarded from the caller.
    let (m, k) = unsafe { (&mut *p, Key::new(key_ty(ty_of(p)), key)) };
    let removed = m.entries.shift_remove_full(&k).map(|(_, k, v)| (k.bits, v));
    m.len = m.entries.len();
    removed
}

/// Frees a map no one refers to any more, giving each entry's key and
/// value to `drop_entry` first.
///
/// # Safety
/// `p` is a live map whose last reference the caller gave up.
pub unsafe fn free(p: *mut RtMap, mut drop_entry: impl FnMut(u64, u64)) {
    // SAFETY: forwarded from the caller: nothing else reaches the map.
    unsafe {
        let map = p.read();
        for (k, v) in &map.entries {
            drop_entry(k.bits, *v);
        }
        Account::release(map.account, map.charged);
        drop(map.entries);
        dealloc(p as *mut u8, Layout::new::<RtMap>());
    }
}

/// Whether a map holds only its own storage (one reference).
///
/// # Safety
/// `p` is a live map.
pub unsafe fn is_unique(p: *const RtMap) -> bool {
    // SAFETY: forwarded from the caller.
    unsafe { (*p).refs.load(std::sync::atomic::Ordering::Acquire) == 1 }
}

const _: () = assert!(std::mem::offset_of!(RtMap, len) == crate::abi::ARRAY_LEN as usize);
