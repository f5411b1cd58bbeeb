//! The bodies of the fuzz targets (see src/targets.rs); each target in
//! fuzz_targets/ is one line calling one of them.

#[path = "targets.rs"]
mod targets;

pub use targets::{capi, mir, source};
