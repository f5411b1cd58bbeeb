//! MIR to native code with Cranelift.
//!
//! One validated MIR module becomes one `JITModule` (code is freed a whole
//! module at a time). Calls between MIR functions go through the manager's
//! function table — an indirect call through a slot whose address is a
//! constant in the code — so redefining a function reaches old callers.
//! Each function also gets an entry trampoline with a uniform signature,
//! which the runtime uses to call it with arguments from an array.

pub mod abi;
mod function;
pub mod isa;
mod loops;
mod trampoline;

use std::fmt;

use cranelift_codegen::ir::{self, AbiParam};
use cranelift_codegen::isa::CallConv;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Module as _, default_libcall_names};

use crate::mir::{self, Signature, Ty};
pub use abi::{ExecCtx, Helpers, Trampoline};

#[derive(Debug)]
pub enum CodegenError {
    /// The host could not be targeted (unsupported CPU, bad setting).
    Target(String),
    /// A name the module uses was not provided (validation should have
    /// caught it).
    Unresolved(String),
    /// Cranelift rejected the function: a bug in rtjit.
    Backend { function: String, message: String },
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodegenError::Target(m) => write!(f, "code generation unavailable: {m}"),
            CodegenError::Unresolved(m) => write!(f, "code generation: unresolved {m}"),
            CodegenError::Backend { function, message } => {
                write!(f, "code generation failed for `{function}`: {message}")
            }
        }
    }
}

impl std::error::Error for CodegenError {}

/// What a call by name reaches.
#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    /// A MIR function: its code's address is in the function-table slot at
    /// `slot`; it takes the execution context first.
    Jit { slot: usize, sig: Signature },
    /// A host function: its address is in the host-table slot at `slot`;
    /// a plain C call, after which `rt_raise_error` may have set an error.
    Host { slot: usize, sig: Signature },
}

impl Callee {
    pub fn sig(&self) -> &Signature {
        match self {
            Callee::Jit { sig, .. } | Callee::Host { sig, .. } => sig,
        }
    }
}

/// Where the names a module uses live, as the runtime lays them out.
pub trait Layout {
    /// What a call to `name` reaches.
    fn callee(&self, name: &str) -> Option<Callee>;
    /// The address of a global's 8-byte cell and its type.
    fn global_cell(&self, name: &str) -> Option<(usize, Ty)>;
    /// The id runtime errors report for the function `name` (its slot).
    fn function_id(&self, name: &str) -> u32;
    /// A text object holding `value` that lives at least as long as the
    /// code being compiled (the runtime owns it).
    fn text_literal(&self, value: &str) -> usize;
}

pub struct CompiledFn {
    /// Native code with the JIT calling convention (`ctx` first).
    pub code: usize,
    /// The entry trampoline.
    pub entry: Trampoline,
}

/// Compiled code: the owner of the memory and where each function starts.
pub struct CompiledModule {
    pub jit: JITModule,
    /// In the order of the functions given to [`compile`].
    pub functions: Vec<CompiledFn>,
}

impl CompiledModule {
    /// Frees the code.
    ///
    /// # Safety
    /// No code of this module may be running or be called afterwards.
    pub unsafe fn free(self) {
        // SAFETY: forwarded from the caller's guarantee.
        unsafe { self.jit.free_memory() };
    }
}

pub fn clif_type(t: Ty) -> ir::Type {
    match t {
        Ty::I8 | Ty::Bool => ir::types::I8,
        Ty::I16 => ir::types::I16,
        Ty::I32 => ir::types::I32,
        Ty::I64 | Ty::Ptr | Ty::Text => ir::types::I64,
        Ty::F32 => ir::types::F32,
        Ty::F64 => ir::types::F64,
    }
}

/// The native signature of a MIR function: the context pointer, then the
/// parameters.
pub fn clif_signature(sig: &Signature, call_conv: CallConv) -> ir::Signature {
    let mut s = ir::Signature::new(call_conv);
    s.params.push(AbiParam::new(ir::types::I64));
    s.params.extend(sig.params.iter().map(|t| AbiParam::new(clif_type(*t))));
    if let Some(r) = sig.ret {
        s.returns.push(AbiParam::new(clif_type(r)));
    }
    s
}

