//! The LLVM backend (cargo feature `llvm`): the same prepared MIR and the
//! same `abi` contract as Cranelift's, optimised by LLVM's pipelines.
//!
//! One request becomes one LLVM module in a context of its own, verified,
//! optimised (`default<O1..3>`, or `mem2reg` alone at level 0), and
//! compiled by MCJIT into memory this backend maps itself (`memory`).
//! Once the addresses are known the engine and the context are dropped:
//! the compiled code owns nothing of LLVM's, only its pages, so it is
//! `Send` and freed whole with its unit.
//!
//! The generated code keeps Cranelift's conventions so that the two
//! backends' functions call each other through the function table: the
//! context pointer first and the host's C ABI, errors recorded in the
//! context and checked after each call, explicit division checks (LLVM's
//! `sdiv`/`udiv` are undefined on zero and `MIN / -1`, and shifts on an
//! amount past the width, so both are guarded or masked), and the entry
//! and back-edge checkpoints of `abi::ExecCtx::tripwire`. No trap or
//! `unreachable` is emitted.
//!
//! In reading order: `memory`, `function` (one function: locals, blocks,
//! error exits), `entry` (the prologue and the checkpoints), the
//! instruction families in `arith`, `calls` and `managed`, and
//! `trampoline`.
//!
//! Not yet compiled by this backend: the data instructions (arrays,
//! records, maps, `print`) and host data (`extern val`); a unit that uses
//! them fails to compile with `RT_ERR_UNSUPPORTED` and a message naming
//! the instruction.

mod arith;
mod arrays;
mod calls;
mod entry;
mod function;
mod host;
mod managed;
mod maps;
mod memory;
mod paths;
mod records;
mod target;
mod trampoline;

use std::sync::{Mutex, OnceLock, PoisonError};

use std::cell::RefCell;

use inkwell::OptimizationLevel;
use inkwell::builder::BuilderError;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::support::LLVMString;
use inkwell::targets::{CodeModel, InitializationConfig, RelocMode, Target, TargetMachine};
use inkwell::values::FunctionValue;

use super::{CodeGenerator, CodeMemory, CodegenError, CompiledCode, CompiledFn, ModuleCode, OptLevel, Request};
use crate::abi::{INIT_FUNC_ID, Trampoline};
use target::host;

struct Llvm;

static LLVM: Llvm = Llvm;

/// The backend, once LLVM knows the host's target (initialised once per
/// process).
pub(super) fn generator() -> Result<&'static dyn CodeGenerator, CodegenError> {
    static NATIVE: OnceLock<Result<(), String>> = OnceLock::new();
    NATIVE
        .get_or_init(|| Target::initialize_native(&InitializationConfig::default()))
        .clone()
        .map_err(|e| CodegenError::Unavailable(format!("LLVM does not support this host: {e}")))?;
    Ok(&LLVM)
}

impl From<BuilderError> for CodegenError {
    fn from(e: BuilderError) -> Self {
        CodegenError::Invariant { function: "<LLVM builder>".into(), message: e.to_string() }
    }
}

impl CodeMemory for memory::CodeMemory {
    unsafe fn release(mut self) {
        // SAFETY: forwarded from the caller's guarantee.
        unsafe { self.free() };
    }
}

impl CodeGenerator for Llvm {
    fn compile(&self, request: &Request<'_>) -> Result<Box<dyn CompiledCode>, CodegenError> {
        let context = Context::create();
        let module = context.create_module("rtjit");
        let names = build(&context, &module, request)?;
        module.verify().map_err(|e| CodegenError::Invariant { function: "<module>".into(), message: e.to_string() })?;
        optimise(&module, request.opt)?;
        dump(&module, request);
        let (memory, addrs) = emit(&module, request.opt, &names)?;
        let ranges = memory.code_ranges();
        let functions = addrs
            .chunks_exact(2)
            .map(|pair| {
                // SAFETY: the second of each pair is a trampoline, defined by
                // `trampoline::build` with the C signature of `Trampoline`.
                let entry = unsafe { std::mem::transmute::<usize, Trampoline>(pair[1]) };
                CompiledFn { addr: pair[0], entry }
            })
            .collect();
        Ok(Box::new(ModuleCode { memory, functions, ranges }))
    }
}

/// Builds every function and its trampoline; returns their symbol names,
/// in pairs (function, trampoline) in the order of the request.
fn build<'ctx>(
    context: &'ctx Context,
    module: &Module<'ctx>,
    request: &Request<'_>,
) -> Result<Vec<String>, CodegenError> {
    let host = host();
    let stub = entry::checkpoint_stub(context, module, request.helpers.checkpoint, host)?;
    let declared: Vec<FunctionValue<'ctx>> = request
        .functions
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ty = function::jit_fn_type(context, &f.sig);
            let func = module.add_function(&format!("f{i}"), ty, None);
            host.mark(context, func);
            func
        })
        .collect();
    let mut names = Vec::with_capacity(2 * declared.len());
    for (i, (f, func)) in request.functions.iter().zip(&declared).enumerate() {
        let func_id = if request.top_level {
            INIT_FUNC_ID
        } else {
            request.layout.function_id(&f.name).ok_or_else(|| CodegenError::Invariant {
                function: f.name.clone(),
                message: "the layout has no id for it".into(),
            })?
        };
        function::translate(context, module, *func, stub, f, func_id, request)?;
        trampoline::build(context, module, &format!("t{i}"), *func, &f.sig, host)?;
        names.push(format!("f{i}"));
        names.push(format!("t{i}"));
    }
    Ok(names)
}

