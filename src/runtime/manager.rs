//! The execution manager: owns compiled code, the function table and the
//! globals of one JIT session, and runs compile units and calls.
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
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::catalog::{Catalog, CatalogEnv};
use super::code::Store;
use super::exec::{self, Fault};
use super::guard::CallGuard;
use super::text;
use super::unit::{Origin, UnitTurns, cell};
use super::value::Value;
use crate::codegen;
use crate::error::{Error, Result};
use crate::lang;
use crate::mir::{self, Signature, Ty};

/// The input name compile errors of source text use.
pub(crate) const SOURCE_INPUT: &str = "<source>";

/// The input name compile errors of MIR text use.
pub(crate) const MIR_INPUT: &str = "<mir>";

/// The first line of a MIR text file (`mir 1`) starts with this word.
pub(crate) const MIR_MAGIC: &str = "mir";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Cranelift,
}

pub(crate) const DEFAULT_OPT_LEVEL: u8 = 2;

pub struct Manager {
    backend: Backend,
    opt_level: AtomicU8,
    pub(super) store: Mutex<Store>,
    pub(super) catalog: RwLock<Catalog>,
    pub(super) guard: CallGuard,
    pub(super) turns: UnitTurns,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock was caught at the boundary; the data
    // is only ever mutated in ways that keep it consistent, so carry on.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

/// Texts made for a call's arguments, released when the call is over.
#[derive(Default)]
struct ArgTexts(Vec<*mut text::RtText>);

impl Drop for ArgTexts {
    fn drop(&mut self) {
        for p in self.0.drain(..) {
            text::release(p);
        }
    }
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
            guard: CallGuard::default(),
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
        let turn = self.turns.begin();
        let mut store = lock(&self.store);
        let catalog = read(&self.catalog);
        let module = source_to_mir(source, &CatalogEnv(&catalog)).map_err(|e| Error::Compile(e.render(input)))?;
        drop(catalog);
        let installed = self.install(&mut store, &module, input, Origin::Source)?;
        drop(store);
        self.finish(installed, (input != SOURCE_INPUT).then_some(input), &turn)
    }

    /// The MIR text of a source unit as this manager would compile it
    /// (names of earlier units and registered host functions resolve);
    /// compiling the text with [`Manager::compile_mir`] behaves the same.
    pub fn source_to_mir_text(&self, source: &str, input: &str) -> Result<String> {
        let catalog = read(&self.catalog);
        let module = source_to_mir(source, &CatalogEnv(&catalog)).map_err(|e| Error::Compile(e.render(input)))?;
        Ok(mir::text::print(&module))
    }

