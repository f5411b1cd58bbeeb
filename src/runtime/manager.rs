//! The execution manager: owns compiled code, the function table and the
//! globals of one JIT session, and runs compile units and calls.
//!
//! Locking: `compile` (a mutex) serialises compile units and owns the code;
//! `catalog` (a read-write lock) is what calls read to find a function.
//! Neither is held while JIT code runs: a call copies what it needs out of
//! the catalog, and a unit's top-level code runs after its commit, with a
//! rollback if it fails. Code stays alive until the manager is dropped,
//! which happens only when no call holds it (calls hold an `Arc`).

use std::collections::{BTreeSet, HashMap};

use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::exec::{self, Fault};
use super::helpers::HELPERS;
use super::slots::Slots;
use super::value::Value;
use crate::codegen::{self, CompiledModule, Layout, Trampoline};
use crate::error::{Error, Result};
use crate::lang::{self, Sig, Type};
use crate::mir::{self, InstKind, Signature, Ty};

/// The input name compile errors of source text use.
pub(crate) const SOURCE_INPUT: &str = "<source>";

/// The first line of a MIR text file (`mir 1`) starts with this word.
pub(crate) const MIR_MAGIC: &str = "mir";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Cranelift,
}

pub(crate) const DEFAULT_OPT_LEVEL: u8 = 2;

/// A function the manager can call.
#[derive(Clone)]
pub struct FuncEntry {
    pub sig: Signature,
    pub slot: u32,
    pub entry: Trampoline,
    pub code: usize,
    /// Functions this one calls and globals it uses (for redefinition checks).
    pub callees: BTreeSet<String>,
    pub globals_used: BTreeSet<String>,
}

#[derive(Clone, Debug)]
pub struct GlobalEntry {
    pub ty: Ty,
    pub mutable: bool,
    /// Address of the global's cell (stable for the manager's life).
    pub cell: usize,
}

/// What calls look up: every defined function and global.
#[derive(Default)]
pub struct Catalog {
    // Every call looks its function up by name: FxHash is several times
    // faster than SipHash on short keys (names come from the host's code).
    functions: FxHashMap<String, FuncEntry>,
    globals: FxHashMap<String, GlobalEntry>,
    /// Function-table slot to function name, for error messages.
    slot_names: Vec<String>,
}

/// What compiling owns.
#[derive(Default)]
struct Store {
    table: Slots,
    slot_of: HashMap<String, u32>,
    cells: Slots,
    cell_of: HashMap<String, u32>,
    modules: Vec<CompiledModule>,
}

pub struct Manager {
    backend: Backend,
    opt_level: AtomicU8,
    store: Mutex<Store>,
    catalog: RwLock<Catalog>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock was caught at the boundary; the data
    // is only ever mutated in ways that keep it consistent, so carry on.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// The source-language type of a MIR type, when it has one.
fn lang_type(t: Ty) -> Option<Type> {
    match t {
        Ty::I64 => Some(Type::I64),
        Ty::F64 => Some(Type::F64),
        Ty::Bool => Some(Type::Bool),
        _ => None,
    }
}

fn lang_sig(sig: &Signature) -> std::result::Result<Sig, String> {
    let params: Option<Vec<Type>> = sig.params.iter().map(|t| lang_type(*t)).collect();
    let ret = match sig.ret {
        None => Some(Type::Void),
        Some(t) => lang_type(t),
    };
    match (params, ret) {
        (Some(params), Some(ret)) => Ok(Sig { params, ret }),
        _ => Err(sig.to_string()),
    }
}

struct CatalogEnv<'a>(&'a Catalog);

impl lang::Env for CatalogEnv<'_> {
    fn function(&self, name: &str) -> Option<std::result::Result<Sig, String>> {
        self.0.functions.get(name).map(|f| lang_sig(&f.sig))
    }
    fn global(&self, name: &str) -> Option<(Type, bool)> {
        let g = self.0.globals.get(name)?;
        Some((lang_type(g.ty)?, g.mutable))
    }
    fn names(&self) -> Vec<String> {
        self.0.functions.keys().chain(self.0.globals.keys()).cloned().collect()
    }
}

