//! MIR: the typed, non-SSA intermediate representation both front ends
//! produce and every backend consumes.
//!
//! `data` holds the structures and `ops` the operation tables; `visit`
//! walks and rewrites them; `validate` checks a module before any pass or
//! backend may see it; `opt` runs the passes a backend's input goes
//! through (ending with `ownership`, which makes reference counting
//! explicit); `text` is the MIR text format. `loops` and `storage` are
//! analyses the passes and backends share (natural loops; what an object
//! local's storage is known to be).
//!
//! Architecture invariant: `mir` imports nothing from `lang`, `backend` or
//! `runtime` (tests/architecture.rs).

mod data;
mod host;
pub mod loops;
mod types;
mod ops;
pub mod opt;
mod ownership;
pub mod storage;
pub mod text;
mod validate;
mod visit;

pub use data::*;
pub use ops::{BinOp, CmpOp, ConvOp, DataOp, HostOp, UnOp};
pub use types::{FieldTy, RecordDecl, mentions, records, resolve};
pub use validate::{FnRef, Loc, MirEnv, extern_error, host_type_error, validate};
pub use visit::{References, reachable};

#[cfg(test)]
pub use validate::NoEnv;

#[cfg(test)]
pub mod fixtures;
