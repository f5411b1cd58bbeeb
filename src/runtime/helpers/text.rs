//! Text values: immutable, reference-counted UTF-8 strings shared by JIT
//! code, globals and the host.
//!
//! A text value is a pointer to an [`RtText`] header followed by the bytes
//! and a NUL (not part of the text), so a host function takes the bytes as
//! a C string where they are; NULL is the empty text (so zeroed locals and
//! globals are valid). Every
//! operation borrows its text arguments and returns a new reference. The
//! `extern "C"` functions are what JIT code calls by address; they never
//! panic (a panic cannot unwind through JIT frames). Rust code holds texts
//! as [`OwnedText`], which releases its reference when dropped.

use std::alloc::{Layout, alloc, dealloc};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Mutex, MutexGuard};

use crate::abi::{ErrKind, ExecCtx};
use crate::runtime::limits::{Account, Budget, Limits};
use crate::util::sync;

#[repr(C)]
pub struct RtText {
    refs: AtomicUsize,
    len: usize,
    /// The account of the manager whose code made the text, which gets
    /// the text's bytes back when it is freed (NULL: not counted).
    account: *const Account,
    /// The hash of the bytes, computed by the first map that uses the text
    /// as a key (0: not yet): a text used as a key again and again (a word
    /// counted, a field looked up) is hashed once, not per lookup. Any
    /// thread may compute and store it; all store the same value.
    hash: AtomicU64,
}

const HEADER: usize = std::mem::size_of::<RtText>();

const _: () = assert!(HEADER == crate::abi::TEXT_BYTES as usize);

/// The allocation of a text of `len` bytes: the header, the bytes, a NUL,
/// and zeros up to a multiple of 8 bytes, so that [`same`] compares words.
fn layout(len: usize) -> Option<Layout> {
    let size = HEADER.checked_add(words(len)?.checked_mul(8)?)?;
    Layout::from_size_align(size, std::mem::align_of::<RtText>()).ok()
}

/// The 8-byte words that hold `len` bytes and the NUL.
fn words(len: usize) -> Option<usize> {
    Some(len.checked_add(8)? / 8)
}

/// A new text of `parts` (UTF-8) joined, with one reference; the empty
/// text is NULL. Its bytes count against `limits` when given. An error
/// when the limit (`Some` of it) or the system (`None`) refuses the
/// memory: nothing aborts.
fn make(parts: &[&[u8]], limits: Option<&Limits>) -> Result<*mut RtText, Option<u64>> {
    let len = parts.iter().try_fold(0usize, |n, p| n.checked_add(p.len())).ok_or(None)?;
    if len == 0 {
        return Ok(std::ptr::null_mut());
    }
    let layout = layout(len).ok_or(None)?;
    if let Some(l) = limits {
        l.take_memory(layout.size()).map_err(Some)?;
    }
    // SAFETY: the layout has a non-zero size; on success the header and the
    // bytes are written before the pointer escapes.
    let p = unsafe { alloc(layout) } as *mut RtText;
    if p.is_null() {
        if let Some(l) = limits {
            l.account.give(layout.size());
        }
        return Err(None);
    }
    let account = limits.map_or(std::ptr::null(), |l| Account::share(&l.account));
    // SAFETY: `p` is a fresh allocation of HEADER + len bytes.
    unsafe {
        p.write(RtText { refs: AtomicUsize::new(1), len, account, hash: AtomicU64::new(0) });
        let start = (p as *mut u8).add(HEADER);
        let mut at = start;
        for part in parts {
            std::ptr::copy_nonoverlapping(part.as_ptr(), at, part.len());
            at = at.add(part.len());
        }
        // The NUL and the padding.
        at.write_bytes(0, layout.size() - HEADER - len);
    }
    Ok(p)
}

/// A new text made by the running call's code: counted against its
/// manager's memory limit; `OutOfMemory` in `ctx` (and NULL) when refused.
///
/// # Safety
/// `ctx` is the running call's live context.
pub(super) unsafe fn make_in(ctx: *mut ExecCtx, parts: &[&[u8]]) -> *mut RtText {
    // SAFETY: forwarded from the caller; the budget outlives the call.
    let mut budget = unsafe { ((*ctx).budget as *mut Budget).as_mut() };
    match make(parts, budget.as_ref().map(|b| b.limits)) {
        Ok(p) => p,
        Err(refused_by) => {
            if let Some(b) = budget.as_mut() {
                b.refused_by = refused_by.unwrap_or(0);
            }
            // SAFETY: as above.
            unsafe {
                if (*ctx).err_kind == 0 {
                    (*ctx).err_kind = ErrKind::OutOfMemory as u32;
                }
            }
            std::ptr::null_mut()
        }
    }
}

