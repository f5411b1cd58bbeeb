//! The Cranelift backend.
//!
//! One request becomes one `JITModule` (cranelift-jit frees code a whole
//! module at a time). Calls between MIR functions go through the manager's
//! function table: an indirect call through a cell whose address is a
//! constant in the code, so redefining a function reaches old callers.
//! Each function also gets an entry trampoline with the uniform signature
//! of `abi::Trampoline`.
//!
//! In reading order: `isa` (target settings per level), `types` (MIR
//! types and signatures in Cranelift's terms), `function` (one function's
//! body: prologue, blocks, exits), with the instruction families in
//! `arith`, `calls`, `managed` and `checkpoint`, `loops` (branch order),
//! `trampoline`.

mod arith;
mod arrays;
mod calls;
mod checkpoint;
mod cold_call;
mod elements;
mod entry;
mod function;
mod host;
mod isa;
mod loops;
mod managed;
mod maps;
mod paths;
mod records;
mod regions;
mod storage;
mod stubs;
mod tracked;
mod trampoline;
mod types;

use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module as _, default_libcall_names};

use super::{CodeGenerator, CodeMemory, CodegenError, CompiledCode, CompiledFn, ModuleCode, OptLevel, Request};
use crate::abi::{INIT_FUNC_ID, Trampoline};

struct Cranelift;

static CRANELIFT: Cranelift = Cranelift;

/// The backend, once the host's target is known to work (built once per
/// process, so a host Cranelift cannot serve fails at manager creation).
pub(super) fn generator() -> Result<&'static dyn CodeGenerator, CodegenError> {
    isa::available(OptLevel::DEFAULT)?;
    Ok(&CRANELIFT)
}

impl CodeMemory for JITModule {
    unsafe fn release(self) {
        // SAFETY: forwarded from the caller's guarantee.
        unsafe { self.free_memory() };
    }
}

impl CodeGenerator for Cranelift {
    fn compile(&self, request: &Request<'_>) -> Result<Box<dyn CompiledCode>, CodegenError> {
        let isa = isa::isa_for(request.opt)?;
        let mut builder = JITBuilder::with_isa(isa, default_libcall_names());
        builder.symbol(checkpoint::STUB_SYMBOL, checkpoint::stub(request.helpers.checkpoint)? as *const u8);
        let mut jit = JITModule::new(builder);
        match compile_into(&mut jit, request) {
            Ok((functions, ranges)) => Ok(Box::new(ModuleCode { memory: jit, functions, ranges })),
            Err(e) => {
                // SAFETY: nothing of this module was finalized or handed out.
                unsafe { jit.free_memory() };
                Err(e)
            }
        }
    }
}

/// The functions, and the ranges of all the module's code.
type Compiled = (Vec<CompiledFn>, Vec<(usize, usize)>);

