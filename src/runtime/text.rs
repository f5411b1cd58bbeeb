//! Text values: immutable, reference-counted UTF-8 strings shared by JIT
//! code, globals and the host.
//!
//! A text value is a pointer to an [`RtText`] header followed by the bytes;
//! NULL is the empty text (so zeroed locals and globals are valid). Every
//! text a function holds in a local is owned (one reference); operations
//! borrow their operands and return new references. The JIT-called
//! functions below are `extern "C"` and never panic.

// The extern "C" functions here are called by JIT code with pointers it
// owns or borrows; their contract is the ownership rule above, so they are
// not `unsafe fn` (JIT code cannot see the difference).
#![allow(clippy::not_unsafe_ptr_arg_deref)]

use std::alloc::{Layout, alloc, dealloc};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Mutex, MutexGuard};

use crate::codegen::ExecCtx;
use crate::codegen::abi::ErrKind;

#[repr(C)]
pub struct RtText {
    refs: AtomicUsize,
    len: usize,
}

const HEADER: usize = std::mem::size_of::<RtText>();

fn layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(HEADER.checked_add(len)?, std::mem::align_of::<RtText>()).ok()
}

/// A new text holding `bytes` (which must be UTF-8), with one reference.
/// Empty text is NULL.
pub fn new(bytes: &[u8]) -> *mut RtText {
    if bytes.is_empty() {
        return std::ptr::null_mut();
    }
    let Some(layout) = layout(bytes.len()) else { return std::ptr::null_mut() };
    // SAFETY: the layout has a non-zero size; on success the header and the
    // bytes are written before the pointer escapes.
    unsafe {
        let p = alloc(layout) as *mut RtText;
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        p.write(RtText { refs: AtomicUsize::new(1), len: bytes.len() });
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), (p as *mut u8).add(HEADER), bytes.len());
        p
    }
}

/// The bytes of a text.
///
/// # Safety
/// `p` is NULL or a live text, which stays alive while the slice is used.
pub unsafe fn bytes<'a>(p: *const RtText) -> &'a [u8] {
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
pub unsafe fn as_str<'a>(p: *const RtText) -> &'a str {
    // SAFETY: texts are only ever built from UTF-8 (literals, concatenation
    // of texts, formatting, and host strings checked at the boundary).
    unsafe { std::str::from_utf8_unchecked(bytes(p)) }
}

/// Adds a reference.
pub extern "C" fn retain(p: *const RtText) {
    if !p.is_null() {
        // SAFETY: the caller holds a reference, so the text is alive.
        unsafe { (*p).refs.fetch_add(1, Ordering::Relaxed) };
    }
}

/// Drops a reference, freeing the text with the last one.
pub extern "C" fn release(p: *const RtText) {
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
        let len = (*p).len;
        if let Some(layout) = layout(len) {
            dealloc(p as *mut u8, layout);
        }
    }
}

/// A new reference to `a + b`.
pub extern "C" fn concat(a: *const RtText, b: *const RtText) -> *mut RtText {
    // SAFETY: both operands are borrowed from the caller's locals.
    let (x, y) = unsafe { (bytes(a), bytes(b)) };
    if y.is_empty() {
        retain(a);
        return a as *mut RtText;
    }
    if x.is_empty() {
        retain(b);
        return b as *mut RtText;
    }
    let mut joined = Vec::with_capacity(x.len() + y.len());
    joined.extend_from_slice(x);
    joined.extend_from_slice(y);
    new(&joined)
}

pub extern "C" fn equal(a: *const RtText, b: *const RtText) -> u8 {
    // SAFETY: borrowed operands.
    u8::from(a == b || unsafe { bytes(a) == bytes(b) })
}

/// -1, 0 or 1: bytewise order.
pub extern "C" fn compare(a: *const RtText, b: *const RtText) -> i32 {
    // SAFETY: borrowed operands.
    match unsafe { bytes(a).cmp(bytes(b)) } {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }
}

pub extern "C" fn length(a: *const RtText) -> i64 {
    // SAFETY: borrowed operand.
    unsafe { bytes(a).len() as i64 }
}

pub extern "C" fn from_i64(v: i64) -> *mut RtText {
    new(v.to_string().as_bytes())
}

/// Shortest text that reads back as the same f64 (`1.0`, `0.1`, `1e16`,
/// `NaN`, `inf`).
pub extern "C" fn from_f64(v: f64) -> *mut RtText {
    new(format!("{v:?}").as_bytes())
}

pub extern "C" fn from_bool(v: u8) -> *mut RtText {
    new(if v != 0 { b"true" } else { b"false" })
}