    /// Reads a file and compiles it (MIR when it starts with the MIR
    /// version line, source otherwise).
    pub fn compile_file(&self, path: &str) -> Result<Value> {
        let bytes = std::fs::read(path).map_err(|e| Error::Io(format!("cannot read {path}: {e}")))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| utf8_error(&bytes, e, path))?;
        if is_mir_text(text) {
            return self.compile_mir_text(text, path);
        }
        self.compile_source(text, path)
    }

    /// Compiles one MIR text blob (docs/mir.md) and runs its `init` code,
    /// if any; returns the init code's value. `input` names the text in
    /// error messages.
    pub fn compile_mir(&self, bytes: &[u8], input: &str) -> Result<Value> {
        let text = std::str::from_utf8(bytes).map_err(|e| utf8_error(bytes, e, input))?;
        self.compile_mir_text(text, input)
    }

    fn compile_mir_text(&self, text: &str, input: &str) -> Result<Value> {
        let turn = self.turns.begin();
        let mut store = lock(&self.store);
        let catalog = read(&self.catalog);
        let (module, positions) =
            mir::text::parse_with(text, &CatalogEnv(&catalog)).map_err(|e| Error::Compile(e.render(input)))?;
        drop(catalog);
        let installed = self.install(&mut store, &module, input, Origin::Text(&positions))?;
        drop(store);
        self.finish(installed, (input != MIR_INPUT).then_some(input), &turn)
    }

    /// The error for a fault; `input` names a file the faulting top-level
    /// code came from.
    pub(super) fn fault_error(&self, fault: Fault, input: Option<&str>) -> Error {
        exec::fault_error(fault, input, |id| read(&self.catalog).slot_names.get(id as usize).cloned())
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
        let _running = self.guard.enter();
        let (entry, ret) = {
            let catalog = read(&self.catalog);
            let f = catalog.function(name)?;
            if f.sig.params.iter().chain(f.sig.ret.iter()).any(|t| !t.is_int() && *t != Ty::Bool) {
                return Err(Error::Signature(format!(
                    "`{name}` has type {}; execute passes and returns integers and bools only \
                     (use rt_exec_manager_call)",
                    f.sig
                )));
            }
            if f.sig.params.len() != args.len() {
                return Err(arity_error(name, &f.sig, args.len()));
            }
            for ((slot, a), t) in buf.iter_mut().zip(args).zip(&f.sig.params) {
                *slot = if *t == Ty::Bool { u64::from(*a != 0) } else { *a as u64 };
            }
            (f.entry, f.sig.ret)
        };
        // SAFETY: the argument count and types match the trampoline's
        // function, and `_running` keeps its code alive.
        let raw = unsafe { exec::run(entry, buf) }.map_err(|f| self.fault_error(f, None))?;
        Ok(match ret {
            None => 0,
            Some(Ty::Bool) => i64::from(raw & 0xff != 0),
            Some(_) => raw as i64,
        })
    }

    /// A typed call. An i64 argument is accepted where a float is expected.
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Value> {
        let _running = self.guard.enter();
        let mut slots = Vec::with_capacity(args.len());
        let mut texts = ArgTexts::default();
        let (entry, ret) = {
            let catalog = read(&self.catalog);
            let f = catalog.function(name)?;
            if f.sig.params.len() != args.len() {
                return Err(arity_error(name, &f.sig, args.len()));
            }
            for (i, (a, t)) in args.iter().zip(&f.sig.params).enumerate() {
                let slot = match (a, t) {
                    (Value::Text(s), Ty::Text) => {
                        let p = text::new(s.as_bytes());
                        texts.0.push(p);
                        Some(p as u64)
                    }
                    _ => a.to_slot(*t),
                };
                slots.push(slot.ok_or_else(|| {
                    Error::Signature(format!(
                        "argument {} of `{name}` must be {t}, found {} (`{name}` has type {})",
                        i + 1,
                        a.type_name(),
                        f.sig
                    ))
                })?);
            }
            (f.entry, f.sig.ret)
        };
        // SAFETY: the arguments match the trampoline's function, the texts
        // live until `texts` drops, and `_running` keeps the code alive.
        let raw = unsafe { exec::run(entry, &slots) }.map_err(|f| self.fault_error(f, None))?;
        // SAFETY: a text result is a reference handed to us.
        Ok(unsafe { Value::from_owned_slot(raw, ret) })
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
        read(&self.catalog).function(name).map(|f| f.sig.clone())
    }

    pub fn global(&self, name: &str) -> Result<Value> {
        let catalog = read(&self.catalog);
        let g = catalog.global(name)?;
        let c = cell(g.cell);
        Ok(match g.ty {
            Ty::Text => Value::Text(text::global_string(c)),
            ty => Value::from_slot(c.load(Ordering::Acquire), Some(ty)),
        })
    }

    /// Registers (or replaces) a host function that units may declare
    /// `extern` and call. Replacing one keeps callers working when the
    /// signature stays; changing the signature of a host function that
    /// compiled functions call is refused.
    pub fn register_host(&self, name: &str, addr: usize, sig: Signature) -> Result<()> {
        if !is_identifier(name) {
            return Err(Error::InvalidArgument(format!("`{name}` is not a valid function name")));
        }
        if addr == 0 {
            return Err(Error::InvalidArgument(format!("the address of host function `{name}` is NULL")));
        }
        if sig.params.iter().chain(sig.ret.iter()).any(|t| *t == Ty::Text) {
            return Err(Error::InvalidArgument(format!("host function `{name}` cannot take or return text")));
        }
        let mut store = lock(&self.store);
        let mut catalog = write(&self.catalog);
        if let Some(old) = catalog.hosts.get(name) {
            if old.sig != sig {
                let mut callers: Vec<&String> =
                    catalog.functions.iter().filter(|(_, f)| f.callees.contains(name)).map(|(n, _)| n).collect();
                callers.sort();
                if let Some(caller) = callers.first() {
                    return Err(Error::Signature(format!(
                        "cannot change host function `{name}` from {} to {sig}: `{caller}` calls it",
                        old.sig
                    )));
                }
            }
        }
        let slot = store.host_slot(name);
        store.host_table.cell(slot).store(addr as u64, Ordering::Release);
        catalog.hosts.insert(name.to_string(), super::catalog::HostEntry { sig, slot });
        Ok(())
    }

    /// Compiled modules the manager holds (current, and replaced ones not
    /// yet freed): a measure of what redefinitions leave behind.
    pub fn code_modules(&self) -> usize {
        lock(&self.store).module_count()
    }
}

