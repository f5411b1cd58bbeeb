//! MIR to native code: the seam between the runtime and its code
//! generators.
//!
//! A backend compiles a slice of prepared MIR functions (validated, passed
//! through `mir::opt::for_codegen`, so ownership is explicit) into one
//! [`CompiledCode`]: native code that follows the `abi` contract, an entry
//! trampoline per function, and the memory that holds them, freed as a
//! whole. Everything a backend needs from the runtime comes through
//! [`Request`] and [`Layout`]; the runtime sees only `CompiledCode`, so it
//! cannot tell which backend compiled a function (as cranelift-module's
//! `Module` trait serves cranelift-jit and cranelift-object alike).
//!
//! Architecture invariant: `backend` imports nothing from `lang`, `runtime`
//! or `ffi` (tests/architecture.rs). A new backend is a folder here plus
//! its line in [`generator`].

mod cranelift;
mod interface;
#[cfg(feature = "llvm")]
mod llvm;
mod lowering;

pub use interface::*;

/// The code generator for `kind`, or why there is none.
pub fn generator(kind: Backend) -> Result<&'static dyn CodeGenerator, CodegenError> {
    match kind {
        Backend::Cranelift => cranelift::generator(),
        #[cfg(feature = "llvm")]
        Backend::Llvm => llvm::generator(),
        #[cfg(not(feature = "llvm"))]
        Backend::Llvm => Err(CodegenError::Unavailable(format!("the {kind} backend is not built into this library"))),
    }
}

impl Backend {
    /// True when this library was built with the backend.
    pub fn is_built_in(self) -> bool {
        generator(self).is_ok()
    }
}
