//! Cranelift target settings per optimisation level, built once per process.
//!
//! | level | Cranelift `opt_level` | register allocator |
//! |-------|-----------------------|--------------------|
//! | 0     | `none`                | `single_pass` (fastest compile) |
//! | 1     | `none`                | `backtracking` |
//! | 2     | `speed` (default)     | `backtracking` |
//! | 3     | `speed_and_size`      | `backtracking` |
//!
//! All levels keep frame pointers (profilers can walk JIT frames) and run
//! Cranelift's IR verifier in debug builds.

use std::sync::OnceLock;

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};

use crate::backend::{CodegenError, OptLevel};

static ISAS: [OnceLock<Result<OwnedTargetIsa, String>>; OptLevel::MAX as usize + 1] =
    [const { OnceLock::new() }; OptLevel::MAX as usize + 1];

fn cached(level: OptLevel) -> &'static Result<OwnedTargetIsa, String> {
    let level = level.get();
    ISAS[level as usize].get_or_init(|| build(level))
}

pub(super) fn isa_for(level: OptLevel) -> Result<OwnedTargetIsa, CodegenError> {
    cached(level).clone().map_err(CodegenError::Unavailable)
}

/// Whether the host can be targeted (without taking a reference to the
/// target: manager creation asks this, and stays a few atomic loads).
pub(super) fn available(level: OptLevel) -> Result<(), CodegenError> {
    cached(level).as_ref().map(|_| ()).map_err(|e| CodegenError::Unavailable(e.clone()))
}

fn build(level: u8) -> Result<OwnedTargetIsa, String> {
    let mut flags = settings::builder();
    let (opt, regalloc) = match level {
        0 => ("none", "single_pass"),
        1 => ("none", "backtracking"),
        2 => ("speed", "backtracking"),
        _ => ("speed_and_size", "backtracking"),
    };
    let set =
        |flags: &mut settings::Builder, k: &str, v: &str| flags.set(k, v).map_err(|e| format!("setting {k}={v}: {e}"));
    set(&mut flags, "opt_level", opt)?;
    set(&mut flags, "regalloc_algorithm", regalloc)?;
    set(&mut flags, "enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" })?;
    set(&mut flags, "preserve_frame_pointers", "true")?;
    // cranelift-jit requires these for code it places itself.
    set(&mut flags, "use_colocated_libcalls", "false")?;
    set(&mut flags, "is_pic", "false")?;
    let builder = cranelift_native::builder().map_err(|e| format!("this host is not supported by Cranelift: {e}"))?;
    builder.finish(settings::Flags::new(flags)).map_err(|e| format!("building the target: {e}"))
}