/// The native signature of a host function or function pointer (no
/// context parameter).
pub fn c_signature(sig: &Signature, call_conv: CallConv) -> ir::Signature {
    let mut s = ir::Signature::new(call_conv);
    // Narrow arguments are extended as C compilers expect (clang relies on
    // it): signed integers sign-extended, bools zero-extended.
    s.params.extend(sig.params.iter().map(|t| match t {
        Ty::I8 | Ty::I16 => AbiParam::new(clif_type(*t)).sext(),
        Ty::Bool => AbiParam::new(clif_type(*t)).uext(),
        _ => AbiParam::new(clif_type(*t)),
    }));
    if let Some(r) = sig.ret {
        s.returns.push(AbiParam::new(clif_type(r)));
    }
    s
}

/// Compiles validated MIR functions into one new code module.
/// `opt_level` is 0..=3 (see [`isa`]). Runtime errors in a function report
/// `layout.function_id(name)`, or [`abi::INIT_FUNC_ID`] when `top_level`.
pub fn compile(
    functions: &[mir::Function],
    top_level: bool,
    layout: &dyn Layout,
    helpers: &Helpers,
    opt_level: u8,
) -> Result<CompiledModule, CodegenError> {
    let isa = isa::isa_for(opt_level)?;
    let mut jit = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
    match compile_into(&mut jit, functions, top_level, layout, helpers) {
        Ok(functions) => Ok(CompiledModule { jit, functions }),
        Err(e) => {
            // SAFETY: nothing of this module was finalized or handed out.
            unsafe { jit.free_memory() };
            Err(e)
        }
    }
}

fn compile_into(
    jit: &mut JITModule,
    functions: &[mir::Function],
    top_level: bool,
    layout: &dyn Layout,
    helpers: &Helpers,
) -> Result<Vec<CompiledFn>, CodegenError> {
    let mut ctx = jit.make_context();
    let mut fbc = cranelift_frontend::FunctionBuilderContext::new();
    let mut ids = Vec::with_capacity(functions.len());
    for f in functions {
        let func_id = if top_level { abi::INIT_FUNC_ID } else { layout.function_id(&f.name) };
        let backend = |e: String| CodegenError::Backend { function: f.name.clone(), message: e };
        let sig = clif_signature(&f.sig, jit.isa().default_call_conv());
        let id = jit.declare_anonymous_function(&sig).map_err(|e| backend(e.to_string()))?;
        jit.clear_context(&mut ctx);
        ctx.func.signature = sig;
        function::translate(&mut ctx.func, &mut fbc, f, func_id, layout, helpers, jit.isa())?;
        jit.define_function(id, &mut ctx).map_err(|e| backend(format_module_error(e)))?;
        dump(&f.name, &ctx);

        let tramp_sig = trampoline::signature(jit.isa().default_call_conv());
        let tid = jit.declare_anonymous_function(&tramp_sig).map_err(|e| backend(e.to_string()))?;
        jit.clear_context(&mut ctx);
        ctx.func.signature = tramp_sig;
        let callee = jit.declare_func_in_func(id, &mut ctx.func);
        trampoline::translate(&mut ctx.func, &mut fbc, &f.sig, callee, jit.isa());
        jit.define_function(tid, &mut ctx).map_err(|e| backend(format_module_error(e)))?;
        ids.push((id, tid));
    }
    jit.finalize_definitions()
        .map_err(|e| CodegenError::Backend { function: "<module>".into(), message: e.to_string() })?;
    Ok(ids
        .into_iter()
        .map(|(id, tid)| {
            let entry_ptr = jit.get_finalized_function(tid);
            // SAFETY: `tid` was defined above with exactly the trampoline
            // signature, which matches `Trampoline` under the host C ABI.
            let entry = unsafe { std::mem::transmute::<*const u8, Trampoline>(entry_ptr) };
            CompiledFn { code: jit.get_finalized_function(id) as usize, entry }
        })
        .collect())
}

/// With `RTJIT_DUMP_DIR` set, writes each function's optimised Cranelift
/// IR (`NAME.clif`) and machine code (`NAME.bin`, for
/// `objdump -D -b binary -mi386:x86-64`) there: a debugging aid.
fn dump(name: &str, ctx: &cranelift_codegen::Context) {
    static DIR: std::sync::LazyLock<Option<std::path::PathBuf>> =
        std::sync::LazyLock::new(|| std::env::var_os("RTJIT_DUMP_DIR").map(Into::into));
    let Some(dir) = DIR.as_ref() else { return };
    let file: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    let _ = std::fs::write(dir.join(format!("{file}.clif")), ctx.func.display().to_string());
    if let Some(code) = ctx.compiled_code() {
        let _ = std::fs::write(dir.join(format!("{file}.bin")), code.code_buffer());
    }
}

