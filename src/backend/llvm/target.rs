//! The machine the code is for: this process's CPU, by name and features,
//! which every function is marked with so that LLVM uses all it has.

use std::sync::OnceLock;

use inkwell::context::Context;
use inkwell::targets::TargetMachine;
use inkwell::values::FunctionValue;

/// The host's CPU, for the target machine and for every function's
/// attributes (MCJIT would otherwise compile for a generic x86-64).
pub(super) struct Host {
    pub cpu: String,
    pub features: String,
}

impl Host {
    /// Marks `func` as code for this CPU that never unwinds (no unwind
    /// tables: nothing unwinds through JIT code).
    pub(super) fn mark<'ctx>(&self, context: &'ctx Context, func: FunctionValue<'ctx>) {
        use inkwell::attributes::{Attribute, AttributeLoc};
        func.add_attribute(AttributeLoc::Function, context.create_string_attribute("target-cpu", &self.cpu));
        func.add_attribute(AttributeLoc::Function, context.create_string_attribute("target-features", &self.features));
        let nounwind = Attribute::get_named_enum_kind_id("nounwind");
        func.add_attribute(AttributeLoc::Function, context.create_enum_attribute(nounwind, 0));
    }
}

pub(super) fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host {
        cpu: TargetMachine::get_host_cpu_name().to_string(),
        features: TargetMachine::get_host_cpu_features().to_string(),
    })
}
