//! A compile unit as a transaction: validate, compile, commit (functions,
//! table slots, globals), run the top-level code, then either keep the unit
//! or roll it back so the manager holds exactly what it held before.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use super::catalog::{Catalog, CatalogEnv, FuncEntry, GlobalEntry};
use super::code::{Code, ModuleId, Store};
use super::exec;
use super::helpers::HELPERS;
use super::manager::{Manager, lock, read, write};
use super::text;
use super::value::Value;
use crate::codegen::{self, Callee, Layout};
use crate::error::{Error, Result};
use crate::mir::{self, InstKind, Signature, Ty};

/// How a MIR module came to be, which decides how its errors read.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    /// Lowered from source: invalid MIR is a bug in rtjit.
    Source,
    /// Parsed from MIR text: invalid MIR is the input's fault, reported at
    /// its position in the text.
    Text(&'a mir::text::Positions),
}

/// Where the names of the unit being compiled live.
struct UnitLayout<'a> {
    store: &'a Store,
    catalog: &'a Catalog,
    functions: HashMap<&'a str, (u32, &'a Signature)>,
    /// Host functions the unit declares `extern`.
    externs: HashMap<&'a str, &'a Signature>,
    globals: HashMap<&'a str, (u32, Ty)>,
    /// Text literals made for the code compiled so far (value -> address).
    literals: RefCell<HashMap<String, usize>>,
}

impl UnitLayout<'_> {
    fn take_literals(&self) -> Vec<usize> {
        self.literals.borrow_mut().drain().map(|(_, addr)| addr).filter(|a| *a != 0).collect()
    }
}

impl Layout for UnitLayout<'_> {
    fn callee(&self, name: &str) -> Option<Callee> {
        if let Some((slot, sig)) = self.functions.get(name) {
            return Some(Callee::Jit { slot: self.store.table.addr(*slot), sig: (*sig).clone() });
        }
        if let Some(sig) = self.externs.get(name) {
            let host = self.catalog.hosts.get(name)?;
            return Some(Callee::Host { slot: self.store.host_table.addr(host.slot), sig: (*sig).clone() });
        }
        let f = self.catalog.functions.get(name)?;
        Some(Callee::Jit { slot: self.store.table.addr(f.slot), sig: f.sig.clone() })
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
    fn text_literal(&self, value: &str) -> usize {
        *self.literals.borrow_mut().entry(value.to_string()).or_insert_with(|| text::new(value.as_bytes()) as usize)
    }
}

impl mir::MirEnv for UnitLayout<'_> {
    fn function(&self, name: &str) -> Option<Signature> {
        self.callee(name).map(|c| c.sig().clone())
    }
    fn global(&self, name: &str) -> Option<Ty> {
        self.global_cell(name).map(|(_, ty)| ty)
    }
}

/// A function the unit replaced or added.
struct Replaced {
    name: String,
    old: Option<FuncEntry>,
    old_code: u64,
    new_code: usize,
}

/// A global's value before the unit; a text value holds a reference.
struct Saved {
    name: String,
    cell: usize,
    raw: u64,
    text: bool,
}

/// What a committed unit changed, so its failure can be undone.
struct Undo {
    functions: Vec<Replaced>,
    globals: Vec<(String, Option<GlobalEntry>)>,
    values: Vec<Saved>,
}

/// Compile units of one manager take turns: a unit holds its turn from
/// before it compiles until its top-level code has run and the unit is kept
/// or undone, so no other unit can build on what may still be undone. A
/// unit compiled by that same code (a host callback compiling into the
/// manager) nests inside the turn and shares its fate: if the outer unit
/// fails, the nested ones are undone too.
#[derive(Default)]
pub struct UnitTurns {
    state: Mutex<TurnState>,
    free: Condvar,
}

#[derive(Default)]
struct TurnState {
    /// The owning thread, as [`thread_key`].
    owner: Option<usize>,
    /// One frame per unit of the owner in progress (innermost last): the
    /// nested units that finished inside it, whose fate it decides.
    frames: Vec<Vec<Finished>>,
}

/// A unit that has run its top-level code successfully but whose undo is
/// kept because it is nested in a unit still running.
pub struct Finished {
    undo: Undo,
    pinned: Vec<ModuleId>,
    module: Option<ModuleId>,
}

/// This thread's turn to compile a unit; ends when dropped.
pub struct Turn<'a> {
    turns: &'a UnitTurns,
}

