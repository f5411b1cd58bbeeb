//! The execution manager: owns the compiled code, the function table and
//! the globals of one JIT session, and runs compile units and calls.
//!
//! Locking: `store` (a mutex) serialises compile units and owns the code;
//! `catalog` (a read-write lock) is what calls read to find a function.
//! Neither is held while JIT code runs: a call copies what it needs out of
//! the catalog, and a unit's top-level code runs after its commit (see
//! `unit`). Calls are counted by `guard`, so code that redefinitions made
//! unreachable is freed once no call can still be running it; the rest
//! lives until the manager is dropped, which happens only when no call
//! holds it (calls hold an `Arc`).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, RwLock};

use super::catalog::{Catalog, GlobalEntry, HostEntry};
use super::frontend::{self, CatalogEnv, MIR_INPUT, SOURCE_INPUT};
use super::globals;
use super::guard::CallGuard;
use super::limits::{Limits, PrintHandler};
use super::store::{HostBinding, Store};
use super::unit::{self, Origin, Parts, UnitTurns};
use super::value::Value;
use crate::backend::{self, Backend, CodeGenerator, OptLevel};
use crate::error::{Error, Result};
use crate::mir::{self, Signature};
use crate::util::{names, stack, sync};

pub struct Manager {
    backend: Backend,
    pub(super) generator: &'static dyn CodeGenerator,
    opt_level: AtomicU8,
    pub(super) store: Mutex<Store>,
    pub(super) catalog: RwLock<Catalog>,
    pub(super) guard: CallGuard,
    /// Boxed: running calls keep its address (their budgets point here),
    /// and a `Manager` may be moved (into a `Box`, a `Vec`).
    pub(super) limits: Box<Limits>,
    turns: UnitTurns,
}