fn codegen_level(opt: OptLevel) -> OptimizationLevel {
    match opt.get() {
        0 => OptimizationLevel::None,
        1 => OptimizationLevel::Less,
        2 => OptimizationLevel::Default,
        _ => OptimizationLevel::Aggressive,
    }
}

/// Runs LLVM's pipeline for the level. Level 0 still promotes the locals
/// to registers (each MIR local is a stack slot until then).
fn optimise(module: &Module<'_>, opt: OptLevel) -> Result<(), CodegenError> {
    let failed = |message: String| CodegenError::Invariant { function: "<optimiser>".into(), message };
    let passes = match opt.get() {
        0 => "function(mem2reg)",
        1 => "default<O1>",
        2 => "default<O2>",
        _ => "default<O3>",
    };
    with_machine(opt, |machine| module.run_passes(passes, machine, PassBuilderOptions::create()))
        .map_err(|e| failed(e.to_string()))
}

/// Runs `f` with this thread's target machine for the level, made on
/// first use: making one takes about as long as optimising a small unit.
/// (A machine is not `Send`; each compiling thread keeps its own.)
fn with_machine<T>(opt: OptLevel, f: impl FnOnce(&TargetMachine) -> Result<T, LLVMString>) -> Result<T, String> {
    thread_local! {
        static MACHINES: RefCell<[Option<TargetMachine>; 4]> = const { RefCell::new([None, None, None, None]) };
    }
    MACHINES.with(|machines| {
        let mut machines = machines.borrow_mut();
        let slot = &mut machines[usize::from(opt.get().min(3))];
        if slot.is_none() {
            let triple = TargetMachine::get_default_triple();
            let target = Target::from_triple(&triple).map_err(|e| e.to_string())?;
            let host = host();
            let machine = target.create_target_machine(
                &triple,
                &host.cpu,
                &host.features,
                codegen_level(opt),
                RelocMode::Default,
                CodeModel::JITDefault,
            );
            *slot = Some(machine.ok_or("no target machine for the host")?);
        }
        let machine = slot.as_ref().ok_or("no target machine for the host")?;
        f(machine).map_err(|e| e.to_string())
    })
}

/// Compiles the module into memory of its own; returns it and the
/// address of each name.
fn emit(
    module: &Module<'_>,
    opt: OptLevel,
    names: &[String],
) -> Result<(memory::CodeMemory, Vec<usize>), CodegenError> {
    // Creating an engine initialises LLVM's target registry again, which
    // is not safe from two threads at once.
    static ENGINES: Mutex<()> = Mutex::new(());
    let sections = memory::Sections::default();
    let failed = |message: String| CodegenError::Invariant { function: "<MCJIT>".into(), message };
    let engine = {
        let _one = ENGINES.lock().unwrap_or_else(PoisonError::into_inner);
        module
            .create_mcjit_execution_engine_with_memory_manager(
                sections.clone(),
                codegen_level(opt),
                CodeModel::JITDefault,
                false,
                false,
            )
            .map_err(|e| failed(e.to_string()))?
    };
    let addrs: Result<Vec<usize>, CodegenError> =
        names.iter().map(|n| engine.get_function_address(n).map_err(|e| failed(format!("`{n}`: {e}")))).collect();
    drop(engine);
    let mut memory = sections.take();
    let failure = memory.failure().map(str::to_owned);
    match (addrs, failure) {
        (Ok(addrs), None) => Ok((memory, addrs)),
        (result, failure) => {
            // SAFETY: nothing of this code was handed out.
            unsafe { memory.free() };
            Err(failure.map_or_else(|| result.err().unwrap_or_else(|| failed("no code".into())), failed))
        }
    }
}

/// With `RTJIT_DUMP_DIR` set, writes each optimised module's IR there
/// (`NAME.ll`, after its first function): a debugging aid.
fn dump(module: &Module<'_>, request: &Request<'_>) {
    static DIR: std::sync::LazyLock<Option<std::path::PathBuf>> =
        std::sync::LazyLock::new(|| std::env::var_os("RTJIT_DUMP_DIR").map(Into::into));
    let (Some(dir), Some(first)) = (DIR.as_ref(), request.functions.first()) else { return };
    let file: String =
        first.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    let _ = module.print_to_file(dir.join(format!("{file}.ll")));
}