impl Drop for Manager {
    fn drop(&mut self) {
        let catalog = self.catalog.get_mut().unwrap_or_else(|e| e.into_inner());
        for g in catalog.globals.values() {
            if g.ty == Ty::Text {
                text::release(cell(g.cell).swap(0, Ordering::AcqRel) as *const text::RtText);
            }
        }
        let store = self.store.get_mut().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the manager is being dropped, so no call holds it and no
        // code of its modules can be running or be called again.
        unsafe { store.free_all() };
    }
}

fn arity_error(name: &str, sig: &Signature, given: usize) -> Error {
    Error::Signature(format!(
        "`{name}` takes {} argument{} ({sig}), {given} given",
        sig.params.len(),
        if sig.params.len() == 1 { "" } else { "s" }
    ))
}

/// `input:LINE:COL: ...` for the first byte that is not UTF-8.
fn utf8_error(bytes: &[u8], e: std::str::Utf8Error, input: &str) -> Error {
    let prefix = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
    let line = prefix.matches('\n').count() + 1;
    let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Error::Compile(format!("{input}:{line}:{col}: the text is not valid UTF-8"))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when `text` starts with the MIR version line (`mir <n>`).
pub fn is_mir_text(text: &str) -> bool {
    let first = text.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
    let mut words = first.split_whitespace();
    words.next() == Some(MIR_MAGIC) && words.next().is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
}

/// The MIR text of a source unit (as `rt_mir_from_source` gives it).
/// Without a manager, `extern fn` declarations are taken as written.
pub fn mir_from_source(source: &str) -> Result<String> {
    let module = source_to_mir(source, &lang::EmptyEnv).map_err(|e| Error::Compile(e.render(SOURCE_INPUT)))?;
    Ok(mir::text::print(&module))
}

/// Parses, checks and lowers a source unit.
pub fn source_to_mir(source: &str, env: &dyn lang::Env) -> std::result::Result<mir::Module, lang::LangError> {
    let unit = lang::parse(source)?;
    let typed = lang::check(&unit, env)?;
    lang::lower(&typed)
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
            crate::runtime::exec::raise("negative input to host_check");
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
        assert!(is_mir_text("mir 1\nfn f() -> i64 {}"));
        assert!(is_mir_text("\u{feff}mir 1\n"));
        assert!(!is_mir_text("mir = 1\n"));
        assert!(!is_mir_text("fn f(): 1"));
    }
}