fn compile_into(jit: &mut JITModule, request: &Request<'_>) -> Result<Compiled, CodegenError> {
    let mut ctx = jit.make_context();
    let mut fbc = cranelift_frontend::FunctionBuilderContext::new();
    let call_conv = jit.isa().default_call_conv();
    let stub = jit
        .declare_function(checkpoint::STUB_SYMBOL, Linkage::Import, &checkpoint::stub_signature())
        .map_err(|e| CodegenError::Invariant { function: "<checkpoint stub>".into(), message: e.to_string() })?;
    let cold_stubs = [cold_call::stub(2)?, cold_call::stub(3)?];
    // Every function's id and code size, for the ranges.
    let mut sizes = Vec::with_capacity(2 * request.functions.len());
    let mut ids = Vec::with_capacity(request.functions.len());
    for f in request.functions {
        let invariant = |message: String| CodegenError::Invariant { function: f.name.clone(), message };
        let func_id = if request.top_level {
            INIT_FUNC_ID
        } else {
            request.layout.function_id(&f.name).ok_or_else(|| invariant("the layout has no id for it".into()))?
        };
        let sig = types::jit_signature(&f.sig, call_conv);
        let id = jit.declare_anonymous_function(&sig).map_err(|e| invariant(e.to_string()))?;
        jit.clear_context(&mut ctx);
        ctx.func.signature = sig;
        // Imported here: `checkpoint` extends `function`'s translator, so
        // `function` may not import from it (no cycles).
        let stub_ref = jit.declare_func_in_func(stub, &mut ctx.func);
        let cold_refs = [
            (ctx.func.import_signature(cold_call::signature(2)), cold_stubs[0]),
            (ctx.func.import_signature(cold_call::signature(3)), cold_stubs[1]),
        ];
        let stubs = function::Stubs { checkpoint: stub_ref, cold_calls: cold_refs };
        function::translate(&mut ctx.func, &mut fbc, f, func_id, request, jit.isa(), stubs)?;
        jit.define_function(id, &mut ctx).map_err(|e| invariant(module_error(e)))?;
        dump(&f.name, &ctx);
        sizes.push((id, code_size(&ctx)));

        let tramp_sig = trampoline::signature(call_conv);
        let tid = jit.declare_anonymous_function(&tramp_sig).map_err(|e| invariant(e.to_string()))?;
        jit.clear_context(&mut ctx);
        ctx.func.signature = tramp_sig;
        let callee = jit.declare_func_in_func(id, &mut ctx.func);
        trampoline::translate(&mut ctx.func, &mut fbc, &f.sig, callee, jit.isa());
        jit.define_function(tid, &mut ctx).map_err(|e| invariant(module_error(e)))?;
        sizes.push((tid, code_size(&ctx)));
        ids.push((id, tid));
    }
    jit.finalize_definitions()
        .map_err(|e| CodegenError::Invariant { function: "<module>".into(), message: e.to_string() })?;
    let mut ranges: Vec<(usize, usize)> = sizes
        .into_iter()
        .map(|(id, size)| {
            let start = jit.get_finalized_function(id) as usize;
            (start, start + size)
        })
        .collect();
    ranges.sort_unstable();
    let functions = ids
        .into_iter()
        .map(|(id, tid)| {
            let entry_ptr = jit.get_finalized_function(tid);
            // SAFETY: `tid` was defined above with exactly the trampoline
            // signature, which matches `Trampoline` under the host C ABI.
            let entry = unsafe { std::mem::transmute::<*const u8, Trampoline>(entry_ptr) };
            CompiledFn { addr: jit.get_finalized_function(id) as usize, entry }
        })
        .collect();
    Ok((functions, ranges))
}

