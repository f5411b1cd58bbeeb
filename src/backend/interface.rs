//! The interface between the runtime and every backend: what a backend
//! is asked to compile ([`Request`], with the runtime's [`Layout`]) and what
//! it gives back ([`CompiledCode`]).

use std::fmt;

use crate::abi::{Helpers, Trampoline};
use crate::mir::{self, Signature, Ty};

/// Which code generator a manager uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Cranelift: fast compiles, good code.
    Cranelift,
    /// LLVM: not built into this library yet.
    Llvm,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Cranelift => "Cranelift",
            Backend::Llvm => "LLVM",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An optimisation level, 0 (fastest compile) to 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OptLevel(u8);

impl OptLevel {
    pub const MAX: u8 = 3;
    pub const DEFAULT: OptLevel = OptLevel(2);

    pub fn new(level: u8) -> Option<OptLevel> {
        (level <= Self::MAX).then_some(OptLevel(level))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

#[derive(Debug)]
pub enum CodegenError {
    /// This build or this host cannot generate code with the backend
    /// (not built in, unsupported CPU).
    Unavailable(String),
    /// The backend rejected prepared MIR, or found a case validation should
    /// have excluded: a bug in rtjit.
    Invariant { function: String, message: String },
    /// The system refused memory the compile needed.
    OutOfMemory(String),
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::Unavailable(m) => write!(f, "code generation unavailable: {m}"),
            CodegenError::Invariant { function, message } => {
                write!(f, "code generation failed for `{function}`: {message}")
            }
            CodegenError::OutOfMemory(what) => write!(f, "out of memory compiling {what}"),
        }
    }
}

impl std::error::Error for CodegenError {}

/// What a call by name reaches: the address of a table cell that holds the
/// target's address (so a redefinition reaches compiled callers).
#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    /// A MIR function; it takes the execution context first.
    Jit { table_cell: usize, sig: Signature },
    /// A host function: a plain C call, after which `rt_raise_error` may
    /// have recorded an error in the context. `with_data`: the cell holds
    /// the address of two words, the function and the user data it takes
    /// as its first argument (a pointer) before those of `sig`.
    Host { table_cell: usize, sig: Signature, with_data: bool },
}

/// Where an `extern val`'s binding lives, and the size of the struct it
/// is bound to (the stride of an array binding).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExternCell {
    pub addr: usize,
    pub elem_size: u32,
}

/// Where the names a unit uses live, as the runtime lays them out.
pub trait Layout {
    /// What a call to `name` reaches.
    fn callee(&self, name: &str) -> Option<Callee>;
    /// The binding cell of an `extern val` (`abi::Binding`).
    fn extern_cell(&self, name: &str) -> Option<ExternCell>;
    /// The host struct `name` (`xget`/`xset` name the struct they access).
    fn host_struct(&self, name: &str) -> Option<mir::HostTy>;
    /// The address of a global's 8-byte cell and its type.
    fn global_cell(&self, name: &str) -> Option<(usize, Ty)>;
    /// The id runtime errors report for the function `name` of this unit.
    fn function_id(&self, name: &str) -> Option<u32>;
    /// A text object holding `value` that lives at least as long as the
    /// code being compiled (the runtime owns it); `None` when there is no
    /// memory for it.
    fn text_literal(&self, value: &str) -> Option<usize>;
}

/// One compile: functions that go into one piece of code.
pub struct Request<'a> {
    /// Prepared MIR (explicit ownership).
    pub functions: &'a [mir::Function],
    /// True for a unit's top-level code: its runtime errors report
    /// `abi::INIT_FUNC_ID`.
    pub top_level: bool,
    pub layout: &'a dyn Layout,
    pub helpers: &'a Helpers,
    pub opt: OptLevel,
}

/// Where one compiled function starts.
#[derive(Clone, Copy, Debug)]
pub struct CompiledFn {
    /// Native code with the JIT calling convention (context first).
    pub addr: usize,
    /// The entry trampoline (`abi::Trampoline`).
    pub entry: Trampoline,
}

/// Compiled code, owned: freed as a whole.
pub trait CompiledCode: Send {
    /// In the order of [`Request::functions`].
    fn functions(&self) -> &[CompiledFn];

    /// The address ranges `[start, end)` of the machine code, sorted: a
    /// return address on a stack that falls in one belongs to this code
    /// (`runtime::scan`).
    fn code_ranges(&self) -> &[(usize, usize)];

    /// Frees the code's memory.
    ///
    /// # Safety
    /// No code of this module may be running or be called afterwards.
    unsafe fn free(self: Box<Self>);
}

/// A code generator.
pub trait CodeGenerator: Sync {
    fn compile(&self, request: &Request<'_>) -> Result<Box<dyn CompiledCode>, CodegenError>;
}

/// The memory one compile's code lives in, as a backend allocated it.
pub(crate) trait CodeMemory: Send {
    /// Frees it.
    ///
    /// # Safety
    /// No code in it may be running or be called afterwards.
    unsafe fn release(self);
}

/// A backend's [`CompiledCode`]: its functions and the memory that holds
/// them.
pub(crate) struct ModuleCode<M> {
    pub memory: M,
    pub functions: Vec<CompiledFn>,
    pub ranges: Vec<(usize, usize)>,
}

impl<M: CodeMemory> CompiledCode for ModuleCode<M> {
    fn functions(&self) -> &[CompiledFn] {
        &self.functions
    }

    fn code_ranges(&self) -> &[(usize, usize)] {
        &self.ranges
    }

    unsafe fn free(self: Box<Self>) {
        // SAFETY: forwarded from the caller's guarantee.
        unsafe { self.memory.release() };
    }
}