impl mir::MirEnv for CatalogEnv<'_> {
    fn function(&self, name: &str) -> Option<Signature> {
        self.0.functions.get(name).map(|f| f.sig.clone())
    }
    fn global(&self, name: &str) -> Option<Ty> {
        self.0.globals.get(name).map(|g| g.ty)
    }
}

/// Where the names of the unit being compiled live.
struct UnitLayout<'a> {
    store: &'a Store,
    catalog: &'a Catalog,
    functions: HashMap<&'a str, (u32, &'a Signature)>,
    globals: HashMap<&'a str, (u32, Ty)>,
}

impl Layout for UnitLayout<'_> {
    fn function_slot(&self, name: &str) -> Option<(usize, Signature)> {
        if let Some((slot, sig)) = self.functions.get(name) {
            return Some((self.store.table.addr(*slot), (*sig).clone()));
        }
        let f = self.catalog.functions.get(name)?;
        Some((self.store.table.addr(f.slot), f.sig.clone()))
    }
    fn global_cell(&self, name: &str) -> Option<(usize, Ty)> {
        if let Some((cell, ty)) = self.globals.get(name) {
            return Some((self.store.cells.addr(*cell), *ty));
        }
        self.catalog.globals.get(name).map(|g| (g.cell, g.ty))
    }
    fn function_id(&self, name: &str) -> u32 {
        self.functions.get(name).map(|(s, _)| *s).unwrap_or(u32::MAX - 1)
    }
}

impl mir::MirEnv for UnitLayout<'_> {
    fn function(&self, name: &str) -> Option<Signature> {
        self.function_slot(name).map(|(_, sig)| sig)
    }
    fn global(&self, name: &str) -> Option<Ty> {
        self.global_cell(name).map(|(_, ty)| ty)
    }
}

/// What a committed unit changed, so a failure of its top-level code can
/// put the manager back as it was.
struct Undo {
    functions: Vec<(String, Option<FuncEntry>, u64)>,
    globals: Vec<(String, Option<GlobalEntry>)>,
    values: Vec<(usize, u64)>,
    /// The entry points this unit installed, to recognise them at rollback.
    installed: HashMap<String, usize>,
}

/// A committed unit, before its top-level code runs.
struct Installed {
    undo: Undo,
    init: Option<InitCode>,
}

/// A unit's top-level code: its own module, run once and freed.
struct InitCode {
    module: CompiledModule,
    ret: Option<Ty>,
}

/// Names a MIR function refers to.
fn dependencies(f: &mir::Function) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut callees = BTreeSet::new();
    let mut globals = BTreeSet::new();
    for b in &f.blocks {
        for i in &b.insts {
            match &i.kind {
                InstKind::Call { callee, .. } => {
                    callees.insert(callee.clone());
                }
                InstKind::GlobalGet { name, .. } | InstKind::GlobalSet { name, .. } => {
                    globals.insert(name.clone());
                }
                _ => {}
            }
        }
    }
    (callees, globals)
}

fn cell(addr: usize) -> &'static std::sync::atomic::AtomicU64 {
    // SAFETY: `addr` is a cell address from `Slots`, whose chunks live as
    // long as the manager; callers hold the manager.
    unsafe { &*(addr as *const std::sync::atomic::AtomicU64) }
}

/// How a MIR module came to be, which decides how its errors read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Source,
}