/// The size of the machine code of the function `ctx` just compiled.
fn code_size(ctx: &cranelift_codegen::Context) -> usize {
    ctx.compiled_code().map_or(0, |code| code.code_buffer().len())
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

fn module_error(e: cranelift_module::ModuleError) -> String {
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
    use crate::abi::{ArrayHelpers, ErrKind, ExecCtx, Helpers, ManagedHelpers, TextHelpers};
    use crate::backend::{Callee, Layout};
    use crate::mir::{self, Ty};

    /// Resolves nothing: the function below calls no other function.
    struct NoLayout;

    impl Layout for NoLayout {
        fn callee(&self, _: &str) -> Option<Callee> {
            None
        }
        fn global_cell(&self, _: &str) -> Option<(usize, Ty)> {
            None
        }
        fn extern_cell(&self, _: &str) -> Option<crate::backend::ExternCell> {
            None
        }
        fn host_struct(&self, _: &str) -> Option<crate::mir::HostTy> {
            None
        }
        fn function_id(&self, _: &str) -> Option<u32> {
            Some(7)
        }
        fn text_literal(&self, _: &str) -> Option<usize> {
            None
        }
    }

    fn helpers() -> Helpers {
        extern "C" fn unused(a: i64) -> i64 {
            a
        }
        let u = unused as *const () as usize;
        let text_refs = ManagedHelpers { retain: u, release: u, global_load: u, global_store: u };
        let text = TextHelpers {
            concat: u,
            equal: u,
            compare: u,
            length: u,
            from_i64: u,
            from_f64: u,
            from_bool: u,
            parse_i64: u,
            parse_f64: u,
            from_c_string: u,
        };
        let array = ArrayHelpers {
            array_new: u,
            record_new: u,
            record_unique: u,
            array_unique: u,
            array_push: u,
            index_error: u,
            array_slice: u,
            array_concat: u,
            array_repeat: u,
            array_equal: u,
            obj_to_text: u,
            print: u,
        };
        let map = crate::abi::MapHelpers {
            map_new: u,
            map_unique: u,
            map_get: u,
            map_has: u,
            map_set: u,
            map_take: u,
            map_del: u,
            map_list: u,
            map_slot: u,
            map_find: u,
        };
        Helpers {
            fpow: u,
            fmod: u,
            ipow: u,
            memset: u,
            checkpoint: u,
            extern_error: u,
            text_refs,
            text,
            array_refs: text_refs,
            array,
            map,
        }
    }

    /// `fn div(a, b): a / b` as prepared MIR.
    fn div() -> mir::Function {
        let text =
            "mir 1\nfn div(a: i64, b: i64) -> i64 @41 {\n    local r: i64\n    r = div a, b @42\n    ret r @42\n}\n";
        let (module, _) = mir::text::parse(text).unwrap();
        mir::opt::for_codegen(module, 0, &mir::NoEnv).unwrap().functions.remove(0)
    }

    fn compile(top_level: bool, level: u8) -> Box<dyn CompiledCode> {
        let functions = [div()];
        let helpers = helpers();
        let opt = OptLevel::new(level).unwrap();
        let request = Request { functions: &functions, top_level, layout: &NoLayout, helpers: &helpers, opt };
        Cranelift.compile(&request).unwrap()
    }

    fn call(code: &dyn CompiledCode, args: &[i64], stack_limit: usize) -> (i64, ExecCtx) {
        let words: Vec<u64> = args.iter().map(|a| *a as u64).collect();
        let tripwire = std::sync::atomic::AtomicUsize::new(stack_limit);
        let mut ctx = ExecCtx { stack_limit, tripwire, ..ExecCtx::default() };
        ctx.tripwire_at = &raw const ctx.tripwire;
        let mut out = 0u64;
        // SAFETY: the function takes two i64 parameters and its code is alive.
        unsafe { (code.functions()[0].entry)(&mut ctx, words.as_ptr(), &mut out) };
        (out as i64, ctx)
    }

    #[test]
    fn checked_division_records_errors_instead_of_trapping() {
        for level in 0..=OptLevel::MAX {
            let code = compile(false, level);
            assert_eq!(call(code.as_ref(), &[7, 2], 0).0, 3);
            assert_eq!(call(code.as_ref(), &[-7, 2], 0).0, -3);
            assert_eq!(call(code.as_ref(), &[i64::MIN, -1], 0).0, i64::MIN);
            let (_, ctx) = call(code.as_ref(), &[1, 0], 0);
            assert_eq!((ctx.err_kind, ctx.err_func, ctx.err_line), (ErrKind::DivisionByZero as u32, 7, 42));
            // SAFETY: no code of the module runs any more.
            unsafe { code.free() };
        }
    }

    #[test]
    fn the_prologue_checks_the_stack_limit() {
        let code = compile(true, 2);
        let (_, ctx) = call(code.as_ref(), &[1, 1], usize::MAX);
        assert_eq!(ctx.err_kind, ErrKind::StackOverflow as u32);
        assert_eq!((ctx.err_func, ctx.err_line), (INIT_FUNC_ID, 41));
        // SAFETY: as above.
        unsafe { code.free() };
    }
}