/// The text as `&str`, for the other helpers.
///
/// # Safety
/// As for [`bytes`].
pub unsafe fn text_str<'a>(p: *const RtText) -> &'a str {
    // SAFETY: forwarded from the caller.
    unsafe { as_str(p) }
}

/// The bytes of a text.
///
/// # Safety
/// `p` is NULL or a live text, which stays alive while the slice is used.
unsafe fn bytes<'a>(p: *const RtText) -> &'a [u8] {
    if p.is_null() {
        return &[];
    }
    // SAFETY: a live text has `len` bytes after its header.
    unsafe { std::slice::from_raw_parts((p as *const u8).add(HEADER), (*p).len) }
}

/// The text as `&str`.
///
/// # Safety
/// As for [`bytes`].
unsafe fn as_str<'a>(p: *const RtText) -> &'a str {
    // SAFETY: texts are only ever built from UTF-8 (literals, concatenation
    // of texts, formatting, and host strings checked at the boundary).
    unsafe { std::str::from_utf8_unchecked(bytes(p)) }
}

/// The hash of the text's bytes (FxHash, never 0), cached in the text.
///
/// # Safety
/// As for [`bytes`].
pub unsafe fn hash(p: *const RtText) -> u64 {
    // The empty text's hash: a constant, as NULL has no header to hold it.
    const EMPTY: u64 = 1;
    // SAFETY: forwarded from the caller.
    let Some(t) = (unsafe { p.as_ref() }) else { return EMPTY };
    let cached = t.hash.load(Ordering::Relaxed);
    if cached != 0 {
        return cached;
    }
    use std::hash::BuildHasher;
    // SAFETY: forwarded from the caller.
    let computed = rustc_hash::FxBuildHasher.hash_one(unsafe { bytes(p) }).max(EMPTY);
    t.hash.store(computed, Ordering::Relaxed);
    computed
}

/// Whether two texts hold the same bytes: the same text, or the same
/// length and bytes (the length first, in the header the caller has just
/// read, so most unequal keys never touch their bytes).
///
/// # Safety
/// As for [`bytes`], for both.
pub unsafe fn same(a: *const RtText, b: *const RtText) -> bool {
    if a == b {
        return true;
    }
    if a.is_null() || b.is_null() {
        return false;
    }
    // SAFETY: both are live texts (forwarded from the caller), whose
    // allocations hold `words(len)` 8-byte words after the header, zero
    // past the bytes (see `layout`): equal lengths and equal words are
    // equal texts. Short keys, the common case, take one or two words, so
    // this beats a call to memcmp.
    unsafe {
        let len = (*a).len;
        if len != (*b).len {
            return false;
        }
        let (x, y) = ((a as *const u8).add(HEADER) as *const u64, (b as *const u8).add(HEADER) as *const u64);
        (0..words(len).unwrap_or(0)).all(|i| x.add(i).read() == y.add(i).read())
    }
}

/// Adds a reference.
///
/// # Safety
/// `p` is NULL or a text the caller holds a reference to.
pub unsafe extern "C" fn retain(p: *const RtText) {
    if !p.is_null() {
        // SAFETY: the caller holds a reference, so the text is alive.
        unsafe { (*p).refs.fetch_add(1, Ordering::Relaxed) };
    }
}

/// Drops a reference, freeing the text with the last one.
///
/// # Safety
/// `p` is NULL or a text the caller holds a reference to, which it gives up.
pub unsafe extern "C" fn release(p: *const RtText) {
    if p.is_null() {
        return;
    }
    // SAFETY: the caller gives up a reference it holds; after the last one
    // nothing else can reach the text, so it may be freed.
    unsafe {
        if (*p).refs.fetch_sub(1, Ordering::Release) != 1 {
            return;
        }
        fence(Ordering::Acquire);
        if let Some(layout) = layout((*p).len) {
            Account::release((*p).account, layout.size());
            dealloc(p as *mut u8, layout);
        }
    }
}

