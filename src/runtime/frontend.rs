//! From text to a MIR module for a manager: source through the language
//! front end, MIR text through its parser, each with the manager's names in
//! scope; their errors rendered once, with the input's name.

use super::catalog::Catalog;
use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::lang::{self, SourceError};
use crate::mir::{self, Signature, Ty};

/// The input name compile errors of source text use.
pub const SOURCE_INPUT: &str = "<source>";

/// The input name compile errors of MIR text use.
pub const MIR_INPUT: &str = "<mir>";

/// The catalog as the front ends' environment.
pub struct CatalogEnv<'a>(pub &'a Catalog);

impl lang::Env for CatalogEnv<'_> {
    fn function(&self, name: &str) -> Option<std::result::Result<lang::Sig, String>> {
        self.0.functions.get(name).map(|f| lang::Sig::from_mir(&f.sig))
    }
    fn global(&self, name: &str) -> Option<(lang::Type, bool)> {
        let g = self.0.globals.get(name)?;
        Some((lang::Type::from_mir(g.ty)?, g.mutable))
    }
    fn host(&self, name: &str) -> Option<std::result::Result<lang::Sig, String>> {
        self.0.hosts.get(name).map(|h| lang::Sig::from_mir(&h.sig))
    }
    fn extern_val(&self, name: &str) -> Option<(mir::HostTy, bool)> {
        self.0.extern_val(name)
    }
    fn names(&self) -> Vec<String> {
        self.0.functions.keys().chain(self.0.globals.keys()).cloned().collect()
    }
    fn record(&self, name: &str) -> Option<mir::ObjTy> {
        self.0.records.get(name).copied()
    }
    fn host_struct(&self, name: &str) -> Option<mir::HostTy> {
        self.0.host_struct(name)
    }
}

impl mir::MirEnv for CatalogEnv<'_> {
    fn function(&self, name: &str) -> Option<Signature> {
        self.0.functions.get(name).map(|f| f.sig.clone())
    }
    fn global(&self, name: &str) -> Option<Ty> {
        self.0.globals.get(name).map(|g| g.ty)
    }
    fn global_mutable(&self, name: &str) -> bool {
        self.0.globals.get(name).is_none_or(|g| g.mutable)
    }
    fn knows_hosts(&self) -> bool {
        true
    }
    fn host_struct(&self, name: &str) -> Option<mir::HostTy> {
        self.0.host_struct(name)
    }
    fn extern_val(&self, name: &str) -> Option<(mir::HostTy, bool)> {
        self.0.extern_val(name)
    }
    fn host(&self, name: &str) -> Option<Signature> {
        self.0.hosts.get(name).map(|h| h.sig.clone())
    }
}

/// At most how many bytes of memory a compile holds at its peak per byte
/// of input, with room to spare over what was measured (docs/reliability.md:
/// 50-83 for source of different shapes, 17 for MIR text).
const SOURCE_PEAK_PER_BYTE: usize = 128;
const MIR_PEAK_PER_BYTE: usize = 32;

/// Inputs whose compile needs less than this are not checked.
const CHECKED_ABOVE: usize = 256 << 20;

/// Refuses, as `out of memory`, an input so large that the system would not
/// give its compile the memory it needs. The compiler's tables are not
/// allocated fallibly, and running out halfway through would abort the
/// host; asking the system for the whole peak at once (and giving it back)
/// finds out first.
fn admit(len: usize, per_byte: usize, input: &str) -> Result<()> {
    let need = len.saturating_mul(per_byte);
    if need < CHECKED_ABOVE {
        return Ok(());
    }
    let mut probe: Vec<u8> = Vec::new();
    probe.try_reserve_exact(need).map_err(|_| {
        Error::Runtime(format!(
            "out of memory: compiling {input} ({} KiB) needs up to {} MiB, which the system refuses",
            len >> 10,
            need >> 20
        ))
    })
}

/// A source unit as MIR.
pub fn source_module(source: &str, env: &dyn lang::Env, input: &str) -> Result<mir::Module> {
    admit(source.len(), SOURCE_PEAK_PER_BYTE, input)?;
    lang::to_mir(source, env).map_err(|e| match e {
        SourceError::Invalid(d) => Error::compile(input, &d),
        SourceError::Internal(m) => Error::Internal(m),
    })
}

/// A MIR text blob as a module, with where its parts were.
pub fn mir_module(text: &str, env: &dyn mir::MirEnv, input: &str) -> Result<(mir::Module, mir::text::Positions)> {
    admit(text.len(), MIR_PEAK_PER_BYTE, input)?;
    mir::text::parse_with(text, env).map_err(|d| Error::compile(input, &d))
}

/// `bytes` as text, or a compile error at the first byte that is not UTF-8.
pub fn utf8<'a>(bytes: &'a [u8], input: &str) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let prefix = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("");
        let line = prefix.matches('\n').count() as u32 + 1;
        let col = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
        Error::compile(input, &Diagnostic::at(line, col, "the text is not valid UTF-8"))
    })
}

/// The MIR text of a source unit (as `rt_mir_from_source` gives it).
/// Without a manager, `extern fn` declarations are taken as written.
pub fn mir_from_source(source: &str) -> Result<String> {
    Ok(mir::text::print(&source_module(source, &lang::EmptyEnv, SOURCE_INPUT)?))
}
