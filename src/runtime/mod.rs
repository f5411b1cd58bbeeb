//! Running compiled code: the execution manager and what it is made of.
//!
//! In reading order: `manager` (the public face: compile, introspect,
//! register host functions) and `calls` (calls from the host);
//! `frontend` (text to MIR with the manager's names in scope); `unit` (a
//! compile unit as a transaction); `catalog` (what calls look up),
//! `store` and `cells` (the code and the tables that never move),
//! `globals` (values in global cells), `guard` and `scan` (when replaced
//! code may be freed, also while long calls run); `exec` (one execution's context, faults), `limits`
//! (interruption, time, step, memory and stack limits) and `tripwire` (the
//! word a function entry checks for both the stack and a stop); `helpers` (the
//! functions JIT code calls); `value` (values that cross to the host) and `json` (their JSON text);
//! `object` (how the host holds an array or a record).
//!
//! Architecture invariant: `runtime` never names a backend's types; it
//! compiles through `backend::CodeGenerator` (tests/architecture.rs).

mod calls;
mod catalog;
mod cells;
mod exec;
mod externs;
mod frontend;
mod globals;
mod guard;
mod helpers;
mod json;
mod limits;
mod manager;
mod object;
mod scan;
mod store;
mod tripwire;
mod unit;
mod value;

pub use exec::raise_error;
pub use frontend::{MIR_INPUT, SOURCE_INPUT, mir_from_source};
pub use json::to_json;
pub use limits::{PrintHandler, register_stack};
pub use manager::Manager;
pub use object::{Element, Object};
pub use value::Value;