impl Manager {
    /// A manager compiling with `backend` at optimisation level 2; fails
    /// when this build or host cannot use that backend.
    pub fn new(backend: Backend) -> Result<Manager> {
        Ok(Manager {
            backend,
            generator: backend::generator(backend)?,
            opt_level: AtomicU8::new(OptLevel::DEFAULT.get()),
            store: Mutex::new(Store::default()),
            catalog: RwLock::new(Catalog::default()),
            guard: CallGuard::default(),
            limits: Box::default(),
            turns: UnitTurns::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn opt_level(&self) -> u8 {
        self.opt_level.load(Ordering::Relaxed)
    }

    pub fn set_opt_level(&self, level: u8) -> Result<()> {
        let level = OptLevel::new(level).ok_or_else(|| {
            Error::InvalidArgument(format!("optimisation level {level} is out of range (0 to {})", OptLevel::MAX))
        })?;
        self.opt_level.store(level.get(), Ordering::Relaxed);
        Ok(())
    }

    fn parts(&self) -> Parts<'_> {
        Parts {
            store: &self.store,
            catalog: &self.catalog,
            limits: &self.limits,
            guard: &self.guard,
            generator: self.generator,
            opt: OptLevel::new(self.opt_level()).unwrap_or(OptLevel::DEFAULT),
        }
    }

    /// Compiles one source unit and runs its top-level statements; returns
    /// the unit's value. `input` names the source in error messages.
    pub fn compile_source(&self, source: &str, input: &str) -> Result<Value> {
        self.compile_unit(input, (input != SOURCE_INPUT).then_some(input), |env| {
            Ok((frontend::source_module(source, env, input)?, None))
        })
    }

    /// Compiles the unit `to_mir` makes with the manager's names in scope
    /// (with the positions of MIR text, whose invalid MIR is the input's
    /// fault), in its turn, then runs its top-level code. `file` names the
    /// input in a runtime error of that code.
    fn compile_unit(
        &self,
        input: &str,
        file: Option<&str>,
        to_mir: impl FnOnce(&CatalogEnv) -> Result<(mir::Module, Option<mir::text::Positions>)> + Send,
    ) -> Result<Value> {
        let turn = self.turns.begin()?;
        // An interrupt from here on stops the unit's top-level code.
        let since = self.limits.mark();
        let installed = on_compile_stack(|| {
            let mut store = sync::lock(&self.store);
            let (module, positions) = to_mir(&CatalogEnv(&sync::read(&self.catalog)))?;
            let origin = positions.as_ref().map_or(Origin::Source, Origin::MirText);
            unit::install(&self.parts(), &mut store, module, input, origin)
        })?;
        unit::finish(&self.parts(), installed, file, &turn, since)
    }

    /// The MIR text of a source unit as this manager would compile it
    /// (names of earlier units and registered host functions resolve);
    /// compiling the text with [`Manager::compile_mir`] behaves the same.
    pub fn source_to_mir_text(&self, source: &str, input: &str) -> Result<String> {
        on_compile_stack(|| {
            let module = frontend::source_module(source, &CatalogEnv(&sync::read(&self.catalog)), input)?;
            Ok(mir::text::print(&module))
        })
    }

    /// Reads a file and compiles it (MIR when it starts with the MIR
    /// version line, source otherwise).
    pub fn compile_file(&self, path: &str) -> Result<Value> {
        let bytes = std::fs::read(path).map_err(|e| Error::Io(format!("cannot read {path}: {e}")))?;
        let text = frontend::utf8(&bytes, path)?;
        if mir::text::is_mir_text(text) {
            return self.compile_mir_text(text, path);
        }
        self.compile_source(text, path)
    }

    /// Compiles one MIR text blob (docs/mir.md) and runs its `init` code,
    /// if any; returns the init code's value. `input` names the text in
    /// error messages.
    pub fn compile_mir(&self, bytes: &[u8], input: &str) -> Result<Value> {
        self.compile_mir_text(frontend::utf8(bytes, input)?, input)
    }

    fn compile_mir_text(&self, text: &str, input: &str) -> Result<Value> {
        self.compile_unit(input, (input != MIR_INPUT).then_some(input), |env| {
            let (module, positions) = frontend::mir_module(text, env, input)?;
            Ok((module, Some(positions)))
        })
    }

    pub fn has_function(&self, name: &str) -> bool {
        sync::read(&self.catalog).functions.contains_key(name)
    }

    pub fn function_names(&self) -> Vec<String> {
        let mut names: Vec<String> = sync::read(&self.catalog).functions.keys().cloned().collect();
        names.sort();
        names
    }

    pub fn function_count(&self) -> usize {
        sync::read(&self.catalog).functions.len()
    }

    pub fn function_signature(&self, name: &str) -> Result<Signature> {
        sync::read(&self.catalog).function(name).map(|f| f.sig.clone())
    }

    pub fn global(&self, name: &str) -> Result<Value> {
        let catalog = sync::read(&self.catalog);
        let g = catalog.global(name)?;
        // SAFETY: the cell is this manager's, alive with `self`; the catalog
        // says what it holds.
        Ok(unsafe { globals::read(g.cell.get(), g.ty) })
    }

    /// Assigns the global `name`, or creates it (as a `var` of `value`'s
    /// type, so scripts compiled later may read and assign it). Code
    /// already compiled sees the new value at its next read. A global is
    /// not part of any unit: one the host creates stays when a unit running
    /// at the time is rolled back.
    pub fn set_global(&self, name: &str, value: &Value) -> Result<()> {
        let Some(ty) = value.ty() else {
            return Err(Error::InvalidArgument(format!("global `{name}` cannot be set to void")));
        };
        if let Some(g) = sync::read(&self.catalog).globals.get(name) {
            return assign_global(name, g, value);
        }
        if !names::is_identifier(name) {
            return Err(Error::InvalidArgument(format!("`{name}` is not a valid global name")));
        }
        let saved = globals::to_saved(value, ty).unwrap_or(Err(Error::Internal("a value of no type".into())))?;
        // The order every compile takes them in.
        let mut store = sync::lock(&self.store);
        let mut catalog = sync::write(&self.catalog);
        if let Some(g) = catalog.globals.get(name) {
            // Another thread's unit or call made it in the meantime.
            return assign_global(name, g, value);
        }
        let (id, _) = store.globals.cell(name);
        let cell = store.globals.cell_ref(id);
        // SAFETY: a cell of this manager that holds nothing (new, or
        // emptied when the global it held was rolled back).
        unsafe { globals::replace(cell.get(), saved, None) };
        catalog.globals.insert(name.to_string(), GlobalEntry { ty, mutable: true, cell });
        Ok(())
    }

    /// Registers (or replaces) a host function that units may declare
    /// `extern` and call. Replacing one keeps callers working when the
    /// signature stays; changing the signature of a host function that
    /// compiled functions call is refused.
    pub fn register_host(&self, name: &str, addr: usize, sig: Signature) -> Result<()> {
        self.register_host_function(name, addr, sig, None)
    }

    /// As [`Manager::register_host`], for a host function that takes
    /// `user_data` as its first C argument (a `void *`) before those `sig`
    /// lists. Changing whether a host function takes user data is a
    /// signature change; changing only the data is not.
    pub fn register_host_with_data(&self, name: &str, addr: usize, sig: Signature, user_data: usize) -> Result<()> {
        self.register_host_function(name, addr, sig, Some(user_data))
    }

    fn register_host_function(&self, name: &str, addr: usize, sig: Signature, user_data: Option<usize>) -> Result<()> {
        if !names::is_identifier(name) {
            return Err(Error::InvalidArgument(format!("`{name}` is not a valid function name")));
        }
        if addr == 0 {
            return Err(Error::InvalidArgument(format!("the address of host function `{name}` is NULL")));
        }
        if !sig.is_host_compatible() {
            return Err(Error::InvalidArgument(mir::host_type_error(name)));
        }
        let mut store = sync::lock(&self.store);
        let mut catalog = sync::write(&self.catalog);
        unit::check_host_change(&catalog, name, &sig, user_data.is_some())?;
        let (cell, _) = store.hosts.cell(name);
        let word = match user_data {
            None => addr,
            Some(user_data) => {
                let binding = Box::new(HostBinding { function: addr, user_data });
                let at = &raw const *binding as usize;
                store.host_bindings.push(binding);
                at
            }
        };
        store.hosts.cells.get(cell).store(word as u64, Ordering::Release);
        catalog.hosts.insert(name.to_string(), HostEntry { sig, cell, with_data: user_data.is_some() });
        Ok(())
    }

    /// Stops every call running in the manager (outermost calls, unit
    /// top-level code, calls nested in host callbacks) at its next function
    /// entry or loop iteration, with [`Error::Interrupted`], and the
    /// top-level code of a unit being compiled at its first checkpoint.
    /// Calls that start after this returns run normally. Never blocks.
    pub fn interrupt(&self) {
        self.limits.interrupt();
    }

    /// How long each later outermost call may run (0: no limit).
    pub fn set_time_limit(&self, microseconds: u64) {
        self.limits.time_us.store(microseconds, Ordering::SeqCst);
    }

    /// How many steps (function entries and loop iterations) each later
    /// outermost call may take (0: no limit).
    pub fn set_step_limit(&self, steps: u64) {
        self.limits.steps.store(steps, Ordering::SeqCst);
    }

    /// Where `print` writes from now on: `handler` gets each line without
    /// its newline (called on the thread that runs the code, possibly on
    /// several threads at once); `None` restores stdout.
    pub fn set_print(&self, handler: Option<PrintHandler>) {
        *sync::write(&self.limits.print) = handler;
    }

    /// The most memory the manager's values may hold at once (0: no limit).
    pub fn set_memory_limit(&self, bytes: u64) {
        self.limits.account.limit.store(bytes, Ordering::SeqCst);
    }

    /// The most stack each later outermost call's JIT code may use (0: what
    /// the calling thread has, less the reserve; a larger limit is capped
    /// by that).
    pub fn set_stack_limit(&self, bytes: u64) {
        self.limits.stack.store(bytes, Ordering::SeqCst);
    }

    /// Compiled modules the manager holds (current, and replaced ones not
    /// yet freed): a measure of what redefinitions leave behind.
    pub fn code_modules(&self) -> usize {
        sync::lock(&self.store).module_count()
    }
}

/// Runs a compile's passes where they cannot overflow the stack: here when
/// the calling thread has room, else on a thread of known stack size (a
/// host thread with a small stack gets the same results as any other).
/// A unit's top-level code still runs on the calling thread.
fn on_compile_stack<T: Send>(work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    stack::with_room(stack::COMPILE_NEEDS, stack::COMPILE_THREAD_SIZE, work).map_err(|e| {
        Error::Runtime(format!(
            "out of memory: this thread has {} KiB of stack left, too little to compile on, \
             and no thread to compile on could be started ({e})",
            stack::room() / 1024
        ))
    })?
}

impl Drop for Manager {
    fn drop(&mut self) {
        let catalog = sync::get_mut_rw(&mut self.catalog);
        for g in catalog.globals.values() {
            // SAFETY: the cells live until `store` is dropped, after this.
            unsafe { globals::clear(g.cell.get(), Some(g.ty)) };
        }
        let store = sync::get_mut(&mut self.store);
        // SAFETY: the manager is being dropped, so no call holds it and no
        // code of its modules can be running or be called again.
        unsafe { store.free_all() };
    }
}

/// Stores `value` in the existing global `g`, as an assignment in a
/// script would (atomically: a concurrent read sees the old or the new
/// value).
fn assign_global(name: &str, g: &GlobalEntry, value: &Value) -> Result<()> {
    if !g.mutable {
        return Err(Error::Signature(format!("global `{name}` is a `val`: it cannot be assigned")));
    }
    let saved = globals::to_saved(value, g.ty).ok_or_else(|| {
        Error::Signature(format!("global `{name}` is a {}, not a {}", g.ty.name(), value.type_name()))
    })??;
    // SAFETY: the cell is the manager's, alive while the catalog names it,
    // and holds a `g.ty`.
    unsafe { globals::replace(g.cell.get(), saved, Some(g.ty)) };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager() -> Manager {
        Manager::new(Backend::Cranelift).unwrap()
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    #[test]
    fn a_unit_failing_at_runtime_is_rolled_back() {
        let m = manager();
        m.compile_source("fn f(): 1\ncount = 10\nname = \"old\"\n", SOURCE_INPUT).unwrap();
        let err = m
            .compile_source(
                "fn f(): 2\nfn g(): 3\ncount = 20\nname = \"new\" + str(count)\nfresh = \"x\"\nboom = 1 / 0\n",
                SOURCE_INPUT,
            )
            .unwrap_err();
        assert!(
            matches!(&err, Error::Runtime(m) if m.contains("division by zero in top-level code at line 6")),
            "{err}"
        );
        assert_eq!(m.execute("f", &[]).unwrap(), 1);
        assert!(!m.has_function("g"));
        assert_eq!(m.global("count").unwrap(), Value::I64(10));
        assert_eq!(m.global("name").unwrap(), text("old"));
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
    fn replaced_code_is_freed() {
        let m = manager();
        m.compile_source("fn g(x): x + 1\nfn h(x): g(x)\n", SOURCE_INPUT).unwrap();
        for i in 0..50 {
            m.compile_source(&format!("fn g(x): x + {i}\n"), SOURCE_INPUT).unwrap();
            assert_eq!(m.execute("h", &[1]).unwrap(), 1 + i);
        }
        // The first module still holds `h`; of the replaced `g`s at most
        // two generations wait to be freed.
        assert!(m.code_modules() <= 4, "{} modules", m.code_modules());
    }

    #[test]
    fn text_values_through_calls_and_globals() {
        let m = manager();
        m.compile_source(
            "greeting = \"hello\"\nfn greet(name: text): greeting + \", \" + name + \"!\"\n\
             fn shout(s: text) -> text:\n    var out = s\n    for i in 0..3:\n        out += \"!\"\n    return out\n",
            SOURCE_INPUT,
        )
        .unwrap();
        assert_eq!(m.call("greet", &[text("world")]).unwrap(), text("hello, world!"));
        assert_eq!(m.call("shout", &[text("hey")]).unwrap(), text("hey!!!"));
        assert_eq!(m.global("greeting").unwrap(), text("hello"));
        assert_eq!(m.compile_source("len(\"héllo\") + len(str(123))", SOURCE_INPUT).unwrap(), Value::I64(9));
        assert_eq!(m.compile_source("int(\" 42 \") + 1", SOURCE_INPUT).unwrap(), Value::I64(43));
        assert_eq!(m.compile_source("str(1.5) + str(true)", SOURCE_INPUT).unwrap(), text("1.5true"));
        assert_eq!(m.compile_source("\"abc\" < \"abd\"", SOURCE_INPUT).unwrap(), Value::Bool(true));
        let err = m.compile_source("fn p(s: text): int(s)\nx = p(\"12x\")", SOURCE_INPUT).unwrap_err();
        assert!(matches!(&err, Error::Runtime(m) if m == "invalid number \"12x\" in p at line 1"), "{err}");
    }

    extern "C" fn host_scale(x: i64, k: f64) -> f64 {
        x as f64 * k
    }

    extern "C" fn host_check(x: i64) -> i64 {
        if x < 0 {
            crate::runtime::raise_error("negative input to host_check");
        }
        x * 2
    }

    #[test]
    fn host_functions_are_called_and_can_raise() {
        let m = manager();
        let scale = host_scale as extern "C" fn(i64, f64) -> f64 as usize;
        let check = host_check as extern "C" fn(i64) -> i64 as usize;
        m.register_host("host_scale", scale, Signature::parse("fn(i64, f64) -> f64").unwrap()).unwrap();
        m.register_host("host_check", check, Signature::parse("fn(i64) -> i64").unwrap()).unwrap();
        m.compile_source(
            "extern fn host_scale(x: i64, k: f64) -> f64\nextern fn host_check(x: i64) -> i64\n\
             fn f(x) -> f64: host_scale(x, 0.5) + 1.0\nfn g(x): host_check(x) + 1\n",
            SOURCE_INPUT,
        )
        .unwrap();
        assert_eq!(m.call("f", &[Value::I64(3)]).unwrap(), Value::F64(2.5));
        assert_eq!(m.execute("g", &[4]).unwrap(), 9);
        let err = m.execute("g", &[-1]).unwrap_err();
        assert_eq!(err, Error::Runtime("negative input to host_check".into()));
        assert_eq!(m.execute("g", &[1]).unwrap(), 3);
        let err = m.compile_source("extern fn nope(x: i64) -> i64\n", SOURCE_INPUT).unwrap_err();
        assert!(matches!(&err, Error::Compile(m) if m.contains("`nope` is not a registered host function")), "{err}");
        let err = m.compile_source("extern fn host_check(x: f64) -> i64\n", SOURCE_INPUT).unwrap_err();
        assert!(matches!(&err, Error::Compile(m) if m.contains("registered as fn(i64) -> i64")), "{err}");
        let err = m.register_host("host_check", check, Signature::parse("fn(f64) -> i64").unwrap()).unwrap_err();
        assert!(matches!(&err, Error::Signature(m) if m.contains("`g` calls it")), "{err}");
    }

    #[test]
    fn mir_files_are_recognised_by_their_first_line() {
        use crate::mir::text::is_mir_text;
        assert!(is_mir_text("mir 1\nfn f() -> i64 {}"));
        assert!(is_mir_text("\u{feff}mir 1\n"));
        assert!(!is_mir_text("mir = 1\n"));
        assert!(!is_mir_text("fn f(): 1"));
    }
}