/// A new reference to `a + b`.
///
/// # Safety
/// `ctx` is the running call's context; `a` and `b` are NULL or texts the
/// caller holds references to.
pub unsafe extern "C" fn concat(ctx: *mut ExecCtx, a: *const RtText, b: *const RtText) -> *mut RtText {
    // SAFETY: both operands are borrowed from the caller.
    let (x, y) = unsafe { (bytes(a), bytes(b)) };
    let shared = if y.is_empty() {
        a
    } else if x.is_empty() {
        b
    } else {
        // SAFETY: forwarded from the caller.
        return unsafe { make_in(ctx, &[x, y]) };
    };
    // SAFETY: `shared` is one of the borrowed operands.
    unsafe { retain(shared) };
    shared as *mut RtText
}

/// # Safety
/// As for [`concat`].
pub unsafe extern "C" fn equal(a: *const RtText, b: *const RtText) -> u8 {
    // SAFETY: borrowed operands.
    u8::from(unsafe { same(a, b) })
}

/// -1, 0 or 1: bytewise order.
///
/// # Safety
/// As for [`concat`].
pub unsafe extern "C" fn compare(a: *const RtText, b: *const RtText) -> i32 {
    // SAFETY: borrowed operands.
    match unsafe { bytes(a).cmp(bytes(b)) } {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

/// # Safety
/// `a` is NULL or a text the caller holds a reference to.
pub unsafe extern "C" fn length(a: *const RtText) -> i64 {
    // SAFETY: borrowed operand.
    unsafe { bytes(a).len() as i64 }
}

/// # Safety
/// `ctx` is the running call's context.
pub unsafe extern "C" fn from_i64(ctx: *mut ExecCtx, v: i64) -> *mut RtText {
    // SAFETY: forwarded from the caller.
    unsafe { make_in(ctx, &[v.to_string().as_bytes()]) }
}

/// Shortest text that reads back as the same f64 (`1.0`, `0.1`, `1e16`,
/// `NaN`, `inf`).
///
/// # Safety
/// As for [`from_i64`].
pub unsafe extern "C" fn from_f64(ctx: *mut ExecCtx, v: f64) -> *mut RtText {
    // SAFETY: forwarded from the caller.
    unsafe { make_in(ctx, &[format!("{v:?}").as_bytes()]) }
}

/// # Safety
/// As for [`from_i64`].
pub unsafe extern "C" fn from_bool(ctx: *mut ExecCtx, v: u8) -> *mut RtText {
    // SAFETY: forwarded from the caller.
    unsafe { make_in(ctx, &[if v != 0 { b"true" } else { b"false" }]) }
}

/// A host function's `text` result: a copy of the C string `s`, made at
/// once (the host may reuse its buffer); NULL and "" are the empty text.
/// Bytes that are not UTF-8 become U+FFFD, as a text is always UTF-8.
///
/// # Safety
/// `ctx` is the running call's live context; `s` is NULL or a
/// NUL-terminated string that stays valid during the call.
pub unsafe extern "C" fn from_c_string(ctx: *mut ExecCtx, s: *const std::ffi::c_char) -> *mut RtText {
    if s.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { std::ffi::CStr::from_ptr(s) }.to_bytes();
    let text = String::from_utf8_lossy(bytes);
    // SAFETY: forwarded from the caller.
    unsafe { make_in(ctx, &[text.as_bytes()]) }
}

/// Records "invalid number" with the offending text in the context.
///
/// # Safety
/// `ctx` is the live context of the running call; `text` is borrowed.
unsafe fn invalid_number(ctx: *mut ExecCtx, text: *const RtText) {
    // SAFETY: forwarded from the caller; the detail takes a reference of
    // its own, which whoever runs the call releases.
    unsafe {
        retain(text);
        (*ctx).err_kind = ErrKind::InvalidNumber as u32;
        (*ctx).err_detail = text as *mut RtText as *mut u8;
    }
}

/// `int(text)`: optional sign and decimal digits, surrounding whitespace
/// ignored; anything else (or out of range) is an error in `ctx`.
///
/// # Safety
/// `ctx` is the running call's context; `text` is NULL or a borrowed text.
pub unsafe extern "C" fn parse_i64(ctx: *mut ExecCtx, text: *const RtText) -> i64 {
    // SAFETY: borrowed operand.
    match unsafe { as_str(text) }.trim().parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            // SAFETY: forwarded from the caller.
            unsafe { invalid_number(ctx, text) };
            0
        }
    }
}