fn format_module_error(e: cranelift_module::ModuleError) -> String {
    match e {
        cranelift_module::ModuleError::Compilation(cranelift_codegen::CodegenError::Verifier(errors)) => {
            format!("verifier: {errors}")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mir::{BinOp, Block, Const, Function, Inst, InstKind, Local, LocalDecl, Operand, Terminator};

    /// Resolves nothing: the functions below call no other function.
    struct NoLayout;

    impl Layout for NoLayout {
        fn callee(&self, _: &str) -> Option<Callee> {
            None
        }
        fn global_cell(&self, _: &str) -> Option<(usize, Ty)> {
            None
        }
        fn function_id(&self, _: &str) -> u32 {
            7
        }
        fn text_literal(&self, _: &str) -> usize {
            0
        }
    }

    fn helpers() -> Helpers {
        extern "C" fn unused(a: f64, _: f64) -> f64 {
            a
        }
        extern "C" fn unused_i(a: i64, _: i64) -> i64 {
            a
        }
        let u = unused as *const () as usize;
        let text = abi::TextHelpers {
            retain: u,
            release: u,
            concat: u,
            equal: u,
            compare: u,
            length: u,
            from_i64: u,
            from_f64: u,
            from_bool: u,
            parse_i64: u,
            parse_f64: u,
            global_load: u,
            global_store: u,
        };
        Helpers { fpow: u, fmod: u, ipow: unused_i as *const () as usize, memset: u, text }
    }

    /// `fn div(a: i64, b: i64) -> i64: a / b` in MIR.
    fn div() -> Function {
        Function {
            name: "div".into(),
            sig: Signature { params: vec![Ty::I64, Ty::I64], ret: Some(Ty::I64) },
            locals: [Ty::I64; 3].iter().map(|t| LocalDecl { name: String::new(), ty: *t }).collect(),
            slots: vec![],
            blocks: vec![Block {
                label: "entry".into(),
                insts: vec![Inst {
                    kind: InstKind::Binary {
                        dst: Local(2),
                        op: BinOp::Div,
                        a: Operand::Local(Local(0)),
                        b: Operand::Local(Local(1)),
                    },
                    line: 42,
                }],
                term: Terminator::Return(Some(Operand::Local(Local(2)))),
                term_line: 42,
            }],
            line: 41,
        }
    }

    fn call(f: &CompiledFn, args: &[i64]) -> (i64, ExecCtx) {
        let slots: Vec<u64> = args.iter().map(|a| *a as u64).collect();
        let mut ctx = ExecCtx { stack_limit: 0, ..ExecCtx::default() };
        let mut out = 0u64;
        // SAFETY: `f` takes two i64 parameters and its module is alive.
        unsafe { (f.entry)(&mut ctx, slots.as_ptr(), &mut out) };
        (out as i64, ctx)
    }

    #[test]
    fn checked_division_records_errors_instead_of_trapping() {
        for level in 0..=3 {
            let m = compile(&[div()], false, &NoLayout, &helpers(), level).unwrap();
            let f = &m.functions[0];
            assert_eq!(call(f, &[7, 2]).0, 3);
            assert_eq!(call(f, &[-7, 2]).0, -3);
            assert_eq!(call(f, &[i64::MIN, -1]).0, i64::MIN);
            let (_, ctx) = call(f, &[1, 0]);
            assert_eq!((ctx.err_kind, ctx.err_func, ctx.err_line), (abi::ErrKind::DivisionByZero as u32, 7, 42));
            // SAFETY: no code of the module runs any more.
            unsafe { m.free() };
        }
    }

    #[test]
    fn the_prologue_checks_the_stack_limit() {
        let m = compile(&[div()], true, &NoLayout, &helpers(), 2).unwrap();
        let slots = [1u64, 1];
        let mut ctx = ExecCtx { stack_limit: usize::MAX, ..ExecCtx::default() };
        let mut out = 0u64;
        // SAFETY: as above.
        unsafe { (m.functions[0].entry)(&mut ctx, slots.as_ptr(), &mut out) };
        assert_eq!(ctx.err_kind, abi::ErrKind::StackOverflow as u32);
        assert_eq!((ctx.err_func, ctx.err_line), (abi::INIT_FUNC_ID, 41));
        let _ = Const::F64(0.0);
        // SAFETY: as above.
        unsafe { m.free() };
    }
}