/// A number that tells the running threads apart: the address of a
/// thread-local. (`std::thread::current()` would allocate a handle that
/// leak checkers report.)
fn thread_key() -> usize {
    thread_local! {
        static KEY: u8 = const { 0 };
    }
    KEY.with(|k| k as *const u8 as usize)
}

impl UnitTurns {
    pub fn begin(&self) -> Turn<'_> {
        let me = thread_key();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while st.owner.is_some_and(|o| o != me) {
            st = self.free.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.owner = Some(me);
        st.frames.push(Vec::new());
        Turn { turns: self }
    }
}

impl Turn<'_> {
    fn state(&self) -> std::sync::MutexGuard<'_, TurnState> {
        self.turns.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The nested units that finished inside this unit.
    fn take_nested(&self) -> Vec<Finished> {
        self.state().frames.last_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Hands finished units to the enclosing unit; gives them back if there
    /// is none.
    fn defer(&self, units: Vec<Finished>) -> std::result::Result<(), Vec<Finished>> {
        let mut st = self.state();
        let n = st.frames.len();
        if n < 2 {
            return Err(units);
        }
        st.frames[n - 2].extend(units);
        Ok(())
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut st = self.state();
        st.frames.pop();
        if st.frames.is_empty() {
            st.owner = None;
            drop(st);
            self.turns.free.notify_one();
        }
    }
}

/// A committed unit whose top-level code has not run yet.
pub struct Installed {
    undo: Undo,
    init: Option<(Code, Option<Ty>)>,
    /// The unit's module and the modules of the functions it replaced,
    /// kept until the unit is kept or undone.
    pinned: Vec<ModuleId>,
    module: Option<ModuleId>,
}

pub fn cell(addr: usize) -> &'static AtomicU64 {
    // SAFETY: `addr` is a cell address from `Slots`, whose chunks live as
    // long as the manager; callers hold the manager.
    unsafe { &*(addr as *const AtomicU64) }
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

impl Manager {
    /// Validates, compiles and commits a unit; its top-level code is not
    /// run yet (see [`Manager::finish`]).
    pub(super) fn install(
        &self,
        store: &mut Store,
        module: &mir::Module,
        input: &str,
        origin: Origin<'_>,
    ) -> Result<Installed> {
        let at = |loc: mir::Loc| match origin {
            Origin::Source => (module.line_of(loc), 1),
            Origin::Text(positions) => positions.of(loc),
        };
        {
            let catalog = read(&self.catalog);
            check_redefinitions(module, &catalog, input, &at)?;
            mir::validate(module, &CatalogEnv(&catalog)).map_err(|e| match origin {
                Origin::Source => Error::Internal(format!(
                    "invalid MIR from the source compiler: {input}:{}: {}",
                    module.line_of(e.loc),
                    e.message
                )),
                Origin::Text(positions) => {
                    let (line, col) = positions.of(e.loc);
                    Error::Compile(format!("{input}:{line}:{col}: {}", e.message))
                }
            })?;
            check_externs(module, &catalog, input, &at)?;
        }
        let mut new_names = Vec::new();
        for f in &module.functions {
            if store.slot(&f.name).1 {
                new_names.push(f.name.clone());
            }
        }
        if !new_names.is_empty() {
            write(&self.catalog).slot_names.extend(new_names);
        }
        for g in &module.globals {
            store.cell(&g.name);
        }

        let (functions, init) = {
            let catalog = read(&self.catalog);
            let layout = UnitLayout {
                store,
                catalog: &catalog,
                functions: module
                    .functions
                    .iter()
                    .map(|f| (f.name.as_str(), (store.slot_of[&f.name], &f.sig)))
                    .collect(),
                externs: module.externs.iter().map(|e| (e.name.as_str(), &e.sig)).collect(),
                globals: module.globals.iter().map(|g| (g.name.as_str(), (store.cell_of[&g.name], g.ty))).collect(),
                literals: RefCell::new(HashMap::new()),
            };
            let opt = self.opt_level();
            let compile = |functions: &[mir::Function], top_level: bool| -> Result<Code> {
                match codegen::compile(functions, top_level, &layout, &HELPERS, opt) {
                    Ok(m) => Ok(Code::new(m, layout.take_literals())),
                    Err(e) => {
                        for l in layout.take_literals() {
                            text::release(l as *const text::RtText);
                        }
                        Err(e.into())
                    }
                }
            };
            let functions = if module.functions.is_empty() {
                None
            } else if opt >= 2 {
                let mut optimized = module.functions.clone();
                optimized.iter_mut().for_each(mir::inline::unroll_self_recursion);
                debug_assert_eq!(
                    mir::validate(&mir::Module { functions: optimized.clone(), ..Default::default() }, &layout),
                    Ok(())
                );
                Some(compile(&optimized, false)?)
            } else {
                Some(compile(&module.functions, false)?)
            };
            // Top-level code runs once, so it gets a module of its own that
            // is freed as soon as it has run.
            let init = match &module.init {
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
                None => None,
            };
            (functions, init)
        };
        Ok(self.commit(store, module, functions, init))
    }