/// `float(text)`: a decimal or scientific number, `inf` or `nan`,
/// surrounding whitespace ignored.
///
/// # Safety
/// As for [`parse_i64`].
pub unsafe extern "C" fn parse_f64(ctx: *mut ExecCtx, text: *const RtText) -> f64 {
    // SAFETY: borrowed operand.
    match unsafe { as_str(text) }.trim().parse::<f64>() {
        Ok(v) => v,
        Err(_) => {
            // SAFETY: forwarded from the caller.
            unsafe { invalid_number(ctx, text) };
            0.0
        }
    }
}

/// Text globals are read and replaced under a lock (striped by cell), so a
/// reader never takes a reference to a text another thread just released.
static STRIPES: [Mutex<()>; 16] = [const { Mutex::new(()) }; 16];

fn stripe(cell: *const AtomicU64) -> MutexGuard<'static, ()> {
    sync::lock(&STRIPES[(cell as usize >> 3) % STRIPES.len()])
}

/// A new reference to the managed value in a global's cell: `retain`
/// runs under the cell's stripe lock, so no store releases the value
/// before the reference is taken.
///
/// # Safety
/// `cell` is a live global cell; `retain` adds a reference to what it
/// holds.
pub(super) unsafe fn load_cell(cell: *const AtomicU64, retain: impl FnOnce(u64)) -> u64 {
    let _guard = stripe(cell);
    // SAFETY: forwarded from the caller.
    let raw = unsafe { (*cell).load(Ordering::Acquire) };
    retain(raw);
    raw
}

/// Stores `raw` (to which `retain` has just added a reference) in the
/// cell and returns the old content, whose reference the caller drops.
///
/// # Safety
/// As for [`load_cell`].
pub(super) unsafe fn store_cell(cell: *const AtomicU64, raw: u64) -> u64 {
    let _guard = stripe(cell);
    // SAFETY: forwarded from the caller.
    unsafe { (*cell).swap(raw, Ordering::AcqRel) }
}

/// A new reference to the text in a global's cell.
///
/// # Safety
/// `cell` is a live global cell holding NULL or a text reference.
pub unsafe extern "C" fn global_load(cell: *const AtomicU64) -> *mut RtText {
    // SAFETY: forwarded from the caller; the cell holds a text.
    unsafe { load_cell(cell, |raw| retain(raw as *const RtText)) as *mut RtText }
}

/// Stores a new reference to `p` in the cell and drops the old one.
///
/// # Safety
/// As for [`global_load`]; `p` is NULL or a borrowed text.
pub unsafe extern "C" fn global_store(cell: *const AtomicU64, p: *const RtText) {
    // SAFETY: forwarded from the caller; the old reference is ours once
    // it is out of the cell.
    unsafe {
        retain(p);
        release(store_cell(cell, p as u64) as *const RtText);
    }
}

/// Replaces a cell's raw content under its stripe lock, so no JIT code
/// reads it half-way: the caller gives the cell what it puts in and
/// receives what it takes out (a text reference, if the cell held one).
pub fn global_swap(cell: &AtomicU64, raw: u64) -> u64 {
    let _guard = stripe(cell);
    cell.swap(raw, Ordering::AcqRel)
}

/// A text reference held by Rust code; dropping it releases the reference.
pub struct OwnedText(*mut RtText);

// SAFETY: texts are immutable and their counts atomic, so a reference may
// move to and be used from any thread.
unsafe impl Send for OwnedText {}
// SAFETY: as above.
unsafe impl Sync for OwnedText {}

impl OwnedText {
    /// A text of the runtime's own (not counted against a manager's
    /// limit); `None` when the system refuses the memory.
    pub fn new(s: &str) -> Option<OwnedText> {
        make(&[s.as_bytes()], None).ok().map(OwnedText)
    }

    /// Takes over a reference.
    ///
    /// # Safety
    /// `raw` is NULL or a text reference the caller owns.
    pub unsafe fn from_raw(raw: *mut RtText) -> OwnedText {
        OwnedText(raw)
    }

    /// A new reference to the text in a global's cell.
    ///
    /// # Safety
    /// As for [`global_load`].
    pub unsafe fn load_global(cell: &AtomicU64) -> OwnedText {
        // SAFETY: forwarded from the caller; the reference is ours.
        unsafe { OwnedText(global_load(cell)) }
    }

