//! The calling convention between JIT code and the runtime.
//!
//! Every compiled function takes a pointer to an [`ExecCtx`] as a hidden
//! first argument. A runtime error (division by zero, stack overflow, ...)
//! is recorded in the context and the function returns zeros; every caller
//! checks `err_kind` after each call and returns in turn, so the error
//! reaches the entry point without signals or unwinding.

use std::mem::offset_of;

/// Per-execution state shared with JIT code. One lives on the Rust stack
/// of each `execute`/`call`; nested executions (host callbacks) get their own.
#[repr(C)]
#[derive(Debug)]
pub struct ExecCtx {
    /// An [`ErrKind`] value; 0 while no error happened.
    pub err_kind: u32,
    /// Which function failed: the manager's function-table slot, or
    /// [`INIT_FUNC_ID`] for top-level code.
    pub err_func: u32,
    /// Source line of the failure.
    pub err_line: u32,
    pub reserved: u32,
    /// JIT code whose stack pointer is below this address reports a stack
    /// overflow instead of growing further.
    pub stack_limit: usize,
    /// More about the error, set by the runtime helper that failed (for
    /// `InvalidNumber`: a reference to the text that did not parse). Owned
    /// by whoever runs the call, which releases it.
    pub err_detail: *mut u8,
}

impl Default for ExecCtx {
    fn default() -> Self {
        ExecCtx { err_kind: 0, err_func: 0, err_line: 0, reserved: 0, stack_limit: 0, err_detail: std::ptr::null_mut() }
    }
}

pub(crate) const CTX_ERR_KIND: i32 = offset_of!(ExecCtx, err_kind) as i32;
pub(crate) const CTX_ERR_FUNC: i32 = offset_of!(ExecCtx, err_func) as i32;
pub(crate) const CTX_ERR_LINE: i32 = offset_of!(ExecCtx, err_line) as i32;
pub(crate) const CTX_STACK_LIMIT: i32 = offset_of!(ExecCtx, stack_limit) as i32;

/// `err_func` for a unit's top-level code.
pub(crate) const INIT_FUNC_ID: u32 = u32::MAX;

/// What went wrong, as JIT code records it.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrKind {
    DivisionByZero = 1,
    NegativeExponent = 2,
    StackOverflow = 3,
    InvalidNumber = 4,
    /// A host function called `rt_raise_error`; the message is the detail.
    HostError = 5,
}

impl ErrKind {
    pub fn from_code(code: u32) -> Option<ErrKind> {
        Some(match code {
            1 => ErrKind::DivisionByZero,
            2 => ErrKind::NegativeExponent,
            3 => ErrKind::StackOverflow,
            4 => ErrKind::InvalidNumber,
            5 => ErrKind::HostError,
            _ => return None,
        })
    }

    /// The words language.md requires in the message.
    pub fn words(self) -> &'static str {
        match self {
            ErrKind::DivisionByZero => "division by zero",
            ErrKind::NegativeExponent => "negative exponent",
            ErrKind::StackOverflow => "stack overflow",
            ErrKind::InvalidNumber => "invalid number",
            ErrKind::HostError => "host function error",
        }
    }
}

/// Addresses of the runtime functions JIT code calls. They are called by
/// address (never by symbol), so no symbol resolution can fail.
#[derive(Clone, Copy, Debug)]
pub struct Helpers {
    /// `extern "C" fn(f64, f64) -> f64`: `pow`.
    pub fpow: usize,
    /// `extern "C" fn(f64, f64) -> f64`: remainder with the dividend's sign.
    pub fmod: usize,
    /// `extern "C" fn(i64, i64) -> i64`: wrapping power, exponent >= 0.
    pub ipow: usize,
    /// libc `memset`, to zero large stack slots.
    pub memset: usize,
    /// The text functions (see `runtime::text`). Texts are pointers; each
    /// function borrows its text arguments.
    pub text: TextHelpers,
}

/// Addresses of the text functions JIT code calls.
#[derive(Clone, Copy, Debug)]
pub struct TextHelpers {
    /// `fn(text)`: add a reference.
    pub retain: usize,
    /// `fn(text)`: drop a reference.
    pub release: usize,
    /// `fn(text, text) -> text` (a new reference).
    pub concat: usize,
    /// `fn(text, text) -> u8`.
    pub equal: usize,
    /// `fn(text, text) -> i32`: -1, 0, 1.
    pub compare: usize,
    /// `fn(text) -> i64`: bytes.
    pub length: usize,
    /// `fn(i64) -> text`, `fn(f64) -> text`, `fn(u8) -> text`.
    pub from_i64: usize,
    pub from_f64: usize,
    pub from_bool: usize,
    /// `fn(ctx, text) -> i64` / `-> f64`; a bad number sets `InvalidNumber`.
    pub parse_i64: usize,
    pub parse_f64: usize,
    /// `fn(cell) -> text` (a new reference); `fn(cell, text)`.
    pub global_load: usize,
    pub global_store: usize,
}

/// The signature of an entry trampoline: `(ctx, args, result)`. Each
/// argument and the result occupy one 8-byte slot: integers sign-extended,
/// bools 0/1, floats as their bits (f32 in the low half), texts as pointers
/// (arguments borrowed; a text result is a new reference for the caller).
pub type Trampoline = unsafe extern "C" fn(*mut ExecCtx, *const u64, *mut u64);