    /// Makes a compiled unit visible: table slots, catalog entries, globals.
    fn commit(
        &self,
        store: &mut Store,
        module: &mir::Module,
        functions: Option<Code>,
        init: Option<(Code, Option<Ty>)>,
    ) -> Installed {
        let mut catalog = write(&self.catalog);
        let mut undo = Undo { functions: Vec::new(), globals: Vec::new(), values: Vec::new() };
        for (name, g) in &catalog.globals {
            let text = g.ty == Ty::Text;
            let raw = if text { text::global_load(cell(g.cell)) as u64 } else { cell(g.cell).load(Ordering::Acquire) };
            undo.values.push(Saved { name: name.clone(), cell: g.cell, raw, text });
        }
        for g in &module.globals {
            let addr = store.cells.addr(store.cell_of[&g.name]);
            let old = catalog.globals.get(&g.name).cloned();
            if old.as_ref().map(|o| o.ty) != Some(g.ty) {
                // A new global, or one of a new type, starts at its zero value.
                let prev = text::global_swap(cell(addr), 0);
                if old.as_ref().is_some_and(|o| o.ty == Ty::Text) {
                    text::release(prev as *const text::RtText);
                }
            }
            undo.globals.push((g.name.clone(), old));
            catalog.globals.insert(g.name.clone(), GlobalEntry { ty: g.ty, mutable: g.mutable, cell: addr });
        }
        let mut pinned = Vec::new();
        let compiled: Vec<(usize, codegen::Trampoline)> = functions
            .as_ref()
            .map(|c| c.module().functions.iter().map(|f| (f.code, f.entry)).collect())
            .unwrap_or_default();
        let id = functions.map(|code| store.add(code, module.functions.len()));
        for (f, (code, entry)) in module.functions.iter().zip(compiled) {
            let slot = store.slot_of[&f.name];
            let (callees, globals_used) = dependencies(f);
            let old = catalog.functions.get(&f.name).cloned();
            if let Some(o) = &old {
                store.unlive(o.module);
                store.pin(o.module);
                pinned.push(o.module);
            }
            let old_code = store.table.cell(slot).swap(code as u64, Ordering::AcqRel);
            undo.functions.push(Replaced { name: f.name.clone(), old, old_code, new_code: code });
            let module = id.unwrap_or(ModuleId::MAX);
            catalog.functions.insert(
                f.name.clone(),
                FuncEntry { sig: f.sig.clone(), slot, entry, code, module, callees, globals_used },
            );
        }
        pinned.extend(id);
        Installed { undo, init, pinned, module: id }
    }

    /// Runs a committed unit's top-level code, then keeps the unit, or
    /// undoes it if that code failed.
    /// `file` names the input in a runtime error of the top-level code.
    pub(super) fn finish(&self, installed: Installed, file: Option<&str>, turn: &Turn<'_>) -> Result<Value> {
        let Installed { undo, init, pinned, module } = installed;
        let outcome = match init {
            None => Ok(Value::Void),
            Some((code, ret)) => {
                let running = self.guard.enter();
                let entry = code.module().functions[0].entry;
                // SAFETY: the trampoline takes no arguments, and its code is
                // alive until the call returns.
                let result = unsafe { exec::run(entry, &[]) };
                drop(running);
                // SAFETY: only this thread ever had the top-level code's
                // address, and the call has returned.
                unsafe { code.free() };
                // SAFETY: a text result is a reference handed to us.
                result.map(|raw| unsafe { Value::from_owned_slot(raw, ret) }).map_err(|f| self.fault_error(f, file))
            }
        };
        // This unit, then the units nested in it, in the order they committed.
        let mut units = vec![Finished { undo, pinned, module }];
        units.extend(turn.take_nested());
        let mut store = lock(&self.store);
        match &outcome {
            Ok(_) => {
                if let Err(units) = turn.defer(units) {
                    for unit in units {
                        for saved in unit.undo.values {
                            if saved.text {
                                text::release(saved.raw as *const text::RtText);
                            }
                        }
                        unit.pinned.iter().for_each(|id| store.unpin(*id));
                    }
                }
            }
            Err(_) => {
                for unit in units.into_iter().rev() {
                    self.rollback(&mut store, unit.undo, unit.module);
                    unit.pinned.iter().for_each(|id| store.unpin(*id));
                }
            }
        }
        store.reclaim(&self.guard);
        outcome
    }

