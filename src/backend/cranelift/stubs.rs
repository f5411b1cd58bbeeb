//! The register-preserving stubs JIT code calls on its slow paths (the
//! checkpoint's, `checkpoint`; a cold helper call's, `cold_call`): each
//! is compiled once per process, into a module of its own that is never
//! freed (a few dozen bytes; compiling one into every module cost each
//! compile about a third of a one-line unit's time).

use std::sync::OnceLock;

use cranelift_codegen::ir::{self, InstBuilder, Value};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Module as _, default_libcall_names};

use crate::backend::{CodegenError, OptLevel};

/// A stub's address, compiled on first use into `cell`.
pub(super) fn cached(
    cell: &'static OnceLock<Result<usize, String>>,
    name: &str,
    build: impl FnOnce() -> Result<usize, String>,
) -> Result<usize, CodegenError> {
    cell.get_or_init(build)
        .clone()
        .map_err(|message| CodegenError::Invariant { function: format!("<{name} stub>"), message })
}

/// Compiles a stub of signature `sig` (register-preserving) whose body
/// `body` writes, given the builder, the stub's parameters and the
/// helper's signature imported; the stub then returns.
pub(super) fn compile(
    sig: ir::Signature,
    helper_sig: impl FnOnce(CallConv) -> ir::Signature,
    body: impl FnOnce(&mut FunctionBuilder, &[Value], ir::SigRef),
) -> Result<usize, String> {
    let isa = super::isa::isa_for(OptLevel::DEFAULT).map_err(|e| e.to_string())?;
    let mut jit = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    let id = jit.declare_anonymous_function(&sig).map_err(|e| e.to_string())?;
    let mut ctx = jit.make_context();
    let mut fbc = FunctionBuilderContext::new();
    ctx.func.signature = sig;
    let helper_sig = helper_sig(jit.isa().default_call_conv());
    let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let sigref = b.import_signature(helper_sig);
    body(&mut b, &params, sigref);
    b.ins().return_(&[]);
    b.seal_all_blocks();
    b.finalize(jit.isa().frontend_config());
    jit.define_function(id, &mut ctx).map_err(|e| e.to_string())?;
    jit.finalize_definitions().map_err(|e| e.to_string())?;
    let addr = jit.get_finalized_function(id) as usize;
    // Dropping a JITModule keeps its code (only `free_memory` frees it):
    // the stub stays for the life of the process.
    drop(jit);
    Ok(addr)
}
