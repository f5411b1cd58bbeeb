//! Calling compiled functions from the host: by name, with the arguments
//! in 8-byte words, through the function's entry trampoline.

use super::catalog::FuncEntry;
use super::exec;
use super::guard::Running;
use super::helpers::text::OwnedText;
use super::manager::Manager;
use super::unit;
use super::value::Value;
use crate::abi::Trampoline;
use crate::error::{Error, Result};
use crate::mir::{Signature, Ty};
use crate::util::sync;

/// Calls with up to this many arguments pass them without allocating.
const INLINE_ARGS: usize = 16;

impl Manager {
    /// Finds `name`, lets `accepts` refuse its type, checks the argument
    /// count, and lets `prepare` check the arguments and fill their words,
    /// all under one read of the catalog (one snapshot, even while another
    /// thread redefines the function); returns the entry and result type
    /// (no lock is held while the function runs).
    fn prepare_call(
        &self,
        name: &str,
        nargs: usize,
        accepts: impl FnOnce(&Signature) -> Result<()>,
        prepare: impl FnOnce(&FuncEntry) -> Result<()>,
    ) -> Result<(Trampoline, Option<Ty>)> {
        let catalog = sync::read(&self.catalog);
        let f = catalog.function(name)?;
        accepts(&f.sig)?;
        if f.sig.params.len() != nargs {
            return Err(arity_error(name, &f.sig, nargs));
        }
        prepare(f)?;
        Ok((f.entry, f.sig.ret))
    }

    /// Runs `entry` with `words`; a runtime error becomes its message.
    ///
    /// # Safety
    /// As for [`exec::run`]: the words match the entry's function, whose
    /// code the caller keeps alive (a `guard` count).
    unsafe fn run(&self, entry: Trampoline, words: &[u64], running: &Running<'_>) -> Result<u64> {
        // SAFETY: forwarded from the caller.
        unsafe { exec::run(entry, words, running, &self.limits, None) }
            .map_err(|f| unit::fault_error(&self.catalog, f, None))
    }

    /// Calls `name` with integer (or bool) arguments; integer or bool
    /// result, 0 for a void function.
    pub fn execute(&self, name: &str, args: &[i64]) -> Result<i64> {
        let mut inline = [0u64; INLINE_ARGS];
        let mut heap = Vec::new();
        let words: &mut [u64] = if args.len() <= INLINE_ARGS {
            &mut inline[..args.len()]
        } else {
            heap.resize(args.len(), 0);
            &mut heap
        };
        let running = self.guard.enter();
        let integers = |sig: &Signature| {
            if sig.params.iter().chain(sig.ret.iter()).any(|t| !t.is_int() && *t != Ty::Bool) {
                return Err(Error::Signature(format!(
                    "`{name}` has type {sig}; execute passes and returns integers and bools only \
                     (use rt_exec_manager_call)"
                )));
            }
            Ok(())
        };
        let (entry, ret) = self.prepare_call(name, args.len(), integers, |f| {
            for ((word, a), t) in words.iter_mut().zip(args).zip(&f.sig.params) {
                *word = if *t == Ty::Bool { u64::from(*a != 0) } else { *a as u64 };
            }
            Ok(())
        })?;
        // SAFETY: the argument count and types match the trampoline's
        // function, and `running` keeps its code alive.
        let raw = unsafe { self.run(entry, words, &running) }?;
        Ok(match ret {
            None => 0,
            Some(Ty::Bool) => i64::from(raw & 0xff != 0),
            Some(_) => raw as i64,
        })
    }

    /// A typed call. An i64 argument is accepted where a float is expected.
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Value> {
        self.typed_call(name, args, |_| Ok(()))
    }

    /// A call of `name` if `accepts` its type.
    fn typed_call(&self, name: &str, args: &[Value], accepts: impl FnOnce(&Signature) -> Result<()>) -> Result<Value> {
        let running = self.guard.enter();
        let mut words = Vec::with_capacity(args.len());
        // Texts made for the arguments, released when the call is over.
        let mut texts: Vec<OwnedText> = Vec::new();
        let (entry, ret) = self.prepare_call(name, args.len(), accepts, |f| {
            for (i, (a, t)) in args.iter().zip(&f.sig.params).enumerate() {
                let word = match (a, t) {
                    (Value::Text(s), Ty::Text) => {
                        let text = OwnedText::new(s).ok_or_else(|| {
                            Error::Runtime(format!("out of memory for argument {} of `{name}`", i + 1))
                        })?;
                        texts.push(text);
                        texts.last().map(|t| t.as_ptr() as u64)
                    }
                    _ => a.to_word(*t),
                };
                words.push(word.ok_or_else(|| {
                    Error::Signature(format!(
                        "argument {} of `{name}` must be {t}, found {} (`{name}` has type {})",
                        i + 1,
                        a.type_name(),
                        f.sig
                    ))
                })?);
            }
            Ok(())
        })?;
        // SAFETY: the arguments match the trampoline's function, the texts
        // live until `texts` drops, and `running` keeps the code alive.
        let raw = unsafe { self.run(entry, &words, &running) }?;
        // SAFETY: a text result is a reference handed to us.
        Ok(unsafe { Value::from_owned_word(raw, ret) })
    }

    /// Calls a function whose parameters and result are all text.
    pub fn call_text(&self, name: &str, args: &[&str]) -> Result<String> {
        let texts_only = |sig: &Signature| {
            if sig.ret != Some(Ty::Text) || sig.params.iter().any(|t| *t != Ty::Text) {
                return Err(Error::Signature(format!(
                    "`{name}` has type {sig}; rt_exec_manager_execute_string needs text parameters and a text result"
                )));
            }
            Ok(())
        };
        let values: Vec<Value> = args.iter().map(|s| Value::Text(s.to_string())).collect();
        match self.typed_call(name, &values, texts_only)? {
            Value::Text(s) => Ok(s),
            other => Err(Error::Internal(format!("a text function returned {}", other.type_name()))),
        }
    }
}

fn arity_error(name: &str, sig: &Signature, given: usize) -> Error {
    Error::Signature(format!(
        "`{name}` takes {} argument{} ({sig}), {given} given",
        sig.params.len(),
        if sig.params.len() == 1 { "" } else { "s" }
    ))
}