    /// Undoes a unit whose top-level code failed. Functions a later unit
    /// replaced meanwhile are left as that unit made them.
    fn rollback(&self, store: &mut Store, undo: Undo, module: Option<ModuleId>) {
        let mut catalog = write(&self.catalog);
        for r in undo.functions.into_iter().rev() {
            let ours = catalog.functions.get(&r.name).is_some_and(|f| f.code == r.new_code);
            if !ours {
                continue;
            }
            if let Some(slot) = store.slot_of.get(&r.name) {
                store.table.cell(*slot).store(r.old_code, Ordering::Release);
            }
            if let Some(id) = module {
                store.unlive(id);
            }
            match r.old {
                Some(entry) => {
                    store.relive(entry.module);
                    catalog.functions.insert(r.name, entry);
                }
                None => {
                    catalog.functions.remove(&r.name);
                }
            }
        }
        // Values first, while the catalog still says what each cell holds.
        let holds_text = |catalog: &Catalog, name: &str| catalog.globals.get(name).is_some_and(|g| g.ty == Ty::Text);
        for saved in &undo.values {
            let prev = text::global_swap(cell(saved.cell), saved.raw);
            if holds_text(&catalog, &saved.name) {
                text::release(prev as *const text::RtText);
            }
        }
        for (name, old) in undo.globals.into_iter().rev() {
            match old {
                Some(entry) => {
                    catalog.globals.insert(name, entry);
                }
                None => {
                    if let Some(g) = catalog.globals.remove(&name) {
                        let prev = text::global_swap(cell(g.cell), 0);
                        if g.ty == Ty::Text {
                            text::release(prev as *const text::RtText);
                        }
                    }
                }
            }
        }
    }
}

/// Every host function a unit declares must be registered, with the
/// signature the unit declares.
/// Where a part of the module is, as `(line, column)` of its input.
type At<'a> = &'a dyn Fn(mir::Loc) -> (u32, u32);

fn check_externs(module: &mir::Module, catalog: &Catalog, input: &str, at: At) -> Result<()> {
    for (i, e) in module.externs.iter().enumerate() {
        let (line, col) = at(mir::Loc::Extern(i));
        match catalog.hosts.get(&e.name) {
            None => {
                return Err(Error::Compile(format!(
                    "{input}:{line}:{col}: `{}` is not a registered host function \
                     (register it with rt_exec_manager_register_function before compiling)",
                    e.name
                )));
            }
            Some(h) if h.sig != e.sig => {
                return Err(Error::Compile(format!(
                    "{input}:{line}:{col}: extern `{}` is declared {} but registered as {}",
                    e.name, e.sig, h.sig
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The redefinition rule: a function's signature (or a global's type or
/// val/var kind) may change only if nothing compiled earlier, and not
/// redefined by this unit, depends on it.
fn check_redefinitions(module: &mir::Module, catalog: &Catalog, input: &str, at: At) -> Result<()> {
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
    for (i, f) in module.functions.iter().enumerate() {
        let Some(old) = catalog.functions.get(&f.name) else { continue };
        if old.sig == f.sig {
            continue;
        }
        let callers = users(&|e| e.callees.contains(&f.name));
        if let Some(caller) = callers.first() {
            let (line, col) = at(mir::Loc::Function(mir::FnRef::Function(i)));
            return Err(Error::Compile(format!(
                "{input}:{line}:{col}: cannot change the signature of `{}` from {} to {}: `{caller}` calls it \
                 (redefine `{caller}` in the same unit, or keep the signature)",
                f.name, old.sig, f.sig
            )));
        }
    }
    for (i, g) in module.globals.iter().enumerate() {
        let Some(old) = catalog.globals.get(&g.name) else { continue };
        if old.ty == g.ty && old.mutable == g.mutable {
            continue;
        }
        let used_by = users(&|e| e.globals_used.contains(&g.name));
        if let Some(user) = used_by.first() {
            let kind = |m: bool| if m { "var" } else { "val" };
            let (line, col) = at(mir::Loc::Global(i));
            return Err(Error::Compile(format!(
                "{input}:{line}:{col}: cannot change global `{}` from `{} {}` to `{} {}`: function `{user}` uses it \
                 (redefine `{user}` in the same unit, or keep the declaration)",
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