/// Records "invalid number" with the offending text in the context.
fn invalid_number(ctx: *mut ExecCtx, text: *const RtText) {
    retain(text);
    // SAFETY: `ctx` is the live context of the running call.
    unsafe {
        (*ctx).err_kind = ErrKind::InvalidNumber as u32;
        (*ctx).err_detail = text as *mut RtText as *mut u8;
    }
}

/// `int(text)`: optional sign and decimal digits, surrounding whitespace
/// ignored; anything else (or out of range) is an error in `ctx`.
pub extern "C" fn parse_i64(ctx: *mut ExecCtx, text: *const RtText) -> i64 {
    // SAFETY: borrowed operand.
    match unsafe { as_str(text) }.trim().parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            invalid_number(ctx, text);
            0
        }
    }
}

/// `float(text)`: a decimal or scientific number, `inf` or `nan`,
/// surrounding whitespace ignored.
pub extern "C" fn parse_f64(ctx: *mut ExecCtx, text: *const RtText) -> f64 {
    // SAFETY: borrowed operand.
    match unsafe { as_str(text) }.trim().parse::<f64>() {
        Ok(v) => v,
        Err(_) => {
            invalid_number(ctx, text);
            0.0
        }
    }
}

/// Text globals are read and replaced under a lock (striped by cell), so a
/// reader never takes a reference to a text another thread just released.
static STRIPES: [Mutex<()>; 16] = [const { Mutex::new(()) }; 16];

fn stripe(cell: *const AtomicU64) -> MutexGuard<'static, ()> {
    let i = (cell as usize >> 3) % STRIPES.len();
    STRIPES[i].lock().unwrap_or_else(|e| e.into_inner())
}

/// A new reference to the text in a global's cell.
pub extern "C" fn global_load(cell: *const AtomicU64) -> *mut RtText {
    let _guard = stripe(cell);
    // SAFETY: `cell` is a live global cell of the running manager.
    let p = unsafe { (*cell).load(Ordering::Acquire) } as *mut RtText;
    retain(p);
    p
}

/// Stores a new reference to `p` in the cell and drops the old one.
pub extern "C" fn global_store(cell: *const AtomicU64, p: *const RtText) {
    retain(p);
    let old = {
        let _guard = stripe(cell);
        // SAFETY: as above.
        unsafe { (*cell).swap(p as u64, Ordering::AcqRel) }
    };
    release(old as *const RtText);
}

/// Replaces a cell's raw content (the caller owns the reference it puts
/// in and receives the one it takes out).
pub fn global_swap(cell: &AtomicU64, raw: u64) -> u64 {
    let _guard = stripe(cell);
    cell.swap(raw, Ordering::AcqRel)
}

/// The text of a global cell as a `String`.
pub fn global_string(cell: &AtomicU64) -> String {
    let p = global_load(cell);
    // SAFETY: `p` is a reference we hold until the release below.
    let s = unsafe { as_str(p) }.to_string();
    release(p);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_counting_and_operations() {
        let a = new(b"ab");
        let b = new(b"cd");
        let ab = concat(a, b);
        // SAFETY: all three are live until released below.
        unsafe {
            assert_eq!(as_str(ab), "abcd");
            assert_eq!(length(ab), 4);
            assert_eq!(compare(a, b), -1);
            assert_eq!(equal(a, a), 1);
        }
        let same = concat(a, std::ptr::null());
        assert_eq!(same, a);
        release(same);
        for p in [a, b, ab] {
            release(p);
        }
        assert!(new(b"").is_null());
        // SAFETY: NULL is the empty text.
        unsafe { assert_eq!(as_str(std::ptr::null()), "") };
    }

    #[test]
    fn formatting_and_parsing() {
        let mut ctx = ExecCtx::default();
        for (v, s) in [(1.0, "1.0"), (0.1, "0.1"), (1e16, "1e16"), (-2.5, "-2.5")] {
            let t = from_f64(v);
            // SAFETY: live until released.
            unsafe { assert_eq!(as_str(t), s) };
            release(t);
        }
        let t = new(b" 42 ");
        assert_eq!(parse_i64(&mut ctx, t), 42);
        assert_eq!(ctx.err_kind, 0);
        release(t);
        let bad = new(b"12x");
        assert_eq!(parse_i64(&mut ctx, bad), 0);
        assert_eq!(ctx.err_kind, ErrKind::InvalidNumber as u32);
        release(ctx.err_detail as *const RtText);
        release(bad);
    }
}
