//! Running compiled code: the execution manager (`manager`) and what it
//! is made of — what calls look up (`catalog`), the compiled code and the
//! stable cells of the function table and globals (`code`, `slots`), the
//! compile-unit transaction (`unit`), the count of running calls that
//! decides when replaced code is freed (`guard`) — plus one execution's
//! context (`exec`), the functions JIT code calls (`helpers`, `text`) and
//! the values that cross to the host (`value`).

pub mod catalog;
pub mod code;
pub mod exec;
pub mod guard;
pub mod helpers;
pub mod manager;
pub mod slots;
pub mod text;
pub mod unit;
pub mod value;

pub use manager::{Backend, Manager, is_mir_text, mir_from_source, source_to_mir};
pub(crate) use manager::{MIR_INPUT, SOURCE_INPUT};
pub use value::Value;
