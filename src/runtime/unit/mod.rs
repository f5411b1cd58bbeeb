//! A compile unit as a transaction: validate, prepare and compile its MIR,
//! commit it (functions, table cells, globals), run its top-level code,
//! then either keep the unit or roll it back so the manager holds exactly
//! what it held before.
//!
//! In reading order: `rules` (what a unit may redefine), `layout` (where
//! the unit's names live, for the backend), this file (install, commit,
//! finish), `reach` (which globals a unit may change), `undo` (what a unit
//! changed, and undoing it), `turns` (units of one manager take turns;
//! nested units share their outer unit's fate; waits in a cycle are
//! refused).

mod layout;
mod reach;
mod rules;
mod turns;
mod undo;

use std::sync::atomic::Ordering;
use std::sync::{Mutex, RwLock};

use self::layout::{UnitCells, UnitLayout};
use self::undo::{Finished, Replaced, SavedValue, Undo};
use super::catalog::{Catalog, ExternEntry, FuncEntry, GlobalEntry};
use super::exec;
use super::frontend::CatalogEnv;
use super::globals;
use super::guard::CallGuard;
use super::helpers::HELPERS;
use super::limits::{InterruptMark, Limits};
use super::store::{LoadedModule, ModuleId, Store};
use super::value::Value;
use crate::backend::{CodeGenerator, CodegenError, OptLevel, Request};
use crate::diag::{Diagnostic, Pos};
use crate::error::{Error, Result};
use crate::mir::{self, Ty};
use crate::util::sync;

pub use rules::check_host_change;
pub use turns::{Turn, UnitTurns};

/// The parts of a manager a unit works on.
pub struct Parts<'m> {
    pub store: &'m Mutex<Store>,
    pub catalog: &'m RwLock<Catalog>,
    pub limits: &'m Limits,
    pub guard: &'m CallGuard,
    pub generator: &'static dyn CodeGenerator,
    pub opt: OptLevel,
}

/// How a MIR module came to be, which decides how its errors read.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    /// Lowered from source: invalid MIR is a bug in rtjit.
    Source,
    /// Parsed from MIR text: invalid MIR is the input's fault, reported at
    /// its position in the text.
    MirText(&'a mir::text::Positions),
}

/// A committed unit whose top-level code has not run yet.
pub struct Installed {
    undo: Undo,
    init: Option<(LoadedModule, Option<Ty>)>,
    /// The unit's module and the modules of the functions it replaced,
    /// kept until the unit is kept or undone.
    pinned: Vec<ModuleId>,
    module: Option<ModuleId>,
}

impl From<CodegenError> for Error {
    fn from(e: CodegenError) -> Self {
        match e {
            CodegenError::Unavailable(m) => Error::Unsupported(m),
            CodegenError::OutOfMemory(_) => Error::Runtime(e.to_string()),
            other => Error::Internal(other.to_string()),
        }
    }
}

/// Validates, prepares, compiles and commits a unit; its top-level code
/// is not run yet (see [`finish`]).
pub fn install(
    parts: &Parts,
    store: &mut Store,
    module: mir::Module,
    input: &str,
    origin: Origin,
) -> Result<Installed> {
    let at = |loc: mir::Loc| match origin {
        Origin::Source => Pos::new(module.line_of(loc), 1),
        Origin::MirText(positions) => positions.of(loc),
    };
    let prepared = {
        let catalog = sync::read(parts.catalog);
        rules::check_redefinitions(&module, &catalog, input, &at)?;
        mir::validate(&module, &CatalogEnv(&catalog)).map_err(|e| match origin {
            Origin::Source => Error::Internal(format!(
                "invalid MIR from the source compiler: {input}:{}: {}",
                module.line_of(e.loc),
                e.message
            )),
            Origin::MirText(_) => Error::compile(input, &Diagnostic::new(at(e.loc), e.message)),
        })?;
        let level = parts.opt.get();
        mir::opt::for_codegen(module, level, &CatalogEnv(&catalog)).map_err(|e| {
            Error::Internal(format!("the {} pass made invalid MIR: {input}: {}", e.pass, e.invalid.message))
        })?
    };
    let cells = allocate(parts, store, &prepared);
    let (functions, init) = compile(parts, store, &prepared, &cells)?;
    Ok(commit(parts, store, &prepared, &cells, functions, init))
}