impl Manager {
    pub fn new(backend: Backend) -> Result<Manager> {
        // Build (or fetch) the target now, so a host Cranelift cannot serve
        // fails at creation rather than at the first compile.
        codegen::isa::isa_for(DEFAULT_OPT_LEVEL)?;
        Ok(Manager {
            backend,
            opt_level: AtomicU8::new(DEFAULT_OPT_LEVEL),
            store: Mutex::new(Store::default()),
            catalog: RwLock::new(Catalog::default()),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn opt_level(&self) -> u8 {
        self.opt_level.load(Ordering::Relaxed)
    }

    pub fn set_opt_level(&self, level: u8) -> Result<()> {
        if level > codegen::isa::MAX_OPT_LEVEL {
            return Err(Error::InvalidArgument(format!("optimisation level {level} is out of range (0 to 3)")));
        }
        self.opt_level.store(level, Ordering::Relaxed);
        Ok(())
    }

    // ---- compiling ----

    /// Compiles one source unit and runs its top-level statements; returns
    /// the unit's value. `input` names the source in error messages.
    pub fn compile_source(&self, source: &str, input: &str) -> Result<Value> {
        let mut store = lock(&self.store);
        let catalog = read(&self.catalog);
        let module = source_to_mir(source, &CatalogEnv(&catalog)).map_err(|e| Error::Compile(e.render(input)))?;
        drop(catalog);
        let installed = self.install(&mut store, &module, input, Origin::Source)?;
        drop(store);
        self.run_init(installed)
    }

    /// Reads a file and compiles it (MIR when it starts with the MIR
    /// version line, source otherwise).
    pub fn compile_file(&self, path: &str) -> Result<Value> {
        let bytes = std::fs::read(path).map_err(|e| Error::Io(format!("cannot read {path}: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::Compile(format!("{path}: the file is not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()))
        })?;
        if is_mir_text(&text) {
            return Err(Error::Unsupported(format!("{path}: MIR input is not supported by this version of rtjit yet")));
        }
        self.compile_source(&text, path)
    }

    /// Validates, compiles and commits a unit; its top-level code is not run.
    fn install(&self, store: &mut Store, module: &mir::Module, input: &str, origin: Origin) -> Result<Installed> {
        {
            let catalog = read(&self.catalog);
            check_redefinitions(module, &catalog, input)?;
            mir::validate(module, &CatalogEnv(&catalog)).map_err(|e| match origin {
                Origin::Source => Error::Internal(format!("invalid MIR from the source compiler: {}", e.render(input))),
            })?;
        }

        // Slots and cells are per name and never move.
        let mut new_names = Vec::new();
        for f in &module.functions {
            if !store.slot_of.contains_key(&f.name) {
                let slot = store.table.alloc(0);
                store.slot_of.insert(f.name.clone(), slot);
                new_names.push(f.name.clone());
            }
        }
        if !new_names.is_empty() {
            write(&self.catalog).slot_names.extend(new_names);
        }
        for g in &module.globals {
            if !store.cell_of.contains_key(&g.name) {
                let c = store.cells.alloc(0);
                store.cell_of.insert(g.name.clone(), c);
            }
        }

        let compiled = {
            let catalog = read(&self.catalog);
            let layout = UnitLayout {
                store,
                catalog: &catalog,
                functions: module
                    .functions
                    .iter()
                    .map(|f| (f.name.as_str(), (store.slot_of[&f.name], &f.sig)))
                    .collect(),
                globals: module.globals.iter().map(|g| (g.name.as_str(), (store.cell_of[&g.name], g.ty))).collect(),
            };
            let opt = self.opt_level();
            let functions = match module.functions.is_empty() {
                true => None,
                false if opt >= 2 => {
                    let mut optimized = module.functions.clone();
                    optimized.iter_mut().for_each(mir::inline::unroll_self_recursion);
                    debug_assert_eq!(
                        mir::validate(&mir::Module { functions: optimized.clone(), ..Default::default() }, &layout),
                        Ok(())
                    );
                    Some(codegen::compile(&optimized, false, &layout, &HELPERS, opt)?)
                }
                false => Some(codegen::compile(&module.functions, false, &layout, &HELPERS, opt)?),
            };
            // Top-level code runs once, so it gets a module of its own that
            // is freed as soon as it has run.
            let init = match &module.init {
                Some(f) => Some(codegen::compile(std::slice::from_ref(f), true, &layout, &HELPERS, opt)?),
                None => None,
            };
            (functions, init)
        };
        Ok(self.commit(store, module, compiled))
    }

    /// Runs a committed unit's top-level code; on failure, undoes the unit.
    fn run_init(&self, installed: Installed) -> Result<Value> {
        let Some(init) = installed.init else { return Ok(Value::Void) };
        let entry = init.module.functions[0].entry;
        // SAFETY: the trampoline takes no arguments, and its module is alive
        // until the call returns.
        let outcome = unsafe { exec::run(entry, &[]) };
        // SAFETY: only this thread ever had the top-level code's address,
        // and the call above has returned.
        unsafe { init.module.free() };
        match outcome {
            Ok(raw) => Ok(Value::from_slot(raw, init.ret)),
            Err(fault) => {
                let err = self.fault_error(fault);
                let store = lock(&self.store);
                self.rollback(&store, installed.undo);
                Err(err)
            }
        }
    }

    /// Makes a compiled unit visible: table slots, catalog entries, globals.
    fn commit(
        &self,
        store: &mut Store,
        module: &mir::Module,
        (functions, init): (Option<CompiledModule>, Option<CompiledModule>),
    ) -> Installed {
        let mut catalog = write(&self.catalog);
        let mut undo =
            Undo { functions: Vec::new(), globals: Vec::new(), values: Vec::new(), installed: HashMap::new() };
        for g in catalog.globals.values() {
            undo.values.push((g.cell, cell(g.cell).load(Ordering::Acquire)));
        }
        for g in &module.globals {
            let addr = store.cells.addr(store.cell_of[&g.name]);
            let old = catalog.globals.get(&g.name).cloned();
            if old.as_ref().is_none_or(|o| o.ty != g.ty) {
                if old.is_none() {
                    undo.values.push((addr, cell(addr).load(Ordering::Acquire)));
                }
                cell(addr).store(0, Ordering::Release);
            }
            undo.globals.push((g.name.clone(), old));
            catalog.globals.insert(g.name.clone(), GlobalEntry { ty: g.ty, mutable: g.mutable, cell: addr });
        }
        let compiled_fns = functions.as_ref().map(|m| m.functions.as_slice()).unwrap_or(&[]);
        for (f, c) in module.functions.iter().zip(compiled_fns) {
            let slot = store.slot_of[&f.name];
            let (callees, globals_used) = dependencies(f);
            let old = catalog.functions.get(&f.name).cloned();
            let old_code = store.table.cell(slot).swap(c.code as u64, Ordering::AcqRel);
            undo.functions.push((f.name.clone(), old, old_code));
            undo.installed.insert(f.name.clone(), c.code);
            catalog.functions.insert(
                f.name.clone(),
                FuncEntry { sig: f.sig.clone(), slot, entry: c.entry, code: c.code, callees, globals_used },
            );
        }
        if let Some(m) = functions {
            store.modules.push(m);
        }
        let init = init.map(|m| InitCode { ret: module.init.as_ref().and_then(|f| f.sig.ret), module: m });
        Installed { undo, init }
    }

    /// Undoes a unit whose top-level code failed. Entries that a later unit
    /// replaced meanwhile are left alone.
    fn rollback(&self, store: &Store, undo: Undo) {
        let mut catalog = write(&self.catalog);
        for (name, old, old_code) in undo.functions.into_iter().rev() {
            let ours = catalog.functions.get(&name).is_some_and(|f| Some(&f.code) == undo.installed.get(&name));
            if !ours {
                continue;
            }
            if let Some(slot) = store.slot_of.get(&name) {
                store.table.cell(*slot).store(old_code, Ordering::Release);
            }
            match old {
                Some(entry) => catalog.functions.insert(name, entry),
                None => catalog.functions.remove(&name),
            };
        }
        for (name, old) in undo.globals.into_iter().rev() {
            match old {
                Some(entry) => catalog.globals.insert(name, entry),
                None => catalog.globals.remove(&name),
            };
        }
        for (addr, value) in undo.values {
            cell(addr).store(value, Ordering::Release);
        }
    }

    fn fault_error(&self, fault: Fault) -> Error {
        exec::fault_error(fault, |id| read(&self.catalog).slot_names.get(id as usize).cloned())
    }

    // ---- calling ----

    /// Calls `name` with integer (or bool) arguments; integer or bool
    /// result, 0 for a void function.
    pub fn execute(&self, name: &str, args: &[i64]) -> Result<i64> {
        let mut inline = [0u64; 16];
        let mut heap = Vec::new();
        let buf: &mut [u64] = if args.len() <= inline.len() {
            &mut inline[..args.len()]
        } else {
            heap.resize(args.len(), 0);
            &mut heap
        };
        let (entry, ret) = {
            let catalog = read(&self.catalog);
            let f = catalog.functions.get(name).ok_or_else(|| not_found(name, &catalog))?;
            if f.sig.params.len() != args.len() {
                return Err(arity_error(name, &f.sig, args.len()));
            }
            if f.sig.params.iter().chain(f.sig.ret.iter()).any(|t| t.is_float()) {
                return Err(Error::Signature(format!(
                    "`{name}` has type {}; execute passes and returns integers only (use rt_exec_manager_call)",
                    f.sig
                )));
            }
            for ((slot, a), t) in buf.iter_mut().zip(args).zip(&f.sig.params) {
                *slot = if *t == Ty::Bool { u64::from(*a != 0) } else { *a as u64 };
            }
            (f.entry, f.sig.ret)
        };
        // SAFETY: the argument count matches the trampoline's function; the
        // code lives until the manager is dropped, and `self` is borrowed.
        let raw = unsafe { exec::run(entry, buf) }.map_err(|f| self.fault_error(f))?;
        Ok(match ret {
            None => 0,
            Some(Ty::Bool) => i64::from(raw & 0xff != 0),
            Some(_) => raw as i64,
        })
    }

    /// A typed call. An i64 argument is accepted where a float is expected.
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Value> {
        let mut slots = Vec::with_capacity(args.len());
        let (entry, ret) = {
            let catalog = read(&self.catalog);
            let f = catalog.functions.get(name).ok_or_else(|| not_found(name, &catalog))?;
            if f.sig.params.len() != args.len() {
                return Err(arity_error(name, &f.sig, args.len()));
            }
            for (i, (a, t)) in args.iter().zip(&f.sig.params).enumerate() {
                let slot = a.to_slot(*t).ok_or_else(|| {
                    Error::Signature(format!(
                        "argument {} of `{name}` must be {t}, found {} (`{name}` has type {})",
                        i + 1,
                        a.type_name(),
                        f.sig
                    ))
                })?;
                slots.push(slot);
            }
            (f.entry, f.sig.ret)
        };
        // SAFETY: as in `execute`.
        let raw = unsafe { exec::run(entry, &slots) }.map_err(|f| self.fault_error(f))?;
        Ok(Value::from_slot(raw, ret))
    }

    // ---- introspection ----

    pub fn has_function(&self, name: &str) -> bool {
        read(&self.catalog).functions.contains_key(name)
    }

    pub fn function_names(&self) -> Vec<String> {
        let mut names: Vec<String> = read(&self.catalog).functions.keys().cloned().collect();
        names.sort();
        names
    }

    pub fn function_count(&self) -> usize {
        read(&self.catalog).functions.len()
    }

    pub fn function_signature(&self, name: &str) -> Result<Signature> {
        let catalog = read(&self.catalog);
        catalog.functions.get(name).map(|f| f.sig.clone()).ok_or_else(|| not_found(name, &catalog))
    }

    pub fn global(&self, name: &str) -> Result<Value> {
        let catalog = read(&self.catalog);
        let g = catalog.globals.get(name).ok_or_else(|| {
            let hint = lang::suggest(name, catalog.globals.keys().map(|s| s.as_str()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            Error::NotFound(format!("no global named `{name}`{hint}"))
        })?;
        Ok(Value::from_slot(cell(g.cell).load(Ordering::Acquire), Some(g.ty)))
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        let store = self.store.get_mut().unwrap_or_else(|e| e.into_inner());
        for m in store.modules.drain(..) {
            // SAFETY: the manager is being dropped, so no call holds it and
            // no code of its modules can be running or be called again.
            unsafe { m.free() };
        }
    }
}

fn not_found(name: &str, catalog: &Catalog) -> Error {
    let hint = lang::suggest(name, catalog.functions.keys().map(|s| s.as_str()))
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    Error::NotFound(format!("no function named `{name}`{hint}"))
}

fn arity_error(name: &str, sig: &Signature, given: usize) -> Error {
    Error::Signature(format!(
        "`{name}` takes {} argument{} ({sig}), {given} given",
        sig.params.len(),
        if sig.params.len() == 1 { "" } else { "s" }
    ))
}

/// True when `text` starts with the MIR version line (`mir <n>`).
pub fn is_mir_text(text: &str) -> bool {
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    let mut words = first.split_whitespace();
    words.next() == Some(MIR_MAGIC) && words.next().is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
}

/// Parses, checks and lowers a source unit.
pub fn source_to_mir(source: &str, env: &dyn lang::Env) -> std::result::Result<mir::Module, lang::LangError> {
    let unit = lang::parse(source)?;
    let typed = lang::check(&unit, env)?;
    lang::lower(&typed)
}

/// The redefinition rule: a function's signature (or a global's type) may
/// change only if nothing compiled earlier, and not redefined by this unit,
/// depends on it.
fn check_redefinitions(module: &mir::Module, catalog: &Catalog, input: &str) -> Result<()> {
    let redefined: BTreeSet<&str> = module.functions.iter().map(|f| f.name.as_str()).collect();
    let users = |pred: &dyn Fn(&FuncEntry) -> bool| -> Vec<&str> {
        let mut v: Vec<&str> = catalog
            .functions
            .iter()
            .filter(|(n, e)| !redefined.contains(n.as_str()) && pred(e))
            .map(|(n, _)| n.as_str())
            .collect();
        v.sort();
        v
    };
    for f in &module.functions {
        let Some(old) = catalog.functions.get(&f.name) else { continue };
        if old.sig == f.sig {
            continue;
        }
        let callers = users(&|e| e.callees.contains(&f.name));
        if let Some(caller) = callers.first() {
            return Err(Error::Compile(format!(
                "{input}:{}:1: cannot change the signature of `{}` from {} to {}: `{caller}` calls it \
                 (redefine `{caller}` in the same unit, or keep the signature)",
                f.line, f.name, old.sig, f.sig
            )));
        }
    }
    for g in &module.globals {
        let Some(old) = catalog.globals.get(&g.name) else { continue };
        if old.ty == g.ty && old.mutable == g.mutable {
            continue;
        }
        let used_by = users(&|e| e.globals_used.contains(&g.name));
        if let Some(user) = used_by.first() {
            let kind = |m: bool| if m { "var" } else { "val" };
            return Err(Error::Compile(format!(
                "{input}:{}:1: cannot change global `{}` from `{} {}` to `{} {}`: function `{user}` uses it \
                 (redefine `{user}` in the same unit, or keep the declaration)",
                g.line,
                g.name,
                kind(old.mutable),
                old.ty,
                kind(g.mutable),
                g.ty
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager() -> Manager {
        Manager::new(Backend::Cranelift).unwrap()
    }

    #[test]
    fn a_unit_failing_at_runtime_is_rolled_back() {
        let m = manager();
        m.compile_source("fn f(): 1\ncount = 10\n", SOURCE_INPUT).unwrap();
        let err =
            m.compile_source("fn f(): 2\nfn g(): 3\ncount = 20\nfresh = 1\nboom = 1 / 0\n", SOURCE_INPUT).unwrap_err();
        assert!(
            matches!(&err, Error::Runtime(m) if m.contains("division by zero in top-level code at line 5")),
            "{err}"
        );
        assert_eq!(m.execute("f", &[]).unwrap(), 1);
        assert!(!m.has_function("g"));
        assert_eq!(m.global("count").unwrap(), Value::I64(10));
        assert!(matches!(m.global("fresh"), Err(Error::NotFound(_))));
        assert_eq!(m.function_names(), vec!["f".to_string()]);
    }

    #[test]
    fn redefinition_reaches_earlier_callers_and_guards_signatures() {
        let m = manager();
        m.compile_source("fn g(x): x + 1\nfn h(x): g(x) * 10\n", SOURCE_INPUT).unwrap();
        assert_eq!(m.execute("h", &[1]).unwrap(), 20);
        m.compile_source("fn g(x): x + 2\n", SOURCE_INPUT).unwrap();
        assert_eq!(m.execute("h", &[1]).unwrap(), 30);
        let err = m.compile_source("fn g(x: f64): x\n", SOURCE_INPUT).unwrap_err();
        assert!(matches!(&err, Error::Compile(m) if m.contains("`g`") && m.contains("`h` calls it")), "{err}");
        // Redefining both together is fine.
        m.compile_source("fn g(x: f64): x\nfn h(x) -> f64: g(x) * 10.0\n", SOURCE_INPUT).unwrap();
        assert_eq!(m.call("h", &[Value::I64(2)]).unwrap(), Value::F64(20.0));
    }

    #[test]
    fn mir_files_are_recognised_by_their_first_line() {
        assert!(is_mir_text("mir 1\nfn f() -> i64 {}"));
        assert!(is_mir_text("\u{feff}mir 1\n"));
        assert!(!is_mir_text("mir = 1\n"));
        assert!(!is_mir_text("fn f(): 1"));
    }
}
