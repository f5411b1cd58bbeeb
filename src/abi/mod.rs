//! The contract between generated code and the runtime, the same for every
//! backend: the execution context JIT code receives, the error kinds it
//! records, the entry trampoline's signature, and (in `helpers`) the
//! runtime functions it calls by address.
//!
//! Every compiled function takes a pointer to an [`ExecCtx`] as a hidden
//! first argument. A runtime error (division by zero, stack overflow, ...)
//! is recorded in the context and the function returns zeros; every caller
//! checks `err_kind` after each call and returns in turn, so the error
//! reaches the entry point without signals or unwinding.

use std::mem::offset_of;
use std::sync::atomic::AtomicUsize;

mod helpers;

pub use helpers::{ArrayHelpers, Helpers, ManagedHelpers, MapHelpers, TextHelpers};

/// Per-execution state shared with JIT code. Each `execute`/`call` takes one
/// from the runtime's pool (which never frees them, so other threads may
/// trip a context's word at any time); nested executions (host callbacks)
/// get their own.
#[repr(C)]
#[derive(Debug)]
pub struct ExecCtx {
    /// An [`ErrKind`] value; 0 while no error happened.
    pub err_kind: u32,
    /// Which function failed: its id (its index in the manager's function
    /// table), or [`INIT_FUNC_ID`] for top-level code.
    pub err_func: u32,
    /// Source line of the failure.
    pub err_line: u32,
    /// Padding that keeps `stack_limit` 8-aligned; unused.
    pub reserved: u32,
    /// JIT code whose stack pointer is below this address reports a stack
    /// overflow instead of growing further.
    pub stack_limit: usize,
    /// More about the error, set by the runtime helper that failed (for
    /// `InvalidNumber`: a reference to the text that did not parse). Owned
    /// by whoever runs the call, which releases it.
    pub err_detail: *mut u8,
    /// 0 while the call counts steps (`runtime::limits`); JIT code reads
    /// only that.
    pub epoch_deadline: u64,
    /// The runtime's state of the call's limits, which helpers use; JIT code
    /// only passes the context on.
    pub budget: *mut u8,
    /// The word a function entry compares its stack pointer with (see
    /// `runtime::tripwire`): `stack_limit`, or [`TRIPPED`] when the runtime
    /// wants the call to look at its checkpoint. Below it, the entry checks
    /// `stack_limit` itself and then runs the entry checkpoint's slow path.
    /// Other threads write it.
    pub tripwire: AtomicUsize,
    /// The result of a helper JIT code called through the register-
    /// preserving stub (`backend::cranelift::cold_call`), which returns
    /// nothing itself.
    pub cold_result: u64,
    /// The address of `tripwire`, set once the context is where it stays
    /// (NULL before). Loop checkpoints read the word through it: a value
    /// of its own, which the register allocator keeps in one register,
    /// where a read through the context pointer (whose uses at helper
    /// calls tie it to argument registers) came with moves on every
    /// iteration.
    pub tripwire_at: *const AtomicUsize,
}

/// A tripwire's value while a trip is pending: above every stack pointer.
pub const TRIPPED: usize = usize::MAX;

impl Default for ExecCtx {
    fn default() -> Self {
        ExecCtx {
            err_kind: 0,
            err_func: 0,
            err_line: 0,
            reserved: 0,
            stack_limit: 0,
            err_detail: std::ptr::null_mut(),
            epoch_deadline: u64::MAX,
            budget: std::ptr::null_mut(),
            // Never tripped: no stop, no stack check.
            tripwire: AtomicUsize::new(0),
            cold_result: 0,
            tripwire_at: std::ptr::null(),
        }
    }
}

pub const CTX_TRIPWIRE_AT: i32 = offset_of!(ExecCtx, tripwire_at) as i32;
pub const CTX_ERR_KIND: i32 = offset_of!(ExecCtx, err_kind) as i32;
pub const CTX_ERR_FUNC: i32 = offset_of!(ExecCtx, err_func) as i32;
pub const CTX_ERR_LINE: i32 = offset_of!(ExecCtx, err_line) as i32;
pub const CTX_STACK_LIMIT: i32 = offset_of!(ExecCtx, stack_limit) as i32;
pub const CTX_EPOCH_DEADLINE: i32 = offset_of!(ExecCtx, epoch_deadline) as i32;
pub const CTX_TRIPWIRE: i32 = offset_of!(ExecCtx, tripwire) as i32;
pub const CTX_COLD_RESULT: i32 = offset_of!(ExecCtx, cold_result) as i32;