/// Cells for the unit's functions and globals (new names get new ones).
fn allocate(parts: &Parts, store: &mut Store, module: &mir::Module) -> UnitCells {
    let mut new_names = Vec::new();
    let functions = module
        .functions
        .iter()
        .map(|f| {
            let (id, new) = store.functions.cell(&f.name);
            if new {
                new_names.push(f.name.clone());
            }
            id
        })
        .collect();
    if !new_names.is_empty() {
        sync::write(parts.catalog).names_by_id.extend(new_names);
    }
    let globals = module.globals.iter().map(|g| store.globals.cell(&g.name).0).collect();
    let extern_vals = module.extern_vals.iter().map(|v| store.binding(&v.name)).collect();
    UnitCells { functions, globals, extern_vals }
}

type Compiled = (Option<LoadedModule>, Option<(LoadedModule, Option<Ty>)>);

/// The unit's functions in one module, and its top-level code in another
/// (it runs once, so it is freed as soon as it has run).
fn compile(parts: &Parts, store: &Store, module: &mir::Module, cells: &UnitCells) -> Result<Compiled> {
    let catalog = sync::read(parts.catalog);
    let layout = UnitLayout::new(store, &catalog, module, cells);
    let compile = |functions: &[mir::Function], top_level: bool| -> Result<LoadedModule> {
        let request = Request { functions, top_level, layout: &layout, helpers: &HELPERS, opt: parts.opt };
        let code = parts.generator.compile(&request);
        // The literals belong to the code; on failure they are dropped.
        let literals = layout.take_literals();
        Ok(LoadedModule::new(code?, literals))
    };
    let functions = if module.functions.is_empty() { None } else { Some(compile(&module.functions, false)?) };
    let init = match &module.init {
        None => None,
        Some(f) => match compile(std::slice::from_ref(f), true) {
            Ok(code) => Some((code, f.sig.ret)),
            Err(e) => {
                if let Some(code) = functions {
                    // SAFETY: never installed, so never run.
                    unsafe { code.free() };
                }
                return Err(e);
            }
        },
    };
    Ok((functions, init))
}

/// Makes a compiled unit visible: table cells, catalog entries, globals.
fn commit(
    parts: &Parts,
    store: &mut Store,
    module: &mir::Module,
    cells: &UnitCells,
    functions: Option<LoadedModule>,
    init: Option<(LoadedModule, Option<Ty>)>,
) -> Installed {
    let mut undo = Undo::default();
    // Worked out before the write lock: only this unit's turn changes the
    // catalog, and calls wait for the write lock.
    let changed = reach::globals_changed(module, &sync::read(parts.catalog));
    let mut catalog = sync::write(parts.catalog);
    let saved: Box<dyn Iterator<Item = (&String, &GlobalEntry)>> = match &changed {
        None => Box::new(catalog.globals.iter()),
        Some(names) => Box::new(names.iter().filter_map(|n| catalog.globals.get_key_value(n))),
    };
    for (name, g) in saved {
        // SAFETY: the cell is this manager's; the catalog says its type.
        let value = unsafe { globals::save(g.cell.get(), g.ty) };
        undo.values.push(SavedValue { name: name.clone(), cell: g.cell, value });
    }
    for (g, id) in module.globals.iter().zip(&cells.globals) {
        let cell = store.globals.cell_ref(*id);
        let old = catalog.globals.get(&g.name).cloned();
        if old.as_ref().map(|o| o.ty) != Some(g.ty) {
            // A new global, or one of a new type, starts at its zero value.
            // SAFETY: as above.
            unsafe { globals::clear(cell.get(), old.as_ref().map(|o| o.ty)) };
        }
        undo.globals.push((g.name.clone(), old));
        catalog.globals.insert(g.name.clone(), GlobalEntry { ty: g.ty, mutable: g.mutable, cell });
    }
    for r in &module.records {
        let old = catalog.records.insert(r.ty.name().to_string(), r.ty);
        undo.records.push((r.ty.name().to_string(), old));
    }
    for h in &module.host_structs {
        let old = catalog.host_structs.insert(h.ty.name().to_string(), h.ty);
        undo.host_structs.push((h.ty.name().to_string(), old));
    }
    for (v, cell) in module.extern_vals.iter().zip(&cells.extern_vals) {
        let entry = ExternEntry { ty: v.ty, array: v.array, cell: cell.clone() };
        let old = catalog.extern_vals.insert(v.name.clone(), entry);
        undo.extern_vals.push((v.name.clone(), old));
    }
    let compiled = functions.as_ref().map(|m| m.code().functions().to_vec()).unwrap_or_default();
    let module_id = functions.map(|m| store.add(m, module.functions.len()));
    let mut pinned = Vec::new();
    for ((f, compiled), id) in module.functions.iter().zip(compiled).zip(&cells.functions) {
        let old = catalog.functions.get(&f.name).cloned();
        if let Some(o) = &old {
            store.replaced(o.module);
            store.pin(o.module);
            pinned.push(o.module);
        }
        let old_addr = store.functions.cells.get(*id).swap(compiled.addr as u64, Ordering::AcqRel);
        undo.functions.push(Replaced { name: f.name.clone(), id: *id, old, old_addr, new_addr: compiled.addr });
        let entry = FuncEntry {
            sig: f.sig.clone(),
            id: *id,
            entry: compiled.entry,
            addr: compiled.addr,
            module: module_id.unwrap_or(ModuleId::MAX),
            refs: f.references(),
        };
        catalog.functions.insert(f.name.clone(), entry);
    }
    pinned.extend(module_id);
    Installed { undo, init, pinned, module: module_id }
}