    /// The reference, for JIT code or a cell; still owned by `self`.
    pub fn as_ptr(&self) -> *const RtText {
        self.0
    }

    /// Gives up ownership: the caller now holds the reference.
    pub fn into_raw(self) -> *mut RtText {
        let p = self.0;
        std::mem::forget(self);
        p
    }

    pub fn as_str(&self) -> &str {
        // SAFETY: `self` holds a reference, so the text lives while borrowed.
        unsafe { as_str(self.0) }
    }
}

impl Drop for OwnedText {
    fn drop(&mut self) {
        // SAFETY: `self` owns this reference.
        unsafe { release(self.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::guard::{CallGuard, LongCall};

    fn owned(p: *mut RtText) -> OwnedText {
        // SAFETY: every helper below returns a new reference.
        unsafe { OwnedText::from_raw(p) }
    }

    fn text(s: &str) -> OwnedText {
        OwnedText::new(s).unwrap()
    }

    #[test]
    fn reference_counting_and_operations() {
        let mut ctx = ExecCtx::default();
        let a = text("ab");
        let b = text("cd");
        // SAFETY: `ctx`, `a` and `b` are live for the calls.
        unsafe {
            let ab = owned(concat(&mut ctx, a.as_ptr(), b.as_ptr()));
            assert_eq!(ab.as_str(), "abcd");
            assert_eq!(length(ab.as_ptr()), 4);
            assert_eq!(compare(a.as_ptr(), b.as_ptr()), -1);
            assert_eq!(equal(a.as_ptr(), a.as_ptr()), 1);
            let same = owned(concat(&mut ctx, a.as_ptr(), std::ptr::null()));
            assert_eq!(same.as_ptr(), a.as_ptr());
        }
        assert!(text("").as_ptr().is_null());
        assert_eq!(text("").as_str(), "");
    }

    #[test]
    fn a_memory_limit_refuses_what_would_pass_it_and_gets_freed_bytes_back() {
        let limits = Limits::default();
        limits.account.limit.store(1000, Ordering::SeqCst);
        let guard = CallGuard::default();
        let mut budget = Budget::start(&limits, None, LongCall::new(&guard, 0));
        let mut ctx = ExecCtx { budget: &mut budget as *mut Budget as *mut u8, ..ExecCtx::default() };
        let a = text(&"x".repeat(100));
        // The header, the bytes and their NUL, padded to 8 bytes.
        let size = HEADER + 208;
        // SAFETY: `ctx` and its budget are live for the calls.
        let mut join = || owned(unsafe { concat(&mut ctx, a.as_ptr(), a.as_ptr()) });
        let mut held: Vec<OwnedText> = (0..1000 / size).map(|_| join()).collect();
        assert!(held.iter().all(|t| t.as_str().len() == 200));
        assert_eq!(limits.account.used.load(Ordering::SeqCst), held.len() * size);
        let refused = join();
        assert!(refused.as_ptr().is_null());
        assert_eq!(ctx.err_kind, ErrKind::OutOfMemory as u32);
        ctx.err_kind = 0;
        held.pop();
        held.push(owned(unsafe { concat(&mut ctx, a.as_ptr(), a.as_ptr()) }));
        assert_eq!(ctx.err_kind, 0, "freed bytes are given back");
        drop(held);
        assert_eq!(limits.account.used.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn formatting_and_parsing() {
        let mut ctx = ExecCtx::default();
        for (v, s) in [(1.0, "1.0"), (0.1, "0.1"), (1e16, "1e16"), (-2.5, "-2.5")] {
            // SAFETY: `ctx` is live.
            assert_eq!(owned(unsafe { from_f64(&mut ctx, v) }).as_str(), s);
        }
        let t = text(" 42 ");
        let bad = text("12x");
        // SAFETY: `ctx` is live; the texts are borrowed for the calls.
        unsafe {
            assert_eq!(parse_i64(&mut ctx, t.as_ptr()), 42);
            assert_eq!(ctx.err_kind, 0);
            assert_eq!(parse_i64(&mut ctx, bad.as_ptr()), 0);
            assert_eq!(ctx.err_kind, ErrKind::InvalidNumber as u32);
            drop(owned(ctx.err_detail as *mut RtText));
        }
    }
}