/// An array's layout as JIT code reads it (`runtime::helpers::array`):
/// the reference count, the length and the room (8-byte unsigned counts)
/// and the first element, from the array's address. NULL is the empty array.
pub const ARRAY_REFS: i32 = 0;
pub const ARRAY_LEN: i32 = 24;
pub const ARRAY_CAP: i32 = 32;
pub const ARRAY_DATA: i32 = 40;

/// Where a text's bytes start, from its address: they are NUL-terminated
/// there, so a host function that takes a `const char *` gets them as
/// they are. NULL is the empty text, whose C string is [`EMPTY_C_STRING`].
pub const TEXT_BYTES: i32 = 32;

/// The C string JIT code passes for the empty text.
pub static EMPTY_C_STRING: u8 = 0;

/// Fields a record may have for JIT code to read a NULL one (the zero
/// record) from [`ZERO_RECORD`] instead of branching on it.
pub const ZERO_RECORD_FIELDS: usize = 4096;

/// Zeros laid out as a record of [`ZERO_RECORD_FIELDS`] fields: JIT code
/// reads a field of a NULL record here (a select instead of a branch per
/// read). Never written: a write to a NULL record gets a new record first.
pub struct ZeroRecord([u64; ZERO_RECORD_FIELDS + ARRAY_DATA as usize / 8]);

pub static ZERO_RECORD: ZeroRecord = ZeroRecord([0; ZERO_RECORD_FIELDS + ARRAY_DATA as usize / 8]);

impl ZeroRecord {
    pub fn addr(&'static self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// What the host bound an `extern val` to, as JIT code reads it: the
/// address (0 while unbound; an empty array binding holds a dangling,
/// aligned, non-zero address) and the element count. The runtime writes
/// it (`rt_exec_manager_bind_struct`); JIT code only reads it.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Binding {
    pub addr: AtomicUsize,
    pub count: AtomicUsize,
}

pub const BINDING_ADDR: i32 = offset_of!(Binding, addr) as i32;
pub const BINDING_COUNT: i32 = offset_of!(Binding, count) as i32;

/// `err_func` for a unit's top-level code.
pub const INIT_FUNC_ID: u32 = u32::MAX;

/// Declares [`ErrKind`] from one list of (variant, code, the words
/// language.md requires in the message).
macro_rules! err_kinds {
    ($($(#[$meta:meta])* $variant:ident = $code:literal, $words:literal;)*) => {
        /// What went wrong, as JIT code records it.
        #[repr(u32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrKind {
            $($(#[$meta])* $variant = $code,)*
        }

        impl ErrKind {
            pub fn from_code(code: u32) -> Option<ErrKind> {
                match code {
                    $($code => Some(ErrKind::$variant),)*
                    _ => None,
                }
            }

            /// The words language.md requires in the message.
            pub fn words(self) -> &'static str {
                match self {
                    $(ErrKind::$variant => $words,)*
                }
            }
        }
    };
}

err_kinds! {
    DivisionByZero = 1, "division by zero";
    NegativeExponent = 2, "negative exponent";
    StackOverflow = 3, "stack overflow";
    InvalidNumber = 4, "invalid number";
    /// A host function called `rt_raise_error`; the message is the detail.
    HostError = 5, "host function error";
    /// The manager was interrupted while the call ran.
    Interrupted = 6, "interrupted";
    TimeLimit = 7, "interrupted: time limit";
    StepLimit = 8, "interrupted: step limit";
    /// An allocation past the memory limit, or one the system refused.
    OutOfMemory = 9, "out of memory";
    /// A call reached a function whose unit was undone after the call began.
    Undone = 10, "call of a function whose unit was undone";
    /// An index outside an array; the detail is `3 (length 3)`.
    IndexOutOfRange = 11, "index out of range";
    PopEmpty = 12, "pop from empty array";
    /// A map lookup of a key it does not hold; the detail is the key as
    /// `str` of a container writes it (`"zed"`, `3`).
    KeyNotFound = 13, "key not found";
    /// An `extern val` read before the host bound it; the detail is its name.
    Unbound = 14, "unbound extern";
    /// A NULL host struct passed as a parameter; the detail is the struct.
    NullHost = 15, "null pointer for extern struct";
}

/// The signature of an entry trampoline: `(ctx, args, result)`. Each
/// argument and the result occupy one 8-byte slot: integers sign-extended,
/// bools 0/1, floats as their bits (f32 in the low half), texts as pointers
/// (arguments borrowed; a text result is a new reference for the caller).
pub type Trampoline = unsafe extern "C" fn(*mut ExecCtx, *const u64, *mut u64);
