//! Running compiled code: the execution manager (`manager`), the stable
//! cells of its function table and globals (`slots`), one execution's
//! context (`exec`), the functions JIT code calls (`helpers`) and the values
//! that cross to the host (`value`).

pub mod exec;
pub mod helpers;
pub mod manager;
pub mod slots;
pub mod value;

pub(crate) use manager::SOURCE_INPUT;
pub use manager::{Backend, Manager, is_mir_text, source_to_mir};
pub use value::Value;