/// Runs a committed unit's top-level code, then keeps the unit, or
/// undoes it if that code failed. `file` names the input in a runtime
/// error of the top-level code; the code stops at once if the manager was
/// interrupted `since` (when the unit's compile got its turn).
pub fn finish(
    parts: &Parts,
    installed: Installed,
    file: Option<&str>,
    turn: &Turn<'_>,
    since: InterruptMark,
) -> Result<Value> {
    let Installed { undo, init, pinned, module } = installed;
    let outcome = match init {
        None => Ok(Value::Void),
        Some((code, ret)) => {
            let running = parts.guard.enter();
            let result = match code.code().functions().first() {
                // SAFETY: the trampoline takes no arguments, and its code is
                // alive until the call returns.
                Some(f) => unsafe { exec::run(f.entry, &[], &running, parts.limits, Some(since)) }.map_err(Some),
                None => Err(None),
            };
            drop(running);
            // SAFETY: only this thread ever had the top-level code's
            // address, and the call has returned.
            unsafe { code.free() };
            match result {
                // SAFETY: a text result is a reference handed to us.
                Ok(raw) => Ok(unsafe { Value::from_owned_word(raw, ret) }),
                Err(Some(fault)) => Err(fault_error(parts.catalog, fault, file)),
                Err(None) => Err(Error::Internal("top-level code compiled to nothing".into())),
            }
        }
    };
    // This unit, then the units nested in it, in the order they committed.
    let mut units = vec![Finished { undo, pinned, module }];
    units.extend(turn.take_nested());
    let mut store = sync::lock(parts.store);
    match &outcome {
        Ok(_) => {
            if let Err(units) = turn.defer(units) {
                units.into_iter().for_each(|unit| unit.keep(&mut store));
            }
        }
        Err(_) => {
            let mut catalog = sync::write(parts.catalog);
            units.into_iter().rev().for_each(|unit| unit.roll_back(&mut store, &mut catalog));
        }
    }
    if store.reclaim(parts.guard) {
        Limits::wake();
    }
    outcome
}

/// The error for a fault; `file` names the input of faulting top-level code.
pub fn fault_error(catalog: &RwLock<Catalog>, fault: exec::Fault, file: Option<&str>) -> Error {
    exec::fault_error(fault, file, |id| sync::read(catalog).names_by_id.get(id as usize).cloned())
}
